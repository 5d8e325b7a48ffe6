//! Web app sessions.

use async_trait::async_trait;
use postern_domain::clock::{from_millis, to_millis};
use postern_domain::model::{Account, ActivityEntry, WebSession};
use postern_domain::repo::WebSessionRepo;
use postern_domain::{AccountId, Login, Result};
use sqlx::Row;
use sqlx::any::AnyRow;
use time::OffsetDateTime;

use super::SqlStore;
use super::devices::insert_activity;
use crate::error::{corrupt, db};

#[async_trait]
impl WebSessionRepo for SqlStore {
    async fn create_session(&self, token_hash: &[u8; 32], s: &WebSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_sessions (token_hash, account_id, created_at, last_seen_at, confirmed_at, \
             ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&token_hash[..])
        .bind(s.account_id.0)
        .bind(to_millis(s.created_at))
        .bind(to_millis(s.last_seen_at))
        .bind(to_millis(s.confirmed_at))
        .bind(&s.ip)
        .bind(&s.user_agent)
        .execute(&self.writer)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<(WebSession, Account)>> {
        let row = sqlx::query(
            "SELECT s.account_id, s.created_at, s.last_seen_at, s.confirmed_at, s.ip, s.user_agent, \
             a.login, a.created_at AS account_created_at \
             FROM web_sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1",
        )
        .bind(&token_hash[..])
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        let Some(r) = row else { return Ok(None) };
        let session = session_row(&r)?;
        let account_id = session.account_id;
        let login: String = r.try_get("login").map_err(db)?;
        let account = Account {
            id: account_id,
            login: Login::parse(&login).map_err(|_| corrupt("login"))?,
            created_at: from_millis(r.try_get("account_created_at").map_err(db)?),
        };
        Ok(Some((session, account)))
    }

    async fn touch_session(&self, token_hash: &[u8; 32], at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE web_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(to_millis(at))
            .bind(&token_hash[..])
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn confirm_session(&self, token_hash: &[u8; 32], at: OffsetDateTime) -> Result<()> {
        sqlx::query(
            "UPDATE web_sessions SET confirmed_at = $1, last_seen_at = $2 WHERE token_hash = $3",
        )
        .bind(to_millis(at))
        .bind(to_millis(at))
        .bind(&token_hash[..])
        .execute(&self.writer)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1")
            .bind(&token_hash[..])
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn sessions_of(&self, account: AccountId) -> Result<Vec<([u8; 32], WebSession)>> {
        sqlx::query(
            "SELECT token_hash, account_id, created_at, last_seen_at, confirmed_at, ip, user_agent \
             FROM web_sessions WHERE account_id = $1 ORDER BY last_seen_at DESC, created_at DESC",
        )
        .bind(account.0)
        .fetch_all(&self.reader)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            let raw: Vec<u8> = r.try_get("token_hash").map_err(db)?;
            let hash: [u8; 32] = raw.try_into().map_err(|_| corrupt("session token hash"))?;
            Ok((hash, session_row(r)?))
        })
        .collect()
    }

    async fn end_session_of(
        &self,
        account: AccountId,
        token_hash: &[u8; 32],
        activity: &[ActivityEntry],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let gone =
            sqlx::query("DELETE FROM web_sessions WHERE token_hash = $1 AND account_id = $2")
                .bind(&token_hash[..])
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        for entry in activity {
            insert_activity(&mut tx, entry).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn delete_sessions_of(
        &self,
        account: AccountId,
        except: Option<&[u8; 32]>,
    ) -> Result<()> {
        let query = match except {
            Some(keep) => {
                sqlx::query("DELETE FROM web_sessions WHERE account_id = $1 AND token_hash <> $2")
                    .bind(account.0)
                    .bind(&keep[..])
            }
            None => sqlx::query("DELETE FROM web_sessions WHERE account_id = $1").bind(account.0),
        };
        query.execute(&self.writer).await.map_err(db)?;
        Ok(())
    }

    async fn delete_expired_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64> {
        Ok(
            sqlx::query("DELETE FROM web_sessions WHERE last_seen_at < $1 OR created_at < $2")
                .bind(to_millis(idle_before))
                .bind(to_millis(created_before))
                .execute(&self.writer)
                .await
                .map_err(db)?
                .rows_affected(),
        )
    }
}

/// The session columns of a row (`account_id`, the three times, `ip`, `user_agent`).
fn session_row(r: &AnyRow) -> Result<WebSession> {
    Ok(WebSession {
        account_id: AccountId(r.try_get("account_id").map_err(db)?),
        created_at: from_millis(r.try_get("created_at").map_err(db)?),
        last_seen_at: from_millis(r.try_get("last_seen_at").map_err(db)?),
        confirmed_at: from_millis(r.try_get("confirmed_at").map_err(db)?),
        ip: r.try_get("ip").map_err(db)?,
        user_agent: r.try_get("user_agent").map_err(db)?,
    })
}
