//! Sign-in and sign-out.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::DomainError;
use postern_domain::sign_in_log::Via;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::WebResult;
use crate::extract::{ClientIp, Form, Query};
use crate::pages::view::Chrome;
use crate::session;
use crate::state::AppState;

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    login: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    pub(crate) next: String,
}

/// Where to go after signing in: only a path of this site.
pub(crate) fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(char::is_control);
    if local { next } else { "/" }
}

/// The sign-in page.
pub async fn show(Query(q): Query<NextQuery>) -> impl IntoResponse {
    SignInPage {
        chrome: Chrome::bare(false),
        login: String::new(),
        next: safe_next(&q.next).to_owned(),
        error: None,
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    pub(crate) login: String,
    pub(crate) password: SecretString,
    #[serde(default)]
    pub(crate) next: String,
}

/// Checks the login and password (throttled by the domain) and opens a new session.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> WebResult<Response> {
    let next = safe_next(&form.next).to_owned();
    match state
        .core
        .sign_in(&form.login, form.password.expose_secret(), ip, Via::Web)
        .await
    {
        Ok(account) => {
            let cookie = session::start(&state, account.id, &headers, ip).await?;
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        Err(e @ (DomainError::AuthFailed | DomainError::Throttled)) => {
            let error = crate::WebError::from(e);
            let page = SignInPage {
                chrome: Chrome::bare(false),
                login: form.login.trim().to_owned(),
                next,
                error: Some(error.message()),
            };
            Ok((error.status(), page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// Ends the session and returns to the sign-in page.
pub async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> WebResult<Response> {
    let cookie = session::end(&state, &headers).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/sign-in")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths() {
        assert_eq!(safe_next("/settings"), "/settings");
        assert_eq!(safe_next("//evil.test/x"), "/");
        assert_eq!(safe_next("/\\evil.test"), "/");
        assert_eq!(safe_next("https://evil.test"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/a\nb"), "/");
    }
}
