//! What the webmail does with an address's mail: reach a mailbox of an address the account
//! owns or has linked, mark messages read or unread, delete them to Trash, keep a copy of
//! what was sent. Every change wakes the mailbox's watchers (IMAP IDLE, open pages).

use crate::addresses::MailAddress;
use crate::core::Core;
use crate::email::Email;
use crate::error::{DomainError, Result};
use crate::mail::{FlagOp, Flags, Mailbox, SpecialUse};
use crate::model::{Account, Address};

impl Core {
    /// A mailbox of an address the account reads mail of (owned or linked); `NotFound` for
    /// anything else, as for a mailbox that does not exist or cannot be opened.
    pub async fn reachable_mailbox(
        &self,
        account: &Account,
        email: &Email,
        name: &str,
    ) -> Result<(MailAddress, Mailbox)> {
        let address = self.mail_address(account, email).await?;
        // No mailbox name holds a control character, and PostgreSQL refuses NUL in text.
        if name.chars().any(char::is_control) {
            return Err(DomainError::NotFound("mailbox"));
        }
        let mailbox = self
            .mailboxes()
            .mailbox(address.address.id, name)
            .await?
            .filter(|m| m.selectable)
            .ok_or(DomainError::NotFound("mailbox"))?;
        Ok((address, mailbox))
    }

    /// Marks a message read or unread. `NotFound` if it is not in the mailbox.
    pub async fn set_seen(&self, mailbox: &Mailbox, uid: u32, seen: bool) -> Result<()> {
        self.require_message(mailbox, uid).await?;
        let op = if seen { FlagOp::Add } else { FlagOp::Remove };
        let flags = Flags {
            system: Flags::SEEN,
            keywords: Vec::new(),
        };
        self.mailboxes()
            .store_flags(mailbox.id, &[uid], op, &flags)
            .await?;
        Ok(())
    }

    /// Moves a message to the address's Trash; in Trash (or when there is none), deletes it
    /// for good. Returns whether it went to Trash. `NotFound` if it is not in the mailbox.
    pub async fn delete_to_trash(
        &self,
        address: &Address,
        mailbox: &Mailbox,
        uid: u32,
    ) -> Result<bool> {
        self.require_message(mailbox, uid).await?;
        let trash = self.special_mailbox(address, SpecialUse::Trash).await?;
        match trash {
            Some(trash) if trash.id != mailbox.id => {
                self.mailboxes()
                    .move_messages(mailbox.id, &[uid], trash.id)
                    .await?;
                Ok(true)
            }
            _ => {
                self.mailboxes().expunge(mailbox.id, &[uid]).await?;
                Ok(false)
            }
        }
    }

    /// Keeps a copy of a message the address sent, read, in its Sent mailbox (if it has one).
    pub async fn keep_sent(&self, address: &Address, content: &[u8]) -> Result<()> {
        let Some(sent) = self.special_mailbox(address, SpecialUse::Sent).await? else {
            return Ok(());
        };
        let flags = Flags {
            system: Flags::SEEN,
            keywords: Vec::new(),
        };
        self.mailboxes()
            .append(sent.id, &flags, self.clock.now(), content)
            .await?;
        Ok(())
    }

    /// The address's mailbox with a role (Sent, Trash…), if it has one that can be opened.
    pub async fn special_mailbox(
        &self,
        address: &Address,
        role: SpecialUse,
    ) -> Result<Option<Mailbox>> {
        Ok(self
            .mailboxes()
            .mailboxes(address.id)
            .await?
            .into_iter()
            .find(|m| m.special_use == Some(role) && m.selectable))
    }

    async fn require_message(&self, mailbox: &Mailbox, uid: u32) -> Result<()> {
        if self
            .mailboxes()
            .messages_between(mailbox.id, uid, uid)
            .await?
            .is_empty()
        {
            return Err(DomainError::NotFound("message"));
        }
        Ok(())
    }
}
