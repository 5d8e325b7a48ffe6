//! SEARCH and UID SEARCH (RFC 3501 6.4.4) over the keys of RFC 3501.

use std::num::NonZeroU32;

use imap_codec::imap_types::core::{AString, Charset};
use imap_codec::imap_types::response::Data;
use imap_codec::imap_types::search::SearchKey;
use imap_next::server::Server;
use mail_parser::HeaderValue;
use postern_domain::mail::{Flags, MessageMeta};

use crate::error::{Done, Outcome, Refusal};
use crate::message::{self, Parsed};
use crate::responses::nz;
use crate::session::sequence::{Numbers, contains};
use crate::session::{Selected, Session};

fn needs_content(key: &SearchKey<'_>) -> bool {
    use SearchKey as K;
    match key {
        K::Bcc(_)
        | K::Body(_)
        | K::Cc(_)
        | K::From(_)
        | K::Header(..)
        | K::Subject(_)
        | K::Text(_)
        | K::To(_)
        | K::SentBefore(_)
        | K::SentOn(_)
        | K::SentSince(_) => true,
        K::And(keys) => keys.as_ref().iter().any(needs_content),
        K::Not(k) => needs_content(k),
        K::Or(a, b) => needs_content(a) || needs_content(b),
        _ => false,
    }
}

fn lower(s: &AString<'_>) -> String {
    String::from_utf8_lossy(s.as_ref()).to_lowercase()
}

/// One message as SEARCH sees it.
struct Candidate<'a> {
    seq: u32,
    meta: &'a MessageMeta,
    parsed: Option<&'a Parsed<'a>>,
}

impl Candidate<'_> {
    fn header_text(&self, name: &str) -> String {
        let Some(parsed) = self.parsed else {
            return String::new();
        };
        let view = parsed.view();
        let Some(root) = view.msg.parts.first() else {
            return String::new();
        };
        let mut out = String::new();
        for h in root
            .headers
            .iter()
            .filter(|h| h.name.as_str().eq_ignore_ascii_case(name))
        {
            match &h.value {
                HeaderValue::Address(addr) => {
                    for a in addr.iter() {
                        out.push_str(a.name.as_deref().unwrap_or(""));
                        out.push_str(" <");
                        out.push_str(a.address.as_deref().unwrap_or(""));
                        out.push_str("> ");
                    }
                }
                HeaderValue::Text(t) => out.push_str(t),
                HeaderValue::TextList(list) => {
                    for t in list {
                        out.push_str(t);
                        out.push(' ');
                    }
                }
                _ => {}
            }
            // The raw value too, for what the parser did not turn into text.
            let raw = view
                .raw
                .get(h.offset_start as usize..h.offset_end as usize)
                .unwrap_or_default();
            out.push(' ');
            out.push_str(&String::from_utf8_lossy(raw));
        }
        out.to_lowercase()
    }

    fn has_header(&self, name: &str) -> bool {
        self.parsed.is_some_and(|p| {
            p.view().msg.parts.first().is_some_and(|root| {
                root.headers
                    .iter()
                    .any(|h| h.name.as_str().eq_ignore_ascii_case(name))
            })
        })
    }

    fn body_text(&self) -> String {
        self.parsed
            .map(|p| message::body_text(p.view()))
            .unwrap_or_default()
    }

    fn all_headers(&self) -> String {
        self.parsed
            .map(|p| String::from_utf8_lossy(p.view().root().header_bytes()).to_lowercase())
            .unwrap_or_default()
    }

    fn sent_date(&self) -> chrono::NaiveDate {
        let parsed_date = self.parsed.and_then(|p| {
            p.view().msg.parts.first().and_then(|root| {
                root.headers.iter().find_map(|h| {
                    match (&h.value, h.name.as_str().eq_ignore_ascii_case("Date")) {
                        (HeaderValue::DateTime(d), true) => chrono::NaiveDate::from_ymd_opt(
                            i32::from(d.year),
                            u32::from(d.month),
                            u32::from(d.day),
                        ),
                        _ => None,
                    }
                })
            })
        });
        parsed_date.unwrap_or_else(|| internal_day(self.meta))
    }
}

fn internal_day(meta: &MessageMeta) -> chrono::NaiveDate {
    let d = meta.internal_date.date();
    chrono::NaiveDate::from_ymd_opt(d.year(), u32::from(u8::from(d.month())), u32::from(d.day()))
        .unwrap_or_default()
}

