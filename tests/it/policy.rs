//! Device policy beyond expiry and networks: sign-in alerts in the address's own INBOX, the
//! sign-in history, the limit of devices per address, a password change that disconnects
//! every device when asked, and retention.

use std::net::IpAddr;
use std::sync::Arc;

use mail_parser::MessageParser;
use postern_domain::clock::ManualClock;
use postern_domain::model::DeviceState;
use postern_domain::{Actor, DomainError, Email, Protocol};
use postern_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::json;
use time::Duration;

use crate::imap::Client;
use crate::web::api::Api;
use crate::web::start_time;
use postern_testkit::Listener;

const EMAIL: &str = "admin@localhost";

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

/// A message of the INBOX: its header fields as sent, and its text decoded.
struct Read {
    subject: String,
    from: String,
    text: String,
}

/// The INBOX, read over IMAP with `password`.
async fn inbox(server: &TestServer, password: &str) -> Vec<Read> {
    let mut c = Client::connect(server.addr(Listener::Imap)).await;
    c.ok(&format!("LOGIN {EMAIL} {password}")).await;
    let selected = c.ok("SELECT INBOX").await;
    let exists: usize = selected
        .lines()
        .find_map(|l| l.strip_prefix("* ")?.strip_suffix(" EXISTS"))
        .unwrap()
        .parse()
        .unwrap();
    let mut messages = Vec::new();
    for n in 1..=exists {
        let answer = c.ok(&format!("FETCH {n} BODY.PEEK[]")).await;
        let (size, rest) = answer.split_once("}\r\n").unwrap();
        let size: usize = size.rsplit('{').next().unwrap().parse().unwrap();
        let message = MessageParser::default()
            .parse(&rest.as_bytes()[..size])
            .unwrap();
        let from = message.from().and_then(|f| f.first()).unwrap();
        messages.push(Read {
            subject: message.subject().unwrap().to_owned(),
            from: format!(
                "{} <{}>",
                from.name().unwrap_or(""),
                from.address().unwrap_or("")
            ),
            text: message.body_text(0).unwrap().into_owned(),
        });
    }
    messages
}

