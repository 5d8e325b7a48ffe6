//! The SQL store: one implementation of the repository traits for SQLite and PostgreSQL,
//! through sqlx's `Any` driver. Queries use `$N` placeholders, which both accept; what differs
//! (connection set-up, how a write transaction starts, migrations, notifications) is chosen
//! by [`Backend`] here and nowhere else.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use postern_domain::{DomainError, Result};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Connection, Executor, SqlSafeStr, Transaction, any::Any};

use crate::error::db;

mod accounts;
mod activity;
pub mod copy;
pub use copy::{REBUILT, TABLES};
mod devices;
mod keywords;
mod links;
mod lists;
mod mail;
mod mail_changes;
mod mailboxes;
mod notify;
mod queue;
mod revocations;
mod rows;
mod search;
mod sessions;
mod sign_ins;
mod two_step;
mod uidvalidity;
mod wal_watch;

/// Which database is behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The store on either backend.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) backend: Backend,
    /// Writes. On SQLite a single connection, since SQLite has one writer anyway.
    pub(crate) writer: AnyPool,
    /// Reads. On PostgreSQL the same pool as the writes.
    pub(crate) reader: AnyPool,
    pub(crate) notifications: Option<notify::Listener>,
    /// On SQLite, how commits of other processes are noticed.
    pub(crate) changes: Option<wal_watch::WalWatch>,
}

/// Pool sizes and other tuning of a store.
#[derive(Clone, Copy, Debug)]
pub struct PoolOptions {
    /// Connections to PostgreSQL (or SQLite readers).
    pub max_connections: u32,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_connections: 16,
        }
    }
}

/// The path in a `sqlite://` URL, if it is one.
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let rest = rest.split('?').next().unwrap_or(rest);
    (!rest.is_empty()).then(|| PathBuf::from(rest))
}

