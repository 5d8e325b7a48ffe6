//! IMAPClient's live test suite (`python -m imapclient.livetest`, from PyPI): 52 tests of
//! folders, subscriptions, APPEND, FETCH, STORE, SEARCH, COPY, MOVE, EXPUNGE, IDLE and
//! namespaces against a real server, through a client library that shares none of our code.
//! It skips what Postern does not announce (CONDSTORE, SORT, THREAD, ACL, Gmail's extensions).
//!
//! `scripts/install-test-deps.sh` installs it in a virtual environment under
//! `target/test-tools/imapclient`.

use std::process::Command;

use postern_testkit::{Need, requires};

use super::{EMAIL, Env};
use postern_testkit::Listener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imapclient_live_tests_pass() {
    if !requires(&[Need::ImapclientLivetest]) {
        return;
    }
    let python = postern_testkit::needs::imapclient_python();
    let env = Env::start().await;
    let addr = env.server.addr(Listener::Imap);
    let dir = tempfile::tempdir().unwrap();
    let ini = dir.path().join("livetest.ini");
    std::fs::write(
        &ini,
        format!(
            "[DEFAULT]\nhost = {}\nport = {}\nssl = false\nusername = {EMAIL}\npassword = {}\n",
            addr.ip(),
            addr.port(),
            env.password
        ),
    )
    .unwrap();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .args(["-W", "ignore", "-m", "imapclient.livetest"])
            .arg(&ini)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    // unittest reports on stderr.
    let report = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    let ran = report
        .lines()
        .find_map(|l| {
            l.strip_prefix("Ran ")?
                .split(' ')
                .next()?
                .parse::<u32>()
                .ok()
        })
        .unwrap_or(0);
    assert!(ran >= 50, "{report}");
    assert!(report.contains("\nOK"), "{report}");
}
