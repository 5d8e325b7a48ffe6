//! A search over one mailbox, in terms the store can answer: IMAP's SEARCH keys with
//! sequence numbers and `\Recent` already turned into UIDs by the session that asked.

use mail_parser::Message;

use super::index::{MessageIndex, day_of};
use super::text::header_text;
use crate::mail::MessageMeta;

/// A header field the store keeps for searching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Subject,
    From,
    To,
    Cc,
    Bcc,
}

/// How a date compares with a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateRel {
    Before,
    On,
    Since,
}

impl DateRel {
    fn holds(self, day: i64, wanted: i64) -> bool {
        match self {
            DateRel::Before => day < wanted,
            DateRel::On => day == wanted,
            DateRel::Since => day >= wanted,
        }
    }
}

/// Search criteria. Texts to find are lower-cased ([`Query::text`]), as the stored texts are,
/// so that matching is the case-insensitive substring match IMAP asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    All,
    And(Vec<Query>),
    Or(Box<Query>, Box<Query>),
    Not(Box<Query>),
    /// UIDs in these inclusive ranges.
    Uids(Vec<(u32, u32)>),
    /// A system flag (`Flags::SEEN` …) is set.
    Flag(u8),
    /// A keyword is set (compared without regard to case).
    Keyword(String),
    Larger(i64),
    Smaller(i64),
    /// The arrival date's day (UTC), in days since 1970-01-01.
    Arrived(DateRel, i64),
    /// The Date header's day as written.
    Sent(DateRel, i64),
    /// A kept header field holds the text.
    Field(Field, String),
    /// Any header: with an empty text, the header is present.
    Header(String, String),
    Body(String),
    /// The header or the body holds the text.
    Text(String),
}

impl Query {
    /// A text to find, as stored texts are compared: lower-cased.
    pub fn text(s: &str) -> String {
        s.to_lowercase()
    }

    /// Whether a message matches: the reference the store's answers are checked against.
    /// `message` is the parsed content, needed only for [`Query::Header`].
    pub fn matches(
        &self,
        meta: &MessageMeta,
        index: &MessageIndex,
        message: Option<&Message<'_>>,
    ) -> bool {
        let field = |f: Field| match f {
            Field::Subject => &index.subject,
            Field::From => &index.from,
            Field::To => &index.to,
            Field::Cc => &index.cc,
            Field::Bcc => &index.bcc,
        };
        match self {
            Query::All => true,
            Query::And(all) => all.iter().all(|q| q.matches(meta, index, message)),
            Query::Or(a, b) => a.matches(meta, index, message) || b.matches(meta, index, message),
            Query::Not(q) => !q.matches(meta, index, message),
            Query::Uids(ranges) => ranges
                .iter()
                .any(|(low, high)| (*low..=*high).contains(&meta.uid)),
            Query::Flag(bit) => meta.flags.has(*bit),
            Query::Keyword(k) => meta
                .flags
                .keywords
                .iter()
                .any(|have| have.eq_ignore_ascii_case(k)),
            Query::Larger(n) => meta.size > *n,
            Query::Smaller(n) => meta.size < *n,
            Query::Arrived(rel, day) => rel.holds(day_of(meta.internal_date), *day),
            Query::Sent(rel, day) => rel.holds(index.sent_day, *day),
            Query::Field(f, text) => field(*f).contains(text.as_str()),
            Query::Header(name, text) => message.is_some_and(|m| {
                if text.is_empty() {
                    m.parts.first().is_some_and(|root| {
                        root.headers
                            .iter()
                            .any(|h| h.name.as_str().eq_ignore_ascii_case(name))
                    })
                } else {
                    header_text(m, name).contains(text.as_str())
                }
            }),
            Query::Body(text) => index.body.contains(text.as_str()),
            Query::Text(text) => {
                index.headers.contains(text.as_str()) || index.body.contains(text.as_str())
            }
        }
    }
}
