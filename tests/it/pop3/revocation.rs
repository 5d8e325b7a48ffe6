//! Disconnecting a device closes every live POP3 session of it within 100 ms, without
//! removing the messages those sessions marked deleted.

use std::time::{Duration, Instant};

use crate::smtp::{inbox, server_with};
use crate::wire::Wire;
use postern_testkit::Listener;

const SESSIONS: usize = 10;
const LIMIT: Duration = Duration::from_millis(100);

async fn signed_in(addr: std::net::SocketAddr, password: &str) -> Wire {
    let (mut w, _) = Wire::connect(addr).await;
    w.send("USER alice@example.org").await;
    assert!(w.line().await.unwrap().starts_with("+OK"));
    w.send(&format!("PASS {password}")).await;
    let reply = w.line().await.unwrap();
    assert!(reply.starts_with("+OK Signed in; 1 messages"), "{reply}");
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnecting_a_device_closes_its_pop3_sessions_at_once() {
    let server = server_with(|_| {}).await;
    let alice = server
        .core()
        .store()
        .address_by_email(&postern_domain::Email::parse("alice@example.org").unwrap())
        .await
        .unwrap()
        .unwrap();
    server
        .core()
        .deliver(&alice, b"Subject: keep me\r\n\r\nhi\r\n")
        .await
        .unwrap();
    let (phone, phone_pw) = server.device("alice@example.org", "Phone", "pop3").await;
    let (_, tablet_pw) = server.device("alice@example.org", "Tablet", "pop3").await;
    let addr = server.addr(Listener::Pop3);
    let mut doomed = Vec::new();
    for _ in 0..SESSIONS {
        let mut w = signed_in(addr, &phone_pw).await;
        w.send("DELE 1").await;
        assert_eq!(w.line().await.as_deref(), Some("+OK Message 1 deleted"));
        doomed.push(w);
    }
    let mut other = signed_in(addr, &tablet_pw).await;

    let watchers: Vec<_> = doomed
        .into_iter()
        .map(|mut w| {
            tokio::spawn(async move {
                let line = w.line().await;
                let rest = w.until_closed().await;
                (line, rest, Instant::now())
            })
        })
        .collect();
    server.disconnect(phone).await;
    let committed = Instant::now();
    let mut slowest = Duration::ZERO;
    for watcher in watchers {
        let (line, rest, at) = watcher.await.unwrap();
        assert_eq!(
            line.as_deref(),
            Some("-ERR [AUTH] This device was disconnected; closing the connection")
        );
        assert_eq!(rest, "");
        let took = at.saturating_duration_since(committed);
        assert!(took < LIMIT, "closed after {took:?}");
        slowest = slowest.max(took);
    }
    eprintln!("{SESSIONS} sessions closed, the last {slowest:?} after the disconnect");
    other.send("STAT").await;
    assert_eq!(other.line().await.as_deref(), Some("+OK 1 24"));
    // Deletions of a revoked session are not carried out.
    assert_eq!(inbox(&server, "alice@example.org").await.len(), 1);

    let (mut w, _) = Wire::connect(addr).await;
    w.send("USER alice@example.org").await;
    w.line().await;
    w.send(&format!("PASS {phone_pw}")).await;
    assert_eq!(
        w.line().await.as_deref(),
        Some("-ERR [AUTH] Authentication failed")
    );
    server.stop().await;
}
