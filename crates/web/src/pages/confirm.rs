//! Re-authentication: `Enter your account password`, then the action that asked for it
//! carries on as it was, without typing anything again.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use postern_domain::DomainError;
use postern_domain::sign_in_log::Via;
use postern_domain::two_step::TwoStep;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{ClientIp, Form, Query};
use crate::flash::Flash;
use crate::memory::{Pending, PendingAction};
use crate::pages::setup;
use crate::pages::view::{Chrome, setup_url};
use crate::session::Viewer;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "confirm_password.html")]
struct ConfirmPage {
    chrome: Chrome,
    purpose: String,
    pending: String,
    error: Option<String>,
    cancel_url: String,
    /// Two-step verification is on: a code too.
    ask_code: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "expired.html")]
struct ExpiredPage {
    chrome: Chrome,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    token: &str,
    action: &Pending,
    error: Option<String>,
) -> WebResult<ConfirmPage> {
    let (purpose, cancel_url) = match &action.action {
        PendingAction::CreateDevice {
            email, description, ..
        } => (
            format!("You are adding the device “{description}” to {email}."),
            setup_url(email, None),
        ),
        PendingAction::ResetDevice {
            email, device_id, ..
        } => {
            let device = state.core.device(&viewer.actor(), *device_id).await?;
            (
                format!("You are giving “{}” a new password.", device.description),
                setup_url(email, None),
            )
        }
    };
    Ok(ConfirmPage {
        chrome: Chrome::new(viewer, flash, ""),
        purpose,
        pending: token.to_owned(),
        error,
        cancel_url,
        ask_code: state.core.two_step(viewer.account.id).await? != TwoStep::Off,
    })
}

fn expired(viewer: &Viewer, flash: Flash) -> Response {
    let page = ExpiredPage {
        chrome: Chrome::new(viewer, flash, ""),
    };
    (StatusCode::GONE, page).into_response()
}

#[derive(Deserialize)]
pub struct PendingQuery {
    #[serde(default)]
    pub(crate) pending: String,
}

/// The password prompt for a waiting action.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Query(q): Query<PendingQuery>,
) -> WebResult<Response> {
    let Some(action) = state.pending.peek(&q.pending, &viewer.token, state.now()) else {
        return Ok(expired(&viewer, flash));
    };
    Ok(page(&state, &viewer, flash, &q.pending, &action, None)
        .await?
        .into_response())
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    pub(crate) pending: String,
    pub(crate) password: SecretString,
    /// With two-step verification on.
    #[serde(default)]
    pub(crate) code: Option<SecretString>,
}

/// Checks the account password (throttled like a sign-in), then carries the action out.
/// A wrong password changes nothing.
pub async fn submit(
    State(state): State<AppState>,
    mut viewer: Viewer,
    ClientIp(ip): ClientIp,
    Form(form): Form<ConfirmForm>,
) -> WebResult<Response> {
    let Some(action) = state
        .pending
        .peek(&form.pending, &viewer.token, state.now())
    else {
        return Ok(expired(&viewer, Flash(None)));
    };
    match state
        .core
        .confirm_password(
            viewer.account.id,
            form.password.expose_secret(),
            form.code.as_ref().map(|c| c.expose_secret()),
            ip,
            Via::WebReauth,
        )
        .await
    {
        Ok(()) => {}
        Err(e @ (DomainError::AuthFailed | DomainError::Throttled | DomainError::CodeRequired)) => {
            let error = WebError::from(e);
            let message = match error {
                WebError::Domain(DomainError::AuthFailed) if form.code.is_some() => {
                    "The password or the code is not right.".to_owned()
                }
                WebError::Domain(DomainError::AuthFailed) => {
                    "That is not your account password.".to_owned()
                }
                WebError::Domain(DomainError::CodeRequired) => {
                    "Enter the code from your authenticator app too.".to_owned()
                }
                _ => error.message(),
            };
            let page = page(
                &state,
                &viewer,
                Flash(None),
                &form.pending,
                &action,
                Some(message),
            )
            .await?;
            return Ok((error.status(), page).into_response());
        }
        Err(e) => return Err(e.into()),
    }
    viewer.confirm(&state).await?;
    // Taken only now: a wrong password above leaves the action waiting for another try.
    let Some(action) = state
        .pending
        .take(&form.pending, &viewer.token, state.now())
    else {
        return Ok(expired(&viewer, Flash(None)));
    };
    setup::carry_out(&state, &viewer, action).await
}
