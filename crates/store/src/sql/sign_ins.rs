//! Devices' sign-in history, their alerts' turns, the addresses' alert switch, retention.

use async_trait::async_trait;
use postern_domain::clock::{from_millis, to_millis};
use postern_domain::model::SignInEntry;
use postern_domain::repo::SignInRepo;
use postern_domain::{AddressId, DeviceId, Protocol, Result};
use sqlx::Row;
use time::OffsetDateTime;

use super::SqlStore;
use crate::error::{corrupt, db};

#[async_trait]
impl SignInRepo for SqlStore {
    async fn sign_ins(&self, device: DeviceId, limit: u32) -> Result<Vec<SignInEntry>> {
        sqlx::query(
            "SELECT at, ip, protocol, client FROM device_sign_ins WHERE device_id = $1 \
             ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(device.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db)?
        .iter()
        .map(|r| {
            let ip: String = r.try_get("ip").map_err(db)?;
            let protocol: String = r.try_get("protocol").map_err(db)?;
            Ok(SignInEntry {
                at: from_millis(r.try_get("at").map_err(db)?),
                ip: ip.parse().map_err(|_| corrupt("sign-in IP"))?,
                protocol: Protocol::parse(&protocol).map_err(|_| corrupt("sign-in protocol"))?,
                client: r.try_get("client").map_err(db)?,
            })
        })
        .collect()
    }

    async fn signed_in_from(&self, device: DeviceId, network: &str) -> Result<bool> {
        let found = sqlx::query(
            "SELECT 1 AS one FROM device_sign_ins WHERE device_id = $1 AND network = $2 LIMIT 1",
        )
        .bind(device.to_string())
        .bind(network)
        .fetch_optional(&self.writer)
        .await
        .map_err(db)?;
        Ok(found.is_some())
    }

    async fn signed_in_with(&self, device: DeviceId, client: &str) -> Result<bool> {
        let found = sqlx::query(
            "SELECT 1 AS one FROM device_sign_ins WHERE device_id = $1 AND client = $2 LIMIT 1",
        )
        .bind(device.to_string())
        .bind(client)
        .fetch_optional(&self.writer)
        .await
        .map_err(db)?;
        Ok(found.is_some())
    }

    async fn claim_alert(
        &self,
        device: DeviceId,
        now: OffsetDateTime,
        last_before: OffsetDateTime,
    ) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE devices SET last_alert_at = $1 \
             WHERE id = $2 AND (last_alert_at IS NULL OR last_alert_at <= $3)",
        )
        .bind(to_millis(now))
        .bind(device.to_string())
        .bind(to_millis(last_before))
        .execute(&self.writer)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(claimed == 1)
    }

    async fn sign_in_alerts(&self, address: AddressId) -> Result<bool> {
        let on: Option<i64> =
            sqlx::query_scalar("SELECT sign_in_alerts FROM addresses WHERE id = $1")
                .bind(address.0)
                .fetch_optional(&self.reader)
                .await
                .map_err(db)?;
        Ok(on.unwrap_or(0) != 0)
    }

    async fn set_sign_in_alerts(&self, address: AddressId, on: bool) -> Result<()> {
        sqlx::query("UPDATE addresses SET sign_in_alerts = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(address.0)
            .execute(&self.writer)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn prune_history(&self, before: OffsetDateTime) -> Result<u64> {
        let mut tx = self.begin_write().await?;
        let mut gone = 0;
        for delete in [
            "DELETE FROM device_sign_ins WHERE at < $1",
            "DELETE FROM activity WHERE at < $1",
        ] {
            gone += sqlx::query(delete)
                .bind(to_millis(before))
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
        }
        tx.commit().await.map_err(db)?;
        Ok(gone)
    }
}
