//! The revocation log other processes follow to close a disconnected device's sessions.

use async_trait::async_trait;
use postern_domain::DeviceId;
use postern_domain::Result;
use postern_domain::model::Revocation;
use postern_domain::repo::RevocationLog;
use sqlx::Row;

use super::SqlStore;
use crate::error::{corrupt, db};

#[async_trait]
impl RevocationLog for SqlStore {
    async fn revocations_after(&self, seq: i64) -> Result<Vec<Revocation>> {
        sqlx::query(
            "SELECT seq, device_id, through_generation FROM revocations WHERE seq > $1 ORDER BY seq LIMIT 1000",
        )
        .bind(seq)
        .fetch_all(&self.reader)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            let device: String = r.try_get("device_id").map_err(db)?;
            Ok(Revocation {
                seq: r.try_get("seq").map_err(db)?,
                device_id: DeviceId::parse(&device).map_err(|_| corrupt("revoked device"))?,
                through_generation: r.try_get("through_generation").map_err(db)?,
            })
        })
        .collect()
    }

    async fn wait_for_revocations(&self, max_wait: std::time::Duration) {
        match (&self.notifications, &self.changes) {
            (Some(listener), _) => listener.wait("postern_revocations", max_wait).await,
            (None, Some(changes)) => changes.wait(max_wait).await,
            (None, None) => tokio::time::sleep(max_wait).await,
        }
    }

    async fn last_revocation_seq(&self) -> Result<i64> {
        sqlx::query("SELECT coalesce(max(seq), 0) AS seq FROM revocations")
            .fetch_one(&self.reader)
            .await
            .map_err(db)?
            .try_get("seq")
            .map_err(db)
    }
}
