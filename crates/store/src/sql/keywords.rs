//! The keywords in use in a mailbox, for IMAP's FLAGS and PERMANENTFLAGS.

use postern_domain::Result;
use postern_domain::mail::MailboxId;
use sqlx::Row;

use super::SqlStore;
use crate::error::db;

/// The keywords in use in a mailbox: one row per distinct stored set, so few rows however
/// many messages share them.
pub(super) async fn in_use(store: &SqlStore, mailbox: MailboxId) -> Result<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT keywords FROM messages WHERE mailbox_id = $1 AND keywords <> ''",
    )
    .bind(mailbox.0)
    .fetch_all(&store.reader)
    .await
    .map_err(db)?;
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        let set: String = row.try_get(0).map_err(db)?;
        for k in set.split_whitespace() {
            if !out.iter().any(|have| have.eq_ignore_ascii_case(k)) {
                out.push(k.to_owned());
            }
        }
    }
    Ok(out)
}
