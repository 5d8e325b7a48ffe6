//! The setup assistant's `Automatic configuration` tab in Chromium: the protocols of the new
//! device, `Create an Apple profile`, the account password, and a QR code that a camera
//! reads (the pixels Chromium drew, decoded by rqrr) to the profile's one-time link.

use fantoccini::Locator;
use postern_testkit::{Need, requires};
use reqwest::StatusCode;

use super::{Browser, Setup, within_limit};
use crate::web::find_password;

const ADMIN: &str = "admin@localhost";

/// What a camera reads from the QR code on the screen.
pub(super) async fn scan(b: &Browser) -> String {
    let code = b
        .wait("//*[local-name()='svg' and contains(@class,'qr-code')]")
        .await;
    assert!(code.is_displayed().await.unwrap());
    let png = code.screenshot().await.unwrap();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut pixels).unwrap();
    let channels = info.line_size / info.width as usize;
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
        let at = y * info.line_size + x * channels;
        let rgb = &pixels[at..at + channels.min(3)];
        (rgb.iter().map(|&v| u32::from(v)).sum::<u32>() / rgb.len() as u32) as u8
    });
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code on the screen");
    grids[0].decode().unwrap().1
}

/// From the address's menu to the assistant, on the tab it opens with.
async fn open_assistant(b: &Browser) {
    b.click_named(&format!("Actions for {ADMIN}")).await;
    b.follow("Address settings").await;
    b.click("Manage the password").await;
    b.follow("Add a device").await;
    b.heading("Add a device").await;
}

/// `Create an Apple profile` for a new device with `description`, IMAP and SMTP only, then
/// the account password; returns the link the QR code carries.
async fn create_profile(b: &Browser, description: &str) -> String {
    open_assistant(b).await;
    let text = b.text().await;
    assert!(text.contains("iPhone, iPad and Mac"), "{text}");
    assert!(
        text.contains("Thunderbird, Outlook and other mail programs")
            && text.contains("They configure themselves from the address"),
        "{text}"
    );
    b.fill("Description", description).await;
    for protocol in ["IMAP", "SMTP", "POP3", "Web app Mail"] {
        assert!(
            b.field(protocol).await.is_selected().await.unwrap(),
            "{protocol}"
        );
    }
    b.field("POP3").await.click().await.unwrap();
    b.field("Web app Mail").await.click().await.unwrap();
    create_profile_here(b).await
}

/// Downloads the profile as a phone with no session would; returns its password.
async fn download(b: &Browser, path: &str) -> String {
    let phone = reqwest::Client::new();
    let res = phone.get(format!("{}{path}", b.base)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap();
    let profile = plist::Value::from_reader_xml(&bytes[..]).unwrap();
    let mail = profile.as_dictionary().unwrap()["PayloadContent"]
        .as_array()
        .unwrap()[0]
        .as_dictionary()
        .unwrap();
    // The settings the pages show: the default ports on the configured host.
    assert_eq!(
        mail["IncomingMailServerHostName"].as_string(),
        Some("localhost")
    );
    assert_eq!(
        mail["IncomingMailServerPortNumber"].as_signed_integer(),
        Some(1993)
    );
    assert_eq!(
        mail["OutgoingMailServerPortNumber"].as_signed_integer(),
        Some(1465)
    );
    let again = phone.get(format!("{}{path}", b.base)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    let password = mail["IncomingPassword"].as_string().unwrap().to_owned();
    assert!(find_password(&password).is_some());
    password
}

#[tokio::test(flavor = "multi_thread")]
async fn the_automatic_tab_makes_a_profile_for_a_phone() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::Desktop).await;
        b.sign_in_admin().await;
        b.advance_minutes(6);
        let path = create_profile(&b, "Anna's iPhone").await;

        // The link's token is random. So that the picture stays the same from run to run,
        // the code in the screenshot is the code of a fixed link of the same length, drawn
        // by the same function; the real code was read above.
        let fixed = format!("http://127.0.0.1:8080/profile/{}", "0".repeat(64));
        let svg = postern_web::qr_code_svg(&fixed, "QR code of the profile’s link").unwrap();
        b.c.execute(
            "document.querySelector('figure.qr').innerHTML = arguments[0];",
            vec![serde_json::json!(svg)],
        )
        .await
        .unwrap();
        assert_eq!(scan(&b).await, fixed);
        b.screenshot("apple-profile.png").await;

        let password = download(&b, &path).await;
        super::seed::use_password(&b, &password).await;

        // The page now tells what became of the profile, and leads to the new device.
        b.c.refresh().await.unwrap();
        b.heading("The profile was downloaded").await;
        assert!(
            b.text()
                .await
                .contains("It was downloaded at 2026-03-02 09:36 UTC.")
        );
        b.follow("See the device").await;
        b.heading("Anna's iPhone").await;
        let text = b.text().await;
        assert!(text.contains("IMAP, SMTP"), "{text}");
        assert!(text.contains("Thunderbird 128"), "{text}");
        // An ordinary device: disconnected like any other.
        b.follow("Disconnect the device").await;
        b.heading("Disconnect this device?").await;
        b.follow("Confirm").await;
        b.heading("Devices").await;
        assert!(
            b.server
                .core()
                .verify(
                    ADMIN,
                    &password,
                    postern_domain::Protocol::Imap,
                    [127, 0, 0, 1].into()
                )
                .await
                .is_err()
        );
        b.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_automatic_tab_without_javascript_on_a_phone() {
    if !requires(&[Need::Chromium]) {
        return;
    }
    within_limit(async {
        let b = Browser::start(Setup::PhoneWithoutJs).await;
        b.sign_in_admin().await;
        b.advance_minutes(6);
        // Without the script the tabs are buttons that reload the page with what was typed.
        open_assistant(&b).await;
        b.fill("Description", "Kid's iPad").await;
        b.tab("Manual configuration").await;
        b.tab("Automatic configuration").await;
        assert_eq!(
            b.field("Description")
                .await
                .prop("value")
                .await
                .unwrap()
                .as_deref(),
            Some("Kid's iPad")
        );
        // Nothing ticked: the message comes next to the field.
        for protocol in ["IMAP", "SMTP", "POP3", "Web app Mail"] {
            b.field(protocol).await.click().await.unwrap();
        }
        b.follow("Create an Apple profile").await;
        b.wait("//*[@id='protocols-error' and normalize-space(.)='Choose at least one protocol.']")
            .await;
        b.field("IMAP").await.click().await.unwrap();
        b.field("SMTP").await.click().await.unwrap();
        let path = create_profile_here(&b).await;
        let password = download(&b, &path).await;
        super::seed::use_password(&b, &password).await;
        b.close().await;
    })
    .await;
}

/// The rest of [`create_profile`] from a filled-in assistant.
async fn create_profile_here(b: &Browser) -> String {
    b.follow("Create an Apple profile").await;
    b.heading("Enter your account password").await;
    let (_, password) = b.server.admin();
    b.fill("Password", &password).await;
    b.follow("Confirm").await;
    b.heading("Install the profile").await;
    let url = scan(b).await;
    let path = url
        .strip_prefix("http://127.0.0.1:8080")
        .unwrap_or_else(|| panic!("{url} is not under the public URL"))
        .to_owned();
    assert!(path.starts_with("/profile/") && path.len() == "/profile/".len() + 64);
    let href =
        b.c.find(Locator::LinkText("Download the profile"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap();
    assert_eq!(href.as_deref(), Some(path.as_str()));
    path
}
