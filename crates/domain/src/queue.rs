//! The outbound queue: mail for other domains waits here, durably, until the smarthost
//! takes it, is retried with growing pauses, or is given up and bounced to its sender.

use async_trait::async_trait;
use time::OffsetDateTime;

use crate::email::Email;
use crate::error::Result;

/// A queued message's row id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueuedMessageId(pub i64);

/// A queued recipient's row id: each recipient of a message is retried on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueuedRecipientId(pub i64);

/// A message to put in the queue.
#[derive(Clone, Debug)]
pub struct NewQueuedMessage<'a> {
    /// The envelope sender: a hosted address, which gets the bounce if delivery fails.
    pub sender: &'a Email,
    /// Envelope recipients as the client gave them (already checked for syntax).
    pub recipients: &'a [String],
    pub content: &'a [u8],
    pub queued_at: OffsetDateTime,
}

/// One recipient of a queued message, as a worker sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueuedRecipient {
    pub id: QueuedRecipientId,
    pub message_id: QueuedMessageId,
    pub sender: Email,
    pub recipient: String,
    /// Attempts made so far, counting the one just claimed.
    pub attempts: u32,
    pub queued_at: OffsetDateTime,
    pub next_attempt_at: OffsetDateTime,
    /// The smarthost's answer to the previous attempt, if it failed.
    pub last_error: Option<String>,
}

/// What became of one attempt to hand a recipient to the smarthost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Accepted by the smarthost: the recipient leaves the queue.
    Delivered,
    /// Failed for now: try again at `until`.
    Deferred {
        until: OffsetDateTime,
        error: String,
    },
    /// Given up (bounced already): the recipient leaves the queue.
    Failed,
}

/// Storage of the outbound queue.
#[async_trait]
pub trait QueueRepo: Send + Sync {
    /// Stores a message and all its recipients in one transaction, due at `queued_at`.
    /// Once this returns, the message survives a crash.
    async fn enqueue(&self, message: &NewQueuedMessage<'_>) -> Result<QueuedMessageId>;
    /// Claims at most `limit` recipients due at `now`: counts the attempt and moves their next
    /// attempt to `lease_until`, so that no other worker takes them meanwhile and an attempt
    /// cut short by a crash is made again after the lease.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<QueuedRecipient>>;
    /// The content of a queued message.
    async fn queued_content(&self, message: QueuedMessageId) -> Result<Option<Vec<u8>>>;
    /// Records the outcomes of attempts in one transaction; a message with no recipient left
    /// is removed.
    async fn finish_attempts(&self, outcomes: &[(QueuedRecipientId, AttemptOutcome)])
    -> Result<()>;
    /// When the earliest recipient falls due, if anything is queued.
    async fn next_due(&self) -> Result<Option<OffsetDateTime>>;
    /// Every queued recipient, oldest first (for the operator and tests).
    async fn queued_recipients(&self) -> Result<Vec<QueuedRecipient>>;
}
