//! `Core`: the services every edge (CLI, web, protocols) calls. Authorisation lives here,
//! so no edge can forget it.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::clock::Clock;
use crate::device_password::Pepper;
use crate::email::Email;
use crate::error::{DomainError, Result};
use crate::mail::MailboxChanges;
use crate::model::{Account, Address};
use crate::queue::QueueRepo;
use crate::repo::{Store, WebSessionRepo};
use crate::revocation::RevocationBus;
use crate::throttle::{Throttle, ThrottleConfig};

/// Who asks for a change.
#[derive(Clone, Debug)]
pub enum Actor {
    /// A signed-in account: reaches its own addresses only.
    Account(Account),
    /// The server's operator on the command line: reaches everything.
    CommandLine,
}

impl Actor {
    /// The name written to the activity log and to `created by`.
    pub fn name(&self) -> String {
        match self {
            Actor::Account(a) => a.login.to_string(),
            Actor::CommandLine => "command line".to_owned(),
        }
    }

    /// Refuses, as `NotFound`, an address that this actor does not own.
    pub fn check_owns(&self, address: &Address) -> Result<()> {
        match self {
            Actor::Account(a) if a.id != address.owner => Err(DomainError::NotFound("address")),
            _ => Ok(()),
        }
    }
}

/// What the operator decides for devices and the records kept of them.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Devices one address may have (disconnected ones aside).
    pub devices_per_address: usize,
    /// Days sign-in history and activity are kept.
    pub retention_days: u32,
    /// The web app's public address, for the links in sign-in alerts.
    pub web_url: String,
    /// Sign-in alerts for addresses that did not turn them off; false: for none.
    pub sign_in_alerts: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            devices_per_address: 100,
            retention_days: 365,
            web_url: "http://127.0.0.1:8080".into(),
            sign_in_alerts: true,
        }
    }
}

/// The shared services.
pub struct Core {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) pepper: Pepper,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) throttle: Throttle,
    pub(crate) policy: Policy,
    /// Revocations, for live sessions to subscribe to.
    pub revocations: Arc<RevocationBus>,
    /// Mailbox changes, for IDLE and the webmail.
    pub mailbox_changes: MailboxChanges,
    /// Wakes the outbound queue's worker when mail is queued.
    pub queue_wake: Arc<Notify>,
    /// The UIDs of large mailboxes, as last read.
    pub(crate) uid_sets: crate::mailboxes::UidSets,
}

impl Core {
    /// Wires the services to a store, a pepper and a clock.
    pub fn new(
        store: Arc<dyn Store>,
        pepper: Pepper,
        clock: Arc<dyn Clock>,
        throttle: ThrottleConfig,
    ) -> Self {
        Core {
            store,
            pepper,
            clock,
            throttle: Throttle::new(throttle),
            policy: Policy::default(),
            revocations: Arc::new(RevocationBus::new()),
            mailbox_changes: MailboxChanges::default(),
            queue_wake: Arc::new(Notify::new()),
            uid_sets: Default::default(),
        }
    }

    /// The same services under `policy`.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The whole store, for tests that set up or inspect state directly. Edges reach it only
    /// through the services (`mailboxes()` for mail) and the narrow capabilities below.
    #[cfg(feature = "testing")]
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Whether the store answers a query (the readiness check).
    pub async fn store_reachable(&self) -> Result<()> {
        self.store.count_accounts().await.map(|_| ())
    }

    /// The web app's browser sessions.
    pub fn web_sessions(&self) -> &dyn WebSessionRepo {
        &*self.store
    }

    /// The outbound queue, for its worker.
    pub fn outbound_queue(&self) -> &dyn QueueRepo {
        &*self.store
    }

    /// The hosted address with this name, if there is one.
    pub async fn hosted_address(&self, email: &Email) -> Result<Option<Address>> {
        self.store.address_by_email(email).await
    }

    /// The clock everything uses.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The sign-in throttle shared by every protocol.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// Passes news of mailbox changes made by other processes on to this process's sessions.
    /// Runs until the task is dropped; does nothing on stores without such news.
    pub async fn follow_mail_news(&self) {
        let Some(mut news) = self.store.mail_news() else {
            return std::future::pending().await;
        };
        loop {
            match news.recv().await {
                Ok(crate::mail::MailNews::Changed { mailbox, modseq }) => {
                    self.mailbox_changes.notify(mailbox, modseq);
                }
                Ok(crate::mail::MailNews::Lost)
                | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    self.mailbox_changes.notify_all();
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return std::future::pending().await;
                }
            }
        }
    }

    /// Passes revocations written by other processes on to this process's sessions.
    /// Runs until the task is dropped.
    pub async fn follow_revocations(&self, poll: std::time::Duration) {
        let mut seq = match self.store.last_revocation_seq().await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("cannot read the revocation log: {e}");
                0
            }
        };
        loop {
            self.store.wait_for_revocations(poll).await;
            match self.store.revocations_after(seq).await {
                Ok(revs) => {
                    for r in revs {
                        self.revocations.publish(r.device_id, r.through_generation);
                        seq = seq.max(r.seq);
                    }
                }
                Err(e) => {
                    tracing::warn!("reading the revocation log failed: {e}");
                    tokio::time::sleep(poll).await;
                }
            }
        }
    }
}
