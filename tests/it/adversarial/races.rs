//! Races: sign-ins with a device while another task disconnects it, and concurrent creates,
//! resets and disconnects of the devices of one address. Run on both stores.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use postern_domain::model::{ActivityKind, DeviceState};
use postern_domain::{
    Actor, Core, Description, DeviceId, DomainError, Email, Protocol, ProtocolSet,
};
use postern_testkit::TestServer;
use secrecy::ExposeSecret;

use super::Line;
use postern_testkit::Listener;

const EMAIL: &str = "admin@localhost";
const ITERATIONS: usize = 20;

/// No source is ever throttled here: refusals must come from the disconnect alone.
async fn server() -> TestServer {
    TestServer::start_with(|c| {
        c.limits.auth_free_failures = 1_000_000_000;
        c.limits.auth_failure_pause = std::time::Duration::ZERO;
    })
    .await
}

fn email() -> Email {
    Email::parse(EMAIL).unwrap()
}

/// A LOGIN over a new connection: the connection if it succeeded.
async fn imap_login(addr: SocketAddr, password: &str) -> Option<Line> {
    let mut c = Line::connect(addr).await.expect("connect");
    c.line().await.expect("greeting");
    c.send(format!("a LOGIN {EMAIL} {password}\r\n").as_bytes())
        .await
        .ok()?;
    let answer = c.tagged("a").await?;
    answer.contains("a OK").then_some(c)
}

/// Waits for the server to close a signed-in session, and returns what it said.
async fn closed(mut c: Line) -> String {
    tokio::time::timeout(Duration::from_secs(5), c.until_closed())
        .await
        .expect("the session of a disconnected device is closed")
}

struct Attempt {
    started: Instant,
    session: Option<Line>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_sign_in_succeeds_after_a_disconnect_and_no_session_survives_it() {
    let server = server().await;
    let addr = server.addr(Listener::Imap);
    let core = Arc::clone(server.core());
    let mut succeeded_during = 0;
    for _ in 0..ITERATIONS {
        let (device, password) = server.device(EMAIL, "Racing phone", "imap").await;
        let mut before = Vec::new();
        for _ in 0..3 {
            before.push(imap_login(addr, &password).await.expect("signed in"));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut sockets = Vec::new();
        for _ in 0..4 {
            let (stop, password) = (Arc::clone(&stop), password.clone());
            sockets.push(tokio::spawn(async move {
                let mut attempts = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let session = imap_login(addr, &password).await;
                    attempts.push(Attempt { started, session });
                }
                attempts
            }));
        }
        let mut direct = Vec::new();
        for _ in 0..2 {
            let (stop, password, core) = (Arc::clone(&stop), password.clone(), Arc::clone(&core));
            direct.push(tokio::spawn(async move {
                let mut attempts = Vec::new();
                let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let result = core.verify(EMAIL, &password, Protocol::Imap, ip).await;
                    attempts.push((started, result));
                    tokio::task::yield_now().await;
                }
                attempts
            }));
        }
        tokio::time::sleep(Duration::from_millis(15)).await;
        core.disconnect_device(&Actor::CommandLine, device)
            .await
            .expect("disconnected");
        let committed = Instant::now();
        tokio::time::sleep(Duration::from_millis(30)).await;
        stop.store(true, Ordering::Relaxed);

        for task in sockets {
            for attempt in task.await.unwrap() {
                let Some(session) = attempt.session else {
                    continue;
                };
                assert!(
                    attempt.started < committed,
                    "an IMAP sign-in begun after the disconnect succeeded"
                );
                succeeded_during += 1;
                let said = closed(session).await;
                assert!(said.contains("* BYE"), "{said:?}");
            }
        }
        for task in direct {
            for (started, result) in task.await.unwrap() {
                match result {
                    Ok(signed_in) => {
                        assert!(
                            started < committed,
                            "a verify begun after the disconnect succeeded"
                        );
                        assert!(
                            signed_in.revocation.is_revoked(),
                            "a live sign-in was not revoked"
                        );
                        succeeded_during += 1;
                    }
                    Err(DomainError::AuthFailed) => {}
                    Err(e) => panic!("unexpected refusal: {e}"),
                }
            }
        }
        for session in before {
            let said = closed(session).await;
            assert!(
                said.contains("* BYE This device was disconnected"),
                "{said:?}"
            );
        }
        // And afterwards, the password is dead everywhere.
        assert!(imap_login(addr, &password).await.is_none());
    }
    eprintln!(
        "{succeeded_during} sign-ins succeeded while disconnects raced them; all were closed"
    );
    server.stop().await;
}

