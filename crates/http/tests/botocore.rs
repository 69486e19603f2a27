//! botocore as a peer: botocore 1.43.11's `InstanceMetadataProvider` (with its
//! `InstanceMetadataFetcher`, built by the default resolver from
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT` pointed at `credchain-server`) and credchain-http's
//! `ImdsFetcher` run against the same server in the same scenario. They must get the same
//! access key, secret, token and expiry, and send the same requests; where credchain differs on
//! purpose (an `AssumeRoleUnauthorizedAccess` document is reported as refused, not as "nothing
//! here"), the difference is asserted as such, and credchain's botocore mode is shown to agree.
//!
//! Needs python3 with botocore 1.43.11; fails loudly without them unless
//! `CREDCHAIN_SKIP_BOTOCORE=1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{
    DOC, ROLES, TOKEN, assert_same, botocore_config, imds_config, lines, skip_botocore, within,
};
use credchain_core::imds::{RequestKind, Unavailable};
use credchain_core::time::Timestamp;
use credchain_http::{ImdsFetcher, ImdsOutcome};
use credchain_server::{
    Clock, CredentialSet, Credentials, Fault, FaultRule, ImdsServer, RoleMode, ServerHandle,
};
use serde_json::Value;
use tokio::process::Command;

const BOTOCORE: &str = "1.43.11";
const LIMIT: Duration = Duration::from_secs(120);

/// botocore's `iam-role` provider, as the default resolver builds it from the environment.
const SCRIPT: &str = r#"
import json
import botocore, botocore.session
from botocore.credentials import create_credential_resolver

session = botocore.session.get_session()
provider = create_credential_resolver(session).get_provider("iam-role")
assert type(provider).__name__ == "InstanceMetadataProvider", type(provider)
assert type(provider._role_fetcher).__name__ == "InstanceMetadataFetcher"
creds = provider.load()
found = None
if creds is not None:
    frozen = creds.get_frozen_credentials()
    found = {
        "method": creds.method,
        "access_key": frozen.access_key,
        "secret_key": frozen.secret_key,
        "token": frozen.token,
        "expiry": creds._expiry_time.isoformat(),
        "account_id": getattr(creds, "account_id", None),
    }
print(json.dumps({"version": botocore.__version__, "found": found}))
"#;

