//! `revoke`: N live sessions of one device (LOGIN, SELECT INBOX, IDLE), then a disconnect —
//! a command or Postern's JSON API — timed until the last session got `* BYE` or was closed.
//! Two clocks per trial: from just before the disconnect starts, and from when it returned.
//! `revoke-in-process` runs the same trials on a Postern inside this process.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::cli::{InProcessArgs, RevokeArgs, Target};
use crate::disconnect::{Device, Disconnect, parse_device_line, run_disconnect, shell};
use crate::embedded::{self, Embedded};
use crate::error::{Errors, LoadError, Result};
use crate::http::ApiClient;
use crate::idle::open_idle;
use crate::imap::{Closed, ImapClient};
use crate::memory;
use crate::net::Connector;
use crate::stats::{millis, summarize};
use crate::{finish, header};

/// One trial's figures.
#[derive(Debug, Serialize)]
pub struct Trial {
    pub sessions: usize,
    pub bye: usize,
    pub eof: usize,
    pub survivors: usize,
    pub command_ms: f64,
    pub from_start_ms: Option<f64>,
    pub after_return_ms: Option<f64>,
    /// CPU time of this process (both ends of every session when Postern runs in it) from
    /// the disconnect to the last close.
    pub process_cpu_ms: f64,
}
/// Runs the trials and returns the result line.
pub async fn run(args: &RevokeArgs) -> Result<Value> {
    let t = &args.target;
    let disconnect = match (&args.disconnect_cmd, &args.api) {
        (Some(cmd), None) => Disconnect::Command(cmd.clone()),
        (None, Some(url)) => {
            let mut api = ApiClient::new(url, t.io_timeout)?;
            api.sign_in(&args.api_login, &args.api_password).await?;
            Disconnect::Api(api)
        }
        _ => {
            return Err(LoadError::Usage(
                "give exactly one of --disconnect-cmd and --api".into(),
            ));
        }
    };
    run_trials(args, disconnect).await
}

/// `revoke-in-process`: the trials on a Postern started here.
pub async fn run_in_process(args: &InProcessArgs) -> Result<Value> {
    let started = Instant::now();
    let embedded = Embedded::start(args.store.as_deref()).await?;
    let revoke = RevokeArgs {
        target: Target {
            addr: embedded.imap()?,
            tls: false,
            user: embedded::EMAIL.into(),
            password: String::new(),
            source_ips: args.source_ips,
            duration_limit: args.duration_limit.saturating_sub(started.elapsed()),
            io_timeout: args.io_timeout,
            label: args.label.clone(),
        },
        count: args.count,
        concurrency: args.concurrency,
        trials: args.trials,
        disconnect_cmd: None,
        device_cmd: None,
        api: None,
        api_login: String::new(),
        api_password: String::new(),
        trial_timeout: args.trial_timeout,
    };
    let mut line = run_trials(&revoke, Disconnect::InProcess(embedded)).await?;
    if let Some(map) = line.as_object_mut() {
        map.insert("command".into(), json!("revoke-in-process"));
        map.insert(
            "store".into(),
            json!(args.store.as_deref().unwrap_or("sqlite")),
        );
    }
    Ok(line)
}

