//! Whose profile is whose: an account reaches only the profiles of its own addresses, and a
//! profile for an existing device gives that device a new password when it is downloaded.

use postern_domain::{Actor, DomainError, Email, Protocol};
use reqwest::StatusCode;

use super::profile::{create_profile, create_profile_for, qr_link, string};
use super::{ADMIN, Page, Site, client, read};

const BOB: &str = "bob@example.org";
const BOB_PASSWORD: &str = "bob's long account password";
const PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// Downloads a profile as a phone with no session would.
async fn download(site: &Site, link: &str) -> Page {
    read(
        client(None)
            .get(format!("{}{link}", site.base))
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The mail payload of a downloaded profile.
fn mail_payload(page: &Page) -> plist::Dictionary {
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let profile = plist::Value::from_reader_xml(&page.body[..]).unwrap();
    profile.as_dictionary().unwrap()["PayloadContent"]
        .as_array()
        .unwrap()[0]
        .as_dictionary()
        .unwrap()
        .clone()
}

async fn devices_of(site: &Site, email: &str) -> Vec<postern_domain::model::Device> {
    site.server
        .core()
        .devices(&Actor::CommandLine, &Email::parse(email).unwrap(), false)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_account_reaches_only_the_profiles_of_its_own_addresses() {
    let mut site = Site::start().await;
    site.server.account(BOB, BOB_PASSWORD).await;
    site.server.address(BOB, BOB).await;
    let (admin_device, _) = site
        .server
        .device(ADMIN, "Admin's phone", "imap,smtp")
        .await;

    site.sign_in_admin().await;
    let admin_page = create_profile(&site, "Admin's iPad", &["imap", "smtp"]).await;
    let admin_link = qr_link(&site.get(&admin_page).await, PUBLIC_URL);
    let admin_cookie = site.cookie.clone();

    site.sign_in(BOB, BOB_PASSWORD).await;
    // The admin's profile page is not found, nor can Bob ask for a profile of the admin's
    // address or of the admin's device.
    assert_eq!(site.get(&admin_page).await.status, StatusCode::NOT_FOUND);
    let tries: [&[(&str, &str)]; 2] = [
        &[
            ("address", ADMIN),
            ("device", "new"),
            ("description", "Mine now"),
        ],
        &[("address", BOB), ("device", &admin_device.to_string())],
    ];
    for fields in tries {
        let mut fields = fields.to_vec();
        fields.extend([("protocol_choice", "1"), ("imap", "on"), ("smtp", "on")]);
        let p = site.post("/setup/profile", &fields).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{fields:?}: {}", p.text());
    }
    let bob_page = create_profile_for(
        &site,
        BOB,
        BOB_PASSWORD,
        &[("device", "new"), ("description", "Bob's iPhone")],
        &["imap", "smtp"],
    )
    .await;
    let bob_link = qr_link(&site.get(&bob_page).await, PUBLIC_URL);

    // Nor does the admin see Bob's page.
    site.cookie = admin_cookie;
    assert_eq!(site.get(&bob_page).await.status, StatusCode::NOT_FOUND);
    assert_eq!(site.get(&admin_page).await.status, StatusCode::OK);

    // Each link makes a device of its own address only.
    let bob_mail = mail_payload(&download(&site, &bob_link).await);
    assert_eq!(string(&bob_mail, "EmailAddress"), BOB);
    assert_eq!(string(&bob_mail, "IncomingMailServerUsername"), BOB);
    let admin_mail = mail_payload(&download(&site, &admin_link).await);
    assert_eq!(string(&admin_mail, "EmailAddress"), ADMIN);
    let bob_devices = devices_of(&site, BOB).await;
    assert_eq!(bob_devices.len(), 1);
    assert_eq!(bob_devices[0].description.to_string(), "Bob's iPhone");
    assert_eq!(bob_devices[0].created_by, BOB);
    let admin_devices: Vec<String> = devices_of(&site, ADMIN)
        .await
        .iter()
        .map(|d| d.description.to_string())
        .collect();
    assert_eq!(admin_devices.len(), 2, "{admin_devices:?}");
    assert!(admin_devices.contains(&"Admin's iPad".to_owned()));
    // Bob's password opens Bob's address, not the admin's.
    let core = site.server.core();
    let bob_password = string(&bob_mail, "IncomingPassword");
    let ip = [127, 0, 0, 1].into();
    assert!(
        core.verify(BOB, bob_password, Protocol::Imap, ip)
            .await
            .is_ok()
    );
    assert!(matches!(
        core.verify(ADMIN, bob_password, Protocol::Imap, ip).await,
        Err(DomainError::AuthFailed)
    ));
}

#[tokio::test]
async fn a_profile_for_an_existing_device_gives_it_a_new_password_when_downloaded() {
    let mut site = Site::start().await;
    let (id, old) = site.server.device(ADMIN, "Old phone", "imap,smtp").await;
    site.sign_in_admin().await;
    let (_, admin_password) = site.server.admin();
    let page_path = create_profile_for(
        &site,
        ADMIN,
        &admin_password,
        &[("device", &id.to_string())],
        &[],
    )
    .await;
    let page = site.get(&page_path).await;
    assert!(
        page.text()
            .contains("The profile gives the device <strong>Old phone</strong> of admin@localhost a new password"),
        "{}",
        page.text()
    );
    let link = qr_link(&page, PUBLIC_URL);
    // Until the download, the old password still works.
    let core = site.server.core();
    let ip = [127, 0, 0, 1].into();
    assert!(core.verify(ADMIN, &old, Protocol::Imap, ip).await.is_ok());

    let downloaded = download(&site, &link).await;
    let mail = mail_payload(&downloaded);
    let new = string(&mail, "IncomingPassword").to_owned();
    assert_eq!(
        crate::web::find_password(&new).as_deref(),
        Some(new.as_str())
    );
    assert_ne!(new, old);
    assert!(matches!(
        core.verify(ADMIN, &old, Protocol::Imap, ip).await,
        Err(DomainError::AuthFailed)
    ));
    let signed_in = core.verify(ADMIN, &new, Protocol::Smtp, ip).await.unwrap();
    assert_eq!(signed_in.device_id, id, "the same device");
    assert_eq!(devices_of(&site, ADMIN).await.len(), 1);
    let top = plist::Value::from_reader_xml(&downloaded.body[..]).unwrap();
    let identifier = string(top.as_dictionary().unwrap(), "PayloadIdentifier").to_owned();
    assert!(identifier.ends_with(&id.to_string()), "{identifier}");

    // The password cannot be had again: the link is gone, the page no longer carries it.
    assert_eq!(download(&site, &link).await.status, StatusCode::GONE);
    let page = site.get(&page_path).await.text();
    assert!(page.contains("The profile was downloaded"), "{page}");
    assert!(page.contains("has a new password; its old one no longer works"));
    assert!(
        !page.contains(&new) && !page.contains("/profile/"),
        "{page}"
    );
}
