//! What an SMTP or LMTP session is told by the configuration.

use std::time::Duration;

/// Which protocol a listener speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Message submission (RFC 6409) by signed-in devices.
    Submission,
    /// Local delivery from a trusted MTA (RFC 2033); no sign-in.
    Lmtp,
}

/// Limits and names shared by every session of a listener.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The name in greetings and `Received` headers.
    pub hostname: String,
    /// Largest message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Recipients per message.
    pub max_recipients: usize,
    /// Longest command line, in bytes.
    pub max_line_bytes: usize,
    /// Commands that fail before the connection is closed.
    pub max_errors: u32,
    /// Failed sign-ins before the connection is closed.
    pub max_auth_failures: u32,
    /// Closes a connection that sends nothing for this long, or that takes longer to send one
    /// command (or a message, unless it keeps coming in bulk).
    pub idle_timeout: Duration,
    /// Closes a submission connection that has not signed in this long after connecting.
    pub login_timeout: Duration,
    /// Whether mail for other domains can go to a smarthost.
    pub relay: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            hostname: "localhost".into(),
            max_message_bytes: 50 * 1024 * 1024,
            max_recipients: 100,
            max_line_bytes: 2048,
            max_errors: 20,
            max_auth_failures: 3,
            idle_timeout: Duration::from_secs(600),
            login_timeout: Duration::from_secs(60),
            relay: false,
        }
    }
}
