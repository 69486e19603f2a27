//! The cross-SDK provider suites, replayed through [`DefaultChain`]:
//! `default-provider-chain/` (29 cases) and `profile-provider/` (18 cases).
//!
//! Each case is a directory: `env.json` (the whole environment), `fs/` (a tree mounted at `/`),
//! `http-traffic.json` (recorded HTTP exchanges) and `test-case.json` (the expected result),
//! as `spec/aws-config.md` §2.9 describes. For each case:
//!
//! - `fs/` is copied into a temporary root; every variable whose value is an absolute path
//!   is moved under that root, and `HOME`, `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`
//!   and `BOTO_CONFIG` always point inside it (so the machine's own files are never read);
//! - the recorded responses are served by a replay server on loopback, matched by method and
//!   path in recorded order (a request with no recording left gets a 404 and is noted); the
//!   IMDS endpoint (`AWS_EC2_METADATA_SERVICE_ENDPOINT`) and the container endpoint
//!   (`AWS_CONTAINER_CREDENTIALS_FULL_URI`, replacing the fixed ECS address of a relative URI)
//!   point at it;
//! - a case whose recordings go to AWS hosts (`sts.us-east-1.amazonaws.com`,
//!   `sts-fips.us-east-1.api.aws`, `portal.sso.us-east-2.amazonaws.com`, …) is replayed under
//!   those names: the replay server also serves TLS with a certificate for them, signed by a
//!   CA made for the case and trusted through `AWS_CA_BUNDLE`, and the chain is built with
//!   [`DefaultChainBuilder::connect_to`](credchain::DefaultChainBuilder::connect_to) for each
//!   name (a name lookup never happens; TLS still verifies the name). No
//!   `AWS_ENDPOINT_URL_STS` / `_SSO` is set then, so the chain picks the host itself — FIPS and
//!   dual-stack included — and each request's `Host` and path must be a recording's. Other
//!   cases point `AWS_ENDPOINT_URL_STS` / `_SSO` at the plain replay server;
//! - the chain's clock and the IMDS expiry extension's clock are pinned at the Unix epoch, as
//!   the upstream harness pins them;
//! - `credentials()` is checked against `test-case.json`, and a fresh `explain()` (against a
//!   fresh replay of the same traffic) must agree with it.
//!
//! These suites follow the AWS SDK's order and its profile provider; credchain follows
//! botocore. Where botocore's answer differs, the case is in [`DIVERGENCES`] with the reason and
//! botocore's answer, and the test checks both that credchain gives botocore's answer and that
//! it really differs from the SDK's expectation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use credchain::{
    ChainFailure, Credentials, DefaultChain, Error, ExplainOutcome, ManualClock, StepOutcome,
};
use credchain_fs::EnvSnapshot;
use credchain_http::WallClock;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;

/// What credchain answers, following botocore, where the SDK expects something else.
#[derive(Debug, Clone, Copy)]
enum Listed {
    /// Credentials with this access key id, from this source.
    Ok {
        access_key_id: &'static str,
        source: &'static str,
    },
    /// `NoCredentialsError`.
    NoCredentials,
    /// An error of this botocore class from this source.
    Error {
        class: &'static str,
        source: Option<&'static str>,
    },
}

const SSO_NO_TOKEN: &str = "the same failure in botocore's words: no token in the SSO cache is \
                            SSOTokenLoadError (botocore raises it at first use; credchain makes \
                            the call while resolving)";
const SSO_RETRIED: &str = "botocore retries a 503 from the SSO portal (legacy retry mode, spec \
                           §8.4); the recording holds one answer, so the retry finds none (404) \
                           and the call fails with ClientError";
const STS_ERROR_WORDING: &str = "the same failure in botocore's words: STS's InvalidIdentityToken \
                                 is a ClientError (\"InvalidIdentityToken: No OpenIDConnect \
                                 provider found…\"), where the SDK names it \
                                 InvalidIdentityTokenException";
const NO_REGION: &str = "the case's region is AWS_REGION, which botocore does not read; with the \
                         STS endpoint pointed at the replay server and no region, botocore \
                         refuses to sign AssumeRole (NoRegionError, spec §8.4)";
const NO_SHELL: &str = "botocore runs credential_process without a shell (shlex split, spec §7): \
                        `echo … | base64 --decode` prints its arguments, which are not JSON";
const NO_SHELL_EXIT: &str = "botocore runs credential_process without a shell: `exit` is a shell \
                             builtin, not a program, so starting it fails";
