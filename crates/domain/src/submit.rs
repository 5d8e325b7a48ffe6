//! Sending a message: the one path shared by SMTP submission, LMTP and the webmail. Hosted
//! recipients get their copy in their INBOX; mail for other domains goes to the outbound
//! queue, whose worker is woken. Every outcome is known (and on disk) before it is returned.

use crate::core::Core;
use crate::email::Email;
use crate::error::{DomainError, Result};
use crate::queue::NewQueuedMessage;

/// Where mail for an address would go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// A hosted address.
    Hosted,
    /// No such address, in a domain this server hosts: refused rather than relayed.
    UnknownHosted,
    /// Another domain's address.
    Elsewhere,
}

/// Where a recipient's copy goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// A hosted address: its INBOX.
    Hosted,
    /// Another domain: the outbound queue and the smarthost.
    Remote,
}

/// What became of one recipient's copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// On disk: in the INBOX or in the outbound queue.
    Stored,
    /// Not stored this time; the sender should try again.
    TryLater(String),
    /// Not stored, and it will not be.
    Refused(String),
}

/// Who sends a message to whom.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a> {
    /// The reverse path; empty for the null sender.
    pub sender: &'a str,
    /// The hosted address the sender signed in as; only such a sender may send to other
    /// domains, and it gets the bounce when that fails.
    pub signed_in: Option<&'a Email>,
    /// Recipients in their order, each with its route.
    pub recipients: &'a [(Email, Route)],
}

/// Writes the `Received` trace header (with its CRLF) of a message; `Some(recipient)` for the
/// copy of one hosted recipient, `None` for the copy that leaves for other domains.
pub type TraceHeader<'a> = dyn Fn(Option<&Email>) -> String + Send + Sync + 'a;

impl Core {
    /// Where mail for `email` would go.
    pub async fn destination(&self, email: &Email) -> Result<Destination> {
        if self.store.address_by_email(email).await?.is_some() {
            return Ok(Destination::Hosted);
        }
        Ok(if self.store.domain_is_hosted(email.domain()).await? {
            Destination::UnknownHosted
        } else {
            Destination::Elsewhere
        })
    }

    /// Stores `message` for each recipient of `envelope`; returns an outcome per recipient,
    /// in their order.
    pub async fn submit(
        &self,
        envelope: &Envelope<'_>,
        message: &[u8],
        trace: &TraceHeader<'_>,
    ) -> Vec<DeliveryOutcome> {
        let mut outcomes = Vec::with_capacity(envelope.recipients.len());
        let mut remote = Vec::new();
        for (email, route) in envelope.recipients {
            match route {
                Route::Hosted => {
                    let mut content = return_path(envelope.sender).into_bytes();
                    content.extend_from_slice(trace(Some(email)).as_bytes());
                    content.extend_from_slice(message);
                    outcomes.push(self.deliver_hosted(email, &content).await);
                }
                Route::Remote => {
                    remote.push(outcomes.len());
                    outcomes.push(DeliveryOutcome::Stored);
                }
            }
        }
        if remote.is_empty() {
            return outcomes;
        }
        let emails: Vec<String> = remote
            .iter()
            .map(|&i| envelope.recipients[i].0.to_string())
            .collect();
        let queued = self
            .enqueue(envelope.signed_in, &emails, message, trace)
            .await;
        if queued != DeliveryOutcome::Stored {
            for i in remote {
                outcomes[i] = queued.clone();
            }
        }
        outcomes
    }

    async fn deliver_hosted(&self, email: &Email, content: &[u8]) -> DeliveryOutcome {
        let address = match self.store.address_by_email(email).await {
            Ok(Some(a)) => a,
            Ok(None) => return DeliveryOutcome::Refused("no such mailbox here".into()),
            Err(e) => return failed(e),
        };
        match self.deliver(&address, content).await {
            Ok(_) => DeliveryOutcome::Stored,
            Err(e) => failed(e),
        }
    }

    async fn enqueue(
        &self,
        signed_in: Option<&Email>,
        recipients: &[String],
        message: &[u8],
        trace: &TraceHeader<'_>,
    ) -> DeliveryOutcome {
        let Some(sender) = signed_in else {
            return DeliveryOutcome::Refused("relaying is for signed-in senders only".into());
        };
        let mut content = trace(None).into_bytes();
        content.extend_from_slice(message);
        let queued = self
            .store
            .enqueue(&NewQueuedMessage {
                sender,
                recipients,
                content: &content,
                queued_at: self.clock.now(),
            })
            .await;
        match queued {
            Ok(id) => {
                tracing::info!(
                    queued = id.0,
                    recipients = recipients.len(),
                    "message queued"
                );
                self.queue_wake.notify_one();
                DeliveryOutcome::Stored
            }
            Err(e) => failed(e),
        }
    }
}

fn failed(e: DomainError) -> DeliveryOutcome {
    tracing::error!("storing a message failed: {e}");
    DeliveryOutcome::TryLater("the message could not be stored".into())
}

/// The `Return-Path` header of final delivery.
pub fn return_path(sender: &str) -> String {
    let sender: String = sender.chars().filter(|c| c.is_ascii_graphic()).collect();
    format!("Return-Path: <{sender}>\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_path_keeps_the_header_whole() {
        assert_eq!(return_path(""), "Return-Path: <>\r\n");
        assert_eq!(
            return_path("a@b.example\r\nX-Evil: 1"),
            "Return-Path: <a@b.exampleX-Evil:1>\r\n"
        );
    }
}
