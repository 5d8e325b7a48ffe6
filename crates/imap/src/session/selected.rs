//! The selected mailbox: a compact snapshot (UIDs by sequence number and the modseq up to
//! which changes are known) and how it catches up with changes made by others.

use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::fetch::MessageDataItem;
use imap_codec::imap_types::response::{Code, Data, StatusKind};
use imap_next::server::Server;
use postern_domain::Core;
use postern_domain::mail::{Flags, MailboxId};
use tokio::sync::watch;

use crate::responses::{flag_list, mailbox_flags, nz, permanent_flags, untagged};
use crate::session::Session;

/// A selected mailbox.
pub(crate) struct Selected {
    pub id: MailboxId,
    pub read_only: bool,
    pub uidvalidity: u32,
    /// UIDs by sequence number (index + 1), ascending.
    pub uids: Vec<u32>,
    /// Changes up to this modseq are known to the client.
    pub modseq: i64,
    /// UIDs from here on are new to the client.
    pub uidnext: u32,
    /// Expunges that could not be told yet (during FETCH, STORE or SEARCH).
    pub deferred: Vec<u32>,
    /// Flag changes this session made and already told: `(uid, modseq)`.
    pub own: Vec<(u32, i64)>,
    /// UIDs recent to this session (IMAP `\Recent`), ascending.
    pub recent: Vec<u32>,
    /// In-process news of the mailbox.
    pub watch: watch::Receiver<i64>,
    /// The keywords the client was told of in FLAGS.
    pub keywords: Vec<String>,
}

impl Selected {
    /// The number of messages the client knows of.
    pub fn exists(&self) -> u32 {
        u32::try_from(self.uids.len()).unwrap_or(u32::MAX)
    }

    /// The sequence number of a UID.
    pub fn seq_of(&self, uid: u32) -> Option<u32> {
        self.uids
            .binary_search(&uid)
            .ok()
            .and_then(|i| u32::try_from(i + 1).ok())
    }

    /// Whether the message is recent to this session.
    pub fn is_recent(&self, uid: u32) -> bool {
        self.recent.binary_search(&uid).is_ok()
    }

    /// The number of messages recent to this session.
    pub fn recent_count(&self) -> u32 {
        u32::try_from(self.recent.len()).unwrap_or(u32::MAX)
    }

    /// Removes expunged UIDs; returns their sequence numbers, highest first, so that each
    /// EXPUNGE response is valid when it is read.
    fn remove(&mut self, gone: &[u32]) -> Vec<u32> {
        let mut seqs: Vec<u32> = gone.iter().filter_map(|u| self.seq_of(*u)).collect();
        if seqs.is_empty() {
            return seqs;
        }
        self.uids.retain(|u| gone.binary_search(u).is_err());
        self.recent.retain(|u| gone.binary_search(u).is_err());
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        seqs
    }
}

/// Sends FLAGS and, unless read-only, PERMANENTFLAGS with the keywords the client knows.
pub(crate) fn send_flags(sel: &Selected, server: &mut Server) {
    server.enqueue_data(Data::Flags(mailbox_flags(&sel.keywords)));
    let perm = if sel.read_only {
        Vec::new()
    } else {
        permanent_flags(&sel.keywords)
    };
    server.enqueue_status(untagged(
        StatusKind::Ok,
        Some(Code::PermanentFlags(perm)),
        "Flags permitted",
    ));
}

/// Tells the client of the keywords of `flags` it does not know yet, before a FETCH shows
/// them: a new FLAGS must come first (RFC 3501 7.2.6).
pub(crate) fn tell_keywords(sel: &mut Selected, server: &mut Server, flags: &Flags) {
    let before = sel.keywords.len();
    for k in &flags.keywords {
        if !sel.keywords.iter().any(|have| have.eq_ignore_ascii_case(k)) {
            sel.keywords.push(k.clone());
        }
    }
    if sel.keywords.len() != before {
        send_flags(sel, server);
    }
}

