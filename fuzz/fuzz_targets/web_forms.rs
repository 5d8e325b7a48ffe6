//! The web app's forms, query strings and URL paths from arbitrary bytes, through the real
//! router and handlers, signed in or not; and `X-Forwarded-For` through the real parser.
//!
//! The first byte picks the request (low four bits), the `Content-Type` (next two bits: the
//! form type, with a charset, none, or the input's first line) and whether the session
//! cookie is sent (top bit); the rest is the body, the query string or a path segment. The
//! rest is also read as `X-Forwarded-For` lines.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use axum::http::{HeaderMap, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;

#[path = "fuzz_store.rs"]
mod fuzz_store;
#[path = "web_router.rs"]
mod web_router;

const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

/// Where the input goes: a form body (POST) or a query string or path segment (GET).
enum Target {
    Body(&'static str),
    Query(&'static str),
    Path(&'static str, &'static str),
}

/// The forms and pages that read what a browser sends. Signing out is left out: it would
/// end the session the other inputs use.
const TARGETS: [Target; 14] = [
    Target::Body("/sign-in"),
    Target::Query("/sign-in"),
    Target::Body("/confirm-password"),
    Target::Query("/confirm-password"),
    Target::Body("/account/password"),
    Target::Body("/setup/generate"),
    Target::Query("/setup"),
    Target::Body("/setup/profile"),
    Target::Query("/settings"),
    Target::Path("/addresses/", "?open=devices"),
    Target::Path("/settings/fuzz@example.org/devices/", ""),
    Target::Path("/mail/fuzz@example.org/folder/", ""),
    Target::Body("/account/two-step/confirm"),
    Target::Body("/sign-in/code"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (content_type, body): (Option<&[u8]>, &[u8]) = match (mode >> 4) & 3 {
        0 => (web_router::FORM, rest),
        1 => (
            Some(b"application/x-www-form-urlencoded; charset=utf-8"),
            rest,
        ),
        2 => (None, rest),
        _ => match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (Some(rest), &[][..]),
        },
    };
    let app = web_router::app();
    let headers = app.cookie_header(mode & 0x80 != 0);
    let (method, uri, body) = match &TARGETS[usize::from(mode & 0x0f) % TARGETS.len()] {
        Target::Body(path) => (Method::POST, (*path).to_owned(), body),
        Target::Query(path) => (Method::GET, format!("{path}?{}", encoded(body)), &[][..]),
        Target::Path(path, after) => (
            Method::GET,
            format!("{path}{}{after}", encoded(body)),
            &[][..],
        ),
    };
    let (status, answer) = app.send(method.clone(), &uri, content_type, body, &headers);
    web_router::check(&method, &uri, status, &answer);

    // X-Forwarded-For: only a trusted proxy's peers are believed, and the client is the peer
    // or one of the addresses in the header.
    let mut forwarded = HeaderMap::new();
    for line in rest.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            forwarded.append("x-forwarded-for", value);
        }
    }
    assert_eq!(postern_web::client_ip(PEER, &forwarded, &[PROXY]), PEER);
    let client = postern_web::client_ip(PROXY, &forwarded, &[PROXY]);
    if client != PROXY {
        let named = forwarded
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|l| l.split(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .any(|ip| ip == client);
        assert!(named, "{client} is neither the peer nor in the header");
    }
    if mode & 0x40 != 0 {
        // A client behind no trusted proxy is itself, whatever it sends.
        assert_eq!(postern_web::client_ip(PROXY, &forwarded, &[]), PROXY);
    }
});

/// `text` made safe to put in a URI's path or query: every byte outside unreserved
/// characters percent-encoded, so the fuzzer's bytes reach the handler as they are.
pub fn encoded(text: &[u8]) -> String {
    text.iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~=&".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
