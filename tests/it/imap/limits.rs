//! Connection limits of the IMAP service.

use super::{Client, Env};
use postern_testkit::Listener;

#[tokio::test]
async fn connections_over_the_limit_are_refused_with_bye() {
    let env = Env::start_with(|c| c.limits.max_connections_per_ip = 3).await;
    let addr = env.server.addr(Listener::Imap);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(env.connect().await);
    }
    let mut refused = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut text = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut refused, &mut text)
        .await
        .expect("read");
    assert_eq!(text, "* BYE Too many connections; try again later\r\n");
    // The implicit-TLS port shares the count.
    let mut tls = tokio::net::TcpStream::connect(env.server.addr(Listener::ImapTls))
        .await
        .expect("connect");
    let mut buf = [0u8; 16];
    let n = tokio::io::AsyncReadExt::read(&mut tls, &mut buf)
        .await
        .unwrap_or(0);
    assert_eq!(n, 0, "closed without a handshake");
    // A freed place can be taken again.
    let mut first = held.remove(0);
    first.ok("LOGOUT").await;
    first.closed().await;
    let again = Client::connect(addr).await;
    assert!(again.greeting.starts_with("* OK "), "{}", again.greeting);
}

#[tokio::test]
async fn one_address_cannot_make_the_server_hold_many_large_literals_at_once() {
    // Messages up to 1,000 bytes: the address's sessions may be receiving 2,000 at once.
    let env = Env::start_with(|c| c.limits.max_message_bytes = 1_000).await;
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let mut c = env.connect().await;
        c.ok(&format!("LOGIN {} {}", super::EMAIL, env.password))
            .await;
        sessions.push(c);
    }
    // Two sessions are each invited to send 1,000 bytes and send half.
    for (tag, c) in ["a1", "a2"].iter().zip(&mut sessions) {
        c.send(format!("{tag} APPEND INBOX {{1000}}\r\n").as_bytes())
            .await;
        assert!(c.line().await.starts_with("+ "));
        c.send(&[b'x'; 500]).await;
    }
    // The third is refused: the address's budget is in use.
    let third = &mut sessions[2];
    third.send(b"a3 APPEND INBOX {1000}\r\n").await;
    assert_eq!(
        third.line().await,
        "a3 NO [LIMIT] Too much mail is being uploaded to this address at once; try again shortly\r\n",
        "over the address's budget"
    );
    // Once the first append is whole, the third may go on.
    let first = &mut sessions[0];
    first.send(&[b'x'; 500]).await;
    first.send(b"\r\n").await;
    assert!(first.until("a1").await.contains("a1 OK"));
    let third = &mut sessions[2];
    third.send(b"a4 APPEND INBOX {1000}\r\n").await;
    assert!(third.line().await.starts_with("+ "));
}
