//! `New message`: the compose form of an address (owned or linked), sent through the same
//! delivery path as SMTP submission, with a copy kept in Sent.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::{Email, MailAddress};
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{ClientIp, Form, Path};
use crate::flash::{self, Flash};
use crate::mail::compose::{MAX_SUBJECT_CHARS, recipients};
use crate::mail::send::{Outgoing, send};
use crate::pages::email_param;
use crate::pages::mail_nav::{MailNav, compose_url, mail_nav, mail_url};
use crate::pages::view::Chrome;
use crate::session::Viewer;
use crate::state::AppState;

/// What the form holds. `from` is optional (the page sends the address itself): a program
/// may name the author, and it must then be the address it sends from.
#[derive(Deserialize, Default)]
pub struct ComposeForm {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cc: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "compose.html")]
struct ComposePage {
    chrome: Chrome,
    nav: MailNav,
    live: Option<crate::pages::mail_nav::Live>,
    email: String,
    action: String,
    form: ComposeForm,
    error: Option<String>,
    max_subject: usize,
}

async fn page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    address: &MailAddress,
    form: ComposeForm,
    error: Option<String>,
) -> WebResult<ComposePage> {
    let email = &address.address.email;
    Ok(ComposePage {
        chrome: Chrome::new(viewer, flash, "mail"),
        nav: mail_nav(state, viewer, Some((address, ""))).await?,
        live: None,
        email: email.to_string(),
        action: compose_url(email),
        form,
        error,
        max_subject: MAX_SUBJECT_CHARS,
    })
}

/// The recipients of the form, if the form is right.
fn check(form: &ComposeForm) -> Result<(Vec<Email>, Vec<Email>), String> {
    let to = recipients(&form.to)?;
    let cc = recipients(&form.cc)?;
    if form.subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(format!(
            "The subject is too long: at most {MAX_SUBJECT_CHARS} characters."
        ));
    }
    Ok((to, cc))
}

/// The empty form.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(email): Path<String>,
) -> WebResult<impl IntoResponse> {
    let email: Email = email_param(&email)?;
    let address = state.core.mail_address(&viewer.account, &email).await?;
    page(
        &state,
        &viewer,
        flash,
        &address,
        ComposeForm::default(),
        None,
    )
    .await
}

/// Sends the message; the form comes back with what was wrong, keeping what was typed.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientIp(ip): ClientIp,
    Path(email): Path<String>,
    Form(form): Form<ComposeForm>,
) -> WebResult<Response> {
    let email: Email = email_param(&email)?;
    let address = state.core.mail_address(&viewer.account, &email).await?;
    let checked = check(&form);
    let outcome = match checked {
        Ok((to, cc)) => {
            let from = Some(form.from.trim()).filter(|f| !f.is_empty());
            let outgoing = Outgoing {
                from,
                to: &to,
                cc: &cc,
                subject: &form.subject,
                text: &form.text,
            };
            send(
                &state.core,
                &state.settings,
                &address.address,
                ip,
                &outgoing,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok((
            [flash::set(&state.settings, "Your message was sent.")],
            Redirect::to(&mail_url(&email)),
        )
            .into_response()),
        Err(message) => {
            let page = page(&state, &viewer, Flash(None), &address, form, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
