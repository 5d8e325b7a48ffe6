//! Password guessing on the web: 10,000 wrong account sign-ins from one source against one
//! account, half through the sign-in form and half through `POST /api/v1/login`. The attacker
//! is held to the throttle (the right password from its address is refused too), while the
//! account's owner, from another address, signs in as fast as before; under failed sign-ins
//! from many addresses the throttle's memory stays bounded.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use postern_testkit::TestServer;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, SET_COOKIE};

use super::{RIGHTFUL, median, throttle_peak_over};
use postern_testkit::Listener;

const ATTEMPTS: usize = 10_000;
/// Requests the attacker keeps in flight at a time.
const WORKERS: usize = 16;
const FREE_FAILURES: u32 = 5;

/// Which sign-in surface an attempt uses.
#[derive(Clone, Copy, Debug)]
pub(super) enum Surface {
    Form,
    Api,
}

impl Surface {
    /// The form for even attempts, the API for odd ones.
    fn alternate(i: usize) -> Surface {
        if i.is_multiple_of(2) {
            Surface::Form
        } else {
            Surface::Api
        }
    }
}

/// An HTTP client whose connections come from `from`; redirects are not followed.
pub(super) fn client(from: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(IpAddr::V4(from))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

fn urlencoded(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// One sign-in; its status and whether it set a session cookie.
pub(super) async fn sign_in(
    http: &reqwest::Client,
    web: SocketAddr,
    surface: Surface,
    login: &str,
    password: &str,
) -> (StatusCode, bool) {
    let request = match surface {
        Surface::Form => http
            .post(format!("http://{web}/sign-in"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!(
                "login={}&password={}&next=%2F",
                urlencoded(login),
                urlencoded(password)
            )),
        Surface::Api => http
            .post(format!("http://{web}/api/v1/login"))
            .json(&serde_json::json!({"login": login, "password": password})),
    };
    let res = request.send().await.expect("an answer");
    let status = res.status();
    let cookie = res.headers().get_all(SET_COOKIE).iter().any(|c| {
        c.to_str()
            .is_ok_and(|c| c.contains("postern_session=") && !c.contains("Max-Age=0"))
    });
    // Read the whole answer, as a browser would, so the connection can be reused.
    let _ = res.bytes().await;
    (status, cookie)
}

/// How long the account's owner takes to sign in, asserting that it does.
async fn rightful_latency(
    http: &reqwest::Client,
    web: SocketAddr,
    surface: Surface,
    login: &str,
    password: &str,
) -> Duration {
    let started = Instant::now();
    let (status, cookie) = sign_in(http, web, surface, login, password).await;
    let took = started.elapsed();
    let expected = match surface {
        Surface::Form => StatusCode::SEE_OTHER,
        Surface::Api => StatusCode::OK,
    };
    assert!(
        status == expected && cookie,
        "the owner's {surface:?} sign-in was answered {status} (cookie: {cookie})"
    );
    took
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_password_guessing_is_held_while_the_owner_signs_in() {
    let server = TestServer::start_with(|c| {
        c.limits.auth_free_failures = FREE_FAILURES;
        // No pause before failure answers, so that 10,000 attempts take seconds; the source
        // throttle, which this is about, is untouched.
        c.limits.auth_failure_pause = std::time::Duration::ZERO;
    })
    .await;
    let web = server.addr(Listener::Web);
    let (login, password) = server.admin();
    let core = Arc::clone(server.core());
    let owner = client(RIGHTFUL);
    let attacker = client(Ipv4Addr::LOCALHOST);

    // The owner's usual sign-in time, before the attack.
    let mut baseline = Vec::new();
    for i in 0..8 {
        let surface = Surface::alternate(i as usize);
        baseline.push(rightful_latency(&owner, web, surface, &login, &password).await);
    }
    let baseline = median(baseline);

    let refused_before = core.throttle().refusals();
    let budget = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let budget = Arc::clone(&budget);
        let attacker = attacker.clone();
        let login = login.clone();
        workers.push(tokio::spawn(async move {
            let mut answered = 0usize;
            loop {
                let i = budget.fetch_add(1, Ordering::Relaxed);
                if i >= ATTEMPTS {
                    break answered;
                }
                let surface = Surface::alternate(i);
                let guess = format!("guess number {i}");
                let (status, cookie) = sign_in(&attacker, web, surface, &login, &guess).await;
                assert!(
                    matches!(
                        status,
                        StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
                    ) && !cookie,
                    "a wrong {surface:?} password was answered {status} (cookie: {cookie})"
                );
                answered += 1;
            }
        }));
    }
    // Meanwhile the owner signs in again and again from its own address.
    let done = Arc::new(AtomicBool::new(false));
    let prober = {
        let done = Arc::clone(&done);
        let (login, password) = (login.clone(), password.clone());
        tokio::spawn(async move {
            let mut during = Vec::new();
            while !done.load(Ordering::Relaxed) || during.len() < 10 {
                let surface = Surface::alternate(during.len());
                during.push(rightful_latency(&owner, web, surface, &login, &password).await);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            during
        })
    };
    // Halfway, the attacker tries the right password, on both surfaces: refused unheard.
    while budget.load(Ordering::Relaxed) < ATTEMPTS / 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut right_from_attacker = Vec::new();
    for surface in [Surface::Form, Surface::Api] {
        right_from_attacker.push(sign_in(&attacker, web, surface, &login, &password).await);
    }
    let mut answered = 0;
    for w in workers {
        answered += tokio::time::timeout(Duration::from_secs(240), w)
            .await
            .expect("the attack ends in time")
            .unwrap();
    }
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let during = prober.await.unwrap();
    for surface in [Surface::Form, Surface::Api] {
        right_from_attacker.push(sign_in(&attacker, web, surface, &login, &password).await);
    }

    let attempts = answered + right_from_attacker.len();
    let refused = core.throttle().refusals() - refused_before;
    let evaluated = (attempts as u64).saturating_sub(refused);
    let during_median = median(during.clone());
    let worst = during.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{attempts} web attempts in {took:?}: {evaluated} evaluated, {refused} refused unheard; \
         owner's sign-in {baseline:?} before, {during_median:?} (worst {worst:?}) during, \
         {} samples; throttle entries {}",
        during.len(),
        core.throttle().entries()
    );
    assert_eq!(answered, ATTEMPTS, "every attempt was answered");
    for (status, cookie) in right_from_attacker {
        assert_eq!(
            (status, cookie),
            (StatusCode::TOO_MANY_REQUESTS, false),
            "the right password from the attacker's address"
        );
    }
    // The attacker keeps hammering, so after its first attempts (its free failures, or the
    // few a clean source may have under evaluation at once) its source never waits long
    // enough for another evaluation; a little slack for the doubling delays.
    let first = u64::from(FREE_FAILURES.max(postern_domain::throttle::PARALLEL_WHEN_CLEAN));
    assert!(
        evaluated <= first + 3,
        "{evaluated} of {attempts} attempts reached the password check"
    );
    assert!(
        during_median < baseline * 5 + Duration::from_millis(200),
        "the owner took {during_median:?} during the attack, {baseline:?} before"
    );
    // Argon2 makes a sign-in cost tens of milliseconds, and seconds in a debug build on a
    // busy machine: the worst case is bounded relative to the owner's own time.
    assert!(
        worst < baseline * 10 + Duration::from_secs(3),
        "an owner's sign-in took {worst:?}, {baseline:?} before the attack"
    );
    // The attacker's source and the login; the owner's source is cleared by its successes.
    assert!(
        core.throttle().entries() <= 3,
        "{}",
        core.throttle().entries()
    );
    server.stop().await;
}

/// Failed web sign-ins from 300 source addresses (127.2.x.y), each with a login of its own:
/// the throttle remembers no more than its configured number of sources and logins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttle_stays_bounded_under_web_sign_ins_from_many_sources() {
    const CAP: usize = 40;
    // Each attempt is a real Argon2 check (of a dummy hash, the logins being unknown),
    // so fewer sources than the IMAP variant, still many times the cap.
    const SOURCES: u32 = 300;
    let server = TestServer::start_with(|c| {
        c.limits.auth_failure_pause = std::time::Duration::ZERO;
        c.limits.auth_throttle_entries = CAP;
    })
    .await;
    let web = server.addr(Listener::Web);
    let core = Arc::clone(server.core());
    let peak = throttle_peak_over(&core, SOURCES, 8, move |i| async move {
        let from = Ipv4Addr::new(127, 2, (i / 250) as u8, (i % 250) as u8 + 1);
        let surface = Surface::alternate(i as usize);
        let login = format!("user{i}@localhost");
        let answer = sign_in(&client(from), web, surface, &login, "not the password").await;
        assert_eq!(answer, (StatusCode::UNAUTHORIZED, false), "from {from}");
    })
    .await;
    eprintln!("throttle entries peaked at {peak} for {SOURCES} web sources and logins");
    assert!(
        peak <= 2 * CAP,
        "{peak} entries for a cap of {CAP} sources and {CAP} logins"
    );
    assert!(core.throttle().entries() > 0);
    server.stop().await;
}
