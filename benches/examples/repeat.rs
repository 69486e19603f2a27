//! Runs one bench line a given number of times, for a profiler that counts instructions rather
//! than time (the benches' machine is shared and noisy; instruction counts are not):
//!
//! ```text
//! cargo build --profile bench -p credchain-benches --example repeat
//! valgrind --tool=callgrind target/release/examples/repeat profile_file/credchain/botocore 100
//! ```
//!
//! Running it twice, with `n` and `2n` iterations, and dividing the difference by `n` gives the
//! instructions of one iteration (start-up cancels out). `repeat list` prints the line names.

#![allow(clippy::panic, reason = "a command-line tool stops on bad arguments")]

use std::hint::black_box;

use credchain_benches::{
    CONFIG_50_PROFILES, IMDS_DOCUMENT, LOOKUP_PROFILE, LOOKUP_SECTION, imds, profile,
};
use credchain_core::profile::Dialect;

/// A bench line: its name, and one iteration of it (`false` if it failed).
type Line = (&'static str, fn() -> bool);

/// Every line of every bench, by the name criterion gives it. configparser's lines include
/// copying the text into the `String` its `read` takes (7 KB; negligible beside the parse).
const LINES: [Line; 13] = [
    ("imds_document/credchain/parse", || {
        imds::credchain_parse(black_box(IMDS_DOCUMENT)).is_ok()
    }),
    ("imds_document/credchain/parse+token+expiration", || {
        imds::credchain_full(black_box(IMDS_DOCUMENT)).is_some()
    }),
    ("imds_document/serde_json/owned", || {
        imds::serde_json_owned(black_box(IMDS_DOCUMENT)).is_ok()
    }),
    ("imds_document/serde_json/borrowed", || {
        imds::serde_json_borrowed(black_box(IMDS_DOCUMENT)).is_ok()
    }),
    ("imds_document/serde_json_core/borrowed", || {
        imds::serde_json_core(black_box(IMDS_DOCUMENT)).is_ok()
    }),
    ("profile_file/credchain/botocore", || {
        profile::credchain_visit(black_box(CONFIG_50_PROFILES), Dialect::Botocore).is_some()
    }),
    ("profile_file/credchain/sdk", || {
        profile::credchain_visit(black_box(CONFIG_50_PROFILES), Dialect::Sdk).is_some()
    }),
    ("profile_file/rust-ini", || {
        profile::rust_ini_visit(black_box(CONFIG_50_PROFILES)).is_some()
    }),
    ("profile_file/configparser", || {
        profile::configparser_visit(black_box(CONFIG_50_PROFILES).to_owned()).is_some()
    }),
    ("profile_file_lookup/credchain/botocore", || {
        profile::credchain_lookup(
            black_box(CONFIG_50_PROFILES),
            Dialect::Botocore,
            LOOKUP_PROFILE,
        )
        .is_some()
    }),
    ("profile_file_lookup/credchain/sdk", || {
        profile::credchain_lookup(black_box(CONFIG_50_PROFILES), Dialect::Sdk, LOOKUP_PROFILE)
            .is_some()
    }),
    ("profile_file_lookup/rust-ini", || {
        profile::rust_ini_lookup(black_box(CONFIG_50_PROFILES), LOOKUP_SECTION).is_some()
    }),
    ("profile_file_lookup/configparser", || {
        profile::configparser_lookup(black_box(CONFIG_50_PROFILES).to_owned(), LOOKUP_SECTION)
            .is_some()
    }),
];

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_default();
    if name == "list" {
        LINES.iter().for_each(|(name, _)| println!("{name}"));
        return;
    }
    let Some((_, run)) = LINES.iter().find(|(n, _)| *n == name) else {
        panic!("usage: repeat <line> <iterations>, or repeat list; no line named {name:?}");
    };
    let Some(n) = args.next().and_then(|n| n.parse::<u64>().ok()) else {
        panic!("usage: repeat <line> <iterations>");
    };
    for _ in 0..n {
        if !black_box(run()) {
            panic!("{name} failed on the bench input");
        }
    }
}
