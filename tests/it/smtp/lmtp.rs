//! LMTP delivery from a mail transfer agent: one reply per recipient.

use postern_testkit::{Need, requires};

use super::{args, inbox, printed, server_with, swaks};
use crate::wire::Wire;
use postern_testkit::Listener;

#[tokio::test(flavor = "multi_thread")]
async fn swaks_delivers_over_lmtp_with_a_reply_per_recipient() {
    if !requires(&[Need::Swaks]) {
        return;
    }
    let server = server_with(|_| {}).await;
    let out = swaks(args(&[
        "--protocol",
        "LMTP",
        "-s",
        "127.0.0.1",
        "-p",
        &server.addr(Listener::Lmtp).port().to_string(),
        "-h",
        "mta.example",
        "-f",
        "sender@far.test",
        "-t",
        "alice@example.org,nobody@example.org,bob@example.org",
        "--header",
        "Subject: inbound",
    ]))
    .await;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("<** 550 5.1.1 <nobody@example.org>: no such mailbox here"),
        "{}",
        printed(&out)
    );
    assert!(
        text.contains("<-  250 2.0.0 <alice@example.org> delivered"),
        "{text}"
    );
    assert!(
        text.contains("<-  250 2.0.0 <bob@example.org> delivered"),
        "{text}"
    );
    for who in ["alice@example.org", "bob@example.org"] {
        let messages = inbox(&server, who).await;
        assert_eq!(messages.len(), 1, "{who}");
        let m = &messages[0];
        assert!(m.starts_with("Return-Path: <sender@far.test>\r\nReceived: from mta.example ([127.0.0.1])\r\n\tby localhost (Postern) with LMTP\r\n"), "{m}");
        assert!(m.contains(&format!("for <{who}>;")), "{m}");
        assert!(m.contains("Subject: inbound\r\n"), "{m}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn lmtp_on_the_wire() {
    let server = server_with(|_| {}).await;
    let (mut w, greeting) = Wire::connect(server.addr(Listener::Lmtp)).await;
    assert_eq!(greeting, "220 localhost LMTP Postern ready");
    assert_eq!(w.cmd("EHLO mta").await, "500 5.5.1 This is LMTP: say LHLO");
    assert_eq!(
        w.cmd("LHLO mta").await,
        "250-localhost Hello mta\n250-PIPELINING\n250-SIZE 52428800\n250-8BITMIME\n\
         250 ENHANCEDSTATUSCODES"
    );
    assert_eq!(
        w.cmd("STARTTLS").await,
        "502 5.5.1 STARTTLS is not available here"
    );
    // Pipelined: the null sender, two recipients, the message.
    w.send_raw(
        b"MAIL FROM:<>\r\nRCPT TO:<Alice@Example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n",
    )
    .await;
    for expected in [
        "250 2.1.0 Sender <> OK",
        "250 2.1.5 Recipient <alice@example.org> OK",
        "250 2.1.5 Recipient <bob@example.org> OK",
        "354 Start mail input; end with <CRLF>.<CRLF>",
    ] {
        assert_eq!(w.reply().await, expected);
    }
    w.send_raw(b"Subject: bounce\r\n\r\n..x\r\n.\r\n").await;
    assert_eq!(w.reply().await, "250 2.0.0 <alice@example.org> delivered");
    assert_eq!(w.reply().await, "250 2.0.0 <bob@example.org> delivered");
    assert_eq!(w.cmd("QUIT").await, "221 2.0.0 Bye");
    let m = &inbox(&server, "alice@example.org").await[0];
    assert!(m.starts_with("Return-Path: <>\r\n"), "{m}");
    assert!(m.ends_with("Subject: bounce\r\n\r\n.x\r\n"), "{m}");
    server.stop().await;
}
