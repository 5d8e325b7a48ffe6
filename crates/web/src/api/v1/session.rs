//! Signing in, out, and confirming the account password.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_domain::clock::rfc3339;
use postern_domain::sign_in_log::Via;
use secrecy::ExposeSecret;

use crate::api::v1::schema::{AccountJson, ErrorJson, LoginRequest, ReauthJson, ReauthRequest};
use crate::error::WebResult;
use crate::extract::{ClientIp, Json};
use crate::session::{self, Viewer};
use crate::state::AppState;

/// Signs in; the answer sets the session cookie.
#[utoipa::path(post, path = "/api/v1/login", operation_id = "login", tag = "session",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; `Set-Cookie` carries the session", body = AccountJson),
        (status = 400, description = "`bad_request`: the body is not JSON of this shape (or not sent as `application/json`)", body = ErrorJson),
        (status = 401, description = "`auth_failed`, or `code_required`: the password is right and two-step verification wants a `code`", body = ErrorJson),
        (status = 429, description = "`throttled`", body = ErrorJson),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> WebResult<Response> {
    let account = state
        .core
        .sign_in_with_code(
            &req.login,
            req.password.expose_secret(),
            req.code.as_ref().map(|c| c.expose_secret()),
            ip,
            Via::Api,
        )
        .await?;
    let cookie = session::start(&state, account.id, &headers, ip).await?;
    let body = AccountJson {
        login: account.login.to_string(),
    };
    Ok(([(header::SET_COOKIE, cookie)], JsonBody(body)).into_response())
}

/// Signs out: the session is deleted.
#[utoipa::path(post, path = "/api/v1/logout", operation_id = "logout", tag = "session",
    responses((status = 204, description = "Signed out")))]
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> WebResult<Response> {
    let cookie = session::end(&state, &headers).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Confirms the account password, which creating and resetting devices need.
#[utoipa::path(post, path = "/api/v1/reauth", operation_id = "reauth", tag = "session",
    request_body = ReauthRequest,
    security(("session" = [])),
    responses(
        (status = 200, description = "Confirmed", body = ReauthJson),
        (status = 400, description = "`bad_request`: the body is not JSON of this shape (or not sent as `application/json`)", body = ErrorJson),
        (status = 401, description = "`unauthenticated`, `auth_failed`, or `code_required` (two-step verification wants a `code`)", body = ErrorJson),
        (status = 429, description = "`throttled`", body = ErrorJson),
    ))]
pub async fn reauth(
    State(state): State<AppState>,
    mut viewer: Viewer,
    ClientIp(ip): ClientIp,
    Json(req): Json<ReauthRequest>,
) -> WebResult<JsonBody<ReauthJson>> {
    state
        .core
        .confirm_password(
            viewer.account.id,
            req.password.expose_secret(),
            req.code.as_ref().map(|c| c.expose_secret()),
            ip,
            Via::ApiReauth,
        )
        .await?;
    viewer.confirm(&state).await?;
    Ok(JsonBody(ReauthJson {
        confirmed_until: rfc3339(viewer.session.confirmed_at + state.settings.reauth_window),
    }))
}
