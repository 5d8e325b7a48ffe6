//! Exact replies of the session state machine, driven without any I/O.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use postern_domain::Email;

use super::*;

/// Answers the session's events the way the server would, from fixed data.
struct World {
    delivered: Vec<Transaction>,
    outcome: Option<DeliveryOutcome>,
}

impl World {
    fn new() -> Self {
        World {
            delivered: Vec::new(),
            outcome: None,
        }
    }

    /// Feeds `input` in chunks of `chunk` bytes; returns the output and whether it closed.
    fn drive(&mut self, s: &mut Session, input: &[u8], chunk: usize) -> (String, bool) {
        let mut closed = false;
        for piece in input.chunks(chunk.max(1)) {
            let mut rest = piece;
            loop {
                match s.feed(&mut rest) {
                    Event::NeedInput => break,
                    Event::Request(Request::Authenticate { login, password }) => {
                        let ok = login == "me@example.org" && password.as_str() == "pw";
                        s.authenticated(if ok {
                            AuthOutcome::SignedIn(Email::parse(&login).unwrap())
                        } else {
                            AuthOutcome::Failed
                        });
                    }
                    Event::Request(Request::CheckRecipient(email)) => {
                        s.recipient_checked(if email.domain() == "example.org" {
                            Verdict::Hosted
                        } else {
                            Verdict::NotHosted
                        });
                    }
                    Event::Request(Request::Deliver(t)) => {
                        let outcome = self.outcome.clone().unwrap_or(DeliveryOutcome::Stored);
                        let n = t.recipients.len();
                        self.delivered.push(t);
                        s.delivered(&vec![outcome; n]);
                    }
                    Event::StartTls | Event::Close => {
                        closed = true;
                        break;
                    }
                }
            }
            if closed {
                break;
            }
        }
        (String::from_utf8(s.take_output()).unwrap(), closed)
    }
}

fn settings(relay: bool) -> Arc<Settings> {
    Arc::new(Settings {
        hostname: "mx.example.org".into(),
        max_message_bytes: 1000,
        max_recipients: 3,
        max_line_bytes: 200,
        relay,
        ..Settings::default()
    })
}

fn submission(loopback: bool) -> Session {
    Session::new(settings(false), Mode::Submission, false, true, loopback)
}

fn plain(user: &str, pass: &str) -> String {
    BASE64.encode(format!("\0{user}\0{pass}"))
}

fn lines(out: &str) -> Vec<&str> {
    out.split("\r\n").filter(|l| !l.is_empty()).collect()
}

#[test]
fn ehlo_offers_auth_only_where_passwords_may_cross() {
    let mut w = World::new();
    let mut s = submission(false);
    let (out, _) = w.drive(&mut s, b"EHLO laptop\r\n", 1000);
    assert_eq!(
        lines(&out),
        vec![
            "250-mx.example.org Hello laptop",
            "250-PIPELINING",
            "250-SIZE 1000",
            "250-8BITMIME",
            "250-ENHANCEDSTATUSCODES",
            "250 STARTTLS",
        ]
    );
    let auth = format!("AUTH PLAIN {}\r\n", plain("me@example.org", "pw"));
    let (out, _) = w.drive(&mut s, auth.as_bytes(), 1000);
    assert!(out.starts_with("538 5.7.11"), "{out}");

    let mut s = submission(true);
    let (out, _) = w.drive(&mut s, b"EHLO laptop\r\n", 1000);
    assert!(
        out.contains("250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"),
        "{out}"
    );
    let mut tls = Session::new(settings(false), Mode::Submission, true, true, false);
    let (out, _) = w.drive(&mut tls, b"EHLO laptop\r\n", 1000);
    assert!(out.ends_with("250 AUTH PLAIN LOGIN\r\n"), "{out}");
    assert!(!out.contains("STARTTLS"), "{out}");
}

#[test]
fn pipelined_submission_in_any_chunking() {
    let input = format!(
        "EHLO laptop\r\nAUTH PLAIN {}\r\nMAIL FROM:<me@example.org> SIZE=20\r\n\
         RCPT TO:<bob@example.org>\r\nDATA\r\n..leading dot\r\nbare\nlf\r\n.\r\nQUIT\r\n",
        plain("me@example.org", "pw")
    );
    for chunk in [1, 2, 3, 7, 64, 4096] {
        let mut w = World::new();
        let mut s = submission(true);
        let (out, closed) = w.drive(&mut s, input.as_bytes(), chunk);
        let got = lines(&out);
        assert_eq!(
            &got[got.len() - 6..],
            &[
                "235 2.7.0 Authentication successful",
                "250 2.1.0 Sender <me@example.org> OK",
                "250 2.1.5 Recipient <bob@example.org> OK",
                "354 Start mail input; end with <CRLF>.<CRLF>",
                "250 2.0.0 Message accepted",
                "221 2.0.0 Bye",
            ],
            "chunk {chunk}"
        );
        assert!(closed);
        assert_eq!(w.delivered.len(), 1);
        let t = &w.delivered[0];
        assert_eq!(t.message, b".leading dot\r\nbare\r\nlf\r\n");
        assert_eq!(t.sender, "me@example.org");
        assert_eq!(t.hello, "laptop");
        assert_eq!(t.recipients[0].route, Route::Hosted);
    }
}

