//! The account's signed-in browsers (its web sessions) and signing one of them out.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_domain::clock::rfc3339;
use postern_domain::web_sessions::SignedInBrowser;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::v1::schema::ErrorJson;
use crate::error::WebResult;
use crate::extract::Path;
use crate::session::{self, Viewer};
use crate::state::AppState;

/// A web session of the account.
#[derive(Serialize, ToSchema)]
pub struct SessionJson {
    /// The session's public id (not its cookie).
    pub id: String,
    /// When it was signed in (RFC 3339).
    pub created_at: String,
    /// When it was last used (RFC 3339, to the minute).
    pub last_seen_at: String,
    /// The client's IP address at sign-in.
    pub ip: String,
    /// The browser and system, from the User-Agent.
    pub browser: String,
    /// The User-Agent as sent at sign-in.
    pub user_agent: String,
    /// Whether this is the session making the request.
    pub current: bool,
}

impl SessionJson {
    fn new(b: &SignedInBrowser, viewer: &Viewer) -> Self {
        SessionJson {
            id: b.id.clone(),
            created_at: rfc3339(b.session.created_at),
            last_seen_at: rfc3339(b.session.last_seen_at),
            ip: b.session.ip.clone(),
            browser: b.browser(),
            user_agent: b.session.user_agent.clone(),
            current: b.token_hash == viewer.token,
        }
    }
}

/// Every web session of the account, most recently used first.
#[utoipa::path(get, path = "/api/v1/sessions", operation_id = "list_sessions", tag = "session",
    security(("session" = [])),
    responses(
        (status = 200, description = "The account's sessions", body = [SessionJson]),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
    ))]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
) -> WebResult<JsonBody<Vec<SessionJson>>> {
    let browsers = state.core.signed_in_browsers(&viewer.account).await?;
    Ok(JsonBody(
        browsers
            .iter()
            .map(|b| SessionJson::new(b, &viewer))
            .collect(),
    ))
}

/// Signs a session of the account out: its next request finds no session, and what it was
/// about to be shown once dies with it. Ending the caller's own session signs it out.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", operation_id = "end_session", tag = "session",
    params(("id" = String, Path, description = "The session's id, from the list")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 404, description = "`not_found`: no such session of this account", body = ErrorJson),
    ))]
pub async fn end(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> WebResult<Response> {
    if let Some(cookie) = session::sign_out_one(&state, &viewer, &id).await? {
        return Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
