//! Signing in, confirming the account password, signing out; malformed requests.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{ADMIN, Api};

#[tokio::test]
async fn sign_in_reauth_and_sign_out() {
    let mut api = Api::start().await;
    let a = api.call(Method::GET, "/api/v1/addresses", None).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    assert!(a.body["error"]["message"].is_string());

    let a = api.login(ADMIN, "a wrong password").await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    assert!(a.headers.get("set-cookie").is_none());

    let (login, password) = api.server.admin();
    let a = api.login(&login, &password).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({"login": ADMIN}));
    let set = a.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));

    let a = api
        .call(
            Method::POST,
            "/api/v1/reauth",
            Some(json!({"password": "wrong"})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/reauth",
            Some(json!({"password": password})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body["confirmed_until"], "2026-03-02T09:35:00Z");

    // Malformed bodies are refused in the same format.
    let res = api
        .http
        .post(format!("{}/api/v1/reauth", api.base))
        .header("cookie", api.cookie.clone().unwrap())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    let a = api.call(Method::PUT, "/api/v1/addresses", None).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );

    let a = api.call(Method::POST, "/api/v1/logout", None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = api.call(Method::GET, "/api/v1/addresses", None).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/reauth",
            Some(json!({"password": password})),
        )
        .await;
    assert_eq!(a.code(), "unauthenticated");
}

/// Whether the API still takes the session cookie.
async fn signed_in(api: &Api) -> bool {
    let a = api.call(Method::GET, "/api/v1/addresses", None).await;
    match a.status {
        StatusCode::OK => true,
        StatusCode::UNAUTHORIZED => {
            assert_eq!(a.code(), "unauthenticated");
            false
        }
        other => panic!("GET /api/v1/addresses answered {other}"),
    }
}

#[tokio::test]
async fn by_default_a_session_ends_after_30_idle_minutes_or_12_hours() {
    let mut api = Api::start().await;
    api.login_admin().await;
    // Idle just under the limit: still signed in (and that use counts as activity).
    api.advance_minutes(29);
    assert!(signed_in(&api).await);
    api.advance_minutes(30);
    assert!(!signed_in(&api).await, "idle for 30 minutes");

    // Used every 25 minutes, a session lives until 12 hours after sign-in, and no longer.
    api.login_admin().await;
    for _ in 0..28 {
        api.advance_minutes(25);
        assert!(signed_in(&api).await);
    }
    api.advance_minutes(20);
    assert!(!signed_in(&api).await, "12 hours after sign-in");
    // Signing in again works at once.
    api.login_admin().await;
    assert!(signed_in(&api).await);
}

#[tokio::test]
async fn session_timeouts_follow_the_configuration() {
    let mut api = Api::start_with(|c| {
        c.web.session_idle_minutes = 10;
        c.web.session_max_hours = 1;
    })
    .await;
    api.login_admin().await;
    api.advance_minutes(9);
    assert!(signed_in(&api).await, "active within both limits");
    api.advance_minutes(10);
    assert!(!signed_in(&api).await, "idle past 10 minutes");

    api.login_admin().await;
    for _ in 0..6 {
        api.advance_minutes(9);
        assert!(signed_in(&api).await);
    }
    api.advance_minutes(6);
    assert!(!signed_in(&api).await, "active, but an hour after sign-in");
}
