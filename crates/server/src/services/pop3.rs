//! POP3 (`pop3.listen` with STLS, `pop3.listen_tls` with implicit TLS).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Result;
use postern_net::{Tracker, serve};
use postern_pop3::server::TOO_MANY_CONNECTIONS;
use postern_pop3::{Pop3Server, Settings};
use tokio::task::JoinSet;

use crate::config::Listener;
use crate::serve::{ServiceContext, bind};

/// Starts the POP3 listeners.
pub async fn start(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
    addrs: &mut BTreeMap<Listener, SocketAddr>,
) -> Result<()> {
    let config = &ctx.config;
    let settings = Settings {
        hostname: config.hostname.clone(),
        idle_timeout: config.limits.idle_timeout,
        login_timeout: config.limits.login_timeout,
        ..Settings::default()
    };
    let server = Pop3Server::new(Arc::clone(&ctx.core), settings, ctx.tls.clone());
    let tracker = Tracker::new(super::limits(config));
    for name in [Listener::Pop3, Listener::Pop3Tls] {
        let Some(listener) = bind(config, name, addrs).await? else {
            continue;
        };
        let server = Arc::clone(&server);
        tasks.spawn(serve(
            listener,
            name.implicit_tls().then(|| ctx.tls.clone()),
            Arc::clone(&tracker),
            TOO_MANY_CONNECTIONS,
            ctx.shutdown.clone(),
            move |connection| Arc::clone(&server).handle(connection),
        ));
    }
    Ok(())
}
