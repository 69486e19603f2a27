//! `ProfileFile::parse_bytes` in the Sdk dialect, on either file kind (the first byte's
//! parity: even = config, odd = credentials; the rest is the file).
//!
//! Invariants: names, values and sub-properties borrow from the input, and every view of them
//! agrees (fragments, `as_str`, `len`, `write_to` with an exact and a short buffer); each
//! listed profile, SSO session and services section is found by its decoded name, and the
//! lookup finds the same section with the same properties; `get` of each listed key, in any
//! ASCII case, gives the listed value; nothing is listed twice; the outcome does not depend on
//! the scratch buffer of the duplicate search; errors point inside the input.
#![no_main]

use credchain_core::profile::Dialect;
use credchain_fuzz::profile::{parse_and_check, split_kind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((kind, file)) = split_kind(data) else {
        return;
    };
    let _ = parse_and_check(file, kind, Dialect::Sdk);
});
