//! Messages built to exhaust the stack: MIME parts nested thousands of levels deep (multipart,
//! message/rfc822, both), HTML nested a hundred thousand elements deep, header comments and
//! address groups that never close. Delivered over LMTP and SMTP to a real `postern serve`,
//! then read every way there is: IMAP BODYSTRUCTURE, ENVELOPE, BODY[] and sections, SEARCH
//! TEXT and BODY, POP3 RETR and TOP, the webmail's reading view and attachments. Every answer
//! arrives, the process stays up, and a session opened before carries on afterwards.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Stdio};

use reqwest::StatusCode;
use serde_json::json;

use super::{Line, plain};
use crate::support::postern;

mod messages;

use messages::{HEADER_BOMBS, NEEDLE, data, messages};

const EMAIL: &str = "admin@localhost";

/// A running `postern serve` with every plain listener on a free port.
struct Server {
    child: Child,
    /// Its store, for the command line beside it.
    store: String,
    addrs: BTreeMap<String, SocketAddr>,
    login: String,
    password: String,
}

impl Server {
    fn start(data: &Path) -> Self {
        let store = if std::env::var("STORE_UNDER_TEST").as_deref() == Ok("postgres") {
            postern_testkit::postgres::fresh_database()
        } else {
            format!("sqlite://{}", data.join("postern.db").display())
        };
        let mut cmd = postern(data);
        cmd.arg("serve")
            .env("POSTERN_STORE", &store)
            // The test counts the messages in INBOX: no sign-in alert among them.
            .env("POSTERN_ALERTS__SIGN_IN", "false")
            .env("POSTERN_WEB__LISTEN", "127.0.0.1:0")
            .env("POSTERN_WEB__PUBLIC_URL", "http://localhost:8080")
            .env("POSTERN_IMAP__LISTEN", "127.0.0.1:0")
            .env("POSTERN_IMAP__LISTEN_TLS", "")
            .env("POSTERN_SMTP__LISTEN", "127.0.0.1:0")
            .env("POSTERN_SMTP__LISTEN_TLS", "")
            .env("POSTERN_LMTP__LISTEN", "127.0.0.1:0")
            .env("POSTERN_POP3__LISTEN", "127.0.0.1:0")
            .env("POSTERN_POP3__LISTEN_TLS", "")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("postern serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (mut addrs, mut login, mut password) = (BTreeMap::new(), None, None);
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            let line = line.expect("a line of the banner");
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                [key, addr] if addr.parse::<SocketAddr>().is_ok() => {
                    addrs.insert((*key).to_owned(), addr.parse().expect("an address"));
                }
                ["Login:", l] => login = Some((*l).to_owned()),
                // Not a terminal: the password is in the file it names.
                ["Password:", "in", file] => {
                    let text = std::fs::read_to_string(file).expect("the first account's file");
                    password = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Password: "))
                        .map(str::to_owned);
                    break;
                }
                _ => {}
            }
        }
        // The rest of what it prints is read, so that it never writes to a closed pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server {
            child,
            store,
            addrs,
            login: login.expect("the first account's login"),
            password: password.expect("the first account's password"),
        }
    }

    fn addr(&self, key: &str) -> SocketAddr {
        self.addrs[key]
    }

    /// Panics if the process has ended (a stack overflow aborts it).
    fn assert_up(&mut self, after: &str) {
        let status = self.child.try_wait().expect("wait");
        assert!(
            status.is_none(),
            "the server died after {after}: {status:?}"
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn command(c: &mut Line, line: &str) -> String {
    c.send(format!("{line}\r\n").as_bytes()).await.unwrap();
    c.reply().await.expect("a reply")
}

async fn deliver_lmtp(addr: SocketAddr, message: &str) {
    let mut c = Line::connect(addr).await.unwrap();
    c.reply().await.expect("a greeting");
    assert!(
        command(&mut c, "LHLO mx.example.test")
            .await
            .starts_with("250")
    );
    assert!(command(&mut c, "MAIL FROM:<>").await.starts_with("250"));
    let rcpt = command(&mut c, &format!("RCPT TO:<{EMAIL}>")).await;
    assert!(rcpt.starts_with("250"), "{rcpt}");
    assert!(command(&mut c, "DATA").await.starts_with("354"));
    c.send(&data(message)).await.unwrap();
    let done = c.reply().await.expect("the delivery's reply");
    assert!(done.starts_with("250"), "{done}");
}

/// Submits `message` and returns the answer to its data.
async fn submit(addr: SocketAddr, password: &str, message: &str) -> String {
    let mut c = Line::connect(addr).await.unwrap();
    c.reply().await.expect("a greeting");
    assert!(
        command(&mut c, "EHLO laptop.example.test")
            .await
            .starts_with("250")
    );
    let auth = command(&mut c, &format!("AUTH PLAIN {}", plain(EMAIL, password))).await;
    assert!(auth.starts_with("235"), "{auth}");
    assert!(
        command(&mut c, &format!("MAIL FROM:<{EMAIL}>"))
            .await
            .starts_with("250")
    );
    assert!(
        command(&mut c, &format!("RCPT TO:<{EMAIL}>"))
            .await
            .starts_with("250")
    );
    assert!(command(&mut c, "DATA").await.starts_with("354"));
    c.send(&data(message)).await.unwrap();
    c.reply().await.expect("the submission's reply")
}

/// An IMAP command's whole answer, which must end in a tagged OK.
async fn imap_ok(c: &mut Line, tag: &str, command: &str) -> String {
    c.send(format!("{tag} {command}\r\n").as_bytes())
        .await
        .unwrap();
    let Some(answer) = c.tagged(tag).await else {
        panic!("{command}: the connection closed before the answer");
    };
    let last = answer.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("{tag} OK")),
        "{command}: {}",
        &last[..last.len().min(300)]
    );
    answer
}

