//! DELETE (RFC 3501 6.3.4): a mailbox with children keeps its name, unselectable.

use imap_codec::imap_types::mailbox::Mailbox;

use crate::error::{Done, Outcome, Refusal};
use crate::names;
use crate::session::Session;

pub(crate) async fn run(s: &mut Session, mailbox: &Mailbox<'_>) -> Outcome {
    let name = names::from_wire(mailbox)?;
    if name == "INBOX" {
        return Err(Refusal::no("CANNOT", "INBOX cannot be deleted"));
    }
    let address = s.state.address()?;
    let mail = s.core.mailboxes();
    let found = mail
        .mailbox(address, &name)
        .await?
        .ok_or_else(|| Refusal::no("NONEXISTENT", "No such mailbox"))?;
    mail.delete_mailbox(address, &name).await?;
    if s.state.selected().is_ok_and(|sel| sel.id == found.id) {
        s.state.deselect();
    }
    Ok(Done::ok("DELETE completed"))
}
