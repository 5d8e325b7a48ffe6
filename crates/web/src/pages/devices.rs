//! `Devices` in Settings: every device of an address with its description, protocols,
//! creation and last use (time, IP, protocol, client).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;

use crate::error::WebResult;
use crate::extract::Path;
use crate::flash::Flash;
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
    Ok(DevicesPage {
        chrome: Chrome::new(&viewer, flash, "settings"),
        sidebar: sidebar(&state, &viewer, Some(&email), "devices").await?,
        devices: devices.iter().map(DeviceView::of).collect(),
        setup_url: setup_url(&email, None),
        disconnect_all_url: format!("/settings/{}/disconnect-all", seg(&email)),
        email: email.to_string(),
    })
}
