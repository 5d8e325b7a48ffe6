//! Creating, resetting, disconnecting and verifying devices.

use std::net::IpAddr;

use secrecy::SecretString;
use time::Duration;

use crate::alerts::{Novelty, SignInNews};
use crate::core::{Actor, Core};
use crate::description::Description;
use crate::device_password::DevicePassword;
use crate::email::Email;
use crate::error::{DomainError, Result};
use crate::expiry::Expiry;
use crate::ids::{AddressId, DeviceId};
use crate::model::{
    Account, ActivityEntry, ActivityKind, Address, Device, DeviceRules, DeviceState, LastUse,
    NewDevice,
};
use crate::networks::sign_in_network;
use crate::protocol::{Protocol, ProtocolSet};
use crate::revocation::RevocationWatch;
use crate::sign_in_log::{self, Reason};

/// Last-use records closer together than this, from the same place, are not written again.
const LAST_USE_RESOLUTION: Duration = Duration::minutes(1);
/// Client names are cut to this many characters.
const CLIENT_MAX_CHARS: usize = 64;

/// A device and its new password, to be shown exactly once.
pub struct IssuedPassword {
    pub device: Device,
    /// The display form (`xxxx-xxxx-…`).
    pub password: SecretString,
}

/// A successful sign-in with a device password.
pub struct SignedIn {
    pub device_id: DeviceId,
    pub address_id: AddressId,
    pub email: Email,
    pub description: String,
    /// The generation of the password that signed in (bumped by every reset).
    pub generation: i64,
    /// The client name already known for the device.
    pub client: Option<String>,
    /// Fires when the device is disconnected or its password reset.
    pub revocation: RevocationWatch,
}

impl Core {
    /// The address, if the actor may manage it.
    pub async fn owned_address(&self, actor: &Actor, email: &Email) -> Result<Address> {
        let address = self
            .store
            .address_by_email(email)
            .await?
            .ok_or(DomainError::NotFound("address"))?;
        actor.check_owns(&address)?;
        Ok(address)
    }

    /// A device not disconnected (active or expired), if the actor may manage its address.
    pub async fn device(&self, actor: &Actor, id: DeviceId) -> Result<Device> {
        let now = self.clock.now();
        let device = self
            .store
            .device(id)
            .await?
            .filter(|d| d.state != DeviceState::Disconnected)
            .map(|d| d.as_of(now))
            .ok_or(DomainError::NotFound("device"))?;
        let address = self
            .store
            .address(device.address_id)
            .await?
            .ok_or(DomainError::NotFound("device"))?;
        actor
            .check_owns(&address)
            .map_err(|_| DomainError::NotFound("device"))?;
        Ok(device)
    }

    /// The address's devices, newest first, expired ones marked so; disconnected ones only if
    /// asked for.
    pub async fn devices(
        &self,
        actor: &Actor,
        email: &Email,
        with_disconnected: bool,
    ) -> Result<Vec<Device>> {
        let (address, mut devices) = self
            .store
            .devices_at(email)
            .await?
            .ok_or(DomainError::NotFound("address"))?;
        actor.check_owns(&address)?;
        if !with_disconnected {
            devices.retain(|d| d.state != DeviceState::Disconnected);
        }
        let now = self.clock.now();
        Ok(devices.into_iter().map(|d| d.as_of(now)).collect())
    }

    /// Creates a device with a new password that never expires and works from anywhere.
    pub async fn create_device(
        &self,
        actor: &Actor,
        email: &Email,
        description: Description,
        protocols: ProtocolSet,
    ) -> Result<IssuedPassword> {
        self.create_device_with(actor, email, description, protocols, DeviceRules::default())
            .await
    }

    /// Creates a device with a new password, bound by `rules`.
    pub async fn create_device_with(
        &self,
        actor: &Actor,
        email: &Email,
        description: Description,
        protocols: ProtocolSet,
        rules: DeviceRules,
    ) -> Result<IssuedPassword> {
        let now = self.clock.now();
        if let Some(at) = rules.expiry.at {
            Expiry::check_at(at, now)?;
        }
        let address = self.owned_address(actor, email).await?;
        self.check_device_limit(email).await?;
        let password = DevicePassword::generate()?;
        let new = NewDevice {
            id: DeviceId::new(),
            address_id: address.id,
            description: description.clone(),
            protocols,
            digest: password.digest(&self.pepper),
            created_at: now,
            created_by: actor.name(),
            rules,
        };
        let activity = self.activity(
            &address,
            ActivityKind::DeviceCreated,
            &new.id,
            &description,
            actor,
        );
        let device = self.store.create_device(&new, &activity).await?;
        let device = device.as_of(now);
        tracing::info!(device = %device.id, address = %address.email, "device created");
        Ok(IssuedPassword {
            device,
            password: password.display(),
        })
    }

