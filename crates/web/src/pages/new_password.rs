//! Issuing a device password and the one page that shows it.
//!
//! The POST that creates the password keeps it in server memory, bound to the session, under
//! a random one-time token, and redirects to `/new-password/<token>`. That GET takes it out:
//! reloading, going back or forward, or another session finds nothing. The page is
//! `no-store`, and the password is never in a URL, a log or the store.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;

use crate::error::WebResult;
use crate::extract::Path;
use crate::flash::Flash;
use crate::memory::{PendingAction, Revealed};
use crate::pages::view::{Chrome, ServerRow, devices_url, server_rows};
use crate::session::Viewer;
use crate::state::AppState;

/// Carries out a confirmed action and redirects to the page that shows its password.
pub async fn issue(
    state: &AppState,
    viewer: &Viewer,
    action: PendingAction,
) -> WebResult<Response> {
    let actor = viewer.actor();
    let (issued, email, reset) = match action {
        PendingAction::CreateDevice {
            email,
            description,
            protocols,
            rules,
        } => {
            let issued = state
                .core
                .create_device_with(&actor, &email, description, protocols, rules)
                .await?;
            (issued, email, false)
        }
        PendingAction::ResetDevice {
            email,
            device_id,
            rules,
        } => (
            state
                .core
                .reset_device_with(&actor, device_id, rules)
                .await?,
            email,
            true,
        ),
    };
    let revealed = Revealed {
        email,
        device_id: issued.device.id,
        description: issued.device.description.to_string(),
        reset,
        password: issued.password,
    };
    let token = state.revealed.put(&viewer.token, revealed, state.now())?;
    Ok(Redirect::to(&format!("/new-password/{token}")).into_response())
}

#[derive(Template)]
#[template(path = "new_password.html")]
struct NewPasswordPage<'a> {
    chrome: Chrome,
    email: String,
    description: String,
    reset: bool,
    password: &'a str,
    servers: Vec<ServerRow>,
    user_name: String,
    done_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "password_gone.html")]
struct PasswordGonePage {
    chrome: Chrome,
}

/// `Your new password`, once.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let no_store = [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ];
    let Some(r) = state.revealed.take(&token, &viewer.token, state.now()) else {
        let page = PasswordGonePage {
            chrome: Chrome::new(&viewer, flash, ""),
        };
        return Ok((StatusCode::GONE, no_store, page).into_response());
    };
    let page = NewPasswordPage {
        chrome: Chrome::new(&viewer, flash, ""),
        email: r.email.to_string(),
        description: r.description.clone(),
        reset: r.reset,
        password: r.password.expose_secret(),
        servers: server_rows(&state.settings.mail_servers),
        user_name: r.email.to_string(),
        done_url: format!("{}#device-{}", devices_url(&r.email), r.device_id),
    };
    // Rendered here so the password leaves memory with `r` at the end of this call.
    let html = page.render()?;
    Ok((
        no_store,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response())
}
