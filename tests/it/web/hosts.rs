//! The names the web app answers to (DNS rebinding): a request whose `Host` is not the public
//! URL's host, nor one of `web.extra_hosts`, gets `421`; the `Origin` of a state-changing
//! request must be the public URL's scheme, host and port. On a loopback public URL (the
//! default) every loopback name is the same server. Over a real socket, with the `Host` and
//! `Origin` headers a browser would send.

use postern_server::config::Config;
use postern_testkit::TestServer;
use reqwest::StatusCode;

use super::harness::form;
use postern_testkit::Listener;

/// What came back from a sign-in.
struct SignIn {
    status: StatusCode,
    session: bool,
    body: String,
}

/// A sign-in form sent to `server` with these `Host` and `Origin` headers.
async fn sign_in(server: &TestServer, host: &str, origin: &str) -> SignIn {
    let (login, password) = server.admin();
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("http://{}/sign-in", server.addr(Listener::Web)))
        .header("host", host)
        .header("origin", origin)
        .header("sec-fetch-site", "same-origin")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("login", &login),
            ("password", &password),
            ("next", ""),
        ]))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let session = res.headers().get_all("set-cookie").iter().any(|v| {
        v.to_str().unwrap().contains("postern_session=")
            && !v.to_str().unwrap().contains("Max-Age=0")
    });
    SignIn {
        status,
        session,
        body: res.text().await.unwrap(),
    }
}

/// A GET with this `Host`; its status.
async fn get(server: &TestServer, host: &str, path: &str) -> StatusCode {
    reqwest::Client::new()
        .get(format!("http://{}{path}", server.addr(Listener::Web)))
        .header("host", host)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_rebound_name_gets_421_and_no_session() {
    let server = TestServer::start().await;
    let r = sign_in(&server, "attacker.test", "http://attacker.test").await;
    assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST, "{}", r.body);
    assert!(!r.session);
    assert!(
        r.body.contains("This server does not answer to that name."),
        "{}",
        r.body
    );
    let port = server.addr(Listener::Web).port();
    let r = sign_in(
        &server,
        &format!("attacker.test:{port}"),
        &format!("http://attacker.test:{port}"),
    )
    .await;
    assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST);
    assert!(!r.session);
    assert_eq!(
        get(&server, "attacker.test", "/sign-in").await,
        StatusCode::MISDIRECTED_REQUEST
    );
    let api = reqwest::Client::new()
        .get(format!(
            "http://{}/api/v1/addresses",
            server.addr(Listener::Web)
        ))
        .header("host", "attacker.test")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::MISDIRECTED_REQUEST);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "misdirected_request");
}

#[tokio::test]
async fn every_loopback_name_works_on_the_default_public_url() {
    let server = TestServer::start().await;
    assert_eq!(server.config.web.public_url, "http://127.0.0.1:8080");
    let port = server.addr(Listener::Web).port();
    for name in ["127.0.0.1", "localhost", "[::1]"] {
        let host = format!("{name}:{port}");
        let r = sign_in(&server, &host, &format!("http://{host}")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{host}: {}", r.body);
        assert!(r.session, "{host}");
    }
    // Chromium hides the origin of a form posted from a page with `Referrer-Policy:
    // no-referrer` (ours); its Sec-Fetch-Site still vouches for it.
    let r = sign_in(&server, &format!("localhost:{port}"), "null").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // The public URL's own port is the same server too (behind a port forward).
    let r = sign_in(&server, "localhost:8080", "http://localhost:8080").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Another port of this machine is another site.
    let r = sign_in(
        &server,
        &format!("127.0.0.1:{port}"),
        "http://127.0.0.1:3000",
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!r.session);
}

fn public(c: &mut Config) {
    c.web.public_url = "https://mail.example.test".into();
    c.web.extra_hosts = vec![
        "autoconfig.example.test".into(),
        "autodiscover.example.test".into(),
    ];
}

#[tokio::test]
async fn the_public_host_and_the_extra_hosts_only() {
    let server = TestServer::start_with(public).await;
    let autoconfig = "/mail/config-v1.1.xml?emailaddress=admin%40localhost";
    assert_eq!(
        get(&server, "autoconfig.example.test", autoconfig).await,
        StatusCode::OK
    );
    assert_eq!(
        get(&server, "Autoconfig.Example.test:8443", autoconfig).await,
        StatusCode::OK
    );
    assert_eq!(
        get(&server, "mail.example.test", autoconfig).await,
        StatusCode::OK
    );
    assert_eq!(
        get(&server, "autoconfig.attacker.test", autoconfig).await,
        StatusCode::MISDIRECTED_REQUEST
    );
    // Loopback names are not this server's when the public URL is not on loopback.
    let port = server.addr(Listener::Web).port();
    assert_eq!(
        get(&server, &format!("127.0.0.1:{port}"), "/sign-in").await,
        StatusCode::MISDIRECTED_REQUEST
    );

    // The rightful sign-in, as the browser sends it through the HTTPS proxy.
    let r = sign_in(&server, "mail.example.test", "https://mail.example.test").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.session);
    // The origin must be the public URL's scheme, host and port, not just an accepted name.
    for origin in [
        "http://mail.example.test",
        "https://mail.example.test:8443",
        "https://autoconfig.example.test",
    ] {
        let r = sign_in(&server, "mail.example.test", origin).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{origin}");
        assert!(!r.session, "{origin}");
    }
}

#[test]
fn extra_hosts_come_from_the_environment_as_a_list() {
    let env = [(
        "POSTERN_WEB__EXTRA_HOSTS".to_owned(),
        "autoconfig.example.test, autodiscover.example.test:443".to_owned(),
    )];
    let c = Config::load(None, env).unwrap();
    assert_eq!(
        c.web.extra_hosts,
        ["autoconfig.example.test", "autodiscover.example.test:443"]
    );
    let bad = [(
        "POSTERN_WEB__EXTRA_HOSTS".to_owned(),
        "not a host/".to_owned(),
    )];
    let e = Config::load(None, bad).unwrap_err().to_string();
    assert!(e.starts_with("web.extra_hosts:"), "{e}");
    let bad = [(
        "POSTERN_WEB__PUBLIC_URL".to_owned(),
        "mail.example.test".to_owned(),
    )];
    let e = Config::load(None, bad).unwrap_err().to_string();
    assert!(e.starts_with("web.public_url:"), "{e}");
}
