//! Devices, their digests and their revocations.

use async_trait::async_trait;
use postern_domain::clock::to_millis;
use postern_domain::model::{
    ActivityEntry, Address, Device, DeviceCredential, LastUse, NewDevice, Revocation,
};
use postern_domain::repo::DeviceRepo;
use postern_domain::{DeviceId, DeviceRules, DomainError, Email, PasswordDigest, Result};
use sqlx::{AnyConnection, AssertSqlSafe, Row, any::Any};

use super::rows::{self, DEVICE_COLUMNS};
use super::{SqlStore, lists};
use crate::error::db;

fn select_devices(filter: &str) -> AssertSqlSafe<String> {
    AssertSqlSafe(format!(
        "SELECT {DEVICE_COLUMNS} FROM devices d JOIN addresses a ON a.id = d.address_id WHERE {filter}"
    ))
}

pub(crate) async fn insert_activity(conn: &mut AnyConnection, a: &ActivityEntry) -> Result<()> {
    sqlx::query(
        "INSERT INTO activity (address_id, at, kind, device_id, device_description, actor) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.address_id.0)
    .bind(to_millis(a.at))
    .bind(a.kind.as_str())
    .bind(a.device_id.map(|d| d.to_string()))
    .bind(a.device_description.as_deref())
    .bind(&a.actor)
    .execute(conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn device_in(conn: &mut AnyConnection, id: DeviceId) -> Result<Option<Device>> {
    sqlx::query::<Any>(select_devices("d.id = $1"))
        .bind(id.to_string())
        .fetch_optional(conn)
        .await
        .map_err(db)?
        .map(|r| rows::device(&r))
        .transpose()
}

async fn record_revocation(
    conn: &mut AnyConnection,
    id: DeviceId,
    through_generation: i64,
    at: i64,
) -> Result<Revocation> {
    sqlx::query("DELETE FROM links WHERE device_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let seq: i64 = sqlx::query(
        "INSERT INTO revocations (device_id, through_generation, at) VALUES ($1, $2, $3) RETURNING seq",
    )
    .bind(id.to_string())
    .bind(through_generation)
    .bind(at)
    .fetch_one(conn)
    .await
    .map_err(db)?
    .try_get("seq")
    .map_err(db)?;
    Ok(Revocation {
        seq,
        device_id: id,
        through_generation,
    })
}

#[async_trait]
impl DeviceRepo for SqlStore {
    async fn create_device(&self, d: &NewDevice, activity: &ActivityEntry) -> Result<Device> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO devices (id, address_id, description, protocols, state, password_digest, \
             created_at, created_by, expires_at, expires_after_unused_days, password_set_at, \
             networks) VALUES ($1, $2, $3, $4, 'active', $5, $6, $7, $8, $9, $6, $10)",
        )
        .bind(d.id.to_string())
        .bind(d.address_id.0)
        .bind(d.description.as_str())
        .bind(i64::from(d.protocols.bits()))
        .bind(&d.digest.0[..])
        .bind(to_millis(d.created_at))
        .bind(&d.created_by)
        .bind(d.rules.expiry.at.map(to_millis))
        .bind(d.rules.expiry.after_unused_days.map(i64::from))
        .bind(d.rules.networks.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        insert_activity(&mut tx, activity).await?;
        let device = device_in(&mut tx, d.id)
            .await?
            .ok_or_else(|| DomainError::store("created device vanished"))?;
        tx.commit().await.map_err(db)?;
        Ok(device)
    }

    async fn reset_device(
        &self,
        id: DeviceId,
        digest: &PasswordDigest,
        rules: &DeviceRules,
        activity: &ActivityEntry,
    ) -> Result<(Device, Revocation)> {
        let mut tx = self.begin_write().await?;
        // One conditional update, not a read then a write: on PostgreSQL it waits for a
        // concurrent reset or disconnect of the same device and then sees its result, so two
        // resets revoke each other's generation and a reset never revives a disconnected device.
        let generation: i64 = sqlx::query(
            "UPDATE devices SET password_digest = $1, generation = generation + 1, \
             expires_at = $3, expires_after_unused_days = $4, password_set_at = $5, networks = $6 \
             WHERE id = $2 AND state = 'active' RETURNING generation",
        )
        .bind(&digest.0[..])
        .bind(id.to_string())
        .bind(rules.expiry.at.map(to_millis))
        .bind(rules.expiry.after_unused_days.map(i64::from))
        .bind(to_millis(activity.at))
        .bind(rules.networks.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(DomainError::NotFound("device"))?
        .try_get::<i64, _>("generation")
        .map_err(db)?
            - 1;
        insert_activity(&mut tx, activity).await?;
        let revocation = record_revocation(&mut tx, id, generation, to_millis(activity.at)).await?;
        let device = device_in(&mut tx, id)
            .await?
            .ok_or(DomainError::NotFound("device"))?;
        tx.commit().await.map_err(db)?;
        Ok((device, revocation))
    }

    async fn disconnect_device(
        &self,
        id: DeviceId,
        activity: &ActivityEntry,
    ) -> Result<Revocation> {
        let mut tx = self.begin_write().await?;
        // Conditional, for the same reason as in a reset: only one disconnect of a device
        // ever commits, and only while it is active.
        sqlx::query(
            "UPDATE devices SET state = 'disconnected', password_digest = NULL, disconnected_at = $1 \
             WHERE id = $2 AND state = 'active' RETURNING id",
        )
        .bind(to_millis(activity.at))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .ok_or(DomainError::NotFound("device"))?;
        insert_activity(&mut tx, activity).await?;
        let revocation = record_revocation(&mut tx, id, i64::MAX, to_millis(activity.at)).await?;
        tx.commit().await.map_err(db)?;
        Ok(revocation)
    }

    async fn device(&self, id: DeviceId) -> Result<Option<Device>> {
        let mut conn = self.reader.acquire().await.map_err(db)?;
        device_in(&mut conn, id).await
    }

    async fn devices_at(&self, email: &Email) -> Result<Option<(Address, Vec<Device>)>> {
        let list = lists::json_list(
            self.backend,
            &lists::json_row(self.backend, DEVICE_COLUMNS),
            "d.created_at DESC, d.id DESC",
        );
        let row = sqlx::query::<Any>(AssertSqlSafe(format!(
            "SELECT a.id, a.email, a.owner_id, a.created_at, \
             (SELECT {list} FROM devices d WHERE d.address_id = a.id) AS devices \
             FROM addresses a WHERE a.email = $1"
        )))
        .bind(email.as_str())
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let json: String = row.try_get("devices").map_err(db)?;
        let devices = lists::parse::<rows::DeviceValues>(&json, "device list")?
            .into_iter()
            .map(rows::DeviceValues::into_device)
            .collect::<Result<_>>()?;
        Ok(Some((rows::address(&row)?, devices)))
    }

    async fn device_by_digest(&self, digest: &PasswordDigest) -> Result<Option<DeviceCredential>> {
        let row = sqlx::query::<Any>(AssertSqlSafe(format!(
            "SELECT {DEVICE_COLUMNS}, d.password_digest FROM devices d \
             JOIN addresses a ON a.id = d.address_id WHERE d.password_digest = $1"
        )))
        .bind(&digest.0[..])
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?;
        let Some(row) = row else { return Ok(None) };
        let stored: Vec<u8> = row.try_get("password_digest").map_err(db)?;
        Ok(Some(DeviceCredential {
            device: rows::device(&row)?,
            digest: PasswordDigest::from_slice(&stored)?,
        }))
    }

    async fn record_use(&self, id: DeviceId, u: &LastUse, network: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "UPDATE devices SET last_used_at = $1, last_used_ip = $2, last_used_protocol = $3 WHERE id = $4",
        )
        .bind(to_millis(u.at))
        .bind(u.ip.to_string())
        .bind(u.protocol.as_str())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        sqlx::query(
            "INSERT INTO device_sign_ins (device_id, at, ip, protocol, network, client) \
             SELECT id, $1, $2, $3, $4, client FROM devices WHERE id = $5",
        )
        .bind(to_millis(u.at))
        .bind(u.ip.to_string())
        .bind(u.protocol.as_str())
        .bind(network)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn record_client(&self, id: DeviceId, client: &str) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE devices SET client = $1 WHERE id = $2")
            .bind(client)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(
            "UPDATE device_sign_ins SET client = $1 WHERE id = \
             (SELECT MAX(id) FROM device_sign_ins WHERE device_id = $2)",
        )
        .bind(client)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }
}
