//! Mailbox names: modified UTF-7 on the wire (RFC 3501 5.1.3), UTF-8 in the store, `/`
//! between levels, and `INBOX` in any case.

use base64::Engine;
use base64::alphabet::IMAP_MUTF7;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use imap_codec::imap_types::mailbox::Mailbox;

use crate::error::Refusal;

/// The hierarchy delimiter.
pub(crate) const DELIMITER: char = '/';

const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &IMAP_MUTF7,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes modified UTF-7; `None` if the text is not valid modified UTF-7.
pub(crate) fn decode_mutf7(wire: &str) -> Option<String> {
    let mut out = String::with_capacity(wire.len());
    let mut rest = wire;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after.find('-')?;
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let bytes = ENGINE.decode(encoded).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            let decoded = String::from_utf16(&units).ok()?;
            // Printable ASCII must not hide in a base64 run.
            if decoded.chars().any(|c| (' '..='~').contains(&c)) {
                return None;
            }
            out.push_str(&decoded);
        }
        rest = &after[end + 1..];
    }
    if rest.bytes().any(|b| !(0x20..0x7f).contains(&b)) {
        return None;
    }
    out.push_str(rest);
    Some(out)
}

/// Encodes a name in modified UTF-7.
pub(crate) fn encode_mutf7(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    let mut run: Vec<u16> = Vec::new();
    let flush = |run: &mut Vec<u16>, out: &mut String| {
        if !run.is_empty() {
            let bytes: Vec<u8> = run.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&ENGINE.encode(bytes));
            out.push('-');
            run.clear();
        }
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut run, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            run.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Puts `INBOX` in upper case when it is the first level of a name.
pub(crate) fn normalise(name: &str) -> String {
    let first = name.split(DELIMITER).next().unwrap_or("");
    if first.eq_ignore_ascii_case("INBOX") && first != "INBOX" {
        format!("INBOX{}", &name[first.len()..])
    } else {
        name.to_owned()
    }
}

fn check(name: &str) -> Result<(), Refusal> {
    let bad = name.is_empty()
        || name.starts_with(DELIMITER)
        || name.contains("//")
        || name.contains(['*', '%'])
        || name.chars().any(char::is_control)
        || name.len() > 512;
    if bad {
        return Err(Refusal::no("CANNOT", "Invalid mailbox name"));
    }
    Ok(())
}

/// The store's name for a mailbox named by a client.
pub(crate) fn from_wire(mailbox: &Mailbox<'_>) -> Result<String, Refusal> {
    let raw: &[u8] = match mailbox {
        Mailbox::Inbox => return Ok("INBOX".to_owned()),
        Mailbox::Other(other) => other.inner().as_ref(),
    };
    let text =
        std::str::from_utf8(raw).map_err(|_| Refusal::no("CANNOT", "Invalid mailbox name"))?;
    // 8-bit names are taken as UTF-8, as many clients send them.
    let decoded = if text.is_ascii() {
        decode_mutf7(text).ok_or_else(|| Refusal::no("CANNOT", "Invalid mailbox name"))?
    } else {
        text.to_owned()
    };
    let trimmed = decoded.strip_suffix(DELIMITER).unwrap_or(&decoded);
    check(trimmed)?;
    Ok(normalise(trimmed))
}

/// A store name as sent to a client; `None` for one no IMAP string can carry (a NUL),
/// which [`from_wire`] never lets in.
pub(crate) fn to_wire(name: &str) -> Option<Mailbox<'static>> {
    if name == "INBOX" {
        return Some(Mailbox::Inbox);
    }
    Mailbox::try_from(encode_mutf7(name)).ok()
}

/// Whether `name` matches a LIST pattern (`*` matches anything, `%` anything but `/`).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // row[j]: whether p[i..] matches n[j..], computed from the last pattern char backwards.
    let mut next = vec![false; n.len() + 1];
    next[n.len()] = true;
    for i in (0..p.len()).rev() {
        let mut row = vec![false; n.len() + 1];
        for j in (0..=n.len()).rev() {
            row[j] = match p[i] {
                '*' => next[j] || (j < n.len() && row[j + 1]),
                '%' => next[j] || (j < n.len() && n[j] != DELIMITER && row[j + 1]),
                c => j < n.len() && n[j] == c && next[j + 1],
            };
        }
        next = row;
    }
    next[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn modified_utf7_examples() {
        assert_eq!(encode_mutf7("Entwürfe"), "Entw&APw-rfe");
        assert_eq!(encode_mutf7("A&B"), "A&-B");
        assert_eq!(encode_mutf7("日本語"), "&ZeVnLIqe-");
        assert_eq!(
            decode_mutf7("~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(),
            Some("~peter/mail/台北/日本語")
        );
        assert_eq!(decode_mutf7("&-").as_deref(), Some("&"));
        assert_eq!(decode_mutf7("&Jjo"), None);
        assert_eq!(decode_mutf7("&AGE-"), None, "ASCII must not be encoded");
    }

    #[test]
    fn wildcards() {
        assert!(matches("*", "a/b/c"));
        assert!(matches("%", "a"));
        assert!(!matches("%", "a/b"));
        assert!(matches("a/%", "a/b"));
        assert!(!matches("a/%", "a/b/c"));
        assert!(matches("a/*", "a/b/c"));
        assert!(matches("*c", "a/b/c"));
        assert!(matches("%/%", "a/b"));
        assert!(!matches("Sent", "Sent/x"));
        assert!(matches("S%t", "Sent"));
        assert!(!matches("S%t", "S/t"));
        assert!(matches("*/%", "a/b/c"));
        assert!(matches("%/*", "a/b/c"));
        assert!(!matches("%/%", "a/b/c"));
    }

    #[test]
    fn inbox_is_case_insensitive() {
        assert_eq!(normalise("inbox"), "INBOX");
        assert_eq!(normalise("Inbox/Sub"), "INBOX/Sub");
        assert_eq!(normalise("Inboxes"), "Inboxes");
    }

    proptest! {
        #[test]
        fn mutf7_round_trips(name in "\\PC{1,20}") {
            let wire = encode_mutf7(&name);
            prop_assert!(wire.is_ascii());
            prop_assert_eq!(decode_mutf7(&wire), Some(name));
        }
    }
}
