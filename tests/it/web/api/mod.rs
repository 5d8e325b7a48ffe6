//! JSON API v1 over a real socket: every endpoint, its answers and its errors.

mod devices;
mod links;
mod session;
mod two_step;

use std::sync::Arc;

use postern_domain::clock::ManualClock;
use postern_domain::{DomainError, Protocol};
use postern_testkit::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::start_time;
use postern_testkit::Listener;

pub const ADMIN: &str = "admin@localhost";

pub struct Api {
    pub server: TestServer,
    pub clock: Arc<ManualClock>,
    pub base: String,
    pub http: reqwest::Client,
    pub cookie: Option<String>,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl Api {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A server with its configuration adjusted, on a clock the test moves.
    pub async fn start_with(adjust: impl FnOnce(&mut postern_server::config::Config)) -> Self {
        let clock = Arc::new(ManualClock::new(start_time()));
        let server = TestServer::start_with_clock(adjust, clock.clone()).await;
        let base = format!("http://{}", server.addr(Listener::Web));
        Api {
            server,
            clock,
            base,
            http: reqwest::Client::new(),
            cookie: None,
        }
    }

    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
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

    pub async fn login(&mut self, login: &str, password: &str) -> Answer {
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

    pub async fn login_admin(&mut self) {
        let (login, password) = self.server.admin();
        let a = self.login(&login, &password).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    }

    pub async fn verify(&self, email: &str, password: &str) -> Result<(), DomainError> {
        self.server
            .core()
            .verify(email, password, Protocol::Imap, [127, 0, 0, 1].into())
            .await
            .map(|_| ())
    }

    pub fn advance_minutes(&self, m: i64) {
        self.clock.advance(time::Duration::minutes(m));
    }
}
