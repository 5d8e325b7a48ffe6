//! POP3 (`pop3.listen` with STLS, `pop3.listen_tls` with implicit TLS).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use postern_net::{Tracker, serve};
use postern_pop3::server::TOO_MANY_CONNECTIONS;
use postern_pop3::{Pop3Server, Settings};
use tokio::task::JoinSet;

use crate::serve::{ServiceContext, bind};

/// Starts the POP3 listeners.
pub async fn start(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
    addrs: &mut BTreeMap<&'static str, SocketAddr>,
) -> Result<()> {
    let config = &ctx.config;
    let settings = Settings {
        hostname: config.hostname.clone(),
        idle_timeout: Duration::from_secs(config.limits.idle_timeout_secs),
        login_timeout: Duration::from_secs(config.limits.login_timeout_secs),
        ..Settings::default()
    };
    let server = Pop3Server::new(Arc::clone(&ctx.core), settings, ctx.tls.clone());
    let tracker = Tracker::new(super::smtp::limits(config));
    let listeners = [
        ("pop3.listen", &config.pop3.listen, false),
        ("pop3.listen_tls", &config.pop3.listen_tls, true),
    ];
    for (key, addr, implicit_tls) in listeners {
        let Some(listener) = bind(key, addr).await? else {
            continue;
        };
        addrs.insert(key, listener.local_addr()?);
        let server = Arc::clone(&server);
        tasks.spawn(serve(
            listener,
            implicit_tls.then(|| ctx.tls.clone()),
            Arc::clone(&tracker),
            TOO_MANY_CONNECTIONS,
            ctx.shutdown.clone(),
            move |connection| Arc::clone(&server).handle(connection),
        ));
    }
    Ok(())
}
