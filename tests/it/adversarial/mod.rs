//! Postern under attack: password guessing, races between sign-ins and disconnects, crashes
//! in the middle of deliveries, and clients too slow to be served.

mod brute_force;
mod crash;
mod deep_mime;
mod link_race;
mod races;
mod schemathesis;
mod sign_in_log;
mod slow_clients;
mod throttle_bypass;
mod web_brute_force;

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// The longest any single read of these tests may take.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Makes `attempt(i)` for every `i` below `count`, `workers` at a time, and returns the most
/// entries the throttle held meanwhile.
pub async fn throttle_peak_over<F, Fut>(
    core: &Arc<postern_domain::Core>,
    count: u32,
    workers: usize,
    attempt: F,
) -> usize
where
    F: Fn(u32) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let attempt = Arc::new(attempt);
    let next = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (attempt, next, peak, core) = (
            Arc::clone(&attempt),
            Arc::clone(&next),
            Arc::clone(&peak),
            Arc::clone(core),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = u32::try_from(next.fetch_add(1, Ordering::Relaxed)).unwrap();
                if i >= count {
                    break;
                }
                attempt(i).await;
                peak.fetch_max(core.throttle().entries(), Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(240), task)
            .await
            .expect("the attempts end in time")
            .unwrap();
    }
    peak.load(Ordering::Relaxed)
}

/// The rightful device's source address; the attacker uses 127.0.0.1.
pub const RIGHTFUL: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// A line-based client connection (IMAP, SMTP, POP3), plain TCP.
pub struct Line {
    stream: BufReader<TcpStream>,
}

impl Line {
    /// Connects from the default source address (127.0.0.1).
    pub async fn connect(addr: SocketAddr) -> std::io::Result<Self> {
        let tcp = TcpStream::connect(addr).await?;
        Ok(Line {
            stream: BufReader::new(tcp),
        })
    }

    /// Connects from `from`, a loopback address other than 127.0.0.1.
    pub async fn connect_from(from: Ipv4Addr, addr: SocketAddr) -> std::io::Result<Self> {
        let socket = TcpSocket::new_v4()?;
        socket.set_reuseaddr(true)?;
        socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
        let tcp = socket.connect(addr).await?;
        Ok(Line {
            stream: BufReader::new(tcp),
        })
    }

    /// Sends raw bytes.
    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.get_mut().write_all(bytes).await
    }

    /// One line with its CRLF; `None` when the server closed the connection.
    pub async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let n = tokio::time::timeout(READ_TIMEOUT, self.stream.read_line(&mut line))
            .await
            .expect("a line in time")
            .ok()?;
        (n > 0).then_some(line)
    }

    /// Lines up to and including the one starting with `tag ` (IMAP), or `None` if the
    /// connection closed first.
    pub async fn tagged(&mut self, tag: &str) -> Option<String> {
        let mut all = String::new();
        let prefix = format!("{tag} ");
        loop {
            let line = self.line().await?;
            all.push_str(&line);
            if line.starts_with(&prefix) {
                return Some(all);
            }
        }
    }

    /// A whole SMTP reply (its last line), or `None` if the connection closed first.
    pub async fn reply(&mut self) -> Option<String> {
        loop {
            let line = self.line().await?;
            if line.as_bytes().get(3) != Some(&b'-') {
                return Some(line);
            }
        }
    }

    /// Reads until the server closes the connection; what came before.
    pub async fn until_closed(&mut self) -> String {
        let mut all = String::new();
        while let Some(line) = self.line().await {
            all.push_str(&line);
        }
        all
    }
}

/// SASL PLAIN credentials, base64.
pub fn plain(login: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{login}\0{password}"))
}

/// The median of some durations.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}
