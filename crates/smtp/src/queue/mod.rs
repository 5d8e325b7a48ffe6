//! The outbound queue's worker: hands due messages to the smarthost, reschedules what failed
//! for now, and bounces what failed for good (or too often) to the sender's INBOX.

pub mod bounce;
pub mod relay;
pub mod schedule;
pub mod smarthost;

use std::sync::Arc;
use std::time::Duration;

use postern_domain::queue::{AttemptOutcome, QueuedRecipient, QueuedRecipientId};
use postern_domain::{Core, Email, Result};
use postern_net::CancellationToken;
use tokio::sync::Notify;

use self::bounce::Failure;
use self::relay::{Outgoing, RelayOutcome};
pub use self::schedule::RetrySchedule;
pub use self::smarthost::{Smarthost, SmarthostTls};

/// Recipients claimed per round.
const BATCH: u32 = 100;
/// How long a claimed recipient stays hidden from other workers: longer than any attempt.
const LEASE: Duration = Duration::from_secs(15 * 60);
/// The longest sleep between two looks at the queue (other processes may queue mail too).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How long one exchange with the smarthost may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(120);

/// Relays the outbound queue to the smarthost.
pub struct QueueWorker {
    pub core: Arc<Core>,
    pub smarthost: Smarthost,
    /// Our name, for EHLO and bounces.
    pub hostname: String,
    pub schedule: RetrySchedule,
    /// Notified when mail is queued.
    pub wake: Arc<Notify>,
}

impl QueueWorker {
    /// Works until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            // An attempt cut short here is made again when its lease ends.
            let round = tokio::select! {
                r = self.run_once() => r,
                () = shutdown.cancelled() => return,
            };
            let wait = match round {
                Ok(0) => self.until_next_due().await,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!("the outbound queue failed: {e}");
                    Duration::from_secs(5)
                }
            };
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => return,
            }
        }
    }

    /// Makes every attempt that is due now; returns how many recipients were tried.
    pub async fn run_once(&self) -> Result<usize> {
        let queue = self.core.outbound_queue();
        let now = self.core.clock().now();
        let claimed = queue.claim_due(now, now + LEASE, BATCH).await?;
        let count = claimed.len();
        let mut start = 0;
        while start < count {
            let message = claimed[start].message_id;
            let end = claimed[start..]
                .iter()
                .position(|r| r.message_id != message)
                .map_or(count, |p| start + p);
            let outcomes = self.attempt(&claimed[start..end]).await;
            queue.finish_attempts(&outcomes).await?;
            start = end;
        }
        Ok(count)
    }

    /// One message to the smarthost, for the given recipients of it.
    async fn attempt(
        &self,
        recipients: &[QueuedRecipient],
    ) -> Vec<(QueuedRecipientId, AttemptOutcome)> {
        let Some(first) = recipients.first() else {
            return Vec::new();
        };
        let content = match self
            .core
            .outbound_queue()
            .queued_content(first.message_id)
            .await
        {
            Ok(Some(c)) => c,
            Ok(None) => {
                return recipients
                    .iter()
                    .map(|r| (r.id, AttemptOutcome::Failed))
                    .collect();
            }
            Err(e) => {
                tracing::error!("reading a queued message failed: {e}");
                return Vec::new();
            }
        };
        let addresses: Vec<String> = recipients.iter().map(|r| r.recipient.clone()).collect();
        let results = relay::send(
            &self.smarthost,
            &Outgoing {
                hello: &self.hostname,
                sender: first.sender.as_str(),
                recipients: &addresses,
                content: &content,
            },
            STEP_TIMEOUT,
        )
        .await;
        let now = self.core.clock().now();
        let mut outcomes = Vec::with_capacity(recipients.len());
        let mut failures = Vec::new();
        for (r, result) in recipients.iter().zip(results) {
            let outcome = match result {
                RelayOutcome::Sent => {
                    tracing::info!(queued = r.message_id.0, to = %r.recipient, "relayed");
                    AttemptOutcome::Delivered
                }
                RelayOutcome::Retry(error) => match self.schedule.delay_after(r.attempts) {
                    Some(pause) => {
                        tracing::info!(queued = r.message_id.0, to = %r.recipient, %error, "deferred");
                        AttemptOutcome::Deferred {
                            until: now + pause,
                            error,
                        }
                    }
                    None => {
                        failures.push((r.recipient.clone(), error));
                        AttemptOutcome::Failed
                    }
                },
                RelayOutcome::Permanent(error) => {
                    failures.push((r.recipient.clone(), error));
                    AttemptOutcome::Failed
                }
            };
            outcomes.push((r.id, outcome));
        }
        if !failures.is_empty() {
            self.bounce(&first.sender, &failures, &content, first.queued_at)
                .await;
        }
        outcomes
    }

    async fn bounce(
        &self,
        sender: &Email,
        failures: &[(String, String)],
        original: &[u8],
        queued_at: time::OffsetDateTime,
    ) {
        for (to, why) in failures {
            tracing::info!(%sender, %to, %why, "giving up; bouncing to the sender");
        }
        let list: Vec<Failure<'_>> = failures
            .iter()
            .map(|(recipient, diagnostic)| Failure {
                recipient,
                diagnostic,
            })
            .collect();
        let report = bounce::bounce(
            &self.hostname,
            sender,
            &list,
            original,
            queued_at,
            self.core.clock().now(),
        );
        let delivered = match self.core.hosted_address(sender).await {
            Ok(Some(address)) => self.core.deliver(&address, &report).await.map(|_| ()),
            Ok(None) => {
                tracing::warn!(%sender, "the sender of a bounced message no longer exists");
                Ok(())
            }
            Err(e) => Err(e),
        };
        if let Err(e) = delivered {
            tracing::error!(%sender, "storing a bounce failed: {e}");
        }
    }

    async fn until_next_due(&self) -> Duration {
        match self.core.outbound_queue().next_due().await {
            Ok(Some(at)) => {
                let wait = at - self.core.clock().now();
                Duration::try_from(wait)
                    .unwrap_or(Duration::ZERO)
                    .min(MAX_SLEEP)
            }
            Ok(None) => MAX_SLEEP,
            Err(e) => {
                tracing::error!("reading the outbound queue failed: {e}");
                Duration::from_secs(5)
            }
        }
    }
}
