//! Postern run inside the load generator, for `revoke --in-process`: the disconnect is the
//! domain's own `Core::disconnect_device`, the code behind the web app's and the API's
//! Disconnect button, which commits and tells live sessions at once. Timed from its return,
//! a trial measures the time from the commit to the last `* BYE`, with neither the web
//! layer nor another process in between. Only IMAP listens, on a free loopback port.

use std::net::SocketAddr;
use std::sync::Arc;

use postern_domain::account_password::AccountPassword;
use postern_domain::clock::SystemClock;
use postern_domain::{Actor, Core, Description, DeviceId, Email, Login, ProtocolSet};
use postern_server::config::{Config, Listener};
use postern_server::serve::{self, Running};
use secrecy::ExposeSecret;

use crate::error::{LoadError, Result};

/// The address whose devices are made and disconnected.
pub const EMAIL: &str = "revoke@bench.test";

/// A running Postern and the account that owns [`EMAIL`].
pub struct Embedded {
    running: Running,
    actor: Actor,
    email: Email,
    // Last: the data folder outlives the server.
    _dir: tempfile::TempDir,
}

fn failed(what: &str) -> impl Fn(postern_domain::DomainError) -> LoadError + '_ {
    move |e| LoadError::Command(format!("{what}: {e}"))
}

impl Embedded {
    /// Starts Postern on `store` (a fresh SQLite file in a temporary folder if `None`).
    pub async fn start(store: Option<&str>) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            store: store.map(str::to_owned),
            ..Config::default()
        };
        // IMAP alone, on a free port.
        for listener in Listener::ALL {
            *config.listen_mut(listener) = None;
        }
        config.imap.listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
        config.limits.max_connections = 20_000;
        let running = serve::start(config, Arc::new(SystemClock))
            .await
            .map_err(|e| LoadError::Command(format!("starting Postern: {e:#}")))?;
        let core = Arc::clone(&running.core);
        let login = Login::parse(EMAIL).map_err(failed("login"))?;
        let email = Email::parse(EMAIL).map_err(failed("address"))?;
        let (password, _) = AccountPassword::generate().map_err(failed("account password"))?;
        let account = core
            .create_account(&login, password)
            .await
            .map_err(failed("creating the account"))?;
        core.create_address(&email, &login)
            .await
            .map_err(failed("creating the address"))?;
        Ok(Embedded {
            running,
            actor: Actor::Account(account),
            email,
            _dir: dir,
        })
    }

    fn core(&self) -> &Core {
        &self.running.core
    }

    /// Where its IMAP listens.
    pub fn imap(&self) -> Result<SocketAddr> {
        self.running
            .addr(Listener::Imap)
            .ok_or_else(|| LoadError::Command("Postern's IMAP did not start".into()))
    }

    /// Makes a device of [`EMAIL`] allowed IMAP; returns its id and password.
    pub async fn create_device(&self, trial: usize) -> Result<(DeviceId, String)> {
        let description =
            Description::parse(&format!("revoke {trial}")).map_err(failed("description"))?;
        let protocols = ProtocolSet::parse("imap").map_err(failed("protocols"))?;
        let issued = self
            .core()
            .create_device(&self.actor, &self.email, description, protocols)
            .await
            .map_err(failed("creating a device"))?;
        Ok((issued.device.id, issued.password.expose_secret().to_owned()))
    }

    /// Disconnects the device as its owner's Disconnect button does; returns once the
    /// revocation is committed and published to live sessions.
    pub async fn disconnect(&self, id: DeviceId) -> Result<()> {
        self.core()
            .disconnect_device(&self.actor, id)
            .await
            .map(|_| ())
            .map_err(failed("disconnecting"))
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}
