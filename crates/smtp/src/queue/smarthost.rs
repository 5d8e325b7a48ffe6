//! How to reach the smarthost: TLS (STARTTLS when offered, required STARTTLS, or implicit),
//! the certificates it is checked against, and the credentials to sign in with.
//!
//! A certificate is checked against the smarthost's name in every mode but `insecure`, which
//! has to be asked for by name: a man in the middle with a certificate of his own would
//! otherwise be handed the smarthost password.

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
    /// STARTTLS when the smarthost offers it, with the certificate checked (a certificate
    /// that does not check defers the message); plain otherwise, and then no password is
    /// sent.
    Auto,
    /// STARTTLS when the smarthost offers it, without checking its certificate: encrypted
    /// against a passive listener only (RFC 7435 opportunistic security). Never the default.
    Insecure,
    /// STARTTLS, always, with the certificate checked.
    StartTls,
    /// TLS from the first byte (port 465), with the certificate checked.
    Tls,
    /// Never.
    None,
}

impl SmarthostTls {
    /// Parses `auto`, `insecure`, `starttls`, `tls` or `none`.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" | "" => Ok(SmarthostTls::Auto),
            "insecure" => Ok(SmarthostTls::Insecure),
            "starttls" => Ok(SmarthostTls::StartTls),
            "tls" => Ok(SmarthostTls::Tls),
            "none" => Ok(SmarthostTls::None),
            other => Err(format!(
                "{other:?} is not one of auto, insecure, starttls, tls, none"
            )),
        }
    }
}

impl std::str::FromStr for SmarthostTls {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        SmarthostTls::parse(text)
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
    /// A smarthost at `addr`. Its certificate must chain to a public root (Mozilla's list),
    /// to one of `system_roots` (the system's PEM bundle; certificates it cannot use are
    /// skipped), or to one of `extra_roots` (PEM, `smtp.smarthost_ca`; every one must be
    /// usable).
    pub fn new(
        addr: &str,
        tls: SmarthostTls,
        credentials: Option<(String, String)>,
        extra_roots: Option<&[u8]>,
        system_roots: Option<&[u8]>,
    ) -> Result<Self, String> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = system_roots {
            roots.add_parsable_certificates(
                CertificateDer::pem_slice_iter(pem).filter_map(Result::ok),
            );
        }
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

    /// The connector for this mode: certificates are checked unless `insecure` was asked for.
    pub(crate) fn connector(&self) -> &TlsConnector {
        match self.tls {
            SmarthostTls::Insecure => &self.unchecked,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_names() {
        assert_eq!(SmarthostTls::parse("STARTTLS"), Ok(SmarthostTls::StartTls));
        assert_eq!(SmarthostTls::parse(""), Ok(SmarthostTls::Auto));
        assert_eq!(SmarthostTls::parse("Insecure"), Ok(SmarthostTls::Insecure));
        assert!(SmarthostTls::parse("ssl").is_err());
        let s = Smarthost::new(
            "relay.example.org:587",
            SmarthostTls::StartTls,
            None,
            None,
            None,
        )
        .unwrap();
        assert!(matches!(s.server_name(), Ok(ServerName::DnsName(_))));
        let s = Smarthost::new("[::1]:25", SmarthostTls::Auto, None, None, None).unwrap();
        assert!(matches!(s.server_name(), Ok(ServerName::IpAddress(_))));
        assert!(
            Smarthost::new(
                "x:25",
                SmarthostTls::Tls,
                None,
                Some(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"),
                None
            )
            .is_err()
        );
        // A system bundle with a certificate that cannot be used is no reason not to start.
        assert!(
            Smarthost::new(
                "x:25",
                SmarthostTls::Auto,
                None,
                None,
                Some(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")
            )
            .is_ok()
        );
    }
}
