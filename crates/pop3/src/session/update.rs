//! DELE, RSET and QUIT: deletions are only marked until QUIT, which removes them for good
//! (the UPDATE state of RFC 1939).

use super::{Event, Request, Session, State, Waiting};

impl Session {
    pub(super) fn dele(&mut self, number: u32) -> Option<Event> {
        let Some(i) = self.message(number) else {
            return self.no_such_message(number);
        };
        self.deleted[i] = true;
        self.ok(&format!("Message {number} deleted"))
    }

    pub(super) fn rset(&mut self) -> Option<Event> {
        self.deleted.iter_mut().for_each(|d| *d = false);
        let count = self.maildrop.messages.len();
        self.ok(&format!("{count} messages"))
    }

    pub(super) fn quit(&mut self) -> Option<Event> {
        let deleted: Vec<u32> = self
            .maildrop
            .messages
            .iter()
            .zip(&self.deleted)
            .filter(|(_, d)| **d)
            .map(|(m, _)| m.uid)
            .collect();
        if deleted.is_empty() {
            return self.close_ok("Bye");
        }
        self.waiting = Some(Waiting::Update);
        Some(Event::Request(Request::Update { deleted }))
    }

    /// The answer to [`Request::Update`]: whether the deletions were committed.
    pub fn updated(&mut self, committed: bool) {
        if self.waiting != Some(Waiting::Update) {
            return;
        }
        self.waiting = None;
        let count = self.deleted.iter().filter(|d| **d).count();
        if committed {
            self.close_ok(&format!("Bye; {count} messages deleted"));
        } else {
            self.close_err("[SYS/TEMP] Some deleted messages were not removed; try again");
        }
        self.state = State::Closed;
    }
}
