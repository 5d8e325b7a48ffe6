//! A message: its page (headers, text, attachments), its HTML body as a separate sandboxed
//! document, attachments as downloads, and the buttons that mark it read or unread or delete
//! it to Trash.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use postern_domain::mail::{Flags, Mailbox, MessageMeta};
use postern_domain::{DomainError, Email, MailAddress};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{Form, Path, Query};
use crate::flash::{self, Flash};
use crate::mail::read::{self, Body};
use crate::mail::sanitize::document;
use crate::pages::email_param;
use crate::pages::mail_nav::{Live, MailNav, folder_label, folder_url, mail_nav, message_url};
use crate::pages::view::{Chrome, machine_time, when};
use crate::session::Viewer;
use crate::state::AppState;

/// An attachment as the page lists it.
pub struct AttachmentView {
    pub name: String,
    pub size: String,
    pub url: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    nav: MailNav,
    live: Option<Live>,
    folder: String,
    folder_url: String,
    url: String,
    subject: String,
    from: String,
    to: String,
    cc: String,
    date: String,
    date_iso: String,
    /// Plain text, when the body is not HTML.
    text: Option<String>,
    /// The sandboxed document of an HTML body.
    body_url: String,
    /// Remote images were left out; the link that lets them in.
    remote_url: String,
    attachments: Vec<AttachmentView>,
}

/// The message `{uid}` of a folder the viewer reaches, with its metadata.
async fn find(
    state: &AppState,
    viewer: &Viewer,
    email: &str,
    folder: &str,
    uid: &str,
) -> WebResult<(MailAddress, Mailbox, MessageMeta)> {
    let email: Email = email_param(email)?;
    let uid: u32 = uid.parse().map_err(|_| WebError::NoRoute)?;
    let (address, mailbox) = state
        .core
        .reachable_mailbox(&viewer.account, &email, folder)
        .await?;
    let meta = state
        .core
        .mailboxes()
        .messages_between(mailbox.id, uid, uid)
        .await?
        .into_iter()
        .next()
        .ok_or(DomainError::NotFound("message"))?;
    Ok((address, mailbox, meta))
}

async fn content(state: &AppState, mailbox: &Mailbox, uid: u32) -> WebResult<Vec<u8>> {
    let found = state
        .core
        .mailboxes()
        .message_content(mailbox.id, uid)
        .await?;
    found.ok_or_else(|| DomainError::NotFound("message").into())
}

#[derive(Deserialize)]
pub struct RemoteQuery {
    #[serde(default)]
    remote: Option<String>,
}

impl RemoteQuery {
    fn allowed(&self) -> bool {
        self.remote.as_deref() == Some("1")
    }
}

fn size_text(bytes: usize) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

/// The message's page. Opening it marks it read.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path((email, folder, uid)): Path<(String, String, String)>,
    Query(q): Query<RemoteQuery>,
) -> WebResult<Response> {
    let (address, mut mailbox, meta) = find(&state, &viewer, &email, &folder, &uid).await?;
    let email = &address.address.email;
    let raw = content(&state, &mailbox, meta.uid).await?;
    if !meta.flags.has(Flags::SEEN) {
        state.core.set_seen(&mailbox, meta.uid, true).await?;
        // The page follows the folder from after its own change.
        if let Some(now) = state.core.mailboxes().mailbox_by_id(mailbox.id).await? {
            mailbox = now;
        }
    }
    let opened = read::open(&raw, q.allowed());
    let url = message_url(email, &mailbox.name, meta.uid);
    let (text, body_url, remote_url) = match &opened.body {
        Body::Text(t) => (Some(t.clone()), String::new(), String::new()),
        Body::Empty => (Some(String::new()), String::new(), String::new()),
        Body::Html(s) => {
            let remote = if q.allowed() { "?remote=1" } else { "" };
            let remote_url = if s.remote_blocked > 0 && !q.allowed() {
                format!("{url}?remote=1")
            } else {
                String::new()
            };
            (None, format!("{url}/body{remote}"), remote_url)
        }
    };
    let date = opened.date.unwrap_or(meta.internal_date);
    let page = MessagePage {
        chrome: Chrome::new(&viewer, flash, "mail"),
        nav: mail_nav(&state, &viewer, Some((&address, &mailbox.name))).await?,
        live: Some(Live::of(email, &mailbox)),
        folder: folder_label(&mailbox.name),
        folder_url: folder_url(email, &mailbox.name),
        subject: if opened.subject.is_empty() {
            "(no subject)".into()
        } else {
            opened.subject.clone()
        },
        from: opened.from.clone(),
        to: opened.to.clone(),
        cc: opened.cc.clone(),
        date: when(date),
        date_iso: machine_time(date),
        text,
        body_url,
        remote_url,
        attachments: opened
            .attachments
            .iter()
            .map(|a| AttachmentView {
                name: a.name.clone(),
                size: size_text(a.size),
                url: format!("{url}/parts/{}", a.part),
            })
            .collect(),
        url,
    };
    Ok(page.into_response())
}

