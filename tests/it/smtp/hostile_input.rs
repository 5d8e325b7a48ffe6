//! Numbers and names meant to confuse the parser, as exact replies on the wire, on
//! submission and on LMTP alike: a SIZE too large for any integer, malformed ones, addresses
//! with bytes outside ASCII, and commands before the greeting.

use std::net::SocketAddr;

use super::{plain, server_with};
use crate::wire::Wire;
use postern_testkit::Listener;

/// A session ready for MAIL: LMTP after LHLO, submission after EHLO and a sign-in.
async fn ready(addr: SocketAddr, lmtp: bool, password: &str) -> Wire {
    let (mut w, greeting) = Wire::connect(addr).await;
    assert!(greeting.starts_with("220 localhost"), "{greeting}");
    if lmtp {
        assert!(w.cmd("LHLO mta.example").await.starts_with("250-"));
    } else {
        assert!(w.cmd("EHLO laptop.example").await.starts_with("250-"));
        let auth = w
            .cmd(&format!(
                "AUTH PLAIN {}",
                plain("alice@example.org", password)
            ))
            .await;
        assert_eq!(auth, "235 2.7.0 Authentication successful");
    }
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn a_size_beyond_the_limit_or_any_integer_is_refused_and_a_malformed_one_is_a_syntax_error() {
    let server = server_with(|c| c.limits.max_message_bytes = 2000).await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    let too_big = "552 5.3.4 Message too big: the limit is 2000 bytes";
    for (key, lmtp, sender) in [
        (Listener::Smtp, false, "alice@example.org"),
        (Listener::Lmtp, true, "a@example.test"),
    ] {
        let mut w = ready(server.addr(key), lmtp, &pw).await;
        for size in [
            "2001",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999999",
            "184467440737095516150",
            &"9".repeat(400),
        ] {
            assert_eq!(
                w.cmd(&format!("MAIL FROM:<{sender}> SIZE={size}")).await,
                too_big,
                "{key} SIZE={size}"
            );
        }
        for size in ["", "abc", "-1", "12x", "+5"] {
            assert_eq!(
                w.cmd(&format!("MAIL FROM:<{sender}> SIZE={size}")).await,
                "501 5.5.4 Invalid parameter SIZE",
                "{key} SIZE={size}"
            );
        }
        // Nothing was taken as a sender meanwhile, and the session carries on.
        assert_eq!(
            w.cmd(&format!("MAIL FROM:<{sender}> SIZE=2000")).await,
            format!("250 2.1.0 Sender <{sender}> OK")
        );
        assert_eq!(w.cmd("QUIT").await, "221 2.0.0 Bye");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn addresses_outside_ascii_are_echoed_whole_and_lmtp_asks_for_lhlo() {
    let server = server_with(|_| {}).await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;

    let (mut w, _) = Wire::connect(server.addr(Listener::Lmtp)).await;
    assert_eq!(
        w.cmd("MAIL FROM:<a@example.test>").await,
        "503 5.5.1 Say LHLO first"
    );
    let (mut w, _) = Wire::connect(server.addr(Listener::Smtp)).await;
    assert_eq!(
        w.cmd("MAIL FROM:<alice@example.org>").await,
        "503 5.5.1 Say EHLO first"
    );

    // Signed in as alice, sending as someone else: the refusal names that someone whole.
    let mut w = ready(server.addr(Listener::Smtp), false, &pw).await;
    assert_eq!(
        w.cmd("MAIL FROM:<jos\u{e9}\u{e9}\u{e9}@example.org>").await,
        "553 5.7.1 Sender address <jos???@example.org> is not yours: send as <alice@example.org>"
    );
    assert_eq!(
        w.cmd("MAIL FROM:<alice@example.org>").await,
        "250 2.1.0 Sender <alice@example.org> OK"
    );
    let rcpt = w.cmd("RCPT TO:<b\u{f6}b@example.org>").await;
    assert_eq!(rcpt, "501 5.1.3 <b?b@example.org> is not a valid address");
    server.stop().await;
}
