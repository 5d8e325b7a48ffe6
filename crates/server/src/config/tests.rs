//! The configuration's defaults, layers and refusals.

use std::time::Duration;

use postern_smtp::queue::SmarthostTls;

use super::*;

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_match_the_product() {
    let c = Config::load(None, env(&[])).unwrap();
    let listening: Vec<String> = Listener::ALL
        .iter()
        .map(|l| format!("{l} {}", c.listen(*l).unwrap()))
        .collect();
    assert_eq!(
        listening,
        [
            "imap.listen 127.0.0.1:1143",
            "imap.listen_tls 127.0.0.1:1993",
            "lmtp.listen 127.0.0.1:1024",
            "pop3.listen 127.0.0.1:1110",
            "pop3.listen_tls 127.0.0.1:1995",
            "smtp.listen 127.0.0.1:1587",
            "smtp.listen_tls 127.0.0.1:1465",
            "web.listen 127.0.0.1:8080",
        ]
    );
    assert_eq!(c.smtp.smarthost_tls, SmarthostTls::Auto);
    assert_eq!(c.smtp.retry_schedule.max_attempts(), 14);
    assert!(c.smtp.smarthost.is_none() && c.tls.cert.is_none());
    assert_eq!(c.store_url(), "sqlite://./data/postern.db");
    assert_eq!(c.pepper_path(), PathBuf::from("./data/pepper"));
    assert_eq!(c.domain, "localhost");
}

#[test]
fn timeouts_have_sane_defaults_and_cannot_be_zero() {
    let c = Config::load(None, env(&[])).unwrap();
    // RFC 5321 4.5.3.2 asks for at least 5 minutes, RFC 1939 for at least 10.
    assert_eq!(c.limits.idle_timeout, Duration::from_secs(600));
    assert_eq!(c.limits.login_timeout, Duration::from_secs(60));
    // RFC 3501 5.4: at least 30 minutes.
    assert_eq!(c.limits.imap_autologout, Duration::from_secs(1800));
    let err = Config::load(None, env(&[("POSTERN_LIMITS__LOGIN_TIMEOUT_SECS", "0")]));
    assert!(
        err.unwrap_err().to_string().contains("login_timeout_secs"),
        "a zero timeout is refused by name"
    );
}

#[test]
fn web_sessions_end_after_30_idle_minutes_and_12_hours() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!(c.web.session_idle_minutes, 30);
    assert_eq!(c.web.session_max_hours, 12);
    let c = Config::load(
        None,
        env(&[
            ("POSTERN_WEB__SESSION_IDLE_MINUTES", "5"),
            ("POSTERN_WEB__SESSION_MAX_HOURS", "1"),
        ]),
    )
    .unwrap();
    assert_eq!(
        (c.web.session_idle_minutes, c.web.session_max_hours),
        (5, 1)
    );
    for (key, value) in [
        ("POSTERN_WEB__SESSION_IDLE_MINUTES", "0"),
        ("POSTERN_WEB__SESSION_MAX_HOURS", "99999999"),
    ] {
        let e = Config::load(None, env(&[(key, value)])).unwrap_err();
        assert!(e.to_string().starts_with("web.session_"), "{e}");
    }
}

