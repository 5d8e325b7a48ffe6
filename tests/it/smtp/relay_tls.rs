//! The link to the smarthost: STARTTLS (checked or opportunistic), implicit TLS, and signing
//! in with the configured credentials.

use std::time::{Duration, Instant};

use postern_net::tls;

use super::relay::{eventually, send};
use super::server_with;
use super::sink::{Extras, Sink};

/// A sink with STARTTLS (a self-signed certificate for 127.0.0.1) and, if given, AUTH; and
/// the path of a file holding its certificate.
async fn tls_sink(auth: Option<(&str, &str)>) -> (Sink, tempfile::TempDir, String) {
    let names = ["127.0.0.1".to_owned(), "localhost".to_owned()];
    let (cert, key) = tls::self_signed(&names).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sink.pem");
    std::fs::write(&path, &cert).unwrap();
    let sink = Sink::start_with(Extras {
        tls: Some(tls::acceptor(cert.as_bytes(), key.as_bytes()).unwrap()),
        auth: auth.map(|(u, p)| (u.to_owned(), p.to_owned())),
    })
    .await;
    (sink, dir, path.display().to_string())
}

/// The last error recorded for a queued recipient, once one is.
async fn queued_error(server: &postern_testkit::TestServer) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let queued = server.core().store().queued_recipients().await.unwrap();
        if let Some(e) = queued.first().and_then(|r| r.last_error.clone()) {
            return e;
        }
        assert!(Instant::now() < deadline, "no attempt was recorded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_with_a_checked_certificate_and_a_password() {
    let (sink, _dir, ca) = tls_sink(Some(("relay-user", "relay secret"))).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = addr;
        c.smtp.smarthost_tls = "starttls".into();
        c.smtp.smarthost_ca = ca;
        c.smtp.smarthost_user = "relay-user".into();
        c.smtp.smarthost_password = "relay secret".into();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "over tls", &["far@far.test"]).await;
    assert!(eventually(10, || sink.accepted().len() == 1).await);
    let accepted = &sink.accepted()[0];
    assert!(accepted.tls, "the message crossed in plain text");
    assert_eq!(accepted.user.as_deref(), Some("relay-user"));
}

#[tokio::test(flavor = "multi_thread")]
async fn opportunistic_tls_accepts_any_certificate() {
    let (sink, _dir, _) = tls_sink(None).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| c.smtp.smarthost = addr).await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "opportunistic", &["far@far.test"]).await;
    assert!(eventually(10, || sink.accepted().len() == 1).await);
    assert!(sink.accepted()[0].tls);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_certificate_or_missing_starttls_defers_instead_of_sending() {
    let (sink, _dir, _) = tls_sink(None).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = addr;
        c.smtp.smarthost_tls = "starttls".into();
        c.smtp.retry_schedule = "1h".into();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "unchecked", &["far@far.test"]).await;
    let error = queued_error(&server).await;
    assert!(error.contains("TLS failed"), "{error}");
    assert!(sink.accepted().is_empty());

    let plain = Sink::start().await;
    let addr = plain.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = addr;
        c.smtp.smarthost_tls = "starttls".into();
        c.smtp.retry_schedule = "1h".into();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "no tls offered", &["far@far.test"]).await;
    assert!(
        queued_error(&server)
            .await
            .contains("does not offer STARTTLS")
    );
    assert!(plain.accepted().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_password_defers() {
    let (sink, _dir, ca) = tls_sink(Some(("relay-user", "relay secret"))).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = addr;
        c.smtp.smarthost_tls = "starttls".into();
        c.smtp.smarthost_ca = ca;
        c.smtp.smarthost_user = "relay-user".into();
        c.smtp.smarthost_password = "wrong".into();
        c.smtp.retry_schedule = "1h".into();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "refused", &["far@far.test"]).await;
    assert!(queued_error(&server).await.starts_with("535 5.7.8"));
    assert!(sink.accepted().is_empty());
}
