//! Sessions driven without sockets (through the harness) and the driver on a real socket,
//! both with a real SQLite store.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use postern_domain::account_password::AccountPassword;
use postern_domain::clock::SystemClock;
use postern_domain::model::Address;
use postern_domain::throttle::ThrottleConfig;
use postern_domain::{Actor, Core, Description, DeviceId, Email, Login, Pepper, ProtocolSet};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::Harness;
use crate::{Action, Session, SessionInfo, Settings};

pub(crate) struct World {
    pub core: Arc<Core>,
    pub password: String,
    pub device: DeviceId,
    pub address: Address,
    _dir: tempfile::TempDir,
}

pub(crate) async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let store = postern_store::SqlStore::open(
        &format!("sqlite://{}", dir.path().join("t.db").display()),
        Default::default(),
    )
    .await
    .unwrap();
    let throttle = ThrottleConfig {
        failure_pause: Duration::from_millis(1),
        ..ThrottleConfig::default()
    };
    let core = Core::new(
        Arc::new(store),
        Pepper::generate().unwrap(),
        Arc::new(SystemClock),
        throttle,
    )
    // The tests count the messages in INBOX: no sign-in alert among them.
    .with_policy(postern_domain::Policy {
        sign_in_alerts: false,
        ..Default::default()
    });
    let login = Login::parse("owner@example.org").unwrap();
    let email = Email::parse("me@example.org").unwrap();
    core.create_account(
        &login,
        AccountPassword::parse_new("a long password").unwrap(),
    )
    .await
    .unwrap();
    let address = core.create_address(&email, &login).await.unwrap();
    let issued = core
        .create_device(
            &Actor::CommandLine,
            &email,
            Description::parse("Laptop").unwrap(),
            ProtocolSet::ALL,
        )
        .await
        .unwrap();
    World {
        core: Arc::new(core),
        password: secrecy::ExposeSecret::expose_secret(&issued.password).to_owned(),
        device: issued.device.id,
        address,
        _dir: dir,
    }
}

pub(crate) fn remote(loopback: bool, tls: bool) -> SessionInfo {
    SessionInfo {
        ip: if loopback {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))
        },
        loopback,
        tls,
    }
}

pub(crate) fn harness(w: &World, info: SessionInfo) -> Harness {
    Harness::new(Session::new(
        Arc::clone(&w.core),
        Arc::new(Settings::default()),
        info,
    ))
}

pub(crate) async fn say(h: &mut Harness, input: &str) -> String {
    h.feed(input.as_bytes()).await;
    String::from_utf8(h.take_output()).unwrap()
}

#[tokio::test]
async fn plaintext_sign_in_is_refused_off_loopback() {
    let w = world().await;
    let mut h = harness(&w, remote(false, false));
    assert_eq!(
        say(&mut h, "").await,
        "* OK [CAPABILITY IMAP4REV1 LITERAL+ SASL-IR ID ENABLE IDLE STARTTLS LOGINDISABLED] Postern ready.\r\n"
    );
    let login = format!("a LOGIN me@example.org {}\r\n", w.password);
    assert_eq!(
        say(&mut h, &login).await,
        "a NO [PRIVACYREQUIRED] Use STARTTLS before signing in\r\n"
    );
    assert_eq!(
        say(&mut h, "b AUTHENTICATE PLAIN AG1lQGV4YW1wbGUub3JnAHg=\r\n").await,
        "b NO [PRIVACYREQUIRED] Use STARTTLS before signing in\r\n"
    );
    assert_eq!(
        say(&mut h, "c STARTTLS\r\n").await,
        "c OK Begin TLS negotiation now\r\n"
    );
    assert_eq!(h.ended(), Some(Action::StartTls));

    // Over TLS the same password works.
    let mut h = harness(&w, remote(false, true));
    let greeting = say(&mut h, "").await;
    assert!(greeting.contains(" AUTH=PLAIN]"), "{greeting}");
    assert!(say(&mut h, &login).await.starts_with("a OK [CAPABILITY "));
}

#[tokio::test]
async fn too_many_failures_close_the_connection() {
    let w = world().await;
    let mut h = harness(&w, remote(true, false));
    say(&mut h, "").await;
    for i in 0..4 {
        let out = say(&mut h, &format!("a{i} LOGIN me@example.org wrong\r\n")).await;
        assert_eq!(
            out,
            format!("a{i} NO [AUTHENTICATIONFAILED] Authentication failed\r\n")
        );
    }
    assert_eq!(
        say(&mut h, "a4 LOGIN me@example.org wrong\r\n").await,
        "a4 NO [AUTHENTICATIONFAILED] Authentication failed\r\n* BYE Too many failed sign-ins\r\n"
    );
    assert_eq!(h.ended(), Some(Action::Close));
}

#[tokio::test]
async fn revocation_in_idle_says_bye() {
    let w = world().await;
    let mut h = harness(&w, remote(true, false));
    say(
        &mut h,
        &format!(
            "a LOGIN me@example.org {}\r\nb SELECT INBOX\r\n",
            w.password
        ),
    )
    .await;
    assert_eq!(say(&mut h, "c IDLE\r\n").await, "+ idling\r\n");
    w.core
        .disconnect_device(&Actor::CommandLine, w.device)
        .await
        .unwrap();
    assert!(h.session.revocation().unwrap().is_revoked());
    h.revoke().await;
    assert_eq!(
        String::from_utf8(h.take_output()).unwrap(),
        "* BYE This device was disconnected\r\n"
    );
    assert_eq!(h.ended(), Some(Action::Close));
}

