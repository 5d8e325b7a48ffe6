//! Short-lived things kept in server memory only, each bound to the web session that made
//! it and reached through a random one-time token: a new password waiting for the one page
//! that shows it, an action waiting for the account password, and a sign-in waiting for its
//! code.

use std::collections::HashMap;
use std::sync::Mutex;

use postern_domain::model::Account;
use postern_domain::{Description, DeviceId, DeviceRules, Email, ProtocolSet};
use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

use crate::session::TokenHash;

/// Entries kept at most; the oldest go first, so memory stays bounded.
const MAX_ENTRIES: usize = 10_000;

/// A new password on its way to the page that shows it.
pub struct Revealed {
    pub email: Email,
    pub device_id: DeviceId,
    pub description: String,
    /// Whether an existing device got a new password (rather than a new device).
    pub reset: bool,
    pub password: SecretString,
}

/// What the person asked for before the account password had to be confirmed.
#[derive(Clone, Debug)]
pub enum PendingAction {
    CreateDevice {
        email: Email,
        description: Description,
        protocols: ProtocolSet,
        rules: DeviceRules,
    },
    ResetDevice {
        email: Email,
        device_id: DeviceId,
        rules: DeviceRules,
    },
}

/// How the password of a confirmed action reaches the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// On the page that shows it once (`Generate a password`).
    Shown,
    /// Inside an Apple configuration profile, downloaded once.
    Profile,
}

/// An action waiting for the account password, and where its password goes.
#[derive(Clone, Debug)]
pub struct Pending {
    pub action: PendingAction,
    pub delivery: Delivery,
}

/// A sign-in whose password was right, waiting for the code of two-step verification. It
/// has no session yet: the random token that reaches it is all the browser holds.
#[derive(Clone)]
pub struct AwaitingCode {
    pub account: Account,
    /// Where to go once signed in.
    pub next: String,
    /// Wrong codes so far; the sign-in starts over after a few.
    pub wrong_codes: u8,
}

/// What [`AwaitingCode`] entries are bound to, in place of a session.
pub const NO_SESSION: TokenHash = [0; 32];

struct Entry<T> {
    session: TokenHash,
    expires: OffsetDateTime,
    value: T,
}

/// One-time values by token, bound to a session, forgotten after `ttl`.
pub struct OneTime<T> {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry<T>>>,
}

impl<T> OneTime<T> {
    /// A store whose entries live for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        OneTime {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry<T>>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `value` for `session`; returns the token that reaches it.
    pub fn put(
        &self,
        session: &TokenHash,
        value: T,
        now: OffsetDateTime,
    ) -> crate::WebResult<String> {
        let token = crate::session::random_token::<16>()?;
        let mut entries = self.lock();
        entries.retain(|_, e| e.expires > now);
        if entries.len() >= MAX_ENTRIES
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(
            token.clone(),
            Entry {
                session: *session,
                expires: now + self.ttl,
                value,
            },
        );
        Ok(token)
    }

    /// Takes the value out: a second call with the same token finds nothing. A token of
    /// another session finds nothing and leaves the value in place.
    pub fn take(&self, token: &str, session: &TokenHash, now: OffsetDateTime) -> Option<T> {
        let mut entries = self.lock();
        let entry = entries.get(token)?;
        if entry.session != *session {
            return None;
        }
        let entry = entries.remove(token)?;
        (entry.expires > now).then_some(entry.value)
    }

    /// Forgets every value of a session (at sign-out).
    pub fn forget_session(&self, session: &TokenHash) {
        self.lock().retain(|_, e| e.session != *session);
    }
}

impl<T: Clone> OneTime<T> {
    /// Reads the value without taking it.
    pub fn peek(&self, token: &str, session: &TokenHash, now: OffsetDateTime) -> Option<T> {
        let entries = self.lock();
        let entry = entries.get(token)?;
        (entry.session == *session && entry.expires > now).then(|| entry.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(s)
    }

    #[test]
    fn once_per_token_and_session() {
        let store = OneTime::new(Duration::seconds(60));
        let mine = [1u8; 32];
        let theirs = [2u8; 32];
        let t = store.put(&mine, "secret", at(0)).unwrap();
        assert_eq!(t.len(), 32);
        assert_eq!(store.take(&t, &theirs, at(1)), None);
        assert_eq!(store.peek(&t, &mine, at(1)), Some("secret"));
        assert_eq!(store.take(&t, &mine, at(1)), Some("secret"));
        assert_eq!(store.take(&t, &mine, at(2)), None);
    }

    #[test]
    fn expires_and_forgets() {
        let store = OneTime::new(Duration::seconds(60));
        let s = [1u8; 32];
        let t = store.put(&s, 1, at(0)).unwrap();
        assert_eq!(store.take(&t, &s, at(61)), None);
        let t = store.put(&s, 2, at(100)).unwrap();
        store.forget_session(&s);
        assert_eq!(store.take(&t, &s, at(101)), None);
    }
}
