//! Connections to the server under load: loopback only, plain or implicit TLS, spread over
//! source addresses 127.0.0.1..127.0.0.n so that ten thousand connections to one port do not
//! run out of ephemeral ports or hit a per-address limit.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpSocket;
use tokio_rustls::TlsConnector;

use crate::error::{LoadError, Result};

/// A byte stream to the server, plain or TLS.
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// A boxed stream, so that one client serves both kinds.
pub type BoxStream = Box<dyn AsyncStream>;

/// Refuses any address outside the loopback range: this tool loads local servers only.
pub fn require_loopback(addr: SocketAddr) -> Result<SocketAddr> {
    if addr.ip().is_loopback() {
        Ok(addr)
    } else {
        Err(LoadError::Usage(format!(
            "{addr} is not a loopback address; the load generator targets local servers only"
        )))
    }
}

/// The source address of the `index`-th connection when spreading over `spread` addresses.
pub fn source_ip(target: IpAddr, index: usize, spread: u8) -> Option<IpAddr> {
    match target {
        IpAddr::V4(_) if spread > 1 => {
            let host = 1 + (index % usize::from(spread)) as u8;
            Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)))
        }
        _ => None,
    }
}

/// Opens connections to one server.
#[derive(Clone)]
pub struct Connector {
    addr: SocketAddr,
    tls: Option<TlsConnector>,
    spread: u8,
    timeout: Duration,
}

impl Connector {
    /// A connector to `addr` (loopback only); `tls` for implicit TLS.
    pub fn new(addr: SocketAddr, tls: bool, spread: u8, timeout: Duration) -> Result<Self> {
        require_loopback(addr)?;
        let tls = if tls { Some(tls_connector()?) } else { None };
        Ok(Connector {
            addr,
            tls,
            spread: spread.max(1),
            timeout,
        })
    }

    /// Opens the `index`-th connection (the index picks its source address).
    pub async fn connect(&self, index: usize) -> Result<BoxStream> {
        let socket = match self.addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        if let Some(ip) = source_ip(self.addr.ip(), index, self.spread) {
            socket.bind(SocketAddr::new(ip, 0))?;
        }
        let tcp = tokio::time::timeout(self.timeout, socket.connect(self.addr)).await??;
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some(connector) => {
                let name = ServerName::IpAddress(self.addr.ip().into());
                let stream =
                    tokio::time::timeout(self.timeout, connector.connect(name, tcp)).await??;
                Ok(Box::new(stream))
            }
        }
    }
}

fn tls_connector() -> Result<TlsConnector> {
    // Only loopback servers with self-signed certificates are loaded (see `require_loopback`).
    let config =
        postern_net::tls::unchecked_client_config().map_err(|e| LoadError::Tls(e.to_string()))?;
    Ok(TlsConnector::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        assert!(require_loopback("127.0.0.1:143".parse().unwrap()).is_ok());
        assert!(require_loopback("127.9.9.9:143".parse().unwrap()).is_ok());
        assert!(require_loopback("[::1]:143".parse().unwrap()).is_ok());
        assert!(require_loopback("10.0.0.1:143".parse().unwrap()).is_err());
        assert!(require_loopback("0.0.0.0:143".parse().unwrap()).is_err());
        assert!(
            Connector::new("192.168.1.1:1".parse().unwrap(), false, 1, Duration::ZERO).is_err()
        );
    }

    #[test]
    fn connections_spread_over_loopback_sources() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(source_ip(v4, 0, 1), None);
        let got: Vec<String> = (0..5)
            .map(|i| source_ip(v4, i, 3).unwrap().to_string())
            .collect();
        assert_eq!(
            got,
            [
                "127.0.0.1",
                "127.0.0.2",
                "127.0.0.3",
                "127.0.0.1",
                "127.0.0.2"
            ]
        );
        assert_eq!(source_ip("::1".parse().unwrap(), 4, 8), None);
        assert_eq!(
            source_ip(v4, 254, 255),
            Some("127.0.0.255".parse().unwrap())
        );
    }
}
