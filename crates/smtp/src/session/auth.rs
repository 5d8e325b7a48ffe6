//! AUTH PLAIN and AUTH LOGIN (RFC 4954) with a device password.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use postern_domain::Email;
use smtp_proto::{AUTH_LOGIN, AUTH_PLAIN};
use zeroize::Zeroizing;

use super::{Event, Request, Session, State, Waiting};

/// The answer to [`Request::Authenticate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    /// The password opens this address.
    SignedIn(Email),
    /// Wrong login or password, or a device not allowed to send.
    Failed,
    /// Too many failures from this source: try later.
    Throttled,
    /// The check itself failed (the store is unavailable).
    Unavailable,
}

impl Session {
    pub(super) fn auth(&mut self, mechanism: u64, initial: String) -> Option<Event> {
        if !self.auth_allowed {
            if self.mode == crate::settings::Mode::Lmtp {
                return self.fail(502, "5.5.1 AUTH is not available on LMTP");
            }
            return self.fail(538, "5.7.11 Encryption required: use STARTTLS before AUTH");
        }
        if self.hello.is_none() {
            return self.fail(503, self.hello_first());
        }
        if self.signed_in.is_some() {
            return self.fail(503, "5.5.1 Already signed in");
        }
        if self.sender.is_some() {
            return self.fail(503, "5.5.1 AUTH is not allowed during a mail transaction");
        }
        let initial = Zeroizing::new(initial);
        if mechanism == AUTH_PLAIN {
            if initial.is_empty() {
                self.out.extend_from_slice(b"334 \r\n");
                self.state = State::AuthPlain;
                return None;
            }
            return self.auth_plain_response(initial.as_bytes());
        }
        if mechanism == AUTH_LOGIN {
            if initial.is_empty() {
                // "Username:"
                self.out.extend_from_slice(b"334 VXNlcm5hbWU6\r\n");
                self.state = State::AuthLoginUser;
                return None;
            }
            return self.auth_login_user(initial.as_bytes());
        }
        self.fail(504, "5.5.4 Unknown mechanism; use PLAIN or LOGIN")
    }

    pub(super) fn auth_plain_response(&mut self, line: &[u8]) -> Option<Event> {
        let raw = match decode(line) {
            Ok(raw) => raw,
            Err(e) => return e.reply(self),
        };
        // authzid NUL authcid NUL passwd
        let mut parts = raw.split(|&b| b == 0);
        let (Some(authz), Some(user), Some(pass), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return self.fail(501, "5.5.2 Malformed PLAIN response");
        };
        if !authz.is_empty() && authz != user {
            // Signing in as someone else is not offered.
            return self.authenticate(Vec::new(), Vec::new());
        }
        self.authenticate(user.to_vec(), pass.to_vec())
    }

    pub(super) fn auth_login_user(&mut self, line: &[u8]) -> Option<Event> {
        let raw = match decode(line) {
            Ok(raw) => raw,
            Err(e) => return e.reply(self),
        };
        let user = String::from_utf8_lossy(&raw).into_owned();
        // "Password:"
        self.out.extend_from_slice(b"334 UGFzc3dvcmQ6\r\n");
        self.state = State::AuthLoginPassword(user);
        None
    }

    pub(super) fn auth_login_password(&mut self, user: String, line: &[u8]) -> Option<Event> {
        let raw = match decode(line) {
            Ok(raw) => raw,
            Err(e) => return e.reply(self),
        };
        self.authenticate(user.into_bytes(), raw.to_vec())
    }

    fn authenticate(&mut self, user: Vec<u8>, pass: Vec<u8>) -> Option<Event> {
        let pass = Zeroizing::new(pass);
        self.waiting = Some(Waiting::Auth);
        Some(Event::Request(Request::Authenticate {
            login: String::from_utf8_lossy(&user).into_owned(),
            password: Zeroizing::new(String::from_utf8_lossy(&pass).into_owned()),
        }))
    }

    /// The answer to [`Request::Authenticate`].
    pub fn authenticated(&mut self, outcome: AuthOutcome) {
        if self.waiting != Some(Waiting::Auth) {
            return;
        }
        self.waiting = None;
        match outcome.clone() {
            AuthOutcome::SignedIn(email) => {
                self.signed_in = Some(email);
                self.ok(235, "2.7.0 Authentication successful");
            }
            AuthOutcome::Failed | AuthOutcome::Throttled => {
                self.auth_failures += 1;
                if self.auth_failures >= self.settings.max_auth_failures {
                    self.close(
                        421,
                        "4.7.0 Too many failed sign-ins; closing the connection",
                    );
                } else if outcome == AuthOutcome::Throttled {
                    self.fail(
                        454,
                        "4.7.0 Too many failed sign-ins from your address; try again later",
                    );
                } else {
                    self.fail(535, "5.7.8 Authentication credentials invalid");
                }
            }
            AuthOutcome::Unavailable => {
                self.fail(
                    454,
                    "4.7.0 Temporary authentication failure; try again later",
                );
            }
        }
    }
}

enum DecodeError {
    Cancelled,
    Invalid,
}

impl DecodeError {
    fn reply(self, session: &mut Session) -> Option<Event> {
        match self {
            DecodeError::Cancelled => session.fail(501, "5.7.0 Authentication cancelled"),
            DecodeError::Invalid => session.fail(501, "5.5.2 Invalid base64 data"),
        }
    }
}

fn decode(line: &[u8]) -> Result<Zeroizing<Vec<u8>>, DecodeError> {
    match line {
        b"*" => Err(DecodeError::Cancelled),
        // RFC 4954: "=" stands for an empty response.
        b"=" => Ok(Zeroizing::new(Vec::new())),
        _ => BASE64
            .decode(line)
            .map(Zeroizing::new)
            .map_err(|_| DecodeError::Invalid),
    }
}
