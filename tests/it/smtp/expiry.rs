//! A device's expiry closes its live SMTP and POP3 sessions at the instant it expires, with
//! no one disconnecting it, like a disconnect does.

use std::time::{Duration, Instant};

use super::{plain, server_with};
use crate::wire::Wire;
use postern_testkit::Listener;

/// The product's promise for expiry, measured from the end date.
const PROMISE: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread")]
async fn an_expiring_device_loses_its_smtp_and_pop3_sessions_when_it_expires() {
    let server = server_with(|_| {}).await;
    let lifetime = Duration::from_millis(1500);
    let (_, password) = server
        .expiring_device("alice@example.org", "Borrowed phone", "smtp,pop3", lifetime)
        .await;
    let ends = Instant::now() + lifetime;

    let (mut smtp, _) = Wire::connect(server.addr(Listener::Smtp)).await;
    smtp.cmd("EHLO expiry.test").await;
    assert_eq!(
        smtp.cmd(&format!(
            "AUTH PLAIN {}",
            plain("alice@example.org", &password)
        ))
        .await,
        "235 2.7.0 Authentication successful"
    );
    let (mut pop3, _) = Wire::connect(server.addr(Listener::Pop3)).await;
    pop3.send("USER alice@example.org").await;
    assert!(pop3.line().await.unwrap().starts_with("+OK"));
    pop3.send(&format!("PASS {password}")).await;
    assert!(pop3.line().await.unwrap().starts_with("+OK Signed in"));

    let smtp_line = smtp.line().await;
    let smtp_late = Instant::now().saturating_duration_since(ends);
    let pop3_line = pop3.line().await;
    let pop3_late = Instant::now().saturating_duration_since(ends);
    assert_eq!(
        smtp_line.as_deref(),
        Some("421 4.7.0 This device was disconnected; closing the connection")
    );
    assert_eq!(
        pop3_line.as_deref(),
        Some("-ERR [AUTH] This device was disconnected; closing the connection")
    );
    assert!(
        smtp_late < PROMISE,
        "SMTP closed {smtp_late:?} after the expiry"
    );
    assert!(
        pop3_late < PROMISE,
        "POP3 closed {pop3_late:?} after the expiry"
    );
    assert_eq!(smtp.until_closed().await, "");
    assert_eq!(pop3.until_closed().await, "");
    server.stop().await;
}
