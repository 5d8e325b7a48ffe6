//! EHLO, HELO (submission) and LHLO (LMTP): the client names itself and learns what we offer.

use super::{Event, Session};
use crate::settings::Mode;

impl Session {
    pub(super) fn ehlo(&mut self, host: String) -> Option<Event> {
        if self.mode == Mode::Lmtp {
            return self.fail(500, "5.5.1 This is LMTP: say LHLO");
        }
        self.greet_extended(host)
    }

    pub(super) fn lhlo(&mut self, host: String) -> Option<Event> {
        if self.mode != Mode::Lmtp {
            return self.fail(500, "5.5.1 This is SMTP: say EHLO");
        }
        self.greet_extended(host)
    }

    pub(super) fn helo(&mut self, host: String) -> Option<Event> {
        if self.mode == Mode::Lmtp {
            return self.fail(500, "5.5.1 This is LMTP: say LHLO");
        }
        self.reset_transaction();
        let text = format!("{} Hello {}", self.settings.hostname, clean(&host));
        self.hello = Some(host);
        self.ok(250, &text)
    }

    fn greet_extended(&mut self, host: String) -> Option<Event> {
        self.reset_transaction();
        let mut lines = vec![
            format!("{} Hello {}", self.settings.hostname, clean(&host)),
            "PIPELINING".to_owned(),
            format!("SIZE {}", self.settings.max_message_bytes),
            "8BITMIME".to_owned(),
            "ENHANCEDSTATUSCODES".to_owned(),
        ];
        if self.can_start_tls {
            lines.push("STARTTLS".to_owned());
        }
        if self.auth_allowed && self.signed_in.is_none() {
            lines.push("AUTH PLAIN LOGIN".to_owned());
        }
        self.hello = Some(host);
        self.ok(250, &lines.join("\n"))
    }
}

/// The client's name as it may be echoed: printable, short.
fn clean(host: &str) -> String {
    host.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}
