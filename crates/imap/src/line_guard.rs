//! The line-length limit. imap-next bounds a whole command (line plus literals) but not a
//! line alone, so input passes through here first: a line longer than the limit is cut, a
//! NUL (which no command may contain outside a literal) makes the cut line invalid, and the
//! rest of the line is dropped. Literals, announced at the end of a line, pass untouched.

/// Follows the input's lines and literals.
pub(crate) struct LineGuard {
    max_line: usize,
    max_literal: u64,
    /// Bytes of the current line so far.
    line: usize,
    /// Literal bytes still to come.
    literal: u64,
    /// Dropping the rest of an over-long line.
    dropping: bool,
    /// Inside a command that goes on after a literal.
    mid_command: bool,
    /// The last bytes of the current line, to spot a literal announcement.
    tail: [u8; 24],
}

/// What the guard saw in a piece of input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    /// A line was cut.
    pub line_cut: bool,
    /// A non-synchronising literal over the limit was announced (it is read and dropped).
    pub literal_too_large: bool,
}

impl LineGuard {
    pub fn new(max_line: u32, max_literal: u32) -> Self {
        LineGuard {
            max_line: max_line as usize,
            max_literal: u64::from(max_literal),
            line: 0,
            literal: 0,
            dropping: false,
            mid_command: false,
            tail: [0; 24],
        }
    }

    /// Whether the input so far ended at the end of a command line (nothing half-read).
    pub fn at_boundary(&self) -> bool {
        self.line == 0 && self.literal == 0 && !self.dropping && !self.mid_command
    }

    /// Copies `input` to `out` as imap-next may see it.
    pub fn filter(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Seen {
        let mut seen = Seen::default();
        while !input.is_empty() {
            if self.literal > 0 {
                let n = usize::try_from(self.literal)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                out.extend_from_slice(&input[..n]);
                self.literal -= n as u64;
                input = &input[n..];
                continue;
            }
            if self.dropping {
                match input.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        self.dropping = false;
                        self.line = 0;
                        input = &input[i + 1..];
                    }
                    None => input = &[],
                }
                continue;
            }
            let b = input[0];
            input = &input[1..];
            out.push(b);
            self.line += 1;
            self.tail.copy_within(1.., 0);
            self.tail[self.tail.len() - 1] = b;
            if b == b'\n' {
                self.mid_command = false;
                if let Some((n, non_sync)) = self.announced() {
                    if n <= self.max_literal {
                        self.literal = n;
                        self.mid_command = true;
                    } else if non_sync {
                        // Its bytes come anyway; imap-next reads and drops them.
                        self.literal = n;
                        self.mid_command = true;
                        seen.literal_too_large = true;
                    }
                }
                self.line = 0;
            } else if self.line > self.max_line {
                out.extend_from_slice(b"\0\r\n");
                self.dropping = true;
                seen.line_cut = true;
            }
        }
        seen
    }

    /// The literal announced at the end of the line just ended (`{n}` or `{n+}`): its size
    /// and whether it is non-synchronising.
    fn announced(&self) -> Option<(u64, bool)> {
        let line = &self.tail[self.tail.len() - self.line.min(self.tail.len())..];
        let line = line.strip_suffix(b"\n")?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_suffix(b"}")?;
        let (line, non_sync) = match line.strip_suffix(b"+") {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let open = line.iter().rposition(|b| *b == b'{')?;
        let digits = &line[open + 1..];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
        // A synchronising literal over the limit is refused, so its bytes never come.
        Some((n, non_sync))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(guard: &mut LineGuard, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let seen = guard.filter(input, &mut out);
        (out, seen.line_cut)
    }

    #[test]
    fn short_lines_and_literals_pass() {
        let mut g = LineGuard::new(32, 100);
        let input = b"a1 NOOP\r\na2 APPEND x {20}\r\n01234567890123456789 more\r\n";
        assert_eq!(run(&mut g, input), (input.to_vec(), false));
        assert!(g.at_boundary());
        // Right after a literal the command is not over yet.
        run(&mut g, b"a3 LOGIN {3}\r\nbob");
        assert!(!g.at_boundary());
        run(&mut g, b" pw\r\n");
        assert!(g.at_boundary());
    }

    #[test]
    fn long_lines_are_cut_once() {
        let mut g = LineGuard::new(8, 100);
        let (out, cut) = run(&mut g, b"a1 NOOP xxxxxxxxxxxxxxxxxx\r\na2 NOOP\r\n");
        assert!(cut);
        assert_eq!(out, b"a1 NOOP x\0\r\na2 NOOP\r\n");
        // Split across reads.
        let mut g = LineGuard::new(8, 100);
        assert!(run(&mut g, b"a1 NOOP xxx").1);
        assert_eq!(
            run(&mut g, b"xxxxx\r\nb NOOP\r\n"),
            (b"b NOOP\r\n".to_vec(), false)
        );
    }

    #[test]
    fn refused_literals_are_not_skipped() {
        let mut g = LineGuard::new(64, 10);
        run(&mut g, b"a APPEND x {11}\r\n");
        assert!(g.at_boundary());
        let mut out = Vec::new();
        assert!(
            g.filter(b"a APPEND x {11+}\r\n", &mut out)
                .literal_too_large
        );
        assert!(!g.at_boundary());
    }
}
