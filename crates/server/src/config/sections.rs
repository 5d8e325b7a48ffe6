//! The sections of the configuration file, each with its defaults. Every value is parsed
//! into its type here, once; the rest of the server never parses configuration text.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use postern_smtp::queue::{RetrySchedule, SmarthostTls};
use secrecy::SecretString;
use serde::Deserialize;

use super::lenient;

/// The web app and JSON API.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSection {
    #[serde(deserialize_with = "lenient::listener")]
    pub listen: Option<SocketAddr>,
    pub public_url: String,
    /// Reverse proxies whose `X-Forwarded-For` names the real client (for throttling and
    /// the activity shown to users). Empty: the connection's address is the client.
    #[serde(deserialize_with = "lenient::ip_list")]
    pub trusted_proxies: Vec<IpAddr>,
    /// Minutes a web session may go unused before it is signed out.
    #[serde(deserialize_with = "lenient::number")]
    pub session_idle_minutes: u32,
    /// Hours after sign-in at which a web session ends, used or not.
    #[serde(deserialize_with = "lenient::number")]
    pub session_max_hours: u32,
    /// Names requests may also be sent to besides `public_url`'s host (`host` or
    /// `host:port`), such as autoconfig and autodiscover names; others are answered `421`.
    #[serde(deserialize_with = "lenient::text_list")]
    pub extra_hosts: Vec<String>,
}

impl Default for WebSection {
    fn default() -> Self {
        WebSection {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            session_idle_minutes: 30,
            session_max_hours: 12,
            extra_hosts: Vec::new(),
        }
    }
}

/// A mail protocol with a STARTTLS port and an implicit-TLS port, each turned off by an
/// empty `listen`; the defaults are loopback on the protocol's default ports.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields, bound = "")]
pub struct MailSection<P: DefaultPorts> {
    #[serde(deserialize_with = "lenient::listener")]
    pub listen: Option<SocketAddr>,
    #[serde(deserialize_with = "lenient::listener")]
    pub listen_tls: Option<SocketAddr>,
    /// The port mail programs are told for `listen` (behind NAT or a proxy); 0: its own port.
    #[serde(deserialize_with = "lenient::number")]
    pub public_port: u16,
    /// The port mail programs are told for `listen_tls`; 0: its own port.
    #[serde(deserialize_with = "lenient::number")]
    pub public_port_tls: u16,
    #[serde(skip)]
    protocol: PhantomData<P>,
}

/// The ports a mail protocol listens on by default: with STARTTLS, with implicit TLS.
pub trait DefaultPorts: Clone + std::fmt::Debug {
    const PORTS: (u16, u16);
}

impl<P: DefaultPorts> Default for MailSection<P> {
    fn default() -> Self {
        MailSection {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], P::PORTS.0))),
            listen_tls: Some(SocketAddr::from(([127, 0, 0, 1], P::PORTS.1))),
            public_port: 0,
            public_port_tls: 0,
            protocol: PhantomData,
        }
    }
}

/// IMAP's default ports.
#[derive(Clone, Debug)]
pub struct Imap;

impl DefaultPorts for Imap {
    const PORTS: (u16, u16) = (1143, 1993);
}

/// POP3's default ports.
#[derive(Clone, Debug)]
pub struct Pop3;

impl DefaultPorts for Pop3 {
    const PORTS: (u16, u16) = (1110, 1995);
}

/// IMAP: STARTTLS on `listen`, implicit TLS on `listen_tls`.
pub type ImapSection = MailSection<Imap>;

/// POP3: STLS on `listen`, implicit TLS on `listen_tls`.
pub type Pop3Section = MailSection<Pop3>;

/// SMTP submission, and the smarthost mail to other domains goes through.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpSection {
    #[serde(deserialize_with = "lenient::listener")]
    pub listen: Option<SocketAddr>,
    #[serde(deserialize_with = "lenient::listener")]
    pub listen_tls: Option<SocketAddr>,
    /// The port mail programs are told for `listen`; 0: its own port.
    #[serde(deserialize_with = "lenient::number")]
    pub public_port: u16,
    /// The port mail programs are told for `listen_tls`; 0: its own port.
    #[serde(deserialize_with = "lenient::number")]
    pub public_port_tls: u16,
    /// `host:port` for mail to other domains; none refuses it.
    #[serde(deserialize_with = "lenient::smarthost")]
    pub smarthost: Option<String>,
    /// `auto` (STARTTLS when offered, certificate checked), `insecure` (STARTTLS when
    /// offered, certificate not checked; warned about at start), `starttls` (required,
    /// checked), `tls` (implicit TLS, checked) or `none`.
    #[serde(deserialize_with = "lenient::parsed")]
    pub smarthost_tls: SmarthostTls,
    /// Credentials for the smarthost, sent only over TLS (checked, unless `insecure`).
    #[serde(deserialize_with = "lenient::optional_text")]
    pub smarthost_user: Option<String>,
    #[serde(deserialize_with = "lenient::secret")]
    pub smarthost_password: Option<SecretString>,
    /// A PEM file of certificates to trust for the smarthost besides the public roots.
    #[serde(deserialize_with = "lenient::optional_path")]
    pub smarthost_ca: Option<PathBuf>,
    /// Pauses between attempts to hand queued mail to the smarthost (`"1m 5m 1h"`; units
    /// ms, s, m, h, d); after the last one the mail is bounced to its sender.
    #[serde(deserialize_with = "lenient::parsed")]
    pub retry_schedule: RetrySchedule,
}

