//! Tiny scripted IMAP and SMTP responders for the load generator's own tests: just enough
//! protocol for the loads to run over real sockets, and a kick port that says `* BYE` to
//! every open session (what a disconnect does).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

pub struct Responder {
    pub addr: SocketAddr,
    pub kick_addr: SocketAddr,
    pub logins: Arc<AtomicUsize>,
}

/// Starts an IMAP responder accepting `password` for any user.
pub async fn imap(password: &'static str) -> Responder {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let kicker = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr, kick_addr) = (listener.local_addr().unwrap(), kicker.local_addr().unwrap());
    let (kick_tx, _) = broadcast::channel::<()>(4);
    let logins = Arc::new(AtomicUsize::new(0));
    let tx = kick_tx.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = kicker.accept().await {
            let _ = tx.send(());
            let _ = s.write_all(b"HTTP/1.0 204 No Content\r\n\r\n").await;
        }
    });
    let counter = Arc::clone(&logins);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let kicked = kick_tx.subscribe();
            tokio::spawn(imap_session(s, password, kicked, Arc::clone(&counter)));
        }
    });
    Responder {
        addr,
        kick_addr,
        logins,
    }
}

async fn imap_session(
    stream: TcpStream,
    password: &str,
    mut kicked: broadcast::Receiver<()>,
    logins: Arc<AtomicUsize>,
) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let _ = write.write_all(b"* OK ready\r\n").await;
    let mut idle_tag: Option<String> = None;
    loop {
        let line = tokio::select! {
            line = lines.next_line() => match line { Ok(Some(l)) => l, _ => return },
            _ = kicked.recv() => {
                let _ = write.write_all(b"* BYE disconnected\r\n").await;
                return;
            }
        };
        if let Some(tag) = idle_tag.take() {
            let _ = write
                .write_all(format!("{tag} OK idle done\r\n").as_bytes())
                .await;
            continue;
        }
        let mut words = line.splitn(3, ' ');
        let (tag, verb, rest) = (
            words.next().unwrap_or("").to_owned(),
            words.next().unwrap_or("").to_ascii_uppercase(),
            words.next().unwrap_or(""),
        );
        let reply = match verb.as_str() {
            "LOGIN" if rest.ends_with(&format!(" \"{password}\"")) => {
                logins.fetch_add(1, Ordering::Relaxed);
                format!("{tag} OK logged in\r\n")
            }
            "LOGIN" => format!("{tag} NO [AUTHENTICATIONFAILED] wrong\r\n"),
            "SELECT" => {
                format!("* 0 EXISTS\r\n* OK [UIDVALIDITY 1] ok\r\n{tag} OK [READ-WRITE] done\r\n")
            }
            // Every UID of a large mailbox, on one line.
            "UID" => format!(
                "* SEARCH{}\r\n{tag} OK done\r\n",
                (1..=50_000).map(|u| format!(" {u}")).collect::<String>()
            ),
            "FETCH" => {
                format!("* 1 FETCH (BODY[] {{7}}\r\nhi\r\n)\r\n) FLAGS ())\r\n{tag} OK done\r\n")
            }
            "IDLE" => {
                idle_tag = Some(tag);
                "+ idling\r\n* OK Still here\r\n".to_owned()
            }
            "LOGOUT" => {
                let _ = write
                    .write_all(format!("* BYE bye\r\n{tag} OK done\r\n").as_bytes())
                    .await;
                return;
            }
            _ => format!("{tag} BAD what\r\n"),
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Starts an SMTP responder; returns its address and the count of messages accepted.
pub async fn smtp() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                let (read, mut write) = s.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 ready\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        counter.fetch_add(1, Ordering::Relaxed);
                        b"250 queued\r\n"
                    } else {
                        match line.get(..4).unwrap_or("").to_ascii_uppercase().as_str() {
                            "EHLO" => b"250-hello\r\n250 AUTH PLAIN\r\n",
                            // "\0u\0pw" in base64
                            "AUTH" if line == "AUTH PLAIN AHUAcHc=" => b"235 ok\r\n",
                            "AUTH" => b"535 no\r\n",
                            "MAIL" | "RCPT" => b"250 ok\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"500 what\r\n",
                        }
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

/// The loads run end to end against the responders.
mod tests {
    use std::time::{Duration, Instant};

    use clap::Parser;
    use serde_json::Value;

    use super::*;
    use crate::cli::{Cli, Command};

    async fn load(args: &[&str]) -> Value {
        let mut argv = vec!["postern-loadgen"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).unwrap();
        match cli.command {
            Command::ImapLogin(a) => crate::login::run(&a).await.unwrap(),
            Command::ImapIdle(a) => crate::idle::run(&a).await.unwrap(),
            Command::Revoke(a) => crate::revoke::run(&a).await.unwrap(),
            Command::RevokeInProcess(a) => crate::revoke::run_in_process(&a).await.unwrap(),
            Command::SmtpSubmit(a) => crate::submit::run(&a).await.unwrap(),
            Command::ImapCommands(a) => crate::commands::run(&a).await.unwrap(),
            Command::Report(_) => unreachable!(),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn imap_login_runs_every_cycle_and_counts_refusals() {
        let r = imap("s3cret").await;
        let addr = r.addr.to_string();
        let common = ["--addr", &addr, "--user", "u@x.test", "-n", "40", "-c", "4"];
        let ok = load(
            &[
                &[
                    "imap-login",
                    "--password",
                    "s3cret",
                    "--source-ips",
                    "3",
                    "--label",
                    "t",
                ],
                &common[..],
            ]
            .concat(),
        )
        .await;
        assert_eq!(ok["ok"], 40, "{ok}");
        assert_eq!(ok["errors"], 0, "{ok}");
        assert_eq!(ok["label"], "t");
        assert_eq!(ok["login"]["count"], 40);
        assert!(ok["rate"].as_f64().unwrap() > 0.0);
        assert!(ok["p99_ms"].as_f64().unwrap() >= ok["p50_ms"].as_f64().unwrap());
        assert_eq!(r.logins.load(Ordering::Relaxed), 40);
        let bad = load(&[&["imap-login", "--password", "wrong"], &common[..]].concat()).await;
        assert_eq!(bad["ok"], 0);
        assert_eq!(bad["errors"], 40);
        let sample = bad["error_samples"][0].as_str().unwrap();
        assert!(sample.contains("AUTHENTICATIONFAILED"), "{sample}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn imap_commands_times_each_run_to_its_tagged_answer() {
        let r = imap("s3cret").await;
        let addr = r.addr.to_string();
        let common = [
            "imap-commands",
            "--addr",
            &addr,
            "--user",
            "u@x.test",
            "--password",
            "s3cret",
        ];
        let fetch = [
            "--command",
            "FETCH 1 (BODY[])",
            "-n",
            "5",
            "--label",
            "mailbox/t/f",
        ];
        let out = load(&[&common[..], &fetch[..]].concat()).await;
        // The literal holds a line that looks like the end of the answer; it is skipped whole.
        assert_eq!(out["errors"], 0, "{out}");
        assert_eq!(out["timed"]["count"], 5, "{out}");
        assert_eq!(out["label"], "mailbox/t/f");
        assert!(out["p50_ms"].as_f64().unwrap() >= out["min_ms"].as_f64().unwrap());
        assert_eq!(r.logins.load(Ordering::Relaxed), 1);
        // A SEARCH answer of 50,000 UIDs is one line of 290 KB.
        let search = ["--command", "UID SEARCH UNSEEN", "-n", "2"];
        let out = load(&[&common[..], &search[..]].concat()).await;
        assert_eq!(out["errors"], 0, "{out}");
        assert_eq!(out["timed"]["count"], 2, "{out}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn loads_stop_at_the_duration_limit() {
        // Accepts connections (in the backlog) but never greets.
        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap().to_string();
        let begun = Instant::now();
        let out = load(&[
            "imap-login",
            "--addr",
            &addr,
            "-n",
            "1000000",
            "--duration-limit",
            "0.5",
        ])
        .await;
        assert!(
            begun.elapsed() < Duration::from_secs(3),
            "{:?}",
            begun.elapsed()
        );
        assert_eq!(out["truncated"], true);
        assert_eq!(out["ok"], 0);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn imap_idle_holds_sessions_and_reads_memory() {
        let r = imap("pw").await;
        let (addr, pid) = (r.addr.to_string(), std::process::id().to_string());
        let out = load(&[
            "imap-idle",
            "--addr",
            &addr,
            "--user",
            "u",
            "--password",
            "pw",
            "-n",
            "30",
            "-c",
            "8",
            "--pid",
            &pid,
            "--settle",
            "0.1",
            "--hold",
            "0.3",
        ])
        .await;
        assert_eq!(out["ok"], 30, "{out}");
        assert_eq!(out["held"], 30, "{out}");
        assert_eq!(out["errors"], 0, "{out}");
        assert!(out["memory_idle"]["rss_kib"].as_u64().unwrap() > 0, "{out}");
        assert!(out["per_connection_pss_kib"].is_number(), "{out}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn revoke_times_every_session_to_its_bye() {
        // The disconnect command calls the kick endpoint with curl.
        if !postern_testkit::requires(&[postern_testkit::Need::Curl]) {
            return;
        }
        let r = imap("pw-7").await;
        let addr = r.addr.to_string();
        let kick = format!("curl -s http://{}/{{id}}", r.kick_addr);
        let out = load(&[
            "revoke",
            "--addr",
            &addr,
            "--user",
            "u",
            "-n",
            "15",
            "-c",
            "5",
            "--trials",
            "3",
            "--device-cmd",
            "echo dev-7 pw-7",
            "--disconnect-cmd",
            &kick,
        ])
        .await;
        assert_eq!(out["trials_complete"], 3, "{out}");
        assert_eq!(out["errors"], 0, "{out}");
        for trial in out["trials"].as_array().unwrap() {
            assert_eq!(trial["bye"], 15, "{trial}");
            assert_eq!(trial["survivors"], 0);
        }
        let (p50, max) = (
            out["from_start"]["p50_ms"].as_f64().unwrap(),
            out["max_ms"].as_f64().unwrap(),
        );
        assert!(p50 > 0.0 && max >= p50, "{out}");
        let failing = load(&[
            "revoke",
            "--addr",
            &addr,
            "--user",
            "u",
            "--password",
            "pw-7",
            "-n",
            "3",
            "--disconnect-cmd",
            "false",
        ])
        .await;
        assert_eq!(failing["trials_complete"], 0, "{failing}");
        assert_eq!(failing["errors"], 1, "{failing}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn revoke_in_process_closes_every_session_of_a_real_postern() {
        let out = load(&["revoke-in-process", "-n", "12", "-c", "4", "--trials", "2"]).await;
        assert_eq!(out["command"], "revoke-in-process", "{out}");
        assert_eq!(out["disconnect"], "in-process", "{out}");
        assert_eq!(out["trials_complete"], 2, "{out}");
        assert_eq!(out["errors"], 0, "{out}");
        for trial in out["trials"].as_array().unwrap() {
            // Postern says goodbye to each session of the disconnected device.
            assert_eq!(trial["bye"], 12, "{trial}");
            assert_eq!(trial["survivors"], 0, "{trial}");
        }
        assert!(out["after_return"]["p99_ms"].as_f64().is_some(), "{out}");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn smtp_submit_sends_exactly_the_count() {
        let (addr, accepted) = smtp().await;
        let addr = addr.to_string();
        let out = load(&[
            "smtp-submit",
            "--addr",
            &addr,
            "--user",
            "u",
            "--password",
            "pw",
            "-n",
            "25",
            "-c",
            "3",
            "--per-connection",
            "4",
            "--size",
            "600",
        ])
        .await;
        assert_eq!(out["ok"], 25, "{out}");
        assert_eq!(out["errors"], 0, "{out}");
        assert_eq!(accepted.load(Ordering::Relaxed), 25);
        let refused = load(&[
            "smtp-submit",
            "--addr",
            &addr,
            "--user",
            "u",
            "--password",
            "no",
            "-n",
            "2",
        ])
        .await;
        assert_eq!(refused["ok"], 0);
        assert!(
            refused["error_samples"][0]
                .as_str()
                .unwrap()
                .contains("535"),
            "{refused}"
        );
    }
}
