//! The session's state (RFC 3501 3) as a type. What only makes sense in one state lives
//! inside it: a selected mailbox cannot exist without a signed-in user, an AUTHENTICATE
//! waiting for its SASL response cannot outlive the unauthenticated state, and a FETCH sent
//! in batches is dropped with the mailbox it reads.

use imap_codec::imap_types::core::Tag;
use imap_next::server::ResponseHandle;
use postern_domain::{AddressId, SignedIn};

use super::Selected;
use crate::command::fetch::FetchJob;
use crate::error::Refusal;

/// Where a session stands, with what belongs to that state only.
pub(crate) enum State {
    /// Not signed in yet (RFC 3501 3.1).
    NotAuthenticated(NotAuthenticated),
    /// Signed in, no mailbox selected (RFC 3501 3.2).
    Authenticated {
        /// Boxed, as in the selected state: the device's details are large and moved
        /// between states.
        user: Box<SignedIn>,
        /// The tag of the IDLE in progress (RFC 2177).
        idle: Option<Tag<'static>>,
    },
    /// Signed in with a mailbox selected (RFC 3501 3.3).
    Selected {
        user: Box<SignedIn>,
        selected: Box<Selected>,
        /// The tag of the IDLE in progress (RFC 2177).
        idle: Option<Tag<'static>>,
        /// A FETCH sent in batches: the last response of the batch in flight, and the rest.
        fetch: Option<(ResponseHandle, Box<FetchJob>)>,
    },
    /// A goodbye is queued (RFC 3501 3.4): the session closes once this response is out.
    /// Nothing queued after it is ever sent, so nothing else is kept.
    Logout { until: ResponseHandle },
}

/// What a session keeps before sign-in.
#[derive(Default)]
pub(crate) struct NotAuthenticated {
    /// The client's name from ID, recorded for the device once signed in.
    pub client_id: Option<String>,
    /// The tag of an AUTHENTICATE waiting for the client's SASL response.
    pub auth_tag: Option<Tag<'static>>,
    /// Failed sign-ins on this connection; too many end it.
    pub auth_failures: u32,
    /// The STARTTLS go-ahead: the TLS handshake starts once it is out.
    pub starttls: Option<ResponseHandle>,
}

impl Default for State {
    fn default() -> Self {
        State::NotAuthenticated(NotAuthenticated::default())
    }
}

impl State {
    /// What the session keeps before sign-in; `None` once signed in or closing.
    pub fn not_authenticated(&mut self) -> Option<&mut NotAuthenticated> {
        match self {
            State::NotAuthenticated(pre) => Some(pre),
            State::Authenticated { .. } | State::Selected { .. } | State::Logout { .. } => None,
        }
    }

    /// The signed-in device, if any.
    pub fn user(&self) -> Option<&SignedIn> {
        match self {
            State::Authenticated { user, .. } | State::Selected { user, .. } => Some(user),
            State::NotAuthenticated(_) | State::Logout { .. } => None,
        }
    }

    /// The signed-in device, to record what is learnt about it.
    pub fn user_mut(&mut self) -> Option<&mut SignedIn> {
        match self {
            State::Authenticated { user, .. } | State::Selected { user, .. } => Some(user),
            State::NotAuthenticated(_) | State::Logout { .. } => None,
        }
    }

    /// The signed-in device, or the refusal of a command that needs one.
    pub fn signed_in(&self) -> Result<&SignedIn, Refusal> {
        self.user().ok_or_else(|| Refusal::bad("Sign in first"))
    }

    /// The signed-in address.
    pub fn address(&self) -> Result<AddressId, Refusal> {
        Ok(self.signed_in()?.address_id)
    }

    /// The selected mailbox, or the refusal of a command that needs one.
    pub fn selected(&self) -> Result<&Selected, Refusal> {
        match self {
            State::Selected { selected, .. } => Ok(selected),
            State::NotAuthenticated(_) | State::Authenticated { .. } | State::Logout { .. } => {
                Err(Refusal::bad("No mailbox selected"))
            }
        }
    }

