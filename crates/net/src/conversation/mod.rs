//! The connection loop of every line protocol (SMTP submission, LMTP, POP3): greet, read,
//! feed the I/O-free session, answer its requests, write its replies, turn TLS on after
//! STARTTLS or STLS, and close on revocation, idleness or shutdown.
//!
//! A protocol brings two halves: its session, a state machine free of I/O
//! ([`LineSession`]), and a [`Responder`] that answers the session's requests with the
//! domain's services and holds the device signed in on the connection.

#[cfg(test)]
mod tests;

use std::future::Future;
use std::time::Duration;

use postern_domain::revocation::RevocationWatch;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::{Connection, ReadDeadline, Stream};

/// How long a STARTTLS (or STLS) handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the goodbye of a closing connection may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// What a session needs from the loop after it was fed.
#[derive(Debug)]
pub enum Event<R> {
    /// Everything fed so far is handled; read more and flush the output.
    NeedInput,
    /// Answer this with [`Responder::answer`], then feed on.
    Request(R),
    /// Flush the output, then start TLS and a new session (bytes already read are refused).
    StartTls,
    /// Flush the output and close the connection.
    Close,
}

/// A line protocol's session, free of I/O: bytes go in, replies and requests come out.
pub trait LineSession: Send {
    /// What the session asks of the store or the network.
    type Request: Send;

    /// Written when the signed-in device is disconnected, reset or expires.
    const REVOKED: &'static [u8];
    /// Written when the client was idle (or slow to sign in) for too long.
    const TIMEOUT: &'static [u8];
    /// Written when the server shuts down.
    const SHUTDOWN: &'static [u8];

    /// The first words of a connection.
    fn greeting(&self) -> Vec<u8>;

    /// Whether the session ended (QUIT, too many errors, STARTTLS).
    fn is_closed(&self) -> bool;

    /// Whether a request is still unanswered: no input is taken until it is.
    fn is_waiting(&self) -> bool;

    /// Takes bytes from the front of `input` (at most a line, or what is there of a
    /// message) and handles them; the event that needs the caller, if one does.
    fn step(&mut self, input: &mut &[u8]) -> Option<Event<Self::Request>>;

    /// Replies waiting to be written; the caller writes them.
    fn take_output(&mut self) -> Vec<u8>;

    /// Handles bytes from the front of `input` until an event needs the caller. Call again
    /// with what is left after answering the event.
    fn feed(&mut self, input: &mut &[u8]) -> Event<Self::Request> {
        loop {
            if self.is_closed() {
                return Event::Close;
            }
            if self.is_waiting() || input.is_empty() {
                return Event::NeedInput;
            }
            if let Some(event) = self.step(input) {
                return event;
            }
        }
    }
}

/// Answers a session's requests on one connection, and knows who signed in on it.
pub trait Responder: Send {
    /// The session this answers.
    type Session: LineSession;

    /// A new session: at the start of the connection and again after STARTTLS, when
    /// whoever signed in before must sign in again.
    fn start(&mut self, tls: bool) -> Self::Session;

    /// Answers `request` and hands the answer to `session`.
    fn answer(
        &mut self,
        session: &mut Self::Session,
        request: <Self::Session as LineSession>::Request,
    ) -> impl Future<Output = ()> + Send;

    /// Whether `request` commits something (a delivery, a deletion) that a device revoked
    /// meanwhile must no longer do.
    fn commits(request: &<Self::Session as LineSession>::Request) -> bool;

    /// What fires when the device signed in on this session dies; `None` before sign-in.
    fn revocation(&mut self) -> Option<&mut RevocationWatch>;
}

/// The limits of one listener's connections.
#[derive(Clone, Copy, Debug)]
pub struct LoopSettings {
    /// Closes a connection that sends nothing for this long, or that takes longer to send
    /// one command (or a message, unless it keeps coming in bulk).
    pub idle_timeout: Duration,
    /// Closes a connection that has not signed in this long after connecting, STARTTLS or
    /// not; `None` where nobody signs in (LMTP).
    pub login_timeout: Option<Duration>,
    /// Bytes read at a time.
    pub read_buffer: usize,
}

/// How a session ended.
enum End {
    Close,
    StartTls,
}

