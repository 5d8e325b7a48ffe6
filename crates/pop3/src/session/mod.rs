//! The POP3 session as a state machine free of I/O. Lines go in through [`Session::feed`];
//! replies collect in an output buffer; a sign-in, a message fetch, the final deletion and
//! TLS come out as an [`Event`] that the connection handler answers before feeding on.

mod auth;
mod capa;
mod listing;
mod retr;
#[cfg(test)]
mod tests;
mod update;

use std::time::Duration;

use postern_net::{Line, LineBuffer};
use zeroize::Zeroizing;

use crate::command::{self, Command, ParseError};

pub use auth::AuthOutcome;
/// The trait of the session's I/O: [`Session::feed`], [`Session::greeting`] and the like.
pub use postern_net::LineSession;

/// Limits and names of a POP3 listener.
#[derive(Clone, Debug)]
pub struct Settings {
    pub hostname: String,
    /// Longest command line, in bytes.
    pub max_line_bytes: usize,
    /// Refused commands before the connection is closed.
    pub max_errors: u32,
    /// Failed sign-ins before the connection is closed.
    pub max_auth_failures: u32,
    /// Closes a connection that sends nothing for this long, or that takes longer to send
    /// one command line.
    pub idle_timeout: Duration,
    /// Closes a connection that has not signed in this long after connecting.
    pub login_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            hostname: "localhost".into(),
            max_line_bytes: 1024,
            max_errors: 20,
            max_auth_failures: 3,
            idle_timeout: Duration::from_secs(600),
            login_timeout: Duration::from_secs(60),
        }
    }
}

/// One message of the maildrop, as it was at sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub uid: u32,
    pub size: u64,
}

/// The INBOX at sign-in: POP3 numbers its messages 1, 2, … in this order for the session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Maildrop {
    pub uidvalidity: u32,
    pub messages: Vec<Entry>,
}

/// What the session asks of the store; [`Event::Request`] brings it out of [`Session::feed`].
#[derive(Debug)]
pub enum Request {
    /// Check a device password, load the INBOX, then call [`Session::authenticated`].
    Authenticate {
        login: String,
        password: Zeroizing<String>,
    },
    /// Read a message's content, then call [`Session::fetched`].
    Fetch { uid: u32 },
    /// QUIT: remove these messages for good, then call [`Session::updated`].
    Update { deleted: Vec<u32> },
}

/// What the session needs from the connection loop.
pub type Event = postern_net::Event<Request>;

enum State {
    Authorization {
        user: Option<String>,
    },
    /// Waiting for the client's response to `AUTH PLAIN`.
    AuthPlain,
    Transaction,
    Closed,
}

#[derive(Debug, PartialEq, Eq)]
enum Waiting {
    Auth,
    Fetch { top: Option<u32> },
    Update,
}

/// One POP3 conversation (until QUIT or STLS).
pub struct Session {
    settings: Settings,
    tls: bool,
    can_start_tls: bool,
    /// Whether passwords may be sent here: over TLS, or on loopback.
    auth_allowed: bool,
    state: State,
    line: LineBuffer,
    maildrop: Maildrop,
    deleted: Vec<bool>,
    waiting: Option<Waiting>,
    errors: u32,
    auth_failures: u32,
    out: Vec<u8>,
}

impl Session {
    /// A new session; `loopback`: the client is on this machine.
    pub fn new(settings: Settings, tls: bool, can_start_tls: bool, loopback: bool) -> Self {
        let line = LineBuffer::new(settings.max_line_bytes);
        Session {
            settings,
            tls,
            can_start_tls: can_start_tls && !tls,
            auth_allowed: tls || loopback,
            state: State::Authorization { user: None },
            line,
            maildrop: Maildrop::default(),
            deleted: Vec::new(),
            waiting: None,
            errors: 0,
            auth_failures: 0,
            out: Vec::new(),
        }
    }

