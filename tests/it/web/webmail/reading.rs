//! Reading mail in the web app: folders, the paged list, a message, read and unread, delete to
//! Trash, attachments, and the state the page's script polls.

use axum::http::StatusCode;
use postern_domain::Email;
use postern_domain::mail::Flags;

use super::{ADMIN, deliver, message_links, plain};
use crate::web::harness::App;

async fn flags(app: &App, email: &str, folder: &str) -> Vec<(u32, bool)> {
    let store = app.server.core().store();
    let address = store
        .address_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mailbox = store.mailbox(address.id, folder).await.unwrap().unwrap();
    store
        .messages(mailbox.id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.uid, m.flags.has(Flags::SEEN)))
        .collect()
}

#[tokio::test]
async fn the_list_pages_newest_first_and_a_message_opens_read() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let empty = app.get("/", Some(&cookie)).await;
    assert!(empty.body.contains("No messages"), "{}", empty.body);
    for i in 1..=60 {
        let from = format!("Sender {i} <s{i}@example.org>");
        deliver(&app, ADMIN, &plain(&from, &format!("Message {i}"), "Hi")).await;
    }
    let home = app.get("/", Some(&cookie)).await;
    assert_eq!(home.status, StatusCode::OK);
    let links = message_links(&home.body);
    assert_eq!(links.len(), 50);
    assert_eq!(links[0], "/mail/admin@localhost/folder/INBOX/60");
    assert_eq!(links[49], "/mail/admin@localhost/folder/INBOX/11");
    assert!(home.body.contains("1–50 of 60"));
    assert!(
        home.body.contains("Sender 60"),
        "the sender's name is shown"
    );
    assert!(
        home.body
            .contains("<time datetime=\"2026-03-02T08:00:00Z\">2026-03-02 08:00 UTC</time>")
    );
    assert_eq!(home.body.matches("Unread: </span>").count(), 50);
    assert!(
        home.body
            .contains("<span>Inbox</span><span class=\"count\" title=\"60 unread\">")
    );
    for folder in ["Drafts", "Sent", "Archive", "Junk", "Trash"] {
        assert!(
            home.body.contains(&format!("<span>{folder}</span>")),
            "{folder}"
        );
    }
    assert!(
        home.body
            .contains(r#"href="/mail/admin@localhost/folder/INBOX?page=2">Older</a>"#)
    );
    let older = app
        .get("/mail/admin@localhost/folder/INBOX?page=2", Some(&cookie))
        .await;
    assert_eq!(message_links(&older.body).len(), 10);
    assert!(older.body.contains("51–60 of 60"));
    assert!(older.body.contains(">Newer</a>"));
    // A page past the end shows the last one.
    let far = app.get("/?page=99", Some(&cookie)).await;
    assert_eq!(message_links(&far.body).len(), 10);

    let message = app.get(&links[0], Some(&cookie)).await;
    assert_eq!(message.status, StatusCode::OK);
    assert!(
        message
            .body
            .contains("<h2 id=\"pane-title\" class=\"message-subject\">Message 60</h2>")
    );
    assert!(message.body.contains("Sender 60 &#60;s60@example.org&#62;"));
    assert!(
        message
            .body
            .contains("<pre class=\"message-text\">Hi\r\n</pre>"),
        "{}",
        message.body
    );
    assert!(
        flags(&app, ADMIN, "INBOX").await.contains(&(60, true)),
        "opened, so read"
    );
    let home = app.get("/", Some(&cookie)).await;
    assert_eq!(home.body.matches("Unread: </span>").count(), 49);

    let r = app
        .post(
            &format!("{}/seen", links[0]),
            Some(&cookie),
            &[("seen", "false")],
        )
        .await;
    assert_eq!(r.location(), "/mail/admin@localhost/folder/INBOX");
    assert!(flags(&app, ADMIN, "INBOX").await.contains(&(60, false)));
    let r = app
        .post(
            &format!("{}/seen", links[0]),
            Some(&cookie),
            &[("seen", "true")],
        )
        .await;
    assert_eq!(r.location(), links[0]);
    assert!(flags(&app, ADMIN, "INBOX").await.contains(&(60, true)));

    let r = app
        .post(&format!("{}/delete", links[0]), Some(&cookie), &[])
        .await;
    assert_eq!(r.location(), "/mail/admin@localhost/folder/INBOX");
    let next = app.get("/", Some(&r.with_cookies(&cookie))).await;
    assert!(next.body.contains("The message was moved to Trash."));
    assert_eq!(flags(&app, ADMIN, "INBOX").await.len(), 59);
    assert_eq!(
        app.get(&links[0], Some(&cookie)).await.status,
        StatusCode::NOT_FOUND
    );
    let trash = app
        .get("/mail/admin@localhost/folder/Trash", Some(&cookie))
        .await;
    let in_trash = message_links(&trash.body);
    assert_eq!(in_trash, ["/mail/admin@localhost/folder/Trash/1"]);
    assert!(trash.body.contains("Message 60"));
    let r = app
        .post(&format!("{}/delete", in_trash[0]), Some(&cookie), &[])
        .await;
    let after = app
        .get(
            "/mail/admin@localhost/folder/Trash",
            Some(&r.with_cookies(&cookie)),
        )
        .await;
    assert!(after.body.contains("The message was deleted."));
    assert!(flags(&app, ADMIN, "Trash").await.is_empty());
    for bad in [
        "/mail/admin@localhost/folder/Nope",
        "/mail/admin@localhost/folder/INBOX/999",
        "/mail/admin@localhost/folder/INBOX/x",
    ] {
        assert_eq!(
            app.get(bad, Some(&cookie)).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
}

async fn state(app: &App, cookie: &str) -> serde_json::Value {
    let r = app
        .get("/mail/admin@localhost/folder/INBOX/state", Some(cookie))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("cache-control"), "no-store");
    r.json()
}

#[tokio::test]
async fn the_polled_state_follows_the_folder() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let before = state(&app, &cookie).await;
    assert_eq!(
        (before["messages"].as_u64(), before["unseen"].as_u64()),
        (Some(0), Some(0))
    );
    let page = app.get("/", Some(&cookie)).await;
    let modseq = before["modseq"].as_i64().unwrap();
    assert!(page.body.contains(&format!(
        r#"data-live="/mail/admin@localhost/folder/INBOX/state" data-modseq="{modseq}" data-address="admin@localhost""#
    )));
    deliver(&app, ADMIN, &plain("a@example.org", "New", "x")).await;
    let after = state(&app, &cookie).await;
    assert!(after["modseq"].as_i64().unwrap() > modseq);
    assert_eq!(
        (after["messages"].as_u64(), after["unseen"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        app.get("/mail/admin@localhost/folder/INBOX/state", None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn attachments_download_as_opaque_files_and_html_has_its_own_strict_policy() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let raw = "From: a@example.org\nSubject: Files\nMIME-Version: 1.0\n\
        Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n\n\
        <p>See <b>attached</b> <img src=\"https://tracker.example/p.gif\"></p>\n\
        --b\nContent-Type: text/html; name=\"page.html\"\n\
        Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%22%3B.html\n\n\
        <script>alert(1)</script>\n--b--\n";
    deliver(&app, ADMIN, raw).await;
    let url = "/mail/admin@localhost/folder/INBOX/1";
    let page = app.get(url, Some(&cookie)).await;
    assert!(page.body.contains(&format!(
        r#"<iframe class="message-html" title="Message" src="{url}/body" sandbox="allow-popups allow-popups-to-escape-sandbox""#
    )), "{}", page.body);
    assert!(page.body.contains(&format!(
        r#"<a href="{url}?remote=1">Show remote images</a>"#
    )));
    assert!(page.body.contains("résumé&#34;;.html"), "{}", page.body);
    assert!(!page.body.contains("<script>alert"));

    let body = app.get(&format!("{url}/body"), Some(&cookie)).await;
    assert_eq!(body.status, StatusCode::OK);
    let csp = body.header("content-security-policy");
    assert!(
        csp.starts_with("default-src 'none'; img-src data:;"),
        "{csp}"
    );
    assert!(
        csp.contains("sandbox allow-popups") && csp.contains("frame-ancestors 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("script-src"), "{csp}");
    assert_eq!(body.header("x-frame-options"), "SAMEORIGIN");
    assert!(
        body.body.contains("<p>See <b>attached</b> <img></p>"),
        "{}",
        body.body
    );
    let remote = app
        .get(&format!("{url}/body?remote=1"), Some(&cookie))
        .await;
    assert!(
        remote
            .header("content-security-policy")
            .contains("img-src data: https: http:;")
    );
    assert!(
        remote
            .body
            .contains("src=\"https://tracker.example/p.gif\"")
    );
    let shown = app.get(&format!("{url}?remote=1"), Some(&cookie)).await;
    assert!(!shown.body.contains("Show remote images"));
    assert!(shown.body.contains(&format!("src=\"{url}/body?remote=1\"")));

    let link = page.body.find("/parts/").map(|i| {
        let rest = &page.body[i..];
        format!("{url}{}", &rest[..rest.find('"').unwrap()])
    });
    let file = app.get(&link.unwrap(), Some(&cookie)).await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.header("content-type"), "application/octet-stream");
    assert_eq!(
        file.header("content-disposition"),
        "attachment; filename=\"r_sum___.html\"; filename*=UTF-8''r%C3%A9sum%C3%A9%22%3B%2Ehtml"
    );
    assert_eq!(file.header("x-content-type-options"), "nosniff");
    assert!(file.header("content-security-policy").contains("sandbox"));
    // The line break before a boundary belongs to the boundary (RFC 2046).
    assert_eq!(file.body, "<script>alert(1)</script>");
    let missing = app.get(&format!("{url}/parts/0"), Some(&cookie)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn plain_text_is_shown_as_text() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    deliver(
        &app,
        ADMIN,
        &plain("a@example.org", "Markup", "<b onclick=x()>not bold</b>"),
    )
    .await;
    let page = app
        .get("/mail/admin@localhost/folder/INBOX/1", Some(&cookie))
        .await;
    assert!(
        page.body
            .contains("&#60;b onclick=x()&#62;not bold&#60;/b&#62;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<iframe"));
    let body = app
        .get("/mail/admin@localhost/folder/INBOX/1/body", Some(&cookie))
        .await;
    assert_eq!(
        body.status,
        StatusCode::NOT_FOUND,
        "a text message has no HTML body"
    );
}
