//! `IamInfo::parse_bytes`: the IMDS `iam/info` document.
//!
//! Invariants: every `JsonStr` borrows from the input, decodes consistently, and is the string
//! `serde_json` reads under the same key; `Success` has `Code` absent or `Success`, `Failure`
//! another; `account_id()` is the fifth `:`-separated field of an `arn:` ARN written without
//! escapes, borrowed from the input; errors point inside the input.
#![no_main]

use credchain_core::document::{Document, IamInfo};
use credchain_fuzz::assert_inside;
use credchain_fuzz::document::{
    Oracle, check_error, check_json_str, check_opt, compare_field, expect_json, never,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let oracle = Oracle::read(data);
    let obj = oracle.object();
    match IamInfo::parse_bytes(data) {
        Err(e) => check_error(data, &e, Document::IamInfo, &oracle),
        Ok(doc) => {
            expect_json(data, &oracle);
            match doc {
                IamInfo::Success(p) => {
                    if let Some(o) = obj {
                        assert!(
                            o.get("Code").is_none_or(|c| c == "Success"),
                            "Success with Code {:?}",
                            o.get("Code")
                        );
                    }
                    let arn = check_json_str(data, &p.arn, "InstanceProfileArn");
                    compare_field(obj, "InstanceProfileArn", Some(&arn), never);
                    let id = check_json_str(data, &p.id, "InstanceProfileId");
                    compare_field(obj, "InstanceProfileId", Some(&id), never);
                    let lu = check_opt(data, &p.last_updated, "LastUpdated");
                    compare_field(obj, "LastUpdated", lu.as_deref(), never);
                    let raw = p.arn.raw();
                    let fields: Vec<&str> = raw.split(':').collect();
                    let expected = (fields.first() == Some(&"arn") && fields.len() >= 6)
                        .then(|| fields[4])
                        .filter(|a| !a.is_empty() && !a.contains('\\'));
                    assert_eq!(p.account_id(), expected, "account_id of {raw:?}");
                    if let Some(a) = p.account_id() {
                        assert_inside(data, a, "account id");
                    }
                }
                IamInfo::Failure {
                    code,
                    message,
                    last_updated,
                } => {
                    let code = check_json_str(data, &code, "Code");
                    assert_ne!(code, "Success");
                    compare_field(obj, "Code", Some(&code), never);
                    let m = check_opt(data, &message, "Message");
                    compare_field(obj, "Message", m.as_deref(), never);
                    let lu = check_opt(data, &last_updated, "LastUpdated");
                    compare_field(obj, "LastUpdated", lu.as_deref(), never);
                }
            }
        }
    }
});