const BAD_JSON_WORDING: &str = "the same failure in botocore's words: the output is not JSON \
                                (JSONDecodeError), where the SDK says \"invalid JSON in \
                                response\"";
const IMDS_TOKEN_FORBIDDEN: &str = "the role's credential_source is Ec2InstanceMetadata; botocore \
                                    takes a 403 to the token request as \"no token\" (spec §4.4), \
                                    finds no role, and raises CredentialRetrievalError where the \
                                    SDK stops with \"IMDS is disabled\"";
const ENV_SOURCE_EMPTY: &str = "profile A's role_arn with credential_source = Environment is \
                                botocore's assume-role source (the profile beats the web identity \
                                variables, as in the SDK); with no keys in the environment \
                                botocore raises CredentialRetrievalError where the SDK reports the \
                                provider as not enabled";
const NO_ROLE_ARN_WORDING: &str = "the same failure in botocore's words (InvalidConfigError: web \
                                   identity without a role ARN)";
const ENV_FIRST: &str = "the SDK's profile provider alone is under test; botocore's chain puts \
                         `env` before `assume-role` (spec §1.1), and the case sets \
                         AWS_ACCESS_KEY_ID";
const NOT_TRIMMED: &str = "botocore does not trim environment values (spec §2.1): a blank \
                           AWS_ACCESS_KEY_ID is non-empty, so `env` supplies the blank keys";
const SSO_TOKEN_ONLY: &str = "a profile with an sso_session but neither sso_account_id nor \
                              sso_role_name is not an SSO credentials profile for botocore: no \
                              source applies (botocore has no \"resolves a token instead\" error)";
const IMDS_ONE_ATTEMPT: &str = "botocore makes one IMDS attempt by default (spec §4.5); the SDK \
                                retries the 503s";
const IMDS_ROLE_BASE: &str = "the profile's role takes its source credentials from the IMDS \
                              (credential_source = Ec2InstanceMetadata); botocore raises \
                              CredentialRetrievalError when the IMDS has none, where the SDK \
                              reports the provider as not enabled";

/// Cases where credchain (following botocore) does not give the SDK's answer.
const DIVERGENCES: &[(&str, &str, Listed)] = &[
    (
        "default-provider-chain/imds_token_fail",
        IMDS_TOKEN_FORBIDDEN,
        Listed::Error {
            class: "CredentialRetrievalError",
            source: Some("assume-role"),
        },
    ),
    (
        "default-provider-chain/profile_overrides_web_identity",
        ENV_SOURCE_EMPTY,
        Listed::Error {
            class: "CredentialRetrievalError",
            source: Some("assume-role"),
        },
    ),
    (
        "default-provider-chain/sso_no_token_file",
        SSO_NO_TOKEN,
        Listed::Error {
            class: "SSOTokenLoadError",
            source: Some("sso"),
        },
    ),
    (
        "default-provider-chain/sso_server_error",
        SSO_RETRIED,
        Listed::Error {
            class: "ClientError",
            source: Some("sso"),
        },
    ),
    (
        "default-provider-chain/web_identity_source_profile_no_env",
        NO_ROLE_ARN_WORDING,
        Listed::Error {
            class: "InvalidConfigError",
            source: Some("assume-role"),
        },
    ),
    (
        "default-provider-chain/web_identity_token_invalid_jwt",
        STS_ERROR_WORDING,
        Listed::Error {
            class: "ClientError",
            source: Some("assume-role"),
        },
    ),
    (
        "default-provider-chain/web_identity_token_source_profile",
        NO_REGION,
        Listed::Error {
            class: "NoRegionError",
            source: Some("assume-role"),
        },
    ),
    (
        "default-provider-chain/environment_variables_blank",
        NOT_TRIMMED,
        Listed::Ok {
            access_key_id: " ",
            source: "env",
        },
    ),
    (
        "default-provider-chain/imds_default_chain_retries",
        IMDS_ONE_ATTEMPT,
        Listed::NoCredentials,
    ),
    (
        "default-provider-chain/imds_no_iam_role",
        IMDS_ROLE_BASE,
        Listed::Error {
            class: "CredentialRetrievalError",
            source: Some("assume-role"),
        },
    ),
    (
        "profile-provider/credential_process",
        NO_SHELL,
        Listed::Error {
            class: "JSONDecodeError",
            source: Some("custom-process"),
        },
    ),
    (
        "profile-provider/credential_process_account_id_fallback",
        NO_SHELL,
        Listed::Error {
            class: "JSONDecodeError",
            source: Some("custom-process"),
        },
    ),
    (
        "profile-provider/credential_process_failure",
        NO_SHELL_EXIT,
        Listed::Error {
            class: "FileNotFoundError",
            source: Some("custom-process"),
        },
    ),
    (
        "profile-provider/credential_process_invalid",
        BAD_JSON_WORDING,
        Listed::Error {
            class: "JSONDecodeError",
            source: Some("custom-process"),
        },
    ),
    (
        "profile-provider/e2e_assume_role",
        ENV_FIRST,
        Listed::Ok {
            access_key_id: "foo",
            source: "env",
        },
    ),
    (
        "profile-provider/invalid_sso_credentials_config",
        SSO_TOKEN_ONLY,
        Listed::NoCredentials,
    ),
    (
        "profile-provider/sso_token",
        SSO_TOKEN_ONLY,
        Listed::NoCredentials,
    ),
];

