#!/usr/bin/env bash
# Installs what credchain's tests need on a fresh machine, and nothing twice:
#   - python3 with botocore 1.43.11 (the oracle the differential tests ask) and moto's server;
#   - the nightly toolchain's cargo-fuzz (fuzz smoke runs and corpus replay);
#   - binutils (nm, readelf) for the freestanding image's symbol checks;
#   - iproute2 (ip netns, veth) for the IMDS hop-limit test one routed hop away.
# Safe to run again: every step first checks whether its tool is already there.
set -euo pipefail

BOTOCORE_VERSION=1.43.11

say() { printf '[setup] %s\n' "$*"; }

if ! command -v python3 >/dev/null 2>&1; then
    say "python3 missing: installing it from Debian's packages"
    apt-get update -qq && apt-get install -y -qq python3 python3-pip >/dev/null
fi

have_botocore=$(python3 -c "import botocore; print(botocore.__version__)" 2>/dev/null || true)
if [ "$have_botocore" != "$BOTOCORE_VERSION" ]; then
    say "installing botocore==$BOTOCORE_VERSION (found: ${have_botocore:-none})"
    python3 -m pip install --quiet --disable-pip-version-check "botocore==$BOTOCORE_VERSION"
fi
say "botocore $(python3 -c 'import botocore; print(botocore.__version__)')"

# moto's server: a second IMDS peer for credchain-http's tests, and the STS that credchain and
# botocore both resolve roles against (crates/credchain/tests/moto_sts.rs).
MOTO_VERSION=5.2.1
have_moto=$(python3 -c "import moto, moto.server; print(moto.__version__)" 2>/dev/null || true)
if [ "$have_moto" != "$MOTO_VERSION" ]; then
    say "installing moto[server]==$MOTO_VERSION (found: ${have_moto:-none})"
    python3 -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

if ! command -v nm >/dev/null 2>&1 || ! command -v readelf >/dev/null 2>&1; then
    say "installing binutils"
    apt-get update -qq && apt-get install -y -qq binutils >/dev/null
fi

if ! command -v ip >/dev/null 2>&1; then
    say "installing iproute2"
    apt-get update -qq && apt-get install -y -qq iproute2 >/dev/null
fi

if [ "${CREDCHAIN_SKIP_FUZZ:-0}" != 1 ]; then
    if ! rustup toolchain list | grep -q '^nightly'; then
        say "installing the nightly toolchain"
        rustup toolchain install nightly --profile minimal
    fi
    if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
        say "installing cargo-fuzz from crates.io"
        cargo install cargo-fuzz --locked --quiet
    fi
    say "$(cargo +nightly fuzz --version)"
fi
