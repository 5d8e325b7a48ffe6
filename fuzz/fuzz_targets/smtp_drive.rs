//! Drives an SMTP or LMTP session with arbitrary bytes and a fixed, fake world, and checks
//! that every reply line is a well-formed SMTP reply.

use std::sync::Arc;

use postern_domain::Email;
use postern_smtp::session::{
    AuthOutcome, DeliveryOutcome, Event, LineSession, Request, Session, Verdict,
};
use postern_smtp::{Mode, Settings};

pub fn run(mode: Mode, data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let settings = Arc::new(Settings {
        hostname: "fuzz.example".into(),
        max_message_bytes: 4096,
        max_recipients: 5,
        max_line_bytes: 256,
        relay: flags & 1 != 0,
        ..Settings::default()
    });
    let tls = flags & 2 != 0;
    let loopback = flags & 4 != 0;
    // Chunk sizes from 1 to 64 bytes, so that every split of lines and data is tried.
    let chunk = usize::from(flags >> 2).max(1);
    let mut session = Session::new(settings, mode, tls, true, loopback);
    let mut out = session.greeting();
    let mut failures = 0u32;
    'feed: for piece in rest.chunks(chunk) {
        let mut input = piece;
        loop {
            match session.feed(&mut input) {
                Event::NeedInput => break,
                Event::Request(Request::Authenticate { login, password }) => {
                    failures += 1;
                    let outcome = if password.as_str() == "pw" && login.contains('@') {
                        match Email::parse(&login) {
                            Ok(e) => AuthOutcome::SignedIn(e),
                            Err(_) => AuthOutcome::Failed,
                        }
                    } else if failures.is_multiple_of(3) {
                        AuthOutcome::Throttled
                    } else if failures.is_multiple_of(5) {
                        AuthOutcome::Unavailable
                    } else {
                        AuthOutcome::Failed
                    };
                    session.authenticated(outcome);
                }
                Event::Request(Request::CheckRecipient(email)) => {
                    let verdict = match email.domain() {
                        "example.org" => Verdict::Hosted,
                        "down.test" => Verdict::Unavailable,
                        _ => Verdict::NotHosted,
                    };
                    session.recipient_checked(verdict);
                }
                Event::Request(Request::Deliver(t)) => {
                    assert!(!t.recipients.is_empty());
                    // Bare LFs become CRLF after the size check, so at most twice the limit.
                    assert!(t.message.len() <= 2 * 4096);
                    let outcomes: Vec<DeliveryOutcome> = t
                        .recipients
                        .iter()
                        .enumerate()
                        .map(|(i, _)| match (t.message.len() + i) % 3 {
                            0 => DeliveryOutcome::Stored,
                            1 => DeliveryOutcome::TryLater("busy".into()),
                            _ => DeliveryOutcome::Refused("no".into()),
                        })
                        .collect();
                    session.delivered(&outcomes);
                }
                Event::StartTls | Event::Close => {
                    out.extend(session.take_output());
                    break 'feed;
                }
            }
            out.extend(session.take_output());
        }
        out.extend(session.take_output());
    }
    check_replies(&out);
}

fn check_replies(out: &[u8]) {
    assert!(out.is_empty() || out.ends_with(b"\r\n"));
    for line in out.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        assert!(line.ends_with(b"\r"), "a reply line without CRLF");
        assert!(line.len() <= 1000, "a reply line too long for SMTP");
        let code_ok = line.len() >= 4
            && line[..3].iter().all(u8::is_ascii_digit)
            && (line[3] == b' ' || line[3] == b'-');
        assert!(
            code_ok,
            "not an SMTP reply: {:?}",
            String::from_utf8_lossy(line)
        );
    }
}
