//! Splitting a byte stream into command lines with a length limit, free of I/O: bytes go in
//! as they arrive, whole lines come out, and an overlong line is reported once and skipped.

/// What [`LineBuffer::push`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A whole line, without its CRLF (or bare LF).
    Complete(Vec<u8>),
    /// A line longer than the limit; the rest of it, up to its end, is dropped.
    TooLong,
}

/// Collects one command line at a time.
#[derive(Debug)]
pub struct LineBuffer {
    buf: Vec<u8>,
    max_line_bytes: usize,
    skipping: bool,
}

impl LineBuffer {
    /// A buffer for lines of at most `max_line_bytes` bytes (without the line end).
    pub fn new(max_line_bytes: usize) -> Self {
        LineBuffer {
            buf: Vec::new(),
            max_line_bytes,
            skipping: false,
        }
    }

    /// Whether part of a line is waiting for its end.
    pub fn is_partial(&self) -> bool {
        !self.buf.is_empty() || self.skipping
    }

    /// Takes bytes from the front of `input` up to the end of the next line. Returns `None`
    /// when `input` ran out first (the part read so far is kept).
    pub fn push(&mut self, input: &mut &[u8]) -> Option<Line> {
        loop {
            if input.is_empty() {
                return None;
            }
            let newline = input.iter().position(|&b| b == b'\n');
            if self.skipping {
                match newline {
                    Some(pos) => {
                        *input = &input[pos + 1..];
                        self.skipping = false;
                        continue;
                    }
                    None => {
                        *input = &[];
                        return None;
                    }
                }
            }
            return match newline {
                Some(pos) => {
                    let (line, rest) = input.split_at(pos);
                    *input = &rest[1..];
                    let mut whole = std::mem::take(&mut self.buf);
                    whole.extend_from_slice(line);
                    if whole.last() == Some(&b'\r') {
                        whole.pop();
                    }
                    if whole.len() > self.max_line_bytes {
                        Some(Line::TooLong)
                    } else {
                        Some(Line::Complete(whole))
                    }
                }
                None => {
                    // One byte of slack for a CR that may precede the LF of the next read.
                    if self.buf.len() + input.len() > self.max_line_bytes + 1 {
                        self.buf.clear();
                        self.skipping = true;
                        *input = &[];
                        Some(Line::TooLong)
                    } else {
                        self.buf.extend_from_slice(input);
                        *input = &[];
                        None
                    }
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(buf: &mut LineBuffer, chunks: &[&[u8]]) -> Vec<Line> {
        let mut out = Vec::new();
        for chunk in chunks {
            let mut input = *chunk;
            while let Some(line) = buf.push(&mut input) {
                out.push(line);
            }
            assert!(input.is_empty());
        }
        out
    }

    #[test]
    fn lines_split_across_reads_and_pipelined() {
        let mut b = LineBuffer::new(10);
        let lines = all(&mut b, &[b"NO", b"OP\r\nQUIT\nRS", b"ET\r", b"\n"]);
        assert_eq!(
            lines,
            vec![
                Line::Complete(b"NOOP".to_vec()),
                Line::Complete(b"QUIT".to_vec()),
                Line::Complete(b"RSET".to_vec()),
            ]
        );
        assert!(!b.is_partial());
    }

    #[test]
    fn an_overlong_line_is_reported_once_and_skipped() {
        let mut b = LineBuffer::new(4);
        let lines = all(&mut b, &[b"abcdefgh", b"ijk", b"l\r\nok\r\n"]);
        assert_eq!(lines, vec![Line::TooLong, Line::Complete(b"ok".to_vec())]);
        let lines = all(&mut b, &[b"abcdefgh\r\nfine\r\n"]);
        assert_eq!(lines, vec![Line::TooLong, Line::Complete(b"fine".to_vec())]);
        // Exactly the limit passes, with its CR arriving apart from its LF.
        let lines = all(&mut b, &[b"abcd\r", b"\n"]);
        assert_eq!(lines, vec![Line::Complete(b"abcd".to_vec())]);
    }
}
