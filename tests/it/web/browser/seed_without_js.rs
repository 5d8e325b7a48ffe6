//! The same article with JavaScript off, on a phone-sized screen: plain forms and
//! POST–redirect–GET carry every step.

use postern_domain::Protocol;
use postern_testkit::{Need, requires};

use super::seed::{add_a_device, disconnect, use_password};
use super::{Browser, Setup, within_limit};

#[tokio::test(flavor = "multi_thread")]
async fn the_article_without_javascript_on_a_phone() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::PhoneWithoutJs).await;
        b.sign_in_admin().await;
        // The script did not run: the page is as the server sent it.
        let class =
            b.c.find(fantoccini::Locator::Css("html"))
                .await
                .unwrap()
                .attr("class")
                .await
                .unwrap();
        assert!(!class.unwrap_or_default().contains("js"));
        let width =
            b.c.execute("return window.innerWidth", vec![])
                .await
                .unwrap();
        assert_eq!(width, 390);

        b.advance_minutes(6);
        let password = add_a_device(&b, "Kid's tablet", false).await;
        // Copy needs the script; without it the button stays out of the way.
        let copy = b.wait("//button[normalize-space(.)='Copy']").await;
        assert!(!copy.is_displayed().await.unwrap());
        use_password(&b, &password).await;
        b.c.refresh().await.unwrap();
        b.heading("This password is no longer displayed").await;

        disconnect(&b, "Kid's tablet", false).await;
        let core = b.server.core();
        assert!(
            core.verify(
                "admin@localhost",
                &password,
                Protocol::Imap,
                [127, 0, 0, 1].into()
            )
            .await
            .is_err()
        );
        b.close().await;
    })
    .await;
}
