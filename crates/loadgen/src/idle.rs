//! `imap-idle`: N signed-in connections with a mailbox selected, in IDLE, held while the
//! server's memory is read from /proc.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;

use crate::cli::IdleArgs;
use crate::error::{Errors, LoadError, Result};
use crate::imap::ImapClient;
use crate::memory::{self, Usage};
use crate::net::Connector;
use crate::stats::{rate, summarize};
use crate::{finish, header};

/// Opens one session up to IDLE: connect, LOGIN, SELECT, IDLE.
pub(crate) async fn open_idle(
    connector: &Connector,
    index: usize,
    user: &str,
    password: &str,
    mailbox: &str,
    timeout: Duration,
) -> Result<ImapClient> {
    let stream = connector.connect(index).await?;
    let mut client = ImapClient::start(stream, timeout).await?;
    client.login(user, password).await?;
    client.select(mailbox).await?;
    client.idle().await?;
    Ok(client)
}

/// Memory growth per connection, in KiB, from two readings.
pub fn per_connection_kib(before: u64, after: u64, connections: usize) -> Option<f64> {
    (connections > 0).then(|| {
        let grown = after.saturating_sub(before) as f64 / connections as f64;
        (grown * 10.0).round() / 10.0
    })
}

fn read_memory(pids: &[u32]) -> Result<Option<Usage>> {
    if pids.is_empty() {
        Ok(None)
    } else {
        memory::measure(pids).map(Some)
    }
}

/// Runs the load and returns its result line.
pub async fn run(args: &IdleArgs) -> Result<Value> {
    let t = &args.target;
    let connector = Connector::new(t.addr, t.tls, t.source_ips, t.io_timeout)?;
    let start = Instant::now();
    let end = start + t.duration_limit;
    // Leave time to settle, hold and close within the limit.
    let reserve = args.settle + args.hold + Duration::from_secs(5);
    let setup_deadline = if t.duration_limit > reserve * 2 {
        end - reserve
    } else {
        start + t.duration_limit / 2
    };
    let before = read_memory(&args.pid)?;

    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<Duration>>();
    let (stop_tx, stop_rx) = watch::channel(false);
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut sessions = JoinSet::new();
    for index in 0..args.count {
        let (connector, t, mailbox) = (connector.clone(), t.clone(), args.mailbox.clone());
        let (permits, ready_tx) = (Arc::clone(&permits), ready_tx.clone());
        let (mut stop_rx, dropped) = (stop_rx.clone(), Arc::clone(&dropped));
        sessions.spawn(async move {
            let Ok(permit) = permits.acquire_owned().await else {
                return;
            };
            let begun = Instant::now();
            let opening = open_idle(
                &connector,
                index,
                &t.user,
                &t.password,
                &mailbox,
                t.io_timeout,
            );
            let opened =
                tokio::time::timeout_at(tokio::time::Instant::from_std(setup_deadline), opening)
                    .await
                    .unwrap_or(Err(LoadError::Timeout));
            drop(permit);
            let mut client = match opened {
                Ok(client) => client,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            let _ = ready_tx.send(Ok(begun.elapsed()));
            drop(ready_tx);
            let closed = tokio::select! {
                _ = client.wait_closed() => true,
                _ = stop_rx.wait_for(|stop| *stop) => false,
            };
            if closed {
                dropped.fetch_add(1, Ordering::Relaxed);
            } else {
                let _ = tokio::time::timeout(t.io_timeout, client.logout(true)).await;
            }
        });
    }
    drop(ready_tx);

    let mut opened = Vec::with_capacity(args.count);
    let mut errors = Errors::default();
    // Every task reports once and drops its sender; the deadline guards against a lost one.
    let reports = tokio::time::Instant::from_std(setup_deadline + Duration::from_secs(1));
    while let Ok(Some(result)) = tokio::time::timeout_at(reports, ready_rx.recv()).await {
        match result {
            Ok(took) => opened.push(took),
            Err(e) => errors.add(&e),
        }
    }
    let setup = start.elapsed();
    let ok = opened.len();

    tokio::time::sleep(args.settle).await;
    let mut samples = Vec::new();
    let hold_end = Instant::now() + args.hold;
    loop {
        if let Some(usage) = read_memory(&args.pid)? {
            samples.push(usage);
        }
        if Instant::now() >= hold_end {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1).min(hold_end - Instant::now())).await;
    }
    let lost = dropped.load(Ordering::Relaxed);
    let _ = stop_tx.send(true);
    let closing = Duration::from_secs(5).min(end.saturating_duration_since(Instant::now()));
    let _ = tokio::time::timeout(closing, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    sessions.abort_all();

    let opening = summarize(&mut opened);
    let mut map = header("imap-idle", t);
    map.insert("count".into(), json!(args.count));
    map.insert("concurrency".into(), json!(args.concurrency));
    map.insert("ok".into(), json!(ok));
    map.insert("held".into(), json!(ok.saturating_sub(lost)));
    map.insert("dropped_while_held".into(), json!(lost));
    map.insert("setup_s".into(), json!(setup.as_secs_f64()));
    map.insert("rate".into(), json!(rate(ok as u64, setup)));
    map.insert("open".into(), json!(opening));
    if let (Some(before), Some(idle)) = (before, samples.last().copied()) {
        let peak = samples.iter().map(|u| u.rss_kib).max().unwrap_or_default();
        map.insert("memory_before".into(), json!(before));
        map.insert("memory_idle".into(), json!(idle));
        map.insert("memory_peak_rss_kib".into(), json!(peak));
        map.insert(
            "per_connection_rss_kib".into(),
            json!(per_connection_kib(before.rss_kib, idle.rss_kib, ok)),
        );
        map.insert(
            "per_connection_pss_kib".into(),
            json!(per_connection_kib(before.pss_kib, idle.pss_kib, ok)),
        );
    }
    Ok(finish(map, errors, &opening))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_per_connection() {
        assert_eq!(per_connection_kib(1000, 3000, 1000), Some(2.0));
        assert_eq!(per_connection_kib(1000, 1333, 1000), Some(0.3));
        assert_eq!(per_connection_kib(5000, 4000, 10), Some(0.0));
        assert_eq!(per_connection_kib(1, 2, 0), None);
    }
}
