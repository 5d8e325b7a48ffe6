//! The account password: current and new. Changing it signs the account's other web
//! sessions out.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::DomainError;
use postern_domain::account_password::AccountPassword;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{ClientIp, Form};
use crate::flash::{self, Flash};
use crate::pages::settings::{Sidebar, sidebar};
use crate::pages::view::Chrome;
use crate::session::Viewer;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "account_password.html")]
struct AccountPasswordPage {
    chrome: Chrome,
    sidebar: Sidebar,
    error: Option<String>,
    /// `current`, `new`, `repeat` or empty: the field the error is about.
    error_field: &'static str,
    min_chars: usize,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    error: Option<(&'static str, String)>,
) -> WebResult<AccountPasswordPage> {
    let (error_field, error) = match error {
        Some((f, m)) => (f, Some(m)),
        None => ("", None),
    };
    Ok(AccountPasswordPage {
        chrome: Chrome::new(viewer, flash, "settings"),
        sidebar: sidebar(state, viewer, None, "account").await?,
        error,
        error_field,
        min_chars: AccountPassword::MIN_CHARS,
    })
}

/// The form again, with what was wrong.
async fn refused(
    state: &AppState,
    viewer: &Viewer,
    status: StatusCode,
    field: &'static str,
    message: String,
) -> WebResult<Response> {
    let page = page(state, viewer, Flash(None), Some((field, message))).await?;
    Ok((status, page).into_response())
}

/// The form.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
) -> WebResult<impl IntoResponse> {
    page(&state, &viewer, flash, None).await
}

#[derive(Deserialize)]
pub struct ChangeForm {
    pub(crate) current: SecretString,
    pub(crate) new: SecretString,
    pub(crate) repeat: SecretString,
    /// `Also disconnect every device of my addresses`, when ticked.
    #[serde(default)]
    pub(crate) disconnect_devices: Option<String>,
}

/// What follows a password change, in the web app and the API alike: every other session of
/// the account is signed out, this one counts as confirmed, and, when asked, every device of
/// the account's addresses is disconnected (how many, then).
pub(crate) async fn after_password_change(
    state: &AppState,
    viewer: &mut Viewer,
    disconnect_devices: bool,
) -> WebResult<Option<usize>> {
    state
        .core
        .web_sessions()
        .delete_sessions_of(viewer.account.id, Some(&viewer.token))
        .await?;
    viewer.confirm(state).await?;
    if !disconnect_devices {
        return Ok(None);
    }
    Ok(Some(
        state.core.disconnect_devices_of(&viewer.account).await?,
    ))
}

/// Changes the password after checking the current one, then signs out every other session.
pub async fn submit(
    State(state): State<AppState>,
    mut viewer: Viewer,
    ClientIp(ip): ClientIp,
    Form(form): Form<ChangeForm>,
) -> WebResult<Response> {
    if form.new.expose_secret() != form.repeat.expose_secret() {
        let message = "The two new passwords are not the same.".to_owned();
        return refused(
            &state,
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "repeat",
            message,
        )
        .await;
    }
    let outcome = state
        .core
        .change_password(
            viewer.account.id,
            form.current.expose_secret(),
            form.new.expose_secret(),
            ip,
        )
        .await;
    match outcome {
        Ok(()) => {}
        Err(DomainError::Invalid { message, .. }) => {
            let message = format!("New password: {message}");
            return refused(
                &state,
                &viewer,
                StatusCode::UNPROCESSABLE_ENTITY,
                "new",
                message,
            )
            .await;
        }
        Err(DomainError::AuthFailed) => {
            let message = "That is not your current password.".to_owned();
            return refused(
                &state,
                &viewer,
                StatusCode::UNAUTHORIZED,
                "current",
                message,
            )
            .await;
        }
        Err(e @ DomainError::Throttled) => {
            let e = WebError::from(e);
            return refused(&state, &viewer, e.status(), "current", e.message()).await;
        }
        Err(e) => return Err(e.into()),
    }
    let disconnected =
        after_password_change(&state, &mut viewer, form.disconnect_devices.is_some()).await?;
    let mut notice =
        "Your password was changed. Everywhere else you were signed in, you are now signed out."
            .to_owned();
    if let Some(n) = disconnected {
        notice.push_str(&format!(
            " {n} device{} disconnected.",
            if n == 1 { " was" } else { "s were" }
        ));
    }
    Ok((
        [flash::set(&state.settings, &notice)],
        Redirect::to("/account/password"),
    )
        .into_response())
}
