//! `imap-commands`: one signed-in connection with a mailbox selected runs one command over
//! and over, one at a time; the time of each from sending it to its tagged answer (untagged
//! answers and literals read in full). For commands on a large mailbox (SELECT, FETCH of
//! every message, SEARCH, STATUS), where what matters is the server's work per command.

use std::time::Instant;

use serde_json::{Value, json};

use crate::cli::CommandsArgs;
use crate::error::{Errors, Result};
use crate::imap::ImapClient;
use crate::net::Connector;
use crate::stats::summarize;
use crate::{finish, header};

/// Runs the load and returns its result line.
pub async fn run(args: &CommandsArgs) -> Result<Value> {
    let t = &args.target;
    let connector = Connector::new(t.addr, t.tls, t.source_ips, t.io_timeout)?;
    let deadline = Instant::now() + t.duration_limit;
    let mut client = ImapClient::start(connector.connect(0).await?, t.io_timeout).await?;
    client.login(&t.user, &t.password).await?;
    client.select(&args.mailbox).await?;
    // Once unmeasured: whatever the server builds at a mailbox's first use is built.
    client.command(&args.command).await?;
    let mut samples = Vec::with_capacity(args.repeat);
    let mut errors = Errors::default();
    let mut truncated = false;
    for _ in 0..args.repeat {
        if Instant::now() >= deadline {
            truncated = true;
            break;
        }
        let start = Instant::now();
        match client.command(&args.command).await {
            Ok(()) => samples.push(start.elapsed()),
            Err(e) => errors.add(&e),
        }
    }
    let _ = client.logout(false).await;
    let summary = summarize(&mut samples);
    let mut map = header("imap-commands", t);
    map.insert("imap_command".into(), json!(args.command));
    map.insert("mailbox".into(), json!(args.mailbox));
    map.insert("repeat".into(), json!(args.repeat));
    map.insert("timed".into(), json!(summary));
    map.insert("truncated".into(), json!(truncated));
    map.insert(
        "min_ms".into(),
        json!(samples.first().map(|d| crate::stats::millis(*d))),
    );
    Ok(finish(map, errors, &summary))
}
