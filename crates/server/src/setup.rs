//! The data directory and the secrets in it: created on first use, private to the server's user.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use postern_domain::clock::Clock;
use postern_domain::throttle::ThrottleConfig;
use postern_domain::{Core, Pepper};
use postern_net::TlsAcceptor;

use crate::config::Config;

/// Creates the data directory (0700) if it does not exist.
pub fn ensure_data_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

/// Reads the pepper, creating it (0600) on first start.
pub fn load_or_create_pepper(path: &Path) -> Result<Pepper> {
    match fs::read_to_string(path) {
        Ok(text) => Pepper::from_hex(&text)
            .with_context(|| format!("the pepper file {} is unreadable", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let pepper = Pepper::generate()?;
            write_private(path, pepper.to_hex().as_bytes())?;
            Ok(pepper)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read the pepper file {}", path.display())),
    }
}

/// Writes a new file readable by its owner only; never replaces an existing one.
pub(crate) fn write_private(path: &Path, content: &[u8]) -> Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(())
}

/// The configured certificate, or a self-signed pair in the data directory made on first start.
pub fn load_or_create_tls(config: &Config) -> Result<TlsAcceptor> {
    let (cert_path, key_path) = if config.tls.cert.is_empty() {
        let cert = config.data_dir.join("tls-cert.pem");
        let key = config.data_dir.join("tls-key.pem");
        if !cert.exists() || !key.exists() {
            let names = vec![
                config.hostname.clone(),
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "::1".to_owned(),
            ];
            let (cert_pem, key_pem) = postern_net::tls::self_signed(&names)?;
            let _ = fs::remove_file(&cert);
            let _ = fs::remove_file(&key);
            write_private(&key, key_pem.as_bytes())?;
            write_private(&cert, cert_pem.as_bytes())?;
        }
        (cert, key)
    } else {
        (
            config.tls.cert.clone().into(),
            config.tls.key.clone().into(),
        )
    };
    let cert =
        fs::read(&cert_path).with_context(|| format!("cannot read {}", cert_path.display()))?;
    let key = fs::read(&key_path).with_context(|| format!("cannot read {}", key_path.display()))?;
    Ok(postern_net::tls::acceptor(&cert, &key)?)
}

/// The throttle settings of the configuration.
pub fn throttle_config(config: &Config) -> ThrottleConfig {
    ThrottleConfig {
        free_failures: u32::try_from(config.limits.auth_free_failures).unwrap_or(u32::MAX),
        failure_pause: Duration::from_millis(config.limits.auth_failure_pause_ms),
        max_entries: usize::try_from(config.limits.auth_throttle_entries)
            .unwrap_or(usize::MAX)
            .max(2),
        ..ThrottleConfig::default()
    }
}

/// Opens the store and wires the domain services, creating the data directory and the
/// pepper when they do not exist yet.
pub async fn open_core(config: &Config, clock: Arc<dyn Clock>) -> Result<Core> {
    let url = config.store_url();
    if url.starts_with("sqlite:") || config.pepper_file.is_empty() {
        ensure_data_dir(&config.data_dir)?;
    }
    let pepper = load_or_create_pepper(&config.pepper_path())?;
    let pool = postern_store::PoolOptions {
        max_connections: u32::try_from(config.store_max_connections).unwrap_or(u32::MAX),
    };
    let store = match postern_store::open_with(&url, pool).await {
        Ok(s) => s,
        Err(e) => bail!("cannot open the store {url}: {e}"),
    };
    Ok(Core::new(store, pepper, clock, throttle_config(config)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn private_files_and_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        ensure_data_dir(&dir).unwrap();
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let path = dir.join("pepper");
        let p1 = load_or_create_pepper(&path).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let p2 = load_or_create_pepper(&path).unwrap();
        assert_eq!(*p1.to_hex(), *p2.to_hex());
        fs::write(&path, "not hex").unwrap();
        assert!(load_or_create_pepper(&path).is_err());
    }

    #[test]
    fn self_signed_certificate_is_made_once() {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: tmp.path().to_path_buf(),
            ..Config::default()
        };
        load_or_create_tls(&config).unwrap();
        let first = fs::read(tmp.path().join("tls-cert.pem")).unwrap();
        load_or_create_tls(&config).unwrap();
        assert_eq!(first, fs::read(tmp.path().join("tls-cert.pem")).unwrap());
        let mode = fs::metadata(tmp.path().join("tls-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
