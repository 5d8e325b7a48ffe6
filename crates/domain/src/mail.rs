//! Mailboxes and messages of an address, as the protocols and the webmail see them.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::error::Result;
use crate::ids::AddressId;
use crate::search::{MessageIndex, Query};

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
    /// False for a name kept only because it has children (IMAP `\Noselect`).
    pub selectable: bool,
    /// UIDs from here on are recent (IMAP `\Recent`): no session has seen them yet.
    pub recent_uid: u32,
    /// How many messages it holds, how many of them without `\Seen` and with `\Deleted`,
    /// and their size in bytes: counters kept with every change.
    pub messages: u32,
    pub unseen: u32,
    pub deleted: u32,
    pub size: u64,
}

impl Mailbox {
    /// What identifies the mailbox's set of UIDs: no append or expunge leaves it the same.
    pub fn uid_set_key(&self) -> UidSetKey {
        UidSetKey {
            uidvalidity: self.uidvalidity,
            uidnext: self.uidnext,
            messages: self.messages,
        }
    }
}

/// See [`Mailbox::uid_set_key`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UidSetKey {
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub messages: u32,
}

/// A mailbox's UIDs with the key of that set, read together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidSet {
    pub key: UidSetKey,
    /// Ascending.
    pub uids: Vec<u32>,
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

/// How a flag update combines with the flags a message has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOp {
    Add,
    Remove,
    Replace,
}

/// What changed in a mailbox after a modseq: the way a session learns of changes made by
/// others, in this process or another one sharing the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailboxDelta {
    /// The mailbox's modseq now: ask again from here.
    pub modseq: i64,
    pub uidnext: u32,
    /// UIDs from here on have not been seen by any session yet (IMAP `\Recent`).
    pub recent_uid: u32,
    /// Messages added or whose flags changed, in UID order.
    pub changed: Vec<MessageMeta>,
    /// UIDs removed, ascending.
    pub expunged: Vec<u32>,
    /// Tombstones from before `since` were pruned: `expunged` may miss UIDs, and whoever
    /// asked compares the UIDs it knows with the mailbox's.
    pub expunged_pruned: bool,
}

/// Where copied or moved messages landed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    /// The destination's UIDVALIDITY.
    pub uidvalidity: u32,
    /// `(source UID, destination UID)` pairs in source UID order.
    pub uids: Vec<(u32, u32)>,
    /// The destination's new modseq (0 when nothing was copied).
    pub modseq: i64,
    /// The source's new modseq after a move (0 otherwise).
    pub source_modseq: i64,
}

/// A stored content (shared by the copies of a message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentId(pub i64);

/// What a store found for a search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    /// UIDs, ascending.
    pub uids: Vec<u32>,
    /// Whether these are exactly the matches; else a superset that each message's content
    /// decides (a header the store does not keep).
    pub exact: bool,
}

/// A content stored without a search index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unindexed {
    pub id: ContentId,
    pub content: Vec<u8>,
    pub internal_date: OffsetDateTime,
}

