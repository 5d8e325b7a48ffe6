//! A linked address racing a reset of the device whose password made it: `POST /api/v1/links`
//! with the device's current password while its owner calls `POST /api/v1/devices/{id}/reset`,
//! a few milliseconds apart. Whatever the order, a link made with the old password must not
//! outlive the reset. Run on both stores.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::json;

use postern_testkit::Listener;
use postern_testkit::TestServer;

const OWNER: &str = "admin@localhost";
const LINKER: &str = "bob@example.com";
const LINKER_PASSWORD: &str = "bob's long password";
const TRIALS: u64 = 30;

/// Signs in through the API and returns the session cookie.
async fn api_session(http: &Client, base: &str, login: &str, password: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// Whether `cookie`'s account lists `address` and can open its inbox.
async fn reaches(http: &Client, base: &str, cookie: &str, address: &str) -> (bool, bool) {
    let listed = http
        .get(format!("{base}/api/v1/addresses"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains(address);
    let inbox = http
        .get(format!("{base}/mail/{address}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        == StatusCode::OK;
    (listed, inbox)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_racing_a_reset_never_outlives_it() {
    let server = TestServer::start_with(|c| {
        c.limits.auth_free_failures = 1_000_000_000;
        c.limits.auth_failure_pause = std::time::Duration::ZERO;
    })
    .await;
    server.account(LINKER, LINKER_PASSWORD).await;
    let base = format!("http://{}", server.addr(Listener::Web));
    let http = Client::new();
    let (login, password) = server.admin();
    let owner = api_session(&http, &base, &login, &password).await;
    let linker = api_session(&http, &base, LINKER, LINKER_PASSWORD).await;

    let (mut linked_first, mut reset_first, mut both) = (0, 0, 0);
    for trial in 0..TRIALS * 4 {
        // Run both ways (below) and TRIALS at least: then enough.
        if trial >= TRIALS && linked_first > 0 && reset_first > 0 {
            break;
        }
        let (device, password) = server.device(OWNER, "Shared", "webmail").await;
        // The reset starts 0 to 5 ms after the link request, so that each one in turn gets
        // there first; on a loaded machine, where the link takes longer, later rounds wait
        // up to four times as long.
        let delay = Duration::from_millis((trial % 6) * (1 + trial / TRIALS));
        let link = {
            let (http, base, cookie) = (http.clone(), base.clone(), linker.clone());
            tokio::spawn(async move {
                http.post(format!("{base}/api/v1/links"))
                    .header("cookie", cookie)
                    .json(&json!({"address": OWNER, "password": password}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        };
        let reset = {
            let (http, base, cookie) = (http.clone(), base.clone(), owner.clone());
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                http.post(format!("{base}/api/v1/devices/{device}/reset"))
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        };
        let (link, reset) = (link.await.unwrap(), reset.await.unwrap());
        assert_eq!(reset, StatusCode::OK, "trial {trial}: the owner's reset");
        assert!(
            [StatusCode::CREATED, StatusCode::UNAUTHORIZED].contains(&link),
            "trial {trial}: link answered {link}"
        );
        let (listed, inbox) = reaches(&http, &base, &linker, OWNER).await;
        assert!(
            !listed && !inbox,
            "trial {trial}: a link made with the old password survived the reset \
             (link {link}, listed {listed}, inbox readable {inbox})"
        );
        if link == StatusCode::CREATED {
            both += 1;
        }
        // Which one committed first shows in the owner's activity log: a link logged before
        // the reset was deleted by it; one refused never got there.
        let log = server
            .core()
            .activity_log(
                &postern_domain::Actor::CommandLine,
                &postern_domain::Email::parse(OWNER).unwrap(),
                2,
            )
            .await
            .unwrap();
        let kinds: Vec<_> = log.iter().map(|e| e.kind.as_str()).collect();
        match kinds.as_slice() {
            ["device_reset", "address_linked", ..] => linked_first += 1,
            _ => reset_first += 1,
        }
        server.disconnect(device).await;
    }
    // The race was run both ways, not only won by the reset.
    assert!(
        linked_first > 0 && reset_first > 0,
        "linked first {linked_first}, reset first {reset_first}, both answered success {both}"
    );

    // The rightful use still works: a link with the current password holds and reads mail.
    let (_, password) = server.device(OWNER, "For Bob", "webmail").await;
    let res = http
        .post(format!("{base}/api/v1/links"))
        .header("cookie", &linker)
        .json(&json!({"address": OWNER, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(reaches(&http, &base, &linker, OWNER).await, (true, true));
}
