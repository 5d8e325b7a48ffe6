//! An in-memory client of the web app's router (`tower::ServiceExt::oneshot`) over a real
//! server's domain services and store, with a manual clock.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use postern_domain::clock::ManualClock;
use postern_testkit::TestServer;
use postern_web::Settings;
use tower::ServiceExt;

use super::start_time;

/// A response, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or("")
    }

    pub fn location(&self) -> &str {
        self.header("location")
    }

    /// The `name=value` part of the session cookie set by this response.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|v| v.starts_with("postern_session=") && !v.contains("Max-Age=0"))
            .map(|v| v.split(';').next().unwrap().to_owned())
    }

    /// `session` plus the other cookies this response sets, as the next request sends them.
    pub fn with_cookies(&self, session: &str) -> String {
        let mut all = vec![session.to_owned()];
        for v in self.headers.get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            if !v.contains("Max-Age=0") && !v.starts_with("postern_session=") {
                all.push(v.split(';').next().unwrap().to_owned());
            }
        }
        all.join("; ")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Percent-encodes a form body.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.*".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The router of a running test server, driven in memory.
pub struct App {
    pub server: TestServer,
    pub clock: Arc<ManualClock>,
    router: Router,
    /// The `Host` a browser sends for the public URL, added to requests that name none.
    host: String,
}

impl App {
    pub async fn start() -> Self {
        Self::start_with(Settings::new("http://postern.test")).await
    }

    pub async fn start_with(settings: Settings) -> Self {
        let host = settings
            .public_url
            .parse::<axum::http::Uri>()
            .unwrap()
            .authority()
            .unwrap()
            .to_string();
        let clock = Arc::new(ManualClock::new(start_time()));
        let server = TestServer::start_with_clock(|_| {}, clock.clone()).await;
        let router = postern_web::router(server.core().clone(), settings)
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        App {
            server,
            clock,
            router,
            host,
        }
    }

    pub fn advance_minutes(&self, minutes: i64) {
        self.clock.advance(time::Duration::minutes(minutes));
    }

    pub async fn send(&self, mut req: Request<Body>) -> Reply {
        if !req.headers().contains_key(header::HOST) {
            req.headers_mut()
                .insert(header::HOST, self.host.parse().unwrap());
        }
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8(bytes.to_vec()).unwrap(),
        }
    }

    fn builder(method: Method, path: &str, cookie: Option<&str>) -> axum::http::request::Builder {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        self.send(
            Self::builder(Method::GET, path, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A form POST as a browser on this site sends it.
    pub async fn post(&self, path: &str, cookie: Option<&str>, fields: &[(&str, &str)]) -> Reply {
        self.post_with(path, cookie, fields, &[("sec-fetch-site", "same-origin")])
            .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        cookie: Option<&str>,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut b = Self::builder(Method::POST, path, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(form(fields))).unwrap()).await
    }

    /// A JSON request to the API.
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> Reply {
        let b = Self::builder(method, path, cookie);
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string())),
            None => b.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    /// Signs in through the sign-in form; returns the session cookie.
    pub async fn sign_in(&self, login: &str, password: &str) -> String {
        let r = self
            .post(
                "/sign-in",
                None,
                &[("login", login), ("password", password), ("next", "")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        r.session_cookie().expect("a session cookie")
    }

    /// Signs the first account in.
    pub async fn sign_in_admin(&self) -> String {
        let (login, password) = self.server.admin();
        self.sign_in(&login, &password).await
    }
}
