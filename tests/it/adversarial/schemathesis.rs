//! Schemathesis against a live Postern: requests generated from `/api/v1/openapi.json`
//! (valid and invalid ones), sent with a signed-in session. No answer may be a server error,
//! and every answer must be one the document declares, in status, content type, headers and
//! body.
//!
//! Schemathesis comes from PyPI; `scripts/install-test-deps.sh` installs it in a virtual
//! environment under `target/test-tools/schemathesis`.

use std::process::Command;
use std::time::{Duration, Instant};

use postern_testkit::{Listener, Need, TestServer, requires};
use reqwest::header::SET_COOKIE;

/// Examples generated per operation and phase: enough to reach every declared answer,
/// few enough that the run takes a minute or two.
const MAX_EXAMPLES: &str = "100";

/// The checks that make "no 5xx, every response conforms to the schema".
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
    response_headers_conformance,response_schema_conformance,negative_data_rejection";

/// The session cookie's value after a sign-in through the API.
async fn session_cookie(web: std::net::SocketAddr, login: &str, password: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("http://{web}/api/v1/login"))
        .json(&serde_json::json!({"login": login, "password": password}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status(), 200);
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|c| c.to_str().ok())
        .find(|c| c.starts_with("postern_session="))
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.strip_prefix("postern_session="))
        .expect("a session cookie")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_schema() {
    if !requires(&[Need::Schemathesis]) {
        return;
    }
    let st = postern_testkit::needs::schemathesis();
    let server = TestServer::start().await;
    let web = server.addr(Listener::Web);
    let (login, password) = server.admin();
    // A second address with a device, so that listing, resetting and disconnecting have
    // something to find when the generated values hit them.
    server.address("shared@localhost", &login).await;
    server
        .device("shared@localhost", "Phone", "imap,webmail")
        .await;
    let session = session_cookie(web, &login, &password).await;

    let work = tempfile::tempdir().expect("a working directory");
    // The session goes in as the document's `session` scheme, so that Schemathesis also
    // tries calls without it; the address in paths is one the account owns, so that listing
    // and creating devices reach past "not found".
    let config = format!(
        "[auth.openapi.session]\napi_key = \"{session}\"\n\n\
         [parameters]\n\"path.email\" = \"shared@localhost\"\n"
    );
    let config_file = work.path().join("schemathesis.toml");
    std::fs::write(&config_file, config).expect("a config file");
    let started = Instant::now();
    let st_run = tokio::task::spawn_blocking({
        let web = web.to_string();
        move || {
            Command::new(st)
                .current_dir(work.path())
                .env("NO_COLOR", "1")
                .arg("--config-file")
                .arg(&config_file)
                .args([
                    "run",
                    &format!("http://{web}/api/v1/openapi.json"),
                    "--url",
                    &format!("http://{web}"),
                    "--checks",
                    CHECKS,
                    "--max-examples",
                    MAX_EXAMPLES,
                    "--request-timeout",
                    "20",
                    "--generation-database",
                    "none",
                    "--suppress-health-check",
                    "all",
                    // Signing out would end the session the other calls run with.
                    "--exclude-operation-id",
                    "logout",
                ])
                .output()
        }
    });
    let output = tokio::time::timeout(Duration::from_secs(600), st_run)
        .await
        .expect("schemathesis ends in time")
        .unwrap()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "schemathesis took {:?}\n{stdout}\n{stderr}",
        started.elapsed()
    );
    assert!(
        output.status.success(),
        "schemathesis found failures ({})",
        output.status
    );
    // It did test: every operation but the excluded one was exercised.
    assert!(stdout.contains("passed"), "no summary of passed operations");
    server.stop().await;
}
