//! The article's cases 2 and 3 with two people in two browsers: the owner makes a device
//! password for Dana; Dana adds the address to her own Mail, reads and sends its mail; the
//! owner disconnects the device and the address vanishes from Dana's open page at once.

use fantoccini::Locator;
use postern_domain::Email;
use postern_testkit::{Need, requires};

use super::seed::add_a_device;
use super::{Browser, Setup, Tab, lit, within_limit};

const ADMIN: &str = "admin@localhost";
const DANA: &str = "dana@example.com";
const DANA_PASSWORD: &str = "dana's long password";

async fn deliver(b: &Browser, to: &str, subject: &str, text: &str) {
    let core = b.server.core();
    let address = core
        .store()
        .address_by_email(&Email::parse(to).unwrap())
        .await
        .unwrap()
        .unwrap();
    let raw = format!(
        "From: Erin <erin@example.org>\r\nTo: {to}\r\nSubject: {subject}\r\n\
         Date: Mon, 2 Mar 2026 08:00:00 +0000\r\n\r\n{text}\r\n"
    );
    core.deliver(&address, raw.as_bytes()).await.unwrap();
}

/// The Mail page's pane title (the list's folder, a message's subject, a form).
async fn pane(t: &Tab, text: &str) {
    t.wait(&format!("//h2[normalize-space(.)={}]", lit(text)))
        .await;
}

/// Dana's `Add an address` with the address and a device password.
async fn add_address(d: &Tab, password: &str) {
    d.follow("Add an address").await;
    pane(d, "Add an address").await;
    d.fill("Email address", ADMIN).await;
    d.fill("Device password", password).await;
    d.follow("Add the address").await;
}

/// Whether the page lists `address` among the account's addresses.
async fn listed(t: &Tab, address: &str) -> bool {
    !t.c.find_all(Locator::XPath(&format!(
        "//*[@aria-label={}]",
        lit(&format!("Actions for {address}"))
    )))
    .await
    .unwrap()
    .is_empty()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_password_lends_an_address_until_the_device_is_disconnected() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        b.server.account(DANA, DANA_PASSWORD).await;
        b.server.address(DANA, DANA).await;
        deliver(&b, ADMIN, "Welcome", "Hello from Erin.").await;

        // Case 2, the owner: "get a password so that a third-party user can add the address".
        b.sign_in_admin().await;
        b.advance_minutes(6);
        let password = add_a_device(&b, "Dana's webmail", false).await;

        // Dana, in her own browser, adds the address with that password.
        let d = b.another(Setup::Desktop).await;
        d.sign_in(DANA, DANA_PASSWORD, DANA).await;
        assert!(!listed(&d, ADMIN).await);
        add_address(&d, &password).await;
        d.wait(&format!(
            "//li[@data-address-item='{ADMIN}']//span[@class='badge' and normalize-space(.)='Linked']"
        ))
        .await;
        pane(&d, "Inbox").await;
        let text = d.text().await;
        assert!(text.contains("admin@localhost was added to your Mail."), "{text}");
        assert!(text.contains("Welcome") && text.contains("Erin"), "{text}");
        d.screenshot("linked-address.png").await;

        // She reads its mail...
        d.follow("Welcome").await;
        pane(&d, "Welcome").await;
        assert!(d.text().await.contains("Hello from Erin."));
        // ...has no settings of it...
        d.click_named(&format!("Actions for {ADMIN}")).await;
        let menu = d
            .wait(&format!("//li[@data-address-item='{ADMIN}']//div[@class='menu-items']"))
            .await;
        let items = menu.text().await.unwrap();
        assert_eq!(items.trim(), "Remove this address");
        d.click_named(&format!("Actions for {ADMIN}")).await;
        // ...and sends from it.
        d.follow("New message").await;
        pane(&d, "New message").await;
        assert!(d.text().await.contains("From admin@localhost"));
        d.fill("To", DANA).await;
        d.fill("Subject", "Sent from the linked address").await;
        d.fill("Message", "Written in Dana's webmail.").await;
        d.follow("Send").await;
        pane(&d, "Inbox").await;
        assert!(d.text().await.contains("Your message was sent."));
        d.goto(&format!("/mail/{DANA}")).await;
        pane(&d, "Inbox").await;
        assert!(d.text().await.contains("Sent from the linked address"));

        // New mail shows up in the open page without a reload.
        d.goto(&format!("/mail/{ADMIN}")).await;
        pane(&d, "Inbox").await;
        d.c.execute("window.notReloaded = true;", vec![]).await.unwrap();
        deliver(&b, ADMIN, "Arrived while open", "Fresh.").await;
        d.wait("//table[contains(@class,'messages')]//a[normalize-space(.)='Arrived while open']")
            .await;
        let same = d.c.execute("return window.notReloaded === true;", vec![]).await;
        assert_eq!(same.unwrap(), serde_json::json!(true), "no reload happened");

        // The owner sees the device used by Dana's Web app Mail.
        b.follow("Settings").await;
        b.heading("Devices").await;
        let row = b
            .wait("//table[contains(@class,'devices')]//tr[.//a[normalize-space(.)=\"Dana's webmail\"]]")
            .await;
        let row_text = row.text().await.unwrap();
        assert!(row_text.contains("Web app Mail (dana@example.com)"), "{row_text}");
        assert!(row_text.contains("Web app Mail from 127.0.0.1"), "{row_text}");

        // Case 3: the owner disconnects the device...
        b.follow("Dana's webmail").await;
        b.heading("Dana's webmail").await;
        b.follow("Disconnect the device").await;
        b.heading("Disconnect this device?").await;
        b.follow("Confirm").await;
        b.heading("Devices").await;

        // ...and Dana's page, left open, says at once that the address was removed.
        d.wait("//*[@id='live-notice' and contains(., 'admin@localhost was removed from your Mail.')]")
            .await;
        assert!(!listed(&d, ADMIN).await, "gone from her list without a reload");
        let compose = d.c.find_all(Locator::XPath("//a[normalize-space(.)='New message']"));
        assert!(compose.await.unwrap().is_empty(), "no writing from it either");
        let same = d.c.execute("return window.notReloaded === true;", vec![]).await;
        assert_eq!(same.unwrap(), serde_json::json!(true));
        d.screenshot("linked-address-removed.png").await;
        d.goto("/").await;
        pane(&d, "Inbox").await;
        assert!(!listed(&d, ADMIN).await);
        d.goto(&format!("/mail/{ADMIN}")).await;
        d.heading("Page not found").await;

        // Dana may also remove an address herself.
        b.goto("/").await;
        b.advance_minutes(6);
        let again = add_a_device(&b, "Dana again", false).await;
        d.goto("/").await;
        add_address(&d, &again).await;
        pane(&d, "Inbox").await;
        assert!(listed(&d, ADMIN).await);
        d.click_named(&format!("Actions for {ADMIN}")).await;
        d.follow("Remove this address").await;
        pane(&d, "Inbox").await;
        assert!(d.text().await.contains("admin@localhost was removed from your Mail."));
        assert!(!listed(&d, ADMIN).await);

        d.close().await;
        b.close().await;
    })
    .await;
}
