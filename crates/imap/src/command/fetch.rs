//! FETCH and UID FETCH (RFC 3501 6.4.5). Answered in batches: the next batch is read from
//! the store once the previous one has been handed to the connection, so a large FETCH
//! never sits whole in memory.

use std::collections::VecDeque;

use imap_codec::imap_types::IntoStatic;
use imap_codec::imap_types::core::{IString, Literal, NString, Tag, Vec1};
use imap_codec::imap_types::fetch::{
    MacroOrMessageDataItemNames, MessageDataItem, MessageDataItemName, Section,
};
use imap_codec::imap_types::response::Data;
use imap_codec::imap_types::sequence::SequenceSet;
use imap_next::server::{ResponseHandle, Server};
use postern_domain::mail::{FlagOp, Flags, MessageMeta};

use crate::error::{Done, Refusal};
use crate::message::{self, Parsed};
use crate::responses::{flag_list, imap_date, nz};
use crate::session::Session;
use crate::session::selected::{self, Expunges};
use crate::session::sequence::{Numbers, resolve};

/// Messages per batch at most when their contents are sent (fewer when [`BATCH_BYTES`] is
/// reached first): each batch costs two queries, so small messages go many at a time.
const BATCH_MESSAGES: usize = 512;
/// Messages per batch when only what the store keeps beside them is (flags, size, date):
/// a few dozen bytes each.
const BATCH_METADATA: usize = 1024;
/// Message bytes per batch: a batch stops before the message that would pass this, unless
/// it is the first.
const BATCH_BYTES: i64 = 4 * 1024 * 1024;

/// A FETCH in progress.
pub(crate) struct FetchJob {
    tag: Tag<'static>,
    uid: bool,
    items: Vec<MessageDataItemName<'static>>,
    todo: VecDeque<(u32, u32)>,
    /// Messages whose `\Seen` this FETCH set: their FLAGS go with them.
    seen: Vec<u32>,
}

impl FetchJob {
    fn needs_content(&self) -> bool {
        self.items.iter().any(|i| {
            use MessageDataItemName as N;
            matches!(
                i,
                N::Body
                    | N::BodyExt { .. }
                    | N::BodyStructure
                    | N::Envelope
                    | N::Rfc822
                    | N::Rfc822Header
                    | N::Rfc822Text
            )
        })
    }

    fn needs_parse(&self) -> bool {
        self.items.iter().any(|i| {
            use MessageDataItemName as N;
            matches!(
                i,
                N::Body
                    | N::BodyStructure
                    | N::Envelope
                    | N::Rfc822Header
                    | N::Rfc822Text
                    | N::BodyExt {
                        section: Some(_),
                        ..
                    }
            )
        })
    }
}

/// Reading the body (not with PEEK) sets `\Seen`.
fn sets_seen(item: &MessageDataItemName<'_>) -> bool {
    matches!(
        item,
        MessageDataItemName::BodyExt { peek: false, .. }
            | MessageDataItemName::Rfc822
            | MessageDataItemName::Rfc822Text
    )
}

