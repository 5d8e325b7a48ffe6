//! The command line of product.md: every command, every error path, exit codes and the one
//! stderr line.

use crate::support::{run, run_with_stdin};

fn one_line_error(r: &crate::support::Ran, expected: &str) {
    assert_eq!(r.code, 1, "stdout: {} stderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "stdout: {}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "stderr: {}", r.stderr);
    assert!(
        r.stderr.contains(expected),
        "stderr {:?} lacks {expected:?}",
        r.stderr
    );
}

#[test]
fn accounts_addresses_and_devices() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();

    let r = run(dir, &["account", "create", "Ann@Example.com"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let generated = r.stdout.trim();
    assert_eq!(generated.len(), 19, "{generated}");
    let r = run_with_stdin(
        dir,
        &["account", "create", "bob@example.com", "--password-stdin"],
        "a long password\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    one_line_error(
        &run(dir, &["account", "create", "ann@example.com"]),
        "already exists",
    );
    one_line_error(
        &run_with_stdin(
            dir,
            &["account", "create", "c@example.com", "--password-stdin"],
            "short\n",
        ),
        "at least",
    );
    one_line_error(&run(dir, &["account", "create", "not-a-login"]), "login");

    assert_eq!(
        run(
            dir,
            &[
                "address",
                "create",
                "ann@example.com",
                "--owner",
                "ann@example.com"
            ]
        )
        .code,
        0
    );
    one_line_error(
        &run(
            dir,
            &[
                "address",
                "create",
                "ann@example.com",
                "--owner",
                "ann@example.com",
            ],
        ),
        "already exists",
    );
    one_line_error(
        &run(
            dir,
            &[
                "address",
                "create",
                "x@example.com",
                "--owner",
                "nobody@example.com",
            ],
        ),
        "no account nobody@example.com",
    );
    one_line_error(
        &run(
            dir,
            &[
                "address",
                "create",
                "not an email",
                "--owner",
                "ann@example.com",
            ],
        ),
        "email address",
    );

    let r = run(
        dir,
        &[
            "device",
            "create",
            "ann@example.com",
            "--description",
            "Phone",
            "--protocols",
            "imap,smtp",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let password = r.stdout.trim().to_owned();
    assert_eq!(r.stdout, format!("{password}\n"), "the password alone");
    assert_eq!(password.len(), 29);
    one_line_error(
        &run(
            dir,
            &[
                "device",
                "create",
                "nobody@example.com",
                "--description",
                "x",
            ],
        ),
        "no address nobody@example.com",
    );
    one_line_error(
        &run(dir, &["device", "create", "bad", "--description", "x"]),
        "email address",
    );
    one_line_error(
        &run(
            dir,
            &["device", "create", "ann@example.com", "--description", "  "],
        ),
        "description",
    );
    let long = "x".repeat(65);
    one_line_error(
        &run(
            dir,
            &[
                "device",
                "create",
                "ann@example.com",
                "--description",
                &long,
            ],
        ),
        "64 characters",
    );
    one_line_error(
        &run(
            dir,
            &[
                "device",
                "create",
                "ann@example.com",
                "--description",
                "ok",
                "--protocols",
                "ftp",
            ],
        ),
        "protocol",
    );

    let r = run(dir, &["device", "list", "ann@example.com", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let device = &list[0];
    for key in [
        "id",
        "description",
        "protocols",
        "state",
        "created_at",
        "last_used_at",
        "last_used_ip",
        "last_used_protocol",
        "client",
    ] {
        assert!(device.get(key).is_some(), "missing {key}");
    }
    assert_eq!(device["description"], "Phone");
    assert_eq!(device["protocols"], serde_json::json!(["imap", "smtp"]));
    assert_eq!(device["state"], "active");
    assert!(
        time::OffsetDateTime::parse(
            device["created_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );
    let id = device["id"].as_str().unwrap().to_owned();
    assert!(!r.stdout.contains(&password));

    let table = run(dir, &["device", "list", "ann@example.com"]);
    assert_eq!(table.code, 0);
    assert!(table.stdout.starts_with("ID"), "{}", table.stdout);
    assert!(table.stdout.contains(&id) && table.stdout.contains("Phone"));
    one_line_error(
        &run(dir, &["device", "list", "nobody@example.com"]),
        "no address",
    );

    one_line_error(
        &run(
            dir,
            &["device", "disconnect", "ann@example.com", "not-an-id"],
        ),
        "no active device",
    );
    one_line_error(
        &run(dir, &["device", "disconnect", "bob@example.com", &id]),
        "no address bob@example.com",
    );
    assert_eq!(
        run(
            dir,
            &[
                "address",
                "create",
                "bob@example.com",
                "--owner",
                "bob@example.com"
            ]
        )
        .code,
        0
    );
    one_line_error(
        &run(dir, &["device", "disconnect", "bob@example.com", &id]),
        "no active device",
    );
    let r = run(dir, &["device", "disconnect", "ann@example.com", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    one_line_error(
        &run(dir, &["device", "disconnect", "ann@example.com", &id]),
        "no active device",
    );
    let r = run(dir, &["device", "list", "ann@example.com", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list[0]["state"], "disconnected");
}

#[test]
fn devices_with_an_expiry() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    assert_eq!(run(dir, &["account", "create", "ann@example.com"]).code, 0);
    let owner = [
        "address",
        "create",
        "ann@example.com",
        "--owner",
        "ann@example.com",
    ];
    assert_eq!(run(dir, &owner).code, 0);
    let create = |extra: &[&str]| {
        let mut args = vec![
            "device",
            "create",
            "ann@example.com",
            "--description",
            "Temp",
        ];
        args.extend_from_slice(extra);
        run(dir, &args)
    };
    for (extra, expected) in [
        (
            &["--expires", "0d"][..],
            "--expires: the number of days must be between 1 and 3650",
        ),
        (&["--expires", "3651d"][..], "between 1 and 3650"),
        (&["--expires", "2001-01-01"][..], "--expires"),
        (&["--expires", "soon"][..], "--expires"),
        (&["--expires-unused", "0d"][..], "--expires-unused"),
        (&["--expires-unused", "3651"][..], "between 1 and 3650"),
        (
            &["--networks", "10.0.0.1/8"][..],
            "--networks: “10.0.0.1/8” has host bits set",
        ),
        (&["--networks", "10.0.0.0/8,,"][..], "--networks: an entry"),
        (&["--networks", "localhost"][..], "--networks"),
    ] {
        one_line_error(&create(extra), expected);
    }
    let r = run(dir, &["device", "list", "ann@example.com", "--json"]);
    assert_eq!(r.stdout.trim(), "[]", "nothing was created");

    let r = create(&[
        "--expires",
        "2099-01-31",
        "--expires-unused",
        "90d",
        "--networks",
        "192.0.2.0/24,2001:db8::/48",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = create(&[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(dir, &["device", "list", "ann@example.com", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(list[1]["expires_at"], "2099-01-31T00:00:00Z");
    assert_eq!(list[1]["expires_after_unused_days"], 90);
    assert_eq!(list[1]["state"], "active");
    assert_eq!(
        list[1]["networks"],
        serde_json::json!(["192.0.2.0/24", "2001:db8::/48"])
    );
    assert_eq!(list[0]["networks"], serde_json::json!([]));
    assert_eq!(list[0]["expires_at"], serde_json::Value::Null);
    assert_eq!(
        list[0]["expires_after_unused_days"],
        serde_json::Value::Null
    );
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["device"][..],
        &["device", "frobnicate"],
        &["device", "create", "a@example.com"],
        &["address", "create", "a@example.com"],
        &["--no-such-flag"],
    ] {
        let r = run(tmp.path(), args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
}

#[test]
fn configuration_errors_are_one_line() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run(
        tmp.path(),
        &[
            "device",
            "list",
            "a@example.com",
            "--config",
            "/nonexistent/postern.toml",
        ],
    );
    one_line_error(&r, "cannot read");
    let config = tmp.path().join("bad.toml");
    std::fs::write(&config, "[imap]\nlisten = \"nowhere\"\n").unwrap();
    one_line_error(
        &run(
            tmp.path(),
            &[
                "device",
                "list",
                "a@example.com",
                "--config",
                config.to_str().unwrap(),
            ],
        ),
        "imap.listen",
    );
}

/// A start-up error names what failed and, on the same line, why: the whole chain of causes.
#[test]
fn start_up_errors_print_their_whole_cause() {
    let tmp = tempfile::tempdir().unwrap();
    let serve = |data: &std::path::Path, cert: Option<&str>| {
        let mut cmd = crate::support::postern(data);
        cmd.arg("serve");
        for key in ["WEB", "IMAP", "SMTP", "POP3", "LMTP"] {
            cmd.env(format!("POSTERN_{key}__LISTEN"), "127.0.0.1:0");
        }
        if let Some(cert) = cert {
            cmd.env("POSTERN_TLS__CERT", cert)
                .env("POSTERN_TLS__KEY", cert);
        }
        crate::support::ran(cmd.output().unwrap())
    };

    let missing = tmp.path().join("missing/cert.pem");
    let r = serve(&tmp.path().join("data"), Some(missing.to_str().unwrap()));
    one_line_error(&r, "");
    assert_eq!(
        r.stderr,
        format!(
            "postern: cannot read {}: No such file or directory (os error 2)\n",
            missing.display()
        )
    );

    let file = tmp.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let r = serve(&file.join("data"), None);
    one_line_error(&r, "");
    assert_eq!(
        r.stderr,
        format!(
            "postern: cannot create the data directory {}: Not a directory (os error 20)\n",
            file.join("data").display()
        )
    );
}
