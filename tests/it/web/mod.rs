//! The web app and JSON API: router tests in memory, API tests over a real socket, and
//! browser tests that follow the help-centre article in Chromium.

pub(crate) mod api;
mod automatic;
mod browser;
mod browsers;
mod harness;
mod hosts;
mod policy_pages;
mod router;
mod router_security;
mod serve;
mod two_step;
mod webmail;

use time::OffsetDateTime;
use time::macros::datetime;

/// Where the manual clocks of these tests start, so pages and screenshots are repeatable.
pub fn start_time() -> OffsetDateTime {
    datetime!(2026-03-02 09:30 UTC)
}

/// Whether `text` holds something shaped like a device password (`xxxx-xxxx-…`), and which.
pub fn find_password(text: &str) -> Option<String> {
    let alphabet = |c: char| c.is_ascii_digit() || c.is_ascii_lowercase();
    text.split(|c: char| !(alphabet(c) || c == '-'))
        .find(|w| {
            w.len() == 29
                && w.split('-').count() == 6
                && w.split('-')
                    .all(|g| g.len() == 4 && g.chars().all(alphabet))
        })
        .map(str::to_owned)
}
