//! When a line-based connection (SMTP, LMTP, POP3) must give up on its client.
//!
//! An idle timer renewed by every byte read would let a client that sends one byte a second
//! hold a connection for ever. So the timer is renewed only by a reply (a whole command
//! came in) or by steady progress through a large message, and a connection that has not
//! signed in also has a fixed deadline from its start.

use std::time::Duration;

use tokio::time::Instant;

/// Input that renews the timer without a reply: a message body arriving at a rate no real
/// client falls below (64 KiB per idle timeout), while a trickle of bytes does not.
const PROGRESS_BYTES: usize = 64 * 1024;

/// The deadline of a connection's next read.
#[derive(Clone, Copy, Debug)]
pub struct ReadDeadline {
    idle: Duration,
    renewed: Instant,
    received: usize,
    login_by: Option<Instant>,
}

impl ReadDeadline {
    /// A deadline `idle` from now, and no later than `login_by` until [`Self::signed_in`].
    pub fn new(idle: Duration, login_by: Option<Instant>) -> Self {
        ReadDeadline {
            idle,
            renewed: Instant::now(),
            received: 0,
            login_by,
        }
    }

    /// When the connection must be closed if nothing renews the timer.
    pub fn at(&self) -> Instant {
        let idle = self.renewed + self.idle;
        self.login_by.map_or(idle, |login| login.min(idle))
    }

    /// `n` bytes were read: a renewal after every `PROGRESS_BYTES` (64 KiB).
    pub fn received(&mut self, n: usize) {
        self.received = self.received.saturating_add(n);
        if self.received >= PROGRESS_BYTES {
            self.renew();
        }
    }

    /// A reply was written: the client may take a whole idle timeout for its next command.
    pub fn replied(&mut self) {
        self.renew();
    }

    /// The client signed in: the sign-in deadline no longer applies.
    pub fn signed_in(&mut self) {
        self.login_by = None;
    }

    fn renew(&mut self) {
        self.renewed = Instant::now();
        self.received = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_trickle_does_not_renew_but_replies_and_bulk_do() {
        let idle = Duration::from_secs(10);
        let mut d = ReadDeadline::new(idle, None);
        let first = d.at();
        for _ in 0..5 {
            tokio::time::advance(Duration::from_secs(1)).await;
            d.received(1);
        }
        assert_eq!(d.at(), first, "single bytes do not push the deadline");
        d.replied();
        assert_eq!(d.at(), Instant::now() + idle);
        tokio::time::advance(Duration::from_secs(1)).await;
        d.received(PROGRESS_BYTES);
        assert_eq!(d.at(), Instant::now() + idle);
    }

    #[tokio::test(start_paused = true)]
    async fn the_sign_in_deadline_holds_until_signed_in() {
        let login_by = Instant::now() + Duration::from_secs(3);
        let mut d = ReadDeadline::new(Duration::from_secs(10), Some(login_by));
        d.replied();
        assert_eq!(d.at(), login_by);
        d.signed_in();
        assert_eq!(d.at(), Instant::now() + Duration::from_secs(10));
    }
}
