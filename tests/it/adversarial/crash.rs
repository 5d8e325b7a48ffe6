//! Crash recovery: `postern serve` is killed with SIGKILL in the middle of sustained SMTP
//! submission, while `postern device create` runs beside it (and is killed too). After a
//! restart on the same data, every message acknowledged with 250 is in the mailbox, whole;
//! no message is half-written; every device password that was printed signs in.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use postern_domain::Email;
use postern_store::SqlStore;

use super::{Line, plain};
use crate::support::postern;

const EMAIL: &str = "admin@localhost";
/// Submitting connections at a time.
const SENDERS: usize = 3;

/// The store URL, on PostgreSQL when the suite runs there.
fn store_url(data: &Path) -> String {
    if std::env::var("STORE_UNDER_TEST").as_deref() == Ok("postgres") {
        postern_testkit::postgres::fresh_database()
    } else {
        format!("sqlite://{}", data.join("postern.db").display())
    }
}

/// Starts `postern serve` on `data` and returns it with its listeners by key.
fn serve(data: &Path, store: &str) -> (Child, BTreeMap<String, SocketAddr>) {
    let mut cmd = postern(data);
    cmd.arg("serve")
        .env("POSTERN_STORE", store)
        .env("POSTERN_WEB__LISTEN", "")
        .env("POSTERN_IMAP__LISTEN", "127.0.0.1:0")
        .env("POSTERN_IMAP__LISTEN_TLS", "")
        .env("POSTERN_SMTP__LISTEN", "127.0.0.1:0")
        .env("POSTERN_SMTP__LISTEN_TLS", "")
        .env("POSTERN_LMTP__LISTEN", "")
        .env("POSTERN_POP3__LISTEN", "")
        .env("POSTERN_POP3__LISTEN_TLS", "")
        .env("POSTERN_LIMITS__AUTH_FAILURE_PAUSE_MS", "0")
        // The test counts the messages in INBOX: no sign-in alert among them.
        .env("POSTERN_ALERTS__SIGN_IN", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("postern serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut found = BTreeMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("a line of the banner");
        let mut words = line.split_whitespace();
        if let (Some(key), Some(addr)) = (words.next(), words.next())
            && let Ok(addr) = addr.parse::<SocketAddr>()
        {
            found.insert(key.to_owned(), addr);
        }
        if line.contains("Web app:") {
            break;
        }
    }
    assert!(found.contains_key("smtp.listen"), "{found:?}");
    (child, found)
}

/// A message with a unique id, of a size that varies with `n` (up to ~150 KiB), so that the
/// crash can fall in the middle of writing one.
fn message(sender: usize, n: usize) -> (String, Vec<u8>) {
    let id = format!("crash-{sender}-{n}");
    let mut m = format!(
        "From: {EMAIL}\r\nTo: {EMAIL}\r\nSubject: {id}\r\nMessage-ID: <{id}@crash.test>\r\n\r\n"
    );
    let lines = 5 + (n * 7919 + sender * 104_729) % 2_000;
    for i in 0..lines {
        m.push_str(&format!("{id} line {i:05} {}\r\n", "x".repeat(60)));
    }
    m.push_str(&format!("end of {id}\r\n"));
    (id, m.into_bytes())
}

/// Sends a command and returns the reply, if the server is still there.
async fn step(c: &mut Line, line: String) -> Option<String> {
    c.send(line.as_bytes()).await.ok()?;
    c.reply().await
}

/// Submits messages until the server goes away; returns every message it sent and whether
/// the server acknowledged it with 250.
async fn submit(addr: SocketAddr, password: String, sender: usize) -> Vec<(String, Vec<u8>, bool)> {
    let mut sent = Vec::new();
    let Ok(mut c) = Line::connect(addr).await else {
        return sent;
    };
    if c.line().await.is_none()
        || step(&mut c, "EHLO crash.test\r\n".into()).await.is_none()
        || !step(
            &mut c,
            format!("AUTH PLAIN {}\r\n", plain(EMAIL, &password)),
        )
        .await
        .is_some_and(|r| r.starts_with("235"))
    {
        return sent;
    }
    for n in 0.. {
        let (id, body) = message(sender, n);
        let mail = step(&mut c, format!("MAIL FROM:<{EMAIL}>\r\n")).await;
        let rcpt = step(&mut c, format!("RCPT TO:<{EMAIL}>\r\n")).await;
        let data = step(&mut c, "DATA\r\n".into()).await;
        if !(mail.is_some_and(|r| r.starts_with("250"))
            && rcpt.is_some_and(|r| r.starts_with("250"))
            && data.is_some_and(|r| r.starts_with("354")))
        {
            return sent;
        }
        sent.push((id, body.clone(), false));
        let mut wire = body;
        wire.extend_from_slice(b".\r\n");
        if c.send(&wire).await.is_err() {
            return sent;
        }
        match c.reply().await {
            Some(r) if r.starts_with("250") => {
                if let Some(last) = sent.last_mut() {
                    last.2 = true;
                }
            }
            _ => return sent,
        }
    }
    sent
}

/// Creates devices with the command line until `crash`; kills the one running then.
/// Returns every password it printed, even by a process killed afterwards.
fn create_devices(data: &Path, store: &str, crash: &AtomicBool) -> Vec<String> {
    let mut shown = Vec::new();
    for n in 0.. {
        let mut child = postern(data)
            .env("POSTERN_STORE", store)
            .args(["device", "create", EMAIL, "--description"])
            .arg(format!("Crash {n}"))
            .args(["--protocols", "imap,smtp"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("postern device create starts");
        let killed = loop {
            if child.try_wait().expect("wait").is_some() {
                break false;
            }
            if crash.load(Ordering::Relaxed) {
                child.kill().expect("SIGKILL");
                child.wait().expect("reaped");
                break true;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let mut out = String::new();
        child
            .stdout
            .take()
            .expect("stdout")
            .read_to_string(&mut out)
            .expect("stdout");
        shown.extend(
            out.lines()
                .map(str::trim)
                .filter(|l| l.len() == 29)
                .map(str::to_owned),
        );
        if killed || crash.load(Ordering::Relaxed) {
            return shown;
        }
    }
    shown
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_message_and_no_shown_password() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = store_url(&data);
    let (mut server, addrs) = serve(&data, &store);
    let smtp = addrs["smtp.listen"];

    // The submitting device.
    let sender = {
        let out = postern(&data)
            .env("POSTERN_STORE", &store)
            .args([
                "device",
                "create",
                EMAIL,
                "--description",
                "Sender",
                "--protocols",
                "smtp",
            ])
            .output()
            .expect("postern device create");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };

    let crash = Arc::new(AtomicBool::new(false));
    let creator = {
        let (data, store, crash) = (data.clone(), store.clone(), Arc::clone(&crash));
        std::thread::spawn(move || create_devices(&data, &store, &crash))
    };
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        senders.push(tokio::spawn(submit(smtp, sender.clone(), s)));
    }
    // Somewhere between 1.5 and 4 seconds into the load.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let at = Duration::from_millis(1_500 + u64::from(nanos % 2_500));
    tokio::time::sleep(at).await;
    server.kill().expect("SIGKILL");
    crash.store(true, Ordering::Relaxed);
    server.wait().expect("reaped");

    let mut sent = Vec::new();
    for s in senders {
        sent.extend(
            tokio::time::timeout(Duration::from_secs(30), s)
                .await
                .expect("senders notice the crash")
                .unwrap(),
        );
    }
    let shown = tokio::task::spawn_blocking(move || creator.join().unwrap())
        .await
        .unwrap();
    let acked = sent.iter().filter(|(_, _, a)| *a).count();
    eprintln!(
        "killed after {at:?}: {acked} of {} messages acknowledged, {} device passwords shown",
        sent.len(),
        shown.len()
    );
    assert!(acked > 0, "no message was acknowledged before the crash");
    assert!(!shown.is_empty(), "no device was created before the crash");

    // Restart on the same data.
    let (mut server, addrs) = serve(&data, &store);

    // Every message acknowledged is there, whole; nothing else of ours is, and nothing is cut.
    let db = SqlStore::open(&store, Default::default()).await.unwrap();
    let address =
        postern_domain::repo::AddressRepo::address_by_email(&db, &Email::parse(EMAIL).unwrap())
            .await
            .unwrap()
            .expect("the address");
    let inbox = postern_domain::mail::MailRepo::mailbox(&db, address.id, "INBOX")
        .await
        .unwrap()
        .expect("INBOX");
    let by_id: BTreeMap<&str, (&[u8], bool)> = sent
        .iter()
        .map(|(id, body, acked)| (id.as_str(), (body.as_slice(), *acked)))
        .collect();
    let mut found = BTreeMap::new();
    for meta in postern_domain::mail::MailRepo::messages(&db, inbox.id)
        .await
        .unwrap()
    {
        let content = postern_domain::mail::MailRepo::message_content(&db, inbox.id, meta.uid)
            .await
            .unwrap()
            .expect("the content of a listed message");
        assert_eq!(
            content.len() as i64,
            meta.size,
            "uid {} has the size it claims",
            meta.uid
        );
        let text = String::from_utf8_lossy(&content);
        let Some(id) = text
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .map(str::trim)
        else {
            panic!("a message without a subject: {text:.200}");
        };
        let (body, _) = by_id
            .get(id)
            .unwrap_or_else(|| panic!("a message that was never sent: {id}"));
        assert!(
            content.ends_with(body),
            "{id} is not whole: {} bytes stored for {} sent",
            content.len(),
            body.len()
        );
        *found.entry(id.to_owned()).or_insert(0) += 1;
    }
    for (id, _, acked) in &sent {
        if *acked {
            assert_eq!(
                found.get(id),
                Some(&1),
                "{id} was acknowledged: stored once"
            );
        }
    }
    eprintln!(
        "after the restart: {} messages, each whole, {} of them unacknowledged",
        found.len(),
        found.len() - acked
    );
    db.close().await;

    // Every device password shown signs in.
    let imap = addrs["imap.listen"];
    for password in &shown {
        let mut c = Line::connect(imap).await.unwrap();
        c.line().await.expect("greeting");
        c.send(format!("a LOGIN {EMAIL} {password}\r\n").as_bytes())
            .await
            .unwrap();
        let answer = c.tagged("a").await.expect("an answer");
        assert!(
            answer.contains("a OK"),
            "a shown password is refused: {answer}"
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
