//! Configuration: typed defaults, then a TOML file, then `POSTERN_*` environment variables.
//! Passed in to whatever needs it; never a global.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a configuration could not be loaded.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Parse(String),
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// The whole configuration. Keys and defaults as in the product's configuration table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `sqlite://path` (default `sqlite://<data_dir>/postern.db`) or `postgres://…`.
    pub store: String,
    /// Connections the server keeps to the store (PostgreSQL; SQLite readers are capped at 8).
    #[serde(deserialize_with = "lenient::u64")]
    pub store_max_connections: u64,
    /// Empty: `<data_dir>/pepper`.
    pub pepper_file: String,
    pub domain: String,
    pub hostname: String,
    pub web: WebConfig,
    pub imap: ImapConfig,
    pub smtp: SmtpConfig,
    pub pop3: Pop3Config,
    pub lmtp: LmtpConfig,
    pub tls: TlsConfig,
    pub limits: LimitsConfig,
    pub retention: RetentionConfig,
    pub alerts: AlertsConfig,
}

/// Messages the server sends an address about its devices.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Sign-in alerts for every address that has not turned them off; false: for none.
    #[serde(deserialize_with = "lenient::boolean")]
    pub sign_in: bool,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig { sign_in: true }
    }
}

/// How long records of what devices did are kept.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days sign-in history and the activity log are kept (deleted daily after that).
    #[serde(deserialize_with = "lenient::u64")]
    pub days: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { days: 365 }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    pub listen: String,
    pub public_url: String,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for throttling and
    /// the activity shown to users). Empty: the connection's address is the client.
    #[serde(deserialize_with = "lenient::ip_list")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Minutes a web session may go unused before it is signed out.
    #[serde(deserialize_with = "lenient::u64")]
    pub session_idle_minutes: u64,
    /// Hours after sign-in at which a web session ends, used or not.
    #[serde(deserialize_with = "lenient::u64")]
    pub session_max_hours: u64,
    /// Names requests may also be sent to besides `public_url`'s host (`host` or
    /// `host:port`), such as autoconfig and autodiscover names; others are answered `421`.
    #[serde(deserialize_with = "lenient::text_list")]
    pub extra_hosts: Vec<String>,
}

/// IMAP: a STARTTLS port and an implicit-TLS port.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    pub listen: String,
    pub listen_tls: String,
    /// The port mail programs are told for `listen` (behind NAT or a proxy); 0: its own port.
    #[serde(deserialize_with = "lenient::port")]
    pub public_port: u16,
    /// The port mail programs are told for `listen_tls`; 0: its own port.
    #[serde(deserialize_with = "lenient::port")]
    pub public_port_tls: u16,
}

/// POP3: an STLS port and an implicit-TLS port.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pop3Config {
    pub listen: String,
    pub listen_tls: String,
    /// The port mail programs are told for `listen`; 0: its own port.
    #[serde(deserialize_with = "lenient::port")]
    pub public_port: u16,
    /// The port mail programs are told for `listen_tls`; 0: its own port.
    #[serde(deserialize_with = "lenient::port")]
    pub public_port_tls: u16,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub listen: String,
    pub listen_tls: String,
    /// The port mail programs are told for `listen`; 0: its own port.
    #[serde(deserialize_with = "lenient::port")]
    pub public_port: u16,
    /// The port mail programs are told for `listen_tls`; 0: its own port.
    #[serde(deserialize_with = "lenient::port")]
    pub public_port_tls: u16,
    /// `host:port` for mail to other domains; empty refuses it.
    pub smarthost: String,
    /// `auto` (STARTTLS when offered, certificate checked), `insecure` (STARTTLS when
    /// offered, certificate not checked; warned about at start), `starttls` (required,
    /// checked), `tls` (implicit TLS, checked) or `none`.
    pub smarthost_tls: String,
    /// Credentials for the smarthost, sent only over TLS (checked, unless `insecure`).
    pub smarthost_user: String,
    pub smarthost_password: String,
    /// A PEM file of certificates to trust for the smarthost besides the public roots.
    pub smarthost_ca: String,
    /// Pauses between attempts to hand queued mail to the smarthost (`"1m 5m 1h"`; units
    /// ms, s, m, h, d); after the last one the mail is bounced to its sender.
    pub retry_schedule: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LmtpConfig {
    pub listen: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM paths; empty: a self-signed pair in the data directory.
    pub cert: String,
    pub key: String,
}

/// Limits beyond the product's table, with sensible defaults.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest message or IMAP literal, in bytes.
    #[serde(deserialize_with = "lenient::u64")]
    pub max_message_bytes: u64,
    /// Connections per service in all.
    #[serde(deserialize_with = "lenient::u64")]
    pub max_connections: u64,
    /// Connections per service from one IP address.
    #[serde(deserialize_with = "lenient::u64")]
    pub max_connections_per_ip: u64,
    /// Failed sign-ins a source may make before it has to wait.
    #[serde(deserialize_with = "lenient::u64")]
    pub auth_free_failures: u64,
    /// Pause before each failed sign-in answer, in milliseconds.
    #[serde(deserialize_with = "lenient::u64")]
    pub auth_failure_pause_ms: u64,
    /// Recipients of one message (SMTP, LMTP).
    #[serde(deserialize_with = "lenient::u64")]
    pub max_recipients: u64,
    /// Seconds an SMTP, LMTP or POP3 connection may stay silent before it is closed; also the
    /// longest one command line (or one message) may take to arrive whole, however it trickles.
    #[serde(deserialize_with = "lenient::u64")]
    pub idle_timeout_secs: u64,
    /// Seconds a connection may take from its start to a successful sign-in (IMAP, POP3, SMTP
    /// submission), whatever it sends meanwhile.
    #[serde(deserialize_with = "lenient::u64")]
    pub login_timeout_secs: u64,
    /// Seconds a signed-in IMAP session may go without a command (RFC 3501: at least 30
    /// minutes).
    #[serde(deserialize_with = "lenient::u64")]
    pub imap_autologout_secs: u64,
    /// Source addresses and logins the sign-in throttle remembers at most.
    #[serde(deserialize_with = "lenient::u64")]
    pub auth_throttle_entries: u64,
    /// Devices one address may have (disconnected ones aside).
    #[serde(deserialize_with = "lenient::u64")]
    pub devices_per_address: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            store: String::new(),
            store_max_connections: 16,
            pepper_file: String::new(),
            domain: "localhost".into(),
            hostname: "localhost".into(),
            web: WebConfig::default(),
            imap: ImapConfig::default(),
            smtp: SmtpConfig::default(),
            pop3: Pop3Config::default(),
            lmtp: LmtpConfig::default(),
            tls: TlsConfig::default(),
            limits: LimitsConfig::default(),
            retention: RetentionConfig::default(),
            alerts: AlertsConfig::default(),
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            session_idle_minutes: 30,
            session_max_hours: 12,
            extra_hosts: Vec::new(),
        }
    }
}

