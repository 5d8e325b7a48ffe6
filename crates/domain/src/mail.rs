//! Mailboxes and messages of an address, as the protocols and the webmail see them.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::error::Result;
use crate::ids::AddressId;

/// A mailbox's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailboxId(pub i64);

/// The RFC 6154 role of a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialUse {
    Sent,
    Drafts,
    Trash,
    Junk,
    Archive,
}

impl SpecialUse {
    /// The stable name kept in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SpecialUse::Sent => "sent",
            SpecialUse::Drafts => "drafts",
            SpecialUse::Trash => "trash",
            SpecialUse::Junk => "junk",
            SpecialUse::Archive => "archive",
        }
    }

    /// Reads a stored role.
    pub fn parse(s: &str) -> Option<Self> {
        [
            SpecialUse::Sent,
            SpecialUse::Drafts,
            SpecialUse::Trash,
            SpecialUse::Junk,
            SpecialUse::Archive,
        ]
        .into_iter()
        .find(|u| u.as_str() == s)
    }
}

/// The mailboxes every address starts with.
pub const DEFAULT_MAILBOXES: [(&str, Option<SpecialUse>); 6] = [
    ("INBOX", None),
    ("Sent", Some(SpecialUse::Sent)),
    ("Drafts", Some(SpecialUse::Drafts)),
    ("Trash", Some(SpecialUse::Trash)),
    ("Junk", Some(SpecialUse::Junk)),
    ("Archive", Some(SpecialUse::Archive)),
];

/// A mailbox and its counters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub id: MailboxId,
    pub address_id: AddressId,
    /// The full name; `/` separates levels; the inbox is always `INBOX`.
    pub name: String,
    pub special_use: Option<SpecialUse>,
    pub uidvalidity: u32,
    pub uidnext: u32,
    /// Raised by every change in the mailbox.
    pub modseq: i64,
    pub subscribed: bool,
}

/// System flags as bits, keywords as words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub system: u8,
    pub keywords: Vec<String>,
}

impl Flags {
    pub const SEEN: u8 = 1;
    pub const ANSWERED: u8 = 2;
    pub const FLAGGED: u8 = 4;
    pub const DELETED: u8 = 8;
    pub const DRAFT: u8 = 16;

    /// Whether a system flag is set.
    pub fn has(&self, bit: u8) -> bool {
        self.system & bit != 0
    }

    /// Keywords as stored: space-separated.
    pub fn keywords_text(&self) -> String {
        self.keywords.join(" ")
    }

    /// Rebuilds flags from their stored form.
    pub fn from_stored(system: i64, keywords: &str) -> Self {
        Flags {
            system: u8::try_from(system & 0x1f).unwrap_or(0),
            keywords: keywords.split_whitespace().map(str::to_owned).collect(),
        }
    }
}

/// A message without its content.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageMeta {
    pub uid: u32,
    pub size: i64,
    pub internal_date: OffsetDateTime,
    pub flags: Flags,
    pub modseq: i64,
}

/// Where an appended message landed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub mailbox: MailboxId,
    pub uid: u32,
    pub uidvalidity: u32,
    pub modseq: i64,
}

/// Mail storage.
#[async_trait]
pub trait MailRepo: Send + Sync {
    async fn mailboxes(&self, address: AddressId) -> Result<Vec<Mailbox>>;
    /// A mailbox by its exact name (`INBOX` in any case).
    async fn mailbox(&self, address: AddressId, name: &str) -> Result<Option<Mailbox>>;
    /// Stores a message durably before answering.
    async fn append(
        &self,
        mailbox: MailboxId,
        flags: &Flags,
        internal_date: OffsetDateTime,
        content: &[u8],
    ) -> Result<Appended>;
    /// Every message of the mailbox in UID order.
    async fn messages(&self, mailbox: MailboxId) -> Result<Vec<MessageMeta>>;
    async fn message_content(&self, mailbox: MailboxId, uid: u32) -> Result<Option<Vec<u8>>>;
    /// Removes messages; returns the UIDs that were there.
    async fn expunge(&self, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<u32>>;
}

/// In-process news of mailbox changes, so that an IDLE wakes when mail arrives.
#[derive(Default)]
pub struct MailboxChanges {
    mailboxes: Mutex<HashMap<MailboxId, watch::Sender<i64>>>,
}

impl MailboxChanges {
    /// Follows a mailbox; the value is its latest known modseq.
    pub fn watch(&self, mailbox: MailboxId) -> watch::Receiver<i64> {
        let mut map = self.lock();
        map.retain(|_, tx| tx.receiver_count() > 0);
        map.entry(mailbox)
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe()
    }

    /// Tells the mailbox's followers that it changed.
    pub fn notify(&self, mailbox: MailboxId, modseq: i64) {
        if let Some(tx) = self.lock().get(&mailbox) {
            tx.send_if_modified(|m| {
                let changed = modseq > *m;
                *m = (*m).max(modseq);
                changed
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MailboxId, watch::Sender<i64>>> {
        self.mailboxes.lock().unwrap_or_else(|e| e.into_inner())
    }
}