fn eval(key: &SearchKey<'_>, c: &Candidate<'_>, sel: &Selected) -> Result<bool, Refusal> {
    use SearchKey as K;
    let flags = &c.meta.flags;
    let has = |bit| flags.has(bit);
    let keyword = |k: &str| {
        flags
            .keywords
            .iter()
            .any(|have| have.eq_ignore_ascii_case(k))
    };
    Ok(match key {
        K::All => true,
        K::And(keys) => {
            for k in keys.as_ref() {
                if !eval(k, c, sel)? {
                    return Ok(false);
                }
            }
            true
        }
        K::Or(a, b) => eval(a, c, sel)? || eval(b, c, sel)?,
        K::Not(k) => !eval(k, c, sel)?,
        K::SequenceSet(set) => contains(set, Numbers::Sequence, c.seq, sel),
        K::Uid(set) => contains(set, Numbers::Uid, c.meta.uid, sel),
        K::Answered => has(Flags::ANSWERED),
        K::Unanswered => !has(Flags::ANSWERED),
        K::Deleted => has(Flags::DELETED),
        K::Undeleted => !has(Flags::DELETED),
        K::Draft => has(Flags::DRAFT),
        K::Undraft => !has(Flags::DRAFT),
        K::Flagged => has(Flags::FLAGGED),
        K::Unflagged => !has(Flags::FLAGGED),
        K::Seen => has(Flags::SEEN),
        K::Unseen => !has(Flags::SEEN),
        K::Recent => sel.is_recent(c.meta.uid),
        K::New => sel.is_recent(c.meta.uid) && !has(Flags::SEEN),
        K::Old => !sel.is_recent(c.meta.uid),
        K::Keyword(k) => keyword(k.inner()),
        K::Unkeyword(k) => !keyword(k.inner()),
        K::Larger(n) => c.meta.size > i64::from(*n),
        K::Smaller(n) => c.meta.size < i64::from(*n),
        K::Before(d) => internal_day(c.meta) < *d.as_ref(),
        K::On(d) => internal_day(c.meta) == *d.as_ref(),
        K::Since(d) => internal_day(c.meta) >= *d.as_ref(),
        K::SentBefore(d) => c.sent_date() < *d.as_ref(),
        K::SentOn(d) => c.sent_date() == *d.as_ref(),
        K::SentSince(d) => c.sent_date() >= *d.as_ref(),
        K::From(s) => c.header_text("From").contains(&lower(s)),
        K::To(s) => c.header_text("To").contains(&lower(s)),
        K::Cc(s) => c.header_text("Cc").contains(&lower(s)),
        K::Bcc(s) => c.header_text("Bcc").contains(&lower(s)),
        K::Subject(s) => c.header_text("Subject").contains(&lower(s)),
        K::Header(name, value) => {
            let name = String::from_utf8_lossy(name.as_ref()).into_owned();
            let value = lower(value);
            if value.is_empty() {
                c.has_header(&name)
            } else {
                c.header_text(&name).contains(&value)
            }
        }
        K::Body(s) => c.body_text().contains(&lower(s)),
        K::Text(s) => {
            let needle = lower(s);
            c.all_headers().contains(&needle) || c.body_text().contains(&needle)
        }
        #[allow(unreachable_patterns)]
        _ => return Err(Refusal::bad("SEARCH key not supported")),
    })
}

pub(crate) async fn run(
    s: &mut Session,
    server: &mut Server,
    charset: Option<&Charset<'_>>,
    criteria: &[SearchKey<'_>],
    uid: bool,
) -> Outcome {
    if let Some(charset) = charset {
        let name = match charset {
            Charset::Atom(a) => a.inner().to_owned(),
            Charset::Quoted(q) => q.inner().to_owned(),
        };
        if !["utf-8", "us-ascii"]
            .iter()
            .any(|c| c.eq_ignore_ascii_case(&name))
        {
            return Err(Refusal::No(
                Some(imap_codec::imap_types::response::Code::BadCharset {
                    allowed: Vec::new(),
                }),
                "Charset not supported; use UTF-8".into(),
            ));
        }
    }
    let sel = s.selected()?;
    let id = sel.id;
    let mail = s.core.mailboxes();
    let (Some(first), Some(last)) = (sel.uids.first().copied(), sel.uids.last().copied()) else {
        server.enqueue_data(Data::Search(Vec::new()));
        return Ok(Done::ok("SEARCH completed"));
    };
    let metas = mail.messages_between(id, first, last).await?;
    let content = criteria.iter().any(needs_content);
    let mut found: Vec<NonZeroU32> = Vec::new();
    for meta in &metas {
        let Some(seq) = sel.seq_of(meta.uid) else {
            continue;
        };
        let raw = if content {
            mail.message_content(id, meta.uid).await?
        } else {
            None
        };
        let parsed = raw.as_deref().and_then(Parsed::new);
        let candidate = Candidate {
            seq,
            meta,
            parsed: parsed.as_ref(),
        };
        let mut all = true;
        for key in criteria {
            if !eval(key, &candidate, sel)? {
                all = false;
                break;
            }
        }
        if all {
            found.push(nz(if uid { meta.uid } else { seq }));
        }
    }
    server.enqueue_data(Data::Search(found));
    Ok(Done::ok("SEARCH completed"))
}
