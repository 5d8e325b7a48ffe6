//! Changes to messages: flags, copies, moves, expunges, and what changed since a modseq.
//! Every change raises the mailbox's modseq once and stamps what it touched with it.

use std::collections::BTreeSet;

use postern_domain::mail::{Copied, FlagOp, Flags, MailboxDelta, MailboxId, MessageMeta};
use postern_domain::{DomainError, Result};
use sqlx::{AssertSqlSafe, Row, Transaction, any::Any};

use super::mail::{MESSAGE_COLUMNS, message};
use super::{Backend, SqlStore, search};
use crate::error::{corrupt, db};

/// Raises the mailbox's modseq; `NotFound` if it is gone or only a name.
async fn bump(tx: &mut Transaction<'_, Any>, mailbox: MailboxId) -> Result<i64> {
    sqlx::query(
        "UPDATE mailboxes SET modseq = modseq + 1 WHERE id = $1 AND selectable = 1 RETURNING modseq",
    )
    .bind(mailbox.0)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .ok_or(DomainError::NotFound("mailbox"))?
    .try_get(0)
    .map_err(db)
}

/// The wanted UIDs, ascending and without repeats.
fn sorted(uids: &[u32]) -> Vec<u32> {
    let set: BTreeSet<u32> = uids.iter().copied().collect();
    set.into_iter().collect()
}

fn uid_of(row: &sqlx::any::AnyRow) -> Result<u32> {
    let uid: i64 = row.try_get("uid").map_err(db)?;
    u32::try_from(uid).map_err(|_| corrupt("UID"))
}

/// Rows of `mailbox` whose UID is in `wanted` (ascending), with the given columns.
async fn rows_for(
    tx: &mut Transaction<'_, Any>,
    columns: &str,
    mailbox: MailboxId,
    wanted: &[u32],
) -> Result<Vec<sqlx::any::AnyRow>> {
    let (Some(first), Some(last)) = (wanted.first(), wanted.last()) else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {columns} FROM messages WHERE mailbox_id = $1 AND uid BETWEEN $2 AND $3 ORDER BY uid"
    )))
    .bind(mailbox.0)
    .bind(i64::from(*first))
    .bind(i64::from(*last))
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let mut kept = Vec::with_capacity(rows.len().min(wanted.len()));
    for row in rows {
        if wanted.binary_search(&uid_of(&row)?).is_ok() {
            kept.push(row);
        }
    }
    Ok(kept)
}

/// How many tombstones a mailbox keeps: enough for sessions and resynchronising clients to
/// learn of recent expunges; older ones are pruned, so that storage does not grow with a
/// mailbox's history.
const KEPT_TOMBSTONES: i64 = 10_000;

/// Deletes messages, releases their contents and leaves tombstones; returns the UIDs that
/// were there.
pub(super) async fn remove(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    mailbox: MailboxId,
    uids: &[u32],
) -> Result<Vec<u32>> {
    let wanted = sorted(uids);
    let rows = rows_for(tx, "uid, content_id", mailbox, &wanted).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let modseq = bump(tx, mailbox).await?;
    let mut gone = Vec::with_capacity(rows.len());
    for row in rows {
        let uid = uid_of(&row)?;
        let content_id: i64 = row.try_get("content_id").map_err(db)?;
        sqlx::query("DELETE FROM messages WHERE mailbox_id = $1 AND uid = $2")
            .bind(mailbox.0)
            .bind(i64::from(uid))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
        release(tx, backend, content_id).await?;
        sqlx::query(
            "INSERT INTO expunged (mailbox_id, uid, modseq) VALUES ($1, $2, $3) \
             ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq",
        )
        .bind(mailbox.0)
        .bind(i64::from(uid))
        .bind(modseq)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
        gone.push(uid);
    }
    prune_tombstones(tx, mailbox).await?;
    Ok(gone)
}

