//! Links: addresses shown in another account's webmail through a device password.

use async_trait::async_trait;
use postern_domain::clock::{from_millis, to_millis};
use postern_domain::model::{ActivityEntry, Link};
use postern_domain::repo::LinkRepo;
use postern_domain::{AccountId, AddressId, DeviceId, DomainError, Result};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::devices::insert_activity;
use super::{SqlStore, rows};
use crate::error::{corrupt, db};

/// Links whose device is still active on the password generation they were made with: a
/// reset or disconnect deletes a device's links, and this join keeps any that slipped past it
/// out of sight all the same.
const LINK_SELECT: &str = "SELECT l.account_id, l.device_id, l.generation, \
     l.created_at AS linked_at, a.id, a.email, a.owner_id, a.created_at FROM links l \
     JOIN addresses a ON a.id = l.address_id \
     JOIN devices d ON d.id = l.device_id AND d.state = 'active' AND d.generation = l.generation";

fn link(row: &AnyRow) -> Result<Link> {
    let device: String = row.try_get("device_id").map_err(db)?;
    Ok(Link {
        account_id: AccountId(row.try_get("account_id").map_err(db)?),
        address: rows::address(row)?,
        device_id: DeviceId::parse(&device).map_err(|_| corrupt("link device"))?,
        generation: row.try_get("generation").map_err(db)?,
        created_at: from_millis(row.try_get("linked_at").map_err(db)?),
    })
}

#[async_trait]
impl LinkRepo for SqlStore {
    async fn create_link(&self, l: &Link, activity: &ActivityEntry) -> Result<()> {
        let mut tx = self.begin_write().await?;
        // The device may have been reset or disconnected since its password was checked. A
        // conditional write, not a read: on PostgreSQL it locks the device row (a concurrent
        // reset either waits for this link and then deletes it, or commits first and this
        // finds another generation); on SQLite the write transaction already serialises them.
        let current = sqlx::query(
            "UPDATE devices SET generation = generation \
             WHERE id = $1 AND state = 'active' AND generation = $2 RETURNING id",
        )
        .bind(l.device_id.to_string())
        .bind(l.generation)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if current.is_none() {
            return Err(DomainError::AuthFailed);
        }
        sqlx::query(
            "INSERT INTO links (account_id, address_id, device_id, generation, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(l.account_id.0)
        .bind(l.address.id.0)
        .bind(l.device_id.to_string())
        .bind(l.generation)
        .bind(to_millis(l.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| match db(e) {
            DomainError::Conflict(_) => {
                DomainError::Conflict("This address is already in your list.".to_owned())
            }
            other => other,
        })?;
        insert_activity(&mut tx, activity).await?;
        tx.commit().await.map_err(db)
    }

    async fn delete_link(
        &self,
        account: AccountId,
        address: AddressId,
        activity: &ActivityEntry,
    ) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query("DELETE FROM links WHERE account_id = $1 AND address_id = $2")
            .bind(account.0)
            .bind(address.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        insert_activity(&mut tx, activity).await?;
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn links_of(&self, account: AccountId) -> Result<Vec<Link>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LINK_SELECT} WHERE l.account_id = $1 ORDER BY a.email"
        )))
        .bind(account.0)
        .fetch_all(&self.reader)
        .await
        .map_err(db)?
        .iter()
        .map(link)
        .collect()
    }

    async fn link(&self, account: AccountId, address: AddressId) -> Result<Option<Link>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{LINK_SELECT} WHERE l.account_id = $1 AND l.address_id = $2"
        )))
        .bind(account.0)
        .bind(address.0)
        .fetch_optional(&self.reader)
        .await
        .map_err(db)?
        .map(|r| link(&r))
        .transpose()
    }
}
