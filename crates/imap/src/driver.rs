//! The tokio driver: runs a session on a connection. It reads, writes, and listens for
//! what can interrupt a session from outside (revocation of its device, server shutdown,
//! news of the mailbox in IDLE, timeouts); the session itself does no I/O.

use std::mem::MaybeUninit;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::FutureExt;
use imap_next::server::{Error as ServerError, Event, Server};
use imap_next::{Interrupt, Io, State};
use postern_domain::Core;
use postern_domain::revocation::RevocationWatch;
use postern_net::{CancellationToken, Connection, Stream, TlsAcceptor};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until, timeout};

use crate::line_guard::LineGuard;
use crate::session::{Action, Session, SessionInfo};
use crate::settings::Settings;

/// How long the TLS handshake after STARTTLS may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// Read this much at most in one go.
const READ_CHUNK: usize = 16 * 1024;
/// Input after which the protocol state machine is renewed once quiet, to give back the
/// memory a large literal took.
const RENEW_AFTER: usize = 1024 * 1024;

/// Serves one IMAP connection until it closes.
pub async fn serve_connection(
    core: Arc<Core>,
    settings: Arc<Settings>,
    tls: TlsAcceptor,
    connection: Connection,
) {
    let Connection {
        stream,
        peer,
        shutdown,
    } = connection;
    let mut info = SessionInfo {
        ip: peer.ip(),
        loopback: peer.is_loopback(),
        tls: stream.is_tls(),
    };
    let mut session = Session::new(Arc::clone(&core), Arc::clone(&settings), info);
    let server = session.server();
    let mut conn = Conn::new(stream, &session);
    // One deadline for signing in, from the connection's start: not renewed by commands nor
    // by STARTTLS, so that a client trickling bytes cannot hold a connection unauthenticated.
    let login_by = Instant::now() + settings.login_timeout;
    if guarded(&mut conn, server, &mut session, &shutdown, login_by).await != End::StartTls {
        conn.close().await;
        return;
    }
    // Whatever the client sent after STARTTLS was read as plaintext and is dropped with the
    // old state machine; nothing learnt before TLS is kept.
    let handshake = Box::pin(conn.stream.start_tls(&tls));
    let Ok(Ok(stream)) = timeout(HANDSHAKE_TIMEOUT, handshake).await else {
        return;
    };
    info.tls = true;
    let mut session = Session::new(core, Arc::clone(&settings), info);
    let server = session.server_without_greeting();
    let mut conn = Conn::new(stream, &session);
    guarded(&mut conn, server, &mut session, &shutdown, login_by).await;
    conn.close().await;
}

/// Runs a session; if it panics, only this connection ends: with a `* BYE` and a log line.
/// (A stack overflow is no panic and would still end the process: every walk over input is
/// bounded in depth for that.)
async fn guarded(
    conn: &mut Conn,
    server: Server,
    session: &mut Session,
    shutdown: &CancellationToken,
    login_by: Instant,
) -> End {
    let running = AssertUnwindSafe(run(conn, server, session, shutdown, login_by));
    match running.catch_unwind().await {
        Ok(end) => end,
        Err(_) => {
            tracing::error!(ip = %session.info.ip, "an IMAP session failed and was closed");
            // Whatever was half-written is dropped: the state machine is not to be trusted.
            conn.out.clear();
            conn.out
                .extend_from_slice(b"* BYE Internal server error; closing the connection\r\n");
            let _ = timeout(Duration::from_secs(5), conn.flush()).await;
            End::Closed
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    Closed,
    StartTls,
}

enum Step {
    Event(Event),
    Error(ServerError),
    Gone,
}

/// A connection with its write buffer and input filter.
struct Conn {
    stream: Stream,
    out: Vec<u8>,
    guard: LineGuard,
    /// Input bytes since the state machine was last renewed.
    fed: usize,
}

impl Conn {
    fn new(stream: Stream, session: &Session) -> Self {
        Conn {
            stream,
            out: Vec::new(),
            guard: session.line_guard(),
            fed: 0,
        }
    }

    /// Drives the state machine to its next event, writing its output and reading input as
    /// it needs. Cancel-safe: bytes read are handed over before any await, and output is
    /// written with `write` (never `write_all`) and drained by what was written.
    async fn next(&mut self, server: &mut Server, session: &mut Session) -> Step {
        loop {
            match server.next() {
                Ok(event) => return Step::Event(event),
                Err(Interrupt::Error(e)) => return Step::Error(e),
                Err(Interrupt::Io(Io::Output(bytes))) => {
                    self.out.extend_from_slice(&bytes);
                    if self.out.len() >= READ_CHUNK * 4 && self.flush().await.is_err() {
                        return Step::Gone;
                    }
                }
                Err(Interrupt::Io(Io::NeedMoreInput)) => {
                    if self.flush().await.is_err() {
                        return Step::Gone;
                    }
                    if self.fed >= RENEW_AFTER && self.guard.at_boundary() && session.is_quiet() {
                        *server = session.server_without_greeting();
                        self.fed = 0;
                    }
                    let input = match self.read().await {
                        Ok(input) if !input.is_empty() => input,
                        _ => return Step::Gone,
                    };
                    self.feed(server, session, &input);
                }
            }
        }
    }

    /// Waits for input and returns what is there (empty at the end of the stream). The read
    /// buffer lives on the stack of one poll only, so an idle session holds none, and it is
    /// not zeroed first: one read call takes a whole command line.
    async fn read(&mut self) -> std::io::Result<Vec<u8>> {
        let mut input = std::future::poll_fn(|cx| {
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut chunk);
            Pin::new(&mut self.stream)
                .poll_read(cx, &mut buf)
                .map_ok(|()| buf.filled().to_vec())
        })
        .await?;
        if input.len() == READ_CHUNK {
            self.read_ready(&mut input);
        }
        Ok(input)
    }

    /// Reads what else is already there, without waiting: a large literal in big steps.
    fn read_ready(&mut self, input: &mut Vec<u8>) {
        let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        while input.len() < READ_CHUNK * 4 {
            let mut buf = ReadBuf::uninit(&mut chunk);
            match Pin::new(&mut self.stream).poll_read(&mut cx, &mut buf) {
                Poll::Ready(Ok(())) if !buf.filled().is_empty() => {
                    input.extend_from_slice(buf.filled());
                    if buf.filled().len() < READ_CHUNK {
                        // Drained for now: another read would only find nothing.
                        break;
                    }
                }
                _ => break,
            }
        }
    }

    fn feed(&mut self, server: &mut Server, session: &mut Session, input: &[u8]) {
        let mut filtered = Vec::with_capacity(input.len());
        let seen = self.guard.filter(input, &mut filtered);
        session.note(seen);
        if seen.close {
            session.goodbye(server, literal_goodbye(seen));
        }
        self.fed += input.len();
        server.enqueue_input(&filtered);
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        while !self.out.is_empty() {
            let n = self.stream.write(&self.out).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            self.out.drain(..n);
        }
        // Give the buffer back: most sessions sit idle between short bursts.
        self.out = Vec::new();
        self.stream.flush().await
    }

    async fn close(&mut self) {
        // TLS says close_notify first; on plain TCP the socket's close sends the FIN, and a
        // separate shutdown call would only cost every closing session one more system call
        // (a thousand of them at once when a device is disconnected).
        if self.stream.is_tls() {
            let _ = timeout(Duration::from_millis(200), self.stream.shutdown()).await;
        }
    }
}

/// Why a literal closes the connection.
pub(crate) fn literal_goodbye(seen: crate::line_guard::Seen) -> &'static str {
    if seen.over_budget {
        "Too much mail is being uploaded to this address at once"
    } else {
        "Literal too large before sign-in"
    }
}

