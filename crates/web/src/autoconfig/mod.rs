//! Settings that mail programs fetch by themselves from an address, with no secret in them:
//! Thunderbird's autoconfig and Microsoft's Autodiscover (the XML "POX" protocol and the JSON
//! v2 endpoint that points to it).
//!
//! They answer the same for every well-formed address, hosted here or not, so they tell
//! nobody which addresses exist; the user name they give is the address itself.

mod autodiscover;
mod thunderbird;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::settings::{MailServer, Security};
use crate::state::AppState;

/// Largest Autodiscover request read; real ones are a few hundred bytes.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The routes mail programs look for.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/autoconfig/mail/config-v1.1.xml",
            get(thunderbird::config),
        )
        .route("/mail/config-v1.1.xml", get(thunderbird::config))
        .route(
            "/autodiscover/autodiscover.xml",
            post(autodiscover::pox).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .route(
            "/Autodiscover/Autodiscover.xml",
            post(autodiscover::pox).layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES)),
        )
        .route("/autodiscover/autodiscover.json", get(autodiscover::json))
        .route(
            "/autodiscover/autodiscover.json/v1.0/{email}",
            get(autodiscover::json_v1),
        )
}

/// One server as the templates write it.
pub struct ServerEntry {
    /// `imap`, `pop3` or `smtp`.
    pub kind: String,
    /// `IMAP`, `POP3` or `SMTP`.
    pub name: &'static str,
    pub host: String,
    pub port: u16,
    pub tls: bool,
}

impl ServerEntry {
    fn of(s: &MailServer) -> Self {
        ServerEntry {
            kind: s.protocol.to_ascii_lowercase(),
            name: s.protocol,
            host: s.host.clone(),
            port: s.port,
            tls: s.security == Security::Tls,
        }
    }
}

/// Every advertised server of `protocol`, implicit TLS first (the order of the settings).
fn all_of(servers: &[MailServer], protocol: &str) -> Vec<ServerEntry> {
    servers
        .iter()
        .filter(|s| s.protocol == protocol)
        .map(ServerEntry::of)
        .collect()
}

/// The preferred server of `protocol`.
fn first_of(servers: &[MailServer], protocol: &str) -> Option<ServerEntry> {
    servers
        .iter()
        .find(|s| s.protocol == protocol)
        .map(ServerEntry::of)
}
