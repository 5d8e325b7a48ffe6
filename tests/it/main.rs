//! Postern's integration tests: one binary, real servers on port 0, real clients.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests: a failed step must stop the test loudly"
)]

mod adversarial;
mod cli;
mod cluster;
mod conformance;
mod devices;
mod imap;
mod layers;
mod policy;
mod pop3;
mod serve;
mod smtp;
mod store_copy;
mod store_safety;
mod support;
mod web;
mod wire;
