//! `verify` costs one keyed digest and one indexed look-up whatever the number of devices:
//! measured with 1, 100 and 10,000 devices on one address.

#![allow(clippy::expect_used)]

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use postern_domain::account_password::AccountPassword;
use postern_domain::clock::SystemClock;
use postern_domain::throttle::ThrottleConfig;
use postern_domain::{Actor, Core, Description, Email, Login, Pepper, Protocol, ProtocolSet};
use secrecy::ExposeSecret;

struct Fixture {
    core: Core,
    password: String,
    _dir: tempfile::TempDir,
}

async fn fixture(devices: usize) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = postern_store::open(&url).await.expect("store");
    let throttle = ThrottleConfig {
        failure_pause: Duration::ZERO,
        max_login_pause: Duration::ZERO,
        free_failures: u32::MAX,
        ..ThrottleConfig::default()
    };
    let core = Core::new(
        store,
        Pepper::generate().expect("pepper"),
        Arc::new(SystemClock),
        throttle,
    );
    let login = Login::parse("owner@example.com").expect("login");
    core.create_account(
        &login,
        AccountPassword::parse_new("bench password").expect("pw"),
    )
    .await
    .expect("account");
    let email = Email::parse("bench@example.com").expect("email");
    core.create_address(&email, &login).await.expect("address");
    let mut password = String::new();
    for i in 0..devices {
        let issued = core
            .create_device(
                &Actor::CommandLine,
                &email,
                Description::parse(&format!("Device {i}")).expect("description"),
                ProtocolSet::ALL,
            )
            .await
            .expect("device");
        password = issued.password.expose_secret().to_owned();
    }
    Fixture {
        core,
        password,
        _dir: dir,
    }
}

fn verify(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ip: IpAddr = "127.0.0.1".parse().expect("ip");
    let mut group = c.benchmark_group("verify");
    for devices in [1usize, 100, 10_000] {
        let f = rt.block_on(fixture(devices));
        group.bench_with_input(BenchmarkId::new("right password", devices), &f, |b, f| {
            b.iter(|| {
                rt.block_on(
                    f.core
                        .verify("bench@example.com", &f.password, Protocol::Imap, ip),
                )
                .expect("accepted")
            })
        });
        let wrong = "0000-0000-0000-0000-0000-0000";
        group.bench_with_input(BenchmarkId::new("wrong password", devices), &f, |b, f| {
            b.iter(|| {
                let refused = rt
                    .block_on(
                        f.core
                            .verify("bench@example.com", wrong, Protocol::Imap, ip),
                    )
                    .is_err();
                assert!(refused);
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(3));
    targets = verify
}
criterion_main!(benches);
