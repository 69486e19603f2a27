//! botocore as a peer: its default credential chain, pointed at this server with
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT`, gets exactly the credentials the server says it serves,
//! and goes through the fallbacks of spec §4.4 when the server is made to fail.
//!
//! Needs `python3` with botocore 1.43.11. When they are missing the tests fail, loudly, unless
//! `CREDCHAIN_SKIP_BOTOCORE=1` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use common::ts;
use credchain_server::{
    AuthCheck, CredentialSet, Credentials, Fault, FaultRule, HttpTokens, ImdsServer, RoleMode,
    ServerHandle,
};
use tokio::process::Command;
use tokio::time::timeout;

const BOTOCORE: &str = "1.43.11";

/// Resolves credentials with botocore's default chain and prints what it found as JSON.
const SCRIPT: &str = r#"
import json, sys
import botocore, botocore.session
session = botocore.session.get_session()
creds = session.get_credentials()
if creds is None:
    print(json.dumps({"version": botocore.__version__, "found": None}))
else:
    frozen = creds.get_frozen_credentials()
    expiry = getattr(creds, "_expiry_time", None)
    print(json.dumps({
        "version": botocore.__version__,
        "found": {
            "method": creds.method,
            "access_key": frozen.access_key,
            "secret_key": frozen.secret_key,
            "token": frozen.token,
            "expiry": expiry.isoformat() if expiry else None,
        },
    }))
"#;

fn skip() -> bool {
    std::env::var("CREDCHAIN_SKIP_BOTOCORE").is_ok_and(|v| v == "1")
}

/// An empty directory for HOME and the (absent) config files, so only IMDS can answer.
fn scratch_home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "credchain-server-botocore-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs botocore's chain against `imds`; `None` when it found no credentials.
async fn botocore_credentials(
    imds: &ServerHandle,
    name: &str,
    extra_env: &[(&str, &str)],
) -> Option<serde_json::Value> {
    let home = scratch_home(name);
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(SCRIPT)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(pp) = std::env::var_os("PYTHONPATH") {
        cmd.env("PYTHONPATH", pp);
    }
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("botocore finishes within 60 s")
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        out.status.success(),
        "botocore failed in {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: bad output {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["version"], BOTOCORE, "botocore version");
    (!v["found"].is_null()).then(|| v["found"].clone())
}

fn assert_same(found: &serde_json::Value, served: &Credentials, scenario: &str) {
    assert_eq!(found["method"], "iam-role", "{scenario}");
    assert_eq!(
        found["access_key"],
        served.access_key_id.as_str(),
        "{scenario}"
    );
    assert_eq!(
        found["secret_key"],
        served.secret_access_key.as_str(),
        "{scenario}"
    );
    assert_eq!(found["token"], served.session_token.as_str(), "{scenario}");
    let expiry = ts(found["expiry"].as_str().unwrap());
    assert_eq!(expiry, served.expiration, "{scenario}");
}

/// botocore's credentials from `imds` (its environment plus `env`) must be the server's `set`.
async fn expect_served(
    imds: &ServerHandle,
    scenario: &str,
    env: &[(&str, &str)],
    set: CredentialSet,
) {
    let found = botocore_credentials(imds, scenario, env)
        .await
        .unwrap_or_else(|| panic!("{scenario}: botocore found no credentials"));
    assert_same(&found, &imds.credentials(set).unwrap(), scenario);
}

/// An IMDS server with separate IMDSv1 credentials (so a fallback shows) and `rule` on the
/// token path.
async fn token_fault(rule: FaultRule) -> ServerHandle {
    ImdsServer::builder()
        .separate_v1_credentials()
        .fault(rule)
        .start()
        .await
        .unwrap()
}

/// Checks python3 and botocore once, so a missing oracle fails with one clear message.
async fn oracle_available() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import botocore; print(botocore.__version__)"])
        .output()
        .await;
    match probe {
        Ok(out) if out.status.success() => {
            let v = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert_eq!(v, BOTOCORE, "botocore {BOTOCORE} is the oracle; found {v}");
            true
        }
        _ if skip() => {
            eprintln!("botocore unavailable and CREDCHAIN_SKIP_BOTOCORE=1: skipping");
            false
        }
        other => panic!(
            "python3 with botocore {BOTOCORE} is required (pip install botocore=={BOTOCORE}), \
             or set CREDCHAIN_SKIP_BOTOCORE=1: {other:?}"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_gets_the_served_credentials() {
    if !oracle_available().await {
        return;
    }
    let mut failures = Vec::new();

    // IMDSv2 only: token, role name, document, each GET with the token.
    let imds = ImdsServer::builder()
        .http_tokens(HttpTokens::Required)
        .separate_v1_credentials()
        .start()
        .await
        .unwrap();
    expect_served(&imds, "v2", &[], CredentialSet::RoleV2).await;
    let t = imds.transcript();
    let seen: Vec<(&str, &str, AuthCheck, Option<u16>)> = t
        .iter()
        .map(|e| (e.method.as_str(), e.path.as_str(), e.auth, e.status()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "PUT",
                "/latest/api/token",
                AuthCheck::Issued { ttl_seconds: 21600 },
                Some(200)
            ),
            (
                "GET",
                "/latest/meta-data/iam/security-credentials/",
                AuthCheck::Valid,
                Some(200)
            ),
            (
                "GET",
                "/latest/meta-data/iam/security-credentials/credchain-role",
                AuthCheck::Valid,
                Some(200)
            ),
        ]
    );
    assert_eq!(
        t[0].header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert!(
        t[0].header("user-agent")
            .unwrap()
            .starts_with("Botocore/1.43.11 "),
        "{:?}",
        t[0].header("user-agent")
    );
    // The token answer went out with the hop limit as IP TTL.
    assert_eq!(t[0].socket_ttl, Some(1));

    // The token PUT is refused with 403 (as by a proxy): botocore falls back to IMDSv1 and gets
    // the IMDSv1 credentials.
    let imds = token_fault(FaultRule::on_path("/latest/api/token", Fault::Status(403))).await;
    expect_served(&imds, "v1-fallback", &[], CredentialSet::RoleV1).await;
    assert!(
        imds.transcript()[1..]
            .iter()
            .all(|e| e.auth == AuthCheck::Absent)
    );

    // A 503 on the token PUT with one attempt: botocore gives up on the token, uses IMDSv1.
    let imds =
        token_fault(FaultRule::on_path("/latest/api/token", Fault::Status(503)).once()).await;
    expect_served(&imds, "503-once", &[], CredentialSet::RoleV1).await;

    // The same with two attempts: the second PUT succeeds, IMDSv2 credentials.
    let imds =
        token_fault(FaultRule::on_path("/latest/api/token", Fault::Status(503)).once()).await;
    expect_served(
        &imds,
        "503-retry",
        &[("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2")],
        CredentialSet::RoleV2,
    )
    .await;
    let statuses: Vec<Option<u16>> = imds.transcript().iter().map(|e| e.status()).collect();
    assert_eq!(statuses, [Some(503), Some(200), Some(200), Some(200)]);

    // A stalled token PUT: botocore's read timeout, then IMDSv1.
    let imds = token_fault(FaultRule::on_path("/latest/api/token", Fault::Stall)).await;
    expect_served(&imds, "stall", &[], CredentialSet::RoleV1).await;

    // Tokens required and the token PUT refused: the v1 fallback gets 401, no credentials.
    let imds = ImdsServer::builder()
        .http_tokens(HttpTokens::Required)
        .fault(FaultRule::on_path("/latest/api/token", Fault::Status(404)))
        .start()
        .await
        .unwrap();
    if let Some(f) = botocore_credentials(&imds, "required-no-token", &[]).await {
        failures.push(format!("required-no-token: botocore found {f}"));
    }
    assert_eq!(imds.transcript()[1].status(), Some(401));

    // A 400 on the token PUT: botocore stops, no credentials, no further request.
    let imds = ImdsServer::builder()
        .fault(FaultRule::on_path("/latest/api/token", Fault::Status(400)))
        .start()
        .await
        .unwrap();
    if let Some(f) = botocore_credentials(&imds, "token-400", &[]).await {
        failures.push(format!("token-400: botocore found {f}"));
    }
    assert_eq!(imds.transcript().len(), 1, "nothing after the 400");

    // AssumeRoleUnauthorizedAccess: a 200 without credentials, so none.
    let imds = ImdsServer::builder()
        .role_mode(RoleMode::AssumeRoleUnauthorizedAccess)
        .start()
        .await
        .unwrap();
    if let Some(f) = botocore_credentials(&imds, "unauthorized", &[]).await {
        failures.push(format!("unauthorized: botocore found {f}"));
    }

    // Expired credentials: botocore extends their expiry by 17–25 minutes (spec §4.8).
    let expired = Credentials {
        access_key_id: "ASIAEXPIREDEXPIRED01".into(),
        secret_access_key: "expired-secret".into(),
        session_token: "expired-token".into(),
        expiration: ts("2020-01-01T00:00:00Z"),
        last_updated: ts("2019-12-31T18:00:00Z"),
        account_id: None,
    };
    let imds = ImdsServer::builder()
        .credentials(expired.clone())
        .start()
        .await
        .unwrap();
    let before = imds.controls().clock().now();
    let found = botocore_credentials(&imds, "expired", &[])
        .await
        .expect("credentials");
    let after = imds.controls().clock().now();
    assert_eq!(found["access_key"], "ASIAEXPIREDEXPIRED01");
    let expiry = ts(found["expiry"].as_str().unwrap());
    assert!(
        expiry.saturating_sub(before) >= 17 * 60 - 1 && expiry.saturating_sub(after) <= 25 * 60,
        "extended expiry {expiry} not 17–25 min after {before}"
    );

    assert!(failures.is_empty(), "{failures:#?}");
}
