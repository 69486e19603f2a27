//! `ContainerError::parse_bytes`: the container endpoint's error body.
//!
//! Invariants: `code` is `code`, else `Code`; `message` is `message`, else `Message`, each the
//! string `serde_json` reads; at least one is present; every `JsonStr` borrows from the input
//! and decodes consistently; errors point inside the input.
#![no_main]

use credchain_core::document::{ContainerError, Document};
use credchain_fuzz::document::{Oracle, check_error, check_opt, expect_json};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let oracle = Oracle::read(data);
    match ContainerError::parse_bytes(data) {
        Err(e) => check_error(data, &e, Document::ContainerError, &oracle),
        Ok(doc) => {
            expect_json(data, &oracle);
            let code = check_opt(data, &doc.code, "code");
            let message = check_opt(data, &doc.message, "message");
            assert!(
                code.is_some() || message.is_some(),
                "neither code nor message"
            );
            if let Some(o) = oracle.object() {
                let pick = |a: &str, b: &str| -> Option<String> {
                    match (o.get(a), o.get(b)) {
                        (Some(Value::String(s)), _) => Some(s.clone()),
                        (None, Some(Value::String(s))) => Some(s.clone()),
                        (None, None) => None,
                        other => panic!("{a}/{b}: the core accepted {other:?}"),
                    }
                };
                assert_eq!(code, pick("code", "Code"), "code");
                assert_eq!(message, pick("message", "Message"), "message");
            }
        }
    }
});
