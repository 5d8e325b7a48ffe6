//! The account's signed-in browsers: its web sessions as it sees them, each under a public id
//! that names it without giving away its token, and signing one (or all others) out.

use sha2::{Digest, Sha256};

use crate::core::Core;
use crate::error::{DomainError, Result};
use crate::model::{Account, ActivityKind, WebSession};

/// The hash of a session token, as the store keys sessions.
pub type TokenHash = [u8; 32];

/// One web session of an account.
#[derive(Clone, Debug)]
pub struct SignedInBrowser {
    /// The public id: 32 hex digits derived from the token hash, which it does not reveal.
    pub id: String,
    /// What the store keys the session by, for the web layer to drop what hangs on it.
    pub token_hash: TokenHash,
    pub session: WebSession,
}

impl SignedInBrowser {
    /// The browser and system its `User-Agent` names, for people.
    pub fn browser(&self) -> String {
        browser_label(&self.session.user_agent)
    }
}

/// The public id of a session: a one-way function of its token hash, so that listing
/// sessions never hands out what the store looks them up by.
pub fn session_id(token_hash: &TokenHash) -> String {
    let mut h = Sha256::new();
    h.update(b"postern session id\0");
    h.update(token_hash);
    hex::encode(&h.finalize()[..16])
}

/// "Firefox on Linux" and the like, from a `User-Agent`; "Unknown browser" when it says
/// nothing recognisable. Order matters: Chromium-based browsers also claim Safari, Edge and
/// Opera also claim Chrome.
pub fn browser_label(user_agent: &str) -> String {
    let ua = user_agent;
    let browser = if ua.contains("Edg/") || ua.contains("Edge/") {
        "Edge"
    } else if ua.contains("OPR/") || ua.contains("Opera") {
        "Opera"
    } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
        "Firefox"
    } else if ua.contains("Chromium/") {
        "Chromium"
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else if ua.contains("curl/") {
        "curl"
    } else {
        ""
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iOS"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "macOS"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") || ua.contains("X11") {
        "Linux"
    } else {
        ""
    };
    match (browser, system) {
        ("", "") => "Unknown browser".to_owned(),
        ("", s) => format!("Browser on {s}"),
        (b, "") => b.to_owned(),
        (b, s) => format!("{b} on {s}"),
    }
}

impl Core {
    /// Every web session of the account, most recently seen first.
    pub async fn signed_in_browsers(&self, account: &Account) -> Result<Vec<SignedInBrowser>> {
        Ok(self
            .store
            .sessions_of(account.id)
            .await?
            .into_iter()
            .map(|(token_hash, session)| SignedInBrowser {
                id: session_id(&token_hash),
                token_hash,
                session,
            })
            .collect())
    }

    /// Signs out the account's session with public id `id`; `NotFound` for any id that is
    /// not one of its own. The session is gone from the store when this returns, so its next
    /// request finds no session. Returns the session's token hash.
    pub async fn sign_out_browser(&self, account: &Account, id: &str) -> Result<TokenHash> {
        let browser = self
            .signed_in_browsers(account)
            .await?
            .into_iter()
            .find(|b| b.id == id)
            .ok_or(DomainError::NotFound("session"))?;
        self.end_browser(account, &browser).await?;
        Ok(browser.token_hash)
    }

    /// Signs out every session of the account except `keep`. Returns the token hashes ended.
    pub async fn sign_out_other_browsers(
        &self,
        account: &Account,
        keep: &TokenHash,
    ) -> Result<Vec<TokenHash>> {
        let mut ended = Vec::new();
        for browser in self.signed_in_browsers(account).await? {
            if &browser.token_hash != keep && self.end_browser(account, &browser).await? {
                ended.push(browser.token_hash);
            }
        }
        Ok(ended)
    }

    /// Ends one session, noting it in the activity log of each address the account owns.
    async fn end_browser(&self, account: &Account, browser: &SignedInBrowser) -> Result<bool> {
        let what = if browser.session.ip.is_empty() {
            browser.browser()
        } else {
            format!("{}, {}", browser.browser(), browser.session.ip)
        };
        let mut activity = self
            .account_activity(account, ActivityKind::BrowserSignedOut)
            .await?;
        for entry in &mut activity {
            entry.device_description = Some(what.clone());
        }
        let ended = self
            .store
            .end_session_of(account.id, &browser.token_hash, &activity)
            .await?;
        if ended {
            tracing::info!(account = %account.login, "browser signed out");
        }
        Ok(ended)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_from_user_agents() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            ("curl/8.5.0", "curl"),
            ("", "Unknown browser"),
        ];
        for (ua, want) in cases {
            assert_eq!(browser_label(ua), want, "{ua}");
        }
    }

    #[test]
    fn ids_are_stable_and_hide_the_hash() {
        let a = session_id(&[1; 32]);
        assert_eq!(a, session_id(&[1; 32]));
        assert_ne!(a, session_id(&[2; 32]));
        assert_eq!(a.len(), 32);
        assert!(!a.contains(&hex::encode([1u8; 16])));
    }
}
