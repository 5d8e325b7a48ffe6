//! Mailboxes and messages.

use async_trait::async_trait;
use postern_domain::clock::{from_millis, to_millis};
use postern_domain::mail::{
    Appended, ContentId, Copied, FlagOp, Flags, Found, MailRepo, Mailbox, MailboxCounts,
    MailboxDelta, MailboxId, MessageMeta, SpecialUse, UidSet, UidSetKey, Unindexed,
};
use postern_domain::search::{MessageIndex, Query};
use postern_domain::{AddressId, DomainError, Result};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use time::OffsetDateTime;

use super::{SqlStore, keywords, lists, mail_changes, mailboxes, search};
use crate::error::db;

pub(super) const MAILBOX_COLUMNS: &str = "id, address_id, name, special_use, uidvalidity, uidnext, modseq, subscribed, selectable, \
     recent_uid, messages, unseen, deleted, size";

pub(super) fn mailbox(row: &AnyRow) -> Result<Mailbox> {
    let special_use: Option<String> = row.try_get("special_use").map_err(db)?;
    let uidvalidity: i64 = row.try_get("uidvalidity").map_err(db)?;
    let uidnext: i64 = row.try_get("uidnext").map_err(db)?;
    let recent_uid: i64 = row.try_get("recent_uid").map_err(db)?;
    let count = |column: &str| -> Result<u32> {
        Ok(u32::try_from(row.try_get::<i64, _>(column).map_err(db)?).unwrap_or(0))
    };
    Ok(Mailbox {
        id: MailboxId(row.try_get("id").map_err(db)?),
        address_id: AddressId(row.try_get("address_id").map_err(db)?),
        name: row.try_get("name").map_err(db)?,
        special_use: special_use.as_deref().and_then(SpecialUse::parse),
        uidvalidity: u32::try_from(uidvalidity).unwrap_or(1),
        uidnext: u32::try_from(uidnext).unwrap_or(u32::MAX),
        modseq: row.try_get("modseq").map_err(db)?,
        subscribed: row.try_get::<i64, _>("subscribed").map_err(db)? != 0,
        selectable: row.try_get::<i64, _>("selectable").map_err(db)? != 0,
        recent_uid: u32::try_from(recent_uid).unwrap_or(u32::MAX),
        messages: count("messages")?,
        unseen: count("unseen")?,
        deleted: count("deleted")?,
        size: u64::try_from(row.try_get::<i64, _>("size").map_err(db)?).unwrap_or(0),
    })
}

/// The columns [`message`] reads, in the order of [`MessageValues`].
pub(super) const MESSAGE_COLUMNS: &str = "uid, size, internal_date, flags, keywords, modseq";

/// The values of [`MESSAGE_COLUMNS`]: a message row before it is checked into a
/// [`MessageMeta`]. A list of messages arrives as one JSON array of these.
#[derive(serde::Deserialize)]
struct MessageValues(i64, i64, i64, i64, String, i64);

impl MessageValues {
    fn into_meta(self) -> MessageMeta {
        let MessageValues(uid, size, internal_date, flags, keywords, modseq) = self;
        MessageMeta {
            uid: u32::try_from(uid).unwrap_or(0),
            size,
            internal_date: from_millis(internal_date),
            flags: Flags::from_stored(flags, &keywords),
            modseq,
        }
    }
}

pub(super) fn message(row: &AnyRow) -> Result<MessageMeta> {
    let get = |i: usize| row.try_get::<i64, _>(i).map_err(db);
    Ok(MessageValues(
        get(0)?,
        get(1)?,
        get(2)?,
        get(3)?,
        row.try_get(4).map_err(db)?,
        get(5)?,
    )
    .into_meta())
}

#[async_trait]
impl MailRepo for SqlStore {
    fn mail_news(
        &self,
    ) -> Option<tokio::sync::broadcast::Receiver<postern_domain::mail::MailNews>> {
        self.notifications.as_ref().map(|l| l.mail_news())
    }

