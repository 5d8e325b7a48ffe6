//! The IMAP listeners: STARTTLS on `imap.listen`, implicit TLS on `imap.listen_tls`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Result;
use postern_imap::Settings;
use postern_imap::literal_budget::LiteralBudget;
use postern_net::Tracker;
use tokio::task::JoinSet;

use crate::config::{Config, Listener};
use crate::serve::{ServiceContext, bind};

/// Written to a connection over the limits before it is closed.
const TOO_MANY: &[u8] = b"* BYE Too many connections; try again later\r\n";

/// The IMAP settings of the configuration.
pub fn imap_settings(config: &Config) -> Settings {
    let max_literal = u32::try_from(config.limits.max_message_bytes)
        .unwrap_or(u32::MAX / 2)
        .min(u32::MAX / 2);
    Settings {
        max_literal,
        // Two messages of the largest size at once, whatever the number of sessions.
        literals_per_address: LiteralBudget::new(2 * u64::from(max_literal)),
        login_timeout: config.limits.login_timeout,
        autologout: config.limits.imap_autologout,
        ..Settings::default()
    }
}

/// Starts the configured IMAP listeners and reports their addresses.
pub async fn start(
    ctx: &ServiceContext,
    tasks: &mut JoinSet<()>,
    addrs: &mut BTreeMap<Listener, SocketAddr>,
) -> Result<()> {
    let config = Arc::new(imap_settings(&ctx.config));
    let tracker = Tracker::new(super::limits(&ctx.config));
    for name in [Listener::Imap, Listener::ImapTls] {
        let Some(listener) = bind(&ctx.config, name, addrs).await? else {
            continue;
        };
        let core = Arc::clone(&ctx.core);
        let config = Arc::clone(&config);
        let tls = ctx.tls.clone();
        let handler = move |connection| {
            postern_imap::serve_connection(
                Arc::clone(&core),
                Arc::clone(&config),
                tls.clone(),
                connection,
            )
        };
        tasks.spawn(postern_net::serve(
            listener,
            name.implicit_tls().then(|| ctx.tls.clone()),
            Arc::clone(&tracker),
            TOO_MANY,
            ctx.shutdown.clone(),
            handler,
        ));
    }
    Ok(())
}
