//! How a command is refused: the one mapping from domain errors to IMAP replies.

use std::borrow::Cow;

use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::{Code, Status, StatusKind};
use postern_domain::DomainError;

use crate::responses::{code, tagged};

/// A command that did not succeed: `NO` (it failed) or `BAD` (it made no sense).
#[derive(Debug)]
pub(crate) enum Refusal {
    No(Option<Code<'static>>, Cow<'static, str>),
    Bad(Cow<'static, str>),
}

/// What command handlers return.
pub(crate) type Outcome<T = Done> = Result<T, Refusal>;

/// A completed command: the tagged `OK`'s code and text.
#[derive(Debug)]
pub(crate) struct Done {
    pub code: Option<Code<'static>>,
    pub text: Cow<'static, str>,
}

impl Done {
    /// `OK` with a text.
    pub fn ok(text: impl Into<Cow<'static, str>>) -> Self {
        Done {
            code: None,
            text: text.into(),
        }
    }

    /// `OK` with a response code.
    pub fn with(code: Code<'static>, text: impl Into<Cow<'static, str>>) -> Self {
        Done {
            code: Some(code),
            text: text.into(),
        }
    }

    /// The tagged status.
    pub fn status(self, tag: Tag<'static>) -> Status<'static> {
        tagged(tag, StatusKind::Ok, self.code, self.text)
    }
}

impl Refusal {
    /// `NO` with an RFC 5530 code.
    pub fn no(code_name: &'static str, text: impl Into<Cow<'static, str>>) -> Self {
        Refusal::No(Some(code(code_name)), text.into())
    }

    /// `BAD`.
    pub fn bad(text: impl Into<Cow<'static, str>>) -> Self {
        Refusal::Bad(text.into())
    }

    /// The tagged status.
    pub fn status(self, tag: Tag<'static>) -> Status<'static> {
        match self {
            Refusal::No(c, t) => tagged(tag, StatusKind::No, c, t),
            Refusal::Bad(t) => tagged(tag, StatusKind::Bad, None, t),
        }
    }
}

impl From<DomainError> for Refusal {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::NotFound(_) => Refusal::no("NONEXISTENT", "No such mailbox"),
            DomainError::Conflict(_) => Refusal::no("ALREADYEXISTS", "Mailbox already exists"),
            DomainError::Invalid { message, .. } => Refusal::no("CANNOT", printable(&message)),
            DomainError::AuthFailed => Refusal::no("AUTHENTICATIONFAILED", "Authentication failed"),
            DomainError::Throttled => {
                Refusal::no("UNAVAILABLE", "Too many failed attempts; try again later")
            }
            // A second factor and re-confirming the account password are the web app's: a
            // device password never asks for them, so here they are failures like the rest.
            other @ (DomainError::CodeRequired
            | DomainError::ReauthRequired
            | DomainError::Store(_)
            | DomainError::Internal(_)) => {
                tracing::error!("IMAP command failed: {other}");
                Refusal::no("SERVERBUG", "Internal error; try again later")
            }
        }
    }
}

/// Text safe for a status line: printable ASCII only.
pub(crate) fn printable(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}
