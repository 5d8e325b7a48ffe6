//! `report`: the Markdown comparison table printed by `bench/compare-dovecot.sh`, from the
//! result lines of one run. Each line carries a label (`login/postern/plain`, …); a line
//! with `"unavailable": "why"` stands for a load that could not run, shown as n/a.

use std::collections::BTreeMap;

use serde_json::Value;

/// The result lines of a run, by label; several lines of one label are rounds.
pub struct Results(BTreeMap<String, Vec<Value>>);

impl Results {
    /// Reads one JSON object a line; other lines are ignored.
    pub fn parse(text: &str) -> Results {
        let mut map: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for line in text.lines() {
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let Some(label) = value.get("label").and_then(Value::as_str) {
                map.entry(label.to_owned()).or_default().push(value);
            }
        }
        Results(map)
    }

    /// The round with the median rate (the only line if there is one).
    pub fn get(&self, label: &str) -> Option<&Value> {
        let mut rounds: Vec<&Value> = self.0.get(label)?.iter().collect();
        rounds.sort_by(|a, b| {
            num(a, "rate")
                .unwrap_or(0.0)
                .total_cmp(&num(b, "rate").unwrap_or(0.0))
        });
        rounds.get(rounds.len() / 2).copied()
    }

    fn rounds(&self, label: &str) -> usize {
        self.0.get(label).map_or(0, Vec::len)
    }

    /// The connection counts of the idle loads present (1,000 and 10,000 if none).
    fn idle_counts(&self) -> Vec<u64> {
        let mut counts: Vec<u64> = self
            .0
            .keys()
            .filter_map(|l| l.strip_prefix("idle/")?.split('/').nth(1)?.parse().ok())
            .collect();
        counts.sort_unstable();
        counts.dedup();
        if counts.is_empty() {
            counts = vec![1000, 10000];
        }
        counts
    }

    /// The sizes of the large mailboxes measured (`mailbox-20000/…`), ascending.
    fn mailbox_sizes(&self) -> Vec<u64> {
        let mut sizes: Vec<u64> = self
            .0
            .keys()
            .filter_map(|l| l.strip_prefix("mailbox-")?.split('/').next()?.parse().ok())
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    }

    /// The texts of the `note` lines, in order.
    fn notes(&self) -> Vec<&str> {
        self.0
            .get("note")
            .map(|v| v.iter().filter_map(|n| n.get("text")?.as_str()).collect())
            .unwrap_or_default()
    }
}

pub(crate) fn num(v: &Value, key: &str) -> Option<f64> {
    key.split('.').try_fold(v, |v, k| v.get(k))?.as_f64()
}

/// A measured value, or why there is none.
pub(crate) fn measured<'a>(r: &'a Results, label: &str) -> Result<&'a Value, String> {
    match r.get(label) {
        None => Err("n/a (not run)".into()),
        Some(v) => match v.get("unavailable").and_then(Value::as_str) {
            Some(why) => Err(format!("n/a ({why})")),
            None => Ok(v),
        },
    }
}

