//! The device-policy controls of the pages, request by request: the address's sign-in alerts
//! switch, and the password change's `Also disconnect every device of my addresses`.

use axum::http::StatusCode;
use postern_domain::{Actor, DomainError, Email, Protocol};

use super::harness::App;

const EMAIL: &str = "admin@localhost";

#[tokio::test]
async fn the_alerts_switch_of_an_address() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let core = app.server.core();
    let email = Email::parse(EMAIL).unwrap();
    let page = app
        .get("/settings/admin@localhost/devices", Some(&cookie))
        .await;
    assert!(page.body.contains("Sign-in alerts are on"), "{}", page.body);
    assert!(page.body.contains("Turn off sign-in alerts"));

    let r = app
        .post(
            "/settings/admin@localhost/alerts",
            Some(&cookie),
            &[("alerts", "off")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/settings/admin@localhost/devices");
    assert!(
        !core
            .sign_in_alerts(&Actor::CommandLine, &email)
            .await
            .unwrap()
    );
    let page = app
        .get("/settings/admin@localhost/devices", Some(&cookie))
        .await;
    assert!(
        page.body.contains("Turn on sign-in alerts"),
        "{}",
        page.body
    );

    // Garbage changes nothing; another account's address is not found.
    let r = app
        .post(
            "/settings/admin@localhost/alerts",
            Some(&cookie),
            &[("alerts", "maybe")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        !core
            .sign_in_alerts(&Actor::CommandLine, &email)
            .await
            .unwrap()
    );
    app.server
        .account("eve@example.com", "eve's long password")
        .await;
    app.server
        .address("eve@example.com", "eve@example.com")
        .await;
    let r = app
        .post(
            "/settings/eve@example.com/alerts",
            Some(&cookie),
            &[("alerts", "off")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let eve = Email::parse("eve@example.com").unwrap();
    assert!(
        core.sign_in_alerts(&Actor::CommandLine, &eve)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_password_change_with_the_box_ticked_disconnects_every_device() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let (_, password) = app.server.admin();
    let (_, device) = app.server.device(EMAIL, "Laptop", "imap").await;
    let change = |current: &'static str, new: &'static str, tick: bool| {
        let mut fields = vec![("current", current), ("new", new), ("repeat", new)];
        if tick {
            fields.push(("disconnect_devices", "on"));
        }
        fields
    };
    let page = app.get("/account/password", Some(&cookie)).await;
    assert!(
        page.body
            .contains("Also disconnect every device of my addresses")
    );
    assert!(
        page.body
            .contains(r#"name="disconnect_devices" value="on">"#),
        "the box starts unticked"
    );

    let first: &'static str = Box::leak(password.into_boxed_str());
    let r = app
        .post(
            "/account/password",
            Some(&cookie),
            &change(first, "a new long password", false),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ip = [127, 0, 0, 1].into();
    let core = app.server.core();
    core.verify(EMAIL, &device, Protocol::Imap, ip)
        .await
        .expect("unticked, the device goes on");

    let r = app
        .post(
            "/account/password",
            Some(&cookie),
            &change("a new long password", "another long password", true),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app
        .get("/account/password", Some(&r.with_cookies(&cookie)))
        .await;
    assert!(
        page.body.contains("1 device was disconnected."),
        "{}",
        page.body
    );
    assert!(matches!(
        core.verify(EMAIL, &device, Protocol::Imap, ip).await,
        Err(DomainError::AuthFailed)
    ));
}
