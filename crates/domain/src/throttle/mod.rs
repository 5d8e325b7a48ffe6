//! Failed sign-ins are throttled per source with growing delays, and slowed per login without
//! ever locking the login: a stranger must not be able to shut a rightful user out.
//!
//! A source's failures are kept per login it tried, so that a right password clears only
//! that login's failures from that source: someone holding one valid credential (their own
//! account, their own device) cannot wipe out the record of their guesses at other logins by
//! signing in between them.

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

/// Sign-ins a source with no failure on record may have under evaluation at once: a mail
/// program opens several connections together, and an office shares one address.
pub const PARALLEL_WHEN_CLEAN: u32 = 16;

/// Logins a source's failures are told apart by, at most. Failures at further logins still
/// count against the source but no success clears them, which only an attacker trying many
/// logins can reach, so memory stays bounded however many logins one source tries.
const LOGINS_PER_SOURCE: usize = 32;

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    /// Admitted attempts not answered yet (sources only).
    in_flight: u32,
}

/// A source's record: its failures, and how many of them each login it tried made.
struct Source {
    failures: Failures,
    /// Failures (and refusals) by login, lowercased; their sum never exceeds the count.
    by_login: HashMap<String, u32>,
}

impl Source {
    fn new(now: Instant) -> Self {
        Source {
            failures: Failures {
                count: 0,
                last: now,
                in_flight: 0,
            },
            by_login: HashMap::new(),
        }
    }

    /// Counts one more failure, made at `login`.
    fn fail(&mut self, login: &str) {
        self.failures.count = self.failures.count.saturating_add(1);
        let key = login_key(login);
        if let Some(n) = self.by_login.get_mut(&key) {
            *n = n.saturating_add(1);
        } else if self.by_login.len() < LOGINS_PER_SOURCE {
            self.by_login.insert(key, 1);
        }
    }

    /// Forgets every failure (after a quiet time).
    fn forget(&mut self) {
        self.failures.count = 0;
        self.by_login.clear();
    }
}

/// Shared by the web app and every protocol.
pub struct Throttle {
    config: ThrottleConfig,
    sources: Mutex<HashMap<IpAddr, Source>>,
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

    /// An attempt of `ip` to try a password for `login`, or `None` when it must not be
    /// evaluated now. Dropped without an outcome (a store error, a client gone), it frees its
    /// place.
    pub fn begin<'t>(&'t self, ip: IpAddr, login: &'t str) -> Option<Attempt<'t>> {
        self.admit(ip, login).then_some(Attempt {
            throttle: self,
            ip,
            login,
            open: true,
        })
    }

