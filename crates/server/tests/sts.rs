//! botocore as the client of credchain-server's STS and SSO endpoints, over HTTP and HTTPS.
//!
//! Each scenario runs botocore's own `sts`, `sso` and `sso-oidc` clients (python3 with
//! botocore 1.43.11) with `endpoint_url` at the server: botocore builds, signs and sends the
//! requests and parses the answers with its real service models, so what passes here is what
//! botocore accepts from AWS — XML and JSON shapes, error codes and statuses, the epoch
//! milliseconds of SSO. Over HTTPS botocore verifies the server against the CA the server made
//! at start, through `verify=<file>` and through `AWS_CA_BUNDLE`.
//!
//! When python3 or botocore is missing the tests fail, loudly, unless
//! `CREDCHAIN_SKIP_BOTOCORE=1` is set.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use credchain_server::{Fault, FaultRule, Role, SsoServer, StsHandle, StsServer};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio::time::timeout;

const BOTOCORE: &str = "1.43.11";
const ROLE_A: &str = "arn:aws:iam::123456789012:role/RoleA";
const ROLE_B: &str = "arn:aws:iam::210987654321:role/team/RoleB";
const ROLE_EXT: &str = "arn:aws:iam::123456789012:role/WithExternalId";
const ROLE_MFA: &str = "arn:aws:iam::123456789012:role/WithMfa";
const ROLE_WEB: &str = "arn:aws:iam::123456789012:role/WebRole";
const AKID: &str = "AKIDCREDCHAINTEST001";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// Runs a list of botocore calls; each is `{service, op, params, endpoint, keys?, keys_from?,
/// drop_token?, verify?, region?}`. `keys_from: i` signs with the `Credentials` returned by
/// call `i` (without the session token when `drop_token`); `keys: null` sends it unsigned.
/// Prints one result per call: `{ok}`, `{error, status}` or `{exception, message}`.
const DRIVER: &str = r#"
import json, sys, datetime
import botocore, botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
calls = json.load(sys.stdin)
out = []
def plain(v):
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list): return [plain(x) for x in v]
    if isinstance(v, datetime.datetime): return v.isoformat()
    return v
