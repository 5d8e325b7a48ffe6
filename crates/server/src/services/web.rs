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
    let bound = listener.local_addr().context("web listener address")?;
    addrs.insert("web.listen", bound);
    let mut options = WebOptions::new(ctx.config.web.public_url.clone());
    options.listen_port = Some(bound.port());
    options.extra_hosts = ctx.config.web.extra_hosts.clone();
    options.mail_servers = mail_servers(&ctx.config, addrs);
    options.mail_domain = ctx.config.domain.clone();
    options.hostname = ctx.config.hostname.clone();
    options.relay = !ctx.config.smtp.smarthost.is_empty();
    options.max_recipients =
        usize::try_from(ctx.config.limits.max_recipients).unwrap_or(usize::MAX);
    options.max_message_bytes =
        usize::try_from(ctx.config.limits.max_message_bytes).unwrap_or(usize::MAX);
    options.trusted_proxies = ctx.config.web.trusted_proxies.clone();
    options.session_idle = session_minutes(ctx.config.web.session_idle_minutes);
    options.session_lifetime = session_minutes(ctx.config.web.session_max_hours * 60);
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

/// A session timeout; the configuration's checks keep it far from `i64`'s limits.
fn session_minutes(minutes: u64) -> time::Duration {
    time::Duration::minutes(i64::try_from(minutes).unwrap_or(i64::MAX / 60))
}

/// The servers a mail program is told about, in order of preference: the configured
/// `hostname`, and for each listener that is on its public port if one is set, else its
/// bound port (or configured one).
fn mail_servers(config: &Config, bound: &BTreeMap<&'static str, SocketAddr>) -> Vec<MailServer> {
    let (imap, smtp, pop3) = (&config.imap, &config.smtp, &config.pop3);
    let listeners = [
        (
            "IMAP",
            "imap.listen_tls",
            &imap.listen_tls,
            imap.public_port_tls,
            Security::Tls,
        ),
        (
            "IMAP",
            "imap.listen",
            &imap.listen,
            imap.public_port,
            Security::StartTls,
        ),
        (
            "SMTP",
            "smtp.listen_tls",
            &smtp.listen_tls,
            smtp.public_port_tls,
            Security::Tls,
        ),
        (
            "SMTP",
            "smtp.listen",
            &smtp.listen,
            smtp.public_port,
            Security::StartTls,
        ),
        (
            "POP3",
            "pop3.listen_tls",
            &pop3.listen_tls,
            pop3.public_port_tls,
            Security::Tls,
        ),
        (
            "POP3",
            "pop3.listen",
            &pop3.listen,
            pop3.public_port,
            Security::StartTls,
        ),
    ];
    listeners
        .into_iter()
        .filter(|(_, _, configured, _, _)| !configured.is_empty())
        .filter_map(|(protocol, key, configured, public, security)| {
            let port = match (public, bound.get(key)) {
                (0, Some(addr)) => addr.port(),
                (0, None) => configured.parse::<SocketAddr>().ok()?.port(),
                (public, _) => public,
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

    #[test]
    fn public_ports_replace_the_listen_ports() {
        let mut config = Config::default();
        config.imap.public_port_tls = 993;
        config.smtp.public_port = 587;
        // A public port of a listener that is off advertises nothing.
        config.pop3.listen_tls = String::new();
        config.pop3.public_port_tls = 995;
        let mut bound = BTreeMap::new();
        bound.insert("imap.listen_tls", "127.0.0.1:4993".parse().unwrap());
        bound.insert("smtp.listen", "127.0.0.1:4587".parse().unwrap());
        let ports: Vec<_> = mail_servers(&config, &bound)
            .iter()
            .map(|s| (s.protocol, s.port, s.security))
            .collect();
        assert_eq!(
            ports,
            [
                ("IMAP", 993, Security::Tls),
                ("IMAP", 1143, Security::StartTls),
                ("SMTP", 1465, Security::Tls),
                ("SMTP", 587, Security::StartTls),
                ("POP3", 1110, Security::StartTls)
            ]
        );
    }
}
