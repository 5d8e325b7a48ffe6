//! Memory before sign-in: strangers announcing huge literals make the real server binary
//! hold next to nothing, and a rightful sign-in goes on meanwhile.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Client, EMAIL};
use crate::support::{postern, run};

const CONNECTIONS: usize = 50;
/// Of the announced 40 MB, what each stranger sends.
const SENT: usize = 512 * 1024;

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status")
}

/// `postern serve` on free loopback ports; returns it and its IMAP address.
fn serve(dir: &std::path::Path) -> (Child, SocketAddr) {
    let mut cmd = postern(&dir.join("data"));
    cmd.current_dir(dir)
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(dir.join("serve.log")).unwrap());
    for key in ["WEB", "IMAP", "SMTP", "POP3", "LMTP"] {
        cmd.env(format!("POSTERN_{key}__LISTEN"), "127.0.0.1:0");
    }
    for key in ["IMAP", "SMTP", "POP3"] {
        cmd.env(format!("POSTERN_{key}__LISTEN_TLS"), "127.0.0.1:0");
    }
    let mut child = cmd.spawn().expect("postern serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut imap = None;
    for line in lines.by_ref() {
        let line = line.expect("banner");
        let mut words = line.split_whitespace();
        if words.next() == Some("imap.listen") {
            imap = words.next().and_then(|a| a.parse().ok());
        }
        if line.contains("Web app:") {
            break;
        }
    }
    // Keep reading what it prints, so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, imap.expect("the IMAP address in the banner"))
}

/// Connects, reads the greeting and announces a 40 MB literal, then sends part of it.
async fn stranger(addr: SocketAddr, n: usize) -> Option<TcpStream> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    let mut greeting = [0u8; 512];
    let _ = s.read(&mut greeting).await.ok()?;
    // Half synchronising (refused with NO), half not (the connection is closed).
    let plus = if n.is_multiple_of(2) { "" } else { "+" };
    let line = format!("x{n} LOGIN {{40000000{plus}}}\r\n");
    s.write_all(line.as_bytes()).await.ok()?;
    let chunk = vec![b'x'; 64 * 1024];
    for _ in 0..SENT / chunk.len() {
        match tokio::time::timeout(Duration::from_secs(2), s.write_all(&chunk)).await {
            Ok(Ok(())) => {}
            // Closed by the server, or it reads no more: either way it holds nothing.
            _ => break,
        }
    }
    Some(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_literals_before_sign_in_take_no_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut child, addr) = serve(tmp.path());
    let created = run(
        &tmp.path().join("data"),
        &[
            "device",
            "create",
            EMAIL,
            "--description",
            "Laptop",
            "--protocols",
            "imap",
        ],
    );
    assert_eq!(created.code, 0, "{}", created.stderr);
    let password = created.stdout.trim().to_owned();

    // Warm up: one sign-in, so that what a first session sets up once is not counted.
    let mut c = Client::connect(addr).await;
    c.ok(&format!("LOGIN {EMAIL} {password}")).await;
    c.ok("SELECT INBOX").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = rss_kib(child.id());

    let strangers: Vec<_> = (0..CONNECTIONS)
        .map(|n| tokio::spawn(stranger(addr, n)))
        .collect();
    // A rightful sign-in meanwhile.
    let started = Instant::now();
    let mut c = Client::connect(addr).await;
    c.ok(&format!("LOGIN {EMAIL} {password}")).await;
    c.ok("SELECT INBOX").await;
    assert!(started.elapsed() < Duration::from_secs(10));
    let mut open = Vec::new();
    for s in strangers {
        open.extend(s.await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(child.id());
    println!("server RSS: {before} KiB before the strangers, {after} KiB with them");
    assert!(
        after.saturating_sub(before) < 10 * 1024,
        "RSS grew from {before} KiB to {after} KiB"
    );
    c.ok("NOOP").await;
    drop(open);

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    child.wait().unwrap();
}
