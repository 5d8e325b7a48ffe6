//! TLS configuration: rustls with the ring provider, from PEM files or a self-signed pair.

use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use thiserror::Error;
use tokio_rustls::TlsAcceptor;

/// Why TLS could not be set up.
#[derive(Debug, Error)]
pub enum TlsError {
    #[error("reading the certificate: {0}")]
    Certificate(String),
    #[error("reading the private key: {0}")]
    Key(String),
    #[error("setting up TLS: {0}")]
    Config(#[from] rustls::Error),
    #[error("making a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// A TLS acceptor for a PEM certificate chain and private key.
pub fn acceptor(cert_pem: &[u8], key_pem: &[u8]) -> Result<TlsAcceptor, TlsError> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::Certificate("no certificate in the file".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::Key(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// A self-signed certificate and key (PEM) for `names` (host names or IP addresses).
pub fn self_signed(names: &[String]) -> Result<(String, String), TlsError> {
    let certified = rcgen::generate_simple_self_signed(names.to_vec())?;
    Ok((certified.cert.pem(), certified.signing_key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_pair_loads() {
        let (cert, key) = self_signed(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        assert!(acceptor(cert.as_bytes(), key.as_bytes()).is_ok());
        assert!(acceptor(b"", key.as_bytes()).is_err());
        assert!(acceptor(cert.as_bytes(), b"garbage").is_err());
    }
}
