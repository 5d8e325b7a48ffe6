//! The setup assistant's form: the protocols of a new device (all ticked until changed, at
//! least one, the message next to the field) and the checks of `Create an Apple profile`.

use axum::http::StatusCode;
use postern_domain::{Actor, Email};
use postern_web::{MailServer, Security, Settings};

use super::ADMIN;
use crate::web::harness::{App, Reply};

async fn protocols_of_devices(app: &App) -> Vec<String> {
    app.server
        .core()
        .devices(&Actor::CommandLine, &Email::parse(ADMIN).unwrap(), false)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.protocols.to_names().join(","))
        .collect()
}

fn ticked(body: &str) -> Vec<&'static str> {
    ["imap", "smtp", "pop3", "webmail"]
        .into_iter()
        .filter(|p| {
            let at = body
                .find(&format!(r#"id="protocol-{p}""#))
                .unwrap_or_else(|| panic!("no checkbox {p}"));
            let end = body[at..].find('>').unwrap() + at;
            body[at..end].contains(" checked")
        })
        .collect()
}

fn with_servers() -> Settings {
    let mut settings = Settings::new("http://postern.test");
    for (protocol, port) in [("IMAP", 993), ("SMTP", 465), ("POP3", 995)] {
        settings.mail_servers.push(MailServer {
            protocol,
            host: "mail.example.com".into(),
            port,
            security: Security::Tls,
        });
    }
    settings
}

async fn submit(app: &App, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Reply {
    let mut all = vec![("address", ADMIN), ("protocol_choice", "1")];
    all.extend_from_slice(fields);
    app.post(path, Some(cookie), &all).await
}

#[tokio::test]
async fn a_new_device_gets_the_protocols_ticked() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let page = app.get("/setup", Some(&cookie)).await;
    assert_eq!(ticked(&page.body), ["imap", "smtp", "pop3", "webmail"]);
    for label in ["IMAP", "SMTP", "POP3", "Web app Mail"] {
        assert!(page.body.contains(&format!(" {label}</label>")), "{label}");
    }
    assert!(page.body.contains("<legend>Protocols</legend>"));
    // Switching tabs without the script carries the choice along.
    let page = app
        .get(
            "/setup?address=admin%40localhost&current_tab=automatic&tab=manual&protocol_choice=1&imap=on&pop3=on",
            Some(&cookie),
        )
        .await;
    assert_eq!(ticked(&page.body), ["imap", "pop3"]);

    // None ticked: refused, with the message next to the field, and nothing created.
    let r = submit(
        &app,
        &cookie,
        "/setup/generate",
        &[
            ("device", "new"),
            ("description", "Laptop"),
            ("current_tab", "manual"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let legend = r.body.find("<legend>Protocols</legend>").unwrap();
    let error = r
        .body
        .find(r#"<p class="field-error" id="protocols-error">Choose at least one protocol.</p>"#)
        .unwrap_or_else(|| panic!("{}", r.body));
    let fieldset_end = r.body[legend..].find("</fieldset>").unwrap() + legend;
    assert!(
        legend < error && error < fieldset_end,
        "the message is in the field"
    );
    assert!(
        r.body
            .contains(r#"aria-describedby="protocols-hint protocols-error""#)
    );
    assert!(r.body.contains(r#"value="Laptop""#), "what was typed stays");
    assert!(ticked(&r.body).is_empty());
    assert!(
        r.body
            .contains(r#"id="panel-manual" aria-labelledby="tab-manual">"#)
    );
    assert!(protocols_of_devices(&app).await.is_empty());

    // Both messages when both fields are wrong.
    let r = submit(
        &app,
        &cookie,
        "/setup/generate",
        &[("device", "new"), ("description", " ")],
    )
    .await;
    assert!(r.body.contains("Enter a description."));
    assert!(r.body.contains("Choose at least one protocol."));

    // Some ticked: the device gets those.
    let r = submit(
        &app,
        &cookie,
        "/setup/generate",
        &[
            ("device", "new"),
            ("description", "Laptop"),
            ("imap", "on"),
            ("pop3", "on"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(protocols_of_devices(&app).await, ["imap,pop3"]);
    // A form without the checkboxes at all (an older page) means all four.
    let r = app
        .post(
            "/setup/generate",
            Some(&cookie),
            &[
                ("address", ADMIN),
                ("device", "new"),
                ("description", "Tablet"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut all = protocols_of_devices(&app).await;
    all.sort();
    assert_eq!(all, ["imap,pop3", "imap,smtp,pop3,webmail"]);
}

#[tokio::test]
async fn a_profile_needs_a_way_to_read_and_a_way_to_send() {
    let app = App::start_with(with_servers()).await;
    let cookie = app.sign_in_admin().await;
    let page = app.get("/setup", Some(&cookie)).await;
    assert!(page.body.contains(">Create an Apple profile</button>"));
    assert!(
        page.body
            .contains("Thunderbird, Outlook and other mail programs")
    );
    assert!(
        page.body
            .contains(r#"id="panel-automatic" aria-labelledby="tab-automatic">"#),
        "the automatic tab is the first one open"
    );

    let r = submit(
        &app,
        &cookie,
        "/setup/profile",
        &[
            ("device", "new"),
            ("description", "iPhone"),
            ("current_tab", "automatic"),
            ("imap", "on"),
            ("webmail", "on"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("An Apple profile needs IMAP or POP3 to read mail and SMTP to send it"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains(r#"id="panel-automatic" aria-labelledby="tab-automatic">"#)
    );
    assert_eq!(ticked(&r.body), ["imap", "webmail"]);

    // An existing device that may not send cannot get a profile either.
    let (id, _) = app.server.device(ADMIN, "Reader", "imap").await;
    let r = submit(
        &app,
        &cookie,
        "/setup/profile",
        &[("device", &id.to_string())],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("“Reader” may not use IMAP or POP3 and SMTP"),
        "{}",
        r.body
    );

    // With SMTP ticked, the profile is made.
    let r = submit(
        &app,
        &cookie,
        "/setup/profile",
        &[
            ("device", "new"),
            ("description", "iPhone"),
            ("pop3", "on"),
            ("smtp", "on"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.location().starts_with("/setup/profile/"));
}

#[tokio::test]
async fn no_profile_without_mail_listeners() {
    let app = App::start().await;
    let cookie = app.sign_in_admin().await;
    let page = app.get("/setup", Some(&cookie)).await;
    assert!(!page.body.contains("Create an Apple profile"));
    assert!(
        page.body
            .contains("This server offers no IMAP and SMTP service")
    );
    let r = submit(
        &app,
        &cookie,
        "/setup/profile",
        &[("device", "new"), ("description", "iPhone")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}
