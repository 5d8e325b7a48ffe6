//! What a stored message offers to searches and sorting, computed once when it is stored.

use mail_parser::{HeaderValue, Message};
use time::OffsetDateTime;

use super::text::{body_text, header_bytes, header_text};
use crate::mime;

/// A message's searchable fields and text. The text fields are lower-cased as SEARCH
/// compares them, so a substring of a field is a match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageIndex {
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    /// The day of the Date header as written (the arrival day without one), in days since
    /// 1970-01-01.
    pub sent_day: i64,
    pub message_id: String,
    pub in_reply_to: String,
    pub references: String,
    /// The top-level header block.
    pub headers: String,
    /// The decoded text of every text part, attached messages included.
    pub body: String,
}

/// The day of an instant in UTC, in days since 1970-01-01.
pub fn day_of(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().div_euclid(86_400)
}

impl MessageIndex {
    /// The index of a stored message that arrived at `internal_date`.
    pub fn of(raw: &[u8], internal_date: OffsetDateTime) -> Self {
        match mime::parse(raw) {
            Some(message) => Self::of_parsed(&message, internal_date),
            None => MessageIndex {
                sent_day: day_of(internal_date),
                headers: String::from_utf8_lossy(raw).to_lowercase(),
                ..MessageIndex::default()
            },
        }
    }

    /// The index of a message already parsed by [`mime::parse`].
    pub fn of_parsed(message: &Message<'_>, internal_date: OffsetDateTime) -> Self {
        MessageIndex {
            subject: header_text(message, "Subject"),
            from: header_text(message, "From"),
            to: header_text(message, "To"),
            cc: header_text(message, "Cc"),
            bcc: header_text(message, "Bcc"),
            sent_day: sent_day(message).unwrap_or_else(|| day_of(internal_date)),
            message_id: message.message_id().unwrap_or_default().to_owned(),
            in_reply_to: ids(message.in_reply_to()),
            references: ids(message.references()),
            headers: String::from_utf8_lossy(header_bytes(message)).to_lowercase(),
            body: body_text(message),
        }
    }
}

/// The message ids of a header, space-separated.
fn ids(value: &HeaderValue<'_>) -> String {
    match value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(list) => list
            .iter()
            .map(|t| t.as_ref())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// The day of the Date header as written, ignoring its time and zone (RFC 3501 SENTON).
fn sent_day(message: &Message<'_>) -> Option<i64> {
    let root = message.parts.first()?;
    root.headers.iter().find_map(|h| {
        match (&h.value, h.name.as_str().eq_ignore_ascii_case("Date")) {
            (HeaderValue::DateTime(d), true) => {
                let month = time::Month::try_from(d.month).ok()?;
                let date = time::Date::from_calendar_date(i32::from(d.year), month, d.day).ok()?;
                Some(i64::from(date.to_julian_day()) - UNIX_EPOCH_JULIAN_DAY)
            }
            _ => None,
        }
    })
}

const UNIX_EPOCH_JULIAN_DAY: i64 = 2_440_588;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_lower_cased_and_the_sent_day_is_the_header_s() {
        let raw = b"From: Ann Example <Ann@Example.com>\r\nTo: bob@example.org\r\n\
            Subject: Quarterly FIGURES\r\nDate: Tue, 1 Dec 2026 23:30:00 -0500\r\n\
            Message-ID: <a1@example.com>\r\nReferences: <r1@x> <r2@x>\r\n\r\nThe Walrus.\r\n";
        let index = MessageIndex::of(raw, OffsetDateTime::UNIX_EPOCH);
        assert!(index.subject.contains("quarterly figures"));
        assert!(index.from.contains("ann example <ann@example.com>"));
        assert!(index.body.contains("the walrus."));
        assert!(index.headers.contains("subject: quarterly figures"));
        assert_eq!(index.message_id, "a1@example.com");
        assert_eq!(index.references, "r1@x r2@x");
        // 2026-12-01 as written, though it is already the 2nd in UTC.
        let day = time::macros::date!(2026 - 12 - 01).to_julian_day();
        assert_eq!(index.sent_day, i64::from(day) - UNIX_EPOCH_JULIAN_DAY);
    }

    #[test]
    fn without_a_date_header_the_arrival_day_counts() {
        let arrived = time::macros::datetime!(2026-01-02 10:00 UTC);
        let index = MessageIndex::of(b"Subject: x\r\n\r\nbody", arrived);
        assert_eq!(index.sent_day, day_of(arrived));
    }
}
