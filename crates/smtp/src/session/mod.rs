//! The SMTP submission and LMTP session as a state machine free of I/O. Bytes go in through
//! [`Session::feed`]; replies collect in an output buffer; whatever needs the store or the
//! network (a sign-in, a recipient look-up, a delivery, TLS) comes out as an [`Event`] that
//! the connection handler answers before feeding on.

mod auth;
mod data;
mod hello;
mod mail;
mod other;
mod rcpt;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use postern_domain::Email;
use postern_net::{Line, LineBuffer};
use smtp_proto::request::receiver::{DataReceiver, DummyDataReceiver};
use smtp_proto::{Error as ParseError, Request as Command};
use zeroize::Zeroizing;

use crate::reply;
use crate::settings::{Mode, Settings};

pub use auth::AuthOutcome;
pub use data::DeliveryOutcome;
/// The trait of the session's I/O: [`Session::feed`], [`Session::greeting`] and the like.
pub use postern_net::LineSession;
pub use rcpt::Verdict;

/// What the session asks of the store or the network; [`Event::Request`] brings it out of
/// [`Session::feed`].
#[derive(Debug)]
pub enum Request {
    /// Check a device password, then call [`Session::authenticated`].
    Authenticate {
        login: String,
        password: Zeroizing<String>,
    },
    /// Look the recipient up, then call [`Session::recipient_checked`].
    CheckRecipient(Email),
    /// Commit the message, then call [`Session::delivered`]. Nothing may be acknowledged
    /// before it is on disk.
    Deliver(Transaction),
}

/// What the session needs from the connection loop.
pub type Event = postern_net::Event<Request>;

/// Where a recipient's mail goes: the domain's one delivery path decides.
pub use postern_domain::submit::Route;

/// An accepted recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub email: Email,
    pub route: Route,
}

/// A complete message with its envelope.
#[derive(Clone, Debug)]
pub struct Transaction {
    /// The reverse path; empty for the null sender (LMTP only).
    pub sender: String,
    pub recipients: Vec<Recipient>,
    /// The content with CRLF line ends, dot-stuffing removed.
    pub message: Vec<u8>,
    /// The name the client gave in EHLO, HELO or LHLO.
    pub hello: String,
    pub tls: bool,
    /// The signed-in address (submission).
    pub signed_in: Option<Email>,
}

enum State {
    Command,
    AuthPlain,
    AuthLoginUser,
    AuthLoginPassword(String),
    Data(DataReceiver),
    /// Swallows the rest of a message that will be refused, then replies.
    Discard(DummyDataReceiver, u16, String),
    Closed,
}

#[derive(Debug, PartialEq, Eq)]
enum Waiting {
    Auth,
    Recipient(Email),
    Delivery,
}

/// One SMTP or LMTP conversation (until QUIT or STARTTLS).
pub struct Session {
    settings: Arc<Settings>,
    mode: Mode,
    tls: bool,
    can_start_tls: bool,
    /// Whether passwords may be sent here: over TLS, or on loopback.
    auth_allowed: bool,
    state: State,
    line: LineBuffer,
    hello: Option<String>,
    signed_in: Option<Email>,
    sender: Option<String>,
    recipients: Vec<Recipient>,
    message: Vec<u8>,
    waiting: Option<Waiting>,
    errors: u32,
    auth_failures: u32,
    out: Vec<u8>,
}

impl Session {
    /// A new session. `can_start_tls`: STARTTLS may be offered on this connection;
    /// `loopback`: the client is on this machine, so passwords may cross in the clear.
    pub fn new(
        settings: Arc<Settings>,
        mode: Mode,
        tls: bool,
        can_start_tls: bool,
        loopback: bool,
    ) -> Self {
        let line = LineBuffer::new(settings.max_line_bytes);
        Session {
            mode,
            tls,
            can_start_tls: can_start_tls && !tls && mode == Mode::Submission,
            auth_allowed: mode == Mode::Submission && (tls || loopback),
            state: State::Command,
            line,
            hello: None,
            signed_in: None,
            sender: None,
            recipients: Vec::new(),
            message: Vec::new(),
            waiting: None,
            errors: 0,
            auth_failures: 0,
            out: Vec::new(),
            settings,
        }
    }

    /// The name the client gave in its greeting.
    pub fn hello_name(&self) -> Option<&str> {
        self.hello.as_deref()
    }

    /// The address signed in on this session.
    pub fn signed_in(&self) -> Option<&Email> {
        self.signed_in.as_ref()
    }