async fn imap_session(addr: SocketAddr, password: &str) -> Line {
    let mut c = Line::connect(addr).await.unwrap();
    c.line().await.expect("a greeting");
    imap_ok(&mut c, "l", &format!("LOGIN {EMAIL} \"{password}\"")).await;
    imap_ok(&mut c, "s", "SELECT INBOX").await;
    c
}

/// A POP3 multi-line answer, up to its lone dot.
async fn pop3_multiline(c: &mut Line, command: &str) -> String {
    c.send(format!("{command}\r\n").as_bytes()).await.unwrap();
    let first = c.line().await.expect("a status line");
    assert!(first.starts_with("+OK"), "{command}: {first}");
    let mut all = String::new();
    loop {
        let line = c.line().await.expect("the rest of the answer");
        if line == ".\r\n" {
            return all;
        }
        all.push_str(&line);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deeply_nested_messages_are_read_every_way_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut server = Server::start(&data_dir);
    let device = postern(&data_dir)
        .env("POSTERN_STORE", &server.store)
        .args(["device", "create", EMAIL, "--description", "Deep"])
        .output()
        .expect("postern device create");
    assert!(
        device.status.success(),
        "{}",
        String::from_utf8_lossy(&device.stderr)
    );
    let password = String::from_utf8(device.stdout).unwrap().trim().to_owned();

    // A session opened before the hostile mail arrives, to carry on after it.
    let mut bystander = imap_session(server.addr("imap.listen"), &password).await;

    let hostile = messages();
    let mut count = 0;
    for (name, message) in &hostile {
        deliver_lmtp(server.addr("lmtp.listen"), message).await;
        count += 1;
        let submitted = submit(server.addr("smtp.listen"), &password, message).await;
        if *name == HEADER_BOMBS {
            // Its Sender: names no address of the signer's: the author check reads the bomb
            // through and refuses it.
            assert!(submitted.starts_with("550 5.7.1"), "{submitted}");
        } else {
            assert!(submitted.starts_with("250"), "{submitted}");
            count += 1;
        }
        server.assert_up(&format!("delivering {name}"));
    }

    let mut c = imap_session(server.addr("imap.listen"), &password).await;
    // A path deeper than the structure is cut at, and one as deep as some of the messages.
    let deep_path = vec!["1"; 150].join(".");
    let deeper_path = vec!["1"; 2_500].join(".");
    for n in 1..=count {
        let (name, message) = &hostile[(n - 1) / 2];
        let structure = imap_ok(&mut c, "b", &format!("FETCH {n} (BODYSTRUCTURE)")).await;
        assert!(
            structure.starts_with(&format!("* {n} FETCH (BODYSTRUCTURE (")),
            "{name}"
        );
        if name.starts_with("multipart") || name.starts_with("message") || name.starts_with("mix") {
            assert!(
                structure.contains("\"APPLICATION\" \"OCTET-STREAM\""),
                "{name}: the part at the limit is opaque"
            );
        }
        imap_ok(&mut c, "e", &format!("FETCH {n} (ENVELOPE BODY FLAGS)")).await;
        let whole = imap_ok(&mut c, "w", &format!("FETCH {n} (BODY.PEEK[])")).await;
        let tail = &message[message.len() - 200..];
        assert!(whole.contains(tail), "{name}: BODY[] is the whole message");
        for section in [
            "1".to_owned(),
            "1.1".to_owned(),
            "1.MIME".to_owned(),
            "1.1.HEADER".to_owned(),
            "TEXT".to_owned(),
            format!("{deep_path}.TEXT"),
            deep_path.clone(),
        ] {
            imap_ok(&mut c, "p", &format!("FETCH {n} (BODY.PEEK[{section}])")).await;
        }
        // Longer than the command line allows: refused, but answered.
        c.send(format!("d FETCH {n} (BODY.PEEK[{deeper_path}])\r\n").as_bytes())
            .await
            .unwrap();
        let refused = c.tagged("d").await.expect("an answer");
        assert!(
            refused.contains("d BAD") || refused.contains("d OK"),
            "{refused}"
        );
        server.assert_up(&format!("fetching {name}"));
    }
    let found = imap_ok(&mut c, "t", &format!("SEARCH TEXT {NEEDLE}")).await;
    let all: Vec<String> = (1..=count).map(|n| n.to_string()).collect();
    assert!(
        found.starts_with(&format!("* SEARCH {}\r\n", all.join(" "))),
        "the needle is found at the bottom of every message: {found}"
    );
    imap_ok(&mut c, "y", &format!("SEARCH BODY {NEEDLE}")).await;
    imap_ok(
        &mut c,
        "z",
        &format!("UID SEARCH OR SUBJECT level FROM {NEEDLE}"),
    )
    .await;
    server.assert_up("searching");

    // POP3 hands the messages over as they are.
    let mut pop = Line::connect(server.addr("pop3.listen")).await.unwrap();
    pop.line().await.expect("a greeting");
    pop.send(format!("USER {EMAIL}\r\n").as_bytes())
        .await
        .unwrap();
    assert!(pop.line().await.unwrap().starts_with("+OK"));
    pop.send(format!("PASS {password}\r\n").as_bytes())
        .await
        .unwrap();
    assert!(pop.line().await.unwrap().starts_with("+OK"));
    for n in 1..=count {
        let retr = pop3_multiline(&mut pop, &format!("RETR {n}")).await;
        assert!(retr.contains(NEEDLE), "message {n}");
        pop3_multiline(&mut pop, &format!("TOP {n} 5")).await;
    }
    pop.send(b"QUIT\r\n").await.unwrap();
    server.assert_up("POP3");

    // The webmail opens each of them, its HTML body and its attachments.
    let web = format!("http://{}", server.addr("web.listen"));
    let http = reqwest::Client::new();
    let signed = http
        .post(format!("{web}/api/v1/login"))
        .json(&json!({"login": server.login, "password": server.password}))
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::OK);
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let list = http
        .get(format!("{web}/mail/{EMAIL}/folder/INBOX"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK, "the message list");
    for uid in 1..=count {
        let (name, _) = &hostile[(uid - 1) / 2];
        let url = format!("{web}/mail/{EMAIL}/folder/INBOX/{uid}");
        let page = http
            .get(&url)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK, "{name}");
        for sub in ["/body", "/parts/1", "/parts/2", "/parts/150"] {
            let res = http
                .get(format!("{url}{sub}"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert!(
                res.status() == StatusCode::OK || res.status() == StatusCode::NOT_FOUND,
                "{name}{sub}: {}",
                res.status()
            );
        }
        if name.starts_with("html") {
            let body = http
                .get(format!("{url}/body"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(body.contains(NEEDLE), "{name}: the sanitised body is shown");
        }
        server.assert_up(&format!("opening {name} in the webmail"));
    }

    // The session opened before carries on, and new ones are served.
    imap_ok(&mut bystander, "n", "NOOP").await;
    let status = imap_ok(&mut bystander, "x", "STATUS INBOX (MESSAGES)").await;
    assert!(status.contains(&format!("(MESSAGES {count})")), "{status}");
    let mut fresh = imap_session(server.addr("imap.listen"), &password).await;
    imap_ok(&mut fresh, "f", "FETCH 1:* (FLAGS)").await;
    server.assert_up("everything");
}