const AWS_REGION_GLOBAL: &str = "the case's region is AWS_REGION, which botocore does not read: \
                                 without a region botocore's STS client goes to the global \
                                 https://sts.amazonaws.com, not the recorded regional host";

/// Cases with recordings to AWS hosts that are still replayed through `AWS_ENDPOINT_URL_STS` /
/// `_SSO`, and why: botocore (and so credchain) sends no request to the recorded host.
const KEEP_ENDPOINT_OVERRIDE: &[(&str, &str)] = &[
    (
        "default-provider-chain/web_identity_token_env",
        AWS_REGION_GLOBAL,
    ),
    (
        "default-provider-chain/web_identity_token_invalid_jwt",
        AWS_REGION_GLOBAL,
    ),
    (
        "default-provider-chain/web_identity_token_profile",
        AWS_REGION_GLOBAL,
    ),
    (
        "default-provider-chain/web_identity_token_source_profile",
        AWS_REGION_GLOBAL,
    ),
    (
        "profile-provider/region_override",
        "the case overrides the profile's region with AWS_REGION, which botocore does not read: \
         botocore's STS client uses the profile's us-east-1, not the recorded us-east-2",
    ),
    ("profile-provider/e2e_assume_role", ENV_FIRST),
];

// ---------------------------------------------------------------------------------------------
// The replay server.

/// One recorded exchange.
#[derive(Debug, Clone)]
struct Exchange {
    method: String,
    /// The host of an `https` AWS endpoint's URL (`None` for the IMDS, the container
    /// endpoint, and test hosts such as `aws.sts-env-override`).
    aws_host: Option<String>,
    /// Path and query, without the scheme and host.
    target: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A target with its query parameters sorted: the SDK that recorded the traffic and botocore
/// write `role_name` and `account_id` in different orders.
fn normalized(target: &str) -> String {
    match target.split_once('?') {
        Some((path, query)) => {
            let mut pairs: Vec<&str> = query.split('&').collect();
            pairs.sort_unstable();
            format!("{path}?{}", pairs.join("&"))
        }
        None => target.to_owned(),
    }
}

fn target_of(uri: &str) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, r)| r);
    match rest.find('/') {
        Some(i) => rest[i..].to_owned(),
        None => "/".to_owned(),
    }
}

/// The host of `uri` when it is an `https` URL of an AWS endpoint (a name under one of the
/// partitions' DNS suffixes).
fn aws_host_of(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("https://")?;
    let host = rest.split(['/', '?']).next()?.to_ascii_lowercase();
    let suffixes = [".amazonaws.com", ".amazonaws.com.cn", ".api.aws"];
    suffixes.iter().any(|s| host.ends_with(s)).then_some(host)
}

