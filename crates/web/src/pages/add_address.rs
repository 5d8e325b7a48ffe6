//! `Add an address`: another account's address, added to this account's Mail with one of its
//! device passwords (the device must allow the Web app Mail). The link lasts as long as the
//! device: disconnecting or resetting it takes the address away.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::DomainError;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{ClientIp, Form};
use crate::flash::{self, Flash};
use crate::pages::mail_nav::{Live, MailNav, mail_nav, mail_url};
use crate::pages::view::Chrome;
use crate::session::Viewer;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "add_address.html")]
struct AddAddressPage {
    chrome: Chrome,
    nav: MailNav,
    live: Option<Live>,
    address: String,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    address: String,
    error: Option<String>,
) -> WebResult<AddAddressPage> {
    Ok(AddAddressPage {
        chrome: Chrome::new(viewer, flash, "mail"),
        nav: mail_nav(state, viewer, None).await?,
        live: None,
        address,
        error,
    })
}

/// The form.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
) -> WebResult<impl IntoResponse> {
    page(&state, &viewer, flash, String::new(), None).await
}

#[derive(Deserialize)]
pub struct AddForm {
    address: String,
    password: SecretString,
}

/// Adds the address, or shows the form again with what went wrong.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Form(form): Form<AddForm>,
) -> WebResult<Response> {
    let address = form.address.trim().to_owned();
    let linked = state
        .core
        .link_address(&viewer.account, &address, form.password.expose_secret(), ip)
        .await;
    let (status, message) = match linked {
        Ok(link) => {
            let email = link.address.email;
            let notice = format!("{email} was added to your Mail.");
            return Ok((
                [flash::set(&state.settings, &notice)],
                Redirect::to(&mail_url(&email)),
            )
                .into_response());
        }
        // One answer for every wrong pair, so that it tells nothing about the address.
        Err(DomainError::AuthFailed) => (
            StatusCode::UNAUTHORIZED,
            "The address or the device password is not right, or that device may not be used \
             with the Web app Mail."
                .to_owned(),
        ),
        Err(e @ (DomainError::Throttled | DomainError::Conflict(_))) => {
            let e = WebError::from(e);
            (e.status(), e.message())
        }
        Err(e) => return Err(e.into()),
    };
    let page = page(&state, &viewer, Flash(None), address, Some(message)).await?;
    Ok((status, page).into_response())
}
