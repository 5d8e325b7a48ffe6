//! The connection handler: reads bytes into a [`Session`], answers its events with the domain's
//! services, writes its replies, and closes the connection on revocation, idleness or shutdown.

use std::sync::Arc;
use std::time::Duration;

use postern_domain::{Core, DomainError, Email, Protocol, SignedIn};
use postern_net::{CancellationToken, Connection, Peer, ReadDeadline, Stream, TlsAcceptor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use crate::deliver::Deliverer;
use crate::reply;
use crate::session::{AuthOutcome, Event, Session, Verdict};
use crate::settings::{Mode, Settings};

/// How long a STARTTLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Bytes read at a time.
const READ_BUFFER: usize = 16 * 1024;

/// Serves SMTP submission and LMTP connections.
pub struct SmtpServer {
    core: Arc<Core>,
    settings: Arc<Settings>,
    tls: TlsAcceptor,
    deliverer: Deliverer,
}

enum End {
    Close,
    StartTls,
}

impl SmtpServer {
    /// A server with `settings`; `queue_wake` is notified when mail is queued for the smarthost.
    pub fn new(
        core: Arc<Core>,
        settings: Settings,
        tls: TlsAcceptor,
        queue_wake: Arc<Notify>,
    ) -> Arc<Self> {
        let deliverer = Deliverer {
            core: Arc::clone(&core),
            hostname: settings.hostname.clone(),
            queue_wake,
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
        let Connection {
            mut stream,
            peer,
            shutdown,
        } = connection;
        let mut first = true;
        // Submission must sign in within the sign-in timeout of connecting, STARTTLS or not.
        let login_by = (mode == Mode::Submission)
            .then(|| tokio::time::Instant::now() + self.settings.login_timeout);
        loop {
            let mut session = Session::new(
                Arc::clone(&self.settings),
                mode,
                stream.is_tls(),
                true,
                peer.is_loopback(),
            );
            if first && !self.write(&mut stream, &session.greeting()).await {
                return;
            }
            first = false;
            match self
                .converse(&mut stream, &mut session, mode, &peer, &shutdown, login_by)
                .await
            {
                End::Close => break,
                End::StartTls => {
                    let upgrade = stream.start_tls(&self.tls);
                    stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, upgrade).await {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            tracing::debug!(remote = %peer.remote, "STARTTLS failed: {e}");
                            return;
                        }
                        Err(_) => return,
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
        mode: Mode,
        peer: &Peer,
        shutdown: &CancellationToken,
        login_by: Option<tokio::time::Instant>,
    ) -> End {
        let mut signed_in: Option<SignedIn> = None;
        let mut deadline = ReadDeadline::new(self.settings.idle_timeout, login_by);
        let mut buf = vec![0u8; READ_BUFFER];
        loop {
            let read = tokio::select! {
                r = tokio::time::timeout_at(deadline.at(), stream.read(&mut buf)) => r,
                () = revoked(&mut signed_in) => {
                    self.write(stream, reply::REVOKED).await;
                    return End::Close;
                }
                () = shutdown.cancelled() => {
                    self.write(stream, reply::SHUTDOWN).await;
                    return End::Close;
                }
            };
            let n = match read {
                Err(_) => {
                    self.write(stream, reply::TIMEOUT).await;
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
                        let outcome = self
                            .sign_in(session, &login, &password, peer, &mut signed_in)
                            .await;
                        if matches!(outcome, AuthOutcome::SignedIn(_)) {
                            deadline.signed_in();
                        }
                        session.authenticated(outcome);
                    }
                    Event::CheckRecipient(email) => {
                        let verdict = self.check_recipient(&email).await;
                        session.recipient_checked(verdict);
                    }
                    Event::Deliver(transaction) => {
                        if signed_in
                            .as_ref()
                            .is_some_and(|s| s.revocation.is_revoked())
                        {
                            self.write(stream, reply::REVOKED).await;
                            return End::Close;
                        }
                        let outcomes = self.deliverer.deliver(mode, peer.ip(), &transaction).await;
                        session.delivered(&outcomes);
                    }
                    Event::StartTls => {
                        self.write(stream, &session.take_output()).await;
                        // Commands pipelined behind STARTTLS would cross into the TLS
                        // session unencrypted-but-trusted (CVE-2011-0411): refuse them.
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
        session: &Session,
        login: &str,
        password: &str,
        peer: &Peer,
        signed_in: &mut Option<SignedIn>,
    ) -> AuthOutcome {
        match self
            .core
            .verify(login, password, Protocol::Smtp, peer.ip())
            .await
        {
            Ok(mut s) => {
                if s.client.is_none()
                    && let Some(hello) = session.hello_name()
                {
                    self.core.record_client(&mut s, hello).await;
                }
                tracing::info!(device = %s.device_id, remote = %peer.remote, "SMTP sign-in");
                let email = s.email.clone();
                *signed_in = Some(s);
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

    /// Writes and flushes; false when the client is gone or stopped reading.
    /// Whether a recipient is hosted here, unknown in a hosted domain, or elsewhere.
    async fn check_recipient(&self, email: &Email) -> Verdict {
        let store = self.core.store();
        let found = match store.address_by_email(email).await {
            Ok(Some(_)) => return Verdict::Hosted,
            Ok(None) => store.domain_is_hosted(email.domain()).await,
            Err(e) => Err(e),
        };
        match found {
            Ok(true) => Verdict::UnknownHosted,
            Ok(false) => Verdict::NotHosted,
            Err(e) => {
                tracing::error!("looking up a recipient failed: {e}");
                Verdict::Unavailable
            }
        }
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

/// Resolves when the signed-in device is revoked; never when nobody signed in.
async fn revoked(signed_in: &mut Option<SignedIn>) {
    match signed_in {
        Some(s) => s.revocation.revoked().await,
        None => std::future::pending().await,
    }
}
