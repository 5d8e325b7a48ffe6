//! Test support: a whole Postern server on port 0 with its own temporary data directory,
//! and shortcuts to create accounts, addresses and devices.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test support: a failed set-up must stop the test loudly"
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod needs;
pub mod postgres;

pub use needs::{Need, requires};

use postern_domain::account_password::AccountPassword;
use postern_domain::clock::{Clock, SystemClock};
use postern_domain::model::Account;
use postern_domain::{
    Actor, Core, Description, DeviceId, DeviceRules, Email, Expiry, Login, ProtocolSet,
};
use postern_server::config::Config;
pub use postern_server::config::Listener;
use postern_server::serve::{self, Running};
use secrecy::ExposeSecret;

/// A running server with its own temporary data directory.
pub struct TestServer {
    pub config: Config,
    running: Option<Running>,
    dir: tempfile::TempDir,
}

/// A configuration for tests: every listener on 127.0.0.1 port 0, data in `dir`, a short
/// pause after failed sign-ins.
pub fn test_config(dir: &Path) -> Config {
    let mut c = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    for listener in Listener::ALL {
        *c.listen_mut(listener) = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    c.limits.auth_failure_pause = std::time::Duration::from_millis(20);
    // Tests of other things count the messages in INBOX; the alerts' own tests turn them on.
    c.alerts.sign_in = false;
    // The whole suite runs on PostgreSQL too: STORE_UNDER_TEST=postgres.
    if std::env::var("STORE_UNDER_TEST").as_deref() == Ok("postgres") {
        c.store = Some(postgres::fresh_database());
    }
    c
}

impl TestServer {
    /// Starts a server with the test configuration.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `adjust` changed the test configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_with_clock(adjust, Arc::new(SystemClock)).await
    }

    /// Starts a server with a given clock.
    pub async fn start_with_clock(adjust: impl FnOnce(&mut Config), clock: Arc<dyn Clock>) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut config = test_config(dir.path());
        adjust(&mut config);
        let running = serve::start(config.clone(), clock)
            .await
            .expect("the test server starts");
        TestServer {
            config,
            running: Some(running),
            dir,
        }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().expect("the server is running")
    }

    /// The domain services of the server.
    pub fn core(&self) -> &Arc<Core> {
        &self.running().core
    }

    /// A bound listener's address.
    pub fn addr(&self, listener: Listener) -> SocketAddr {
        self.running()
            .addr(listener)
            .unwrap_or_else(|| panic!("no listener {listener}"))
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The first account's login and password, made on start.
    pub fn admin(&self) -> (String, String) {
        let first = self
            .running()
            .first_account
            .as_ref()
            .expect("a fresh store");
        (
            first.account.login.to_string(),
            first.password.expose_secret().to_owned(),
        )
    }

    /// Creates an account.
    pub async fn account(&self, login: &str, password: &str) -> Account {
        self.core()
            .create_account(
                &Login::parse(login).expect("a login"),
                AccountPassword::parse_new(password).expect("a password"),
            )
            .await
            .expect("account created")
    }

    /// Creates an address owned by `owner`.
    pub async fn address(&self, email: &str, owner: &str) {
        self.core()
            .create_address(
                &Email::parse(email).expect("an email"),
                &Login::parse(owner).expect("a login"),
            )
            .await
            .expect("address created");
    }

    /// Creates a device and returns its id and password (display form).
    pub async fn device(
        &self,
        email: &str,
        description: &str,
        protocols: &str,
    ) -> (DeviceId, String) {
        let issued = self
            .core()
            .create_device(
                &Actor::CommandLine,
                &Email::parse(email).expect("an email"),
                Description::parse(description).expect("a description"),
                ProtocolSet::parse(protocols).expect("protocols"),
            )
            .await
            .expect("device created");
        (issued.device.id, issued.password.expose_secret().to_owned())
    }

    /// Creates a device whose password expires `lifetime` from now (by the server's clock);
    /// returns its id and password.
    pub async fn expiring_device(
        &self,
        email: &str,
        description: &str,
        protocols: &str,
        lifetime: std::time::Duration,
    ) -> (DeviceId, String) {
        let core = self.core();
        let issued = core
            .create_device_with(
                &Actor::CommandLine,
                &Email::parse(email).expect("an email"),
                Description::parse(description).expect("a description"),
                ProtocolSet::parse(protocols).expect("protocols"),
                DeviceRules {
                    expiry: Expiry {
                        at: Some(core.clock().now() + lifetime),
                        after_unused_days: None,
                    },
                    ..DeviceRules::default()
                },
            )
            .await
            .expect("device created");
        (issued.device.id, issued.password.expose_secret().to_owned())
    }

    /// Disconnects a device as the operator would.
    pub async fn disconnect(&self, id: DeviceId) {
        self.core()
            .disconnect_device(&Actor::CommandLine, id)
            .await
            .expect("device disconnected");
    }

    /// Stops the server and waits for it. The data directory lives on until the returned
    /// handle is dropped.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        self.dir
    }
}