/// Starts a FETCH; it answers (and completes) through [`resume`].
pub(crate) async fn start(
    s: &mut Session,
    server: &mut Server,
    tag: Tag<'static>,
    set: &SequenceSet,
    names: MacroOrMessageDataItemNames<'static>,
    uid: bool,
) -> Result<(), Refusal> {
    let numbers = if uid { Numbers::Uid } else { Numbers::Sequence };
    let sel = s.state.selected()?;
    let (id, read_only) = (sel.id, sel.read_only);
    let picked = resolve(set, numbers, sel)?;
    let mut items = match names {
        MacroOrMessageDataItemNames::Macro(m) => m
            .expand()
            .into_iter()
            .map(IntoStatic::into_static)
            .collect(),
        MacroOrMessageDataItemNames::MessageDataItemNames(items) => items,
    };
    if items.iter().any(|i| {
        matches!(
            i,
            MessageDataItemName::Binary { .. } | MessageDataItemName::BinarySize { .. }
        )
    }) {
        return Err(Refusal::bad("FETCH item not supported"));
    }
    if uid && !items.contains(&MessageDataItemName::Uid) {
        items.insert(0, MessageDataItemName::Uid);
    }
    let mut seen = Vec::new();
    if !read_only && !picked.is_empty() && items.iter().any(sets_seen) {
        let uids: Vec<u32> = picked.iter().map(|(_, u)| *u).collect();
        let flag = Flags {
            system: Flags::SEEN,
            keywords: Vec::new(),
        };
        let changed = s
            .core
            .mailboxes()
            .store_flags(id, &uids, FlagOp::Add, &flag)
            .await?;
        seen = changed.iter().map(|m| m.uid).collect();
        if let Ok((_, sel)) = s.state.selected_mut() {
            sel.own.extend(changed.iter().map(|m| (m.uid, m.modseq)));
        }
    }
    let job = FetchJob {
        tag,
        uid,
        items,
        todo: picked.into(),
        seen,
    };
    resume(s, server, Box::new(job)).await;
    Ok(())
}

/// Sends the next batch, or completes the FETCH.
pub(crate) async fn resume(s: &mut Session, server: &mut Server, mut job: Box<FetchJob>) {
    loop {
        if s.is_closing() {
            return;
        }
        if job.todo.is_empty() {
            let expunges = if job.uid {
                Expunges::Send
            } else {
                Expunges::Defer
            };
            selected::sync(s, server, expunges).await;
            server.enqueue_status(Done::ok("FETCH completed").status(job.tag));
            return;
        }
        match batch(s, server, &mut job).await {
            Ok(Some(last)) if !job.todo.is_empty() => {
                // Handed back only when the mailbox is gone: closing, so nothing more is sent.
                if let Err(job) = s.state.park_fetch(last, job)
                    && !s.is_closing()
                {
                    server.enqueue_status(Refusal::bad("No mailbox selected").status(job.tag));
                }
                return;
            }
            Ok(_) => {}
            Err(refusal) => {
                server.enqueue_status(refusal.status(job.tag));
                return;
            }
        }
    }
}

async fn batch(
    s: &mut Session,
    server: &mut Server,
    job: &mut FetchJob,
) -> Result<Option<ResponseHandle>, Refusal> {
    let id = s.state.selected()?.id;
    let mail = s.core.mailboxes();
    let with_content = job.needs_content();
    let limit = if with_content {
        BATCH_MESSAGES
    } else {
        BATCH_METADATA
    };
    let mut window: Vec<(u32, u32)> = job.todo.iter().take(limit).copied().collect();
    let (Some(first), Some(last)) = (window.first(), window.last()) else {
        return Ok(None);
    };
    let metas = mail.messages_between(id, first.1, last.1).await?;
    let meta = |uid: u32| {
        metas
            .binary_search_by_key(&uid, |m| m.uid)
            .ok()
            .map(|i| &metas[i])
    };
    let mut contents = Vec::new();
    if with_content {
        let mut bytes = 0;
        let fits = window
            .iter()
            .take_while(|(_, uid)| {
                let first = bytes == 0;
                bytes += meta(*uid).map_or(0, |m| m.size);
                first || bytes <= BATCH_BYTES
            })
            .count();
        window.truncate(fits);
        let uids: Vec<u32> = window.iter().map(|(_, uid)| *uid).collect();
        contents = mail.message_contents(id, &uids).await?;
    }
    let mut last_handle = None;
    for (seq, uid) in window {
        job.todo.pop_front();
        let Some(meta) = meta(uid) else {
            continue;
        };
        let content = if with_content {
            match contents.binary_search_by_key(&uid, |(u, _)| *u) {
                Ok(i) => Some(std::mem::take(&mut contents[i].1)),
                // Expunged by another session since the batch began.
                Err(_) => continue,
            }
        } else {
            None
        };
        let (_, sel) = s.state.selected_mut()?;
        let recent = sel.is_recent(uid);
        let items = items_for(job, meta, recent, content.as_deref());
        if items.iter().any(|i| matches!(i, MessageDataItem::Flags(_))) {
            selected::tell_keywords(sel, server, &meta.flags);
        }
        if let Ok(items) = Vec1::try_from(items) {
            last_handle = Some(server.enqueue_data(Data::Fetch {
                seq: nz(seq),
                items,
            }));
        }
    }
    Ok(last_handle)
}