    fn command(&mut self, line: &[u8]) -> Option<Event> {
        let command = match command::parse(line) {
            Ok(c) => c,
            Err(ParseError::Unknown) => return self.err("Unknown command"),
            Err(ParseError::Syntax(usage)) => return self.err(&format!("Syntax: {usage}")),
        };
        let in_transaction = matches!(self.state, State::Transaction);
        match (command, in_transaction) {
            (Command::Capa, _) => self.capa(),
            (Command::Noop, true) => self.ok("OK"),
            (Command::Quit, false) => self.close_ok("Bye"),
            (Command::Quit, true) => self.quit(),
            (Command::Stls, false) => self.stls(),
            (Command::User(name), false) => self.user(name),
            (Command::Pass(pass), false) => self.pass(pass),
            (Command::Auth(mechanism), false) => self.auth(mechanism),
            (Command::Stat, true) => self.stat(),
            (Command::List(n), true) => self.list(n),
            (Command::Uidl(n), true) => self.uidl(n),
            (Command::Retr(n), true) => self.retr(n, None),
            (Command::Top(n, lines), true) => self.retr(n, Some(lines)),
            (Command::Dele(n), true) => self.dele(n),
            (Command::Rset, true) => self.rset(),
            _ => self.err("Command not valid in this state"),
        }
    }

    fn ok(&mut self, text: &str) -> Option<Event> {
        self.out
            .extend_from_slice(format!("+OK {text}\r\n").as_bytes());
        None
    }

    /// A refusal; too many of them end the connection.
    fn err(&mut self, text: &str) -> Option<Event> {
        self.out
            .extend_from_slice(format!("-ERR {text}\r\n").as_bytes());
        self.errors += 1;
        if self.errors >= self.settings.max_errors {
            return self.close_err("Too many errors; closing the connection");
        }
        None
    }

    fn close_ok(&mut self, text: &str) -> Option<Event> {
        self.out
            .extend_from_slice(format!("+OK {text}\r\n").as_bytes());
        self.state = State::Closed;
        Some(Event::Close)
    }

    fn close_err(&mut self, text: &str) -> Option<Event> {
        self.out
            .extend_from_slice(format!("-ERR {text}\r\n").as_bytes());
        self.state = State::Closed;
        Some(Event::Close)
    }

    /// The index of a live message by its POP3 number.
    fn message(&self, number: u32) -> Option<usize> {
        let i = usize::try_from(number).ok()?.checked_sub(1)?;
        (i < self.maildrop.messages.len() && !self.deleted[i]).then_some(i)
    }

    fn no_such_message(&mut self, number: u32) -> Option<Event> {
        let text = match usize::try_from(number).ok().and_then(|n| n.checked_sub(1)) {
            Some(i) if self.deleted.get(i) == Some(&true) => {
                format!("Message {number} is already deleted")
            }
            _ => format!("No message {number}"),
        };
        self.err(&text)
    }
}

impl LineSession for Session {
    type Request = Request;

    const REVOKED: &'static [u8] =
        b"-ERR [AUTH] This device was disconnected; closing the connection\r\n";
    const TIMEOUT: &'static [u8] = b"-ERR Idle for too long; closing the connection\r\n";
    const SHUTDOWN: &'static [u8] = b"-ERR [SYS/TEMP] The server is shutting down\r\n";

    fn greeting(&self) -> Vec<u8> {
        format!("+OK {} Postern POP3 ready\r\n", self.settings.hostname).into_bytes()
    }

    fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    fn step(&mut self, input: &mut &[u8]) -> Option<Event> {
        let line = match self.line.push(input)? {
            Line::TooLong => {
                if matches!(self.state, State::AuthPlain) {
                    self.state = State::Authorization { user: None };
                }
                // Too many errors close the session, which the next feed reports.
                self.err("Line too long");
                return None;
            }
            Line::Complete(line) => line,
        };
        if matches!(self.state, State::AuthPlain) {
            self.state = State::Authorization { user: None };
            return self.auth_plain_response(&line);
        }
        self.command(&line)
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}
