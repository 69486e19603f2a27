//! `ProcessCredentials::parse_bytes`: what a `credential_process` command prints.
//!
//! Invariants: every `JsonStr` borrows from the input, decodes consistently, and is the string
//! `serde_json` reads under the same key; output is accepted only when `Version` equals 1 as
//! Python compares (`1`, `1.0`, `true`, …) and refused as unsupported only when it does not;
//! `SessionToken` and `Expiration` are none only when absent or `null`, `AccountId` only when
//! Python counts it false; `expiration()` agrees with `Timestamp::parse` and round-trips; the
//! unsupported version's text is at most 40 bytes; errors point inside the input.
#![no_main]

use credchain_core::document::{Document, DocumentErrorKind, ProcessCredentials};
use credchain_fuzz::document::{
    Oracle, check_error, check_expiration, check_json_str, check_opt, compare_field, expect_json,
    is_null, never,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Python's `version == 1` on what `json.loads` returned.
fn is_one(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() == Some(1.0) && (n.is_f64() || n.as_u64() == Some(1)),
        _ => false,
    }
}

/// Python's truth value of what `json.loads` returned.
fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fuzz_target!(|data: &[u8]| {
    let oracle = Oracle::read(data);
    let obj = oracle.object();
    match ProcessCredentials::parse_bytes(data) {
        Err(e) => {
            check_error(data, &e, Document::ProcessOutput, &oracle);
            if let DocumentErrorKind::UnsupportedVersion { version } = e.kind {
                assert!(
                    version.as_str().len() <= 40,
                    "version text longer than 40 bytes"
                );
                if let Some(o) = obj {
                    assert!(
                        !o.get("Version").is_some_and(is_one),
                        "version {:?} refused although it equals 1",
                        o.get("Version")
                    );
                    assert_eq!(version.kind().is_none(), !o.contains_key("Version"));
                }
            }
        }
        Ok(c) => {
            expect_json(data, &oracle);
            if let Some(o) = obj {
                assert!(
                    o.get("Version").is_some_and(is_one),
                    "accepted Version {:?}",
                    o.get("Version")
                );
            }
            let akid = check_json_str(data, &c.access_key_id, "AccessKeyId");
            compare_field(obj, "AccessKeyId", Some(&akid), never);
            let secret = check_json_str(data, &c.secret_access_key, "SecretAccessKey");
            compare_field(obj, "SecretAccessKey", Some(&secret), never);
            let token = check_opt(data, &c.session_token, "SessionToken");
            compare_field(obj, "SessionToken", token.as_deref(), is_null);
            let account = check_opt(data, &c.account_id, "AccountId");
            compare_field(obj, "AccountId", account.as_deref(), is_falsy);
            if let Some(a) = &account {
                assert!(!a.is_empty(), "an empty AccountId is false to Python");
            }
            let exp = check_opt(data, &c.expiration, "Expiration");
            compare_field(obj, "Expiration", exp.as_deref(), is_null);
            match (&c.expiration, &exp) {
                (Some(s), Some(d)) => {
                    let got = c
                        .expiration()
                        .map(|t| t.expect("an Expiration gives a timestamp or an error"));
                    check_expiration(s, d, got, None);
                }
                _ => assert_eq!(
                    c.expiration(),
                    Ok(None),
                    "no Expiration: static credentials"
                ),
            }
        }
    }
});
