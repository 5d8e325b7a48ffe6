//! EXPUNGE (RFC 3501 6.4.3), UID EXPUNGE (RFC 4315) and CLOSE (6.4.2).

use imap_codec::imap_types::sequence::SequenceSet;

use crate::error::{Done, Outcome, Refusal};
use crate::session::Session;
use crate::session::sequence::{Numbers, resolve};

/// Removes the messages flagged `\Deleted`; the EXPUNGE responses follow from the look for
/// changes that ends every command.
pub(crate) async fn run(s: &mut Session, uids: Option<&SequenceSet>) -> Outcome {
    let sel = s.state.selected()?;
    if sel.read_only {
        return Err(Refusal::no("CANNOT", "The mailbox is read-only"));
    }
    let id = sel.id;
    let within: Option<Vec<u32>> = match uids {
        Some(set) => Some(
            resolve(set, Numbers::Uid, sel)?
                .into_iter()
                .map(|(_, uid)| uid)
                .collect(),
        ),
        None => None,
    };
    s.core
        .mailboxes()
        .expunge_deleted(id, within.as_deref())
        .await?;
    Ok(Done::ok("EXPUNGE completed"))
}

/// CLOSE: expunges silently (unless read-only) and leaves the mailbox.
pub(crate) async fn close(s: &mut Session) -> Outcome {
    let sel = s.state.selected()?;
    let (id, read_only) = (sel.id, sel.read_only);
    s.state.deselect();
    if !read_only {
        s.core.mailboxes().expunge_deleted(id, None).await?;
    }
    Ok(Done::ok("CLOSE completed"))
}
