//! Account passwords: chosen by people, so hashed slowly with Argon2id, off the async threads.

use std::sync::LazyLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{DomainError, Result};

/// A password a person typed for their account, checked for length only.
pub struct AccountPassword(SecretString);

impl AccountPassword {
    /// The shortest account password accepted.
    pub const MIN_CHARS: usize = 10;
    /// The longest, so that hashing stays bounded.
    pub const MAX_BYTES: usize = 1024;

    /// Accepts a new password for an account.
    pub fn parse_new(input: &str) -> Result<Self> {
        if input.chars().count() < Self::MIN_CHARS {
            return Err(DomainError::invalid(
                "password",
                format!("Use at least {} characters.", Self::MIN_CHARS),
            ));
        }
        Self::parse_attempt(input)
    }

    /// Wraps a password typed at sign-in; only the size is bounded.
    pub fn parse_attempt(input: &str) -> Result<Self> {
        if input.len() > Self::MAX_BYTES {
            return Err(DomainError::invalid("password", "is too long"));
        }
        Ok(AccountPassword(SecretString::from(input.to_owned())))
    }

    /// Draws a readable random password (16 Crockford symbols in groups), for the first account.
    pub fn generate() -> Result<(Self, SecretString)> {
        let p = crate::device_password::DevicePassword::generate()?;
        let shown = p.display();
        let text: String = shown.expose_secret().chars().take(19).collect();
        Ok((
            AccountPassword(SecretString::from(text.clone())),
            SecretString::from(text),
        ))
    }
}

/// The PHC string of an Argon2id hash.
#[derive(Clone)]
pub struct AccountPasswordHash(pub String);

fn hasher() -> Result<Argon2<'static>> {
    // OWASP's minimum for Argon2id: 19 MiB, two passes, one lane.
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| DomainError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A hash of a password nobody knows, verified against when a login does not exist so that
/// both answers take the same time.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let (p, _) = AccountPassword::generate().ok()?;
    hash_blocking(&p).ok().map(|h| h.0)
});

fn hash_blocking(password: &AccountPassword) -> Result<AccountPasswordHash> {
    let phc = hasher()?
        .hash_password(password.0.expose_secret().as_bytes())
        .map_err(|e| DomainError::Internal(format!("argon2: {e}")))?;
    Ok(AccountPasswordHash(phc.to_string()))
}

fn verify_blocking(password: &AccountPassword, hash: Option<&str>) -> bool {
    let (phc, known) = match hash {
        Some(h) => (h, true),
        None => match DUMMY_HASH.as_deref() {
            Some(d) => (d, false),
            None => return false,
        },
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = hasher()
        .map(|h| {
            h.verify_password(password.0.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    ok && known
}

/// Hashes a new account password on a blocking thread.
pub async fn hash(password: AccountPassword) -> Result<AccountPasswordHash> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| DomainError::Internal(format!("hashing task: {e}")))?
}

/// Checks a password against a stored hash on a blocking thread. `None` (no such login)
/// runs a dummy verification and answers `false`.
pub async fn verify(password: AccountPassword, hash: Option<AccountPasswordHash>) -> bool {
    tokio::task::spawn_blocking(move || {
        verify_blocking(&password, hash.as_ref().map(|h| h.0.as_str()))
    })
    .await
    .unwrap_or(false)
}

/// Builds the dummy hash ahead of time so the first unknown login is not slower.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash(AccountPassword::parse_new("correct horse battery").unwrap())
            .await
            .unwrap();
        assert!(h.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify(
                AccountPassword::parse_attempt("correct horse battery").unwrap(),
                Some(h.clone())
            )
            .await
        );
        assert!(
            !verify(
                AccountPassword::parse_attempt("wrong horse battery").unwrap(),
                Some(h)
            )
            .await
        );
        assert!(
            !verify(
                AccountPassword::parse_attempt("anything at all").unwrap(),
                None
            )
            .await
        );
    }

    #[test]
    fn length_rules() {
        assert!(AccountPassword::parse_new("short").is_err());
        assert!(AccountPassword::parse_attempt(&"x".repeat(2000)).is_err());
        let (_, shown) = AccountPassword::generate().unwrap();
        assert_eq!(shown.expose_secret().len(), 19);
    }
}
