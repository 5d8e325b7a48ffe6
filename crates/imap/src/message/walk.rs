//! Every walk IMAP makes over a message's structure in one call, for fuzzing and tests: BODY,
//! BODYSTRUCTURE, ENVELOPE, the sections of its parts and the text SEARCH reads, encoded as
//! a FETCH response is.

use std::num::NonZeroU32;

use imap_codec::ResponseCodec;
use imap_codec::encode::Encoder;
use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::fetch::{MessageDataItem, Part, Section};
use imap_codec::imap_types::response::{Data, Response};
use postern_domain::search::body_text;

use super::{Parsed, View, body_structure, envelope, find_part, nstring, section};

/// At most this many part numbers are fetched, so that a wide message costs no more than a
/// deep one.
const MAX_PARTS: usize = 64;

/// Sections are fetched until they add up to this many bytes: in a deep message each of
/// them is most of the message.
const SECTION_BUDGET: usize = 4 * 1024 * 1024;

/// The FETCH response with the message's BODYSTRUCTURE, BODY, ENVELOPE and four sections of
/// each of its first parts (up to a few MiB of them), followed by the text SEARCH BODY reads. Empty when the bytes are
/// no message at all.
pub fn every_walk(raw: &[u8]) -> Vec<u8> {
    let Some(parsed) = Parsed::new(raw) else {
        return Vec::new();
    };
    let view = parsed.view();
    let mut items = vec![
        MessageDataItem::BodyStructure(body_structure(view, true)),
        MessageDataItem::Body(body_structure(view, false)),
        MessageDataItem::Envelope(envelope(view)),
    ];
    let mut budget = SECTION_BUDGET;
    for path in part_numbers(view) {
        if budget == 0 {
            break;
        }
        let path = Part(path);
        for sec in [
            Section::Part(path.clone()),
            Section::Mime(path.clone()),
            Section::Header(Some(path.clone())),
            Section::Text(Some(path)),
        ] {
            let data = section(view, Some(&sec)).unwrap_or_default();
            budget = budget.saturating_sub(data.len());
            items.push(MessageDataItem::BodyExt {
                section: Some(sec),
                origin: None,
                data: nstring(Some(&data)),
            });
        }
    }
    let mut out = match Vec1::try_from(items) {
        Ok(items) => ResponseCodec::default()
            .encode(&Response::Data(Data::Fetch {
                seq: NonZeroU32::MIN,
                items,
            }))
            .dump(),
        Err(_) => Vec::new(),
    };
    out.extend_from_slice(body_text(view.msg).as_bytes());
    out
}

/// The part numbers of a message, depth first, at most [`MAX_PARTS`] of them.
fn part_numbers(view: View<'_>) -> Vec<Vec1<NonZeroU32>> {
    let mut found = Vec::new();
    let mut todo = vec![Vec1::from(NonZeroU32::MIN)];
    while let Some(path) = todo.pop() {
        if found.len() >= MAX_PARTS || find_part(view, &Part(path.clone())).is_none() {
            continue;
        }
        // Children are tried in reverse so that the first one is popped first.
        for n in (1..=8u32).rev().filter_map(NonZeroU32::new) {
            let mut child = path.as_ref().to_vec();
            child.push(n);
            if let Ok(child) = Vec1::try_from(child) {
                todo.push(child);
            }
        }
        found.push(path);
    }
    found
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::every_walk;

    fn nested(levels: usize, rfc822_every: usize) -> String {
        let mut m = String::from("From: <a@example.test>\r\nSubject: deep\r\n");
        for i in 0..levels {
            if rfc822_every > 0 && i % rfc822_every == 0 {
                m.push_str("Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n");
            } else {
                m.push_str(&format!(
                    "Content-Type: multipart/mixed; boundary=\"q{i}z\"\r\n\r\n--q{i}z\r\n"
                ));
            }
        }
        m.push_str("Content-Type: text/plain\r\n\r\nZebra\r\n");
        for i in (0..levels).rev() {
            if !(rfc822_every > 0 && i % rfc822_every == 0) {
                m.push_str(&format!("--q{i}z--\r\n"));
            }
        }
        m
    }

    #[test]
    fn every_walk_over_deep_messages_ends_and_finds_the_bottom() {
        for (levels, every) in [(1_200, 0), (10_000, 0), (2_000, 1), (3_000, 2)] {
            let raw = nested(levels, every);
            let started = Instant::now();
            let out = every_walk(raw.as_bytes());
            let text = String::from_utf8_lossy(&out);
            assert!(
                text.starts_with("* 1 FETCH (BODYSTRUCTURE ("),
                "{levels}/{every}"
            );
            assert!(
                text.contains("\"APPLICATION\" \"OCTET-STREAM\""),
                "{levels}/{every}"
            );
            assert!(
                text.contains("zebra"),
                "{levels}/{every}: the text SEARCH reads"
            );
            eprintln!(
                "{levels}/{every}: {:?}, {} bytes",
                started.elapsed(),
                out.len()
            );
        }
    }
}
