//! The data directory and the secrets in it: created on first use, private to the server's user.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use postern_domain::clock::Clock;
use postern_domain::throttle::ThrottleConfig;
use postern_domain::{Core, Pepper, Policy};
use postern_net::TlsAcceptor;

use crate::config::Config;

/// Makes the data directory private to the server's user: creates it (0700) when missing,
/// takes group and other access away from an existing one, and makes every file already in
/// it 0600. A store created by an earlier version, or a folder made by hand with the usual
/// 0755, would otherwise leave the database readable by every local user. Fails, naming the
/// path and the cause, when that cannot be done (a folder of another user, say): better not
/// to start than to serve from readable files.
pub fn prepare_data_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
    make_private(dir, 0o700)?;
    let entries = fs::read_dir(dir)
        .with_context(|| format!("cannot read the data directory {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot read the data directory {}", dir.display()))?
            .path();
        // Symbolic links are left alone: their own mode means nothing, and their target
        // may be a file the operator chose to share.
        let is_file = fs::symlink_metadata(&path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .is_file();
        if is_file {
            make_private(&path, 0o600)?;
        }
    }
    Ok(())
}

/// Sets `mode` on `path` unless it is already that.
fn make_private(path: &Path, mode: u32) -> Result<()> {
    let current = fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .permissions();
    if current.mode() & 0o7777 == mode {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot make {} private (mode {mode:o})", path.display()))
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
    let (cert_path, key_path) = if let (Some(cert), Some(key)) = (&config.tls.cert, &config.tls.key)
    {
        (cert.clone(), key.clone())
    } else {
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
    };
    let cert =
        fs::read(&cert_path).with_context(|| format!("cannot read {}", cert_path.display()))?;
    let key = fs::read(&key_path).with_context(|| format!("cannot read {}", key_path.display()))?;
    Ok(postern_net::tls::acceptor(&cert, &key)?)
}

/// The throttle settings of the configuration.
pub fn throttle_config(config: &Config) -> ThrottleConfig {
    ThrottleConfig {
        free_failures: config.limits.auth_free_failures,
        failure_pause: config.limits.auth_failure_pause,
        max_entries: config.limits.auth_throttle_entries.max(2),
        ..ThrottleConfig::default()
    }
}

/// Opens the store and wires the domain services, creating the data directory and the
/// pepper when they do not exist yet.
pub async fn open_core(config: &Config, clock: Arc<dyn Clock>) -> Result<Core> {
    let url = config.store_url();
    // Whatever the store and wherever the pepper is, the data directory holds at least the
    // TLS key made on first start, so it is made (and kept private) before anything else.
    prepare_data_dir(&config.data_dir)?;
    let pepper = load_or_create_pepper(&config.pepper_path())?;
    let pool = postern_store::PoolOptions {
        max_connections: config.store_max_connections,
    };
    let store = match postern_store::open_with(&url, pool).await {
        Ok(s) => s,
        Err(e) => bail!("cannot open the store {url}: {e}"),
    };
    let policy = Policy {
        devices_per_address: config.limits.devices_per_address,
        retention_days: config.retention.days,
        web_url: config.web.public_url.clone(),
        sign_in_alerts: config.alerts.sign_in,
    };
    Ok(Core::new(store, pepper, clock, throttle_config(config)).with_policy(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_files_and_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        prepare_data_dir(&dir).unwrap();
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
    fn an_open_data_directory_is_made_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        for name in ["postern.db", "postern.db-wal", "postern.db-shm"] {
            fs::write(dir.join(name), b"x").unwrap();
            fs::set_permissions(dir.join(name), fs::Permissions::from_mode(0o644)).unwrap();
        }
        let shared = tmp.path().join("shared.pem");
        fs::write(&shared, b"x").unwrap();
        fs::set_permissions(&shared, fs::Permissions::from_mode(0o644)).unwrap();
        std::os::unix::fs::symlink(&shared, dir.join("link.pem")).unwrap();

        prepare_data_dir(&dir).unwrap();

        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        for name in ["postern.db", "postern.db-wal", "postern.db-shm"] {
            assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
        }
        assert_eq!(mode(&shared), 0o644, "a link's target is not changed");
    }

    #[test]
    fn a_data_directory_that_cannot_be_made_says_why() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"x").unwrap();
        let e = prepare_data_dir(&file.join("data")).unwrap_err();
        let line = format!("{e:#}");
        assert!(
            line.starts_with("cannot create the data directory "),
            "{line}"
        );
        assert!(line.ends_with("Not a directory (os error 20)"), "{line}");
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
