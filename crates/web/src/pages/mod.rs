//! The web app's screens, one file each.

pub(crate) mod account;
mod activity;
mod add_address;
pub(crate) mod address_settings;
mod browsers;
mod compose;
pub(crate) mod confirm;
mod device;
mod devices;
mod disconnect_all;
mod mail;
mod mail_nav;
mod mailbox;
mod message;
mod new_password;
mod profile;
pub(crate) mod settings;
pub(crate) mod setup;
pub(crate) mod sign_in;
mod two_step;
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
        .route(
            "/links/add",
            get(add_address::show).post(add_address::submit),
        )
        .route("/mail/{email}", get(mailbox::inbox))
        .route(
            "/mail/{email}/compose",
            get(compose::show).post(compose::submit),
        )
        .route("/mail/{email}/folder/{folder}", get(mailbox::show))
        .route("/mail/{email}/folder/{folder}/state", get(mailbox::poll))
        .route("/mail/{email}/folder/{folder}/{uid}", get(message::show))
        .route(
            "/mail/{email}/folder/{folder}/{uid}/body",
            get(message::body),
        )
        .route(
            "/mail/{email}/folder/{folder}/{uid}/parts/{part}",
            get(message::part),
        )
        .route(
            "/mail/{email}/folder/{folder}/{uid}/seen",
            post(message::mark),
        )
        .route(
            "/mail/{email}/folder/{folder}/{uid}/delete",
            post(message::delete),
        )
        .route("/addresses/{email}", get(address_settings::show))
        .route("/setup", get(setup::show))
        .route("/setup/generate", post(setup::generate))
        .route("/setup/profile", post(setup::profile))
        .route("/setup/profile/{page}", get(profile::show))
        .route(
            "/profile/{token}",
            get(profile::download).head(profile::head),
        )
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
        .route("/settings/{email}/alerts", post(devices::set_alerts))
        .route(
            "/account/password",
            get(account::show).post(account::submit),
        )
        .route("/account/browsers", get(browsers::show))
        .route("/account/two-step", get(two_step::show))
        .route("/account/two-step/begin", post(two_step::begin))
        .route("/account/two-step/confirm", post(two_step::confirm))
        .route("/account/two-step/off", post(two_step::turn_off))
        .route("/sign-in/code", post(sign_in::submit_code))
        .route(
            "/account/browsers/sign-out-others",
            post(browsers::sign_out_others),
        )
        .route("/account/browsers/{id}/sign-out", post(browsers::sign_out))
}
