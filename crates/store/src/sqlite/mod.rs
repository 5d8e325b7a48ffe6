//! The SQLite backend: one file, WAL, foreign keys, full sync on commit, migrations embedded.
//! Writes go through a single connection (SQLite has one writer anyway); reads use a pool.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use postern_domain::{DomainError, Result};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::db;

mod accounts;
mod devices;
mod links;
mod mail;
mod mail_changes;
#[cfg(test)]
mod mail_tests;
mod mailboxes;
mod rows;
mod sessions;

/// The SQLite store.
#[derive(Clone)]
pub struct SqliteStore {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
}

/// The path in a `sqlite://` URL, if it is one.
pub fn path_of(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let rest = rest.split('?').next().unwrap_or(rest);
    (!rest.is_empty()).then(|| PathBuf::from(rest))
}

fn migrator() -> Migrator {
    let migration = |version, description: &'static str, sql: &'static str| {
        Migration::new(
            version,
            description.into(),
            MigrationType::Simple,
            sql.into_sql_str(),
            false,
        )
    };
    Migrator::with_migrations(vec![
        migration(
            1,
            "core",
            include_str!("../../migrations/sqlite/0001_core.sql"),
        ),
        migration(
            2,
            "imap",
            include_str!("../../migrations/sqlite/0002_imap.sql"),
        ),
    ])
}

impl SqliteStore {
    /// Opens the database file, creating and migrating it if needed.
    pub async fn open(path: &Path) -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(db)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Every commit is on disk before it is acknowledged.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(|e| DomainError::Store(format!("cannot open {}: {e}", path.display())))?;
        migrator()
            .run(&writer)
            .await
            .map_err(|e| DomainError::Store(format!("migrating {}: {e}", path.display())))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .connect_with(options.read_only(true))
            .await
            .map_err(db)?;
        Ok(SqliteStore { writer, reader })
    }

    /// Waits for every connection to finish and closes the file cleanly.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
