//! Postern's integration tests: one binary, real servers on port 0, real clients.

// Helpers of this test binary fail the test at hand by panicking, like the tests do.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod pop3;
mod smtp;
mod support;
mod wire;
