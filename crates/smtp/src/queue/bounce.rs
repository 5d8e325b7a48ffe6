//! The delivery status notification (RFC 3464) a sender gets when mail could not be relayed.

use postern_domain::Email;
use time::OffsetDateTime;

/// A recipient that was given up, with the smarthost's last word.
pub struct Failure<'a> {
    pub recipient: &'a str,
    pub diagnostic: &'a str,
}

/// Builds the bounce for `sender`, quoting the headers of the original message.
pub fn bounce(
    hostname: &str,
    sender: &Email,
    failures: &[Failure<'_>],
    original: &[u8],
    queued_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Vec<u8> {
    let id = uuid::Uuid::now_v7().simple().to_string();
    let boundary = format!("=_postern_{id}");
    let date = |t: OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default()
    };
    let mut text = String::new();
    text.push_str(&format!(
        "Return-Path: <>\r\n\
         From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\n\
         To: <{sender}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Date: {}\r\n\
         Message-ID: <{id}@{hostname}>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\
         \tboundary=\"{boundary}\"\r\n\
         \r\n\
         This is a MIME-encapsulated message.\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Your message could not be delivered to the following recipients:\r\n\
         \r\n",
        date(now)
    ));
    for f in failures {
        text.push_str(&format!(
            "  <{}>\r\n    {}\r\n",
            one_line(f.recipient),
            one_line(f.diagnostic)
        ));
    }
    text.push_str(&format!(
        "\r\nThe headers of your message follow.\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; {hostname}\r\n\
         Arrival-Date: {}\r\n",
        date(queued_at)
    ));
    for f in failures {
        let diagnostic = one_line(f.diagnostic);
        text.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\n\
             Action: failed\r\n\
             Status: {}\r\n\
             Diagnostic-Code: smtp; {diagnostic}\r\n\
             Last-Attempt-Date: {}\r\n",
            one_line(f.recipient),
            status_of(&diagnostic),
            date(now)
        ));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    ));
    let mut out = text.into_bytes();
    out.extend_from_slice(headers_of(original));
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// The enhanced status code in a reply such as `550 5.1.1 …`; a generic one otherwise.
fn status_of(diagnostic: &str) -> String {
    diagnostic
        .split_whitespace()
        .nth(1)
        .filter(|c| {
            let parts: Vec<&str> = c.split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|ch| ch.is_ascii_digit()))
                && (parts[0] == "4" || parts[0] == "5")
        })
        // A temporary failure that was given up is reported as permanent.
        .map(|c| format!("5{}", &c[1..]))
        .unwrap_or_else(|| "5.0.0".to_owned())
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(900)
        .collect()
}

/// The header section of a message (up to the first empty line).
fn headers_of(message: &[u8]) -> &[u8] {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .unwrap_or(message.len());
    &message[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_names_each_failed_recipient() {
        let sender = Email::parse("me@example.org").unwrap();
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        let out = bounce(
            "mail.example.org",
            &sender,
            &[
                Failure {
                    recipient: "a@far.test",
                    diagnostic: "550 5.1.1 no such user",
                },
                Failure {
                    recipient: "b@far.test",
                    diagnostic: "451 4.3.0 later",
                },
            ],
            b"Subject: hello\r\nFrom: me@example.org\r\n\r\nsecret body\r\n",
            now,
            now,
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("To: <me@example.org>\r\n"));
        assert!(text.contains(
            "Final-Recipient: rfc822; a@far.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        ));
        assert!(text.contains(
            "Final-Recipient: rfc822; b@far.test\r\nAction: failed\r\nStatus: 5.3.0\r\n"
        ));
        assert!(text.contains("Diagnostic-Code: smtp; 550 5.1.1 no such user\r\n"));
        assert!(text.contains("Subject: hello\r\nFrom: me@example.org\r\n"));
        assert!(!text.contains("secret body"));
        assert_eq!(status_of("connection refused"), "5.0.0");
    }
}