    /// `Conflict` when the address already has as many devices as the policy allows
    /// (disconnected ones do not count).
    async fn check_device_limit(&self, email: &Email) -> Result<()> {
        let max = self.policy.devices_per_address;
        let count = match self.store.devices_at(email).await? {
            Some((_, devices)) => devices
                .iter()
                .filter(|d| d.state != DeviceState::Disconnected)
                .count(),
            None => 0,
        };
        if count >= max {
            return Err(DomainError::Conflict(format!(
                "{email} has {count} devices, the most it may have: disconnect one first"
            )));
        }
        Ok(())
    }

    /// Gives a device a new password that never expires and works from anywhere; the old
    /// one dies at once, with its sessions and links.
    pub async fn reset_device(&self, actor: &Actor, id: DeviceId) -> Result<IssuedPassword> {
        self.reset_device_with(actor, id, DeviceRules::default())
            .await
    }

    /// Gives a device a new password bound by `rules` (an expired device works again); the
    /// old one dies at once, with its sessions and links.
    pub async fn reset_device_with(
        &self,
        actor: &Actor,
        id: DeviceId,
        rules: DeviceRules,
    ) -> Result<IssuedPassword> {
        let now = self.clock.now();
        if let Some(at) = rules.expiry.at {
            Expiry::check_at(at, now)?;
        }
        let device = self.device(actor, id).await?;
        let address = self.address_of(&device).await?;
        let password = DevicePassword::generate()?;
        let activity = self.activity(
            &address,
            ActivityKind::DeviceReset,
            &id,
            &device.description,
            actor,
        );
        let (device, revocation) = self
            .store
            .reset_device(id, &password.digest(&self.pepper), &rules, &activity)
            .await?;
        let device = device.as_of(now);
        self.revocations
            .publish(revocation.device_id, revocation.through_generation);
        tracing::info!(device = %id, "device password reset");
        Ok(IssuedPassword {
            device,
            password: password.display(),
        })
    }

    /// Revokes a device: its password dies, its sessions close, its links vanish.
    pub async fn disconnect_device(&self, actor: &Actor, id: DeviceId) -> Result<Device> {
        let device = self.device(actor, id).await?;
        let address = self.address_of(&device).await?;
        let activity = self.activity(
            &address,
            ActivityKind::DeviceDisconnected,
            &id,
            &device.description,
            actor,
        );
        let revocation = self.store.disconnect_device(id, &activity).await?;
        self.revocations
            .publish(revocation.device_id, revocation.through_generation);
        tracing::info!(device = %id, "device disconnected");
        Ok(device)
    }

