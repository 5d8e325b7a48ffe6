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
        assert!(t.admit(attacker, "victim@example.com"));
        t.failure(attacker, "victim@example.com");
    }
    assert!(!t.admit(attacker, "victim@example.com"));
    assert_eq!(t.refusals(), 1);
    assert!(t.admit(rightful, "victim@example.com"));
}

#[test]
fn ipv6_neighbours_share_a_budget() {
    let t = Throttle::new(quick());
    for i in 0..3 {
        let ip: IpAddr = format!("2001:db8::{i}").parse().unwrap();
        assert!(t.admit(ip, "x@example.com"));
        t.failure(ip, "x@example.com");
    }
    assert!(!t.admit("2001:db8::ffff".parse().unwrap(), "x@example.com"));
    assert!(t.admit("2001:db8:0:1::1".parse().unwrap(), "x@example.com"));
}

#[test]
fn memory_stays_bounded() {
    let t = Throttle::new(quick());
    for i in 0..10_000u32 {
        let ip = IpAddr::from(i.to_be_bytes());
        let login = format!("user{i}@example.com");
        t.admit(ip, &login);
        t.failure(ip, &login);
    }
    assert!(t.entries() <= 200, "{} entries", t.entries());
}

#[test]
fn attempts_at_the_same_time_count_before_they_are_answered() {
    let t = Throttle::new(quick());
    let attacker: IpAddr = "127.0.0.1".parse().unwrap();
    // Many connections ask at once, before any answer came back: a clean source gets a
    // bounded number through ...
    let admitted = (0..50)
        .filter(|_| t.admit(attacker, "v@example.com"))
        .count();
    assert_eq!(admitted, PARALLEL_WHEN_CLEAN as usize);
    assert_eq!(t.refusals(), 50 - u64::from(PARALLEL_WHEN_CLEAN));
    // ... and once failures are on record, only the free failures left, then one at a
    // time after the wait.
    let other: IpAddr = "127.0.0.3".parse().unwrap();
    assert!(t.admit(other, "victim@example.com"));
    t.failure(other, "victim@example.com");
    assert_eq!(
        (0..50)
            .filter(|_| t.admit(other, "victim@example.com"))
            .count(),
        2
    );
}

#[test]
fn a_mail_program_signing_in_on_several_connections_at_once_is_not_refused() {
    let t = Throttle::new(quick());
    let office: IpAddr = "192.0.2.7".parse().unwrap();
    for _ in 0..10 {
        // Eight connections at once, all with the right password.
        for _ in 0..8 {
            assert!(t.admit(office, "ann@example.com"));
        }
        for _ in 0..8 {
            t.success(office, "ann@example.com");
        }
    }
    assert_eq!(t.refusals(), 0);
    assert_eq!(t.entries(), 0);
}

#[test]
fn an_abandoned_attempt_frees_its_place() {
    let t = Throttle::new(quick());
    let ip: IpAddr = "192.0.2.8".parse().unwrap();
    let first = t.begin(ip, "v@example.com").unwrap();
    drop(t.begin(ip, "v@example.com").unwrap());
    first.success();
    // A throttled source may try again once its wait is over, even after attempts that
    // were dropped unanswered.
    for _ in 0..3 {
        assert!(t.admit(ip, "v@example.com"));
        t.failure(ip, "v@example.com");
    }
    drop(t.begin(ip, "v@example.com"));
    let mut map = lock(&t.sources);
    let f = map.get_mut(&source_key(ip)).unwrap();
    assert_eq!(f.failures.in_flight, 0);
    f.failures.last -= Duration::from_secs(3600);
    drop(map);
    assert!(t.begin(ip, "v@example.com").is_some());
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

const VICTIM: &str = "victim@example.com";
const OWN: &str = "mallory@example.com";

#[test]
fn a_success_clears_only_the_failures_of_its_own_login() {
    let t = Throttle::new(quick());
    let attacker: IpAddr = "192.0.2.9".parse().unwrap();
    // Guesses at another login, with the attacker's own right sign-in after every one:
    // the guesses still add up, and the source is throttled after its free failures.
    let mut evaluated = 0;
    for _ in 0..40 {
        if t.admit(attacker, VICTIM) {
            evaluated += 1;
            t.failure(attacker, VICTIM);
        } else {
            t.refusal(VICTIM);
        }
        if t.admit(attacker, OWN) {
            t.success(attacker, OWN);
        }
    }
    assert_eq!(evaluated, 3, "guesses evaluated");
    assert!(!t.admit(attacker, VICTIM));
    assert!(
        !t.admit(attacker, OWN),
        "a throttled source waits for every login"
    );
}

#[test]
fn the_rightful_users_own_mistakes_are_cleared_by_their_success() {
    let t = Throttle::new(quick());
    let home: IpAddr = "192.0.2.10".parse().unwrap();
    for _ in 0..2 {
        assert!(t.admit(home, "Ann@Example.com"));
        t.failure(home, "Ann@Example.com");
    }
    assert!(t.admit(home, "ann@example.com"));
    t.success(home, "ann@example.com");
    assert_eq!(t.entries(), 1, "only the login's own record is left");
    // A clean record again: the whole budget of free failures.
    for _ in 0..3 {
        assert!(t.admit(home, "ann@example.com"));
        t.failure(home, "ann@example.com");
    }
    assert!(!t.admit(home, "ann@example.com"));
}

#[test]
fn refusals_at_another_login_are_not_cleared_by_a_success() {
    let t = Throttle::new(quick());
    let attacker: IpAddr = "192.0.2.11".parse().unwrap();
    for _ in 0..3 {
        assert!(t.admit(attacker, VICTIM));
        t.failure(attacker, VICTIM);
    }
    // Refused at the other login, then the wait is over and the attacker signs in as
    // itself: the refused guesses count on.
    for _ in 0..5 {
        assert!(!t.admit(attacker, VICTIM));
    }
    let mut map = lock(&t.sources);
    let source = map.get_mut(&source_key(attacker)).unwrap();
    source.failures.last -= Duration::from_secs(600);
    drop(map);
    assert!(t.admit(attacker, OWN));
    t.success(attacker, OWN);
    let map = lock(&t.sources);
    assert_eq!(map[&source_key(attacker)].failures.count, 8);
}

#[test]
fn guesses_in_parallel_with_an_own_success_still_count() {
    let t = Throttle::new(quick());
    let attacker: IpAddr = "192.0.2.12".parse().unwrap();
    // Clean source: many in flight at once, the attacker's own sign-in among them, answered
    // after the guesses.
    let guesses = (0..10).filter(|_| t.admit(attacker, VICTIM)).count();
    assert_eq!(guesses, 10);
    assert!(t.admit(attacker, OWN));
    for _ in 0..guesses {
        t.failure(attacker, VICTIM);
    }
    t.success(attacker, OWN);
    assert!(!t.admit(attacker, VICTIM));
    assert!(!t.admit(attacker, OWN));
}

#[test]
fn a_source_trying_many_logins_is_remembered_in_bounded_memory() {
    let t = Throttle::new(ThrottleConfig {
        free_failures: 1_000_000,
        ..quick()
    });
    let attacker: IpAddr = "192.0.2.13".parse().unwrap();
    for i in 0..1_000 {
        let login = format!("user{i}@example.com");
        assert!(t.admit(attacker, &login));
        t.failure(attacker, &login);
    }
    let map = lock(&t.sources);
    let source = &map[&source_key(attacker)];
    assert_eq!(source.by_login.len(), LOGINS_PER_SOURCE);
    assert_eq!(source.failures.count, 1_000);
}
