//! POP3 on the wire: SASL PLAIN, refusals, devices without POP3.

use crate::smtp::{inbox, plain, server_with};
use crate::wire::Wire;
use postern_testkit::Listener;

#[tokio::test(flavor = "multi_thread")]
async fn sasl_plain_and_refusals_on_the_wire() {
    let server = server_with(|_| {}).await;
    let (_, pop_pw) = server.device("alice@example.org", "Phone", "pop3").await;
    let (_, smtp_only) = server.device("alice@example.org", "Laptop", "smtp").await;
    let (mut w, greeting) = Wire::connect(server.addr(Listener::Pop3)).await;
    assert_eq!(greeting, "+OK localhost Postern POP3 ready");
    // A device without POP3 is refused like a wrong password.
    w.send(&format!(
        "AUTH PLAIN {}",
        plain("alice@example.org", &smtp_only)
    ))
    .await;
    assert_eq!(
        w.line().await.as_deref(),
        Some("-ERR [AUTH] Authentication failed")
    );
    w.send("STAT").await;
    assert_eq!(
        w.line().await.as_deref(),
        Some("-ERR Command not valid in this state")
    );
    w.send("AUTH PLAIN").await;
    assert_eq!(w.line().await.as_deref(), Some("+ "));
    w.send(&plain("alice@example.org", &pop_pw)).await;
    assert_eq!(
        w.line().await.as_deref(),
        Some("+OK Signed in; 0 messages (0 octets)")
    );
    // Pipelined commands, answered in order.
    w.send_raw(b"STAT\r\nLIST\r\nRETR 1\r\nNOOP\r\nQUIT\r\n")
        .await;
    for expected in [
        "+OK 0 0",
        "+OK Listing follows",
        ".",
        "-ERR No message 1",
        "+OK OK",
        "+OK Bye",
    ] {
        assert_eq!(w.line().await.as_deref(), Some(expected));
    }
    assert_eq!(w.until_closed().await, "");
    assert!(inbox(&server, "alice@example.org").await.is_empty());

    // STLS with pipelined commands behind it is refused.
    let (mut w, _) = Wire::connect(server.addr(Listener::Pop3)).await;
    w.send_raw(b"STLS\r\nUSER alice@example.org\r\n").await;
    assert_eq!(w.line().await.as_deref(), Some("+OK Begin TLS negotiation"));
    assert_eq!(w.until_closed().await, "");
    server.stop().await;
}