/// Runs one connection to its end: `tls` turns it into TLS after STARTTLS.
pub async fn converse<R: Responder>(
    connection: Connection,
    tls: &TlsAcceptor,
    settings: LoopSettings,
    mut responder: R,
) {
    let Connection {
        stream,
        peer,
        shutdown,
    } = connection;
    // The sign-in deadline counts from connecting, so STARTTLS does not restart it.
    let login_by = settings.login_timeout.map(|t| Instant::now() + t);
    let mut wire = Wire {
        stream,
        shutdown,
        settings,
    };
    let mut session = responder.start(wire.stream.is_tls());
    if !wire.write(&session.greeting()).await {
        return;
    }
    loop {
        match wire.session(&mut session, &mut responder, login_by).await {
            End::Close => break,
            End::StartTls => {
                let upgrade = wire.stream.start_tls(tls);
                wire.stream = match tokio::time::timeout(HANDSHAKE_TIMEOUT, upgrade).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(remote = %peer.remote, "STARTTLS failed: {e}");
                        return;
                    }
                    Err(_) => return,
                };
                session = responder.start(wire.stream.is_tls());
            }
        }
    }
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, wire.stream.shutdown()).await;
}

/// The connection a session runs over.
struct Wire {
    stream: Stream,
    shutdown: CancellationToken,
    settings: LoopSettings,
}

impl Wire {
    /// Runs one session (until it closes or asks for TLS).
    async fn session<R: Responder>(
        &mut self,
        session: &mut R::Session,
        responder: &mut R,
        login_by: Option<Instant>,
    ) -> End {
        let mut deadline = ReadDeadline::new(self.settings.idle_timeout, login_by);
        let mut buf = vec![0u8; self.settings.read_buffer];
        loop {
            let read = tokio::select! {
                r = tokio::time::timeout_at(deadline.at(), self.stream.read(&mut buf)) => r,
                // Closes at once, not at the next command, when the device is disconnected.
                () = revoked(responder.revocation()) => {
                    return self.close_with(<R::Session as LineSession>::REVOKED).await;
                }
                () = self.shutdown.cancelled() => {
                    return self.close_with(<R::Session as LineSession>::SHUTDOWN).await;
                }
            };
            let n = match read {
                Err(_) => return self.close_with(<R::Session as LineSession>::TIMEOUT).await,
                Ok(Ok(0)) | Ok(Err(_)) => return End::Close,
                Ok(Ok(n)) => n,
            };
            deadline.received(n);
            let mut input = &buf[..n];
            loop {
                match session.feed(&mut input) {
                    Event::NeedInput => break,
                    Event::Request(request) => {
                        if R::commits(&request)
                            && responder.revocation().is_some_and(|r| r.is_revoked())
                        {
                            return self.close_with(<R::Session as LineSession>::REVOKED).await;
                        }
                        responder.answer(session, request).await;
                        if responder.revocation().is_some() {
                            deadline.signed_in();
                        }
                    }
                    Event::StartTls => {
                        self.write(&session.take_output()).await;
                        // Commands pipelined behind STARTTLS would cross into the TLS
                        // session unencrypted-but-trusted (CVE-2011-0411): refuse them.
                        if !input.is_empty() {
                            return End::Close;
                        }
                        return End::StartTls;
                    }
                    Event::Close => {
                        return self.close_with(&session.take_output()).await;
                    }
                }
            }
            let output = session.take_output();
            if !output.is_empty() {
                deadline.replied();
            }
            if !self.write(&output).await {
                return End::Close;
            }
        }
    }

    /// Writes a last reply; the connection closes whether or not it got through.
    async fn close_with(&mut self, bytes: &[u8]) -> End {
        self.write(bytes).await;
        End::Close
    }

    /// Writes and flushes; false when the client is gone or stopped reading.
    async fn write(&mut self, bytes: &[u8]) -> bool {
        if bytes.is_empty() {
            return true;
        }
        let write = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        matches!(
            tokio::time::timeout(self.settings.idle_timeout, write).await,
            Ok(Ok(()))
        )
    }
}

/// Resolves when the signed-in device dies; never when nobody signed in.
async fn revoked(revocation: Option<&mut RevocationWatch>) {
    match revocation {
        Some(r) => r.revoked().await,
        None => std::future::pending().await,
    }
}