impl Default for SmtpSection {
    fn default() -> Self {
        SmtpSection {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 1587))),
            listen_tls: Some(SocketAddr::from(([127, 0, 0, 1], 1465))),
            public_port: 0,
            public_port_tls: 0,
            smarthost: None,
            smarthost_tls: SmarthostTls::Auto,
            smarthost_user: None,
            smarthost_password: None,
            smarthost_ca: None,
            retry_schedule: RetrySchedule::default(),
        }
    }
}

/// LMTP, for a mail transfer agent in front that delivers to Postern.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LmtpSection {
    #[serde(deserialize_with = "lenient::listener")]
    pub listen: Option<SocketAddr>,
}

impl Default for LmtpSection {
    fn default() -> Self {
        LmtpSection {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 1024))),
        }
    }
}

/// The certificate of every TLS listener.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSection {
    /// PEM paths; neither: a self-signed pair in the data directory.
    #[serde(deserialize_with = "lenient::optional_path")]
    pub cert: Option<PathBuf>,
    #[serde(deserialize_with = "lenient::optional_path")]
    pub key: Option<PathBuf>,
}

/// Limits beyond the product's table, with sensible defaults.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest message or IMAP literal, in bytes.
    #[serde(deserialize_with = "lenient::number")]
    pub max_message_bytes: usize,
    /// Connections per service in all.
    #[serde(deserialize_with = "lenient::number")]
    pub max_connections: usize,
    /// Connections per service from one IP address.
    #[serde(deserialize_with = "lenient::number")]
    pub max_connections_per_ip: usize,
    /// Failed sign-ins a source may make before it has to wait.
    #[serde(deserialize_with = "lenient::number")]
    pub auth_free_failures: u32,
    /// Pause before each failed sign-in answer.
    #[serde(rename = "auth_failure_pause_ms", deserialize_with = "lenient::millis")]
    pub auth_failure_pause: Duration,
    /// Recipients of one message (SMTP, LMTP).
    #[serde(deserialize_with = "lenient::number")]
    pub max_recipients: usize,
    /// How long an SMTP, LMTP or POP3 connection may stay silent before it is closed; also
    /// the longest one command line (or one message) may take to arrive whole, however it
    /// trickles.
    #[serde(rename = "idle_timeout_secs", deserialize_with = "lenient::seconds")]
    pub idle_timeout: Duration,
    /// How long a connection may take from its start to a successful sign-in (IMAP, POP3,
    /// SMTP submission), whatever it sends meanwhile.
    #[serde(rename = "login_timeout_secs", deserialize_with = "lenient::seconds")]
    pub login_timeout: Duration,
    /// How long a signed-in IMAP session may go without a command (RFC 3501: at least 30
    /// minutes).
    #[serde(rename = "imap_autologout_secs", deserialize_with = "lenient::seconds")]
    pub imap_autologout: Duration,
    /// Source addresses and logins the sign-in throttle remembers at most.
    #[serde(deserialize_with = "lenient::number")]
    pub auth_throttle_entries: usize,
    /// Devices one address may have (disconnected ones aside).
    #[serde(deserialize_with = "lenient::number")]
    pub devices_per_address: usize,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_message_bytes: 50 * 1024 * 1024,
            max_connections: 20_000,
            max_connections_per_ip: 2_000,
            auth_free_failures: 5,
            auth_failure_pause: Duration::from_millis(300),
            max_recipients: 100,
            idle_timeout: Duration::from_secs(600),
            login_timeout: Duration::from_secs(60),
            imap_autologout: Duration::from_secs(30 * 60),
            auth_throttle_entries: 100_000,
            devices_per_address: 100,
        }
    }
}

/// How long records of what devices did are kept.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSection {
    /// Days sign-in history and the activity log are kept (deleted daily after that).
    #[serde(deserialize_with = "lenient::number")]
    pub days: u32,
}

impl Default for RetentionSection {
    fn default() -> Self {
        RetentionSection { days: 365 }
    }
}

/// Messages the server sends an address about its devices.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsSection {
    /// Sign-in alerts for every address that has not turned them off; false: for none.
    #[serde(deserialize_with = "lenient::boolean")]
    pub sign_in: bool,
}

impl Default for AlertsSection {
    fn default() -> Self {
        AlertsSection { sign_in: true }
    }
}
