//! RETR and TOP: a message (or its headers and first lines), dot-stuffed, ending in ".".

use super::{Event, Request, Session, Waiting};

impl Session {
    pub(super) fn retr(&mut self, number: u32, top: Option<u32>) -> Option<Event> {
        let Some(i) = self.message(number) else {
            return self.no_such_message(number);
        };
        self.waiting = Some(Waiting::Fetch { top });
        Some(Event::Request(Request::Fetch {
            uid: self.maildrop.messages[i].uid,
        }))
    }

    /// The answer to [`Request::Fetch`]: the content, or `None` if it is gone meanwhile.
    pub fn fetched(&mut self, content: Option<&[u8]>) {
        let Some(Waiting::Fetch { top }) = self.waiting.take() else {
            return;
        };
        let Some(content) = content else {
            self.err("[SYS/TEMP] The message was removed by another session");
            return;
        };
        let size = content.len();
        self.out.reserve(size + size / 32 + 64);
        self.out
            .extend_from_slice(format!("+OK {size} octets\r\n").as_bytes());
        write_stuffed(&mut self.out, content, top);
        self.out.extend_from_slice(b".\r\n");
    }
}

/// Appends `content` with CRLF line ends and leading dots doubled; with `top`, only the
/// header section, the empty line, and that many body lines.
pub(crate) fn write_stuffed(out: &mut Vec<u8>, content: &[u8], top: Option<u32>) {
    let mut in_body = false;
    let mut body_lines = 0u32;
    for line in content.split_inclusive(|&b| b == b'\n') {
        if in_body && let Some(limit) = top {
            if body_lines >= limit {
                break;
            }
            body_lines += 1;
        }
        let bare = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        if bare.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(bare);
        out.extend_from_slice(b"\r\n");
        if !in_body && bare.is_empty() {
            in_body = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::write_stuffed;

    fn stuffed(content: &[u8], top: Option<u32>) -> String {
        let mut out = Vec::new();
        write_stuffed(&mut out, content, top);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn dots_line_ends_and_top() {
        let m = b"Subject: x\r\nFrom: a\n\r\n.one\r\ntwo\r\n.\r\nthree";
        assert_eq!(
            stuffed(m, None),
            "Subject: x\r\nFrom: a\r\n\r\n..one\r\ntwo\r\n..\r\nthree\r\n"
        );
        assert_eq!(stuffed(m, Some(0)), "Subject: x\r\nFrom: a\r\n\r\n");
        assert_eq!(
            stuffed(m, Some(2)),
            "Subject: x\r\nFrom: a\r\n\r\n..one\r\ntwo\r\n"
        );
        assert_eq!(stuffed(b"", None), "");
    }
}
