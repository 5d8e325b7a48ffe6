//! Sign-in and sign-out.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use std::net::IpAddr;

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::DomainError;
use postern_domain::accounts::SignIn;
use postern_domain::model::Account;
use postern_domain::sign_in_log::Via;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{WebError, WebResult};
use crate::extract::{ClientIp, Form, Query};
use crate::memory::{AwaitingCode, NO_SESSION};
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

#[derive(Template, WebTemplate)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    chrome: Chrome,
    ticket: String,
    error: Option<String>,
}

/// Wrong codes one right password allows before the sign-in starts over.
const WRONG_CODES: u8 = 3;

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

/// Checks the login and password (throttled by the domain) and opens a new session, or asks
/// for the code of two-step verification first.
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
        Ok(SignIn::Done(account)) => signed_in(&state, &account, &headers, ip, &next).await,
        Ok(SignIn::CodeRequired(account)) => {
            let waiting = AwaitingCode {
                account,
                next,
                wrong_codes: 0,
            };
            ask_for_code(&state, waiting, None, StatusCode::OK)
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

async fn signed_in(
    state: &AppState,
    account: &Account,
    headers: &HeaderMap,
    ip: IpAddr,
    next: &str,
) -> WebResult<Response> {
    let cookie = session::start(state, account.id, headers, ip).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
}

/// The code page, with a new token for what waits.
fn ask_for_code(
    state: &AppState,
    waiting: AwaitingCode,
    error: Option<String>,
    status: StatusCode,
) -> WebResult<Response> {
    let ticket = state.awaiting_code.put(&NO_SESSION, waiting, state.now())?;
    let page = CodePage {
        chrome: Chrome::bare(false),
        ticket,
        error,
    };
    Ok((status, [(header::CACHE_CONTROL, "no-store")], page).into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub(crate) ticket: String,
    pub(crate) code: SecretString,
}

/// The code of two-step verification after a right password: a session, or the code page
/// again; after a few wrong codes, or once the password is too old, the sign-in page.
pub async fn submit_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> WebResult<Response> {
    let Some(mut waiting) = state
        .awaiting_code
        .take(&form.ticket, &NO_SESSION, state.now())
    else {
        return Ok(start_over("", "/", "Sign in again: that took too long."));
    };
    let checked = state
        .core
        .check_code(&waiting.account, form.code.expose_secret(), ip, Via::Web)
        .await;
    match checked {
        Ok(_) => signed_in(&state, &waiting.account, &headers, ip, &waiting.next).await,
        Err(e @ (DomainError::AuthFailed | DomainError::Throttled)) => {
            waiting.wrong_codes += 1;
            if waiting.wrong_codes >= WRONG_CODES {
                let login = waiting.account.login.to_string();
                let message = "Too many wrong codes. Sign in again.";
                return Ok(start_over(&login, &waiting.next, message));
            }
            let error = WebError::from(e);
            let message = match error {
                WebError::Domain(DomainError::AuthFailed) => {
                    "That code is not right, or it was used already.".to_owned()
                }
                _ => error.message(),
            };
            ask_for_code(&state, waiting, Some(message), error.status())
        }
        Err(e) => Err(e.into()),
    }
}

/// The sign-in page again, with why.
fn start_over(login: &str, next: &str, message: &str) -> Response {
    let page = SignInPage {
        chrome: Chrome::bare(false),
        login: login.to_owned(),
        next: next.to_owned(),
        error: Some(message.to_owned()),
    };
    (StatusCode::UNAUTHORIZED, page).into_response()
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
