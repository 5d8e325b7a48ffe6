//! What a loaded configuration must satisfy before anything starts.

use std::net::SocketAddr;

use super::{Config, ConfigError};

impl Config {
    /// The first setting that cannot work, as a one-line error.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
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
        self.validate_web()?;
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
        match postern_smtp::queue::SmarthostTls::parse(&self.smtp.smarthost_tls) {
            Err(message) => {
                return Err(ConfigError::Invalid {
                    key: "smtp.smarthost_tls",
                    message,
                });
            }
            Ok(postern_smtp::queue::SmarthostTls::None) if !self.smtp.smarthost_user.is_empty() => {
                return Err(ConfigError::Invalid {
                    key: "smtp.smarthost_tls",
                    message: "\"none\" with smarthost_user: the password is never sent without TLS"
                        .into(),
                });
            }
            Ok(_) => {}
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
        // Hours and minutes beyond these would overflow the time arithmetic; no session
        // needs to live longer than ten years anyway.
        let sessions = [
            (
                "web.session_idle_minutes",
                self.web.session_idle_minutes,
                60 * 24 * 3650,
            ),
            (
                "web.session_max_hours",
                self.web.session_max_hours,
                24 * 3650,
            ),
        ];
        for (key, value, most) in sessions {
            if value == 0 || value > most {
                return Err(ConfigError::Invalid {
                    key,
                    message: format!("must be between 1 and {most}"),
                });
            }
        }
        Ok(())
    }

    /// The public URL names a scheme and a host, and every extra host is a name (and port).
    fn validate_web(&self) -> Result<(), ConfigError> {
        postern_web::check_public_url(&self.web.public_url).map_err(|message| {
            ConfigError::Invalid {
                key: "web.public_url",
                message,
            }
        })?;
        for host in &self.web.extra_hosts {
            postern_web::check_extra_host(host).map_err(|message| ConfigError::Invalid {
                key: "web.extra_hosts",
                message,
            })?;
        }
        Ok(())
    }
}