/// `12,345` for large numbers, one decimal below 100.
pub fn figure(x: f64) -> String {
    if x.abs() < 100.0 {
        return format!("{x:.1}");
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

fn errors_note(v: &Value) -> String {
    match v.get("errors").and_then(Value::as_u64) {
        Some(n) if n > 0 => format!(", {n} errors"),
        _ => String::new(),
    }
}

pub(crate) fn rate_cell(v: &Value) -> String {
    let ms = |k| num(v, k).map_or("?".into(), |x| format!("{x:.2}"));
    format!(
        "{}/s (p50 {} ms, p99 {} ms{})",
        figure(num(v, "rate").unwrap_or(0.0)),
        ms("p50_ms"),
        ms("p99_ms"),
        errors_note(v)
    )
}

pub(crate) fn mib(kib: f64) -> String {
    let mib = kib / 1024.0;
    if mib >= 1000.0 {
        format!("{} MiB", figure(mib))
    } else {
        format!("{mib:.1} MiB")
    }
}

pub(crate) fn memory_cell(v: &Value) -> String {
    match (num(v, "memory_idle.rss_kib"), num(v, "memory_idle.pss_kib")) {
        (Some(rss), Some(pss)) => format!(
            "{} / {} ({} of {} held{})",
            mib(rss),
            mib(pss),
            figure(num(v, "held").unwrap_or(0.0)),
            figure(num(v, "count").unwrap_or(0.0)),
            errors_note(v)
        ),
        _ => "n/a (memory not read)".into(),
    }
}

pub(crate) fn per_conn_cell(v: &Value) -> String {
    match (
        num(v, "per_connection_rss_kib"),
        num(v, "per_connection_pss_kib"),
    ) {
        (Some(rss), Some(pss)) => format!("{rss:.1} / {pss:.1} KiB"),
        _ => "n/a".into(),
    }
}

pub(crate) fn revoke_cell(v: &Value, part: &str) -> String {
    let ms = |k: &str| num(v, &format!("{part}.{k}")).map_or("?".into(), |x| format!("{x:.1}"));
    format!(
        "{} / {} / {} ms ({} of {} trials{})",
        ms("p50_ms"),
        ms("p99_ms"),
        ms("max_ms"),
        num(v, "trials_complete").unwrap_or(0.0),
        num(v, "trials_run").unwrap_or(0.0),
        errors_note(v)
    )
}

fn verdict(ok: Option<bool>, target: &str) -> String {
    match ok {
        Some(true) => format!("{target}: met"),
        Some(false) => format!("{target}: NOT met"),
        None => format!("{target}: pending"),
    }
}

/// How Postern's revocation trials disconnected, in words.
fn disconnect_words(v: &Value) -> &'static str {
    match v.get("disconnect").and_then(Value::as_str) {
        Some("api") => "Postern by `DELETE /api/v1/devices/{id}`",
        Some("command") => "Postern by `postern device disconnect` (another process)",
        _ => "Postern",
    }
}

/// Postern's revocation rows, beside Dovecot's kick.
fn revocation_rows(r: &Results) -> Vec<[String; 5]> {
    let outside = measured(r, "revoke/postern");
    let inside = measured(r, "revoke-in-process/postern");
    let dovecot = measured(r, "revoke/dovecot");
    let count = [&outside, &inside, &dovecot]
        .into_iter()
        .find_map(|m| m.as_ref().ok().and_then(|v| num(v, "count")))
        .unwrap_or(1000.0);
    let cell = |res: &Result<&Value, String>, part: &str| match res {
        Ok(v) => revoke_cell(v, part),
        Err(why) => why.clone(),
    };
    // From outside, the promise depends on the way in: the API is the server's own process
    // (100 ms), another process is followed through the store (1 s).
    let outside_target = match &outside {
        Ok(v) if v.get("disconnect").and_then(Value::as_str) == Some("command") => verdict(
            num(v, "from_start.max_ms").map(|x| x <= 1000.0),
            "all ≤ 1 s (another process)",
        ),
        Ok(v) => verdict(
            num(v, "from_start.p99_ms").map(|x| x <= 100.0),
            "p99 ≤ 100 ms",
        ),
        Err(_) => verdict(None, "p99 ≤ 100 ms"),
    };
    vec![
        [
            format!(
                "Revocation of {} live sessions: disconnect start to last BYE, p50 / p99 / max — {}; Dovecot `doveadm kick`",
                figure(count),
                outside.as_ref().map_or("Postern", |v| disconnect_words(v))
            ),
            cell(&outside, "from_start"),
            cell(&dovecot, "from_start"),
            "—".into(),
            outside_target,
        ],
        [
            "… counted from when the disconnect returned".into(),
            cell(&outside, "after_return"),
            cell(&dovecot, "after_return"),
            "—".into(),
            "—".into(),
        ],
        [
            format!(
                "Revocation of {} live sessions, from the commit to the last BYE: `disconnect_device` in Postern's process (the API's code path, without HTTP)",
                figure(count)
            ),
            cell(&inside, "after_return"),
            "—".into(),
            "—".into(),
            verdict(
                inside
                    .ok()
                    .and_then(|v| num(v, "after_return.p99_ms"))
                    .map(|x| x <= 100.0),
                "p99 ≤ 100 ms",
            ),
        ],
    ]
}

/// Renders the whole table.
pub fn render(text: &str) -> String {
    let r = Results::parse(text);
    let mut rows: Vec<[String; 5]> = Vec::new();
    let cell = |res: Result<&Value, String>, f: &dyn Fn(&Value) -> String| match res {
        Ok(v) => f(v),
        Err(why) => why,
    };
    let rate = |label: &str| measured(&r, label).ok().and_then(|v| num(v, "rate"));

    let postern = measured(&r, "login/postern/plain");
    for (label, name, target) in [
        ("login/dovecot/plain", "PLAIN (`highperf`)", Some(2.0)),
        (
            "login/dovecot/sha512-crypt",
            "SHA512-CRYPT (`highperf`)",
            None,
        ),
        (
            "login/dovecot/argon2id",
            "ARGON2ID (`highperf`)",
            Some(100.0),
        ),
    ] {
        let ratio = match (rate("login/postern/plain"), rate(label)) {
            (Some(p), Some(d)) if d > 0.0 => Some(p / d),
            _ => None,
        };
        rows.push([
            format!("Sign-ins/s, plaintext, 4 clients — Dovecot {name}"),
            cell(postern.clone(), &rate_cell),
            cell(measured(&r, label), &rate_cell),
            ratio.map_or("—".into(), |x| format!("{}×", figure(x))),
            target.map_or("—".into(), |t| {
                verdict(ratio.map(|x| x >= t), &format!("≥ {t}×"))
            }),
        ]);
    }
    let tls_ratio = match (rate("login/postern/tls"), rate("login/dovecot/tls")) {
        (Some(p), Some(d)) if d > 0.0 => Some(p / d),
        _ => None,
    };
    rows.push([
        "Sign-ins/s, implicit TLS, 4 clients — Dovecot PLAIN (`highperf`, TLS added)".into(),
        cell(measured(&r, "login/postern/tls"), &rate_cell),
        cell(measured(&r, "login/dovecot/tls"), &rate_cell),
        tls_ratio.map_or("—".into(), |x| format!("{}×", figure(x))),
        "—".into(),
    ]);
    for k in r.idle_counts() {
        let p = measured(&r, &format!("idle/postern/{k}"));
        let d = measured(&r, &format!("idle/dovecot/{k}"));
        let shown = figure(k as f64);
        let total_target = (k == 10000).then(|| {
            let rss = p.as_ref().ok().and_then(|v| num(v, "memory_idle.rss_kib"));
            verdict(rss.map(|x| x <= 100.0 * 1024.0), "≤ 100 MiB RSS in all")
        });
        rows.push([
            format!(
                "{shown} idle connections (IDLE): server RSS / PSS in all — Dovecot `multiplex`"
            ),
            cell(p.clone(), &memory_cell),
            cell(d.clone(), &memory_cell),
            "—".into(),
            total_target.unwrap_or_else(|| "—".into()),
        ]);
        let pp = p.ok().and_then(|v| num(v, "per_connection_pss_kib"));
        let dp = d.ok().and_then(|v| num(v, "per_connection_pss_kib"));
        let less = match (pp, dp) {
            (Some(p), Some(d)) => Some(d / p.max(0.1)),
            _ => None,
        };
        rows.push([
            format!("{shown} idle: growth per connection, RSS / PSS"),
            cell(measured(&r, &format!("idle/postern/{k}")), &per_conn_cell),
            cell(measured(&r, &format!("idle/dovecot/{k}")), &per_conn_cell),
            less.map_or("—".into(), |x| format!("{}× less (PSS)", figure(x))),
            if k == 1000 {
                verdict(less.map(|x| x >= 5.0), "≥ 5× less")
            } else {
                "—".into()
            },
        ]);
    }
    rows.extend(revocation_rows(&r));
    rows.push([
        "SMTP submissions/s, 4 clients".into(),
        cell(measured(&r, "submit/postern"), &rate_cell),
        cell(measured(&r, "submit/dovecot"), &rate_cell),
        "—".into(),
        "—".into(),
    ]);
    let web = measured(&r, "web/postern/devices");
    rows.push([
        "Device list page (Settings, HTML), 100 devices, wrk 4 connections".into(),
        cell(web.clone(), &rate_cell),
        "—".into(),
        "—".into(),
        verdict(
            web.ok().and_then(|v| num(v, "rate")).map(|x| x >= 2000.0),
            "≥ 2,000 req/s",
        ),
    ]);
    rows.push([
        "… the same list from the JSON API".into(),
        cell(measured(&r, "web/postern/devices-api"), &rate_cell),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);

    rows.extend(mailbox::rows(&r));

    let mut out =
        String::from("| Measure | Postern | Dovecot | Ratio | Target |\n|---|---|---|---|---|\n");
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    let rounds = r
        .rounds("login/dovecot/plain")
        .max(r.rounds("login/postern/plain"));
    if rounds > 1 {
        out.push_str(&format!(
            "\nSign-in rates: the median of {rounds} alternating rounds.\n"
        ));
    }
    for note in r.notes() {
        out.push_str(&format!("\n{note}\n"));
    }
    out.push_str(&stores::render(&r));
    out
}

mod mailbox;
mod stores;
#[cfg(test)]
mod tests;
