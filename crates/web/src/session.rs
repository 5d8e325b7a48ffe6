//! Web sessions: a 256-bit random token in an HttpOnly, SameSite=Strict cookie (Secure over
//! HTTPS), kept in the store only as its SHA-256; idle and absolute timeouts; a new token at
//! every sign-in; deleted at sign-out.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use postern_domain::model::{Account, WebSession};
use postern_domain::{AccountId, Actor, Core, DomainError};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use time::{Duration, OffsetDateTime};

use crate::error::{WebError, WebResult};
use crate::settings::Settings;
use crate::state::AppState;

/// The SHA-256 of a session token: what the store keys sessions by.
pub use postern_domain::web_sessions::TokenHash;

/// `last_seen_at` is written at most this often, so reading pages does not write every time.
const TOUCH_EVERY: Duration = Duration::minutes(1);

/// `N` random bytes from the operating system, as lowercase hex.
pub fn random_token<const N: usize>() -> WebResult<String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| WebError::Domain(DomainError::Internal(format!("randomness: {e}"))))?;
    Ok(hex::encode(bytes))
}

/// The hash of a cookie token, if it has the right shape.
fn hash_token(token: &str) -> Option<TokenHash> {
    let mut raw = [0u8; 32];
    hex::decode_to_slice(token, &mut raw).ok()?;
    Some(Sha256::digest(raw).into())
}

/// The session cookie's name: with the `__Host-` prefix over HTTPS, which browsers only
/// accept from a secure page for the whole site.
pub fn cookie_name(settings: &Settings) -> &'static str {
    if settings.https() {
        "__Host-postern_session"
    } else {
        "postern_session"
    }
}

fn cookie_header(settings: &Settings, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Strict",
        cookie_name(settings)
    );
    if settings.https() {
        text.push_str("; Secure");
    }
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes the session cookie.
pub fn clearing_cookie(settings: &Settings) -> HeaderValue {
    cookie_header(settings, "", Some(0))
}

/// A cookie's value from the request headers.
pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The hash of the session token the request carries, valid or not.
pub fn presented_token(headers: &HeaderMap, settings: &Settings) -> Option<TokenHash> {
    read_cookie(headers, cookie_name(settings)).and_then(hash_token)
}

/// The longest `User-Agent` kept with a session; the rest is cut off.
const USER_AGENT_KEPT: usize = 512;

/// Opens a session for `account` from a client at `ip`, ending the one the browser had (a
/// new token at every sign-in). Returns the `Set-Cookie` value.
pub async fn start(
    state: &AppState,
    account: AccountId,
    headers: &HeaderMap,
    ip: IpAddr,
) -> WebResult<HeaderValue> {
    let sessions = state.core.web_sessions();
    if let Some(old) = presented_token(headers, &state.settings) {
        sessions.delete_session(&old).await?;
        forget(state, &old);
    }
    let user_agent: String = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(USER_AGENT_KEPT)
        .collect();
    let token = random_token::<32>()?;
    let hash = hash_token(&token).ok_or_else(|| {
        WebError::Domain(DomainError::Internal(
            "a session token that is not hex".into(),
        ))
    })?;
    let now = state.now();
    let session = WebSession {
        account_id: account,
        created_at: now,
        last_seen_at: now,
        // Signing in is typing the account password: it counts as a confirmation.
        confirmed_at: now,
        ip: ip.to_string(),
        user_agent,
    };
    sessions.create_session(&hash, &session).await?;
    Ok(cookie_header(&state.settings, &token, None))
}

/// Ends the session the request carries, if any. Returns the `Set-Cookie` value that clears it.
pub async fn end(state: &AppState, headers: &HeaderMap) -> WebResult<HeaderValue> {
    if let Some(hash) = presented_token(headers, &state.settings) {
        state.core.web_sessions().delete_session(&hash).await?;
        forget(state, &hash);
    }
    Ok(clearing_cookie(&state.settings))
}

/// Drops what this process keeps for a session that has ended: its one-time pages (a new
/// password not yet shown, a pending generation, a profile link) die with it.
pub fn forget(state: &AppState, token: &TokenHash) {
    state.revealed.forget_session(token);
    state.pending.forget_session(token);
    state.profiles.forget_session(token);
}

