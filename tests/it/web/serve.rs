//! `postern serve` runs the web app on `web.listen`, and stops it cleanly on SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::support::postern_bin;

#[tokio::test]
async fn serve_runs_the_web_app_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(postern_bin());
    command
        .arg("serve")
        .env("POSTERN_DATA_DIR", dir.path())
        .env("POSTERN_WEB__LISTEN", "127.0.0.1:0")
        .env("POSTERN_WEB__PUBLIC_URL", "http://localhost:8080")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for key in [
        "IMAP__LISTEN",
        "IMAP__LISTEN_TLS",
        "SMTP__LISTEN",
        "SMTP__LISTEN_TLS",
        "POP3__LISTEN",
        "POP3__LISTEN_TLS",
        "LMTP__LISTEN",
    ] {
        command.env(format!("POSTERN_{key}"), "");
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut addr, mut login, mut password) = (None, None, None);
    let read = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["web.listen", a] => addr = Some(a.to_string()),
                ["Login:", l] => login = Some(l.to_string()),
                // Standard output is a pipe, not a terminal: the password is in a file.
                ["Password:", "in", path] => {
                    let text = std::fs::read_to_string(path).unwrap();
                    password = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Password: "))
                        .map(str::to_owned);
                    break;
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .unwrap();
    let (addr, login, password) = (addr.unwrap(), login.unwrap(), password.unwrap());
    assert_eq!(login, "admin@localhost");

    let http = reqwest::Client::new();
    let page = http
        .get(format!("http://{addr}/sign-in"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Sign in to Postern"));
    let res = http
        .post(format!("http://{addr}/api/v1/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    // The public URL is plain HTTP: the cookie is not `Secure`.
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("postern_session=") && !cookie.contains("Secure"));

    let pid = rustix::process::Pid::from_raw(child.id().unwrap() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let status = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("postern stops after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status}");
    assert!(
        http.get(format!("http://{addr}/sign-in"))
            .send()
            .await
            .is_err(),
        "the listener is closed"
    );
}

#[tokio::test]
async fn health_checks_answer_any_host_and_tell_nothing_else() {
    let server = postern_testkit::TestServer::start().await;
    let web = server.addr(postern_testkit::Listener::Web);
    let client = reqwest::Client::new();
    for (path, body) in [("/healthz", "ok\n"), ("/readyz", "ready\n")] {
        // A load balancer asks by address, not by the public name.
        let response = client
            .get(format!("http://{web}{path}"))
            .header("Host", "10.1.2.3:8080")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["cache-control"].to_str().unwrap(),
            "no-store"
        );
        assert_eq!(response.text().await.unwrap(), body, "{path}");
        // Only reading: anything else is refused.
        let post = client
            .post(format!("http://{web}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    // The rest of the web app still refuses a Host it does not serve.
    let other = client
        .get(format!("http://{web}/sign-in"))
        .header("Host", "10.1.2.3:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::MISDIRECTED_REQUEST);
}