#[test]
fn auth_login_and_plain_without_initial_response() {
    let mut w = World::new();
    let mut s = submission(true);
    let user = BASE64.encode("me@example.org");
    let bad = BASE64.encode("nope");
    let input = format!("EHLO x\r\nAUTH LOGIN\r\n{user}\r\n{bad}\r\nAUTH LOGIN {user}\r\n*\r\n");
    let (out, _) = w.drive(&mut s, input.as_bytes(), 5);
    assert_eq!(
        lines(&out)[7..],
        [
            "334 VXNlcm5hbWU6",
            "334 UGFzc3dvcmQ6",
            "535 5.7.8 Authentication credentials invalid",
            "334 UGFzc3dvcmQ6",
            "501 5.7.0 Authentication cancelled",
        ]
    );
    let input = format!(
        "AUTH PLAIN\r\n{}\r\nAUTH PLAIN\r\n",
        plain("me@example.org", "pw")
    );
    let (out, _) = w.drive(&mut s, input.as_bytes(), 5);
    assert_eq!(
        lines(&out),
        vec![
            "334 ",
            "235 2.7.0 Authentication successful",
            "503 5.5.1 Already signed in"
        ]
    );
}

#[test]
fn repeated_failed_sign_ins_close_the_connection() {
    let mut w = World::new();
    let mut s = submission(true);
    let bad = format!("AUTH PLAIN {}\r\n", plain("me@example.org", "wrong"));
    let input = format!("EHLO x\r\n{bad}{bad}{bad}NOOP\r\n");
    let (out, closed) = w.drive(&mut s, input.as_bytes(), 4096);
    assert!(closed);
    assert!(out.ends_with("421 4.7.0 Too many failed sign-ins; closing the connection\r\n"));
    assert!(!out.contains("250 2.0.0 OK"));
}

#[test]
fn the_sender_must_be_the_signed_in_address() {
    let mut w = World::new();
    let mut s = submission(true);
    let input = format!(
        "EHLO x\r\nMAIL FROM:<me@example.org>\r\nAUTH PLAIN {}\r\nMAIL FROM:<boss@example.org>\r\n\
         MAIL FROM:<>\r\nMAIL FROM:<ME@Example.ORG>\r\n",
        plain("me@example.org", "pw")
    );
    let (out, _) = w.drive(&mut s, input.as_bytes(), 4096);
    let got = lines(&out);
    assert_eq!(got[7], "530 5.7.0 Authentication required");
    assert_eq!(
        got[9],
        "553 5.7.1 Sender address <boss@example.org> is not yours: send as <me@example.org>"
    );
    assert_eq!(
        got[10],
        "553 5.7.1 Sender address <> is not yours: send as <me@example.org>"
    );
    assert_eq!(got[11], "250 2.1.0 Sender <ME@Example.ORG> OK");
}

#[test]
fn the_from_header_must_name_the_signed_in_address() {
    let (mut w, mut s) = signed_in(false);
    let input = "RCPT TO:<you@example.org>\r\nDATA\r\n\
                 From: Boss <boss@example.org>\r\n\r\nHi\r\n.\r\n\
                 MAIL FROM:<me@example.org>\r\nRCPT TO:<you@example.org>\r\nDATA\r\n\
                 From: Me <ME@example.org>\r\n\r\nHi\r\n.\r\n";
    let (out, _) = w.drive(&mut s, input.as_bytes(), 7);
    let got = lines(&out);
    assert_eq!(
        got[2],
        "550 5.7.1 The From: header names <boss@example.org>, which is not yours: \
         send as <me@example.org>"
    );
    assert_eq!(got[6], "250 2.0.0 Message accepted");
    assert_eq!(w.delivered.len(), 1, "only the rightful message");
}

fn signed_in(relay: bool) -> (World, Session) {
    let mut w = World::new();
    let mut s = Session::new(settings(relay), Mode::Submission, true, true, false);
    let input = format!(
        "EHLO x\r\nAUTH PLAIN {}\r\nMAIL FROM:<me@example.org>\r\n",
        plain("me@example.org", "pw")
    );
    w.drive(&mut s, input.as_bytes(), 4096);
    (w, s)
}

