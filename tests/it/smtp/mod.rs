//! SMTP submission, LMTP, the outbound queue and the clients that use them.

mod binary;
mod expiry;
mod forgery;
mod hostile_input;
mod limits;
mod lmtp;
mod postfix;
mod relay;
mod relay_tls;
mod revocation;
pub mod sink;
mod submission;

use std::path::PathBuf;
use std::process::{Command, Output};

use base64::Engine;
use postern_domain::Email;
use postern_server::config::Config;
use postern_testkit::TestServer;

/// A server with the account `owner@example.org` and the addresses alice@ and bob@.
pub async fn server_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    let server = TestServer::start_with(adjust).await;
    server
        .account("owner@example.org", "a long account password")
        .await;
    server
        .address("alice@example.org", "owner@example.org")
        .await;
    server.address("bob@example.org", "owner@example.org").await;
    server
}

/// The contents of an address's INBOX, oldest first, read through the store.
pub async fn inbox(server: &TestServer, email: &str) -> Vec<String> {
    let store = server.core().store();
    let address = store
        .address_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .expect("a hosted address");
    let inbox = store.mailbox(address.id, "INBOX").await.unwrap().unwrap();
    let mut out = Vec::new();
    for m in store.messages(inbox.id).await.unwrap() {
        let content = store
            .message_content(inbox.id, m.uid)
            .await
            .unwrap()
            .unwrap();
        out.push(String::from_utf8_lossy(&content).into_owned());
    }
    out
}

/// Waits (up to `secs` seconds) until the INBOX holds at least `n` messages.
pub async fn wait_for_inbox(server: &TestServer, email: &str, n: usize, secs: u64) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let messages = inbox(server, email).await;
        if messages.len() >= n || std::time::Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The server's self-signed certificate, for clients that verify it.
pub fn cert(server: &TestServer) -> PathBuf {
    server.data_dir().join("tls-cert.pem")
}

/// `AUTH PLAIN` initial response.
pub fn plain(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

/// Runs a Python 3 script (stdlib only) with arguments, off the async threads.
pub async fn python(script: &str, args: Vec<String>) -> Output {
    let script = script.to_owned();
    tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .arg("-c")
            .arg(script)
            .args(args)
            .output()
            .expect("python3 runs")
    })
    .await
    .unwrap()
}

/// Runs swaks with arguments, off the async threads.
pub async fn swaks(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new("swaks")
            .args(args)
            .output()
            .expect("swaks is installed")
    })
    .await
    .unwrap()
}

/// Turns `&str`s into the `Vec<String>` the runners take.
pub fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// What a process printed, for assertion messages.
pub fn printed(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
