//! Disconnecting a device closes every live SMTP session of it within 100 ms; other devices'
//! sessions go on, and the old password is refused.

use std::time::{Duration, Instant};

use super::{plain, server_with};
use crate::wire::Wire;
use postern_testkit::Listener;

/// Live sessions of the device that gets disconnected.
const SESSIONS: usize = 10;
/// The product's promise.
const LIMIT: Duration = Duration::from_millis(100);

async fn signed_in(addr: std::net::SocketAddr, email: &str, password: &str) -> Wire {
    let (mut w, _) = Wire::connect(addr).await;
    w.cmd("EHLO revocation.test").await;
    let reply = w
        .cmd(&format!("AUTH PLAIN {}", plain(email, password)))
        .await;
    assert_eq!(reply, "235 2.7.0 Authentication successful");
    w
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnecting_a_device_closes_its_smtp_sessions_at_once() {
    let server = server_with(|_| {}).await;
    let (laptop, laptop_pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    let (_, phone_pw) = server.device("alice@example.org", "Phone", "smtp").await;
    let addr = server.addr(Listener::Smtp);
    let mut doomed = Vec::new();
    for i in 0..SESSIONS {
        let mut w = signed_in(addr, "alice@example.org", &laptop_pw).await;
        if i % 2 == 0 {
            // Some are in the middle of a transaction.
            w.cmd("MAIL FROM:<alice@example.org>").await;
        }
        doomed.push(w);
    }
    let mut other = signed_in(addr, "alice@example.org", &phone_pw).await;

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
    server.disconnect(laptop).await;
    let committed = Instant::now();
    let mut slowest = Duration::ZERO;
    for watcher in watchers {
        let (line, rest, at) = watcher.await.unwrap();
        assert_eq!(
            line.as_deref(),
            Some("421 4.7.0 This device was disconnected; closing the connection")
        );
        assert_eq!(rest, "", "the connection is closed after the 421");
        let took = at.saturating_duration_since(committed);
        assert!(took < LIMIT, "closed after {took:?}");
        slowest = slowest.max(took);
    }
    eprintln!("{SESSIONS} sessions closed, the last {slowest:?} after the disconnect");

    // The other device's session is untouched.
    assert_eq!(other.cmd("NOOP").await, "250 2.0.0 OK");
    assert_eq!(
        other.cmd("MAIL FROM:<alice@example.org>").await,
        "250 2.1.0 Sender <alice@example.org> OK"
    );
    // The old password is dead.
    let (mut w, _) = Wire::connect(addr).await;
    w.cmd("EHLO x").await;
    assert_eq!(
        w.cmd(&format!(
            "AUTH PLAIN {}",
            plain("alice@example.org", &laptop_pw)
        ))
        .await,
        "535 5.7.8 Authentication credentials invalid"
    );
    server.stop().await;
}
