//! RCPT TO: hosted addresses, and other domains when a smarthost is configured.

use postern_domain::Email;
use smtp_proto::RcptTo;

use super::mail::printable;
use super::{Event, Recipient, Request, Route, Session, Waiting};
use crate::settings::Mode;

/// The answer to [`Request::CheckRecipient`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A hosted address.
    Hosted,
    /// Not an address of this server.
    NotHosted,
    /// No such address, in a domain this server hosts.
    UnknownHosted,
    /// The look-up failed: try later.
    Unavailable,
}

impl Session {
    pub(super) fn rcpt(&mut self, to: RcptTo<String>) -> Option<Event> {
        if self.sender.is_none() {
            return self.fail(503, "5.5.1 Send MAIL FROM first");
        }
        if to.address.is_empty() {
            return self.fail(501, "5.1.3 The recipient address is empty");
        }
        let Ok(email) = Email::parse(&to.address) else {
            let text = format!("5.1.3 <{}> is not a valid address", printable(&to.address));
            return self.fail(501, &text);
        };
        if self.mode == Mode::Submission && self.recipients.iter().any(|r| r.email == email) {
            return self.ok(250, &format!("2.1.5 Recipient <{email}> OK"));
        }
        if self.recipients.len() >= self.settings.max_recipients {
            let text = format!(
                "4.5.3 Too many recipients: at most {} per message",
                self.settings.max_recipients
            );
            return self.fail(452, &text);
        }
        self.waiting = Some(Waiting::Recipient(email.clone()));
        Some(Event::Request(Request::CheckRecipient(email)))
    }

    /// The answer to [`Request::CheckRecipient`].
    pub fn recipient_checked(&mut self, verdict: Verdict) {
        let Some(Waiting::Recipient(email)) = self.waiting.take() else {
            return;
        };
        let route = match (verdict, self.mode) {
            (Verdict::Hosted, _) => Route::Hosted,
            (Verdict::NotHosted, Mode::Submission) if self.settings.relay => Route::Remote,
            (Verdict::NotHosted, Mode::Submission) => {
                self.fail(
                    550,
                    &format!(
                        "5.7.1 <{email}>: this server does not send mail to other domains \
                         (no smarthost is configured)"
                    ),
                );
                return;
            }
            (Verdict::UnknownHosted, _) | (Verdict::NotHosted, Mode::Lmtp) => {
                self.fail(550, &format!("5.1.1 <{email}>: no such mailbox here"));
                return;
            }
            (Verdict::Unavailable, _) => {
                self.fail(
                    451,
                    &format!("4.3.0 <{email}>: temporary failure; try again later"),
                );
                return;
            }
        };
        self.ok(250, &format!("2.1.5 Recipient <{email}> OK"));
        self.recipients.push(Recipient { email, route });
    }
}
