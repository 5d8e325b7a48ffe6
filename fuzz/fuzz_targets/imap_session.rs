//! A whole IMAP session driven by arbitrary bytes: the I/O-free session state machine
//! behind imap-next, with a real SQLite store (made once per fuzzing process).
//!
//! The first byte chooses the connection (loopback, TLS), whether the session starts
//! signed in (the fuzzer cannot guess a device password) and with INBOX selected, and how
//! the rest is cut into reads.

#![no_main]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use postern_domain::{Actor, Core, Description, ProtocolSet};
use postern_imap::harness::Harness;
use postern_imap::{Session, SessionInfo, Settings};

#[path = "fuzz_store.rs"]
mod fuzz_store;

struct Setup {
    runtime: tokio::runtime::Runtime,
    core: Arc<Core>,
    settings: Arc<Settings>,
    login: Vec<u8>,
    _dir: tempfile::TempDir,
}

const MULTIPART: &[u8] =
    b"From: A <a@example.org>\r\nTo: b@example.org\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\
Date: Tue, 2 Jan 2024 09:30:00 +0100\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n\
Subject: inner\r\n\r\nbody\r\n--b--\r\n";

fn setup() -> Setup {
    let runtime = fuzz_store::runtime();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (core, password) = runtime.block_on(async {
        let (core, address) = fuzz_store::core(dir.path()).await;
        let email = address.email.clone();
        let issued = core
            .create_device(
                &Actor::CommandLine,
                &email,
                Description::parse("Fuzzer").expect("description"),
                ProtocolSet::ALL,
            )
            .await
            .expect("device");
        for message in [MULTIPART, b"Subject: plain\r\n\r\nbody\r\n".as_slice()] {
            core.deliver(&address, message).await.expect("delivered");
        }
        let password = secrecy::ExposeSecret::expose_secret(&issued.password).to_owned();
        (core, password)
    });
    let settings = Settings {
        max_literal: 64 * 1024,
        max_line_bytes: 4096,
        ..Settings::default()
    };
    Setup {
        runtime,
        core: Arc::new(core),
        settings: Arc::new(settings),
        login: format!("a LOGIN fuzz@example.org {password}\r\n").into_bytes(),
        _dir: dir,
    }
}

static SETUP: OnceLock<Setup> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let s = SETUP.get_or_init(setup);
    s.runtime.block_on(async {
        let info = SessionInfo {
            ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            loopback: mode & 1 != 0,
            tls: mode & 2 != 0,
        };
        let mut h = Harness::new(Session::new(
            Arc::clone(&s.core),
            Arc::clone(&s.settings),
            info,
        ));
        if mode & 4 != 0 && info.loopback {
            h.feed(&s.login).await;
            if mode & 8 != 0 {
                h.feed(b"b SELECT INBOX\r\n").await;
            }
        }
        let chunk = usize::from(mode >> 4) * 7 + 1;
        for piece in input.chunks(chunk) {
            if !h.feed(piece).await {
                break;
            }
            h.take_output();
        }
    });
});
