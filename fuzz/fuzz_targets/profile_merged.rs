//! `Merged`: a config file and a credentials file read together.
//!
//! Input: one byte choosing the dialect (bit 0: Botocore / Sdk) and which files exist (bit 1:
//! no config file, bit 2: no credentials file), then the config file, a NUL byte, and the
//! credentials file (a file without the NUL is all config).
//!
//! Invariants: `profile_names()` lists each name once, including every profile of each file;
//! each resolves through `profile()` to the same sections; `profiles()` follows the same order;
//! each listed property of a merged profile is what `get` returns, from the file it says, the
//! credentials file winning; SSO sessions and services are the config file's.
//!
//! Inputs over 16 KiB are skipped: listing the merged view costs `O(credentials profiles ×
//! config file)` by design (see `Merged::profile_names`), and the parsers are fuzzed on large
//! inputs by `profile_botocore` and `profile_sdk`.
#![no_main]

use credchain_core::profile::{Dialect, FileKind, ProfileFile};
use credchain_fuzz::profile::check_merged;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 << 10 {
        return;
    }
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let dialect = if flags & 1 == 0 {
        Dialect::Botocore
    } else {
        Dialect::Sdk
    };
    let (config, credentials) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let config = (flags & 2 == 0)
        .then(|| ProfileFile::parse_bytes(config, FileKind::Config, dialect).ok())
        .flatten();
    let credentials = (flags & 4 == 0)
        .then(|| ProfileFile::parse_bytes(credentials, FileKind::Credentials, dialect).ok())
        .flatten();
    check_merged(data, config.as_ref(), credentials.as_ref());
});
