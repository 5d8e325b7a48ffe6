//! The trace headers a message gets on its way in (RFC 5321 section 4.4, RFC 3848).

use std::net::IpAddr;

use postern_domain::Email;
use time::OffsetDateTime;

use crate::settings::Mode;

/// Where a message came from, for its `Received` header.
pub struct Trace<'a> {
    pub mode: Mode,
    /// The name the client gave in its greeting.
    pub hello: &'a str,
    pub ip: IpAddr,
    pub tls: bool,
    pub authenticated: bool,
    /// Our own name.
    pub hostname: &'a str,
    pub at: OffsetDateTime,
}

impl Trace<'_> {
    /// The RFC 3848 name of the way the message arrived.
    pub fn protocol(&self) -> &'static str {
        match (self.mode, self.tls, self.authenticated) {
            (Mode::Submission, false, false) => "ESMTP",
            (Mode::Submission, false, true) => "ESMTPA",
            (Mode::Submission, true, false) => "ESMTPS",
            (Mode::Submission, true, true) => "ESMTPSA",
            (Mode::Lmtp, false, _) => "LMTP",
            (Mode::Lmtp, true, _) => "LMTPS",
        }
    }

    /// A `Received` header (folded, with its CRLF); `recipient` is named when the copy is
    /// for one recipient only.
    pub fn received(&self, recipient: Option<&Email>) -> String {
        let hello: String = self
            .hello
            .chars()
            .filter(|c| c.is_ascii_graphic() && !"()\\".contains(*c))
            .take(64)
            .collect();
        let hello = if hello.is_empty() {
            "unknown".to_owned()
        } else {
            hello
        };
        let date = self
            .at
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default();
        let for_part = recipient
            .map(|r| format!("\r\n\tfor <{r}>"))
            .unwrap_or_default();
        format!(
            "Received: from {hello} ([{}])\r\n\tby {} (Postern) with {}{for_part};\r\n\t{date}\r\n",
            self.ip,
            self.hostname,
            self.protocol()
        )
    }
}

pub use postern_domain::submit::return_path;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_the_client_and_the_way_in() {
        let trace = Trace {
            mode: Mode::Submission,
            hello: "laptop (evil)\r\nX-Injected: 1",
            ip: "127.0.0.1".parse().unwrap(),
            tls: true,
            authenticated: true,
            hostname: "mail.example.org",
            at: OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
        };
        let rcpt = Email::parse("bob@example.org").unwrap();
        let h = trace.received(Some(&rcpt));
        assert_eq!(
            h,
            "Received: from laptopevilX-Injected:1 ([127.0.0.1])\r\n\tby mail.example.org \
             (Postern) with ESMTPSA\r\n\tfor <bob@example.org>;\r\n\tTue, 14 Nov 2023 22:13:20 +0000\r\n"
        );
        assert_eq!(return_path(""), "Return-Path: <>\r\n");
    }
}
