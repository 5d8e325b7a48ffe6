//! The `postern` binary's library: configuration, wiring, listeners, shutdown and the command
//! line. The only crate that knows every other one.

pub mod cli;
pub mod config;
mod first_account;
mod import;
pub mod serve;
mod services;
pub mod setup;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Config;

/// Parses the command line, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    // Everything the server writes (the database and its -wal and -shm files, the pepper,
    // keys, backups) is for its own user only, whatever umask it was started with.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let serving = matches!(cli.command, None | Some(Command::Serve));
    init_logging(serving);
    let config = match Config::load(cli.config.as_deref(), std::env::vars()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            None | Some(Command::Serve) => serve::run(config).await,
            Some(command) => cli::run(config, command).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}

/// One line on standard error with the whole cause chain (`{:#}` of an `anyhow::Error`:
/// "cannot create …/tls-key.pem: No such file or directory (os error 2)").
fn fail(e: impl Into<anyhow::Error>) -> ExitCode {
    eprintln!("postern: {:#}", e.into());
    ExitCode::FAILURE
}

fn init_logging(serving: bool) {
    // imap-next opens an INFO span for every line it reads or writes; formatting their
    // fields cost more than the rest of a sign-in's bookkeeping, so they are off by default.
    let default = if serving {
        "info,imap_next=warn"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
