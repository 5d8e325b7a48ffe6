//! Device passwords end to end on a real store: `verify` accepts the right password for an
//! allowed protocol and refuses every other case.

use std::net::IpAddr;

use postern_domain::{Actor, DomainError, Email, Protocol};
use postern_testkit::TestServer;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn ip(n: u32) -> IpAddr {
    IpAddr::from((0x0a00_0000 | (n & 0x00ff_ffff)).to_be_bytes())
}

fn refused(r: postern_domain::Result<postern_domain::SignedIn>) -> bool {
    matches!(r, Err(DomainError::AuthFailed))
}

/// Changes one symbol of a displayed password to another symbol of the alphabet.
fn mutate(password: &str, at: usize, by: u8) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut bytes = password.as_bytes().to_vec();
    let positions: Vec<usize> = (0..bytes.len()).filter(|i| bytes[*i] != b'-').collect();
    let i = positions[at % positions.len()];
    let current = ALPHABET.iter().position(|c| *c == bytes[i]).unwrap();
    bytes[i] = ALPHABET[(current + 1 + usize::from(by % 31)) % 32];
    String::from_utf8(bytes).unwrap()
}

#[test]
fn verify_accepts_the_right_password_and_refuses_every_other_case() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(async {
        // Failures pause and the pause grows per login; this test fails on purpose a lot.
        let s = TestServer::start_with(|c| c.limits.auth_failure_pause = std::time::Duration::ZERO)
            .await;
        s.account("owner@example.com", "owner password").await;
        s.address("a@example.com", "owner@example.com").await;
        s.address("b@example.com", "owner@example.com").await;
        s
    });
    let core = server.core().clone();
    let mut runner = TestRunner::new(Config::with_cases(32));
    let protocols = prop::sample::subsequence(vec!["imap", "smtp", "pop3", "webmail"], 1..=4);
    let strategy = (
        protocols,
        0usize..4,
        any::<usize>(),
        any::<u8>(),
        any::<u32>(),
    );
    runner
        .run(&strategy, |(allowed, try_protocol, at, by, n)| {
            let allowed = allowed.join(",");
            let protocol = Protocol::ALL[try_protocol];
            rt.block_on(async {
                let (id, password) = server.device("a@example.com", "Phone", &allowed).await;
                let (_, other) = server
                    .device("b@example.com", "Other", "imap,smtp,pop3,webmail")
                    .await;
                let may = allowed.contains(protocol.as_str());
                let right = core
                    .verify("a@example.com", &password, protocol, ip(n))
                    .await;
                assert_eq!(right.is_ok(), may, "{allowed} via {protocol:?}");
                if let Ok(s) = &right {
                    assert_eq!(s.device_id, id);
                    assert_eq!(s.email.as_str(), "a@example.com");
                }
                // Typed differently: upper case, spaces instead of dashes.
                let typed = password.to_uppercase().replace('-', " ");
                assert_eq!(
                    core.verify("A@Example.com", &typed, protocol, ip(n + 1))
                        .await
                        .is_ok(),
                    may
                );
                // A wrong password, another address's password, an unknown address.
                assert!(refused(
                    core.verify(
                        "a@example.com",
                        &mutate(&password, at, by),
                        Protocol::Imap,
                        ip(n + 2)
                    )
                    .await
                ));
                assert!(refused(
                    core.verify("a@example.com", &other, Protocol::Imap, ip(n + 3))
                        .await
                ));
                assert!(refused(
                    core.verify("b@example.com", &password, protocol, ip(n + 4))
                        .await
                ));
                assert!(refused(
                    core.verify("nobody@example.com", &password, protocol, ip(n + 5))
                        .await
                ));
                // A reset kills the old password and the new one works.
                let reset = core.reset_device(&Actor::CommandLine, id).await.unwrap();
                let new = secrecy::ExposeSecret::expose_secret(&reset.password).to_owned();
                assert!(refused(
                    core.verify("a@example.com", &password, protocol, ip(n + 6))
                        .await
                ));
                assert_eq!(
                    core.verify("a@example.com", &new, protocol, ip(n + 7))
                        .await
                        .is_ok(),
                    may
                );
                // A disconnected device opens nothing.
                server.disconnect(id).await;
                for p in Protocol::ALL {
                    assert!(refused(
                        core.verify("a@example.com", &new, p, ip(n + 8)).await
                    ));
                }
            });
            Ok(())
        })
        .unwrap();
    rt.block_on(server.stop());
}

