//! The outbound queue.

use async_trait::async_trait;
use postern_domain::clock::{from_millis, to_millis};
use postern_domain::queue::{
    AttemptOutcome, NewQueuedMessage, QueueRepo, QueuedMessageId, QueuedRecipient,
    QueuedRecipientId,
};
use postern_domain::{Email, Result};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::SqlStore;
use crate::error::{corrupt, db};

const RECIPIENT_COLUMNS: &str = "r.id, r.message_id, m.sender, r.recipient, r.attempts, \
     m.queued_at, r.next_attempt_at, r.last_error";

fn recipient(row: &AnyRow) -> Result<QueuedRecipient> {
    let sender: String = row.try_get("sender").map_err(db)?;
    let attempts: i64 = row.try_get("attempts").map_err(db)?;
    Ok(QueuedRecipient {
        id: QueuedRecipientId(row.try_get("id").map_err(db)?),
        message_id: QueuedMessageId(row.try_get("message_id").map_err(db)?),
        sender: Email::parse(&sender).map_err(|_| corrupt("queued sender"))?,
        recipient: row.try_get("recipient").map_err(db)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        queued_at: from_millis(row.try_get("queued_at").map_err(db)?),
        next_attempt_at: from_millis(row.try_get("next_attempt_at").map_err(db)?),
        last_error: row.try_get("last_error").map_err(db)?,
    })
}

