//! A stored message's MIME structure as every part of Postern walks it: parsed by
//! mail-parser, then bounded in depth.
//!
//! mail-parser itself parses without recursion, but it keeps every encapsulated
//! `message/rfc822` inside its parent, so a message nested thousands of levels deep is a
//! chain that every walk over it (and even dropping it) follows on the stack. A tree deeper
//! than [`MAX_DEPTH`] is cut there: a multipart or encapsulated message at that depth becomes
//! an opaque body, as Dovecot does, and everything below it is taken apart without recursion.
//! Every walk over a [`parse`]d message is then at most [`MAX_DEPTH`] levels deep.

use std::borrow::Cow;

use mail_parser::{Message, MessageParser, PartType};

/// The deepest a part may be: the top-level message's root is at depth 0, a part of a
/// multipart or the root of an encapsulated message one deeper than its parent.
pub const MAX_DEPTH: usize = 100;

/// Parses a message and bounds its structure to [`MAX_DEPTH`]; `None` when mail-parser finds
/// no message at all.
pub fn parse(raw: &[u8]) -> Option<Message<'_>> {
    let mut message = MessageParser::default().parse(raw)?;
    bound(&mut message, 0, MAX_DEPTH);
    Some(message)
}

/// How deep the structure of `message` goes: the depth of its deepest part.
pub fn depth(message: &Message<'_>) -> usize {
    let mut deepest = 0;
    let mut levels = vec![(message, 0usize)];
    while let Some((m, base)) = levels.pop() {
        for (idx, d) in part_depths(m).into_iter().enumerate() {
            let Some(d) = d.map(|d| base + d) else {
                continue;
            };
            deepest = deepest.max(d);
            if let Some(PartType::Message(nested)) = m.parts.get(idx).map(|p| &p.body) {
                levels.push((nested, d + 1));
            }
        }
    }
    deepest
}

/// Cuts `message`, whose root is at depth `base`, so that no part is deeper than `max`.
/// Recurses once per encapsulated message above `max`, so at most `max` times.
fn bound(message: &mut Message<'_>, base: usize, max: usize) {
    let depths = part_depths(message);
    let Message {
        parts, raw_message, ..
    } = message;
    for (idx, part) in parts.iter_mut().enumerate() {
        let depth = depths.get(idx).copied().flatten().map(|d| base + d);
        let nests = matches!(part.body, PartType::Multipart(_) | PartType::Message(_));
        match depth {
            Some(d) if d < max => {
                if let PartType::Message(nested) = &mut part.body {
                    bound(nested, d + 1, max);
                }
            }
            // At the limit: an opaque body, holding the part's bytes as stored.
            Some(d) if d == max && nests => {
                let bytes = raw_message
                    .get(part.offset_body as usize..part.offset_end as usize)
                    .unwrap_or_default()
                    .to_vec();
                dismantle(std::mem::replace(
                    &mut part.body,
                    PartType::Binary(Cow::Owned(bytes)),
                ));
            }
            // Below the limit, or not reachable from the root: never walked, so empty (a copy
            // of each would cost the message's size for every level).
            _ if nests => {
                dismantle(std::mem::replace(
                    &mut part.body,
                    PartType::Binary(Cow::Borrowed(&[])),
                ));
            }
            _ => {}
        }
    }
}

/// The depth of each part of one message level below its root, `None` for a part that the
/// root does not reach. Iterative, and each part is visited once even if a multipart named
/// it twice.
fn part_depths(message: &Message<'_>) -> Vec<Option<usize>> {
    let mut depths = vec![None; message.parts.len()];
    let mut todo = vec![(0usize, 0usize)];
    while let Some((idx, d)) = todo.pop() {
        let Some(slot) = depths.get_mut(idx) else {
            continue;
        };
        if slot.is_some() {
            continue;
        }
        *slot = Some(d);
        if let Some(PartType::Multipart(children)) = message.parts.get(idx).map(|p| &p.body) {
            todo.extend(children.iter().map(|c| (*c as usize, d + 1)));
        }
    }
    depths
}

/// Drops a part's body without recursing into the messages nested in it.
fn dismantle(body: PartType<'_>) {
    let mut pending = Vec::new();
    if let PartType::Message(m) = body {
        pending.push(m);
    }
    while let Some(mut m) = pending.pop() {
        for part in m.parts.drain(..) {
            if let PartType::Message(nested) = part.body {
                pending.push(nested);
            }
        }
    }
}

#[cfg(test)]
mod tests;
