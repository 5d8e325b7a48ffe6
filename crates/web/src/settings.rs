//! What the web app is told by the server that starts it.

use std::fmt;

use time::Duration;

/// How a mail client secures a connection to a listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte.
    Tls,
    /// Plain at first, then upgraded with STARTTLS (STLS for POP3).
    StartTls,
}

impl fmt::Display for Security {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Security::Tls => "SSL/TLS",
            Security::StartTls => "STARTTLS",
        })
    }
}

/// One server a mail program connects to, as shown in the manual configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailServer {
    /// `IMAP`, `SMTP` or `POP3`.
    pub protocol: &'static str,
    pub host: String,
    pub port: u16,
    pub security: Security,
}

/// Settings of the web app.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The address people reach the web app at; an `https://` one makes cookies `Secure`.
    pub public_url: String,
    /// The servers mail programs are told about (the setup assistant, autoconfig,
    /// Autodiscover, Apple profiles), in order of preference.
    pub mail_servers: Vec<MailServer>,
    /// The domain autoconfig describes when a request names no address.
    pub mail_domain: String,
    /// How long the one-time link of an Apple profile works.
    pub profile_link_life: Duration,
    /// A session unused for this long is signed out.
    pub session_idle: Duration,
    /// A session is signed out this long after sign-in, used or not.
    pub session_lifetime: Duration,
    /// Creating or resetting a device needs the account password confirmed this recently.
    pub reauth_window: Duration,
    /// The server's name, for the `Message-ID` and `Received` headers of mail sent here.
    pub hostname: String,
    /// Whether mail for other domains is sent on (a smarthost is configured).
    pub relay: bool,
    /// Recipients of one message, at most.
    pub max_recipients: usize,
    /// The size of one message, at most.
    pub max_message_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` header names the real client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Other names requests may be sent to besides the public URL's host (autoconfig and
    /// Autodiscover names), each `host` or `host:port`.
    pub extra_hosts: Vec<String>,
    /// The port the web listener is bound to: on a loopback public URL, loopback names with
    /// this port are accepted too.
    pub listen_port: Option<u16>,
}

impl Settings {
    /// Defaults for a web app reached at `public_url`.
    pub fn new(public_url: impl Into<String>) -> Self {
        Settings {
            public_url: public_url.into(),
            mail_servers: Vec::new(),
            mail_domain: "localhost".into(),
            profile_link_life: Duration::minutes(10),
            session_idle: Duration::minutes(30),
            session_lifetime: Duration::hours(12),
            reauth_window: Duration::minutes(5),
            hostname: "localhost".to_owned(),
            relay: false,
            max_recipients: 100,
            max_message_bytes: 25 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            extra_hosts: Vec::new(),
            listen_port: None,
        }
    }

    /// Whether the web app is reached over HTTPS, so cookies must be `Secure`.
    pub fn https(&self) -> bool {
        self.public_url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheme() {
        assert!(Settings::new("HTTPS://mail.example.com/postern/").https());
        assert!(!Settings::new("http://127.0.0.1:8080").https());
    }
}
