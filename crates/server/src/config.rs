//! Configuration: typed defaults, then a TOML file, then `POSTERN_*` environment variables.
//! Passed in to whatever needs it; never a global.

use std::collections::BTreeMap;
use std::net::SocketAddr;
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
}

/// IMAP: a STARTTLS port and an implicit-TLS port.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImapConfig {
    pub listen: String,
    pub listen_tls: String,
}

/// POP3: an STLS port and an implicit-TLS port.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Pop3Config {
    pub listen: String,
    pub listen_tls: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub listen: String,
    pub listen_tls: String,
    /// `host:port` for mail to other domains; empty refuses it.
    pub smarthost: String,
    /// `auto` (STARTTLS when offered, certificate unchecked), `starttls` (required,
    /// checked), `tls` (implicit TLS, checked) or `none`.
    pub smarthost_tls: String,
    /// Credentials for the smarthost, sent only over TLS (or to loopback).
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
        }
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for ImapConfig {
    fn default() -> Self {
        ImapConfig {
            listen: "127.0.0.1:1143".into(),
            listen_tls: "127.0.0.1:1993".into(),
        }
    }
}

impl Default for Pop3Config {
    fn default() -> Self {
        Pop3Config {
            listen: "127.0.0.1:1110".into(),
            listen_tls: "127.0.0.1:1995".into(),
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

    fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in self.listeners() {
            if !value.is_empty() && value.parse::<SocketAddr>().is_err() {
                return Err(ConfigError::Invalid {
                    key,
                    message: format!("{value:?} is not an address like 127.0.0.1:1143"),
                });
            }
        }
        if postern_domain::Email::parse(&format!("admin@{}", self.domain)).is_err() {
            return Err(ConfigError::Invalid {
                key: "domain",
                message: format!("{:?} is not a domain name", self.domain),
            });
        }
        if self.hostname.trim().is_empty() {
            return Err(ConfigError::Invalid {
                key: "hostname",
                message: "must not be empty".into(),
            });
        }
        if self.tls.cert.is_empty() != self.tls.key.is_empty() {
            return Err(ConfigError::Invalid {
                key: "tls",
                message: "set both cert and key, or neither".into(),
            });
        }
        if !self.smtp.smarthost.is_empty() && !self.smtp.smarthost.contains(':') {
            return Err(ConfigError::Invalid {
                key: "smtp.smarthost",
                message: format!("{:?} is not host:port", self.smtp.smarthost),
            });
        }
        if let Err(message) = postern_smtp::queue::SmarthostTls::parse(&self.smtp.smarthost_tls) {
            return Err(ConfigError::Invalid {
                key: "smtp.smarthost_tls",
                message,
            });
        }
        if self.smtp.smarthost_user.is_empty() != self.smtp.smarthost_password.is_empty() {
            return Err(ConfigError::Invalid {
                key: "smtp.smarthost_user",
                message: "set both smarthost_user and smarthost_password, or neither".into(),
            });
        }
        if let Err(message) = postern_smtp::queue::RetrySchedule::parse(&self.smtp.retry_schedule) {
            return Err(ConfigError::Invalid {
                key: "smtp.retry_schedule",
                message,
            });
        }
        let timeouts = [
            ("limits.idle_timeout_secs", self.limits.idle_timeout_secs),
            ("limits.login_timeout_secs", self.limits.login_timeout_secs),
            (
                "limits.imap_autologout_secs",
                self.limits.imap_autologout_secs,
            ),
        ];
        for (key, value) in timeouts {
            if value == 0 {
                return Err(ConfigError::Invalid {
                    key,
                    message: "must be at least 1 second".into(),
                });
            }
        }
        Ok(())
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

/// Numbers that may arrive as text from environment variables.
mod lenient {
    use serde::{Deserialize, Deserializer, de::Error};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrText {
        Num(u64),
        Text(String),
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }

    /// IP addresses as a TOML array or as comma-separated text (from the environment).
    pub fn ip_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<std::net::IpAddr>, D::Error> {
        let items = match ListOrText::deserialize(d)? {
            ListOrText::List(items) => items,
            ListOrText::Text(text) => text.split(',').map(str::to_owned).collect(),
        };
        items
            .iter()
            .map(|i| i.trim())
            .filter(|i| !i.is_empty())
            .map(|i| {
                i.parse()
                    .map_err(|_| D::Error::custom(format!("{i:?} is not an IP address")))
            })
            .collect()
    }

    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        match NumOrText::deserialize(d)? {
            NumOrText::Num(n) => Ok(n),
            NumOrText::Text(t) => t
                .trim()
                .parse()
                .map_err(|_| D::Error::custom(format!("{t:?} is not a whole number"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_the_product() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.web.listen, "127.0.0.1:8080");
        assert_eq!(c.imap.listen, "127.0.0.1:1143");
        assert_eq!(c.imap.listen_tls, "127.0.0.1:1993");
        assert_eq!(c.smtp.listen, "127.0.0.1:1587");
        assert_eq!(c.smtp.listen_tls, "127.0.0.1:1465");
        assert_eq!(c.pop3.listen, "127.0.0.1:1110");
        assert_eq!(c.pop3.listen_tls, "127.0.0.1:1995");
        assert_eq!(c.lmtp.listen, "127.0.0.1:1024");
        assert_eq!(c.store_url(), "sqlite://./data/postern.db");
        assert_eq!(c.pepper_path(), PathBuf::from("./data/pepper"));
        assert_eq!(c.domain, "localhost");
    }

    #[test]
    fn timeouts_have_sane_defaults_and_cannot_be_zero() {
        let c = Config::load(None, env(&[])).unwrap();
        // RFC 5321 4.5.3.2 asks for at least 5 minutes, RFC 1939 for at least 10.
        assert_eq!(c.limits.idle_timeout_secs, 600);
        assert_eq!(c.limits.login_timeout_secs, 60);
        // RFC 3501 5.4: at least 30 minutes.
        assert_eq!(c.limits.imap_autologout_secs, 1800);
        let err = Config::load(None, env(&[("POSTERN_LIMITS__LOGIN_TIMEOUT_SECS", "0")]));
        assert!(
            err.unwrap_err().to_string().contains("login_timeout_secs"),
            "a zero timeout is refused by name"
        );
    }

    #[test]
    fn file_then_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("postern.toml");
        std::fs::write(
            &path,
            "domain = \"example.org\"\n[imap]\nlisten = \"127.0.0.1:143\"\n[lmtp]\n[limits]\nmax_message_bytes = 1000\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&path),
            env(&[
                ("POSTERN_IMAP__LISTEN", "127.0.0.1:2143"),
                ("POSTERN_SMTP__SMARTHOST", "relay.example.org:25"),
                ("POSTERN_LIMITS__MAX_CONNECTIONS", "7"),
                ("POSTERN_CONFIG", "ignored"),
                ("OTHER", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(c.domain, "example.org");
        assert_eq!(c.imap.listen, "127.0.0.1:2143");
        assert_eq!(c.imap.listen_tls, "127.0.0.1:1993");
        assert_eq!(c.smtp.smarthost, "relay.example.org:25");
        assert_eq!(c.limits.max_message_bytes, 1000);
        assert_eq!(c.limits.max_connections, 7);
        assert_eq!(c.lmtp.listen, "127.0.0.1:1024");
    }

    #[test]
    fn trusted_proxies_from_file_or_environment() {
        let c = Config::load(
            None,
            env(&[("POSTERN_WEB__TRUSTED_PROXIES", "127.0.0.1, ::1")]),
        )
        .unwrap();
        assert_eq!(c.web.trusted_proxies.len(), 2);
        let e = Config::load(None, env(&[("POSTERN_WEB__TRUSTED_PROXIES", "proxy")])).unwrap_err();
        assert!(e.to_string().contains("proxy"), "{e}");
    }

    #[test]
    fn empty_listen_turns_a_listener_off_and_bad_values_are_named() {
        let c = Config::load(None, env(&[("POSTERN_POP3__LISTEN", "")])).unwrap();
        assert!(c.pop3.listen.is_empty());
        let e = Config::load(None, env(&[("POSTERN_IMAP__LISTEN", "nowhere")])).unwrap_err();
        assert!(e.to_string().starts_with("imap.listen:"), "{e}");
        let e = Config::load(None, env(&[("POSTERN_NOPE", "1")])).unwrap_err();
        assert!(e.to_string().contains("nope"), "{e}");
        let e =
            Config::load(None, env(&[("POSTERN_LIMITS__MAX_CONNECTIONS", "many")])).unwrap_err();
        assert!(e.to_string().contains("many"), "{e}");
        let e =
            Config::load(None, env(&[("POSTERN_SMTP__RETRY_SCHEDULE", "5 minutes")])).unwrap_err();
        assert!(e.to_string().starts_with("smtp.retry_schedule:"), "{e}");
        let e = Config::load(None, env(&[("POSTERN_DOMAIN", "not a domain")])).unwrap_err();
        assert!(e.to_string().starts_with("domain:"), "{e}");
    }
}
