//! The I/O-free session: it takes the events of an imap-next [`Server`] and answers through
//! it, reading and writing mail through the domain's store. Nothing here touches a socket.

use std::net::IpAddr;
use std::sync::Arc;

use imap_codec::imap_types::core::Tag;
use imap_codec::imap_types::response::Greeting;
use imap_next::server::{Error as ServerError, Event, Options, ResponseHandle, Server};
use imap_next::{Interrupt, Io, State as _};
use postern_domain::Core;
use postern_domain::revocation::RevocationWatch;
use tokio::sync::watch;

use crate::command;
use crate::error::Refusal;
use crate::responses::{self, CapabilityState};
use crate::settings::Settings;

pub(crate) mod selected;
pub(crate) mod sequence;
mod state;

pub(crate) use selected::Selected;
pub(crate) use state::State;

/// Where a connection comes from.
#[derive(Clone, Copy, Debug)]
pub struct SessionInfo {
    pub ip: IpAddr,
    /// Passwords may cross a loopback connection unencrypted.
    pub loopback: bool,
    pub tls: bool,
}

/// What the driver must do after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Continue,
    /// The STARTTLS go-ahead is out: flush, then run the TLS handshake with a fresh session.
    StartTls,
    /// The goodbye is out: flush, then close.
    Close,
}

/// One IMAP session.
pub struct Session {
    pub(crate) core: Arc<Core>,
    pub(crate) settings: Arc<Settings>,
    pub(crate) info: SessionInfo,
    /// Where the session stands (RFC 3501 3), with what belongs to that state.
    pub(crate) state: State,
    /// What the input filter saw since the last protocol error: that error is about it.
    noted: Noted,
}

/// What the input filter saw, for the text of the next protocol error.
#[derive(Clone, Copy, Default)]
struct Noted {
    line_too_long: bool,
    literal_too_large: bool,
    literal_refused: bool,
    /// The literal refused was over the address's budget, not the session's limit.
    literal_over_budget: bool,
}

impl Session {
    /// A session for a new connection (or for the same connection after STARTTLS).
    pub fn new(core: Arc<Core>, settings: Arc<Settings>, info: SessionInfo) -> Self {
        Session {
            core,
            settings,
            info,
            state: State::default(),
            noted: Noted::default(),
        }
    }

    pub(crate) fn capability_state(&self) -> CapabilityState {
        CapabilityState {
            tls: self.info.tls,
            loopback: self.info.loopback,
            authenticated: self.is_authenticated(),
            max_literal: self.settings.max_literal,
        }
    }

