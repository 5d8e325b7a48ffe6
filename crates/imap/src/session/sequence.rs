//! Sequence sets (`1:4,7,9:*`) of message numbers or UIDs, resolved against the snapshot.

use imap_codec::imap_types::sequence::{SeqOrUid, Sequence, SequenceSet};

use crate::error::Refusal;
use crate::session::Selected;

/// Which numbers a set names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Numbers {
    Sequence,
    Uid,
}

/// The messages a set names, as `(sequence number, uid)` ascending. Sequence numbers past
/// the end are an error; UIDs that do not exist are ignored (RFC 3501 6.4.8).
pub(crate) fn resolve(
    set: &SequenceSet,
    numbers: Numbers,
    sel: &Selected,
) -> Result<Vec<(u32, u32)>, Refusal> {
    let count = sel.uids.len();
    let mut picked = vec![false; count];
    let last_uid = sel.uids.last().copied();
    for seq in set.0.as_ref() {
        let (a, b) = match seq {
            Sequence::Single(x) => (x, x),
            Sequence::Range(a, b) => (a, b),
        };
        match numbers {
            Numbers::Sequence => {
                let value = |x: &SeqOrUid| -> Result<usize, Refusal> {
                    let n = match x {
                        SeqOrUid::Asterisk => count,
                        SeqOrUid::Value(v) => usize::try_from(v.get()).unwrap_or(usize::MAX),
                    };
                    if n > count {
                        return Err(Refusal::bad("Invalid message sequence number"));
                    }
                    Ok(n)
                };
                if count == 0 {
                    // Only "*" makes sense in an empty mailbox, and it names nothing.
                    if matches!((a, b), (SeqOrUid::Asterisk, SeqOrUid::Asterisk)) {
                        continue;
                    }
                    return Err(Refusal::bad("Invalid message sequence number"));
                }
                let (x, y) = (value(a)?, value(b)?);
                let (lo, hi) = (x.min(y), x.max(y));
                for p in picked.iter_mut().take(hi).skip(lo.saturating_sub(1)) {
                    *p = true;
                }
            }
            Numbers::Uid => {
                let Some(last) = last_uid else { continue };
                let value = |x: &SeqOrUid| match x {
                    SeqOrUid::Asterisk => last,
                    SeqOrUid::Value(v) => v.get(),
                };
                let (x, y) = (value(a), value(b));
                let (lo, hi) = (x.min(y), x.max(y));
                let start = sel.uids.partition_point(|u| *u < lo);
                let end = sel.uids.partition_point(|u| *u <= hi);
                for p in picked.iter_mut().take(end).skip(start) {
                    *p = true;
                }
            }
        }
    }
    Ok(picked
        .iter()
        .enumerate()
        .filter(|(_, p)| **p)
        .filter_map(|(i, _)| Some((u32::try_from(i + 1).ok()?, sel.uids[i])))
        .collect())
}

/// UIDs as a compact UID set text (`1:3,7`), for COPYUID and APPENDUID codes.
pub(crate) fn uid_ranges(uids: &[u32]) -> Vec<(u32, u32)> {
    let mut ranges: Vec<(u32, u32)> = Vec::new();
    for &u in uids {
        match ranges.last_mut() {
            Some((_, hi)) if hi.checked_add(1) == Some(u) => *hi = u,
            _ => ranges.push((u, u)),
        }
    }
    ranges
}
