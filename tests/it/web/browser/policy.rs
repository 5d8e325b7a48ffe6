//! Device policy in Chromium: a device made with an expiry and a list of networks in the setup
//! assistant; its page shows both; once past its expiry, it is listed `Expired` and refused.

use postern_domain::{Actor, DomainError, Email, Protocol};
use postern_testkit::{Need, requires};

use super::{Browser, Setup, lit, within_limit};
use crate::web::find_password;

const ADMIN: &str = "admin@localhost";

#[tokio::test(flavor = "multi_thread")]
async fn a_device_with_an_expiry_stops_working_and_is_listed_expired() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        b.sign_in_admin().await;
        b.advance_minutes(6);
        b.click_named(&format!("Actions for {ADMIN}")).await;
        b.follow("Address settings").await;
        b.click("Manage the password").await;
        b.follow("Add a device").await;
        b.heading("Add a device").await;
        b.choose("Device", "New device").await;
        b.fill("Description", "Borrowed laptop").await;
        b.choose("Expires", "On a date").await;
        b.tab("Manual configuration").await;
        // A date in the past and a network with host bits are refused next to their fields,
        // and nothing is made.
        b.fill("End date", "03/01/2026").await;
        b.fill("Allowed networks", "10.0.0.1/8").await;
        b.follow("Generate a password").await;
        b.heading("Add a device").await;
        let page = &b;
        let error = |id: &'static str| async move {
            page.wait(&format!("//*[@id='{id}']"))
                .await
                .text()
                .await
                .unwrap()
        };
        assert_eq!(
            error("expires-error").await,
            "The end date must be in the future"
        );
        assert_eq!(
            error("networks-error").await,
            "“10.0.0.1/8” has host bits set: the network is 10.0.0.0/8"
        );
        let made = b
            .server
            .core()
            .devices(&Actor::CommandLine, &Email::parse(ADMIN).unwrap(), true)
            .await
            .unwrap();
        assert!(made.is_empty(), "{made:?}");

        b.choose("Expires", "30 days").await;
        b.field("Stop working after 90 days without use")
            .await
            .click()
            .await
            .unwrap();
        b.fill("Allowed networks", "127.0.0.0/8, 2001:db8::/48")
            .await;
        b.follow("Generate a password").await;
        b.heading("Enter your account password").await;
        let (_, account_password) = b.server.admin();
        b.fill("Password", &account_password).await;
        b.follow("Confirm").await;
        b.heading("Your new password").await;
        let password = find_password(&b.text().await).expect("the password is shown");
        let core = b.server.core();
        let ip = [127, 0, 0, 1].into();
        core.verify(ADMIN, &password, Protocol::Imap, ip)
            .await
            .expect("it works from its networks until it expires");
        assert!(matches!(
            core.verify(ADMIN, &password, Protocol::Imap, [192, 0, 2, 1].into())
                .await,
            Err(DomainError::AuthFailed)
        ));

        // Its page tells where it works from and when it stops working, by both rules.
        b.follow("Settings").await;
        b.heading("Devices").await;
        b.follow("Borrowed laptop").await;
        b.heading("Borrowed laptop").await;
        let text = b.text().await;
        assert!(
            text.contains("Until 2026-04-01 09:36 UTC; Stops working after 90 days without use"),
            "{text}"
        );
        assert!(text.contains("127.0.0.0/8, 2001:db8::/48"), "{text}");
        // Its sign-in, in its history.
        let history = b
            .wait("//table[@aria-labelledby='sign-ins-title']")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            history.contains("127.0.0.1") && history.contains("IMAP"),
            "{history}"
        );

        // Thirty days on: listed as expired, refused like a wrong password.
        b.advance_minutes(30 * 24 * 60);
        b.sign_in_admin().await;
        b.follow("Settings").await;
        b.heading("Devices").await;
        let row = b
            .wait(&format!(
                "//table[contains(@class,'devices')]//tr[.//a[normalize-space(.)={}]]",
                lit("Borrowed laptop")
            ))
            .await;
        let row_text = row.text().await.unwrap();
        assert!(
            row_text.contains("Expired 2026-04-01 09:36 UTC"),
            "{row_text}"
        );
        assert!(matches!(
            core.verify(ADMIN, &password, Protocol::Imap, ip).await,
            Err(DomainError::AuthFailed)
        ));
        b.close().await;
    })
    .await;
}
