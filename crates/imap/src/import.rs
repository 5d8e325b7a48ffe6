//! Reading messages for an import: one message (`.eml`) or an mbox of many.

use mail_parser::MessageParser;
use time::OffsetDateTime;

/// The messages of a file: an mbox (starting with a `From ` line) is split into its
/// messages (`>From ` quoting undone); anything else is one message. Line ends become CRLF.
pub fn messages_of(bytes: &[u8]) -> Vec<Vec<u8>> {
    if !bytes.starts_with(b"From ") {
        let one = crlf(bytes);
        return if one.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            vec![one]
        };
    }
    let mut messages = Vec::new();
    let mut current: Option<Vec<u8>> = None;
    let mut previous_blank = true;
    for line in bytes.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b"From ") && previous_blank {
            messages.extend(current.take());
            current = Some(Vec::new());
            previous_blank = false;
            continue;
        }
        previous_blank = line == b"\n" || line == b"\r\n";
        let Some(message) = current.as_mut() else {
            continue;
        };
        // mboxrd: one '>' less before "From ".
        let unquoted = match line.iter().position(|b| *b != b'>') {
            Some(i) if i > 0 && line[i..].starts_with(b"From ") => &line[1..],
            _ => line,
        };
        message.extend_from_slice(unquoted);
    }
    messages.extend(current);
    messages
        .into_iter()
        .map(|mut m| {
            // The blank line before the next "From " belongs to the mbox, not the message.
            if m.ends_with(b"\n\n") || m.ends_with(b"\r\n\r\n") {
                let cut = if m.ends_with(b"\r\n") { 2 } else { 1 };
                m.truncate(m.len() - cut);
            }
            crlf(&m)
        })
        .filter(|m| !m.iter().all(u8::is_ascii_whitespace))
        .collect()
}

/// Bare LF line ends as CRLF, as IMAP expects.
fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut previous = 0u8;
    for &b in bytes {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}

/// The time a message was sent (its Date header), for the internal date of an import.
pub fn sent_at(message: &[u8]) -> Option<OffsetDateTime> {
    // The header alone: the body may nest too deep to be worth parsing here.
    let parsed = MessageParser::default().parse_headers(message)?;
    let date = parsed.date()?;
    OffsetDateTime::from_unix_timestamp(date.to_timestamp()).ok()
}

/// Whether an mbox `Status:` header marks the message as read.
pub fn marked_read(message: &[u8]) -> bool {
    let header_end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(message.len());
    message[..header_end].split(|b| *b == b'\n').any(|line| {
        let line = line.trim_ascii();
        line.len() > 7 && line[..7].eq_ignore_ascii_case(b"status:") && line[7..].contains(&b'R')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_message_gets_crlf() {
        let m = messages_of(b"Subject: a\n\nbody\n");
        assert_eq!(m, vec![b"Subject: a\r\n\r\nbody\r\n".to_vec()]);
        assert!(messages_of(b"\n\n").is_empty());
    }

    #[test]
    fn mbox_is_split_and_unquoted() {
        let mbox = b"From a@b Mon Jan  1 00:00:00 2024\nSubject: one\nStatus: RO\n\nhi\n>From here\n\nFrom c@d Tue Jan  2 00:00:00 2024\nSubject: two\n\nthere\nFrom inside a line\n";
        let m = messages_of(mbox);
        assert_eq!(m.len(), 2);
        assert_eq!(
            m[0],
            b"Subject: one\r\nStatus: RO\r\n\r\nhi\r\nFrom here\r\n".to_vec()
        );
        assert_eq!(
            m[1],
            b"Subject: two\r\n\r\nthere\r\nFrom inside a line\r\n".to_vec()
        );
        assert!(marked_read(&m[0]));
        assert!(!marked_read(&m[1]));
    }

    #[test]
    fn sent_date() {
        let t = sent_at(b"Date: Mon, 1 Jan 2024 10:00:00 +0200\r\n\r\nx").unwrap();
        assert_eq!(t.unix_timestamp(), 1_704_096_000);
    }
}
