//! The webmail's work on messages, apart from HTTP: reading them (mail-parser), making mail
//! HTML inert (ammonia), and building and sending new ones.

pub mod compose;
pub mod read;
pub mod sanitize;
pub mod send;
