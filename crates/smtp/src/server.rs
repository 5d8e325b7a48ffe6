//! The connection handler: answers a [`Session`]'s requests with the domain's services.
//! Reading, writing, STARTTLS, deadlines, revocation and shutdown are the connection loop's
//! ([`postern_net::converse`]); the message body is the session's.

use std::sync::Arc;

use postern_domain::revocation::RevocationWatch;
use postern_domain::submit::Destination;
use postern_domain::{Core, DomainError, Email, Protocol, SignedIn};
use postern_net::{Connection, LoopSettings, Peer, Responder, TlsAcceptor, converse};

use crate::deliver::Deliverer;
use crate::session::{AuthOutcome, Request, Session, Verdict};
use crate::settings::{Mode, Settings};

/// Bytes read at a time.
const READ_BUFFER: usize = 16 * 1024;

/// Serves SMTP submission and LMTP connections.
pub struct SmtpServer {
    core: Arc<Core>,
    settings: Arc<Settings>,
    tls: TlsAcceptor,
    deliverer: Deliverer,
}

impl SmtpServer {
    /// A server with `settings`. Mail queued for the smarthost wakes `core.queue_wake`.
    pub fn new(core: Arc<Core>, settings: Settings, tls: TlsAcceptor) -> Arc<Self> {
        let deliverer = Deliverer {
            core: Arc::clone(&core),
            hostname: settings.hostname.clone(),
        };
        Arc::new(SmtpServer {
            core,
            settings: Arc::new(settings),
            tls,
            deliverer,
        })
    }

    /// Runs one connection to its end.
    pub async fn handle(self: Arc<Self>, connection: Connection, mode: Mode) {
        let settings = LoopSettings {
            idle_timeout: self.settings.idle_timeout,
            // Only submission signs in; LMTP comes from a trusted MTA.
            login_timeout: (mode == Mode::Submission).then_some(self.settings.login_timeout),
            read_buffer: READ_BUFFER,
        };
        let responder = Envelopes {
            server: &self,
            mode,
            peer: connection.peer,
            signed_in: None,
        };
        converse(connection, &self.tls, settings, responder).await;
    }
}

/// Answers the requests of one connection's sessions.
struct Envelopes<'a> {
    server: &'a SmtpServer,
    mode: Mode,
    peer: Peer,
    signed_in: Option<SignedIn>,
}

impl Responder for Envelopes<'_> {
    type Session = Session;

    fn start(&mut self, tls: bool) -> Session {
        self.signed_in = None;
        let settings = Arc::clone(&self.server.settings);
        Session::new(settings, self.mode, tls, true, self.peer.is_loopback())
    }

    async fn answer(&mut self, session: &mut Session, request: Request) {
        match request {
            Request::Authenticate { login, password } => {
                let outcome = self.sign_in(session, &login, &password).await;
                session.authenticated(outcome);
            }
            Request::CheckRecipient(email) => {
                let verdict = self.check_recipient(&email).await;
                session.recipient_checked(verdict);
            }
            Request::Deliver(transaction) => {
                let deliverer = &self.server.deliverer;
                let outcomes = deliverer
                    .deliver(self.mode, self.peer.ip(), &transaction)
                    .await;
                session.delivered(&outcomes);
            }
        }
    }

    fn commits(request: &Request) -> bool {
        matches!(request, Request::Deliver(_))
    }

    fn revocation(&mut self) -> Option<&mut RevocationWatch> {
        self.signed_in.as_mut().map(|s| &mut s.revocation)
    }
}

impl Envelopes<'_> {
    async fn sign_in(&mut self, session: &Session, login: &str, password: &str) -> AuthOutcome {
        let core = &self.server.core;
        match core
            .verify(login, password, Protocol::Smtp, self.peer.ip())
            .await
        {
            Ok(mut s) => {
                if s.client.is_none()
                    && let Some(hello) = session.hello_name()
                {
                    core.record_client(&mut s, hello).await;
                }
                tracing::info!(device = %s.device_id, remote = %self.peer.remote, "SMTP sign-in");
                let email = s.email.clone();
                self.signed_in = Some(s);
                AuthOutcome::SignedIn(email)
            }
            Err(DomainError::AuthFailed) => AuthOutcome::Failed,
            Err(DomainError::Throttled) => AuthOutcome::Throttled,
            Err(e) => {
                tracing::error!("checking a password failed: {e}");
                AuthOutcome::Unavailable
            }
        }
    }

    /// Whether a recipient is hosted here, unknown in a hosted domain, or elsewhere.
    async fn check_recipient(&self, email: &Email) -> Verdict {
        match self.server.core.destination(email).await {
            Ok(Destination::Hosted) => Verdict::Hosted,
            Ok(Destination::UnknownHosted) => Verdict::UnknownHosted,
            Ok(Destination::Elsewhere) => Verdict::NotHosted,
            Err(e) => {
                tracing::error!("looking up a recipient failed: {e}");
                Verdict::Unavailable
            }
        }
    }
}
