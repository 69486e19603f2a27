//! botocore as the oracle: the Python scripts under `tests/oracle/` read a JSON list of cases
//! and answer one JSON value per case.

// Test support: a failure to run the oracle is the test's failure, so it panics.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::ffi::OsStr;
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
    run_oracle(script, cases, None)
}

/// [`run_json_oracle`] with the script's whole environment replaced by `env` (`PATH` and
/// `PYTHONUTF8` kept): for cases whose environment must be in place when botocore is
/// imported — its SSO token provider and SSO provider fix `~/.aws/sso/cache` from `HOME` then.
pub fn run_json_oracle_in_env<'e>(
    script: &str,
    cases: &[Json],
    env: impl IntoIterator<Item = (&'e OsStr, &'e OsStr)>,
) -> Vec<Json> {
    run_oracle(script, cases, Some(env.into_iter().collect()))
}

fn run_oracle(script: &str, cases: &[Json], env: Option<Vec<(&OsStr, &OsStr)>>) -> Vec<Json> {
    let path = std::env::temp_dir().join(format!(
        "credchain-{script}-cases-{}-{}.json",
        std::process::id(),
        cases.len()
    ));
    std::fs::write(&path, serde_json::to_vec(cases).unwrap()).expect("write the cases");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("oracle")
        .join(script);
    let mut command = Command::new("python3");
    if let Some(env) = env {
        command
            .env_clear()
            .envs(env)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    }
    let output = command
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

/// What a default chain concluded, in a form botocore's answer (`session_credentials.py`) and
/// credchain's can be compared in.
#[derive(Debug, Clone, PartialEq)]
pub enum ChainAnswer {
    /// No source had credentials.
    None,
    /// Credentials, and the source (botocore's `method`) that gave them.
    Creds {
        /// botocore's `method` name of the source.
        method: String,
        /// The access key id.
        ak: String,
        /// The session token.
        token: Option<String>,
        /// The account id.
        account: Option<String>,
        /// The expiry, in Unix seconds.
        expiry: Option<i64>,
    },
    /// A role source that applies but runs only when used (botocore), or that the side did not
    /// carry out.
    Deferred(String),
    /// The exception class and the message.
    Error(String, String),
}

impl ChainAnswer {
    /// Reads one answer of `session_credentials.py`.
    pub fn from_botocore(v: &Json) -> ChainAnswer {
        if v.get("none").is_some() {
            return ChainAnswer::None;
        }
        if let Some(class) = v.get("error") {
            return ChainAnswer::Error(
                class.as_str().unwrap().to_owned(),
                v["msg"].as_str().unwrap_or("").to_owned(),
            );
        }
        let method = v["method"].as_str().unwrap().to_owned();
        if v.get("deferred").is_some() {
            return ChainAnswer::Deferred(method);
        }
        let s = |k: &str| v.get(k).and_then(Json::as_str).map(str::to_owned);
        ChainAnswer::Creds {
            method,
            ak: s("ak").unwrap_or_default(),
            token: s("token"),
            account: s("account"),
            expiry: v.get("expiry").and_then(Json::as_i64),
        }
    }

    /// The outcome's kind, for tallies: the method, or the error class.
    pub fn key(&self) -> String {
        match self {
            ChainAnswer::None => "no credentials".to_owned(),
            ChainAnswer::Creds { method, .. } => method.clone(),
            ChainAnswer::Deferred(m) => format!("{m} (deferred)"),
            ChainAnswer::Error(c, _) => format!("error {c}"),
        }
    }
}
