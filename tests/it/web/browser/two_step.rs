//! Two-step verification in Chromium: turned on by reading the QR code off the screen (as a
//! phone's authenticator app would), then signing in with a code, the re-authentication of
//! the setup assistant with a code, a used and a wrong code refused, and a recovery code
//! that works once.

use postern_domain::Protocol;
use postern_domain::clock::Clock;
use postern_domain::two_step::code_at;
use postern_testkit::{Need, requires};
use time::Duration;

use super::automatic::scan;
use super::{Browser, Setup, within_limit};
use crate::web::find_password;

const ADMIN: &str = "admin@localhost";

/// The code the authenticator app shows now, by the server's clock.
fn app_code(b: &Browser, secret: &str) -> String {
    code_at(secret, b.clock.now()).unwrap()
}

/// Moves the server's clock to the app's next code.
fn next_code(b: &Browser) {
    b.clock.advance(Duration::seconds(30));
}

/// The recovery codes a page shows (`xxxxx-xxxxx`).
fn recovery_codes(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| {
            w.len() == 11
                && w.as_bytes()[5] == b'-'
                && w.chars()
                    .filter(|&c| c != '-')
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        .map(str::to_owned)
        .collect()
}

async fn sign_out(b: &Browser) {
    b.follow("Sign out").await;
    b.heading("Sign in to Postern").await;
}

/// The login and password on the sign-in page, up to the code page.
async fn password_step(b: &Browser) {
    let (login, password) = b.server.admin();
    b.goto("/").await;
    b.heading("Sign in to Postern").await;
    b.fill("Login", &login).await;
    b.fill("Password", &password).await;
    b.follow("Sign in").await;
    b.heading("Two-step verification").await;
}

/// A code on the code page: signed in (`true`, the Mail home) or refused (the code page
/// again, with why).
async fn code_step(b: &Browser, code: &str) -> bool {
    b.fill("Code", code).await;
    b.follow("Verify").await;
    let text = b.text().await;
    if text.contains("Enter the 6-digit code") {
        assert!(
            text.contains("That code is not right, or it was used already."),
            "{text}"
        );
        false
    } else {
        b.wait(&format!("//*[@aria-label='Actions for {ADMIN}']"))
            .await;
        true
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn turning_on_two_step_verification_and_signing_in_with_codes() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        let (_, password) = b.server.admin();
        b.sign_in_admin().await;

        // Settings → Account → Two-step verification → Turn on.
        b.follow("Settings").await;
        b.follow("Two-step verification").await;
        b.heading("Two-step verification").await;
        assert!(b.text().await.contains("Two-step verification is off."));
        b.fill("Account password", "not my password").await;
        b.follow("Turn on").await;
        assert!(
            b.text()
                .await
                .contains("The password or the code is not right.")
        );
        b.fill("Account password", &password).await;
        b.follow("Turn on").await;

        // What the phone's camera reads: the app's URI, with the secret the page also shows.
        let uri = scan(&b).await;
        let secret = uri
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("secret="))
            .expect("a secret in the URI")
            .to_owned();
        assert!(
            uri.starts_with("otpauth://totp/Postern:admin%40localhost?"),
            "{uri}"
        );
        let shown = b
            .wait("//code[@id='two-step-secret']")
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(shown.replace(' ', ""), secret);

        let first = app_code(&b, &secret);
        let wrong = if first == "000000" {
            "000001"
        } else {
            "000000"
        };
        b.fill("Code", wrong).await;
        b.follow("Confirm").await;
        assert!(
            b.text()
                .await
                .contains("The password or the code is not right.")
        );
        // The QR code is still there to scan.
        assert_eq!(scan(&b).await, uri);
        b.fill("Code", &first).await;
        b.follow("Confirm").await;
        b.wait("//h2[normalize-space(.)='Your recovery codes']")
            .await;
        let codes = recovery_codes(&b.text().await);
        assert_eq!(codes.len(), 10, "{codes:?}");
        b.follow("Done").await;
        let text = b.text().await;
        assert!(
            text.contains("Two-step verification is on since")
                && text.contains("Recovery codes left: 10."),
            "{text}"
        );

        // Signing in: after the password, the code. The one that turned it on was used.
        sign_out(&b).await;
        password_step(&b).await;
        assert!(!code_step(&b, &first).await, "a used code");
        assert!(!code_step(&b, wrong).await, "a wrong code");
        next_code(&b);
        let second = app_code(&b, &secret);
        assert!(code_step(&b, &second).await);

        // The setup assistant's account password step asks for a code as well.
        b.advance_minutes(6);
        b.click_named(&format!("Actions for {ADMIN}")).await;
        b.follow("Address settings").await;
        b.click("Manage the password").await;
        b.follow("Add a device").await;
        b.heading("Add a device").await;
        b.choose("Device", "New device").await;
        b.fill("Description", "Phone with an app").await;
        b.tab("Manual configuration").await;
        b.follow("Generate a password").await;
        b.heading("Enter your account password").await;
        b.fill("Password", &password).await;
        // The code of the sign-in, once more: refused, and no device made.
        b.fill("Code", &second).await;
        b.follow("Confirm").await;
        b.heading("Enter your account password").await;
        assert!(
            b.text()
                .await
                .contains("The password or the code is not right.")
        );
        b.fill("Password", &password).await;
        b.fill("Code", &app_code(&b, &secret)).await;
        b.follow("Confirm").await;
        b.heading("Your new password").await;
        let device_password = find_password(&b.text().await).expect("the password is shown");
        b.server
            .core()
            .verify(
                ADMIN,
                &device_password,
                Protocol::Imap,
                [127, 0, 0, 1].into(),
            )
            .await
            .expect("the new device signs in");

        // A recovery code instead of the app: once.
        sign_out(&b).await;
        password_step(&b).await;
        assert!(code_step(&b, &codes[3].to_uppercase()).await);
        sign_out(&b).await;
        password_step(&b).await;
        assert!(!code_step(&b, &codes[3]).await, "a used recovery code");
        assert!(code_step(&b, &codes[4]).await);

        b.follow("Settings").await;
        b.follow("Two-step verification").await;
        assert!(b.text().await.contains("Recovery codes left: 8."));
        b.close().await;
    })
    .await;
}
