//! The web app and JSON API listener (`web.listen`).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use postern_web::{MailServer, Security, Settings};
use tokio::task::JoinSet;

use crate::config::{Config, Listener};
use crate::serve::{ServiceContext, bind};

/// How often sessions past their timeouts are deleted.
const SESSION_SWEEP: Duration = Duration::from_secs(600);

/// Starts the web listener, if configured. `mail` holds the mail listeners already bound,
/// whose ports the setup assistant shows.
pub async fn start(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
    addrs: &mut BTreeMap<Listener, SocketAddr>,
) -> Result<()> {
    let Some(listener) = bind(&ctx.config, Listener::Web, addrs).await? else {
        return Ok(());
    };
    let bound = listener.local_addr().context("web listener address")?;
    let mut settings = Settings::new(ctx.config.web.public_url.clone());
    settings.listen_port = Some(bound.port());
    settings.extra_hosts = ctx.config.web.extra_hosts.clone();
    settings.mail_servers = mail_servers(&ctx.config, addrs);
    settings.mail_domain = ctx.config.domain.clone();
    settings.hostname = ctx.config.hostname.clone();
    settings.relay = ctx.config.smtp.smarthost.is_some();
    settings.max_recipients = ctx.config.limits.max_recipients;
    settings.max_message_bytes = ctx.config.limits.max_message_bytes;
    settings.trusted_proxies = ctx.config.web.trusted_proxies.clone();
    settings.session_idle = session_minutes(ctx.config.web.session_idle_minutes);
    settings.session_lifetime =
        session_minutes(ctx.config.web.session_max_hours.saturating_mul(60));
    let app = postern_web::router(ctx.core.clone(), settings.clone());
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
            match postern_web::sweep_expired_sessions(&core, &settings).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!("{n} expired web sessions deleted"),
                Err(e) => tracing::warn!("deleting expired web sessions failed: {e}"),
            }
        }
    });
    Ok(())
}

/// A session timeout; the configuration's checks keep it far from `i64`'s limits.
fn session_minutes(minutes: u32) -> time::Duration {
    time::Duration::minutes(i64::from(minutes))
}

/// The servers a mail program is told about, in order of preference: the configured
/// `hostname`, and for each listener that is on its public port if one is set, else its
/// bound port (or configured one).
fn mail_servers(config: &Config, bound: &BTreeMap<Listener, SocketAddr>) -> Vec<MailServer> {
    let (imap, smtp, pop3) = (&config.imap, &config.smtp, &config.pop3);
    let listeners = [
        (
            "IMAP",
            Listener::ImapTls,
            imap.public_port_tls,
            Security::Tls,
        ),
        ("IMAP", Listener::Imap, imap.public_port, Security::StartTls),
        (
            "SMTP",
            Listener::SmtpTls,
            smtp.public_port_tls,
            Security::Tls,
        ),
        ("SMTP", Listener::Smtp, smtp.public_port, Security::StartTls),
        (
            "POP3",
            Listener::Pop3Tls,
            pop3.public_port_tls,
            Security::Tls,
        ),
        ("POP3", Listener::Pop3, pop3.public_port, Security::StartTls),
    ];
    listeners
        .into_iter()
        .filter_map(|(protocol, listener, public, security)| {
            let configured = config.listen(listener)?;
            let port = match (public, bound.get(&listener)) {
                (0, Some(addr)) => addr.port(),
                (0, None) => configured.port(),
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
        config.pop3.listen = None;
        let mut bound = BTreeMap::new();
        bound.insert(Listener::ImapTls, "127.0.0.1:4993".parse().unwrap());
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
        config.pop3.listen_tls = None;
        config.pop3.public_port_tls = 995;
        let mut bound = BTreeMap::new();
        bound.insert(Listener::ImapTls, "127.0.0.1:4993".parse().unwrap());
        bound.insert(Listener::Smtp, "127.0.0.1:4587".parse().unwrap());
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
