//! The accept loop every listener runs: connection limits in all and per IP, a task per
//! connection, and a graceful shutdown that lets sessions say goodbye.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;

use crate::{Peer, Stream};

/// How long a TLS handshake on an implicit-TLS port may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);
/// How long sessions get to finish after shutdown was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Connection limits of one service (shared by its plain and TLS listeners).
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub max_per_ip: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 20_000,
            max_per_ip: 2_000,
        }
    }
}

/// Counts a service's open connections.
pub struct Tracker {
    limits: ConnectionLimits,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

impl Tracker {
    /// A tracker enforcing `limits`.
    pub fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Tracker {
            limits,
            open: Mutex::new((0, HashMap::new())),
        })
    }

    /// Open connections right now.
    pub fn open(&self) -> usize {
        self.lock().0
    }

    fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let mut open = self.lock();
        let (total, per_ip) = &mut *open;
        let mine = per_ip.entry(ip).or_insert(0);
        if *total >= self.limits.max_connections || *mine >= self.limits.max_per_ip {
            if *mine == 0 {
                per_ip.remove(&ip);
            }
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(Slot {
            tracker: Arc::clone(self),
            ip,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (usize, HashMap<IpAddr, usize>)> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A counted connection; dropping it frees its place.
struct Slot {
    tracker: Arc<Tracker>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.tracker.lock();
        let (total, per_ip) = &mut *open;
        *total = total.saturating_sub(1);
        if let Some(n) = per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                per_ip.remove(&self.ip);
            }
        }
    }
}

/// One accepted connection, handed to a protocol's session.
pub struct Connection {
    pub stream: Stream,
    pub peer: Peer,
    /// Cancelled when the server shuts down: say goodbye and close.
    pub shutdown: CancellationToken,
}

/// Accepts connections until `shutdown`, running `handler` for each in its own task.
/// `implicit_tls` makes this a TLS port; `refusal` is written (on plain ports) to a
/// connection over the limits before it is closed.
pub async fn serve<H, F>(
    listener: TcpListener,
    implicit_tls: Option<TlsAcceptor>,
    tracker: Arc<Tracker>,
    refusal: &'static [u8],
    shutdown: CancellationToken,
    handler: H,
) where
    H: Fn(Connection) -> F + Send + Sync + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let handler = Arc::new(handler);
    let mut tasks = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Err(e) = done
                    && e.is_panic()
                {
                    tracing::error!("a session panicked: {e}");
                }
            }
            accepted = listener.accept() => {
                let (tcp, remote) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let local = tcp.local_addr().unwrap_or(remote);
                let peer = Peer { remote, local };
                let Some(slot) = tracker.admit(remote.ip()) else {
                    tracing::info!(%remote, "connection refused: too many connections");
                    if implicit_tls.is_none() {
                        tasks.spawn(refuse(tcp, refusal));
                    }
                    continue;
                };
                let handler = Arc::clone(&handler);
                let tls = implicit_tls.clone();
                let shutdown = shutdown.child_token();
                tasks.spawn(async move {
                    let stream = match tls {
                        None => Stream::Plain(tcp),
                        Some(acceptor) => {
                            match tokio::time::timeout(HANDSHAKE_TIMEOUT, Stream::Plain(tcp).start_tls(&acceptor)).await {
                                Ok(Ok(s)) => s,
                                Ok(Err(e)) => {
                                    tracing::debug!(%remote, "TLS handshake failed: {e}");
                                    return;
                                }
                                Err(_) => return,
                            }
                        }
                    };
                    handler(Connection { stream, peer, shutdown }).await;
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} sessions did not finish in time; closing them",
            tasks.len()
        );
        tasks.abort_all();
    }
}

async fn refuse(mut tcp: tokio::net::TcpStream, refusal: &'static [u8]) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = tcp.write_all(refusal).await;
        let _ = tcp.shutdown().await;
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpStream;

    #[tokio::test]
    async fn limits_per_ip_and_shutdown() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tracker = Tracker::new(ConnectionLimits {
            max_connections: 10,
            max_per_ip: 2,
        });
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(
            listener,
            None,
            Arc::clone(&tracker),
            b"* BYE too many\r\n",
            shutdown.clone(),
            |mut c: Connection| async move {
                let _ = c.stream.write_all(b"hello\r\n").await;
                c.shutdown.cancelled().await;
                let _ = c.stream.write_all(b"bye\r\n").await;
            },
        ));
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut buf = [0u8; 7];
            s.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"hello\r\n");
            held.push(s);
        }
        let mut third = TcpStream::connect(addr).await.unwrap();
        let mut text = String::new();
        third.read_to_string(&mut text).await.unwrap();
        assert_eq!(text, "* BYE too many\r\n");
        assert_eq!(tracker.open(), 2);
        shutdown.cancel();
        server.await.unwrap();
        for mut s in held {
            let mut text = String::new();
            s.read_to_string(&mut text).await.unwrap();
            assert_eq!(text, "bye\r\n");
        }
        assert_eq!(tracker.open(), 0);
    }
}
