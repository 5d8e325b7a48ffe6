//! The one way to an address's mailboxes and messages. Every edge (IMAP, POP3, the webmail,
//! import) reads and writes mail through `Core::mailboxes()`; a method that changes a mailbox
//! also wakes the mailbox's followers (IMAP IDLE, open pages), so no caller can forget to.
//!
//! The methods are those of `MailRepo` with the same arguments; which mailbox a caller may
//! reach is decided before (the signed-in address, `Core::reachable_mailbox`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use time::OffsetDateTime;

use crate::core::Core;
use crate::error::{DomainError, Result};
use crate::ids::AddressId;
use crate::mail::{
    Appended, Copied, FlagOp, Flags, Mailbox, MailboxCounts, MailboxDelta, MailboxId, MessageMeta,
    UidSet, UidSetKey,
};
use crate::mime;
use crate::search::{MessageIndex, Query};

/// The mailbox service: reads pass through to the store, writes announce their change.
#[derive(Clone, Copy)]
pub struct Mailboxes<'a> {
    core: &'a Core,
}

impl Core {
    /// Mailboxes and messages: the only way to read or change mail.
    pub fn mailboxes(&self) -> Mailboxes<'_> {
        Mailboxes { core: self }
    }
}

impl Mailboxes<'_> {
    /// The address's mailboxes.
    pub async fn mailboxes(&self, address: AddressId) -> Result<Vec<Mailbox>> {
        self.core.store.mailboxes(address).await
    }

    /// A mailbox by its exact name (`INBOX` in any case).
    pub async fn mailbox(&self, address: AddressId, name: &str) -> Result<Option<Mailbox>> {
        self.core.store.mailbox(address, name).await
    }

    /// A mailbox by its id.
    pub async fn mailbox_by_id(&self, id: MailboxId) -> Result<Option<Mailbox>> {
        self.core.store.mailbox_by_id(id).await
    }

    /// Every message of the mailbox in UID order.
    pub async fn messages(&self, mailbox: MailboxId) -> Result<Vec<MessageMeta>> {
        self.core.store.messages(mailbox).await
    }

    /// The messages with UIDs in `first..=last`, in UID order.
    pub async fn messages_between(
        &self,
        mailbox: MailboxId,
        first: u32,
        last: u32,
    ) -> Result<Vec<MessageMeta>> {
        self.core.store.messages_between(mailbox, first, last).await
    }

    /// The UIDs of the mailbox, ascending.
    pub async fn uids(&self, mailbox: MailboxId) -> Result<Vec<u32>> {
        self.core.store.uids(mailbox).await
    }

    /// The UIDs of a mailbox as its row was read: from memory when they have not changed
    /// since they were last read (an append or an expunge changes the row's key).
    pub async fn uids_of(&self, mailbox: &Mailbox) -> Result<Vec<u32>> {
        let key = mailbox.uid_set_key();
        if let Some(uids) = self.core.uid_sets.get(mailbox.id, key) {
            return Ok(uids.to_vec());
        }
        let Some(set) = self.core.store.uid_set(mailbox.id).await? else {
            return Ok(Vec::new());
        };
        self.core.uid_sets.keep(mailbox.id, &set);
        Ok(set.uids)
    }

    /// One message's content.
    pub async fn message_content(&self, mailbox: MailboxId, uid: u32) -> Result<Option<Vec<u8>>> {
        self.core.store.message_content(mailbox, uid).await
    }

    /// The contents of the messages with these UIDs (ascending), in UID order.
    pub async fn message_contents(
        &self,
        mailbox: MailboxId,
        uids: &[u32],
    ) -> Result<Vec<(u32, Vec<u8>)>> {
        self.core.store.message_contents(mailbox, uids).await
    }

    /// What changed after `modseq`; `None` if the mailbox is gone.
    pub async fn changes_since(
        &self,
        mailbox: MailboxId,
        modseq: i64,
    ) -> Result<Option<MailboxDelta>> {
        self.core.store.changes_since(mailbox, modseq).await
    }

    /// Counters of the mailbox.
    pub async fn mailbox_counts(&self, mailbox: MailboxId) -> Result<MailboxCounts> {
        self.core.store.mailbox_counts(mailbox).await
    }

    /// The UIDs of the messages matching `query`, ascending. The store answers from its
    /// indexes; where it can only narrow (a header it does not keep), the contents of the
    /// messages it could not rule out decide.
    pub async fn search(&self, mailbox: MailboxId, query: &Query) -> Result<Vec<u32>> {
        let found = self.core.store.search(mailbox, query).await?;
        if found.exact {
            return Ok(found.uids);
        }
        let mut matching = Vec::new();
        for batch in found.uids.chunks(SEARCH_BATCH) {
            let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
                continue;
            };
            let metas = self.messages_between(mailbox, *first, *last).await?;
            let contents = self.message_contents(mailbox, batch).await?;
            for (uid, content) in contents {
                let Ok(at) = metas.binary_search_by_key(&uid, |m| m.uid) else {
                    continue;
                };
                let meta = &metas[at];
                let parsed = mime::parse(&content);
                let index = match &parsed {
                    Some(m) => MessageIndex::of_parsed(m, meta.internal_date),
                    None => MessageIndex::of(&content, meta.internal_date),
                };
                if query.matches(meta, &index, parsed.as_ref()) {
                    matching.push(uid);
                }
            }
        }
        Ok(matching)
    }

    /// Indexes for searching every content stored before there was a search index; returns
    /// how many. `progress` hears the count after each batch.
    pub async fn index_stored_mail(&self, mut progress: impl FnMut(u64)) -> Result<u64> {
        let mut done = 0u64;
        loop {
            let batch = self.core.store.unindexed(SEARCH_BATCH as u32).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            for item in batch {
                let index = index_of(&item.content, item.internal_date).await?;
                self.core.store.save_index(item.id, &index).await?;
                done += 1;
            }
            progress(done);
        }
    }

    /// The keywords set on any message of the mailbox, each once.
    pub async fn mailbox_keywords(&self, mailbox: MailboxId) -> Result<Vec<String>> {
        self.core.store.mailbox_keywords(mailbox).await
    }

    /// Claims for one session the UIDs below `upto` that no session has seen yet (IMAP
    /// `\Recent`); changes no modseq, so it announces nothing.
    pub async fn claim_recent(&self, mailbox: MailboxId, upto: u32) -> Result<u32> {
        self.core.store.claim_recent(mailbox, upto).await
    }

    /// Creates a mailbox and any missing parents. A new mailbox has no followers yet.
    pub async fn create_mailbox(
        &self,
        address: AddressId,
        name: &str,
        at: OffsetDateTime,
    ) -> Result<Mailbox> {
        self.core.store.create_mailbox(address, name, at).await
    }

    /// Subscribes or unsubscribes a mailbox; its messages do not change.
    pub async fn set_subscribed(
        &self,
        address: AddressId,
        name: &str,
        subscribed: bool,
    ) -> Result<()> {
        self.core
            .store
            .set_subscribed(address, name, subscribed)
            .await
    }

    /// Stores a message durably, then announces it.
    pub async fn append(
        &self,
        mailbox: MailboxId,
        flags: &Flags,
        internal_date: OffsetDateTime,
        content: &[u8],
    ) -> Result<Appended> {
        let index = index_of(content, internal_date).await?;
        let appended = self
            .core
            .store
            .append(mailbox, flags, internal_date, content, &index)
            .await?;
        self.core.mailbox_changes.notify(mailbox, appended.modseq);
        Ok(appended)
    }

    /// Changes the flags of messages; returns those whose flags changed.
    pub async fn store_flags(
        &self,
        mailbox: MailboxId,
        uids: &[u32],
        op: FlagOp,
        flags: &Flags,
    ) -> Result<Vec<MessageMeta>> {
        let changed = self
            .core
            .store
            .store_flags(mailbox, uids, op, flags)
            .await?;
        if let Some(modseq) = changed.iter().map(|m| m.modseq).max() {
            self.core.mailbox_changes.notify(mailbox, modseq);
        }
        Ok(changed)
    }

    /// Copies messages (sharing their content) into another mailbox.
    pub async fn copy_messages(
        &self,
        from: MailboxId,
        uids: &[u32],
        to: MailboxId,
    ) -> Result<Copied> {
        let copied = self.core.store.copy_messages(from, uids, to).await?;
        self.announce_copied(from, to, &copied);
        Ok(copied)
    }

    /// Moves messages into another mailbox in one transaction.
    pub async fn move_messages(
        &self,
        from: MailboxId,
        uids: &[u32],
        to: MailboxId,
    ) -> Result<Copied> {
        let moved = self.core.store.move_messages(from, uids, to).await?;
        self.announce_copied(from, to, &moved);
        Ok(moved)
    }

    /// Removes messages; returns the UIDs that were there.
    pub async fn expunge(&self, mailbox: MailboxId, uids: &[u32]) -> Result<Vec<u32>> {
        let gone = self.core.store.expunge(mailbox, uids).await?;
        if !gone.is_empty() {
            self.announce(mailbox).await;
        }
        Ok(gone)
    }

    /// Removes the messages flagged `\Deleted` (only among `uids` when given).
    pub async fn expunge_deleted(
        &self,
        mailbox: MailboxId,
        uids: Option<&[u32]>,
    ) -> Result<Vec<u32>> {
        let gone = self.core.store.expunge_deleted(mailbox, uids).await?;
        if !gone.is_empty() {
            self.announce(mailbox).await;
        }
        Ok(gone)
    }

    /// Deletes a mailbox and its messages; its followers learn it is gone.
    pub async fn delete_mailbox(&self, address: AddressId, name: &str) -> Result<()> {
        let found = self.core.store.mailbox(address, name).await?;
        self.core.store.delete_mailbox(address, name).await?;
        if let Some(found) = found {
            self.announce(found.id).await;
        }
        Ok(())
    }

    /// Renames a mailbox with its children; the followers of the renamed mailbox look again.
    pub async fn rename_mailbox(
        &self,
        address: AddressId,
        from: &str,
        to: &str,
        at: OffsetDateTime,
    ) -> Result<()> {
        let source = self.core.store.mailbox(address, from).await?;
        self.core
            .store
            .rename_mailbox(address, from, to, at)
            .await?;
        if let Some(source) = source {
            self.announce(source.id).await;
        }
        Ok(())
    }

    fn announce_copied(&self, from: MailboxId, to: MailboxId, copied: &Copied) {
        if copied.uids.is_empty() {
            return;
        }
        self.core.mailbox_changes.notify(to, copied.modseq);
        if copied.source_modseq > 0 {
            self.core.mailbox_changes.notify(from, copied.source_modseq);
        }
    }

    /// Wakes a mailbox's followers after a change whose new modseq the store did not return.
    /// The change is made; failing to read it back only delays the followers' next look.
    async fn announce(&self, id: MailboxId) {
        match self.core.store.mailbox_by_id(id).await {
            Ok(Some(mailbox)) => self.core.mailbox_changes.notify(id, mailbox.modseq),
            // Gone: its followers must look (and find it gone).
            Ok(None) => self.core.mailbox_changes.notify(id, i64::MAX),
            Err(e) => tracing::warn!("reading a mailbox back failed: {e}"),
        }
    }
}