    fn command(&mut self, line: &[u8]) -> Option<Event> {
        let line = mail::clamp_size(line, self.settings.max_message_bytes);
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(&line);
        bytes.extend_from_slice(b"\r\n");
        let request = match Command::parse(&mut bytes.iter()) {
            Ok(request) => request.into_owned(),
            Err(e) => return self.parse_error(e),
        };
        match request {
            Command::Ehlo { host } => self.ehlo(host),
            Command::Helo { host } => self.helo(host),
            Command::Lhlo { host } => self.lhlo(host),
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, initial_response),
            Command::Mail { from } => self.mail(from),
            Command::Rcpt { to } => self.rcpt(to),
            Command::Data => self.data(),
            Command::Bdat { chunk_size, .. } => self.bdat(chunk_size),
            Command::StartTls => self.starttls(),
            Command::Rset => self.rset(),
            Command::Noop { .. } => self.ok(250, "2.0.0 OK"),
            Command::Quit => self.quit(),
            Command::Vrfy { .. } => self.ok(252, "2.5.2 Cannot verify addresses; send mail"),
            Command::Help { .. } => self.ok(214, "2.0.0 Postern: see RFC 5321 and RFC 6409"),
            Command::Expn { .. }
            | Command::Etrn { .. }
            | Command::Atrn { .. }
            | Command::Burl { .. } => self.fail(502, "5.5.1 Command not implemented"),
        }
    }

    fn parse_error(&mut self, e: ParseError) -> Option<Event> {
        match e {
            ParseError::UnknownCommand => self.fail(500, "5.5.1 Unknown command"),
            ParseError::InvalidSenderAddress => self.fail(501, "5.1.7 Invalid sender address"),
            ParseError::InvalidRecipientAddress => {
                self.fail(501, "5.1.3 Invalid recipient address")
            }
            ParseError::SyntaxError { syntax } => {
                self.fail(501, &format!("5.5.4 Syntax: {syntax}"))
            }
            ParseError::InvalidParameter { param } => {
                self.fail(501, &format!("5.5.4 Invalid parameter {param}"))
            }
            ParseError::UnsupportedParameter { param } => {
                let param: String = param.chars().filter(|c| !c.is_control()).take(40).collect();
                self.fail(555, &format!("5.5.4 Unsupported parameter {param}"))
            }
            _ => self.fail(500, "5.5.2 Syntax error"),
        }
    }

    /// A successful reply.
    fn ok(&mut self, code: u16, text: &str) -> Option<Event> {
        reply::write(&mut self.out, code, text);
        None
    }

    /// A refusal; too many of them end the connection.
    fn fail(&mut self, code: u16, text: &str) -> Option<Event> {
        reply::write(&mut self.out, code, text);
        self.errors += 1;
        if self.errors >= self.settings.max_errors {
            return self.close(421, "4.7.0 Too many errors; closing the connection");
        }
        None
    }

    fn close(&mut self, code: u16, text: &str) -> Option<Event> {
        reply::write(&mut self.out, code, text);
        self.state = State::Closed;
        Some(Event::Close)
    }

    fn reset_transaction(&mut self) {
        self.sender = None;
        self.recipients.clear();
        self.message = Vec::new();
    }

    /// The refusal of a command that needs the greeting first, naming this protocol's.
    fn hello_first(&self) -> &'static str {
        match self.mode {
            Mode::Lmtp => "5.5.1 Say LHLO first",
            Mode::Submission => "5.5.1 Say EHLO first",
        }
    }

    fn too_big_text(&self) -> String {
        format!(
            "5.3.4 Message too big: the limit is {} bytes",
            self.settings.max_message_bytes
        )
    }
}

impl LineSession for Session {
    type Request = Request;

    const REVOKED: &'static [u8] = reply::REVOKED;
    const TIMEOUT: &'static [u8] = reply::TIMEOUT;
    const SHUTDOWN: &'static [u8] = reply::SHUTDOWN;

    fn greeting(&self) -> Vec<u8> {
        let kind = match self.mode {
            Mode::Submission => "ESMTP",
            Mode::Lmtp => "LMTP",
        };
        format!("220 {} {kind} Postern ready\r\n", self.settings.hostname).into_bytes()
    }

    fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    fn step(&mut self, input: &mut &[u8]) -> Option<Event> {
        match &mut self.state {
            State::Data(rx) => {
                let mut it = input.iter();
                let done = rx.ingest(&mut it, &mut self.message);
                *input = it.as_slice();
                if done {
                    self.state = State::Command;
                    return self.end_of_data();
                }
                if self.message.len() > self.settings.max_message_bytes {
                    let discard = DummyDataReceiver::new_data(rx);
                    self.message = Vec::new();
                    self.state = State::Discard(discard, 552, self.too_big_text());
                }
                None
            }
            State::Discard(rx, ..) => {
                let mut it = input.iter();
                let done = rx.ingest(&mut it);
                *input = it.as_slice();
                if done
                    && let State::Discard(_, code, text) =
                        std::mem::replace(&mut self.state, State::Command)
                {
                    self.reset_transaction();
                    return self.fail(code, &text);
                }
                None
            }
            _ => {
                let line = match self.line.push(input)? {
                    Line::Complete(line) => line,
                    Line::TooLong => {
                        self.state = State::Command;
                        return self.fail(500, "5.5.2 Line too long");
                    }
                };
                match std::mem::replace(&mut self.state, State::Command) {
                    State::AuthPlain => self.auth_plain_response(&line),
                    State::AuthLoginUser => self.auth_login_user(&line),
                    State::AuthLoginPassword(user) => self.auth_login_password(user, &line),
                    _ => self.command(&line),
                }
            }
        }
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }
}
