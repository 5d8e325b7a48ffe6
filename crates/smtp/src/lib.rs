//! Postern's SMTP side: message submission (RFC 6409) for devices, LMTP (RFC 2033) for a
//! mail transfer agent delivering to hosted addresses, and the outbound queue that hands
//! mail for other domains to a smarthost.
//!
//! Sessions are state machines free of I/O ([`session::Session`]); the connection handler in
//! [`server`] reads, writes, and answers the sessions' events with the domain's services.

pub mod deliver;
pub mod queue;
pub mod received;
pub mod reply;
pub mod server;
pub mod session;
pub mod settings;

pub use server::SmtpServer;
pub use settings::{Mode, Settings};
