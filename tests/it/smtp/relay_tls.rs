//! The link to the smarthost: STARTTLS (checked or opportunistic), implicit TLS, and signing
//! in with the configured credentials.

use std::time::{Duration, Instant};

use postern_net::tls;
use postern_testkit::{Need, requires};

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
    if !requires(&[Need::Python3]) {
        return;
    }
    let (sink, _dir, ca) = tls_sink(Some(("relay-user", "relay secret"))).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(addr);
        c.smtp.smarthost_tls = "starttls".parse().unwrap();
        c.smtp.smarthost_ca = Some(ca.into());
        c.smtp.smarthost_user = Some("relay-user".into());
        c.smtp.smarthost_password = Some("relay secret".into());
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "over tls", &["far@far.test"]).await;
    assert!(eventually(10, || sink.accepted().len() == 1).await);
    let accepted = &sink.accepted()[0];
    assert!(accepted.tls, "the message crossed in plain text");
    assert_eq!(accepted.user.as_deref(), Some("relay-user"));
}

/// A man in the middle with a certificate of his own: in the default mode the certificate is
/// checked against the smarthost's name, the handshake fails, and the password is never sent.
/// The message stays queued with the reason.
#[tokio::test(flavor = "multi_thread")]
async fn auto_mode_sends_no_password_to_an_unchecked_certificate() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let (impostor, _dir, _) = tls_sink(Some(("relay-user", "relay secret"))).await;
    // A CA file is given, but it is another one: the impostor's certificate is not in it.
    let (_, _other_dir, other_ca) = tls_sink(None).await;
    let addr = impostor.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(addr);
        c.smtp.smarthost_ca = Some(other_ca.into());
        c.smtp.smarthost_user = Some("relay-user".into());
        c.smtp.smarthost_password = Some("relay secret".into());
        c.smtp.retry_schedule = "1h".parse().unwrap();
    })
    .await;
    assert_eq!(
        server.config.smtp.smarthost_tls,
        postern_smtp::queue::SmarthostTls::Auto,
        "the default mode"
    );
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "to an impostor", &["far@far.test"]).await;
    let error = queued_error(&server).await;
    assert!(error.contains("TLS failed"), "{error}");
    assert!(impostor.captured().is_empty(), "{:?}", impostor.captured());
    assert!(impostor.accepted().is_empty());
    let queued = server.core().store().queued_recipients().await.unwrap();
    assert_eq!(queued.len(), 1, "the message waits for a later attempt");
}

/// The same smarthost, trusted through `smtp.smarthost_ca`: checked, signed in, delivered.
#[tokio::test(flavor = "multi_thread")]
async fn auto_mode_with_the_smarthost_ca_signs_in() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let (sink, _dir, ca) = tls_sink(Some(("relay-user", "relay secret"))).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(addr);
        c.smtp.smarthost_ca = Some(ca.into());
        c.smtp.smarthost_user = Some("relay-user".into());
        c.smtp.smarthost_password = Some("relay secret".into());
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "checked", &["far@far.test"]).await;
    assert!(eventually(10, || sink.accepted().len() == 1).await);
    let accepted = &sink.accepted()[0];
    assert!(accepted.tls);
    assert_eq!(accepted.user.as_deref(), Some("relay-user"));
}

/// A smarthost that offers no STARTTLS gets no password, not even on this machine.
#[tokio::test(flavor = "multi_thread")]
async fn no_password_over_plain_text() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let plain = Sink::start_with(Extras {
        tls: None,
        auth: Some(("relay-user".into(), "relay secret".into())),
    })
    .await;
    let addr = plain.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(addr);
        c.smtp.smarthost_user = Some("relay-user".into());
        c.smtp.smarthost_password = Some("relay secret".into());
        c.smtp.retry_schedule = "1h".parse().unwrap();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "plain", &["far@far.test"]).await;
    let error = queued_error(&server).await;
    assert!(error.contains("unencrypted"), "{error}");
    assert!(plain.captured().is_empty());
    assert!(plain.accepted().is_empty());
}

