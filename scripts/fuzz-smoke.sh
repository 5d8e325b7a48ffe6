#!/usr/bin/env bash
# Runs every fuzz target for a short while on stable Rust (cargo fuzz with -s none).
# FUZZ_SECONDS sets the time per target (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-30}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
for target in $(cargo fuzz list --fuzz-dir fuzz); do
    corpus="fuzz/corpus/$target"
    seeds="fuzz/seeds/$target"
    mkdir -p "$corpus"
    dirs=("$corpus")
    if [ -d "$seeds" ]; then
        dirs+=("$seeds")
    fi
    echo "fuzzing $target for ${seconds}s"
    cargo fuzz run --fuzz-dir fuzz -s none "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20
done
