#!/usr/bin/env bash
# Runs every test credchain has, from a fresh clone: installs what is missing (scripts/setup.sh),
# then lints, unit and integration tests (conformance suites, botocore differential tests,
# zero-allocation proofs), the freestanding no_std image, the benches once in test mode, and a
# short smoke run of every fuzz target plus a replay of its committed corpus.
#
#   scripts/test.sh                  everything
#   FUZZ_SECONDS=60 scripts/test.sh  longer fuzz smoke runs (default 20 s per target)
#   CREDCHAIN_SKIP_FUZZ=1            skip the fuzz stage (no nightly toolchain needed)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# One target directory for the workspace, the freestanding image and the benches.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
# The hop-limit test builds network namespaces; where it cannot, it fails here instead of skipping.
# CREDCHAIN_REQUIRE_NETNS=0 lets it skip (loudly) on a machine without them.
export CREDCHAIN_REQUIRE_NETNS=${CREDCHAIN_REQUIRE_NETNS:-1}

stage() { printf '\n=== %s ===\n' "$*"; }
started=$(date +%s)
elapsed() { echo "$(( $(date +%s) - started ))s"; }

stage "setup"
scripts/setup.sh

stage "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

stage "unit, conformance, differential and zero-allocation tests ($(elapsed))"
cargo test --workspace --locked --no-fail-fast

stage "the AWS SDK bridge: credchain --features aws-sdk, its tests and its example ($(elapsed))"
# Same target dir: only credchain (with the feature) and the few aws-* crates are built here.
cargo clippy -p credchain --features aws-sdk --all-targets --locked -- -D warnings
cargo test -p credchain --features aws-sdk --locked --lib --test sdk_bridge
cargo test -p credchain --features aws-sdk --locked --doc sdk::
sdk_out=$(cargo run -q -p credchain --features aws-sdk --locked --example sdk_config)
printf '%s\n' "$sdk_out"
grep -qE '^  access key id  ASIA[A-Z0-9]{16}$' <<<"$sdk_out"
grep -qx '  source         iam-role' <<<"$sdk_out"
grep -qx '  session token  present (not shown)' <<<"$sdk_out"
grep -qE '^  expires        [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' <<<"$sdk_out"
grep -qx '  second call    same credentials (served by credchain'"'"'s cache)' <<<"$sdk_out"

stage "benches, once each in test mode ($(elapsed))"
cargo test -p credchain-benches --benches --locked

stage "freestanding no_std image ($(elapsed))"
tests/freestanding/check.sh

if [ "${CREDCHAIN_SKIP_FUZZ:-0}" != 1 ]; then
    stage "fuzz: build, ${FUZZ_SECONDS}s smoke run and corpus replay per target ($(elapsed))"
    fuzz/smoke.sh "$FUZZ_SECONDS"
fi

stage "all tests passed in $(elapsed)"