/// Keeps the newest [`KEPT_TOMBSTONES`] tombstones of a mailbox and remembers up to which
/// modseq older ones are gone.
async fn prune_tombstones(tx: &mut Transaction<'_, Any>, mailbox: MailboxId) -> Result<()> {
    let oldest_kept: Option<i64> = sqlx::query_scalar(
        "SELECT modseq FROM expunged WHERE mailbox_id = $1 ORDER BY modseq DESC LIMIT 1 OFFSET $2",
    )
    .bind(mailbox.0)
    .bind(KEPT_TOMBSTONES - 1)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    let Some(oldest_kept) = oldest_kept else {
        return Ok(());
    };
    let pruned = sqlx::query("DELETE FROM expunged WHERE mailbox_id = $1 AND modseq < $2")
        .bind(mailbox.0)
        .bind(oldest_kept)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    if pruned.rows_affected() > 0 {
        sqlx::query("UPDATE mailboxes SET expunged_floor = $1 WHERE id = $2")
            .bind(oldest_kept - 1)
            .bind(mailbox.0)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    Ok(())
}

/// Drops one reference to a content, and the content with its search index with its last
/// reference.
pub(super) async fn release(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    content_id: i64,
) -> Result<()> {
    let refs: Option<i64> = sqlx::query_scalar(
        "UPDATE message_contents SET refs = refs - 1 WHERE id = $1 RETURNING refs",
    )
    .bind(content_id)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    if refs.is_some_and(|r| r <= 0) {
        search::forget(tx, backend, content_id).await?;
        sqlx::query("DELETE FROM message_contents WHERE id = $1")
            .bind(content_id)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    Ok(())
}

fn apply(current: &Flags, op: FlagOp, flags: &Flags) -> Flags {
    match op {
        FlagOp::Replace => {
            let mut next = flags.clone();
            next.keywords.sort();
            next.keywords.dedup();
            next
        }
        FlagOp::Add => {
            let mut keywords = current.keywords.clone();
            for k in &flags.keywords {
                if !keywords.iter().any(|have| have.eq_ignore_ascii_case(k)) {
                    keywords.push(k.clone());
                }
            }
            Flags {
                system: current.system | flags.system,
                keywords,
            }
        }
        FlagOp::Remove => Flags {
            system: current.system & !flags.system,
            keywords: current
                .keywords
                .iter()
                .filter(|have| !flags.keywords.iter().any(|k| k.eq_ignore_ascii_case(have)))
                .cloned()
                .collect(),
        },
    }
}

pub(super) async fn store_flags(
    store: &SqlStore,
    mailbox: MailboxId,
    uids: &[u32],
    op: FlagOp,
    flags: &Flags,
) -> Result<Vec<MessageMeta>> {
    let wanted = sorted(uids);
    let mut tx = store.begin_write().await?;
    let mut changed = Vec::new();
    for row in rows_for(&mut tx, MESSAGE_COLUMNS, mailbox, &wanted).await? {
        let mut meta = message(&row)?;
        let next = apply(&meta.flags, op, flags);
        if next != meta.flags {
            meta.flags = next;
            changed.push(meta);
        }
    }
    if !changed.is_empty() {
        let modseq = bump(&mut tx, mailbox).await?;
        for meta in &mut changed {
            meta.modseq = modseq;
            sqlx::query(
                "UPDATE messages SET flags = $1, keywords = $2, modseq = $3 WHERE mailbox_id = $4 AND uid = $5",
            )
            .bind(i64::from(meta.flags.system))
            .bind(meta.flags.keywords_text())
            .bind(modseq)
            .bind(mailbox.0)
            .bind(i64::from(meta.uid))
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(changed)
}

pub(super) async fn copy(
    store: &SqlStore,
    from: MailboxId,
    uids: &[u32],
    to: MailboxId,
    remove_source: bool,
) -> Result<Copied> {
    let wanted = sorted(uids);
    let mut tx = store.begin_write().await?;
    let columns = "uid, content_id, size, internal_date, flags, keywords";
    let rows = rows_for(&mut tx, columns, from, &wanted).await?;
    let count = i64::try_from(rows.len()).map_err(|_| corrupt("count"))?;
    let dest = sqlx::query(
        "UPDATE mailboxes SET uidnext = uidnext + $1, modseq = modseq + $2 \
         WHERE id = $3 AND selectable = 1 RETURNING uidnext - $4 AS first, modseq, uidvalidity",
    )
    .bind(count)
    .bind(i64::from(count > 0))
    .bind(to.0)
    .bind(count)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    .ok_or(DomainError::NotFound("mailbox"))?;
    let first: i64 = dest.try_get("first").map_err(db)?;
    let modseq: i64 = dest.try_get("modseq").map_err(db)?;
    let uidvalidity: i64 = dest.try_get("uidvalidity").map_err(db)?;
    if first + count > i64::from(u32::MAX) {
        return Err(DomainError::store("UIDs exhausted"));
    }
    let mut copied = Copied {
        uidvalidity: u32::try_from(uidvalidity).unwrap_or(1),
        uids: Vec::with_capacity(rows.len()),
        modseq: if count > 0 { modseq } else { 0 },
        source_modseq: 0,
    };
    for (i, row) in rows.iter().enumerate() {
        let new_uid = first + i64::try_from(i).map_err(|_| corrupt("count"))?;
        let content_id: i64 = row.try_get("content_id").map_err(db)?;
        sqlx::query(
            "INSERT INTO messages (mailbox_id, uid, content_id, size, internal_date, flags, keywords, modseq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(to.0)
        .bind(new_uid)
        .bind(content_id)
        .bind(row.try_get::<i64, _>("size").map_err(db)?)
        .bind(row.try_get::<i64, _>("internal_date").map_err(db)?)
        .bind(row.try_get::<i64, _>("flags").map_err(db)?)
        .bind(row.try_get::<String, _>("keywords").map_err(db)?)
        .bind(modseq)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query("UPDATE message_contents SET refs = refs + 1 WHERE id = $1")
            .bind(content_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let new_uid = u32::try_from(new_uid).map_err(|_| corrupt("UID"))?;
        copied.uids.push((uid_of(row)?, new_uid));
    }
    if remove_source && !copied.uids.is_empty() {
        let moved: Vec<u32> = copied.uids.iter().map(|(from, _)| *from).collect();
        remove(&mut tx, store.backend, from, &moved).await?;
        copied.source_modseq = sqlx::query("SELECT modseq FROM mailboxes WHERE id = $1")
            .bind(from.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?
            .try_get(0)
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(copied)
}

pub(super) async fn expunge_deleted(
    store: &SqlStore,
    mailbox: MailboxId,
    uids: Option<&[u32]>,
) -> Result<Vec<u32>> {
    let mut tx = store.begin_write().await?;
    let deleted = sqlx::query(
        "SELECT uid FROM messages WHERE mailbox_id = $1 AND flags & 8 != 0 ORDER BY uid",
    )
    .bind(mailbox.0)
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    let mut chosen = Vec::with_capacity(deleted.len());
    let within = uids.map(sorted);
    for row in &deleted {
        let uid = uid_of(row)?;
        if within
            .as_ref()
            .is_none_or(|w| w.binary_search(&uid).is_ok())
        {
            chosen.push(uid);
        }
    }
    let gone = remove(&mut tx, store.backend, mailbox, &chosen).await?;
    tx.commit().await.map_err(db)?;
    Ok(gone)
}

pub(super) async fn changes_since(
    store: &SqlStore,
    mailbox: MailboxId,
    since: i64,
) -> Result<Option<MailboxDelta>> {
    // One read transaction, so that the three reads see the same state.
    let mut tx = store.reader.begin().await.map_err(db)?;
    let Some(row) = sqlx::query(
        "SELECT modseq, uidnext, recent_uid, expunged_floor FROM mailboxes \
         WHERE id = $1 AND selectable = 1",
    )
    .bind(mailbox.0)
    .fetch_optional(&mut *tx)
    .await
    .map_err(db)?
    else {
        return Ok(None);
    };
    let modseq: i64 = row.try_get("modseq").map_err(db)?;
    let uidnext: i64 = row.try_get("uidnext").map_err(db)?;
    let recent_uid: i64 = row.try_get("recent_uid").map_err(db)?;
    let floor: i64 = row.try_get("expunged_floor").map_err(db)?;
    let mut delta = MailboxDelta {
        expunged_pruned: since < floor,
        modseq,
        uidnext: u32::try_from(uidnext).unwrap_or(u32::MAX),
        recent_uid: u32::try_from(recent_uid).unwrap_or(u32::MAX),
        ..MailboxDelta::default()
    };
    if modseq > since {
        delta.changed = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE mailbox_id = $1 AND modseq > $2 \
             ORDER BY uid"
        )))
        .bind(mailbox.0)
        .bind(since)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .iter()
        .map(message)
        .collect::<Result<_>>()?;
        delta.expunged = sqlx::query(
            "SELECT uid FROM expunged WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid",
        )
        .bind(mailbox.0)
        .bind(since)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .iter()
        .map(uid_of)
        .collect::<Result<_>>()?;
    }
    tx.commit().await.map_err(db)?;
    Ok(Some(delta))
}
