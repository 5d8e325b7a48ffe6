//! SUBSCRIBE and UNSUBSCRIBE (RFC 3501 6.3.6, 6.3.7).

use imap_codec::imap_types::mailbox::Mailbox;

use crate::error::{Done, Outcome};
use crate::names;
use crate::session::Session;

pub(crate) async fn run(s: &mut Session, mailbox: &Mailbox<'_>, subscribe: bool) -> Outcome {
    let name = names::from_wire(mailbox)?;
    s.core
        .mailboxes()
        .set_subscribed(s.state.address()?, &name, subscribe)
        .await?;
    Ok(Done::ok(if subscribe {
        "SUBSCRIBE completed"
    } else {
        "UNSUBSCRIBE completed"
    }))
}
