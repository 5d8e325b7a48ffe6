//! The JSON bodies of API v1 from arbitrary bytes, through the real router and handlers.
//!
//! The first byte picks the request (low three bits), the `Content-Type` (next two bits:
//! `application/json`, with a charset, none, or the input's first line) and whether the
//! session cookie is sent (top bit); the rest is the body.
#![no_main]

use axum::http::Method;
use libfuzzer_sys::fuzz_target;

#[path = "fuzz_store.rs"]
mod fuzz_store;
#[path = "web_router.rs"]
mod web_router;

/// The API's requests with bodies. Signing out is left out: it would end the session the
/// other inputs use.
const REQUESTS: [(Method, &str); 8] = [
    (Method::POST, "/api/v1/login"),
    (Method::POST, "/api/v1/reauth"),
    (Method::POST, "/api/v1/addresses/fuzz@example.org/devices"),
    (Method::POST, "/api/v1/links"),
    (Method::POST, "/api/v1/account/password"),
    (Method::POST, "/api/v1/account/two-step/confirm"),
    (Method::DELETE, "/api/v1/account/two-step"),
    (Method::POST, "/api/v1/account/two-step"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (method, uri) = &REQUESTS[usize::from(mode & 7)];
    let (content_type, body): (Option<&[u8]>, &[u8]) = match (mode >> 3) & 3 {
        0 => (web_router::JSON, rest),
        1 => (Some(b"application/json; charset=utf-8"), rest),
        2 => (None, rest),
        _ => match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (Some(rest), &[][..]),
        },
    };
    let app = web_router::app();
    let headers = app.cookie_header(mode & 0x80 != 0);
    let (status, answer) = app.send(method.clone(), uri, content_type, body, &headers);
    web_router::check(method, uri, status, &answer);
});
