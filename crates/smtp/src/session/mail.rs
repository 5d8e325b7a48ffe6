//! MAIL FROM: the envelope sender. On submission it must be the signed-in address.

use postern_domain::Email;
use postern_domain::author::may_send_as;
use smtp_proto::MailFrom;

use super::{Event, Session};
use crate::settings::Mode;

impl Session {
    pub(super) fn mail(&mut self, from: MailFrom<String>) -> Option<Event> {
        if self.hello.is_none() {
            return self.fail(503, "5.5.1 Say EHLO first");
        }
        if self.mode == Mode::Submission && self.signed_in.is_none() {
            return self.fail(530, "5.7.0 Authentication required");
        }
        if self.sender.is_some() {
            return self.fail(503, "5.5.1 Sender already given");
        }
        if from.size > self.settings.max_message_bytes {
            let text = self.too_big_text();
            return self.fail(552, &text);
        }
        if let Some(signed_in) = &self.signed_in {
            if !may_send_as(signed_in, &from.address) {
                let text = format!(
                    "5.7.1 Sender address <{}> is not yours: send as <{signed_in}>",
                    printable(&from.address)
                );
                return self.fail(553, &text);
            }
        } else if !from.address.is_empty() && Email::parse(&from.address).is_err() {
            return self.fail(501, "5.1.7 Invalid sender address");
        }
        let text = format!("2.1.0 Sender <{}> OK", printable(&from.address));
        self.sender = Some(from.address);
        self.ok(250, &text)
    }
}

/// An address as it may be echoed in a reply.
pub(super) fn printable(address: &str) -> String {
    address
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(256)
        .collect()
}
