//! The Apple profile: made after the account password is confirmed, reached once through a
//! 256-bit link that the page's QR code carries, 410 Gone afterwards or after ten minutes;
//! the device it creates is an ordinary device.

use std::net::IpAddr;

use postern_domain::{Actor, DomainError, Email, Protocol};
use postern_testkit::{Need, requires};
use reqwest::StatusCode;

use super::{ADMIN, Page, Site, client, decode_qr_svg, qr_svg_of, read, sign_in_with};
use postern_testkit::Listener;

/// Asks for a profile for a new device from the automatic tab, confirming the account
/// password when asked; returns the profile page's path.
pub async fn create_profile(site: &Site, description: &str, protocols: &[&str]) -> String {
    let (_, password) = site.server.admin();
    let fields = [("device", "new"), ("description", description)];
    create_profile_for(site, ADMIN, &password, &fields, protocols).await
}

/// Asks for a profile for `address` with these fields (`device`, `description`), as the
/// account whose password is `account_password`; returns the profile page's path.
pub async fn create_profile_for(
    site: &Site,
    address: &str,
    account_password: &str,
    device: &[(&str, &str)],
    protocols: &[&str],
) -> String {
    let mut fields = vec![
        ("address", address),
        ("current_tab", "automatic"),
        ("protocol_choice", "1"),
    ];
    fields.extend_from_slice(device);
    for p in protocols {
        fields.push((p, "on"));
    }
    let p = site.post("/setup/profile", &fields).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    let mut next = p.location().to_owned();
    if next.starts_with("/confirm-password?pending=") {
        let pending = next.split('=').nth(1).unwrap().to_owned();
        let prompt = site.get(&next).await;
        assert!(prompt.text().contains("Enter your account password"));
        let p = site
            .post(
                "/confirm-password",
                &[("pending", &pending), ("password", account_password)],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
        next = p.location().to_owned();
    }
    assert!(next.starts_with("/setup/profile/"), "{next}");
    next
}

/// The link of the profile page's QR code, decoded from the code itself; checks that the
/// page's download button goes to the same place.
pub fn qr_link(page: &Page, public_url: &str) -> String {
    let html = page.text();
    let url = decode_qr_svg(qr_svg_of(&html));
    let path = url
        .strip_prefix(public_url)
        .unwrap_or_else(|| panic!("{url} is not under {public_url}"));
    assert!(
        html.contains(&format!(
            r#"href="{path}" download>Download the profile</a>"#
        )),
        "{html}"
    );
    path.to_owned()
}

pub fn string<'a>(dict: &'a plist::Dictionary, key: &str) -> &'a str {
    dict.get(key)
        .and_then(plist::Value::as_string)
        .unwrap_or_else(|| panic!("no {key}"))
}

