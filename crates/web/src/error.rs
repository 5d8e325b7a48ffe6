//! The web layer's one error type, and the one place that turns it into a response: an
//! HTML page (or the sign-in page) for the web app, `{"error":{"code","message"}}` for the API.
//!
//! A handler returns `WebError`; its `IntoResponse` only records what went wrong, and the
//! [`render_errors`] layer, which knows whether the request was for the API, renders it.

use askama::Template;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use postern_domain::DomainError;
use serde_json::json;

use crate::pages::view::Chrome;
use crate::session;
use crate::state::AppState;

/// Everything a web request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// No live session: sign in first.
    #[error("sign in to continue")]
    Unauthenticated,
    /// A state-changing request sent by another site.
    #[error("cross-site request refused")]
    CrossSite,
    /// A request sent to a name this web app does not answer to.
    #[error("misdirected request")]
    MisdirectedRequest,
    /// A request that does not parse (body, query).
    #[error("{0}")]
    BadRequest(String),
    /// No such route.
    #[error("no such page")]
    NoRoute,
    /// The route exists, not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A template that could not be rendered.
    #[error("rendering a page failed: {0}")]
    Render(#[from] askama::Error),
    /// What the domain refused or failed with.
    #[error(transparent)]
    Domain(#[from] DomainError),
}

/// The web layer's result alias.
pub type WebResult<T, E = WebError> = std::result::Result<T, E>;

/// What went wrong, as every response format needs it.
#[derive(Clone, Debug)]
struct Failure {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<&'static str>,
}

impl WebError {
    fn failure(&self) -> Failure {
        let (status, code, message, field) = match self {
            WebError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Sign in to continue.".to_owned(),
                None,
            ),
            WebError::CrossSite => (
                StatusCode::FORBIDDEN,
                "cross_site",
                "This request came from another site and was refused.".to_owned(),
                None,
            ),
            WebError::MisdirectedRequest => (
                StatusCode::MISDIRECTED_REQUEST,
                "misdirected_request",
                "This server does not answer to that name.".to_owned(),
                None,
            ),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone(), None),
            WebError::NoRoute | WebError::Domain(DomainError::NotFound(_)) => (
                StatusCode::NOT_FOUND,
                "not_found",
                "There is nothing here.".to_owned(),
                None,
            ),
            WebError::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This page cannot be reached that way.".to_owned(),
                None,
            ),
            WebError::Domain(DomainError::Invalid { field, message }) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{}: {message}", capitalised(field)),
                Some(*field),
            ),
            WebError::Domain(DomainError::Conflict(m)) => {
                (StatusCode::CONFLICT, "conflict", m.clone(), None)
            }
            WebError::Domain(DomainError::AuthFailed) => (
                StatusCode::UNAUTHORIZED,
                "auth_failed",
                "The login or the password is not right.".to_owned(),
                None,
            ),
            WebError::Domain(DomainError::CodeRequired) => (
                StatusCode::UNAUTHORIZED,
                "code_required",
                "Enter the code from your authenticator app, or a recovery code.".to_owned(),
                Some("code"),
            ),
            WebError::Domain(DomainError::Throttled) => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                "Too many failed attempts. Wait a little and try again.".to_owned(),
                None,
            ),
            WebError::Domain(DomainError::ReauthRequired) => (
                StatusCode::FORBIDDEN,
                "reauth_required",
                "Confirm your account password to continue.".to_owned(),
                None,
            ),
            WebError::Render(_)
            | WebError::Domain(DomainError::Store(_) | DomainError::Internal(_)) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on the server. Try again in a moment.".to_owned(),
                None,
            ),
        };
        Failure {
            status,
            code,
            message,
            field,
        }
    }
}

impl WebError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.failure().status
    }

    /// What a person reads about this error.
    pub fn message(&self) -> String {
        self.failure().message
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let failure = self.failure();
        if failure.status.is_server_error() {
            // The detail is for the operator; the person sees a general message.
            tracing::error!("request failed: {self}");
        }
        let mut res = failure.status.into_response();
        res.extensions_mut().insert(failure);
        res
    }
}

/// The fallback for paths no route matches.
pub async fn not_found() -> WebError {
    WebError::NoRoute
}

/// The fallback for a known path asked with another method.
pub async fn method_not_allowed() -> WebError {
    WebError::MethodNotAllowed
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: &'static str,
    message: String,
}

/// Renders every `WebError` of the request: JSON under `/api/`, HTML elsewhere.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let back_to = (req.method() == Method::GET)
        .then(|| req.uri().path_and_query().map(|p| p.as_str().to_owned()))
        .flatten();
    let had_session = session::presented_token(req.headers(), &state.settings).is_some();
    let mut res = next.run(req).await;
    let Some(failure) = res.extensions_mut().remove::<Failure>() else {
        return res;
    };
    if api {
        let mut body = json!({"code": failure.code, "message": failure.message});
        if let Some(field) = failure.field {
            body["field"] = json!(field);
        }
        return (failure.status, Json(json!({ "error": body }))).into_response();
    }
    if failure.code == "unauthenticated" {
        let target = match back_to.as_deref() {
            Some(p) if p != "/" => format!(
                "/sign-in?next={}",
                percent_encoding::utf8_percent_encode(p, percent_encoding::NON_ALPHANUMERIC)
            ),
            _ => "/sign-in".to_owned(),
        };
        let mut res = Redirect::to(&target).into_response();
        if had_session {
            res.headers_mut().append(
                header::SET_COOKIE,
                session::clearing_cookie(&state.settings),
            );
        }
        return res;
    }
    let title = match failure.status {
        StatusCode::NOT_FOUND => "Page not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
        s if s.is_server_error() => "Something went wrong",
        _ => "That did not work",
    };
    let page = ErrorPage {
        chrome: Chrome::bare(had_session),
        title,
        message: failure.message,
    };
    match page.render() {
        Ok(html) => {
            let mut res = (failure.status, html).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            res
        }
        Err(e) => {
            tracing::error!("rendering the error page failed: {e}");
            failure.status.into_response()
        }
    }
}
