//! Sending from the webmail: through the same delivery path as SMTP submission, to a hosted
//! INBOX (read back with Python's imaplib) and to a smarthost for other domains; a copy in
//! Sent; refusals that keep what was typed.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use postern_testkit::{Need, TestServer, requires};

use super::{ADMIN, CAROL, account, with_carol};
use crate::smtp::sink::Sink;
use crate::smtp::{args, inbox, printed, python};
use crate::web::harness::form;
use postern_testkit::Listener;

/// A browser-like client of a real server's web listener, signed in.
struct Web {
    base: String,
    http: reqwest::Client,
    cookie: String,
}

impl Web {
    async fn sign_in(server: &TestServer, login: &str, password: &str) -> Web {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut web = Web {
            base: format!("http://{}", server.addr(Listener::Web)),
            http,
            cookie: String::new(),
        };
        let (status, headers, _) = web
            .post(
                "/sign-in",
                &[("login", login), ("password", password), ("next", "")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let set = headers["set-cookie"].to_str().unwrap();
        web.cookie = set.split(';').next().unwrap().to_owned();
        web
    }

    async fn post(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "same-origin")
            .body(form(fields))
            .send()
            .await
            .unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> String {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap()
    }
}

/// Reads the newest message of INBOX with imaplib and tells what Python's email package
/// makes of it.
const READ: &str = r#"
import imaplib, sys, json, email, email.policy
port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
M = imaplib.IMAP4("127.0.0.1", port)
M.login(user, password)
typ, data = M.select("INBOX")
assert typ == "OK", data
typ, data = M.fetch(data[0].decode(), "(RFC822)")
assert typ == "OK", data
raw = data[0][1]
m = email.message_from_bytes(raw, policy=email.policy.default)
print(json.dumps({
    "subject": str(m["subject"]), "from": str(m["from"]), "to": str(m["to"]), "cc": str(m["cc"]),
    "content_type": m.get_content_type(), "charset": m.get_content_charset(),
    "body": m.get_content(), "received": str(m["received"]), "return_path": str(m["return-path"]),
    "message_id": str(m["message-id"]), "date": str(m["date"]),
}))
M.logout()
"#;

#[tokio::test(flavor = "multi_thread")]
async fn sent_mail_reaches_a_hosted_inbox_over_imap_and_the_smarthost() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let sink = Sink::start().await;
    let smarthost = sink.addr.to_string();
    let server = TestServer::start_with(|c| c.smtp.smarthost = Some(smarthost)).await;
    server.account(CAROL, "carol's long password").await;
    server.address(CAROL, CAROL).await;
    let (_, carol_pw) = server.device(CAROL, "Laptop", "imap").await;
    let (login, password) = server.admin();
    let web = Web::sign_in(&server, &login, &password).await;

    let text = "Bonjour Carol,\r\nsee you at 9.\r\n.\r\nA line that is long enough to need \
                folding in a message of old: {}\r\n";
    let text = text.replace("{}", &"é".repeat(300));
    let (status, headers, body) = web
        .post(
            "/mail/admin@localhost/compose",
            &[
                ("to", "Carol <carol@example.com>"),
                ("cc", "friend@far.test"),
                ("subject", "Café ☕ plans"),
                ("text", &text),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(headers["location"], "/mail/admin@localhost");

    let port = server.addr(Listener::Imap).port().to_string();
    let out = python(READ, args(&[&port, CAROL, &carol_pw])).await;
    assert!(out.status.success(), "{}", printed(&out));
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(m["subject"], "Café ☕ plans");
    assert_eq!(m["from"], ADMIN);
    assert_eq!(m["to"], CAROL);
    assert_eq!(m["cc"], "friend@far.test");
    assert_eq!(
        (m["content_type"].as_str(), m["charset"].as_str()),
        (Some("text/plain"), Some("utf-8"))
    );
    assert_eq!(
        m["body"].as_str().unwrap().replace("\r\n", "\n"),
        text.replace("\r\n", "\n")
    );
    let received = m["received"].as_str().unwrap();
    assert!(
        received.starts_with("from webmail ([127.0.0.1])"),
        "{received}"
    );
    assert!(
        received.contains("(Postern) with HTTP") && received.contains("for <carol@example.com>"),
        "{received}"
    );
    assert_eq!(m["return_path"], "<admin@localhost>");
    assert!(
        m["message_id"].as_str().unwrap().ends_with("@localhost>"),
        "{m}"
    );

    // The other domain's copy went to the smarthost, without naming the hosted recipient.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sink.accepted().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let accepted = sink.accepted();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].from, ADMIN);
    assert_eq!(accepted[0].recipients, ["friend@far.test"]);
    assert!(
        accepted[0].data.starts_with("Received: from webmail"),
        "{}",
        accepted[0].data
    );
    assert!(!accepted[0].data.contains("for <"));
    assert!(
        accepted[0].data.contains("Subject: =?utf-8?"),
        "{}",
        accepted[0].data
    );

    // A copy, read, in Sent; nothing in the sender's own INBOX.
    let sent = web.get("/mail/admin@localhost/folder/Sent").await;
    assert!(sent.contains("Café ☕ plans"), "{sent}");
    assert!(sent.contains("<th scope=\"col\">To</th>"));
    assert!(!sent.contains("Unread: "));
    assert!(inbox(&server, ADMIN).await.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn refusals_keep_what_was_typed_and_send_nothing() {
    let app = with_carol().await;
    let cookie = app.sign_in_admin().await;
    let compose = app
        .get("/mail/admin@localhost/compose", Some(&cookie))
        .await;
    for label in ["To", "Cc", "Subject", "Message"] {
        assert!(
            compose.body.contains(&format!(">{label}</label>")),
            "{label}"
        );
    }
    assert!(compose.body.contains(">Send</button>"));
    let long = "x".repeat(501);
    for (to, subject, message) in [
        ("nobody", "Hello", "“nobody” is not an email address."),
        ("", "Hello", "Add at least one recipient."),
        (
            "someone@far.test",
            "Hello",
            "someone@far.test: this server does not send mail to other domains (no smarthost is configured).",
        ),
        (
            "ghost@example.com",
            "Hello",
            "ghost@example.com: there is no such address here.",
        ),
        (
            CAROL,
            &long,
            "The subject is too long: at most 500 characters.",
        ),
    ] {
        let r = app
            .post(
                "/mail/admin@localhost/compose",
                Some(&cookie),
                &[
                    ("to", to),
                    ("cc", ""),
                    ("subject", subject),
                    ("text", "Typed text"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{to}");
        assert!(r.body.contains(message), "{to}: {}", r.body);
        assert!(r.body.contains(">Typed text</textarea>"), "{to}");
        assert!(r.body.contains(&format!("value=\"{subject}\"")), "{to}");
    }
    // A request from another site changes nothing.
    let r = app
        .post_with(
            "/mail/admin@localhost/compose",
            Some(&cookie),
            &[("to", CAROL), ("subject", "Forged"), ("text", "x")],
            &[("sec-fetch-site", "cross-site")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(inbox(&app.server, CAROL).await.is_empty());
    let sent = app
        .get("/mail/admin@localhost/folder/Sent", Some(&cookie))
        .await;
    assert!(sent.body.contains("No messages"));
}

#[tokio::test]
async fn a_linked_address_sends_as_itself() {
    let app = with_carol().await;
    let (_, webmail) = app.server.device(CAROL, "For admin", "webmail").await;
    let admin = account(&app, ADMIN).await;
    app.server
        .core()
        .link_address(&admin, CAROL, &webmail, [127, 0, 0, 1].into())
        .await
        .unwrap();
    let cookie = app.sign_in_admin().await;
    let r = app
        .post(
            "/mail/carol@example.com/compose",
            Some(&cookie),
            &[
                ("to", ADMIN),
                ("subject", "From Carol's address"),
                ("text", "Hi"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/mail/carol@example.com");
    let got = inbox(&app.server, ADMIN).await;
    assert_eq!(got.len(), 1);
    assert!(
        got[0].contains("From: <carol@example.com>\r\n"),
        "{}",
        got[0]
    );
    assert!(got[0].starts_with("Return-Path: <carol@example.com>\r\n"));
    let sent = app
        .get("/mail/carol@example.com/folder/Sent", Some(&cookie))
        .await;
    assert!(
        sent.body.contains("From Carol&#39;s address"),
        "{}",
        sent.body
    );
}
