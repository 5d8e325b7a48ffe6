//! Listeners shared by every protocol: one accept loop with connection limits and graceful
//! shutdown, a stream that is plain or TLS (and can turn TLS mid-way), TLS set-up, and one
//! connection loop for the line protocols.

mod conversation;
mod deadline;
pub mod line;
mod listen;
mod stream;
pub mod tls;

use std::net::{IpAddr, SocketAddr};

pub use conversation::{Event, LineSession, LoopSettings, Responder, converse};
pub use deadline::ReadDeadline;
pub use line::{Line, LineBuffer};
pub use listen::{Connection, ConnectionLimits, Tracker, serve};
pub use stream::Stream;
pub use tokio_rustls::TlsAcceptor;
pub use tokio_util::sync::CancellationToken;

/// Who is on the other end of a connection.
#[derive(Clone, Copy, Debug)]
pub struct Peer {
    pub remote: SocketAddr,
    pub local: SocketAddr,
}

impl Peer {
    /// The client's address.
    pub fn ip(&self) -> IpAddr {
        self.remote.ip()
    }

    /// Whether a password may cross this connection unencrypted: only on loopback.
    pub fn is_loopback(&self) -> bool {
        match self.remote.ip() {
            IpAddr::V4(v4) => v4.is_loopback(),
            IpAddr::V6(v6) => {
                v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
        }
    }
}
