//! SEARCH and UID SEARCH (RFC 3501 6.4.4) over the keys of RFC 3501: the keys become a
//! domain [`Query`] (sequence numbers and `\Recent` turned into this session's UIDs), which
//! the store answers from its indexes.

use std::num::NonZeroU32;

use chrono::NaiveDate;
use imap_codec::imap_types::core::{AString, Charset};
use imap_codec::imap_types::response::Data;
use imap_codec::imap_types::search::SearchKey;
use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};
use imap_next::server::Server;
use postern_domain::mail::Flags;
use postern_domain::search::{DateRel, Field, Query};

use crate::error::{Done, Outcome, Refusal};
use crate::responses::nz;
use crate::session::sequence::{Numbers, uid_ranges};
use crate::session::{Selected, Session};

fn text(s: &AString<'_>) -> String {
    Query::text(&String::from_utf8_lossy(s.as_ref()))
}

fn day(d: &NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    (*d - epoch).num_days()
}

/// The UID ranges a set names in this session's view: `*` is the last message it knows.
fn ranges(set: &SequenceSet, numbers: Numbers, sel: &Selected) -> Vec<(u32, u32)> {
    let count = sel.exists();
    let star = match numbers {
        Numbers::Sequence => count,
        Numbers::Uid => sel.uids.last().copied().unwrap_or(0),
    };
    let n = |x: &SeqOrUid| match x {
        SeqOrUid::Asterisk => star,
        SeqOrUid::Value(v) => v.get(),
    };
    let mut out = Vec::new();
    for seq in set.0.as_ref() {
        let (a, b) = match seq {
            Sequence::Single(x) => (n(x), n(x)),
            Sequence::Range(x, y) => (n(x), n(y)),
        };
        let (low, high) = (a.min(b), a.max(b));
        match numbers {
            Numbers::Uid => out.push((low, high)),
            // Sequence numbers past the end name nothing; the rest name the UIDs between.
            Numbers::Sequence if low >= 1 && low <= count => {
                let at = |seq: u32| sel.uids[seq as usize - 1];
                out.push((at(low), at(high.min(count))));
            }
            Numbers::Sequence => {}
        }
    }
    out
}

fn flag(bit: u8, set: bool) -> Query {
    if set {
        Query::Flag(bit)
    } else {
        Query::Not(Box::new(Query::Flag(bit)))
    }
}

/// A SEARCH key as a query over this session's view of the mailbox.
fn query(key: &SearchKey<'_>, sel: &Selected) -> Result<Query, Refusal> {
    use SearchKey as K;
    let not = |q: Query| Query::Not(Box::new(q));
    let recent = || Query::Uids(uid_ranges(&sel.recent));
    Ok(match key {
        K::All => Query::All,
        K::And(keys) => Query::And(
            keys.as_ref()
                .iter()
                .map(|k| query(k, sel))
                .collect::<Result<_, _>>()?,
        ),
        K::Or(a, b) => Query::Or(Box::new(query(a, sel)?), Box::new(query(b, sel)?)),
        K::Not(k) => not(query(k, sel)?),
        K::SequenceSet(set) => Query::Uids(ranges(set, Numbers::Sequence, sel)),
        K::Uid(set) => Query::Uids(ranges(set, Numbers::Uid, sel)),
        K::Answered => flag(Flags::ANSWERED, true),
        K::Unanswered => flag(Flags::ANSWERED, false),
        K::Deleted => flag(Flags::DELETED, true),
        K::Undeleted => flag(Flags::DELETED, false),
        K::Draft => flag(Flags::DRAFT, true),
        K::Undraft => flag(Flags::DRAFT, false),
        K::Flagged => flag(Flags::FLAGGED, true),
        K::Unflagged => flag(Flags::FLAGGED, false),
        K::Seen => flag(Flags::SEEN, true),
        K::Unseen => flag(Flags::SEEN, false),
        K::Recent => recent(),
        K::New => Query::And(vec![recent(), flag(Flags::SEEN, false)]),
        K::Old => not(recent()),
        K::Keyword(k) => Query::Keyword(k.inner().to_owned()),
        K::Unkeyword(k) => not(Query::Keyword(k.inner().to_owned())),
        K::Larger(n) => Query::Larger(i64::from(*n)),
        K::Smaller(n) => Query::Smaller(i64::from(*n)),
        K::Before(d) => Query::Arrived(DateRel::Before, day(d.as_ref())),
        K::On(d) => Query::Arrived(DateRel::On, day(d.as_ref())),
        K::Since(d) => Query::Arrived(DateRel::Since, day(d.as_ref())),
        K::SentBefore(d) => Query::Sent(DateRel::Before, day(d.as_ref())),
        K::SentOn(d) => Query::Sent(DateRel::On, day(d.as_ref())),
        K::SentSince(d) => Query::Sent(DateRel::Since, day(d.as_ref())),
        K::From(s) => Query::Field(Field::From, text(s)),
        K::To(s) => Query::Field(Field::To, text(s)),
        K::Cc(s) => Query::Field(Field::Cc, text(s)),
        K::Bcc(s) => Query::Field(Field::Bcc, text(s)),
        K::Subject(s) => Query::Field(Field::Subject, text(s)),
        K::Header(name, value) => Query::Header(
            String::from_utf8_lossy(name.as_ref()).into_owned(),
            text(value),
        ),
        K::Body(s) => Query::Body(text(s)),
        K::Text(s) => Query::Text(text(s)),
        // Keys of imap-types features not turned on here (WITHIN, CONDSTORE): never parsed,
        // and not supported if they were.
        #[allow(
            unreachable_patterns,
            reason = "variants that exist only with imap-types features Postern does not enable"
        )]
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
    let sel = s.state.selected()?;
    if sel.uids.is_empty() {
        server.enqueue_data(Data::Search(Vec::new()));
        return Ok(Done::ok("SEARCH completed"));
    }
    let wanted = Query::And(
        criteria
            .iter()
            .map(|k| query(k, sel))
            .collect::<Result<_, _>>()?,
    );
    let id = sel.id;
    let uids = s.core.mailboxes().search(id, &wanted).await?;
    let sel = s.state.selected()?;
    // Only the messages this session knows of: arrivals it has not announced yet are left
    // for the next search, as are those it still shows though they are gone.
    let found: Vec<NonZeroU32> = uids
        .into_iter()
        .filter_map(|u| sel.seq_of(u).map(|seq| nz(if uid { u } else { seq })))
        .collect();
    server.enqueue_data(Data::Search(found));
    Ok(Done::ok("SEARCH completed"))
}
