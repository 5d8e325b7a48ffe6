//! Postern's integration tests: one binary, real servers on port 0, real clients.

mod support;
mod web;
