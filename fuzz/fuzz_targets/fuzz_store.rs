//! The domain's services over a real SQLite store in a temporary folder, with the account
//! `owner@example.org` (password [`PASSWORD`]) and its address `fuzz@example.org`; for the
//! targets that need them. Wrong passwords are what fuzzing sends most: no pause, no
//! lock-out.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use postern_domain::account_password::AccountPassword;
use postern_domain::clock::SystemClock;
use postern_domain::model::Address;
use postern_domain::throttle::ThrottleConfig;
use postern_domain::{Core, Email, Login, Pepper};

/// The account's password.
pub const PASSWORD: &str = "fuzzing-password";

/// A runtime on this thread, for a target to run the services on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// The services, with the account and its address made.
pub async fn core(dir: &Path) -> (Core, Address) {
    let store = postern_store::SqlStore::open(
        &format!("sqlite://{}", dir.join("fuzz.db").display()),
        Default::default(),
    )
    .await
    .expect("the store");
    let throttle = ThrottleConfig {
        free_failures: u32::MAX,
        failure_pause: Duration::ZERO,
        ..ThrottleConfig::default()
    };
    let core = Core::new(
        Arc::new(store),
        Pepper::generate().expect("a pepper"),
        Arc::new(SystemClock),
        throttle,
    );
    let login = Login::parse("owner@example.org").expect("login");
    core.create_account(&login, AccountPassword::parse_new(PASSWORD).expect("pw"))
        .await
        .expect("account");
    let email = Email::parse("fuzz@example.org").expect("email");
    let address = core.create_address(&email, &login).await.expect("address");
    (core, address)
}
