//! CAPA (RFC 2449) and STLS (RFC 2595).

use super::{Event, Session, State};

impl Session {
    pub(super) fn capa(&mut self) -> Option<Event> {
        let authorization = !matches!(self.state, State::Transaction);
        let mut caps = vec!["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"];
        if authorization && self.auth_allowed {
            caps.push("USER");
            caps.push("SASL PLAIN");
        }
        if authorization && self.can_start_tls {
            caps.push("STLS");
        }
        caps.push("IMPLEMENTATION Postern");
        let mut text = String::from("+OK Capability list follows\r\n");
        for c in caps {
            text.push_str(c);
            text.push_str("\r\n");
        }
        text.push_str(".\r\n");
        self.out.extend_from_slice(text.as_bytes());
        None
    }

    pub(super) fn stls(&mut self) -> Option<Event> {
        if self.tls {
            return self.err("TLS is already active");
        }
        if !self.can_start_tls {
            return self.err("STLS is not available here");
        }
        self.ok("Begin TLS negotiation");
        self.state = State::Closed;
        Some(Event::StartTls)
    }
}
