#!/usr/bin/env bash
# Builds every fuzz target, replays its committed seed corpus, then fuzzes it for a few seconds.
#   fuzz/smoke.sh [SECONDS]      (default 20 per target)
# New inputs found during the smoke run go to a scratch directory, never into the repository;
# a crash leaves its reproducer under fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
# The fuzz workspace builds with sanitizers on nightly: keep its artifacts apart from the
# main workspace's even when CARGO_TARGET_DIR is shared.
if [ -n "${CARGO_TARGET_DIR:-}" ]; then export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz"; fi

targets=$(cargo +nightly fuzz list)
# cargo-fuzz has no --locked: check that Cargo.lock is complete and current first.
cargo +nightly metadata --locked --format-version 1 >/dev/null
cargo +nightly fuzz build
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for t in $targets; do
    seeds="seeds/$t"
    [ -d "$seeds" ] || { echo "fuzz target $t has no seed corpus in fuzz/$seeds"; exit 1; }
    n=$(find "$seeds" -type f | wc -l)
    echo "--- $t: replaying $n seeds"
    cargo +nightly fuzz run "$t" "$seeds" -- -runs=0 2>&1 | tail -n 2
    echo "--- $t: fuzzing for ${seconds}s"
    mkdir -p "$scratch/$t"
    cargo +nightly fuzz run "$t" "$scratch/$t" "$seeds" -- \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 2>&1 | tail -n 3
done
echo "fuzz smoke: $(echo "$targets" | wc -w) targets passed"
