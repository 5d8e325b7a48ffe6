//! The setup assistant: `MAIL`, `Email address`, `Device` (`New device` or an existing one
//! to reset), `Description`, the protocols of a new device, the two configuration tabs,
//! `Generate a password` and the Apple profile of the automatic tab.
//!
//! Without JavaScript the tabs and the address choice are submit buttons of a GET form, so
//! what was typed travels along; the script switches tabs in place instead.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::model::Device;
use postern_domain::{
    Access, Description, DeviceId, DeviceRules, DomainError, Email, Expiry, Networks, Protocol,
    ProtocolSet,
};
use serde::Deserialize;

use crate::apple_profile;
use crate::error::{WebError, WebResult};
use crate::extract::{Form, Query};
use crate::flash::Flash;
use crate::memory::{Delivery, Pending, PendingAction};
use crate::pages::view::{Chrome, ServerRow, query_value, server_rows};
use crate::pages::{new_password, profile};
use crate::session::Viewer;
use crate::state::AppState;

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A protocol checkbox.
struct ProtocolChoice {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

/// Messages shown next to the fields they are about.
#[derive(Default)]
struct Errors {
    description: Option<String>,
    protocols: Option<String>,
    expiry: Option<String>,
    networks: Option<String>,
    profile: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        self.description.is_some()
            || self.protocols.is_some()
            || self.expiry.is_some()
            || self.networks.is_some()
            || self.profile.is_some()
    }
}

/// The choices of `Expires`.
const EXPIRES: [(&str, &str); 5] = [
    ("never", "Never"),
    ("30d", "30 days"),
    ("90d", "90 days"),
    ("365d", "1 year"),
    ("date", "On a date"),
];

/// A message as a sentence of its own.
fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Days without use after which `Stop working after 90 days without use` ends a device.
const UNUSED_DAYS: u16 = 90;

#[derive(Template, WebTemplate)]
#[template(path = "setup.html")]
struct SetupPage {
    chrome: Chrome,
    addresses: Vec<Choice>,
    devices: Vec<Choice>,
    new_selected: bool,
    description: String,
    protocols: Vec<ProtocolChoice>,
    expires: Vec<Choice>,
    expires_on: String,
    expires_unused: bool,
    unused_days: u16,
    networks: String,
    errors: Errors,
    manual: bool,
    servers: Vec<ServerRow>,
    profile_available: bool,
    user_name: String,
}

/// What the assistant's form holds; every part may be missing.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    pub(crate) address: String,
    #[serde(default)]
    pub(crate) device: String,
    #[serde(default)]
    pub(crate) description: String,
    #[serde(default)]
    tab: Option<String>,
    #[serde(default)]
    current_tab: Option<String>,
    /// Present when the form carried the protocol checkboxes, ticked or not.
    #[serde(default)]
    protocol_choice: Option<String>,
    #[serde(default)]
    imap: Option<String>,
    #[serde(default)]
    smtp: Option<String>,
    #[serde(default)]
    pop3: Option<String>,
    #[serde(default)]
    webmail: Option<String>,
    /// One of [`EXPIRES`]; `never` when missing.
    #[serde(default)]
    expires: String,
    /// The end date (`YYYY-MM-DD`) when `expires` is `date`.
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    expires_unused: Option<String>,
    /// `Allowed networks`, comma-separated; absent until the form carried the field.
    #[serde(default)]
    networks: Option<String>,
}

impl SetupForm {
    pub(crate) fn manual(&self) -> bool {
        self.tab
            .as_ref()
            .or(self.current_tab.as_ref())
            .map(String::as_str)
            == Some("manual")
    }

    /// Whether `protocol` is ticked: all are until the person changes them.
    fn ticked(&self, protocol: Protocol) -> bool {
        if self.protocol_choice.is_none() {
            return true;
        }
        match protocol {
            Protocol::Imap => self.imap.is_some(),
            Protocol::Smtp => self.smtp.is_some(),
            Protocol::Pop3 => self.pop3.is_some(),
            Protocol::Webmail => self.webmail.is_some(),
        }
    }

    /// The protocols ticked; `None` when none is.
    fn protocols(&self) -> Option<ProtocolSet> {
        ProtocolSet::from_protocols(Protocol::ALL.into_iter().filter(|p| self.ticked(*p))).ok()
    }

    fn is_new_device(&self) -> bool {
        self.device.is_empty() || self.device == "new"
    }

    /// The expiry chosen; the message for the `Expires` field when it is not one.
    fn expiry(&self, now: time::OffsetDateTime) -> Result<Expiry, String> {
        let end = match self.expires.as_str() {
            "" | "never" => None,
            "date" if self.expires_on.trim().is_empty() => {
                return Err("Choose the date the password stops working.".into());
            }
            "date" => Some(self.expires_on.as_str()),
            choice if EXPIRES.iter().any(|(v, _)| *v == choice) => Some(choice),
            _ => return Err("Choose when the password stops working.".into()),
        };
        let at = end
            .map(|text| Expiry::parse_end(text, now))
            .transpose()
            .map_err(|e| match e {
                DomainError::Invalid { message, .. } => capitalised(&message),
                other => other.to_string(),
            })?;
        Ok(Expiry {
            at,
            after_unused_days: self.expires_unused.is_some().then_some(UNUSED_DAYS),
        })
    }
}

