//! The commands, one file each; this module checks the state a command needs, runs it and
//! answers with its tagged status.

use imap_codec::imap_types::command::{Command, CommandBody};
use imap_codec::imap_types::response::StatusKind;
use imap_next::server::Server;

use crate::error::{Done, Outcome, Refusal};
use crate::responses::{bye, tagged};
use crate::session::selected::{self, Expunges};
use crate::session::{Action, Session, State};

pub(crate) mod append;
pub(crate) mod authenticate;
mod capability;
mod copy;
mod create;
mod delete;
mod enable;
mod expunge;
pub(crate) mod fetch;
mod id;
pub(crate) mod idle;
mod list;
pub(crate) mod list_extended;
mod login;
mod namespace;
mod rename;
mod search;
mod select;
mod status;
mod store;
mod subscribe;

/// Which state a command needs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    Any,
    NotAuthenticated,
    Authenticated,
    Selected,
}

fn needs(body: &CommandBody<'_>) -> Needs {
    use CommandBody as C;
    match body {
        C::Capability | C::Noop | C::Logout | C::Id { .. } => Needs::Any,
        C::StartTLS | C::Login { .. } | C::Authenticate { .. } => Needs::NotAuthenticated,
        C::Check
        | C::Close
        | C::Unselect
        | C::Expunge
        | C::ExpungeUid { .. }
        | C::Search { .. }
        | C::Fetch { .. }
        | C::Store { .. }
        | C::Copy { .. }
        | C::Move { .. } => Needs::Selected,
        C::Select { .. }
        | C::Examine { .. }
        | C::Create { .. }
        | C::Delete { .. }
        | C::Rename { .. }
        | C::Subscribe { .. }
        | C::Unsubscribe { .. }
        | C::List { .. }
        | C::Lsub { .. }
        | C::Status { .. }
        | C::Append { .. }
        | C::Namespace
        | C::Enable { .. }
        | C::Idle => Needs::Authenticated,
        // Not supported: refused as unknown, but only to a client that has signed in, so that
        // nobody learns more before sign-in. SORT and THREAD (RFC 5256) need a selected
        // mailbox, yet the refusal is the same there.
        C::Sort { .. }
        | C::Thread { .. }
        | C::Compress { .. }
        | C::GetQuota { .. }
        | C::GetQuotaRoot { .. }
        | C::SetQuota { .. } => Needs::Authenticated,
        // Commands of imap-types features not turned on here (METADATA): never parsed, so
        // never seen; like the unsupported ones above if they ever were.
        #[allow(
            unreachable_patterns,
            reason = "variants that exist only with imap-types features Postern does not enable"
        )]
        _ => Needs::Authenticated,
    }
}

/// Whether the command's answer may carry EXPUNGE responses: not during FETCH, STORE or
/// SEARCH (RFC 3501 7.4.1), which RFC 4315 allows again for their UID forms. Every other
/// command may.
fn expunges(body: &CommandBody<'_>) -> Expunges {
    use CommandBody as C;
    match body {
        C::Fetch { uid: false, .. }
        | C::Store { uid: false, .. }
        | C::Search { uid: false, .. } => Expunges::Defer,
        _ => Expunges::Send,
    }
}

/// Answers a line imap-codec could not parse when it is a LIST in RFC 5258's extended
/// syntax; false when it is not one.
pub(crate) async fn extended_list(s: &mut Session, server: &mut Server, line: &[u8]) -> bool {
    let Some(parsed) = list_extended::parse(line) else {
        return false;
    };
    let (tag, outcome) = match parsed {
        list_extended::Parsed::Unsupported(tag, text) => (tag, Err(Refusal::bad(text))),
        list_extended::Parsed::List(list) if s.is_authenticated() => {
            let outcome = list::run_extended(s, server, &list).await;
            (list.tag, outcome)
        }
        list_extended::Parsed::List(list) => (list.tag, Err(Refusal::bad("Sign in first"))),
    };
    if s.state.selected().is_ok() {
        selected::sync(s, server, Expunges::Send).await;
    }
    server.enqueue_status(match outcome {
        Ok(done) => done.status(tag),
        Err(refusal) => refusal.status(tag),
    });
    true
}

