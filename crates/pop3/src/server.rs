//! The connection handler: answers a [`Session`]'s requests from the INBOX. Reading,
//! writing, STLS, deadlines, revocation and shutdown are the connection loop's
//! ([`postern_net::converse`]).

use std::sync::Arc;

use postern_domain::mail::MailboxId;
use postern_domain::revocation::RevocationWatch;
use postern_domain::{Core, DomainError, Protocol, SignedIn};
use postern_net::{Connection, LoopSettings, Peer, Responder, TlsAcceptor, converse};

use crate::session::{AuthOutcome, Entry, Maildrop, Request, Session, Settings};

/// Bytes read at a time.
const READ_BUFFER: usize = 8 * 1024;

/// Refused by the connection limits.
pub const TOO_MANY_CONNECTIONS: &[u8] =
    b"-ERR [SYS/TEMP] Too many connections from your address; try again later\r\n";

/// Serves POP3 connections.
pub struct Pop3Server {
    core: Arc<Core>,
    settings: Settings,
    tls: TlsAcceptor,
}

impl Pop3Server {
    /// A server with `settings`.
    pub fn new(core: Arc<Core>, settings: Settings, tls: TlsAcceptor) -> Arc<Self> {
        Arc::new(Pop3Server {
            core,
            settings,
            tls,
        })
    }

    /// Runs one connection to its end.
    pub async fn handle(self: Arc<Self>, connection: Connection) {
        let settings = LoopSettings {
            idle_timeout: self.settings.idle_timeout,
            login_timeout: Some(self.settings.login_timeout),
            read_buffer: READ_BUFFER,
        };
        let responder = Maildrops {
            server: &self,
            peer: connection.peer,
            open: None,
        };
        converse(connection, &self.tls, settings, responder).await;
    }
}

/// Answers the requests of one connection's sessions.
struct Maildrops<'a> {
    server: &'a Pop3Server,
    peer: Peer,
    open: Option<Open>,
}

/// A signed-in device and the INBOX it reads.
struct Open {
    signed_in: SignedIn,
    inbox: MailboxId,
}

impl Responder for Maildrops<'_> {
    type Session = Session;

    fn start(&mut self, tls: bool) -> Session {
        self.open = None;
        let settings = self.server.settings.clone();
        Session::new(settings, tls, true, self.peer.is_loopback())
    }

    async fn answer(&mut self, session: &mut Session, request: Request) {
        match request {
            Request::Authenticate { login, password } => {
                let outcome = self.sign_in(&login, &password).await;
                session.authenticated(outcome);
            }
            Request::Fetch { uid } => {
                let content = match &self.open {
                    Some(o) => {
                        let mail = self.server.core.mailboxes();
                        mail.message_content(o.inbox, uid).await
                    }
                    None => Ok(None),
                };
                match content {
                    Ok(c) => session.fetched(c.as_deref()),
                    Err(e) => {
                        tracing::error!("reading a message failed: {e}");
                        session.fetched(None);
                    }
                }
            }
            Request::Update { deleted } => {
                let committed = match &self.open {
                    Some(o) => self.expunge(o.inbox, &deleted).await,
                    None => false,
                };
                session.updated(committed);
            }
        }
    }

    fn commits(request: &Request) -> bool {
        matches!(request, Request::Update { .. })
    }

    fn revocation(&mut self) -> Option<&mut RevocationWatch> {
        self.open.as_mut().map(|o| &mut o.signed_in.revocation)
    }
}

impl Maildrops<'_> {
    async fn sign_in(&mut self, login: &str, password: &str) -> AuthOutcome {
        let core = &self.server.core;
        let signed_in = match core
            .verify(login, password, Protocol::Pop3, self.peer.ip())
            .await
        {
            Ok(s) => s,
            Err(DomainError::AuthFailed) => return AuthOutcome::Failed,
            Err(DomainError::Throttled) => return AuthOutcome::Throttled,
            Err(e) => {
                tracing::error!("checking a password failed: {e}");
                return AuthOutcome::Unavailable;
            }
        };
        let mail = core.mailboxes();
        let loaded = async {
            let inbox = mail
                .mailbox(signed_in.address_id, "INBOX")
                .await?
                .ok_or(DomainError::NotFound("mailbox"))?;
            let messages = mail.messages(inbox.id).await?;
            Ok::<_, DomainError>((inbox, messages))
        }
        .await;
        let (inbox, messages) = match loaded {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("reading an INBOX failed: {e}");
                return AuthOutcome::Unavailable;
            }
        };
        tracing::info!(device = %signed_in.device_id, remote = %self.peer.remote, "POP3 sign-in");
        let maildrop = Maildrop {
            uidvalidity: inbox.uidvalidity,
            messages: messages
                .iter()
                .map(|m| Entry {
                    uid: m.uid,
                    size: u64::try_from(m.size).unwrap_or(0),
                })
                .collect(),
        };
        self.open = Some(Open {
            signed_in,
            inbox: inbox.id,
        });
        AuthOutcome::SignedIn(maildrop)
    }

    /// Removes the deleted messages (the domain tells IMAP sessions of the change).
    async fn expunge(&self, inbox: MailboxId, uids: &[u32]) -> bool {
        if let Err(e) = self.server.core.mailboxes().expunge(inbox, uids).await {
            tracing::error!("removing deleted messages failed: {e}");
            return false;
        }
        true
    }
}
