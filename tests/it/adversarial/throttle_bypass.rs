//! The throttle cannot be reset with a credential of one's own: an attacker who holds an
//! account (and a device of its own address) guesses another login's password and, between
//! guesses, signs in rightly as itself, on the web, the API, IMAP, POP3 and SMTP, one at a time
//! and many at once. Its own successes clear only its own login's failures, so its guesses at
//! the other login stop being evaluated after the free failures, while the other login's owner,
//! from its own address, still signs in.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use postern_testkit::TestServer;
use reqwest::StatusCode;

use super::web_brute_force::{Surface, client, sign_in as web_sign_in};
use super::{Line, RIGHTFUL, plain};
use postern_testkit::Listener;

const FREE_FAILURES: u32 = 5;
/// Guesses at the victim's passwords.
const GUESSES: usize = 40;
/// The attacker signs in as itself after every this many guesses.
const OWN_EVERY: usize = 4;

const VICTIM: &str = "admin@localhost";
const MALLORY: &str = "mallory@localhost";
const MALLORY_PASSWORD: &str = "mallory's own long password";

/// Where a sign-in is tried.
#[derive(Clone, Copy, Debug)]
enum Way {
    Form,
    Api,
    Imap,
    Pop3,
    Smtp,
    /// `POST /api/v1/links` with a device password, from the attacker's web session.
    Link,
}

struct Setup {
    server: TestServer,
    /// The password of Mallory's own device on Mallory's own address.
    mallory_device: String,
    /// Mallory's API session cookie, for link requests.
    mallory_cookie: String,
}