/// The policy of an HTML body: no script, nothing loaded but the message's own pictures
/// (and remote images once the reader asked), shown only inside our own pages.
fn body_policy(remote: bool) -> String {
    let images = if remote {
        "data: https: http:"
    } else {
        "data:"
    };
    format!(
        "default-src 'none'; img-src {images}; style-src 'unsafe-inline'; font-src data:; \
         form-action 'none'; base-uri 'none'; frame-ancestors 'self'; \
         sandbox allow-popups allow-popups-to-escape-sandbox"
    )
}

/// The HTML body, sanitised, as a document of its own for the sandboxed frame.
pub async fn body(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((email, folder, uid)): Path<(String, String, String)>,
    Query(q): Query<RemoteQuery>,
) -> WebResult<Response> {
    let (_, mailbox, meta) = find(&state, &viewer, &email, &folder, &uid).await?;
    let raw = content(&state, &mailbox, meta.uid).await?;
    let Body::Html(s) = read::open(&raw, q.allowed()).body else {
        return Err(WebError::NoRoute);
    };
    let mut res = document(&s.html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(&body_policy(q.allowed())) {
        h.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    Ok(res)
}

/// An attachment, always as a download of opaque bytes.
pub async fn part(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((email, folder, uid, part)): Path<(String, String, String, String)>,
) -> WebResult<Response> {
    let (_, mailbox, meta) = find(&state, &viewer, &email, &folder, &uid).await?;
    let part: u32 = part.parse().map_err(|_| WebError::NoRoute)?;
    let raw = content(&state, &mailbox, meta.uid).await?;
    let (name, bytes) = read::attachment(&raw, part).ok_or(WebError::NoRoute)?;
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-+ ()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(&name, NON_ALPHANUMERIC)
    );
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct SeenForm {
    /// `true` or `false`; anything else is refused before anything changes.
    seen: bool,
}

/// `Mark as read` / `Mark as unread`.
pub async fn mark(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((email, folder, uid)): Path<(String, String, String)>,
    Form(form): Form<SeenForm>,
) -> WebResult<Response> {
    let (address, mailbox, meta) = find(&state, &viewer, &email, &folder, &uid).await?;
    let seen = form.seen;
    state.core.set_seen(&mailbox, meta.uid, seen).await?;
    let email = &address.address.email;
    if seen {
        return Ok(Redirect::to(&message_url(email, &mailbox.name, meta.uid)).into_response());
    }
    Ok((
        [flash::set(
            &state.settings,
            "The message was marked as unread.",
        )],
        Redirect::to(&folder_url(email, &mailbox.name)),
    )
        .into_response())
}

/// `Delete`: to Trash, or for good from Trash.
pub async fn delete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((email, folder, uid)): Path<(String, String, String)>,
) -> WebResult<Response> {
    let (address, mailbox, meta) = find(&state, &viewer, &email, &folder, &uid).await?;
    let to_trash = state
        .core
        .delete_to_trash(&address.address, &mailbox, meta.uid)
        .await?;
    let notice = if to_trash {
        "The message was moved to Trash."
    } else {
        "The message was deleted."
    };
    Ok((
        [flash::set(&state.settings, notice)],
        Redirect::to(&folder_url(&address.address.email, &mailbox.name)),
    )
        .into_response())
}
