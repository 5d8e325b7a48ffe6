//! Settings: the sidebar shared by its pages (`Email address`, `Devices`, the activity log,
//! the account), and the entry point that picks an address.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::Email;
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::Query;
use crate::pages::view::{devices_url, seg};
use crate::session::Viewer;
use crate::state::AppState;

/// An address in the sidebar's select.
pub struct SidebarAddress {
    pub email: String,
    pub selected: bool,
}

/// The left sidebar of Settings.
pub struct Sidebar {
    pub addresses: Vec<SidebarAddress>,
    /// `devices`, `activity`, `account`, `browsers` or `two-step`.
    pub section: &'static str,
    pub devices_url: String,
    pub activity_url: String,
}

/// The addresses the account owns, by name.
pub async fn owned(state: &AppState, viewer: &Viewer) -> WebResult<Vec<Email>> {
    Ok(state
        .core
        .owned_addresses(&viewer.account)
        .await?
        .into_iter()
        .map(|a| a.email)
        .collect())
}

/// The sidebar with `current` selected (the first address when `None`).
pub async fn sidebar(
    state: &AppState,
    viewer: &Viewer,
    current: Option<&Email>,
    section: &'static str,
) -> WebResult<Sidebar> {
    let owned = owned(state, viewer).await?;
    let current = current.or(owned.first());
    Ok(Sidebar {
        addresses: owned
            .iter()
            .map(|e| SidebarAddress {
                email: e.to_string(),
                selected: Some(e) == current,
            })
            .collect(),
        section,
        devices_url: current.map(devices_url).unwrap_or_default(),
        activity_url: current
            .map(|e| format!("/settings/{}/activity", seg(e)))
            .unwrap_or_default(),
    })
}

#[derive(Deserialize)]
pub struct AddressQuery {
    #[serde(default)]
    pub(crate) address: String,
}

/// `Settings`: the devices of the chosen address (the first one by default).
pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AddressQuery>,
) -> WebResult<Response> {
    let email = if q.address.trim().is_empty() {
        match owned(&state, &viewer).await?.into_iter().next() {
            Some(e) => e,
            None => return Ok(Redirect::to("/account/password").into_response()),
        }
    } else {
        let email = Email::parse(&q.address).map_err(|_| WebError::NoRoute)?;
        state
            .core
            .owned_address(&viewer.actor(), &email)
            .await?
            .email
    };
    Ok(Redirect::to(&devices_url(&email)).into_response())
}
