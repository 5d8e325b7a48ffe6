//! The first start's account password: shown on the terminal when someone is watching it,
//! otherwise written to a file only the server's user can read, since standard output that
//! is not a terminal usually ends up in a journal or a log file that others may read.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Result;
use postern_domain::accounts::FirstAccount;
use secrecy::{ExposeSecret, SecretString};

use crate::setup;

/// The file in the data directory that holds the first account's password when standard
/// output is not a terminal.
pub const FILE_NAME: &str = "first-account.txt";

/// Tells how to sign in to the account made on first start: on standard output when it is a
/// terminal, else through [`write_file`], with a line on standard output and in the log that
/// says where (never the password).
pub fn announce(first: &FirstAccount, data_dir: &Path, public_url: &str) -> Result<()> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let shown = Shown {
        login: first.account.login.as_str(),
        email: first.address.email.as_str(),
        password: &first.password,
        public_url,
    };
    announce_to(&shown, data_dir, terminal, &mut stdout.lock())
}

/// What the first start tells.
struct Shown<'a> {
    login: &'a str,
    email: &'a str,
    password: &'a SecretString,
    public_url: &'a str,
}

/// Writes the file when the output is not a terminal, then prints. Only the file is needed:
/// output nobody reads (a closed pipe) is logged and the server carries on.
fn announce_to(
    shown: &Shown<'_>,
    data_dir: &Path,
    terminal: bool,
    out: &mut impl Write,
) -> Result<()> {
    let file = if terminal {
        None
    } else {
        let path = write_file(shown, data_dir)?;
        tracing::warn!(
            "first start: the password of the account {} is in {} (readable by this user only); \
             delete the file once read",
            shown.login,
            path.display()
        );
        Some(path)
    };
    if let Err(e) = print(shown, file.as_deref(), out) {
        tracing::warn!("first start: could not print how to sign in: {e}");
    }
    Ok(())
}

/// How to sign in: the password itself, or the file that holds it.
fn print(shown: &Shown<'_>, file: Option<&Path>, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "First start: created the account {} with the address {}.",
        shown.login, shown.email
    )?;
    writeln!(out, "Sign in at {} with", shown.public_url)?;
    writeln!(out, "  Login:    {}", shown.login)?;
    match file {
        None => {
            writeln!(out, "  Password: {}", shown.password.expose_secret())?;
            writeln!(
                out,
                "This password is shown only this once; change it in the web app."
            )?;
        }
        Some(path) => {
            writeln!(out, "  Password: in {}", path.display())?;
            writeln!(
                out,
                "Read it, delete the file and change the password in the web app."
            )?;
        }
    }
    out.flush()
}

/// Writes the login and password to `data_dir/first-account.txt`, readable by its owner only,
/// replacing a file left by an earlier store. Returns its path.
fn write_file(shown: &Shown<'_>, data_dir: &Path) -> Result<PathBuf> {
    setup::prepare_data_dir(data_dir)?;
    let path = data_dir.join(FILE_NAME);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let text = format!(
        "Postern: the account made on first start.\n\
         Sign in at {} with\n\
         Login: {}\n\
         Password: {}\n\
         Change the password in the web app, then delete this file.\n",
        shown.public_url,
        shown.login,
        shown.password.expose_secret()
    );
    setup::write_private(&path, text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn shown(password: &SecretString) -> Shown<'_> {
        Shown {
            login: "admin@localhost",
            email: "admin@localhost",
            password,
            public_url: "http://127.0.0.1:8080",
        }
    }

    #[test]
    fn on_a_terminal_the_password_is_printed_and_no_file_is_made() {
        let tmp = tempfile::tempdir().unwrap();
        let password = SecretString::from("4k2m-8vzt-q1nc-7hsd");
        let mut out = Vec::new();
        announce_to(&shown(&password), tmp.path(), true, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("  Password: 4k2m-8vzt-q1nc-7hsd\n"), "{out}");
        assert!(!tmp.path().join(FILE_NAME).exists());
    }

    #[test]
    fn elsewhere_the_password_goes_to_a_private_file() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir(&data).unwrap();
        // A file left from an earlier store, readable by all, is replaced.
        std::fs::write(data.join(FILE_NAME), "old").unwrap();
        std::fs::set_permissions(data.join(FILE_NAME), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let password = SecretString::from("4k2m-8vzt-q1nc-7hsd");
        let mut out = Vec::new();
        announce_to(&shown(&password), &data, false, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(!out.contains("4k2m"), "{out}");
        let path = data.join(FILE_NAME);
        assert!(
            out.contains(&format!("  Password: in {}\n", path.display())),
            "{out}"
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("Password: 4k2m-8vzt-q1nc-7hsd\n"), "{text}");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
