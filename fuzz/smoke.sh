#!/usr/bin/env bash
# Builds every fuzz target, replays its committed seed corpus, then fuzzes it for a few seconds.
#   fuzz/smoke.sh [SECONDS]      (default 20 per target; FUZZ_JOBS targets at a time, default 2)
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

# Replay every committed corpus first (quick), then fuzz the targets FUZZ_JOBS at a time (default 2:
# one per core of a CI machine; libFuzzer runs one thread), each for the full SECONDS.
for t in $targets; do
    seeds="seeds/$t"
    [ -d "$seeds" ] || { echo "fuzz target $t has no seed corpus in fuzz/$seeds"; exit 1; }
    n=$(find "$seeds" -type f | wc -l)
    echo "--- $t: replaying $n seeds"
    cargo +nightly fuzz run "$t" "$seeds" -- -runs=0 2>&1 | tail -n 2
done

smoke_one() {
    local t=$1 status=0
    mkdir -p "$scratch/$t"
    cargo +nightly fuzz run "$t" "$scratch/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        >"$scratch/$t.log" 2>&1 || status=$?
    echo "--- $t: fuzzed for ${seconds}s (exit $status)"
    tail -n 3 "$scratch/$t.log"
    if [ "$status" != 0 ]; then
        echo "--- $t FAILED; its log:"
        tail -n 60 "$scratch/$t.log"
    fi
    return "$status"
}
export -f smoke_one
export seconds scratch
# xargs exits non-zero (and so does this script) when any target fails.
printf '%s\n' $targets | xargs -P "${FUZZ_JOBS:-2}" -I{} bash -c 'smoke_one "$1"' _ {}
echo "fuzz smoke: $(echo "$targets" | wc -w) targets passed"
