//! Rows of commands on a large mailbox: the median time of each on both servers.

use serde_json::Value;

use super::{Results, errors_note, figure, measured, num};

/// The commands timed, by the key in their labels (`mailbox/postern/select`).
pub const COMMANDS: [(&str, &str); 6] = [
    ("select", "SELECT INBOX"),
    ("uid-fetch-flags", "UID FETCH 1:* (FLAGS)"),
    (
        "fetch-metadata",
        "FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)",
    ),
    ("search-unseen", "UID SEARCH UNSEEN"),
    ("status", "STATUS INBOX (MESSAGES UNSEEN UIDNEXT)"),
    (
        "fetch-headers",
        "FETCH 1:500 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM DATE)])",
    ),
];

fn time_cell(v: &Value) -> String {
    let ms = |k| num(v, k).map_or("?".into(), |x| format!("{x:.2}"));
    format!(
        "{} ms (min {} ms, {} runs{})",
        ms("p50_ms"),
        ms("min_ms"),
        num(v, "timed.count").unwrap_or(0.0),
        errors_note(v)
    )
}

/// One row per command that either server was timed on.
pub fn rows(r: &Results) -> Vec<[String; 5]> {
    let cell = |res: Result<&Value, String>| res.map_or_else(|why| why, time_cell);
    COMMANDS
        .iter()
        .filter(|(key, _)| {
            r.get(&format!("mailbox/postern/{key}")).is_some()
                || r.get(&format!("mailbox/dovecot/{key}")).is_some()
        })
        .map(|(key, command)| {
            let p = measured(r, &format!("mailbox/postern/{key}"));
            let d = measured(r, &format!("mailbox/dovecot/{key}"));
            let p50 = |v: &Result<&Value, String>| v.as_ref().ok().and_then(|v| num(v, "p50_ms"));
            let ratio = match (p50(&p), p50(&d)) {
                (Some(p), Some(d)) if p > 0.0 && d > 0.0 && p <= d => {
                    format!("Postern {}× faster", figure(d / p))
                }
                (Some(p), Some(d)) if p > 0.0 && d > 0.0 => {
                    format!("Dovecot {}× faster", figure(p / d))
                }
                _ => "—".into(),
            };
            [
                format!("Large mailbox: `{command}`, median"),
                cell(p),
                cell(d),
                ratio,
                "—".into(),
            ]
        })
        .collect()
}
