//! Postern's web app and JSON API v1: sign-in, the webmail (reading and sending the mail of
//! owned and linked addresses), address settings, the setup assistant that issues device
//! passwords (shown once, or inside an Apple profile), device management and the activity log;
//! and the settings mail programs fetch by themselves (Thunderbird autoconfig, Microsoft
//! Autodiscover).
//!
//! Every screen is a server-rendered page that works with JavaScript off (plain forms,
//! POST–redirect–GET); a small first-party script only adds conveniences. A shown password
//! lives in server memory between the request that made it and the one page that shows it.

mod api;
mod apple_profile;
mod assets;
mod autoconfig;
mod error;
mod extract;
mod flash;
mod health;
mod hosts;
pub mod mail;
mod memory;
mod pages;
mod qr;
mod security;
mod session;
mod settings;
mod state;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use postern_domain::Core;
use tokio::net::TcpListener;

pub use crate::error::{WebError, WebResult};
pub use crate::extract::client_ip;
pub use crate::hosts::{check_extra_host, check_public_url};
pub use crate::qr::svg as qr_code_svg;
pub use crate::session::sweep_expired_sessions;
pub use crate::settings::{MailServer, Security, Settings};
use crate::state::AppState;

/// The whole application: pages, the API, static files, and the layers every response
/// passes through (error rendering, host and cross-site checks, security headers); the
/// health checks beside them.
pub fn router(core: Arc<Core>, settings: Settings) -> Router {
    let state = AppState::new(core, settings);
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(assets::routes())
        .merge(autoconfig::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::cross_site_check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::host_check,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            flash::clear_after_showing,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .merge(health::routes())
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
