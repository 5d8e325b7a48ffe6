//! `postern store copy`: everything moves from SQLite to PostgreSQL and back, and every device
//! password still verifies.

use std::net::IpAddr;
use std::sync::Arc;

use postern_domain::clock::SystemClock;
use postern_domain::mail::Flags;
use postern_domain::search::{MessageIndex, Query};
use postern_domain::{Actor, Core, Email, Protocol};
use postern_server::config::Config;
use postern_store::SqlStore;
use postern_testkit::{Need, TestServer, requires};

use crate::support::run;

/// Everything a user would miss if the copy lost it.
#[derive(Debug, PartialEq)]
struct Snapshot {
    devices: Vec<(String, String, String, Option<String>)>,
    activity: Vec<(String, String)>,
    messages: Vec<(u32, u8, Vec<String>, Vec<u8>)>,
    linked: Vec<String>,
}

async fn snapshot(core: &Core) -> Snapshot {
    let email = Email::parse("ann@example.com").unwrap();
    let devices = core
        .devices(&Actor::CommandLine, &email, true)
        .await
        .unwrap()
        .into_iter()
        .map(|d| {
            (
                d.id.to_string(),
                d.description.to_string(),
                d.state.as_str().to_owned(),
                d.client,
            )
        })
        .collect();
    let activity = core
        .activity_log(&Actor::CommandLine, &email, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind.as_str().to_owned(), e.actor))
        .collect();
    let address = core
        .store()
        .address_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    let inbox = core
        .store()
        .mailbox(address.id, "INBOX")
        .await
        .unwrap()
        .unwrap();
    let mut messages = Vec::new();
    for m in core.store().messages(inbox.id).await.unwrap() {
        let content = core
            .store()
            .message_content(inbox.id, m.uid)
            .await
            .unwrap()
            .unwrap();
        messages.push((m.uid, m.flags.system, m.flags.keywords, content));
    }
    let bob = core
        .store()
        .account_by_login(&postern_domain::Login::parse("bob@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    let linked = core
        .mail_addresses(&bob.account)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.address.email.to_string())
        .collect();
    Snapshot {
        devices,
        activity,
        messages,
        linked,
    }
}

async fn core_on(url: &str, data_dir: &std::path::Path) -> Core {
    let mut config = Config {
        data_dir: data_dir.to_path_buf(),
        store: Some(url.to_owned()),
        ..Config::default()
    };
    // The copies' passwords are checked below, which would otherwise alert of new sign-ins.
    config.alerts.sign_in = false;
    postern_server::setup::open_core(&config, Arc::new(SystemClock))
        .await
        .unwrap()
}

#[tokio::test]
async fn sqlite_to_postgres_and_back_loses_nothing() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    let server = TestServer::start_with(|c| {
        c.store = Some(format!(
            "sqlite://{}",
            c.data_dir.join("postern.db").display()
        ));
    })
    .await;
    let dir = server.data_dir();
    server.account("ann@example.com", "ann's password").await;
    let bob = server.account("bob@example.com", "bob's password").await;
    server.address("ann@example.com", "ann@example.com").await;
    let mut passwords = Vec::new();
    for (i, protocols) in ["imap", "imap,smtp", "pop3,webmail", "webmail"]
        .iter()
        .enumerate()
    {
        passwords.push((
            server
                .device("ann@example.com", &format!("Device {i}"), protocols)
                .await,
            *protocols,
        ));
    }
    let ((gone, _), _) = passwords.remove(0);
    server.disconnect(gone).await;
    let core = server.core().clone();
    let ((_, webmail_password), _) = &passwords[1];
    core.link_address(
        &bob,
        "ann@example.com",
        webmail_password,
        "127.0.0.1".parse().unwrap(),
    )
    .await
    .unwrap();
    let address = core
        .store()
        .address_by_email(&Email::parse("ann@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    core.deliver(&address, b"Subject: one\r\n\r\nfirst\r\n")
        .await
        .unwrap();
    let inbox = core
        .store()
        .mailbox(address.id, "INBOX")
        .await
        .unwrap()
        .unwrap();
    let flags = Flags {
        system: Flags::SEEN | Flags::ANSWERED,
        keywords: vec!["$Work".into()],
    };
    core.store()
        .append(
            inbox.id,
            &flags,
            core.clock().now(),
            &[0u8, 255, 13, 10, 1],
            &MessageIndex::default(),
        )
        .await
        .unwrap();
    let before = snapshot(&core).await;
    let sqlite_url = server.config.store_url();
    let _dir = server.stop().await;

    let pg_url = postern_testkit::postgres::fresh_database();
    let r = run(
        &dir,
        &["store", "copy", "--from", &sqlite_url, "--to", &pg_url],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("devices: 4"), "{}", r.stdout);
    assert!(r.stdout.contains("messages: 2"), "{}", r.stdout);

    let back_url = format!("sqlite://{}", dir.join("back.db").display());
    let r = run(
        &dir,
        &["store", "copy", "--from", &pg_url, "--to", &back_url],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for url in [&pg_url, &back_url] {
        let core = core_on(url, &dir).await;
        assert_eq!(snapshot(&core).await, before, "on {url}");
        // Counters recounted (not doubled by the copied rows), the search index rebuilt.
        let mail = core.mailboxes();
        let inbox = mail.mailbox(address.id, "INBOX").await.unwrap().unwrap();
        assert_eq!((inbox.messages, inbox.unseen), (2, 1), "on {url}");
        assert_eq!(mail.index_stored_mail(|_| {}).await.unwrap(), 2, "on {url}");
        let found = mail
            .search(inbox.id, &Query::Body("first".into()))
            .await
            .unwrap();
        assert_eq!(found, vec![1], "on {url}");
        for (n, ((_, password), protocols)) in passwords.iter().enumerate() {
            let protocol = Protocol::parse(protocols.split(',').next().unwrap()).unwrap();
            let ip = IpAddr::from([10, 9, 0, u8::try_from(n).unwrap()]);
            core.verify("ann@example.com", password, protocol, ip)
                .await
                .unwrap();
        }
        // New rows continue after the copied ones.
        let appended = core
            .deliver(&address, b"Subject: after\r\n\r\n")
            .await
            .unwrap();
        assert_eq!(appended.uid, 3);
    }

    // A copy never overwrites a store in use.
    let r = run(
        &dir,
        &["store", "copy", "--from", &sqlite_url, "--to", &pg_url],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not empty"), "{}", r.stderr);
}

#[tokio::test]
async fn the_copy_knows_every_table() {
    if !requires(&[Need::Postgres]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut expected: Vec<String> = postern_store::TABLES
        .iter()
        .map(|(t, _)| (*t).to_owned())
        .chain(postern_store::REBUILT.iter().map(|t| (*t).to_owned()))
        .collect();
    expected.sort();
    let sqlite = format!("sqlite://{}", dir.path().join("t.db").display());
    for url in [sqlite, postern_testkit::postgres::fresh_database()] {
        let store = SqlStore::open(&url, Default::default()).await.unwrap();
        assert_eq!(store.table_names().await.unwrap(), expected, "{url}");
    }
}
