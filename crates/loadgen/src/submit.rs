//! `smtp-submit`: N messages over C connections at once, each connection signing in and
//! sending up to `--per-connection` messages before QUIT.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::cli::SubmitArgs;
use crate::error::{Errors, LoadError, Result};
use crate::net::Connector;
use crate::smtp::{SmtpClient, message};
use crate::stats::{rate, summarize};
use crate::{finish, header};

#[derive(Default)]
struct Tally {
    messages: Vec<Duration>,
    errors: Errors,
    truncated: bool,
}

/// The message numbers a connection sends: `per` of them from `first`, never past `count`.
pub fn batch(first: u64, per: u64, count: u64) -> std::ops::Range<u64> {
    first.min(count)..first.saturating_add(per.max(1)).min(count)
}

/// Runs the load and returns its result line.
pub async fn run(args: &SubmitArgs) -> Result<Value> {
    let t = &args.target;
    let connector = Connector::new(t.addr, t.tls, t.source_ips, t.io_timeout)?;
    let from = args.from.clone().unwrap_or_else(|| t.user.clone());
    let to = args.to.clone().unwrap_or_else(|| t.user.clone());
    let start = Instant::now();
    let deadline = tokio::time::Instant::from_std(start + t.duration_limit);
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = JoinSet::new();
    for worker in 0..args.concurrency.max(1) {
        let (connector, next, t) = (connector.clone(), Arc::clone(&next), t.clone());
        let (from, to, args) = (from.clone(), to.clone(), args.clone());
        workers.spawn(async move {
            let mut tally = Tally::default();
            let mut connection = worker;
            loop {
                let numbers = batch(
                    next.fetch_add(args.per_connection.max(1), Ordering::Relaxed),
                    args.per_connection,
                    args.count,
                );
                if numbers.is_empty() {
                    break;
                }
                let session = session(&connector, connection, &t, &from, &to, numbers, args.size);
                connection += args.concurrency;
                match tokio::time::timeout_at(deadline, session).await {
                    Err(_) => {
                        tally.truncated = true;
                        break;
                    }
                    Ok((sent, error)) => {
                        tally.messages.extend(sent);
                        if let Some(e) = error {
                            tally.errors.add(&e);
                        }
                    }
                }
            }
            tally
        });
    }
    let mut all = Tally::default();
    while let Some(done) = workers.join_next().await {
        let Ok(tally) = done else { continue };
        all.messages.extend(tally.messages);
        all.errors.merge(tally.errors);
        all.truncated |= tally.truncated;
    }
    let elapsed = start.elapsed();
    let ok = all.messages.len() as u64;
    let latency = summarize(&mut all.messages);
    let mut map = header("smtp-submit", t);
    map.insert("count".into(), json!(args.count));
    map.insert("concurrency".into(), json!(args.concurrency));
    map.insert("size".into(), json!(args.size));
    map.insert("ok".into(), json!(ok));
    map.insert("elapsed_s".into(), json!(elapsed.as_secs_f64()));
    map.insert("rate".into(), json!(rate(ok, elapsed)));
    map.insert("truncated".into(), json!(all.truncated));
    map.insert("message".into(), json!(latency));
    Ok(finish(map, all.errors, &latency))
}

/// One connection: sign in, send the batch, QUIT. Returns the time of each message sent
/// and the error that ended it early, if any.
async fn session(
    connector: &Connector,
    index: usize,
    t: &crate::cli::Target,
    from: &str,
    to: &str,
    numbers: std::ops::Range<u64>,
    size: usize,
) -> (Vec<Duration>, Option<LoadError>) {
    let mut sent = Vec::new();
    let mut client = match async {
        let stream = connector.connect(index).await?;
        let mut client = SmtpClient::start(stream, t.io_timeout).await?;
        client.sign_in(&t.user, &t.password).await?;
        Ok::<_, LoadError>(client)
    }
    .await
    {
        Ok(client) => client,
        Err(e) => return (sent, Some(e)),
    };
    for n in numbers {
        let content = message(from, to, n, size);
        let begun = Instant::now();
        if let Err(e) = client.submit(from, to, &content).await {
            return (sent, Some(e));
        }
        sent.push(begun.elapsed());
    }
    (sent, client.quit().await.err())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_the_count_exactly() {
        assert_eq!(batch(0, 10, 25), 0..10);
        assert_eq!(batch(20, 10, 25), 20..25);
        assert!(batch(30, 10, 25).is_empty());
        assert_eq!(batch(3, 0, 25), 3..4);
        let mut covered = 0;
        let mut first = 0;
        loop {
            let b = batch(first, 7, 100);
            if b.is_empty() {
                break;
            }
            covered += b.end - b.start;
            first += 7;
        }
        assert_eq!(covered, 100);
    }
}
