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
    Store(StoreFailure),
    /// Something outside the store failed (randomness, hashing).
    #[error("internal failure: {0}")]
    Internal(String),
}

impl DomainError {
    /// A store failure without an underlying error (a broken invariant).
    pub fn store(context: impl Into<String>) -> Self {
        DomainError::Store(StoreFailure {
            context: context.into(),
            cause: None,
        })
    }

    /// A store failure caused by `cause` (the database driver's error, kept whole).
    pub fn store_caused_by(
        context: impl Into<String>,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        DomainError::Store(StoreFailure {
            context: context.into(),
            cause: Some(Box::new(cause)),
        })
    }

    /// A parse failure for `field`.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// What the store was doing when it failed, and the error that made it fail. The cause is
/// kept as it was (its `source()` chain can be walked and downcast); the text shows the
/// context and the cause's own text (whose drivers already include their details), because
/// logs print errors by their text. `DomainError::Store` does not name it as a source, so a
/// chain printer does not show it twice.
#[derive(Debug)]
pub struct StoreFailure {
    context: String,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.cause {
            Some(cause) => write!(f, "{}: {cause}", self.context),
            None => f.write_str(&self.context),
        }
    }
}

impl std::error::Error for StoreFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_deref()
            .map(|c| c as &(dyn std::error::Error + 'static))
    }
}

/// The domain's result alias.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn a_store_failure_keeps_its_cause_and_shows_it_once() {
        let e = DomainError::store_caused_by("writing", std::io::Error::other("disk on fire"));
        assert_eq!(e.to_string(), "storage failure: writing: disk on fire");
        let DomainError::Store(failure) = &e else {
            panic!("{e:?}")
        };
        let cause = failure.source().expect("the cause is kept");
        assert!(cause.downcast_ref::<std::io::Error>().is_some());
        assert!(e.source().is_none(), "a chain printer shows the cause once");
        assert_eq!(
            DomainError::store("UIDs exhausted").to_string(),
            "storage failure: UIDs exhausted"
        );
    }
}