/// `insecure` encrypts without checking, as asked, and says so when the server starts.
#[tokio::test(flavor = "multi_thread")]
async fn insecure_mode_skips_the_check_and_warns_at_start() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let (sink, _dir, _) = tls_sink(Some(("relay-user", "relay secret"))).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(addr.clone());
        c.smtp.smarthost_tls = "insecure".parse().unwrap();
        c.smtp.smarthost_user = Some("relay-user".into());
        c.smtp.smarthost_password = Some("relay secret".into());
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "insecure", &["far@far.test"]).await;
    assert!(eventually(10, || sink.accepted().len() == 1).await);
    assert!(sink.accepted()[0].tls);
    assert_eq!(sink.accepted()[0].user.as_deref(), Some("relay-user"));

    let warning = start_and_read_log(&[
        ("POSTERN_SMTP__SMARTHOST", &addr),
        ("POSTERN_SMTP__SMARTHOST_TLS", "insecure"),
    ]);
    assert!(
        warning.contains("WARN") && warning.contains("smarthost_tls = \"insecure\""),
        "{warning}"
    );
    let quiet = start_and_read_log(&[("POSTERN_SMTP__SMARTHOST", &addr)]);
    assert!(!quiet.contains("insecure"), "{quiet}");
}

/// Starts `postern serve` with `env` on free ports, waits until it says where it listens (or
/// 30 s), stops it and returns its log.
fn start_and_read_log(env: &[(&str, &str)]) -> String {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = crate::support::postern(&dir.path().join("data"));
    cmd.arg("serve")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    for key in ["WEB", "IMAP", "SMTP", "POP3", "LMTP"] {
        cmd.env(format!("POSTERN_{key}__LISTEN"), "127.0.0.1:0");
    }
    for key in ["IMAP", "SMTP", "POP3"] {
        cmd.env(format!("POSTERN_{key}__LISTEN_TLS"), "127.0.0.1:0");
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            if seen.contains("Web app:") {
                let _ = tx.send(());
            }
        }
    });
    let started = rx.recv_timeout(Duration::from_secs(30)).is_ok();
    child.kill().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    child.wait().unwrap();
    assert!(started, "the server did not start: {log}");
    log
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_certificate_or_missing_starttls_defers_instead_of_sending() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let (sink, _dir, _) = tls_sink(None).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(addr);
        c.smtp.smarthost_tls = "starttls".parse().unwrap();
        c.smtp.retry_schedule = "1h".parse().unwrap();
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
        c.smtp.smarthost = Some(addr);
        c.smtp.smarthost_tls = "starttls".parse().unwrap();
        c.smtp.retry_schedule = "1h".parse().unwrap();
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
    if !requires(&[Need::Python3]) {
        return;
    }
    let (sink, _dir, ca) = tls_sink(Some(("relay-user", "relay secret"))).await;
    let addr = sink.addr.to_string();
    let server = server_with(|c| {
        c.smtp.smarthost = Some(addr);
        c.smtp.smarthost_tls = "starttls".parse().unwrap();
        c.smtp.smarthost_ca = Some(ca.into());
        c.smtp.smarthost_user = Some("relay-user".into());
        c.smtp.smarthost_password = Some("wrong".into());
        c.smtp.retry_schedule = "1h".parse().unwrap();
    })
    .await;
    let (_, pw) = server.device("alice@example.org", "Laptop", "smtp").await;
    send(&server, &pw, "refused", &["far@far.test"]).await;
    assert!(queued_error(&server).await.starts_with("535 5.7.8"));
    assert!(sink.accepted().is_empty());
}

/// A password that could never be sent is a configuration mistake, said at start.
#[test]
fn no_tls_with_a_password_is_refused_at_start() {
    let env = |tls: &str| {
        [
            ("POSTERN_SMTP__SMARTHOST", "relay.example.org:587"),
            ("POSTERN_SMTP__SMARTHOST_TLS", tls),
            ("POSTERN_SMTP__SMARTHOST_USER", "relay-user"),
            ("POSTERN_SMTP__SMARTHOST_PASSWORD", "relay secret"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    };
    let e = postern_server::config::Config::load(None, env("none"))
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("smtp.smarthost_tls:"), "{e}");
    for ok in ["auto", "insecure", "starttls", "tls"] {
        assert!(
            postern_server::config::Config::load(None, env(ok)).is_ok(),
            "{ok}"
        );
    }
}
