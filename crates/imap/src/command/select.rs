//! SELECT and EXAMINE (RFC 3501 6.3.1, 6.3.2).

use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, Data, StatusKind};
use imap_next::server::Server;

use crate::error::{Done, Outcome, Refusal};
use crate::names;
use crate::responses::{mailbox_flags, nz, permanent_flags, untagged};
use crate::session::{Selected, Session};

pub(crate) async fn run(
    s: &mut Session,
    server: &mut Server,
    mailbox: &Mailbox<'_>,
    read_only: bool,
) -> Outcome {
    // A failed SELECT leaves no mailbox selected, too.
    s.state.deselect();
    let name = names::from_wire(mailbox)?;
    let address = s.state.address()?;
    let mail = s.core.mailboxes();
    let mailbox = mail
        .mailbox(address, &name)
        .await?
        .ok_or_else(|| Refusal::no("NONEXISTENT", "No such mailbox"))?;
    if !mailbox.selectable {
        return Err(Refusal::no(
            "CANNOT",
            "This name holds other mailboxes only",
        ));
    }
    let watch = s.core.mailbox_changes.watch(mailbox.id);
    // The modseq is read before the UIDs: whatever happens in between is told by the next
    // look for changes.
    let uids = mail.uids_of(&mailbox).await?;
    // The first unseen message: none or the first one without asking when the row's
    // counters tell.
    let first_unseen = if mailbox.unseen == 0 {
        None
    } else if mailbox.unseen == mailbox.messages && uids.len() == mailbox.messages as usize {
        uids.first().copied()
    } else {
        mail.mailbox_counts(mailbox.id).await?.first_unseen_uid
    };
    let keywords = mail.mailbox_keywords(mailbox.id).await?;
    let uidnext = uids.last().map_or(mailbox.uidnext, |u| {
        mailbox.uidnext.max(u.saturating_add(1))
    });
    // EXAMINE shows what is recent without claiming it (RFC 3501 6.3.2).
    let recent_from = if read_only || mailbox.recent_uid >= uidnext {
        mailbox.recent_uid
    } else {
        mail.claim_recent(mailbox.id, uidnext).await?
    };
    let recent = uids.iter().copied().filter(|u| *u >= recent_from).collect();
    let selected = Selected {
        id: mailbox.id,
        read_only,
        uidvalidity: mailbox.uidvalidity,
        uids,
        modseq: mailbox.modseq,
        uidnext,
        deferred: Vec::new(),
        own: Vec::new(),
        recent,
        watch,
        keywords,
    };
    server.enqueue_data(Data::Flags(mailbox_flags(&selected.keywords)));
    server.enqueue_data(Data::Exists(selected.exists()));
    server.enqueue_data(Data::Recent(selected.recent_count()));
    if let Some(seq) = first_unseen.and_then(|u| selected.seq_of(u)) {
        server.enqueue_status(untagged(
            StatusKind::Ok,
            Some(Code::Unseen(nz(seq))),
            "First unseen",
        ));
    }
    let perm = if read_only {
        Vec::new()
    } else {
        permanent_flags(&selected.keywords)
    };
    server.enqueue_status(untagged(
        StatusKind::Ok,
        Some(Code::PermanentFlags(perm)),
        "Flags permitted",
    ));
    server.enqueue_status(untagged(
        StatusKind::Ok,
        Some(Code::UidValidity(nz(selected.uidvalidity))),
        "UIDs valid",
    ));
    server.enqueue_status(untagged(
        StatusKind::Ok,
        Some(Code::UidNext(nz(selected.uidnext))),
        "Predicted next UID",
    ));
    s.state.select(Box::new(selected))?;
    Ok(if read_only {
        Done::with(Code::ReadOnly, "EXAMINE completed")
    } else {
        Done::with(Code::ReadWrite, "SELECT completed")
    })
}