fn literal(bytes: Vec<u8>) -> NString<'static> {
    NString(Some(IString::Literal(Literal::unvalidated(bytes))))
}

fn partial(data: Vec<u8>, range: Option<(u32, std::num::NonZeroU32)>) -> Vec<u8> {
    match range {
        None => data,
        Some((origin, length)) => {
            let start = (origin as usize).min(data.len());
            let end = start.saturating_add(length.get() as usize).min(data.len());
            data[start..end].to_vec()
        }
    }
}

fn items_for(
    job: &FetchJob,
    meta: &MessageMeta,
    recent: bool,
    content: Option<&[u8]>,
) -> Vec<MessageDataItem<'static>> {
    use MessageDataItemName as N;
    let parsed = match content {
        Some(c) if job.needs_parse() => Parsed::new(c),
        _ => None,
    };
    let view = parsed.as_ref().map(Parsed::view);
    let whole = || content.map(<[u8]>::to_vec).unwrap_or_default();
    let mut out = Vec::with_capacity(job.items.len() + 1);
    for item in &job.items {
        out.push(match item {
            N::Uid => MessageDataItem::Uid(nz(meta.uid)),
            N::Flags => MessageDataItem::Flags(flag_list(&meta.flags, recent)),
            N::InternalDate => match imap_date(meta.internal_date) {
                Some(d) => MessageDataItem::InternalDate(d),
                None => continue,
            },
            N::Rfc822Size => {
                MessageDataItem::Rfc822Size(u32::try_from(meta.size).unwrap_or(u32::MAX))
            }
            N::Envelope => match view {
                Some(v) => MessageDataItem::Envelope(message::envelope(v)),
                None => continue,
            },
            N::BodyStructure => match view {
                Some(v) => MessageDataItem::BodyStructure(message::body_structure(v, true)),
                None => continue,
            },
            N::Body => match view {
                Some(v) => MessageDataItem::Body(message::body_structure(v, false)),
                None => continue,
            },
            N::BodyExt {
                section,
                partial: range,
                ..
            } => {
                let data = match (section, view) {
                    (None, _) => whole(),
                    (Some(sec), Some(v)) => {
                        message::section(v, Some::<&Section<'_>>(sec)).unwrap_or_default()
                    }
                    (Some(_), None) => Vec::new(),
                };
                MessageDataItem::BodyExt {
                    section: section.clone(),
                    origin: range.map(|(o, _)| o),
                    data: literal(partial(data, *range)),
                }
            }
            N::Rfc822 => MessageDataItem::Rfc822(literal(whole())),
            N::Rfc822Header => MessageDataItem::Rfc822Header(literal(
                view.map(|v| v.root().header_bytes().to_vec())
                    .unwrap_or_default(),
            )),
            N::Rfc822Text => MessageDataItem::Rfc822Text(literal(
                view.map(|v| v.root().body_bytes().to_vec())
                    .unwrap_or_default(),
            )),
            // Refused before the FETCH starts.
            N::Binary { .. } | N::BinarySize { .. } => continue,
            // Items of imap-types features not turned on here (MODSEQ): never parsed.
            #[allow(
                unreachable_patterns,
                reason = "variants that exist only with imap-types features Postern does not enable"
            )]
            _ => continue,
        });
    }
    if job.seen.binary_search(&meta.uid).is_ok() && !job.items.contains(&N::Flags) {
        out.push(MessageDataItem::Flags(flag_list(&meta.flags, recent)));
    }
    out
}
