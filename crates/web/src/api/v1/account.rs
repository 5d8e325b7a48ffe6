//! The account password, changed through the API.

use axum::extract::State;
use axum::http::StatusCode;
use postern_domain::DomainError;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::v1::schema::ErrorJson;
use crate::error::WebResult;
use crate::extract::{ClientIp, Json};
use crate::pages::account::after_password_change;
use crate::session::Viewer;
use crate::state::AppState;
use axum::Json as JsonBody;

/// A new account password.
#[derive(Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    #[schema(value_type = String, format = Password)]
    pub current: SecretString,
    /// At least 12 characters.
    #[schema(value_type = String, format = Password)]
    pub new: SecretString,
    /// Also disconnect every device of the account's addresses (default false).
    #[serde(default)]
    pub disconnect_devices: bool,
}

/// What the change did besides.
#[derive(Serialize, ToSchema)]
pub struct PasswordChangedJson {
    /// Devices disconnected with it.
    pub devices_disconnected: usize,
}

/// Changes the account password; every other web session of the account is signed out, and
/// with `disconnect_devices` every device of its addresses is disconnected too.
#[utoipa::path(post, path = "/api/v1/account/password", operation_id = "change_password",
    tag = "session", security(("session" = [])), request_body = PasswordChangeRequest,
    responses(
        (status = 200, description = "Changed", body = PasswordChangedJson),
        (status = 400, description = "`bad_request`: the body is not JSON of this shape (or not sent as `application/json`)", body = ErrorJson),
        (status = 401, description = "`unauthenticated`, or `auth_failed`: not the current password", body = ErrorJson),
        (status = 422, description = "`invalid` `new` password", body = ErrorJson),
        (status = 429, description = "`throttled`", body = ErrorJson),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    mut viewer: Viewer,
    ClientIp(ip): ClientIp,
    Json(req): Json<PasswordChangeRequest>,
) -> WebResult<(StatusCode, JsonBody<PasswordChangedJson>)> {
    state
        .core
        .change_password(
            viewer.account.id,
            req.current.expose_secret(),
            req.new.expose_secret(),
            ip,
        )
        .await
        .map_err(|e| match e {
            DomainError::Invalid { message, .. } => DomainError::invalid("new", message),
            other => other,
        })?;
    let devices_disconnected = after_password_change(&state, &mut viewer, req.disconnect_devices)
        .await?
        .unwrap_or(0);
    Ok((
        StatusCode::OK,
        JsonBody(PasswordChangedJson {
            devices_disconnected,
        }),
    ))
}
