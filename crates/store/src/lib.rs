//! Postern's stores: the domain's repository traits on SQLite (the default) and PostgreSQL.
//! Dialect differences stay inside each backend module.

use std::sync::Arc;

use postern_domain::repo::Store;
use postern_domain::{DomainError, Result};

mod error;
pub mod sqlite;

pub use sqlite::SqliteStore;

/// Opens (creating and migrating if needed) the store named by a `store` URL:
/// `sqlite://path/to/file.db`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if let Some(path) = sqlite::path_of(url) {
        return Ok(Arc::new(SqliteStore::open(&path).await?));
    }
    Err(DomainError::invalid(
        "store",
        format!("{url:?} is not a store URL; use sqlite://path/to/postern.db"),
    ))
}
