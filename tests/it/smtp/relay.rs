//! Mail for other domains: queued durably, relayed to the smarthost, retried after a
//! temporary refusal, bounced to the sender after a permanent one or too many tries.

use std::time::{Duration, Instant};

use postern_testkit::{Need, requires};

use super::sink::Sink;
use super::{args, inbox, printed, python, server_with, wait_for_inbox};
use postern_testkit::Listener;

const SEND: &str = r#"
import smtplib, sys
port, password, subject = sys.argv[1:4]
rcpts = sys.argv[4:]
s = smtplib.SMTP("127.0.0.1", int(port))
s.login("alice@example.org", password)
body = "From: alice@example.org\r\nSubject: " + subject + "\r\n\r\n.dotted line\r\nbody\r\n"
refused = s.sendmail("alice@example.org", rcpts, body)
s.quit()
print("REFUSED", sorted(refused))
"#;

pub(super) async fn send(
    server: &postern_testkit::TestServer,
    pw: &str,
    subject: &str,
    rcpts: &[&str],
) {
    let mut a = args(&[&server.addr(Listener::Smtp).port().to_string(), pw, subject]);
    a.extend(args(rcpts));
    let out = python(SEND, a).await;
    assert!(out.status.success(), "{}", printed(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "REFUSED []");
}

/// Waits until `check` holds, for at most `secs` seconds.
pub(super) async fn eventually(secs: u64, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check()
}

pub(super) async fn queue_is_empty(server: &postern_testkit::TestServer) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = server.core().store().queued_recipients().await.unwrap();
        if left.is_empty() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn relays_retries_after_a_temporary_refusal_and_delivers_hosted_copies() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let sink = Sink::start().await;
    let smarthost = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(smarthost);
        c.smtp.retry_schedule = "300ms 300ms".parse().unwrap();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    sink.script("later@far.test", &["451 4.3.0 Greylisted, try again"]);
    send(
        &server,
        &pw,
        "to the world",
        &["now@far.test", "later@far.test", "bob@example.org"],
    )
    .await;

    // The hosted recipient has it at once; the others through the smarthost.
    assert_eq!(inbox(&server, "bob@example.org").await.len(), 1);
    assert!(eventually(10, || sink.accepted().len() == 2).await);
    let accepted = sink.accepted();
    assert_eq!(accepted[0].recipients, vec!["now@far.test"]);
    assert_eq!(accepted[1].recipients, vec!["later@far.test"]);
    assert_eq!(sink.attempts("later@far.test"), 2);
    assert_eq!(sink.attempts("now@far.test"), 1);
    for a in &accepted {
        assert_eq!(a.from, "alice@example.org");
        assert!(a.data.starts_with("Received: from "), "{}", a.data);
        assert!(a.data.contains("Subject: to the world\r\n"));
        assert!(
            a.data.contains("\r\n.dotted line\r\nbody\r\n"),
            "{}",
            a.data
        );
        // Bcc privacy: the relayed copy names no recipient in its trace header.
        assert!(!a.data.contains("for <"), "{}", a.data);
    }
    assert!(queue_is_empty(&server).await);
    // No bounce for a message that was delivered in the end.
    assert!(inbox(&server, "alice@example.org").await.is_empty());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_permanent_refusal_and_too_many_retries_bounce_to_the_sender() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let sink = Sink::start().await;
    let smarthost = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(smarthost);
        c.smtp.retry_schedule = "200ms 200ms".parse().unwrap();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    sink.script("nouser@far.test", &["550 5.1.1 No such user here"]);
    sink.script(
        "busy@far.test",
        &[
            "452 4.2.2 Mailbox full",
            "452 4.2.2 Mailbox full",
            "452 4.2.2 Mailbox full",
        ],
    );
    send(&server, &pw, "doomed", &["nouser@far.test"]).await;
    let bounces = wait_for_inbox(&server, "alice@example.org", 1, 10).await;
    assert_eq!(bounces.len(), 1);
    let b = &bounces[0];
    assert!(
        b.contains("Subject: Undelivered Mail Returned to Sender\r\n"),
        "{b}"
    );
    assert!(b.contains("Content-Type: multipart/report; report-type=delivery-status;"));
    assert!(b.contains(
        "Final-Recipient: rfc822; nouser@far.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    ));
    assert!(
        b.contains("Diagnostic-Code: smtp; 550 5.1.1 No such user here\r\n"),
        "{b}"
    );
    assert!(
        b.contains("Subject: doomed\r\n"),
        "the original headers are quoted: {b}"
    );
    assert_eq!(sink.attempts("nouser@far.test"), 1);

    send(&server, &pw, "never", &["busy@far.test"]).await;
    let bounces = wait_for_inbox(&server, "alice@example.org", 2, 10).await;
    assert_eq!(bounces.len(), 2);
    let b = &bounces[1];
    assert!(
        b.contains("Final-Recipient: rfc822; busy@far.test\r\nAction: failed\r\nStatus: 5.2.2\r\n"),
        "{b}"
    );
    assert!(
        b.contains("Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\r\n"),
        "{b}"
    );
    // The schedule "200ms 200ms" allows three attempts in all.
    assert_eq!(sink.attempts("busy@far.test"), 3);
    assert!(sink.accepted().is_empty());
    assert!(queue_is_empty(&server).await);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_smarthost_keeps_the_mail_queued() {
    if !requires(&[Need::Python3]) {
        return;
    }
    // A port nobody listens on: bind one, note it, and let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(format!("127.0.0.1:{port}"));
        c.smtp.retry_schedule = "1h".parse().unwrap();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "waiting", &["x@far.test"]).await;
    let store = server.core().store();
    let deadline = Instant::now() + Duration::from_secs(10);
    let queued = loop {
        let q = store.queued_recipients().await.unwrap();
        if q.first().is_some_and(|r| r.last_error.is_some()) || Instant::now() > deadline {
            break q;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].recipient, "x@far.test");
    assert_eq!(queued[0].attempts, 1);
    let error = queued[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("cannot reach"), "{error}");
    assert!(inbox(&server, "alice@example.org").await.is_empty());
    server.stop().await;
}

const REFUSED: &str = r#"
import smtplib, sys
port, password, rcpt = sys.argv[1:4]
s = smtplib.SMTP("127.0.0.1", int(port))
s.login("alice@example.org", password)
s.mail("alice@example.org")
code, text = s.rcpt(rcpt)
print(code, text.decode())
s.quit()
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_address_of_a_hosted_domain_is_refused_not_relayed() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let sink = Sink::start().await;
    let smarthost = sink.addr.to_string();
    let server = server_with(|c| c.smtp.smarthost = Some(smarthost)).await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    let port = server.addr(Listener::Smtp).port().to_string();
    let out = python(REFUSED, args(&[&port, &pw, "nobody@example.org"])).await;
    assert!(out.status.success(), "{}", printed(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("550 5.1.1 <nobody@example.org>"), "{said}");
    let out = python(REFUSED, args(&[&port, &pw, "somebody@far.test"])).await;
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("250 "),
        "{}",
        printed(&out)
    );
    assert!(
        server
            .core()
            .store()
            .queued_recipients()
            .await
            .unwrap()
            .is_empty()
    );
}
