//! Helpers shared by the integration tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `postern` binary built for these tests.
pub fn postern_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_postern"))
}

/// A `postern` command working on the data directory `data_dir`, with no other
/// `POSTERN_*` variable leaking in from the environment.
pub fn postern(data_dir: &Path) -> Command {
    let mut cmd = Command::new(postern_bin());
    for (key, _) in std::env::vars() {
        if key.starts_with("POSTERN_") {
            cmd.env_remove(key);
        }
    }
    cmd.env("POSTERN_DATA_DIR", data_dir)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    cmd
}

/// What a finished command printed.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a `postern` command with `args` and collects its output.
pub fn run(data_dir: &Path, args: &[&str]) -> Ran {
    ran(postern(data_dir).args(args).output().expect("postern runs"))
}

/// Runs a `postern` command with `stdin` as its standard input.
pub fn run_with_stdin(data_dir: &Path, args: &[&str], stdin: &str) -> Ran {
    use std::io::Write;
    let mut child = postern(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("postern runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    ran(child.wait_with_output().expect("postern finishes"))
}

/// What a finished command printed, collected.
pub fn ran(out: Output) -> Ran {
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
