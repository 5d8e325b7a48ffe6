//! The web app's real router (`tower::ServiceExt::oneshot`) over a real SQLite store, made
//! once per fuzzing process, with a session signed in and its password confirmed, so that
//! fuzzed requests reach the handlers behind the sign-in. Shared by `web_forms` and
//! `api_requests`.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use postern_web::Settings;
use tower::ServiceExt;

use crate::fuzz_store::{self, PASSWORD};

const HOST: &str = "postern.test";

pub struct App {
    runtime: tokio::runtime::Runtime,
    router: Router,
    /// The session cookie of the signed-in account, sent with requests that ask for it.
    pub cookie: String,
    _dir: tempfile::TempDir,
}

static APP: OnceLock<App> = OnceLock::new();

/// The application, made on first use.
pub fn app() -> &'static App {
    APP.get_or_init(start)
}

fn start() -> App {
    let runtime = fuzz_store::runtime();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let router = runtime.block_on(async {
        let (core, _) = fuzz_store::core(dir.path()).await;
        postern_web::router(Arc::new(core), Settings::new(format!("http://{HOST}")))
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
    });
    let mut app = App {
        runtime,
        router,
        cookie: String::new(),
        _dir: dir,
    };
    let form = format!("login=owner%40example.org&password={PASSWORD}&next=");
    let (status, headers) = app.send(Method::POST, "/sign-in", FORM, form.as_bytes(), &[]);
    assert_eq!(status, StatusCode::SEE_OTHER, "the set-up signs in");
    app.cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("postern_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let body = format!("{{\"password\":\"{PASSWORD}\"}}");
    let cookie = app.cookie.clone();
    let (status, _) = app.send(
        Method::POST,
        "/api/v1/reauth",
        JSON,
        body.as_bytes(),
        &[(header::COOKIE, cookie.as_bytes())],
    );
    assert!(
        status.is_success(),
        "the set-up confirms the password: {status}"
    );
    app
}

/// A form body's type.
pub const FORM: Option<&[u8]> = Some(b"application/x-www-form-urlencoded");
/// A JSON body's type.
pub const JSON: Option<&[u8]> = Some(b"application/json");

impl App {
    /// The session cookie as a header when `signed_in`, else no header.
    pub fn cookie_header(&self, signed_in: bool) -> Vec<(HeaderName, &[u8])> {
        if signed_in {
            vec![(header::COOKIE, self.cookie.as_bytes())]
        } else {
            Vec::new()
        }
    }

    /// Sends one request as a browser on this site would (same-origin), with the given
    /// headers where they are valid header values; returns its status and headers after
    /// reading the whole body.
    pub fn send(
        &self,
        method: Method,
        uri: &str,
        content_type: Option<&[u8]>,
        body: &[u8],
        extra: &[(HeaderName, &[u8])],
    ) -> (StatusCode, axum::http::HeaderMap) {
        let Ok(mut request) = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::from(body.to_vec()))
        else {
            // Not a URI any HTTP server would pass on to the router.
            return (StatusCode::BAD_REQUEST, Default::default());
        };
        let headers = request.headers_mut();
        headers.insert(header::HOST, HeaderValue::from_static(HOST));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        if let Some(value) = content_type.and_then(|t| HeaderValue::from_bytes(t).ok()) {
            headers.insert(header::CONTENT_TYPE, value);
        }
        for (name, value) in extra {
            if let Ok(value) = HeaderValue::from_bytes(value) {
                headers.append(name.clone(), value);
            }
        }
        self.runtime.block_on(async {
            let response = self
                .router
                .clone()
                .oneshot(request)
                .await
                .expect("the router is infallible");
            let status = response.status();
            let headers = response.headers().clone();
            response
                .into_body()
                .collect()
                .await
                .expect("the body is read");
            (status, headers)
        })
    }
}

/// A request with bad input is refused as the client's fault (4xx) or handled, never a
/// server failure; a redirect stays on this site.
pub fn check(method: &Method, uri: &str, status: StatusCode, headers: &axum::http::HeaderMap) {
    assert!(
        !status.is_server_error(),
        "{method} {uri} answered {status}"
    );
    if let Some(location) = headers.get(header::LOCATION) {
        let location = location.to_str().expect("a location is text");
        assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.starts_with("/\\"),
            "{method} {uri} redirects off the site to {location:?}"
        );
        assert!(
            !location.chars().any(char::is_control),
            "{method} {uri} redirects to {location:?}"
        );
    }
}
