//! `ContainerCredentials::parse_bytes`: the container endpoint's credentials document.
//!
//! Invariants: every `JsonStr` borrows from the input, decodes consistently, and is the string
//! `serde_json` reads under the same key; `AccountId` is kept unless absent or `null`;
//! `is_botocore_compatible` exactly when the token came from `Token`; `expiration()` agrees with
//! the timestamp readers and round-trips; errors point inside the input.
#![no_main]

use credchain_core::document::{ContainerCredentials, Document, TokenKey};
use credchain_fuzz::document::{Oracle, check_error, check_session, expect_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let oracle = Oracle::read(data);
    match ContainerCredentials::parse_bytes(data) {
        Err(e) => check_error(data, &e, Document::ContainerCredentials, &oracle),
        Ok(doc) => {
            expect_json(data, &oracle);
            check_session(data, &doc.credentials, oracle.object());
            assert_eq!(
                doc.is_botocore_compatible(),
                doc.credentials.token_key == TokenKey::Token
            );
        }
    }
});
