//! The activity log of each address.

use async_trait::async_trait;
use postern_domain::model::ActivityEntry;
use postern_domain::repo::ActivityRepo;
use postern_domain::{AddressId, Result};

use super::{SqlStore, rows};
use crate::error::db;

#[async_trait]
impl ActivityRepo for SqlStore {
    async fn activity_of(&self, address: AddressId, limit: u32) -> Result<Vec<ActivityEntry>> {
        sqlx::query(
            "SELECT address_id, at, kind, device_id, device_description, actor FROM activity \
             WHERE address_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(address.0)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(db)?
        .iter()
        .map(rows::activity)
        .collect()
    }
}
