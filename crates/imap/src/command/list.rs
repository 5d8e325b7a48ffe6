//! LIST and LSUB (RFC 3501 6.3.8, 6.3.9) with CHILDREN (RFC 3348) and SPECIAL-USE
//! (RFC 6154) attributes.

use imap_codec::imap_types::core::{Atom, QuotedChar};
use imap_codec::imap_types::flag::FlagNameAttribute;
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::response::Data;
use imap_next::server::Server;
use postern_domain::mail::SpecialUse;

use crate::error::{Done, Outcome, Refusal};
use crate::names::{self, DELIMITER};
use crate::session::Session;

const MAX_PATTERN: usize = 1024;

fn attribute(name: &'static str) -> Option<FlagNameAttribute<'static>> {
    Atom::try_from(name).ok().map(FlagNameAttribute::from)
}

fn special(use_: SpecialUse) -> &'static str {
    match use_ {
        SpecialUse::Sent => "Sent",
        SpecialUse::Drafts => "Drafts",
        SpecialUse::Trash => "Trash",
        SpecialUse::Junk => "Junk",
        SpecialUse::Archive => "Archive",
    }
}

/// A reference or pattern as a store name. Any ATOM-CHARs, wildcards and resp-specials make
/// a valid pattern (RFC 3501 9, `list-char`); what is not valid modified UTF-7 is taken as
/// it is and so matches no mailbox of that spelling rather than being refused.
fn wire_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) if text.is_ascii() => names::decode_mutf7(text).unwrap_or_else(|| text.to_owned()),
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

pub(crate) async fn run(
    s: &mut Session,
    server: &mut Server,
    reference: &Mailbox<'_>,
    pattern: &ListMailbox<'_>,
    lsub: bool,
) -> Outcome {
    let reference = match reference {
        Mailbox::Inbox => "INBOX".to_owned(),
        Mailbox::Other(other) => wire_text(other.inner().as_ref()),
    };
    let pattern = match pattern {
        ListMailbox::Token(token) => wire_text(token.as_ref()),
        ListMailbox::String(string) => wire_text(string.as_ref()),
    };
    let delimiter = QuotedChar::try_from(DELIMITER).ok();
    if pattern.is_empty() && !lsub {
        // The hierarchy delimiter and root (RFC 3501 6.3.8).
        let root = Mailbox::try_from("").unwrap_or(Mailbox::Inbox);
        server.enqueue_data(Data::List {
            items: vec![FlagNameAttribute::Noselect],
            delimiter,
            mailbox: root,
        });
        return Ok(Done::ok("LIST completed"));
    }
    let full = names::normalise(&format!("{reference}{pattern}"));
    if full.len() > MAX_PATTERN {
        return Err(Refusal::bad("Mailbox pattern too long"));
    }
    let mut mailboxes = s.core.store().mailboxes(s.address()?).await?;
    mailboxes.sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
    for mb in &mailboxes {
        if !names::matches(&full, &mb.name) {
            continue;
        }
        // An unsubscribed name stands in for subscribed children the pattern does not reach
        // (`%`), marked \Noselect (RFC 3501 6.3.9).
        let stand_in = lsub && !mb.subscribed && {
            let prefix = format!("{}{DELIMITER}", mb.name);
            mailboxes.iter().any(|child| {
                child.subscribed
                    && child.name.starts_with(&prefix)
                    && !names::matches(&full, &child.name)
            })
        };
        if lsub && !mb.subscribed && !stand_in {
            continue;
        }
        let mut items = Vec::new();
        if !mb.selectable || stand_in {
            items.push(FlagNameAttribute::Noselect);
        }
        if !lsub {
            let prefix = format!("{}{DELIMITER}", mb.name);
            let children = mailboxes
                .iter()
                .any(|other| other.name.starts_with(&prefix));
            items.extend(attribute(if children {
                "HasChildren"
            } else {
                "HasNoChildren"
            }));
            if let Some(use_) = mb.special_use {
                items.extend(attribute(special(use_)));
            }
        }
        let mailbox = names::to_wire(&mb.name);
        server.enqueue_data(if lsub {
            Data::Lsub {
                items,
                delimiter,
                mailbox,
            }
        } else {
            Data::List {
                items,
                delimiter,
                mailbox,
            }
        });
    }
    Ok(Done::ok(if lsub {
        "LSUB completed"
    } else {
        "LIST completed"
    }))
}
