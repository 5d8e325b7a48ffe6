//! Postern's integration tests: one binary, real servers on port 0, real clients.

mod pop3;
mod smtp;
mod support;
mod wire;