/// Counters of a mailbox, for IMAP STATUS and the webmail.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailboxCounts {
    pub messages: u32,
    pub unseen: u32,
    pub deleted: u32,
    /// The lowest UID without `\Seen`.
    pub first_unseen_uid: Option<u32>,
    pub size: u64,
    /// Messages no session has seen yet (IMAP `\Recent`).
    pub recent: u32,
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
        index: &MessageIndex,
    ) -> Result<Appended>;
    /// Every message of the mailbox in UID order.
    async fn messages(&self, mailbox: MailboxId) -> Result<Vec<MessageMeta>>;
    async fn message_content(&self, mailbox: MailboxId, uid: u32) -> Result<Option<Vec<u8>>>;
    /// The contents of the messages with these UIDs (ascending), in UID order; UIDs that are
    /// not there are left out.
    async fn message_contents(
        &self,
        mailbox: MailboxId,
        uids: &[u32],
    ) -> Result<Vec<(u32, Vec<u8>)>>;
    /// Removes messages; returns the UIDs that were there.
    async fn expunge(&self, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<u32>>;

    /// A mailbox by its id.
    async fn mailbox_by_id(&self, id: MailboxId) -> Result<Option<Mailbox>>;
    /// Creates a mailbox and any missing parents (`a/b/c` makes `a` and `a/b`). A name kept
    /// only for its children becomes selectable again. `Conflict` if it exists.
    async fn create_mailbox(
        &self,
        address: AddressId,
        name: &str,
        at: OffsetDateTime,
    ) -> Result<Mailbox>;
    /// Deletes a mailbox and its messages; one with children keeps its name, unselectable.
    /// `NotFound` if there is no such mailbox; `Invalid` for INBOX.
    async fn delete_mailbox(&self, address: AddressId, name: &str) -> Result<()>;
    /// Renames a mailbox with its children. Renaming INBOX moves its messages to a new
    /// mailbox and leaves INBOX empty. `NotFound` or `Conflict` as fits.
    async fn rename_mailbox(
        &self,
        address: AddressId,
        from: &str,
        to: &str,
        at: OffsetDateTime,
    ) -> Result<()>;
    /// Subscribes or unsubscribes a mailbox. `NotFound` if it does not exist.
    async fn set_subscribed(&self, address: AddressId, name: &str, subscribed: bool) -> Result<()>;
    /// Claims for one session the UIDs below `upto` that no session has seen yet (IMAP
    /// `\Recent`); returns the first UID claimed, or `upto` when another session was first.
    async fn claim_recent(&self, mailbox: MailboxId, upto: u32) -> Result<u32>;
    /// The UIDs of the mailbox, ascending.
    async fn uids(&self, mailbox: MailboxId) -> Result<Vec<u32>>;
    /// The UIDs of the mailbox with the key of that set; `None` if it is gone.
    async fn uid_set(&self, mailbox: MailboxId) -> Result<Option<UidSet>>;
    /// The messages with UIDs in `first..=last`, in UID order.
    async fn messages_between(
        &self,
        mailbox: MailboxId,
        first: u32,
        last: u32,
    ) -> Result<Vec<MessageMeta>>;
    /// Changes the flags of messages; returns those whose flags changed, with their new
    /// flags and modseq.
    async fn store_flags(
        &self,
        mailbox: MailboxId,
        uids: &[u32],
        op: FlagOp,
        flags: &Flags,
    ) -> Result<Vec<MessageMeta>>;
    /// Copies messages (sharing their content) into another mailbox.
    async fn copy_messages(&self, from: MailboxId, uids: &[u32], to: MailboxId) -> Result<Copied>;
    /// Moves messages into another mailbox in one transaction.
    async fn move_messages(&self, from: MailboxId, uids: &[u32], to: MailboxId) -> Result<Copied>;
    /// Removes the messages flagged `\Deleted` (only among `uids` when given); returns
    /// their UIDs.
    async fn expunge_deleted(&self, mailbox: MailboxId, uids: Option<&[u32]>) -> Result<Vec<u32>>;
    /// What changed after `modseq`; `None` if the mailbox is gone.
    async fn changes_since(&self, mailbox: MailboxId, modseq: i64) -> Result<Option<MailboxDelta>>;
    /// Counters of the mailbox.
    async fn mailbox_counts(&self, mailbox: MailboxId) -> Result<MailboxCounts>;
    /// The messages matching `query`, or a superset of them to be checked.
    async fn search(&self, mailbox: MailboxId, query: &Query) -> Result<Found>;
    /// Up to `limit` stored contents that have no search index yet (stored before there was
    /// one), with the arrival date of a message holding each.
    async fn unindexed(&self, limit: u32) -> Result<Vec<Unindexed>>;
    /// Keeps the search index of a content stored without one.
    async fn save_index(&self, content: ContentId, index: &MessageIndex) -> Result<()>;
    /// The keywords set on any message of the mailbox, each once (case-insensitively), for
    /// IMAP's FLAGS.
    async fn mailbox_keywords(&self, mailbox: MailboxId) -> Result<Vec<String>>;

    /// News of changes made by other processes on the same store, where the store can tell
    /// (PostgreSQL's notifications); `None` where it cannot.
    fn mail_news(&self) -> Option<tokio::sync::broadcast::Receiver<MailNews>> {
        None
    }
}

/// News of a change made by any process sharing the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailNews {
    /// The mailbox reached this modseq.
    Changed { mailbox: MailboxId, modseq: i64 },
    /// News may have been lost (a reconnection): every follower should look for changes.
    Lost,
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

    /// Wakes every follower of every mailbox, when news may have been missed; each then looks
    /// for changes itself.
    pub(crate) fn notify_all(&self) {
        for tx in self.lock().values() {
            tx.send_modify(|_| {});
        }
    }

    /// Tells the mailbox's followers that it changed. Only the domain's services call it,
    /// right after the change (see `mailboxes`).
    pub(crate) fn notify(&self, mailbox: MailboxId, modseq: i64) {
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