fn load_traffic(path: &Path) -> Vec<Exchange> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut by_conn: BTreeMap<u64, Exchange> = BTreeMap::new();
    for event in doc["events"].as_array().unwrap() {
        let id = event["connection_id"].as_u64().unwrap();
        let action = &event["action"];
        if let Some(req) = action.get("Request") {
            let req = &req["request"];
            by_conn.insert(
                id,
                Exchange {
                    method: req["method"].as_str().unwrap().to_owned(),
                    aws_host: aws_host_of(req["uri"].as_str().unwrap()),
                    target: target_of(req["uri"].as_str().unwrap()),
                    status: 0,
                    headers: Vec::new(),
                    body: Vec::new(),
                },
            );
        } else if let Some(resp) = action.get("Response") {
            let ex = by_conn.get_mut(&id).unwrap();
            let ok = &resp["response"]["Ok"];
            ex.status = u16::try_from(ok["status"].as_u64().unwrap()).unwrap();
            for (name, values) in ok["headers"].as_object().unwrap() {
                let skip = ["content-length", "connection", "transfer-encoding", "date"];
                if skip.contains(&name.as_str()) {
                    continue;
                }
                for v in values.as_array().unwrap() {
                    ex.headers
                        .push((name.clone(), v.as_str().unwrap().to_owned()));
                }
            }
        } else if let Some(data) = action.get("Data") {
            if data["direction"] != "Response" {
                continue;
            }
            let ex = by_conn.get_mut(&id).unwrap();
            if let Some(s) = data["data"].get("Utf8") {
                ex.body.extend_from_slice(s.as_str().unwrap().as_bytes());
            } else {
                panic!("{}: only UTF-8 bodies are replayed", path.display());
            }
        }
    }
    by_conn.into_values().collect()
}

#[derive(Debug, Default)]
struct Replay {
    exchanges: Vec<Exchange>,
    used: Vec<bool>,
    /// Requests served, in order: (method, target, status).
    served: Vec<(String, String, u16)>,
    /// Requests with no recording left (over TLS: `Host` and target).
    unmatched: Vec<(String, String)>,
}

/// The replay server: plain HTTP for the IMDS and container endpoints (and the AWS endpoints
/// of cases replayed through `AWS_ENDPOINT_URL_*`), and, for a case replayed under the
/// recorded AWS host names, TLS with `tls`'s certificate.
struct ReplayServer {
    addr: SocketAddr,
    /// The TLS listener, with the names its certificate holds and the CA's PEM.
    tls: Option<(SocketAddr, Vec<String>, String)>,
    state: Arc<Mutex<Replay>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Serves one connection (already through TLS when `over_tls`).
fn serve<S>(stream: S, state: Arc<Mutex<Replay>>, over_tls: bool)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(answer(&state, req, over_tls).await) }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), svc)
            .await;
    });
}

impl ReplayServer {
    /// Starts the server; with `real_hosts`, also the TLS listener for the recorded AWS
    /// host names.
    async fn start(exchanges: Vec<Exchange>, real_hosts: bool) -> ReplayServer {
        let mut hosts: Vec<String> = exchanges
            .iter()
            .filter_map(|e| e.aws_host.clone())
            .collect();
        hosts.sort();
        hosts.dedup();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(Replay {
            used: vec![false; exchanges.len()],
            exchanges,
            ..Replay::default()
        }));
        let shared = state.clone();
        let mut tasks = vec![tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                serve(stream, shared.clone(), false);
            }
        })];
        let mut tls = None;
        if real_hosts && !hosts.is_empty() {
            let names: Vec<&str> = hosts.iter().map(String::as_str).collect();
            let identity = credchain_server::TlsIdentity::for_names(&names).unwrap();
            let acceptor =
                tokio_rustls::TlsAcceptor::from(identity.rustls_server_config().unwrap());
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let tls_addr = listener.local_addr().unwrap();
            let shared = state.clone();
            tasks.push(tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    let state = shared.clone();
                    tokio::spawn(async move {
                        if let Ok(stream) = acceptor.accept(stream).await {
                            serve(stream, state, true);
                        }
                    });
                }
            }));
            tls = Some((tls_addr, hosts, identity.ca_pem().to_owned()));
        }
        ReplayServer {
            addr,
            tls,
            state,
            tasks,
        }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ReplayServer {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Answers with the first unused recording of the same method and target — over TLS, of the
/// same AWS host too (the request's `Host`, port 443 implied).
async fn answer(
    state: &Mutex<Replay>,
    req: Request<Incoming>,
    over_tls: bool,
) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let host = req
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| h.strip_suffix(":443").unwrap_or(h).to_ascii_lowercase());
    let _ = req.into_body().collect().await;
    let mut st = state.lock().unwrap();
    let found = (0..st.exchanges.len()).find(|&i| {
        !st.used[i]
            && st.exchanges[i].method == method
            && normalized(&st.exchanges[i].target) == normalized(&target)
            && (!over_tls || st.exchanges[i].aws_host == host)
    });
    let target = if over_tls {
        format!("https://{}{target}", host.unwrap_or_default())
    } else {
        target
    };
    let Some(i) = found else {
        st.unmatched.push((method.clone(), target.clone()));
        st.served.push((method, target, 404));
        let mut r = Response::new(Full::new(Bytes::from_static(b"no recorded exchange")));
        *r.status_mut() = hyper::StatusCode::NOT_FOUND;
        return r;
    };
    st.used[i] = true;
    let ex = st.exchanges[i].clone();
    st.served.push((method, target, ex.status));
    let mut r = Response::new(Full::new(Bytes::from(ex.body)));
    *r.status_mut() = hyper::StatusCode::from_u16(ex.status).unwrap();
    for (k, v) in &ex.headers {
        r.headers_mut().append(
            hyper::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            hyper::header::HeaderValue::from_str(v).unwrap(),
        );
    }
    r
}

