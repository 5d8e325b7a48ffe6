//! Postern's POP3 server (RFC 1939 with CAPA, STLS and SASL PLAIN of RFC 2449, 2595 and
//! 5034) over the INBOX of an address, for devices allowed to use POP3.
//!
//! The session is a state machine free of I/O ([`session::Session`]); [`server`] drives it
//! over a connection with the domain's services.

pub mod command;
pub mod server;
pub mod session;

pub use server::Pop3Server;
pub use session::Settings;
