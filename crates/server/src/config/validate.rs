//! What a parsed configuration must satisfy as a whole before anything starts: the rules
//! that span several values. Each value was parsed into its type on loading.

use postern_smtp::queue::SmarthostTls;

use super::{Config, ConfigError};

impl Config {
    /// The first setting that cannot work, as a one-line error.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| ConfigError::Invalid {
            key,
            message: message.to_owned(),
        };
        if postern_domain::Email::parse(&format!("admin@{}", self.domain)).is_err() {
            return Err(ConfigError::Invalid {
                key: "domain",
                message: format!("{:?} is not a domain name", self.domain),
            });
        }
        if self.hostname.trim().is_empty() {
            return Err(invalid("hostname", "must not be empty"));
        }
        self.validate_web()?;
        if self.tls.cert.is_some() != self.tls.key.is_some() {
            return Err(invalid("tls", "set both cert and key, or neither"));
        }
        let smtp = &self.smtp;
        if smtp.smarthost_tls == SmarthostTls::None && smtp.smarthost_user.is_some() {
            return Err(invalid(
                "smtp.smarthost_tls",
                "\"none\" with smarthost_user: the password is never sent without TLS",
            ));
        }
        if smtp.smarthost_user.is_some() != smtp.smarthost_password.is_some() {
            return Err(invalid(
                "smtp.smarthost_user",
                "set both smarthost_user and smarthost_password, or neither",
            ));
        }
        let timeouts = [
            ("limits.idle_timeout_secs", self.limits.idle_timeout),
            ("limits.login_timeout_secs", self.limits.login_timeout),
            ("limits.imap_autologout_secs", self.limits.imap_autologout),
        ];
        for (key, value) in timeouts {
            if value.is_zero() {
                return Err(invalid(key, "must be at least 1 second"));
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
