//! Thunderbird's autoconfig file (`config-v1.1.xml`), found at
//! `autoconfig.<domain>/mail/config-v1.1.xml` or `<domain>/.well-known/autoconfig/…`.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use postern_domain::Email;
use serde::Deserialize;

use super::{ServerEntry, all_of};
use crate::error::{WebError, WebResult};
use crate::extract::Query;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "autoconfig/config-v1.1.xml")]
struct ConfigFile {
    domain: String,
    hostname: String,
    public_url: String,
    incoming: Vec<ServerEntry>,
    outgoing: Vec<ServerEntry>,
}

#[derive(Deserialize)]
pub struct ConfigQuery {
    #[serde(default)]
    emailaddress: Option<String>,
}

/// The settings of the address's domain (the configured domain when no address is given).
pub async fn config(
    State(state): State<AppState>,
    Query(q): Query<ConfigQuery>,
) -> WebResult<Response> {
    let domain = match q.emailaddress.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Email::parse(text)
            .map_err(|_| WebError::BadRequest("emailaddress: not an email address".into()))?
            .domain()
            .to_owned(),
        _ => state.settings.mail_domain.clone(),
    };
    let servers = &state.settings.mail_servers;
    let mut incoming = all_of(servers, "IMAP");
    incoming.extend(all_of(servers, "POP3"));
    let file = ConfigFile {
        domain,
        hostname: state
            .settings
            .mail_servers
            .first()
            .map(|s| s.host.clone())
            .unwrap_or_default(),
        public_url: state.settings.public_url.clone(),
        incoming,
        outgoing: all_of(servers, "SMTP"),
    };
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        file.render()?,
    )
        .into_response())
}