#[test]
fn other_domains_need_a_smarthost_and_recipients_are_limited() {
    let (mut w, mut s) = signed_in(false);
    let (out, _) = w.drive(&mut s, b"RCPT TO:<x@far.test>\r\nRCPT TO:<>\r\n", 4096);
    assert_eq!(
        lines(&out),
        vec![
            "550 5.7.1 <x@far.test>: this server does not send mail to other domains \
             (no smarthost is configured)",
            "501 5.1.3 The recipient address is empty",
        ]
    );
    let (mut w, mut s) = signed_in(true);
    let input = b"RCPT TO:<x@far.test>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<a@example.org>\r\n\
        RCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\nhi\r\n.\r\n";
    let (out, _) = w.drive(&mut s, input, 4096);
    let got = lines(&out);
    assert_eq!(
        got[4],
        "452 4.5.3 Too many recipients: at most 3 per message"
    );
    let routes: Vec<Route> = w.delivered[0].recipients.iter().map(|r| r.route).collect();
    assert_eq!(routes, vec![Route::Remote, Route::Hosted, Route::Hosted]);
}

#[test]
fn an_oversized_message_is_refused_after_its_end_and_nothing_is_delivered() {
    let (mut w, mut s) = signed_in(false);
    let mut input = b"RSET\r\nMAIL FROM:<me@example.org> SIZE=5000\r\nRCPT TO:<b@example.org>\r\n\
        MAIL FROM:<me@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
        .to_vec();
    for _ in 0..100 {
        input.extend_from_slice(b"0123456789012345678901234567890123456789\r\n");
    }
    input.extend_from_slice(b".\r\nNOOP\r\n");
    let (out, _) = w.drive(&mut s, &input, 100);
    assert_eq!(
        lines(&out),
        vec![
            "250 2.0.0 OK",
            "552 5.3.4 Message too big: the limit is 1000 bytes",
            "503 5.5.1 Send MAIL FROM first",
            "250 2.1.0 Sender <me@example.org> OK",
            "250 2.1.5 Recipient <b@example.org> OK",
            "354 Start mail input; end with <CRLF>.<CRLF>",
            "552 5.3.4 Message too big: the limit is 1000 bytes",
            "250 2.0.0 OK",
        ]
    );
    assert!(w.delivered.is_empty());
}

#[test]
fn overlong_lines_and_garbage_get_clear_errors_until_too_many() {
    let mut w = World::new();
    let mut s = submission(true);
    let mut input = vec![b'A'; 500];
    input.extend_from_slice(b"\r\nNOOP\r\nFOO\r\nRCPT TO:<a@b.c>\r\nDATA\r\n");
    let (out, closed) = w.drive(&mut s, &input, 64);
    assert_eq!(
        lines(&out),
        vec![
            "500 5.5.2 Line too long",
            "250 2.0.0 OK",
            "500 5.5.1 Unknown command",
            "503 5.5.1 Send MAIL FROM first",
            "503 5.5.1 Send MAIL FROM first",
        ]
    );
    assert!(!closed);
    let (out, closed) = w.drive(&mut s, &b"FOO\r\n".repeat(30), 4096);
    assert!(closed);
    assert!(out.ends_with("421 4.7.0 Too many errors; closing the connection\r\n"));
}

#[test]
fn starttls_ends_the_session() {
    let mut w = World::new();
    let mut s = submission(false);
    let (out, closed) = w.drive(&mut s, b"EHLO x\r\nSTARTTLS\r\n", 4096);
    assert!(out.ends_with("220 2.0.0 Ready to start TLS\r\n"));
    assert!(closed);
    assert!(s.is_closed());
}

#[test]
fn lmtp_replies_once_per_recipient() {
    let mut w = World::new();
    let mut s = Session::new(settings(false), Mode::Lmtp, false, true, false);
    assert_eq!(s.greeting(), b"220 mx.example.org LMTP Postern ready\r\n");
    let input = b"EHLO mta\r\nLHLO mta\r\nAUTH PLAIN AA==\r\nMAIL FROM:<>\r\n\
        RCPT TO:<a@example.org>\r\nRCPT TO:<x@far.test>\r\nRCPT TO:<b@example.org>\r\n\
        DATA\r\nSubject: hi\r\n\r\nbody\r\n.\r\n";
    let (out, _) = w.drive(&mut s, input, 4096);
    let got = lines(&out);
    assert_eq!(got[0], "500 5.5.1 This is LMTP: say LHLO");
    assert!(!out.contains("STARTTLS") && !out.contains("AUTH PLAIN LOGIN"));
    assert_eq!(
        &got[got.len() - 7..],
        &[
            "250 2.1.0 Sender <> OK",
            "250 2.1.5 Recipient <a@example.org> OK",
            "550 5.1.1 <x@far.test>: no such mailbox here",
            "250 2.1.5 Recipient <b@example.org> OK",
            "354 Start mail input; end with <CRLF>.<CRLF>",
            "250 2.0.0 <a@example.org> delivered",
            "250 2.0.0 <b@example.org> delivered",
        ]
    );
    w.outcome = Some(DeliveryOutcome::TryLater("disk full".into()));
    let input = b"MAIL FROM:<a@far.test>\r\nRCPT TO:<a@example.org>\r\nDATA\r\nx\r\n.\r\n";
    let (out, _) = w.drive(&mut s, input, 4096);
    assert!(out.ends_with("451 4.3.0 <a@example.org> disk full; try again later\r\n"));
}
