//! A device's page in Settings, and `Disconnect the device` with its confirmation.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::model::Device;
use postern_domain::{DeviceId, DomainError, Email};

use crate::error::{WebError, WebResult};
use crate::extract::Path;
use crate::flash::{self, Flash};
use crate::pages::email_param;
use crate::pages::settings::{Sidebar, sidebar};
use crate::pages::view::{Chrome, DeviceView, device_url, devices_url, machine_time, when};
use crate::session::Viewer;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "device.html")]
struct DevicePage {
    chrome: Chrome,
    sidebar: Sidebar,
    email: String,
    device: DeviceView,
    sign_ins: Vec<SignInView>,
}

/// One line of a device's sign-in history.
struct SignInView {
    at: String,
    at_iso: String,
    ip: String,
    protocol: &'static str,
    client: String,
}

/// The confirmation of a disconnection, for one device or all of them.
#[derive(Template, WebTemplate)]
#[template(path = "confirm_disconnect.html")]
pub struct ConfirmDisconnectPage {
    pub chrome: Chrome,
    pub title: &'static str,
    pub text: String,
    pub action: String,
    pub cancel_url: String,
}

/// The device `{id}` of the address `{email}`, if the viewer owns it.
async fn find(
    state: &AppState,
    viewer: &Viewer,
    email: &str,
    id: &str,
) -> WebResult<(Email, Device)> {
    let email = email_param(email)?;
    let id = DeviceId::parse(id).map_err(|_| WebError::NoRoute)?;
    let device = state.core.device(&viewer.actor(), id).await?;
    if device.email != email {
        return Err(DomainError::NotFound("device").into());
    }
    Ok((email, device))
}

/// The device's page.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path((email, id)): Path<(String, String)>,
) -> WebResult<impl IntoResponse> {
    let (email, device) = find(&state, &viewer, &email, &id).await?;
    let sign_ins = state
        .core
        .sign_ins(&viewer.actor(), device.id)
        .await?
        .into_iter()
        .map(|s| SignInView {
            at: when(s.at),
            at_iso: machine_time(s.at),
            ip: s.ip.to_string(),
            protocol: s.protocol.label(),
            client: s.client.unwrap_or_default(),
        })
        .collect();
    Ok(DevicePage {
        chrome: Chrome::new(&viewer, flash, "settings"),
        sidebar: sidebar(&state, &viewer, Some(&email), "devices").await?,
        email: email.to_string(),
        device: DeviceView::of(&device),
        sign_ins,
    })
}

/// `Disconnect this device?`
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path((email, id)): Path<(String, String)>,
) -> WebResult<impl IntoResponse> {
    let (email, device) = find(&state, &viewer, &email, &id).await?;
    let url = device_url(&email, &device.id);
    Ok(ConfirmDisconnectPage {
        chrome: Chrome::new(&viewer, flash, "settings"),
        title: "Disconnect this device?",
        text: format!(
            "“{}” stops working at once: its password is refused and its open connections \
             close. This cannot be undone; to use it again, add it as a new device.",
            device.description
        ),
        action: format!("{url}/disconnect"),
        cancel_url: url,
    })
}

/// Disconnects the device and returns to the device list.
pub async fn disconnect(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((email, id)): Path<(String, String)>,
) -> WebResult<Response> {
    let (email, device) = find(&state, &viewer, &email, &id).await?;
    state
        .core
        .disconnect_device(&viewer.actor(), device.id)
        .await?;
    let notice = format!("“{}” was disconnected.", device.description);
    Ok((
        [flash::set(&state.settings, &notice)],
        Redirect::to(&devices_url(&email)),
    )
        .into_response())
}
