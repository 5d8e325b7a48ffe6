//! The services `postern serve` runs. Each protocol starts its listeners here.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Result;
use tokio::task::JoinSet;

use crate::serve::ServiceContext;

/// Starts every configured listener; returns their bound addresses by configuration key.
pub async fn start_all(
    _ctx: &ServiceContext,
    _tasks: &mut JoinSet<()>,
) -> Result<BTreeMap<&'static str, SocketAddr>> {
    let addrs = BTreeMap::new();
    Ok(addrs)
}
