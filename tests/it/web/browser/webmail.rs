//! The owner's own webmail in Chromium: a message read, its attachment downloaded, marked
//! unread, deleted to Trash; a new message written and sent to another hosted address.

use postern_domain::Email;
use postern_testkit::{Need, requires};

use super::{Browser, Setup, Tab, lit, within_limit};
use crate::smtp::inbox;

const ADMIN: &str = "admin@localhost";
const CAROL: &str = "carol@example.com";

const REPORT: &str = "From: Erin <erin@example.org>\r\nTo: admin@localhost\r\n\
    Subject: Report\r\nDate: Mon, 2 Mar 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n\
    Content-Type: multipart/mixed; boundary=b\r\n\r\n\
    --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe figures are attached.\r\n\
    --b\r\nContent-Type: text/plain; name=figures.txt\r\n\
    Content-Disposition: attachment; filename=figures.txt\r\n\r\n1, 2, 3\r\n--b--\r\n";

/// The row of the message list that links to `subject`.
fn row(subject: &str) -> String {
    format!(
        "//table[contains(@class,'messages')]//tr[.//a[normalize-space(.)={}]]",
        lit(subject)
    )
}

/// The admin's address, to deliver mail to.
async fn admin_address(core: &postern_domain::Core) -> postern_domain::model::Address {
    core.store()
        .address_by_email(&Email::parse(ADMIN).unwrap())
        .await
        .unwrap()
        .unwrap()
}

async fn pane(t: &Tab, text: &str) {
    t.wait(&format!("//h2[normalize-space(.)={}]", lit(text)))
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn read_download_mark_delete_and_send_in_the_browser() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        b.server.account(CAROL, "carol's long password").await;
        b.server.address(CAROL, CAROL).await;
        let core = b.server.core();
        let address = admin_address(core).await;
        core.deliver(&address, REPORT.as_bytes()).await.unwrap();

        b.sign_in_admin().await;
        pane(&b, "Inbox").await;
        b.wait(&format!("{}[contains(@class,'unread')]", row("Report")))
            .await;
        b.follow("Report").await;
        pane(&b, "Report").await;
        let text = b.text().await;
        assert!(text.contains("The figures are attached."), "{text}");
        assert!(text.contains("Erin <erin@example.org>"), "{text}");
        assert!(text.contains("figures.txt"), "{text}");
        b.screenshot("webmail-message.png").await;

        // The attachment's link gives its bytes, as a download.
        let link = b.c.find(fantoccini::Locator::XPath(
            "//a[@aria-label='Download figures.txt']",
        ));
        let href = link.await.unwrap().attr("href").await.unwrap().unwrap();
        let fetched =
            b.c.execute(
                "return fetch(arguments[0]).then(r => r.text().then(t => \
                 [r.headers.get('content-disposition'), t]));",
                vec![serde_json::json!(href)],
            )
            .await
            .unwrap();
        assert_eq!(
            fetched,
            serde_json::json!([
                "attachment; filename=\"figures.txt\"; filename*=UTF-8''figures%2Etxt",
                "1, 2, 3"
            ])
        );

        // Opened means read; marked unread, it is bold in the list again.
        b.goto("/").await;
        pane(&b, "Inbox").await;
        b.wait(&format!(
            "{}[not(contains(@class,'unread'))]",
            row("Report")
        ))
        .await;
        b.follow("Report").await;
        b.follow("Mark as unread").await;
        pane(&b, "Inbox").await;
        assert!(b.text().await.contains("The message was marked as unread."));
        b.wait(&format!("{}[contains(@class,'unread')]", row("Report")))
            .await;

        // Deleted, it leaves the Inbox for Trash.
        b.follow("Report").await;
        b.follow("Delete").await;
        pane(&b, "Inbox").await;
        let text = b.text().await;
        assert!(text.contains("The message was moved to Trash."), "{text}");
        assert!(text.contains("No messages"), "{text}");
        b.follow("Trash").await;
        pane(&b, "Trash").await;
        b.wait(&row("Report")).await;

        // A new message to another hosted address: in her INBOX, and a copy in Sent.
        b.follow("New message").await;
        pane(&b, "New message").await;
        b.fill("To", CAROL).await;
        b.fill("Cc", "").await;
        b.fill("Subject", "Lunch on Friday?").await;
        b.fill("Message", "At noon, as usual.").await;
        b.screenshot("webmail-compose.png").await;
        b.follow("Send").await;
        pane(&b, "Inbox").await;
        assert!(b.text().await.contains("Your message was sent."));
        b.follow("Sent").await;
        pane(&b, "Sent").await;
        b.wait(&row("Lunch on Friday?")).await;
        let got = inbox(&b.server, CAROL).await;
        assert_eq!(got.len(), 1);
        assert!(
            got[0].contains("Subject: Lunch on Friday?\r\n"),
            "{}",
            got[0]
        );
        assert!(got[0].contains("At noon, as usual."), "{}", got[0]);
        b.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_search_box_finds_words_in_subjects_senders_and_text() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        let core = b.server.core();
        let address = admin_address(core).await;
        for (from, subject, text) in [
            (
                "Erin <erin@example.org>",
                "Walrus sighting",
                "Down at the pier.",
            ),
            (
                "Dan <dan@example.org>",
                "Minutes",
                "The WALRUS came up again.",
            ),
            ("Dan <dan@example.org>", "Lunch", "Noon, as usual."),
        ] {
            let message = format!(
                "From: {from}\r\nTo: admin@localhost\r\nSubject: {subject}\r\n\r\n{text}\r\n"
            );
            core.deliver(&address, message.as_bytes()).await.unwrap();
        }

        b.sign_in_admin().await;
        pane(&b, "Inbox").await;
        b.fill("Search Inbox", "walrus").await;
        b.follow("Search").await;
        b.wait(&row("Minutes")).await;
        b.wait(&row("Walrus sighting")).await;
        assert!(!b.text().await.contains("Lunch"));

        // Every word must be found, each anywhere: a sender and a word of the text.
        b.fill("Search Inbox", "dan walrus").await;
        b.follow("Search").await;
        b.wait(&row("Minutes")).await;
        let text = b.text().await;
        assert!(
            !text.contains("Walrus sighting") && !text.contains("Lunch"),
            "{text}"
        );

        b.fill("Search Inbox", "okapi").await;
        b.follow("Search").await;
        b.wait("//*[normalize-space(.)='No messages match “okapi”']")
            .await;
        b.follow("Show all").await;
        b.wait(&row("Lunch")).await;
        b.wait(&row("Minutes")).await;
        b.close().await;
    })
    .await;
}
