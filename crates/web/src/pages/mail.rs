//! Mail, the home page: the account's addresses, owned and linked, each with its action menu.
//! The right-hand pane is where the message list goes.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::Access;

use crate::error::WebResult;
use crate::extract::Path;
use crate::flash::{self, Flash};
use crate::pages::email_param;
use crate::pages::view::{Chrome, devices_url, seg};
use crate::session::Viewer;
use crate::state::AppState;

struct AddressItem {
    email: String,
    initial: char,
    linked: bool,
    settings_url: String,
    devices_url: String,
    remove_url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "mail.html")]
struct MailPage {
    chrome: Chrome,
    addresses: Vec<AddressItem>,
}

/// The Mail home.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
) -> WebResult<impl IntoResponse> {
    let addresses = state
        .core
        .mail_addresses(&viewer.account)
        .await?
        .into_iter()
        .map(|m| {
            let email = &m.address.email;
            AddressItem {
                email: email.to_string(),
                initial: email
                    .as_str()
                    .chars()
                    .next()
                    .unwrap_or('?')
                    .to_ascii_uppercase(),
                linked: m.access == Access::Linked,
                settings_url: format!("/addresses/{}", seg(email)),
                devices_url: devices_url(email),
                remove_url: format!("/links/{}/remove", seg(email)),
            }
        })
        .collect();
    Ok(MailPage {
        chrome: Chrome::new(&viewer, flash, "mail"),
        addresses,
    })
}

/// `Remove this address`: takes a linked address out of the account's Mail.
pub async fn remove_link(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(email): Path<String>,
) -> WebResult<Response> {
    let email = email_param(&email)?;
    state.core.unlink_address(&viewer.account, &email).await?;
    let notice = format!("{email} was removed from your Mail.");
    Ok(([flash::set(&state.options, &notice)], Redirect::to("/")).into_response())
}
