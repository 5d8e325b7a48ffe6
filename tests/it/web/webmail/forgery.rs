//! The webmail's compose follows the rule of SMTP submission: a message leaves only with the
//! sending address as its author. Naming another one is refused on the page, and nothing is
//! sent.

use axum::http::StatusCode;

use super::{ADMIN, CAROL, with_carol};
use crate::smtp::inbox;

#[tokio::test]
async fn another_author_is_refused_on_the_page_and_nothing_is_sent() {
    let app = with_carol().await;
    let cookie = app.sign_in_admin().await;
    let r = app
        .post(
            "/mail/admin@localhost/compose",
            Some(&cookie),
            &[
                ("from", "Carol <carol@example.com>"),
                ("to", CAROL),
                ("subject", "From someone else"),
                ("text", "Typed text"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains(
            "You cannot send as Carol &#60;carol@example.com&#62; from this address: \
             send as admin@localhost."
        ),
        "{}",
        r.body
    );
    assert!(r.body.contains(">Typed text</textarea>"));
    assert!(inbox(&app.server, CAROL).await.is_empty());
    let sent = app
        .get("/mail/admin@localhost/folder/Sent", Some(&cookie))
        .await;
    assert!(sent.body.contains("No messages"));
}

#[tokio::test]
async fn the_own_address_is_the_only_author_of_what_is_sent() {
    let app = with_carol().await;
    let cookie = app.sign_in_admin().await;
    // Named by the form, in another case; and a subject that tries to add a header line.
    let r = app
        .post(
            "/mail/admin@localhost/compose",
            Some(&cookie),
            &[
                ("from", "Admin@Localhost"),
                ("to", CAROL),
                ("subject", "Hello\r\nFrom: carol@example.com"),
                ("text", "Hi"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let got = inbox(&app.server, CAROL).await;
    assert_eq!(got.len(), 1);
    let headers = &got[0][..got[0].find("\r\n\r\n").unwrap()];
    let authors: Vec<&str> = headers
        .split("\r\n")
        .filter(|l| l.to_ascii_lowercase().starts_with("from:"))
        .collect();
    assert_eq!(authors, [format!("From: <{ADMIN}>")], "{headers}");
}
