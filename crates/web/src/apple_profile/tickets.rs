//! Apple profiles waiting for their one download.
//!
//! Creating a profile in the setup assistant stores a ticket here, in memory only: what to
//! do (create a device, or give one a new password) for which account. Two random tokens
//! reach it. The page token is bound to the web session and shows the QR code. The download
//! token (256 bits) is what the QR code's URL carries: a phone has no session, so the token
//! alone opens it, once, within ten minutes, and only while the web session that asked for
//! it is still live (not signed out, here or everywhere, nor timed out). The device password
//! is made only when the profile is downloaded, so it never waits anywhere: it exists in the
//! one response that carries the profile.

use std::collections::HashMap;
use std::sync::Mutex;

use postern_domain::{AccountId, DeviceId, Email};
use time::{Duration, OffsetDateTime};

use crate::memory::PendingAction;
use crate::session::TokenHash;

/// Tickets kept at most, so memory stays bounded; the oldest go first.
const MAX_ENTRIES: usize = 10_000;

/// How long a profile's page still tells what became of it after the link expired.
const REMEMBER_AFTER_EXPIRY: Duration = Duration::hours(1);

/// What a download carries out.
#[derive(Clone, Debug)]
pub struct Ticket {
    /// The account that asked, as whom the device is created.
    pub account: AccountId,
    pub action: PendingAction,
}

/// Where a profile stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Not downloaded yet; the download token still works until `expires`.
    Waiting,
    /// The download is being made.
    Downloading,
    /// Downloaded at this time, for this device.
    Downloaded {
        at: OffsetDateTime,
        device: DeviceId,
    },
    /// The download came, but the device could not be created or reset.
    Failed,
    /// Nobody downloaded it in time.
    Expired,
}

/// What the profile's page shows.
#[derive(Clone, Debug)]
pub struct PageView {
    pub email: Email,
    pub description: String,
    pub reset: bool,
    pub expires: OffsetDateTime,
    pub stage: Stage,
    /// The download token, while it works.
    pub download: Option<String>,
}

/// A claimed download: the ticket to carry out, the page to tell afterwards, and the web
/// session that asked for it (which must still be live for the download to work).
pub struct Claim {
    pub ticket: Ticket,
    pub page: String,
    pub session: TokenHash,
}

struct Entry {
    session: TokenHash,
    download: String,
    expires: OffsetDateTime,
    email: Email,
    description: String,
    /// Kept apart from the ticket, which the download takes away.
    reset: bool,
    ticket: Option<Ticket>,
    stage: Stage,
}

#[derive(Default)]
struct Inner {
    /// Entries by page token.
    pages: HashMap<String, Entry>,
    /// Page tokens by download token.
    downloads: HashMap<String, String>,
}

impl Inner {
    fn remove(&mut self, page: &str) {
        if let Some(e) = self.pages.remove(page) {
            self.downloads.remove(&e.download);
        }
    }

    fn sweep(&mut self, now: OffsetDateTime) {
        let old: Vec<String> = self
            .pages
            .iter()
            .filter(|(_, e)| e.expires + REMEMBER_AFTER_EXPIRY <= now)
            .map(|(k, _)| k.clone())
            .collect();
        for page in old {
            self.remove(&page);
        }
        for e in self.pages.values_mut() {
            if e.stage == Stage::Waiting && e.expires <= now {
                e.stage = Stage::Expired;
                e.ticket = None;
                self.downloads.remove(&e.download);
            }
        }
    }
}

/// The profiles waiting for a download.
pub struct Profiles {
    ttl: Duration,
    inner: Mutex<Inner>,
}

