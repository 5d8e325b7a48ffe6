//! Maps database errors to the domain's once.

use postern_domain::DomainError;

/// Turns a driver error into a domain error; unique violations become conflicts.
pub(crate) fn db(e: sqlx::Error) -> DomainError {
    if let sqlx::Error::Database(d) = &e
        && d.is_unique_violation()
    {
        return DomainError::Conflict("it already exists".to_owned());
    }
    DomainError::store_caused_by("the database failed", e)
}

/// A stored value that does not parse back: the store was changed behind our back.
pub(crate) fn corrupt(what: &str) -> DomainError {
    DomainError::store(format!("unreadable {what} in the store"))
}