impl Default for ImapConfig {
    fn default() -> Self {
        ImapConfig {
            listen: "127.0.0.1:1143".into(),
            listen_tls: "127.0.0.1:1993".into(),
            public_port: 0,
            public_port_tls: 0,
        }
    }
}

impl Default for Pop3Config {
    fn default() -> Self {
        Pop3Config {
            listen: "127.0.0.1:1110".into(),
            listen_tls: "127.0.0.1:1995".into(),
            public_port: 0,
            public_port_tls: 0,
        }
    }
}

impl Default for LmtpConfig {
    fn default() -> Self {
        LmtpConfig {
            listen: "127.0.0.1:1024".into(),
        }
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            listen: "127.0.0.1:1587".into(),
            listen_tls: "127.0.0.1:1465".into(),
            public_port: 0,
            public_port_tls: 0,
            smarthost: String::new(),
            smarthost_tls: "auto".into(),
            smarthost_user: String::new(),
            smarthost_password: String::new(),
            smarthost_ca: String::new(),
            retry_schedule: postern_smtp::queue::schedule::DEFAULT_SCHEDULE.into(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_message_bytes: 50 * 1024 * 1024,
            max_connections: 20_000,
            max_connections_per_ip: 2_000,
            auth_free_failures: 5,
            auth_failure_pause_ms: 300,
            max_recipients: 100,
            idle_timeout_secs: 600,
            login_timeout_secs: 60,
            imap_autologout_secs: 30 * 60,
            auth_throttle_entries: 100_000,
            devices_per_address: 100,
        }
    }
}

impl Config {
    /// Defaults, then `file` if given, then the `POSTERN_*` variables of `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        // The defaults as a table, so that a section given in part keeps its other defaults.
        let mut table = toml::Table::try_from(Config::default())
            .map_err(|e| ConfigError::Parse(format!("defaults: {e}")))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.display().to_string(),
                source,
            })?;
            let from_file = toml::from_str::<toml::Table>(&text)
                .map_err(|e| ConfigError::Parse(format!("{}: {e}", path.display())))?;
            merge(&mut table, from_file);
        }
        let overrides: BTreeMap<String, String> = env
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("POSTERN_")?.to_ascii_lowercase(), v)))
            .filter(|(k, _)| k != "config")
            .collect();
        for (key, value) in overrides {
            let mut path: Vec<&str> = key.split("__").collect();
            let Some(last) = path.pop() else { continue };
            let mut at = &mut table;
            for section in path {
                let entry = at
                    .entry(section.to_owned())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                at = entry.as_table_mut().ok_or_else(|| {
                    ConfigError::Parse(format!(
                        "POSTERN_{}: {section} is not a section",
                        key.to_ascii_uppercase()
                    ))
                })?;
            }
            at.insert(last.to_owned(), toml::Value::String(value));
        }
        // Keys missing from a section that is there keep their defaults too (an `[imap]`
        // section with only `listen` keeps `listen_tls`).
        let mut full = toml::Table::try_from(Config::default())
            .map_err(|e| ConfigError::Parse(format!("defaults: {e}")))?;
        merge(&mut full, table);
        let config: Config =
            toml::Value::Table(full)
                .try_into()
                .map_err(|e: toml::de::Error| {
                    ConfigError::Parse(format!("configuration: {}", e.message()))
                })?;
        config.validate()?;
        Ok(config)
    }

    /// The store URL, with the default derived from the data directory.
    pub fn store_url(&self) -> String {
        if self.store.is_empty() {
            format!("sqlite://{}", self.data_dir.join("postern.db").display())
        } else {
            self.store.clone()
        }
    }

    /// Where the pepper lives.
    pub fn pepper_path(&self) -> PathBuf {
        if self.pepper_file.is_empty() {
            self.data_dir.join("pepper")
        } else {
            PathBuf::from(&self.pepper_file)
        }
    }

    /// Every listener setting with its key.
    pub fn listeners(&self) -> [(&'static str, &str); 8] {
        [
            ("web.listen", &self.web.listen),
            ("imap.listen", &self.imap.listen),
            ("imap.listen_tls", &self.imap.listen_tls),
            ("smtp.listen", &self.smtp.listen),
            ("smtp.listen_tls", &self.smtp.listen_tls),
            ("pop3.listen", &self.pop3.listen),
            ("pop3.listen_tls", &self.pop3.listen_tls),
            ("lmtp.listen", &self.lmtp.listen),
        ]
    }
}

/// Puts `over` on top of `base`, section by section.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

mod lenient;
mod validate;

#[cfg(test)]
mod tests;
