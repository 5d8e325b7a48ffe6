//! The settings of the IMAP server, passed in by the server crate.

use std::sync::Arc;
use std::time::Duration;

use crate::literal_budget::LiteralBudget;

/// Limits and timeouts of IMAP sessions.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Largest literal (and so message) a client may send, in bytes.
    pub max_literal: u32,
    /// Largest literal, and sum of the literals of one command, before sign-in: enough for
    /// LOGIN or ID, so that a stranger cannot make the server hold much memory.
    pub max_literal_unauthenticated: u32,
    /// The literal bytes all signed-in sessions of one address may be receiving at once,
    /// shared by every session made with this configuration.
    pub literals_per_address: Arc<LiteralBudget>,
    /// Longest command line outside literals, in bytes.
    pub max_line_bytes: u32,
    /// How long a signed-in session may stay silent (RFC 3501 asks for at least 30 minutes).
    pub autologout: Duration,
    /// How long a session may take to sign in.
    pub login_timeout: Duration,
    /// How often an IDLE session looks for changes made by other processes on the store.
    pub idle_poll: Duration,
    /// Failed sign-ins after which a connection is closed.
    pub max_auth_failures: u32,
    /// How long a closing session waits for its goodbye to be written.
    pub goodbye_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_literal: 50 * 1024 * 1024,
            max_literal_unauthenticated: 8 * 1024,
            literals_per_address: LiteralBudget::new(2 * 50 * 1024 * 1024),
            max_line_bytes: 64 * 1024,
            autologout: Duration::from_secs(30 * 60),
            login_timeout: Duration::from_secs(60),
            idle_poll: Duration::from_secs(30),
            max_auth_failures: 5,
            goodbye_timeout: Duration::from_millis(50),
        }
    }
}
