//! What every handler shares.

use std::sync::Arc;

use postern_domain::Core;
use postern_domain::throttle::{Throttle, ThrottleConfig};
use time::OffsetDateTime;

use crate::apple_profile::Profiles;
use crate::hosts::Hosts;
use crate::memory::{AwaitingCode, OneTime, Pending, Revealed};
use crate::settings::Settings;

/// The application state: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub settings: Arc<Settings>,
    /// The names requests may be sent to and the origin pages post from.
    pub hosts: Arc<Hosts>,
    /// New passwords between the request that made them and the page that shows them.
    pub revealed: Arc<OneTime<Revealed>>,
    /// Actions waiting for the account password to be confirmed.
    pub pending: Arc<OneTime<Pending>>,
    /// Right passwords of accounts with two-step verification, waiting for their code.
    pub awaiting_code: Arc<OneTime<AwaitingCode>>,
    /// Apple profiles waiting for their one download.
    pub profiles: Arc<Profiles>,
    /// Sources that ask for profile links that do not work: guessing is slowed down.
    pub profile_guesses: Arc<Throttle>,
}

impl AppState {
    /// State for `core` with `settings`.
    pub fn new(core: Arc<Core>, settings: Settings) -> Self {
        AppState {
            core,
            revealed: Arc::new(OneTime::new(time::Duration::minutes(2))),
            pending: Arc::new(OneTime::new(time::Duration::minutes(15))),
            awaiting_code: Arc::new(OneTime::new(time::Duration::minutes(5))),
            profiles: Arc::new(Profiles::new(settings.profile_link_life)),
            hosts: Arc::new(Hosts::new(&settings)),
            settings: Arc::new(settings),
            profile_guesses: Arc::new(Throttle::new(ThrottleConfig {
                free_failures: 10,
                failure_pause: std::time::Duration::ZERO,
                max_login_pause: std::time::Duration::ZERO,
                max_entries: 10_000,
                ..ThrottleConfig::default()
            })),
        }
    }

    /// Now, by the server's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.core.clock().now()
    }
}
