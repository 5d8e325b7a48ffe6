//! Postern's IMAP4rev1 server (RFC 3501 with IDLE, NAMESPACE, UIDPLUS, MOVE, UNSELECT,
//! SPECIAL-USE, LITERAL+, ENABLE, CHILDREN, ID and SASL-IR).
//!
//! The session is a state machine with no I/O: it takes the events of an imap-next
//! [`Server`](imap_next::server::Server) (parsed commands) and answers through it, reading and
//! writing mail through the domain's store traits. [`driver`] runs it on a socket with tokio;
//! [`harness`] runs it on a byte slice (tests, fuzzing).

mod command;
pub mod driver;
mod error;
pub mod harness;
pub mod import;
mod line_guard;
pub mod literal_budget;
mod message;
mod names;
mod responses;
mod session;
pub mod settings;

pub use driver::serve_connection;
pub use session::{Action, Session, SessionInfo};
pub use settings::Settings;

#[cfg(test)]
mod tests;
