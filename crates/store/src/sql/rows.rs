//! Reading rows back into domain records.

use postern_domain::account_password::AccountPasswordHash;
use postern_domain::clock::from_millis;
use postern_domain::model::{
    Account, AccountRecord, ActivityEntry, ActivityKind, Address, Device, DeviceState, LastUse,
};
use postern_domain::{
    AccountId, AddressId, Description, DeviceId, Email, Expiry, Login, Networks, Protocol,
    ProtocolSet, Result,
};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{corrupt, db};

/// The columns [`device`] reads, for `SELECT {DEVICE_COLUMNS} FROM devices d JOIN addresses a`.
pub(crate) const DEVICE_COLUMNS: &str = "d.id, d.address_id, a.email, d.description, d.protocols, \
     d.state, d.created_at, d.created_by, d.last_used_at, d.last_used_ip, d.last_used_protocol, \
     d.client, d.generation, d.expires_at, d.expires_after_unused_days, d.password_set_at, \
     d.networks";

/// The values of [`DEVICE_COLUMNS`], in that order: what a device row holds before it is
/// checked into a [`Device`]. A list of devices arrives as one JSON array of these.
#[derive(serde::Deserialize)]
pub(crate) struct DeviceValues(
    String,
    i64,
    String,
    String,
    i64,
    String,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    String,
);

pub(crate) fn device(row: &AnyRow) -> Result<Device> {
    let get = |i: usize| row.try_get::<i64, _>(i).map_err(db);
    let text = |i: usize| row.try_get::<String, _>(i).map_err(db);
    DeviceValues(
        text(0)?,
        get(1)?,
        text(2)?,
        text(3)?,
        get(4)?,
        text(5)?,
        get(6)?,
        text(7)?,
        row.try_get(8).map_err(db)?,
        row.try_get(9).map_err(db)?,
        row.try_get(10).map_err(db)?,
        row.try_get(11).map_err(db)?,
        get(12)?,
        row.try_get(13).map_err(db)?,
        row.try_get(14).map_err(db)?,
        row.try_get(15).map_err(db)?,
        text(16)?,
    )
    .into_device()
}

impl DeviceValues {
    pub(crate) fn into_device(self) -> Result<Device> {
        let DeviceValues(
            id,
            address_id,
            email,
            description,
            protocols,
            state,
            created_at,
            created_by,
            last_used_at,
            last_used_ip,
            last_used_protocol,
            client,
            generation,
            expires_at,
            expires_after_unused_days,
            password_set_at,
            networks,
        ) = self;
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
            address_id: AddressId(address_id),
            email: Email::parse(&email).map_err(|_| corrupt("address"))?,
            description: Description::parse(&description)
                .map_err(|_| corrupt("device description"))?,
            protocols: u8::try_from(protocols)
                .ok()
                .and_then(|b| ProtocolSet::from_bits(b).ok())
                .ok_or_else(|| corrupt("device protocols"))?,
            state: DeviceState::parse(&state).ok_or_else(|| corrupt("device state"))?,
            created_at: from_millis(created_at),
            created_by,
            last_use,
            client,
            generation,
            expiry: Expiry {
                at: expires_at.map(from_millis),
                after_unused_days: expires_after_unused_days
                    .map(|d| u16::try_from(d).map_err(|_| corrupt("device expiry")))
                    .transpose()?,
            },
            password_set_at: from_millis(password_set_at.unwrap_or(created_at)),
            networks: Networks::parse(&networks).map_err(|_| corrupt("device networks"))?,
        })
    }
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
