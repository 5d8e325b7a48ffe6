//! Resetting and disconnecting a device, and its sign-in history.

use axum::Json as JsonBody;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_domain::DeviceId;
use postern_domain::clock::rfc3339;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::v1::schema::{DeviceJson, ErrorJson, IssuedJson, RulesRequest};
use crate::error::{WebError, WebResult};
use crate::extract::Path;
use crate::session::Viewer;
use crate::state::AppState;

fn id_param(text: &str) -> WebResult<DeviceId> {
    DeviceId::parse(text).map_err(|_| WebError::NoRoute)
}

/// Gives the device a new password; the old one dies at once, with its sessions and links.
#[utoipa::path(post, path = "/api/v1/devices/{id}/reset", operation_id = "reset_device", tag = "devices",
    params(("id" = String, Path, description = "The device's id")),
    request_body(content = Option<RulesRequest>, description = "Optional: when the new password stops working on its own (absent: never) and the networks it works from (absent: anywhere)"),
    security(("session" = [])),
    responses(
        (status = 200, description = "The device and its new password, shown this once", body = IssuedJson),
        (status = 400, description = "`bad_request`: a body that is not JSON of this shape", body = ErrorJson),
        (status = 422, description = "`invalid` `expires_at`, `expires_after_unused_days` or `networks`; `field` names which", body = ErrorJson),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 403, description = "`reauth_required`", body = ErrorJson),
        (status = 404, description = "`not_found`: no such active device, or not the account's", body = ErrorJson),
    ))]
pub async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    body: Bytes,
) -> WebResult<Response> {
    let id = id_param(&id)?;
    let actor = viewer.actor();
    // Someone else's device is not found, confirmed or not.
    state.core.device(&actor, id).await?;
    // The body is optional, so that a plain `POST` still resets.
    let req: RulesRequest = if body.iter().all(u8::is_ascii_whitespace) {
        RulesRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| WebError::BadRequest(e.to_string()))?
    };
    let rules = req.parse(state.now())?;
    viewer.require_confirmed(&state)?;
    let issued = state.core.reset_device_with(&actor, id, rules).await?;
    let body = IssuedJson {
        device: DeviceJson::from(&issued.device),
        password: issued.password.expose_secret().to_owned(),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], JsonBody(body)).into_response())
}

/// Disconnects the device: its password dies and its live sessions close.
#[utoipa::path(delete, path = "/api/v1/devices/{id}", operation_id = "disconnect_device", tag = "devices",
    params(("id" = String, Path, description = "The device's id")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Disconnected"),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ))]
pub async fn disconnect(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> WebResult<StatusCode> {
    let id = id_param(&id)?;
    state.core.disconnect_device(&viewer.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One sign-in of a device.
#[derive(Serialize, ToSchema)]
pub struct SignInJson {
    /// RFC 3339.
    pub at: String,
    pub ip: String,
    /// `imap`, `smtp`, `pop3` or `webmail`.
    pub protocol: &'static str,
    /// The name its mail program gave (IMAP ID, EHLO), or null.
    pub client: Option<String>,
}

/// The device's last 50 sign-ins, newest first (several within a minute from one place and
/// protocol count as one).
#[utoipa::path(get, path = "/api/v1/devices/{id}/sign-ins", operation_id = "device_sign_ins", tag = "devices",
    params(("id" = String, Path, description = "The device's id")),
    security(("session" = [])),
    responses(
        (status = 200, description = "Newest first", body = [SignInJson]),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
    ))]
pub async fn sign_ins(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> WebResult<JsonBody<Vec<SignInJson>>> {
    let id = id_param(&id)?;
    let list = state.core.sign_ins(&viewer.actor(), id).await?;
    Ok(JsonBody(
        list.into_iter()
            .map(|s| SignInJson {
                at: rfc3339(s.at),
                ip: s.ip.to_string(),
                protocol: s.protocol.as_str(),
                client: s.client,
            })
            .collect(),
    ))
}
