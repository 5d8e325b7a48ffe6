//! `postern serve`: opens the store, makes the first account on a fresh store, starts every
//! configured listener, follows revocations from other processes, and shuts down cleanly.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use postern_domain::Core;
use postern_domain::accounts::FirstAccount;
use postern_domain::clock::Clock;
use postern_net::{CancellationToken, TlsAcceptor};
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::config::{Config, Listener};
use crate::services;
use crate::setup;

/// The longest wait between two reads of the revocation log, for revocations written by
/// other processes. The store wakes the reader sooner when it sees a commit (PostgreSQL's
/// notifications, SQLite's data version); this bounds the wait if that signal is lost.
const REVOCATION_POLL: Duration = Duration::from_millis(500);

/// What every service is started with.
pub struct ServiceContext {
    pub core: Arc<Core>,
    pub config: Arc<Config>,
    pub tls: TlsAcceptor,
    pub shutdown: CancellationToken,
}

/// A started server.
pub struct Running {
    pub core: Arc<Core>,
    /// The account made on a fresh store, with its password (shown once).
    pub first_account: Option<FirstAccount>,
    /// Bound addresses by listener; port 0 is resolved.
    pub addrs: BTreeMap<Listener, SocketAddr>,
    shutdown: CancellationToken,
    tasks: JoinSet<()>,
}

impl Running {
    /// The bound address of a listener.
    pub fn addr(&self, listener: Listener) -> Option<SocketAddr> {
        self.addrs.get(&listener).copied()
    }

    /// Asks every session to finish and waits for the listeners to close.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Runs until the shutdown token is cancelled.
    pub async fn wait(mut self) {
        self.shutdown.cancelled().await;
        while self.tasks.join_next().await.is_some() {}
    }

    /// The token that stops the server.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }
}

/// Binds a configured listener and records its address; `None` when it is turned off.
pub async fn bind(
    config: &Config,
    listener: Listener,
    addrs: &mut BTreeMap<Listener, SocketAddr>,
) -> Result<Option<TcpListener>> {
    let Some(addr) = config.listen(listener) else {
        return Ok(None);
    };
    let bound = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} ({listener})"))?;
    addrs.insert(listener, bound.local_addr()?);
    Ok(Some(bound))
}

/// Starts the server described by `config`.
pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<Running> {
    let core = Arc::new(setup::open_core(&config, clock).await?);
    index_stored_mail(&core).await?;
    let tls = setup::load_or_create_tls(&config)?;
    tokio::task::spawn_blocking(postern_domain::account_password::warm_up);
    let first_account = core.bootstrap(&config.domain).await?;
    let shutdown = CancellationToken::new();
    let mut tasks = JoinSet::new();
    {
        let core = Arc::clone(&core);
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            tokio::select! {
                () = core.follow_revocations(REVOCATION_POLL) => {}
                () = core.follow_mail_news() => {}
                () = shutdown.cancelled() => {}
            }
        });
    }
    {
        let core = Arc::clone(&core);
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            tokio::select! {
                () = prune_daily(&core) => {}
                () = shutdown.cancelled() => {}
            }
        });
    }
    let ctx = ServiceContext {
        core: Arc::clone(&core),
        config: Arc::new(config),
        tls,
        shutdown: shutdown.clone(),
    };
    let addrs = services::start_all(&ctx, &mut tasks).await?;
    Ok(Running {
        core,
        first_account,
        addrs,
        shutdown,
        tasks,
    })
}

/// Indexes for searching the messages stored before Postern kept a search index (or copied
/// from another store), before any session can search them.
async fn index_stored_mail(core: &postern_domain::Core) -> Result<()> {
    let mut next_report = 10_000;
    let indexed = core
        .mailboxes()
        .index_stored_mail(|n| {
            if n >= next_report {
                tracing::info!("indexing stored mail for search: {n} messages so far");
                next_report += 10_000;
            }
        })
        .await?;
    if indexed > 0 {
        tracing::info!("indexed {indexed} stored messages for search");
    }
    Ok(())
}

/// Deletes sign-in history and activity past the retention, at start and then daily.
async fn prune_daily(core: &postern_domain::Core) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(24 * 60 * 60));
    loop {
        every.tick().await;
        if let Err(e) = core.prune_history().await {
            tracing::warn!("deleting old sign-in history failed: {e}");
        }
    }
}

/// `postern serve`: starts, prints where to go, and runs until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<()> {
    let public_url = config.web.public_url.clone();
    let data_dir = config.data_dir.clone();
    let running = start(config, Arc::new(postern_domain::clock::SystemClock)).await?;
    // Listening for SIGTERM before the banner: whoever reads the banner as "up" may stop the
    // server at once, and a signal before the handler would kill it without a clean shutdown.
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
    let token = running.shutdown_token();
    tokio::spawn(async move {
        wait_for_signal(term).await;
        tracing::info!("shutting down");
        token.cancel();
    });
    print_banner(&running.addrs, &data_dir, &public_url);
    if let Some(first) = &running.first_account {
        crate::first_account::announce(first, &data_dir, &public_url)?;
    }
    running.wait().await;
    Ok(())
}

/// Where everything listens. Standard output nobody reads any more (a closed pipe) must not
/// stop a running server, so a failed write is logged, not fatal (`println!` would panic).
fn print_banner(
    addrs: &BTreeMap<Listener, SocketAddr>,
    data_dir: &std::path::Path,
    public_url: &str,
) {
    let mut banner = format!(
        "Postern {} is running (data in {}).\n",
        env!("CARGO_PKG_VERSION"),
        data_dir.display()
    );
    for (listener, addr) in addrs {
        banner.push_str(&format!("  {listener:<16} {addr}\n"));
    }
    banner.push_str(&format!("  Web app: {public_url}\n"));
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(banner.as_bytes()).and_then(|()| out.flush()) {
        tracing::warn!("could not print the banner: {e}");
    }
}

async fn wait_for_signal(term: std::io::Result<tokio::signal::unix::Signal>) {
    let ctrl_c = tokio::signal::ctrl_c();
    match term {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}
