//! LIST with RFC 5258 (LIST-EXTENDED) syntax: selection options, several patterns and
//! return options. imap-codec does not parse it, so the line it refused is read here (no
//! I/O: the bytes are given) and answered like LIST, instead of `BAD`. Understood:
//! selection `SUBSCRIBED` and `REMOTE`; return `SUBSCRIBED`, `CHILDREN` and `SPECIAL-USE`
//! (the last two are always given). Not announced as a capability: `RECURSIVEMATCH` and
//! `CHILDINFO` are not supported.

use imap_codec::imap_types::core::Tag;

/// A LIST command in the extended syntax.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ExtendedList {
    pub tag: Tag<'static>,
    pub reference: Vec<u8>,
    pub patterns: Vec<Vec<u8>>,
    /// Only subscribed mailboxes (selection option `SUBSCRIBED`).
    pub subscribed_only: bool,
    /// Mark subscribed mailboxes `\Subscribed` (return option, implied by the selection).
    pub mark_subscribed: bool,
}

/// What a refused line turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    List(ExtendedList),
    /// A LIST-EXTENDED command with an option Postern does not know: `BAD` with this text.
    Unsupported(Tag<'static>, &'static str),
}

struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn eat(&mut self, bytes: &[u8]) -> Option<()> {
        let n = bytes.len();
        if self.rest.len() >= n && self.rest[..n].eq_ignore_ascii_case(bytes) {
            self.rest = &self.rest[n..];
            Some(())
        } else {
            None
        }
    }

    fn peek(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// An atom of list-chars (`%`, `*` and `]` allowed), a quoted string or a literal.
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.peek()? {
            b'"' => {
                let mut out = Vec::new();
                let mut i = 1;
                loop {
                    match *self.rest.get(i)? {
                        b'"' => break,
                        b'\\' => {
                            out.push(*self.rest.get(i + 1)?);
                            i += 2;
                        }
                        b'\r' | b'\n' => return None,
                        b => {
                            out.push(b);
                            i += 1;
                        }
                    }
                }
                self.rest = &self.rest[i + 1..];
                Some(out)
            }
            b'{' => {
                let close = self.rest.iter().position(|b| *b == b'}')?;
                let digits = self.rest[1..close]
                    .strip_suffix(b"+")
                    .unwrap_or(&self.rest[1..close]);
                let n: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
                let after = &self.rest[close + 1..];
                let after = after
                    .strip_prefix(b"\r\n")
                    .or_else(|| after.strip_prefix(b"\n"))?;
                let out = after.get(..n)?.to_vec();
                self.rest = &after[n..];
                Some(out)
            }
            _ => {
                let end = self
                    .rest
                    .iter()
                    .position(|b| {
                        matches!(b, b' ' | b'(' | b')' | b'{' | b'"' | b'\\') || *b < 0x20
                    })
                    .unwrap_or(self.rest.len());
                (end > 0).then(|| {
                    let out = self.rest[..end].to_vec();
                    self.rest = &self.rest[end..];
                    out
                })
            }
        }
    }

    /// `(opt opt …)`: option names in upper case; an option's value (a parenthesised list)
    /// is skipped.
    fn options(&mut self) -> Option<Vec<String>> {
        self.eat(b"(")?;
        let mut out = Vec::new();
        loop {
            match self.peek()? {
                b')' => {
                    self.rest = &self.rest[1..];
                    return Some(out);
                }
                b' ' => self.rest = &self.rest[1..],
                b'(' => {
                    self.options()?;
                }
                _ => out.push(String::from_utf8(self.string()?).ok()?.to_ascii_uppercase()),
            }
        }
    }
}

/// Reads a refused line as a LIST-EXTENDED command; `None` if it is not one.
pub(crate) fn parse(line: &[u8]) -> Option<Parsed> {
    let mut c = Cursor { rest: line };
    let sp = c.rest.iter().position(|b| *b == b' ')?;
    let tag = Tag::try_from(c.rest[..sp].to_vec()).ok()?;
    c.rest = &c.rest[sp + 1..];
    c.eat(b"LIST ")?;
    let mut select = Vec::new();
    if c.peek()? == b'(' {
        select = c.options()?;
        c.eat(b" ")?;
    }
    let reference = c.string()?;
    c.eat(b" ")?;
    let patterns = if c.peek()? == b'(' {
        c.eat(b"(")?;
        let mut patterns = vec![c.string()?];
        while c.eat(b" ").is_some() {
            patterns.push(c.string()?);
        }
        c.eat(b")")?;
        patterns
    } else {
        vec![c.string()?]
    };
    let mut returns = Vec::new();
    if c.eat(b" RETURN ").is_some() {
        returns = c.options()?;
    }
    let end = c.rest;
    if !(end == b"\r\n" || end == b"\n") {
        return None;
    }
    for option in &select {
        if !matches!(option.as_str(), "SUBSCRIBED" | "REMOTE") {
            return Some(Parsed::Unsupported(
                tag,
                "Unsupported LIST selection option",
            ));
        }
    }
    let subscribed_only = select.iter().any(|o| o == "SUBSCRIBED");
    Some(Parsed::List(ExtendedList {
        tag,
        reference,
        patterns,
        subscribed_only,
        mark_subscribed: subscribed_only || returns.iter().any(|o| o == "SUBSCRIBED"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(line: &str) -> ExtendedList {
        match parse(line.as_bytes()) {
            Some(Parsed::List(l)) => l,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn extended_forms() {
        let l = list("a LIST (SUBSCRIBED) \"\" *\r\n");
        assert!(l.subscribed_only && l.mark_subscribed);
        assert_eq!(l.patterns, vec![b"*".to_vec()]);
        let l = list("a list \"\" (INBOX \"Sent\" {3}\r\nA/%) RETURN (CHILDREN SUBSCRIBED)\r\n");
        assert!(!l.subscribed_only && l.mark_subscribed);
        assert_eq!(
            l.patterns,
            vec![b"INBOX".to_vec(), b"Sent".to_vec(), b"A/%".to_vec()]
        );
        let l = list("a LIST () \"\" % RETURN (STATUS (MESSAGES))\n");
        assert_eq!(l.reference, b"");
        assert!(matches!(
            parse(b"a LIST (RECURSIVEMATCH) \"\" *\r\n"),
            Some(Parsed::Unsupported(..))
        ));
        assert_eq!(parse(b"a LIST \"\" * garbage\r\n"), None);
        assert_eq!(parse(b"a LSUB (x) \"\" *\r\n"), None);
    }
}
