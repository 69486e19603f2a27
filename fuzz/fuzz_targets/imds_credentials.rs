//! `ImdsCredentials::parse_bytes`: the IMDS `iam/security-credentials/<role>` document.
//!
//! Invariants: every `JsonStr` borrows from the input and decodes consistently
//! (`decode_into` with exactly `decoded_len()` bytes, fails with one less naming the size);
//! each field is the string `serde_json` reads under the same key; `Success` has `Code` absent
//! or `Success`, `Failure` another `Code`; the token comes from `Token` when present;
//! `expiration()` and `expiration_botocore_strict()` give what the timestamp readers give on
//! the decoded text, and what they give formats and reads back to itself; errors point inside
//! the input, and a JSON error is only reported on text `serde_json` refuses too.
#![no_main]

use credchain_core::document::{Document, ImdsCredentials, TokenKey};
use credchain_fuzz::document::{
    Oracle, check_error, check_json_str, check_opt, check_session, compare_field, expect_json,
    never,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let oracle = Oracle::read(data);
    let obj = oracle.object();
    match ImdsCredentials::parse_bytes(data) {
        Err(e) => check_error(data, &e, Document::ImdsCredentials, &oracle),
        Ok(doc) => {
            expect_json(data, &oracle);
            match &doc {
                ImdsCredentials::Success(ok) => {
                    assert!(doc.is_success());
                    check_session(data, &ok.credentials, obj);
                    let code = check_opt(data, &ok.code, "Code");
                    assert!(
                        code.as_deref().is_none_or(|c| c == "Success"),
                        "Success with Code {code:?}"
                    );
                    compare_field(obj, "Code", code.as_deref(), never);
                    let lu = check_opt(data, &ok.last_updated, "LastUpdated");
                    compare_field(obj, "LastUpdated", lu.as_deref(), never);
                    let ty = check_opt(data, &ok.credential_type, "Type");
                    compare_field(obj, "Type", ty.as_deref(), never);
                    assert!(doc.credentials().is_some());
                }
                ImdsCredentials::Failure {
                    code,
                    message,
                    last_updated,
                    credentials,
                } => {
                    assert!(!doc.is_success());
                    assert!(doc.credentials().is_none());
                    let code = check_json_str(data, code, "Code");
                    assert_ne!(code, "Success", "Failure with Code Success");
                    compare_field(obj, "Code", Some(&code), never);
                    let m = check_opt(data, message, "Message");
                    compare_field(obj, "Message", m.as_deref(), never);
                    let lu = check_opt(data, last_updated, "LastUpdated");
                    compare_field(obj, "LastUpdated", lu.as_deref(), never);
                    if let Some(c) = credentials {
                        check_session(data, c, obj);
                    }
                }
            }
            let boto = doc.botocore_credentials();
            let all = match &doc {
                ImdsCredentials::Success(ok) => Some(&ok.credentials),
                ImdsCredentials::Failure { credentials, .. } => credentials.as_ref(),
            };
            assert_eq!(
                boto.is_some(),
                all.is_some_and(|c| c.token_key == TokenKey::Token),
                "botocore_credentials: botocore reads Token only, whatever Code says"
            );
        }
    }
});
