//! Address settings, with the section `Manage the password`: the address's devices and
//! `Add a device`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{Path, Query};
use crate::flash::Flash;
use crate::pages::email_param;
use crate::pages::view::{Chrome, DeviceView, devices_url, setup_url};
use crate::session::Viewer;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "address_settings.html")]
struct AddressSettingsPage {
    chrome: Chrome,
    email: String,
    open: bool,
    devices: Vec<DeviceView>,
    setup_url: String,
    devices_url: String,
}

#[derive(Deserialize)]
pub struct SectionQuery {
    /// `password` opens `Manage the password` (a link straight to it).
    #[serde(default)]
    open: String,
}

/// The settings of one owned address.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(email): Path<String>,
    Query(q): Query<SectionQuery>,
) -> WebResult<impl IntoResponse> {
    let email = email_param(&email)?;
    let devices = state.core.devices(&viewer.actor(), &email, false).await?;
    Ok(AddressSettingsPage {
        chrome: Chrome::new(&viewer, flash, "mail"),
        open: q.open == "password",
        devices: devices.iter().map(DeviceView::of).collect(),
        setup_url: setup_url(&email, None),
        devices_url: devices_url(&email),
        email: email.to_string(),
    })
}
