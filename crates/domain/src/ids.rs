//! Identifiers. Devices get unguessable public ids; the rest stay inside the server.

use std::fmt;

use crate::error::{DomainError, Result};

/// An account's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(pub i64);

/// An address's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressId(pub i64);

/// A device's public id (a UUID v7), used in URLs, the API and the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(uuid::Uuid);

impl DeviceId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        DeviceId(uuid::Uuid::now_v7())
    }

    /// Parses an id from a URL, a form or the command line.
    pub fn parse(input: &str) -> Result<Self> {
        uuid::Uuid::try_parse(input.trim())
            .map(DeviceId)
            .map_err(|_| DomainError::invalid("device id", format!("{input:?} is not a device id")))
    }
}

impl Default for DeviceId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}