    /// The signed-in device and the selected mailbox, to update what the client was told.
    pub fn selected_mut(&mut self) -> Result<(&SignedIn, &mut Selected), Refusal> {
        match self {
            State::Selected { user, selected, .. } => Ok((user, selected)),
            State::NotAuthenticated(_) | State::Authenticated { .. } | State::Logout { .. } => {
                Err(Refusal::bad("No mailbox selected"))
            }
        }
    }

    /// Failed sign-ins so far; none once signed in (a new count would start from there).
    pub fn auth_failures(&self) -> u32 {
        match self {
            State::NotAuthenticated(pre) => pre.auth_failures,
            State::Authenticated { .. } | State::Selected { .. } | State::Logout { .. } => 0,
        }
    }

    /// Counts a failed sign-in.
    pub fn failed_sign_in(&mut self) {
        if let Some(pre) = self.not_authenticated() {
            pre.auth_failures = pre.auth_failures.saturating_add(1);
        }
    }

    /// Enters the authenticated state. Only from the unauthenticated one: a session already
    /// signed in, or closing, stays as it is.
    pub fn sign_in(&mut self, user: Box<SignedIn>) {
        if let State::NotAuthenticated(_) = self {
            *self = State::Authenticated { user, idle: None };
        }
    }

    /// Selects a mailbox, leaving the one selected before; refused before sign-in.
    pub fn select(&mut self, selected: Box<Selected>) -> Result<(), Refusal> {
        match std::mem::take(self) {
            State::Authenticated { user, idle } | State::Selected { user, idle, .. } => {
                *self = State::Selected {
                    user,
                    selected,
                    idle,
                    fetch: None,
                };
                Ok(())
            }
            other @ (State::NotAuthenticated(_) | State::Logout { .. }) => {
                *self = other;
                Err(Refusal::bad("Sign in first"))
            }
        }
    }

    /// Leaves the selected mailbox, if there is one (with it goes any FETCH in flight).
    pub fn deselect(&mut self) {
        if let State::Selected { .. } = self
            && let State::Selected { user, idle, .. } = std::mem::take(self)
        {
            *self = State::Authenticated { user, idle };
        }
    }

