//! STATUS (RFC 3501 6.3.10).

use std::borrow::Cow;

use imap_codec::imap_types::mailbox::Mailbox;
use imap_codec::imap_types::response::Data;
use imap_codec::imap_types::status::{StatusDataItem, StatusDataItemName};
use imap_next::server::Server;

use crate::error::{Done, Outcome, Refusal};
use crate::names;
use crate::responses::nz;
use crate::session::Session;

pub(crate) async fn run(
    s: &mut Session,
    server: &mut Server,
    mailbox: &Mailbox<'_>,
    item_names: &[StatusDataItemName],
) -> Outcome {
    let name = names::from_wire(mailbox)?;
    let mail = s.core.mailboxes();
    let found = mail
        .mailbox(s.state.address()?, &name)
        .await?
        .ok_or_else(|| Refusal::no("NONEXISTENT", "No such mailbox"))?;
    if !found.selectable {
        return Err(Refusal::no(
            "CANNOT",
            "This name holds other mailboxes only",
        ));
    }
    let mailbox = names::to_wire(&found.name)
        .ok_or_else(|| Refusal::no("CANNOT", "This mailbox name cannot be sent"))?;
    // The counters are the mailbox row's; only \Recent is counted on demand.
    let recent = if item_names.contains(&StatusDataItemName::Recent) {
        mail.mailbox_counts(found.id).await?.recent
    } else {
        0
    };
    let mut items = Vec::with_capacity(item_names.len());
    for item in item_names {
        items.push(match item {
            StatusDataItemName::Messages => StatusDataItem::Messages(found.messages),
            StatusDataItemName::Recent => StatusDataItem::Recent(recent),
            StatusDataItemName::UidNext => StatusDataItem::UidNext(nz(found.uidnext)),
            StatusDataItemName::UidValidity => StatusDataItem::UidValidity(nz(found.uidvalidity)),
            StatusDataItemName::Unseen => StatusDataItem::Unseen(found.unseen),
            StatusDataItemName::Deleted => StatusDataItem::Deleted(found.deleted),
            // RFC 9051's reclaimable size: the store does not count it.
            StatusDataItemName::DeletedStorage => {
                return Err(Refusal::bad("Unsupported STATUS item"));
            }
            // Items of imap-types features not turned on here (SIZE, HIGHESTMODSEQ): never
            // parsed, and not supported if they were.
            #[allow(
                unreachable_patterns,
                reason = "variants that exist only with imap-types features Postern does not enable"
            )]
            _ => return Err(Refusal::bad("Unsupported STATUS item")),
        });
    }
    server.enqueue_data(Data::Status {
        mailbox,
        items: Cow::Owned(items),
    });
    Ok(Done::ok("STATUS completed"))
}
