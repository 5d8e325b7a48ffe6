//! `Add an address` and what a link allows: refusals that say why, the throttle, the 404s once
//! the owner disconnects the device, and no right over the address's devices.

use axum::http::StatusCode;
use postern_domain::model::DeviceState;
use postern_domain::{Actor, Email, Protocol};

use super::{ADMIN, CAROL, CAROL_PASSWORD, account, deliver, plain, with_carol};
use crate::web::harness::App;

async fn linked(app: &App) -> Vec<String> {
    let admin = account(app, ADMIN).await;
    app.server
        .core()
        .mail_addresses(&admin)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.address.email.to_string())
        .collect()
}

async fn add(app: &App, cookie: &str, address: &str, password: &str) -> crate::web::harness::Reply {
    app.post(
        "/links/add",
        Some(cookie),
        &[("address", address), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn refusals_say_why_and_link_nothing() {
    let app = with_carol().await;
    let (_, webmail) = app.server.device(CAROL, "For admin", "webmail").await;
    let (_, imap_only) = app.server.device(CAROL, "Phone", "imap,smtp").await;
    let (_, own) = app.server.device(ADMIN, "Mine", "webmail").await;
    let cookie = app.sign_in_admin().await;

    let form = app.get("/links/add", Some(&cookie)).await;
    assert_eq!(form.status, StatusCode::OK);
    for label in [
        r#"<label for="address">Email address</label>"#,
        r#"<label for="password">Device password</label>"#,
        ">Add the address</button>",
    ] {
        assert!(form.body.contains(label), "{label}");
    }

    let wrong = "The address or the device password is not right, or that device may not be \
                 used with the Web app Mail.";
    let r = add(&app, &cookie, CAROL, "k3vq-8mzt-0000-0000-0000-0000").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains(wrong), "{}", r.body);
    assert!(
        r.body.contains(&format!("value=\"{CAROL}\"")),
        "the address is kept"
    );
    let r = add(&app, &cookie, CAROL, &imap_only).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "no Web app Mail, no link"
    );
    assert!(r.body.contains(wrong));
    let r = add(&app, &cookie, CAROL, &webmail.to_uppercase()).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "case is ignored: {}",
        r.body
    );
    assert_eq!(linked(&app).await, [ADMIN, CAROL]);

    let r = add(&app, &cookie, ADMIN, &own).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("This address is already yours."),
        "{}",
        r.body
    );
    let r = add(&app, &cookie, CAROL, &webmail).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("This address is already in your list."),
        "{}",
        r.body
    );
    assert_eq!(linked(&app).await, [ADMIN, CAROL]);
}

#[tokio::test]
async fn wrong_passwords_are_throttled() {
    let app = with_carol().await;
    let (_, webmail) = app.server.device(CAROL, "For admin", "webmail").await;
    let cookie = app.sign_in_admin().await;
    let mut statuses = Vec::new();
    for i in 0..7 {
        let guess = format!("k3vq-8mzt-0000-0000-0000-000{i}");
        statuses.push(add(&app, &cookie, CAROL, &guess).await.status);
    }
    assert_eq!(&statuses[..5], [StatusCode::UNAUTHORIZED; 5]);
    assert_eq!(&statuses[5..], [StatusCode::TOO_MANY_REQUESTS; 2]);
    // While throttled, even the right password is not tried.
    let r = add(&app, &cookie, CAROL, &webmail).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        r.body
            .contains("Too many failed attempts. Wait a little and try again."),
        "{}",
        r.body
    );
    assert_eq!(linked(&app).await, [ADMIN]);
}