async fn run_trials(args: &RevokeArgs, mut disconnect: Disconnect) -> Result<Value> {
    let t = &args.target;
    let connector = Connector::new(t.addr, t.tls, t.source_ips, t.io_timeout)?;
    let start = Instant::now();
    let end = start + t.duration_limit;
    let mut trials = Vec::new();
    let mut errors = Errors::default();
    let mut truncated = false;
    for n in 0..args.trials {
        if Instant::now() >= end {
            truncated = true;
            break;
        }
        let device = match &mut disconnect {
            Disconnect::Api(api) => {
                api.reauth(&args.api_password).await?;
                let (id, password) = api.create_device(&t.user, &format!("revoke {n}")).await?;
                Device {
                    id: Some(id),
                    password,
                }
            }
            Disconnect::InProcess(embedded) => {
                let (id, password) = embedded.create_device(n).await?;
                Device {
                    id: Some(id.to_string()),
                    password,
                }
            }
            Disconnect::Command(_) => match &args.device_cmd {
                Some(cmd) => parse_device_line(&shell(cmd).await?)?,
                None => Device {
                    id: None,
                    password: t.password.clone(),
                },
            },
        };
        match trial(args, &connector, &device, &mut disconnect, end).await {
            Ok((trial, errs)) => {
                errors.merge(errs);
                trials.push(trial);
            }
            Err(e) => {
                errors.add(&e);
                if matches!(e, LoadError::Command(_) | LoadError::Usage(_)) {
                    break;
                }
            }
        }
    }
    let mut from_start: Vec<Duration> = Vec::new();
    let mut after_return: Vec<Duration> = Vec::new();
    let mut command: Vec<Duration> = Vec::new();
    for trial in &trials {
        command.push(Duration::from_secs_f64(trial.command_ms / 1000.0));
        if let (Some(a), Some(b)) = (trial.from_start_ms, trial.after_return_ms) {
            from_start.push(Duration::from_secs_f64(a / 1000.0));
            after_return.push(Duration::from_secs_f64(b / 1000.0));
        }
    }
    let from_start = summarize(&mut from_start);
    let mut map = header("revoke", t);
    map.insert("disconnect".into(), json!(disconnect.kind()));
    map.insert("count".into(), json!(args.count));
    map.insert("trials_run".into(), json!(trials.len()));
    map.insert("trials_complete".into(), json!(from_start.count));
    map.insert("truncated".into(), json!(truncated));
    map.insert("max_ms".into(), json!(from_start.max_ms));
    map.insert("from_start".into(), json!(from_start));
    map.insert("after_return".into(), json!(summarize(&mut after_return)));
    map.insert("command".into(), json!(summarize(&mut command)));
    map.insert("trials".into(), json!(trials));
    if let Disconnect::InProcess(embedded) = disconnect {
        embedded.stop().await;
    }
    Ok(finish(map, errors, &from_start))
}
async fn open_all(
    args: &RevokeArgs,
    connector: &Connector,
    device: &Device,
    deadline: Instant,
) -> (Vec<ImapClient>, Errors) {
    let t = &args.target;
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut opening = JoinSet::new();
    for index in 0..args.count {
        let (connector, permits) = (connector.clone(), Arc::clone(&permits));
        let (user, password, timeout) = (t.user.clone(), device.password.clone(), t.io_timeout);
        opening.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let open = open_idle(&connector, index, &user, &password, "INBOX", timeout);
            tokio::time::timeout_at(tokio::time::Instant::from_std(deadline), open)
                .await
                .unwrap_or(Err(LoadError::Timeout))
        });
    }
    let mut clients = Vec::with_capacity(args.count);
    let mut errors = Errors::default();
    while let Some(done) = opening.join_next().await {
        match done {
            Ok(Ok(client)) => clients.push(client),
            Ok(Err(e)) => errors.add(&e),
            Err(e) => errors.add(&LoadError::Command(e.to_string())),
        }
    }
    (clients, errors)
}

async fn trial(
    args: &RevokeArgs,
    connector: &Connector,
    device: &Device,
    disconnect: &mut Disconnect,
    end: Instant,
) -> Result<(Trial, Errors)> {
    let (clients, mut errors) = open_all(args, connector, device, end).await;
    let sessions = clients.len();
    let mut waiting = JoinSet::new();
    for mut client in clients {
        waiting.spawn(async move {
            let how = client.wait_closed().await;
            (how, Instant::now())
        });
    }
    // Let every waiter reach its first read before the clock starts.
    tokio::task::yield_now().await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let cpu_before = memory::process_cpu_ns();
    let started = Instant::now();
    let outcome = run_disconnect(disconnect, device).await;
    let returned = Instant::now();
    if let Err(e) = outcome {
        waiting.abort_all();
        return Err(e);
    }
    let limit = tokio::time::Instant::from_std(returned + args.trial_timeout);
    let (mut bye, mut eof, mut early) = (0, 0, 0);
    let mut last: Option<Instant> = None;
    while let Ok(Some(done)) = tokio::time::timeout_at(limit, waiting.join_next()).await {
        let Ok((how, at)) = done else { continue };
        if at < started {
            early += 1;
            continue;
        }
        match how {
            Closed::Bye => bye += 1,
            Closed::Eof => eof += 1,
        }
        last = Some(last.map_or(at, |l| l.max(at)));
    }
    let cpu = memory::process_cpu_ns().saturating_sub(cpu_before);
    waiting.abort_all();
    if early > 0 {
        errors.add(&LoadError::Protocol(format!(
            "{early} session(s) closed before the disconnect"
        )));
    }
    let survivors = sessions - bye - eof - early;
    if survivors > 0 {
        errors.add(&LoadError::Protocol(format!(
            "{survivors} session(s) still open {} s after the disconnect",
            args.trial_timeout.as_secs_f64()
        )));
    }
    let complete = survivors == 0 && early == 0 && sessions > 0;
    let last = last.filter(|_| complete);
    Ok((
        Trial {
            sessions,
            bye,
            eof,
            survivors,
            command_ms: millis(returned - started),
            from_start_ms: last.map(|l| millis(l - started)),
            after_return_ms: last.map(|l| millis(l.saturating_duration_since(returned))),
            process_cpu_ms: (cpu as f64 / 1e4).round() / 100.0,
        },
        errors,
    ))
}
