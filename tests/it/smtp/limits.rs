//! Limits and refusals, as exact replies on the wire.

use std::time::{Duration, Instant};

use super::{inbox, plain, server_with};
use crate::wire::Wire;
use postern_testkit::Listener;

/// Connects to submission, says EHLO and signs in (loopback allows it without TLS).
async fn signed_in(addr: std::net::SocketAddr, password: &str) -> Wire {
    let (mut w, greeting) = Wire::connect(addr).await;
    assert!(
        greeting.starts_with("220 localhost ESMTP Postern"),
        "{greeting}"
    );
    let ehlo = w.cmd("EHLO wire.example").await;
    assert!(ehlo.contains("250-PIPELINING\n250-SIZE "), "{ehlo}");
    assert!(
        ehlo.ends_with("250-STARTTLS\n250 AUTH PLAIN LOGIN"),
        "{ehlo}"
    );
    let auth = w
        .cmd(&format!(
            "AUTH PLAIN {}",
            plain("alice@example.org", password)
        ))
        .await;
    assert_eq!(auth, "235 2.7.0 Authentication successful");
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn size_recipients_relay_and_line_limits() {
    let server = server_with(|c| {
        c.limits.max_message_bytes = 2000;
        c.limits.max_recipients = 2;
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    let mut w = signed_in(server.addr(Listener::Smtp), &pw).await;

    assert_eq!(
        w.cmd("MAIL FROM:<alice@example.org> SIZE=5000").await,
        "552 5.3.4 Message too big: the limit is 2000 bytes"
    );
    assert_eq!(
        w.cmd("MAIL FROM:<alice@example.org> SIZE=100").await,
        "250 2.1.0 Sender <alice@example.org> OK"
    );
    assert_eq!(
        w.cmd("RCPT TO:<someone@elsewhere.test>").await,
        "550 5.7.1 <someone@elsewhere.test>: this server does not send mail to other domains \
         (no smarthost is configured)"
    );
    assert_eq!(
        w.cmd("RCPT TO:<bob@example.org>").await,
        "250 2.1.5 Recipient <bob@example.org> OK"
    );
    assert_eq!(
        w.cmd("RCPT TO:<alice@example.org>").await,
        "250 2.1.5 Recipient <alice@example.org> OK"
    );
    assert_eq!(
        w.cmd("RCPT TO:<nobody@example.org>").await,
        "452 4.5.3 Too many recipients: at most 2 per message"
    );
    assert_eq!(
        w.cmd("DATA").await,
        "354 Start mail input; end with <CRLF>.<CRLF>"
    );
    // A body over the limit is read to its end, then refused; nothing is stored.
    let mut body = String::from("Subject: big\r\n\r\n");
    for _ in 0..100 {
        body.push_str("0123456789012345678901234567890123456789\r\n");
    }
    w.send_raw(body.as_bytes()).await;
    assert_eq!(
        w.cmd(".").await,
        "552 5.3.4 Message too big: the limit is 2000 bytes"
    );
    assert!(inbox(&server, "bob@example.org").await.is_empty());

    // A command line over the limit gets a clear error and the session goes on.
    let long = format!("NOOP {}", "x".repeat(5000));
    assert_eq!(w.cmd(&long).await, "500 5.5.2 Line too long");
    assert_eq!(w.cmd("NOOP").await, "250 2.0.0 OK");
    assert_eq!(w.cmd("RCPT TO:<>").await, "503 5.5.1 Send MAIL FROM first");
    assert_eq!(w.cmd("QUIT").await, "221 2.0.0 Bye");
    assert_eq!(w.until_closed().await, "");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_before_auth_and_wrong_passwords() {
    let server = server_with(|_| {}).await;
    let (_, pop_only) = server.device("alice@example.org", "Phone", "pop3").await;
    let (mut w, _) = Wire::connect(server.addr(Listener::Smtp)).await;
    w.cmd("EHLO x").await;
    assert_eq!(
        w.cmd("MAIL FROM:<alice@example.org>").await,
        "530 5.7.0 Authentication required"
    );
    // A device without SMTP is refused like a wrong password.
    for _ in 0..2 {
        assert_eq!(
            w.cmd(&format!(
                "AUTH PLAIN {}",
                plain("alice@example.org", &pop_only)
            ))
            .await,
            "535 5.7.8 Authentication credentials invalid"
        );
    }
    assert_eq!(
        w.cmd(&format!(
            "AUTH PLAIN {}",
            plain("alice@example.org", "wrong")
        ))
        .await,
        "421 4.7.0 Too many failed sign-ins; closing the connection"
    );
    assert_eq!(w.until_closed().await, "");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_connections_are_closed_and_connections_per_ip_are_limited() {
    let server = server_with(|c| {
        c.limits.idle_timeout = std::time::Duration::from_secs(1);
        c.limits.max_connections_per_ip = 2;
    })
    .await;
    let addr = server.addr(Listener::Smtp);
    let (mut first, _) = Wire::connect(addr).await;
    let (_second, _) = Wire::connect(addr).await;
    let (mut third, greeting) = Wire::connect(addr).await;
    assert_eq!(
        greeting,
        "421 4.7.0 Too many connections from your address; try again later"
    );
    assert_eq!(third.until_closed().await, "");

    let started = Instant::now();
    assert_eq!(
        first.line().await.as_deref(),
        Some("421 4.4.2 Idle for too long; closing the connection")
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(first.until_closed().await, "");

    // POP3 has the same idle limit.
    let (mut pop, greeting) = Wire::connect(server.addr(Listener::Pop3)).await;
    assert!(greeting.starts_with("+OK"), "{greeting}");
    assert_eq!(
        pop.line().await.as_deref(),
        Some("-ERR Idle for too long; closing the connection")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn commands_pipelined_behind_starttls_are_not_trusted() {
    let server = server_with(|_| {}).await;
    let (mut w, _) = Wire::connect(server.addr(Listener::Smtp)).await;
    w.cmd("EHLO x").await;
    w.send_raw(b"STARTTLS\r\nAUTH PLAIN AGEAYg==\r\n").await;
    assert_eq!(w.reply().await, "220 2.0.0 Ready to start TLS");
    assert_eq!(w.until_closed().await, "");
    server.stop().await;
}
