//! `imap-login`: N cycles of connect, LOGIN, LOGOUT at concurrency C.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::task::JoinSet;

use crate::cli::LoginArgs;
use crate::error::{Errors, Result};
use crate::imap::ImapClient;
use crate::net::Connector;
use crate::stats::{rate, summarize};
use crate::{finish, header};

#[derive(Default)]
struct Tally {
    logins: Vec<Duration>,
    cycles: Vec<Duration>,
    errors: Errors,
    truncated: bool,
}

/// Runs the load and returns its result line.
pub async fn run(args: &LoginArgs) -> Result<Value> {
    let t = &args.target;
    let connector = Connector::new(t.addr, t.tls, t.source_ips, t.io_timeout)?;
    let start = Instant::now();
    let deadline = tokio::time::Instant::from_std(start + t.duration_limit);
    let next = Arc::new(AtomicU64::new(0));
    let mut workers = JoinSet::new();
    for _ in 0..args.concurrency.max(1) {
        let (connector, next, t) = (connector.clone(), Arc::clone(&next), t.clone());
        let count = args.count;
        workers.spawn(async move {
            let mut tally = Tally::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let attempt = cycle(&connector, i as usize, &t.user, &t.password, t.io_timeout);
                match tokio::time::timeout_at(deadline, attempt).await {
                    Err(_) => {
                        tally.truncated = true;
                        break;
                    }
                    Ok(Ok((login, whole))) => {
                        tally.logins.push(login);
                        tally.cycles.push(whole);
                    }
                    Ok(Err(e)) => tally.errors.add(&e),
                }
            }
            tally
        });
    }
    let mut all = Tally::default();
    while let Some(done) = workers.join_next().await {
        let Ok(tally) = done else { continue };
        all.logins.extend(tally.logins);
        all.cycles.extend(tally.cycles);
        all.errors.merge(tally.errors);
        all.truncated |= tally.truncated;
    }
    let elapsed = start.elapsed();
    let ok = all.logins.len() as u64;
    let login = summarize(&mut all.logins);
    let whole = summarize(&mut all.cycles);
    let mut map = header("imap-login", t);
    map.insert("count".into(), json!(args.count));
    map.insert("concurrency".into(), json!(args.concurrency));
    map.insert("ok".into(), json!(ok));
    map.insert("elapsed_s".into(), json!(elapsed.as_secs_f64()));
    map.insert("rate".into(), json!(rate(ok, elapsed)));
    map.insert("truncated".into(), json!(all.truncated));
    map.insert("login".into(), json!(login));
    map.insert("cycle".into(), json!(whole));
    Ok(finish(map, all.errors, &login))
}

/// One cycle; returns the LOGIN round trip and the whole cycle's time.
async fn cycle(
    connector: &Connector,
    index: usize,
    user: &str,
    password: &str,
    timeout: Duration,
) -> Result<(Duration, Duration)> {
    let begun = Instant::now();
    let stream = connector.connect(index).await?;
    let mut client = ImapClient::start(stream, timeout).await?;
    let sent = Instant::now();
    client.login(user, password).await?;
    let login = sent.elapsed();
    client.logout(false).await?;
    Ok((login, begun.elapsed()))
}
