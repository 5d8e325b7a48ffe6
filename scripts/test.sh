#!/usr/bin/env bash
# Runs every test of Postern: unit, property, integration (real servers, real clients,
# a real browser) on SQLite and again on PostgreSQL. Installs the
# programs the tests drive if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every test runs: a test whose program is missing fails instead of being skipped, as plain
# `cargo test` skips it (crates/testkit/src/needs.rs).
export CI=true

scripts/install-test-deps.sh
cargo test --workspace --locked
echo "== the integration tests again, on PostgreSQL"
STORE_UNDER_TEST=postgres cargo test --workspace --locked --test it
