//! Postern's integration tests: one binary, real servers on port 0, real clients.

// Test code: a failed step must stop the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
mod web;
