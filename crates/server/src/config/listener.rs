//! The listeners of the configuration, by name.

use std::fmt;

/// A configured listener. Ordered as their keys sort, which is how the banner lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Listener {
    Imap,
    ImapTls,
    Lmtp,
    Pop3,
    Pop3Tls,
    Smtp,
    SmtpTls,
    Web,
}

impl Listener {
    /// Every listener.
    pub const ALL: [Listener; 8] = [
        Listener::Imap,
        Listener::ImapTls,
        Listener::Lmtp,
        Listener::Pop3,
        Listener::Pop3Tls,
        Listener::Smtp,
        Listener::SmtpTls,
        Listener::Web,
    ];

    /// Its configuration key.
    pub fn key(self) -> &'static str {
        match self {
            Listener::Imap => "imap.listen",
            Listener::ImapTls => "imap.listen_tls",
            Listener::Lmtp => "lmtp.listen",
            Listener::Pop3 => "pop3.listen",
            Listener::Pop3Tls => "pop3.listen_tls",
            Listener::Smtp => "smtp.listen",
            Listener::SmtpTls => "smtp.listen_tls",
            Listener::Web => "web.listen",
        }
    }

    /// Whether it speaks TLS from the first byte (the others offer STARTTLS, or none).
    pub fn implicit_tls(self) -> bool {
        matches!(
            self,
            Listener::ImapTls | Listener::Pop3Tls | Listener::SmtpTls
        )
    }
}

impl fmt::Display for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.key())
    }
}
