//! The web app and JSON API listener (`web.listen`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use postern_web::{MailServer, Security, WebOptions};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::serve::{ServiceContext, bind};

/// How often sessions past their timeouts are deleted.
const SESSION_SWEEP: Duration = Duration::from_secs(600);

/// Starts the web listener, if configured. `mail` holds the mail listeners already bound,
/// whose ports the setup assistant shows.
pub async fn start(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
    addrs: &mut BTreeMap<&'static str, SocketAddr>,
) -> Result<()> {
    let Some(listener) = bind("web.listen", &ctx.config.web.listen).await? else {
        return Ok(());
    };
    addrs.insert(
        "web.listen",
        listener.local_addr().context("web listener address")?,
    );
    let mut options = WebOptions::new(ctx.config.web.public_url.clone());
    options.mail_servers = mail_servers(&ctx.config, addrs);
    options.trusted_proxies = ctx.config.web.trusted_proxies.clone();
    let app = postern_web::router(ctx.core.clone(), options.clone());
    let shutdown = ctx.shutdown.clone();
    tasks.spawn(async move {
        if let Err(e) = postern_web::serve(listener, app, shutdown.cancelled_owned()).await {
            tracing::error!("the web listener failed: {e}");
        }
    });
    let core = ctx.core.clone();
    let shutdown = ctx.shutdown.clone();
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(SESSION_SWEEP) => {}
            }
            match postern_web::sweep_expired_sessions(&core, &options).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!("{n} expired web sessions deleted"),
                Err(e) => tracing::warn!("deleting expired web sessions failed: {e}"),
            }
        }
    });
    Ok(())
}

/// The servers a mail program is told about: bound ports where known, else configured ones.
fn mail_servers(config: &Config, bound: &BTreeMap<&'static str, SocketAddr>) -> Vec<MailServer> {
    let listeners = [
        (
            "IMAP",
            "imap.listen_tls",
            &config.imap.listen_tls,
            Security::Tls,
        ),
        (
            "IMAP",
            "imap.listen",
            &config.imap.listen,
            Security::StartTls,
        ),
        (
            "SMTP",
            "smtp.listen_tls",
            &config.smtp.listen_tls,
            Security::Tls,
        ),
        (
            "SMTP",
            "smtp.listen",
            &config.smtp.listen,
            Security::StartTls,
        ),
        (
            "POP3",
            "pop3.listen_tls",
            &config.pop3.listen_tls,
            Security::Tls,
        ),
        (
            "POP3",
            "pop3.listen",
            &config.pop3.listen,
            Security::StartTls,
        ),
    ];
    listeners
        .into_iter()
        .filter_map(|(protocol, key, configured, security)| {
            let port = match bound.get(key) {
                Some(addr) => addr.port(),
                None => configured.parse::<SocketAddr>().ok()?.port(),
            };
            (port != 0).then(|| MailServer {
                protocol,
                host: config.hostname.clone(),
                port,
                security,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_configured_and_bound_ports() {
        let mut config = Config {
            hostname: "mail.example.com".into(),
            ..Config::default()
        };
        config.pop3.listen = String::new();
        let mut bound = BTreeMap::new();
        bound.insert("imap.listen_tls", "127.0.0.1:4993".parse().unwrap());
        let servers = mail_servers(&config, &bound);
        let ports: Vec<_> = servers.iter().map(|s| (s.protocol, s.port)).collect();
        assert_eq!(
            ports,
            [
                ("IMAP", 4993),
                ("IMAP", 1143),
                ("SMTP", 1465),
                ("SMTP", 1587),
                ("POP3", 1995)
            ]
        );
        assert!(servers.iter().all(|s| s.host == "mail.example.com"));
        assert_eq!(servers[0].security, Security::Tls);
    }
}
