//! What a test needs beyond Rust: the programs it drives (a browser, PostgreSQL, Postfix,
//! mail clients) and the tools `scripts/install-test-deps.sh` installs.
//!
//! A test that drives one starts with [`requires`]. On a machine that lacks something, plain
//! `cargo test` skips that test and says so on one line of standard error, so that a quick
//! run still covers everything else; with `CI` set (as `scripts/test.sh` and CI set it) the
//! test fails instead, so that nothing is skipped where the whole suite must run.
//!
//! Programs are looked up on `PATH`, the same way the tests start them, so a `PATH` that
//! hides a program shows what the suite does on a machine without it.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Something a test needs that plain `cargo test` does not bring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Chromium and chromedriver, for the browser tests.
    Chromium,
    /// PostgreSQL's server programs and `psql`, for a throwaway cluster.
    Postgres,
    /// Postfix, run as root, delivering over LMTP.
    Postfix,
    /// swaks, an SMTP client of its own.
    Swaks,
    /// mbsync, synchronising both ways.
    Mbsync,
    /// curl, with its `imap://` and `imaps://`.
    Curl,
    /// Python 3, for imaplib, smtplib, poplib and the email parser.
    Python3,
    /// Schemathesis, installed from PyPI under `target/test-tools`.
    Schemathesis,
    /// IMAPClient's live tests, installed from PyPI under `target/test-tools`.
    ImapclientLivetest,
    /// `fail2ban-regex`, reading the sign-in log with the documented filter.
    Fail2ban,
    /// Dovecot's imaptest: its scripts outside the project, and either a build of it or what
    /// building it takes.
    Imaptest,
}

impl Need {
    /// What is missing for this need, said for a person; `None` when nothing is.
    pub fn missing(self) -> Option<String> {
        let lacking = |found: bool, what: &str| (!found).then(|| what.to_owned());
        match self {
            Need::Chromium => lacking(
                chromium().is_some() && program("chromedriver").is_some(),
                "Chromium and chromedriver (Debian packages chromium, chromium-driver)",
            ),
            Need::Postgres => lacking(
                postgres_bin_dir().is_some()
                    && program("psql").is_some()
                    && (!is_root() || program("runuser").is_some()),
                "PostgreSQL (Debian packages postgresql, postgresql-client)",
            ),
            Need::Postfix => {
                if program("postfix").is_none() {
                    Some("Postfix (Debian package postfix)".into())
                } else {
                    // Postfix's master process starts as root and drops to its own user.
                    lacking(is_root(), "root, to start a Postfix instance")
                }
            }
            Need::Swaks => lacking(program("swaks").is_some(), "swaks (Debian package swaks)"),
            Need::Mbsync => lacking(program("mbsync").is_some(), "mbsync (Debian package isync)"),
            Need::Curl => lacking(program("curl").is_some(), "curl (Debian package curl)"),
            Need::Python3 => lacking(
                program("python3").is_some(),
                "python3 (Debian package python3)",
            ),
            Need::Schemathesis => lacking(
                schemathesis().exists(),
                "Schemathesis in target/test-tools (scripts/install-test-deps.sh installs it)",
            ),
            Need::ImapclientLivetest => lacking(
                imapclient_python().exists(),
                "IMAPClient's live tests in target/test-tools \
                 (scripts/install-test-deps.sh installs them)",
            ),
            Need::Fail2ban => lacking(
                program("fail2ban-regex").is_some(),
                "fail2ban-regex (Debian package fail2ban)",
            ),
            Need::Imaptest => imaptest_missing(),
        }
    }
}

