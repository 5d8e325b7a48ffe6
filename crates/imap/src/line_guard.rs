//! The line-length and literal limits. imap-next bounds a whole command (line plus literals)
//! but not a line alone, so input passes through here first: a line longer than the limit
//! is cut, a NUL (which no command may contain outside a literal) makes the cut line
//! invalid, and the rest of the line is dropped. Literals, announced at the end of a line,
//! pass untouched when the literals of their command stay within the limit. A synchronising
//! literal over it is refused here, before imap-next could invite it: its line is made
//! invalid the same way and the session answers `NO [TOOBIG]`. A non-synchronising one over
//! it is read and dropped by imap-next, or, while the limit is the small one of a session
//! not signed in, ends the connection: nothing a stranger sends is held. Once signed in, a
//! literal must also fit in what is left of the address's shared budget.

use crate::literal_budget::AddressShare;

/// Follows the input's lines and literals.
pub(crate) struct LineGuard {
    max_line_bytes: usize,
    max_literal: u64,
    /// Whether a non-synchronising literal over the limit closes the connection.
    strict: bool,
    /// The signed-in address's part of the shared budget, held until the command is whole.
    share: Option<AddressShare>,
    /// Literal bytes of the current command so far.
    command_literals: u64,
    /// Everything else is dropped: the connection is closing.
    closed: bool,
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
    /// A synchronising literal over the limit was announced and refused.
    pub literal_refused: bool,
    /// A non-synchronising literal over the strict limit or the address's budget: the
    /// connection must close.
    pub close: bool,
    /// What was refused or closes the connection is within the session's limit but over
    /// the address's budget.
    pub over_budget: bool,
}

impl LineGuard {
    /// A guard whose literal limit is strict (a session not signed in) or not.
    pub fn new(max_line_bytes: u32, max_literal: u32, strict: bool) -> Self {
        LineGuard {
            max_line_bytes: max_line_bytes as usize,
            max_literal: u64::from(max_literal),
            strict,
            share: None,
            command_literals: 0,
            closed: false,
            line: 0,
            literal: 0,
            dropping: false,
            mid_command: false,
            tail: [0; 24],
        }
    }

    /// Sets the literal limit of a signed-in session and its address's share of the budget.
    pub fn relax(&mut self, max_literal: u32, share: AddressShare) {
        self.max_literal = u64::from(max_literal);
        self.strict = false;
        self.share = Some(share);
    }

    /// Whether `n` more literal bytes fit in the address's budget (taking them if so).
    fn take(&mut self, n: u64) -> bool {
        self.share.as_mut().is_none_or(|share| share.take(n))
    }

    /// The command is whole (or refused): its literals are no longer being received.
    fn end_command(&mut self) {
        self.mid_command = false;
        self.command_literals = 0;
        if let Some(share) = &mut self.share {
            share.release();
        }
    }

    /// Whether the input so far ended at the end of a command line (nothing half-read).
    pub fn at_boundary(&self) -> bool {
        self.line == 0 && self.literal == 0 && !self.dropping && !self.mid_command
    }

    /// Copies `input` to `out` as imap-next may see it.
    pub fn filter(&mut self, mut input: &[u8], out: &mut Vec<u8>) -> Seen {
        let mut seen = Seen::default();
        while !input.is_empty() && !self.closed {
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
            self.line += 1;
            self.tail.copy_within(1.., 0);
            self.tail[self.tail.len() - 1] = b;
            if b == b'\n' {
                self.end_line(out, &mut seen);
            } else if self.line > self.max_line_bytes {
                out.push(b);
                out.extend_from_slice(b"\0\r\n");
                self.dropping = true;
                seen.line_cut = true;
            } else {
                out.push(b);
            }
        }
        seen
    }

