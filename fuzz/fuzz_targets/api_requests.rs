//! The JSON bodies of API v1 from arbitrary bytes.
//!
//! The first byte picks the body (low two bits) and the `Content-Type` (next two bits:
//! `application/json`, with a charset, none, or the input's first line); the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use postern_web::decode::{self, ApiInput};

#[path = "web_checks.rs"]
mod web_checks;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let input = ApiInput::ALL[usize::from(mode & 3)];
    let (content_type, body): (Option<&[u8]>, &[u8]) = match (mode >> 2) & 3 {
        0 => (Some(b"application/json"), rest),
        1 => (Some(b"application/json; charset=utf-8"), rest),
        2 => (None, rest),
        _ => match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (Some(rest), &[][..]),
        },
    };
    web_checks::check(web_checks::now(decode::api(input, content_type, body)));
});