    /// Where the tag of an IDLE goes: signed-in states only.
    pub fn idle_slot(&mut self) -> Option<&mut Option<Tag<'static>>> {
        match self {
            State::Authenticated { idle, .. } | State::Selected { idle, .. } => Some(idle),
            State::NotAuthenticated(_) | State::Logout { .. } => None,
        }
    }

    /// Whether an IDLE is in progress.
    pub fn is_idling(&self) -> bool {
        match self {
            State::Authenticated { idle, .. } | State::Selected { idle, .. } => idle.is_some(),
            State::NotAuthenticated(_) | State::Logout { .. } => false,
        }
    }

    /// Keeps a FETCH until `handle`, the last response of its batch, is out; handed back
    /// when no mailbox is selected any more.
    pub fn park_fetch(
        &mut self,
        handle: ResponseHandle,
        job: Box<FetchJob>,
    ) -> Result<(), Box<FetchJob>> {
        match self {
            State::Selected { fetch, .. } => {
                *fetch = Some((handle, job));
                Ok(())
            }
            State::NotAuthenticated(_) | State::Authenticated { .. } | State::Logout { .. } => {
                Err(job)
            }
        }
    }

    /// The FETCH waiting for `handle`, if `handle` is what it waits for.
    pub fn take_fetch(&mut self, handle: ResponseHandle) -> Option<Box<FetchJob>> {
        match self {
            State::Selected { fetch, .. } if fetch.as_ref().is_some_and(|(h, _)| *h == handle) => {
                fetch.take().map(|(_, job)| job)
            }
            State::NotAuthenticated(_)
            | State::Authenticated { .. }
            | State::Selected { .. }
            | State::Logout { .. } => None,
        }
    }

    /// Enters the logout state, dropping whatever the session held: it closes once `until`
    /// is out.
    pub fn logout(&mut self, until: ResponseHandle) {
        *self = State::Logout { until };
    }

    /// The response after which the session closes, once it is logging out.
    pub fn closes_after(&self) -> Option<ResponseHandle> {
        match self {
            State::Logout { until } => Some(*until),
            State::NotAuthenticated(_) | State::Authenticated { .. } | State::Selected { .. } => {
                None
            }
        }
    }

    /// Whether nothing is half-done: no exchange, IDLE, batch or goodbye in flight.
    pub fn is_quiet(&self) -> bool {
        match self {
            State::NotAuthenticated(pre) => pre.auth_tag.is_none() && pre.starttls.is_none(),
            State::Authenticated { idle, .. } => idle.is_none(),
            State::Selected { idle, fetch, .. } => idle.is_none() && fetch.is_none(),
            State::Logout { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::State;
    use crate::tests::{harness, remote, say, world};

    fn name(state: &State) -> &'static str {
        match state {
            State::NotAuthenticated(_) => "not authenticated",
            State::Authenticated { .. } => "authenticated",
            State::Selected { .. } => "selected",
            State::Logout { .. } => "logout",
        }
    }

    #[tokio::test]
    async fn commands_move_the_session_between_states() {
        let w = world().await;
        let mut h = harness(&w, remote(true, false));
        say(&mut h, "a ID (\"name\" \"Mail\")\r\n").await;
        assert_eq!(name(&h.session.state), "not authenticated");
        assert!(
            h.session
                .state
                .not_authenticated()
                .is_some_and(|pre| pre.client_id.as_deref() == Some("Mail"))
        );
        say(&mut h, "b AUTHENTICATE PLAIN\r\n").await;
        assert!(
            !h.session.is_quiet(),
            "an AUTHENTICATE waits for its response"
        );
        say(&mut h, "*\r\n").await;
        assert!(h.session.is_quiet());
        say(
            &mut h,
            &format!("c LOGIN me@example.org {}\r\n", w.password),
        )
        .await;
        assert_eq!(name(&h.session.state), "authenticated");
        say(&mut h, "d IDLE\r\n").await;
        assert!(h.session.is_idling() && !h.session.is_quiet());
        say(&mut h, "DONE\r\n").await;
        assert!(!h.session.is_idling() && h.session.is_quiet());
        say(&mut h, "e SELECT INBOX\r\n").await;
        assert_eq!(name(&h.session.state), "selected");
        // A failed SELECT leaves no mailbox selected.
        let out = say(&mut h, "f SELECT Nowhere\r\n").await;
        assert!(out.starts_with("f NO "), "{out}");
        assert_eq!(name(&h.session.state), "authenticated");
        say(&mut h, "g EXAMINE INBOX\r\n").await;
        say(&mut h, "h UNSELECT\r\n").await;
        assert_eq!(name(&h.session.state), "authenticated");
        say(&mut h, "i LOGOUT\r\n").await;
        assert_eq!(name(&h.session.state), "logout");
        assert!(h.session.is_closing() && h.session.revocation().is_none());
    }

    #[tokio::test]
    async fn failed_sign_ins_are_counted_before_sign_in_only() {
        let w = world().await;
        let mut h = harness(&w, remote(true, false));
        say(&mut h, "a LOGIN me@example.org wrong\r\n").await;
        say(&mut h, "b AUTHENTICATE PLAIN AA==\r\n").await;
        assert_eq!(h.session.state.auth_failures(), 2);
        say(
            &mut h,
            &format!("c LOGIN me@example.org {}\r\n", w.password),
        )
        .await;
        assert_eq!(h.session.state.auth_failures(), 0);
        h.session.state.failed_sign_in();
        assert_eq!(h.session.state.auth_failures(), 0);
    }
}