#[tokio::test]
async fn live_sessions_hear_disconnects_and_resets() {
    let server = TestServer::start().await;
    server.account("owner@example.com", "owner password").await;
    server.address("a@example.com", "owner@example.com").await;
    let core = server.core();
    let (id, password) = server.device("a@example.com", "Phone", "imap").await;
    let (_, other) = server.device("a@example.com", "Laptop", "imap").await;
    let local: IpAddr = "127.0.0.1".parse().unwrap();
    let mut first = core
        .verify("a@example.com", &password, Protocol::Imap, local)
        .await
        .unwrap();
    let bystander = core
        .verify("a@example.com", &other, Protocol::Imap, local)
        .await
        .unwrap();
    let reset = core.reset_device(&Actor::CommandLine, id).await.unwrap();
    tokio::time::timeout(
        std::time::Duration::from_millis(100),
        first.revocation.revoked(),
    )
    .await
    .expect("the reset reaches the live session");
    let new = secrecy::ExposeSecret::expose_secret(&reset.password).to_owned();
    let mut second = core
        .verify("a@example.com", &new, Protocol::Imap, local)
        .await
        .unwrap();
    assert!(
        !second.revocation.is_revoked(),
        "a reset spares sessions of the new password"
    );
    server.disconnect(id).await;
    tokio::time::timeout(
        std::time::Duration::from_millis(100),
        second.revocation.revoked(),
    )
    .await
    .expect("the disconnect reaches the live session");
    assert!(!bystander.revocation.is_revoked());
    let email = Email::parse("a@example.com").unwrap();
    let log = core
        .activity_log(&Actor::CommandLine, &email, 10)
        .await
        .unwrap();
    let kinds: Vec<_> = log.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "device_disconnected",
            "device_reset",
            "device_created",
            "device_created"
        ]
    );
    server.stop().await;
}

#[tokio::test]
async fn last_use_is_written_once_a_minute_unless_something_changed() {
    let clock = std::sync::Arc::new(postern_domain::clock::ManualClock::new(
        postern_domain::clock::from_millis(1_800_000_000_000),
    ));
    let server = TestServer::start_with_clock(|_| {}, clock.clone()).await;
    server.account("owner@example.com", "owner password").await;
    server.address("a@example.com", "owner@example.com").await;
    let (id, password) = server.device("a@example.com", "Phone", "imap,pop3").await;
    let core = server.core();
    let last = || async {
        core.store()
            .device(id)
            .await
            .unwrap()
            .unwrap()
            .last_use
            .unwrap()
    };
    let here: IpAddr = "192.0.2.1".parse().unwrap();
    core.verify("a@example.com", &password, Protocol::Imap, here)
        .await
        .unwrap();
    let first = last().await;
    assert_eq!((first.ip, first.protocol), (here, Protocol::Imap));
    clock.advance(time::Duration::seconds(30));
    core.verify("a@example.com", &password, Protocol::Imap, here)
        .await
        .unwrap();
    assert_eq!(
        last().await.at,
        first.at,
        "nothing changed within a minute: no write"
    );
    core.verify("a@example.com", &password, Protocol::Pop3, here)
        .await
        .unwrap();
    assert_eq!(
        last().await.protocol,
        Protocol::Pop3,
        "another protocol is written at once"
    );
    let there: IpAddr = "198.51.100.2".parse().unwrap();
    core.verify("a@example.com", &password, Protocol::Pop3, there)
        .await
        .unwrap();
    assert_eq!(last().await.ip, there, "another address is written at once");
    clock.advance(time::Duration::seconds(61));
    core.verify("a@example.com", &password, Protocol::Pop3, there)
        .await
        .unwrap();
    assert!(
        last().await.at > first.at,
        "a minute later the time is written again"
    );
    server.stop().await;
}