#[test]
fn file_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postern.toml");
    std::fs::write(
        &path,
        "domain = \"example.org\"\n[imap]\nlisten = \"127.0.0.1:143\"\n[lmtp]\n[limits]\nmax_message_bytes = 1000\n",
    )
    .unwrap();
    let c = Config::load(
        Some(&path),
        env(&[
            ("POSTERN_IMAP__LISTEN", "127.0.0.1:2143"),
            ("POSTERN_SMTP__SMARTHOST", "relay.example.org:25"),
            ("POSTERN_LIMITS__MAX_CONNECTIONS", "7"),
            ("POSTERN_CONFIG", "ignored"),
            ("OTHER", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(c.domain, "example.org");
    assert_eq!(c.imap.listen, "127.0.0.1:2143".parse().ok());
    assert_eq!(c.imap.listen_tls, "127.0.0.1:1993".parse().ok());
    assert_eq!(c.smtp.smarthost.as_deref(), Some("relay.example.org:25"));
    assert_eq!(c.limits.max_message_bytes, 1000);
    assert_eq!(c.limits.max_connections, 7);
    assert_eq!(c.lmtp.listen, "127.0.0.1:1024".parse().ok());
}

#[test]
fn public_ports_are_optional_numbers() {
    let c = Config::load(None, env(&[])).unwrap();
    assert_eq!((c.imap.public_port, c.imap.public_port_tls), (0, 0));
    let c = Config::load(
        None,
        env(&[
            ("POSTERN_IMAP__PUBLIC_PORT_TLS", "993"),
            ("POSTERN_SMTP__PUBLIC_PORT", "587"),
        ]),
    )
    .unwrap();
    assert_eq!(c.imap.public_port_tls, 993);
    assert_eq!(c.smtp.public_port, 587);
    assert_eq!(c.pop3.public_port, 0);
    let e = Config::load(None, env(&[("POSTERN_POP3__PUBLIC_PORT", "70000")])).unwrap_err();
    assert!(e.to_string().contains("70000"), "{e}");
}

#[test]
fn trusted_proxies_from_file_or_environment() {
    let c = Config::load(
        None,
        env(&[("POSTERN_WEB__TRUSTED_PROXIES", "127.0.0.1, ::1")]),
    )
    .unwrap();
    assert_eq!(c.web.trusted_proxies.len(), 2);
    let e = Config::load(None, env(&[("POSTERN_WEB__TRUSTED_PROXIES", "proxy")])).unwrap_err();
    assert!(e.to_string().contains("proxy"), "{e}");
}

#[test]
fn empty_listen_turns_a_listener_off_and_bad_values_are_named() {
    let c = Config::load(None, env(&[("POSTERN_POP3__LISTEN", "")])).unwrap();
    assert!(c.pop3.listen.is_none());

    let e = Config::load(None, env(&[("POSTERN_IMAP__LISTEN", "nowhere")])).unwrap_err();
    assert!(e.to_string().starts_with("imap.listen:"), "{e}");
    let e = Config::load(None, env(&[("POSTERN_NOPE", "1")])).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");
    let e = Config::load(None, env(&[("POSTERN_LIMITS__MAX_CONNECTIONS", "many")])).unwrap_err();
    assert!(e.to_string().contains("many"), "{e}");
    let e = Config::load(None, env(&[("POSTERN_SMTP__RETRY_SCHEDULE", "5 minutes")])).unwrap_err();
    assert!(e.to_string().starts_with("smtp.retry_schedule:"), "{e}");
    let e = Config::load(None, env(&[("POSTERN_DOMAIN", "not a domain")])).unwrap_err();
    assert!(e.to_string().starts_with("domain:"), "{e}");
}

#[test]
fn smarthost_settings_are_typed_and_the_password_never_printed() {
    let c = Config::load(
        None,
        env(&[
            ("POSTERN_SMTP__SMARTHOST", "[::1]:2525"),
            ("POSTERN_SMTP__SMARTHOST_TLS", "StartTLS"),
            ("POSTERN_SMTP__SMARTHOST_USER", "relay"),
            ("POSTERN_SMTP__SMARTHOST_PASSWORD", "hunter2-secret"),
            ("POSTERN_SMTP__SMARTHOST_CA", "/etc/relay-ca.pem"),
            ("POSTERN_SMTP__RETRY_SCHEDULE", "1s, 2m"),
        ]),
    )
    .unwrap();
    assert_eq!(c.smtp.smarthost_tls, SmarthostTls::StartTls);
    assert_eq!(
        c.smtp.smarthost_ca,
        Some(PathBuf::from("/etc/relay-ca.pem"))
    );
    assert_eq!(c.smtp.retry_schedule.max_attempts(), 3);
    assert!(
        !format!("{c:?}").contains("hunter2"),
        "the password is redacted"
    );
    for (key, value, named) in [
        (
            "POSTERN_SMTP__SMARTHOST",
            "relay.example.org",
            "smtp.smarthost:",
        ),
        ("POSTERN_SMTP__SMARTHOST_TLS", "ssl", "smtp.smarthost_tls:"),
        (
            "POSTERN_SMTP__SMARTHOST_USER",
            "relay",
            "smtp.smarthost_user:",
        ),
        ("POSTERN_TLS__CERT", "/etc/cert.pem", "tls:"),
    ] {
        let e = Config::load(None, env(&[(key, value)])).unwrap_err();
        assert!(e.to_string().starts_with(named), "{key}={value}: {e}");
    }
}
