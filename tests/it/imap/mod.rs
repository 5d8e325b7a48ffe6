//! The IMAP server, from the outside: exact bytes, real clients (Python's imaplib, curl,
//! mbsync), revocation, limits and RFC 3501 behaviour.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "tests: a failed step must stop the test loudly"
)]

mod client;
mod compliance;
mod conformance;
mod curl;
mod expiry;
mod fetch;
mod imaplib;
mod imaptest;
mod import;
mod limits;
mod livetest;
mod mailboxes;
mod mbsync;
mod networks;
mod preauth_memory;
mod revocation;
mod search_attached;
mod updates;
mod wire;

use postern_domain::DeviceId;
use postern_testkit::Listener;
use postern_testkit::TestServer;

pub use client::Client;

/// The address the tests read mail of (made with every fresh test server).
pub const EMAIL: &str = "admin@localhost";

/// A server with one IMAP device of [`EMAIL`].
pub struct Env {
    pub server: TestServer,
    pub password: String,
    pub device: DeviceId,
}

impl Env {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(adjust: impl FnOnce(&mut postern_server::config::Config)) -> Self {
        let server = TestServer::start_with(adjust).await;
        let (device, password) = server.device(EMAIL, "Laptop", "imap").await;
        Env {
            server,
            password,
            device,
        }
    }

    /// A plain connection to the STARTTLS port, greeting read.
    pub async fn connect(&self) -> Client {
        Client::connect(self.server.addr(Listener::Imap)).await
    }

    /// A signed-in connection with INBOX selected.
    pub async fn inbox(&self) -> Client {
        self.inbox_with(&self.password).await
    }

    /// Like [`Env::inbox`], with another device's password.
    pub async fn inbox_with(&self, password: &str) -> Client {
        let mut c = self.connect().await;
        c.ok(&format!("LOGIN {EMAIL} {password}")).await;
        c.ok("SELECT INBOX").await;
        c
    }

    /// Delivers a message to the address's INBOX as the mail transfer would.
    pub async fn deliver(&self, message: &str) {
        let core = self.server.core();
        let email = postern_domain::Email::parse(EMAIL).expect("email");
        let address = core
            .owned_address(&postern_domain::Actor::CommandLine, &email)
            .await
            .expect("address");
        core.deliver(&address, message.as_bytes())
            .await
            .expect("delivered");
    }

    /// The server's self-signed certificate, for TLS clients.
    pub fn cert_path(&self) -> std::path::PathBuf {
        self.server.data_dir().join("tls-cert.pem")
    }
}

/// A small message with a subject and a body.
pub fn message(subject: &str, body: &str) -> String {
    format!(
        "From: Alice <alice@example.org>\r\nTo: admin@localhost\r\nSubject: {subject}\r\n\
         Date: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <{subject}@example.org>\r\n\r\n{body}\r\n"
    )
}