/// Whether the calling test may go on: true when nothing in `needs` is missing. When
/// something is, and `CI` is not set, prints one line naming the test and what it needs,
/// and returns false (the test returns at once and counts as passed); with `CI` set, the
/// test fails with that line instead.
pub fn requires(needs: &[Need]) -> bool {
    let missing: Vec<String> = needs.iter().filter_map(|n| n.missing()).collect();
    if missing.is_empty() {
        return true;
    }
    // libtest names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let needs = missing.join(", ");
    if strict() {
        panic!("{test}: needs {needs} (CI is set, so nothing is skipped)");
    }
    // Straight to the standard error, past libtest's capture, which would hide the line
    // of a test that passes; in one write, so that the lines of tests running at the same
    // time do not cut into it.
    let line = format!("skipped {test}: needs {needs}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

/// Fails the calling test when `need` is missing, whether `CI` is set or not: for code that
/// cannot skip, such as the store of every test when `STORE_UNDER_TEST=postgres` asks for
/// PostgreSQL.
pub fn insist(need: Need) {
    if let Some(missing) = need.missing() {
        let thread = std::thread::current();
        let test = thread.name().unwrap_or("a test");
        panic!("{test}: needs {missing}");
    }
}

/// Whether nothing may be skipped: `CI` is set to anything but empty, `0` or `false`.
fn strict() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The executable `name` on `PATH`, as `Command::new(name)` would find it.
pub fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Debian's Chromium on `PATH`, under either of its names.
pub fn chromium() -> Option<PathBuf> {
    program("chromium").or_else(|| program("chromium-browser"))
}

/// The newest PostgreSQL's server programs (Debian keeps them off `PATH`).
pub fn postgres_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|d| is_executable(&d.join("initdb")) && is_executable(&d.join("postgres")))
        .collect();
    dirs.sort();
    dirs.pop()
}

/// Whether this process runs as root (its effective user id, the third field of
/// /proc/self/status's Uid line).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// The checkout this crate was built from (two levels above it).
fn checkout() -> PathBuf {
    let testkit = Path::new(env!("CARGO_MANIFEST_DIR"));
    testkit.ancestors().nth(2).unwrap_or(testkit).to_path_buf()
}

/// Where `scripts/install-test-deps.sh` puts the tools that come from PyPI, and where
/// imaptest is built: `target/test-tools` in the checkout.
pub fn test_tools() -> PathBuf {
    checkout().join("target/test-tools")
}

/// Schemathesis's command.
pub fn schemathesis() -> PathBuf {
    test_tools().join("schemathesis/bin/st")
}

/// The Python of the virtual environment that holds IMAPClient's live tests.
pub fn imapclient_python() -> PathBuf {
    test_tools().join("imapclient/bin/python")
}

/// imaptest's build and run scripts, which stay outside the project: `$IMAPTEST_TOOLS`,
/// else `shared/tools/imaptest` in the checkout's parent folder or the nearest one above it
/// that has it; `None` when the folder found holds no `run.sh`.
pub fn imaptest_scripts() -> Option<PathBuf> {
    let has_scripts = |dir: &PathBuf| dir.join("run.sh").exists();
    if let Some(dir) = std::env::var_os("IMAPTEST_TOOLS") {
        return Some(PathBuf::from(dir)).filter(has_scripts);
    }
    checkout()
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("shared/tools/imaptest"))
        .find(has_scripts)
}

/// Where imaptest is built, once for every run.
pub fn imaptest_build() -> PathBuf {
    test_tools().join("imaptest")
}

fn imaptest_missing() -> Option<String> {
    if imaptest_scripts().is_none() {
        return Some(
            "imaptest's scripts (shared/tools/imaptest beside the checkout, or \
             IMAPTEST_TOOLS naming their folder)"
                .into(),
        );
    }
    let mut lacking = Vec::new();
    // The scripts are bash, and one build at a time is kept by flock.
    for (program_name, package) in [("bash", "bash"), ("flock", "util-linux")] {
        if program(program_name).is_none() {
            lacking.push(format!("{program_name} (Debian package {package})"));
        }
    }
    let dovecot = std::fs::read_dir("/usr/lib/dovecot").is_ok_and(|d| {
        d.filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("libdovecot.so"))
    });
    if !dovecot {
        lacking.push("libdovecot (Debian package dovecot-core)".into());
    }
    let built = imaptest_build().join("imaptest").exists();
    if !built {
        let tools = [
            ("autoconf", "autoconf"),
            ("automake", "automake"),
            ("libtoolize", "libtool"),
            ("make", "make"),
            ("gcc", "gcc"),
            ("pkg-config", "pkg-config"),
        ];
        for (program_name, package) in tools {
            if program(program_name).is_none() {
                lacking.push(format!(
                    "{program_name} (Debian package {package}) to build imaptest"
                ));
            }
        }
        if !Path::new("/usr/include/dovecot/lib.h").exists() {
            lacking.push("Dovecot's headers (Debian package dovecot-dev) to build imaptest".into());
        }
    }
    (!lacking.is_empty()).then(|| lacking.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_is_found_on_path_and_a_made_up_one_is_not() {
        assert!(program("sh").is_some());
        assert!(program("no-such-program-postern-knows").is_none());
    }

    #[test]
    fn nothing_missing_lets_the_test_go_on() {
        assert!(requires(&[]));
    }
}
