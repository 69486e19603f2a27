//! botocore's client-side check of STS parameters (`credchain_core::sts::validate`) against
//! botocore 1.43.11 itself (`oracle/sts_params.py`).
//!
//! Generated role settings — `AssumeRole` with or without a session name, external id, MFA
//! serial and code, duration, and `AssumeRoleWithWebIdentity` with a session name and a token —
//! each value of a length around its model minimum, built from ASCII and from characters of
//! two, three and four UTF-8 bytes (so that a value can be long enough in bytes and too short
//! in characters), several failing at once. botocore loads each as a profile through its own
//! providers, builds the request and checks it; the check must agree: the same pass or fail,
//! and on failure the same message, line for line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use credchain_core::sts::validate::{validate_assume_role, validate_web_identity};
use credchain_core::sts::{AssumeRole, AssumeRoleWithWebIdentity, Mfa};
use credchain_tests::oracle::{run_json_oracle, skip_botocore};
use credchain_tests::rng::Rng;
use serde_json::{Value as Json, json};

/// Characters of 1, 2, 3 and 4 UTF-8 bytes.
const CHARS: [char; 6] = ['a', '7', 'é', 'ж', '€', '😀'];

/// A value of about `min` characters (from `min - 3` to `min + 2`, at least 1): ASCII after
/// `ascii_prefix`, all multi-byte, or mixed.
fn text(rng: &mut Rng, min: usize, ascii_prefix: &str) -> String {
    let chars = (min + rng.below(6)).saturating_sub(3).max(1);
    let style = rng.below(3);
    let mut s = String::new();
    if style == 0 {
        s.push_str(ascii_prefix);
    }
    while s.chars().count() < chars {
        s.push(match style {
            0 => CHARS[rng.below(2)],
            1 => CHARS[2 + rng.below(4)],
            _ => rng.choose(&CHARS),
        });
    }
    s.chars().take(chars).collect()
}

/// One generated profile, in the oracle's terms.
fn generate(rng: &mut Rng) -> Json {
    let mut case = serde_json::Map::new();
    let arn = text(rng, 20, "arn:aws:iam::1:role/");
    case.insert("role_arn".into(), json!(arn));
    if rng.chance(60) {
        // An empty name is replaced by botocore's default one.
        let name = if rng.chance(10) {
            String::new()
        } else {
            text(rng, 2, "")
        };
        case.insert("role_session_name".into(), json!(name));
    }
    if rng.chance(40) {
        case.insert("kind".into(), json!("web-identity"));
        case.insert("token".into(), json!(text(rng, 4, "")));
        return Json::Object(case);
    }
    case.insert("kind".into(), json!("assume-role"));
    if rng.chance(50) {
        case.insert("external_id".into(), json!(text(rng, 2, "")));
    }
    if rng.chance(40) {
        case.insert("mfa_serial".into(), json!(text(rng, 9, "arn:")));
        case.insert("token_code".into(), json!(text(rng, 6, "")));
    }
    if rng.chance(50) {
        let seconds = match rng.below(4) {
            0 => 900,
            1 => 899,
            2 => rng.below(3600) as i64 - 100,
            _ => 900 + rng.below(43_200) as i64,
        };
        case.insert("duration_seconds".into(), json!(seconds.to_string()));
    }
    Json::Object(case)
}

/// credchain's answer for a case: `None` when the request would be sent, else the message.
fn ours(case: &Json) -> Option<String> {
    let s = |k: &str| case.get(k).and_then(Json::as_str);
    let role_arn = s("role_arn").unwrap();
    let role_session_name = s("role_session_name");
    let result = if s("kind") == Some("web-identity") {
        validate_web_identity(&AssumeRoleWithWebIdentity {
            role_arn,
            role_session_name,
            web_identity_token: s("token").unwrap(),
        })
    } else {
        validate_assume_role(&AssumeRole {
            role_arn,
            role_session_name,
            external_id: s("external_id"),
            mfa: s("mfa_serial").map(|serial_number| Mfa {
                serial_number,
                token_code: s("token_code").unwrap(),
            }),
            duration_seconds: s("duration_seconds").map(|d| d.parse().unwrap()),
        })
    };
    result.err().map(|e| {
        assert!(!e.is_empty());
        assert_eq!(e.botocore_class(), "ParamValidationError");
        e.to_string()
    })
}

#[test]
fn parameter_checks_agree_with_botocore() {
    if skip_botocore() {
        println!("SKIPPED: CREDCHAIN_SKIP_BOTOCORE=1 — the STS parameter check was NOT compared");
        return;
    }
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    let cases: Vec<Json> = (0..400).map(|_| generate(&mut rng)).collect();
    let answers = run_json_oracle("sts_params.py", &cases);
    assert_eq!(answers.len(), cases.len());
    let mut failures = Vec::new();
    let (mut passed, mut refused, mut several, mut bytes_differ) = (0, 0, 0, 0);
    for (i, (case, theirs)) in cases.iter().zip(&answers).enumerate() {
        let ours = ours(case);
        let theirs = if theirs.get("sent") == Some(&json!(true)) {
            None
        } else {
            assert_eq!(theirs["error"], "ParamValidationError", "case {i} {case}");
            Some(theirs["message"].as_str().unwrap().to_owned())
        };
        if ours != theirs {
            failures.push(format!(
                "case {i} {case}:\n    credchain {ours:?}\n    botocore  {theirs:?}"
            ));
            continue;
        }
        match &ours {
            None => passed += 1,
            Some(m) => {
                refused += 1;
                if m.lines().count() > 2 {
                    several += 1;
                }
            }
        }
        let mut values = case.as_object().unwrap().values().filter_map(Json::as_str);
        if values.any(|v| v.len() != v.chars().count()) {
            bytes_differ += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from botocore:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The generator must have covered both outcomes, several errors at once, and values
    // whose byte length is not their length.
    assert!(
        passed >= 20 && refused >= 100 && several >= 20 && bytes_differ >= 100,
        "poor coverage: {passed} sent, {refused} refused ({several} with several errors), \
         {bytes_differ} with multi-byte values"
    );
    println!(
        "{} cases as botocore: {passed} sent, {refused} refused ({several} with several errors), \
         {bytes_differ} with multi-byte values",
        cases.len()
    );
}