    /// The greeting of this session.
    pub fn greeting(&self) -> Greeting<'static> {
        responses::greeting(self.capability_state())
    }

    fn options(&self) -> Options {
        let mut options = Options::default();
        options.crlf_relaxed = true;
        options.max_literal_size = self.settings.max_literal;
        options.max_command_size = self
            .settings
            .max_literal
            .saturating_add(self.settings.max_line_bytes)
            .max(self.settings.max_literal.saturating_add(1));
        let limit = format!(
            "Literal too large (the limit is {} bytes)",
            self.settings.max_literal
        );
        let _ = options.set_literal_reject_text(limit);
        let _ = options.set_literal_accept_text("Ready for literal data".to_owned());
        options
    }

    /// A protocol state machine for this session, its greeting queued.
    pub fn server(&self) -> Server {
        Server::new(self.options(), self.greeting())
    }

    /// A protocol state machine with no greeting (after STARTTLS none may be sent).
    pub fn server_without_greeting(&self) -> Server {
        let mut server = self.server();
        // The greeting is queued at creation: take it off the queue unsent.
        for _ in 0..4 {
            match server.next() {
                Ok(Event::GreetingSent { .. }) => break,
                Err(Interrupt::Io(Io::Output(_))) => continue,
                _ => break,
            }
        }
        server
    }

    /// The signed-in device's revocation, for the driver to listen on.
    pub fn revocation(&self) -> Option<RevocationWatch> {
        self.state.user().map(|u| u.revocation.clone())
    }

    /// Whether the session has signed in.
    pub fn is_authenticated(&self) -> bool {
        self.state.user().is_some()
    }

    /// Whether the session is in IDLE.
    pub fn is_idling(&self) -> bool {
        self.state.is_idling()
    }

    /// News of the selected mailbox, for the driver to wake an IDLE.
    pub fn mailbox_watch(&self) -> Option<watch::Receiver<i64>> {
        self.state.selected().ok().map(|s| s.watch.clone())
    }

    /// Whether nothing is half-done (no exchange, IDLE, batch or goodbye in flight), so the
    /// protocol state machine may be replaced by a fresh one.
    pub fn is_quiet(&self) -> bool {
        self.state.is_quiet()
    }

    /// Whether a goodbye is on its way.
    pub fn is_closing(&self) -> bool {
        self.state.closes_after().is_some()
    }

    /// Queues `* BYE` and closes once it is out. Works in any state: IDLE, mid-command,
    /// mid-literal.
    pub fn goodbye(&mut self, server: &mut Server, text: &'static str) {
        if !self.is_closing() {
            let bye = server.enqueue_status(responses::bye(text));
            self.state.logout(bye);
        }
    }

    /// Closes the session once `handle` (the LOGOUT's tagged OK) is out.
    pub(crate) fn finish_on(&mut self, handle: ResponseHandle) {
        self.state.logout(handle);
    }

    /// What the input filter saw: the next protocol error is about that.
    pub(crate) fn note(&mut self, seen: crate::line_guard::Seen) {
        self.noted.line_too_long |= seen.line_cut;
        self.noted.literal_too_large |= seen.literal_too_large;
        self.noted.literal_refused |= seen.literal_refused;
        self.noted.literal_over_budget |= seen.over_budget;
    }

    /// Handles one event of the protocol state machine.
    pub async fn on_event(&mut self, server: &mut Server, event: Event) -> Action {
        match event {
            Event::GreetingSent { .. } => Action::Continue,
            Event::ResponseSent { handle, .. } => self.on_sent(server, handle).await,
            _ if self.is_closing() => Action::Continue,
            Event::CommandReceived { command } => {
                let action = command::run(self, server, command).await;
                self.after_auth(server);
                action
            }
            Event::CommandAuthenticateReceived {
                command_authenticate,
            } => {
                command::authenticate::start(self, server, command_authenticate).await;
                self.after_auth(server)
            }
            Event::AuthenticateDataReceived { authenticate_data } => {
                command::authenticate::data(self, server, authenticate_data).await;
                self.after_auth(server)
            }
            Event::IdleCommandReceived { tag } => {
                command::idle::start(self, server, tag).await;
                Action::Continue
            }
            Event::IdleDoneReceived => {
                command::idle::done(self, server).await;
                Action::Continue
            }
        }
    }

    fn after_auth(&mut self, server: &mut Server) -> Action {
        if self.state.auth_failures() >= self.settings.max_auth_failures {
            self.goodbye(server, "Too many failed sign-ins");
        }
        Action::Continue
    }

    async fn on_sent(&mut self, server: &mut Server, handle: ResponseHandle) -> Action {
        if self.state.closes_after() == Some(handle) {
            return Action::Close;
        }
        if let Some(pre) = self.state.not_authenticated()
            && pre.starttls == Some(handle)
        {
            pre.starttls = None;
            return Action::StartTls;
        }
        if let Some(job) = self.state.take_fetch(handle) {
            command::fetch::resume(self, server, job).await;
        }
        Action::Continue
    }

    /// Handles a protocol error of the state machine (the bad input is already discarded).
    pub async fn on_error(&mut self, server: &mut Server, error: ServerError) {
        // A broken AUTHENTICATE continuation leaves imap-next waiting for SASL data:
        // end the exchange, or every later line would be read as base64.
        if let Some(tag) = self
            .state
            .not_authenticated()
            .and_then(|p| p.auth_tag.take())
        {
            let _ = server.authenticate_finish(responses::bad(Some(tag), "Invalid SASL response"));
            return;
        }
        let Noted {
            line_too_long: too_long,
            literal_too_large: too_large,
            literal_refused: refused,
            literal_over_budget: over_budget,
        } = std::mem::take(&mut self.noted);
        // Nothing queued after the goodbye is sent: no answer is worth working out.
        if self.is_closing() {
            return;
        }
        let (discarded, command_too_long) = match error {
            // imap-next has already answered `tag BAD Literal too large`.
            ServerError::LiteralTooLong { .. } => return,
            ServerError::CommandTooLong { discarded_bytes } => (discarded_bytes, true),
            ServerError::MalformedMessage { discarded_bytes }
            | ServerError::ExpectedCrlfGotLf { discarded_bytes } => (discarded_bytes, false),
        };
        if refused {
            // RFC 7888 4: a synchronising literal the server will not take is answered NO.
            let limit = self.literal_limit();
            let tag = tag_of(discarded.declassify());
            server.enqueue_status(match tag {
                Some(tag) if over_budget => Refusal::no(
                    "LIMIT",
                    "Too much mail is being uploaded to this address at once; try again shortly",
                )
                .status(tag),
                Some(tag) => Refusal::no(
                    "TOOBIG",
                    format!("Literal too large (the limit is {limit} bytes)"),
                )
                .status(tag),
                None => responses::bad(None, "Literal too large"),
            });
            return;
        }
        if !too_long
            && !too_large
            && !command_too_long
            && !self.is_idling()
            && command::extended_list(self, server, discarded.declassify()).await
        {
            return;
        }
        let text = if too_large {
            format!(
                "Literal too large (the limit is {} bytes)",
                self.settings.max_literal
            )
        } else if too_long {
            format!(
                "Line too long (the limit is {} bytes)",
                self.settings.max_line_bytes
            )
        } else if command_too_long {
            "Command too long".to_owned()
        } else if self.is_idling() {
            "Expected DONE".to_owned()
        } else {
            "Syntax error in the command".to_owned()
        };
        let tag = tag_of(discarded.declassify());
        server.enqueue_status(responses::bad(tag, text));
    }

    /// The input filter of a new connection: the small literal limit of a session not
    /// signed in.
    pub(crate) fn line_guard(&self) -> crate::line_guard::LineGuard {
        crate::line_guard::LineGuard::new(self.settings.max_line_bytes, self.literal_limit(), true)
    }

    /// The signed-in address's part of the literal budget; none before sign-in.
    pub(crate) fn literal_share(&self) -> Option<crate::literal_budget::AddressShare> {
        let user = self.state.user()?;
        Some(self.settings.literals_per_address.share(user.address_id))
    }

    /// The largest literal the session takes now.
    fn literal_limit(&self) -> u32 {
        if self.is_authenticated() {
            self.settings.max_literal
        } else {
            self.settings
                .max_literal_unauthenticated
                .min(self.settings.max_literal)
        }
    }

    /// Autologout: the session was silent too long.
    pub fn timed_out(&mut self, server: &mut Server) {
        self.goodbye(server, "Autologout; idle for too long");
    }

    /// The device was disconnected or its password reset.
    pub fn revoked(&mut self, server: &mut Server) {
        self.goodbye(server, "This device was disconnected");
    }

    /// The server is shutting down.
    pub fn shutting_down(&mut self, server: &mut Server) {
        self.goodbye(server, "Server shutting down");
    }

    /// The selected mailbox changed while in IDLE: tell the client.
    pub async fn idle_wake(&mut self, server: &mut Server) {
        if self.is_idling() {
            selected::sync(self, server, selected::Expunges::Send).await;
        }
    }
}

/// The tag of a discarded line: the bytes before the first space, if they form a tag.
fn tag_of(bytes: &[u8]) -> Option<Tag<'static>> {
    let line_end = bytes
        .iter()
        .position(|b| *b == b'\n')
        .unwrap_or(bytes.len());
    let sp = bytes[..line_end].iter().position(|b| *b == b' ')?;
    Tag::try_from(bytes[..sp].to_vec()).ok()
}
