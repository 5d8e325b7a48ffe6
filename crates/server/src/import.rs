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
    let mail = core.mailboxes();
    let now = core.clock().now();
    let target = match mail.mailbox(address.id, name).await? {
        Some(m) if m.selectable => m,
        _ => mail.create_mailbox(address.id, name, now).await?,
    };
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
        mail.append(target.id, &flags, date, message).await?;
    }
    Ok((messages.len(), target.name))
}
