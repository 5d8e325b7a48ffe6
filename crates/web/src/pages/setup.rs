//! The setup assistant: `MAIL`, `Email address`, `Device` (`New device` or an existing one
//! to reset), `Description`, the two configuration tabs and `Generate a password`.
//!
//! Without JavaScript the tabs and the address choice are submit buttons of a GET form, so
//! what was typed travels along; the script switches tabs in place instead.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::model::Device;
use postern_domain::{Access, Description, DeviceId, DomainError, Email};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Form, Query};
use crate::flash::Flash;
use crate::memory::PendingAction;
use crate::pages::new_password;
use crate::pages::view::{Chrome, ServerRow, query_value, server_rows};
use crate::session::Viewer;
use crate::state::AppState;

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    addresses: Vec<Choice>,
    devices: Vec<Choice>,
    new_selected: bool,
    description: String,
    error: Option<String>,
    manual: bool,
    servers: Vec<ServerRow>,
    user_name: String,
}

/// What the assistant's form holds; every part may be missing.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    address: String,
    #[serde(default)]
    device: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    tab: Option<String>,
    #[serde(default)]
    current_tab: Option<String>,
}

impl SetupForm {
    fn manual(&self) -> bool {
        self.tab
            .as_ref()
            .or(self.current_tab.as_ref())
            .map(String::as_str)
            == Some("manual")
    }
}

/// The assistant as the form describes it, with `error` next to `Description`.
async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    form: &SetupForm,
    error: Option<String>,
) -> WebResult<SetupPage> {
    let owned: Vec<Email> = state
        .core
        .mail_addresses(&viewer.account)
        .await?
        .into_iter()
        .filter(|m| m.access == Access::Owned)
        .map(|m| m.address.email)
        .collect();
    let chosen = if form.address.trim().is_empty() {
        owned.first().cloned()
    } else {
        // An address that is not the account's is not found, like everywhere else.
        let email = Email::parse(&form.address).map_err(|_| WebError::NoRoute)?;
        Some(
            state
                .core
                .owned_address(&viewer.actor(), &email)
                .await?
                .email,
        )
    };
    let devices: Vec<Device> = match &chosen {
        Some(email) => state.core.devices(&viewer.actor(), email, false).await?,
        None => Vec::new(),
    };
    let chosen_device = devices
        .iter()
        .find(|d| d.id.to_string() == form.device)
        .map(|d| d.id);
    Ok(SetupPage {
        chrome: Chrome::new(viewer, flash, "mail"),
        addresses: owned
            .iter()
            .map(|e| Choice {
                value: e.to_string(),
                label: e.to_string(),
                selected: Some(e) == chosen.as_ref(),
            })
            .collect(),
        devices: devices
            .iter()
            .map(|d| Choice {
                value: d.id.to_string(),
                label: d.description.to_string(),
                selected: Some(d.id) == chosen_device,
            })
            .collect(),
        new_selected: chosen_device.is_none(),
        description: form.description.clone(),
        error,
        manual: form.manual(),
        servers: server_rows(&state.options.mail_servers),
        user_name: chosen.map(|e| e.to_string()).unwrap_or_default(),
    })
}

/// The assistant (`Add a device`).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Query(form): Query<SetupForm>,
) -> WebResult<impl IntoResponse> {
    page(&state, &viewer, flash, &form, None).await
}

/// `Generate a password`: checks the form, asks for the account password if it was not
/// confirmed recently, then creates or resets the device and shows the password once.
pub async fn generate(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SetupForm>,
) -> WebResult<Response> {
    let email = Email::parse(&form.address).map_err(|_| WebError::NoRoute)?;
    let action = if form.device.is_empty() || form.device == "new" {
        // Ownership first, so another account's address is not found whatever the input.
        state.core.owned_address(&viewer.actor(), &email).await?;
        match Description::parse(&form.description) {
            Ok(description) => PendingAction::CreateDevice { email, description },
            Err(DomainError::Invalid { message, .. }) => {
                let form = SetupForm {
                    tab: Some("manual".into()),
                    ..form
                };
                let page = page(&state, &viewer, Flash(None), &form, Some(message)).await?;
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        let id = DeviceId::parse(&form.device).map_err(|_| WebError::NoRoute)?;
        let device = state.core.device(&viewer.actor(), id).await?;
        if device.email != email {
            return Err(DomainError::NotFound("device").into());
        }
        PendingAction::ResetDevice {
            email,
            device_id: id,
        }
    };
    if !viewer.confirmed_recently(&state) {
        let token = state.pending.put(&viewer.token, action, state.now())?;
        return Ok(Redirect::to(&format!(
            "/confirm-password?pending={}",
            query_value(&token)
        ))
        .into_response());
    }
    new_password::issue(&state, &viewer, action).await
}
