//! Reading rows back into domain records.

use postern_domain::account_password::AccountPasswordHash;
use postern_domain::clock::from_millis;
use postern_domain::model::{
    Account, AccountRecord, ActivityEntry, ActivityKind, Address, Device, DeviceState, LastUse,
};
use postern_domain::{
    AccountId, AddressId, Description, DeviceId, Email, Login, Protocol, ProtocolSet, Result,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{corrupt, db};

/// The columns [`device`] reads, for `SELECT {DEVICE_COLUMNS} FROM devices d JOIN addresses a`.
pub(crate) const DEVICE_COLUMNS: &str = "d.id, d.address_id, a.email, d.description, d.protocols, \
     d.state, d.created_at, d.created_by, d.last_used_at, d.last_used_ip, d.last_used_protocol, \
     d.client, d.generation";

pub(crate) fn device(row: &AnyRow) -> Result<Device> {
    let id: String = row.try_get("id").map_err(db)?;
    let email: String = row.try_get("email").map_err(db)?;
    let description: String = row.try_get("description").map_err(db)?;
    let protocols: i64 = row.try_get("protocols").map_err(db)?;
    let state: String = row.try_get("state").map_err(db)?;
    let last_used_at: Option<i64> = row.try_get("last_used_at").map_err(db)?;
    let last_used_ip: Option<String> = row.try_get("last_used_ip").map_err(db)?;
    let last_used_protocol: Option<String> = row.try_get("last_used_protocol").map_err(db)?;
    let last_use = match (last_used_at, last_used_ip, last_used_protocol) {
        (Some(at), Some(ip), Some(p)) => Some(LastUse {
            at: from_millis(at),
            ip: ip.parse().map_err(|_| corrupt("device last IP"))?,
            protocol: Protocol::parse(&p).map_err(|_| corrupt("device last protocol"))?,
        }),
        _ => None,
    };
    Ok(Device {
        id: DeviceId::parse(&id).map_err(|_| corrupt("device id"))?,
        address_id: AddressId(row.try_get("address_id").map_err(db)?),
        email: Email::parse(&email).map_err(|_| corrupt("address"))?,
        description: Description::parse(&description).map_err(|_| corrupt("device description"))?,
        protocols: u8::try_from(protocols)
            .ok()
            .and_then(|b| ProtocolSet::from_bits(b).ok())
            .ok_or_else(|| corrupt("device protocols"))?,
        state: DeviceState::parse(&state).ok_or_else(|| corrupt("device state"))?,
        created_at: from_millis(row.try_get("created_at").map_err(db)?),
        created_by: row.try_get("created_by").map_err(db)?,
        last_use,
        client: row.try_get("client").map_err(db)?,
        generation: row.try_get("generation").map_err(db)?,
    })
}

pub(crate) fn address(row: &AnyRow) -> Result<Address> {
    let email: String = row.try_get("email").map_err(db)?;
    Ok(Address {
        id: AddressId(row.try_get("id").map_err(db)?),
        email: Email::parse(&email).map_err(|_| corrupt("address"))?,
        owner: AccountId(row.try_get("owner_id").map_err(db)?),
        created_at: from_millis(row.try_get("created_at").map_err(db)?),
    })
}

pub(crate) fn account(row: &AnyRow) -> Result<AccountRecord> {
    let login: String = row.try_get("login").map_err(db)?;
    Ok(AccountRecord {
        account: Account {
            id: AccountId(row.try_get("id").map_err(db)?),
            login: Login::parse(&login).map_err(|_| corrupt("login"))?,
            created_at: from_millis(row.try_get("created_at").map_err(db)?),
        },
        password_hash: AccountPasswordHash(row.try_get("password_hash").map_err(db)?),
    })
}

pub(crate) fn activity(row: &AnyRow) -> Result<ActivityEntry> {
    let kind: String = row.try_get("kind").map_err(db)?;
    let device_id: Option<String> = row.try_get("device_id").map_err(db)?;
    Ok(ActivityEntry {
        address_id: AddressId(row.try_get("address_id").map_err(db)?),
        at: from_millis(row.try_get("at").map_err(db)?),
        kind: ActivityKind::parse(&kind).ok_or_else(|| corrupt("activity kind"))?,
        device_id: device_id.as_deref().and_then(|d| DeviceId::parse(d).ok()),
        device_description: row.try_get("device_description").map_err(db)?,
        actor: row.try_get("actor").map_err(db)?,
    })
}
