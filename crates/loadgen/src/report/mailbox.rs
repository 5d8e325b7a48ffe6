//! Rows of commands on a large mailbox: the median time of each on both servers.

use serde_json::Value;

use super::{Results, errors_note, figure, measured, num};

/// The commands timed, by the key in their labels (`mailbox-20000/postern/select`); the
/// last 50 whole messages are named without their numbers, which depend on the size.
pub const COMMANDS: [(&str, &str); 11] = [
    ("status", "STATUS INBOX (MESSAGES UNSEEN UIDNEXT)"),
    ("select", "SELECT INBOX"),
    ("uid-fetch-flags", "UID FETCH 1:* (FLAGS)"),
    (
        "fetch-metadata",
        "FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)",
    ),
    ("search-unseen", "UID SEARCH UNSEEN"),
    (
        "fetch-headers",
        "FETCH 1:500 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM DATE)])",
    ),
    ("search-subject", "UID SEARCH SUBJECT \"message 4242\""),
    ("search-from", "UID SEARCH FROM \"sender13@\""),
    ("search-body", "UID SEARCH BODY \"message 4242\""),
    ("search-text", "UID SEARCH TEXT \"m4242@\""),
    (
        "fetch-last-50",
        "FETCH n-49:n (BODY.PEEK[]), the last 50 whole messages",
    ),
];

/// How much faster than Dovecot Postern must be on a command: as fast everywhere, and ten
/// times on the text searches (Dovecot reads every message without a full-text plugin).
fn target(key: &str) -> f64 {
    match key {
        "search-body" | "search-text" => 10.0,
        _ => 1.0,
    }
}

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

/// One row per mailbox size and command that either server was timed on.
pub fn rows(r: &Results) -> Vec<[String; 5]> {
    let cell = |res: Result<&Value, String>| res.map_or_else(|why| why, time_cell);
    let mut out = Vec::new();
    for size in r.mailbox_sizes() {
        for (key, command) in COMMANDS {
            let label = |server: &str| format!("mailbox-{size}/{server}/{key}");
            if r.get(&label("postern")).is_none() && r.get(&label("dovecot")).is_none() {
                continue;
            }
            let p = measured(r, &label("postern"));
            let d = measured(r, &label("dovecot"));
            let p50 = |v: &Result<&Value, String>| v.as_ref().ok().and_then(|v| num(v, "p50_ms"));
            let wanted = target(key);
            let (ratio, verdict) = match (p50(&p), p50(&d)) {
                (Some(p), Some(d)) if p > 0.0 && d > 0.0 => {
                    let ratio = if p <= d {
                        format!("Postern {}× faster", figure(d / p))
                    } else {
                        format!("Dovecot {}× faster", figure(p / d))
                    };
                    let met = if d / p >= wanted { "met" } else { "not met" };
                    (ratio, met)
                }
                _ => ("—".into(), "pending"),
            };
            let goal = if wanted > 1.0 {
                format!("≥ {wanted}× faster: {verdict}")
            } else {
                format!("no slower: {verdict}")
            };
            out.push([
                format!("{} messages: `{command}`, median", figure(size as f64)),
                cell(p),
                cell(d),
                ratio,
                goal,
            ]);
        }
    }
    out
}
