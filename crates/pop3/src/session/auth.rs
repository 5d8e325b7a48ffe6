//! USER/PASS (RFC 1939) and AUTH PLAIN (RFC 5034) with a device password.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

use super::{Event, Maildrop, Request, Session, State, Waiting};

/// The answer to [`Request::Authenticate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    /// Signed in; the INBOX as it is now.
    SignedIn(Maildrop),
    /// Wrong login or password, or a device not allowed to use POP3.
    Failed,
    /// Too many failures from this source: try later.
    Throttled,
    /// The check or the INBOX could not be read.
    Unavailable,
}

const NOT_IN_CLEAR: &str =
    "[AUTH] Passwords are not accepted over an unencrypted connection: use STLS first";

impl Session {
    pub(super) fn user(&mut self, name: String) -> Option<Event> {
        if !self.auth_allowed {
            return self.err(NOT_IN_CLEAR);
        }
        self.state = State::Authorization { user: Some(name) };
        self.ok("Send the device password with PASS")
    }

    pub(super) fn pass(&mut self, password: String) -> Option<Event> {
        let password = Zeroizing::new(password);
        if !self.auth_allowed {
            return self.err(NOT_IN_CLEAR);
        }
        let State::Authorization { user: Some(user) } =
            std::mem::replace(&mut self.state, State::Authorization { user: None })
        else {
            return self.err("Send USER first");
        };
        self.authenticate(user, password)
    }

    pub(super) fn auth(&mut self, mechanism: Option<(String, Option<String>)>) -> Option<Event> {
        let Some((mechanism, initial)) = mechanism else {
            // RFC 1734: a bare AUTH lists the mechanisms.
            self.out
                .extend_from_slice(b"+OK Mechanisms follow\r\nPLAIN\r\n.\r\n");
            return None;
        };
        if !self.auth_allowed {
            return self.err(NOT_IN_CLEAR);
        }
        if mechanism != "PLAIN" {
            return self.err("Unknown mechanism; use PLAIN");
        }
        match initial {
            Some(response) => self.auth_plain_response(response.as_bytes()),
            None => {
                self.out.extend_from_slice(b"+ \r\n");
                self.state = State::AuthPlain;
                None
            }
        }
    }

    pub(super) fn auth_plain_response(&mut self, line: &[u8]) -> Option<Event> {
        if line == b"*" {
            return self.err("Authentication cancelled");
        }
        let raw = if line == b"=" {
            Ok(Vec::new())
        } else {
            BASE64.decode(line)
        };
        let Ok(raw) = raw.map(Zeroizing::new) else {
            return self.err("Invalid base64 data");
        };
        let mut parts = raw.split(|&b| b == 0);
        let (Some(authz), Some(user), Some(pass), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return self.err("Malformed PLAIN response");
        };
        let user = String::from_utf8_lossy(user).into_owned();
        let pass = Zeroizing::new(String::from_utf8_lossy(pass).into_owned());
        if !authz.is_empty() && authz != user.as_bytes() {
            // Signing in as someone else is not offered.
            return self.authenticate(String::new(), Zeroizing::new(String::new()));
        }
        self.authenticate(user, pass)
    }

    fn authenticate(&mut self, login: String, password: Zeroizing<String>) -> Option<Event> {
        self.waiting = Some(Waiting::Auth);
        Some(Event::Request(Request::Authenticate { login, password }))
    }

    /// The answer to [`Request::Authenticate`].
    pub fn authenticated(&mut self, outcome: AuthOutcome) {
        if self.waiting != Some(Waiting::Auth) {
            return;
        }
        self.waiting = None;
        match outcome {
            AuthOutcome::SignedIn(maildrop) => {
                let count = maildrop.messages.len();
                let size: u64 = maildrop.messages.iter().map(|m| m.size).sum();
                self.deleted = vec![false; count];
                self.maildrop = maildrop;
                self.state = State::Transaction;
                self.ok(&format!("Signed in; {count} messages ({size} octets)"));
            }
            AuthOutcome::Failed | AuthOutcome::Throttled => {
                self.auth_failures += 1;
                if self.auth_failures >= self.settings.max_auth_failures {
                    self.close_err("[AUTH] Too many failed sign-ins; closing the connection");
                } else if outcome == AuthOutcome::Throttled {
                    self.err("[AUTH] Too many failed sign-ins from your address; try again later");
                } else {
                    self.err("[AUTH] Authentication failed");
                }
            }
            AuthOutcome::Unavailable => {
                self.err("[SYS/TEMP] Temporary failure; try again later");
            }
        }
    }
}
