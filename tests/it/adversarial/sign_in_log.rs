//! Failed sign-ins leave a trace fail2ban can act on: a real `postern serve` is sent wrong
//! passwords on every protocol (IMAP, POP3, SMTP, the sign-in form, the API's login and
//! re-authentication, a link request, a password change) and throttled ones, one of them with
//! a login made to forge a log line; then Debian's `fail2ban-regex` runs the filter printed in
//! `docs/fail2ban.md` over the log the server wrote, and finds exactly those lines, all from
//! the attacker's address.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};

use postern_testkit::{Need, requires};
use reqwest::StatusCode;
use serde_json::json;

use super::{Line, RIGHTFUL, plain};
use crate::serve::{read_until, serve_with, terminate};

/// The attacker's address; the owner signs in from [`RIGHTFUL`].
const ATTACKER: Ipv4Addr = Ipv4Addr::LOCALHOST;
const ADMIN: &str = "admin@localhost";
const NEW_PASSWORD: &str = "the owner's new long password";
/// Failures before the source is throttled: one for each way in tried below.
const FREE_FAILURES: &str = "8";

/// The `[Definition]` block of `docs/fail2ban.md`, as a filter file's text.
fn filter_from_the_docs() -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/fail2ban.md"))
            .expect("docs/fail2ban.md");
    let start = doc
        .find("```ini\n[Definition]\n")
        .expect("a filter in docs/fail2ban.md")
        + "```ini\n".len();
    let len = doc[start..].find("```").expect("the filter's end");
    doc[start..start + len].to_owned()
}

