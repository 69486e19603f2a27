//! Where the files are: the Linux cases of the cross-SDK `file-location-tests.json`, and
//! `$VAR` / `~` expansion compared with Python's `os.path.expandvars` + `expanduser` as botocore
//! applies them (spec §3.1).
//!
//! The botocore comparison needs python3; set `CREDCHAIN_SKIP_BOTOCORE=1` to skip it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::Path;
use std::process::Command;

use credchain_fs::env::EnvSnapshot;
use credchain_fs::location::{Locations, SystemUsers};
use serde_json::Value;

#[test]
fn file_location_suite_linux_cases() {
    let path = credchain_tests::testdata("file-location-tests.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let suite: Value = serde_json::from_str(&text).unwrap();
    let mut ran = 0;
    let mut failures = Vec::new();
    for case in suite["tests"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if case["platform"] != "linux" {
            continue;
        }
        ran += 1;
        let env = EnvSnapshot::from_pairs(
            case["environment"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())),
        );
        let at = Locations::resolve(&env, &SystemUsers);
        let want_config = case["configLocation"].as_str().unwrap();
        let want_creds = case["credentialsLocation"].as_str().unwrap();
        if at.config.path != Path::new(want_config) {
            failures.push(format!(
                "{name}: config {:?} != {want_config}",
                at.config.path
            ));
        }
        if at.credentials.path != Path::new(want_creds) {
            failures.push(format!(
                "{name}: credentials {:?} != {want_creds}",
                at.credentials.path
            ));
        }
        // The case's "profile" is the core chain's decision (spec §0.1), tested there.
    }
    assert_eq!(ran, 4, "the suite has 4 Linux cases");
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures.join("\n")
    );
}

const ORACLE: &str = r#"
import json, os, sys
cases = json.load(sys.stdin)
out = []
for env, raw in cases:
    os.environ.clear()
    os.environ.update(env)
    out.append(os.path.expanduser(os.path.expandvars(raw)))
print(json.dumps(out))
"#;

#[test]
fn expansion_matches_python() {
    if std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1") {
        eprintln!("skipped: CREDCHAIN_SKIP_BOTOCORE=1");
        return;
    }
    let home = [("HOME", "/home/user")];
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (home.to_vec(), "~/.aws/config"),
        (home.to_vec(), "~"),
        (home.to_vec(), "~/"),
        (home.to_vec(), "/abs/~/x"),
        (home.to_vec(), "$HOME/cfg"),
        (home.to_vec(), "${HOME}/cfg"),
        (home.to_vec(), "$NOPE/cfg"),
        (home.to_vec(), "${NOPE}/$"),
        (home.to_vec(), "${}x"),
        (home.to_vec(), "$$HOME"),
        (home.to_vec(), "${HOME"),
        (vec![("HOME", "/h"), ("T", "~")], "$T/x"),
        (vec![("HOME", "/h"), ("A_1", "v")], "$A_1.$A_1x"),
        (vec![("HOME", "")], "~/x"),
        (vec![("HOME", "")], "~"),
        (vec![("HOME", "/")], "~/x"),
        (vec![("HOME", "/h///")], "~//x"),
        (vec![("HOME", "rel/")], "~/x"),
        (home.to_vec(), "~root/x"),
        (home.to_vec(), "~root"),
        (home.to_vec(), "~no-such-user-credchain/x"),
        // No HOME: the password database entry of the user running the tests.
        (vec![], "~/.aws/config"),
        (vec![], "~"),
        (vec![("HOME", "/h")], ""),
    ];
    let input = serde_json::to_string(
        &cases
            .iter()
            .map(|(env, raw)| {
                let env: serde_json::Map<String, Value> = env
                    .iter()
                    .map(|(k, v)| (k.to_string(), Value::from(*v)))
                    .collect();
                (env, raw.to_string())
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut child = Command::new("python3")
        .args(["-c", ORACLE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (set CREDCHAIN_SKIP_BOTOCORE=1 to skip)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let want: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    let mut failures = Vec::new();
    for ((env, raw), want) in cases.iter().zip(&want) {
        let snapshot = EnvSnapshot::from_pairs(env.iter().copied());
        let got = credchain_fs::location::expand_path(raw.as_ref(), &snapshot, &SystemUsers);
        if got != Path::new(want) {
            failures.push(format!(
                "{raw:?} with {env:?}: got {got:?}, Python {want:?}"
            ));
        }
    }
    assert_eq!(want.len(), cases.len());
    assert!(failures.is_empty(), "differences:\n{}", failures.join("\n"));
}
