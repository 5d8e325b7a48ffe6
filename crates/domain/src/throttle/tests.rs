//! The throttle's admissions, pauses and bounds.

use super::*;

fn quick() -> ThrottleConfig {
    ThrottleConfig {
        free_failures: 3,
        base_delay: Duration::from_secs(60),
        max_entries: 100,
        ..ThrottleConfig::default()
    }
}

#[test]
fn throttles_the_source_not_the_login() {
    let t = Throttle::new(quick());
    let attacker: IpAddr = "127.0.0.1".parse().unwrap();
    let rightful: IpAddr = "127.0.0.2".parse().unwrap();
    for _ in 0..3 {
        assert!(t.admit(attacker));
        t.failure(attacker, "victim@example.com");
    }
    assert!(!t.admit(attacker));
    assert_eq!(t.refusals(), 1);
    assert!(t.admit(rightful));
    t.success(attacker);
    assert!(t.admit(attacker));
}

#[test]
fn ipv6_neighbours_share_a_budget() {
    let t = Throttle::new(quick());
    for i in 0..3 {
        let ip: IpAddr = format!("2001:db8::{i}").parse().unwrap();
        assert!(t.admit(ip));
        t.failure(ip, "x@example.com");
    }
    assert!(!t.admit("2001:db8::ffff".parse().unwrap()));
    assert!(t.admit("2001:db8:0:1::1".parse().unwrap()));
}

#[test]
fn memory_stays_bounded() {
    let t = Throttle::new(quick());
    for i in 0..10_000u32 {
        let ip = IpAddr::from(i.to_be_bytes());
        t.admit(ip);
        t.failure(ip, &format!("user{i}@example.com"));
    }
    assert!(t.entries() <= 200, "{} entries", t.entries());
}

#[test]
fn attempts_at_the_same_time_count_before_they_are_answered() {
    let t = Throttle::new(quick());
    let attacker: IpAddr = "127.0.0.1".parse().unwrap();
    // Many connections ask at once, before any answer came back: a clean source gets a
    // bounded number through ...
    let admitted = (0..50).filter(|_| t.admit(attacker)).count();
    assert_eq!(admitted, PARALLEL_WHEN_CLEAN as usize);
    assert_eq!(t.refusals(), 50 - u64::from(PARALLEL_WHEN_CLEAN));
    // ... and once failures are on record, only the free failures left, then one at a
    // time after the wait.
    let other: IpAddr = "127.0.0.3".parse().unwrap();
    assert!(t.admit(other));
    t.failure(other, "victim@example.com");
    assert_eq!((0..50).filter(|_| t.admit(other)).count(), 2);
}

#[test]
fn a_mail_program_signing_in_on_several_connections_at_once_is_not_refused() {
    let t = Throttle::new(quick());
    let office: IpAddr = "192.0.2.7".parse().unwrap();
    for _ in 0..10 {
        // Eight connections at once, all with the right password.
        for _ in 0..8 {
            assert!(t.admit(office));
        }
        for _ in 0..8 {
            t.success(office);
        }
    }
    assert_eq!(t.refusals(), 0);
    assert_eq!(t.entries(), 0);
}

#[test]
fn an_abandoned_attempt_frees_its_place() {
    let t = Throttle::new(quick());
    let ip: IpAddr = "192.0.2.8".parse().unwrap();
    let first = t.begin(ip).unwrap();
    drop(t.begin(ip).unwrap());
    first.success();
    // A throttled source may try again once its wait is over, even after attempts that
    // were dropped unanswered.
    for _ in 0..3 {
        assert!(t.admit(ip));
        t.failure(ip, "v@example.com");
    }
    drop(t.begin(ip));
    let mut map = lock(&t.sources);
    let f = map.get_mut(&source_key(ip)).unwrap();
    assert_eq!(f.in_flight, 0);
    f.last -= Duration::from_secs(3600);
    drop(map);
    assert!(t.begin(ip).is_some());
}

#[test]
fn login_failures_lengthen_the_pause_but_stay_capped() {
    let t = Throttle::new(quick());
    let first = t.failure("10.0.0.1".parse().unwrap(), "v@example.com");
    let mut last = first;
    for i in 0..500u32 {
        last = t.failure(
            IpAddr::from((0x0a00_0000 + i).to_be_bytes()),
            "v@example.com",
        );
    }
    assert!(last > first);
    assert!(last <= Duration::from_millis(300) + Duration::from_secs(3));
}
