//! Two-step verification: the sealed secret, the last used step, the recovery codes.

use async_trait::async_trait;
use postern_domain::clock::{from_millis, to_millis};
use postern_domain::model::ActivityEntry;
use postern_domain::repo::TwoStepRepo;
use postern_domain::two_step::{RecoveryCodeHash, TwoStepRecord};
use postern_domain::{AccountId, Result};
use sqlx::Row;
use time::OffsetDateTime;

use super::SqlStore;
use super::devices::insert_activity;
use crate::error::{corrupt, db};

#[async_trait]
impl TwoStepRepo for SqlStore {
    async fn two_step(&self, account: AccountId) -> Result<Option<TwoStepRecord>> {
        let row = sqlx::query(
            "SELECT sealed_secret, enabled_at, \
             (SELECT COUNT(*) FROM recovery_codes r WHERE r.account_id = t.account_id) AS codes \
             FROM two_step t WHERE t.account_id = $1",
        )
        .bind(account.0)
        .fetch_optional(&self.writer)
        .await
        .map_err(db)?;
        let Some(r) = row else { return Ok(None) };
        let enabled_at: Option<i64> = r.try_get("enabled_at").map_err(db)?;
        let codes: i64 = r.try_get("codes").map_err(db)?;
        Ok(Some(TwoStepRecord {
            sealed_secret: r.try_get("sealed_secret").map_err(db)?,
            enabled_at: enabled_at.map(from_millis),
            recovery_codes_left: usize::try_from(codes).map_err(|_| corrupt("recovery codes"))?,
        }))
    }

    async fn begin_two_step(&self, account: AccountId, sealed_secret: &[u8]) -> Result<bool> {
        let written = sqlx::query(
            "INSERT INTO two_step (account_id, sealed_secret, enabled_at, last_step) \
             VALUES ($1, $2, NULL, 0) ON CONFLICT (account_id) DO UPDATE \
             SET sealed_secret = excluded.sealed_secret, last_step = 0 \
             WHERE two_step.enabled_at IS NULL",
        )
        .bind(account.0)
        .bind(sealed_secret)
        .execute(&self.writer)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(written == 1)
    }

    async fn enable_two_step(
        &self,
        account: AccountId,
        step: i64,
        recovery_codes: &[RecoveryCodeHash],
        at: OffsetDateTime,
        activity: &[ActivityEntry],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let turned_on = sqlx::query(
            "UPDATE two_step SET enabled_at = $1, last_step = $2 \
             WHERE account_id = $3 AND enabled_at IS NULL",
        )
        .bind(to_millis(at))
        .bind(step)
        .bind(account.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?
        .rows_affected();
        if turned_on == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
            .bind(account.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        for code in recovery_codes {
            sqlx::query("INSERT INTO recovery_codes (account_id, code_hash) VALUES ($1, $2)")
                .bind(account.0)
                .bind(&code[..])
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        for entry in activity {
            insert_activity(&mut tx, entry).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn use_totp_step(&self, account: AccountId, step: i64) -> Result<bool> {
        let moved = sqlx::query(
            "UPDATE two_step SET last_step = $1 \
             WHERE account_id = $2 AND enabled_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(account.0)
        .execute(&self.writer)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(moved == 1)
    }

    async fn use_recovery_code(&self, account: AccountId, code: &RecoveryCodeHash) -> Result<bool> {
        let used =
            sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1 AND code_hash = $2")
                .bind(account.0)
                .bind(&code[..])
                .execute(&self.writer)
                .await
                .map_err(db)?
                .rows_affected();
        Ok(used == 1)
    }

    async fn disable_two_step(
        &self,
        account: AccountId,
        activity: &[ActivityEntry],
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let enabled: Option<Option<i64>> =
            sqlx::query_scalar("SELECT enabled_at FROM two_step WHERE account_id = $1")
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
        let Some(enabled) = enabled else {
            return Ok(false);
        };
        for delete in [
            "DELETE FROM recovery_codes WHERE account_id = $1",
            "DELETE FROM two_step WHERE account_id = $1",
        ] {
            sqlx::query(delete)
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
        }
        // A secret that never got its first code was never on: nothing to note.
        for entry in activity.iter().filter(|_| enabled.is_some()) {
            insert_activity(&mut tx, entry).await?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }
}
