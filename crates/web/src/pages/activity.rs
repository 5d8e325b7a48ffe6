//! The activity log of an address: devices created, reset, disconnected; links made and
//! removed.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::IntoResponse;

use crate::error::WebResult;
use crate::extract::Path;
use crate::flash::Flash;
use crate::pages::email_param;
use crate::pages::settings::{Sidebar, sidebar};
use crate::pages::view::{ActivityView, Chrome};
use crate::session::Viewer;
use crate::state::AppState;

/// Entries shown, newest first.
const SHOWN: u32 = 200;

#[derive(Template, WebTemplate)]
#[template(path = "activity.html")]
struct ActivityPage {
    chrome: Chrome,
    sidebar: Sidebar,
    email: String,
    entries: Vec<ActivityView>,
}

/// The activity log.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(email): Path<String>,
) -> WebResult<impl IntoResponse> {
    let email = email_param(&email)?;
    let entries = state
        .core
        .activity_log(&viewer.actor(), &email, SHOWN)
        .await?;
    Ok(ActivityPage {
        chrome: Chrome::new(&viewer, flash, "settings"),
        sidebar: sidebar(&state, &viewer, Some(&email), "activity").await?,
        email: email.to_string(),
        entries: entries.iter().map(ActivityView::of).collect(),
    })
}