#[tokio::test]
async fn a_large_fetch_is_answered_in_batches() {
    let w = world().await;
    for i in 0..150 {
        let m = format!("Subject: {i}\r\n\r\n{}\r\n", "x".repeat(100));
        w.core.deliver(&w.address, m.as_bytes()).await.unwrap();
    }
    let mut h = harness(&w, remote(true, false));
    say(
        &mut h,
        &format!(
            "a LOGIN me@example.org {}\r\nb SELECT INBOX\r\n",
            w.password
        ),
    )
    .await;
    let out = say(&mut h, "c FETCH 1:* (UID BODY[])\r\nd NOOP\r\n").await;
    assert_eq!(out.matches(" FETCH (UID ").count(), 150);
    assert!(out.contains("* 150 FETCH (UID 150 BODY[] {"), "{out}");
    assert!(out.ends_with("c OK FETCH completed\r\nd OK NOOP completed\r\n"));
    // BODY[] set \Seen on every message.
    let out = say(&mut h, "e SEARCH UNSEEN\r\n").await;
    assert_eq!(out, "* SEARCH\r\ne OK SEARCH completed\r\n");
}

/// Runs the driver on one accepted connection of a fresh listener.
async fn drive(w: &World, settings: Settings) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (cert, key) = postern_net::tls::self_signed(&["localhost".into()]).unwrap();
    let tls = postern_net::tls::acceptor(cert.as_bytes(), key.as_bytes()).unwrap();
    let core = Arc::clone(&w.core);
    tokio::spawn(async move {
        let (tcp, remote) = listener.accept().await.unwrap();
        let connection = postern_net::Connection {
            peer: postern_net::Peer {
                remote,
                local: tcp.local_addr().unwrap(),
            },
            stream: postern_net::Stream::Plain(tcp),
            shutdown: tokio_util::sync::CancellationToken::new(),
        };
        crate::serve_connection(core, Arc::new(settings), tls, connection).await;
    });
    addr
}

async fn read_all(tcp: &mut tokio::net::TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn autologout_before_and_after_sign_in() {
    let w = world().await;
    let settings = Settings {
        login_timeout: Duration::from_millis(300),
        autologout: Duration::from_millis(600),
        ..Settings::default()
    };
    let addr = drive(&w, settings.clone()).await;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let out = read_all(&mut tcp).await;
    assert!(
        out.ends_with("\r\n* BYE Autologout; idle for too long\r\n"),
        "{out}"
    );

    let addr = drive(&w, settings).await;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let started = std::time::Instant::now();
    tcp.write_all(format!("a LOGIN me@example.org {}\r\n", w.password).as_bytes())
        .await
        .unwrap();
    let out = read_all(&mut tcp).await;
    assert!(out.contains("a OK [CAPABILITY "), "{out}");
    assert!(
        out.ends_with("* BYE Autologout; idle for too long\r\n"),
        "{out}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "signed in, the longer limit applies"
    );
}

/// Every connection's task holds this future for its whole life, so it must stay small
/// (10,000 idle sessions are to fit in 100 MiB); command work is boxed only while it runs.
#[tokio::test]
async fn the_connection_future_stays_small() {
    let w = world().await;
    let (cert, key) = postern_net::tls::self_signed(&["localhost".into()]).unwrap();
    let tls = postern_net::tls::acceptor(cert.as_bytes(), key.as_bytes()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (tcp, peer) = listener.accept().await.unwrap();
    let connection = postern_net::Connection {
        peer: postern_net::Peer {
            remote: peer,
            local: addr,
        },
        stream: postern_net::Stream::Plain(tcp),
        shutdown: tokio_util::sync::CancellationToken::new(),
    };
    let settings = Arc::new(Settings::default());
    let future = crate::serve_connection(Arc::clone(&w.core), settings, tls, connection);
    let size = std::mem::size_of_val(&future);
    assert!(size <= 4096, "the connection future takes {size} bytes");
}

#[tokio::test]
async fn idle_hears_of_changes_made_by_another_process() {
    let w = world().await;
    let settings = Settings {
        idle_poll: Duration::from_millis(200),
        ..Settings::default()
    };
    let addr = drive(&w, settings).await;
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        format!(
            "a LOGIN me@example.org {}\r\nb SELECT INBOX\r\nc IDLE\r\n",
            w.password
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("+ idling\r\n") {
        let n = tcp.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        seen.extend_from_slice(&chunk[..n]);
    }
    // Written straight to the store: no in-process news, as from another server process.
    let inbox = w
        .core
        .store()
        .mailbox(w.address.id, "INBOX")
        .await
        .unwrap()
        .unwrap();
    w.core
        .store()
        .append(
            inbox.id,
            &Default::default(),
            time::OffsetDateTime::now_utc(),
            b"Subject: x\r\n\r\ny\r\n",
            &Default::default(),
        )
        .await
        .unwrap();
    let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut chunk))
        .await
        .expect("woken by the poll")
        .unwrap();
    assert_eq!(&chunk[..n], b"* 1 EXISTS\r\n* 1 RECENT\r\n");
}
