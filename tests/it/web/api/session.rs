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
