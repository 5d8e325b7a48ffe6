//! Two-step verification of the account: a new secret, its first code, turning it off.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use postern_domain::clock::rfc3339;
use postern_domain::sign_in_log::Via;
use postern_domain::two_step::TwoStep;
use secrecy::ExposeSecret;

use crate::api::v1::schema::{
    ErrorJson, RecoveryCodesJson, TwoStepCodeRequest, TwoStepJson, TwoStepOffRequest,
    TwoStepSetupJson,
};
use crate::error::WebResult;
use crate::extract::{ClientIp, Json};
use crate::session::Viewer;
use crate::state::AppState;

/// Whether two-step verification is on.
#[utoipa::path(get, path = "/api/v1/account/two-step", operation_id = "two_step_status",
    tag = "session", security(("session" = [])),
    responses(
        (status = 200, description = "The account's two-step verification", body = TwoStepJson),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
    ))]
pub async fn status(
    State(state): State<AppState>,
    viewer: Viewer,
) -> WebResult<JsonBody<TwoStepJson>> {
    Ok(JsonBody(
        match state.core.two_step(viewer.account.id).await? {
            TwoStep::Off => TwoStepJson {
                enabled: false,
                since: None,
                recovery_codes_left: None,
            },
            TwoStep::On {
                since,
                recovery_codes_left,
            } => TwoStepJson {
                enabled: true,
                since: Some(rfc3339(since)),
                recovery_codes_left: Some(recovery_codes_left),
            },
        },
    ))
}

/// Draws a new secret for an authenticator app (replacing one that waited for its first
/// code). Needs the account password confirmed recently.
#[utoipa::path(post, path = "/api/v1/account/two-step", operation_id = "two_step_begin",
    tag = "session", security(("session" = [])),
    responses(
        (status = 200, description = "The secret, to confirm with a code", body = TwoStepSetupJson),
        (status = 401, description = "`unauthenticated`", body = ErrorJson),
        (status = 403, description = "`reauth_required`", body = ErrorJson),
        (status = 409, description = "`conflict`: two-step verification is already on", body = ErrorJson),
    ))]
pub async fn begin(
    State(state): State<AppState>,
    viewer: Viewer,
) -> WebResult<JsonBody<TwoStepSetupJson>> {
    viewer.require_confirmed(&state)?;
    let setup = state.core.begin_two_step(&viewer.account).await?;
    Ok(JsonBody(TwoStepSetupJson {
        secret: setup.secret.expose_secret().to_owned(),
        otpauth_uri: setup.otpauth_uri.expose_secret().to_owned(),
    }))
}

/// Turns two-step verification on with a code from the app; answers the recovery codes,
/// this once.
#[utoipa::path(post, path = "/api/v1/account/two-step/confirm", operation_id = "two_step_confirm",
    tag = "session", security(("session" = [])), request_body = TwoStepCodeRequest,
    responses(
        (status = 200, description = "On", body = RecoveryCodesJson),
        (status = 400, description = "`bad_request`: the body is not JSON of this shape (or not sent as `application/json`)", body = ErrorJson),
        (status = 401, description = "`unauthenticated`, or `auth_failed`: not the app's current code", body = ErrorJson),
        (status = 403, description = "`reauth_required`", body = ErrorJson),
        (status = 404, description = "`not_found`: no secret waits for its first code", body = ErrorJson),
        (status = 409, description = "`conflict`: already on", body = ErrorJson),
        (status = 429, description = "`throttled`", body = ErrorJson),
    ))]
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Json(req): Json<TwoStepCodeRequest>,
) -> WebResult<JsonBody<RecoveryCodesJson>> {
    viewer.require_confirmed(&state)?;
    let codes = state
        .core
        .confirm_two_step(&viewer.account, req.code.expose_secret(), ip)
        .await?;
    Ok(JsonBody(RecoveryCodesJson {
        recovery_codes: codes.iter().map(|c| c.expose_secret().to_owned()).collect(),
    }))
}

/// Turns two-step verification off: the account password and a code (or a recovery code).
#[utoipa::path(delete, path = "/api/v1/account/two-step", operation_id = "two_step_off",
    tag = "session", security(("session" = [])), request_body = TwoStepOffRequest,
    responses(
        (status = 204, description = "Off"),
        (status = 400, description = "`bad_request`: the body is not JSON of this shape (or not sent as `application/json`)", body = ErrorJson),
        (status = 401, description = "`unauthenticated`, or `auth_failed`: a wrong password or code", body = ErrorJson),
        (status = 404, description = "`not_found`: two-step verification is off", body = ErrorJson),
        (status = 429, description = "`throttled`", body = ErrorJson),
    ))]
pub async fn turn_off(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Json(req): Json<TwoStepOffRequest>,
) -> WebResult<Response> {
    state
        .core
        .turn_off_two_step(
            &viewer.account,
            req.password.expose_secret(),
            Some(req.code.expose_secret()),
            ip,
            Via::ApiReauth,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
