//! `Devices` in Settings: every device of an address with its description, protocols,
//! creation and last use (time, IP, protocol, client).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Form, Path};
use crate::flash::{self, Flash};
use crate::pages::email_param;
use crate::pages::settings::{Sidebar, sidebar};
use crate::pages::view::{Chrome, DeviceView, seg, setup_url};
use crate::session::Viewer;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "devices.html")]
struct DevicesPage {
    chrome: Chrome,
    sidebar: Sidebar,
    email: String,
    devices: Vec<DeviceView>,
    setup_url: String,
    disconnect_all_url: String,
    alerts_on: bool,
    alerts_url: String,
}

/// The device list of an address.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(email): Path<String>,
) -> WebResult<impl IntoResponse> {
    let email = email_param(&email)?;
    let devices = state.core.devices(&viewer.actor(), &email, false).await?;
    let alerts_on = state.core.sign_in_alerts(&viewer.actor(), &email).await?;
    Ok(DevicesPage {
        alerts_on,
        alerts_url: format!("/settings/{}/alerts", seg(&email)),
        chrome: Chrome::new(&viewer, flash, "settings"),
        sidebar: sidebar(&state, &viewer, Some(&email), "devices").await?,
        devices: devices.iter().map(DeviceView::of).collect(),
        setup_url: setup_url(&email, None),
        disconnect_all_url: format!("/settings/{}/disconnect-all", seg(&email)),
        email: email.to_string(),
    })
}

#[derive(Deserialize)]
pub struct AlertsForm {
    /// `on` or `off`.
    #[serde(default)]
    pub(crate) alerts: String,
}

/// Turns the address's sign-in alerts on or off.
pub async fn set_alerts(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(email): Path<String>,
    Form(form): Form<AlertsForm>,
) -> WebResult<Response> {
    let email = email_param(&email)?;
    let on = match form.alerts.as_str() {
        "on" => true,
        "off" => false,
        _ => return Err(WebError::BadRequest("alerts must be on or off".into())),
    };
    state
        .core
        .set_sign_in_alerts(&viewer.actor(), &email, on)
        .await?;
    let notice = if on {
        format!("Sign-in alerts are on for {email}.")
    } else {
        format!("Sign-in alerts are off for {email}.")
    };
    let back = format!("/settings/{}/devices", seg(&email));
    Ok(([flash::set(&state.settings, &notice)], Redirect::to(&back)).into_response())
}
