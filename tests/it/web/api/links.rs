//! Linked addresses: adding and removing another account's address.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{ADMIN, Api};

#[tokio::test]
async fn linked_addresses() {
    let mut api = Api::start().await;
    api.server
        .account("carol@example.com", "carol's long password")
        .await;
    api.server
        .address("carol@example.com", "carol@example.com")
        .await;
    let (_, webmail) = api
        .server
        .device("carol@example.com", "For admin", "webmail")
        .await;
    let (_, imap_only) = api
        .server
        .device("carol@example.com", "Phone", "imap")
        .await;
    api.login_admin().await;

    let link = |address: &str, password: &str| json!({"address": address, "password": password});
    let a = api
        .call(
            Method::POST,
            "/api/v1/links",
            Some(link("carol@example.com", "k3vq-8mzt-0000-0000-0000-0000")),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/links",
            Some(link("carol@example.com", &imap_only)),
        )
        .await;
    assert_eq!(
        a.code(),
        "auth_failed",
        "a device without Web app Mail cannot link"
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/links",
            Some(link("carol@example.com", &webmail)),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(
        a.body,
        json!({"address": "carol@example.com", "access": "linked"})
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/links",
            Some(link("carol@example.com", &webmail)),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "conflict"));

    let a = api.call(Method::GET, "/api/v1/addresses", None).await;
    assert_eq!(
        a.body,
        json!([
            {"address": ADMIN, "access": "owned"},
            {"address": "carol@example.com", "access": "linked"}
        ])
    );
    // Linked is not owned: its devices stay out of reach.
    let a = api
        .call(
            Method::GET,
            "/api/v1/addresses/carol@example.com/devices",
            None,
        )
        .await;
    assert_eq!(a.code(), "not_found");

    let a = api
        .call(Method::DELETE, "/api/v1/links/carol@example.com", None)
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    let a = api
        .call(Method::DELETE, "/api/v1/links/carol@example.com", None)
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "not_found"));
    let a = api.call(Method::GET, "/api/v1/addresses", None).await;
    assert_eq!(a.body.as_array().unwrap().len(), 1);
}
