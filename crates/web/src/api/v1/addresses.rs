//! The account's addresses, their devices, and creating a device.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use postern_domain::Email;
use secrecy::ExposeSecret;

use crate::api::v1::schema::{AddressJson, DeviceJson, ErrorJson, IssuedJson, NewDeviceRequest};
use crate::error::{WebError, WebResult};
use crate::extract::{Json, Path};
use crate::session::Viewer;
use crate::state::AppState;

fn email_param(text: &str) -> WebResult<Email> {
    Email::parse(text).map_err(|_| WebError::NoRoute)
}

/// The account's addresses: owned ones, then linked ones.
#[utoipa::path(get, path = "/api/v1/addresses", operation_id = "list_addresses", tag = "addresses",
    security(("session" = [])),
    responses(
        (status = 200, description = "The addresses", body = [AddressJson]),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
    ))]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
) -> WebResult<JsonBody<Vec<AddressJson>>> {
    let addresses = state.core.mail_addresses(&viewer.account).await?;
    Ok(JsonBody(addresses.iter().map(AddressJson::from).collect()))
}

/// The active devices of an owned address, newest first.
#[utoipa::path(get, path = "/api/v1/addresses/{email}/devices", operation_id = "list_devices", tag = "addresses",
    params(("email" = String, Path, description = "An address the account owns")),
    security(("session" = [])),
    responses(
        (status = 200, description = "The devices", body = [DeviceJson]),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 404, description = "`not_found`: no such address, or not the account's", body = ErrorJson),
    ))]
pub async fn devices(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(email): Path<String>,
) -> WebResult<JsonBody<Vec<DeviceJson>>> {
    let email = email_param(&email)?;
    let devices = state.core.devices(&viewer.actor(), &email, false).await?;
    Ok(JsonBody(devices.iter().map(DeviceJson::from).collect()))
}

/// Creates a device; the answer holds its password, shown this once.
#[utoipa::path(post, path = "/api/v1/addresses/{email}/devices", operation_id = "create_device", tag = "addresses",
    params(("email" = String, Path, description = "An address the account owns")),
    request_body = NewDeviceRequest,
    security(("session" = [])),
    responses(
        (status = 201, description = "Created", body = IssuedJson),
        (status = 400, description = "`bad_request`: the body is not JSON of this shape (or not sent as `application/json`)", body = ErrorJson),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 403, description = "`reauth_required`", body = ErrorJson),
        (status = 404, description = "`not_found`", body = ErrorJson),
        (status = 422, description = "`invalid` description, protocols, `expires_at` (not a future RFC 3339 instant), `expires_after_unused_days` (not 1 to 3650) or `networks` (an empty, malformed or host-bits-set entry); `field` names which", body = ErrorJson),
    ))]
pub async fn create_device(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(email): Path<String>,
    Json(req): Json<NewDeviceRequest>,
) -> WebResult<Response> {
    let email = email_param(&email)?;
    let actor = viewer.actor();
    state.core.owned_address(&actor, &email).await?;
    let (description, protocols) = req.parse()?;
    let rules = req.rules.parse(state.now())?;
    viewer.require_confirmed(&state)?;
    let issued = state
        .core
        .create_device_with(&actor, &email, description, protocols, rules)
        .await?;
    let body = IssuedJson {
        device: DeviceJson::from(&issued.device),
        password: issued.password.expose_secret().to_owned(),
    };
    Ok((
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, "no-store")],
        JsonBody(body),
    )
        .into_response())
}
