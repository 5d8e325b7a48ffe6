//! curl over imap:// (STARTTLS required, and plain on loopback) and imaps://.

use postern_testkit::{Need, requires};

use super::{EMAIL, Env, message};
use postern_testkit::Listener;

async fn curl(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "20"])
        .args(args)
        .output()
        .await
        .expect("curl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_lists_reads_and_uploads() {
    if !requires(&[Need::Curl]) {
        return;
    }
    let env = Env::start().await;
    env.deliver(&message("Curl", "fetched by curl")).await;
    let plain = env.server.addr(Listener::Imap);
    let implicit = env.server.addr(Listener::ImapTls);
    let user = format!("{EMAIL}:{}", env.password);

    // LIST over STARTTLS (curl's --ssl-reqd refuses to go on without it).
    let (ok, out, err) =
        curl(&["--ssl-reqd", "-k", "-u", &user, &format!("imap://{plain}/")]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"),
        "{out}"
    );
    assert!(
        out.contains("* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"),
        "{out}"
    );

    // A message by UID over implicit TLS.
    let (ok, out, err) = curl(&[
        "-k",
        "-u",
        &user,
        &format!("imaps://{implicit}/INBOX;UID=1"),
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(out, message("Curl", "fetched by curl"));

    // An upload (APPEND) over plain IMAP on loopback.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("upload.eml");
    std::fs::write(&file, message("Uploaded", "sent with curl -T")).expect("written");
    let (ok, _, err) = curl(&[
        "-u",
        &user,
        "-T",
        file.to_str().expect("path"),
        &format!("imap://{plain}/Drafts"),
    ])
    .await;
    assert!(ok, "{err}");

    // A search and an EXAMINE as custom requests.
    let (ok, out, err) = curl(&[
        "-k",
        "-u",
        &user,
        "-X",
        "SEARCH SUBJECT Uploaded",
        &format!("imaps://{implicit}/Drafts"),
    ])
    .await;
    assert!(ok, "{err}");
    assert_eq!(out, "* SEARCH 1\r\n");

    // A wrong password fails.
    let (ok, _, err) = curl(&[
        "-k",
        "-u",
        &format!("{EMAIL}:wrong"),
        &format!("imaps://{implicit}/"),
    ])
    .await;
    assert!(!ok);
    assert!(
        err.contains("Login denied") || err.contains("(67)"),
        "{err}"
    );
}