/// The bound address of a listener, from the lines `postern serve` prints at start.
fn listener(banner: &str, key: &str) -> SocketAddr {
    banner
        .lines()
        .find_map(|l| l.trim().strip_prefix(key)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{key} in {banner}"))
}

fn http(from: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(from))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The session cookie an answer sets.
fn session_cookie(res: &reqwest::Response) -> String {
    res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn urlencoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A form posted to `path`; the answer's status and session cookie, if it set one.
async fn form(
    http: &reqwest::Client,
    web: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    fields: &[(&str, &str)],
) -> (StatusCode, Option<String>) {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencoded(v)))
        .collect();
    let mut req = http
        .post(format!("http://{web}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.join("&"));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await.unwrap();
    let set = res
        .headers()
        .get("set-cookie")
        .map(|_| session_cookie(&res))
        .filter(|c| c.contains("postern_session=") && !c.ends_with('='));
    (res.status(), set)
}

async fn json_post(
    http: &reqwest::Client,
    web: SocketAddr,
    path: &str,
    cookie: Option<&str>,
    body: serde_json::Value,
) -> reqwest::Response {
    let mut req = http.post(format!("http://{web}{path}")).json(&body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.send().await.unwrap()
}

/// Runs `fail2ban-regex` with `args`; its standard output.
fn fail2ban_regex(args: &[&str]) -> String {
    let out = Command::new("fail2ban-regex")
        .args(args)
        .output()
        .expect("fail2ban-regex runs (scripts/install-test-deps.sh installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "fail2ban-regex {args:?}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[tokio::test]
async fn failed_sign_ins_are_logged_for_fail2ban() {
    if !requires(&[Need::Fail2ban]) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let log_path = tmp.path().join("postern.log");
    let log = std::fs::File::create(&log_path).unwrap();
    // The web app on a port known in advance, so that its public URL is the one the requests
    // below use.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (listen, public_url) = (
        format!("127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}"),
    );
    let mut child = serve_with(
        tmp.path(),
        &[
            ("POSTERN_LIMITS__AUTH_FREE_FAILURES", FREE_FAILURES),
            ("POSTERN_LIMITS__AUTH_FAILURE_PAUSE_MS", "0"),
            ("POSTERN_WEB__LISTEN", &listen),
            ("POSTERN_WEB__PUBLIC_URL", &public_url),
        ],
        Stdio::from(log),
    );
    let mut stdout = child.stdout.take().expect("stdout");
    let banner = read_until(&mut stdout, "change the password");
    let web = listener(&banner, "web.listen");
    let imap = listener(&banner, "imap.listen");
    let pop3 = listener(&banner, "pop3.listen");
    let smtp = listener(&banner, "smtp.listen");
    // Standard output is not a terminal: the first password is in a file.
    let first = std::fs::read_to_string(tmp.path().join("data/first-account.txt")).unwrap();
    let password = first
        .lines()
        .find_map(|l| l.strip_prefix("Password: "))
        .expect("the first password")
        .to_owned();

    // The owner signs in from its own address and changes its password: two INFO lines.
    let owner = http(RIGHTFUL);
    let (status, owner_cookie) = form(
        &owner,
        web,
        "/sign-in",
        None,
        &[("login", ADMIN), ("password", &password)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let owner_cookie = owner_cookie.expect("a session");
    let (changed, _) = form(
        &owner,
        web,
        "/account/password",
        Some(&owner_cookie),
        &[
            ("current", &password),
            ("new", NEW_PASSWORD),
            ("repeat", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(changed, StatusCode::SEE_OTHER, "the password is changed");

    // The attacker holds the account too (a third INFO line), and then guesses wrong on every
    // way in: eight WARN lines.
    let attacker = http(ATTACKER);
    let res = json_post(
        &attacker,
        web,
        "/api/v1/login",
        None,
        json!({"login": ADMIN, "password": NEW_PASSWORD}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let session = session_cookie(&res);

    let mut c = Line::connect_from(ATTACKER, imap).await.unwrap();
    c.line().await.unwrap();
    c.send(b"a LOGIN admin@localhost aaaa-bbbb-cccc-dddd-eeee-ffff\r\n")
        .await
        .unwrap();
    assert!(c.tagged("a").await.unwrap().contains("a NO "));

    let mut c = Line::connect_from(ATTACKER, pop3).await.unwrap();
    c.line().await.unwrap();
    c.send(b"USER admin@localhost\r\n").await.unwrap();
    c.line().await.unwrap();
    c.send(b"PASS aaaa-bbbb-cccc-dddd-eeee-ffff\r\n")
        .await
        .unwrap();
    assert!(c.line().await.unwrap().starts_with("-ERR"));

    let mut c = Line::connect_from(ATTACKER, smtp).await.unwrap();
    c.line().await.unwrap();
    c.send(b"EHLO attacker.example\r\n").await.unwrap();
    c.reply().await.unwrap();
    let auth = format!(
        "AUTH PLAIN {}\r\n",
        plain(ADMIN, "aaaa-bbbb-cccc-dddd-eeee-ffff")
    );
    c.send(auth.as_bytes()).await.unwrap();
    assert!(c.reply().await.unwrap().starts_with("535 "));

    let (status, _) = form(
        &attacker,
        web,
        "/sign-in",
        None,
        &[("login", ADMIN), ("password", "a wrong guess")],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let res = json_post(
        &attacker,
        web,
        "/api/v1/login",
        None,
        json!({"login": ADMIN, "password": "a wrong guess"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = json_post(
        &attacker,
        web,
        "/api/v1/reauth",
        Some(&session),
        json!({"password": "a wrong guess"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = json_post(
        &attacker,
        web,
        "/api/v1/links",
        Some(&session),
        json!({"address": "someone@localhost", "password": "aaaa-bbbb-cccc-dddd-eeee-ffff"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = form(
        &attacker,
        web,
        "/account/password",
        Some(&session),
        &[
            ("current", "a wrong guess"),
            ("new", "another long password"),
            ("repeat", "another long password"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Throttled now: two more WARN lines, one with a login made to look like a line of its
    // own from another address.
    let forged = format!(
        "{ADMIN}\" reason=wrong-password\n2026-03-02T09:30:00.000000Z  WARN postern::auth: \
         sign-in failed protocol=imap ip=203.0.113.9 login=\"x\" reason=wrong-password"
    );
    let res = json_post(
        &attacker,
        web,
        "/api/v1/login",
        None,
        json!({"login": forged, "password": "a wrong guess"}),
    )
    .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let mut c = Line::connect_from(ATTACKER, imap).await.unwrap();
    c.line().await.unwrap();
    c.send(b"a LOGIN admin@localhost aaaa-bbbb-cccc-dddd-eeee-ffff\r\n")
        .await
        .unwrap();
    assert!(c.tagged("a").await.unwrap().contains("NO [UNAVAILABLE]"));

    terminate(&child);
    let _ = std::io::Read::read_to_end(&mut stdout, &mut Vec::new());
    child.wait().unwrap();
    let written = std::fs::read_to_string(&log_path).unwrap();

    // The lines themselves: one per attempt, in the documented format, never a password.
    let auth: Vec<&str> = written
        .lines()
        .filter(|l| l.contains(" postern::auth: "))
        .collect();
    eprintln!("{}", auth.join("\n"));
    let failed: Vec<&str> = auth
        .iter()
        .copied()
        .filter(|l| l.contains(" WARN postern::auth: sign-in failed "))
        .collect();
    assert_eq!(failed.len(), 10, "{written}");
    for protocol in [
        "imap",
        "pop3",
        "smtp",
        "web",
        "api",
        "api-reauth",
        "link",
        "password-change",
    ] {
        assert!(
            failed.iter().any(
                |l| l.contains(&format!(" protocol={protocol} ip=127.0.0.1 "))
                    && l.ends_with(" reason=wrong-password")
            ),
            "a wrong password on {protocol}: {written}"
        );
    }
    assert_eq!(
        failed
            .iter()
            .filter(|l| l.ends_with(" reason=throttled"))
            .count(),
        2,
        "{written}"
    );
    assert!(
        auth.iter().any(|l| l.contains(
            " INFO postern::auth: sign-in succeeded protocol=web ip=127.0.0.2 login=\"admin@localhost\""
        )),
        "{written}"
    );
    assert!(
        auth.iter().any(|l| l.contains(
            " INFO postern::auth: password changed protocol=password-change ip=127.0.0.2 \
             login=\"admin@localhost\""
        )),
        "{written}"
    );
    assert!(
        !written
            .lines()
            .any(|l| l.starts_with("2026-03-02T09:30:00")),
        "a login forged a line: {written}"
    );
    let forged_line = failed
        .iter()
        .find(|l| l.contains("protocol=api") && l.ends_with("reason=throttled"))
        .unwrap();
    let login = &forged_line[forged_line.find("login=\"").unwrap() + 7..];
    assert!(
        login.starts_with("admin@localhost\\\" reason=wrong-password\\n2026-03-02T09:30"),
        "{forged_line}"
    );
    for secret in [password.as_str(), NEW_PASSWORD, "a wrong guess"] {
        assert!(!written.contains(secret), "a password was logged");
    }

    // fail2ban, with the filter exactly as the documentation gives it.
    let filter_path = tmp.path().join("postern-filter.conf");
    std::fs::write(&filter_path, filter_from_the_docs()).unwrap();
    let (log_arg, filter_arg) = (log_path.to_str().unwrap(), filter_path.to_str().unwrap());
    let report = fail2ban_regex(&[log_arg, filter_arg]);
    let lines_summary = report
        .lines()
        .find(|l| l.starts_with("Lines: "))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(
        lines_summary.contains(", 10 matched,"),
        "{lines_summary}\n{report}"
    );
    let ips = fail2ban_regex(&["--out", "ip", log_arg, filter_arg]);
    let ips: Vec<&str> = ips
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        ips,
        vec!["127.0.0.1"; 10],
        "the attacker's address, every time"
    );
}
