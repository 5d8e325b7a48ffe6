//! Revocation: a disconnect or reset closes every live session of the device at once
//! (in IDLE too), leaves the other devices alone, and the old password stops working.

use std::time::{Duration, Instant};

use postern_domain::Actor;

use super::{EMAIL, Env};

/// The product's promise, measured from the moment the disconnect has committed.
const PROMISE: Duration = Duration::from_millis(100);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_closes_fifty_sessions_within_100_ms() {
    let env = Env::start().await;
    let (_, other_password) = env.server.device(EMAIL, "Tablet", "imap").await;
    let mut sessions = Vec::new();
    for i in 0..50 {
        let mut c = env.connect().await;
        c.ok(&format!("LOGIN {EMAIL} {}", env.password)).await;
        if i % 2 == 0 {
            c.ok("SELECT INBOX").await;
            c.send(b"idle IDLE\r\n").await;
            assert_eq!(c.line().await, "+ idling\r\n");
        }
        sessions.push(c);
    }
    let mut other = env.inbox_with(&other_password).await;
    let mut waiting = Vec::new();
    for mut c in sessions {
        waiting.push(tokio::spawn(async move {
            let text = c.closed().await;
            (Instant::now(), text)
        }));
    }
    // Let every reader block on its socket.
    tokio::time::sleep(Duration::from_millis(50)).await;
    env.server.disconnect(env.device).await;
    let committed = Instant::now();
    let mut slowest = Duration::ZERO;
    for w in waiting {
        let (at, text) = w.await.expect("reader");
        assert!(
            text.ends_with("* BYE This device was disconnected\r\n"),
            "got {text:?}"
        );
        slowest = slowest.max(at.saturating_duration_since(committed));
    }
    eprintln!("the last of 50 sessions closed {slowest:?} after the disconnect");
    assert!(
        slowest < PROMISE,
        "the last session closed after {slowest:?}"
    );
    // The other device's session goes on.
    other.ok("NOOP").await;
    // The old password is refused.
    let mut c = env.connect().await;
    assert_eq!(
        c.run(&format!("LOGIN {EMAIL} {}", env.password)).await,
        "t1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
}

#[tokio::test]
async fn a_reset_closes_sessions_of_the_old_password() {
    let env = Env::start().await;
    let mut c = env.inbox().await;
    c.send(b"i IDLE\r\n").await;
    assert_eq!(c.line().await, "+ idling\r\n");
    let issued = env
        .server
        .core()
        .reset_device(&Actor::CommandLine, env.device)
        .await
        .expect("reset");
    assert_eq!(c.closed().await, "* BYE This device was disconnected\r\n");
    let new_password = secrecy::ExposeSecret::expose_secret(&issued.password).to_owned();
    let mut fresh = env.inbox_with(&new_password).await;
    fresh.ok("NOOP").await;
}

#[tokio::test]
async fn shutdown_says_goodbye() {
    let env = Env::start().await;
    let mut idle = env.inbox().await;
    idle.send(b"i IDLE\r\n").await;
    assert_eq!(idle.line().await, "+ idling\r\n");
    let mut fresh = env.connect().await;
    env.server.stop().await;
    assert_eq!(idle.closed().await, "* BYE Server shutting down\r\n");
    assert_eq!(fresh.closed().await, "* BYE Server shutting down\r\n");
}
