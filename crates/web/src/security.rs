//! Cross-site request checks and the security headers of every response.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;
use crate::hosts::Hosts;
use crate::state::AppState;

/// The content security policy: our own scripts and styles only, no inline code; frames only
/// of our own (a message's sandboxed HTML body), and our pages in nobody's frame.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// Adds the security headers; dynamic responses are not stored by any cache unless the
/// handler said otherwise. A handler may set a stricter policy of its own (a message body).
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(HeaderValue::from_static("DENY"));
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// Refuses (`421`) a request sent to a name this web app does not answer to; see
/// [`crate::hosts`]. HTTP/1.1 puts the name in `Host`, HTTP/2 in the request's authority.
pub async fn host_check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    if !host.is_some_and(|h| state.hosts.accepts_host(h)) {
        let shown: String = host.unwrap_or("").chars().take(100).collect();
        tracing::info!(
            host = %shown,
            path = req.uri().path(),
            "refused a request for another host"
        );
        return WebError::MisdirectedRequest.into_response();
    }
    next.run(req).await
}

/// Refuses state-changing requests sent by another site, from what browsers say about them:
/// `Origin` must be the public URL's scheme, host and port, and `Sec-Fetch-Site` must say the
/// request came from this site or from the person. Requests with neither come from programs,
/// not from a page of another site (whose browser would send them), and the SameSite=Strict
/// cookie keeps a session out of them anyway.
pub async fn cross_site_check(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if !safe && !same_site(req.headers(), &state.hosts) {
        tracing::info!(path = req.uri().path(), "refused a cross-site request");
        return WebError::CrossSite.into_response();
    }
    next.run(req).await
}

fn same_site(headers: &HeaderMap, hosts: &Hosts) -> bool {
    let fetch_site = headers.get("sec-fetch-site");
    if let Some(site) = fetch_site {
        // `none`: the person started the request themselves (a bookmark, the address bar).
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return false;
        }
    }
    match headers.get(header::ORIGIN) {
        None => true,
        // A form sent from a page with `Referrer-Policy: no-referrer` (ours) has its origin
        // hidden as `null`; the browser's `Sec-Fetch-Site` has already said where it came from.
        Some(origin) if origin == "null" => fetch_site.is_some(),
        Some(origin) => origin.to_str().is_ok_and(|o| hosts.accepts_origin(o)),
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
    fn decides_from_fetch_metadata_and_origin() {
        let o = Hosts::new(&crate::settings::Settings::new("https://mail.example.com"));
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
            &headers(&[("sec-fetch-site", "same-origin"), ("origin", "null")]),
            &o
        ));
        assert!(!same_site(
            &headers(&[("sec-fetch-site", "cross-site"), ("origin", "null")]),
            &o
        ));
        // A rebound name is same-origin to the browser; its Origin still gives it away.
        assert!(!same_site(
            &headers(&[
                ("sec-fetch-site", "same-origin"),
                ("origin", "https://attacker.test"),
                ("host", "attacker.test")
            ]),
            &o
        ));
        assert!(!same_site(
            &headers(&[
                ("origin", "http://127.0.0.1:4000"),
                ("host", "127.0.0.1:4000")
            ]),
            &o
        ));
    }
}