impl Profiles {
    /// A store whose download links work for `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Profiles {
            ttl,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `ticket` for `session`; returns the page token.
    pub fn put(
        &self,
        session: &TokenHash,
        email: Email,
        description: String,
        ticket: Ticket,
        now: OffsetDateTime,
    ) -> crate::WebResult<String> {
        let page = crate::session::random_token::<16>()?;
        let download = crate::session::random_token::<32>()?;
        let mut inner = self.lock();
        inner.sweep(now);
        if inner.pages.len() >= MAX_ENTRIES
            && let Some(oldest) = inner
                .pages
                .iter()
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone())
        {
            inner.remove(&oldest);
        }
        inner.downloads.insert(download.clone(), page.clone());
        inner.pages.insert(
            page.clone(),
            Entry {
                session: *session,
                download,
                expires: now + self.ttl,
                email,
                description,
                reset: matches!(ticket.action, PendingAction::ResetDevice { .. }),
                ticket: Some(ticket),
                stage: Stage::Waiting,
            },
        );
        Ok(page)
    }

    /// The page of a profile, for the session that made it.
    pub fn page(&self, page: &str, session: &TokenHash, now: OffsetDateTime) -> Option<PageView> {
        let mut inner = self.lock();
        inner.sweep(now);
        let e = inner.pages.get(page).filter(|e| e.session == *session)?;
        Some(PageView {
            email: e.email.clone(),
            description: e.description.clone(),
            reset: e.reset,
            expires: e.expires,
            stage: e.stage.clone(),
            download: (e.stage == Stage::Waiting).then(|| e.download.clone()),
        })
    }

    /// Takes the ticket of a download token: the first call within the link's life gets
    /// it, every other call nothing.
    pub fn claim(&self, download: &str, now: OffsetDateTime) -> Option<Claim> {
        let mut inner = self.lock();
        inner.sweep(now);
        let page = inner.downloads.remove(download)?;
        let e = inner.pages.get_mut(&page)?;
        let ticket = e.ticket.take()?;
        e.stage = Stage::Downloading;
        Some(Claim {
            ticket,
            page,
            session: e.session,
        })
    }

    /// Records what became of a claimed download.
    pub fn finish(&self, page: &str, device: Option<DeviceId>, now: OffsetDateTime) {
        if let Some(e) = self.lock().pages.get_mut(page) {
            e.stage = match device {
                Some(device) => Stage::Downloaded { at: now, device },
                None => Stage::Failed,
            };
        }
    }

    /// Cancels the waiting profiles of a session (at sign-out).
    pub fn forget_session(&self, session: &TokenHash) {
        let mut inner = self.lock();
        let pages: Vec<String> = inner
            .pages
            .iter()
            .filter(|(_, e)| e.session == *session)
            .map(|(k, _)| k.clone())
            .collect();
        for page in pages {
            inner.remove(&page);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use postern_domain::Description;

    fn at(s: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::seconds(s)
    }

    fn ticket() -> (Email, Ticket) {
        let email = Email::parse("a@example.com").unwrap();
        let t = Ticket {
            account: AccountId(1),
            action: PendingAction::CreateDevice {
                email: email.clone(),
                description: Description::parse("Phone").unwrap(),
                protocols: postern_domain::ProtocolSet::ALL,
                rules: postern_domain::DeviceRules::default(),
            },
        };
        (email, t)
    }

    #[test]
    fn one_download_within_the_life_of_the_link() {
        let store = Profiles::new(Duration::minutes(10));
        let mine = [1u8; 32];
        let (email, t) = ticket();
        let page = store.put(&mine, email, "Phone".into(), t, at(0)).unwrap();
        assert!(store.page(&page, &[2u8; 32], at(1)).is_none());
        let view = store.page(&page, &mine, at(1)).unwrap();
        assert_eq!(view.stage, Stage::Waiting);
        let download = view.download.unwrap();
        assert_eq!(download.len(), 64, "256 bits");
        assert!(store.claim("0000", at(2)).is_none());
        let claim = store.claim(&download, at(2)).unwrap();
        assert_eq!(claim.page, page);
        assert!(store.claim(&download, at(3)).is_none());
        let view = store.page(&page, &mine, at(3)).unwrap();
        assert_eq!((view.stage, view.download), (Stage::Downloading, None));
        let device = DeviceId::new();
        store.finish(&page, Some(device), at(4));
        let view = store.page(&page, &mine, at(5)).unwrap();
        assert_eq!(view.stage, Stage::Downloaded { at: at(4), device });
    }

    #[test]
    fn expires_and_forgets() {
        let store = Profiles::new(Duration::minutes(10));
        let s = [1u8; 32];
        let (email, t) = ticket();
        let page = store
            .put(&s, email.clone(), "Phone".into(), t.clone(), at(0))
            .unwrap();
        let download = store.page(&page, &s, at(0)).unwrap().download.unwrap();
        assert!(store.claim(&download, at(600)).is_none());
        let view = store.page(&page, &s, at(601)).unwrap();
        assert_eq!((view.stage, view.download), (Stage::Expired, None));
        assert!(store.page(&page, &s, at(600 + 3600)).is_none());

        let page = store.put(&s, email, "Phone".into(), t, at(0)).unwrap();
        let download = store.page(&page, &s, at(0)).unwrap().download.unwrap();
        store.forget_session(&s);
        assert!(store.claim(&download, at(1)).is_none());
        assert!(store.page(&page, &s, at(1)).is_none());
    }
}
