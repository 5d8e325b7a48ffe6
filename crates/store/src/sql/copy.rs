//! Copying a whole store to another (SQLite to PostgreSQL and back), table by table, in one
//! transaction on the target, keeping every id so that nothing that points at a row breaks.

use futures_util::TryStreamExt;
use postern_domain::{DomainError, Result};
use sqlx::any::{AnyRow, AnyTypeInfoKind};
use sqlx::{AssertSqlSafe, Column, Row, TypeInfo};

use super::{Backend, SqlStore};
use crate::error::db;

/// Every table, parents before children. A test checks that no table of the schema is missing.
pub const TABLES: &[(&str, &str)] = &[
    ("accounts", "id"),
    ("addresses", "id"),
    ("devices", "id"),
    ("links", "account_id, address_id"),
    ("activity", "id"),
    ("device_sign_ins", "id"),
    ("revocations", "seq"),
    ("web_sessions", "token_hash"),
    ("two_step", "account_id"),
    ("recovery_codes", "account_id, code_hash"),
    ("mailboxes", "id"),
    ("message_contents", "id"),
    ("messages", "mailbox_id, uid"),
    ("expunged", "mailbox_id, uid"),
    ("queue_messages", "id"),
    ("queue_recipients", "id"),
];

/// Tables derived from the message contents: not copied, but rebuilt when Postern next
/// starts on the target (the search index).
pub const REBUILT: &[&str] = &["message_fields", "message_text"];

/// Tables whose `id`-like column is generated and must continue after the copied rows.
const IDENTITIES: &[(&str, &str)] = &[
    ("accounts", "id"),
    ("addresses", "id"),
    ("activity", "id"),
    ("device_sign_ins", "id"),
    ("revocations", "seq"),
    ("mailboxes", "id"),
    ("message_contents", "id"),
    ("queue_messages", "id"),
    ("queue_recipients", "id"),
];

enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Blob(Option<Vec<u8>>),
}

fn values(row: &AnyRow) -> Result<Vec<Value>> {
    (0..row.columns().len())
        .map(|i| {
            let kind = row.column(i).type_info().kind();
            Ok(match kind {
                AnyTypeInfoKind::SmallInt | AnyTypeInfoKind::Integer | AnyTypeInfoKind::BigInt => {
                    Value::Int(row.try_get(i).map_err(db)?)
                }
                AnyTypeInfoKind::Text => Value::Text(row.try_get(i).map_err(db)?),
                AnyTypeInfoKind::Blob => Value::Blob(row.try_get(i).map_err(db)?),
                other => {
                    return Err(DomainError::store(format!(
                        "column {} has an unexpected type {other:?} ({})",
                        row.column(i).name(),
                        row.column(i).type_info().name()
                    )));
                }
            })
        })
        .collect()
}

fn insert_statement(table: &str, row: &AnyRow) -> String {
    let columns: Vec<&str> = row.columns().iter().map(|c| c.name()).collect();
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        placeholders.join(", ")
    )
}

impl SqlStore {
    /// Copies every row of `self` into `target`, which must be empty. Returns the rows copied
    /// per table.
    pub async fn copy_to(&self, target: &SqlStore) -> Result<Vec<(&'static str, u64)>> {
        let existing: i64 = sqlx::query("SELECT count(*) AS n FROM accounts")
            .fetch_one(&target.reader)
            .await
            .map_err(db)?
            .try_get("n")
            .map_err(db)?;
        if existing > 0 {
            return Err(DomainError::Conflict(
                "the target store is not empty; copy into a new database".into(),
            ));
        }
        let mut tx = target.begin_write().await?;
        if target.backend == Backend::Sqlite {
            // Rows arrive parents first, but keep SQLite from checking until the commit.
            sqlx::query("PRAGMA defer_foreign_keys = ON")
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        let mut report = Vec::new();
        for (table, order) in TABLES {
            let select = format!("SELECT * FROM {table} ORDER BY {order}");
            // Rows stream through one at a time: a mailbox may be larger than memory.
            let mut rows = sqlx::query(AssertSqlSafe(select)).fetch(&self.reader);
            let mut insert = None;
            let mut copied = 0u64;
            while let Some(row) = rows.try_next().await.map_err(db)? {
                let insert = insert.get_or_insert_with(|| insert_statement(table, &row));
                let mut query = sqlx::query(AssertSqlSafe(insert.clone()));
                for value in values(&row)? {
                    query = match value {
                        Value::Int(v) => query.bind(v),
                        Value::Text(v) => query.bind(v),
                        Value::Blob(v) => query.bind(v),
                    };
                }
                query.execute(&mut *tx).await.map_err(db)?;
                copied += 1;
            }
            report.push((*table, copied));
        }
        recount(&mut tx).await?;
        if target.backend == Backend::Postgres {
            for (table, column) in IDENTITIES {
                sqlx::query(AssertSqlSafe(format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                     coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
                )))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(report)
    }

    /// The tables of the schema (those of the text index that SQLite makes for itself
    /// left out), for the check that [`TABLES`] misses none.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        let sql = match self.backend {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' \
                 AND name NOT GLOB 'message_text_*' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema() \
                 AND tablename NOT LIKE '_sqlx%' ORDER BY tablename"
            }
        };
        sqlx::query(sql)
            .fetch_all(&self.reader)
            .await
            .map_err(db)?
            .iter()
            .map(|r| r.try_get("name").map_err(db))
            .collect()
    }
}

/// Sets every mailbox's counters from its messages: the copied rows brought their counters,
/// and the copied messages counted themselves in again.
async fn recount(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<()> {
    sqlx::query(
        "UPDATE mailboxes SET \
         messages = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id), \
         unseen = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 1) = 0), \
         deleted = (SELECT COUNT(*) FROM messages m WHERE m.mailbox_id = mailboxes.id AND (m.flags & 8) <> 0), \
         size = (SELECT COALESCE(SUM(m.size), 0) FROM messages m WHERE m.mailbox_id = mailboxes.id)",
    )
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    Ok(())
}
