//! What every handler shares.

use std::sync::Arc;

use postern_domain::Core;
use time::OffsetDateTime;

use crate::memory::{OneTime, PendingAction, Revealed};
use crate::options::WebOptions;

/// The application state: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub options: Arc<WebOptions>,
    /// New passwords between the request that made them and the page that shows them.
    pub revealed: Arc<OneTime<Revealed>>,
    /// Actions waiting for the account password to be confirmed.
    pub pending: Arc<OneTime<PendingAction>>,
}

impl AppState {
    /// State for `core` with `options`.
    pub fn new(core: Arc<Core>, options: WebOptions) -> Self {
        AppState {
            core,
            options: Arc::new(options),
            revealed: Arc::new(OneTime::new(time::Duration::minutes(2))),
            pending: Arc::new(OneTime::new(time::Duration::minutes(15))),
        }
    }

    /// Now, by the server's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.core.clock().now()
    }
}
