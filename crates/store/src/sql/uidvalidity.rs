//! UIDVALIDITY (RFC 3501 2.3.1.1): a number per mailbox that changes whenever the UIDs a
//! client may have cached under a name stop being valid: a name used again after DELETE, or
//! the target of a RENAME.

use postern_domain::{AddressId, Result};
use sqlx::{Row, Transaction, any::Any};
use time::OffsetDateTime;

use crate::error::db;

/// A UIDVALIDITY greater than any given to a mailbox of the address before, so that a name
/// used again (after DELETE, or as RENAME's target) never shows an old one. The address's
/// counter is raised first: on PostgreSQL that locks its row until the transaction ends, so
/// two concurrent CREATEs cannot draw the same value.
pub(super) async fn new_uidvalidity(
    tx: &mut Transaction<'_, Any>,
    address: AddressId,
    at: OffsetDateTime,
) -> Result<i64> {
    let counter: i64 = sqlx::query(
        "UPDATE addresses SET uidvalidity_last = uidvalidity_last + 1 WHERE id = $1 \
         RETURNING uidvalidity_last",
    )
    .bind(address.0)
    .fetch_one(&mut **tx)
    .await
    .map_err(db)?
    .try_get(0)
    .map_err(db)?;
    // The mailboxes every address starts with are made without the counter.
    let highest: Option<i64> =
        sqlx::query("SELECT MAX(uidvalidity) FROM mailboxes WHERE address_id = $1")
            .bind(address.0)
            .fetch_one(&mut **tx)
            .await
            .map_err(db)?
            .try_get(0)
            .map_err(db)?;
    let clock = at.unix_timestamp().rem_euclid(1 << 31).max(1);
    let next = clock
        .max(counter)
        .max(highest.unwrap_or(0) + 1)
        .min(i64::from(u32::MAX));
    sqlx::query("UPDATE addresses SET uidvalidity_last = $1 WHERE id = $2")
        .bind(next)
        .bind(address.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(next)
}

/// Gives a mailbox moved to a new name a new UIDVALIDITY: the name may have been used before.
pub(super) async fn renew_uidvalidity(
    tx: &mut Transaction<'_, Any>,
    address: AddressId,
    id: i64,
    at: OffsetDateTime,
) -> Result<()> {
    let uidvalidity = new_uidvalidity(tx, address, at).await?;
    sqlx::query("UPDATE mailboxes SET uidvalidity = $1 WHERE id = $2")
        .bind(uidvalidity)
        .bind(id)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(())
}
