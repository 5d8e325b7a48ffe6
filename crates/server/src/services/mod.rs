//! The services `postern serve` runs. Each protocol starts its listeners here.

mod imap;
mod pop3;
mod smtp;
mod web;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Result;
use postern_net::ConnectionLimits;
use tokio::task::JoinSet;

use crate::config::{Config, Listener};
use crate::serve::ServiceContext;

/// Starts every configured listener; returns their bound addresses.
pub async fn start_all(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
) -> Result<BTreeMap<Listener, SocketAddr>> {
    let mut addrs = BTreeMap::new();
    imap::start(ctx, tasks, &mut addrs).await?;
    smtp::start(ctx, tasks, &mut addrs).await?;
    pop3::start(ctx, tasks, &mut addrs).await?;
    // The web app starts last: its setup assistant shows the mail listeners' ports.
    web::start(ctx, tasks, &mut addrs).await?;
    Ok(addrs)
}

/// The connection limits of the configuration, for each mail service.
fn limits(config: &Config) -> ConnectionLimits {
    ConnectionLimits {
        max_connections: config.limits.max_connections,
        max_per_ip: config.limits.max_connections_per_ip,
    }
}
