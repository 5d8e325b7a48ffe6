//! Committing a received message through the domain's one delivery path (shared with the
//! webmail): hosted recipients get it in their INBOX, others go to the outbound queue. Every
//! outcome is known (and on disk) before the client hears 250.

use std::net::IpAddr;
use std::sync::Arc;

use postern_domain::Core;
use postern_domain::submit::Envelope;

use crate::received::Trace;
use crate::session::{DeliveryOutcome, Transaction};
use crate::settings::Mode;

/// What delivery needs besides the message.
pub struct Deliverer {
    pub core: Arc<Core>,
    pub hostname: String,
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
        let recipients: Vec<_> = transaction
            .recipients
            .iter()
            .map(|r| (r.email.clone(), r.route))
            .collect();
        let envelope = Envelope {
            sender: &transaction.sender,
            signed_in: transaction.signed_in.as_ref(),
            recipients: &recipients,
        };
        self.core
            .submit(&envelope, &transaction.message, &|rcpt| {
                trace.received(rcpt)
            })
            .await
    }
}
