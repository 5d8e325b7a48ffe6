//! Settings → Account → `Two-step verification`: turn it on (the account password, then a QR
//! code and the secret, confirmed by one code, then the recovery codes shown once), or off
//! (the password and a code).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::DomainError;
use postern_domain::sign_in_log::Via;
use postern_domain::two_step::{TwoStep, TwoStepSetup};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{ClientIp, Form};
use crate::flash::{self, Flash};
use crate::pages::settings::{Sidebar, sidebar};
use crate::pages::view::{Chrome, when};
use crate::qr;
use crate::session::Viewer;
use crate::state::AppState;

/// Where the page lives.
const URL: &str = "/account/two-step";

/// What the page shows.
enum Stage {
    /// Off: `Turn on` with the account password.
    Off,
    /// A secret waits for its first code.
    Scan { qr_svg: String, secret: String },
    /// Just turned on: the recovery codes, this once.
    Codes(Vec<String>),
    /// On: since when, codes left, `Turn off`.
    On { since: String, codes_left: usize },
}

#[derive(Template, WebTemplate)]
#[template(path = "two_step.html")]
struct TwoStepPage {
    chrome: Chrome,
    sidebar: Sidebar,
    stage: Stage,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    stage: Stage,
    error: Option<String>,
) -> WebResult<TwoStepPage> {
    Ok(TwoStepPage {
        chrome: Chrome::new(viewer, flash, "settings"),
        sidebar: sidebar(state, viewer, None, "two-step").await?,
        stage,
        error,
    })
}

/// The secret as a QR code and as text in groups of four.
fn scan(setup: &TwoStepSetup) -> WebResult<Stage> {
    let secret = setup.secret.expose_secret();
    let grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Stage::Scan {
        qr_svg: qr::svg(
            setup.otpauth_uri.expose_secret(),
            "QR code for your authenticator app",
        )?,
        secret: grouped,
    })
}

/// The page as the account stands now.
async fn current(state: &AppState, viewer: &Viewer) -> WebResult<Stage> {
    Ok(match state.core.two_step(viewer.account.id).await? {
        TwoStep::On {
            since,
            recovery_codes_left,
        } => Stage::On {
            since: when(since),
            codes_left: recovery_codes_left,
        },
        TwoStep::Off => match state.core.pending_two_step(&viewer.account).await? {
            Some(setup) => scan(&setup)?,
            None => Stage::Off,
        },
    })
}

/// The page.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
) -> WebResult<impl IntoResponse> {
    let stage = current(&state, &viewer).await?;
    page(&state, &viewer, flash, stage, None).await
}

/// The page again with what was wrong.
async fn refused(state: &AppState, viewer: &Viewer, e: DomainError) -> WebResult<Response> {
    let status = match e {
        DomainError::Throttled => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::UNAUTHORIZED,
    };
    let message = match e {
        DomainError::AuthFailed => "The password or the code is not right.".to_owned(),
        DomainError::CodeRequired => "Enter a code from your authenticator app.".to_owned(),
        e => WebError::from(e).message(),
    };
    let stage = current(state, viewer).await?;
    let page = page(state, viewer, Flash(None), stage, Some(message)).await?;
    Ok((status, page).into_response())
}

fn is_refusal(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::AuthFailed | DomainError::CodeRequired | DomainError::Throttled
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    pub(crate) password: SecretString,
}

/// `Turn on`: the account password, then a new secret to scan.
pub async fn begin(
    State(state): State<AppState>,
    mut viewer: Viewer,
    ClientIp(ip): ClientIp,
    Form(form): Form<PasswordForm>,
) -> WebResult<Response> {
    let checked = state
        .core
        .confirm_password(
            viewer.account.id,
            form.password.expose_secret(),
            None,
            ip,
            Via::WebReauth,
        )
        .await;
    match checked {
        Ok(()) => {}
        Err(e) if is_refusal(&e) => return refused(&state, &viewer, e).await,
        Err(e) => return Err(e.into()),
    }
    viewer.confirm(&state).await?;
    match state.core.begin_two_step(&viewer.account).await {
        Ok(_) | Err(DomainError::Conflict(_)) => Ok(Redirect::to(URL).into_response()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    pub(crate) code: SecretString,
}

/// The first code from the app: on, and the recovery codes, shown this once.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Form(form): Form<CodeForm>,
) -> WebResult<Response> {
    let outcome = state
        .core
        .confirm_two_step(&viewer.account, form.code.expose_secret(), ip)
        .await;
    let codes = match outcome {
        Ok(codes) => codes,
        Err(e) if is_refusal(&e) => return refused(&state, &viewer, e).await,
        Err(DomainError::NotFound(_) | DomainError::Conflict(_)) => {
            return Ok(Redirect::to(URL).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    let stage = Stage::Codes(codes.iter().map(|c| c.expose_secret().to_owned()).collect());
    let page = page(&state, &viewer, Flash(None), stage, None).await?;
    // Shown once: nothing keeps this page.
    Ok(([("cache-control", "no-store")], page).into_response())
}

#[derive(Deserialize)]
pub struct OffForm {
    pub(crate) password: SecretString,
    pub(crate) code: SecretString,
}

/// `Turn off`: the account password and a code.
pub async fn turn_off(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Form(form): Form<OffForm>,
) -> WebResult<Response> {
    let outcome = state
        .core
        .turn_off_two_step(
            &viewer.account,
            form.password.expose_secret(),
            Some(form.code.expose_secret()),
            ip,
            Via::WebReauth,
        )
        .await;
    match outcome {
        Ok(()) | Err(DomainError::NotFound(_)) => {}
        Err(e) if is_refusal(&e) => return refused(&state, &viewer, e).await,
        Err(e) => return Err(e.into()),
    }
    let notice = "Two-step verification is off. Signing in needs only your password.";
    Ok(([flash::set(&state.settings, notice)], Redirect::to(URL)).into_response())
}