/// The assistant as the form describes it, with `errors` next to their fields.
async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    form: &SetupForm,
    errors: Errors,
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
        protocols: Protocol::ALL
            .into_iter()
            .map(|p| ProtocolChoice {
                value: p.as_str(),
                label: p.label(),
                checked: form.ticked(p),
            })
            .collect(),
        expires: EXPIRES
            .iter()
            .map(|(value, label)| Choice {
                value: (*value).to_owned(),
                label: (*label).to_owned(),
                selected: *value == form.expires || (form.expires.is_empty() && *value == "never"),
            })
            .collect(),
        expires_on: form.expires_on.clone(),
        expires_unused: form.expires_unused.is_some(),
        unused_days: UNUSED_DAYS,
        // Resetting a device starts from the networks it has.
        networks: match &form.networks {
            Some(text) => text.clone(),
            None => devices
                .iter()
                .find(|d| Some(d.id) == chosen_device)
                .map(|d| d.networks.to_strings().join(", "))
                .unwrap_or_default(),
        },
        errors,
        manual: form.manual(),
        servers: server_rows(&state.settings.mail_servers),
        profile_available: apple_profile::available(&state.settings.mail_servers),
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
    page(&state, &viewer, flash, &form, Errors::default()).await
}

/// `Generate a password`: checks the form, asks for the account password if it was not
/// confirmed recently, then creates or resets the device and shows the password once.
pub async fn generate(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SetupForm>,
) -> WebResult<Response> {
    decide(&state, &viewer, form, Delivery::Shown).await
}

/// `Create an Apple profile`: the same checks, then a profile with a one-time link.
pub async fn profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<SetupForm>,
) -> WebResult<Response> {
    decide(&state, &viewer, form, Delivery::Profile).await
}

const PROFILE_NEEDS: &str = "An Apple profile needs IMAP or POP3 to read mail and SMTP to send it: tick them under Protocols.";

/// Checks the form, then carries out the action or has it wait for the account password.
async fn decide(
    state: &AppState,
    viewer: &Viewer,
    form: SetupForm,
    delivery: Delivery,
) -> WebResult<Response> {
    let email = Email::parse(&form.address).map_err(|_| WebError::NoRoute)?;
    let servers = &state.settings.mail_servers;
    let profile_fits = |protocols: ProtocolSet| {
        delivery == Delivery::Shown || apple_profile::servers_for(servers, protocols).is_some()
    };
    let mut errors = Errors::default();
    let expiry = match form.expiry(state.now()) {
        Ok(expiry) => expiry,
        Err(message) => {
            errors.expiry = Some(message);
            Expiry::NEVER
        }
    };
    let networks = match Networks::parse(form.networks.as_deref().unwrap_or("")) {
        Ok(networks) => networks,
        Err(e) => {
            errors.networks = Some(match e {
                DomainError::Invalid { message, .. } => capitalised(&message),
                other => other.to_string(),
            });
            Networks::ANYWHERE
        }
    };
    let rules = DeviceRules { expiry, networks };
    let action = if form.is_new_device() {
        // Ownership first, so another account's address is not found whatever the input.
        state.core.owned_address(&viewer.actor(), &email).await?;
        let description = match Description::parse(&form.description) {
            Ok(description) => Some(description),
            Err(DomainError::Invalid { message, .. }) => {
                errors.description = Some(message);
                None
            }
            Err(e) => return Err(e.into()),
        };
        let protocols = form.protocols();
        match protocols {
            None => errors.protocols = Some("Choose at least one protocol.".into()),
            Some(p) if !profile_fits(p) => errors.profile = Some(PROFILE_NEEDS.into()),
            Some(_) => {}
        }
        description
            .zip(protocols)
            .map(|(description, protocols)| PendingAction::CreateDevice {
                email,
                description,
                protocols,
                rules,
            })
    } else {
        let id = DeviceId::parse(&form.device).map_err(|_| WebError::NoRoute)?;
        let device = state.core.device(&viewer.actor(), id).await?;
        if device.email != email {
            return Err(DomainError::NotFound("device").into());
        }
        if !profile_fits(device.protocols) {
            errors.profile = Some(format!(
                "“{}” may not use IMAP or POP3 and SMTP, which an Apple profile needs.",
                device.description
            ));
        }
        Some(PendingAction::ResetDevice {
            email,
            device_id: id,
            rules,
        })
    };
    if !apple_profile::available(servers) && delivery == Delivery::Profile {
        errors.profile = Some("This server offers no IMAP and SMTP service for a profile.".into());
    }
    let action = match action {
        Some(action) if !errors.any() => action,
        _ => {
            // The tab the person was on stays open with what was typed, to correct in place.
            let tab = match delivery {
                Delivery::Profile => "automatic".to_owned(),
                Delivery::Shown => form.current_tab.clone().unwrap_or_else(|| "manual".into()),
            };
            let form = SetupForm {
                tab: Some(tab),
                ..form
            };
            let page = page(state, viewer, Flash(None), &form, errors).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let pending = Pending { action, delivery };
    if !viewer.confirmed_recently(state) {
        let token = state.pending.put(&viewer.token, pending, state.now())?;
        return Ok(Redirect::to(&format!(
            "/confirm-password?pending={}",
            query_value(&token)
        ))
        .into_response());
    }
    carry_out(state, viewer, pending).await
}

/// Carries out a confirmed action: the password page, or the profile's page.
pub async fn carry_out(state: &AppState, viewer: &Viewer, pending: Pending) -> WebResult<Response> {
    match pending.delivery {
        Delivery::Shown => new_password::issue(state, viewer, pending.action).await,
        Delivery::Profile => profile::prepare(state, viewer, pending.action).await,
    }
}
