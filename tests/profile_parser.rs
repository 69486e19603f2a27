//! The cross-SDK profile parser suite (`profile-parser-tests.json`, 65 cases) in the `Sdk`
//! dialect: each case's files are parsed, merged through the public API, flattened into
//! `profile → key → value` maps and compared with the expected output; error cases must fail
//! with a message containing the expected text.

// Test code: a failed expectation is a panic, and the inputs are ours.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;

use credchain_core::profile::{Dialect, FileKind, Merged, ProfileFile};
use serde_json::Value as Json;

type Map = BTreeMap<String, BTreeMap<String, String>>;

fn to_map(json: &Json) -> Map {
    json.as_object()
        .map(|o| {
            o.iter()
                .map(|(name, props)| {
                    let props = props
                        .as_object()
                        .map(|p| {
                            p.iter()
                                .map(|(k, v)| {
                                    (k.clone(), v.as_str().unwrap_or_default().to_owned())
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (name.clone(), props)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parses the case's files and returns (profiles, sso_sessions), or the error text.
fn run(config: Option<&str>, credentials: Option<&str>) -> Result<(Map, Map), String> {
    fn parse(text: &str, kind: FileKind) -> Result<ProfileFile<'_>, String> {
        ProfileFile::parse(text, kind, Dialect::Sdk).map_err(|e| e.to_string())
    }
    let config = config.map(|t| parse(t, FileKind::Config)).transpose()?;
    let credentials = credentials
        .map(|t| parse(t, FileKind::Credentials))
        .transpose()?;
    let merged = Merged::new(config.as_ref(), credentials.as_ref());
    let mut profiles = Map::new();
    for profile in merged.profiles() {
        let name = profile.name().to_string();
        let props = profile
            .properties()
            .map(|(p, _)| (p.key.to_string(), p.value.to_string()))
            .collect();
        assert!(
            profiles.insert(name, props).is_none(),
            "a profile was listed twice"
        );
    }
    let mut sso = Map::new();
    for section in merged.sso_sessions() {
        let props = section
            .properties()
            .map(|p| (p.key.to_string(), p.value.to_string()))
            .collect();
        assert!(sso.insert(section.name().to_string(), props).is_none());
    }
    Ok((profiles, sso))
}

#[test]
fn profile_parser_suite() {
    let path = credchain_tests::testdata("profile-parser-tests.json");
    let text = std::fs::read_to_string(&path).expect("read profile-parser-tests.json");
    let suite: Json = serde_json::from_str(&text).expect("valid JSON");
    let cases = suite["tests"].as_array().expect("a list of tests");
    assert_eq!(cases.len(), 65);

    let mut failures = Vec::new();
    let mut passed = 0;
    for case in cases {
        let name = case["name"].as_str().unwrap_or("?");
        let input = &case["input"];
        let output = &case["output"];
        let result = run(
            input["configFile"].as_str(),
            input["credentialsFile"].as_str(),
        );
        let verdict = match (result, output.get("errorContaining")) {
            (Err(message), Some(expected)) => {
                let expected = expected.as_str().unwrap_or_default();
                if message.contains(expected) {
                    Ok(())
                } else {
                    Err(format!("error `{message}` does not contain `{expected}`"))
                }
            }
            (Err(message), None) => Err(format!("unexpected error: {message}")),
            (Ok(got), Some(expected)) => Err(format!(
                "expected an error containing `{expected}`, got {got:?}"
            )),
            (Ok((profiles, sso)), None) => {
                let config = &output["config"];
                let want_profiles = to_map(&config["profiles"]);
                let want_sso = to_map(&config["sso_sessions"]);
                if profiles != want_profiles {
                    Err(format!(
                        "profiles: expected {want_profiles:?}, got {profiles:?}"
                    ))
                } else if sso != want_sso {
                    Err(format!("sso_sessions: expected {want_sso:?}, got {sso:?}"))
                } else {
                    Ok(())
                }
            }
        };
        match verdict {
            Ok(()) => passed += 1,
            Err(why) => failures.push(format!("{name}: {why}\n    input: {input}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    println!("{passed} of {} profile-parser cases pass", cases.len());
}
