//! botocore as the oracle: the Python scripts under `tests/oracle/` read a JSON list of cases
//! and answer one JSON value per case.

// Test support: a failure to run the oracle is the test's failure, so it panics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

/// `CREDCHAIN_SKIP_BOTOCORE=1`: the botocore comparisons are skipped (and say so).
pub fn skip_botocore() -> bool {
    std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1")
}

/// Runs `tests/oracle/<script>` on `cases` and returns its answers, one per case. Panics with
/// the script's stderr when it fails, and when any answer carries an `oracle_error`.
pub fn run_json_oracle(script: &str, cases: &[Json]) -> Vec<Json> {
    let path = std::env::temp_dir().join(format!(
        "credchain-{script}-cases-{}-{}.json",
        std::process::id(),
        cases.len()
    ));
    std::fs::write(&path, serde_json::to_vec(cases).unwrap()).expect("write the cases");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("oracle")
        .join(script);
    let output = Command::new("python3")
        .arg(&script)
        .arg(&path)
        .env("PYTHONUTF8", "1")
        .output();
    let _ = std::fs::remove_file(&path);
    let output = output.unwrap_or_else(|e| {
        panic!(
            "cannot run python3 ({e}): install botocore==1.43.11 or set CREDCHAIN_SKIP_BOTOCORE=1"
        )
    });
    assert!(
        output.status.success(),
        "the botocore oracle failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Vec<Json> = serde_json::from_slice(&output.stdout).expect("oracle output is JSON");
    assert_eq!(out.len(), cases.len());
    for (c, o) in cases.iter().zip(&out) {
        assert!(o.get("oracle_error").is_none(), "oracle failed on {c}: {o}");
    }
    out
}
