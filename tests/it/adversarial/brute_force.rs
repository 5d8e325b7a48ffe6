//! Password guessing: 10,000 wrong IMAP and SMTP sign-ins from one source against one
//! mailbox. The attacker is held to the throttle (a right password from its address is
//! refused too), while the rightful device, from another address, signs in as fast as
//! before; the throttle's memory stays bounded under attempts from thousands of addresses.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use postern_testkit::TestServer;

use super::{Line, RIGHTFUL, median, plain, throttle_peak_over};
use postern_testkit::Listener;

/// The address under attack (made with every fresh test server).
const EMAIL: &str = "admin@localhost";
const ATTEMPTS: usize = 10_000;
/// Connections the attacker keeps open at a time.
const WORKERS: usize = 48;
const FREE_FAILURES: u32 = 5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proto {
    Imap,
    Smtp,
}

async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.limits.auth_free_failures = FREE_FAILURES;
        // No pause before failure answers, so that 10,000 attempts take seconds; the
        // source throttle, which this is about, is untouched.
        c.limits.auth_failure_pause = std::time::Duration::ZERO;
    })
    .await
}

/// One sign-in from `from`: connect, greeting, sign in, and the answer's first word(s).
async fn sign_in(proto: Proto, addr: SocketAddr, from: Ipv4Addr, password: &str) -> String {
    let mut c = Line::connect_from(from, addr).await.expect("connect");
    c.line().await.expect("greeting");
    match proto {
        Proto::Imap => {
            c.send(format!("a LOGIN {EMAIL} {password}\r\n").as_bytes())
                .await
                .unwrap();
            let answer = c.tagged("a").await.expect("an answer");
            let _ = c.send(b"b LOGOUT\r\n").await;
            answer.lines().last().unwrap_or_default().to_owned()
        }
        Proto::Smtp => {
            c.send(b"EHLO rightful.example\r\n").await.unwrap();
            c.reply().await.expect("EHLO reply");
            c.send(format!("AUTH PLAIN {}\r\n", plain(EMAIL, password)).as_bytes())
                .await
                .unwrap();
            let answer = c.reply().await.expect("an answer");
            let _ = c.send(b"QUIT\r\n").await;
            answer
        }
    }
}

/// How long the rightful device takes to sign in, asserting that it does.
async fn rightful_latency(proto: Proto, addr: SocketAddr, password: &str) -> Duration {
    let started = Instant::now();
    let answer = sign_in(proto, addr, RIGHTFUL, password).await;
    let took = started.elapsed();
    let ok = match proto {
        Proto::Imap => answer.starts_with("a OK"),
        Proto::Smtp => answer.starts_with("235 "),
    };
    assert!(ok, "the rightful device was refused: {answer}");
    took
}

