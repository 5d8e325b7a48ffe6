//! Allowed networks: a device that lists networks signs in only from them; from anywhere else
//! it is refused like a wrong password, and the refusal counts against the source.

use postern_domain::{
    Actor, Description, DeviceRules, DomainError, Email, Networks, Protocol, ProtocolSet,
};
use secrecy::ExposeSecret;

use super::{EMAIL, Env};

async fn device_from(env: &Env, description: &str, networks: &str) -> String {
    env.server
        .core()
        .create_device_with(
            &Actor::CommandLine,
            &Email::parse(EMAIL).unwrap(),
            Description::parse(description).unwrap(),
            ProtocolSet::ALL,
            DeviceRules {
                networks: Networks::parse(networks).unwrap(),
                ..DeviceRules::default()
            },
        )
        .await
        .unwrap()
        .password
        .expose_secret()
        .to_owned()
}

#[tokio::test]
async fn a_device_signs_in_only_from_its_networks() {
    let env = Env::start().await;
    let office = device_from(&env, "Office printer", "192.0.2.0/24, 2001:db8::/48").await;
    let here = device_from(&env, "This machine", "127.0.0.0/8").await;

    // Over IMAP from 127.0.0.1: the device of this network signs in, the other does not.
    let mut c = env.connect().await;
    assert_eq!(
        c.run(&format!("LOGIN {EMAIL} {office}")).await,
        "t1 NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
    let mut inbox = env.inbox_with(&here).await;
    inbox.ok("NOOP").await;

    // The one check every protocol uses, from the office's networks and from elsewhere.
    let core = env.server.core();
    for ip in ["192.0.2.44", "2001:db8:0:7::1", "::ffff:192.0.2.45"] {
        core.verify(EMAIL, &office, Protocol::Smtp, ip.parse().unwrap())
            .await
            .unwrap_or_else(|e| panic!("{ip}: {e}"));
    }
    // Refusals from elsewhere count like wrong passwords: after the free ones, the source
    // must wait, even with the right password from a right network later on.
    let outside = "203.0.113.9".parse().unwrap();
    let mut outcomes = Vec::new();
    for _ in 0..6 {
        outcomes.push(core.verify(EMAIL, &office, Protocol::Imap, outside).await);
    }
    assert!(
        outcomes[..5]
            .iter()
            .all(|o| matches!(o, Err(DomainError::AuthFailed)))
    );
    assert!(matches!(outcomes[5], Err(DomainError::Throttled)));
}
