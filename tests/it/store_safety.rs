//! What the store keeps and survives: no password at rest or in logs, committed devices
//! survive a killed writer, and a disconnect by another process reaches live sessions.

use std::net::IpAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};

use postern_domain::clock::SystemClock;
use postern_domain::{DevicePassword, Protocol};
use postern_server::config::Config;
use postern_testkit::TestServer;
use secrecy::ExposeSecret;

use crate::support::{postern, run};

fn setup_address(dir: &std::path::Path) {
    assert_eq!(run(dir, &["account", "create", "ann@example.com"]).code, 0);
    assert_eq!(
        run(
            dir,
            &[
                "address",
                "create",
                "ann@example.com",
                "--owner",
                "ann@example.com"
            ]
        )
        .code,
        0
    );
}

#[test]
fn passwords_never_reach_the_files_or_the_logs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_address(dir);
    let mut logs = String::new();
    let mut passwords = Vec::new();
    for i in 0..5 {
        let out = postern(dir)
            .env("RUST_LOG", "trace")
            .args([
                "device",
                "create",
                "ann@example.com",
                "--description",
                &format!("Device {i}"),
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
        logs.push_str(&String::from_utf8_lossy(&out.stderr));
        passwords.push(String::from_utf8(out.stdout).unwrap().trim().to_owned());
    }
    let out = postern(dir)
        .env("RUST_LOG", "trace")
        .args(["device", "list", "ann@example.com", "--json"])
        .output()
        .unwrap();
    logs.push_str(&String::from_utf8_lossy(&out.stderr));
    assert!(
        logs.contains("device created"),
        "the logs were captured: {logs}"
    );
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        files.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(files.iter().any(|(name, _)| name.ends_with("postern.db")));
    for shown in &passwords {
        let canonical = DevicePassword::parse(shown)
            .unwrap()
            .canonical()
            .expose_secret()
            .to_owned();
        for needle in [
            shown.as_str(),
            canonical.as_str(),
            &shown.to_uppercase(),
            &canonical.to_uppercase(),
        ] {
            assert!(!logs.contains(needle), "a password is in the logs");
            for (name, bytes) in &files {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "a password is in {name}"
                );
            }
        }
    }
}

#[tokio::test]
async fn committed_devices_survive_a_killed_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    setup_address(dir);
    let mut confirmed = Vec::new();
    let mut killed = 0;
    for i in 0..40u64 {
        let mut child = postern(dir)
            .args([
                "device",
                "create",
                "ann@example.com",
                "--description",
                &format!("Device {i}"),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at varying points: before, during and after the write.
        tokio::time::sleep(Duration::from_millis((i * 7) % 60)).await;
        match child.try_wait().unwrap() {
            Some(status) => {
                let out = child.wait_with_output().unwrap();
                assert!(status.success());
                confirmed.push(String::from_utf8(out.stdout).unwrap().trim().to_owned());
            }
            None => {
                child.kill().unwrap();
                let out = child.wait_with_output().unwrap();
                let printed = String::from_utf8(out.stdout).unwrap();
                if !printed.trim().is_empty() {
                    confirmed.push(printed.trim().to_owned());
                }
                killed += 1;
            }
        }
    }
    eprintln!(
        "{killed} writers killed, {} devices confirmed",
        confirmed.len()
    );
    assert!(killed > 0, "no writer was killed; the test proves nothing");
    assert!(!confirmed.is_empty());
    let config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    let core = postern_server::setup::open_core(&config, std::sync::Arc::new(SystemClock))
        .await
        .expect("the store opens cleanly after the kills");
    for (n, password) in confirmed.iter().enumerate() {
        let ip = IpAddr::from([10, 0, 0, u8::try_from(n % 250).unwrap()]);
        core.verify("ann@example.com", password, Protocol::Imap, ip)
            .await
            .expect("every device whose password was shown is there");
    }
}

#[tokio::test]
async fn a_disconnect_from_the_command_line_reaches_the_running_server() {
    let server = TestServer::start().await;
    let dir = server.data_dir();
    server.account("ann@example.com", "ann's password").await;
    server.address("ann@example.com", "ann@example.com").await;
    let (id, password) = server.device("ann@example.com", "Phone", "imap").await;
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let mut session = server
        .core()
        .verify("ann@example.com", &password, Protocol::Imap, local)
        .await
        .unwrap();
    let store = server.config.store_url();
    let cli = tokio::task::spawn_blocking(move || {
        let out = postern(&dir)
            .env("POSTERN_STORE", store)
            .args(["device", "disconnect", "ann@example.com", &id.to_string()])
            .output()
            .unwrap();
        (out, Instant::now())
    });
    let (out, committed) = cli.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::timeout(Duration::from_secs(1), session.revocation.revoked())
        .await
        .expect("the running server hears the disconnect within 1 s");
    eprintln!(
        "revocation reached the server {:?} after the command exited",
        committed.elapsed()
    );
    server.stop().await;
}
