//! Postern's integration tests: one binary, real servers on port 0, real clients.

mod imap;
mod support;
