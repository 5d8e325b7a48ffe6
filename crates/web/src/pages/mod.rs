//! The web app's screens, one file each.

mod account;
mod activity;
mod address_settings;
mod confirm;
mod device;
mod devices;
mod disconnect_all;
mod mail;
mod new_password;
mod settings;
mod setup;
mod sign_in;
pub mod view;

use axum::Router;
use axum::routing::{get, post};
use postern_domain::Email;

use crate::error::{WebError, WebResult};
use crate::state::AppState;

/// An address from a URL; one that does not parse is a page that does not exist.
pub fn email_param(text: &str) -> WebResult<Email> {
    Email::parse(text).map_err(|_| WebError::NoRoute)
}

/// The routes of every screen.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(sign_in::show).post(sign_in::submit))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/", get(mail::show))
        .route("/links/{email}/remove", post(mail::remove_link))
        .route("/addresses/{email}", get(address_settings::show))
        .route("/setup", get(setup::show))
        .route("/setup/generate", post(setup::generate))
        .route(
            "/confirm-password",
            get(confirm::show).post(confirm::submit),
        )
        .route("/new-password/{token}", get(new_password::show))
        .route("/settings", get(settings::open))
        .route("/settings/{email}/devices", get(devices::show))
        .route("/settings/{email}/devices/{id}", get(device::show))
        .route(
            "/settings/{email}/devices/{id}/disconnect",
            get(device::confirm).post(device::disconnect),
        )
        .route(
            "/settings/{email}/disconnect-all",
            get(disconnect_all::confirm).post(disconnect_all::disconnect),
        )
        .route("/settings/{email}/activity", get(activity::show))
        .route(
            "/account/password",
            get(account::show).post(account::submit),
        )
}