/// Runs one command.
pub(crate) async fn run(s: &mut Session, server: &mut Server, command: Command<'static>) -> Action {
    let Command { tag, body } = command;
    let state_error = match (needs(&body), &s.state) {
        (Needs::NotAuthenticated, State::Authenticated { .. } | State::Selected { .. }) => {
            Some("Already signed in")
        }
        (Needs::Authenticated | Needs::Selected, State::NotAuthenticated(_)) => {
            Some("Sign in first")
        }
        (Needs::Selected, State::Authenticated { .. }) => Some("No mailbox selected"),
        // Commands are not taken once the goodbye is queued (see `Session::on_event`), and
        // nothing queued after it would be sent.
        (_, State::Logout { .. }) => return Action::Continue,
        (Needs::Any, _)
        | (Needs::NotAuthenticated, State::NotAuthenticated(_))
        | (Needs::Authenticated, State::Authenticated { .. } | State::Selected { .. })
        | (Needs::Selected, State::Selected { .. }) => None,
    };
    if let Some(text) = state_error {
        server.enqueue_status(tagged(tag, StatusKind::Bad, None, text));
        return Action::Continue;
    }
    let mode = expunges(&body);
    let outcome = match body {
        CommandBody::Logout => {
            server.enqueue_status(bye("Logging out"));
            let handle = server.enqueue_status(Done::ok("LOGOUT completed").status(tag));
            s.finish_on(handle);
            return Action::Continue;
        }
        CommandBody::StartTLS => {
            if s.info.tls {
                Err(Refusal::bad("TLS is already active"))
            } else if let Some(pre) = s.state.not_authenticated() {
                let done = Done::ok("Begin TLS negotiation now").status(tag);
                pre.starttls = Some(server.enqueue_status(done));
                return Action::Continue;
            } else {
                // `needs` let only a session not signed in this far.
                Err(Refusal::bad("Already signed in"))
            }
        }
        CommandBody::Fetch {
            sequence_set,
            macro_or_item_names,
            uid,
        } => match fetch::start(
            s,
            server,
            tag.clone(),
            &sequence_set,
            macro_or_item_names,
            uid,
        )
        .await
        {
            // The FETCH answers in batches and completes by itself.
            Ok(()) => return Action::Continue,
            Err(refusal) => Err(refusal),
        },
        body => dispatch(s, server, body).await,
    };
    if s.state.selected().is_ok() {
        selected::sync(s, server, mode).await;
    }
    let status = match outcome {
        Ok(done) => done.status(tag),
        Err(refusal) => refusal.status(tag),
    };
    server.enqueue_status(status);
    Action::Continue
}

async fn dispatch(s: &mut Session, server: &mut Server, body: CommandBody<'static>) -> Outcome {
    use CommandBody as C;
    match body {
        C::Capability => capability::run(s, server),
        C::Noop => Ok(Done::ok("NOOP completed")),
        C::Check => Ok(Done::ok("CHECK completed")),
        C::Login { username, password } => login::run(s, &username, &password).await,
        C::Id { parameters } => id::run(s, server, parameters).await,
        C::Enable { .. } => enable::run(server),
        C::Select { mailbox } => select::run(s, server, &mailbox, false).await,
        C::Examine { mailbox } => select::run(s, server, &mailbox, true).await,
        C::Create { mailbox } => create::run(s, &mailbox).await,
        C::Delete { mailbox } => delete::run(s, &mailbox).await,
        C::Rename { from, to } => rename::run(s, &from, &to).await,
        C::Subscribe { mailbox } => subscribe::run(s, &mailbox, true).await,
        C::Unsubscribe { mailbox } => subscribe::run(s, &mailbox, false).await,
        C::List {
            reference,
            mailbox_wildcard,
        } => list::run(s, server, &reference, &mailbox_wildcard, false).await,
        C::Lsub {
            reference,
            mailbox_wildcard,
        } => list::run(s, server, &reference, &mailbox_wildcard, true).await,
        C::Namespace => namespace::run(server),
        C::Status {
            mailbox,
            item_names,
        } => status::run(s, server, &mailbox, &item_names).await,
        C::Append {
            mailbox,
            flags,
            date,
            message,
        } => append::run(s, &mailbox, &flags, date.as_ref(), &message).await,
        C::Close => expunge::close(s).await,
        C::Unselect => {
            s.state.deselect();
            Ok(Done::ok("UNSELECT completed"))
        }
        C::Expunge => expunge::run(s, None).await,
        C::ExpungeUid { sequence_set } => expunge::run(s, Some(&sequence_set)).await,
        C::Search {
            charset,
            criteria,
            uid,
        } => search::run(s, server, charset.as_ref(), criteria.as_ref(), uid).await,
        C::Store {
            sequence_set,
            kind,
            response,
            flags,
            uid,
        } => store::run(s, server, &sequence_set, kind, response, &flags, uid).await,
        C::Copy {
            sequence_set,
            mailbox,
            uid,
        } => copy::run(s, server, &sequence_set, &mailbox, uid, false).await,
        C::Move {
            sequence_set,
            mailbox,
            uid,
        } => copy::run(s, server, &sequence_set, &mailbox, uid, true).await,
        C::Sort { .. }
        | C::Thread { .. }
        | C::Compress { .. }
        | C::GetQuota { .. }
        | C::GetQuotaRoot { .. }
        | C::SetQuota { .. } => Err(Refusal::bad("Command not supported")),
        // Answered before dispatch (LOGOUT, STARTTLS, FETCH) or by their own events of
        // imap-next (AUTHENTICATE, IDLE): never here, and refused like the rest if they were.
        C::Logout | C::StartTLS | C::Fetch { .. } | C::Authenticate { .. } | C::Idle => {
            Err(Refusal::bad("Command not supported"))
        }
        // Commands of imap-types features not turned on here (METADATA): never parsed.
        #[allow(
            unreachable_patterns,
            reason = "variants that exist only with imap-types features Postern does not enable"
        )]
        _ => Err(Refusal::bad("Command not supported")),
    }
}
