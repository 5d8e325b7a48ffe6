//! COPY (RFC 3501 6.4.7) and MOVE (RFC 6851), with COPYUID (RFC 4315).

use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::extensions::uidplus::{UidElement, UidSet};
use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::{Code, StatusKind};
use imap_codec::imap_types::sequence::SequenceSet;
use imap_next::server::Server;

use crate::error::{Done, Outcome, Refusal};
use crate::names;
use crate::responses::{nz, untagged};
use crate::session::Session;
use crate::session::sequence::{Numbers, resolve, uid_ranges};

fn uid_set(uids: &[u32]) -> Option<UidSet> {
    let elements: Vec<UidElement> = uid_ranges(uids)
        .into_iter()
        .map(|(lo, hi)| {
            if lo == hi {
                UidElement::Single(nz(lo))
            } else {
                UidElement::Range(nz(lo), nz(hi))
            }
        })
        .collect();
    Vec1::try_from(elements).ok().map(UidSet)
}

pub(crate) async fn run(
    s: &mut Session,
    server: &mut Server,
    set: &SequenceSet,
    mailbox: &Mailbox<'_>,
    uid: bool,
    move_: bool,
) -> Outcome {
    let numbers = if uid { Numbers::Uid } else { Numbers::Sequence };
    let sel = s.state.selected()?;
    let (source, read_only) = (sel.id, sel.read_only);
    let uids: Vec<u32> = resolve(set, numbers, sel)?
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    if move_ && read_only {
        return Err(Refusal::no("CANNOT", "The mailbox is read-only"));
    }
    let name = names::from_wire(mailbox)?;
    let mail = s.core.mailboxes();
    let target = mail
        .mailbox(s.state.address()?, &name)
        .await?
        .ok_or_else(|| Refusal::no("TRYCREATE", "No such mailbox"))?;
    if !target.selectable {
        return Err(Refusal::no(
            "CANNOT",
            "This name holds other mailboxes only",
        ));
    }
    let done = if move_ {
        "MOVE completed"
    } else {
        "COPY completed"
    };
    if uids.is_empty() {
        return Ok(Done::ok(done));
    }
    let copied = if move_ {
        mail.move_messages(source, &uids, target.id).await?
    } else {
        mail.copy_messages(source, &uids, target.id).await?
    };
    if copied.uids.is_empty() {
        return Ok(Done::ok(done));
    }
    let (from, to): (Vec<u32>, Vec<u32>) = copied.uids.iter().copied().unzip();
    let code = match (uid_set(&from), uid_set(&to)) {
        (Some(source), Some(destination)) => Some(Code::CopyUid {
            uid_validity: nz(copied.uidvalidity),
            source,
            destination,
        }),
        _ => None,
    };
    if move_ {
        // RFC 6851: COPYUID comes in an untagged OK, before the EXPUNGE responses.
        server.enqueue_status(untagged(StatusKind::Ok, code, "Moved"));
        Ok(Done::ok(done))
    } else {
        Ok(Done {
            code,
            text: done.into(),
        })
    }
}