#[async_trait]
impl QueueRepo for SqlStore {
    async fn enqueue(&self, message: &NewQueuedMessage<'_>) -> Result<QueuedMessageId> {
        let at = to_millis(message.queued_at);
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO queue_messages (sender, content, queued_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(message.sender.as_str())
        .bind(message.content)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?
        .try_get("id")
        .map_err(db)?;
        for r in message.recipients {
            sqlx::query(
                "INSERT INTO queue_recipients (message_id, recipient, next_attempt_at) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(r)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(QueuedMessageId(id))
    }

    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<QueuedRecipient>> {
        let mut tx = self.begin_write().await?;
        let ids: Vec<i64> = sqlx::query(
            "UPDATE queue_recipients SET attempts = attempts + 1, next_attempt_at = $1 \
             WHERE id IN (SELECT id FROM queue_recipients WHERE next_attempt_at <= $2 \
                          ORDER BY next_attempt_at, id LIMIT $3) \
               AND next_attempt_at <= $2 \
             RETURNING id",
        )
        .bind(to_millis(lease_until))
        .bind(to_millis(now))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await
        .map_err(db)?
        .iter()
        .map(|r| r.try_get("id").map_err(db))
        .collect::<Result<_>>()?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {RECIPIENT_COLUMNS} FROM queue_recipients r \
                 JOIN queue_messages m ON m.id = r.message_id WHERE r.id = $1"
            )))
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            claimed.push(recipient(&row)?);
        }
        tx.commit().await.map_err(db)?;
        claimed.sort_by_key(|r| (r.message_id, r.id));
        Ok(claimed)
    }

    async fn queued_content(&self, message: QueuedMessageId) -> Result<Option<Vec<u8>>> {
        sqlx::query("SELECT content FROM queue_messages WHERE id = $1")
            .bind(message.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(db)?
            .map(|r| r.try_get("content").map_err(db))
            .transpose()
    }

    async fn finish_attempts(
        &self,
        outcomes: &[(QueuedRecipientId, AttemptOutcome)],
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        for (id, outcome) in outcomes {
            match outcome {
                AttemptOutcome::Deferred { until, error } => {
                    sqlx::query(
                        "UPDATE queue_recipients SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
                    )
                    .bind(to_millis(*until))
                    .bind(error)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                }
                AttemptOutcome::Delivered | AttemptOutcome::Failed => {
                    sqlx::query("DELETE FROM queue_recipients WHERE id = $1")
                        .bind(id.0)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
            }
        }
        sqlx::query(
            "DELETE FROM queue_messages WHERE NOT EXISTS \
             (SELECT 1 FROM queue_recipients r WHERE r.message_id = queue_messages.id)",
        )
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn next_due(&self) -> Result<Option<OffsetDateTime>> {
        let at: Option<i64> =
            sqlx::query("SELECT MIN(next_attempt_at) AS at FROM queue_recipients")
                .fetch_one(&self.reader)
                .await
                .map_err(db)?
                .try_get("at")
                .map_err(db)?;
        Ok(at.map(from_millis))
    }

    async fn queued_recipients(&self) -> Result<Vec<QueuedRecipient>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {RECIPIENT_COLUMNS} FROM queue_recipients r \
             JOIN queue_messages m ON m.id = r.message_id ORDER BY r.message_id, r.id"
        )))
        .fetch_all(&self.reader)
        .await
        .map_err(db)?
        .iter()
        .map(recipient)
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;

    async fn store() -> (tempfile::TempDir, SqlStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("q.db").display());
        let store = SqlStore::open(&url, Default::default()).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn claim_lease_defer_and_finish() {
        let (_dir, store) = store().await;
        let t0 = from_millis(1_700_000_000_000);
        let sender = Email::parse("me@example.org").unwrap();
        let rcpts = vec!["a@far.test".to_owned(), "b@far.test".to_owned()];
        let id = store
            .enqueue(&NewQueuedMessage {
                sender: &sender,
                recipients: &rcpts,
                content: b"Subject: x\r\n\r\nhi\r\n",
                queued_at: t0,
            })
            .await
            .unwrap();
        assert_eq!(store.next_due().await.unwrap(), Some(t0));
        assert_eq!(
            store.queued_content(id).await.unwrap().unwrap(),
            b"Subject: x\r\n\r\nhi\r\n"
        );

        // Nothing is due before its time; everything is at its time.
        let early = store
            .claim_due(t0 - Duration::seconds(1), t0, 10)
            .await
            .unwrap();
        assert!(early.is_empty());
        let lease = t0 + Duration::minutes(10);
        let claimed = store.claim_due(t0, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(
            claimed
                .iter()
                .all(|r| r.attempts == 1 && r.sender == sender)
        );
        assert_eq!(claimed[0].recipient, "a@far.test");
        // Claimed recipients are hidden until the lease ends.
        assert!(store.claim_due(t0, lease, 10).await.unwrap().is_empty());

        let retry_at = t0 + Duration::minutes(1);
        store
            .finish_attempts(&[
                (claimed[0].id, AttemptOutcome::Delivered),
                (
                    claimed[1].id,
                    AttemptOutcome::Deferred {
                        until: retry_at,
                        error: "451 4.3.0 later".into(),
                    },
                ),
            ])
            .await
            .unwrap();
        let left = store.queued_recipients().await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].recipient, "b@far.test");
        assert_eq!(left[0].last_error.as_deref(), Some("451 4.3.0 later"));
        assert_eq!(store.next_due().await.unwrap(), Some(retry_at));

        let again = store.claim_due(retry_at, lease, 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);
        store
            .finish_attempts(&[(again[0].id, AttemptOutcome::Failed)])
            .await
            .unwrap();
        assert!(store.queued_recipients().await.unwrap().is_empty());
        assert_eq!(store.queued_content(id).await.unwrap(), None);
        assert_eq!(store.next_due().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_queued_message_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = format!("sqlite://{}", dir.path().join("q.db").display());
        let sender = Email::parse("me@example.org").unwrap();
        {
            let store = SqlStore::open(&path, Default::default()).await.unwrap();
            store
                .enqueue(&NewQueuedMessage {
                    sender: &sender,
                    recipients: &["x@far.test".to_owned()],
                    content: b"x",
                    queued_at: from_millis(5),
                })
                .await
                .unwrap();
            store.close().await;
        }
        let store = SqlStore::open(&path, Default::default()).await.unwrap();
        assert_eq!(store.queued_recipients().await.unwrap().len(), 1);
    }
}
