//! The second table: Postern on SQLite (labels `…/postern…`) beside Postern on PostgreSQL
//! (`…/postern-pg…`), measured in the same run. Printed only when PostgreSQL was measured.

use serde_json::Value;

use super::{Results, figure, measured, memory_cell, num, per_conn_cell, rate_cell, revoke_cell};

/// One measure on both stores: the labels, how a line is shown, and what is compared.
struct Row {
    name: String,
    sqlite: String,
    pg: String,
    show: fn(&Value) -> String,
    /// The figure compared as PostgreSQL / SQLite, if any.
    compare: Option<&'static str>,
}

fn revoke_from_start(v: &Value) -> String {
    revoke_cell(v, "from_start")
}

fn revoke_after_return(v: &Value) -> String {
    revoke_cell(v, "after_return")
}

/// Renders the table, or nothing when no PostgreSQL line is there.
pub(super) fn render(r: &Results) -> String {
    if !r.0.keys().any(|label| label.contains("/postern-pg")) {
        return String::new();
    }
    let both = |name: &str, label: &str, show: fn(&Value) -> String, compare| Row {
        name: name.to_owned(),
        sqlite: label.replace("{store}", "postern"),
        pg: label.replace("{store}", "postern-pg"),
        show,
        compare,
    };
    let mut rows = vec![
        both(
            "Sign-ins/s, plaintext, 4 clients",
            "login/{store}/plain",
            rate_cell,
            Some("rate"),
        ),
        both(
            "Sign-ins/s, implicit TLS, 4 clients",
            "login/{store}/tls",
            rate_cell,
            Some("rate"),
        ),
    ];
    for k in r.idle_counts() {
        let shown = figure(k as f64);
        rows.push(both(
            &format!("{shown} idle connections: Postern's RSS / PSS"),
            &format!("idle/{{store}}/{k}"),
            memory_cell,
            Some("memory_idle.rss_kib"),
        ));
        rows.push(both(
            &format!("{shown} idle: growth per connection, RSS / PSS"),
            &format!("idle/{{store}}/{k}"),
            per_conn_cell,
            None,
        ));
    }
    rows.extend([
        both(
            "Revocation, disconnect start to last BYE, p50 / p99 / max (same way in as above)",
            "revoke/{store}",
            revoke_from_start,
            Some("from_start.p99_ms"),
        ),
        both(
            "… counted from when the disconnect returned",
            "revoke/{store}",
            revoke_after_return,
            Some("after_return.p99_ms"),
        ),
        both(
            "Revocation from the commit, `disconnect_device` in Postern's process",
            "revoke-in-process/{store}",
            revoke_after_return,
            Some("after_return.p99_ms"),
        ),
        both(
            "SMTP submissions/s, 4 clients",
            "submit/{store}",
            rate_cell,
            Some("rate"),
        ),
        both(
            "Device list page, 100 devices, wrk 4 connections",
            "web/{store}/devices",
            rate_cell,
            Some("rate"),
        ),
        both(
            "… the same list from the JSON API",
            "web/{store}/devices-api",
            rate_cell,
            Some("rate"),
        ),
    ]);
    let mut out = String::from(
        "\nPostern on its two stores in the same run (the memory is Postern's process alone, \
         without PostgreSQL's own):\n\n\
         | Measure | SQLite | PostgreSQL | PostgreSQL / SQLite |\n|---|---|---|---|\n",
    );
    for row in rows {
        let (a, b) = (measured(r, &row.sqlite), measured(r, &row.pg));
        let ratio = match (row.compare, &a, &b) {
            (Some(key), Ok(a), Ok(b)) => match (num(a, key), num(b, key)) {
                (Some(x), Some(y)) if x > 0.0 => format!("{:.2}", y / x),
                _ => "—".into(),
            },
            _ => "—".into(),
        };
        let cell = |m: Result<&Value, String>| m.map_or_else(|why| why, |v| (row.show)(v));
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            row.name,
            cell(a),
            cell(b),
            ratio
        ));
    }
    out
}
