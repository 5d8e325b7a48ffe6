//! The text of a message's body, as SEARCH BODY and TEXT look through it.

use mail_parser::{MessagePart, MimeHeaders, PartType};

use super::{PartRef, View};

/// Every text part at every level, attached messages (`message/rfc822`) included with their
/// headers, as RFC 3501 has it; lower-cased. A part cut at the depth limit is searched as it
/// was stored. Iterative: the levels are bounded, but not by much.
pub(crate) fn body_text(top: View<'_>) -> String {
    let mut out = String::new();
    let mut levels = vec![top];
    while let Some(view) = levels.pop() {
        if !std::ptr::eq(view.msg, top.msg) {
            out.push_str(&String::from_utf8_lossy(view.root().header_bytes()));
        }
        for (idx, part) in view.msg.parts.iter().enumerate() {
            let at = PartRef { view, idx };
            match &part.body {
                PartType::Text(t) | PartType::Html(t) => out.push_str(t),
                PartType::Message(_) => levels.extend(at.nested()),
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

/// Whether a part says it holds parts or a message, whatever its body turned out to be.
pub(crate) fn holds_parts(part: &MessagePart<'_>) -> bool {
    part.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            || (ct.ctype().eq_ignore_ascii_case("message")
                && ct.subtype().is_some_and(|s| {
                    s.eq_ignore_ascii_case("rfc822") || s.eq_ignore_ascii_case("global")
                }))
    })
}