/// Whether EXPUNGE responses may be sent now (RFC 3501 7.4.1: not during FETCH, STORE or
/// SEARCH, where they would shift the sequence numbers the client is using).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expunges {
    Send,
    Defer,
}

/// Tells the client what changed in the selected mailbox since it last looked: EXPUNGE,
/// EXISTS and FETCH FLAGS responses. A mailbox deleted meanwhile ends the session.
pub(crate) async fn sync(s: &mut Session, server: &mut Server, expunges: Expunges) {
    let Ok(sel) = s.state.selected() else {
        return;
    };
    let (id, since) = (sel.id, sel.modseq);
    let delta = match s.core.mailboxes().changes_since(id, since).await {
        Ok(Some(delta)) => delta,
        Ok(None) => {
            // The goodbye leaves the selected state, and the mailbox with it.
            s.goodbye(server, "The selected mailbox was deleted");
            return;
        }
        Err(e) => {
            tracing::warn!("reading mailbox changes failed: {e}");
            return;
        }
    };
    let Ok((_, sel)) = s.state.selected_mut() else {
        return;
    };
    let mut untold = std::mem::take(&mut sel.deferred);
    untold.extend(delta.expunged.iter().copied());
    if delta.expunged_pruned {
        // Away so long that the tombstones are gone: what it knows and is not there now.
        match s.core.mailboxes().uids(id).await {
            Ok(now) => untold.extend(
                sel.uids
                    .iter()
                    .filter(|u| now.binary_search(u).is_err())
                    .copied(),
            ),
            Err(e) => tracing::warn!("reading a mailbox's UIDs failed: {e}"),
        }
    }
    untold.sort_unstable();
    untold.dedup();
    if expunges == Expunges::Send {
        for seq in sel.remove(&untold) {
            server.enqueue_data(Data::Expunge(nz(seq)));
        }
    } else {
        sel.deferred = untold
            .into_iter()
            .filter(|u| sel.seq_of(*u).is_some())
            .collect();
    }
    let before = sel.uids.len();
    for meta in &delta.changed {
        if meta.uid >= sel.uidnext {
            sel.uids.push(meta.uid);
        }
    }
    if sel.uids.len() != before {
        let arrived = sel.uids[before..].to_vec();
        // The mark read with the changes tells whether anything is left to claim, so the many
        // sessions woken by one arrival do not all ask the store's writer.
        if !sel.read_only && delta.recent_uid < delta.uidnext {
            claim_recent(&s.core, sel, &arrived, delta.uidnext).await;
        }
        server.enqueue_data(Data::Exists(sel.exists()));
        server.enqueue_data(Data::Recent(sel.recent_count()));
    }
    for meta in &delta.changed {
        if meta.uid >= sel.uidnext || sel.own.contains(&(meta.uid, meta.modseq)) {
            continue;
        }
        if let Some(seq) = sel.seq_of(meta.uid) {
            tell_keywords(sel, server, &meta.flags);
            let items = vec![
                MessageDataItem::Uid(nz(meta.uid)),
                MessageDataItem::Flags(flag_list(&meta.flags, sel.is_recent(meta.uid))),
            ];
            if let Ok(items) = Vec1::try_from(items) {
                server.enqueue_data(Data::Fetch {
                    seq: nz(seq),
                    items,
                });
            }
        }
    }
    sel.uidnext = sel.uidnext.max(delta.uidnext);
    sel.modseq = sel.modseq.max(delta.modseq);
    sel.own.clear();
}

/// Makes the arrived messages that no other session saw first recent to this one.
pub(crate) async fn claim_recent(core: &Core, sel: &mut Selected, arrived: &[u32], upto: u32) {
    match core.mailboxes().claim_recent(sel.id, upto).await {
        Ok(from) => sel.recent.extend(arrived.iter().filter(|u| **u >= from)),
        Err(e) => tracing::warn!("claiming recent messages failed: {e}"),
    }
}
