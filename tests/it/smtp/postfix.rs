//! Debian's Postfix, as a private instance in a temporary directory on a loopback port,
//! delivering a domain to Postern over LMTP (the set-up of docs/postfix.md):
//! swaks → Postfix → Postern → the INBOX.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use postern_testkit::{Need, requires};

use super::{args, printed, server_with, swaks, wait_for_inbox};
use postern_testkit::Listener;

/// A private Postfix instance; stopped when dropped.
struct Postfix {
    dir: tempfile::TempDir,
    smtp: SocketAddr,
}

impl Postfix {
    /// Starts Postfix relaying `domain` to the LMTP server at `lmtp`.
    fn start(domain: &str, lmtp: SocketAddr) -> Postfix {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // Postfix's daemons run as the `postfix` user and must reach the queue.
        set_mode(root, 0o755);
        for sub in ["etc", "queue", "data"] {
            std::fs::create_dir(root.join(sub)).unwrap();
        }
        run(
            "chown",
            &["postfix", &root.join("data").display().to_string()],
        );
        let smtp: SocketAddr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap()
        };
        let main_cf = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {queue}\n\
             data_directory = {data}\n\
             maillog_file = {data}/maillog\n\
             maillog_file_prefixes = {root}\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             myhostname = mx.postfix.test\n\
             mydestination =\n\
             inet_interfaces = loopback-only\n\
             inet_protocols = ipv4\n\
             mynetworks = 127.0.0.0/8\n\
             alias_maps =\n\
             alias_database =\n\
             smtp_dns_support_level = disabled\n\
             virtual_mailbox_domains = {domain}\n\
             virtual_transport = lmtp:inet:{lmtp}\n\
             smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n\
             queue_run_delay = 1s\n\
             minimal_backoff_time = 1s\n\
             maximal_backoff_time = 2s\n",
            queue = root.join("queue").display(),
            data = root.join("data").display(),
            root = root.display(),
        );
        std::fs::write(root.join("etc/main.cf"), main_cf).unwrap();
        std::fs::write(root.join("etc/master.cf"), master_cf(smtp)).unwrap();
        let postfix = Postfix { dir, smtp };
        let out = postfix.command("start");
        assert!(
            out.status.success(),
            "postfix start: {}\n{}",
            printed(&out),
            postfix.log()
        );
        postfix
    }

    fn config_dir(&self) -> PathBuf {
        self.dir.path().join("etc")
    }

    fn command(&self, what: &str) -> std::process::Output {
        Command::new("postfix")
            .arg("-c")
            .arg(self.config_dir())
            .arg(what)
            .output()
            .expect("Debian's postfix is installed (apt-get install postfix)")
    }

    /// Postfix's own log, for failure messages.
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/maillog")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = self.command("stop");
    }
}

fn master_cf(smtp: SocketAddr) -> String {
    let services = [
        format!("{smtp} inet n - n - - smtpd"),
        "pickup unix n - n 60 1 pickup".into(),
        "cleanup unix n - n - 0 cleanup".into(),
        "qmgr unix n - n 300 1 qmgr".into(),
        "rewrite unix - - n - - trivial-rewrite".into(),
        "bounce unix - - n - 0 bounce".into(),
        "defer unix - - n - 0 bounce".into(),
        "trace unix - - n - 0 bounce".into(),
        "verify unix - - n - 1 verify".into(),
        "flush unix n - n 1000? 0 flush".into(),
        "proxymap unix - - n - - proxymap".into(),
        "smtp unix - - n - - smtp".into(),
        "showq unix n - n - - showq".into(),
        "error unix - - n - - error".into(),
        "retry unix - - n - - error".into(),
        "discard unix - - n - - discard".into(),
        "lmtp unix - - n - - lmtp".into(),
        "anvil unix - - n - 1 anvil".into(),
        "scache unix - - n - 1 scache".into(),
        "postlog unix-dgram n - n - 1 postlogd".into(),
    ];
    services.join("\n") + "\n"
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn run(program: &str, arguments: &[&str]) {
    let out = Command::new(program).args(arguments).output().unwrap();
    assert!(out.status.success(), "{program}: {}", printed(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn postfix_delivers_a_domain_to_postern_over_lmtp() {
    if !requires(&[Need::Postfix, Need::Swaks]) {
        return;
    }
    let server = server_with(|_| {}).await;
    let lmtp = server.addr(Listener::Lmtp);
    let postfix = tokio::task::spawn_blocking(move || Postfix::start("example.org", lmtp))
        .await
        .unwrap();
    let out = swaks(args(&[
        "-s",
        "127.0.0.1",
        "-p",
        &postfix.smtp.port().to_string(),
        "-f",
        "someone@far.test",
        "-t",
        "alice@example.org",
        "--header",
        "Subject: through Postfix",
        "--body",
        "Hello from the outside.",
    ]))
    .await;
    assert!(out.status.success(), "swaks to Postfix: {}", printed(&out));
    let messages = wait_for_inbox(&server, "alice@example.org", 1, 60).await;
    assert_eq!(messages.len(), 1, "Postfix's log:\n{}", postfix.log());
    let m = &messages[0];
    assert!(m.starts_with("Return-Path: <someone@far.test>\r\n"), "{m}");
    assert!(
        m.contains(
            "Received: from mx.postfix.test ([127.0.0.1])\r\n\tby localhost (Postern) with LMTP"
        ),
        "{m}"
    );
    assert!(m.contains("Subject: through Postfix\r\n"), "{m}");
    assert!(m.contains("Hello from the outside."), "{m}");
    assert!(postfix.log().contains("status=sent"), "{}", postfix.log());
    drop(postfix);
    server.stop().await;
}
