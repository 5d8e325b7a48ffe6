//! Signed-in browsers: the account's web sessions listed, and signed out one by one or all
//! but this one, from the page and from the API.

use axum::http::{Method, StatusCode};
use postern_domain::model::ActivityKind;
use postern_domain::{Actor, Email};

use super::harness::App;

const ADMIN: &str = "admin@localhost";

/// The ids of the sessions the API lists for `cookie`, with which one is the caller's.
async fn sessions(app: &App, cookie: &str) -> Vec<(String, bool)> {
    let r = app
        .api(Method::GET, "/api/v1/sessions", Some(cookie), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["ip"], "127.0.0.1");
            assert!(s["created_at"].as_str().unwrap().ends_with('Z'));
            (
                s["id"].as_str().unwrap().to_owned(),
                s["current"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn other_than_mine(list: &[(String, bool)]) -> String {
    list.iter().find(|(_, mine)| !mine).unwrap().0.clone()
}

async fn signed_out_entries(app: &App) -> usize {
    app.server
        .core()
        .activity_log(&Actor::CommandLine, &Email::parse(ADMIN).unwrap(), 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == ActivityKind::BrowserSignedOut)
        .count()
}

#[tokio::test]
async fn signing_another_browser_out_ends_it_and_its_one_time_pages() {
    let app = App::start().await;
    let mine = app.sign_in_admin().await;
    let theirs = app.sign_in_admin().await;

    // The other browser is about to be shown a new password once.
    let r = app
        .post(
            "/setup/generate",
            Some(&theirs),
            &[
                ("address", ADMIN),
                ("device", "new"),
                ("description", "Phone"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let pending = r.location().to_owned();
    assert!(pending.starts_with("/new-password/"), "{pending}");

    let page = app.get("/account/browsers", Some(&mine)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Signed-in browsers"));
    assert!(page.body.contains("This browser"));
    assert!(page.body.contains("Sign out everywhere else"));
    // One per browser, and the page header's own.
    assert_eq!(page.body.matches(">Sign out</button>").count(), 3);

    let list = sessions(&app, &mine).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|(_, m)| *m).count(), 1);
    let id = other_than_mine(&list);
    let r = app
        .post(
            &format!("/account/browsers/{id}/sign-out"),
            Some(&mine),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/account/browsers");

    // Its next request finds it signed out; its pending page died with it.
    let r = app
        .api(Method::GET, "/api/v1/addresses", Some(&theirs), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app.get(&pending, Some(&theirs)).await;
    assert_ne!(r.status, StatusCode::OK);
    let again = app.sign_in_admin().await;
    let r = app.get(&pending, Some(&again)).await;
    assert_eq!(r.status, StatusCode::GONE);
    // This browser is untouched.
    assert_eq!(app.get("/", Some(&mine)).await.status, StatusCode::OK);
    assert_eq!(signed_out_entries(&app).await, 1);

    // An id twice, or made up, is not found.
    let r = app
        .post(
            &format!("/account/browsers/{id}/sign-out"),
            Some(&mine),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // `Sign out everywhere else` keeps this one only.
    let r = app
        .post("/account/browsers/sign-out-others", Some(&mine), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(sessions(&app, &mine).await.len(), 1);
    let r = app.get("/", Some(&again)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_out_entries(&app).await, 2);

    // Signing this browser out goes to the sign-in page.
    let own = sessions(&app, &mine).await[0].0.clone();
    let r = app
        .post(
            &format!("/account/browsers/{own}/sign-out"),
            Some(&mine),
            &[],
        )
        .await;
    assert_eq!(r.location(), "/sign-in");
    assert_eq!(
        app.get("/", Some(&mine)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_api_lists_and_ends_sessions_of_this_account_only() {
    let app = App::start().await;
    app.server
        .account("carol@example.com", "carol's long password")
        .await;
    let carol = app
        .sign_in("carol@example.com", "carol's long password")
        .await;
    let mine = app.sign_in_admin().await;
    let other = app.sign_in_admin().await;

    let carols = sessions(&app, &carol).await;
    assert_eq!(carols.len(), 1);
    // Someone else's session, a made-up id, and no session at all.
    for id in [
        carols[0].0.as_str(),
        "0123456789abcdef0123456789abcdef",
        "x",
    ] {
        let r = app
            .api(
                Method::DELETE,
                &format!("/api/v1/sessions/{id}"),
                Some(&mine),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(r.json()["error"]["code"], "not_found");
    }
    assert_eq!(sessions(&app, &carol).await.len(), 1);
    let r = app.api(Method::GET, "/api/v1/sessions", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/sessions/{}", carols[0].0),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let list = sessions(&app, &mine).await;
    assert_eq!(list.len(), 2);
    let id = other_than_mine(&list);
    let r = app
        .api(
            Method::DELETE,
            &format!("/api/v1/sessions/{id}"),
            Some(&mine),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app
        .api(Method::GET, "/api/v1/sessions", Some(&other), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sessions(&app, &mine).await.len(), 1);
    assert_eq!(signed_out_entries(&app).await, 1);
}
