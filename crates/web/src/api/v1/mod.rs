//! JSON API v1 and its OpenAPI document, built from the same handler annotations.

mod account;
mod addresses;
mod devices;
mod links;
pub mod schema;
mod session;
mod sessions;
mod two_step;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Postern API",
        version = "1",
        description = "Manage the devices (per-device passwords) of your addresses. \
            Sign in with `POST /api/v1/login`; the session cookie it sets authenticates the \
            other calls. Creating or resetting a device needs the account password confirmed \
            within the last 5 minutes (`POST /api/v1/reauth`), else `403 reauth_required`. \
            With two-step verification on, `login` and `reauth` also take a `code` (from the \
            authenticator app, or a recovery code) and answer `401 code_required` without it. \
            Errors are `{\"error\":{\"code\",\"message\"}}`.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&SessionCookie),
    tags(
        (name = "session", description = "Signing in, confirming the account password, two-step verification, and the account's signed-in browsers"),
        (name = "addresses", description = "The account's addresses and their devices"),
        (name = "devices", description = "Resetting and disconnecting devices"),
        (name = "links", description = "Other accounts' addresses added to this account's Mail")
    )
)]
struct ApiDoc;

/// Declares the session cookie as the API's authentication.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("postern_session"))),
        );
    }
}

/// The routes of API v1, and `GET /api/v1/openapi.json`.
pub fn routes() -> Router<AppState> {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::reauth))
        .routes(routes!(account::change_password))
        .routes(routes!(sessions::list))
        .routes(routes!(sessions::end))
        .routes(routes!(
            two_step::status,
            two_step::begin,
            two_step::turn_off
        ))
        .routes(routes!(two_step::confirm))
        .routes(routes!(addresses::list))
        .routes(routes!(addresses::devices, addresses::create_device))
        .routes(routes!(devices::reset))
        .routes(routes!(devices::disconnect))
        .routes(routes!(devices::sign_ins))
        .routes(routes!(links::create))
        .routes(routes!(links::delete))
        .split_for_parts();
    let doc = Arc::new(doc);
    router.route(
        "/api/v1/openapi.json",
        get(move || {
            let doc = Arc::clone(&doc);
            async move { axum::Json(doc.as_ref().clone()) }
        }),
    )
}
