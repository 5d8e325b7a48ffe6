//! `postern serve` with no configuration: first start, second start, clean shutdown.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::postern;

/// Starts `postern serve` in `dir` with every listener on a free loopback port.
fn serve(dir: &std::path::Path) -> Child {
    serve_with(dir, &[], Stdio::piped())
}

/// Starts `postern serve` in `dir` (data in `dir/data`) with every listener on a free
/// loopback port, the variables `env` set, standard output piped and standard error to
/// `stderr`.
pub fn serve_with(dir: &std::path::Path, env: &[(&str, &str)], stderr: Stdio) -> Child {
    let mut cmd = postern(&dir.join("data"));
    cmd.current_dir(dir)
        .env_remove("POSTERN_DATA_DIR")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(stderr);
    for key in ["WEB", "IMAP", "SMTP", "POP3", "LMTP"] {
        cmd.env(format!("POSTERN_{key}__LISTEN"), "127.0.0.1:0");
    }
    for key in ["IMAP", "SMTP", "POP3"] {
        cmd.env(format!("POSTERN_{key}__LISTEN_TLS"), "127.0.0.1:0");
    }
    cmd.envs(env.iter().copied());
    cmd.spawn().expect("postern serve starts")
}

/// What `stdout` printed up to and including `needle` (or all of it, if it ends first or
/// takes longer than 30 seconds).
pub fn read_until(stdout: &mut impl Read, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains(needle) && Instant::now() < deadline {
        match stdout.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
    seen
}

/// Stops a server with SIGTERM.
pub fn terminate(child: &Child) {
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(term.success());
}

/// Waits for the first start's banner, then stops the server with SIGTERM.
fn banner_then_terminate(mut child: Child) -> (String, String, i32) {
    let mut stdout = child.stdout.take().expect("stdout");
    let mut seen = read_until(&mut stdout, "Web app:");
    // Let the rest of the banner arrive.
    std::thread::sleep(Duration::from_millis(200));
    terminate(&child);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("stdout");
    seen.push_str(&rest);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    let status = child.wait().expect("postern exits");
    (seen, stderr, status.code().unwrap_or(-1))
}

#[test]
fn first_start_creates_everything_and_says_where_the_password_is() {
    let tmp = tempfile::tempdir().unwrap();
    let (out, err, code) = banner_then_terminate(serve(tmp.path()));
    assert_eq!(code, 0, "stdout: {out}\nstderr: {err}");
    assert!(out.contains("Web app: http://127.0.0.1:8080"), "{out}");
    assert!(out.contains("Login:    admin@localhost"), "{out}");
    // Standard output is a pipe here, not a terminal: the password goes to a private file,
    // and the output and the log say where.
    let data = tmp.path().join("data");
    let file = data.join("first-account.txt");
    assert!(
        out.contains("Password: in ./data/first-account.txt\n"),
        "{out}"
    );
    assert!(
        err.contains("first-account.txt") && err.contains("admin@localhost"),
        "the log says where the password is: {err}"
    );
    let text = std::fs::read_to_string(&file).expect("the password file");
    assert!(text.contains("Login: admin@localhost"), "{text}");
    let password = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Password: "))
        .expect("the password is in the file");
    assert_eq!(password.len(), 19);
    assert!(!out.contains(password), "the password is not printed");
    assert!(!err.contains(password), "the password is not logged");
    let mode = |p: &str| {
        std::fs::metadata(data.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(mode("pepper"), 0o600);
    assert_eq!(mode("first-account.txt"), 0o600);
    assert_eq!(mode("tls-key.pem"), 0o600);
    assert!(data.join("postern.db").exists());
    assert!(data.join("tls-cert.pem").exists());

    // A second start finds the account and prints no password.
    let (out, err, code) = banner_then_terminate(serve(tmp.path()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("is running"), "{out}");
    assert!(!out.contains("Password:"), "{out}");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        text,
        "a second start leaves the file alone"
    );
}

/// Reads standard output until the banner's `Web app:` line: the server is up.
fn wait_for_banner(child: &mut Child) {
    let stdout = child.stdout.as_mut().expect("stdout");
    let mut seen = String::new();
    let mut buf = [0u8; 4096];
    while !seen.contains("Web app:") {
        match stdout.read(&mut buf) {
            Ok(0) | Err(_) => panic!("postern serve stopped before its banner: {seen}"),
            Ok(n) => seen.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
    }
}

/// A data folder made by hand with the usual 0755, and files an earlier start left 0644: every
/// start takes other users' access away, from the database's -wal and -shm files too.
#[test]
fn every_start_makes_the_data_folder_private() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let set = |p: &std::path::Path, mode: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    set(&data, 0o755);
    for round in 0..2 {
        let mut child = serve(tmp.path());
        wait_for_banner(&mut child);
        assert_eq!(mode(&data), 0o700, "round {round}");
        let files: Vec<_> = std::fs::read_dir(&data)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for name in ["postern.db", "postern.db-wal", "postern.db-shm", "pepper"] {
            assert!(files.contains(&data.join(name)), "{name} in {files:?}");
        }
        for file in &files {
            assert_eq!(mode(file), 0o600, "round {round}: {}", file.display());
        }
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        // What an earlier version (or a careless copy) left behind.
        set(&data, 0o755);
        for file in std::fs::read_dir(&data).unwrap() {
            set(&file.unwrap().path(), 0o644);
        }
    }
}
