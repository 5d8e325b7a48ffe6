//! CREATE (RFC 3501 6.3.3): missing parents are made too.

use imap_codec::imap_types::mailbox::Mailbox;

use crate::error::{Done, Outcome, Refusal};
use crate::names;
use crate::session::Session;

pub(crate) async fn run(s: &mut Session, mailbox: &Mailbox<'_>) -> Outcome {
    let name = names::from_wire(mailbox)?;
    if name == "INBOX" {
        return Err(Refusal::no("ALREADYEXISTS", "INBOX always exists"));
    }
    let now = s.core.clock().now();
    s.core
        .mailboxes()
        .create_mailbox(s.state.address()?, &name, now)
        .await?;
    Ok(Done::ok("CREATE completed"))
}