#[tokio::test]
async fn sign_ins_alert_the_address_once_an_hour_and_can_be_turned_off() {
    let clock = Arc::new(ManualClock::new(start_time()));
    let server = TestServer::start_with_clock(|c| c.alerts.sign_in = true, clock.clone()).await;
    let core = server.core();
    let email = Email::parse(EMAIL).unwrap();
    let (_, reader) = server.device(EMAIL, "Reader", "imap").await;
    let (phone_id, phone) = server.device(EMAIL, "Anna's phone", "imap,smtp").await;

    // The reader's own first sign-in is news too.
    assert_eq!(inbox(&server, &reader).await.len(), 1);

    // The phone's first sign-in: an alert. The same network again, or a new one within the
    // hour: none.
    core.verify(EMAIL, &phone, Protocol::Imap, ip("192.0.2.10"))
        .await
        .unwrap();
    clock.advance(Duration::minutes(2));
    core.verify(EMAIL, &phone, Protocol::Smtp, ip("192.0.2.11"))
        .await
        .unwrap();
    clock.advance(Duration::minutes(2));
    core.verify(EMAIL, &phone, Protocol::Imap, ip("198.51.100.7"))
        .await
        .unwrap();
    // An hour on, a network it never used: an alert; its first mail program's name is none.
    clock.advance(Duration::minutes(61));
    let mut signed_in = core
        .verify(EMAIL, &phone, Protocol::Imap, ip("2001:db8:5::1"))
        .await
        .unwrap();
    core.record_client(&mut signed_in, "Thunderbird 128").await;
    // Another hour on, a mail program it never used: an alert.
    clock.advance(Duration::minutes(61));
    let mut signed_in = core
        .verify(EMAIL, &phone, Protocol::Imap, ip("2001:db8:5::1"))
        .await
        .unwrap();
    core.record_client(&mut signed_in, "K-9 Mail").await;

    let messages = inbox(&server, &reader).await;
    let subjects: Vec<&str> = messages.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects,
        [
            "New sign-in to admin@localhost: Reader",
            "New sign-in to admin@localhost: Anna's phone",
            "New sign-in to admin@localhost: Anna's phone",
            "New sign-in to admin@localhost: Anna's phone",
        ]
    );
    assert_eq!(messages[1].from, "Postern <postmaster@localhost>");
    let first = &messages[1].text;
    assert!(
        first.contains("“Anna's phone” of admin@localhost"),
        "{first}"
    );
    assert!(first.contains("signed in for the first time"), "{first}");
    assert!(
        first.contains("Where: 192.0.2.10 (network 192.0.2.0/24)"),
        "{first}"
    );
    assert!(first.contains("How: IMAP"), "{first}");
    assert!(
        first.contains(&format!(
            "http://127.0.0.1:8080/settings/admin@localhost/devices/{phone_id}"
        )),
        "{first}"
    );
    assert!(
        messages[2]
            .text
            .contains("from a network it had not used before")
    );
    assert!(messages[2].text.contains("2001:db8:5::/48"));
    assert!(
        messages[3]
            .text
            .contains("with a mail program it had not used before")
    );
    assert!(messages[3].text.contains("Mail program: K-9 Mail"));

    // Every sign-in is in the device's history, newest first, with its mail program.
    let history = core.sign_ins(&Actor::CommandLine, phone_id).await.unwrap();
    let seen: Vec<(String, Option<&str>)> = history
        .iter()
        .map(|s| (s.ip.to_string(), s.client.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            ("2001:db8:5::1".to_owned(), Some("K-9 Mail")),
            ("2001:db8:5::1".to_owned(), Some("Thunderbird 128")),
            ("198.51.100.7".to_owned(), None),
            ("192.0.2.11".to_owned(), None),
            ("192.0.2.10".to_owned(), None),
        ]
    );

    // Turned off for the address: a new network, hours later, alerts no one.
    core.set_sign_in_alerts(&Actor::CommandLine, &email, false)
        .await
        .unwrap();
    clock.advance(Duration::hours(3));
    core.verify(EMAIL, &phone, Protocol::Imap, ip("203.0.113.50"))
        .await
        .unwrap();
    assert_eq!(inbox(&server, &reader).await.len(), 4);
}

