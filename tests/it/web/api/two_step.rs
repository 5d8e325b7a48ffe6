//! Two-step verification through the API: a secret, its first code, the recovery codes;
//! `code_required` at sign-in and re-authentication; each code once; turning it off; and the
//! operator's `postern account reset-2fa`.

use postern_domain::clock::Clock;
use postern_domain::model::ActivityKind;
use postern_domain::two_step::code_at;
use postern_domain::{Actor, Email};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::Duration;

use super::{ADMIN, Api};
use crate::support::postern;

/// The code the owner's app shows `seconds` from now on the server's clock.
fn code(api: &Api, secret: &str, seconds: i64) -> String {
    code_at(secret, api.clock.now() + Duration::seconds(seconds)).unwrap()
}

async fn login_with(api: &mut Api, password: &str, code: Option<&str>) -> super::Answer {
    api.cookie = None;
    let mut body = json!({"login": ADMIN, "password": password});
    if let Some(c) = code {
        body["code"] = json!(c);
    }
    let a = api.call(Method::POST, "/api/v1/login", Some(body)).await;
    if let Some(set) = a.headers.get("set-cookie") {
        api.cookie = Some(set.to_str().unwrap().split(';').next().unwrap().to_owned());
    }
    a
}

async fn status(api: &Api) -> Value {
    let a = api
        .call(Method::GET, "/api/v1/account/two-step", None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    a.body
}

/// Turns two-step verification on; returns the secret and the recovery codes.
async fn turn_on(api: &Api) -> (String, Vec<String>) {
    let a = api
        .call(Method::POST, "/api/v1/account/two-step", None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let secret = a.body["secret"].as_str().unwrap().to_owned();
    let first = code(api, &secret, 0);
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/two-step/confirm",
            Some(json!({"code": first})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let codes = a.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes)
}

#[tokio::test]
async fn turning_on_signing_in_with_codes_and_turning_off() {
    let mut api = Api::start().await;
    let (_, password) = api.server.admin();
    api.login_admin().await;
    assert_eq!(status(&api).await, json!({"enabled": false}));

    // A new secret needs a recent confirmation of the account password.
    api.advance_minutes(6);
    let a = api
        .call(Method::POST, "/api/v1/account/two-step", None)
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::FORBIDDEN, "reauth_required")
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/reauth",
            Some(json!({"password": password})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);

    // Nothing waits yet: no code can be confirmed.
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/two-step/confirm",
            Some(json!({"code": "123456"})),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "not_found"));

    let a = api
        .call(Method::POST, "/api/v1/account/two-step", None)
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let secret = a.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    let uri = a.body["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/Postern:admin%40localhost?")
            && uri.contains(&format!("secret={secret}"))
            && uri.contains("issuer=Postern"),
        "{uri}"
    );
    // Not on before a code from the app confirms it.
    assert_eq!(status(&api).await["enabled"], false);

    let right = code(&api, &secret, 0);
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/two-step/confirm",
            Some(json!({"code": wrong})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    let a = api
        .call(
            Method::POST,
            "/api/v1/account/two-step/confirm",
            Some(json!({"code": right})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let recovery: Vec<String> = a.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);
    assert!(
        recovery
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
    );
    let s = status(&api).await;
    assert_eq!(
        (s["enabled"].clone(), s["recovery_codes_left"].clone()),
        (json!(true), json!(10))
    );
    let a = api
        .call(Method::POST, "/api/v1/account/two-step", None)
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::CONFLICT, "conflict"));

    // Sign-in: the password alone is not enough, and says so only when it is right.
    let a = login_with(&mut api, &password, None).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "code_required")
    );
    assert!(api.cookie.is_none());
    let now = code(&api, &secret, 0);
    let a = login_with(&mut api, "a wrong password", Some(&now)).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    // The code that turned it on was used: refused, however right.
    let a = login_with(&mut api, &password, Some(&right)).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    assert!(api.cookie.is_none());
    api.clock.advance(Duration::seconds(30));
    let fresh = code(&api, &secret, 0);
    let a = login_with(&mut api, &password, Some(&fresh)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert!(api.cookie.is_some());
    // The same code again, from anyone: refused.
    let a = login_with(&mut api, &password, Some(&fresh)).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );

    // A recovery code signs in once, typed any way.
    let typed = recovery[0].to_uppercase().replace('-', " ");
    let a = login_with(&mut api, &password, Some(&typed)).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(status(&api).await["recovery_codes_left"], 9);
    let a = login_with(&mut api, &password, Some(&recovery[0])).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    let a = login_with(&mut api, &password, Some(&recovery[1])).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // Re-authentication asks for a code too.
    let a = api
        .call(
            Method::POST,
            "/api/v1/reauth",
            Some(json!({"password": password})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "code_required")
    );
    api.clock.advance(Duration::seconds(30));
    let a = api
        .call(
            Method::POST,
            "/api/v1/reauth",
            Some(json!({"password": password, "code": code(&api, &secret, 0)})),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);

    // Off: the password and a code, both right.
    api.clock.advance(Duration::seconds(30));
    let off = code(&api, &secret, 0);
    let a = api
        .call(
            Method::DELETE,
            "/api/v1/account/two-step",
            Some(json!({"password": "a wrong password", "code": off})),
        )
        .await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );
    let a = api
        .call(
            Method::DELETE,
            "/api/v1/account/two-step",
            Some(json!({"password": password, "code": off})),
        )
        .await;
    assert_eq!(a.status, StatusCode::NO_CONTENT, "{}", a.body);
    assert_eq!(status(&api).await, json!({"enabled": false}));
    let a = api
        .call(
            Method::DELETE,
            "/api/v1/account/two-step",
            Some(json!({"password": password, "code": off})),
        )
        .await;
    assert_eq!((a.status, a.code()), (StatusCode::NOT_FOUND, "not_found"));
    let a = login_with(&mut api, &password, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    // Turned on again, the recovery codes of the first time open nothing.
    let (_, again) = turn_on(&api).await;
    assert!(!again.contains(&recovery[2]));
    let a = login_with(&mut api, &password, Some(&recovery[2])).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::UNAUTHORIZED, "auth_failed")
    );

    // Malformed bodies change nothing (signed in again with a code of the new secret).
    let a = login_with(&mut api, &password, Some(&again[0])).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    for body in [
        json!({}),
        json!({"code": 123456}),
        json!({"password": password}),
    ] {
        let a = api
            .call(Method::DELETE, "/api/v1/account/two-step", Some(body))
            .await;
        assert_eq!(
            (a.status, a.code()),
            (StatusCode::BAD_REQUEST, "bad_request")
        );
    }
}

