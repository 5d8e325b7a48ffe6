//! Slow clients: hundreds of connections that send nothing, and some that send a byte at a
//! time, to IMAP, SMTP, LMTP and POP3. Others are served as fast as before meanwhile, and
//! the timeouts close the slow ones: a trickle of bytes does not keep a connection open.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use postern_testkit::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{Line, RIGHTFUL, median, plain};
use postern_testkit::Listener;

const EMAIL: &str = "admin@localhost";
const LOGIN_TIMEOUT: Duration = Duration::from_secs(3);
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
const AUTOLOGOUT: Duration = Duration::from_secs(4);
/// Slack for a loaded machine between a deadline and the close being seen.
const SLACK: Duration = Duration::from_secs(3);

#[derive(Clone, Copy, Debug)]
enum Proto {
    Imap,
    Smtp,
    Lmtp,
    Pop3,
}

impl Proto {
    fn key(self) -> Listener {
        match self {
            Proto::Imap => Listener::Imap,
            Proto::Smtp => Listener::Smtp,
            Proto::Lmtp => Listener::Lmtp,
            Proto::Pop3 => Listener::Pop3,
        }
    }
}

/// A whole sign-in by the rightful device from 127.0.0.2; how long it took.
async fn served(proto: Proto, addr: SocketAddr, password: &str) -> Duration {
    let started = Instant::now();
    let mut c = Line::connect_from(RIGHTFUL, addr).await.expect("connect");
    c.line().await.expect("greeting");
    let ok = match proto {
        Proto::Imap => {
            c.send(format!("a LOGIN {EMAIL} {password}\r\n").as_bytes())
                .await
                .unwrap();
            c.tagged("a").await.expect("answer").contains("a OK")
        }
        Proto::Smtp => {
            c.send(b"EHLO fast.example\r\n").await.unwrap();
            c.reply().await.expect("EHLO");
            c.send(format!("AUTH PLAIN {}\r\n", plain(EMAIL, password)).as_bytes())
                .await
                .unwrap();
            c.reply().await.expect("answer").starts_with("235")
        }
        Proto::Lmtp => {
            c.send(b"LHLO fast.example\r\n").await.unwrap();
            c.reply().await.expect("answer").starts_with("250")
        }
        Proto::Pop3 => {
            c.send(format!("USER {EMAIL}\r\nPASS {password}\r\n").as_bytes())
                .await
                .unwrap();
            c.line().await.expect("USER");
            c.line().await.expect("PASS").starts_with("+OK")
        }
    };
    assert!(ok, "{proto:?} did not serve the rightful device");
    started.elapsed()
}

/// Connects and sends nothing; how long until the server closed the connection.
async fn silent(addr: SocketAddr) -> Duration {
    let started = Instant::now();
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    let mut sink = Vec::new();
    tokio::time::timeout(
        LOGIN_TIMEOUT + AUTOLOGOUT + SLACK * 2,
        tcp.read_to_end(&mut sink),
    )
    .await
    .expect("a silent connection is closed in time")
    .ok();
    started.elapsed()
}