#[tokio::test]
async fn a_link_reads_and_writes_mail_but_never_reaches_devices() {
    let app = with_carol().await;
    let (device, webmail) = app.server.device(CAROL, "For admin", "webmail").await;
    let cookie = app.sign_in_admin().await;
    assert_eq!(
        add(&app, &cookie, CAROL, &webmail).await.location(),
        "/mail/carol@example.com"
    );
    deliver(&app, CAROL, &plain("dan@example.org", "For Carol", "Hello")).await;
    let inbox = app.get("/mail/carol@example.com", Some(&cookie)).await;
    assert_eq!(inbox.status, StatusCode::OK);
    assert!(inbox.body.contains("For Carol"));
    assert!(inbox.body.contains(r#"<span class="badge">Linked</span>"#));
    let compose = app
        .get("/mail/carol@example.com/compose", Some(&cookie))
        .await;
    assert_eq!(compose.status, StatusCode::OK);

    let id = device.to_string();
    for path in [
        "/addresses/carol@example.com".to_owned(),
        "/settings/carol@example.com/devices".to_owned(),
        format!("/settings/carol@example.com/devices/{id}"),
        format!("/settings/carol@example.com/devices/{id}/disconnect"),
        "/settings/carol@example.com/activity".to_owned(),
        "/settings/carol@example.com/disconnect-all".to_owned(),
        "/settings?address=carol@example.com".to_owned(),
        "/setup?address=carol@example.com".to_owned(),
    ] {
        assert_eq!(
            app.get(&path, Some(&cookie)).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in [
        format!("/settings/carol@example.com/devices/{id}/disconnect"),
        "/settings/carol@example.com/disconnect-all".to_owned(),
    ] {
        let r = app.post(&path, Some(&cookie), &[]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    for (method, path) in [
        (
            "GET",
            "/api/v1/addresses/carol@example.com/devices".to_owned(),
        ),
        (
            "POST",
            "/api/v1/addresses/carol@example.com/devices".to_owned(),
        ),
        ("POST", format!("/api/v1/devices/{id}/reset")),
        ("DELETE", format!("/api/v1/devices/{id}")),
    ] {
        let body = (method == "POST").then(|| serde_json::json!({"description": "x"}));
        let r = app
            .api(method.parse().unwrap(), &path, Some(&cookie), body)
            .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            r.body
        );
    }
    let core = app.server.core();
    let d = core.device(&Actor::CommandLine, device).await.unwrap();
    assert_eq!(d.state, DeviceState::Active);
    // The owner sees who uses the device: the Web app Mail of admin's login.
    assert_eq!(d.client.as_deref(), Some("Web app Mail (admin@localhost)"));
    assert_eq!(d.last_use.unwrap().protocol, Protocol::Webmail);
    let carol = app.sign_in(CAROL, CAROL_PASSWORD).await;
    let devices = app
        .get("/settings/carol@example.com/devices", Some(&carol))
        .await;
    assert!(
        devices.body.contains("Web app Mail (admin@localhost)"),
        "{}",
        devices.body
    );
}

#[tokio::test]
async fn disconnecting_the_device_takes_the_address_away_at_once() {
    let app = with_carol().await;
    let (device, webmail) = app.server.device(CAROL, "For admin", "webmail").await;
    let cookie = app.sign_in_admin().await;
    add(&app, &cookie, CAROL, &webmail).await;
    deliver(&app, CAROL, &plain("dan@example.org", "For Carol", "Hello")).await;
    let base = "/mail/carol@example.com/folder/INBOX";
    let pages = [
        "/mail/carol@example.com".to_owned(),
        base.to_owned(),
        format!("{base}/state"),
        format!("{base}/1"),
        format!("{base}/1/parts/1"),
        "/mail/carol@example.com/folder/Sent".to_owned(),
        "/mail/carol@example.com/compose".to_owned(),
    ];
    assert_eq!(
        app.get(&pages[2], Some(&cookie)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&pages[3], Some(&cookie)).await.status,
        StatusCode::OK
    );

    // Carol disconnects the device from her own Settings.
    let carol = app.sign_in(CAROL, CAROL_PASSWORD).await;
    let r = app
        .post(
            &format!("/settings/carol@example.com/devices/{device}/disconnect"),
            Some(&carol),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    let home = app.get("/", Some(&cookie)).await;
    assert!(!home.body.contains(CAROL), "the link is gone from the list");
    for path in &pages {
        let r = app.get(path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    for (path, fields) in [
        (format!("{base}/1/seen"), vec![("seen", "false")]),
        (format!("{base}/1/delete"), vec![]),
        (
            "/mail/carol@example.com/compose".to_owned(),
            vec![("to", ADMIN), ("subject", "x"), ("text", "x")],
        ),
    ] {
        let r = app.post(&path, Some(&cookie), &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let api = app
        .api(
            "GET".parse().unwrap(),
            "/api/v1/addresses",
            Some(&cookie),
            None,
        )
        .await;
    assert!(!api.body.contains(CAROL), "{}", api.body);
    // Nothing was sent as Carol, and her message is untouched.
    let inbox = crate::smtp::inbox(&app.server, ADMIN).await;
    assert!(inbox.is_empty());
    assert_eq!(crate::smtp::inbox(&app.server, CAROL).await.len(), 1);
}

#[tokio::test]
async fn resetting_the_device_or_removing_the_address_ends_the_link_too() {
    let app = with_carol().await;
    let (device, webmail) = app.server.device(CAROL, "For admin", "webmail").await;
    let cookie = app.sign_in_admin().await;
    add(&app, &cookie, CAROL, &webmail).await;
    app.server
        .core()
        .reset_device(&Actor::CommandLine, device)
        .await
        .unwrap();
    let r = app.get("/mail/carol@example.com", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let (_, again) = app.server.device(CAROL, "For admin again", "webmail").await;
    assert_eq!(
        add(&app, &cookie, CAROL, &again).await.status,
        StatusCode::SEE_OTHER
    );
    let r = app
        .post("/links/carol@example.com/remove", Some(&cookie), &[])
        .await;
    assert_eq!(r.location(), "/");
    let r = app
        .get("/mail/carol@example.com/folder/INBOX/state", Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(linked(&app).await, [ADMIN]);
    let email = Email::parse(CAROL).unwrap();
    let log = app
        .server
        .core()
        .activity_log(&Actor::CommandLine, &email, 10)
        .await
        .unwrap();
    let kinds: Vec<&str> = log.iter().map(|e| e.kind.label()).collect();
    assert_eq!(
        &kinds[..2],
        ["Address unlinked", "Address linked"],
        "{kinds:?}"
    );
}