#[tokio::test]
async fn the_sign_in_history_through_the_api() {
    let mut api = Api::start().await;
    api.login_admin().await;
    let (id, password) = api.server.device(EMAIL, "Tablet", "imap").await;
    let core = api.server.core();
    let mut s = core
        .verify(EMAIL, &password, Protocol::Imap, ip("192.0.2.1"))
        .await
        .unwrap();
    core.record_client(&mut s, "Mail").await;
    api.advance_minutes(5);
    core.verify(EMAIL, &password, Protocol::Imap, ip("192.0.2.1"))
        .await
        .unwrap();
    let a = api
        .call(Method::GET, &format!("/api/v1/devices/{id}/sign-ins"), None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(
        a.body,
        json!([
            {"at": "2026-03-02T09:35:00Z", "ip": "192.0.2.1", "protocol": "imap", "client": "Mail"},
            {"at": "2026-03-02T09:30:00Z", "ip": "192.0.2.1", "protocol": "imap", "client": "Mail"},
        ])
    );
    // Another account's device, or none: not found.
    let a = api
        .call(
            Method::GET,
            "/api/v1/devices/01a23c8a-7c7c-759d-9df6-f1a890f4195d/sign-ins",
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_address_has_at_most_the_configured_number_of_devices() {
    let mut api = Api::start_with(|c| c.limits.devices_per_address = 2).await;
    api.login_admin().await;
    let list = "/api/v1/addresses/admin@localhost/devices";
    let mut ids = Vec::new();
    for n in 0..2 {
        let a = api
            .call(
                Method::POST,
                list,
                Some(json!({"description": format!("Device {n}")})),
            )
            .await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        ids.push(a.body["id"].as_str().unwrap().to_owned());
    }
    let a = api
        .call(Method::POST, list, Some(json!({"description": "One more"})))
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(
        a.body["error"]["message"],
        "admin@localhost has 2 devices, the most it may have: disconnect one first"
    );
    // A disconnected device makes room.
    let a = api
        .call(Method::DELETE, &format!("/api/v1/devices/{}", ids[0]), None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = api
        .call(Method::POST, list, Some(json!({"description": "One more"})))
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
}

#[tokio::test]
async fn a_password_change_disconnects_every_device_only_when_asked() {
    let mut api = Api::start().await;
    api.login_admin().await;
    let (_, password) = api.server.admin();
    let (_, first) = api.server.device(EMAIL, "Laptop", "imap").await;
    let change = |current: &str, new: &str, disconnect: bool| json!({"current": current, "new": new, "disconnect_devices": disconnect});
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/password",
            Some(change("wrong password!", "a new long password", true)),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/password",
            Some(change(&password, "short", true)),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    assert_eq!(a.body["error"]["field"], "new");
    api.verify(EMAIL, &first)
        .await
        .expect("nothing changed yet");

    // Without the box: the devices go on.
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/password",
            Some(change(&password, "a new long password", false)),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body, json!({"devices_disconnected": 0}));
    api.verify(EMAIL, &first).await.expect("still connected");

    // With it: every device of every address the account owns is disconnected.
    let (_, second) = api.server.device(EMAIL, "Phone", "imap").await;
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/password",
            Some(change("a new long password", "another long password", true)),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body, json!({"devices_disconnected": 2}));
    for password in [&first, &second] {
        assert!(matches!(
            api.verify(EMAIL, password).await,
            Err(DomainError::AuthFailed)
        ));
    }
    let devices = api
        .server
        .core()
        .devices(&Actor::CommandLine, &Email::parse(EMAIL).unwrap(), true)
        .await
        .unwrap();
    assert!(devices.iter().all(|d| d.state == DeviceState::Disconnected));
    // The session that made the change goes on, signed in with the new password.
    let a = api.call(Method::GET, "/api/v1/addresses", None).await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn history_and_activity_past_the_retention_are_deleted() {
    let clock = Arc::new(ManualClock::new(start_time()));
    let server = TestServer::start_with_clock(|c| c.retention.days = 30, clock.clone()).await;
    let core = server.core();
    let email = Email::parse(EMAIL).unwrap();
    let (old, password) = server.device(EMAIL, "Old laptop", "imap").await;
    core.verify(EMAIL, &password, Protocol::Imap, ip("192.0.2.1"))
        .await
        .unwrap();
    clock.advance(Duration::days(20));
    let (recent, recent_password) = server.device(EMAIL, "New laptop", "imap").await;
    core.verify(EMAIL, &recent_password, Protocol::Imap, ip("192.0.2.2"))
        .await
        .unwrap();
    assert_eq!(core.prune_history().await.unwrap(), 0, "nothing is old yet");

    // Eleven days on, what happened on the first day is 31 days old.
    clock.advance(Duration::days(11));
    assert_eq!(core.prune_history().await.unwrap(), 2);
    assert!(
        core.sign_ins(&Actor::CommandLine, old)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        core.sign_ins(&Actor::CommandLine, recent)
            .await
            .unwrap()
            .len(),
        1
    );
    let log = core
        .activity_log(&Actor::CommandLine, &email, 50)
        .await
        .unwrap();
    let left: Vec<&str> = log
        .iter()
        .map(|e| e.device_description.as_deref().unwrap())
        .collect();
    assert_eq!(left, ["New laptop"]);
    // The devices themselves stay, with their last use.
    let old_device = core.device(&Actor::CommandLine, old).await.unwrap();
    assert!(old_device.last_use.is_some());
}