async fn setup() -> Setup {
    let server = TestServer::start_with(|c| {
        c.limits.auth_free_failures = FREE_FAILURES;
        // No pause before failure answers; the source throttle, which this is about, is
        // untouched.
        c.limits.auth_failure_pause = std::time::Duration::ZERO;
    })
    .await;
    server.account(MALLORY, MALLORY_PASSWORD).await;
    server.address(MALLORY, MALLORY).await;
    let (_, mallory_device) = server
        .device(MALLORY, "Mallory's phone", "imap,smtp,pop3")
        .await;
    // Mallory's web session, opened before any guess.
    let res = client(Ipv4Addr::LOCALHOST)
        .post(format!(
            "http://{}/api/v1/login",
            server.addr(Listener::Web)
        ))
        .json(&serde_json::json!({"login": MALLORY, "password": MALLORY_PASSWORD}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(res.status(), StatusCode::OK);
    let mallory_cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    Setup {
        server,
        mallory_device,
        mallory_cookie,
    }
}

/// One sign-in from the attacker's address (127.0.0.1) or `from`; whether it was let in.
async fn try_sign_in(setup: &Setup, from: Ipv4Addr, way: Way, login: &str, password: &str) -> bool {
    let s = &setup.server;
    match way {
        Way::Form | Way::Api => {
            let surface = match way {
                Way::Form => Surface::Form,
                _ => Surface::Api,
            };
            let (status, cookie) = web_sign_in(
                &client(from),
                s.addr(Listener::Web),
                surface,
                login,
                password,
            )
            .await;
            assert!(
                matches!(
                    status,
                    StatusCode::SEE_OTHER
                        | StatusCode::OK
                        | StatusCode::UNAUTHORIZED
                        | StatusCode::TOO_MANY_REQUESTS
                ),
                "{way:?} answered {status}"
            );
            cookie
        }
        Way::Link => {
            let res = client(from)
                .post(format!("http://{}/api/v1/links", s.addr(Listener::Web)))
                .header("cookie", &setup.mallory_cookie)
                .json(&serde_json::json!({"address": login, "password": password}))
                .send()
                .await
                .expect("an answer");
            let status = res.status();
            assert!(
                matches!(
                    status,
                    StatusCode::CREATED | StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
                ),
                "a link request answered {status}"
            );
            status == StatusCode::CREATED
        }
        Way::Imap | Way::Pop3 | Way::Smtp => line_sign_in(s, from, way, login, password).await,
    }
}

/// A device sign-in over a plain loopback connection; whether it was let in.
async fn line_sign_in(
    s: &TestServer,
    from: Ipv4Addr,
    way: Way,
    login: &str,
    password: &str,
) -> bool {
    let key = match way {
        Way::Imap => Listener::Imap,
        Way::Pop3 => Listener::Pop3,
        _ => Listener::Smtp,
    };
    let addr: SocketAddr = s.addr(key);
    let mut c = Line::connect_from(from, addr).await.expect("connect");
    c.line().await.expect("greeting");
    match way {
        Way::Imap => {
            c.send(format!("a LOGIN {login} \"{password}\"\r\n").as_bytes())
                .await
                .unwrap();
            let answer = c.tagged("a").await.expect("an answer");
            answer
                .lines()
                .last()
                .unwrap_or_default()
                .starts_with("a OK")
        }
        Way::Pop3 => {
            c.send(format!("USER {login}\r\n").as_bytes())
                .await
                .unwrap();
            c.line().await.expect("an answer to USER");
            c.send(format!("PASS {password}\r\n").as_bytes())
                .await
                .unwrap();
            c.line().await.expect("an answer").starts_with("+OK")
        }
        _ => {
            c.send(b"EHLO attacker.example\r\n").await.unwrap();
            c.reply().await.expect("EHLO reply");
            c.send(format!("AUTH PLAIN {}\r\n", plain(login, password)).as_bytes())
                .await
                .unwrap();
            c.reply().await.expect("an answer").starts_with("235 ")
        }
    }
}

/// Guesses at the victim on `guess_ways` (in turn), with one right sign-in of Mallory's own
/// on `own_ways` (in turn) after every [`OWN_EVERY`] guesses, one at a time. Returns how
/// many guesses reached the password check.
async fn interleaved(setup: &Setup, guess_ways: &[Way], own_ways: &[Way]) -> usize {
    let throttle_core = Arc::clone(setup.server.core());
    let mut evaluated = 0;
    let mut own_let_in = 0;
    for i in 0..GUESSES {
        let way = guess_ways[i % guess_ways.len()];
        let guess = match way {
            Way::Form | Way::Api => format!("guess number {i}"),
            _ => format!("aaaa-bbbb-cccc-dddd-eeee-{i:04}"),
        };
        let refused_before = throttle_core.throttle().refusals();
        // The victim's account login and its address are the same text.
        let let_in = try_sign_in(setup, Ipv4Addr::LOCALHOST, way, VICTIM, &guess).await;
        assert!(!let_in, "a wrong {way:?} guess was let in");
        if throttle_core.throttle().refusals() == refused_before {
            evaluated += 1;
        }
        if (i + 1) % OWN_EVERY == 0 {
            let own = own_ways[(i / OWN_EVERY) % own_ways.len()];
            let password = match own {
                Way::Form | Way::Api => MALLORY_PASSWORD.to_owned(),
                _ => setup.mallory_device.clone(),
            };
            if try_sign_in(setup, Ipv4Addr::LOCALHOST, own, MALLORY, &password).await {
                own_let_in += 1;
            }
        }
    }
    eprintln!(
        "{GUESSES} guesses on {guess_ways:?}, Mallory's own sign-ins on {own_ways:?} every \
         {OWN_EVERY}: {evaluated} guesses evaluated, {own_let_in} own sign-ins let in"
    );
    evaluated
}

/// The victim still signs in, from its own address, on the web and with a device.
async fn the_victim_still_signs_in(setup: &Setup) {
    let (login, password) = setup.server.admin();
    assert!(
        try_sign_in(setup, RIGHTFUL, Way::Form, &login, &password).await,
        "the victim's own web sign-in"
    );
    let (_, device) = setup.server.device(VICTIM, "Victim's phone", "imap").await;
    assert!(
        try_sign_in(setup, RIGHTFUL, Way::Imap, VICTIM, &device).await,
        "the victim's own IMAP sign-in"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_web_sign_ins_between_web_guesses_do_not_reset_the_throttle() {
    let setup = setup().await;
    let evaluated = interleaved(&setup, &[Way::Form, Way::Api], &[Way::Form, Way::Api]).await;
    assert!(
        evaluated as u64 <= u64::from(FREE_FAILURES),
        "{evaluated} of {GUESSES} guesses reached the password check"
    );
    the_victim_still_signs_in(&setup).await;
    setup.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_sign_ins_on_other_protocols_do_not_reset_the_throttle() {
    let setup = setup().await;
    // Guesses at the victim's account and at its address's device passwords on every way in;
    // Mallory signs in as itself with its own device and its own account in between.
    let evaluated = interleaved(
        &setup,
        &[
            Way::Form,
            Way::Imap,
            Way::Api,
            Way::Pop3,
            Way::Smtp,
            Way::Link,
        ],
        &[Way::Imap, Way::Smtp, Way::Pop3, Way::Form, Way::Api],
    )
    .await;
    assert!(
        evaluated as u64 <= u64::from(FREE_FAILURES),
        "{evaluated} of {GUESSES} guesses reached the password check"
    );
    the_victim_still_signs_in(&setup).await;
    setup.server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_sign_ins_in_parallel_with_guesses_do_not_reset_the_throttle() {
    const WORKERS: usize = 8;
    let setup = Arc::new(setup().await);
    let core = Arc::clone(setup.server.core());
    let refused_before = core.throttle().refusals();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let setup = Arc::clone(&setup);
        tasks.push(tokio::spawn(async move {
            let mut guesses = 0;
            let mut own = 0;
            for i in (w..GUESSES + GUESSES / OWN_EVERY).step_by(WORKERS) {
                if i % (OWN_EVERY + 1) == OWN_EVERY {
                    // Mallory's own sign-in, among the guesses in flight.
                    let way = [Way::Imap, Way::Api, Way::Smtp, Way::Form][i % 4];
                    let password = match way {
                        Way::Form | Way::Api => MALLORY_PASSWORD.to_owned(),
                        _ => setup.mallory_device.clone(),
                    };
                    try_sign_in(&setup, Ipv4Addr::LOCALHOST, way, MALLORY, &password).await;
                    own += 1;
                } else {
                    let way = [Way::Form, Way::Api, Way::Imap][i % 3];
                    let guess = match way {
                        Way::Imap => format!("aaaa-bbbb-cccc-dddd-eeee-{i:04}"),
                        _ => format!("guess number {i}"),
                    };
                    let let_in =
                        try_sign_in(&setup, Ipv4Addr::LOCALHOST, way, VICTIM, &guess).await;
                    assert!(!let_in, "a wrong {way:?} guess was let in");
                    guesses += 1;
                }
            }
            (guesses, own)
        }));
    }
    let (mut guesses, mut own) = (0, 0);
    for t in tasks {
        let (g, o) = t.await.unwrap();
        guesses += g;
        own += o;
    }
    let attempts = (guesses + own) as u64;
    let refused = core.throttle().refusals() - refused_before;
    let evaluated = attempts.saturating_sub(refused);
    eprintln!(
        "{guesses} guesses and {own} own sign-ins, {WORKERS} at a time: {evaluated} evaluated"
    );
    assert_eq!(guesses, GUESSES);
    // A clean source may have a few attempts under evaluation at once; after those, and
    // whatever its own sign-ins were, nothing more is looked at.
    let first = u64::from(FREE_FAILURES.max(postern_domain::throttle::PARALLEL_WHEN_CLEAN));
    assert!(
        evaluated <= first.min(WORKERS as u64) + 2,
        "{evaluated} of {attempts} attempts reached the password check"
    );
    the_victim_still_signs_in(&setup).await;
    if let Ok(setup) = Arc::try_unwrap(setup) {
        setup.server.stop().await;
    }
}
