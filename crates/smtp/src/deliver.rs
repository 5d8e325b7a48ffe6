//! Committing a received message: hosted recipients get it in their INBOX, others go to the
//! outbound queue. Every outcome is known (and on disk) before the client hears 250.

use std::net::IpAddr;
use std::sync::Arc;

use postern_domain::queue::NewQueuedMessage;
use postern_domain::{Core, DomainError};
use tokio::sync::Notify;

use crate::received::{Trace, return_path};
use crate::session::{DeliveryOutcome, Route, Transaction};
use crate::settings::Mode;

/// What delivery needs besides the message.
pub struct Deliverer {
    pub core: Arc<Core>,
    pub hostname: String,
    /// Wakes the outbound queue's worker when something was queued.
    pub queue_wake: Arc<Notify>,
}

impl Deliverer {
    /// Stores `transaction` for each of its recipients, in their order.
    pub async fn deliver(
        &self,
        mode: Mode,
        ip: IpAddr,
        transaction: &Transaction,
    ) -> Vec<DeliveryOutcome> {
        let trace = Trace {
            mode,
            hello: &transaction.hello,
            ip,
            tls: transaction.tls,
            authenticated: transaction.signed_in.is_some(),
            hostname: &self.hostname,
            at: self.core.clock().now(),
        };
        let mut outcomes = Vec::with_capacity(transaction.recipients.len());
        let mut remote = Vec::new();
        for r in &transaction.recipients {
            match r.route {
                Route::Hosted => {
                    let mut content = return_path(&transaction.sender).into_bytes();
                    content.extend_from_slice(trace.received(Some(&r.email)).as_bytes());
                    content.extend_from_slice(&transaction.message);
                    outcomes.push(self.deliver_local(&r.email, &content).await);
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
        let queued = self.enqueue(&trace, transaction, &remote).await;
        if queued != DeliveryOutcome::Stored {
            for i in remote {
                outcomes[i] = queued.clone();
            }
        }
        outcomes
    }

    async fn deliver_local(
        &self,
        email: &postern_domain::Email,
        content: &[u8],
    ) -> DeliveryOutcome {
        let address = match self.core.store().address_by_email(email).await {
            Ok(Some(a)) => a,
            Ok(None) => return DeliveryOutcome::Refused("no such mailbox here".into()),
            Err(e) => return self.failed(e),
        };
        match self.core.deliver(&address, content).await {
            Ok(_) => DeliveryOutcome::Stored,
            Err(e) => self.failed(e),
        }
    }

    async fn enqueue(
        &self,
        trace: &Trace<'_>,
        transaction: &Transaction,
        remote: &[usize],
    ) -> DeliveryOutcome {
        let Some(sender) = &transaction.signed_in else {
            return DeliveryOutcome::Refused("relaying is for signed-in senders only".into());
        };
        let recipients: Vec<String> = remote
            .iter()
            .map(|&i| transaction.recipients[i].email.to_string())
            .collect();
        let mut content = trace.received(None).into_bytes();
        content.extend_from_slice(&transaction.message);
        let queued = self
            .core
            .store()
            .enqueue(&NewQueuedMessage {
                sender,
                recipients: &recipients,
                content: &content,
                queued_at: self.core.clock().now(),
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
            Err(e) => self.failed(e),
        }
    }

    fn failed(&self, e: DomainError) -> DeliveryOutcome {
        tracing::error!("storing a message failed: {e}");
        DeliveryOutcome::TryLater("the message could not be stored".into())
    }
}
