//! STARTTLS, RSET, QUIT and BDAT (which is not offered).

use smtp_proto::request::receiver::DummyDataReceiver;

use super::{Event, Session, State};

impl Session {
    pub(super) fn starttls(&mut self) -> Option<Event> {
        if self.tls {
            return self.fail(503, "5.5.1 TLS is already active");
        }
        if !self.can_start_tls {
            return self.fail(502, "5.5.1 STARTTLS is not available here");
        }
        self.ok(220, "2.0.0 Ready to start TLS");
        // RFC 3207: everything learnt before TLS is forgotten; a new session follows.
        self.state = State::Closed;
        Some(Event::StartTls)
    }

    pub(super) fn rset(&mut self) -> Option<Event> {
        self.reset_transaction();
        self.ok(250, "2.0.0 OK")
    }

    pub(super) fn quit(&mut self) -> Option<Event> {
        self.close(221, "2.0.0 Bye")
    }

    pub(super) fn bdat(&mut self, chunk_size: usize) -> Option<Event> {
        // CHUNKING is not advertised; a client that sends BDAT anyway has its chunk skipped
        // so that the chunk's bytes are not taken for commands.
        self.reset_transaction();
        if chunk_size == 0 {
            return self.fail(502, "5.5.1 BDAT is not supported; use DATA");
        }
        self.state = State::Discard(
            DummyDataReceiver::new_bdat(chunk_size),
            502,
            "5.5.1 BDAT is not supported; use DATA".to_owned(),
        );
        None
    }
}
