//! The web app's form bodies and query strings, the addresses and device ids of its URLs,
//! and `X-Forwarded-For`, from arbitrary bytes.
//!
//! The first byte picks the form (low four bits) and the `Content-Type` (next two bits: the
//! form type, with a charset, none, or the input's first line); the rest is the body or the
//! query string. The rest is also read as a URL path segment and as `X-Forwarded-For` lines.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use postern_web::decode::{self, FormInput};

#[path = "web_checks.rs"]
mod web_checks;

const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
const PEER: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let input = FormInput::ALL[usize::from(mode & 0x0f) % FormInput::ALL.len()];
    let (content_type, body): (Option<&[u8]>, &[u8]) = match (mode >> 4) & 3 {
        0 => (Some(b"application/x-www-form-urlencoded"), rest),
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
    web_checks::check(web_checks::now(decode::form(input, content_type, body)));

    let text = String::from_utf8_lossy(rest);
    match decode::path_email(&text) {
        Ok(email) => web_checks::check_email(&email),
        Err(e) => assert_eq!(e.status(), 404),
    }
    match decode::path_device(&text) {
        Ok(id) => web_checks::check_device_id(id),
        Err(e) => assert_eq!(e.status(), 404),
    }

    // X-Forwarded-For: only a trusted proxy's peers are believed, and the client is the peer
    // or one of the addresses in the header.
    let lines: Vec<&[u8]> = rest.split(|&b| b == b'\n').collect();
    assert_eq!(decode::client_address(PEER, &lines, &[PROXY]), PEER);
    let client = decode::client_address(PROXY, &lines, &[PROXY]);
    if client != PROXY {
        let named = lines
            .iter()
            .filter_map(|l| std::str::from_utf8(l).ok())
            .flat_map(|l| l.split(','))
            .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
            .any(|ip| ip == client);
        assert!(named, "{client} is neither the peer nor in the header");
    }
    if mode & 0x40 != 0 {
        // A client behind no trusted proxy is itself, whatever it sends.
        assert_eq!(decode::client_address(PROXY, &lines, &[]), PROXY);
    }
});
