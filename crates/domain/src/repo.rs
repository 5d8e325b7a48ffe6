//! What the domain needs from a store, as capability traits. Each backend (SQLite, PostgreSQL)
//! implements all of them; multi-step changes are one transaction inside the backend.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::account_password::AccountPasswordHash;
use crate::device_password::PasswordDigest;
use crate::email::{Email, Login};
use crate::error::Result;
use crate::ids::{AccountId, AddressId, DeviceId};
use crate::mail::MailRepo;
use crate::model::{
    Account, AccountRecord, ActivityEntry, Address, Device, DeviceCredential, DeviceRules, LastUse,
    Link, NewDevice, Revocation, SignInEntry, WebSession,
};
use crate::queue::QueueRepo;
use crate::two_step::{RecoveryCodeHash, TwoStepRecord};

/// Accounts of the web app.
#[async_trait]
pub trait AccountRepo: Send + Sync {
    /// Creates an account; `Conflict` if the login is taken.
    async fn create_account(
        &self,
        login: &Login,
        hash: &AccountPasswordHash,
        at: OffsetDateTime,
    ) -> Result<Account>;
    async fn account_by_login(&self, login: &Login) -> Result<Option<AccountRecord>>;
    async fn account(&self, id: AccountId) -> Result<Option<AccountRecord>>;
    async fn set_account_password(&self, id: AccountId, hash: &AccountPasswordHash) -> Result<()>;
    async fn count_accounts(&self) -> Result<i64>;
}

/// Hosted addresses. Creating one also creates its standard mailboxes.
#[async_trait]
pub trait AddressRepo: Send + Sync {
    /// Creates an address; `Conflict` if it exists.
    async fn create_address(
        &self,
        email: &Email,
        owner: AccountId,
        at: OffsetDateTime,
    ) -> Result<Address>;
    async fn address_by_email(&self, email: &Email) -> Result<Option<Address>>;
    async fn address(&self, id: AddressId) -> Result<Option<Address>>;
    async fn addresses_of(&self, owner: AccountId) -> Result<Vec<Address>>;
    /// Whether any address of `domain` is hosted here (so that an unknown one is refused
    /// rather than relayed).
    async fn domain_is_hosted(&self, domain: &str) -> Result<bool>;
}

/// Devices and their credentials. Every change writes its activity entry in the same transaction.
#[async_trait]
pub trait DeviceRepo: Send + Sync {
    async fn create_device(&self, device: &NewDevice, activity: &ActivityEntry) -> Result<Device>;
    /// Replaces the digest and the expiry rules (the new password counts as issued at the
    /// activity's time), bumps the generation, drops links made through the device, and
    /// records a revocation of every earlier generation. `NotFound` unless active.
    async fn reset_device(
        &self,
        id: DeviceId,
        digest: &PasswordDigest,
        rules: &DeviceRules,
        activity: &ActivityEntry,
    ) -> Result<(Device, Revocation)>;
    /// Marks the device disconnected, forgets its digest, drops its links and records the
    /// revocation of all its generations. `NotFound` unless active.
    async fn disconnect_device(&self, id: DeviceId, activity: &ActivityEntry)
    -> Result<Revocation>;
    async fn device(&self, id: DeviceId) -> Result<Option<Device>>;
    /// The address and every one of its devices, newest first, disconnected ones included.
    async fn devices_at(&self, email: &Email) -> Result<Option<(Address, Vec<Device>)>>;
    /// The one indexed look-up of a sign-in.
    async fn device_by_digest(&self, digest: &PasswordDigest) -> Result<Option<DeviceCredential>>;
    /// Notes a sign-in: the device's last use, and a line of its sign-in history with the
    /// network alerts compare (`192.0.2.0/24`), in one transaction.
    async fn record_use(&self, id: DeviceId, last_use: &LastUse, network: &str) -> Result<()>;
    /// The device's client name, and that of its latest sign-in.
    async fn record_client(&self, id: DeviceId, client: &str) -> Result<()>;
}

/// Addresses of other accounts added to an account's webmail through a device password.
#[async_trait]
pub trait LinkRepo: Send + Sync {
    /// `Conflict` if the account already has the address linked; `AuthFailed` unless the
    /// device is still active on the password generation the link was made with (checked in
    /// the transaction that stores the link, so a reset or disconnect racing it wins).
    async fn create_link(&self, link: &Link, activity: &ActivityEntry) -> Result<()>;
    /// Whether a link was there to delete.
    async fn delete_link(
        &self,
        account: AccountId,
        address: AddressId,
        activity: &ActivityEntry,
    ) -> Result<bool>;
    async fn links_of(&self, account: AccountId) -> Result<Vec<Link>>;
    async fn link(&self, account: AccountId, address: AddressId) -> Result<Option<Link>>;
}

/// The activity log of an address.
#[async_trait]
pub trait ActivityRepo: Send + Sync {
    /// The newest `limit` entries, newest first.
    async fn activity_of(&self, address: AddressId, limit: u32) -> Result<Vec<ActivityEntry>>;
}