    /// Ends a line (its `\n` just read): a literal announced at its end is let through,
    /// dropped or refused.
    fn end_line(&mut self, out: &mut Vec<u8>, seen: &mut Seen) {
        let announced = self.announced();
        self.line = 0;
        let Some((n, non_sync)) = announced else {
            out.push(b'\n');
            self.end_command();
            return;
        };
        let total = self.command_literals.saturating_add(n);
        let within_limit = total <= self.max_literal;
        if within_limit && self.take(n) {
            out.push(b'\n');
            self.literal = n;
            self.command_literals = total;
            self.mid_command = true;
        } else if !non_sync {
            // Before imap-next can invite it: the line turns invalid (`{n}` must end with
            // CRLF) and the command ends here.
            out.extend_from_slice(b"\0\r\n");
            self.end_command();
            seen.literal_refused = true;
            seen.over_budget = within_limit;
        } else if self.strict || within_limit {
            // imap-next would hold a literal within its limit: no way to drop it but closing.
            self.closed = true;
            seen.close = true;
            seen.over_budget = within_limit;
        } else {
            // Its bytes come anyway; imap-next reads and drops them.
            out.push(b'\n');
            self.literal = n;
            self.mid_command = true;
            seen.literal_too_large = true;
        }
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
        Some((n, non_sync))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::literal_budget::LiteralBudget;
    use postern_domain::AddressId;

    fn run(guard: &mut LineGuard, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        let seen = guard.filter(input, &mut out);
        (out, seen.line_cut)
    }

    #[test]
    fn short_lines_and_literals_pass() {
        let mut g = LineGuard::new(32, 100, false);
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
        let mut g = LineGuard::new(8, 100, false);
        let (out, cut) = run(&mut g, b"a1 NOOP xxxxxxxxxxxxxxxxxx\r\na2 NOOP\r\n");
        assert!(cut);
        assert_eq!(out, b"a1 NOOP x\0\r\na2 NOOP\r\n");
        // Split across reads.
        let mut g = LineGuard::new(8, 100, false);
        assert!(run(&mut g, b"a1 NOOP xxx").1);
        assert_eq!(
            run(&mut g, b"xxxxx\r\nb NOOP\r\n"),
            (b"b NOOP\r\n".to_vec(), false)
        );
    }

    #[test]
    fn refused_literals_are_not_skipped() {
        let mut g = LineGuard::new(64, 10, false);
        let mut out = Vec::new();
        assert!(g.filter(b"a APPEND x {11}\r\n", &mut out).literal_refused);
        assert_eq!(out, b"a APPEND x {11}\r\0\r\n");
        assert!(g.at_boundary());
        let mut out = Vec::new();
        assert!(
            g.filter(b"a APPEND x {11+}\r\n", &mut out)
                .literal_too_large
        );
        assert!(!g.at_boundary());
    }

    #[test]
    fn literals_of_one_command_add_up() {
        let mut g = LineGuard::new(64, 10, false);
        let mut out = Vec::new();
        let seen = g.filter(b"a LOGIN {6}\r\nabcdef {6}\r\n", &mut out);
        assert!(seen.literal_refused);
        // A new command starts afresh.
        let seen = g.filter(b"b LOGIN {6}\r\nabcdef {4}\r\n", &mut out);
        assert_eq!(seen, Seen::default());
    }

    #[test]
    fn strict_guard_closes_on_a_large_non_synchronising_literal() {
        let mut g = LineGuard::new(64, 10, true);
        let mut out = Vec::new();
        let seen = g.filter(b"a LOGIN {40000000+}\r\nxxxxxxxx", &mut out);
        assert!(seen.close);
        assert_eq!(out, b"a LOGIN {40000000+}\r");
        out.clear();
        g.filter(b"more bytes\r\na NOOP\r\n", &mut out);
        assert!(out.is_empty());
        // Once signed in, the same literal is read and dropped instead.
        let mut g = LineGuard::new(64, 10, true);
        g.relax(10, LiteralBudget::new(100).share(AddressId(1)));
        assert!(
            g.filter(b"a APPEND x {11+}\r\n", &mut out)
                .literal_too_large
        );
    }

    #[test]
    fn literals_over_the_address_budget_are_refused_and_the_budget_comes_back() {
        let budget = LiteralBudget::new(10);
        let mut first = LineGuard::new(64, 8, true);
        first.relax(8, budget.share(AddressId(1)));
        let mut second = LineGuard::new(64, 8, true);
        second.relax(8, budget.share(AddressId(1)));
        let mut out = Vec::new();
        // The first session is receiving 6 bytes: 4 are left for the address.
        assert_eq!(
            first.filter(b"a APPEND x {6}\r\nab", &mut out),
            Seen::default()
        );
        let refused = second.filter(b"b APPEND x {5}\r\n", &mut out);
        assert!(refused.literal_refused && refused.over_budget);
        // Once the first command is whole, the budget is back.
        first.filter(b"cdef\r\n", &mut out);
        assert_eq!(
            second.filter(b"d APPEND x {8}\r\n", &mut out),
            Seen::default()
        );
        // A non-synchronising literal over the budget closes the connection.
        let mut third = LineGuard::new(64, 8, true);
        third.relax(8, budget.share(AddressId(1)));
        let closed = third.filter(b"e APPEND x {5+}\r\nxxxxx\r\n", &mut out);
        assert!(closed.close && closed.over_budget);
    }
}
