//! Configuration: typed defaults, then a TOML file, then `POSTERN_*` environment variables.
//! Passed in to whatever needs it; never a global.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
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
    /// A value that does not parse, named by its key (`imap.listen`).
    #[error("{key}: {message}")]
    Key { key: String, message: String },
    #[error("{key}: {message}")]
    Invalid { key: &'static str, message: String },
}

/// The whole configuration. Keys and defaults as in the product's configuration table.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://…`; none: `sqlite://<data_dir>/postern.db`.
    #[serde(deserialize_with = "lenient::optional_text")]
    pub store: Option<String>,
    /// Connections the server keeps to the store (PostgreSQL; SQLite readers are capped at 8).
    #[serde(deserialize_with = "lenient::number")]
    pub store_max_connections: u32,
    /// None: `<data_dir>/pepper`.
    #[serde(deserialize_with = "lenient::optional_path")]
    pub pepper_file: Option<PathBuf>,
    pub domain: String,
    pub hostname: String,
    pub web: WebSection,
    pub imap: ImapSection,
    pub smtp: SmtpSection,
    pub pop3: Pop3Section,
    pub lmtp: LmtpSection,
    pub tls: TlsSection,
    pub limits: LimitsSection,
    pub retention: RetentionSection,
    pub alerts: AlertsSection,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            store: None,
            store_max_connections: 16,
            pepper_file: None,
            domain: "localhost".into(),
            hostname: "localhost".into(),
            web: WebSection::default(),
            imap: ImapSection::default(),
            smtp: SmtpSection::default(),
            pop3: Pop3Section::default(),
            lmtp: LmtpSection::default(),
            tls: TlsSection::default(),
            limits: LimitsSection::default(),
            retention: RetentionSection::default(),
            alerts: AlertsSection::default(),
        }
    }
}

impl Config {
    /// Defaults, then `file` if given, then the `POSTERN_*` variables of `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = toml::Table::new();
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
        // Every section has its own defaults, so keys missing from a section that is there
        // keep theirs (an `[imap]` section with only `listen` keeps `listen_tls`). The path
        // names the key of a value that does not parse.
        let config: Config =
            serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                let key = e.path().to_string();
                let message = e.into_inner().message().to_owned();
                if key == "." {
                    ConfigError::Parse(format!("configuration: {message}"))
                } else {
                    ConfigError::Key { key, message }
                }
            })?;
        config.validate()?;
        Ok(config)
    }

    /// The store URL, with the default derived from the data directory.
    pub fn store_url(&self) -> String {
        match &self.store {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("postern.db").display()),
        }
    }

    /// Where the pepper lives.
    pub fn pepper_path(&self) -> PathBuf {
        match &self.pepper_file {
            Some(path) => path.clone(),
            None => self.data_dir.join("pepper"),
        }
    }

    /// Where a listener is configured to listen; `None` when it is off.
    pub fn listen(&self, listener: Listener) -> Option<SocketAddr> {
        match listener {
            Listener::Imap => self.imap.listen,
            Listener::ImapTls => self.imap.listen_tls,
            Listener::Lmtp => self.lmtp.listen,
            Listener::Pop3 => self.pop3.listen,
            Listener::Pop3Tls => self.pop3.listen_tls,
            Listener::Smtp => self.smtp.listen,
            Listener::SmtpTls => self.smtp.listen_tls,
            Listener::Web => self.web.listen,
        }
    }

    /// Where a listener is configured to listen, to change it (tests listen on port 0).
    pub fn listen_mut(&mut self, listener: Listener) -> &mut Option<SocketAddr> {
        match listener {
            Listener::Imap => &mut self.imap.listen,
            Listener::ImapTls => &mut self.imap.listen_tls,
            Listener::Lmtp => &mut self.lmtp.listen,
            Listener::Pop3 => &mut self.pop3.listen,
            Listener::Pop3Tls => &mut self.pop3.listen_tls,
            Listener::Smtp => &mut self.smtp.listen,
            Listener::SmtpTls => &mut self.smtp.listen_tls,
            Listener::Web => &mut self.web.listen,
        }
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
mod listener;
mod sections;
mod validate;

pub use listener::Listener;
pub use sections::*;

#[cfg(test)]
mod tests;
