//! Expiry: a device past its end date is refused like a wrong password, listed as expired,
//! and its live sessions close at the instant it expires, with no one disconnecting it.

use std::time::{Duration, Instant};

use postern_domain::model::DeviceState;
use postern_domain::{Actor, Description, DeviceRules, Email, Expiry, Networks, ProtocolSet};
use secrecy::ExposeSecret;

use super::{EMAIL, Env};

/// The product's promise for expiry, measured from the end date.
const PROMISE: Duration = Duration::from_secs(1);

#[tokio::test]
async fn an_expired_device_is_closed_refused_and_listed_expired() {
    let env = Env::start().await;
    let core = env.server.core();
    let email = Email::parse(EMAIL).unwrap();
    let lifetime = Duration::from_millis(1500);
    let now = core.clock().now();
    let issued = core
        .create_device_with(
            &Actor::CommandLine,
            &email,
            Description::parse("Borrowed laptop").unwrap(),
            ProtocolSet::parse("imap").unwrap(),
            DeviceRules {
                expiry: Expiry {
                    at: Some(now + lifetime),
                    after_unused_days: None,
                },
                networks: Networks::ANYWHERE,
            },
        )
        .await
        .unwrap();
    let ends = Instant::now() + lifetime;
    assert_eq!(issued.device.state, DeviceState::Active);
    let password = issued.password.expose_secret().to_owned();

    let mut idle = env.inbox_with(&password).await;
    idle.send(b"i IDLE\r\n").await;
    assert_eq!(idle.line().await, "+ idling\r\n");
    let mut plain = env.inbox_with(&password).await;
    let mut other = env.inbox().await;

    for c in [&mut idle, &mut plain] {
        let text = c.closed().await;
        let late = Instant::now().saturating_duration_since(ends);
        assert!(
            text.ends_with("* BYE This device was disconnected\r\n"),
            "got {text:?}"
        );
        assert!(late < PROMISE, "closed {late:?} after the expiry");
    }
    // Another device's session goes on.
    other.ok("NOOP").await;

    // Refused like a wrong password.
    let mut c = env.connect().await;
    assert_eq!(
        c.run(&format!("LOGIN {EMAIL} {password}")).await,
        "t1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );

    // Listed as expired, with its end date.
    let listed = core
        .devices(&Actor::CommandLine, &email, false)
        .await
        .unwrap();
    let device = listed.iter().find(|d| d.id == issued.device.id).unwrap();
    assert_eq!(device.state, DeviceState::Expired);
    // Kept to the millisecond.
    let kept = device.expires().unwrap();
    assert!(
        (kept - (now + lifetime)).abs() < time::Duration::milliseconds(1),
        "{kept}"
    );

    // A reset gives it a working password again, with new rules.
    let reset = core
        .reset_device_with(&Actor::CommandLine, device.id, DeviceRules::default())
        .await
        .unwrap();
    assert_eq!(reset.device.state, DeviceState::Active);
    let mut fresh = env.inbox_with(reset.password.expose_secret()).await;
    fresh.ok("NOOP").await;
}

#[tokio::test]
async fn end_dates_in_the_past_are_refused() {
    let env = Env::start().await;
    let core = env.server.core();
    let now = core.clock().now();
    let e = core
        .create_device_with(
            &Actor::CommandLine,
            &Email::parse(EMAIL).unwrap(),
            Description::parse("Late").unwrap(),
            ProtocolSet::ALL,
            DeviceRules {
                expiry: Expiry {
                    at: Some(now - time::Duration::seconds(1)),
                    after_unused_days: None,
                },
                networks: Networks::ANYWHERE,
            },
        )
        .await;
    assert!(matches!(
        e,
        Err(postern_domain::DomainError::Invalid {
            field: "expires_at",
            ..
        })
    ));
}
