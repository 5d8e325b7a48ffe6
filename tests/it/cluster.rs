//! Several servers on one PostgreSQL: a disconnect through one's API cuts the device off on the others
//! within a second, and mail delivered through one wakes an IDLE on another.

use std::time::{Duration, Instant};

use postern_testkit::{Need, TestServer, requires};

use crate::imap::Client;
use postern_testkit::Listener;

/// Two servers on one fresh PostgreSQL database, sharing a pepper.
async fn two_servers() -> (TestServer, TestServer, tempfile::TempDir) {
    let shared = tempfile::tempdir().unwrap();
    let pepper = shared.path().join("pepper");
    std::fs::write(
        &pepper,
        postern_domain::Pepper::generate()
            .unwrap()
            .to_hex()
            .as_str(),
    )
    .unwrap();
    let url = postern_testkit::postgres::fresh_database();
    let configure = |c: &mut postern_server::config::Config| {
        c.store = Some(url.clone());
        c.pepper_file = Some(pepper.clone());
    };
    let first = TestServer::start_with(configure).await;
    let second = TestServer::start_with(configure).await;
    (first, second, shared)
}

fn base(server: &TestServer) -> String {
    format!("http://{}", server.addr(Listener::Web))
}

/// The session cookie of the server's first account, from the JSON API's own sign-in.
async fn api_session(server: &TestServer) -> String {
    let (login, password) = server.admin();
    let answer = reqwest::Client::new()
        .post(format!("{}/api/v1/login", base(server)))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    let cookie = answer.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn signed_in(server: &TestServer, password: &str) -> Client {
    let mut c = Client::connect(server.addr(Listener::Imap)).await;
    c.ok(&format!("LOGIN admin@localhost {password}")).await;
    c.ok("SELECT INBOX").await;
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_on_one_server_closes_sessions_on_another_within_a_second() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    let (first, second, _shared) = two_servers().await;
    let (id, password) = first.device("admin@localhost", "Phone", "imap").await;
    let (_, other) = first.device("admin@localhost", "Laptop", "imap").await;
    let mut sessions = Vec::new();
    for i in 0..100 {
        let mut c = signed_in(&second, &password).await;
        if i % 2 == 0 {
            c.send(b"i IDLE\r\n").await;
            assert_eq!(c.line().await, "+ idling\r\n");
        }
        sessions.push(c);
    }
    let mut bystander = signed_in(&second, &other).await;
    let cookie = api_session(&first).await;
    // Timed from before the request: an upper bound on the time since the commit.
    let committed = Instant::now();
    let answer = reqwest::Client::new()
        .delete(format!("{}/api/v1/devices/{id}", base(&first)))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::NO_CONTENT);
    let closes = sessions.into_iter().map(|mut c| {
        tokio::spawn(async move {
            let said = c.closed().await;
            (said, Instant::now())
        })
    });
    let mut slowest = Duration::ZERO;
    for close in closes {
        let (said, at) = close.await.unwrap();
        assert!(said.contains("* BYE"), "{said}");
        slowest = slowest.max(at - committed);
    }
    eprintln!(
        "the last of 100 sessions on the other server closed {slowest:?} after the disconnect"
    );
    assert!(slowest < Duration::from_secs(1), "{slowest:?}");
    bystander.ok("NOOP").await;
    let mut refused = Client::connect(second.addr(Listener::Imap)).await;
    let answer = refused
        .run(&format!("LOGIN admin@localhost {password}"))
        .await;
    assert!(answer.contains("NO [AUTHENTICATIONFAILED]"), "{answer}");
}

/// A node added to a running one: its own data folder does not exist yet and the pepper comes
/// from the first node's file. It makes the folder (0700) for its TLS key and serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_node_with_a_shared_pepper_makes_its_own_data_folder() {
    use std::os::unix::fs::PermissionsExt;
    if !requires(&[Need::Postgres]) {
        return;
    }
    let (first, _second, shared) = two_servers().await;
    let (_, password) = first.device("admin@localhost", "Phone", "imap").await;
    let url = first.config.store.clone();
    let data = shared.path().join("node-3/data");
    assert!(!data.exists());
    let third = TestServer::start_with(|c| {
        c.store = url;
        c.pepper_file = Some(shared.path().join("pepper"));
        c.data_dir = data.clone();
    })
    .await;
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(data.join("tls-key.pem").exists());
    let mut c = signed_in(&third, &password).await;
    c.ok("NOOP").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_delivered_through_one_server_wakes_an_idle_on_another() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    let (first, second, _shared) = two_servers().await;
    let (_, password) = first.device("admin@localhost", "Phone", "imap").await;
    let mut idle = signed_in(&second, &password).await;
    idle.send(b"i IDLE\r\n").await;
    assert_eq!(idle.line().await, "+ idling\r\n");
    let email = postern_domain::Email::parse("admin@localhost").unwrap();
    let address = first
        .core()
        .store()
        .address_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    let sent = Instant::now();
    first
        .core()
        .deliver(
            &address,
            b"Subject: across\r\n\r\nfrom the first server\r\n",
        )
        .await
        .unwrap();
    let line = tokio::time::timeout(Duration::from_secs(5), idle.line())
        .await
        .unwrap();
    assert_eq!(line, "* 1 EXISTS\r\n");
    eprintln!(
        "the IDLE on the other server heard of the delivery after {:?}",
        sent.elapsed()
    );
    assert!(sent.elapsed() < Duration::from_secs(2));
    idle.send(b"DONE\r\n").await;
    idle.until("i").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_lost_its_notifications_catches_up() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    let (first, second, _shared) = two_servers().await;
    let (id, password) = first.device("admin@localhost", "Phone", "imap").await;
    let mut session = signed_in(&second, &password).await;
    // Cut every server's notification connection, then disconnect while they reconnect.
    assert!(postern_testkit::postgres::execute(
        first.config.store.as_deref().unwrap(),
        // Dividing by the number cut fails, and so fails the test, when none was found.
        "SELECT 1 / count(*)::int FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()) AS cut",
    ));
    first.disconnect(id).await;
    let committed = Instant::now();
    let said = session.closed().await;
    assert!(said.contains("* BYE"), "{said}");
    assert!(
        committed.elapsed() < Duration::from_secs(1),
        "{:?}",
        committed.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_device_is_cut_off_on_every_server_when_it_expires() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    let (first, second, _shared) = two_servers().await;
    let lifetime = Duration::from_millis(1500);
    let (_, password) = first
        .expiring_device("admin@localhost", "Borrowed laptop", "imap", lifetime)
        .await;
    let ends = Instant::now() + lifetime;
    // Signed in on both; nobody tells either server anything afterwards.
    let mut on_first = signed_in(&first, &password).await;
    let mut on_second = signed_in(&second, &password).await;
    for c in [&mut on_first, &mut on_second] {
        let text = c.closed().await;
        let late = Instant::now().saturating_duration_since(ends);
        assert!(
            text.ends_with("* BYE This device was disconnected\r\n"),
            "{text:?}"
        );
        assert!(
            late < Duration::from_secs(1),
            "closed {late:?} after expiry"
        );
    }
    let mut c = Client::connect(second.addr(Listener::Imap)).await;
    assert_eq!(
        c.run(&format!("LOGIN admin@localhost {password}")).await,
        "t1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
}
