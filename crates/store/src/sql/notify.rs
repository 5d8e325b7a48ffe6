//! PostgreSQL notifications: one connection LISTENs for the whole process and wakes whoever
//! waits on a channel. After a lost connection every waiter is woken, so that it catches up
//! by reading the store.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use postern_domain::mail::{MailNews, MailboxId};
use sqlx::postgres::PgListener;
use tokio::sync::{broadcast, watch};

/// The channels Postern listens on.
pub(crate) const CHANNELS: [&str; 2] = ["postern_revocations", "postern_mail"];

/// A process-wide listener; cheap to clone.
#[derive(Clone)]
pub(crate) struct Listener {
    channels: Arc<HashMap<&'static str, watch::Sender<u64>>>,
    mail: broadcast::Sender<MailNews>,
}

impl Listener {
    /// Starts listening in the background.
    pub(crate) fn new(url: &str) -> Self {
        let channels: Arc<HashMap<_, _>> = Arc::new(
            CHANNELS
                .iter()
                .map(|c| (*c, watch::Sender::new(0)))
                .collect(),
        );
        let (mail, _) = broadcast::channel(1024);
        tokio::spawn(listen(url.to_owned(), Arc::clone(&channels), mail.clone()));
        Listener { channels, mail }
    }

    /// Mailbox changes as they are announced.
    pub(crate) fn mail_news(&self) -> broadcast::Receiver<MailNews> {
        self.mail.subscribe()
    }

    /// Waits until `channel` is notified or `max_wait` passed.
    pub(crate) async fn wait(&self, channel: &str, max_wait: Duration) {
        let Some(tx) = self.channels.get(channel) else {
            tokio::time::sleep(max_wait).await;
            return;
        };
        let mut rx = tx.subscribe();
        let _ = tokio::time::timeout(max_wait, rx.changed()).await;
    }
}

/// Reads `"<mailbox id> <modseq>"`, as the mailboxes trigger writes it.
fn mail_change(payload: &str) -> Option<MailNews> {
    let (id, modseq) = payload.split_once(' ')?;
    Some(MailNews::Changed {
        mailbox: MailboxId(id.parse().ok()?),
        modseq: modseq.parse().ok()?,
    })
}

async fn listen(
    url: String,
    channels: Arc<HashMap<&'static str, watch::Sender<u64>>>,
    mail: broadcast::Sender<MailNews>,
) {
    let wake_all = || {
        for tx in channels.values() {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
        let _ = mail.send(MailNews::Lost);
    };
    loop {
        // The task ends when no store is left to wake.
        if channels.values().all(|tx| tx.is_closed()) && Arc::strong_count(&channels) == 1 {
            return;
        }
        let mut listener = match PgListener::connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("cannot listen for notifications: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(e) = listener.listen_all(CHANNELS).await {
            tracing::warn!("cannot listen for notifications: {e}");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        // Anything sent while we were not listening is found by reading the store.
        wake_all();
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => {
                    if let Some(tx) = channels.get(n.channel()) {
                        tx.send_modify(|v| *v = v.wrapping_add(1));
                    }
                    if n.channel() == "postern_mail"
                        && let Some(news) = mail_change(n.payload())
                    {
                        let _ = mail.send(news);
                    }
                }
                Ok(None) => {
                    tracing::info!("the notification connection was lost; reconnecting");
                    wake_all();
                }
                Err(e) => {
                    tracing::warn!("notifications failed: {e}");
                    break;
                }
            }
            if Arc::strong_count(&channels) == 1 {
                return;
            }
        }
    }
}
