//! Failed sign-ins are throttled per source with growing delays, and slowed per login without
//! ever locking the login: a stranger must not be able to shut a rightful user out.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Throttle settings.
#[derive(Clone, Debug)]
pub struct ThrottleConfig {
    /// Failures a source may make before it must wait.
    pub free_failures: u32,
    /// The first wait; each further failure doubles it.
    pub base_delay: Duration,
    /// The longest wait between two attempts of a throttled source.
    pub max_delay: Duration,
    /// Quiet time after which a source's or login's failures are forgotten.
    pub forget_after: Duration,
    /// The pause before every failure answer.
    pub failure_pause: Duration,
    /// The longest extra pause a login's failures add to failure answers.
    pub max_login_pause: Duration,
    /// Sources and logins remembered at most, so memory stays bounded under attack.
    pub max_entries: usize,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        ThrottleConfig {
            free_failures: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(300),
            forget_after: Duration::from_secs(900),
            failure_pause: Duration::from_millis(300),
            max_login_pause: Duration::from_secs(3),
            max_entries: 100_000,
        }
    }
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// Shared by the web app and every protocol.
pub struct Throttle {
    config: ThrottleConfig,
    sources: Mutex<HashMap<IpAddr, Failures>>,
    logins: Mutex<HashMap<String, Failures>>,
    /// Attempts refused unevaluated since start.
    refused: AtomicU64,
}

impl Throttle {
    /// A throttle with `config`.
    pub fn new(config: ThrottleConfig) -> Self {
        Throttle {
            config,
            sources: Mutex::new(HashMap::new()),
            logins: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
        }
    }

    /// Whether `ip` may try a password now. A refused attempt is not evaluated at all.
    ///
    /// Every attempt counts against its source here, at once and under one lock, as a
    /// failure until [`Self::success`] clears it: so an attacker with many connections at
    /// a time gets no more evaluations than one with a single connection.
    pub fn admit(&self, ip: IpAddr) -> bool {
        let key = source_key(ip);
        let now = Instant::now();
        let mut admitted = true;
        self.bump_with(&self.sources, key, now, |f| {
            if f.count >= self.config.free_failures {
                admitted = now.duration_since(f.last) >= self.delay(f.count);
            }
        });
        if !admitted {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        admitted
    }

    /// Attempts refused without looking at their password, since start.
    pub fn refusals(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Records a failed (or refused) attempt of `login` and returns how long to pause before
    /// answering it. The source already counted the attempt in [`Self::admit`].
    pub fn failure(&self, _ip: IpAddr, login: &str) -> Duration {
        let now = Instant::now();
        let login_failures = self.bump(&self.logins, login.to_ascii_lowercase(), now);
        let extra = self
            .config
            .failure_pause
            .saturating_mul(login_failures.saturating_sub(self.config.free_failures) / 10)
            .min(self.config.max_login_pause);
        self.config.failure_pause + extra
    }

    /// Records a failure and waits out its pause (no timer at all for a zero pause).
    pub async fn pause_after_failure(&self, ip: IpAddr, login: &str) {
        let pause = self.failure(ip, login);
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }

    /// A successful sign-in clears the source's record.
    pub fn success(&self, ip: IpAddr) {
        lock(&self.sources).remove(&source_key(ip));
    }

    /// Entries held, for tests of the memory bound.
    pub fn entries(&self) -> usize {
        lock(&self.sources).len() + lock(&self.logins).len()
    }

    fn delay(&self, count: u32) -> Duration {
        let doublings = count.saturating_sub(self.config.free_failures).min(20);
        self.config
            .base_delay
            .saturating_mul(1 << doublings)
            .min(self.config.max_delay)
    }

    fn forgotten(&self, f: &Failures, now: Instant) -> bool {
        now.duration_since(f.last) > self.config.forget_after
    }

    fn bump<K: std::hash::Hash + Eq>(
        &self,
        map: &Mutex<HashMap<K, Failures>>,
        key: K,
        now: Instant,
    ) -> u32 {
        self.bump_with(map, key, now, |_| {})
    }

    /// Counts one more failure of `key`; `before` sees the record first, under the same lock.
    fn bump_with<K: std::hash::Hash + Eq>(
        &self,
        map: &Mutex<HashMap<K, Failures>>,
        key: K,
        now: Instant,
        before: impl FnOnce(&Failures),
    ) -> u32 {
        let mut map = lock(map);
        if map.len() >= self.config.max_entries && !map.contains_key(&key) {
            map.retain(|_, f| !self.forgotten(f, now));
            if map.len() >= self.config.max_entries {
                // Still full of fresh entries: drop the quietest half rather than grow.
                let mut lasts: Vec<Instant> = map.values().map(|f| f.last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                map.retain(|_, f| f.last > cut);
            }
        }
        let entry = map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
        });
        if self.forgotten(entry, now) {
            entry.count = 0;
        }
        before(entry);
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        entry.count
    }
}

/// IPv6 sources are throttled per /64, since one host usually holds a whole /64.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let mut seg = v6.segments();
            seg[4..].fill(0);
            IpAddr::V6(seg.into())
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
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
        // Many connections ask at once, before any answer came back: only the free
        // failures are let through.
        let admitted = (0..50).filter(|_| t.admit(attacker)).count();
        assert_eq!(admitted, 3);
        assert_eq!(t.refusals(), 47);
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
}
