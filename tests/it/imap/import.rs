//! `postern message import`: .eml files and mboxes, for migrations.

use super::{EMAIL, Env};
use crate::support::postern_bin;

async fn import(env: &Env, args: &[&str]) -> (i32, String) {
    let out = tokio::process::Command::new(postern_bin())
        .args(["message", "import"])
        .args(args)
        .env("POSTERN_DATA_DIR", env.server.data_dir())
        .env("POSTERN_STORE", env.server.config.store_url())
        .output()
        .await
        .expect("postern runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_eml_and_mbox() {
    let env = Env::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let eml = dir.path().join("one.eml");
    std::fs::write(
        &eml,
        "Subject: Single\nDate: Wed, 3 Jan 2024 12:00:00 +0000\n\nOne message.\n",
    )
    .expect("eml");
    let mbox = dir.path().join("old.mbox");
    std::fs::write(
        &mbox,
        "From a@example.org Mon Jan  1 00:00:00 2024\nSubject: First\nStatus: RO\n\nHello\n>From the past\n\n\
         From b@example.org Tue Jan  2 00:00:00 2024\nSubject: Second\n\nWorld\n",
    )
    .expect("mbox");

    let mut watcher = env.inbox().await;
    watcher.send(b"i IDLE\r\n").await;
    assert_eq!(watcher.line().await, "+ idling\r\n");

    let (code, err) = import(&env, &[EMAIL, eml.to_str().expect("path")]).await;
    assert_eq!(
        (code, err.as_str()),
        (0, "Imported 1 message into INBOX of admin@localhost.\n")
    );
    let (code, err) = import(
        &env,
        &[EMAIL, mbox.to_str().expect("path"), "--mailbox", "Old/2023"],
    )
    .await;
    assert_eq!(
        (code, err.as_str()),
        (0, "Imported 2 messages into Old/2023 of admin@localhost.\n")
    );

    let mut c = env.inbox().await;
    let one = c.ok("FETCH 1 (INTERNALDATE BODY.PEEK[])").await;
    assert!(
        one.contains("INTERNALDATE \"03-Jan-2024 12:00:00 +0000\""),
        "{one}"
    );
    assert!(
        one.contains(
            "Subject: Single\r\nDate: Wed, 3 Jan 2024 12:00:00 +0000\r\n\r\nOne message.\r\n"
        ),
        "{one}"
    );
    c.ok("SELECT Old/2023").await;
    let both = c.ok("FETCH 1:2 (FLAGS BODY.PEEK[TEXT])").await;
    assert!(
        both.contains(
            "* 1 FETCH (FLAGS (\\Recent \\Seen) BODY[TEXT] {22}\r\nHello\r\nFrom the past\r\n)"
        ),
        "{both}"
    );
    assert!(
        both.contains("* 2 FETCH (FLAGS (\\Recent) BODY[TEXT] {7}\r\nWorld\r\n)"),
        "{both}"
    );

    // Errors: one clear line and exit 1; usage errors exit 2.
    let (code, err) = import(&env, &["nobody@localhost", eml.to_str().expect("path")]).await;
    assert_eq!(
        (code, err.as_str()),
        (1, "postern: no address nobody@localhost\n")
    );
    let missing = dir.path().join("missing.eml");
    let (code, err) = import(&env, &[EMAIL, missing.to_str().expect("path")]).await;
    assert_eq!(code, 1);
    assert!(
        err.starts_with("postern: cannot read ") && err.lines().count() == 1,
        "{err}"
    );
    let (code, _) = import(&env, &[EMAIL]).await;
    assert_eq!(code, 2);
    watcher.send(b"DONE\r\n").await;
}
