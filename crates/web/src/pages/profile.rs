//! The Apple profile of the automatic tab: its page with the QR code, and the one-time
//! download the QR code opens.
//!
//! The page (`/setup/profile/<page token>`) belongs to the web session that asked for it.
//! The download (`/profile/<256-bit token>`) needs no session, since a phone scanning the
//! code has none: the token alone opens it, once, for ten minutes, while the session that
//! asked for it lives; then, and for any other token, it answers 410 Gone. Sources that keep
//! asking for links that do not work are throttled. The device is created (or given its new
//! password) by the download itself, so the password exists only in the response that
//! carries the profile: never in the store, a URL or a log, and the response is `no-store`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::{Actor, DomainError};

use crate::apple_profile;
use crate::apple_profile::{Stage, Ticket};
use crate::error::WebResult;
use crate::extract::{ClientIp, Path};
use crate::flash::Flash;
use crate::memory::PendingAction;
use crate::pages::view::{Chrome, device_url, devices_url, setup_url, when};
use crate::qr;
use crate::session::{self, Viewer};
use crate::state::AppState;

/// Makes the ticket of a confirmed action and redirects to the profile's page.
pub async fn prepare(
    state: &AppState,
    viewer: &Viewer,
    action: PendingAction,
) -> WebResult<Response> {
    let (email, description) = match &action {
        PendingAction::CreateDevice {
            email, description, ..
        } => (email.clone(), description.to_string()),
        PendingAction::ResetDevice {
            email, device_id, ..
        } => (
            email.clone(),
            state
                .core
                .device(&viewer.actor(), *device_id)
                .await?
                .description
                .to_string(),
        ),
    };
    let ticket = Ticket {
        account: viewer.account.id,
        action,
    };
    let page = state
        .profiles
        .put(&viewer.token, email, description, ticket, state.now())?;
    Ok(Redirect::to(&format!("/setup/profile/{page}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    email: String,
    description: String,
    reset: bool,
    /// `waiting`, `downloaded`, `failed` or `expired`.
    stage: &'static str,
    qr_svg: String,
    download_url: String,
    expires: String,
    downloaded_at: String,
    device_url: String,
    devices_url: String,
    again_url: String,
}

/// The profile's page: the QR code while the link works, then what became of it.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(page): Path<String>,
) -> WebResult<Response> {
    let Some(view) = state.profiles.page(&page, &viewer.token, state.now()) else {
        return Err(DomainError::NotFound("profile").into());
    };
    let (stage, downloaded_at, device) = match &view.stage {
        Stage::Waiting => ("waiting", String::new(), None),
        Stage::Downloading => ("downloaded", String::new(), None),
        Stage::Downloaded { at, device } => ("downloaded", when(*at), Some(*device)),
        Stage::Failed => ("failed", String::new(), None),
        Stage::Expired => ("expired", String::new(), None),
    };
    let (qr_svg, download_url) = match &view.download {
        Some(token) => {
            let path = format!("/profile/{token}");
            let url = format!("{}{path}", state.settings.public_url.trim_end_matches('/'));
            (qr::svg(&url, "QR code of the profile’s link")?, path)
        }
        None => (String::new(), String::new()),
    };
    let page = ProfilePage {
        chrome: Chrome::new(&viewer, flash, ""),
        email: view.email.to_string(),
        description: view.description.clone(),
        reset: view.reset,
        stage,
        qr_svg,
        download_url,
        expires: when(view.expires),
        downloaded_at,
        device_url: device
            .map(|d| device_url(&view.email, &d))
            .unwrap_or_default(),
        devices_url: devices_url(&view.email),
        again_url: setup_url(&view.email, None),
    };
    // The page carries the link that opens the profile: like a password, it is not stored.
    Ok(([(header::CACHE_CONTROL, "no-store")], page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "profile_gone.html")]
struct GonePage {
    chrome: Chrome,
    throttled: bool,
}

fn gone(status: StatusCode) -> Response {
    let page = GonePage {
        chrome: Chrome::bare(false),
        throttled: status == StatusCode::TOO_MANY_REQUESTS,
    };
    (status, [(header::CACHE_CONTROL, "no-store")], page).into_response()
}

/// The one download: creates or resets the device and answers with its profile.
pub async fn download(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
) -> WebResult<Response> {
    let Some(guess) = state.profile_guesses.begin(ip, "profile link") else {
        return Ok(gone(StatusCode::TOO_MANY_REQUESTS));
    };
    let now = state.now();
    let Some(claim) = state.profiles.claim(&token, now) else {
        // Used, expired or never made: all the same to whoever asks.
        guess.failure().await;
        return Ok(gone(StatusCode::GONE));
    };
    // A right link frees its place without clearing the source's wrong guesses.
    drop(guess);
    // Signed out (here or everywhere, by a password change), or timed out: what that session
    // asked for ends with it, so a link copied out of it opens nothing.
    if !session::is_live(&state, &claim.session).await? {
        state.profiles.forget_session(&claim.session);
        tracing::info!("a profile link of an ended session was refused");
        return Ok(gone(StatusCode::GONE));
    }
    let made = make(&state, claim.ticket).await;
    match made {
        Ok((device, bytes, file_name)) => {
            state
                .profiles
                .finish(&claim.page, Some(device), state.now());
            tracing::info!(device = %device, "profile downloaded");
            Ok((
                [
                    (
                        header::CONTENT_TYPE,
                        "application/x-apple-aspen-config".to_owned(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file_name}\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
                bytes,
            )
                .into_response())
        }
        Err(e) => {
            state.profiles.finish(&claim.page, None, state.now());
            tracing::info!("a profile could not be made: {e}");
            Ok(gone(StatusCode::GONE))
        }
    }
}

/// Creates or resets the device of `ticket` and writes its profile.
async fn make(
    state: &AppState,
    ticket: Ticket,
) -> WebResult<(postern_domain::DeviceId, Vec<u8>, String)> {
    let actor = Actor::Account(state.core.account(ticket.account).await?);
    // Which servers the profile names is settled before any password is made, so that a
    // device is never left with a password nobody received.
    let protocols = match &ticket.action {
        PendingAction::CreateDevice { protocols, .. } => *protocols,
        PendingAction::ResetDevice { device_id, .. } => {
            state.core.device(&actor, *device_id).await?.protocols
        }
    };
    let servers = apple_profile::servers_for(&state.settings.mail_servers, protocols).ok_or(
        DomainError::Conflict("the device may not use the services of a profile".into()),
    )?;
    let issued = match ticket.action {
        PendingAction::CreateDevice {
            email,
            description,
            protocols,
            rules,
        } => {
            state
                .core
                .create_device_with(&actor, &email, description, protocols, rules)
                .await?
        }
        PendingAction::ResetDevice {
            device_id, rules, ..
        } => {
            state
                .core
                .reset_device_with(&actor, device_id, rules)
                .await?
        }
    };
    let bytes = apple_profile::mobileconfig(servers, &issued.device, &issued.password)?;
    let file_name = apple_profile::file_name(issued.device.email.as_str());
    Ok((issued.device.id, bytes, file_name))
}

/// `HEAD` of a download link: refused, so that nothing but a real download uses it up.
pub async fn head() -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "GET")]).into_response()
}
