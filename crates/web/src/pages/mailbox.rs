//! A folder of an address: its messages, newest first, a page at a time; and the small
//! answer the page's script polls to learn of new mail (or of the address being removed).

use askama::Template;
use askama_web::WebTemplate;
use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use postern_domain::mail::{Flags, Mailbox, SpecialUse};
use postern_domain::search::{Field, Query as Search};
use postern_domain::{Email, MailAddress};
use serde::{Deserialize, Serialize};

use crate::error::{WebError, WebResult};
use crate::extract::{Path, Query};
use crate::flash::Flash;
use crate::mail::read::summary;
use crate::pages::email_param;
use crate::pages::mail_nav::{Live, MailNav, folder_label, folder_url, mail_nav, message_url};
use crate::pages::view::{Chrome, machine_time, when};
use crate::session::Viewer;
use crate::state::AppState;

/// Messages per page.
pub const PER_PAGE: usize = 50;

/// A line of the message list.
pub struct MessageRow {
    pub url: String,
    /// The sender, or the recipients in Sent and Drafts.
    pub who: String,
    pub subject: String,
    pub date: String,
    pub date_iso: String,
    pub unread: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "mailbox.html")]
pub struct FolderPage {
    pub chrome: Chrome,
    pub nav: MailNav,
    pub live: Option<Live>,
    pub email: String,
    pub linked: bool,
    pub folder: String,
    /// `From`, or `To` in folders of mail sent.
    pub who_heading: &'static str,
    pub rows: Vec<MessageRow>,
    /// `1–50 of 120`, or empty.
    pub range: String,
    pub newer_url: String,
    pub older_url: String,
    /// Where the search box sends its words.
    pub search_url: String,
    /// The words searched for, empty when the whole folder is shown.
    pub search: String,
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<usize>,
    /// Words to search the folder for.
    #[serde(default)]
    q: Option<String>,
}

impl PageQuery {
    /// The page asked for, the first by default.
    pub fn page(&self) -> usize {
        self.page.unwrap_or(1)
    }

    /// The words searched for, if any.
    pub fn search(&self) -> &str {
        self.q.as_deref().map_or("", str::trim)
    }
}

/// The longest search the box takes, in characters.
const MAX_SEARCH_CHARS: usize = 200;

/// Messages holding every word of `words` in their subject, sender, recipients or text.
fn search_query(words: &str) -> Search {
    Search::And(
        words
            .split_whitespace()
            .map(|word| {
                let word = Search::text(word);
                let any = |field| Box::new(Search::Field(field, word.clone()));
                Search::Or(
                    any(Field::Subject),
                    Box::new(Search::Or(
                        any(Field::From),
                        Box::new(Search::Or(
                            any(Field::To),
                            Box::new(Search::Body(word.clone())),
                        )),
                    )),
                )
            })
            .collect(),
    )
}

/// The page of a folder's messages, `page` counting from 1 (the newest).
pub async fn folder_page(
    state: &AppState,
    viewer: &Viewer,
    flash: Flash,
    email: &Email,
    folder: &str,
    page: usize,
    search: &str,
) -> WebResult<FolderPage> {
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(WebError::BadRequest(format!(
            "A search can be at most {MAX_SEARCH_CHARS} characters long."
        )));
    }
    let (address, mailbox) = state
        .core
        .reachable_mailbox(&viewer.account, email, folder)
        .await?;
    let mail = state.core.mailboxes();
    let uids = if search.is_empty() {
        mail.uids_of(&mailbox).await?
    } else {
        mail.search(mailbox.id, &search_query(search)).await?
    };
    let pages = uids.len().div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let end = uids.len() - (page - 1) * PER_PAGE;
    let start = end.saturating_sub(PER_PAGE);
    let shown = &uids[start..end];
    let sent = matches!(
        mailbox.special_use,
        Some(SpecialUse::Sent | SpecialUse::Drafts)
    );
    let mut rows = Vec::with_capacity(shown.len());
    if let (Some(&first), Some(&last)) = (shown.first(), shown.last()) {
        for meta in mail
            .messages_between(mailbox.id, first, last)
            .await?
            .into_iter()
            .filter(|m| shown.binary_search(&m.uid).is_ok())
            .rev()
        {
            let Some(content) = mail.message_content(mailbox.id, meta.uid).await? else {
                continue;
            };
            let s = summary(&content);
            let date = s.date.unwrap_or(meta.internal_date);
            let who = if sent { s.to } else { s.from };
            rows.push(MessageRow {
                url: message_url(&address.address.email, &mailbox.name, meta.uid),
                who: if who.is_empty() {
                    "(nobody)".into()
                } else {
                    who
                },
                subject: if s.subject.is_empty() {
                    "(no subject)".into()
                } else {
                    s.subject
                },
                date: when(date),
                date_iso: machine_time(date),
                unread: !meta.flags.has(Flags::SEEN),
            });
        }
    }
    let url = folder_url(&address.address.email, &mailbox.name);
    let page_url = |p: usize| {
        if search.is_empty() {
            format!("{url}?page={p}")
        } else {
            let q = utf8_percent_encode(search, NON_ALPHANUMERIC);
            format!("{url}?q={q}&page={p}")
        }
    };
    Ok(FolderPage {
        chrome: Chrome::new(viewer, flash, "mail"),
        nav: mail_nav(state, viewer, Some((&address, &mailbox.name))).await?,
        live: Some(Live::of(&address.address.email, &mailbox)),
        email: address.address.email.to_string(),
        linked: address.access == postern_domain::Access::Linked,
        folder: folder_label(&mailbox.name),
        who_heading: if sent { "To" } else { "From" },
        rows,
        range: if uids.is_empty() {
            String::new()
        } else {
            format!(
                "{}–{} of {}",
                uids.len() - end + 1,
                uids.len() - start,
                uids.len()
            )
        },
        newer_url: if page > 1 {
            page_url(page - 1)
        } else {
            String::new()
        },
        older_url: if page < pages {
            page_url(page + 1)
        } else {
            String::new()
        },
        search_url: url,
        search: search.to_owned(),
    })
}

/// The INBOX of an address.
pub async fn inbox(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path(email): Path<String>,
    Query(q): Query<PageQuery>,
) -> WebResult<impl IntoResponse> {
    let email = email_param(&email)?;
    folder_page(
        &state,
        &viewer,
        flash,
        &email,
        "INBOX",
        q.page(),
        q.search(),
    )
    .await
}

/// A folder of an address.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    flash: Flash,
    Path((email, folder)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> WebResult<impl IntoResponse> {
    let email = email_param(&email)?;
    folder_page(
        &state,
        &viewer,
        flash,
        &email,
        &folder,
        q.page(),
        q.search(),
    )
    .await
}

/// What the script learns on each poll.
#[derive(Serialize)]
pub struct FolderState {
    /// Raised by every change in the folder.
    pub modseq: i64,
    pub messages: u32,
    pub unseen: u32,
}

/// The folder's state; 404 once the address is no longer reachable (a link removed).
pub async fn poll(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((email, folder)): Path<(String, String)>,
) -> WebResult<Json<FolderState>> {
    let email = email_param(&email)?;
    let (_, mailbox): (MailAddress, Mailbox) = state
        .core
        .reachable_mailbox(&viewer.account, &email, &folder)
        .await?;
    Ok(Json(FolderState {
        modseq: mailbox.modseq,
        messages: mailbox.messages,
        unseen: mailbox.unseen,
    }))
}
