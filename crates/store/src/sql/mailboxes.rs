//! Creating, deleting and renaming mailboxes, with their children (`/` separates levels).

use postern_domain::mail::{Mailbox, MailboxCounts, MailboxId};
use postern_domain::{AddressId, DomainError, Result};
use sqlx::{Row, Transaction, any::Any};
use time::OffsetDateTime;

use super::mail::{MAILBOX_COLUMNS, mailbox};
use super::mail_changes::{release, remove};
use super::uidvalidity::{new_uidvalidity, renew_uidvalidity};
use super::{Backend, SqlStore};
use crate::error::db;

const INBOX: &str = "INBOX";

fn check_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.ends_with('/')
        || name.contains("//")
        || name.chars().any(|c| c.is_control());
    if bad {
        return Err(DomainError::invalid(
            "mailbox",
            format!("{name:?} is not a mailbox name"),
        ));
    }
    Ok(())
}

/// The names above `name`: `a/b/c` gives `a` and `a/b`.
fn parents(name: &str) -> impl Iterator<Item = &str> {
    name.match_indices('/').map(|(i, _)| &name[..i])
}

/// Bounds of the names below `name`: children sort between `name/` and `name0`.
fn children_range(name: &str) -> (String, String) {
    (format!("{name}/"), format!("{name}0"))
}

async fn find(
    tx: &mut Transaction<'_, Any>,
    address: AddressId,
    name: &str,
) -> Result<Option<Mailbox>> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE address_id = $1 AND name = $2"
    )))
    .bind(address.0)
    .bind(name)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .map(|r| mailbox(&r))
    .transpose()
}

async fn has_children(
    tx: &mut Transaction<'_, Any>,
    address: AddressId,
    name: &str,
) -> Result<bool> {
    let (low, high) = children_range(name);
    Ok(sqlx::query(
        "SELECT 1 FROM mailboxes WHERE address_id = $1 AND name > $2 AND name < $3 LIMIT 1",
    )
    .bind(address.0)
    .bind(low)
    .bind(high)
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?
    .is_some())
}

async fn insert(
    tx: &mut Transaction<'_, Any>,
    address: AddressId,
    name: &str,
    at: OffsetDateTime,
) -> Result<i64> {
    let uidvalidity = new_uidvalidity(tx, address, at).await?;
    // Creating a mailbox does not subscribe to it (RFC 3501 6.3.6: subscriptions are the
    // client's own list); only the mailboxes every address starts with are subscribed.
    sqlx::query(
        "INSERT INTO mailboxes (address_id, name, uidvalidity, subscribed) \
         VALUES ($1, $2, $3, 0) RETURNING id",
    )
    .bind(address.0)
    .bind(name)
    .bind(uidvalidity)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?
    .try_get(0)
    .map_err(db)
}

async fn create_parents(
    tx: &mut Transaction<'_, Any>,
    address: AddressId,
    name: &str,
    at: OffsetDateTime,
) -> Result<()> {
    for parent in parents(name) {
        if find(tx, address, parent).await?.is_none() {
            insert(tx, address, parent, at).await?;
        }
    }
    Ok(())
}