/// Signs out one of the viewer's sessions by its public id and drops its one-time pages.
/// Returns the `Set-Cookie` value that clears the cookie when it was the viewer's own.
pub async fn sign_out_one(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> WebResult<Option<HeaderValue>> {
    let ended = state.core.sign_out_browser(&viewer.account, id).await?;
    forget(state, &ended);
    Ok((ended == viewer.token).then(|| clearing_cookie(&state.settings)))
}

/// Deletes every session past its idle or absolute timeout; returns how many.
pub async fn sweep_expired_sessions(
    core: &Core,
    settings: &Settings,
) -> postern_domain::Result<u64> {
    let now = core.clock().now();
    core.web_sessions()
        .delete_expired_sessions(now - settings.session_idle, now - settings.session_lifetime)
        .await
}

/// The signed-in account of a request. Extracting it refuses a request without a live
/// session (`Unauthenticated`: the sign-in page for pages, 401 for the API).
pub struct Viewer {
    pub account: Account,
    pub token: TokenHash,
    pub session: WebSession,
}

impl Viewer {
    /// The account as the domain's actor.
    pub fn actor(&self) -> Actor {
        Actor::Account(self.account.clone())
    }

    /// Whether the account password was confirmed within the re-authentication window.
    pub fn confirmed_recently(&self, state: &AppState) -> bool {
        state.now() - self.session.confirmed_at < state.settings.reauth_window
    }

    /// `ReauthRequired` unless the account password was confirmed recently.
    pub fn require_confirmed(&self, state: &AppState) -> WebResult<()> {
        if self.confirmed_recently(state) {
            Ok(())
        } else {
            Err(DomainError::ReauthRequired.into())
        }
    }

    /// Records that the account password was just confirmed in this session.
    pub async fn confirm(&mut self, state: &AppState) -> WebResult<()> {
        let now = state.now();
        state
            .core
            .web_sessions()
            .confirm_session(&self.token, now)
            .await?;
        self.session.confirmed_at = now;
        Ok(())
    }
}

/// Whether the session of `token` is still live: in the store and within its timeouts. What
/// was asked for in a session (a profile link) dies with it, even where no cookie comes back.
pub async fn is_live(state: &AppState, token: &TokenHash) -> WebResult<bool> {
    Ok(match state.core.web_sessions().session(token).await? {
        Some((session, _)) => !expired(&session, state.now(), &state.settings),
        None => false,
    })
}

fn expired(session: &WebSession, now: OffsetDateTime, settings: &Settings) -> bool {
    now - session.last_seen_at >= settings.session_idle
        || now - session.created_at >= settings.session_lifetime
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> WebResult<Self> {
        let token =
            presented_token(&parts.headers, &state.settings).ok_or(WebError::Unauthenticated)?;
        let sessions = state.core.web_sessions();
        let (mut session, account) = sessions
            .session(&token)
            .await?
            .ok_or(WebError::Unauthenticated)?;
        let now = state.now();
        if expired(&session, now, &state.settings) {
            sessions.delete_session(&token).await?;
            return Err(WebError::Unauthenticated);
        }
        if now - session.last_seen_at >= TOUCH_EVERY {
            sessions.touch_session(&token, now).await?;
            session.last_seen_at = now;
        }
        Ok(Viewer {
            account,
            token,
            session,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_cookies() {
        let t = random_token::<32>().unwrap();
        assert_eq!(t.len(), 64);
        assert_ne!(t, random_token::<32>().unwrap());
        let h = hash_token(&t).unwrap();
        assert_eq!(h, hash_token(&t).unwrap());
        assert!(hash_token("zz").is_none());
        assert!(hash_token(&t[..62]).is_none());

        let plain = Settings::new("http://127.0.0.1:8080");
        let c = cookie_header(&plain, &t, None);
        assert_eq!(
            c.to_str().unwrap(),
            format!("postern_session={t}; Path=/; HttpOnly; SameSite=Strict")
        );
        let secure = Settings::new("https://mail.example.com");
        let c = clearing_cookie(&secure);
        assert_eq!(
            c.to_str().unwrap(),
            "__Host-postern_session=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0"
        );

        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; postern_session={t}")).unwrap(),
        );
        assert_eq!(read_cookie(&headers, "postern_session"), Some(t.as_str()));
        assert_eq!(presented_token(&headers, &plain), Some(h));
        assert_eq!(presented_token(&headers, &secure), None);
    }
}
