//! The connection handler: reads lines into a [`Session`], answers its events from the INBOX,
//! writes its replies, and closes on revocation, idleness or shutdown.

use std::sync::Arc;
use std::time::Duration;

use postern_domain::mail::MailboxId;
use postern_domain::{Core, DomainError, Protocol, SignedIn};
use postern_net::{CancellationToken, Connection, Peer, ReadDeadline, Stream, TlsAcceptor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::session::{AuthOutcome, Entry, Event, Maildrop, Session, Settings};

/// How long a STLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
const READ_BUFFER: usize = 8 * 1024;

/// The device was disconnected or reset.
pub const REVOKED: &[u8] = b"-ERR [AUTH] This device was disconnected; closing the connection\r\n";
const TIMEOUT: &[u8] = b"-ERR Idle for too long; closing the connection\r\n";
const SHUTDOWN: &[u8] = b"-ERR [SYS/TEMP] The server is shutting down\r\n";
/// Refused by the connection limits.
pub const TOO_MANY_CONNECTIONS: &[u8] =
    b"-ERR [SYS/TEMP] Too many connections from your address; try again later\r\n";

/// Serves POP3 connections.
pub struct Pop3Server {
    core: Arc<Core>,
    settings: Settings,
    tls: TlsAcceptor,
}

enum End {
    Close,
    StartTls,
}

/// A signed-in device and the INBOX it reads.
struct Open {
    signed_in: SignedIn,
    inbox: MailboxId,
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
        let Connection {
            mut stream,
            peer,
            shutdown,
        } = connection;
        let mut first = true;
        // Signing in must happen within the sign-in timeout of connecting, STLS or not.
        let login_by = tokio::time::Instant::now() + self.settings.login_timeout;
        loop {
            let mut session = Session::new(
                self.settings.clone(),
                stream.is_tls(),
                true,
                peer.is_loopback(),
            );
            if first && !self.write(&mut stream, &session.greeting()).await {
                return;
            }
            first = false;
            match self
                .converse(&mut stream, &mut session, &peer, &shutdown, login_by)
                .await
            {
                End::Close => break,
                End::StartTls => {
                    let upgrade = stream.start_tls(&self.tls);
                    stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, upgrade).await {
                        Ok(Ok(s)) => s,
                        _ => return,
                    };
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), stream.shutdown()).await;
    }

    async fn converse(
        &self,
        stream: &mut Stream,
        session: &mut Session,
        peer: &Peer,
        shutdown: &CancellationToken,
        login_by: tokio::time::Instant,
    ) -> End {
        let mut open: Option<Open> = None;
        let mut deadline = ReadDeadline::new(self.settings.idle_timeout, Some(login_by));
        let mut buf = vec![0u8; READ_BUFFER];
        loop {
            let read = tokio::select! {
                r = tokio::time::timeout_at(deadline.at(), stream.read(&mut buf)) => r,
                () = revoked(&mut open) => {
                    self.write(stream, REVOKED).await;
                    return End::Close;
                }
                () = shutdown.cancelled() => {
                    self.write(stream, SHUTDOWN).await;
                    return End::Close;
                }
            };
            let n = match read {
                Err(_) => {
                    self.write(stream, TIMEOUT).await;
                    return End::Close;
                }
                Ok(Ok(0)) | Ok(Err(_)) => return End::Close,
                Ok(Ok(n)) => n,
            };
            deadline.received(n);
            let mut input = &buf[..n];
            loop {
                match session.feed(&mut input) {
                    Event::NeedInput => break,
                    Event::Authenticate { login, password } => {
                        let outcome = self.sign_in(&login, &password, peer, &mut open).await;
                        if open.is_some() {
                            deadline.signed_in();
                        }
                        session.authenticated(outcome);
                    }
                    Event::Fetch { uid } => {
                        let content = match &open {
                            Some(o) => self.core.mailboxes().message_content(o.inbox, uid).await,
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
                    Event::Update { deleted } => {
                        if open
                            .as_ref()
                            .is_some_and(|o| o.signed_in.revocation.is_revoked())
                        {
                            self.write(stream, REVOKED).await;
                            return End::Close;
                        }
                        let committed = match &open {
                            Some(o) => self.expunge(o.inbox, &deleted).await,
                            None => false,
                        };
                        session.updated(committed);
                    }
                    Event::StartTls => {
                        self.write(stream, &session.take_output()).await;
                        // Commands pipelined behind STLS must not cross into TLS.
                        if !input.is_empty() {
                            return End::Close;
                        }
                        return End::StartTls;
                    }
                    Event::Close => {
                        self.write(stream, &session.take_output()).await;
                        return End::Close;
                    }
                }
            }
            let output = session.take_output();
            if !output.is_empty() {
                deadline.replied();
            }
            if !self.write(stream, &output).await {
                return End::Close;
            }
        }
    }

    async fn sign_in(
        &self,
        login: &str,
        password: &str,
        peer: &Peer,
        open: &mut Option<Open>,
    ) -> AuthOutcome {
        let signed_in = match self
            .core
            .verify(login, password, Protocol::Pop3, peer.ip())
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
        let mail = self.core.mailboxes();
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
        tracing::info!(device = %signed_in.device_id, remote = %peer.remote, "POP3 sign-in");
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
        *open = Some(Open {
            signed_in,
            inbox: inbox.id,
        });
        AuthOutcome::SignedIn(maildrop)
    }

    /// Removes the deleted messages (the domain tells IMAP sessions of the change).
    async fn expunge(&self, inbox: MailboxId, uids: &[u32]) -> bool {
        if let Err(e) = self.core.mailboxes().expunge(inbox, uids).await {
            tracing::error!("removing deleted messages failed: {e}");
            return false;
        }
        true
    }

    async fn write(&self, stream: &mut Stream, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        let write = async {
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        matches!(
            tokio::time::timeout(self.settings.idle_timeout, write).await,
            Ok(Ok(()))
        )
    }
}

async fn revoked(open: &mut Option<Open>) {
    match open {
        Some(o) => o.signed_in.revocation.revoked().await,
        None => std::future::pending().await,
    }
}