async fn revoked(watch: &mut Option<RevocationWatch>) {
    match watch {
        Some(w) => w.revoked().await,
        None => std::future::pending().await,
    }
}

async fn changed(watch: &mut Option<watch::Receiver<i64>>) {
    match watch {
        Some(w) => {
            if w.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

async fn run(
    conn: &mut Conn,
    mut server: Server,
    session: &mut Session,
    shutdown: &CancellationToken,
    login_by: Instant,
) -> End {
    let settings = Arc::clone(&session.settings);
    let mut revocation: Option<RevocationWatch> = None;
    let mut news: Option<watch::Receiver<i64>> = None;
    let mut deadline = login_by;
    let far = Instant::now() + Duration::from_secs(86_400 * 365);
    let mut next_poll = far;
    let mut give_up: Option<Instant> = None;
    loop {
        if revocation.is_none() && session.is_authenticated() {
            if let Some(share) = session.literal_share() {
                conn.guard.relax(settings.max_literal, share);
            }
            revocation = session.revocation();
            deadline = Instant::now() + settings.autologout;
        }
        if session.is_idling() {
            if news.is_none() {
                news = session.mailbox_watch();
                next_poll = Instant::now() + settings.idle_poll;
            }
        } else {
            news = None;
            next_poll = far;
        }
        if session.is_closing() && give_up.is_none() {
            give_up = Some(Instant::now() + settings.goodbye_timeout);
        }
        let closing = give_up.is_some();
        let step = tokio::select! {
            biased;
            () = shutdown.cancelled(), if !closing => {
                session.shutting_down(&mut server);
                continue;
            }
            () = revoked(&mut revocation), if !closing => {
                session.revoked(&mut server);
                continue;
            }
            () = changed(&mut news), if !closing => {
                Box::pin(session.idle_wake(&mut server)).await;
                continue;
            }
            // One timer for all deadlines keeps an idle session small.
            () = sleep_until(give_up.unwrap_or(deadline.min(next_poll))) => {
                let now = Instant::now();
                if closing {
                    return End::Closed;
                }
                if now >= deadline {
                    session.timed_out(&mut server);
                } else if now >= next_poll {
                    Box::pin(session.idle_wake(&mut server)).await;
                    next_poll = now + settings.idle_poll;
                }
                continue;
            }
            step = conn.next(&mut server, session) => step,
        };
        match step {
            Step::Event(event) => {
                // Commands renew the autologout of a signed-in session only; before that the
                // deadline stays `login_by`.
                if session.is_authenticated()
                    && !matches!(
                        event,
                        Event::ResponseSent { .. } | Event::GreetingSent { .. }
                    )
                {
                    deadline = Instant::now() + settings.autologout;
                }
                // Boxed: the command futures are large and only live while a command runs,
                // so an idle session does not carry their space.
                match Box::pin(session.on_event(&mut server, event)).await {
                    Action::Continue => {}
                    Action::Close => {
                        let wait =
                            give_up.unwrap_or_else(|| Instant::now() + settings.goodbye_timeout);
                        let _ = tokio::time::timeout_at(
                            wait.max(Instant::now() + Duration::from_millis(20)),
                            conn.flush(),
                        )
                        .await;
                        return End::Closed;
                    }
                    Action::StartTls => {
                        return match timeout(HANDSHAKE_TIMEOUT, conn.flush()).await {
                            Ok(Ok(())) => End::StartTls,
                            _ => End::Closed,
                        };
                    }
                }
            }
            Step::Error(e) => Box::pin(session.on_error(&mut server, e)).await,
            Step::Gone => return End::Closed,
        }
    }
}
