//! Reading the IMDS credentials document (spec §4.7): credchain beside serde_json and
//! serde-json-core, in one criterion group so that one run compares them.
//!
//! Lines (see `BENCHMARKS.md` for figures):
//! - `credchain/parse`: `ImdsCredentials::parse`, the validated borrowed view.
//! - `credchain/parse+token+expiration`: what a caller does next: the token decoded into a
//!   stack buffer and the expiration read into a `Timestamp`.
//! - `serde_json/owned`: `serde_json::from_str` into a struct of `String`s.
//! - `serde_json/borrowed`: `serde_json::from_str` into a struct of `Cow<str>`.
//! - `serde_json_core/borrowed`: `serde_json_core::from_str` into a struct of `&str`.
//!
//! `cargo bench -p credchain-benches --bench imds_document` measures; `cargo test --benches`
//! runs each line once.

#![allow(
    clippy::expect_used,
    reason = "a bench whose workload fails must stop loudly"
)]

use std::hint::black_box;
use std::time::Duration;

use credchain_benches::{IMDS_DOCUMENT, imds};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn imds_document(c: &mut Criterion) {
    let doc = IMDS_DOCUMENT;
    // Every line must do its job before it is timed (this is also what test mode checks).
    imds::credchain_parse(doc).expect("credchain parses the document");
    imds::credchain_full(doc).expect("credchain reads token and expiration");
    imds::serde_json_owned(doc).expect("serde_json (owned) parses the document");
    imds::serde_json_borrowed(doc).expect("serde_json (borrowed) parses the document");
    imds::serde_json_core(doc).expect("serde-json-core parses the document");

    let mut group = c.benchmark_group("imds_document");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function("credchain/parse", |b| {
        b.iter(|| imds::credchain_parse(black_box(doc)))
    });
    group.bench_function("credchain/parse+token+expiration", |b| {
        b.iter(|| imds::credchain_full(black_box(doc)))
    });
    group.bench_function("serde_json/owned", |b| {
        b.iter(|| imds::serde_json_owned(black_box(doc)))
    });
    group.bench_function("serde_json/borrowed", |b| {
        b.iter(|| imds::serde_json_borrowed(black_box(doc)))
    });
    group.bench_function("serde_json_core/borrowed", |b| {
        b.iter(|| imds::serde_json_core(black_box(doc)))
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
    targets = imds_document
}
criterion_main!(benches);
