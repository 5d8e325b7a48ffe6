//! POP3 commands, parsed from one line: a keyword and up to two arguments.

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Capa,
    Stls,
    User(String),
    /// The password: the rest of the line, spaces included.
    Pass(String),
    /// `AUTH` alone lists mechanisms; otherwise a mechanism and an optional initial response.
    Auth(Option<(String, Option<String>)>),
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Retr(u32),
    Top(u32, u32),
    Dele(u32),
    Rset,
    Noop,
    Quit,
}

/// Why a line is not a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    Unknown,
    /// A known command with missing or malformed arguments; the text says how to use it.
    Syntax(&'static str),
}

/// Parses one line (without its line end).
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let text = String::from_utf8_lossy(line);
    let (keyword, rest) = match text.split_once(' ') {
        Some((k, r)) => (k, Some(r)),
        None => (text.as_ref(), None),
    };
    let args: Vec<&str> = rest.map(|r| r.split(' ').collect()).unwrap_or_default();
    let keyword = keyword.to_ascii_uppercase();
    let none = |c: Command| {
        if args.is_empty() {
            Ok(c)
        } else {
            Err(ParseError::Syntax("takes no argument"))
        }
    };
    let number = |i: usize, usage: &'static str| -> Result<u32, ParseError> {
        args.get(i)
            .filter(|a| !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|a| a.parse().ok())
            .ok_or(ParseError::Syntax(usage))
    };
    let optional = |usage: &'static str| -> Result<Option<u32>, ParseError> {
        match args.len() {
            0 => Ok(None),
            1 => number(0, usage).map(Some),
            _ => Err(ParseError::Syntax(usage)),
        }
    };
    match keyword.as_str() {
        "CAPA" => none(Command::Capa),
        "STLS" => none(Command::Stls),
        "STAT" => none(Command::Stat),
        "RSET" => none(Command::Rset),
        "NOOP" => none(Command::Noop),
        "QUIT" => none(Command::Quit),
        "USER" => match args.as_slice() {
            [name] if !name.is_empty() => Ok(Command::User((*name).to_owned())),
            _ => Err(ParseError::Syntax("USER name")),
        },
        "PASS" => match rest {
            Some(p) if !p.is_empty() => Ok(Command::Pass(p.to_owned())),
            _ => Err(ParseError::Syntax("PASS password")),
        },
        "AUTH" => match args.as_slice() {
            [] => Ok(Command::Auth(None)),
            [m] if !m.is_empty() => Ok(Command::Auth(Some((m.to_ascii_uppercase(), None)))),
            [m, ir] if !m.is_empty() && !ir.is_empty() => Ok(Command::Auth(Some((
                m.to_ascii_uppercase(),
                Some((*ir).to_owned()),
            )))),
            _ => Err(ParseError::Syntax("AUTH mechanism [initial-response]")),
        },
        "LIST" => optional("LIST [message]").map(Command::List),
        "UIDL" => optional("UIDL [message]").map(Command::Uidl),
        "RETR" if args.len() == 1 => number(0, "RETR message").map(Command::Retr),
        "RETR" => Err(ParseError::Syntax("RETR message")),
        "DELE" if args.len() == 1 => number(0, "DELE message").map(Command::Dele),
        "DELE" => Err(ParseError::Syntax("DELE message")),
        "TOP" if args.len() == 2 => Ok(Command::Top(
            number(0, "TOP message lines")?,
            number(1, "TOP message lines")?,
        )),
        "TOP" => Err(ParseError::Syntax("TOP message lines")),
        _ => Err(ParseError::Unknown),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_and_arguments() {
        assert_eq!(parse(b"capa"), Ok(Command::Capa));
        assert_eq!(
            parse(b"USER me@example.org"),
            Ok(Command::User("me@example.org".into()))
        );
        assert_eq!(parse(b"PASS a b  c"), Ok(Command::Pass("a b  c".into())));
        assert_eq!(parse(b"LIST"), Ok(Command::List(None)));
        assert_eq!(parse(b"list 3"), Ok(Command::List(Some(3))));
        assert_eq!(parse(b"TOP 1 0"), Ok(Command::Top(1, 0)));
        assert_eq!(parse(b"AUTH"), Ok(Command::Auth(None)));
        assert_eq!(
            parse(b"AUTH plain AGE="),
            Ok(Command::Auth(Some(("PLAIN".into(), Some("AGE=".into())))))
        );
        assert_eq!(parse(b"RETR x"), Err(ParseError::Syntax("RETR message")));
        assert_eq!(parse(b"RETR -1"), Err(ParseError::Syntax("RETR message")));
        assert_eq!(
            parse(b"RETR 99999999999"),
            Err(ParseError::Syntax("RETR message"))
        );
        assert_eq!(
            parse(b"LIST 1 2"),
            Err(ParseError::Syntax("LIST [message]"))
        );
        assert_eq!(
            parse(b"STAT now"),
            Err(ParseError::Syntax("takes no argument"))
        );
        assert_eq!(parse(b"PASS"), Err(ParseError::Syntax("PASS password")));
        assert_eq!(parse(b"XYZZY"), Err(ParseError::Unknown));
        assert_eq!(parse(b""), Err(ParseError::Unknown));
    }
}