pub(super) async fn create(
    store: &SqlStore,
    address: AddressId,
    name: &str,
    at: OffsetDateTime,
) -> Result<Mailbox> {
    check_name(name)?;
    let mut tx = store.begin_write().await?;
    let id = match find(&mut tx, address, name).await? {
        Some(existing) if existing.selectable => {
            return Err(DomainError::Conflict(format!(
                "mailbox {name} already exists"
            )));
        }
        Some(existing) => {
            let uidvalidity = new_uidvalidity(&mut tx, address, at).await?;
            sqlx::query("UPDATE mailboxes SET selectable = 1, uidvalidity = $1 WHERE id = $2")
                .bind(uidvalidity)
                .bind(existing.id.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            existing.id.0
        }
        None => {
            create_parents(&mut tx, address, name, at).await?;
            insert(&mut tx, address, name, at).await?
        }
    };
    let created = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let created = mailbox(&created)?;
    tx.commit().await.map_err(db)?;
    Ok(created)
}

/// Removes every message of a mailbox that is going away, releasing their contents.
async fn drop_messages(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    id: MailboxId,
) -> Result<()> {
    let contents = sqlx::query("SELECT content_id FROM messages WHERE mailbox_id = $1")
        .bind(id.0)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
    sqlx::query("DELETE FROM messages WHERE mailbox_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    for row in contents {
        release(tx, backend, row.try_get(0).map_err(db)?).await?;
    }
    sqlx::query("DELETE FROM expunged WHERE mailbox_id = $1")
        .bind(id.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn delete(store: &SqlStore, address: AddressId, name: &str) -> Result<()> {
    if name.eq_ignore_ascii_case(INBOX) {
        return Err(DomainError::invalid("mailbox", "INBOX cannot be deleted"));
    }
    let mut tx = store.begin_write().await?;
    let found = find(&mut tx, address, name)
        .await?
        .ok_or(DomainError::NotFound("mailbox"))?;
    let children = has_children(&mut tx, address, name).await?;
    if children && !found.selectable {
        return Err(DomainError::invalid(
            "mailbox",
            format!("{name} has children; delete them first"),
        ));
    }
    drop_messages(&mut tx, store.backend, found.id).await?;
    if children {
        // The name stays for its children, with nothing in it (RFC 3501 DELETE).
        sqlx::query("UPDATE mailboxes SET selectable = 0, modseq = modseq + 1 WHERE id = $1")
            .bind(found.id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    } else {
        sqlx::query("DELETE FROM mailboxes WHERE id = $1")
            .bind(found.id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}

pub(super) async fn rename(
    store: &SqlStore,
    address: AddressId,
    from: &str,
    to: &str,
    at: OffsetDateTime,
) -> Result<()> {
    check_name(to)?;
    if to.eq_ignore_ascii_case(INBOX) {
        return Err(DomainError::Conflict("INBOX already exists".into()));
    }
    if to.starts_with(&format!("{from}/")) {
        return Err(DomainError::invalid(
            "mailbox",
            "a mailbox cannot move into itself",
        ));
    }
    let mut tx = store.begin_write().await?;
    let source = find(&mut tx, address, from)
        .await?
        .ok_or(DomainError::NotFound("mailbox"))?;
    if find(&mut tx, address, to).await?.is_some() {
        return Err(DomainError::Conflict(format!(
            "mailbox {to} already exists"
        )));
    }
    create_parents(&mut tx, address, to, at).await?;
    if source.name == INBOX {
        rename_inbox(&mut tx, store.backend, address, &source, to, at).await?;
    } else {
        sqlx::query("UPDATE mailboxes SET name = $1 WHERE id = $2")
            .bind(to)
            .bind(source.id.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let (low, high) = children_range(from);
        let children: Vec<i64> = sqlx::query(
            "SELECT id FROM mailboxes WHERE address_id = $1 AND name > $2 AND name < $3",
        )
        .bind(address.0)
        .bind(&low)
        .bind(&high)
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<std::result::Result<_, _>>()
        .map_err(db)?;
        for id in std::iter::once(source.id.0).chain(children) {
            renew_uidvalidity(&mut tx, address, id, at).await?;
        }
        // substr() counts characters; the children keep what follows the old name.
        let keep_from = i64::try_from(from.chars().count() + 1).unwrap_or(i64::MAX);
        sqlx::query(
            "UPDATE mailboxes SET name = $1 || substr(name, CAST($2 AS INTEGER)) \
             WHERE address_id = $3 AND name > $4 AND name < $5",
        )
        .bind(to)
        .bind(keep_from)
        .bind(address.0)
        .bind(low)
        .bind(high)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    tx.commit().await.map_err(db)?;
    Ok(())
}

/// RFC 3501: renaming INBOX moves its messages to a new mailbox and leaves INBOX empty;
/// its children stay where they are.
async fn rename_inbox(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    address: AddressId,
    inbox: &Mailbox,
    to: &str,
    at: OffsetDateTime,
) -> Result<()> {
    let new_id = insert(tx, address, to, at).await?;
    let uids: Vec<u32> = sqlx::query("SELECT uid FROM messages WHERE mailbox_id = $1 ORDER BY uid")
        .bind(inbox.id.0)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            r.try_get::<i64, _>(0)
                .map(|u| u32::try_from(u).unwrap_or(0))
        })
        .collect::<std::result::Result<_, _>>()
        .map_err(db)?;
    sqlx::query("UPDATE mailboxes SET uidnext = $1, modseq = $2 WHERE id = $3")
        .bind(i64::from(inbox.uidnext))
        .bind(inbox.modseq + 1)
        .bind(new_id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    // Copy the rows to the new mailbox, then expunge them from INBOX with tombstones; the
    // contents keep their reference count across the two steps.
    sqlx::query(
        "INSERT INTO messages (mailbox_id, uid, content_id, size, internal_date, flags, keywords, modseq) \
         SELECT $1, uid, content_id, size, internal_date, flags, keywords, modseq FROM messages WHERE mailbox_id = $2",
    )
    .bind(new_id)
    .bind(inbox.id.0)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "UPDATE message_contents SET refs = refs + \
         (SELECT COUNT(*) FROM messages m WHERE m.content_id = message_contents.id AND m.mailbox_id = $1) \
         WHERE id IN (SELECT content_id FROM messages WHERE mailbox_id = $2)",
    )
    .bind(new_id)
    .bind(new_id)
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    remove(tx, backend, inbox.id, &uids).await?;
    Ok(())
}

pub(super) async fn counts(store: &SqlStore, mailbox: MailboxId) -> Result<MailboxCounts> {
    // The counters are the row's; what is not counted is read through indexes: the first
    // unseen through the partial index of unseen messages, the recent ones by UID range.
    let row = sqlx::query(
        "SELECT b.messages, b.unseen, b.deleted, b.size, \
         (SELECT MIN(uid) FROM messages WHERE mailbox_id = b.id AND (flags & 1) = 0) AS first_unseen, \
         (SELECT COUNT(*) FROM messages WHERE mailbox_id = b.id AND uid >= b.recent_uid) AS recent \
         FROM mailboxes b WHERE b.id = $1",
    )
    .bind(mailbox.0)
    .fetch_optional(&store.reader)
    .await
    .map_err(db)?
    .ok_or(DomainError::NotFound("mailbox"))?;
    let count = |column: &str| -> Result<u32> {
        let n: i64 = row.try_get(column).map_err(db)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    };
    let first_unseen: Option<i64> = row.try_get("first_unseen").map_err(db)?;
    let size: i64 = row.try_get("size").map_err(db)?;
    Ok(MailboxCounts {
        messages: count("messages")?,
        unseen: count("unseen")?,
        deleted: count("deleted")?,
        first_unseen_uid: first_unseen.and_then(|u| u32::try_from(u).ok()),
        size: u64::try_from(size).unwrap_or(0),
        recent: count("recent")?,
    })
}

/// Claims the UIDs below `upto` that no session has seen yet; returns the first one claimed
/// (`upto` when there were none). Compare-and-set, so that two sessions never both claim one.
pub(super) async fn claim_recent(store: &SqlStore, mailbox: MailboxId, upto: u32) -> Result<u32> {
    loop {
        let current: Option<i64> =
            sqlx::query_scalar("SELECT recent_uid FROM mailboxes WHERE id = $1")
                .bind(mailbox.0)
                .fetch_optional(&store.writer)
                .await
                .map_err(db)?;
        let current = current.ok_or(DomainError::NotFound("mailbox"))?;
        let from = u32::try_from(current).unwrap_or(u32::MAX);
        if from >= upto {
            return Ok(upto);
        }
        let done =
            sqlx::query("UPDATE mailboxes SET recent_uid = $1 WHERE id = $2 AND recent_uid = $3")
                .bind(i64::from(upto))
                .bind(mailbox.0)
                .bind(current)
                .execute(&store.writer)
                .await
                .map_err(db)?;
        if done.rows_affected() == 1 {
            return Ok(from);
        }
    }
}
