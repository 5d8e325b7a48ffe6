//! One log line for every failed or throttled sign-in on every protocol, every successful web
//! sign-in and every account password change, in one stable format that fail2ban can match
//! (see `docs/fail2ban.md`):
//!
//! ```text
//! sign-in failed protocol=imap ip=192.0.2.7 login="ann@example.com" reason=wrong-password
//! sign-in failed protocol=web ip=192.0.2.7 login="ann@example.com" reason=throttled
//! sign-in succeeded protocol=web ip=192.0.2.7 login="ann@example.com"
//! password changed protocol=web ip=192.0.2.7 login="ann@example.com"
//! ```
//!
//! Every line is written here and nowhere else, under the target [`TARGET`]. The login is the
//! one typed, cut to [`LOGIN_CHARS`] characters, with quotes, backslashes and control
//! characters escaped, so that a login cannot end its field or forge a line of its own. The
//! address comes before the login, so a filter that reads the first `ip=` reads the real one.
//! A password never reaches this module.

use std::net::IpAddr;

use crate::protocol::Protocol;

/// The `tracing` target of every line, for filters (`RUST_LOG=postern::auth=warn`).
pub const TARGET: &str = "postern::auth";

/// Characters of the typed login a line keeps.
pub const LOGIN_CHARS: usize = 64;

/// Where a sign-in was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The web app's sign-in form.
    Web,
    /// `POST /api/v1/login`.
    Api,
    /// The web app's re-authentication form.
    WebReauth,
    /// `POST /api/v1/reauth`.
    ApiReauth,
    /// The current password typed to change the account password.
    PasswordChange,
    /// A device password over IMAP.
    Imap,
    /// A device password over SMTP submission.
    Smtp,
    /// A device password over POP3.
    Pop3,
    /// A device password typed to link an address to another account's webmail.
    Link,
}

impl Via {
    /// The `protocol=` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Web => "web",
            Via::Api => "api",
            Via::WebReauth => "web-reauth",
            Via::ApiReauth => "api-reauth",
            Via::PasswordChange => "password-change",
            Via::Imap => "imap",
            Via::Smtp => "smtp",
            Via::Pop3 => "pop3",
            Via::Link => "link",
        }
    }

    /// Whether a success here is a sign-in to the web app worth a line of its own.
    fn opens_a_session(self) -> bool {
        matches!(self, Via::Web | Via::Api)
    }
}

impl From<Protocol> for Via {
    fn from(protocol: Protocol) -> Self {
        match protocol {
            Protocol::Imap => Via::Imap,
            Protocol::Smtp => Via::Smtp,
            Protocol::Pop3 => Via::Pop3,
            // A device password for the Web app Mail is only ever typed to link an address.
            Protocol::Webmail => Via::Link,
        }
    }
}

/// Why a sign-in failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The password was checked and refused (an unknown login, a wrong or revoked password,
    /// a protocol the device may not use: all the same, as the client is told).
    WrongPassword,
    /// The password was right, the code of two-step verification was not (or was used).
    WrongCode,
    /// The source must wait: the password was not looked at.
    Throttled,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::WrongPassword => "wrong-password",
            Reason::WrongCode => "wrong-code",
            Reason::Throttled => "throttled",
        }
    }
}

/// Logs a failed or throttled sign-in, at WARN.
pub fn failed(via: Via, ip: IpAddr, login: &str, reason: Reason) {
    let line = format!("sign-in failed {}", fields(via, ip, login, Some(reason)));
    // No parent span: a span's fields (which a client may partly choose) would otherwise be
    // written before the line's own and could feed a filter a forged address.
    tracing::warn!(target: TARGET, parent: None, "{line}");
}

/// Logs a successful sign-in, at INFO, when it opens a web session.
pub fn succeeded(via: Via, ip: IpAddr, login: &str) {
    if via.opens_a_session() {
        let line = format!("sign-in succeeded {}", fields(via, ip, login, None));
        tracing::info!(target: TARGET, parent: None, "{line}");
    }
}

/// Logs an account password change, at INFO.
pub fn password_changed(ip: IpAddr, login: &str) {
    let line = format!(
        "password changed {}",
        fields(Via::PasswordChange, ip, login, None)
    );
    tracing::info!(target: TARGET, parent: None, "{line}");
}

fn fields(via: Via, ip: IpAddr, login: &str, reason: Option<Reason>) -> String {
    let mut text = format!(
        "protocol={} ip={} login=\"{}\"",
        via.as_str(),
        ip.to_canonical(),
        sanitised(login)
    );
    if let Some(reason) = reason {
        text.push_str(" reason=");
        text.push_str(reason.as_str());
    }
    text
}

/// The login as typed, cut to [`LOGIN_CHARS`] characters, every quote, backslash, control or
/// unprintable character escaped the way Rust writes it (`\n`, `\"`, `\u{202e}`).
fn sanitised(login: &str) -> String {
    login
        .chars()
        .take(LOGIN_CHARS)
        .flat_map(char::escape_debug)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_format_for_every_protocol() {
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(
            fields(
                Via::Imap,
                ip,
                "ann@example.com",
                Some(Reason::WrongPassword)
            ),
            "protocol=imap ip=192.0.2.7 login=\"ann@example.com\" reason=wrong-password"
        );
        assert_eq!(
            fields(
                Via::from(Protocol::Webmail),
                ip,
                "a",
                Some(Reason::Throttled)
            ),
            "protocol=link ip=192.0.2.7 login=\"a\" reason=throttled"
        );
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(
            fields(Via::Web, mapped, "a", None),
            "protocol=web ip=192.0.2.7 login=\"a\""
        );
    }

    #[test]
    fn a_login_cannot_forge_a_line_or_a_field() {
        let forged = "x\" reason=throttled\n2026-01-01T00:00:00Z WARN postern::auth: sign-in \
                      failed protocol=imap ip=203.0.113.9 login=\"y";
        let line = fields(Via::Imap, "192.0.2.7".parse().unwrap(), forged, None);
        assert!(!line.chars().any(char::is_control), "{line}");
        assert!(line.starts_with("protocol=imap ip=192.0.2.7 login=\"x\\\" reason"));
        // The login's text ends at the first unescaped quote: the line's last character.
        let login = &line["protocol=imap ip=192.0.2.7 login=\"".len()..];
        let unescaped = login
            .char_indices()
            .filter(|&(i, c)| c == '"' && !login[..i].ends_with('\\'))
            .count();
        assert_eq!(unescaped, 1, "{line}");
        assert!(line.ends_with('"'));
        for sneaky in ["\u{202e}", "\r", "\u{1b}[2J", "\u{2028}", "\\"] {
            let line = fields(Via::Web, "192.0.2.7".parse().unwrap(), sneaky, None);
            assert!(!line.chars().any(char::is_control), "{line:?}");
            assert!(!line.contains('\u{202e}') && !line.contains('\u{2028}'));
        }
    }

    #[test]
    fn a_long_login_is_cut() {
        let long = "é".repeat(200);
        let line = fields(Via::Smtp, "192.0.2.7".parse().unwrap(), &long, None);
        assert_eq!(line.matches('é').count(), LOGIN_CHARS);
    }
}