    /// Whether `ip` may try a password for `login` now. A refused attempt is not evaluated at
    /// all, and counts as a failure of its source at that login. Every admitted attempt must
    /// end in [`Self::success`], [`Self::failure`] or [`Self::abandon`]; [`Self::begin`] sees
    /// to it.
    ///
    /// Attempts under evaluation count against the source at once, under one lock, so that
    /// many connections at a time gain an attacker nothing: a source with failures on record
    /// gets no more evaluations at once than it has free failures left, and a throttled
    /// source one at a time. Only a source with a clean record may have several at once.
    pub fn admit(&self, ip: IpAddr, login: &str) -> bool {
        let key = source_key(ip);
        let now = Instant::now();
        let free = self.config.free_failures;
        let mut map = self.entries_for(&self.sources, &key, now);
        let source = map.entry(key).or_insert_with(|| Source::new(now));
        if self.forgotten(&source.failures, now) {
            source.forget();
        }
        let f = &mut source.failures;
        let admitted = if f.count >= free {
            f.in_flight == 0 && now.duration_since(f.last) >= self.delay(f.count)
        } else if f.count == 0 {
            f.in_flight < free.max(PARALLEL_WHEN_CLEAN)
        } else {
            f.count + f.in_flight < free
        };
        if admitted {
            f.in_flight += 1;
        } else {
            source.fail(login);
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        source.failures.last = now;
        admitted
    }

    /// Attempts refused without looking at their password, since start.
    pub fn refusals(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Records a failed attempt of `login` from `ip` and returns how long to pause before
    /// answering it.
    pub fn failure(&self, ip: IpAddr, login: &str) -> Duration {
        if let Some(source) = lock(&self.sources).get_mut(&source_key(ip)) {
            source.failures.in_flight = source.failures.in_flight.saturating_sub(1);
            source.fail(login);
            source.failures.last = Instant::now();
        }
        self.refusal(login)
    }

    /// Records a refused attempt of `login` (its source counted it in [`Self::admit`]) and
    /// returns how long to pause before answering it.
    pub fn refusal(&self, login: &str) -> Duration {
        let now = Instant::now();
        let login_failures = self.bump(&self.logins, login_key(login), now);
        let extra = self
            .config
            .failure_pause
            .saturating_mul(login_failures.saturating_sub(self.config.free_failures) / 10)
            .min(self.config.max_login_pause);
        self.config.failure_pause + extra
    }

    /// Records a failure and waits out its pause (no timer at all for a zero pause).
    pub async fn pause_after_failure(&self, ip: IpAddr, login: &str) {
        pause(self.failure(ip, login)).await;
    }

    /// Records a refusal and waits out its pause.
    pub async fn pause_after_refusal(&self, login: &str) {
        pause(self.refusal(login)).await;
    }

    /// A successful sign-in at `login` clears the failures the source made at that login,
    /// and no others: failures at other logins keep counting and keep throttling it.
    pub fn success(&self, ip: IpAddr, login: &str) {
        let mut map = lock(&self.sources);
        let key = source_key(ip);
        let Some(source) = map.get_mut(&key) else {
            return;
        };
        let f = &mut source.failures;
        f.in_flight = f.in_flight.saturating_sub(1);
        if let Some(own) = source.by_login.remove(&login_key(login)) {
            f.count = f.count.saturating_sub(own);
        }
        if f.count == 0 && f.in_flight == 0 {
            map.remove(&key);
        }
    }

    /// An admitted attempt that ended without an answer on the password (a store error).
    pub fn abandon(&self, ip: IpAddr) {
        if let Some(source) = lock(&self.sources).get_mut(&source_key(ip)) {
            source.failures.in_flight = source.failures.in_flight.saturating_sub(1);
        }
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

    /// Counts one more failure of `key`.
    fn bump<K: std::hash::Hash + Eq>(
        &self,
        map: &Mutex<HashMap<K, Failures>>,
        key: K,
        now: Instant,
    ) -> u32 {
        let mut map = self.entries_for(map, &key, now);
        let entry = map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
            in_flight: 0,
        });
        if self.forgotten(entry, now) {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        entry.count
    }

    /// The locked map, with room made for `key` if it is new and the map is full.
    fn entries_for<'m, K: std::hash::Hash + Eq, V: HasFailures>(
        &self,
        map: &'m Mutex<HashMap<K, V>>,
        key: &K,
        now: Instant,
    ) -> std::sync::MutexGuard<'m, HashMap<K, V>> {
        let mut map = lock(map);
        if map.len() >= self.config.max_entries && !map.contains_key(key) {
            map.retain(|_, v| !self.forgotten(v.failures(), now));
            if map.len() >= self.config.max_entries {
                // Still full of fresh entries: drop the quietest half rather than grow.
                let mut lasts: Vec<Instant> = map.values().map(|v| v.failures().last).collect();
                lasts.sort_unstable();
                let cut = lasts[lasts.len() / 2];
                map.retain(|_, v| v.failures().last > cut);
            }
        }
        map
    }
}

/// What the eviction of a full map looks at.
trait HasFailures {
    fn failures(&self) -> &Failures;
}

impl HasFailures for Failures {
    fn failures(&self) -> &Failures {
        self
    }
}

impl HasFailures for Source {
    fn failures(&self) -> &Failures {
        &self.failures
    }
}

/// An admitted attempt; see [`Throttle::begin`].
pub struct Attempt<'t> {
    throttle: &'t Throttle,
    ip: IpAddr,
    login: &'t str,
    open: bool,
}

impl Attempt<'_> {
    /// The password was right.
    pub fn success(mut self) {
        self.open = false;
        self.throttle.success(self.ip, self.login);
    }

    /// The password was wrong: records it and waits out the pause before the answer.
    pub async fn failure(mut self) {
        self.open = false;
        pause(self.throttle.failure(self.ip, self.login)).await;
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if self.open {
            self.throttle.abandon(self.ip);
        }
    }
}

async fn pause(pause: Duration) {
    if !pause.is_zero() {
        tokio::time::sleep(pause).await;
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

/// Logins are told apart without regard to case, as the store does.
fn login_key(login: &str) -> String {
    login.trim().to_ascii_lowercase()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests;
