//! The services `postern serve` runs. Each protocol starts its listeners here.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Result;
use tokio::task::JoinSet;

use crate::serve::ServiceContext;

mod web;

/// Starts every configured listener; returns their bound addresses by configuration key.
pub async fn start_all(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
) -> Result<BTreeMap<&'static str, SocketAddr>> {
    let mut addrs = BTreeMap::new();
    // The web app starts last: its setup assistant shows the mail listeners' ports.
    web::start(ctx, tasks, &mut addrs).await?;
    Ok(addrs)
}