/// One attacker connection: wrong passwords until the server closes it or the attack has
/// made its attempts. Returns the attempts that were answered.
async fn attack_connection(proto: Proto, addr: SocketAddr, budget: &AtomicUsize) -> usize {
    let Ok(mut c) = Line::connect(addr).await else {
        return 0;
    };
    if c.line().await.is_none() {
        return 0;
    }
    if proto == Proto::Smtp {
        c.send(b"EHLO attacker.example\r\n").await.ok();
        if c.reply().await.is_none() {
            return 0;
        }
    }
    let mut answered = 0;
    for i in 0.. {
        if budget.fetch_add(1, Ordering::Relaxed) >= ATTEMPTS {
            break;
        }
        let guess = format!("aaaa-bbbb-cccc-{i:04}");
        let reply = match proto {
            Proto::Imap => {
                let tag = format!("g{i}");
                if c.send(format!("{tag} LOGIN {EMAIL} {guess}\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    None
                } else {
                    c.tagged(&tag).await
                }
            }
            Proto::Smtp => {
                if c.send(format!("AUTH PLAIN {}\r\n", plain(EMAIL, &guess)).as_bytes())
                    .await
                    .is_err()
                {
                    None
                } else {
                    c.reply().await
                }
            }
        };
        let Some(reply) = reply else {
            // Closed before answering: the attempt did not happen; give it back.
            budget.fetch_sub(1, Ordering::Relaxed);
            break;
        };
        let refused = match proto {
            Proto::Imap => reply.contains(" NO "),
            Proto::Smtp => ["535 ", "454 ", "421 "]
                .iter()
                .any(|c| reply.starts_with(c)),
        };
        assert!(refused, "a wrong password was not refused: {reply}");
        answered += 1;
        if reply.starts_with("421 ") || reply.contains("* BYE") {
            break;
        }
    }
    answered
}

async fn brute_force(proto: Proto) {
    let server = server().await;
    let (_, password) = server.device(EMAIL, "Phone", "imap,smtp").await;
    let key = match proto {
        Proto::Imap => Listener::Imap,
        Proto::Smtp => Listener::Smtp,
    };
    let addr = server.addr(key);
    let core = Arc::clone(server.core());

    // The rightful device's usual sign-in time, before the attack.
    let mut baseline = Vec::new();
    for _ in 0..15 {
        baseline.push(rightful_latency(proto, addr, &password).await);
    }
    let baseline = median(baseline);

    let refused_before = core.throttle().refusals();
    let budget = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let budget = Arc::clone(&budget);
        let answered = Arc::clone(&answered);
        workers.push(tokio::spawn(async move {
            while budget.load(Ordering::Relaxed) < ATTEMPTS {
                let n = attack_connection(proto, addr, &budget).await;
                answered.fetch_add(n, Ordering::Relaxed);
            }
        }));
    }
    // Meanwhile the rightful device signs in again and again from its own address.
    let done = Arc::new(AtomicBool::new(false));
    let prober = {
        let done = Arc::clone(&done);
        let password = password.clone();
        tokio::spawn(async move {
            let mut during = Vec::new();
            while !done.load(Ordering::Relaxed) || during.len() < 10 {
                during.push(rightful_latency(proto, addr, &password).await);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            during
        })
    };
    // Halfway, the attacker tries the right password: it is refused unheard.
    while budget.load(Ordering::Relaxed) < ATTEMPTS / 2 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let halfway = sign_in(proto, addr, Ipv4Addr::LOCALHOST, &password).await;
    for w in workers {
        tokio::time::timeout(Duration::from_secs(240), w)
            .await
            .expect("the attack ends in time")
            .unwrap();
    }
    let took = started.elapsed();
    done.store(true, Ordering::Relaxed);
    let during = prober.await.unwrap();
    let after = sign_in(proto, addr, Ipv4Addr::LOCALHOST, &password).await;

    let attempts = answered.load(Ordering::Relaxed) + 2;
    let refused = core.throttle().refusals() - refused_before;
    let evaluated = (attempts as u64).saturating_sub(refused);
    let during_median = median(during.clone());
    let worst = during.iter().max().copied().unwrap_or_default();
    eprintln!(
        "{attempts} attempts in {took:?}: {evaluated} evaluated, {refused} refused unheard; \
         rightful sign-in {baseline:?} before, {during_median:?} (worst {worst:?}) during, \
         {} samples; throttle entries {}",
        during.len(),
        core.throttle().entries()
    );
    assert!(
        attempts >= ATTEMPTS,
        "only {attempts} attempts were answered"
    );
    for answer in [&halfway, &after] {
        let throttled = match proto {
            Proto::Imap => answer.contains("NO [UNAVAILABLE]"),
            Proto::Smtp => answer.starts_with("454 4.7.0 Too many failed sign-ins"),
        };
        assert!(throttled, "the right password from the attacker: {answer}");
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
        "the rightful device took {during_median:?} during the attack, {baseline:?} before"
    );
    assert!(
        worst < Duration::from_secs(3),
        "a rightful sign-in took {worst:?}"
    );
    assert!(
        core.throttle().entries() <= 4,
        "{}",
        core.throttle().entries()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imap_password_guessing_is_held_while_the_device_signs_in() {
    brute_force(Proto::Imap).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_password_guessing_is_held_while_the_device_signs_in() {
    brute_force(Proto::Smtp).await;
}

/// Failed sign-ins from 3,000 source addresses (127.1.x.y), each with a login of its own:
/// the throttle remembers no more than its configured number of sources and logins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttle_stays_bounded_under_many_sources() {
    const CAP: usize = 500;
    const SOURCES: u32 = 3_000;
    let server = TestServer::start_with(|c| {
        c.limits.auth_failure_pause = std::time::Duration::ZERO;
        c.limits.auth_throttle_entries = CAP;
    })
    .await;
    let addr = server.addr(Listener::Imap);
    let core = Arc::clone(server.core());
    let peak = throttle_peak_over(&core, SOURCES, 32, move |i| async move {
        let from = Ipv4Addr::new(127, 1, (i / 250) as u8, (i % 250) as u8 + 1);
        let mut c = Line::connect_from(from, addr).await.expect("connect");
        c.line().await.expect("greeting");
        c.send(format!("a LOGIN user{i}@localhost aaaa-bbbb-cccc-dddd\r\n").as_bytes())
            .await
            .unwrap();
        let answer = c.tagged("a").await.expect("an answer");
        assert!(answer.contains("a NO "), "{answer}");
    })
    .await;
    eprintln!("throttle entries peaked at {peak} for {SOURCES} sources and logins");
    assert!(
        peak <= 2 * CAP,
        "{peak} entries for a cap of {CAP} sources and {CAP} logins"
    );
    // It still remembers the most recent sources: the last one has failed once.
    assert!(core.throttle().entries() > 0);
    server.stop().await;
}
