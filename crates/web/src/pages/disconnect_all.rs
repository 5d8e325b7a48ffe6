//! `Disconnect all devices` of an address, with its confirmation.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::WebResult;
use crate::extract::Path;
use crate::flash::{self, Flash};
use crate::pages::device::ConfirmDisconnectPage;
use crate::pages::email_param;
use crate::pages::view::{Chrome, devices_url, seg};
use crate::session::Viewer;
use crate::state::AppState;

/// `Disconnect all devices?`
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(email): Path<String>,
) -> WebResult<impl IntoResponse> {
    let email = email_param(&email)?;
    let count = state
        .core
        .devices(&viewer.actor(), &email, false)
        .await?
        .len();
    Ok(ConfirmDisconnectPage {
        chrome: Chrome::new(&viewer, flash, "settings"),
        title: "Disconnect all devices?",
        text: format!(
            "All {count} device{} of {email} stop working at once: their passwords are refused \
             and their open connections close. This cannot be undone.",
            if count == 1 { "" } else { "s" }
        ),
        action: format!("/settings/{}/disconnect-all", seg(&email)),
        cancel_url: devices_url(&email),
    })
}

/// Disconnects every device of the address.
pub async fn disconnect(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(email): Path<String>,
) -> WebResult<Response> {
    let email = email_param(&email)?;
    let n = state
        .core
        .disconnect_all_devices(&viewer.actor(), &email)
        .await?;
    let notice = match n {
        0 => "There was no device to disconnect.".to_owned(),
        1 => "1 device was disconnected.".to_owned(),
        n => format!("{n} devices were disconnected."),
    };
    Ok((
        [flash::set(&state.settings, &notice)],
        Redirect::to(&devices_url(&email)),
    )
        .into_response())
}
