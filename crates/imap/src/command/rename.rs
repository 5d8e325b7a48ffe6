//! RENAME (RFC 3501 6.3.5): children move along; renaming INBOX moves its messages.

use imap_codec::imap_types::mailbox::Mailbox;

use crate::error::{Done, Outcome, Refusal};
use crate::names;
use crate::session::Session;

pub(crate) async fn run(s: &mut Session, from: &Mailbox<'_>, to: &Mailbox<'_>) -> Outcome {
    let (from, to) = (names::from_wire(from)?, names::from_wire(to)?);
    if to == "INBOX" {
        return Err(Refusal::no("ALREADYEXISTS", "INBOX always exists"));
    }
    let address = s.state.address()?;
    let mail = s.core.mailboxes();
    mail.mailbox(address, &from)
        .await?
        .ok_or_else(|| Refusal::no("NONEXISTENT", "No such mailbox"))?;
    let now = s.core.clock().now();
    mail.rename_mailbox(address, &from, &to, now).await?;
    Ok(Done::ok("RENAME completed"))
}
