//! Router tests of the security rules: cross-site requests, other accounts' things,
//! sessions and their timeouts, headers.

use axum::http::{Method, StatusCode};
use postern_domain::{Actor, Email, Protocol};
use postern_web::Settings;

use super::harness::App;

const ADMIN: &str = "admin@localhost";

async fn active_devices(app: &App, email: &str) -> usize {
    app.server
        .core()
        .devices(&Actor::CommandLine, &Email::parse(email).unwrap(), false)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn a_cross_site_post_is_refused_and_changes_nothing() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let (id, password) = app.server.device(ADMIN, "Phone", "imap").await;
    let path = format!("/settings/{ADMIN}/devices/{id}/disconnect");
    for headers in [
        &[("sec-fetch-site", "cross-site")][..],
        &[("sec-fetch-site", "same-site")][..],
        &[("origin", "http://evil.test")][..],
        &[("origin", "null")][..],
    ] {
        let r = app.post_with(&path, Some(&cookie), &[], headers).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(r.body.contains("came from another site"), "{}", r.body);
    }
    let r = app
        .post_with(
            "/setup/generate",
            Some(&cookie),
            &[
                ("address", ADMIN),
                ("device", "new"),
                ("description", "Evil"),
            ],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_with(
            "/sign-out",
            Some(&cookie),
            &[],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing changed: the device lives, no device was added, the session still works.
    assert_eq!(active_devices(&app, ADMIN).await, 1);
    let core = app.server.core();
    assert!(
        core.verify(ADMIN, &password, Protocol::Imap, [127, 0, 0, 1].into())
            .await
            .is_ok()
    );
    assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK);

    // The same check guards the API and the sign-in form, answered in their own format.
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/devices/{id}"),
            Some(&cookie),
            None,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::NO_CONTENT,
        "a program sends no browser headers"
    );
    let (id2, _) = app.server.device(ADMIN, "Tablet", "imap").await;
    let req = axum::http::Request::delete(format!("/api/v1/devices/{id2}"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["code"], "cross_site");
    assert_eq!(active_devices(&app, ADMIN).await, 1);
    let (login, pw) = app.server.admin();
    let r = app
        .post_with(
            "/sign-in",
            None,
            &[("login", &login), ("password", &pw)],
            &[("origin", "http://evil.test")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.session_cookie().is_none());
    // Same origin by Origin header alone is fine.
    let r = app
        .post_with(
            "/sign-in",
            None,
            &[("login", &login), ("password", &pw)],
            &[("origin", "http://postern.test")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn another_accounts_address_or_device_answers_404() {
    let app = App::start().await;
    app.server
        .account("bob@example.com", "bob's long password")
        .await;
    app.server
        .address("bob@example.com", "bob@example.com")
        .await;
    let (bobs, bobs_password) = app
        .server
        .device("bob@example.com", "Bob's phone", "imap")
        .await;
    let cookie = app.sign_in_admin().await;
    let (mine, _) = app.server.device(ADMIN, "Mine", "imap").await;
    let bobs_id = bobs.to_string();

    let not_found = app
        .get("/addresses/nobody@nowhere.test", Some(&cookie))
        .await;
    assert_eq!(not_found.status, StatusCode::NOT_FOUND);
    for path in [
        "/addresses/bob@example.com".to_owned(),
        "/settings/bob@example.com/devices".to_owned(),
        "/settings/bob@example.com/activity".to_owned(),
        "/settings/bob@example.com/disconnect-all".to_owned(),
        format!("/settings/bob@example.com/devices/{bobs}"),
        format!("/settings/{ADMIN}/devices/{bobs}"),
        format!("/settings/bob@example.com/devices/{mine}"),
        format!("/settings/{ADMIN}/devices/{bobs}/disconnect"),
        "/setup?address=bob@example.com".to_owned(),
        "/settings?address=bob@example.com".to_owned(),
        format!("/settings/{ADMIN}/devices/not-an-id"),
    ] {
        let r = app.get(&path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        // The same page as for something that does not exist at all: nothing tells which.
        assert_eq!(r.body, not_found.body, "{path}");
    }
    for (path, fields) in [
        (
            format!("/settings/{ADMIN}/devices/{bobs}/disconnect"),
            vec![],
        ),
        (
            format!("/settings/bob@example.com/devices/{bobs}/disconnect"),
            vec![],
        ),
        (
            "/settings/bob@example.com/disconnect-all".to_owned(),
            vec![],
        ),
        (
            "/setup/generate".to_owned(),
            vec![
                ("address", "bob@example.com"),
                ("device", "new"),
                ("description", "Mine now"),
            ],
        ),
        (
            "/setup/generate".to_owned(),
            vec![("address", "bob@example.com"), ("device", bobs_id.as_str())],
        ),
        (
            "/setup/generate".to_owned(),
            vec![("address", ADMIN), ("device", bobs_id.as_str())],
        ),
    ] {
        let r = app.post(&path, Some(&cookie), &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path} {fields:?}");
    }
    // The API says the same in JSON.
    for (method, path) in [
        (
            Method::GET,
            "/api/v1/addresses/bob@example.com/devices".to_owned(),
        ),
        (Method::POST, format!("/api/v1/devices/{bobs}/reset")),
        (Method::DELETE, format!("/api/v1/devices/{bobs}")),
    ] {
        let r = app.api(method, &path, Some(&cookie), None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json()["error"]["code"], "not_found");
    }
    // Bob's device is untouched.
    assert_eq!(active_devices(&app, "bob@example.com").await, 1);
    let core = app.server.core();
    assert!(
        core.verify(
            "bob@example.com",
            &bobs_password,
            Protocol::Imap,
            [127, 0, 0, 1].into()
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn an_expired_session_leads_to_sign_in() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    assert_eq!(
        app.get("/settings", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK);

    // Idle for the idle timeout (30 minutes).
    app.advance_minutes(30);
    let r = app
        .get("/settings?address=admin%40localhost", Some(&cookie))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        "/sign-in?next=%2Fsettings%3Faddress%3Dadmin%2540localhost"
    );
    assert!(
        r.header("set-cookie").contains("Max-Age=0"),
        "the dead cookie is cleared"
    );
    let r = app.get("/", Some(&cookie)).await;
    assert_eq!(r.location(), "/sign-in");
    let r = app
        .api(Method::GET, "/api/v1/addresses", Some(&cookie), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"]["code"], "unauthenticated");
    // Signing in again brings the person where they wanted to go.
    let (login, password) = app.server.admin();
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("login", &login),
                ("password", &password),
                ("next", "/settings/admin@localhost/activity"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/settings/admin@localhost/activity");
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("login", &login),
                ("password", &password),
                ("next", "//evil.test/"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/");

    // Used all the time, a session still ends twelve hours after sign-in.
    let cookie = r.session_cookie().unwrap();
    for _ in 0..35 {
        app.advance_minutes(20);
        assert_eq!(app.get("/", Some(&cookie)).await.status, StatusCode::OK);
    }
    app.advance_minutes(20);
    assert_eq!(app.get("/", Some(&cookie)).await.location(), "/sign-in");
}

#[tokio::test]
async fn sessions_rotate_at_sign_in_and_die_at_sign_out() {
    let app = App::start().await;
    let (login, password) = app.server.admin();
    let first = app.sign_in(&login, &password).await;
    // Signing in again from the same browser replaces the session.
    let r = app
        .post(
            "/sign-in",
            Some(&first),
            &[("login", &login), ("password", &password)],
        )
        .await;
    let second = r.session_cookie().unwrap();
    assert_ne!(first, second);
    let set = r.header("set-cookie");
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"));
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    assert_eq!(app.get("/", Some(&first)).await.location(), "/sign-in");
    assert_eq!(app.get("/", Some(&second)).await.status, StatusCode::OK);
    // The token is random and 256 bits long, and only its hash is stored.
    let token = second.split_once('=').unwrap().1;
    assert_eq!(token.len(), 64);

    let r = app.post("/sign-out", Some(&second), &[]).await;
    assert_eq!(r.location(), "/sign-in");
    assert!(r.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(app.get("/", Some(&second)).await.location(), "/sign-in");

    // A wrong password says so without telling whether the login exists.
    for login in [login.as_str(), "nobody@localhost"] {
        let r = app
            .post(
                "/sign-in",
                None,
                &[("login", login), ("password", "wrong password")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("The login or the password is not right."));
        assert!(r.session_cookie().is_none());
    }
}

#[tokio::test]
async fn over_https_the_cookie_is_secure() {
    let app = App::start_with(Settings::new("https://mail.example.com")).await;
    let (login, password) = app.server.admin();
    let r = app
        .post(
            "/sign-in",
            None,
            &[("login", &login), ("password", &password)],
        )
        .await;
    let set = r.header("set-cookie");
    assert!(set.starts_with("__Host-postern_session="), "{set}");
    assert!(
        set.contains("; Secure") && set.contains("HttpOnly") && set.contains("SameSite=Strict")
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    for (path, cookie) in [
        ("/sign-in", None),
        ("/", Some(cookie.as_str())),
        ("/no/such/page", Some(cookie.as_str())),
        ("/api/v1/openapi.json", None),
        ("/static/app.js", None),
    ] {
        let r = app.get(path, cookie).await;
        let csp = r.header("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("referrer-policy"), "no-referrer", "{path}");
    }
    let page = app.get("/", Some(&cookie)).await;
    assert!(!page.body.contains("<script>"), "no inline script");
    assert!(
        page.body
            .contains(r#"<script src="/static/app.js" defer></script>"#)
    );
    assert!(!page.body.contains(" style="), "no inline style");
    let r = app.get("/no/such/page", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("content-type").starts_with("text/html"));
    let r = app.get("/api/v1/nothing", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
}
