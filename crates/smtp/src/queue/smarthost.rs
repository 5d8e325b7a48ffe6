//! How to reach the smarthost: TLS (opportunistic, required STARTTLS, or implicit) and the
//! credentials to sign in with.

use std::net::IpAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use zeroize::Zeroizing;

/// When the link to the smarthost is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmarthostTls {
    /// STARTTLS when the smarthost offers it, without checking its certificate (RFC 7435
    /// opportunistic security); plain otherwise.
    Auto,
    /// STARTTLS, always, with the certificate checked.
    StartTls,
    /// TLS from the first byte (port 465), with the certificate checked.
    Tls,
    /// Never.
    None,
}

impl SmarthostTls {
    /// Parses `auto`, `starttls`, `tls` or `none`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(SmarthostTls::Auto),
            "starttls" => Ok(SmarthostTls::StartTls),
            "tls" => Ok(SmarthostTls::Tls),
            "none" => Ok(SmarthostTls::None),
            other => Err(format!("{other:?} is not one of auto, starttls, tls, none")),
        }
    }
}

/// The smarthost and how to talk to it.
#[derive(Clone)]
pub struct Smarthost {
    /// `host:port`.
    pub addr: String,
    pub tls: SmarthostTls,
    /// The user name and password to sign in with, if any.
    pub credentials: Option<(String, Arc<Zeroizing<String>>)>,
    checked: TlsConnector,
    unchecked: TlsConnector,
}

impl Smarthost {
    /// A smarthost at `addr`; `extra_roots` (PEM) are trusted besides the public roots.
    pub fn new(
        addr: &str,
        tls: SmarthostTls,
        credentials: Option<(String, String)>,
        extra_roots: Option<&[u8]>,
    ) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = extra_roots {
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert = cert.map_err(|e| format!("unreadable certificate: {e}"))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("unusable certificate: {e}"))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let checked = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let unchecked = postern_net::tls::unchecked_client_config().map_err(|e| e.to_string())?;
        Ok(Smarthost {
            addr: addr.to_owned(),
            tls,
            credentials: credentials.map(|(u, p)| (u, Arc::new(Zeroizing::new(p)))),
            checked: TlsConnector::from(Arc::new(checked)),
            unchecked: TlsConnector::from(Arc::new(unchecked)),
        })
    }

    /// The connector for this mode: certificates are checked unless TLS is opportunistic.
    pub(crate) fn connector(&self) -> &TlsConnector {
        match self.tls {
            SmarthostTls::Auto => &self.unchecked,
            _ => &self.checked,
        }
    }

    /// The name the certificate must carry: the host part of `addr`.
    pub(crate) fn server_name(&self) -> Result<ServerName<'static>, String> {
        let host = match self.addr.rsplit_once(':') {
            Some((host, _)) => host.trim_start_matches('[').trim_end_matches(']'),
            None => &self.addr,
        };
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(ServerName::IpAddress(ip.into()));
        }
        ServerName::try_from(host.to_owned()).map_err(|e| format!("{host:?}: {e}"))
    }

    /// Whether the smarthost is on this machine, where a password may cross unencrypted.
    pub(crate) fn is_loopback(&self) -> bool {
        matches!(self.server_name(), Ok(ServerName::IpAddress(ip)) if IpAddr::from(ip).is_loopback())
            || self.addr.starts_with("localhost:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_names() {
        assert_eq!(SmarthostTls::parse("STARTTLS"), Ok(SmarthostTls::StartTls));
        assert_eq!(SmarthostTls::parse(""), Ok(SmarthostTls::Auto));
        assert!(SmarthostTls::parse("ssl").is_err());
        let s =
            Smarthost::new("relay.example.org:587", SmarthostTls::StartTls, None, None).unwrap();
        assert!(matches!(s.server_name(), Ok(ServerName::DnsName(_))));
        assert!(!s.is_loopback());
        let s = Smarthost::new("127.0.0.1:25", SmarthostTls::Auto, None, None).unwrap();
        assert!(s.is_loopback());
        assert!(
            Smarthost::new(
                "x:25",
                SmarthostTls::Tls,
                None,
                Some(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
            )
            .is_err()
        );
    }
}