/// How many messages a content check or an indexing pass reads at once.
const SEARCH_BATCH: usize = 256;

/// Messages up to this size are indexed on the task that stores them; larger ones on a
/// blocking thread, so that parsing them holds up no other session.
const INLINE_INDEX_BYTES: usize = 256 * 1024;

/// The search index of a message about to be stored.
async fn index_of(content: &[u8], internal_date: OffsetDateTime) -> Result<MessageIndex> {
    if content.len() <= INLINE_INDEX_BYTES {
        return Ok(MessageIndex::of(content, internal_date));
    }
    let owned = content.to_vec();
    tokio::task::spawn_blocking(move || MessageIndex::of(&owned, internal_date))
        .await
        .map_err(|e| DomainError::store_caused_by("indexing a message failed", e))
}

/// The UID lists of the largest mailboxes read lately: selecting a mailbox of 100,000
/// messages again (mail programs reconnect often) costs no read of its UIDs while none was
/// appended or expunged. Small lists are cheaper to read than to keep.
#[derive(Default)]
pub(crate) struct UidSets(Mutex<HashMap<MailboxId, KeptUids>>);

/// A UID list as read, with its key.
type KeptUids = (UidSetKey, Arc<[u32]>);

/// Lists shorter than this are read each time.
const CACHED_UIDS_MIN: usize = 1_000;
/// Mailboxes whose lists are kept at most; past it, the kept ones are dropped.
const CACHED_MAILBOXES_MAX: usize = 64;

impl UidSets {
    fn get(&self, mailbox: MailboxId, key: UidSetKey) -> Option<Arc<[u32]>> {
        let sets = self.0.lock().unwrap_or_else(|e| e.into_inner());
        sets.get(&mailbox)
            .filter(|(k, _)| *k == key)
            .map(|(_, uids)| Arc::clone(uids))
    }

    fn keep(&self, mailbox: MailboxId, set: &UidSet) {
        if set.uids.len() < CACHED_UIDS_MIN {
            return;
        }
        let mut sets = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if sets.len() >= CACHED_MAILBOXES_MAX && !sets.contains_key(&mailbox) {
            sets.clear();
        }
        sets.insert(mailbox, (set.key, Arc::from(set.uids.as_slice())));
    }
}
