//! `postern message import`: fills a mailbox from an .eml file or an mbox.

use std::path::Path;

use anyhow::{Context, Result, bail};
use postern_domain::Core;
use postern_domain::mail::Flags;
use postern_domain::model::Address;

/// Imports the messages of `file` into `mailbox` of `address`; returns how many and the
/// mailbox's name.
pub async fn import(
    core: &Core,
    address: &Address,
    file: &Path,
    mailbox: &str,
) -> Result<(usize, String)> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let messages = postern_imap::import::messages_of(&bytes);
    if messages.is_empty() {
        bail!("no messages in {}", file.display());
    }
    let name = if mailbox.eq_ignore_ascii_case("INBOX") {
        "INBOX"
    } else {
        mailbox.trim_end_matches('/')
    };
    let store = core.store();
    let now = core.clock().now();
    let target = match store.mailbox(address.id, name).await? {
        Some(m) if m.selectable => m,
        _ => store.create_mailbox(address.id, name, now).await?,
    };
    let mut last_modseq = 0;
    for message in &messages {
        let flags = Flags {
            system: if postern_imap::import::marked_read(message) {
                Flags::SEEN
            } else {
                0
            },
            keywords: Vec::new(),
        };
        let date = postern_imap::import::sent_at(message).unwrap_or(now);
        last_modseq = store.append(target.id, &flags, date, message).await?.modseq;
    }
    core.mailbox_changes.notify(target.id, last_modseq);
    Ok((messages.len(), target.name))
}
