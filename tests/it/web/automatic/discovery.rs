//! Thunderbird's autoconfig and Microsoft's Autodiscover, parsed with real XML and JSON
//! parsers and checked against the running listeners: every server they name is signed in
//! to with the host, port and security they give.

use postern_testkit::{Need, requires};
use reqwest::StatusCode;

use super::{ADMIN, Site, sign_in_with};
use postern_testkit::Listener;

/// `(protocol, port, security)` of every mail listener of the server, implicit TLS first.
fn listeners(site: &Site) -> Vec<(String, u16, String)> {
    [
        ("imap", Listener::ImapTls, "SSL"),
        ("imap", Listener::Imap, "STARTTLS"),
        ("pop3", Listener::Pop3Tls, "SSL"),
        ("pop3", Listener::Pop3, "STARTTLS"),
        ("smtp", Listener::SmtpTls, "SSL"),
        ("smtp", Listener::Smtp, "STARTTLS"),
    ]
    .into_iter()
    .map(|(p, key, s)| (p.to_owned(), site.port(key), s.to_owned()))
    .collect()
}

fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &str) -> &'a str {
    node.children()
        .find(|n| n.tag_name().name() == name)
        .and_then(|n| n.text())
        .unwrap_or_else(|| panic!("no {name} in {:?}", node.tag_name()))
}

#[tokio::test]
async fn thunderbird_autoconfig_names_every_listener_and_no_secret() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let site = Site::start().await;
    let (_, password) = site
        .server
        .device(ADMIN, "Thunderbird", "imap,smtp,pop3")
        .await;
    let mut answers = Vec::new();
    for path in [
        "/mail/config-v1.1.xml?emailaddress=admin%40localhost",
        "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=admin%40localhost",
        "/.well-known/autoconfig/mail/config-v1.1.xml",
    ] {
        let page = site.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.header("content-type").starts_with("application/xml"));
        answers.push(page.text());
    }
    // The same settings with or without the address: it is not looked up.
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);
    let xml = &answers[0];
    assert!(!xml.contains(&password));

    let doc = roxmltree::Document::parse(xml).unwrap();
    let config = doc.root_element();
    assert_eq!(config.tag_name().name(), "clientConfig");
    assert_eq!(config.attribute("version"), Some("1.1"));
    let provider = config
        .children()
        .find(|n| n.has_tag_name("emailProvider"))
        .unwrap();
    assert_eq!(provider.attribute("id"), Some("localhost"));
    assert_eq!(child_text(provider, "domain"), "localhost");

    let mut named = Vec::new();
    for server in provider
        .children()
        .filter(|n| n.has_tag_name("incomingServer") || n.has_tag_name("outgoingServer"))
    {
        let kind = server.attribute("type").unwrap().to_owned();
        let host = child_text(server, "hostname");
        let port: u16 = child_text(server, "port").parse().unwrap();
        let security = child_text(server, "socketType").to_owned();
        assert_eq!(host, "localhost", "the configured hostname");
        assert_eq!(child_text(server, "username"), "%EMAILADDRESS%");
        assert_eq!(child_text(server, "authentication"), "password-cleartext");
        // Entered as Thunderbird would: the address as user name, the device password.
        sign_in_with(&site.server, &kind, host, port, &security, ADMIN, &password)
            .await
            .unwrap_or_else(|e| panic!("{kind} {host}:{port} {security}: {e}"));
        named.push((kind, port, security));
    }
    assert_eq!(named, listeners(&site));
    // The first incoming server is the one Thunderbird picks: IMAP with TLS.
    assert_eq!(named[0].0, "imap");
    assert_eq!(named[0].2, "SSL");

    // An address of any domain gets the settings under that domain, looked up or not.
    let page = site
        .get("/mail/config-v1.1.xml?emailaddress=someone%40example.org")
        .await;
    let doc = roxmltree::Document::parse(std::str::from_utf8(&page.body).unwrap()).unwrap();
    let provider = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("emailProvider"))
        .unwrap();
    assert_eq!(provider.attribute("id"), Some("example.org"));
    let page = site
        .get("/mail/config-v1.1.xml?emailaddress=not-an-address")
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn advertised_ports_follow_the_public_settings() {
    let site = Site::start_with(|c| {
        c.hostname = "mail.example.net".into();
        c.imap.public_port_tls = 993;
        c.smtp.public_port = 587;
        c.pop3.listen = None;
        c.pop3.listen_tls = None;
    })
    .await;
    let xml = site.get("/mail/config-v1.1.xml").await.text();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let servers: Vec<(String, String, u16, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("incomingServer") || n.has_tag_name("outgoingServer"))
        .map(|s| {
            (
                s.attribute("type").unwrap().to_owned(),
                child_text(s, "hostname").to_owned(),
                child_text(s, "port").parse().unwrap(),
                child_text(s, "socketType").to_owned(),
            )
        })
        .collect();
    let host = "mail.example.net".to_owned();
    assert_eq!(
        servers,
        [
            ("imap".into(), host.clone(), 993, "SSL".into()),
            (
                "imap".into(),
                host.clone(),
                site.port(Listener::Imap),
                "STARTTLS".into()
            ),
            (
                "smtp".into(),
                host.clone(),
                site.port(Listener::SmtpTls),
                "SSL".into()
            ),
            ("smtp".into(), host, 587, "STARTTLS".into()),
        ]
    );
}

const POX_REQUEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>EMAIL</EMailAddress>
    <AcceptableResponseSchema>SCHEMA</AcceptableResponseSchema>
  </Request>
