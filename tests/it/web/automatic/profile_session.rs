//! A pending profile link dies with the web session that asked for it: when that session is
//! signed out by a password change made elsewhere, or deleted by the server (timed out), the
//! link opens nothing and no device is made, though the link itself was never used.

use postern_domain::{Actor, Email};
use reqwest::StatusCode;

use super::profile::{create_profile, qr_link};
use super::{ADMIN, Site, client, read};

/// No device of the first address exists.
async fn no_device(site: &Site) -> bool {
    site.server
        .core()
        .devices(&Actor::CommandLine, &Email::parse(ADMIN).unwrap(), false)
        .await
        .unwrap()
        .is_empty()
}

async fn download(site: &Site, link: &str) -> StatusCode {
    read(
        client(None)
            .get(format!("{}{link}", site.base))
            .send()
            .await
            .unwrap(),
    )
    .await
    .status
}

#[tokio::test]
async fn a_password_change_elsewhere_ends_the_links_of_the_sessions_it_signs_out() {
    let mut site = Site::start().await;
    site.sign_in_admin().await;
    let page_path = create_profile(&site, "Stolen phone", &["imap", "smtp"]).await;
    let link = qr_link(&site.get(&page_path).await, "http://127.0.0.1:8080");

    // Another session of the account changes the password: every other session ends.
    let (_, password) = site.server.admin();
    site.sign_in_admin().await;
    let new = "a brand new account password";
    let p = site
        .post(
            "/account/password",
            &[("current", &password), ("new", new), ("repeat", new)],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.text());

    assert_eq!(download(&site, &link).await, StatusCode::GONE);
    assert!(
        no_device(&site).await,
        "a device was made by an ended session"
    );
    // It stays dead.
    assert_eq!(download(&site, &link).await, StatusCode::GONE);
    assert!(no_device(&site).await);

    // The session that changed the password still gets a working link.
    let page_path = create_profile_after_change(&site, new).await;
    let link = qr_link(&site.get(&page_path).await, "http://127.0.0.1:8080");
    assert_eq!(download(&site, &link).await, StatusCode::OK);
    assert!(!no_device(&site).await);
}

/// A profile for a new device, confirming the changed account password if asked.
async fn create_profile_after_change(site: &Site, password: &str) -> String {
    super::profile::create_profile_for(
        site,
        ADMIN,
        password,
        &[("device", "new"), ("description", "Own phone")],
        &["imap", "smtp"],
    )
    .await
}

#[tokio::test]
async fn a_session_ended_by_the_server_ends_its_links() {
    let mut site = Site::start().await;
    site.sign_in_admin().await;
    let page_path = create_profile(&site, "Phone", &["imap", "smtp"]).await;
    let link = qr_link(&site.get(&page_path).await, "http://127.0.0.1:8080");
    // The session is deleted in the store, as the sweep of timed-out sessions or another
    // server process does, while the link's own ten minutes still run.
    let store = site.server.core().store();
    let account = store
        .account_by_login(&postern_domain::Login::parse(ADMIN).unwrap())
        .await
        .unwrap()
        .unwrap()
        .account;
    store.delete_sessions_of(account.id, None).await.unwrap();
    assert_eq!(download(&site, &link).await, StatusCode::GONE);
    assert!(no_device(&site).await);
}
