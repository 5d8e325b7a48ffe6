//! The webmail: reading, sending, and addresses linked from another account (the article's
//! cases 2 and 3), through the router in memory and over a real server.

mod forgery;
mod hostile;
mod links;
mod reading;
mod sending;
mod strangers;

use postern_domain::model::Account;
use postern_domain::{Email, Login};

use super::harness::App;

pub const ADMIN: &str = "admin@localhost";
pub const CAROL: &str = "carol@example.com";
pub const CAROL_PASSWORD: &str = "carol's long password";

/// An app with the first account (admin@localhost) and Carol's account and address.
pub async fn with_carol() -> App {
    let app = App::start().await;
    app.server.account(CAROL, CAROL_PASSWORD).await;
    app.server.address(CAROL, CAROL).await;
    app
}

/// An account by login.
pub async fn account(app: &App, login: &str) -> Account {
    app.server
        .core()
        .store()
        .account_by_login(&Login::parse(login).unwrap())
        .await
        .unwrap()
        .unwrap()
        .account
}

/// Delivers `raw` to the INBOX of `email` as an MTA would.
pub async fn deliver(app: &App, email: &str, raw: &str) {
    let core = app.server.core();
    let address = core
        .store()
        .address_by_email(&Email::parse(email).unwrap())
        .await
        .unwrap()
        .unwrap();
    core.deliver(&address, raw.replace('\n', "\r\n").as_bytes())
        .await
        .unwrap();
}

/// A plain message.
pub fn plain(from: &str, subject: &str, text: &str) -> String {
    format!(
        "From: {from}\nTo: someone@example.com\nSubject: {subject}\n\
         Date: Mon, 2 Mar 2026 08:00:00 +0000\nMessage-ID: <{subject}@example.org>\n\n{text}\n"
    )
}

/// The page's links to messages, in order.
pub fn message_links(body: &str) -> Vec<String> {
    body.match_indices("<td data-label=\"Subject\"><a href=\"")
        .map(|(i, m)| {
            let rest = &body[i + m.len()..];
            rest[..rest.find('"').unwrap()].to_owned()
        })
        .collect()
}