    /// Disconnects every active device of the address; returns how many.
    pub async fn disconnect_all_devices(&self, actor: &Actor, email: &Email) -> Result<usize> {
        let devices = self.devices(actor, email, false).await?;
        let mut n = 0;
        for d in devices {
            match self.disconnect_device(actor, d.id).await {
                Ok(_) => n += 1,
                // Disconnected meanwhile by someone else: that is what was asked for.
                Err(DomainError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Disconnects every active device of every address the account owns (after a
    /// password change, when asked); returns how many.
    pub async fn disconnect_devices_of(&self, account: &Account) -> Result<usize> {
        let actor = Actor::Account(account.clone());
        let mut n = 0;
        for address in self.owned_addresses(account).await? {
            n += self.disconnect_all_devices(&actor, &address.email).await?;
        }
        Ok(n)
    }

    /// Checks a device password for an address and a protocol. Every refusal is the same
    /// `AuthFailed` (or `Throttled` when the source must wait), after a pause.
    pub async fn verify(
        &self,
        email: &str,
        password: &str,
        protocol: Protocol,
        ip: IpAddr,
    ) -> Result<SignedIn> {
        let Some(attempt) = self.throttle.begin(ip, email) else {
            sign_in_log::failed(protocol.into(), ip, email, Reason::Throttled);
            self.throttle.pause_after_refusal(email).await;
            return Err(DomainError::Throttled);
        };
        match self
            .check_device_password(email, password, protocol, ip)
            .await
        {
            Ok(signed_in) => {
                attempt.success();
                Ok(signed_in)
            }
            Err(DomainError::AuthFailed) => {
                sign_in_log::failed(protocol.into(), ip, email, Reason::WrongPassword);
                attempt.failure().await;
                Err(DomainError::AuthFailed)
            }
            Err(e) => Err(e),
        }
    }

    async fn check_device_password(
        &self,
        email: &str,
        password: &str,
        protocol: Protocol,
        ip: IpAddr,
    ) -> Result<SignedIn> {
        let email = Email::parse(email).map_err(|_| DomainError::AuthFailed)?;
        let password = DevicePassword::parse(password).map_err(|_| DomainError::AuthFailed)?;
        let digest = password.digest(&self.pepper);
        let found = self
            .store
            .device_by_digest(&digest)
            .await?
            .ok_or(DomainError::AuthFailed)?;
        let now = self.clock.now();
        let device = found.device;
        let ok = found.digest.ct_eq(&digest)
            & (device.email == email)
            & (device.state == DeviceState::Active)
            & !device.is_expired(now)
            & device.networks.allows(ip)
            & device.protocols.contains(protocol);
        if !ok {
            return Err(DomainError::AuthFailed);
        }
        // This sign-in is a use: an "unused for N days" rule counts from now on. The session
        // then lives until the earlier of the rules' ends, on this node's own timer.
        let expires = device.expiry.end(device.password_set_at, Some(now));
        let left = expires.map(|end| {
            std::time::Duration::try_from(end - now).unwrap_or(std::time::Duration::ZERO)
        });
        // Subscribe before anything else can interleave: a revocation committed since the
        // look-up is remembered by the bus and fires this watch at once.
        let revocation = self
            .revocations
            .watch(device.id, device.generation)
            .expiring_after(left);
        if revocation.is_revoked() {
            return Err(DomainError::AuthFailed);
        }
        self.record_use(&device, protocol, ip).await;
        // A disconnect or reset published while the use was being recorded wins: no success
        // is answered for a password already dead.
        if revocation.is_revoked() {
            return Err(DomainError::AuthFailed);
        }
        Ok(SignedIn {
            device_id: device.id,
            address_id: device.address_id,
            email: device.email,
            description: device.description.to_string(),
            generation: device.generation,
            client: device.client,
            revocation,
        })
    }

    async fn record_use(&self, device: &Device, protocol: Protocol, ip: IpAddr) {
        let now = self.clock.now();
        let unchanged = device.last_use.as_ref().is_some_and(|u| {
            u.ip == ip && u.protocol == protocol && (now - u.at).abs() < LAST_USE_RESOLUTION
        });
        if unchanged {
            return;
        }
        let last_use = LastUse {
            at: now,
            ip,
            protocol,
        };
        let network = sign_in_network(ip);
        let novelty = match &device.last_use {
            None => Some(Novelty::FirstSignIn),
            Some(last) if sign_in_network(last.ip) == network => None,
            // A device that signed in before its history was kept has none: its last use
            // still counts.
            Some(_) => match self.store.signed_in_from(device.id, &network).await {
                Ok(seen) => (!seen).then_some(Novelty::NewNetwork),
                Err(e) => {
                    tracing::warn!(device = %device.id, "reading the sign-in history failed: {e}");
                    None
                }
            },
        };
        if let Err(e) = self.store.record_use(device.id, &last_use, &network).await {
            // A sign-in must not fail because its bookkeeping did.
            tracing::warn!(device = %device.id, "recording the last use failed: {e}");
        }
        if let Some(novelty) = novelty {
            self.alert(SignInNews {
                device,
                novelty,
                sign_in: &last_use,
                client: device.client.as_deref(),
            })
            .await;
        }
    }

    /// Records the name a mail program gave (IMAP ID, EHLO), if it is new.
    pub async fn record_client(&self, signed_in: &mut SignedIn, client: &str) {
        let name: String = client
            .chars()
            .filter(|c| !c.is_control())
            .take(CLIENT_MAX_CHARS)
            .collect();
        let name = name.trim();
        if name.is_empty() || signed_in.client.as_deref() == Some(name) {
            return;
        }
        let known = signed_in.client.is_none()
            || self
                .store
                .signed_in_with(signed_in.device_id, name)
                .await
                .unwrap_or(true);
        match self.store.record_client(signed_in.device_id, name).await {
            Ok(()) => signed_in.client = Some(name.to_owned()),
            Err(e) => {
                tracing::warn!(device = %signed_in.device_id, "recording the client failed: {e}")
            }
        }
        // A device's first name is no news: its first sign-in was.
        if !known
            && let Ok(Some(device)) = self.store.device(signed_in.device_id).await
            && let Some(last_use) = &device.last_use
        {
            self.alert(SignInNews {
                device: &device,
                novelty: Novelty::NewClient,
                sign_in: last_use,
                client: Some(name),
            })
            .await;
        }
    }

    async fn address_of(&self, device: &Device) -> Result<Address> {
        self.store
            .address(device.address_id)
            .await?
            .ok_or(DomainError::NotFound("device"))
    }

    pub(crate) fn activity(
        &self,
        address: &Address,
        kind: ActivityKind,
        device: &DeviceId,
        description: &Description,
        actor: &Actor,
    ) -> ActivityEntry {
        ActivityEntry {
            address_id: address.id,
            at: self.clock.now(),
            kind,
            device_id: Some(*device),
            device_description: Some(description.to_string()),
            actor: actor.name(),
        }
    }
}