/// What one task did to the devices.
enum Done {
    Created(DeviceId, String),
    Reset(DeviceId, i64, String),
    Disconnected(DeviceId),
    Refused,
}

async fn act(core: Arc<Core>, op: usize, target: DeviceId) -> Done {
    let actor = Actor::CommandLine;
    let result = match op % 6 {
        0 => core
            .create_device(
                &actor,
                &email(),
                Description::parse("Created in a race").unwrap(),
                ProtocolSet::ALL,
            )
            .await
            .map(|i| Done::Created(i.device.id, i.password.expose_secret().to_owned())),
        5 => core
            .disconnect_device(&actor, target)
            .await
            .map(|d| Done::Disconnected(d.id)),
        _ => core.reset_device(&actor, target).await.map(|i| {
            Done::Reset(
                i.device.id,
                i.device.generation,
                i.password.expose_secret().to_owned(),
            )
        }),
    };
    match result {
        Ok(done) => done,
        Err(DomainError::NotFound(_)) => Done::Refused,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_resets_and_disconnects_leave_a_consistent_state() {
    let server = server().await;
    let core = Arc::clone(server.core());
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    for _ in 0..5 {
        let mut devices = BTreeMap::new();
        for i in 0..3 {
            let (id, password) = server
                .device(EMAIL, &format!("Device {i}"), "imap,smtp,pop3")
                .await;
            devices.insert(id, vec![(1_i64, password)]);
        }
        let ids: Vec<DeviceId> = devices.keys().copied().collect();
        let mut tasks = Vec::new();
        for op in 0..36 {
            // Resets spread over the three devices; every disconnect aims at the third.
            let target = ids[op % ids.len()];
            tasks.push(tokio::spawn(act(Arc::clone(&core), op, target)));
        }
        let mut disconnected = BTreeMap::new();
        let mut resets = BTreeMap::<DeviceId, usize>::new();
        for t in tasks {
            match t.await.unwrap() {
                Done::Created(id, password) => {
                    devices.insert(id, vec![(1, password)]);
                }
                Done::Reset(id, generation, password) => {
                    devices.get_mut(&id).unwrap().push((generation, password));
                    *resets.entry(id).or_default() += 1;
                }
                Done::Disconnected(id) => {
                    assert!(disconnected.insert(id, ()).is_none(), "disconnected twice");
                }
                Done::Refused => {}
            }
        }
        assert_eq!(
            disconnected.keys().collect::<Vec<_>>(),
            vec![&ids[2]],
            "six disconnects of one device: exactly one succeeds"
        );
        let log = core
            .activity_log(&Actor::CommandLine, &email(), 10_000)
            .await
            .unwrap();
        for (id, issued) in &devices {
            let stored = core.store().device(*id).await.unwrap().expect("the device");
            let count = |kind: ActivityKind| {
                log.iter()
                    .filter(|e| e.device_id == Some(*id) && e.kind == kind)
                    .count()
            };
            let made_resets = resets.get(id).copied().unwrap_or(0);
            assert_eq!(count(ActivityKind::DeviceCreated), 1);
            assert_eq!(count(ActivityKind::DeviceReset), made_resets);
            let generations: Vec<i64> = issued.iter().map(|(g, _)| *g).collect();
            let mut unique = generations.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(
                unique.len(),
                generations.len(),
                "two resets gave one generation"
            );
            let last = issued.iter().max_by_key(|(g, _)| *g).unwrap();
            if disconnected.contains_key(id) {
                assert_eq!(stored.state, DeviceState::Disconnected);
                assert_eq!(count(ActivityKind::DeviceDisconnected), 1);
            } else {
                assert_eq!(stored.state, DeviceState::Active);
                assert_eq!(count(ActivityKind::DeviceDisconnected), 0);
                assert_eq!(stored.generation, 1 + made_resets as i64);
                assert_eq!(
                    stored.generation, last.0,
                    "the last password issued is current"
                );
            }
            for (generation, password) in issued {
                let works = core
                    .verify(EMAIL, password, Protocol::Imap, ip)
                    .await
                    .is_ok();
                let should = !disconnected.contains_key(id) && *generation == last.0;
                assert_eq!(
                    works,
                    should,
                    "device {id} generation {generation} of {:?}, disconnected: {}",
                    stored.generation,
                    disconnected.contains_key(id)
                );
            }
        }
    }
    server.stop().await;
}