// ---------------------------------------------------------------------------------------------
// The cases.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expected {
    Ok {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        account_id: Option<String>,
        expiry: Option<i64>,
    },
    ErrorContains(String),
}

fn expected_of(dir: &Path) -> Expected {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("test-case.json")).unwrap())
            .unwrap();
    let result = &doc["result"];
    if let Some(ok) = result.get("Ok") {
        let s = |k: &str| ok.get(k).and_then(Value::as_str).map(str::to_owned);
        Expected::Ok {
            access_key_id: s("access_key_id").unwrap(),
            secret_access_key: s("secret_access_key").unwrap(),
            session_token: s("session_token"),
            account_id: s("account_id"),
            expiry: ok.get("expiry").and_then(Value::as_i64),
        }
    } else {
        Expected::ErrorContains(result["ErrorContains"].as_str().unwrap().to_owned())
    }
}

/// What the chain answered.
#[derive(Debug)]
enum Got {
    Ok(Arc<Credentials>),
    NoCredentials,
    Error {
        class: String,
        source: Option<&'static str>,
        message: String,
    },
}

fn got_of(r: Result<Arc<Credentials>, Error>) -> Got {
    match r {
        Ok(c) => Got::Ok(c),
        Err(e) if e.is_not_found() && e.provider() == credchain::chain::CHAIN => Got::NoCredentials,
        Err(e) => {
            let failure = std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<ChainFailure>())
                .cloned();
            match failure {
                Some(f) => Got::Error {
                    class: f.class.to_owned(),
                    source: f.source,
                    message: e.to_string(),
                },
                None => Got::Error {
                    class: "(not a chain failure)".to_owned(),
                    source: Some(e.provider()),
                    message: e.to_string(),
                },
            }
        }
    }
}

/// Whether `got` is what the SDK expects. Error messages differ between SDKs: the SDK's
/// "the credential provider was not enabled" is botocore's no credentials, its "could not
/// parse profile file" botocore's `ConfigParseError`; any other expected message must appear
/// in credchain's.
fn meets_sdk(expected: &Expected, got: &Got) -> Result<(), String> {
    match (expected, got) {
        (
            Expected::Ok {
                access_key_id,
                secret_access_key,
                session_token,
                account_id,
                expiry,
            },
            Got::Ok(c),
        ) => {
            let mut diffs = Vec::new();
            if c.access_key_id() != access_key_id {
                diffs.push(format!(
                    "access key {} != {access_key_id}",
                    c.access_key_id()
                ));
            }
            if c.expose_secret_access_key() != secret_access_key {
                diffs.push("secret key differs".to_owned());
            }
            if c.expose_session_token() != session_token.as_deref() {
                diffs.push("session token differs".to_owned());
            }
            if account_id.is_some() && c.account_id() != account_id.as_deref() {
                diffs.push(format!("account {:?} != {account_id:?}", c.account_id()));
            }
            if c.expiry_unix_secs() != *expiry {
                diffs.push(format!("expiry {:?} != {expiry:?}", c.expiry_unix_secs()));
            }
            if diffs.is_empty() {
                Ok(())
            } else {
                Err(diffs.join("; "))
            }
        }
        (Expected::ErrorContains(want), Got::NoCredentials)
            if want.contains("provider was not enabled") =>
        {
            Ok(())
        }
        (Expected::ErrorContains(want), Got::Error { class, .. })
            if want.contains("could not parse profile file") && class == "ConfigParseError" =>
        {
            Ok(())
        }
        (Expected::ErrorContains(want), Got::Error { message, .. }) if message.contains(want) => {
            Ok(())
        }
        (want, got) => Err(format!("the SDK expects {want:?}, credchain gave {got:?}")),
    }
}

