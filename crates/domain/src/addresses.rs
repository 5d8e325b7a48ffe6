//! Addresses, and links that put another account's address into one's webmail.

use std::net::IpAddr;

use crate::core::{Actor, Core};
use crate::email::{Email, Login};
use crate::error::{DomainError, Result};
use crate::model::{Account, ActivityEntry, ActivityKind, Address, Link};
use crate::protocol::Protocol;

/// How an account reaches an address it reads mail of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Owned,
    Linked,
}

/// An address in an account's Mail list.
#[derive(Clone, Debug)]
pub struct MailAddress {
    pub address: Address,
    pub access: Access,
}

impl Core {
    /// Creates a hosted address for an existing account (the command line's operator).
    pub async fn create_address(&self, email: &Email, owner: &Login) -> Result<Address> {
        let owner = self
            .store
            .account_by_login(owner)
            .await?
            .ok_or(DomainError::NotFound("account"))?;
        if self.store.address_by_email(email).await?.is_some() {
            return Err(DomainError::Conflict(format!(
                "address {email} already exists"
            )));
        }
        self.store
            .create_address(email, owner.account.id, self.clock.now())
            .await
    }

    /// The addresses the account owns, by name.
    pub async fn owned_addresses(&self, account: &Account) -> Result<Vec<Address>> {
        let mut owned = self.store.addresses_of(account.id).await?;
        owned.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(owned)
    }

    /// The account's addresses: owned ones first, then linked ones, each by name.
    pub async fn mail_addresses(&self, account: &Account) -> Result<Vec<MailAddress>> {
        let owned = self.owned_addresses(account).await?;
        let mut linked = self.store.links_of(account.id).await?;
        linked.sort_by(|a, b| a.address.email.cmp(&b.address.email));
        Ok(owned
            .into_iter()
            .map(|address| MailAddress {
                address,
                access: Access::Owned,
            })
            .chain(linked.into_iter().map(|l| MailAddress {
                address: l.address,
                access: Access::Linked,
            }))
            .collect())
    }

    /// An address the account may read mail of, owned or linked; `NotFound` otherwise.
    pub async fn mail_address(&self, account: &Account, email: &Email) -> Result<MailAddress> {
        let address = self
            .store
            .address_by_email(email)
            .await?
            .ok_or(DomainError::NotFound("address"))?;
        if address.owner == account.id {
            return Ok(MailAddress {
                address,
                access: Access::Owned,
            });
        }
        match self.store.link(account.id, address.id).await? {
            Some(_) => Ok(MailAddress {
                address,
                access: Access::Linked,
            }),
            None => Err(DomainError::NotFound("address")),
        }
    }

    /// Adds another account's address to this account's webmail with one of its device
    /// passwords (which must allow the Web app Mail).
    pub async fn link_address(
        &self,
        account: &Account,
        email: &str,
        password: &str,
        ip: IpAddr,
    ) -> Result<Link> {
        let mut signed_in = self.verify(email, password, Protocol::Webmail, ip).await?;
        let address = self
            .store
            .address(signed_in.address_id)
            .await?
            .ok_or(DomainError::AuthFailed)?;
        if address.owner == account.id {
            return Err(DomainError::Conflict(
                "This address is already yours.".to_owned(),
            ));
        }
        if self.store.link(account.id, address.id).await?.is_some() {
            return Err(DomainError::Conflict(
                "This address is already in your list.".to_owned(),
            ));
        }
        let link = Link {
            account_id: account.id,
            address: address.clone(),
            device_id: signed_in.device_id,
            generation: signed_in.generation,
            created_at: self.clock.now(),
        };
        let activity = ActivityEntry {
            address_id: address.id,
            at: link.created_at,
            kind: ActivityKind::AddressLinked,
            device_id: Some(signed_in.device_id),
            device_description: Some(signed_in.description.clone()),
            actor: account.login.to_string(),
        };
        self.store.create_link(&link, &activity).await?;
        self.record_client(&mut signed_in, &format!("Web app Mail ({})", account.login))
            .await;
        Ok(link)
    }

    /// Removes a linked address from the account's webmail. `NotFound` if it was not linked.
    pub async fn unlink_address(&self, account: &Account, email: &Email) -> Result<()> {
        let address = self
            .store
            .address_by_email(email)
            .await?
            .ok_or(DomainError::NotFound("address"))?;
        let link = self
            .store
            .link(account.id, address.id)
            .await?
            .ok_or(DomainError::NotFound("address"))?;
        let activity = ActivityEntry {
            address_id: address.id,
            at: self.clock.now(),
            kind: ActivityKind::AddressUnlinked,
            device_id: Some(link.device_id),
            device_description: None,
            actor: account.login.to_string(),
        };
        if self
            .store
            .delete_link(account.id, address.id, &activity)
            .await?
        {
            Ok(())
        } else {
            Err(DomainError::NotFound("address"))
        }
    }

    /// The address's activity log, newest first, for its owner.
    pub async fn activity_log(
        &self,
        actor: &Actor,
        email: &Email,
        limit: u32,
    ) -> Result<Vec<ActivityEntry>> {
        let address = self.owned_address(actor, email).await?;
        self.store.activity_of(address.id, limit).await
    }

    /// Stores an incoming message in the address's INBOX and wakes its watchers.
    pub async fn deliver(
        &self,
        address: &Address,
        content: &[u8],
    ) -> Result<crate::mail::Appended> {
        let mail = self.mailboxes();
        let inbox = mail
            .mailbox(address.id, "INBOX")
            .await?
            .ok_or(DomainError::NotFound("mailbox"))?;
        mail.append(
            inbox.id,
            &crate::mail::Flags::default(),
            self.clock.now(),
            content,
        )
        .await
    }
}
