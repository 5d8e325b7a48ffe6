//! One-time notices ("The device was disconnected.") carried across a redirect in a
//! short-lived cookie, shown by the next page and then cleared.

use std::convert::Infallible;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::session::read_cookie;
use crate::settings::Settings;
use crate::state::AppState;

const NAME: &str = "postern_flash";

fn cookie(settings: &Settings, value: &str, max_age: u32) -> HeaderValue {
    let secure = if settings.https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{NAME}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that carries `message` to the next page.
pub fn set(settings: &Settings, message: &str) -> (header::HeaderName, HeaderValue) {
    // Hex keeps any text inside the cookie grammar.
    (
        header::SET_COOKIE,
        cookie(settings, &hex::encode(message), 60),
    )
}

/// The notice the request carries, if any.
pub struct Flash(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Flash {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        let text = read_cookie(&parts.headers, NAME)
            .and_then(|v| hex::decode(v).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .filter(|s| !s.is_empty());
        Ok(Flash(text))
    }
}

/// Clears the notice once a page has been shown with it.
pub async fn clear_after_showing(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let had = read_cookie(req.headers(), NAME).is_some();
    let mut res = next.run(req).await;
    let page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if had && page && res.status() == StatusCode::OK {
        res.headers_mut()
            .append(header::SET_COOKIE, cookie(&state.settings, "", 0));
    }
    res
}
