//! Runs a session on bytes in memory: no sockets, no timers. For tests and fuzzing.

use imap_next::server::Server;
use imap_next::{Interrupt, Io, State};

use crate::line_guard::LineGuard;
pub use crate::message::every_walk;
use crate::session::{Action, Session};

/// A session fed from byte slices, collecting what it writes.
pub struct Harness {
    pub session: Session,
    server: Server,
    guard: LineGuard,
    output: Vec<u8>,
    ended: Option<Action>,
}

impl Harness {
    /// A harness around a new session; its greeting is the first output.
    pub fn new(session: Session) -> Self {
        let server = session.server();
        let guard = session.line_guard();
        Harness {
            session,
            server,
            guard,
            output: Vec::new(),
            ended: None,
        }
    }

    /// How the session ended (closed, or handed over to TLS), if it did.
    pub fn ended(&self) -> Option<Action> {
        self.ended
    }

    /// Feeds input and runs the session until it needs more; false once it has ended.
    pub async fn feed(&mut self, input: &[u8]) -> bool {
        if self.ended.is_some() {
            return false;
        }
        let mut filtered = Vec::with_capacity(input.len());
        let seen = self.guard.filter(input, &mut filtered);
        self.session.note(seen);
        if seen.close {
            self.session
                .goodbye(&mut self.server, crate::driver::literal_goodbye(seen));
        }
        self.server.enqueue_input(&filtered);
        let more = self.run().await;
        if let Some(share) = self.session.literal_share() {
            self.guard.relax(self.session.settings.max_literal, share);
        }
        more
    }

    async fn run(&mut self) -> bool {
        // Each round makes progress on the input or the queued responses, so this bound is
        // only a guard against a bug turning into a hang.
        for _ in 0..1_000_000 {
            match self.server.next() {
                Ok(event) => match self.session.on_event(&mut self.server, event).await {
                    Action::Continue => {}
                    end => {
                        self.ended = Some(end);
                        return false;
                    }
                },
                Err(Interrupt::Io(Io::Output(bytes))) => self.output.extend_from_slice(&bytes),
                Err(Interrupt::Io(Io::NeedMoreInput)) => return true,
                Err(Interrupt::Error(e)) => self.session.on_error(&mut self.server, e).await,
            }
        }
        self.ended = Some(Action::Close);
        false
    }

    /// Everything written since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Tells the session its device was revoked, as the driver would.
    pub async fn revoke(&mut self) -> bool {
        self.session.revoked(&mut self.server);
        self.run().await
    }

    /// Wakes an IDLE as the driver would when the mailbox changed.
    pub async fn wake(&mut self) -> bool {
        self.session.idle_wake(&mut self.server).await;
        self.run().await
    }
}
