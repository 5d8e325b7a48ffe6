//! A throwaway PostgreSQL cluster for the tests of this process: made with Debian's `initdb`
//! in a temporary directory, listening on a free loopback port, stopped and deleted when the
//! process ends.
//! Each test gets a database of its own.

use std::io::Write;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::needs::Need;

struct Cluster {
    port: u16,
    /// The guard's standard input: when this process exits it closes and the guard stops
    /// the server, so no cluster outlives the tests.
    _guard: Mutex<Child>,
    _dir: tempfile::TempDir,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// Runs a server program as the `postgres` user when we are root (PostgreSQL refuses root).
fn as_postgres(program: &Path) -> Command {
    if crate::needs::is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn start() -> Cluster {
    // Reached only by tests that asked for PostgreSQL, or by every test when
    // STORE_UNDER_TEST=postgres asks for it: either way a missing PostgreSQL fails them.
    crate::needs::insist(Need::Postgres);
    let bin = crate::needs::postgres_bin_dir().expect("PostgreSQL's server programs");
    let dir = tempfile::Builder::new()
        .prefix("postern-pg")
        .tempdir()
        .expect("temp dir");
    let data = dir.path().join("data");
    // The server runs as `postgres`: it must own its directory.
    let _ = Command::new("chown")
        .args(["-R", "postgres:postgres"])
        .arg(dir.path())
        .status();
    let out = as_postgres(&bin.join("initdb"))
        .args([
            "-A",
            "trust",
            "-U",
            "postern",
            "-E",
            "UTF8",
            "--no-sync",
            "-D",
        ])
        .arg(&data)
        .output()
        .expect("initdb runs");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let postgres = bin.join("postgres");
    // The cluster lives in a static, which is never dropped: the guard also deletes its
    // directory once the server has stopped, or every test run would leave gigabytes behind.
    let script = "dir=$1; shift; \"$@\" & pid=$!; read _; kill -TERM \"$pid\"; \
                  wait \"$pid\"; rm -rf \"$dir\"";
    let mut guard = as_postgres(Path::new("/bin/sh"))
        .args(["-c", script, "sh"])
        .arg(dir.path())
        .arg(&postgres)
        .arg("-D")
        .arg(&data)
        .args([
            "-p",
            &port.to_string(),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "fsync=off",
        ])
        .arg("-k")
        .arg(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("postgres starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !psql(port, "postgres", "SELECT 1") {
        assert!(Instant::now() < deadline, "PostgreSQL did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Keep the pipe open for the life of the process.
    let _ = guard.stdin.as_mut().map(|s| s.flush());
    Cluster {
        port,
        _guard: Mutex::new(guard),
        _dir: dir,
    }
}

fn psql(port: u16, db: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-U",
            "postern",
            "-d",
            db,
            "-qAt",
            "-c",
            sql,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs SQL as the cluster's superuser in `database`; whether it succeeded.
pub fn execute(database_url: &str, sql: &str) -> bool {
    let cluster = CLUSTER.get_or_init(start);
    let db = database_url.rsplit('/').next().unwrap_or("postgres");
    psql(cluster.port, db, sql)
}

/// The URL of a new, empty database in the test cluster (started on first use).
pub fn fresh_database() -> String {
    let cluster = CLUSTER.get_or_init(start);
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    assert!(
        psql(cluster.port, "postgres", &format!("CREATE DATABASE {name}")),
        "CREATE DATABASE failed"
    );
    format!("postgres://postern@127.0.0.1:{}/{name}", cluster.port)
}
