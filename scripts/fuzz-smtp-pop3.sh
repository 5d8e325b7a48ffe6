#!/usr/bin/env bash
# Runs the SMTP, LMTP and POP3 session fuzz targets briefly, one after the other.
# FUZZ_SECONDS sets the time per target (default 20). Needs cargo-fuzz
# (`cargo install cargo-fuzz`); uses a nightly toolchain when one is installed, and
# stable without sanitizers (`-s none`) otherwise.
set -euo pipefail

cd "$(dirname "$0")/../fuzz"
seconds="${FUZZ_SECONDS:-20}"

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    run=(cargo +nightly fuzz run)
else
    run=(cargo fuzz run -s none)
fi

for target in smtp_session lmtp_session pop3_session; do
    echo "== $target (${seconds}s)"
    "${run[@]}" "$target" -- -max_total_time="$seconds" -max_len=4096
done
