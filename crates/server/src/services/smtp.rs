//! SMTP submission (`smtp.listen` with STARTTLS, `smtp.listen_tls` with implicit TLS), LMTP
//! (`lmtp.listen`) and the outbound queue's worker when a smarthost is configured.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use postern_net::{Tracker, serve};
use postern_smtp::queue::{QueueWorker, Smarthost, SmarthostTls};
use postern_smtp::{Mode, Settings, SmtpServer, reply};
use secrecy::ExposeSecret;
use tokio::task::JoinSet;

use crate::config::{Config, Listener, SmtpSection};
use crate::serve::{ServiceContext, bind};

/// Starts the SMTP and LMTP listeners and the queue worker.
pub async fn start(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
    addrs: &mut BTreeMap<Listener, SocketAddr>,
) -> Result<()> {
    let config = &ctx.config;
    let server = SmtpServer::new(Arc::clone(&ctx.core), settings(config), ctx.tls.clone());
    let submission = Tracker::new(super::limits(config));
    let lmtp = Tracker::new(super::limits(config));
    let listeners = [
        (Listener::Smtp, Mode::Submission, &submission),
        (Listener::SmtpTls, Mode::Submission, &submission),
        (Listener::Lmtp, Mode::Lmtp, &lmtp),
    ];
    for (name, mode, tracker) in listeners {
        let Some(listener) = bind(config, name, addrs).await? else {
            continue;
        };
        let server = Arc::clone(&server);
        tasks.spawn(serve(
            listener,
            name.implicit_tls().then(|| ctx.tls.clone()),
            Arc::clone(tracker),
            reply::TOO_MANY_CONNECTIONS,
            ctx.shutdown.clone(),
            move |connection| Arc::clone(&server).handle(connection, mode),
        ));
    }
    if let Some(addr) = &config.smtp.smarthost {
        let worker = QueueWorker {
            core: Arc::clone(&ctx.core),
            smarthost: smarthost(addr, &config.smtp)?,
            hostname: config.hostname.clone(),
            schedule: config.smtp.retry_schedule.clone(),
            wake: Arc::clone(&ctx.core.queue_wake),
        };
        tasks.spawn(worker.run(ctx.shutdown.clone()));
    }
    Ok(())
}

/// The smarthost at `addr` and how to reach it, from the configuration.
fn smarthost(addr: &str, c: &SmtpSection) -> Result<Smarthost> {
    let credentials = c
        .smarthost_user
        .clone()
        .zip(c.smarthost_password.as_ref())
        .map(|(user, password)| (user, password.expose_secret().to_owned()));
    let ca = match &c.smarthost_ca {
        None => None,
        Some(path) => Some(
            std::fs::read(path)
                .with_context(|| format!("cannot read smtp.smarthost_ca {}", path.display()))?,
        ),
    };
    if c.smarthost_tls == SmarthostTls::Insecure {
        tracing::warn!(
            "smtp.smarthost_tls = \"insecure\": the certificate of the smarthost {addr} is not \
             checked, so anyone between here and there can read the mail and the smarthost \
             password; use \"auto\" with smtp.smarthost_ca instead"
        );
    }
    let system = SYSTEM_ROOTS
        .iter()
        .find_map(|path| std::fs::read(path).ok());
    Smarthost::new(
        addr,
        c.smarthost_tls,
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
        max_message_bytes: config.limits.max_message_bytes,
        max_recipients: config.limits.max_recipients,
        idle_timeout: config.limits.idle_timeout,
        login_timeout: config.limits.login_timeout,
        relay: config.smtp.smarthost.is_some(),
        ..Settings::default()
    }
}
