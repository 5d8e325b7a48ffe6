//! `postern serve` itself: the SMTP, LMTP and POP3 listeners it reports answer.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::postern_bin;
use crate::wire::Wire;

#[tokio::test(flavor = "multi_thread")]
async fn postern_serve_starts_smtp_lmtp_and_pop3() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(postern_bin())
        .arg("serve")
        .env("POSTERN_DATA_DIR", dir.path())
        .env("POSTERN_WEB__LISTEN", "")
        .env("POSTERN_IMAP__LISTEN", "")
        .env("POSTERN_IMAP__LISTEN_TLS", "")
        .env("POSTERN_SMTP__LISTEN", "127.0.0.1:0")
        .env("POSTERN_SMTP__LISTEN_TLS", "127.0.0.1:0")
        .env("POSTERN_LMTP__LISTEN", "127.0.0.1:0")
        .env("POSTERN_POP3__LISTEN", "127.0.0.1:0")
        .env("POSTERN_POP3__LISTEN_TLS", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let listeners = tokio::task::spawn_blocking(move || {
        let mut found = std::collections::BTreeMap::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            let mut words = line.split_whitespace();
            if let (Some(key), Some(addr)) = (words.next(), words.next())
                && let Ok(addr) = addr.parse::<std::net::SocketAddr>()
            {
                found.insert(key.to_owned(), addr);
            }
            if line.contains("Web app:") {
                break;
            }
        }
        found
    })
    .await
    .unwrap();
    let greetings = [
        ("smtp.listen", "220 localhost ESMTP Postern ready"),
        ("lmtp.listen", "220 localhost LMTP Postern ready"),
        ("pop3.listen", "+OK localhost Postern POP3 ready"),
    ];
    for (key, greeting) in greetings {
        let addr = listeners
            .get(key)
            .unwrap_or_else(|| panic!("{key} in {listeners:?}"));
        let (_, got) = Wire::connect(*addr).await;
        assert_eq!(got, greeting);
    }
    assert!(listeners.contains_key("smtp.listen_tls"));
    assert!(listeners.contains_key("pop3.listen_tls"));
    child.kill().unwrap();
    child.wait().unwrap();
}