#[tokio::test]
async fn a_profile_is_downloaded_once_and_its_device_is_an_ordinary_device() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let mut site = Site::start().await;
    site.sign_in_admin().await;
    // More than five minutes after signing in, the account password is asked for first.
    site.advance_minutes(6);
    let page_path = create_profile(&site, "Anna's iPhone", &["imap", "smtp"]).await;
    let page = site.get(&page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.header("cache-control"), "no-store");
    let html = page.text();
    assert!(html.contains("Install the profile"), "{html}");
    assert!(html.contains("The link works once, until 2026-03-02 09:46 UTC."));
    // The device exists only once the profile is downloaded.
    let core = site.server.core();
    let email = Email::parse(ADMIN).unwrap();
    assert!(
        core.devices(&Actor::CommandLine, &email, false)
            .await
            .unwrap()
            .is_empty()
    );

    let link = qr_link(&page, "http://127.0.0.1:8080");
    let token = link.strip_prefix("/profile/").unwrap();
    assert_eq!(token.len(), 64, "256 bits in hex");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    // The phone has no session: the link alone opens the profile.
    let phone = client(None);
    let download = read(
        phone
            .get(format!("{}{link}", site.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(
        download.header("content-type"),
        "application/x-apple-aspen-config"
    );
    assert_eq!(download.header("cache-control"), "no-store");
    assert_eq!(
        download.header("content-disposition"),
        r#"attachment; filename="admin-localhost.mobileconfig""#
    );
    // Once: the same link, again or from anywhere, is gone.
    for _ in 0..2 {
        let again = read(
            phone
                .get(format!("{}{link}", site.base))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(again.status, StatusCode::GONE);
        assert!(again.text().contains("This link no longer works"));
        assert_eq!(again.header("cache-control"), "no-store");
    }

    // The property list, read by a real parser.
    let profile = plist::Value::from_reader_xml(&download.body[..]).unwrap();
    let top = profile.as_dictionary().unwrap();
    assert_eq!(string(top, "PayloadType"), "Configuration");
    assert_eq!(
        top.get("PayloadVersion")
            .and_then(|v| v.as_signed_integer()),
        Some(1)
    );
    let content = top.get("PayloadContent").unwrap().as_array().unwrap();
    assert_eq!(content.len(), 1);
    let mail = content[0].as_dictionary().unwrap();
    assert_eq!(string(mail, "PayloadType"), "com.apple.mail.managed");
    assert_eq!(string(mail, "EmailAccountType"), "EmailTypeIMAP");
    assert_eq!(string(mail, "EmailAddress"), ADMIN);
    for side in ["Incoming", "Outgoing"] {
        assert_eq!(
            string(mail, &format!("{side}MailServerHostName")),
            "localhost"
        );
        assert_eq!(string(mail, &format!("{side}MailServerUsername")), ADMIN);
        assert_eq!(
            string(mail, &format!("{side}MailServerAuthentication")),
            "EmailAuthPassword"
        );
        assert_eq!(
            mail.get(&format!("{side}MailServerUseSSL"))
                .and_then(plist::Value::as_boolean),
            Some(true)
        );
    }
    let port = |key: &str| {
        mail.get(key)
            .and_then(plist::Value::as_signed_integer)
            .unwrap() as u16
    };
    assert_eq!(
        port("IncomingMailServerPortNumber"),
        site.port(Listener::ImapTls)
    );
    assert_eq!(
        port("OutgoingMailServerPortNumber"),
        site.port(Listener::SmtpTls)
    );
    let password = string(mail, "IncomingPassword").to_owned();
    assert_eq!(string(mail, "OutgoingPassword"), password);
    assert!(crate::web::find_password(&password).is_some(), "{password}");
    let identifier = string(top, "PayloadIdentifier");
    assert!(
        identifier.starts_with("localhost.postern.device."),
        "{identifier}"
    );

    // The settings work as Mail would use them: IMAP and SMTP with TLS from the start.
    sign_in_with(
        &site.server,
        "imap",
        "localhost",
        port("IncomingMailServerPortNumber"),
        "SSL",
        ADMIN,
        &password,
    )
    .await
    .unwrap();
    sign_in_with(
        &site.server,
        "smtp",
        "localhost",
        port("OutgoingMailServerPortNumber"),
        "SSL",
        ADMIN,
        &password,
    )
    .await
    .unwrap();
    // The device may use only what was ticked.
    assert!(
        sign_in_with(
            &site.server,
            "pop3",
            "localhost",
            site.port(Listener::Pop3Tls),
            "SSL",
            ADMIN,
            &password
        )
        .await
        .is_err()
    );

    // An ordinary device: listed, its last use recorded, its page reached from the profile's.
    let devices = core
        .devices(&Actor::CommandLine, &email, false)
        .await
        .unwrap();
    assert_eq!(devices.len(), 1);
    let device = &devices[0];
    assert_eq!(device.description.to_string(), "Anna's iPhone");
    assert_eq!(device.protocols.to_string(), "IMAP, SMTP");
    assert_eq!(device.created_by, ADMIN);
    let last = device.last_use.as_ref().expect("last use recorded");
    assert_eq!(last.ip, IpAddr::from([127, 0, 0, 1]));
    assert!(identifier.ends_with(&device.id.to_string()));
    let list = site.get("/settings/admin@localhost/devices").await.text();
    assert!(
        list.contains("Anna&#39;s iPhone") || list.contains("Anna's iPhone"),
        "{list}"
    );
    let page = site.get(&page_path).await.text();
    assert!(page.contains("The profile was downloaded"), "{page}");
    assert!(page.contains(&format!("/settings/admin@localhost/devices/{}", device.id)));
    assert!(!page.contains("qr-code"), "the code is gone with the link");

    // Nothing of the password is kept: not in the store's files.
    for file in ["postern.db", "postern.db-wal"] {
        if let Ok(bytes) = std::fs::read(site.server.data_dir().join(file)) {
            assert!(
                !bytes
                    .windows(password.len())
                    .any(|w| w == password.as_bytes()),
                "{file} holds the password"
            );
        }
    }

    // Disconnectable like any other: the password dies.
    let p = site
        .post(
            &format!("/settings/admin@localhost/devices/{}/disconnect", device.id),
            &[],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());
    assert!(matches!(
        core.verify(ADMIN, &password, Protocol::Imap, [127, 0, 0, 1].into())
            .await,
        Err(DomainError::AuthFailed)
    ));
    assert!(
        sign_in_with(
            &site.server,
            "imap",
            "localhost",
            site.port(Listener::ImapTls),
            "SSL",
            ADMIN,
            &password
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn the_link_expires_after_ten_minutes_and_nothing_is_made() {
    let mut site = Site::start().await;
    site.sign_in_admin().await;
    let page_path = create_profile(&site, "Old iPad", &["imap", "smtp", "pop3", "webmail"]).await;
    let page = site.get(&page_path).await;
    let link = qr_link(&page, "http://127.0.0.1:8080");
    site.advance_minutes(10);
    let p = read(
        client(None)
            .get(format!("{}{link}", site.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, StatusCode::GONE);
    let page = site.get(&page_path).await.text();
    assert!(page.contains("The link has expired"), "{page}");
    assert!(page.contains("No device was added."));
    assert!(
        site.server
            .core()
            .devices(&Actor::CommandLine, &Email::parse(ADMIN).unwrap(), false)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_page_belongs_to_its_session_and_sign_out_cancels_the_link() {
    let mut site = Site::start().await;
    site.sign_in_admin().await;
    let page_path = create_profile(&site, "Phone", &["imap", "smtp"]).await;
    let link = qr_link(&site.get(&page_path).await, "http://127.0.0.1:8080");
    // Another session of the same account does not see it.
    let first = site.cookie.take();
    site.sign_in_admin().await;
    assert_ne!(site.cookie, first);
    assert_eq!(site.get(&page_path).await.status, StatusCode::NOT_FOUND);
    site.cookie = first;
    // A HEAD does not use the link up.
    let head = client(None)
        .head(format!("{}{link}", site.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(site.get(&page_path).await.text().contains("qr-code"));
    // Signing out cancels the profile that was waiting.
    let p = site.post("/sign-out", &[]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = read(
        client(None)
            .get(format!("{}{link}", site.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p.status, StatusCode::GONE);
}

#[tokio::test]
async fn guessing_links_is_throttled_per_source() {
    let mut site = Site::start().await;
    site.sign_in_admin().await;
    let page_path = create_profile(&site, "Phone", &["imap", "smtp"]).await;
    let link = qr_link(&site.get(&page_path).await, "http://127.0.0.1:8080");
    let guesser = client(Some([127, 0, 0, 2].into()));
    let get = |c: &reqwest::Client, path: String| {
        let c = c.clone();
        let url = format!("{}{path}", site.base);
        async move { c.get(url).send().await.unwrap().status() }
    };
    for i in 0..10 {
        let guess = format!("/profile/{:064x}", i);
        assert_eq!(get(&guesser, guess).await, StatusCode::GONE);
    }
    assert_eq!(
        get(&guesser, format!("/profile/{:064x}", 99)).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Even the real link is refused to that source, and stays unused...
    assert_eq!(
        get(&guesser, link.clone()).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...for the phone, which comes from elsewhere.
    let phone = client(Some([127, 0, 0, 3].into()));
    assert_eq!(get(&phone, link).await, StatusCode::OK);
}
