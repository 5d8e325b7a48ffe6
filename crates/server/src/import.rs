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
    let mut progress = Progress::new(messages.len());
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
        progress.one_more();
    }
    progress.finish();
    Ok((messages.len(), target.name))
}

/// A progress line on standard error when it is a terminal (nothing in a pipe or a log):
/// redrawn in place at each percent.
struct Progress {
    total: usize,
    done: usize,
    shown_percent: Option<usize>,
    terminal: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        use std::io::IsTerminal;
        Progress {
            total,
            done: 0,
            shown_percent: None,
            terminal: std::io::stderr().is_terminal() && total > 1,
        }
    }

    fn one_more(&mut self) {
        self.done += 1;
        let percent = self.done * 100 / self.total.max(1);
        if self.terminal && self.shown_percent != Some(percent) {
            self.shown_percent = Some(percent);
            let filled = percent / 5;
            eprint!(
                "\rImporting [{}{}] {percent:>3}%  {} of {}",
                "#".repeat(filled),
                " ".repeat(20 - filled),
                self.done,
                self.total
            );
        }
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
