//! Health checks for load balancers and service managers: `/healthz` answers while the
//! process serves, `/readyz` once the store answers too. They are outside the layers of the
//! web app: any Host is accepted (a load balancer asks by address), and they tell nothing
//! but whether the server is up.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        text,
    )
        .into_response()
}

async fn alive() -> Response {
    plain(StatusCode::OK, "ok\n")
}

async fn ready(State(state): State<AppState>) -> Response {
    match state.core.store_reachable().await {
        Ok(()) => plain(StatusCode::OK, "ready\n"),
        Err(e) => {
            tracing::warn!("readiness check: the store does not answer: {e}");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer\n",
            )
        }
    }
}

/// The routes of the health checks.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
}
