//! The text of a message as SEARCH compares it: lower-cased, decoded, attached messages
//! included.

use mail_parser::{HeaderValue, Message, MessagePart, MimeHeaders, PartType};

/// Every text part at every level, attached messages (`message/rfc822`) included with their
/// headers, as RFC 3501 has it; lower-cased. A part cut at the depth limit
/// ([`crate::mime::MAX_DEPTH`]) is searched as it was stored. Iterative: the levels are
/// bounded, but not by much.
pub fn body_text(top: &Message<'_>) -> String {
    let mut out = String::new();
    let mut levels = vec![top];
    while let Some(msg) = levels.pop() {
        if !std::ptr::eq(msg, top) {
            out.push_str(&String::from_utf8_lossy(header_bytes(msg)));
        }
        for part in &msg.parts {
            match &part.body {
                PartType::Text(t) | PartType::Html(t) => out.push_str(t),
                PartType::Message(nested) => levels.push(nested),
                // What `mime::parse` kept of a cut part: its bytes at the limit, nothing
                // below it (the offsets would give each level the whole rest again).
                PartType::Binary(bytes) if holds_parts(part) => {
                    out.push_str(&String::from_utf8_lossy(bytes));
                }
                _ => continue,
            }
            out.push('\n');
        }
    }
    out.to_lowercase()
}

/// The header block of a message's root part, as stored (with its blank line).
pub(super) fn header_bytes<'m>(msg: &'m Message<'m>) -> &'m [u8] {
    let raw = msg.raw_message.as_ref();
    msg.parts
        .first()
        .and_then(|p| raw.get(p.offset_header as usize..p.offset_body as usize))
        .unwrap_or_default()
}

/// Whether a part says it holds parts or a message, whatever its body turned out to be.
pub fn holds_parts(part: &MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            || (ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("rfc822") || s.eq_ignore_ascii_case("global")
                }))
    })
}

/// Every field `name` of the message's header as SEARCH compares it: the decoded value
/// (addresses as `name <address>`) and the value as written, lower-cased.
pub fn header_text(msg: &Message<'_>, name: &str) -> String {
    let Some(root) = msg.parts.first() else {
        return String::new();
    };
    let raw = msg.raw_message.as_ref();
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
        let value = raw
            .get(h.offset_start as usize..h.offset_end as usize)
            .unwrap_or_default();
        out.push(' ');
        out.push_str(&String::from_utf8_lossy(value));
    }
    out.to_lowercase()
}