/// Connects, sends `first` at once, then `pattern` over and over, one byte each `every`;
/// how long (from the first trickled byte) until the server closed the connection.
async fn trickle(
    addr: SocketAddr,
    first: String,
    pattern: &'static [u8],
    every: Duration,
) -> Duration {
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(first.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    for byte in pattern.iter().cycle() {
        if tcp.write_all(&[*byte]).await.is_err() {
            return started.elapsed();
        }
        let until = Instant::now() + every;
        // Read what the server says until the next byte is due; EOF ends the trickle.
        while let Ok(read) = tokio::time::timeout_at(until.into(), tcp.read(&mut buf)).await {
            match read {
                Ok(0) | Err(_) => return started.elapsed(),
                Ok(_) => {}
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a byte-at-a-time client was never closed"
        );
    }
    unreachable!("the pattern cycles for ever")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_closed_and_do_not_slow_the_others() {
    // Both ends of 500 connections live in this process.
    rlimit::increase_nofile_limit(8192).expect("the open files limit");
    let server = TestServer::start_with(|c| {
        c.limits.login_timeout = LOGIN_TIMEOUT;
        c.limits.idle_timeout = IDLE_TIMEOUT;
        c.limits.imap_autologout = AUTOLOGOUT;
    })
    .await;
    let (_, password) = server.device(EMAIL, "Phone", "imap,smtp,pop3").await;
    let all = [Proto::Imap, Proto::Smtp, Proto::Lmtp, Proto::Pop3];

    let mut baseline = Vec::new();
    for _ in 0..5 {
        for proto in all {
            baseline.push(served(proto, server.addr(proto.key()), &password).await);
        }
    }
    let baseline = median(baseline);

    // 500 connections that say nothing.
    let mut quiet = Vec::new();
    for i in 0..500 {
        let proto = all[i % all.len()];
        quiet.push((proto, tokio::spawn(silent(server.addr(proto.key())))));
    }
    // Byte-at-a-time clients. Whole commands, a byte every 250 ms, before signing in: only
    // the sign-in deadline stops them. An endless line, a byte a second: the idle timeout
    // counted from the last answer stops them, signed in or not.
    let b = |s: &str| s.to_owned();
    let quarter = Duration::from_millis(250);
    let second = Duration::from_secs(1);
    let imap = server.addr(Listener::Imap);
    let smtp = server.addr(Listener::Smtp);
    let lmtp = server.addr(Listener::Lmtp);
    let pop3 = server.addr(Listener::Pop3);
    let imap_login = format!("a LOGIN {EMAIL} {password}\r\n");
    let pop3_login = format!("USER {EMAIL}\r\nPASS {password}\r\n");
    let trickles = vec![
        (
            "IMAP commands before sign-in",
            LOGIN_TIMEOUT,
            tokio::spawn(trickle(imap, b(""), b"a NOOP\r\n", quarter)),
        ),
        (
            "IMAP endless line before sign-in",
            LOGIN_TIMEOUT,
            tokio::spawn(trickle(imap, b(""), b"a NOOP ", second)),
        ),
        (
            "IMAP endless line signed in",
            AUTOLOGOUT,
            tokio::spawn(trickle(imap, imap_login, b"b NOOP ", second)),
        ),
        (
            "SMTP commands before sign-in",
            LOGIN_TIMEOUT,
            tokio::spawn(trickle(smtp, b("EHLO slow\r\n"), b"NOOP\r\n", quarter)),
        ),
        (
            "SMTP endless line",
            IDLE_TIMEOUT,
            tokio::spawn(trickle(smtp, b(""), b"EHLO slow", second)),
        ),
        (
            "LMTP endless line",
            IDLE_TIMEOUT,
            tokio::spawn(trickle(lmtp, b("LHLO slow\r\n"), b"MAIL FROM:", second)),
        ),
        (
            "POP3 commands before sign-in",
            LOGIN_TIMEOUT,
            tokio::spawn(trickle(pop3, b(""), b"CAPA\r\n", quarter)),
        ),
        (
            "POP3 endless line signed in",
            IDLE_TIMEOUT,
            tokio::spawn(trickle(pop3, pop3_login, b"STAT", second)),
        ),
    ];

    // Everyone else is served meanwhile.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut during = Vec::new();
    for _ in 0..5 {
        for proto in all {
            during.push(served(proto, server.addr(proto.key()), &password).await);
        }
    }
    let during = median(during);
    eprintln!(
        "sign-in with 500 silent and 8 trickling connections: {during:?}, before: {baseline:?}"
    );
    assert!(
        during < baseline * 5 + Duration::from_millis(200),
        "served in {during:?} among slow clients, {baseline:?} before"
    );

    for (what, limit, task) in trickles {
        let closed = task.await.unwrap();
        eprintln!("{what}: closed after {closed:?} (limit {limit:?})");
        assert!(
            closed < limit + SLACK,
            "{what} held its connection for {closed:?}"
        );
        assert!(
            closed + Duration::from_millis(500) >= limit.min(IDLE_TIMEOUT),
            "{what} closed too soon: {closed:?}"
        );
    }
    for (proto, task) in quiet {
        let closed = task.await.unwrap();
        // Silence before signing in ends at the sign-in deadline or the idle timeout,
        // whichever comes first (LMTP has only the idle timeout).
        let limit = LOGIN_TIMEOUT.max(IDLE_TIMEOUT);
        assert!(
            closed < limit + SLACK,
            "a silent {proto:?} connection lasted {closed:?}"
        );
    }
    server.stop().await;
}
