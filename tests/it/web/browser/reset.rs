//! Resetting an existing device from the setup assistant, and no password prompt within
//! five minutes of a confirmation.

use postern_domain::{DomainError, Protocol};
use postern_testkit::{Need, requires};

use super::{Browser, Setup, within_limit};
use crate::web::find_password;

const ADMIN: &str = "admin@localhost";

#[tokio::test(flavor = "multi_thread")]
async fn resetting_an_existing_device() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        let (id, old) = b.server.device(ADMIN, "Work laptop", "imap,smtp").await;
        b.sign_in_admin().await;
        b.advance_minutes(6);

        b.click_named(&format!("Actions for {ADMIN}")).await;
        b.follow("Address settings").await;
        b.click("Manage the password").await;
        b.follow("Add a device").await;
        b.heading("Add a device").await;
        b.choose("Device", "Work laptop").await;
        // With an existing device chosen, there is no description to give.
        assert!(!b.field("Description").await.is_displayed().await.unwrap());
        b.tab("Manual configuration").await;
        b.follow("Generate a password").await;
        b.heading("Enter your account password").await;
        assert!(
            b.text()
                .await
                .contains("You are giving “Work laptop” a new password.")
        );
        let (_, account_password) = b.server.admin();
        b.fill("Password", &account_password).await;
        b.follow("Confirm").await;
        b.heading("Your new password").await;
        let text = b.text().await;
        assert!(text.contains("has a new password"), "{text}");
        let new = find_password(&text).unwrap();

        let core = b.server.core();
        let ip = [127, 0, 0, 1].into();
        assert!(matches!(
            core.verify(ADMIN, &old, Protocol::Imap, ip).await,
            Err(DomainError::AuthFailed)
        ));
        assert_eq!(
            core.verify(ADMIN, &new, Protocol::Smtp, ip)
                .await
                .unwrap()
                .device_id,
            id
        );

        // Four minutes after that confirmation: no prompt, straight to the new password.
        b.advance_minutes(4);
        b.follow("Done").await;
        b.heading("Devices").await;
        b.follow("Work laptop").await;
        b.follow("Give it a new password").await;
        b.heading("Add a device").await;
        b.follow("Generate a password").await;
        b.heading("Your new password").await;
        let newer = find_password(&b.text().await).unwrap();
        assert_ne!(newer, new);
        assert!(core.verify(ADMIN, &new, Protocol::Imap, ip).await.is_err());
        core.verify(ADMIN, &newer, Protocol::Imap, ip)
            .await
            .unwrap();

        // Two more minutes, six after the confirmation: asked again.
        b.advance_minutes(2);
        b.goto(&format!("/setup?address={ADMIN}")).await;
        b.fill("Description", "Tablet").await;
        b.tab("Manual configuration").await;
        b.follow("Generate a password").await;
        b.heading("Enter your account password").await;
        b.close().await;
    })
    .await;
}
