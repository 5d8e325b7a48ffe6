//! `postern-loadgen`: bounded load on a loopback IMAP or SMTP server — sign-in throughput,
//! idle connections and their memory, revocation latency, submission rate — printing one
//! JSON line per run, so that Postern and another server can be measured by the same client
//! in the same run (see `bench/compare-dovecot.sh`).
//!
//! Every load is bounded in count and in time, and only loopback addresses are accepted.

pub mod cli;
pub mod commands;
pub mod disconnect;
pub mod embedded;
pub mod error;
pub mod http;
pub mod idle;
pub mod imap;
pub mod login;
pub mod memory;
pub mod net;
pub mod report;
pub mod revoke;
pub mod smtp;
pub mod stats;
pub mod submit;

#[cfg(test)]
mod responder;

use std::process::ExitCode;

use clap::Parser;
use serde_json::{Map, Value, json};

use crate::cli::{Cli, Command, Target};
use crate::error::{Errors, LoadError, Result};
use crate::stats::Summary;

/// Runs the command line; the result line goes to standard output.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("postern-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<String> {
    if let Command::Report(args) = &command {
        let text = std::fs::read_to_string(&args.results)?;
        return Ok(report::render(&text));
    }
    let (limit, sockets) = match &command {
        Command::ImapLogin(a) => (a.target.duration_limit, a.concurrency),
        Command::ImapIdle(a) => (a.target.duration_limit, a.count),
        Command::Revoke(a) => (a.target.duration_limit, a.count),
        // Both ends of every session are in this process.
        Command::RevokeInProcess(a) => (a.duration_limit, 2 * a.count + 256),
        Command::SmtpSubmit(a) => (a.target.duration_limit, a.concurrency),
        Command::ImapCommands(a) => (a.target.duration_limit, 1),
        Command::Report(_) => unreachable!("handled above"),
    };
    raise_open_files(sockets as u64 + 256)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let line = runtime.block_on(async {
        // Each load keeps to its own deadline; this is the backstop.
        let grace = std::time::Duration::from_secs(15);
        tokio::time::timeout(limit + grace, dispatch(command))
            .await
            .map_err(|_| LoadError::Usage("the run overran its duration limit".into()))?
    })?;
    // Tasks still holding connections are dropped with the runtime, without waiting.
    runtime.shutdown_background();
    Ok(line.to_string())
}

async fn dispatch(command: Command) -> Result<Value> {
    match command {
        Command::ImapLogin(a) => login::run(&a).await,
        Command::ImapIdle(a) => idle::run(&a).await,
        Command::Revoke(a) => revoke::run(&a).await,
        Command::RevokeInProcess(a) => revoke::run_in_process(&a).await,
        Command::SmtpSubmit(a) => submit::run(&a).await,
        Command::ImapCommands(a) => commands::run(&a).await,
        Command::Report(_) => unreachable!("handled before the runtime starts"),
    }
}

/// Raises the open-file limit to at least `need` (the hard limit too, when allowed).
fn raise_open_files(need: u64) -> Result<u64> {
    let (soft, hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    if soft >= need {
        return Ok(soft);
    }
    if hard < need {
        // Only a privileged process may raise the hard limit; otherwise the check below says so.
        let _ = rlimit::setrlimit(rlimit::Resource::NOFILE, need, need);
    }
    let got = rlimit::increase_nofile_limit(need)?;
    if got < need {
        return Err(LoadError::Usage(format!(
            "need {need} open files, the limit is {got} (raise it with ulimit -n)"
        )));
    }
    Ok(got)
}

/// The fields every result line starts with.
pub(crate) fn header(command: &str, target: &Target) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("command".into(), json!(command));
    map.insert("label".into(), json!(target.label));
    map.insert("addr".into(), json!(target.addr.to_string()));
    map.insert("tls".into(), json!(target.tls));
    map
}

/// Adds the error count and samples, and the headline percentiles of `summary`.
pub(crate) fn finish(mut map: Map<String, Value>, errors: Errors, summary: &Summary) -> Value {
    map.insert("errors".into(), json!(errors.count));
    map.insert("error_samples".into(), json!(errors.samples));
    map.insert("p50_ms".into(), json!(summary.p50_ms));
    map.insert("p99_ms".into(), json!(summary.p99_ms));
    Value::Object(map)
}
