//! Postern's store: the domain's repository traits on SQLite (the default) and PostgreSQL.
//! Dialect differences stay inside the `sql` module.

use std::sync::Arc;

use postern_domain::Result;
use postern_domain::repo::Store;

mod error;
pub mod sql;

pub use sql::{Backend, PoolOptions, REBUILT, SqlStore, TABLES};

/// Opens (creating and migrating if needed) the store named by a `store` URL:
/// `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    open_with(url, PoolOptions::default()).await
}

/// Like [`open`], with pool settings.
pub async fn open_with(url: &str, options: PoolOptions) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::open(url, options).await?))
}