fn meets_listed(listed: Listed, got: &Got) -> Result<(), String> {
    let ok = match (listed, got) {
        (
            Listed::Ok {
                access_key_id,
                source,
            },
            Got::Ok(c),
        ) => c.access_key_id() == access_key_id && c.provider() == source,
        (Listed::NoCredentials, Got::NoCredentials) => true,
        (
            Listed::Error { class, source },
            Got::Error {
                class: c,
                source: s,
                ..
            },
        ) => class == c && source == *s,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "the divergence table says {listed:?}, credchain gave {got:?}"
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// botocore, asked on the same environment, files and replayed traffic.

/// Resolves with botocore's session and prints what it found. Role credentials are deferred
/// in botocore (no STS call until they are used), so for those only the method is read.
const ORACLE: &str = r#"
import json, sys
import botocore, botocore.session
if botocore.__version__ != "1.43.11":
    sys.exit("botocore 1.43.11 is required, found " + botocore.__version__)
out = {}
try:
    c = botocore.session.Session().get_credentials()
    if c is None:
        out = {"result": "none"}
    else:
        out = {"result": "ok", "method": c.method}
        if c.method not in ("assume-role", "assume-role-with-web-identity", "sso"):
            out["access_key_id"] = getattr(c, "_access_key", None) or c.access_key
except Exception as e:
    out = {"result": "error", "class": type(e).__name__, "message": str(e)}
print(json.dumps(out))
"#;

fn python() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("python3"))
        .find(|p| p.is_file())
        .expect("python3 with botocore 1.43.11 is needed for the oracle")
}

fn botocore_answer(env: &EnvSnapshot) -> Value {
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(ORACLE)
        .env_clear()
        .envs(env.iter())
        .env("PYTHONUTF8", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Whether credchain and botocore found the same: the same source and access key id, both
/// nothing, the same error class; for a role source credchain cannot carry out yet, botocore's
/// credentials come from that source.
fn is_role(b: &Value) -> bool {
    matches!(
        b["method"].as_str(),
        Some("assume-role" | "assume-role-with-web-identity" | "sso")
    )
}

fn agrees_with_botocore(b: &Value, got: &Got) -> Result<(), String> {
    let ok = match (b["result"].as_str(), got) {
        // botocore defers role calls to first use: its answer is the method; credchain made the
        // call, so its credentials — or the error of that call — come from the same source.
        (Some("ok"), Got::Ok(c)) if is_role(b) => b["method"] == c.provider(),
        (Some("ok"), Got::Error { source, .. }) if is_role(b) => b["method"].as_str() == *source,
        (Some("ok"), Got::Ok(c)) => {
            b["method"] == c.provider() && b["access_key_id"] == c.access_key_id()
        }
        (Some("none"), Got::NoCredentials) => true,
        (Some("error"), Got::Error { class, .. }) => b["class"] == class.as_str(),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("botocore found {b}, credchain {got:?}"))
    }
}

/// The case's environment, moved into `root`, with the endpoints at `server` (the AWS
/// endpoints through `AWS_ENDPOINT_URL_*` unless the server serves their real names; then
/// `AWS_CA_BUNDLE` names its CA, written under `root`).
fn environment(dir: &Path, root: &Path, server: &ReplayServer) -> EnvSnapshot {
    let base = &server.base();
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("env.json")).unwrap()).unwrap();
    let rooted = |p: &str| format!("{}{p}", root.display());
    let mut env = EnvSnapshot::default();
    for (k, v) in doc.as_object().unwrap() {
        let v = v.as_str().unwrap();
        if v.starts_with('/') && (k == "HOME" || k == "BOTO_CONFIG" || k.ends_with("_FILE")) {
            env.set(k, rooted(v));
        } else {
            env.set(k, v);
        }
    }
    if env.var("HOME").is_none() {
        env.set("HOME", rooted("/home"));
    }
    let home = env.var("HOME").unwrap().to_owned();
    if env.var("AWS_CONFIG_FILE").is_none() {
        env.set("AWS_CONFIG_FILE", format!("{home}/.aws/config"));
    }
    if env.var("AWS_SHARED_CREDENTIALS_FILE").is_none() {
        env.set(
            "AWS_SHARED_CREDENTIALS_FILE",
            format!("{home}/.aws/credentials"),
        );
    }
    if env.var("BOTO_CONFIG").is_none() {
        env.set("BOTO_CONFIG", rooted("/no-boto.cfg"));
    }
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", format!("{base}/"));
    if let Some((_, _, ca)) = &server.tls {
        // The real host names, pinned to loopback by the chain's `connect_to`; the case's CA
        // is the only one trusted.
        let path = root.join("replay-ca.pem");
        std::fs::write(&path, ca).unwrap();
        env.set("AWS_CA_BUNDLE", path.display().to_string());
    } else {
        // STS and the SSO portal: the recorded answers, on loopback (the service variables win
        // over a case's own `AWS_ENDPOINT_URL`, so nothing leaves the machine).
        env.set("AWS_ENDPOINT_URL_STS", base);
        env.set("AWS_ENDPOINT_URL_SSO", base);
    }
    if let Some(rel) = env
        .var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
        .map(str::to_owned)
    {
        env.remove("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", format!("{base}{rel}"));
    } else if let Some(full) = env
        .var("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .map(str::to_owned)
    {
        env.set(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{base}{}", target_of(&full)),
        );
    }
    env
}

