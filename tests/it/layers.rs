//! The layering rules of the workspace, checked on the sources: protocol crates and the web
//! app depend on the domain, never on the store, and nothing outside the domain reaches the
//! whole store or announces a mailbox change itself (the domain's mailbox service does both
//! in one step).

use std::fs;
use std::path::{Path, PathBuf};

/// The crates that serve users; they reach storage only through `postern-domain`.
const EDGES: [&str; 5] = ["imap", "pop3", "smtp", "web", "net"];

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names of the dependencies listed in the manifest's normal and build dependency tables.
fn dependencies(manifest: &str) -> Vec<String> {
    let value: toml::Table = manifest.parse().unwrap();
    ["dependencies", "build-dependencies"]
        .iter()
        .filter_map(|t| value.get(*t).and_then(|v| v.as_table()))
        .flat_map(|t| t.keys().cloned())
        .collect()
}

/// The Rust sources of a crate, without its unit-test modules (which build their own store).
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                sources(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

#[test]
fn no_edge_crate_depends_on_the_store() {
    for name in EDGES {
        let manifest =
            fs::read_to_string(workspace().join("crates").join(name).join("Cargo.toml")).unwrap();
        let deps = dependencies(&manifest);
        assert!(
            !deps.iter().any(|d| d == "postern-store"),
            "crates/{name} depends on postern-store; reach storage through postern-domain"
        );
    }
}

#[test]
fn nothing_outside_the_domain_reaches_the_store_or_announces_changes() {
    let mut files = Vec::new();
    for name in EDGES.iter().chain(&["server", "testkit", "loadgen"]) {
        sources(
            &workspace().join("crates").join(name).join("src"),
            &mut files,
        );
    }
    assert!(files.len() > 50, "the sources were not found");
    let mut offences = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            if line.contains(".store()") || line.contains("mailbox_changes.notify") {
                offences.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        offences.is_empty(),
        "call the domain's services (Core::mailboxes() for mail) instead:\n{}",
        offences.join("\n")
    );
}
