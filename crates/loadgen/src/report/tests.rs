//! Tests of the report tables.

use super::*;

fn line(label: &str, rate: f64) -> String {
    format!(r#"{{"label":"{label}","rate":{rate},"p50_ms":1.5,"p99_ms":3.25,"errors":0}}"#)
}

#[test]
fn figures_are_grouped() {
    assert_eq!(figure(1234567.4), "1,234,567");
    assert_eq!(figure(100.0), "100");
    assert_eq!(figure(9.87), "9.9");
    assert_eq!(figure(-2500.0), "-2,500");
}

#[test]
fn median_round_is_chosen() {
    let text = [
        line("a", 10.0),
        line("a", 30.0),
        line("a", 20.0),
        "not json".into(),
    ]
    .join("\n");
    let r = Results::parse(&text);
    assert_eq!(r.get("a").and_then(|v| num(v, "rate")), Some(20.0));
    assert!(r.get("b").is_none());
}

#[test]
fn postern_missing_shows_na_and_pending_targets() {
    let text = [
        line("login/dovecot/plain", 1400.0),
        r#"{"label":"login/postern/plain","unavailable":"IMAP does not answer"}"#.into(),
    ]
    .join("\n");
    let table = render(&text);
    let row = table.lines().find(|l| l.contains("PLAIN")).unwrap();
    assert!(row.contains("n/a (IMAP does not answer)"), "{row}");
    assert!(row.contains("1,400/s (p50 1.50 ms, p99 3.25 ms)"), "{row}");
    assert!(row.contains("≥ 2×: pending"), "{row}");
    assert!(table.contains("≤ 100 MiB RSS in all: pending"));
    assert!(table.contains("| 1,000 idle connections"));
}

#[test]
fn other_idle_counts_and_notes_are_shown() {
    let text = [
        r#"{"label":"idle/dovecot/200","count":200,"held":200,"memory_idle":{"rss_kib":2048,"pss_kib":1024},"per_connection_rss_kib":9.0,"per_connection_pss_kib":5.0}"#,
        r#"{"label":"note","text":"Revocation went through the API."}"#,
    ]
    .join("\n");
    let table = render(&text);
    assert!(table.contains("| 200 idle connections (IDLE): server RSS / PSS in all — Dovecot `multiplex` | n/a (not run) | 2.0 MiB / 1.0 MiB (200 of 200 held) |"), "{table}");
    assert!(!table.contains("10,000 idle"));
    assert!(
        table.ends_with("\nRevocation went through the API.\n"),
        "{table}"
    );
}

#[test]
fn ratios_and_verdicts_follow_the_figures() {
    let idle = |label: &str, count: u32, rss: u32, per: f64| {
        format!(
            r#"{{"label":"{label}","count":{count},"held":{count},"memory_idle":{{"rss_kib":{rss},"pss_kib":{rss}}},"per_connection_rss_kib":{per},"per_connection_pss_kib":{per},"errors":0}}"#
        )
    };
    let text = [
        line("login/postern/plain", 3000.0),
        line("login/dovecot/plain", 1500.0),
        line("login/dovecot/argon2id", 10.0),
        line("login/postern/tls", 900.0),
        line("login/dovecot/tls", 450.0),
        idle("idle/postern/1000", 1000, 20480, 20.0),
        idle("idle/dovecot/1000", 1000, 123904, 110.0),
        idle("idle/postern/10000", 10000, 204800, 19.0),
        r#"{"label":"revoke/postern","count":1000,"trials_run":20,"trials_complete":20,"from_start":{"p50_ms":20.0,"p99_ms":150.0,"max_ms":150.0},"errors":0}"#.into(),
    ]
    .join("\n");
    let table = render(&text);
    let find = |needle: &str| {
        table
            .lines()
            .find(|l| l.contains(needle))
            .unwrap()
            .to_owned()
    };
    assert!(find("PLAIN").contains("| 2.0× | ≥ 2×: met |"), "{table}");
    assert!(
        find("ARGON2ID").contains("| 300× | ≥ 100×: met |"),
        "{table}"
    );
    assert!(find("SHA512").contains("n/a (not run)"));
    assert!(find("implicit TLS").contains("| 2.0× | — |"), "{table}");
    assert!(
        find("1,000 idle: growth").contains("5.5× less (PSS) | ≥ 5× less: met"),
        "{table}"
    );
    assert!(
        find("10,000 idle connections").contains("200.0 MiB / 200.0 MiB"),
        "{table}"
    );
    assert!(
        find("10,000 idle connections").contains("NOT met"),
        "{table}"
    );
    assert!(
        find("Revocation").contains("20.0 / 150.0 / 150.0 ms (20 of 20 trials)"),
        "{table}"
    );
    assert!(find("Revocation").contains("p99 ≤ 100 ms: NOT met"));
    assert!(find("Device list").contains("pending"));
    assert!(!table.contains("200 idle"));
}

#[test]
fn revocation_verdicts_follow_the_way_in() {
    let text = [
        r#"{"label":"revoke/postern","disconnect":"command","count":1000,"trials_run":20,"trials_complete":20,"from_start":{"p50_ms":90.0,"p99_ms":300.0,"max_ms":310.0},"after_return":{"p50_ms":60.0,"p99_ms":120.0,"max_ms":125.0},"errors":0}"#,
        r#"{"label":"revoke-in-process/postern","disconnect":"in-process","count":1000,"trials_run":20,"trials_complete":20,"from_start":{"p50_ms":30.0,"p99_ms":45.0,"max_ms":46.0},"after_return":{"p50_ms":25.0,"p99_ms":40.0,"max_ms":41.0},"errors":0}"#,
    ]
    .join("\n");
    let table = render(&text);
    let outside = table
        .lines()
        .find(|l| l.contains("disconnect start to last BYE"))
        .unwrap();
    assert!(
        outside.contains("`postern device disconnect` (another process)"),
        "{outside}"
    );
    assert!(
        outside.contains("90.0 / 300.0 / 310.0 ms (20 of 20 trials)"),
        "{outside}"
    );
    assert!(
        outside.ends_with("| all ≤ 1 s (another process): met |"),
        "{outside}"
    );
    let inside = table
        .lines()
        .find(|l| l.contains("from the commit"))
        .unwrap();
    assert!(
        inside.contains("| 25.0 / 40.0 / 41.0 ms (20 of 20 trials) | — | — | p99 ≤ 100 ms: met |"),
        "{inside}"
    );
    assert!(!table.contains("PostgreSQL"), "no second table without it");
}

#[test]
fn postgresql_is_shown_beside_sqlite() {
    let text = [
        line("login/postern/plain", 4000.0),
        line("login/postern-pg/plain", 3000.0),
        r#"{"label":"submit/postern-pg","unavailable":"SMTP does not answer"}"#.into(),
    ]
    .join("\n");
    let all = render(&text);
    let (_, table) = all.split_once("two stores").unwrap();
    let row = table
        .lines()
        .find(|l| l.starts_with("| Sign-ins/s, plaintext, 4 clients |"))
        .unwrap();
    assert_eq!(
        row,
        "| Sign-ins/s, plaintext, 4 clients | 4,000/s (p50 1.50 ms, p99 3.25 ms) | 3,000/s (p50 1.50 ms, p99 3.25 ms) | 0.75 |"
    );
    let submit = table
        .lines()
        .find(|l| l.starts_with("| SMTP submissions/s, 4 clients | n/a (not run) |"))
        .unwrap();
    assert!(
        submit.ends_with("| n/a (SMTP does not answer) | — |"),
        "{submit}"
    );
}

#[test]
fn large_mailbox_rows_compare_median_times_per_size() {
    let timed = |label: &str, p50: f64| {
        format!(
            r#"{{"label":"{label}","p50_ms":{p50},"min_ms":{p50},"timed":{{"count":9}},"errors":0}}"#
        )
    };
    let text = [
        timed("mailbox-20000/postern/select", 10.0),
        timed("mailbox-20000/dovecot/select", 0.5),
        timed("mailbox-100000/postern/search-body", 5.0),
        timed("mailbox-100000/dovecot/search-body", 80.0),
        timed("mailbox-100000/postern/search-text", 10.0),
        timed("mailbox-100000/dovecot/search-text", 80.0),
    ]
    .join("\n");
    let table = render(&text);
    assert!(
        table.contains(
            "| 20,000 messages: `SELECT INBOX`, median | 10.00 ms (min 10.00 ms, 9 runs) | \
             0.50 ms (min 0.50 ms, 9 runs) | Dovecot 20.0× faster | no slower: not met |"
        ),
        "{table}"
    );
    assert!(
        table.contains("| Postern 16.0× faster | ≥ 10× faster: met |"),
        "{table}"
    );
    assert!(
        table.contains("| Postern 8.0× faster | ≥ 10× faster: not met |"),
        "{table}"
    );
    // Commands neither server was timed on have no row.
    assert!(!table.contains("UID SEARCH UNSEEN"), "{table}");
    assert!(!table.contains("100,000 messages: `SELECT"), "{table}");
}
