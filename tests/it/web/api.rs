//! JSON API v1 over a real socket: every endpoint, its answers and its errors.

use std::sync::Arc;

use postern_domain::clock::ManualClock;
use postern_domain::{DomainError, Protocol};
use postern_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::start_time;

const ADMIN: &str = "admin@localhost";

struct Api {
    server: TestServer,
    clock: Arc<ManualClock>,
    base: String,
    http: reqwest::Client,
    cookie: Option<String>,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Answer {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Api {
    async fn start() -> Self {
        let clock = Arc::new(ManualClock::new(start_time()));
        let server = TestServer::start_with_clock(|_| {}, clock.clone()).await;
        let base = format!("http://{}", server.addr("web.listen"));
        Api {
            server,
            clock,
            base,
            http: reqwest::Client::new(),
            cookie: None,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            req = req.header("cookie", c);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn login(&mut self, login: &str, password: &str) -> Answer {
        let a = self
            .call(
                Method::POST,
                "/api/v1/login",
                Some(json!({"login": login, "password": password})),
            )
            .await;
        if let Some(set) = a.headers.get("set-cookie") {
            self.cookie = Some(set.to_str().unwrap().split(';').next().unwrap().to_owned());
        }
        a
    }

    async fn login_admin(&mut self) {
        let (login, password) = self.server.admin();
        let a = self.login(&login, &password).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }

    async fn verify(&self, email: &str, password: &str) -> Result<(), DomainError> {
        self.server
            .core()
            .verify(email, password, Protocol::Imap, [127, 0, 0, 1].into())
            .await
            .map(|_| ())
    }

    fn advance_minutes(&self, m: i64) {
        self.clock.advance(time::Duration::minutes(m));
    }
}

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
