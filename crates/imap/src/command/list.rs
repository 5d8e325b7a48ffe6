//! LIST and LSUB (RFC 3501 6.3.8, 6.3.9) with CHILDREN (RFC 3348) and SPECIAL-USE
//! (RFC 6154) attributes.

use imap_codec::imap_types::core::{AString, Atom, IString, Quoted, QuotedChar};
use imap_codec::imap_types::flag::FlagNameAttribute;
use imap_codec::imap_types::mailbox::{ListMailbox, Mailbox};
use imap_codec::imap_types::response::Data;
use imap_next::server::Server;
use postern_domain::mail::SpecialUse;

use super::list_extended::ExtendedList;
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

/// What a LIST or LSUB asks for.
struct Request {
    reference: String,
    patterns: Vec<String>,
    lsub: bool,
    /// LIST-EXTENDED's selection option `SUBSCRIBED`.
    subscribed_only: bool,
    /// LIST-EXTENDED's return option `SUBSCRIBED`: mark subscribed names `\Subscribed`.
    mark_subscribed: bool,
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
    let request = Request {
        reference,
        patterns: vec![pattern],
        lsub,
        subscribed_only: false,
        mark_subscribed: false,
    };
    answer(s, server, request).await
}

/// LIST in the extended syntax of RFC 5258.
pub(crate) async fn run_extended(
    s: &mut Session,
    server: &mut Server,
    list: &ExtendedList,
) -> Outcome {
    let request = Request {
        reference: wire_text(&list.reference),
        patterns: list.patterns.iter().map(|p| wire_text(p)).collect(),
        lsub: false,
        subscribed_only: list.subscribed_only,
        mark_subscribed: list.mark_subscribed,
    };
    answer(s, server, request).await
}

async fn answer(s: &mut Session, server: &mut Server, request: Request) -> Outcome {
    let Request {
        reference,
        patterns,
        lsub,
        subscribed_only,
        mark_subscribed,
    } = request;
    let delimiter = QuotedChar::try_from(DELIMITER).ok();
    if patterns.len() == 1 && patterns[0].is_empty() && !lsub {
        // The hierarchy delimiter and root (RFC 3501 6.3.8).
        let root = Mailbox::from(AString::String(IString::from(Quoted::unvalidated(""))));
        server.enqueue_data(Data::List {
            items: vec![FlagNameAttribute::Noselect],
            delimiter,
            mailbox: root,
        });
        return Ok(Done::ok("LIST completed"));
    }
    let fulls: Vec<String> = patterns
        .iter()
        .map(|pattern| names::normalise(&format!("{reference}{pattern}")))
        .collect();
    if fulls.iter().map(String::len).sum::<usize>() > MAX_PATTERN {
        return Err(Refusal::bad("Mailbox pattern too long"));
    }
    let matches = |name: &str| fulls.iter().any(|full| names::matches(full, name));
    let mut mailboxes = s.core.mailboxes().mailboxes(s.state.address()?).await?;
    mailboxes.sort_by(|a, b| (a.name != "INBOX", &a.name).cmp(&(b.name != "INBOX", &b.name)));
    for mb in &mailboxes {
        if !matches(&mb.name) || (subscribed_only && !mb.subscribed) {
            continue;
        }
        // An unsubscribed name stands in for subscribed children the pattern does not reach
        // (`%`), marked \Noselect (RFC 3501 6.3.9).
        let stand_in = lsub && !mb.subscribed && {
            let prefix = format!("{}{DELIMITER}", mb.name);
            mailboxes.iter().any(|child| {
                child.subscribed && child.name.starts_with(&prefix) && !matches(&child.name)
            })
        };
        if lsub && !mb.subscribed && !stand_in {
            continue;
        }
        let mut items = Vec::new();
        if !mb.selectable || stand_in {
            items.push(FlagNameAttribute::Noselect);
        }
        if mark_subscribed && mb.subscribed {
            items.extend(attribute("Subscribed"));
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
        let Some(mailbox) = names::to_wire(&mb.name) else {
            tracing::warn!(name = %mb.name, "a mailbox name no IMAP string can carry is left out");
            continue;
        };
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
