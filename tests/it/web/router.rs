//! Router tests of the device flows: the setup assistant's checks, re-authentication, and
//! the page that shows a password once.

use axum::http::StatusCode;
use postern_domain::{Actor, DomainError, Email, Protocol};

use super::find_password;
use super::harness::{App, Reply};

const ADMIN: &str = "admin@localhost";

async fn descriptions(app: &App) -> Vec<String> {
    app.server
        .core()
        .devices(&Actor::CommandLine, &Email::parse(ADMIN).unwrap(), false)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.description.to_string())
        .collect()
}

async fn generate(app: &App, cookie: &str, description: &str) -> Reply {
    app.post(
        "/setup/generate",
        Some(cookie),
        &[
            ("address", ADMIN),
            ("device", "new"),
            ("description", description),
        ],
    )
    .await
}

#[tokio::test]
async fn a_bad_description_is_refused_next_to_the_field() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    for (description, message) in [
        ("", "Enter a description."),
        ("   ", "Enter a description."),
        (&"x".repeat(65)[..], "Use at most 64 characters."),
        ("Anna\u{7}s phone", "Control characters are not allowed."),
        ("Line\nbreak", "Control characters are not allowed."),
    ] {
        let r = generate(&app, &cookie, description).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{description:?}"
        );
        let field = r.body.find(r#"id="description""#).unwrap();
        let error = r
            .body
            .find(&format!(
                r#"<p class="field-error" id="description-error">{message}</p>"#
            ))
            .unwrap_or_else(|| panic!("{description:?}: {}", r.body));
        let next_field = r.body[field..].find("data-tabs").unwrap() + field;
        assert!(
            field < error && error < next_field,
            "the message follows the field"
        );
        assert!(
            r.body
                .contains(r#"aria-describedby="description-hint description-error""#)
        );
        assert!(r.body.contains(r#"aria-invalid="true""#));
        // The manual tab stays open with what was typed, so it can be corrected in place.
        assert!(
            r.body
                .contains(r#"id="panel-manual" aria-labelledby="tab-manual">"#)
        );
        assert!(find_password(&r.body).is_none());
    }
    let exactly_64 = "é".repeat(64);
    let r = generate(&app, &cookie, &exactly_64).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(descriptions(&app).await, [exactly_64]);
}

#[tokio::test]
async fn the_password_page_shows_it_once_and_is_not_stored() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    // Signing in confirmed the account password: no prompt now.
    let r = generate(&app, &cookie, "Anna's phone").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = r.location().to_owned();
    assert!(page.starts_with("/new-password/"), "{page}");
    assert!(find_password(&page).is_none() && find_password(&r.body).is_none());

    // Another session of the same account cannot read it, and does not use it up.
    let other = app.sign_in_admin().await;
    let r = app.get(&page, Some(&other)).await;
    assert_eq!(r.status, StatusCode::GONE);

    let r = app.get(&page, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "no-store");
    assert_eq!(r.header("pragma"), "no-cache");
    assert!(
        r.header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff");
    assert_eq!(r.header("referrer-policy"), "no-referrer");
    assert!(r.body.contains("Your new password"));
    assert!(r.body.contains("it will no longer be displayed afterwards"));
    assert!(r.body.contains(">Copy</button>"));
    let password = find_password(&r.body).expect("the password is on the page");
    let core = app.server.core();
    let signed_in = core
        .verify(ADMIN, &password, Protocol::Imap, [127, 0, 0, 1].into())
        .await
        .unwrap();
    assert_eq!(signed_in.description, "Anna's phone");

    // Reloading (or coming back to) the page shows it no more.
    let r = app.get(&page, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(r.header("cache-control"), "no-store");
    assert!(r.body.contains("This password is no longer displayed"));
    assert!(find_password(&r.body).is_none());
    // Nor does any other page.
    for path in [
        "/",
        "/settings/admin@localhost/devices",
        "/settings/admin@localhost/activity",
    ] {
        assert!(!app.get(path, Some(&cookie)).await.body.contains(&password));
    }
}

#[tokio::test]
async fn an_unshown_password_expires_and_dies_with_the_session() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let page = generate(&app, &cookie, "Slow").await.location().to_owned();
    app.advance_minutes(3);
    assert_eq!(app.get(&page, Some(&cookie)).await.status, StatusCode::GONE);

    app.advance_minutes(-3);
    let page = generate(&app, &cookie, "Signed out")
        .await
        .location()
        .to_owned();
    app.post("/sign-out", Some(&cookie), &[]).await;
    let cookie = app.sign_in_admin().await;
    assert_eq!(app.get(&page, Some(&cookie)).await.status, StatusCode::GONE);
}

#[tokio::test]
async fn a_wrong_account_password_at_reauthentication_creates_nothing() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    app.advance_minutes(6);
    let r = generate(&app, &cookie, "Work laptop").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let prompt = r.location().to_owned();
    assert!(prompt.starts_with("/confirm-password?pending="), "{prompt}");
    assert!(descriptions(&app).await.is_empty());

    let r = app.get(&prompt, Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Enter your account password"));
    assert!(
        r.body
            .contains("You are adding the device “Work laptop” to admin@localhost.")
    );
    let pending = prompt.split_once("pending=").unwrap().1;

    let r = app
        .post(
            "/confirm-password",
            Some(&cookie),
            &[("pending", pending), ("password", "not my password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("That is not your account password."));
    assert!(descriptions(&app).await.is_empty(), "nothing was created");
    assert!(find_password(&r.body).is_none());

    // The right password carries on with what was asked, without typing it again.
    let (_, password) = app.server.admin();
    let r = app
        .post(
            "/confirm-password",
            Some(&cookie),
            &[("pending", pending), ("password", &password)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/new-password/"));
    assert_eq!(descriptions(&app).await, ["Work laptop"]);
    // The pending action was used up.
    let r = app
        .post(
            "/confirm-password",
            Some(&cookie),
            &[("pending", pending), ("password", &password)],
        )
        .await;
    assert_eq!(r.status, StatusCode::GONE);
    assert_eq!(descriptions(&app).await, ["Work laptop"]);

    // Within five minutes of that confirmation there is no prompt.
    app.advance_minutes(4);
    let r = generate(&app, &cookie, "Tablet").await;
    assert!(
        r.location().starts_with("/new-password/"),
        "{}",
        r.location()
    );
    app.advance_minutes(2);
    let r = generate(&app, &cookie, "Watch").await;
    assert!(
        r.location().starts_with("/confirm-password"),
        "{}",
        r.location()
    );
}

#[tokio::test]
async fn resetting_kills_the_old_password() {
    let app = App::start().await;
    let (id, old) = app.server.device(ADMIN, "Laptop", "imap,smtp").await;
    let cookie = app.sign_in_admin().await;
    let r = app
        .post(
            "/setup/generate",
            Some(&cookie),
            &[
                ("address", ADMIN),
                ("device", &id.to_string()),
                ("description", ""),
            ],
        )
        .await;
    let page = app.get(r.location(), Some(&cookie)).await;
    assert!(page.body.contains("has a new password"), "{}", page.body);
    let new = find_password(&page.body).unwrap();
    let core = app.server.core();
    let ip = [127, 0, 0, 1].into();
    assert!(matches!(
        core.verify(ADMIN, &old, Protocol::Imap, ip).await,
        Err(DomainError::AuthFailed)
    ));
    let signed_in = core.verify(ADMIN, &new, Protocol::Smtp, ip).await.unwrap();
    assert_eq!(signed_in.device_id, id);
    assert_eq!(descriptions(&app).await, ["Laptop"]);
}

#[tokio::test]
async fn changing_the_account_password_signs_out_the_other_sessions() {
    let app = App::start().await;
    let (_, password) = app.server.admin();
    let here = app.sign_in_admin().await;
    let elsewhere = app.sign_in_admin().await;
    let change = |current: &str, new: &str, repeat: &str| {
        let (current, new, repeat) = (current.to_owned(), new.to_owned(), repeat.to_owned());
        let app = &app;
        let here = here.clone();
        async move {
            app.post(
                "/account/password",
                Some(&here),
                &[("current", &current), ("new", &new), ("repeat", &repeat)],
            )
            .await
        }
    };
    let r = change(
        "wrong password",
        "a new long password",
        "a new long password",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.body.contains("That is not your current password."));
    let r = change(&password, "short", "short").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Use at least 10 characters."));
    let r = change(&password, "a new long password", "another one").await;
    assert!(r.body.contains("The two new passwords are not the same."));
    assert_eq!(app.get("/", Some(&elsewhere)).await.status, StatusCode::OK);

    let r = change(&password, "a new long password", "a new long password").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(r.location(), Some(&r.with_cookies(&here))).await;
    assert!(page.body.contains("Your password was changed."));
    assert_eq!(app.get("/", Some(&elsewhere)).await.location(), "/sign-in");
    let (login, _) = app.server.admin();
    app.sign_in(&login, "a new long password").await;
}

#[tokio::test]
async fn disconnecting_all_devices() {
    let app = App::start().await;
    let (_, a) = app.server.device(ADMIN, "One", "imap").await;
    app.server.device(ADMIN, "Two", "pop3").await;
    let cookie = app.sign_in_admin().await;
    let path = "/settings/admin@localhost/disconnect-all";
    let r = app.get(path, Some(&cookie)).await;
    assert!(r.body.contains("Disconnect all devices?") && r.body.contains("All 2 devices"));
    let r = app.post(path, Some(&cookie), &[]).await;
    assert_eq!(r.location(), "/settings/admin@localhost/devices");
    let list = app.get(r.location(), Some(&r.with_cookies(&cookie))).await;
    assert!(list.body.contains("2 devices were disconnected."));
    assert!(list.body.contains("No device"));
    // The notice is shown once: the page that showed it clears it.
    assert!(list.header("set-cookie").starts_with("postern_flash=; "));
    assert!(list.header("set-cookie").contains("Max-Age=0"));
    assert!(descriptions(&app).await.is_empty());
    let core = app.server.core();
    assert!(
        core.verify(ADMIN, &a, Protocol::Imap, [127, 0, 0, 1].into())
            .await
            .is_err()
    );
    let log = app
        .get("/settings/admin@localhost/activity", Some(&cookie))
        .await;
    assert_eq!(log.body.matches("Device disconnected").count(), 2);
    assert_eq!(log.body.matches("Device created").count(), 2);
}

#[tokio::test]
async fn a_linked_address_shows_in_mail_and_can_be_removed() {
    let app = App::start().await;
    app.server
        .account("dan@example.com", "dan's long password")
        .await;
    app.server
        .address("dan@example.com", "dan@example.com")
        .await;
    let (_, password) = app
        .server
        .device("dan@example.com", "For admin", "webmail")
        .await;
    let cookie = app.sign_in_admin().await;
    let core = app.server.core();
    let admin = core
        .store()
        .account_by_login(&postern_domain::Login::parse(ADMIN).unwrap())
        .await
        .unwrap()
        .unwrap()
        .account;
    core.link_address(&admin, "dan@example.com", &password, [127, 0, 0, 1].into())
        .await
        .unwrap();

    let home = app.get("/", Some(&cookie)).await;
    assert!(
        home.body
            .contains(r#"aria-label="Actions for admin@localhost""#)
    );
    assert!(
        home.body
            .contains(r#"aria-label="Actions for dan@example.com""#)
    );
    let dan = home.body.find("Actions for dan@example.com").unwrap();
    let menu = &home.body[dan..dan + home.body[dan..].find("</details>").unwrap()];
    assert!(menu.contains("Remove this address"), "{menu}");
    assert!(!menu.contains("Address settings"), "{menu}");
    assert!(home.body.contains(r#"<span class="badge">Linked</span>"#));
    // Linked is not owned: its settings stay out of reach.
    let r = app.get("/addresses/dan@example.com", Some(&cookie)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    let r = app
        .post("/links/dan@example.com/remove", Some(&cookie), &[])
        .await;
    assert_eq!(r.location(), "/");
    let home = app.get("/", Some(&r.with_cookies(&cookie))).await;
    assert!(
        home.body
            .contains("dan@example.com was removed from your Mail.")
    );
    assert!(!home.body.contains("Actions for dan@example.com"));
    let r = app
        .post("/links/dan@example.com/remove", Some(&cookie), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
