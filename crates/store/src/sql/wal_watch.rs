//! SQLite has no notifications, so a commit by another process (a disconnect from the
//! command line) is noticed by looking, often and cheaply:
//!
//! - in WAL mode every commit first writes to the `-wal` file, so a `stat` of that file (on
//!   the caller's thread: no query, no hop to a connection's thread) tells that a write is
//!   under way;
//! - only then is SQLite asked, with `PRAGMA data_version` on a connection of this watcher's
//!   own, whether another connection has committed. Asking again until it has covers the
//!   time between the write and the commit (the log is synced to disk in between).
//!
//! The revocation log itself is read by the caller only when a commit was seen. A change
//! that slipped by is still caught by the caller's periodic read.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, Connection, Executor, Row};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::SQLITE_PRAGMAS;

/// How often the write-ahead log is looked at.
pub(crate) const CHECK_EVERY: Duration = Duration::from_millis(25);
/// How long SQLite is asked again after the log was seen to move without a commit.
const SETTLE: Duration = Duration::from_secs(2);

/// What is compared between two looks at the log file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

/// A watcher of one SQLite database; cheap to clone.
#[derive(Clone)]
pub(crate) struct WalWatch {
    wal: Arc<PathBuf>,
    options: AnyConnectOptions,
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    stamp: Option<Option<Stamp>>,
    /// Until when SQLite is asked at every look.
    asking_until: Option<Instant>,
    conn: Option<AnyConnection>,
    version: Option<i64>,
}

impl WalWatch {
    /// Watches the database at `path`, connecting with `options` when first needed (a store
    /// that never waits, as the command line's, holds no extra connection).
    pub(crate) fn new(path: &Path, options: AnyConnectOptions) -> Self {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        WalWatch {
            wal: Arc::new(PathBuf::from(wal)),
            options,
            state: Arc::default(),
        }
    }

    /// Returns when another connection may have committed since the last call, or after
    /// `max_wait`. The first call returns at once: nothing was seen before it.
    pub(crate) async fn wait(&self, max_wait: Duration) {
        let deadline = Instant::now() + max_wait;
        let mut state = self.state.lock().await;
        loop {
            let now = Instant::now();
            if state.log_moved(&self.wal) {
                state.asking_until = Some(now + SETTLE);
            }
            if state.asking_until.is_some_and(|until| now < until) {
                match state.committed(&self.options).await {
                    Ok(true) => {
                        state.asking_until = None;
                        return;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!("cannot ask the store for changes: {e}");
                        *state = State::default();
                        tokio::time::sleep_until(deadline).await;
                        return;
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.min(now + CHECK_EVERY)).await;
        }
    }
}

impl State {
    /// Whether the log file differs from the last look (a missing file is a state too).
    fn log_moved(&mut self, wal: &Path) -> bool {
        // A stat of a local file is answered from the inode cache: too short to hand off.
        let now = std::fs::metadata(wal).ok().map(|m| Stamp {
            len: m.len(),
            modified: m.modified().ok(),
        });
        let moved = self.stamp != Some(now);
        self.stamp = Some(now);
        moved
    }

    /// Whether another connection committed since the last question (true the first time).
    async fn committed(&mut self, options: &AnyConnectOptions) -> Result<bool, sqlx::Error> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => {
                let mut conn = AnyConnection::connect_with(options).await?;
                conn.execute(SQLITE_PRAGMAS).await?;
                conn.execute("PRAGMA query_only = ON").await?;
                self.conn.insert(conn)
            }
        };
        let version: i64 = sqlx::query("PRAGMA data_version")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        let changed = self.version != Some(version);
        self.version = Some(version);
        Ok(changed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::{PoolOptions, SqlStore};

    #[tokio::test(flavor = "multi_thread")]
    async fn wakes_on_a_commit_of_another_store_only() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = SqlStore::open(&url, PoolOptions::default()).await.unwrap();
        // Another process's store on the same file, as the command line's.
        let other = SqlStore::open(&url, PoolOptions::default()).await.unwrap();
        let watch = store.changes.clone().unwrap();
        let first = Instant::now();
        watch.wait(Duration::from_secs(30)).await;
        assert!(
            first.elapsed() < Duration::from_secs(10),
            "the first wait returns at once"
        );

        let quiet = Instant::now();
        watch.wait(Duration::from_millis(300)).await;
        assert!(
            quiet.elapsed() >= Duration::from_millis(300),
            "nothing was committed: the wait runs its course"
        );

        let write = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            sqlx::query("PRAGMA user_version = 7")
                .execute(&other.writer)
                .await
                .unwrap();
        });
        tokio::time::timeout(Duration::from_secs(10), watch.wait(Duration::from_secs(60)))
            .await
            .expect("a commit elsewhere wakes the watcher long before its limit");
        write.await.unwrap();
    }

    #[test]
    fn sees_the_log_appear_grow_and_vanish() {
        let dir = tempfile::tempdir().unwrap();
        let wal = dir.path().join("store.db-wal");
        let mut state = State::default();
        assert!(state.log_moved(&wal), "the first look");
        assert!(!state.log_moved(&wal));
        std::fs::write(&wal, b"frame").unwrap();
        assert!(state.log_moved(&wal));
        assert!(!state.log_moved(&wal));
        std::fs::write(&wal, b"frame frame").unwrap();
        assert!(state.log_moved(&wal));
        std::fs::remove_file(&wal).unwrap();
        assert!(state.log_moved(&wal));
        assert!(!state.log_moved(&wal));
    }
}
