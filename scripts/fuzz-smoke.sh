#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for a short while, one after the other, starting from the
# committed seed sessions in fuzz/seeds/<target>/ (new finds go to fuzz/corpus/<target>/,
# which git ignores). Fails on the first crash, leak of a panic, time-out or memory blow-up;
# libFuzzer leaves the input that did it in fuzz/artifacts/<target>/.
#
#   FUZZ_SECONDS   time per target (default 20)
#   FUZZ_TARGETS   space-separated targets to run (default: all of `cargo fuzz list`)
#   FUZZ_SANITIZER sanitizer for cargo fuzz (default none; `address` needs a nightly
#                  toolchain and uses `cargo +nightly`)
#
# Why stable with `-s none` by default: it is the one toolchain every machine has, and the
# targets fuzz safe Rust, where what there is to find (panics, failed assertions, endless
# loops, unbounded memory) shows without AddressSanitizer, at about twice the speed.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-20}"
sanitizer="${FUZZ_SANITIZER:-none}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

cargo_fuzz=(cargo fuzz)
if [ "$sanitizer" != none ]; then
    cargo_fuzz=(cargo +nightly fuzz)
fi
# `-O`: debug assertions come from fuzz/Cargo.toml's profile, per package, not for all.
build_flags=(--fuzz-dir fuzz -O -s "$sanitizer")

targets="${FUZZ_TARGETS:-$(cargo fuzz list --fuzz-dir fuzz)}"
# One build for all targets, so that the timed runs below are fuzzing, not compiling.
"${cargo_fuzz[@]}" build "${build_flags[@]}"

for target in $targets; do
    corpus="fuzz/corpus/$target"
    seeds="fuzz/seeds/$target"
    mkdir -p "$corpus"
    dirs=("$corpus")
    if [ -d "$seeds" ]; then
        dirs+=("$seeds")
    fi
    log="fuzz/corpus/$target.log"
    echo "== fuzzing $target for ${seconds}s"
    if ! "${cargo_fuzz[@]}" run "${build_flags[@]}" "$target" "${dirs[@]}" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -60 "$log"
        echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || tail -3 "$log"
done
echo "fuzzing passed: $(echo "$targets" | wc -w) targets, ${seconds}s each"
