//! The sign-in's code page, request by request: what it holds (no session until the code is
//! right, nothing cached), how long a right password waits for its code, and how many wrong
//! codes it allows.

use axum::http::StatusCode;
use postern_domain::accounts::SignIn;
use postern_domain::clock::Clock;
use postern_domain::sign_in_log::Via;
use postern_domain::two_step::code_at;

use super::harness::App;

/// The first account with two-step verification on; returns its login, password and secret.
async fn with_two_step(app: &App) -> (String, String, String) {
    let (login, password) = app.server.admin();
    let core = app.server.core();
    let ip = [127, 0, 0, 1].into();
    let Ok(SignIn::Done(account)) = core.sign_in(&login, &password, ip, Via::Web).await else {
        panic!("two-step verification is off at first");
    };
    let setup = core.begin_two_step(&account).await.unwrap();
    let secret = secrecy::ExposeSecret::expose_secret(&setup.secret).to_owned();
    let code = code_at(&secret, app.clock.now()).unwrap();
    core.confirm_two_step(&account, &code, ip).await.unwrap();
    app.clock.advance(time::Duration::seconds(30));
    (login, password, secret)
}

/// The hidden ticket of a code page.
fn ticket(body: &str) -> String {
    let at = body
        .find("name=\"ticket\" value=\"")
        .unwrap_or_else(|| panic!("a code page: {body}"))
        + 21;
    body[at..at + 32].to_owned()
}

#[tokio::test]
async fn the_code_page_gives_no_session_until_the_code_is_right() {
    let app = App::start().await;
    let (login, password, secret) = with_two_step(&app).await;
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("login", &login),
                ("password", &password),
                ("next", "/settings"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Two-step verification"), "{}", r.body);
    assert!(r.session_cookie().is_none());
    assert_eq!(r.header("cache-control"), "no-store");
    assert!(!r.body.contains(&password));

    // Two wrong codes: each time the page again, with a new ticket; the old one is spent.
    let mut t = ticket(&r.body);
    for _ in 0..2 {
        let r = app
            .post(
                "/sign-in/code",
                None,
                &[("ticket", &t), ("code", "12-34-56")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert!(r.body.contains("That code is not right"), "{}", r.body);
        assert!(r.session_cookie().is_none());
        let spent = app
            .post("/sign-in/code", None, &[("ticket", &t), ("code", "123456")])
            .await;
        assert!(spent.body.contains("Sign in again"), "{}", spent.body);
        t = ticket(&r.body);
    }
    // The third: the sign-in starts over, even with the right code after it.
    let r = app
        .post("/sign-in/code", None, &[("ticket", &t), ("code", "654321")])
        .await;
    assert!(
        r.body.contains("Too many wrong codes. Sign in again."),
        "{}",
        r.body
    );
    let right = code_at(&secret, app.clock.now()).unwrap();
    let r = app
        .post("/sign-in/code", None, &[("ticket", &t), ("code", &right)])
        .await;
    assert!(r.session_cookie().is_none());

    // A right password waits five minutes for its code, no more.
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("login", &login),
                ("password", &password),
                ("next", "/settings"),
            ],
        )
        .await;
    let t = ticket(&r.body);
    app.advance_minutes(6);
    let right = code_at(&secret, app.clock.now()).unwrap();
    let r = app
        .post("/sign-in/code", None, &[("ticket", &t), ("code", &right)])
        .await;
    assert!(r.body.contains("that took too long"), "{}", r.body);
    assert!(r.session_cookie().is_none());

    // In time, the right code opens a session and goes where the sign-in was headed.
    let r = app
        .post(
            "/sign-in",
            None,
            &[
                ("login", &login),
                ("password", &password),
                ("next", "/settings"),
            ],
        )
        .await;
    let r = app
        .post(
            "/sign-in/code",
            None,
            &[("ticket", &ticket(&r.body)), ("code", &right)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/settings");
    let cookie = r.session_cookie().expect("a session");
    let page = app.get("/account/two-step", Some(&cookie)).await;
    assert!(
        page.body.contains("Two-step verification is on since"),
        "{}",
        page.body
    );

    // A right password alone is not a sign-in.
    let again = app
        .server
        .core()
        .sign_in_with_code(&login, &password, None, [127, 0, 0, 1].into(), Via::Web)
        .await;
    assert!(matches!(
        again,
        Err(postern_domain::DomainError::CodeRequired)
    ));
}