#[tokio::test]
async fn the_operator_resets_two_step_verification_from_the_command_line() {
    let mut api = Api::start().await;
    let (_, password) = api.server.admin();
    api.login_admin().await;
    let (secret, _) = turn_on(&api).await;
    api.clock.advance(Duration::seconds(30));
    let a = login_with(&mut api, &password, None).await;
    assert_eq!(a.code(), "code_required");

    let cli = |args: &[&str]| {
        let out = postern(&api.server.data_dir())
            .env("POSTERN_STORE", api.server.config.store_url())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code_, out, err) = cli(&["account", "reset-2fa", ADMIN]);
    assert_eq!(code_, Some(0), "{err}");
    assert_eq!(
        out.trim(),
        "two-step verification of admin@localhost is off"
    );
    let (code_, out, _) = cli(&["account", "reset-2fa", ADMIN]);
    assert_eq!(
        (code_, out.trim()),
        (
            Some(0),
            "two-step verification of admin@localhost was off already"
        )
    );
    let (code_, out, err) = cli(&["account", "reset-2fa", "nobody@localhost"]);
    assert_eq!((code_, out.as_str()), (Some(1), ""));
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("no account nobody@localhost"), "{err}");

    let a = login_with(&mut api, &password, None).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(status(&api).await, json!({"enabled": false}));
    // Turned on again, it has a new secret: the old one's codes are not it.
    let a = api
        .call(Method::POST, "/api/v1/account/two-step", None)
        .await;
    assert_ne!(a.body["secret"].as_str().unwrap(), secret);

    // Both changes are in the activity log of the account's address, with who made them.
    let log = api
        .server
        .core()
        .activity_log(&Actor::CommandLine, &Email::parse(ADMIN).unwrap(), 10)
        .await
        .unwrap();
    let seen: Vec<(ActivityKind, &str)> = log.iter().map(|e| (e.kind, e.actor.as_str())).collect();
    assert_eq!(
        seen,
        [
            (ActivityKind::TwoStepOff, "command line"),
            (ActivityKind::TwoStepOn, ADMIN)
        ]
    );
}

#[tokio::test]
async fn the_secret_is_kept_sealed_and_the_recovery_codes_only_as_hashes() {
    let mut api = Api::start().await;
    api.login_admin().await;
    let (secret, codes) = turn_on(&api).await;
    let core = api.server.core();
    let (login, _) = api.server.admin();
    let account = core
        .store()
        .account_by_login(&postern_domain::Login::parse(&login).unwrap())
        .await
        .unwrap()
        .unwrap()
        .account
        .id;
    let record = core.store().two_step(account).await.unwrap().unwrap();
    // Nonce, 20 sealed bytes, tag: nothing of the secret as the app gets it.
    assert_eq!(record.sealed_secret.len(), 12 + 20 + 16);
    assert!(
        !record
            .sealed_secret
            .windows(8)
            .any(|w| secret.as_bytes().windows(8).any(|s| s == w))
    );
    // With SQLite, the store is a file of the data directory: neither the secret nor a
    // recovery code is in any file there, in any case.
    let mut needles = vec![secret.clone(), secret.to_lowercase()];
    for c in &codes {
        needles.push(c.clone());
        needles.push(c.replace('-', ""));
    }
    for entry in std::fs::read_dir(api.server.data_dir()).unwrap() {
        let path = entry.unwrap().path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        for n in &needles {
            assert!(
                !bytes.windows(n.len()).any(|w| w == n.as_bytes()),
                "{n} is in {}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let mut api = Api::start().await;
    let (_, password) = api.server.admin();
    api.login_admin().await;
    let (secret, _) = turn_on(&api).await;
    api.clock.advance(Duration::seconds(30));
    let right = code(&api, &secret, 0);
    let wrong = if right == "000000" {
        "000001"
    } else {
        "000000"
    };
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(
            login_with(&mut api, &password, Some(wrong))
                .await
                .code()
                .to_owned(),
        );
    }
    assert_eq!(answers[..5], ["auth_failed"; 5]);
    assert_eq!(answers[5], "throttled");
    // Throttled, the right code is not even looked at.
    let a = login_with(&mut api, &password, Some(&right)).await;
    assert_eq!(
        (a.status, a.code()),
        (StatusCode::TOO_MANY_REQUESTS, "throttled")
    );
}
