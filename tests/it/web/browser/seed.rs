//! The help-centre article, step by step, in Chromium with JavaScript on.

use postern_domain::{DomainError, Protocol};
use postern_testkit::{Need, requires};

use super::{Browser, Setup, within_limit};
use crate::web::find_password;

const ADMIN: &str = "admin@localhost";

/// Steps 1–12 of "Add a device": from the address's action menu to the password shown.
/// Returns the password as the page shows it.
pub async fn add_a_device(b: &Browser, description: &str, screenshot: bool) -> String {
    // 2. The action menu to the right of the address; 3. Address settings.
    b.click_named(&format!("Actions for {ADMIN}")).await;
    b.follow("Address settings").await;
    b.heading("Address settings").await;
    // 4. Manage the password; 5. Add a device.
    b.click("Manage the password").await;
    b.follow("Add a device").await;
    // 6. The assistant opens on MAIL with the address chosen.
    b.heading("Add a device").await;
    let mail = b.wait("//*[normalize-space(.)='MAIL']").await;
    assert_eq!(
        mail.attr("aria-current").await.unwrap().as_deref(),
        Some("true")
    );
    b.choose("Email address", ADMIN).await;
    assert_eq!(
        b.field("Email address")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(ADMIN)
    );
    // 7. New device; 8. a description.
    b.choose("Device", "New device").await;
    b.fill("Description", description).await;
    // 9. The Manual configuration tab shows the server settings and the button.
    b.tab("Manual configuration").await;
    let url = b.c.current_url().await.unwrap();
    // With the script the tab opens in place; without it, the form carries what was typed.
    assert_eq!(
        url.query().unwrap_or("").contains("tab=manual"),
        !b.js,
        "{url}"
    );
    b.wait("//button[normalize-space(.)='Generate a password']")
        .await;
    assert_eq!(
        b.field("Description")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some(description),
        "the description survives the tab change"
    );
    if screenshot {
        b.screenshot("setup-assistant.png").await;
    }
    // 10. Generate a password.
    b.follow("Generate a password").await;
    // 11. The account password, as it was not confirmed in the last five minutes.
    b.heading("Enter your account password").await;
    let (_, password) = b.server.admin();
    b.fill("Password", &password).await;
    b.follow("Confirm").await;
    // 12. The password, once.
    b.heading("Your new password").await;
    let text = b.text().await;
    assert!(
        text.contains("it will no longer be displayed afterwards"),
        "{text}"
    );
    find_password(&text).expect("the password is shown")
}

/// "Manage the accesses": Settings, the address, Devices, the device, disconnect, confirm.
pub async fn disconnect(b: &Browser, description: &str, screenshot: bool) {
    b.follow("Settings").await;
    b.heading("Devices").await;
    b.choose("Email address", ADMIN).await;
    b.follow("Devices").await;
    b.heading("Devices").await;
    let row = b
        .wait(&format!(
            "//table[contains(@class,'devices')]//tr[.//a[normalize-space(.)={}]]",
            super::lit(description)
        ))
        .await;
    let row_text = row.text().await.unwrap();
    assert!(
        row_text.contains("IMAP, SMTP, POP3, Web app Mail"),
        "{row_text}"
    );
    assert!(row_text.contains("2026-03-02"), "{row_text}");
    assert!(row_text.contains("IMAP from 127.0.0.1"), "{row_text}");
    assert!(row_text.contains("Thunderbird 128"), "{row_text}");
    if screenshot {
        b.screenshot("device-list.png").await;
    }
    b.follow(description).await;
    b.heading(description).await;
    b.follow("Disconnect the device").await;
    b.heading("Disconnect this device?").await;
    b.follow("Confirm").await;
    b.heading("Devices").await;
    let text = b.text().await;
    assert!(
        text.contains(&format!("“{description}” was disconnected.")),
        "{text}"
    );
    assert!(
        b.c.find_all(fantoccini::Locator::XPath(&format!(
            "//a[normalize-space(.)={}]",
            super::lit(description)
        )))
        .await
        .unwrap()
        .is_empty()
    );
}

/// Checks a shown password with the one device-password check every protocol uses, and
/// records a mail program's name as IMAP would.
pub async fn use_password(b: &Browser, password: &str) {
    let core = b.server.core();
    let mut signed_in = core
        .verify(ADMIN, password, Protocol::Imap, [127, 0, 0, 1].into())
        .await
        .expect("the shown password opens the address");
    core.record_client(&mut signed_in, "Thunderbird 128").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_article_step_by_step() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        // 1. The web app; signing in confirms the account password...
        b.sign_in_admin().await;
        assert!(b.text().await.contains("Sign out"));
        // ...so the prompt of step 11 needs that to be more than five minutes ago.
        b.advance_minutes(6);
        let password = add_a_device(&b, "Anna's phone", true).await;
        // Copy is there with JavaScript.
        let copy = b.wait("//button[normalize-space(.)='Copy']").await;
        assert!(copy.is_displayed().await.unwrap());
        use_password(&b, &password).await;

        // Reloading, or going back and forward, never shows it again.
        b.c.refresh().await.unwrap();
        b.heading("This password is no longer displayed").await;
        assert!(!b.text().await.contains(&password));
        b.c.back().await.unwrap();
        b.c.forward().await.unwrap();
        b.heading("This password is no longer displayed").await;
        assert!(!b.c.source().await.unwrap().contains(&password));

        disconnect(&b, "Anna's phone", true).await;
        let core = b.server.core();
        assert!(matches!(
            core.verify(ADMIN, &password, Protocol::Imap, [127, 0, 0, 1].into())
                .await,
            Err(DomainError::AuthFailed)
        ));
        // The activity log tells the story.
        b.follow("Activity").await;
        b.heading("Activity").await;
        let log = b.text().await;
        assert!(
            log.contains("Device created") && log.contains("Device disconnected"),
            "{log}"
        );

        b.follow("Sign out").await;
        b.heading("Sign in to Postern").await;
        b.close().await;
    })
    .await;
}
