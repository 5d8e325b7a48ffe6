//! Dovecot's imaptest, the field's IMAP compliance suite, against a fresh server: every
//! script of its `tests/` folder that applies to what Postern announces must pass, with no
//! failed command and no error.
//!
//! The suite's source and build scripts stay outside the project, in
//! `shared/tools/imaptest/` beside the checkout (or `$IMAPTEST_TOOLS`); it is built once (about a minute) into
//! `target/test-tools/imaptest`. `scripts/install-test-deps.sh` installs the Debian packages
//! the build needs.

use std::process::Command;

use postern_testkit::{Need, requires};

use super::{EMAIL, Env};
use postern_testkit::Listener;

/// The suite's three summary lines, as numbers.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    groups: u32,
    groups_failed: u32,
    base_failed: u32,
    base: u32,
    extensions_failed: u32,
    extensions: u32,
}

/// The numbers of `line` after `prefix`, in order.
fn numbers(report: &str, prefix: &str) -> Option<Vec<u32>> {
    let line = report.lines().find(|l| l.contains(prefix))?;
    Some(
        line.split(|c: char| !c.is_ascii_digit())
            .filter_map(|n| n.parse().ok())
            .collect(),
    )
}

fn summary(report: &str) -> Option<Summary> {
    let groups = numbers(report, "test groups:")?;
    let base = numbers(report, "base protocol:")?;
    let extensions = numbers(report, "extensions:")?;
    Some(Summary {
        groups: *groups.first()?,
        groups_failed: *groups.get(1)?,
        base_failed: *base.first()?,
        base: *base.get(1)?,
        extensions_failed: *extensions.first()?,
        extensions: *extensions.get(1)?,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imaptest_compliance_suite_passes() {
    if !requires(&[Need::Imaptest]) {
        return;
    }
    let tools = postern_testkit::needs::imaptest_scripts().expect("imaptest's scripts");
    let out = postern_testkit::needs::imaptest_build();
    std::fs::create_dir_all(&out).unwrap();
    // One build for every run of the test (SQLite and PostgreSQL may run at once).
    let build = Command::new("flock")
        .arg(out.join(".lock"))
        .arg(tools.join("build.sh"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "building imaptest failed: {}",
        String::from_utf8_lossy(&build.stderr)
    );

    let env = Env::start().await;
    let addr = env.server.addr(Listener::Imap);
    let password = env.password.clone();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(tools.join("run.sh"))
            .env("IMAPTEST_DIR", &out)
            .arg(addr.ip().to_string())
            .arg(addr.port().to_string())
            .arg(EMAIL)
            .arg(password)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let report = String::from_utf8_lossy(&run.stdout);
    for line in report.lines().filter(|l| {
        l.contains("test groups:") || l.contains("base protocol:") || l.contains("extensions:")
    }) {
        println!("imaptest: {line}");
    }
    let errors: Vec<&str> = report.lines().filter(|l| l.starts_with("Error:")).collect();
    assert!(errors.is_empty(), "{report}");
    let got = summary(&report).unwrap_or_else(|| panic!("no summary in:\n{report}"));
    assert_eq!(got.groups_failed, 0, "{report}");
    assert_eq!(got.base_failed, 0, "{report}");
    assert_eq!(got.extensions_failed, 0, "{report}");
    // The whole suite ran, not a part of it.
    assert!(got.groups >= 70 && got.base >= 450, "{report}");
    assert!(run.status.success(), "{report}");
}

#[test]
fn summary_lines_are_read() {
    let report = "71 test groups: 4 failed, 38 skipped due to missing capabilities\n\
                  base protocol: 5/456 individual commands failed\n\
                  extensions: 0/40 individual commands failed\n";
    assert_eq!(
        summary(report),
        Some(Summary {
            groups: 71,
            groups_failed: 4,
            base_failed: 5,
            base: 456,
            extensions_failed: 0,
            extensions: 40,
        })
    );
    assert_eq!(summary("Error: connection refused\n"), None);
}