/// Whether the oracle is there; fails loudly when it is not and skipping was not asked for.
async fn oracle() -> bool {
    if skip_botocore() {
        eprintln!("SKIPPED: CREDCHAIN_SKIP_BOTOCORE=1, botocore peer tests not run");
        return false;
    }
    let out = Command::new("python3")
        .args(["-c", "import botocore; print(botocore.__version__)"])
        .output()
        .await
        .expect(
            "python3 is needed for the botocore peer tests (CREDCHAIN_SKIP_BOTOCORE=1 skips them)",
        );
    assert!(
        out.status.success(),
        "botocore {BOTOCORE} is needed: pip install botocore=={BOTOCORE} \
         (CREDCHAIN_SKIP_BOTOCORE=1 skips): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(version, BOTOCORE, "botocore {BOTOCORE} is the oracle");
    true
}

fn scratch_home(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "credchain-http-botocore-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs botocore's provider against `server` with `attempts`; its credentials, if any.
async fn botocore(server: &ServerHandle, name: &str, attempts: u32) -> Option<Value> {
    let home = scratch_home(name);
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(SCRIPT)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint())
        .env("AWS_METADATA_SERVICE_NUM_ATTEMPTS", attempts.to_string())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(pp) = std::env::var_os("PYTHONPATH") {
        cmd.env("PYTHONPATH", pp);
    }
    let out = cmd.output().await.expect("python3 runs");
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        out.status.success(),
        "botocore failed in {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["version"], BOTOCORE);
    (!v["found"].is_null()).then(|| v["found"].clone())
}

fn assert_botocore_got(found: &Value, served: &Credentials, name: &str) {
    assert_eq!(found["method"], "iam-role", "{name}");
    assert_eq!(found["access_key"], served.access_key_id.as_str(), "{name}");
    assert_eq!(
        found["secret_key"],
        served.secret_access_key.as_str(),
        "{name}"
    );
    assert_eq!(found["token"], served.session_token.as_str(), "{name}");
    let expiry = Timestamp::parse(found["expiry"].as_str().unwrap()).unwrap();
    assert_eq!(expiry, served.expiration, "{name}");
    // botocore never reads AccountId from IMDS.
    assert!(found["account_id"].is_null(), "{name}");
}

/// A server on a frozen clock, so that both clients see the same generation of credentials.
async fn server(v1_apart: bool, mode: RoleMode) -> ServerHandle {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let clock = Clock::frozen(Timestamp::UNIX_EPOCH.checked_add(now).unwrap());
    let mut b = ImdsServer::builder().clock(clock).role_mode(mode);
    if v1_apart {
        b = b.separate_v1_credentials();
    }
    b.start().await.unwrap()
}

/// Runs botocore, then credchain (as configured by `config`), each after `prepare`; returns
/// botocore's answer, credchain's, and the requests of each.
async fn both(
    server: &ServerHandle,
    name: &str,
    attempts: u32,
    prepare: impl Fn(&ServerHandle),
    botocore_mode: bool,
) -> (Option<Value>, ImdsOutcome, Vec<String>, Vec<String>) {
    server.controls().clear_faults();
    server.controls().clear_transcript();
    prepare(server);
    let theirs = botocore(server, name, attempts).await;
    let their_requests = lines(&server.transcript());

    server.controls().clear_faults();
    server.controls().clear_transcript();
    prepare(server);
    let url = server.endpoint();
    let config = if botocore_mode {
        botocore_config(&url, attempts)
    } else {
        imds_config(&url, attempts)
    };
    let mut imds = ImdsFetcher::new(config);
    let ours = imds.role_credentials().await.unwrap();
    let our_requests = lines(&server.transcript());
    (theirs, ours, their_requests, our_requests)
}

fn our_creds<'o>(out: &'o ImdsOutcome, name: &str) -> &'o credchain_http::Credentials {
    match out {
        ImdsOutcome::Credentials(c) => &c.credentials,
        other => panic!("{name}: credchain got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_and_credchain_agree_on_a_normal_fetch() {
    if !oracle().await {
        return;
    }
    within(LIMIT, async {
        let server = server(false, RoleMode::Normal).await;
        let (theirs, ours, their_req, our_req) = both(&server, "normal", 1, |_| {}, false).await;
        let served = server.credentials(CredentialSet::RoleV2).unwrap();
        assert_botocore_got(
            &theirs.expect("botocore found credentials"),
            &served,
            "normal",
        );
        assert_same(our_creds(&ours, "normal"), &served, "normal");
        let expected = [
            format!("PUT {TOKEN} -> 200"),
            format!("GET {ROLES} [token] -> 200"),
            format!("GET {DOC} [token] -> 200"),
        ];
        assert_eq!(their_req, expected);
        assert_eq!(our_req, expected);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_and_credchain_agree_on_the_403_fallback_to_v1() {
    if !oracle().await {
        return;
    }
    within(LIMIT, async {
        let server = server(true, RoleMode::Normal).await;
        let fault = |s: &ServerHandle| {
            s.controls()
                .add_fault(FaultRule::on_path(TOKEN, Fault::Status(403)))
                .unwrap();
        };
        let (theirs, ours, their_req, our_req) = both(&server, "403", 1, fault, false).await;
        let served = server.credentials(CredentialSet::RoleV1).unwrap();
        assert_ne!(
            served.access_key_id,
            server
                .credentials(CredentialSet::RoleV2)
                .unwrap()
                .access_key_id
        );
        assert_botocore_got(&theirs.expect("botocore found credentials"), &served, "403");
        assert_same(our_creds(&ours, "403"), &served, "403");
        let expected = [
            format!("PUT {TOKEN} -> 403"),
            format!("GET {ROLES} -> 200"),
            format!("GET {DOC} -> 200"),
        ];
        assert_eq!(their_req, expected);
        assert_eq!(our_req, expected);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_and_credchain_agree_on_a_503_retried_with_two_attempts() {
    if !oracle().await {
        return;
    }
    within(LIMIT, async {
        let server = server(true, RoleMode::Normal).await;
        let fault = |s: &ServerHandle| {
            s.controls()
                .add_fault(FaultRule::on_path(TOKEN, Fault::Status(503)).once())
                .unwrap();
        };
        let (theirs, ours, their_req, our_req) = both(&server, "503", 2, fault, false).await;
        let served = server.credentials(CredentialSet::RoleV2).unwrap();
        assert_botocore_got(&theirs.expect("botocore found credentials"), &served, "503");
        assert_same(our_creds(&ours, "503"), &served, "503");
        let expected = [
            format!("PUT {TOKEN} -> 503"),
            format!("PUT {TOKEN} -> 200"),
            format!("GET {ROLES} [token] -> 200"),
            format!("GET {DOC} [token] -> 200"),
        ];
        assert_eq!(their_req, expected);
        assert_eq!(our_req, expected);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_and_credchain_agree_on_a_stalled_token_request() {
    if !oracle().await {
        return;
    }
    within(LIMIT, async {
        let server = server(true, RoleMode::Normal).await;
        let fault = |s: &ServerHandle| {
            s.controls()
                .add_fault(FaultRule::on_path(TOKEN, Fault::Stall))
                .unwrap();
        };
        let started = Instant::now();
        let (theirs, ours, their_req, our_req) = both(&server, "stall", 2, fault, false).await;
        // Two read timeouts of 1 s (one each), plus botocore's start-up.
        assert!(started.elapsed() >= Duration::from_secs(2));
        let served = server.credentials(CredentialSet::RoleV1).unwrap();
        assert_botocore_got(
            &theirs.expect("botocore found credentials"),
            &served,
            "stall",
        );
        assert_same(our_creds(&ours, "stall"), &served, "stall");
        // A read timeout is not retried, even with two attempts.
        let expected = [
            format!("PUT {TOKEN} -> stall"),
            format!("GET {ROLES} -> 200"),
            format!("GET {DOC} -> 200"),
        ];
        assert_eq!(their_req, expected);
        assert_eq!(our_req, expected);
    })
    .await;
}

/// The documented difference: botocore ignores `Code` and finds no credentials in an error
/// document; credchain reports the refusal with its `Code` and `Message`. In botocore mode,
/// credchain finds nothing too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assume_role_unauthorized_access_is_the_documented_difference() {
    if !oracle().await {
        return;
    }
    within(LIMIT, async {
        let server = server(false, RoleMode::AssumeRoleUnauthorizedAccess).await;
        let (theirs, ours, their_req, our_req) =
            both(&server, "unauthorized", 1, |_| {}, false).await;
        assert_eq!(theirs, None, "botocore finds no credentials");
        let ImdsOutcome::Refused(r) = &ours else {
            panic!("credchain: {ours:?}")
        };
        assert_eq!(r.request, RequestKind::RoleCredentials);
        assert_eq!(r.code, "AssumeRoleUnauthorizedAccess");
        assert!(
            r.message
                .as_deref()
                .unwrap()
                .contains("EC2 cannot assume the role")
        );
        assert_eq!(their_req, our_req);
        assert_eq!(our_req.len(), 3);

        let (theirs, ours, their_req, our_req) =
            both(&server, "unauthorized-botocore-mode", 1, |_| {}, true).await;
        assert_eq!(theirs, None);
        assert_eq!(ours, ImdsOutcome::Unavailable(Unavailable::ErrorDocument));
        assert_eq!(their_req, our_req);
    })
    .await;
}