    async fn mailboxes(&self, address: AddressId) -> Result<Vec<Mailbox>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE address_id = $1 ORDER BY name"
        )))
        .bind(address.0)
        .fetch_all(&self.reader)
        .await
        .map_err(db)?
        .iter()
        .map(mailbox)
        .collect()
    }

    async fn mailbox(&self, address: AddressId, name: &str) -> Result<Option<Mailbox>> {
        let name = if name.eq_ignore_ascii_case("INBOX") {
            "INBOX"
        } else {
            name
        };
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE address_id = $1 AND name = $2"
        )))
        .bind(address.0)
        .bind(name)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?
        .map(|r| mailbox(&r))
        .transpose()
    }

    async fn append(
        &self,
        mailbox: MailboxId,
        flags: &Flags,
        internal_date: OffsetDateTime,
        content: &[u8],
        index: &MessageIndex,
    ) -> Result<Appended> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "UPDATE mailboxes SET uidnext = uidnext + 1, modseq = modseq + 1 WHERE id = $1 AND selectable = 1 \
             RETURNING uidnext - 1 AS uid, modseq, uidvalidity",
        )
        .bind(mailbox.0)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(DomainError::NotFound("mailbox"))?;
        let uid: i64 = row.try_get("uid").map_err(db)?;
        let modseq: i64 = row.try_get("modseq").map_err(db)?;
        let uidvalidity: i64 = row.try_get("uidvalidity").map_err(db)?;
        let content_id: i64 =
            sqlx::query("INSERT INTO message_contents (content, refs) VALUES ($1, 1) RETURNING id")
                .bind(content)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?
                .try_get("id")
                .map_err(db)?;
        sqlx::query(
            "INSERT INTO messages (mailbox_id, uid, content_id, size, internal_date, flags, keywords, modseq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(mailbox.0)
        .bind(uid)
        .bind(content_id)
        .bind(i64::try_from(content.len()).unwrap_or(i64::MAX))
        .bind(to_millis(internal_date))
        .bind(i64::from(flags.system))
        .bind(flags.keywords_text())
        .bind(modseq)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        search::save(&mut tx, self.backend, content_id, index).await?;
        tx.commit().await.map_err(db)?;
        Ok(Appended {
            mailbox,
            uid: u32::try_from(uid).map_err(|_| DomainError::store("UIDs exhausted"))?,
            uidvalidity: u32::try_from(uidvalidity).unwrap_or(1),
            modseq,
        })
    }

    async fn messages(&self, mailbox: MailboxId) -> Result<Vec<MessageMeta>> {
        self.messages_between(mailbox, 1, u32::MAX).await
    }

    async fn message_content(&self, mailbox: MailboxId, uid: u32) -> Result<Option<Vec<u8>>> {
        sqlx::query(
            "SELECT c.content FROM messages m JOIN message_contents c ON c.id = m.content_id \
             WHERE m.mailbox_id = $1 AND m.uid = $2",
        )
        .bind(mailbox.0)
        .bind(i64::from(uid))
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?
        .map(|r| r.try_get("content").map_err(db))
        .transpose()
    }

    async fn message_contents(
        &self,
        mailbox: MailboxId,
        uids: &[u32],
    ) -> Result<Vec<(u32, Vec<u8>)>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        // The UIDs are named one by one, so that no content outside them is read.
        let wanted = (2..uids.len() + 2)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut query = sqlx::query(AssertSqlSafe(format!(
            "SELECT m.uid, c.content FROM messages m JOIN message_contents c ON c.id = m.content_id \
             WHERE m.mailbox_id = $1 AND m.uid IN ({wanted}) ORDER BY m.uid"
        )))
        .bind(mailbox.0);
        for uid in uids {
            query = query.bind(i64::from(*uid));
        }
        query
            .fetch_all(&self.reader)
            .await
            .map_err(db)?
            .iter()
            .map(|r| {
                let uid: i64 = r.try_get(0).map_err(db)?;
                let uid = u32::try_from(uid).map_err(|_| crate::error::corrupt("UID"))?;
                Ok((uid, r.try_get(1).map_err(db)?))
            })
            .collect()
    }

    async fn expunge(&self, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<u32>> {
        let mut tx = self.begin_write().await?;
        let gone = mail_changes::remove(&mut tx, self.backend, mailbox, uids).await?;
        tx.commit().await.map_err(db)?;
        Ok(gone)
    }

    async fn mailbox_by_id(&self, id: MailboxId) -> Result<Option<Mailbox>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?
        .map(|r| mailbox(&r))
        .transpose()
    }

    async fn create_mailbox(
        &self,
        address: AddressId,
        name: &str,
        at: OffsetDateTime,
    ) -> Result<Mailbox> {
        mailboxes::create(self, address, name, at).await
    }

    async fn delete_mailbox(&self, address: AddressId, name: &str) -> Result<()> {
        mailboxes::delete(self, address, name).await
    }

    async fn rename_mailbox(
        &self,
        address: AddressId,
        from: &str,
        to: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        mailboxes::rename(self, address, from, to, at).await
    }

    async fn set_subscribed(&self, address: AddressId, name: &str, subscribed: bool) -> Result<()> {
        let done =
            sqlx::query("UPDATE mailboxes SET subscribed = $1 WHERE address_id = $2 AND name = $3")
                .bind(i64::from(subscribed))
                .bind(address.0)
                .bind(name)
                .execute(&self.writer)
                .await
                .map_err(db)?;
        if done.rows_affected() == 0 {
            return Err(DomainError::NotFound("mailbox"));
        }
        Ok(())
    }

    async fn claim_recent(&self, mailbox: MailboxId, upto: u32) -> Result<u32> {
        mailboxes::claim_recent(self, mailbox, upto).await
    }

    async fn uids(&self, mailbox: MailboxId) -> Result<Vec<u32>> {
        let list = lists::json_list(self.backend, "uid", "uid");
        let json: String = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {list} FROM messages WHERE mailbox_id = $1"
        )))
        .bind(mailbox.0)
        .fetch_one(&self.reader)
        .await
        .map_err(db)?;
        lists::parse::<u32>(&json, "UID list")
    }

    async fn uid_set(&self, mailbox: MailboxId) -> Result<Option<UidSet>> {
        // One statement, so that the key and the list are of the same moment.
        let list = lists::json_list(self.backend, "uid", "uid");
        let Some(row) = sqlx::query(AssertSqlSafe(format!(
            "SELECT b.uidvalidity, b.uidnext, b.messages, \
             (SELECT {list} FROM messages WHERE mailbox_id = b.id) AS uids \
             FROM mailboxes b WHERE b.id = $1"
        )))
        .bind(mailbox.0)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?
        else {
            return Ok(None);
        };
        let number = |column: &str| -> Result<u32> {
            let n: i64 = row.try_get(column).map_err(db)?;
            u32::try_from(n).map_err(|_| crate::error::corrupt(column))
        };
        let json: String = row.try_get("uids").map_err(db)?;
        Ok(Some(UidSet {
            key: UidSetKey {
                uidvalidity: number("uidvalidity")?,
                uidnext: number("uidnext")?,
                messages: number("messages")?,
            },
            uids: lists::parse::<u32>(&json, "UID list")?,
        }))
    }

    async fn messages_between(
        &self,
        mailbox: MailboxId,
        first: u32,
        last: u32,
    ) -> Result<Vec<MessageMeta>> {
        let list = lists::json_list(
            self.backend,
            &lists::json_row(self.backend, MESSAGE_COLUMNS),
            "uid",
        );
        let json: String = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {list} FROM messages WHERE mailbox_id = $1 AND uid BETWEEN $2 AND $3"
        )))
        .bind(mailbox.0)
        .bind(i64::from(first))
        .bind(i64::from(last))
        .fetch_one(&self.reader)
        .await
        .map_err(db)?;
        Ok(lists::parse::<MessageValues>(&json, "message list")?
            .into_iter()
            .map(MessageValues::into_meta)
            .collect())
    }

    async fn store_flags(
        &self,
        mailbox: MailboxId,
        uids: &[u32],
        op: FlagOp,
        flags: &Flags,
    ) -> Result<Vec<MessageMeta>> {
        mail_changes::store_flags(self, mailbox, uids, op, flags).await
    }

    async fn copy_messages(&self, from: MailboxId, uids: &[u32], to: MailboxId) -> Result<Copied> {
        mail_changes::copy(self, from, uids, to, false).await
    }

    async fn move_messages(&self, from: MailboxId, uids: &[u32], to: MailboxId) -> Result<Copied> {
        mail_changes::copy(self, from, uids, to, true).await
    }

    async fn expunge_deleted(&self, mailbox: MailboxId, uids: Option<&[u32]>) -> Result<Vec<u32>> {
        mail_changes::expunge_deleted(self, mailbox, uids).await
    }

    async fn changes_since(&self, mailbox: MailboxId, modseq: i64) -> Result<Option<MailboxDelta>> {
        mail_changes::changes_since(self, mailbox, modseq).await
    }

    async fn mailbox_counts(&self, mailbox: MailboxId) -> Result<MailboxCounts> {
        mailboxes::counts(self, mailbox).await
    }

    async fn mailbox_keywords(&self, mailbox: MailboxId) -> Result<Vec<String>> {
        keywords::in_use(self, mailbox).await
    }

    async fn search(&self, mailbox: MailboxId, query: &Query) -> Result<Found> {
        let (uids, exact) = search::search(self, mailbox, query).await?;
        Ok(Found { uids, exact })
    }

    async fn unindexed(&self, limit: u32) -> Result<Vec<Unindexed>> {
        search::unindexed(self, limit).await
    }

    async fn save_index(&self, content: ContentId, index: &MessageIndex) -> Result<()> {
        search::save_unindexed(self, content, index).await
    }
}
