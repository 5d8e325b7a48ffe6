//! Bad input to the webmail: another account's mail, made-up message ids and folders, and
//! garbage forms get a clear error and change nothing.

use axum::http::StatusCode;
use postern_domain::Email;

use super::{ADMIN, CAROL, CAROL_PASSWORD, deliver, plain, with_carol};
use crate::web::harness::App;

/// Every mailbox of `email` with its messages' uids and flags, to compare before and after.
async fn snapshot(app: &App, email: &str) -> Vec<(String, Vec<(u32, u8)>)> {
    let store = app.server.core().store();
    let address = store
        .address_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    for m in store.mailboxes(address.id).await.unwrap() {
        let messages = store.messages(m.id).await.unwrap();
        let flags = messages.iter().map(|x| (x.uid, x.flags.system)).collect();
        out.push((m.name, flags));
    }
    out
}

#[tokio::test]
async fn another_accounts_mail_is_not_found_and_untouched() {
    let app = with_carol().await;
    deliver(
        &app,
        CAROL,
        &plain("dan@example.org", "Private", "For Carol only"),
    )
    .await;
    let before = snapshot(&app, CAROL).await;
    let admin = app.sign_in_admin().await;
    let base = "/mail/carol@example.com/folder/INBOX";
    for path in [
        "/mail/carol@example.com".to_owned(),
        base.to_owned(),
        format!("{base}/state"),
        format!("{base}/1"),
        format!("{base}/1/body"),
        format!("{base}/1/parts/1"),
        "/mail/carol@example.com/compose".to_owned(),
    ] {
        let r = app.get(&path, Some(&admin)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!r.body.contains("Private"), "{path}");
    }
    for (path, fields) in [
        (format!("{base}/1/seen"), vec![("seen", "true")]),
        (format!("{base}/1/delete"), vec![]),
        (
            "/mail/carol@example.com/compose".to_owned(),
            vec![("to", ADMIN), ("subject", "As Carol"), ("text", "x")],
        ),
        ("/links/carol@example.com/remove".to_owned(), vec![]),
    ] {
        let r = app.post(&path, Some(&admin), &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The admin's own uid 1 does not exist either; the same uid of Carol's is no way in.
    let r = app
        .post(
            "/mail/admin@localhost/folder/INBOX/1/delete",
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(snapshot(&app, CAROL).await, before, "nothing changed");
    assert!(crate::smtp::inbox(&app.server, ADMIN).await.is_empty());
    // Carol herself still reads it, unread.
    let carol = app.sign_in(CAROL, CAROL_PASSWORD).await;
    let list = app.get("/mail/carol@example.com", Some(&carol)).await;
    assert!(list.body.contains("Private") && list.body.contains("Unread: "));
}

#[tokio::test]
async fn garbage_ids_folders_and_forms_change_nothing() {
    let app = with_carol().await;
    deliver(&app, ADMIN, &plain("dan@example.org", "Mine", "Hello")).await;
    let cookie = app.sign_in_admin().await;
    let before = snapshot(&app, ADMIN).await;
    let base = "/mail/admin@localhost/folder/INBOX";
    for path in [
        format!("{base}/0"),
        format!("{base}/-1"),
        format!("{base}/99999999999"),
        format!("{base}/1x"),
        format!("{base}/1/parts/x"),
        format!("{base}/1/parts/99"),
        "/mail/admin@localhost/folder/..%2FINBOX".to_owned(),
        "/mail/admin@localhost/folder/%00".to_owned(),
        "/mail/not-an-address/folder/INBOX".to_owned(),
        "/mail/nobody@localhost".to_owned(),
    ] {
        let r = app.get(&path, Some(&cookie)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let page = app.get("/?page=abc", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    for fields in [vec![("seen", "maybe")], vec![], vec![("seen", "")]] {
        let r = app
            .post(&format!("{base}/1/seen"), Some(&cookie), &fields)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{fields:?}");
        assert!(
            r.body.contains("seen"),
            "the error names the field: {}",
            r.body
        );
    }
    for (to, subject) in [
        ("\u{fffd}\u{0}", "x"),
        ("a@b.example\r\nBcc: c@d.example", "x"),
    ] {
        let r = app
            .post(
                "/mail/admin@localhost/compose",
                Some(&cookie),
                &[("to", to), ("subject", subject), ("text", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{to:?}");
        assert!(r.body.contains("is not an email address."), "{}", r.body);
    }
    for address in ["not an address", "carol\u{0}@example.com"] {
        let r = app
            .post(
                "/links/add",
                Some(&cookie),
                &[("address", address), ("password", "x\u{0}")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
        assert!(r.body.contains("is not right"), "{}", r.body);
    }
    let r = app
        .post(
            "/mail/admin@localhost/compose",
            Some(&cookie),
            &[("to", CAROL), ("subject", "Nul\u{0}"), ("text", "a\u{0}b")],
        )
        .await;
    assert_eq!(r.location(), "/mail/admin@localhost", "{}", r.body);
    let mut after = snapshot(&app, ADMIN).await;
    let sent = after.iter_mut().find(|(name, _)| name == "Sent").unwrap();
    assert_eq!(sent.1.len(), 1, "only the well-formed message was sent");
    sent.1.clear();
    assert_eq!(after, before, "nothing else changed");
}
