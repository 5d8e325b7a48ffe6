//! STORE (RFC 3501 6.4.6): flags and keywords, added, removed or replaced.

use imap_codec::imap_types::core::Vec1;
use imap_codec::imap_types::fetch::MessageDataItem;
use imap_codec::imap_types::flag::{Flag, StoreResponse, StoreType};
use imap_codec::imap_types::response::Data;
use imap_codec::imap_types::sequence::SequenceSet;
use imap_next::server::Server;
use postern_domain::mail::FlagOp;

use crate::error::{Done, Outcome, Refusal};
use crate::responses::{flag_list, nz, parse_flags};
use crate::session::Session;
use crate::session::selected::tell_keywords;
use crate::session::sequence::{Numbers, resolve};

pub(crate) async fn run(
    s: &mut Session,
    server: &mut Server,
    set: &SequenceSet,
    kind: StoreType,
    response: StoreResponse,
    flags: &[Flag<'_>],
    uid: bool,
) -> Outcome {
    let numbers = if uid { Numbers::Uid } else { Numbers::Sequence };
    let sel = s.state.selected()?;
    if sel.read_only {
        return Err(Refusal::no("CANNOT", "The mailbox is read-only"));
    }
    let id = sel.id;
    let picked = resolve(set, numbers, sel)?;
    let flags = parse_flags(flags).ok_or_else(|| Refusal::bad("That flag cannot be stored"))?;
    let op = match kind {
        StoreType::Add => FlagOp::Add,
        StoreType::Remove => FlagOp::Remove,
        StoreType::Replace => FlagOp::Replace,
    };
    let (Some(first), Some(last)) = (picked.first(), picked.last()) else {
        return Ok(Done::ok("STORE completed"));
    };
    let (first, last) = (first.1, last.1);
    let uids: Vec<u32> = picked.iter().map(|(_, u)| *u).collect();
    let mail = s.core.mailboxes();
    let changed = mail.store_flags(id, &uids, op, &flags).await?;
    if let Ok((_, sel)) = s.state.selected_mut() {
        sel.own.extend(changed.iter().map(|m| (m.uid, m.modseq)));
    }
    if response == StoreResponse::Answer {
        let metas = mail.messages_between(id, first, last).await?;
        for (seq, uid) in picked {
            let Ok(i) = metas.binary_search_by_key(&uid, |m| m.uid) else {
                continue;
            };
            let (_, sel) = s.state.selected_mut()?;
            let recent = sel.is_recent(uid);
            tell_keywords(sel, server, &metas[i].flags);
            let mut items = vec![MessageDataItem::Flags(flag_list(&metas[i].flags, recent))];
            if numbers == Numbers::Uid {
                items.insert(0, MessageDataItem::Uid(nz(uid)));
            }
            if let Ok(items) = Vec1::try_from(items) {
                server.enqueue_data(Data::Fetch {
                    seq: nz(seq),
                    items,
                });
            }
        }
    }
    Ok(Done::ok("STORE completed"))
}
