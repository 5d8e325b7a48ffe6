//! The one error type of the domain layer. Edges (CLI, web, protocols) map it once.

use thiserror::Error;

/// Everything a domain operation can refuse or fail with.
#[derive(Debug, Error)]
pub enum DomainError {
    /// Input that does not parse: `field` names what was wrong, `message` says why, for a person.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The thing does not exist, or it belongs to someone else (never tell which).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique thing that already exists (an address, a login, a link).
    #[error("{0}")]
    Conflict(String),
    /// A wrong login or password, or a device that may not sign in. Deliberately vague.
    #[error("authentication failed")]
    AuthFailed,
    /// The account password was right, and the account also asks for a code from its
    /// authenticator app (or a recovery code).
    #[error("a code from the authenticator app is required")]
    CodeRequired,
    /// Too many failed sign-ins from this source; try again later.
    #[error("too many failed attempts; try again later")]
    Throttled,
    /// The account password must be confirmed again before this action.
    #[error("confirm your account password to continue")]
    ReauthRequired,
    /// The store failed; the message is for the log, never for a client.
    #[error("storage failure: {0}")]
    Store(String),
    /// Something outside the store failed (randomness, hashing).
    #[error("internal failure: {0}")]
    Internal(String),
}

impl DomainError {
    /// A parse failure for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// The domain's result alias.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;
