//! The services `postern serve` runs. Each protocol starts its listeners here.

mod pop3;
mod smtp;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Result;
use tokio::task::JoinSet;

use crate::serve::ServiceContext;

mod imap;
mod web;

/// Starts every configured listener; returns their bound addresses by configuration key.
pub async fn start_all(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
) -> Result<BTreeMap<&'static str, SocketAddr>> {
    let mut addrs = BTreeMap::new();
    imap::start(ctx, tasks, &mut addrs).await?;
    smtp::start(ctx, tasks, &mut addrs).await?;
    pop3::start(ctx, tasks, &mut addrs).await?;
    // The web app starts last: its setup assistant shows the mail listeners' ports.
    web::start(ctx, tasks, &mut addrs).await?;
    Ok(addrs)
}