</Autodiscover>"#;

const OUTLOOK: &str =
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

#[tokio::test]
async fn autodiscover_answers_outlook_with_the_running_listeners() {
    if !requires(&[Need::Python3]) {
        return;
    }
    let site = Site::start().await;
    let (_, password) = site.server.device(ADMIN, "Outlook", "imap,smtp,pop3").await;
    let request = POX_REQUEST
        .replace("EMAIL", ADMIN)
        .replace("SCHEMA", OUTLOOK);
    for path in [
        "/autodiscover/autodiscover.xml",
        "/Autodiscover/Autodiscover.xml",
    ] {
        let page = site.post_raw(path, "text/xml", &request).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.header("content-type").starts_with("text/xml"));
        let xml = page.text();
        assert!(!xml.contains(&password));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006")
        );
        let response = root.children().find(|n| n.is_element()).unwrap();
        assert_eq!(response.tag_name().namespace(), Some(OUTLOOK));
        let account = response
            .children()
            .find(|n| n.tag_name().name() == "Account")
            .unwrap();
        assert_eq!(child_text(account, "AccountType"), "email");
        assert_eq!(child_text(account, "Action"), "settings");
        let mut named = Vec::new();
        for protocol in account
            .children()
            .filter(|n| n.tag_name().name() == "Protocol")
        {
            let kind = child_text(protocol, "Type").to_ascii_lowercase();
            let host = child_text(protocol, "Server");
            let port: u16 = child_text(protocol, "Port").parse().unwrap();
            assert_eq!(child_text(protocol, "SSL"), "on");
            // `SSL`: TLS from the start; `TLS`: STARTTLS.
            let security = match child_text(protocol, "Encryption") {
                "SSL" => "SSL",
                "TLS" => "STARTTLS",
                other => panic!("encryption {other}"),
            };
            assert_eq!(host, "localhost");
            assert_eq!(child_text(protocol, "LoginName"), ADMIN);
            assert_eq!(child_text(protocol, "SPA"), "off");
            assert_eq!(child_text(protocol, "AuthRequired"), "on");
            sign_in_with(&site.server, &kind, host, port, security, ADMIN, &password)
                .await
                .unwrap_or_else(|e| panic!("{kind} {host}:{port} {security}: {e}"));
            named.push((kind, port, security.to_owned()));
        }
        assert_eq!(
            named,
            [
                (
                    "imap".to_owned(),
                    site.port(Listener::ImapTls),
                    "SSL".to_owned()
                ),
                (
                    "pop3".to_owned(),
                    site.port(Listener::Pop3Tls),
                    "SSL".to_owned()
                ),
                (
                    "smtp".to_owned(),
                    site.port(Listener::SmtpTls),
                    "SSL".to_owned()
                ),
            ]
        );
    }
}

#[tokio::test]
async fn autodiscover_refuses_what_it_cannot_answer() {
    let site = Site::start().await;
    let error_code = |xml: &str| {
        let doc = roxmltree::Document::parse(xml).unwrap();
        doc.descendants()
            .find(|n| n.tag_name().name() == "ErrorCode")
            .and_then(|n| n.text())
            .map(str::to_owned)
    };
    let cases = [
        ("not xml at all".to_owned(), Some("600")),
        (
            POX_REQUEST
                .replace("EMAIL", "not an address")
                .replace("SCHEMA", OUTLOOK),
            Some("600"),
        ),
        (
            POX_REQUEST.replace("EMAIL", ADMIN).replace(
                "SCHEMA",
                "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006",
            ),
            Some("601"),
        ),
        (
            // A document type with entities is refused, not expanded.
            format!(
                r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "admin">]>{}"#,
                POX_REQUEST
                    .trim_start_matches(r#"<?xml version="1.0" encoding="utf-8"?>"#)
                    .replace("EMAIL", "&x;@localhost")
                    .replace("SCHEMA", OUTLOOK)
            ),
            Some("600"),
        ),
    ];
    for (body, code) in cases {
        let page = site
            .post_raw("/autodiscover/autodiscover.xml", "text/xml", &body)
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(error_code(&page.text()).as_deref(), code, "{body}");
    }
    // Requests are small; a large one is not read.
    let page = site
        .post_raw(
            "/autodiscover/autodiscover.xml",
            "text/xml",
            &"x".repeat(100_000),
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Only POST is served.
    assert_eq!(
        site.get("/autodiscover/autodiscover.xml").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

#[tokio::test]
async fn autodiscover_json_points_to_the_xml_service() {
    // Reached by its address here; mail programs use the Autodiscover name.
    let site = Site::start_with(|c| {
        c.web.public_url = "https://mail.example.net/".into();
        c.web.extra_hosts = vec!["127.0.0.1".into()];
    })
    .await;
    for path in [
        "/autodiscover/autodiscover.json/v1.0/admin@localhost?Protocol=AutodiscoverV1",
        "/autodiscover/autodiscover.json?Email=admin%40localhost&Protocol=autodiscoverv1",
    ] {
        let page = site.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "Protocol": "AutodiscoverV1",
                "Url": "https://mail.example.net/autodiscover/autodiscover.xml"
            })
        );
    }
    let page = site
        .get("/autodiscover/autodiscover.json/v1.0/admin@localhost?Protocol=ActiveSync")
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_slice(&page.body).unwrap();
    assert_eq!(v["ErrorCode"], "InvalidProtocol");
    let page = site
        .get("/autodiscover/autodiscover.json?Email=nobody&Protocol=AutodiscoverV1")
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}
