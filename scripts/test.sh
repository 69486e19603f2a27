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

stage "benches, once each in test mode ($(elapsed))"
cargo test -p credchain-benches --benches --locked

stage "freestanding no_std image ($(elapsed))"
tests/freestanding/check.sh

if [ "${CREDCHAIN_SKIP_FUZZ:-0}" != 1 ]; then
    stage "fuzz: build, ${FUZZ_SECONDS}s smoke run and corpus replay per target ($(elapsed))"
    fuzz/smoke.sh "$FUZZ_SECONDS"
fi

stage "all tests passed in $(elapsed)"
