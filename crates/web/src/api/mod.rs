//! The JSON API. Same sessions, same rules and same domain services as the web app.

pub mod v1;

use axum::Router;

use crate::state::AppState;

/// Every API route, at its full path.
pub fn routes() -> Router<AppState> {
    v1::routes()
}
