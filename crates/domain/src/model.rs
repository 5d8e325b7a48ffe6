//! The records the domain works with.

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::account_password::AccountPasswordHash;
use crate::description::Description;
use crate::device_password::PasswordDigest;
use crate::email::{Email, Login};
use crate::expiry::Expiry;
use crate::ids::{AccountId, AddressId, DeviceId};
use crate::networks::Networks;
use crate::protocol::{Protocol, ProtocolSet};

/// A person who signs in to the web app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub login: Login,
    pub created_at: OffsetDateTime,
}

/// An account with its password hash, as the store keeps it.
#[derive(Clone)]
pub struct AccountRecord {
    pub account: Account,
    pub password_hash: AccountPasswordHash,
}

/// A hosted address, owned by one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub id: AddressId,
    pub email: Email,
    pub owner: AccountId,
    pub created_at: OffsetDateTime,
}

/// Whether a device's password still opens its address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceState {
    Active,
    Disconnected,
    /// Active in the store, but past its expiry: refused like a wrong password. Never
    /// stored; worked out from the clock when a device is read.
    Expired,
}

impl DeviceState {
    /// The stable name used in the store, JSON and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceState::Active => "active",
            DeviceState::Disconnected => "disconnected",
            DeviceState::Expired => "expired",
        }
    }

    /// Reads a stored state.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(DeviceState::Active),
            "disconnected" => Some(DeviceState::Disconnected),
            _ => None,
        }
    }
}

/// When, from where and how a device last signed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastUse {
    pub at: OffsetDateTime,
    pub ip: IpAddr,
    pub protocol: Protocol,
}

/// One credential of one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub address_id: AddressId,
    pub email: Email,
    pub description: Description,
    pub protocols: ProtocolSet,
    pub state: DeviceState,
    pub created_at: OffsetDateTime,
    /// The login of the account that created it, or `command line`.
    pub created_by: String,
    pub last_use: Option<LastUse>,
    /// The client name a mail program sent (IMAP ID, EHLO) or the web app that linked it.
    pub client: Option<String>,
    /// Incremented by every reset, so a revocation can name the passwords it kills.
    pub generation: i64,
    /// When it stops working on its own.
    pub expiry: Expiry,
    /// When its current password was issued (created or reset).
    pub password_set_at: OffsetDateTime,
    /// Where it may sign in from.
    pub networks: Networks,
}

/// One sign-in of a device, as its history keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInEntry {
    pub at: OffsetDateTime,
    pub ip: IpAddr,
    pub protocol: Protocol,
    /// The client name it gave (IMAP ID, EHLO), when it gave one.
    pub client: Option<String>,
}

/// What a device may do beyond its protocols, set at creation and at every reset: when it
/// stops working on its own, and where it may sign in from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceRules {
    pub expiry: Expiry,
    pub networks: Networks,
}

impl Device {
    /// The instant its current password stops working on its own, if any.
    pub fn expires(&self) -> Option<OffsetDateTime> {
        self.expiry
            .end(self.password_set_at, self.last_use.as_ref().map(|u| u.at))
    }

    /// Whether, though active in the store, it has expired by `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.state != DeviceState::Disconnected && self.expires().is_some_and(|end| end <= now)
    }

    /// The device with its state as of `now` (`Expired` once past its expiry).
    pub fn as_of(mut self, now: OffsetDateTime) -> Device {
        if self.is_expired(now) {
            self.state = DeviceState::Expired;
        }
        self
    }
}

/// A device found by its password digest at sign-in.
#[derive(Clone, Debug)]
pub struct DeviceCredential {
    pub device: Device,
    pub digest: PasswordDigest,
}

/// What the store needs to create a device.
#[derive(Clone, Debug)]
pub struct NewDevice {
    pub id: DeviceId,
    pub address_id: AddressId,
    pub description: Description,
    pub protocols: ProtocolSet,
    pub digest: PasswordDigest,
    pub created_at: OffsetDateTime,
    pub created_by: String,
    pub rules: DeviceRules,
}

/// The kinds of entries in an address's activity log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityKind {
    DeviceCreated,
    DeviceReset,
    DeviceDisconnected,
    AddressLinked,
    AddressUnlinked,
    /// A web session of the owning account was ended from its list of signed-in browsers.
    BrowserSignedOut,
    /// Two-step verification of the owning account was turned on.
    TwoStepOn,
    /// Two-step verification of the owning account was turned off (or reset by the operator).
    TwoStepOff,
}

impl ActivityKind {
    /// The stable name kept in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::DeviceCreated => "device_created",
            ActivityKind::DeviceReset => "device_reset",
            ActivityKind::DeviceDisconnected => "device_disconnected",
            ActivityKind::AddressLinked => "address_linked",
            ActivityKind::AddressUnlinked => "address_unlinked",
            ActivityKind::BrowserSignedOut => "browser_signed_out",
            ActivityKind::TwoStepOn => "two_step_on",
            ActivityKind::TwoStepOff => "two_step_off",
        }
    }

    /// What a person reads in the log.
    pub fn label(self) -> &'static str {
        match self {
            ActivityKind::DeviceCreated => "Device created",
            ActivityKind::DeviceReset => "Password reset",
            ActivityKind::DeviceDisconnected => "Device disconnected",
            ActivityKind::AddressLinked => "Address linked",
            ActivityKind::AddressUnlinked => "Address unlinked",
            ActivityKind::BrowserSignedOut => "Browser signed out",
            ActivityKind::TwoStepOn => "Two-step verification turned on",
            ActivityKind::TwoStepOff => "Two-step verification turned off",
        }
    }

    /// Reads a stored kind.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ActivityKind::DeviceCreated,
            ActivityKind::DeviceReset,
            ActivityKind::DeviceDisconnected,
            ActivityKind::AddressLinked,
            ActivityKind::AddressUnlinked,
            ActivityKind::BrowserSignedOut,
            ActivityKind::TwoStepOn,
            ActivityKind::TwoStepOff,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One line of an address's activity log. Never holds a password.
#[derive(Clone, Debug)]
pub struct ActivityEntry {
    pub address_id: AddressId,
    pub at: OffsetDateTime,
    pub kind: ActivityKind,
    pub device_id: Option<DeviceId>,
    pub device_description: Option<String>,
    /// Who did it: an account's login, `command line`, or the linking account.
    pub actor: String,
}

/// Another account's use of an address through one of its devices.
#[derive(Clone, Debug)]
pub struct Link {
    pub account_id: AccountId,
    pub address: Address,
    pub device_id: DeviceId,
    /// The generation of the device password the link was made with: the link holds only
    /// while the device is active on that same password.
    pub generation: i64,
    pub created_at: OffsetDateTime,
}

/// "Passwords of this device up to this generation are dead", as recorded in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revocation {
    pub seq: i64,
    pub device_id: DeviceId,
    pub through_generation: i64,
}

/// A web app session, found by the hash of its cookie token.
#[derive(Clone, Debug)]
pub struct WebSession {
    pub account_id: AccountId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    /// When the account password was last confirmed in this session.
    pub confirmed_at: OffsetDateTime,
    /// The client's IP address at sign-in, as text (empty when unknown).
    pub ip: String,
    /// The browser's `User-Agent` at sign-in (empty when it sent none).
    pub user_agent: String,
}
