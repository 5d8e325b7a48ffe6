//! Cross-site request checks and the security headers of every response.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::options::WebOptions;
use crate::state::AppState;

/// The content security policy: our own scripts and styles only, no inline code, no frames.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers; dynamic responses are not stored by any cache unless the
/// handler said otherwise.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Refuses state-changing requests sent by another site, from what browsers say about them:
/// `Sec-Fetch-Site`, else `Origin`. Requests with neither come from programs, not from a page
/// of another site (whose browser would send one), and the SameSite=Strict cookie keeps a
/// session out of them anyway.
pub async fn cross_site_check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if !safe && !same_site(req.headers(), &state.options) {
        tracing::info!(path = req.uri().path(), "refused a cross-site request");
        return WebError::CrossSite.into_response();
    }
    next.run(req).await
}

fn same_site(headers: &HeaderMap, options: &WebOptions) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: the person started the request themselves (a bookmark, the address bar).
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return true;
    };
    let origin = origin.to_ascii_lowercase();
    if origin == options.public_origin() {
        return true;
    }
    // Reached under another name than the public URL (a test, a local port): the origin
    // must then name the host the request was sent to.
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    match (origin.split_once("://"), host) {
        (Some((_, origin_host)), Some(host)) => origin_host == host,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn decides_from_fetch_metadata_then_origin() {
        let o = WebOptions::new("https://mail.example.com");
        assert!(same_site(&headers(&[]), &o));
        assert!(same_site(
            &headers(&[("sec-fetch-site", "same-origin")]),
            &o
        ));
        assert!(same_site(&headers(&[("sec-fetch-site", "none")]), &o));
        assert!(!same_site(&headers(&[("sec-fetch-site", "same-site")]), &o));
        assert!(!same_site(
            &headers(&[("sec-fetch-site", "cross-site")]),
            &o
        ));
        assert!(!same_site(
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://mail.example.com")
            ]),
            &o
        ));
        assert!(same_site(
            &headers(&[("origin", "https://Mail.Example.com")]),
            &o
        ));
        assert!(!same_site(&headers(&[("origin", "https://evil.test")]), &o));
        assert!(!same_site(&headers(&[("origin", "null")]), &o));
        assert!(same_site(
            &headers(&[
                ("origin", "http://127.0.0.1:4000"),
                ("host", "127.0.0.1:4000")
            ]),
            &o
        ));
        assert!(!same_site(
            &headers(&[("origin", "http://evil.test"), ("host", "127.0.0.1:4000")]),
            &o
        ));
    }
}