session = botocore.session.get_session()
for call in calls:
    kw = dict(region_name=call.get("region", "us-east-1"), endpoint_url=call["endpoint"],
              config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=10))
    if "verify" in call: kw["verify"] = call["verify"]
    keys = call.get("keys")
    if "keys_from" in call:
        c = out[call["keys_from"]]["ok"]["Credentials"]
        keys = [c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"]]
    if keys:
        if call.get("drop_token"): keys = keys[:2]
        kw.update(aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
                  aws_session_token=keys[2] if len(keys) > 2 else None)
    else:
        kw["config"] = kw["config"].merge(Config(signature_version=botocore.UNSIGNED))
    client = session.create_client(call["service"], **kw)
    try:
        r = getattr(client, call["op"])(**call.get("params", {}))
        r.pop("ResponseMetadata", None)
        out.append({"ok": plain(r)})
    except ClientError as e:
        out.append({"error": e.response.get("Error", {}),
                    "status": e.response["ResponseMetadata"]["HTTPStatusCode"]})
    except Exception as e:
        out.append({"exception": type(e).__name__, "message": str(e)})
print(json.dumps({"version": botocore.__version__, "results": out}))
"#;

fn skip() -> bool {
    std::env::var("CREDCHAIN_SKIP_BOTOCORE").is_ok_and(|v| v == "1")
}

async fn oracle_available() -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import botocore; print(botocore.__version__)"])
        .output()
        .await;
    match probe {
        Ok(out) if out.status.success() => true,
        _ if skip() => {
            eprintln!("botocore unavailable and CREDCHAIN_SKIP_BOTOCORE=1: skipping");
            false
        }
        other => panic!(
            "python3 with botocore {BOTOCORE} is required, or set CREDCHAIN_SKIP_BOTOCORE=1: \
             {other:?}"
        ),
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "credchain-server-sts-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the calls in one python process with a clean environment plus `env`.
async fn botocore(name: &str, calls: &Value, env: &[(&str, &str)]) -> Vec<Value> {
    let home = scratch(name);
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(DRIVER)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(pp) = std::env::var_os("PYTHONPATH") {
        cmd.env("PYTHONPATH", pp);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("python3 starts");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(calls.to_string().as_bytes()).await.unwrap();
    drop(stdin);
    let out = timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("botocore finishes within 120 s")
        .expect("python3 runs");
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        out.status.success(),
        "botocore failed in {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: bad output {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["version"], BOTOCORE, "botocore version");
    v["results"].as_array().unwrap().clone()
}

fn write_ca(dir: &Path, pem: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("ca.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

async fn sts_server(https: bool) -> StsHandle {
    let mut b = StsServer::builder()
        .user(AKID, SECRET)
        .role(Role::new(ROLE_A).max_session_duration(7200))
        .role(Role::new(ROLE_B))
        .role(Role::new(ROLE_EXT).external_id("ext-123"))
        .role(Role::new(ROLE_MFA).mfa("arn:aws:iam::123456789012:mfa/me", "123456"))
        .role(Role::new(ROLE_WEB).web_identity_token("header.payload.signature"));
    if https {
        b = b.https();
    }
    b.start().await.unwrap()
}

fn ok<'a>(results: &'a [Value], i: usize, what: &str) -> &'a Value {
    let r = &results[i];
    assert!(r.get("ok").is_some(), "{what}: expected success, got {r}");
    &r["ok"]
}

fn err(results: &[Value], i: usize) -> (String, u64) {
    let r = &results[i];
    (
        r["error"]["Code"]
            .as_str()
            .unwrap_or_else(|| panic!("call {i}: expected an error, got {r}"))
            .to_owned(),
        r["status"].as_u64().unwrap_or(0),
    )
}

/// The scenarios of the brief, run against one server; returns a list of failures.
async fn sts_scenarios(sts: &StsHandle, name: &str, env: &[(&str, &str)], verify: Option<&str>) {
    let ep = sts.url();
    let mut base = json!({"service": "sts", "endpoint": ep, "keys": [AKID, SECRET]});
    if let Some(v) = verify {
        base["verify"] = json!(v);
    }
    let with = |extra: Value| {
        let mut c = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        c
    };
    let calls = json!([
        // 0: base keys assume RoleA
        with(
            json!({"op": "assume_role", "params": {"RoleArn": ROLE_A, "RoleSessionName": "hop-one", "DurationSeconds": 7200}})
        ),
        // 1: second hop, signed with hop one's session credentials
        with(
            json!({"op": "assume_role", "keys_from": 0, "params": {"RoleArn": ROLE_B, "RoleSessionName": "hop-two"}})
        ),
        // 2: who is hop two?
        with(json!({"op": "get_caller_identity", "keys_from": 1})),
        // 3: who are the base keys?
        with(json!({"op": "get_caller_identity"})),
        // 4: wrong secret
        with(json!({"op": "get_caller_identity", "keys": [AKID, "not-the-secret"]})),
        // 5: unknown key id
        with(json!({"op": "get_caller_identity", "keys": ["AKIDUNKNOWN000000000", SECRET]})),
        // 6: web identity, unsigned
        with(
            json!({"op": "assume_role_with_web_identity", "keys": null, "params": {"RoleArn": ROLE_WEB, "RoleSessionName": "web", "WebIdentityToken": "header.payload.signature"}})
        ),
        // 7: web identity, a token the role does not trust
        with(
            json!({"op": "assume_role_with_web_identity", "keys": null, "params": {"RoleArn": ROLE_WEB, "RoleSessionName": "web", "WebIdentityToken": "another.token.here"}})
        ),
        // 8: external id required, missing
        with(
            json!({"op": "assume_role", "params": {"RoleArn": ROLE_EXT, "RoleSessionName": "s1"}})
        ),
        // 9: external id given
        with(
            json!({"op": "assume_role", "params": {"RoleArn": ROLE_EXT, "RoleSessionName": "s1", "ExternalId": "ext-123"}})
        ),
        // 10: MFA, right code
        with(
            json!({"op": "assume_role", "params": {"RoleArn": ROLE_MFA, "RoleSessionName": "s1", "SerialNumber": "arn:aws:iam::123456789012:mfa/me", "TokenCode": "123456"}})
        ),
        // 11: MFA, wrong code
        with(
            json!({"op": "assume_role", "params": {"RoleArn": ROLE_MFA, "RoleSessionName": "s1", "SerialNumber": "arn:aws:iam::123456789012:mfa/me", "TokenCode": "654321"}})
        ),
        // 12: unknown role
        with(
            json!({"op": "assume_role", "params": {"RoleArn": "arn:aws:iam::123456789012:role/Nope", "RoleSessionName": "s1"}})
        ),
        // 13: DurationSeconds above the role's maximum (3600 for RoleB)
        with(
            json!({"op": "assume_role", "params": {"RoleArn": ROLE_B, "RoleSessionName": "s1", "DurationSeconds": 7200}})
        ),
        // 14: bad session name
        with(
            json!({"op": "assume_role", "params": {"RoleArn": ROLE_A, "RoleSessionName": "bad name!"}})
        ),
        // 15: role chaining beyond one hour
        with(
            json!({"op": "assume_role", "keys_from": 0, "params": {"RoleArn": ROLE_A, "RoleSessionName": "again", "DurationSeconds": 7200}})
        ),
        // 16: signed for another region
        with(json!({"op": "get_caller_identity", "region": "eu-west-1"})),
        // 17: session credentials without their token
        with(json!({"op": "get_caller_identity", "keys_from": 0, "drop_token": true})),
    ]);
    let results = botocore(name, &calls, env).await;

    let hop1 = ok(&results, 0, "hop one");
    let c1 = &hop1["Credentials"];
    assert!(c1["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert_eq!(
        hop1["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::123456789012:assumed-role/RoleA/hop-one"
    );
    assert!(
        hop1["AssumedRoleUser"]["AssumedRoleId"]
            .as_str()
            .unwrap()
            .ends_with(":hop-one")
    );
    // botocore parsed the expiry: 7200 s after the call.
    let exp = credchain_core::time::Timestamp::parse(c1["Expiration"].as_str().unwrap()).unwrap();
    let life = exp.saturating_sub(sts.now());
    assert!((7100..=7200).contains(&life), "hop one lives {life} s");

    let hop2 = ok(&results, 1, "hop two");
    assert_eq!(
        hop2["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::210987654321:assumed-role/RoleB/hop-two"
    );
    let who2 = ok(&results, 2, "hop two identity");
    assert_eq!(who2["Arn"], hop2["AssumedRoleUser"]["Arn"]);
    assert_eq!(who2["Account"], "210987654321");
    let who_base = ok(&results, 3, "base identity");
    assert_eq!(who_base["Arn"], "arn:aws:iam::123456789012:user/credchain");
    assert_eq!(who_base["Account"], "123456789012");

    assert_eq!(err(&results, 4), ("SignatureDoesNotMatch".into(), 403));
    assert_eq!(err(&results, 5), ("InvalidClientTokenId".into(), 403));
    let web = ok(&results, 6, "web identity");
    assert_eq!(
        web["AssumedRoleUser"]["Arn"],
        "arn:aws:sts::123456789012:assumed-role/WebRole/web"
    );
    assert!(web["Credentials"]["SessionToken"].as_str().unwrap().len() > 100);
    assert_eq!(err(&results, 7), ("InvalidIdentityToken".into(), 400));
    assert_eq!(err(&results, 8), ("AccessDenied".into(), 403));
    ok(&results, 9, "external id");
    ok(&results, 10, "mfa");
    assert_eq!(err(&results, 11), ("AccessDenied".into(), 403));
    assert_eq!(err(&results, 12), ("AccessDenied".into(), 403));
    assert_eq!(err(&results, 13), ("ValidationError".into(), 400));
    assert_eq!(err(&results, 14), ("ValidationError".into(), 400));
    assert_eq!(err(&results, 15), ("ValidationError".into(), 400));
    let (code, status) = err(&results, 16);
    assert_eq!((code.as_str(), status), ("SignatureDoesNotMatch", 403));
    assert!(
        results[16]["error"]["Message"]
            .as_str()
            .unwrap()
            .contains("region"),
        "{}",
        results[16]
    );
    assert_eq!(err(&results, 17), ("InvalidClientTokenId".into(), 403));

    // What the server saw: the second hop was signed by the first hop's key, with its token.
    let calls = sts.calls();
    let hop_two = calls
        .iter()
        .find(|c| c.role_session_name.as_deref() == Some("hop-two"))
        .unwrap();
    assert_eq!(hop_two.signed_by.as_deref(), c1["AccessKeyId"].as_str());
    assert!(hop_two.session_token_sent);
    let hop_one = calls
        .iter()
        .find(|c| c.role_session_name.as_deref() == Some("hop-one"))
        .unwrap();
    assert_eq!(hop_one.signed_by.as_deref(), Some(AKID));
    assert!(!hop_one.session_token_sent);
    let web_call = calls
        .iter()
        .find(|c| c.action == "AssumeRoleWithWebIdentity")
        .unwrap();
    assert_eq!(web_call.signed_by, None, "web identity is unsigned");
    // Nothing secret in the transcript.
    let transcript = sts.controls().transcript_json();
    assert!(!transcript.contains(SECRET));
    assert!(!transcript.contains(c1["SessionToken"].as_str().unwrap()));
    assert!(!transcript.contains(c1["SecretAccessKey"].as_str().unwrap()));
    // HTTPS transcripts show every call; botocore kept its connection.
    assert_eq!(sts.transcript().len(), 18);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_sts_over_http() {
    if !oracle_available().await {
        return;
    }
    let sts = sts_server(false).await;
    assert!(sts.url().starts_with("http://"));
    sts_scenarios(&sts, "http", &[], None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_sts_over_https_with_verify() {
    if !oracle_available().await {
        return;
    }
    let sts = sts_server(true).await;
    assert!(sts.url().starts_with("https://"));
    let dir = scratch("verify-ca");
    let ca = write_ca(&dir, sts.ca_pem().unwrap());
    sts_scenarios(&sts, "https-verify", &[], Some(ca.to_str().unwrap())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_sts_over_https_with_aws_ca_bundle() {
    if !oracle_available().await {
        return;
    }
    let sts = sts_server(true).await;
    let dir = scratch("bundle-ca");
    let ca = write_ca(&dir, sts.ca_pem().unwrap());
    sts_scenarios(
        &sts,
        "https-bundle",
        &[("AWS_CA_BUNDLE", ca.to_str().unwrap())],
        None,
    )
    .await;

    // Without the bundle botocore refuses the certificate (its default is the Mozilla list).
    let calls = json!([{"service": "sts", "endpoint": sts.url(), "keys": [AKID, SECRET], "op": "get_caller_identity"}]);
    let results = botocore("https-no-bundle", &calls, &[]).await;
    assert_eq!(results[0]["exception"], "SSLError", "{}", results[0]);
    // Another server's CA is refused too.
    let other = StsServer::builder().https().start().await.unwrap();
    let wrong = write_ca(&dir.join("wrong"), other.ca_pem().unwrap());
    let results = botocore(
        "https-wrong-bundle",
        &calls,
        &[("AWS_CA_BUNDLE", wrong.to_str().unwrap())],
    )
    .await;
    assert_eq!(results[0]["exception"], "SSLError", "{}", results[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_minted_credentials_are_expired_tokens() {
    if !oracle_available().await {
        return;
    }
    let sts = StsServer::builder()
        .user(AKID, SECRET)
        .role(Role::new(ROLE_A))
        .session_lifetime(Duration::from_secs(1))
        .start()
        .await
        .unwrap();
    let ep = sts.url();
    let calls = json!([
        {"service": "sts", "endpoint": ep, "keys": [AKID, SECRET], "op": "assume_role",
         "params": {"RoleArn": ROLE_A, "RoleSessionName": "short", "DurationSeconds": 900}},
    ]);
    let first = botocore("expire-1", &calls, &[]).await;
    let creds = &ok(&first, 0, "short-lived")["Credentials"];
    // The configured life wins over DurationSeconds.
    let exp =
        credchain_core::time::Timestamp::parse(creds["Expiration"].as_str().unwrap()).unwrap();
    assert!(exp.saturating_sub(sts.now()) <= 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let keys = json!([
        creds["AccessKeyId"],
        creds["SecretAccessKey"],
        creds["SessionToken"]
    ]);
    let calls = json!([
        {"service": "sts", "endpoint": ep, "keys": keys, "op": "get_caller_identity"},
        {"service": "sts", "endpoint": ep, "keys": keys, "op": "assume_role",
         "params": {"RoleArn": ROLE_A, "RoleSessionName": "late"}},
    ]);
    let results = botocore("expire-2", &calls, &[]).await;
    assert_eq!(err(&results, 0), ("ExpiredToken".into(), 400));
    assert_eq!(err(&results, 1), ("ExpiredToken".into(), 400));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_and_injected_faults() {
    if !oracle_available().await {
        return;
    }
    let sts = StsServer::builder()
        .user(AKID, SECRET)
        .role(Role::new(ROLE_A))
        .start()
        .await
        .unwrap();
    let ep = sts.url();
    let call = json!({"service": "sts", "endpoint": ep, "keys": [AKID, SECRET], "op": "get_caller_identity"});
    // The server's clock runs ten minutes ahead: botocore's signature is too old.
    sts.controls().clock().advance(Duration::from_secs(600));
    let results = botocore("skew", &json!([call]), &[]).await;
    assert_eq!(err(&results, 0), ("SignatureDoesNotMatch".into(), 403));
    assert!(
        results[0]["error"]["Message"]
            .as_str()
            .unwrap()
            .starts_with("Signature expired:"),
        "{}",
        results[0]
    );
    sts.controls().clock().rewind(Duration::from_secs(600));

    // An injected throttle: botocore reads the STS error document.
    sts.controls()
        .add_fault(FaultRule::on_path("/", Fault::Status(400)).once())
        .unwrap();
    sts.controls()
        .add_fault(FaultRule::on_path("/", Fault::Status(503)).once())
        .unwrap();
    let results = botocore("faults", &json!([call, call, call]), &[]).await;
    assert_eq!(err(&results, 0), ("Throttling".into(), 400));
    assert_eq!(err(&results, 1), ("ServiceUnavailable".into(), 503));
    ok(&results, 2, "after the faults");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_sso_portal_and_oidc() {
    if !oracle_available().await {
        return;
    }
    for https in [false, true] {
        let mut b = SsoServer::builder()
            .access_token("good-access-token")
            .access_token_until(
                "old-access-token",
                credchain_core::time::Timestamp::UNIX_EPOCH,
            )
            .role("123456789012", "Admin")
            .client("client-id", "client-secret")
            .refresh_token("refresh-1");
        if https {
            b = b.https();
        }
        let sso = b.start().await.unwrap();
        let dir = scratch(&format!("sso-ca-{https}"));
        let mut base = json!({"endpoint": sso.url()});
        if let Some(pem) = sso.ca_pem() {
            base["verify"] = json!(write_ca(&dir, pem).to_str().unwrap());
        }
        let with = |extra: Value| {
            let mut c = base.clone();
            for (k, v) in extra.as_object().unwrap() {
                c[k] = v.clone();
            }
            c
        };
        let get = |token: &str, role: &str| {
            with(json!({"service": "sso", "op": "get_role_credentials",
                "params": {"roleName": role, "accountId": "123456789012", "accessToken": token}}))
        };
        let calls = json!([
            get("good-access-token", "Admin"),
            get("wrong-token", "Admin"),
            get("old-access-token", "Admin"),
            get("good-access-token", "NotMine"),
            with(
                json!({"service": "sso-oidc", "op": "create_token", "params": {
                "clientId": "client-id", "clientSecret": "client-secret",
                "grantType": "refresh_token", "refreshToken": "refresh-1"}})
            ),
            with(
                json!({"service": "sso-oidc", "op": "create_token", "params": {
                "clientId": "client-id", "clientSecret": "client-secret",
                "grantType": "refresh_token", "refreshToken": "not-a-refresh-token"}})
            ),
            with(
                json!({"service": "sso-oidc", "op": "create_token", "params": {
                "clientId": "client-id", "clientSecret": "wrong",
                "grantType": "refresh_token", "refreshToken": "refresh-1"}})
            ),
        ]);
        let results = botocore(&format!("sso-{https}"), &calls, &[]).await;
        let rc = &ok(&results, 0, "role credentials")["roleCredentials"];
        assert!(rc["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
        // Epoch milliseconds, one hour ahead.
        let ms = rc["expiration"].as_i64().unwrap();
        let ahead = ms / 1000 - sso.controls().clock().now().unix_secs();
        assert!(
            (3500..=3600).contains(&ahead),
            "expiration {ms} is {ahead} s ahead"
        );
        assert_eq!(err(&results, 1), ("UnauthorizedException".into(), 401));
        assert_eq!(err(&results, 2), ("UnauthorizedException".into(), 401));
        assert_eq!(err(&results, 3), ("ForbiddenException".into(), 403));
        let token = ok(&results, 4, "create_token");
        assert_eq!(token["tokenType"], "Bearer");
        assert_eq!(token["expiresIn"], 8 * 3600);
        assert_eq!(err(&results, 5), ("InvalidGrantException".into(), 400));
        assert_eq!(err(&results, 6), ("InvalidClientException".into(), 401));

        // The minted access token works at the portal.
        let fresh = token["accessToken"].as_str().unwrap();
        let results = botocore(
            &format!("sso-fresh-{https}"),
            &json!([get(fresh, "Admin")]),
            &[],
        )
        .await;
        ok(&results, 0, "with the refreshed token");
        // The bearer token never reaches the transcript.
        let transcript = sso.controls().transcript_json();
        assert!(!transcript.contains("good-access-token"));
        assert!(!transcript.contains(fresh));
        assert!(transcript.contains("<redacted: "));
        let ops: Vec<String> = sso.calls().iter().map(|c| c.operation.clone()).collect();
        assert_eq!(ops.len(), 8, "{ops:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// botocore's own assume-role *provider* (spec §8.1), pointed at the server with
/// `AWS_ENDPOINT_URL_STS` and `AWS_CA_BUNDLE`: a profile chain of two roles resolves to the
/// second role's credentials, innermost first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_role_provider_chain_over_https() {
    if !oracle_available().await {
        return;
    }
    let sts = sts_server(true).await;
    let home = scratch("provider");
    let ca = write_ca(&home.join("ca"), sts.ca_pem().unwrap());
    std::fs::write(
        home.join("config"),
        format!(
            "[profile base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n\n\
             [profile a]\nrole_arn = {ROLE_A}\nsource_profile = base\nrole_session_name = first\n\n\
             [profile b]\nrole_arn = {ROLE_B}\nsource_profile = a\nrole_session_name = second\n"
        ),
    )
    .unwrap();
    let script = r#"
import json, botocore.session
s = botocore.session.Session(profile="b")
c = s.get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"method": c.method, "access_key": f.access_key}))
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_ENDPOINT_URL_STS", sts.url())
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CA_BUNDLE", &ca)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["method"], "assume-role");
    let calls = sts.calls();
    let names: Vec<_> = calls
        .iter()
        .map(|c| c.role_session_name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, ["first", "second"], "innermost role first");
    assert_eq!(calls[0].signed_by.as_deref(), Some(AKID));
    assert_eq!(
        calls[1].signed_by, calls[0].minted,
        "hop two signed by hop one"
    );
    assert_eq!(v["access_key"].as_str(), calls[1].minted.as_deref());
}