fn migrator(backend: Backend) -> Migrator {
    let migrations = match backend {
        Backend::Sqlite => [
            (
                1,
                "core",
                include_str!("../../migrations/sqlite/0001_core.sql"),
            ),
            (
                2,
                "imap",
                include_str!("../../migrations/sqlite/0002_imap.sql"),
            ),
            (
                3,
                "queue",
                include_str!("../../migrations/sqlite/0003_queue.sql"),
            ),
            (
                4,
                "recent",
                include_str!("../../migrations/sqlite/0004_recent.sql"),
            ),
            (
                5,
                "link_generation",
                include_str!("../../migrations/sqlite/0005_link_generation.sql"),
            ),
            (
                6,
                "uidvalidity",
                include_str!("../../migrations/sqlite/0006_uidvalidity.sql"),
            ),
            (
                7,
                "session_details",
                include_str!("../../migrations/sqlite/0007_session_details.sql"),
            ),
            (
                8,
                "two_step",
                include_str!("../../migrations/sqlite/0008_two_step.sql"),
            ),
            (
                9,
                "device_expiry",
                include_str!("../../migrations/sqlite/0009_device_expiry.sql"),
            ),
            (
                10,
                "device_policy",
                include_str!("../../migrations/sqlite/0010_device_policy.sql"),
            ),
            (
                11,
                "large_mailboxes",
                include_str!("../../migrations/sqlite/0011_large_mailboxes.sql"),
            ),
        ],
        Backend::Postgres => [
            (
                1,
                "core",
                include_str!("../../migrations/postgres/0001_core.sql"),
            ),
            (
                2,
                "imap",
                include_str!("../../migrations/postgres/0002_imap.sql"),
            ),
            (
                3,
                "queue",
                include_str!("../../migrations/postgres/0003_queue.sql"),
            ),
            (
                4,
                "recent",
                include_str!("../../migrations/postgres/0004_recent.sql"),
            ),
            (
                5,
                "link_generation",
                include_str!("../../migrations/postgres/0005_link_generation.sql"),
            ),
            (
                6,
                "uidvalidity",
                include_str!("../../migrations/postgres/0006_uidvalidity.sql"),
            ),
            (
                7,
                "session_details",
                include_str!("../../migrations/postgres/0007_session_details.sql"),
            ),
            (
                8,
                "two_step",
                include_str!("../../migrations/postgres/0008_two_step.sql"),
            ),
            (
                9,
                "device_expiry",
                include_str!("../../migrations/postgres/0009_device_expiry.sql"),
            ),
            (
                10,
                "device_policy",
                include_str!("../../migrations/postgres/0010_device_policy.sql"),
            ),
            (
                11,
                "large_mailboxes",
                include_str!("../../migrations/postgres/0011_large_mailboxes.sql"),
            ),
        ],
    };
    Migrator::with_migrations(
        migrations
            .into_iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// A pooled PostgreSQL connection idle for longer than this is checked before it is used.
const PING_IDLE_AFTER: Duration = Duration::from_secs(30);

/// SQLite settings for every connection: WAL, foreign keys, every commit on disk before it is
/// acknowledged, and a wait instead of an error when another process writes.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

impl SqlStore {
    /// Opens the store named by `url` (`sqlite://path` or `postgres://…`), creating and
    /// migrating it if needed.
    pub async fn open(url: &str, options: PoolOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        if let Some(path) = sqlite_path(url) {
            Self::open_sqlite(&path, options).await
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Self::open_postgres(url, options).await
        } else {
            Err(DomainError::invalid(
                "store",
                format!("{url:?} is not a store URL; use sqlite://path or postgres://…"),
            ))
        }
    }

    async fn open_sqlite(path: &std::path::Path, options: PoolOptions) -> Result<Self> {
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let connect = AnyConnectOptions::from_str(&url).map_err(db)?;
        // A connection to a local file does not go stale: no round trip to its worker
        // thread to test it before each use (sqlx still checks it when it is given back).
        let writer = AnyPoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move { conn.execute(SQLITE_PRAGMAS).await.map(|_| ()) })
            })
            .connect_with(connect.clone())
            .await
            .map_err(|e| {
                DomainError::store_caused_by(format!("cannot open {}", path.display()), e)
            })?;
        migrator(Backend::Sqlite).run(&writer).await.map_err(|e| {
            DomainError::store_caused_by(format!("migrating {}", path.display()), e)
        })?;
        let reader = AnyPoolOptions::new()
            .max_connections(options.max_connections.clamp(1, 8))
            .test_before_acquire(false)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    conn.execute("PRAGMA query_only = ON").await.map(|_| ())
                })
            })
            .connect_with(connect.clone())
            .await
            .map_err(db)?;
        Ok(SqlStore {
            backend: Backend::Sqlite,
            writer,
            reader,
            notifications: None,
            changes: Some(wal_watch::WalWatch::new(path, connect)),
        })
    }

    async fn open_postgres(url: &str, options: PoolOptions) -> Result<Self> {
        let pool = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            .acquire_timeout(Duration::from_secs(10))
            // A ping is a round trip to the server: worth it only for a connection that sat
            // idle long enough to have been dropped, not before every query of a busy pool.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IDLE_AFTER {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect(url)
            .await
            .map_err(|e| DomainError::store_caused_by("cannot connect to PostgreSQL", e))?;
        migrator(Backend::Postgres)
            .run(&pool)
            .await
            .map_err(|e| DomainError::store_caused_by("migrating PostgreSQL", e))?;
        Ok(SqlStore {
            backend: Backend::Postgres,
            writer: pool.clone(),
            reader: pool,
            notifications: Some(notify::Listener::new(url)),
            changes: None,
        })
    }

    /// Which database is behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. SQLite takes its write lock at once, so that a transaction
    /// that read first never fails to upgrade; PostgreSQL locks rows as it goes.
    pub(crate) async fn begin_write(&self) -> Result<Transaction<'static, Any>> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        self.writer.begin_with(begin).await.map_err(db)
    }

    /// Waits for every connection to finish and closes the store cleanly.
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}