/// Revocations as rows, so that other processes on the same store learn of them.
#[async_trait]
pub trait RevocationLog: Send + Sync {
    async fn revocations_after(&self, seq: i64) -> Result<Vec<Revocation>>;
    async fn last_revocation_seq(&self) -> Result<i64>;
    /// Waits until a revocation may have been written or `max_wait` passed. Backends with
    /// notifications return early; the default just waits.
    async fn wait_for_revocations(&self, max_wait: std::time::Duration) {
        tokio::time::sleep(max_wait).await;
    }
}

/// Web app sessions, keyed by the SHA-256 of their cookie token.
#[async_trait]
pub trait WebSessionRepo: Send + Sync {
    async fn create_session(&self, token_hash: &[u8; 32], session: &WebSession) -> Result<()>;
    /// A session with the account it is signed in to.
    async fn session(&self, token_hash: &[u8; 32]) -> Result<Option<(WebSession, Account)>>;
    async fn touch_session(&self, token_hash: &[u8; 32], at: OffsetDateTime) -> Result<()>;
    async fn confirm_session(&self, token_hash: &[u8; 32], at: OffsetDateTime) -> Result<()>;
    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<()>;
    /// Every session of an account with its token hash, most recently seen first.
    async fn sessions_of(&self, account: AccountId) -> Result<Vec<([u8; 32], WebSession)>>;
    /// Ends one session of `account` and writes `activity` in the same transaction. False
    /// (and nothing written) when the account has no such session.
    async fn end_session_of(
        &self,
        account: AccountId,
        token_hash: &[u8; 32],
        activity: &[ActivityEntry],
    ) -> Result<bool>;
    /// Signs an account out everywhere except, optionally, one session.
    async fn delete_sessions_of(&self, account: AccountId, except: Option<&[u8; 32]>)
    -> Result<()>;
    /// Forgets sessions idle since `idle_before` or created before `created_before`.
    async fn delete_expired_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> Result<u64>;
}

/// Two-step verification of accounts. See [`crate::two_step`].
#[async_trait]
pub trait TwoStepRepo: Send + Sync {
    async fn two_step(&self, account: AccountId) -> Result<Option<TwoStepRecord>>;
    /// Keeps a new sealed secret waiting for its first code, replacing one that waited.
    /// False (and nothing changed) when two-step verification is on.
    async fn begin_two_step(&self, account: AccountId, sealed_secret: &[u8]) -> Result<bool>;
    /// Turns the waiting secret on with the step of its first code, keeps the recovery
    /// codes and writes `activity`, in one transaction. False when no secret waited.
    async fn enable_two_step(
        &self,
        account: AccountId,
        step: i64,
        recovery_codes: &[RecoveryCodeHash],
        at: OffsetDateTime,
        activity: &[ActivityEntry],
    ) -> Result<bool>;
    /// Moves the last used step to `step` if it is later: false for a code used before.
    async fn use_totp_step(&self, account: AccountId, step: i64) -> Result<bool>;
    /// Deletes a recovery code: false when the account has no such code (left).
    async fn use_recovery_code(&self, account: AccountId, code: &RecoveryCodeHash) -> Result<bool>;
    /// Forgets the secret and the recovery codes, writing `activity` if it was on. False
    /// when there was nothing to forget.
    async fn disable_two_step(
        &self,
        account: AccountId,
        activity: &[ActivityEntry],
    ) -> Result<bool>;
}

/// What devices did and whom to tell: sign-in history, alerts, retention.
#[async_trait]
pub trait SignInRepo: Send + Sync {
    /// The device's latest sign-ins, newest first.
    async fn sign_ins(&self, device: DeviceId, limit: u32) -> Result<Vec<SignInEntry>>;
    /// Whether the device's history has a sign-in from `network`.
    async fn signed_in_from(&self, device: DeviceId, network: &str) -> Result<bool>;
    /// Whether the device's history has a sign-in with this client name.
    async fn signed_in_with(&self, device: DeviceId, client: &str) -> Result<bool>;
    /// Takes the device's turn to alert at `now` if its last alert was at or before
    /// `last_before`: false when another alert went out since (on any node).
    async fn claim_alert(
        &self,
        device: DeviceId,
        now: OffsetDateTime,
        last_before: OffsetDateTime,
    ) -> Result<bool>;
    /// Whether the address gets sign-in alerts (on unless turned off).
    async fn sign_in_alerts(&self, address: AddressId) -> Result<bool>;
    async fn set_sign_in_alerts(&self, address: AddressId, on: bool) -> Result<()>;
    /// Deletes sign-in history and activity from before `before`; returns how many lines.
    async fn prune_history(&self, before: OffsetDateTime) -> Result<u64>;
}

/// Everything a backend provides.
pub trait Store:
    AccountRepo
    + AddressRepo
    + DeviceRepo
    + LinkRepo
    + ActivityRepo
    + RevocationLog
    + WebSessionRepo
    + TwoStepRepo
    + SignInRepo
    + MailRepo
    + QueueRepo
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: AccountRepo
        + AddressRepo
        + DeviceRepo
        + LinkRepo
        + ActivityRepo
        + RevocationLog
        + WebSessionRepo
        + TwoStepRepo
        + SignInRepo
        + MailRepo
        + QueueRepo
        + Send
        + Sync
        + 'static
{
}
