//! DATA: the message itself, its size limit, the authors it names (submission), and the
//! replies after it is committed (one for submission, one per recipient for LMTP).

use smtp_proto::request::receiver::DataReceiver;

use postern_domain::author::check_authors;

use super::{Event, Request, Session, State, Transaction, Waiting};
use crate::settings::Mode;

/// The answer to [`Request::Deliver`] for one recipient.
pub use postern_domain::submit::DeliveryOutcome;

impl Session {
    pub(super) fn data(&mut self) -> Option<Event> {
        if self.sender.is_none() {
            return self.fail(503, "5.5.1 Send MAIL FROM first");
        }
        if self.recipients.is_empty() {
            return self.fail(554, "5.5.1 No valid recipients");
        }
        self.ok(354, "Start mail input; end with <CRLF>.<CRLF>");
        let mut rx = DataReceiver::new();
        // A fresh receiver does not know it stands at the start of a line, so a lone "." or
        // a stuffed ".." on the first line would be missed: prime it with a line end.
        let mut scratch = Vec::new();
        rx.ingest(&mut b"\r\n".iter(), &mut scratch);
        self.message = Vec::new();
        self.state = State::Data(rx);
        None
    }

    pub(super) fn end_of_data(&mut self) -> Option<Event> {
        let message = normalize_line_ends(&std::mem::take(&mut self.message));
        // What the reader sees as the author must be the signed-in address, like the
        // envelope sender: nothing is stored for any recipient otherwise.
        if let Some(signed_in) = &self.signed_in
            && let Err(forged) = check_authors(signed_in, &message)
        {
            let text = format!("5.7.1 {forged}");
            self.reset_transaction();
            return self.fail(550, &text);
        }
        let transaction = Transaction {
            sender: self.sender.clone().unwrap_or_default(),
            recipients: self.recipients.clone(),
            message,
            hello: self.hello.clone().unwrap_or_default(),
            tls: self.tls,
            signed_in: self.signed_in.clone(),
        };
        self.waiting = Some(Waiting::Delivery);
        Some(Event::Request(Request::Deliver(transaction)))
    }

    /// The answer to [`Request::Deliver`]: one outcome per recipient, in their order.
    pub fn delivered(&mut self, outcomes: &[DeliveryOutcome]) {
        if self.waiting != Some(Waiting::Delivery) {
            return;
        }
        self.waiting = None;
        let recipients = std::mem::take(&mut self.recipients);
        self.reset_transaction();
        let missing = DeliveryOutcome::TryLater("no outcome".to_owned());
        if self.mode == Mode::Lmtp {
            for (i, r) in recipients.iter().enumerate() {
                match outcomes.get(i).unwrap_or(&missing) {
                    DeliveryOutcome::Stored => {
                        self.ok(250, &format!("2.0.0 <{}> delivered", r.email));
                    }
                    DeliveryOutcome::TryLater(why) => {
                        self.ok(451, &format!("4.3.0 <{}> {why}; try again later", r.email));
                    }
                    DeliveryOutcome::Refused(why) => {
                        self.ok(550, &format!("5.1.1 <{}> {why}", r.email));
                    }
                }
            }
            return;
        }
        let worst = (0..recipients.len())
            .map(|i| outcomes.get(i).unwrap_or(&missing))
            .find(|o| **o != DeliveryOutcome::Stored);
        match worst {
            None => self.ok(250, "2.0.0 Message accepted"),
            Some(DeliveryOutcome::Refused(why)) => self.fail(554, &format!("5.3.0 {why}")),
            Some(o) => {
                let why = match o {
                    DeliveryOutcome::TryLater(why) => why.as_str(),
                    _ => "not stored",
                };
                self.fail(451, &format!("4.3.0 {why}; try again later"))
            }
        };
    }
}

/// Bare LF line ends become CRLF, as stored messages and IMAP expect.
pub fn normalize_line_ends(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 50);
    let mut previous = 0u8;
    for &b in message {
        if b == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        previous = b;
    }
    out
}
