//! mbsync (isync) keeping a local Maildir and the server in step, both ways.

use std::path::Path;

use postern_testkit::{Need, requires};

use super::{EMAIL, Env, message};
use postern_testkit::Listener;

async fn mbsync(config: &Path) {
    let out = tokio::process::Command::new("mbsync")
        .arg("-c")
        .arg(config)
        .arg("-a")
        .output()
        .await
        .expect("mbsync runs");
    assert!(
        out.status.success(),
        "mbsync failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The files of a Maildir folder (new and cur).
fn files(folder: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(folder.join(sub)) {
            out.extend(entries.map(|e| e.expect("entry").path()));
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mbsync_syncs_both_ways() {
    if !requires(&[Need::Mbsync]) {
        return;
    }
    let env = Env::start().await;
    env.deliver(&message("FromServer", "delivered to the server"))
        .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let maildir = dir.path().join("mail");
    std::fs::create_dir_all(&maildir).expect("maildir");
    let addr = env.server.addr(Listener::Imap);
    let config = dir.path().join("mbsyncrc");
    std::fs::write(
        &config,
        format!(
            "IMAPAccount postern\nHost {}\nPort {}\nUser {EMAIL}\nPass {}\nSSLType None\nAuthMechs LOGIN\n\n\
             IMAPStore remote\nAccount postern\n\n\
             MaildirStore local\nPath {}/\nInbox {}/INBOX\nSubFolders Verbatim\n\n\
             Channel all\nFar :remote:\nNear :local:\nPatterns *\nCreate Both\nExpunge Both\nSyncState *\n",
            addr.ip(),
            addr.port(),
            env.password,
            maildir.display(),
            maildir.display(),
        ),
    )
    .expect("config written");

    // Server to local.
    mbsync(&config).await;
    let inbox = maildir.join("INBOX");
    let local = files(&inbox);
    assert_eq!(local.len(), 1, "{local:?}");
    let text = std::fs::read_to_string(&local[0]).expect("message file");
    assert!(text.contains("Subject: FromServer"), "{text}");
    for special in ["Sent", "Drafts", "Trash", "Junk", "Archive"] {
        assert!(
            maildir.join(special).join("cur").is_dir(),
            "no local {special}"
        );
    }

    // Local to server: a new message, a flag, and a new folder.
    std::fs::write(
        inbox.join("new").join("1700000000.1_1.local"),
        message("FromLocal", "written into the Maildir"),
    )
    .expect("local message");
    let seen = format!("{}:2,S", local[0].display()).replace("/new/", "/cur/");
    std::fs::rename(&local[0], &seen).expect("marked seen");
    let projects = maildir.join("Projects");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(projects.join(sub)).expect("folder");
    }
    std::fs::write(
        projects.join("new").join("1700000001.1_1.local"),
        message("Plan", "a project message"),
    )
    .expect("project message");
    mbsync(&config).await;

    let mut c = env.inbox().await;
    assert!(
        c.ok("SEARCH SUBJECT FromLocal")
            .await
            .starts_with("* SEARCH 2\r\n")
    );
    assert!(c.ok("SEARCH SEEN").await.starts_with("* SEARCH 1\r\n"));
    let projects_status = c.ok("STATUS Projects (MESSAGES)").await;
    assert!(
        projects_status.contains("(MESSAGES 1)"),
        "{projects_status}"
    );

    // A deletion on the server reaches the Maildir.
    c.ok("STORE 2 +FLAGS (\\Deleted)").await;
    c.ok("EXPUNGE").await;
    mbsync(&config).await;
    let left = files(&inbox);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        std::fs::read_to_string(&left[0])
            .expect("file")
            .contains("FromServer")
    );
}
