//! Linked addresses: another account's address in this account's Mail, through one of its
//! device passwords.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::StatusCode;
use postern_domain::Email;
use secrecy::ExposeSecret;

use crate::api::v1::schema::{AccessJson, AddressJson, ErrorJson, LinkRequest};
use crate::error::{WebError, WebResult};
use crate::extract::{ClientIp, Json, Path};
use crate::session::Viewer;
use crate::state::AppState;

/// Adds an address with one of its device passwords (which must allow the Web app Mail).
#[utoipa::path(post, path = "/api/v1/links", operation_id = "add_link", tag = "links",
    request_body = LinkRequest,
    security(("session" = [])),
    responses(
        (status = 201, description = "Linked", body = AddressJson),
        (status = 401, description = "`unauthenticated`, or `auth_failed`: the address and password do not match", body = ErrorJson),
        (status = 409, description = "`conflict`: already yours or already linked", body = ErrorJson),
        (status = 429, description = "`throttled`", body = ErrorJson),
    ))]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Json(req): Json<LinkRequest>,
) -> WebResult<(StatusCode, JsonBody<AddressJson>)> {
    let link = state
        .core
        .link_address(
            &viewer.account,
            &req.address,
            req.password.expose_secret(),
            ip,
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        JsonBody(AddressJson {
            address: link.address.email.to_string(),
            access: AccessJson::Linked,
        }),
    ))
}

/// Removes a linked address from the account's Mail.
#[utoipa::path(delete, path = "/api/v1/links/{address}", operation_id = "remove_link", tag = "links",
    params(("address" = String, Path, description = "A linked address")),
    security(("session" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 404, description = "`not_found`: not linked", body = ErrorJson),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(address): Path<String>,
) -> WebResult<StatusCode> {
    let email = Email::parse(&address).map_err(|_| WebError::NoRoute)?;
    state.core.unlink_address(&viewer.account, &email).await?;
    Ok(StatusCode::NO_CONTENT)
}