/// Profile files name their web identity token files by absolute paths of the case's tree:
/// move them under `root`, as the environment's paths are.
fn root_token_files(dir: &Path, root: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let path = e.unwrap().path();
        if path.is_dir() {
            root_token_files(&path, root);
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        if !text.contains("web_identity_token_file") {
            continue;
        }
        let rooted: Vec<String> = text
            .lines()
            .map(|line| match line.split_once('=') {
                Some((k, v))
                    if k.trim() == "web_identity_token_file" && v.trim().starts_with('/') =>
                {
                    format!("{k}= {}{}", root.display(), v.trim())
                }
                _ => line.to_owned(),
            })
            .collect();
        std::fs::write(&path, rooted.join("\n") + "\n").unwrap();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = std::fs::read_dir(from) else {
        return;
    };
    std::fs::create_dir_all(to).unwrap();
    for e in entries {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

fn epoch_secs() -> i64 {
    0
}

fn no_jitter() -> u64 {
    0
}

/// The chain for a case replayed by `server`: its AWS host names, if it serves them,
/// connect to its TLS listener.
fn chain(env: EnvSnapshot, server: &ReplayServer) -> DefaultChain {
    let mut builder = DefaultChain::builder();
    if let Some((addr, hosts, _)) = &server.tls {
        for host in hosts {
            builder = builder.connect_to(host, 443, *addr);
        }
    }
    builder
        .env(env)
        .clock(ManualClock::at_unix_secs(0))
        .imds_wall_clock(WallClock {
            now_unix_secs: epoch_secs,
            jitter: no_jitter,
        })
        .process_deadline(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Whether an explanation tells the same story as `got`.
fn explain_agrees(e: &credchain::Explanation, got: &Got) -> Result<(), String> {
    let ok = match (&e.outcome, got) {
        (
            ExplainOutcome::Credentials {
                source,
                access_key_id,
                ..
            },
            Got::Ok(c),
        ) => {
            *source == c.provider()
                && access_key_id == c.access_key_id()
                && e.winner().map(|w| w.source) == Some(*source)
        }
        (ExplainOutcome::NoCredentials, Got::NoCredentials) => e
            .steps
            .iter()
            .all(|s| matches!(s.outcome, StepOutcome::Nothing | StepOutcome::Skipped)),
        (
            ExplainOutcome::Error { class, source, .. },
            Got::Error {
                class: c,
                source: s,
                ..
            },
        ) => {
            class == c
                && source == s
                && (source.is_none()
                    || e.steps
                        .iter()
                        .any(|st| Some(st.source) == *source && st.outcome == StepOutcome::Error))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "explain says {:?}, credentials() gave {got:?}",
            e.outcome
        ))
    }
}

async fn run_case(suite: &str, dir: &Path) -> Result<String, String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let root = tempfile::tempdir().unwrap();
    copy_tree(&dir.join("fs"), root.path());
    root_token_files(root.path(), root.path());
    let traffic = load_traffic(&dir.join("http-traffic.json"));

    let real_hosts = !KEEP_ENDPOINT_OVERRIDE
        .iter()
        .any(|(n, _)| *n == format!("{suite}/{name}"));
    let server = ReplayServer::start(traffic.clone(), real_hosts).await;
    let env = environment(dir, root.path(), &server);
    let got = got_of(chain(env.clone(), &server).credentials().await);
    let (unmatched, served) = {
        let st = server.state.lock().unwrap();
        (st.unmatched.clone(), st.served.clone())
    };
    if server.tls.is_some() {
        // Replayed under the real names: every AWS request went to a recorded host and path
        // (one with no recording left is a retry of a recorded call, as in sso_server_error).
        let recorded = |target: &str| {
            traffic.iter().any(|e| {
                e.aws_host.as_ref().is_some_and(|h| {
                    normalized(target) == normalized(&format!("https://{h}{}", e.target))
                })
            })
        };
        let strays: Vec<_> = unmatched
            .iter()
            .filter(|(_, t)| t.starts_with("https://") && !recorded(t))
            .collect();
        if !strays.is_empty() {
            return Err(format!(
                "{suite}/{name}: requests to no recorded host and path: {strays:?} \
                 (served: {served:?})"
            ));
        }
        let tls_served = served
            .iter()
            .filter(|s| s.1.starts_with("https://"))
            .count();
        if tls_served == 0 {
            return Err(format!(
                "{suite}/{name}: no request reached the recorded AWS hosts (served: {served:?})"
            ));
        }
    }
    // The AWS calls made under their real names, for the report line.
    let mut via: Vec<&str> = served
        .iter()
        .map(|s| s.1.as_str())
        .filter(|t| t.starts_with("https://"))
        .collect();
    via.dedup();
    // The FIPS and dual-stack cases must have reached a FIPS dual-stack host for real.
    if name.contains("fips")
        && !via
            .iter()
            .any(|t| t.contains("-fips.") && t.contains(".api.aws/"))
    {
        return Err(format!(
            "{suite}/{name}: no request reached a FIPS dual-stack host (served: {served:?})"
        ));
    }
    let via = if via.is_empty() {
        String::new()
    } else {
        format!(", calling {}", via.join(" and "))
    };

    let again = ReplayServer::start(traffic, real_hosts).await;
    let env2 = environment(dir, root.path(), &again);
    let explanation = chain(env2, &again).explain().await;
    explain_agrees(&explanation, &got)?;
    // `explain` says where each role call went: for the FIPS cases, the FIPS dual-stack host.
    if name.contains("fips")
        && !explanation.roles.iter().any(|r| {
            r.endpoint
                .as_deref()
                .is_some_and(|u| u.contains("-fips.") && u.contains(".api.aws"))
        })
    {
        return Err(format!(
            "{suite}/{name}: explain shows no call to a FIPS dual-stack endpoint: {:?}",
            explanation.roles
        ));
    }

    // botocore defers role calls (it resolves no host here): it gets the loopback overrides.
    let oracle = ReplayServer::start(load_traffic(&dir.join("http-traffic.json")), false).await;
    let env3 = environment(dir, root.path(), &oracle);
    let botocore = botocore_answer(&env3);
    agrees_with_botocore(&botocore, &got).map_err(|why| format!("{suite}/{name}: {why}"))?;

    let expected = expected_of(dir);
    let sdk = meets_sdk(&expected, &got);
    let listed = DIVERGENCES
        .iter()
        .find(|(n, _, _)| *n == format!("{suite}/{name}"));
    match (listed, sdk) {
        (None, Ok(())) => Ok(format!(
            "{suite}/{name}: as the SDK expects, and as botocore{via}"
        )),
        (None, Err(why)) => Err(format!(
            "{suite}/{name}: {why} (requests with no recording: {unmatched:?}; botocore: \
             {botocore})\n{explanation}"
        )),
        (Some((_, reason, listed)), Ok(())) => Err(format!(
            "{suite}/{name} is listed as a divergence ({reason}, {listed:?}) but credchain \
             gives the SDK's answer"
        )),
        (Some((_, reason, listed)), Err(_)) => meets_listed(*listed, &got)
            .map(|()| format!("{suite}/{name}: differs from the SDK as listed ({reason}){via}"))
            .map_err(|why| format!("{suite}/{name}: {why}\n{explanation}")),
    }
}

async fn run_suite(suite: &str, expected_cases: usize) {
    let base = credchain_tests::testdata(suite);
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), expected_cases, "{suite}: case count");
    let mut failures = Vec::new();
    let mut passed = 0;
    for dir in &dirs {
        match run_case(suite, dir).await {
            Ok(line) => {
                println!("ok   {line}");
                passed += 1;
            }
            Err(why) => {
                println!("FAIL {why}");
                failures.push(why);
            }
        }
    }
    println!("{suite}: {passed} of {} cases as expected", dirs.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases of {suite} failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_provider_chain_suite() {
    run_suite("default-provider-chain", 29).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_provider_suite() {
    run_suite("profile-provider", 18).await;
}
