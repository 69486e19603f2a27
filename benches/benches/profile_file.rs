//! Reading a 50-profile `~/.aws/config` (spec §3): credchain in both dialects beside
//! `rust-ini` and `configparser`, in one run.
//!
//! Two groups:
//! - `profile_file`: parse, then visit every section, key and value — the whole map the peers
//!   build (credchain walks its borrowed view; the peers walk the maps they allocated).
//! - `profile_file_lookup`: parse, find `[profile team42-prod]`, read `region` — what a
//!   credential resolver does with the file.
//!
//! Lines in each: `credchain/botocore`, `credchain/sdk` (`Dialect::Botocore` / `Dialect::Sdk`),
//! `rust-ini` (`Ini::load_from_str`), `configparser` (`Ini::new()` with multi-line values, then
//! `read(String)`; the `String` it takes by value is made outside the timed routine).
//!
//! `cargo bench -p credchain-benches --bench profile_file` measures; `cargo test --benches`
//! runs each line once.

#![allow(
    clippy::expect_used,
    reason = "a bench whose workload fails must stop loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use credchain_benches::{CONFIG_50_PROFILES, LOOKUP_PROFILE, LOOKUP_SECTION, profile};
use credchain_core::profile::Dialect;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

const DIALECTS: [(&str, Dialect); 2] = [
    ("credchain/botocore", Dialect::Botocore),
    ("credchain/sdk", Dialect::Sdk),
];

fn visit(c: &mut Criterion) {
    let text = CONFIG_50_PROFILES;
    for (_, dialect) in DIALECTS {
        profile::credchain_visit(text, dialect).expect("credchain parses the config");
    }
    profile::rust_ini_visit(text).expect("rust-ini parses the config");
    profile::configparser_visit(text.to_owned()).expect("configparser parses the config");

    let mut group = c.benchmark_group("profile_file");
    group.throughput(Throughput::Bytes(text.len() as u64));
    for (name, dialect) in DIALECTS {
        group.bench_function(name, |b| {
            b.iter(|| profile::credchain_visit(black_box(text), dialect))
        });
    }
    group.bench_function("rust-ini", |b| {
        b.iter(|| profile::rust_ini_visit(black_box(text)))
    });
    group.bench_function("configparser", |b| {
        b.iter_batched(
            || text.to_owned(),
            |owned| profile::configparser_visit(black_box(owned)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn lookup(c: &mut Criterion) {
    let text = CONFIG_50_PROFILES;
    for (_, dialect) in DIALECTS {
        profile::credchain_lookup(text, dialect, LOOKUP_PROFILE).expect("credchain finds region");
    }
    profile::rust_ini_lookup(text, LOOKUP_SECTION).expect("rust-ini finds region");
    profile::configparser_lookup(text.to_owned(), LOOKUP_SECTION)
        .expect("configparser finds region");

    let mut group = c.benchmark_group("profile_file_lookup");
    group.throughput(Throughput::Bytes(text.len() as u64));
    for (name, dialect) in DIALECTS {
        group.bench_function(name, |b| {
            b.iter(|| {
                profile::credchain_lookup(black_box(text), dialect, black_box(LOOKUP_PROFILE))
            })
        });
    }
    group.bench_function("rust-ini", |b| {
        b.iter(|| profile::rust_ini_lookup(black_box(text), black_box(LOOKUP_SECTION)))
    });
    group.bench_function("configparser", |b| {
        b.iter_batched(
            || text.to_owned(),
            |owned| profile::configparser_lookup(black_box(owned), black_box(LOOKUP_SECTION)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = visit, lookup
}
criterion_main!(benches);
