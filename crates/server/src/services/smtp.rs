//! SMTP submission (`smtp.listen` with STARTTLS, `smtp.listen_tls` with implicit TLS), LMTP
//! (`lmtp.listen`) and the outbound queue's worker when a smarthost is configured.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use postern_net::{ConnectionLimits, Tracker, serve};
use postern_smtp::queue::{QueueWorker, RetrySchedule, Smarthost, SmarthostTls};
use postern_smtp::{Mode, Settings, SmtpServer, reply};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::serve::{ServiceContext, bind};

/// Starts the SMTP and LMTP listeners and the queue worker.
pub async fn start(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
    addrs: &mut BTreeMap<&'static str, SocketAddr>,
) -> Result<()> {
    let config = &ctx.config;
    let server = SmtpServer::new(Arc::clone(&ctx.core), settings(config), ctx.tls.clone());
    let submission = Tracker::new(limits(config));
    let lmtp = Tracker::new(limits(config));
    let listeners = [
        (
            "smtp.listen",
            &config.smtp.listen,
            false,
            Mode::Submission,
            &submission,
        ),
        (
            "smtp.listen_tls",
            &config.smtp.listen_tls,
            true,
            Mode::Submission,
            &submission,
        ),
        ("lmtp.listen", &config.lmtp.listen, false, Mode::Lmtp, &lmtp),
    ];
    for (key, addr, implicit_tls, mode, tracker) in listeners {
        let Some(listener) = bind(key, addr).await? else {
            continue;
        };
        addrs.insert(key, listener.local_addr()?);
        let server = Arc::clone(&server);
        tasks.spawn(serve(
            listener,
            implicit_tls.then(|| ctx.tls.clone()),
            Arc::clone(tracker),
            reply::TOO_MANY_CONNECTIONS,
            ctx.shutdown.clone(),
            move |connection| Arc::clone(&server).handle(connection, mode),
        ));
    }
    if !config.smtp.smarthost.is_empty() {
        let worker = QueueWorker {
            core: Arc::clone(&ctx.core),
            smarthost: smarthost(config)?,
            hostname: config.hostname.clone(),
            schedule: RetrySchedule::parse(&config.smtp.retry_schedule)
                .map_err(|e| anyhow::anyhow!("smtp.retry_schedule: {e}"))?,
            wake: Arc::clone(&ctx.core.queue_wake),
        };
        tasks.spawn(worker.run(ctx.shutdown.clone()));
    }
    Ok(())
}

/// The smarthost and how to reach it, from the configuration.
fn smarthost(config: &Config) -> Result<Smarthost> {
    let c = &config.smtp;
    let tls = SmarthostTls::parse(&c.smarthost_tls)
        .map_err(|e| anyhow::anyhow!("smtp.smarthost_tls: {e}"))?;
    let credentials = (!c.smarthost_user.is_empty())
        .then(|| (c.smarthost_user.clone(), c.smarthost_password.clone()));
    let ca = if c.smarthost_ca.is_empty() {
        None
    } else {
        Some(
            std::fs::read(&c.smarthost_ca)
                .with_context(|| format!("cannot read smtp.smarthost_ca {}", c.smarthost_ca))?,
        )
    };
    if tls == SmarthostTls::Insecure {
        tracing::warn!(
            "smtp.smarthost_tls = \"insecure\": the certificate of the smarthost {} is not \
             checked, so anyone between here and there can read the mail and the smarthost \
             password; use \"auto\" with smtp.smarthost_ca instead",
            c.smarthost
        );
    }
    let system = SYSTEM_ROOTS
        .iter()
        .find_map(|path| std::fs::read(path).ok());
    Smarthost::new(
        &c.smarthost,
        tls,
        credentials,
        ca.as_deref(),
        system.as_deref(),
    )
    .map_err(|e| anyhow::anyhow!("smtp.smarthost_ca: {e}"))
}

/// Where systems keep their bundle of trusted certificates (Debian and its kin, Fedora and
/// its kin, openSUSE, the BSDs); the first one found is trusted for the smarthost, so that
/// a certificate authority added the system's way works here too.
const SYSTEM_ROOTS: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

fn settings(config: &Config) -> Settings {
    Settings {
        hostname: config.hostname.clone(),
        max_message_bytes: usize::try_from(config.limits.max_message_bytes).unwrap_or(usize::MAX),
        max_recipients: usize::try_from(config.limits.max_recipients).unwrap_or(usize::MAX),
        idle_timeout: Duration::from_secs(config.limits.idle_timeout_secs),
        login_timeout: Duration::from_secs(config.limits.login_timeout_secs),
        relay: !config.smtp.smarthost.is_empty(),
        ..Settings::default()
    }
}

/// The connection limits of the configuration.
pub(super) fn limits(config: &Config) -> ConnectionLimits {
    ConnectionLimits {
        max_connections: usize::try_from(config.limits.max_connections).unwrap_or(usize::MAX),
        max_per_ip: usize::try_from(config.limits.max_connections_per_ip).unwrap_or(usize::MAX),
    }
}
