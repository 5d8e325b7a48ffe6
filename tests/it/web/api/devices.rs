//! Addresses and devices: listing, creating, resetting, disconnecting; the OpenAPI document.

use postern_domain::DomainError;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{ADMIN, Api};

#[tokio::test]
async fn addresses_and_devices() {
    let mut api = Api::start().await;
    api.login_admin().await;
    let a = api.call(Method::GET, "/api/v1/addresses", None).await;
    assert_eq!(a.body, json!([{"address": ADMIN, "access": "owned"}]));

    let list = "/api/v1/addresses/admin@localhost/devices";
    let a = api.call(Method::GET, list, None).await;
    assert_eq!((a.status, a.body.clone()), (StatusCode::OK, json!([])));

    // Creating: checks the input, then needs a recent confirmation (sign-in counts).
    for (body, field) in [
        (json!({"description": ""}), "description"),
        (json!({"description": "x".repeat(65)}), "description"),
        (json!({"description": "tab\there"}), "description"),
        (json!({"description": "ok", "protocols": []}), "protocols"),
        (
            json!({"description": "ok", "protocols": ["imap", "ftp"]}),
            "protocols",
        ),
    ] {
        let a = api.call(Method::POST, list, Some(body.clone())).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            "{body}"
        );
        assert_eq!(a.body["error"]["field"], field);
    }
    let a = api
        .call(
            Method::POST,
            list,
            Some(json!({"description": "Phone", "protocols": ["imap", "smtp"]})),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.headers["cache-control"], "no-store");
    assert_eq!(a.body["description"], "Phone");
    assert_eq!(a.body["address"], ADMIN);
    assert_eq!(a.body["protocols"], json!(["imap", "smtp"]));
    assert_eq!(a.body["state"], "active");
    assert_eq!(a.body["created_at"], "2026-03-02T09:30:00Z");
    assert_eq!(a.body["created_by"], ADMIN);
    assert_eq!(a.body["last_used_at"], Value::Null);
    let id = a.body["id"].as_str().unwrap().to_owned();
    let phone = a.body["password"].as_str().unwrap().to_owned();
    api.verify(ADMIN, &phone).await.unwrap();

    let a = api.call(Method::GET, list, None).await;
    let devices = a.body.as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["id"], id.as_str());
    assert_eq!(devices[0]["last_used_ip"], "127.0.0.1");
    assert_eq!(devices[0]["last_used_protocol"], "imap");
    assert!(devices[0].get("password").is_none());

    // Six minutes later the confirmation has run out.
    api.advance_minutes(6);
    let a = api
        .call(Method::POST, list, Some(json!({"description": "Tablet"})))
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    let reset = format!("/api/v1/devices/{id}/reset");
    let a = api.call(Method::POST, &reset, None).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    api.verify(ADMIN, &phone).await.unwrap();
    assert_eq!(
        api.call(Method::GET, list, None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let (_, password) = api.server.admin();
    api.call(
        Method::POST,
        "/api/v1/reauth",
        Some(json!({"password": password})),
    )
    .await;
    let a = api
        .call(Method::POST, list, Some(json!({"description": "Tablet"})))
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(
        a.body["protocols"],
        json!(["imap", "smtp", "pop3", "webmail"])
    );

    // Resetting: same device, new password, the old one dead.
    let a = api.call(Method::POST, &reset, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["id"], id.as_str());
    let new = a.body["password"].as_str().unwrap().to_owned();
    assert_ne!(new, phone);
    assert!(matches!(
        api.verify(ADMIN, &phone).await,
        Err(DomainError::AuthFailed)
    ));
    api.verify(ADMIN, &new).await.unwrap();

    // Disconnecting.
    let path = format!("/api/v1/devices/{id}");
    let a = api.call(Method::DELETE, &path, None).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
    assert!(api.verify(ADMIN, &new).await.is_err());
    let a = api.call(Method::DELETE, &path, None).await;
    assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "not_found"));
    let a = api.call(Method::POST, &reset, None).await;
    assert_eq!(a.code(), "not_found");
    for bad in [
        "/api/v1/devices/not-a-uuid",
        "/api/v1/devices/0190c6f0-0000-7000-8000-000000000000",
    ] {
        assert_eq!(
            api.call(Method::DELETE, bad, None).await.code(),
            "not_found"
        );
    }
    let a = api
        .call(
            Method::GET,
            "/api/v1/addresses/nobody@localhost/devices",
            None,
        )
        .await;
    assert_eq!(a.code(), "not_found");
    let a = api
        .call(
            Method::POST,
            "/api/v1/addresses/nobody@localhost/devices",
            Some(json!({"description": "x"})),
        )
        .await;
    assert_eq!(a.code(), "not_found");
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint() {
    let api = Api::start().await;
    let a = api.call(Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(a.status, StatusCode::OK);
    let doc = a.body;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "Postern API");
    for (path, method) in [
        ("/api/v1/login", "post"),
        ("/api/v1/logout", "post"),
        ("/api/v1/reauth", "post"),
        ("/api/v1/addresses", "get"),
        ("/api/v1/addresses/{email}/devices", "get"),
        ("/api/v1/addresses/{email}/devices", "post"),
        ("/api/v1/devices/{id}/reset", "post"),
        ("/api/v1/devices/{id}", "delete"),
        ("/api/v1/links", "post"),
        ("/api/v1/links/{address}", "delete"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let create = &doc["paths"]["/api/v1/addresses/{email}/devices"]["post"];
    assert!(create["responses"]["403"].is_object());
    for schema in [
        "DeviceJson",
        "IssuedJson",
        "ErrorJson",
        "NewDeviceRequest",
        "LinkRequest",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
}

#[tokio::test]
async fn expiry_is_checked_and_shown() {
    let mut api = Api::start().await;
    api.login_admin().await;
    let list = "/api/v1/addresses/admin@localhost/devices";
    // The server's clock stands at 2026-03-02T09:30:00Z.
    for (extra, field) in [
        (json!({"expires_at": "2026-03-02T09:29:59Z"}), "expires_at"),
        (json!({"expires_at": "2026-03-02T09:30:00Z"}), "expires_at"),
        (json!({"expires_at": "next week"}), "expires_at"),
        (
            json!({"expires_after_unused_days": 0}),
            "expires_after_unused_days",
        ),
        (
            json!({"expires_after_unused_days": 3651}),
            "expires_after_unused_days",
        ),
        (json!({"networks": ["10.0.0.1/8"]}), "networks"),
        (json!({"networks": ["192.0.2.0/24", ""]}), "networks"),
        (json!({"networks": ["192.0.2.0/33"]}), "networks"),
    ] {
        let mut body = json!({"description": "Temp"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let a = api.call(Method::POST, list, Some(body.clone())).await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            "{body}"
        );
        assert_eq!(a.body["error"]["field"], field, "{body}");
    }
    let a = api.call(Method::GET, list, None).await;
    assert_eq!(a.body, json!([]), "nothing was created");

    let a = api
        .call(
            Method::POST,
            list,
            Some(json!({
                "description": "Temp",
                "expires_at": "2026-04-01T12:00:00+02:00",
                "expires_after_unused_days": 90,
                "networks": ["2001:db8::/48", "192.0.2.0/24"],
            })),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
    assert_eq!(a.body["networks"], json!(["2001:db8::/48", "192.0.2.0/24"]));
    assert_eq!(a.body["expires_at"], "2026-04-01T10:00:00Z");
    assert_eq!(a.body["expires_after_unused_days"], 90);
    assert_eq!(a.body["expires"], "2026-04-01T10:00:00Z");
    assert_eq!(a.body["state"], "active");
    let id = a.body["id"].as_str().unwrap().to_owned();

    // A reset takes new rules (none: never), and checks them the same way.
    let reset = format!("/api/v1/devices/{id}/reset");
    let a = api
        .call(
            Method::POST,
            &reset,
            Some(json!({"expires_after_unused_days": -1})),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert_eq!(a.body["error"]["field"], "expires_after_unused_days");
    let a = api
        .call(
            Method::POST,
            &reset,
            Some(json!({"expires_after_unused_days": 30})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["expires_at"], Value::Null);
    assert_eq!(a.body["expires_after_unused_days"], 30);
    assert_eq!(a.body["expires"], "2026-04-01T09:30:00Z");
    assert_eq!(
        a.body["networks"],
        json!([]),
        "a reset sets the networks anew"
    );
    let a = api.call(Method::POST, &reset, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.body["expires"], Value::Null);

    // The OpenAPI document describes the new fields.
    let doc = api.call(Method::GET, "/api/v1/openapi.json", None).await;
    let text = doc.body.to_string();
    for name in [
        "expires_at",
        "expires_after_unused_days",
        "networks",
        "RulesRequest",
    ] {
        assert!(
            text.contains(name),
            "{name} missing from the OpenAPI document"
        );
    }
}
