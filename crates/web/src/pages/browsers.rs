//! `Signed-in browsers`: the account's web sessions, each with `Sign out`, and
//! `Sign out everywhere else`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::WebResult;
use crate::extract::Path;
use crate::flash::{self, Flash};
use crate::pages::settings::{Sidebar, sidebar};
use crate::pages::view::{Chrome, machine_time, when};
use crate::session::{self, Viewer};
use crate::state::AppState;

/// Where the list lives.
const URL: &str = "/account/browsers";

/// One row of the list.
struct BrowserRow {
    id: String,
    browser: String,
    ip: String,
    started: String,
    started_iso: String,
    last_seen: String,
    last_seen_iso: String,
    this_browser: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "browsers.html")]
struct BrowsersPage {
    chrome: Chrome,
    sidebar: Sidebar,
    browsers: Vec<BrowserRow>,
    others: bool,
}

/// The list.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
) -> WebResult<impl IntoResponse> {
    let browsers: Vec<BrowserRow> = state
        .core
        .signed_in_browsers(&viewer.account)
        .await?
        .into_iter()
        .map(|b| BrowserRow {
            browser: b.browser(),
            ip: b.session.ip.clone(),
            started: when(b.session.created_at),
            started_iso: machine_time(b.session.created_at),
            last_seen: when(b.session.last_seen_at),
            last_seen_iso: machine_time(b.session.last_seen_at),
            this_browser: b.token_hash == viewer.token,
            id: b.id,
        })
        .collect();
    let others = browsers.iter().any(|b| !b.this_browser);
    Ok(BrowsersPage {
        chrome: Chrome::new(&viewer, flash, "settings"),
        sidebar: sidebar(&state, &viewer, None, "browsers").await?,
        browsers,
        others,
    })
}

/// `Sign out` of one session: its next request finds itself signed out. Signing this browser
/// out goes to the sign-in page.
pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> WebResult<Response> {
    if let Some(cookie) = session::sign_out_one(&state, &viewer, &id).await? {
        return Ok((
            [(axum::http::header::SET_COOKIE, cookie)],
            Redirect::to("/sign-in"),
        )
            .into_response());
    }
    Ok((
        [flash::set(&state.settings, "That browser is signed out.")],
        Redirect::to(URL),
    )
        .into_response())
}

/// `Sign out everywhere else`.
pub async fn sign_out_others(State(state): State<AppState>, viewer: Viewer) -> WebResult<Response> {
    let ended = state
        .core
        .sign_out_other_browsers(&viewer.account, &viewer.token)
        .await?;
    for token in &ended {
        session::forget(&state, token);
    }
    Ok((
        [flash::set(
            &state.settings,
            "Every other browser is signed out.",
        )],
        Redirect::to(URL),
    )
        .into_response())
}
