//! Mail, the home page: the INBOX of the account's first address, or an invitation to add
//! one when the account has none; and `Remove this address` for linked addresses.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::WebResult;
use crate::extract::{Path, Query};
use crate::flash::{self, Flash};
use crate::pages::email_param;
use crate::pages::mail_nav::{Live, MailNav, mail_nav};
use crate::pages::mailbox::{PageQuery, folder_page};
use crate::pages::view::Chrome;
use crate::session::Viewer;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "mail.html")]
struct EmptyMailPage {
    chrome: Chrome,
    nav: MailNav,
    live: Option<Live>,
}

/// The Mail home.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Query(q): Query<PageQuery>,
) -> WebResult<Response> {
    let first = state
        .core
        .mail_addresses(&viewer.account)
        .await?
        .into_iter()
        .next();
    match first {
        Some(first) => Ok(folder_page(
            &state,
            &viewer,
            flash,
            &first.address.email,
            "INBOX",
            q.page(),
            q.search(),
        )
        .await?
        .into_response()),
        None => Ok(EmptyMailPage {
            nav: mail_nav(&state, &viewer, None).await?,
            chrome: Chrome::new(&viewer, flash, "mail"),
            live: None,
        }
        .into_response()),
    }
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
    Ok(([flash::set(&state.settings, &notice)], Redirect::to("/")).into_response())
}
