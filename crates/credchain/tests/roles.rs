//! Role sources carried out end to end (spec §8): `DefaultChain` against an STS and an SSO
//! portal on loopback that check what a real one checks — the SigV4 signature recomputed with
//! the server's own copy of every key (the configured base keys and every key it minted, the
//! session token included), web identity tokens, role permissions — and keep a transcript of
//! which access key id signed each call.
//!
//! What is proven: a chain of N roles makes N `AssumeRole` calls innermost first, each signed
//! with the previous hop's credentials; `credential_source = Environment`; web identity from
//! the environment (unsigned, token file trimmed); `external_id`, `duration_seconds`,
//! `role_session_name` and botocore's default session name in the body; MFA through the
//! builder's prompt, and a clear error without one; a rejected signature and `AccessDenied`
//! stop the chain with botocore's class and a message naming the profile and the hop; 503s are
//! retried; a refresh re-signs every hop with fresh keys; SSO from the token cache, and an
//! expired token says to run `aws sso login`; `explain` shows every hop.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use credchain::{ChainFailure, DefaultChain, Error, ExplainOutcome};
use credchain_core::sigv4::{self, parse_authorization, verify};
use credchain_core::sts::{AssumedRoleDocument, ErrorDocument, StsOperation};
use credchain_core::time::Timestamp;
use credchain_fs::EnvSnapshot;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

// ---------------------------------------------------------------------------------------------
// A checking STS and SSO portal.

/// One call the server saw.
#[derive(Debug, Clone)]
struct Call {
    action: String,
    params: BTreeMap<String, String>,
    /// The access key id of the `Authorization` header.
    signed_by: Option<String>,
    /// The key minted, or the error code answered.
    answer: Result<String, String>,
}

#[derive(Default)]
struct State {
    /// Every key the server knows: access key id → (secret, session token).
    keys: HashMap<String, (String, Option<String>)>,
    /// Roles that answer AccessDenied.
    denied: HashSet<String>,
    /// Valid web identity tokens.
    web_tokens: HashSet<String>,
    /// Statuses to answer before any real work (fault injection).
    faults: Vec<u16>,
    /// Lifetime of minted credentials, seconds.
    life: i64,
    minted: u32,
    calls: Vec<Call>,
    /// SSO: valid bearer tokens.
    sso_tokens: HashSet<String>,
    /// Accept keys the server does not know (minted by another server: the IMDS), unchecked.
    accept_unknown: bool,
}

struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    async fn start(base_keys: &[(&str, &str)]) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut st = State {
            life: 3600,
            ..State::default()
        };
        for (id, secret) in base_keys {
            st.keys
                .insert((*id).to_owned(), ((*secret).to_owned(), None));
        }
        let state = Arc::new(Mutex::new(st));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(&state, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Server { addr, state, task }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    fn with(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }
}

fn form(body: &str) -> BTreeMap<String, String> {
    let decode = |s: &str| {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                out.push(
                    u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap(), 16)
                        .unwrap(),
                );
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn xml(status: u16, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    r
}

fn error(status: u16, code: &str, message: &str) -> Response<Full<Bytes>> {
    let mut buf = vec![0u8; 4096];
    let doc = ErrorDocument {
        error_type: "Sender",
        code,
        message,
        request_id: "req-err",
    }
    .write(&mut buf)
    .unwrap()
    .to_owned();
    xml(status, doc)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn answer(state: &Mutex<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = req.method().as_str().to_owned();
    let target = req
        .uri()
        .path_and_query()
        .map_or("/".to_owned(), |p| p.as_str().to_owned());
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let mut st = state.lock().unwrap();
    if method == "GET" && target.starts_with("/federation/credentials") {
        let token = header("x-amz-sso_bearer_token").unwrap_or_default();
        if !st.sso_tokens.contains(&token) {
            let mut r = Response::new(Full::new(Bytes::from_static(
                br#"{"message":"Session token not found or invalid"}"#,
            )));
            *r.status_mut() = hyper::StatusCode::UNAUTHORIZED;
            r.headers_mut().insert(
                "x-amzn-errortype",
                hyper::header::HeaderValue::from_static("UnauthorizedException"),
            );
            return r;
        }
        st.minted += 1;
        let id = format!("ASIASSO{:08}", st.minted);
        let exp_ms = (now() + st.life) * 1000;
        let doc = format!(
            r#"{{"roleCredentials":{{"accessKeyId":"{id}","secretAccessKey":"sso-secret","sessionToken":"sso-token","expiration":{exp_ms}}}}}"#
        );
        st.calls.push(Call {
            action: "GetRoleCredentials".into(),
            params: BTreeMap::from([("target".to_owned(), target.clone())]),
            signed_by: None,
            answer: Ok(id),
        });
        return Response::new(Full::new(Bytes::from(doc)));
    }
    let body_text = String::from_utf8(body.to_vec()).unwrap();
    let params = form(&body_text);
    let action = params.get("Action").cloned().unwrap_or_default();
    let mut call = Call {
        action: action.clone(),
        params: params.clone(),
        signed_by: None,
        answer: Err(String::new()),
    };
    if let Some(status) = st.faults.pop() {
        call.answer = Err("ServiceUnavailable".into());
        st.calls.push(call);
        return error(status, "ServiceUnavailable", "try again");
    }
    let role = params.get("RoleArn").cloned().unwrap_or_default();
    let reject = |st: &mut State, mut call: Call, status, code: &str, msg: &str| {
        call.answer = Err(code.to_owned());
        st.calls.push(call);
        error(status, code, msg)
    };
    match action.as_str() {
        "AssumeRole" => {
            let Some(auth_value) = header("authorization") else {
                return reject(
                    &mut st,
                    call,
                    403,
                    "MissingAuthenticationToken",
                    "no signature",
                );
            };
            let auth = parse_authorization(&auth_value).unwrap();
            call.signed_by = Some(auth.access_key_id.to_owned());
            let known = st.keys.get(auth.access_key_id).cloned();
            let (secret, token) = match known {
                Some(k) => k,
                None if st.accept_unknown => {
                    st.keys
                        .insert(auth.access_key_id.to_owned(), (String::new(), None));
                    (String::new(), header("x-amz-security-token"))
                }
                None => return reject(&mut st, call, 403, "InvalidClientTokenId", "unknown key"),
            };
            let unchecked = secret.is_empty() && st.accept_unknown;
            if token.as_deref() != header("x-amz-security-token").as_deref() {
                return reject(&mut st, call, 403, "InvalidClientTokenId", "token mismatch");
            }
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let request = sigv4::Request {
                method: "POST",
                path: "/",
                query: "",
                headers: &pairs,
                payload: &body,
            };
            if auth.service != "sts" || (!unchecked && verify(&request, &auth, &secret).is_err()) {
                return reject(
                    &mut st,
                    call,
                    403,
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you provided.",
                );
            }
            if st.denied.contains(&role) {
                return reject(
                    &mut st,
                    call,
                    403,
                    "AccessDenied",
                    &format!(
                        "User: {} is not authorized to perform: sts:AssumeRole on resource: {role}",
                        auth.access_key_id
                    ),
                );
            }
        }
        "AssumeRoleWithWebIdentity" => {
            if header("authorization").is_some() {
                return reject(
                    &mut st,
                    call,
                    400,
                    "InvalidParameter",
                    "signed web identity",
                );
            }
            let token = params.get("WebIdentityToken").cloned().unwrap_or_default();
            if !st.web_tokens.contains(&token) {
                return reject(&mut st, call, 400, "InvalidIdentityToken", "bad token");
            }
        }
        _ => return reject(&mut st, call, 400, "InvalidAction", "unknown action"),
    }
    st.minted += 1;
    let id = format!("ASIAMINT{:08}", st.minted);
    let secret = format!("minted-secret-{}", st.minted);
    let token = format!("minted/token+{}=", st.minted);
    st.keys
        .insert(id.clone(), (secret.clone(), Some(token.clone())));
    let life = params
        .get("DurationSeconds")
        .map_or(st.life, |d| d.parse().unwrap());
    let expiration = Timestamp::from_unix_secs(now() + life).unwrap().to_string();
    let session = params.get("RoleSessionName").cloned().unwrap_or_default();
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{}/{session}",
        role.split(':').nth(4).unwrap_or(""),
        role.rsplit('/').next().unwrap_or("")
    );
    let operation = if action == "AssumeRole" {
        StsOperation::AssumeRole
    } else {
        StsOperation::AssumeRoleWithWebIdentity
    };
    let mut buf = vec![0u8; 8192];
    let doc = AssumedRoleDocument {
        access_key_id: &id,
        secret_access_key: &secret,
        session_token: &token,
        expiration: &expiration,
        arn: &arn,
        assumed_role_id: "AROAEXAMPLE:s",
        request_id: "req-1",
    }
    .write(operation, &mut buf)
    .unwrap()
    .to_owned();
    call.answer = Ok(id);
    st.calls.push(call);
    xml(200, doc)
}

// ---------------------------------------------------------------------------------------------
// The client side.

struct Setup {
    _dir: tempfile::TempDir,
    env: EnvSnapshot,
}

fn setup(server: &Server, config: &str, credentials: &str, extra: &[(&str, &str)]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("config"), config).unwrap();
    std::fs::write(root.join("credentials"), credentials).unwrap();
    let mut env = EnvSnapshot::default();
    env.set("HOME", root);
    env.set("AWS_CONFIG_FILE", root.join("config"));
    env.set("AWS_SHARED_CREDENTIALS_FILE", root.join("credentials"));
    env.set("BOTO_CONFIG", root.join("no-boto"));
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    env.set("AWS_ENDPOINT_URL_STS", server.url());
    env.set("AWS_ENDPOINT_URL_SSO", server.url());
    env.set("AWS_DEFAULT_REGION", "us-east-1");
    for (k, v) in extra {
        env.set(*k, *v);
    }
    Setup { _dir: dir, env }
}

fn chain(s: &Setup, profile: &str) -> DefaultChain {
    DefaultChain::builder()
        .env(s.env.clone())
        .profile(profile)
        .build()
        .unwrap()
}

fn failure(e: &Error) -> ChainFailure {
    std::error::Error::source(e)
        .and_then(|c| c.downcast_ref::<ChainFailure>())
        .cloned()
        .unwrap_or_else(|| panic!("no ChainFailure under {e}"))
}

const BASE: (&str, &str) = ("AKIDBASE", "base-secret");

const CHAIN3: &str = "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\n\
role_session_name = sess-a\n\
[profile b]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = c\nexternal_id = ext-b\n\
[profile c]\nrole_arn = arn:aws:iam::333333333333:role/C\nsource_profile = base\nduration_seconds = 1800\n\
[profile base]\nregion = us-east-1\n";
const BASE_CREDS: &str =
    "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";

#[tokio::test]
async fn three_hops_each_signed_with_the_previous_credentials() {
    let server = Server::start(&[BASE]).await;
    let s = setup(&server, CHAIN3, BASE_CREDS, &[]);
    let chain = chain(&s, "a");
    let creds = chain.credentials().await.unwrap();
    assert_eq!(creds.provider(), "assume-role");
    assert_eq!(creds.account_id(), Some("111111111111"));
    let calls = server.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    // Innermost first: C with the static key, B with C's minted key, A with B's.
    assert_eq!(
        calls[0].params["RoleArn"],
        "arn:aws:iam::333333333333:role/C"
    );
    assert_eq!(calls[0].signed_by.as_deref(), Some("AKIDBASE"));
    assert_eq!(calls[0].params["DurationSeconds"], "1800");
    assert!(calls[0].params["RoleSessionName"].starts_with("botocore-session-"));
    assert_eq!(
        calls[1].params["RoleArn"],
        "arn:aws:iam::222222222222:role/B"
    );
    assert_eq!(calls[1].signed_by, calls[0].answer.clone().ok());
    assert_eq!(calls[1].params["ExternalId"], "ext-b");
    assert_eq!(
        calls[2].params["RoleArn"],
        "arn:aws:iam::111111111111:role/A"
    );
    assert_eq!(calls[2].signed_by, calls[1].answer.clone().ok());
    assert_eq!(calls[2].params["RoleSessionName"], "sess-a");
    assert_eq!(
        Some(creds.access_key_id().to_owned()),
        calls[2].answer.clone().ok()
    );

    // explain walks afresh and shows every hop; never a secret.
    let e = chain.explain().await;
    assert_eq!(e.roles.len(), 3, "{e}");
    assert_eq!(e.roles[0].profile, "c");
    assert_eq!(e.roles[0].signed_with.as_deref(), Some("AKIDBASE"));
    assert_eq!(e.roles[2].session_name.as_deref(), Some("sess-a"));
    assert!(
        e.roles
            .iter()
            .all(|r| r.outcome == "assumed" && r.expires_at.is_some())
    );
    let text = e.to_string();
    assert!(
        text.contains("role 3: assume-role arn:aws:iam::111111111111:role/A for profile a"),
        "{text}"
    );
    assert!(!text.contains("base-secret") && !text.contains("minted-secret"));
    assert!(matches!(
        e.outcome,
        ExplainOutcome::Credentials {
            source: "assume-role",
            ..
        }
    ));
}

#[tokio::test]
async fn access_denied_stops_the_chain_naming_the_hop() {
    let server = Server::start(&[BASE]).await;
    server.with(|st| {
        st.denied.insert("arn:aws:iam::222222222222:role/B".into());
    });
    let s = setup(&server, CHAIN3, BASE_CREDS, &[]);
    let e = chain(&s, "a").credentials().await.unwrap_err();
    let f = failure(&e);
    assert_eq!(f.class, "ClientError");
    assert_eq!(f.source, Some("assume-role"));
    assert!(
        f.message.starts_with(
            "assume role arn:aws:iam::222222222222:role/B for profile b (hop 2 of 3): AccessDenied: User: ASIAMINT"
        ),
        "{}",
        f.message
    );
    // Not retried, and nothing after it.
    assert_eq!(server.calls().len(), 2);
    let x = chain(&s, "a").explain().await;
    assert_eq!(x.roles.last().unwrap().outcome, "failed");
    assert_eq!(
        x.step("assume-role").unwrap().outcome,
        credchain::StepOutcome::Error
    );
}

#[tokio::test]
async fn a_rejected_signature_is_a_client_error() {
    // The server knows the base key with another secret.
    let server = Server::start(&[("AKIDBASE", "not-the-secret")]).await;
    let s = setup(&server, CHAIN3, BASE_CREDS, &[]);
    let f = failure(&chain(&s, "c").credentials().await.unwrap_err());
    assert_eq!(f.class, "ClientError");
    assert!(
        f.message.contains("(hop 1 of 1): SignatureDoesNotMatch"),
        "{}",
        f.message
    );
}

#[tokio::test]
async fn service_unavailable_is_retried() {
    let server = Server::start(&[BASE]).await;
    server.with(|st| st.faults = vec![503, 500]);
    let s = setup(&server, CHAIN3, BASE_CREDS, &[]);
    let creds = chain(&s, "c").credentials().await.unwrap();
    let calls = server.calls();
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert_eq!(
        Some(creds.access_key_id().to_owned()),
        calls[2].answer.clone().ok()
    );
}

#[tokio::test]
async fn refresh_signs_every_hop_again_with_fresh_keys() {
    let server = Server::start(&[BASE]).await;
    // Five minutes: inside botocore's mandatory window, so every use refreshes.
    server.with(|st| st.life = 300);
    let config = "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\n\
                  [profile b]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = base\n";
    let s = setup(&server, config, BASE_CREDS, &[]);
    let chain = chain(&s, "a");
    let first = chain.credentials().await.unwrap();
    let second = chain.credentials().await.unwrap();
    assert_ne!(first.access_key_id(), second.access_key_id());
    let calls = server.calls();
    // Credentials inside the mandatory window are fetched again at every use (the first
    // resolution's set is already due when the cache takes it): rounds of B then A.
    assert!(calls.len() >= 4 && calls.len() % 2 == 0, "{calls:?}");
    for round in calls.chunks(2) {
        // Every refresh of A asked B's cache, which refreshed B with the base key; A was
        // signed with that new B key.
        assert_eq!(
            round[0].params["RoleArn"],
            "arn:aws:iam::222222222222:role/B"
        );
        assert_eq!(round[0].signed_by.as_deref(), Some("AKIDBASE"));
        assert_eq!(
            round[1].params["RoleArn"],
            "arn:aws:iam::111111111111:role/A"
        );
        assert_eq!(round[1].signed_by, round[0].answer.clone().ok());
    }
    assert_eq!(
        Some(second.access_key_id().to_owned()),
        calls.last().unwrap().answer.clone().ok()
    );
}

#[tokio::test]
async fn credential_source_environment() {
    let server = Server::start(&[("AKIDENV", "env-secret")]).await;
    let config = "[profile r]\nrole_arn = arn:aws:iam::444444444444:role/R\ncredential_source = Environment\n";
    let s = setup(
        &server,
        config,
        "",
        &[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
        ],
    );
    let creds = chain(&s, "r").credentials().await.unwrap();
    assert_eq!(creds.account_id(), Some("444444444444"));
    assert_eq!(server.calls()[0].signed_by.as_deref(), Some("AKIDENV"));
}

#[tokio::test]
async fn web_identity_from_the_environment_is_unsigned_and_trimmed() {
    let server = Server::start(&[]).await;
    server.with(|st| {
        st.web_tokens.insert("eyJ.token".into());
    });
    let server_url = server.url();
    let _ = server_url;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "eyJ.token\n").unwrap();
    let s = setup(
        &server,
        "",
        "",
        &[
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.to_str().unwrap()),
            ("AWS_ROLE_ARN", "arn:aws:iam::555555555555:role/Web"),
            ("AWS_ROLE_SESSION_NAME", "web-session"),
        ],
    );
    let chain = DefaultChain::builder().env(s.env.clone()).build().unwrap();
    let creds = chain.credentials().await.unwrap();
    assert_eq!(creds.provider(), "assume-role-with-web-identity");
    assert_eq!(creds.account_id(), Some("555555555555"));
    let calls = server.calls();
    assert_eq!(calls[0].signed_by, None);
    assert_eq!(calls[0].params["WebIdentityToken"], "eyJ.token");
    assert_eq!(calls[0].params["RoleSessionName"], "web-session");
    // A token file that goes away: the error names the file, botocore's FileNotFoundError.
    std::fs::remove_file(&token).unwrap();
    let chain = DefaultChain::builder().env(s.env.clone()).build().unwrap();
    let f = failure(&chain.credentials().await.unwrap_err());
    assert_eq!(f.class, "FileNotFoundError");
    assert!(f.message.contains(token.to_str().unwrap()), "{}", f.message);
}

#[tokio::test]
async fn web_identity_profile_as_source_of_a_role() {
    let server = Server::start(&[]).await;
    server.with(|st| {
        st.web_tokens.insert("tok-1".into());
    });
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("t");
    std::fs::write(&token, "tok-1").unwrap();
    let config = format!(
        "[profile top]\nrole_arn = arn:aws:iam::666666666666:role/Top\nsource_profile = web\n\
         [profile web]\nrole_arn = arn:aws:iam::777777777777:role/Web\nweb_identity_token_file = {}\n",
        token.display()
    );
    let s = setup(&server, &config, "", &[]);
    let creds = chain(&s, "top").credentials().await.unwrap();
    assert_eq!(creds.account_id(), Some("666666666666"));
    let calls = server.calls();
    assert_eq!(calls[0].action, "AssumeRoleWithWebIdentity");
    assert_eq!(calls[1].action, "AssumeRole");
    assert_eq!(calls[1].signed_by, calls[0].answer.clone().ok());
}

#[tokio::test]
async fn mfa_goes_through_the_prompt_or_is_a_clear_error() {
    let server = Server::start(&[BASE]).await;
    let config = "[profile m]\nrole_arn = arn:aws:iam::888888888888:role/M\nsource_profile = base\n\
                  mfa_serial = arn:aws:iam::888888888888:mfa/me\n";
    let s = setup(&server, config, BASE_CREDS, &[]);
    let f = failure(&chain(&s, "m").credentials().await.unwrap_err());
    assert!(
        f.message.contains(
            "profile m needs an MFA code for arn:aws:iam::888888888888:mfa/me and no prompt is configured"
        ),
        "{}",
        f.message
    );
    assert!(server.calls().is_empty());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let chain = DefaultChain::builder()
        .env(s.env.clone())
        .profile("m")
        .mfa_prompt(move |profile, serial| {
            seen.lock()
                .unwrap()
                .push((profile.to_owned(), serial.to_owned()));
            Ok("123456".to_owned())
        })
        .build()
        .unwrap();
    chain.credentials().await.unwrap();
    assert_eq!(
        asked.lock().unwrap().as_slice(),
        &[(
            "m".to_owned(),
            "arn:aws:iam::888888888888:mfa/me".to_owned()
        )]
    );
    let call = &server.calls()[0];
    assert_eq!(
        call.params["SerialNumber"],
        "arn:aws:iam::888888888888:mfa/me"
    );
    assert_eq!(call.params["TokenCode"], "123456");
}

#[tokio::test]
async fn invalid_parameters_fail_after_the_mfa_prompt_and_before_any_call() {
    // botocore prompts when it builds the request's arguments, then checks them against the
    // STS model (`ParamValidationError`): the prompt is asked, nothing is sent.
    let server = Server::start(&[BASE]).await;
    let config = "[profile m]\nrole_arn = arn:aws:iam::1:r\nsource_profile = base\n\
                  mfa_serial = arn:aws:iam::888888888888:mfa/me\n";
    let s = setup(&server, config, BASE_CREDS, &[]);
    let asked = Arc::new(Mutex::new(0));
    let seen = asked.clone();
    let chain = DefaultChain::builder()
        .env(s.env.clone())
        .profile("m")
        .mfa_prompt(move |_, _| {
            *seen.lock().unwrap() += 1;
            Ok("12".to_owned())
        })
        .build()
        .unwrap();
    let f = failure(&chain.credentials().await.unwrap_err());
    assert_eq!(f.class, "ParamValidationError");
    assert!(
        f.message.contains(
            "Parameter validation failed:\n\
             Invalid length for parameter RoleArn, value: 16, valid min length: 20\n\
             Invalid length for parameter TokenCode, value: 2, valid min length: 6"
        ) && f.message.contains("profile m"),
        "{}",
        f.message
    );
    assert_eq!(*asked.lock().unwrap(), 1);
    assert!(server.calls().is_empty());
}

fn write_sso_token(home: &Path, key: &str, expires_at: &str) {
    let name =
        credchain_core::sso::CacheFileName::new(credchain_core::sso::TokenCacheKey::StartUrl(key));
    let dir = home.join(".aws/sso/cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(name.as_str()),
        format!(r#"{{"accessToken": "sso-access", "expiresAt": "{expires_at}"}}"#),
    )
    .unwrap();
}

#[tokio::test]
async fn sso_from_the_token_cache() {
    let server = Server::start(&[]).await;
    server.with(|st| {
        st.sso_tokens.insert("sso-access".into());
    });
    let config = "[profile s]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\n\
                  sso_account_id = 012345678901\nsso_role_name = Admin\n";
    let s = setup(&server, config, "", &[]);
    let home = Path::new(s.env.var("HOME").unwrap()).to_owned();
    // No token file yet.
    let f = failure(&chain(&s, "s").credentials().await.unwrap_err());
    assert_eq!(f.class, "SSOTokenLoadError");
    assert!(f.message.contains("aws sso login"), "{}", f.message);
    // Expired.
    write_sso_token(
        &home,
        "https://d-123.awsapps.com/start",
        "2020-01-01T00:00:00Z",
    );
    let f = failure(&chain(&s, "s").credentials().await.unwrap_err());
    assert_eq!(f.class, "UnauthorizedSSOTokenError");
    assert!(
        f.message.contains("run `aws sso login --profile s`"),
        "{}",
        f.message
    );
    // Valid.
    write_sso_token(
        &home,
        "https://d-123.awsapps.com/start",
        "2099-01-01T00:00:00Z",
    );
    let creds = chain(&s, "s").credentials().await.unwrap();
    assert_eq!(creds.provider(), "sso");
    assert_eq!(creds.account_id(), Some("012345678901"));
    assert!(creds.access_key_id().starts_with("ASIASSO"));
    let calls = server.calls();
    assert_eq!(
        calls[0].params["target"],
        "/federation/credentials?role_name=Admin&account_id=012345678901"
    );
    // The portal refusing the token is the same clear error.
    server.with(|st| st.sso_tokens.clear());
    let f = failure(&chain(&s, "s").credentials().await.unwrap_err());
    assert_eq!(f.class, "UnauthorizedSSOTokenError");
}

// ---------------------------------------------------------------------------------------------
// assume-role-tests.json, end to end.

/// Cases where botocore (credchain's reference) differs from the suite; the planner's test
/// (`tests/chain_assume_role.rs`) gives the reasons.
const SUITE_DIVERGENCES: [usize; 4] = [11, 25, 26, 27];

fn suite_config(input: &serde_json::Value, token_file: &Path) -> String {
    let mut out = String::new();
    for (name, keys) in input["profiles"].as_object().unwrap() {
        if name == "default" {
            out.push_str("[default]\n");
        } else {
            out.push_str(&format!("[profile {name}]\n"));
        }
        for (k, v) in keys.as_object().unwrap() {
            let v = v.as_str().unwrap();
            let v = if k == "web_identity_token_file" {
                token_file.to_str().unwrap()
            } else {
                v
            };
            out.push_str(&format!("{k} = {v}\n"));
        }
    }
    if let Some(sessions) = input
        .get("sso_sessions")
        .and_then(serde_json::Value::as_object)
    {
        for (name, keys) in sessions {
            out.push_str(&format!("[sso-session {name}]\n"));
            for (k, v) in keys.as_object().unwrap() {
                out.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
            }
        }
    }
    out
}

async fn suite_case(case: &serde_json::Value) -> Result<(), String> {
    let input = &case["input"];
    let output = &case["output"];
    let server = Server::start(&[]).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token.jwt");
    std::fs::write(&token_file, "suite-token").unwrap();
    server.with(|st| {
        st.web_tokens.insert("suite-token".into());
        st.sso_tokens.insert("sso-access".into());
    });
    let chain_json = output
        .get("ProfileChain")
        .and_then(serde_json::Value::as_array);
    let mut extra: Vec<(&str, String)> = Vec::new();
    let imds;
    if let Some(base) = chain_json.and_then(|c| c.first()) {
        if let Some(k) = base.get("AccessKey") {
            let id = k["access_key_id"].as_str().unwrap();
            let secret = k["secret_access_key"].as_str().unwrap();
            server.with(|st| {
                st.keys.insert(id.to_owned(), (secret.to_owned(), None));
            });
        }
        if base.get("NamedSource").is_some() {
            imds = credchain_server::ImdsServer::builder()
                .start()
                .await
                .unwrap();
            server.with(|st| st.accept_unknown = true);
            extra.push(("AWS_EC2_METADATA_DISABLED", "false".into()));
            extra.push(("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint()));
        }
    }
    let config = suite_config(input, &token_file);
    let extra_refs: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = setup(&server, &config, "", &extra_refs);
    if let Some(sso) = chain_json
        .and_then(|c| c.first())
        .and_then(|b| b.get("Sso"))
    {
        let home = Path::new(s.env.var("HOME").unwrap()).to_owned();
        let url = sso["sso_start_url"].as_str().unwrap();
        write_sso_token(&home, url, "2099-01-01T00:00:00Z");
    }
    let selected = input["selected_profile"].as_str().unwrap();
    let got = chain(&s, selected).credentials().await;
    let calls = server.calls();
    let Some(chain_json) = chain_json else {
        return match got {
            Err(e) if e.is_not_found() => Err(format!("no credentials ({e}), not an error")),
            Err(_) if calls.is_empty() => Ok(()),
            Err(e) => Err(format!(
                "failed as expected ({e}), but after {} call(s)",
                calls.len()
            )),
            Ok(c) => Err(format!("expected an error, got {c}")),
        };
    };
    let creds = got.map_err(|e| format!("expected credentials: {e}"))?;
    let (base, roles) = chain_json.split_first().unwrap();
    // Web identity and SSO bases are a call of their own.
    let base_calls =
        usize::from(base.get("WebIdentityToken").is_some() || base.get("Sso").is_some());
    if calls.len() != roles.len() + base_calls {
        return Err(format!(
            "{} call(s) for {} role(s): {calls:?}",
            calls.len(),
            roles.len()
        ));
    }
    if let Some(w) = base.get("WebIdentityToken") {
        let c = &calls[0];
        if c.action != "AssumeRoleWithWebIdentity"
            || c.params["RoleArn"] != w["role_arn"].as_str().unwrap()
            || c.params["WebIdentityToken"] != "suite-token"
            || w.get("role_session_name")
                .is_some_and(|n| c.params["RoleSessionName"] != n.as_str().unwrap())
        {
            return Err(format!("web identity call {c:?}, expected {w}"));
        }
    }
    if let Some(sso) = base.get("Sso") {
        let want = format!(
            "/federation/credentials?role_name={}&account_id={}",
            sso["sso_role_name"].as_str().unwrap(),
            sso["sso_account_id"].as_str().unwrap()
        );
        if calls[0].params["target"] != want {
            return Err(format!("SSO call {:?}, expected {want}", calls[0]));
        }
    }
    let mut signer = match base.get("AccessKey") {
        Some(k) => Some(k["access_key_id"].as_str().unwrap().to_owned()),
        None if base_calls == 1 => calls[0].answer.clone().ok(),
        // NamedSource: the IMDS's key, whatever it is.
        None => calls.first().and_then(|c| c.signed_by.clone()),
    };
    for (i, role) in roles.iter().enumerate() {
        let want = &role["AssumeRole"];
        let c = &calls[base_calls + i];
        let checks = [
            (c.action == "AssumeRole", "action"),
            (
                c.params["RoleArn"] == want["role_arn"].as_str().unwrap(),
                "role_arn",
            ),
            (c.signed_by == signer, "signer"),
            (
                want.get("role_session_name")
                    .is_none_or(|n| c.params["RoleSessionName"] == n.as_str().unwrap()),
                "role_session_name",
            ),
            (
                c.params.get("ExternalId").map(String::as_str)
                    == want.get("external_id").and_then(serde_json::Value::as_str),
                "external_id",
            ),
        ];
        if let Some((_, what)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(format!(
                "role {i}: {what} differs: {c:?}, expected {want} signed by {signer:?}"
            ));
        }
        signer = c.answer.clone().ok();
    }
    if Some(creds.access_key_id().to_owned()) != calls.last().and_then(|c| c.answer.clone().ok()) {
        return Err(format!("credentials {creds} are not the last call's"));
    }
    Ok(())
}

#[tokio::test]
async fn assume_role_suite_end_to_end() {
    let path = credchain_tests::testdata("assume-role-tests.json");
    let cases: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(cases.len(), 28);
    let mut failures = Vec::new();
    let mut passed = 0;
    for (i, case) in cases.iter().enumerate() {
        let docs = case["docs"].as_str().unwrap();
        let result = suite_case(case).await;
        match (result, SUITE_DIVERGENCES.contains(&i)) {
            (Ok(()), false) => passed += 1,
            (Err(why), false) => failures.push(format!("#{i} {docs}: {why}")),
            (Err(_), true) => {}
            (Ok(()), true) => failures.push(format!(
                "#{i} {docs}: listed as a botocore divergence, but meets the suite"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed, 28 - SUITE_DIVERGENCES.len());
    println!(
        "assume-role-tests.json end to end: {passed} cases as the suite expects, {} botocore divergences",
        SUITE_DIVERGENCES.len()
    );
}

// ---------------------------------------------------------------------------------------------
// botocore against the same server: the same calls, signed by the same keys.

const BOTOCORE: &str = r#"
import json, sys
import botocore, botocore.session
if botocore.__version__ != "1.43.11":
    sys.exit("botocore 1.43.11 is required, found " + botocore.__version__)
try:
    c = botocore.session.Session().get_credentials()
    if c is None:
        out = {"result": "none"}
    else:
        f = c.get_frozen_credentials()
        out = {"result": "ok", "method": c.method, "access_key_id": f.access_key}
except Exception as e:
    out = {"result": "error", "class": type(e).__name__, "message": str(e)}
print(json.dumps(out))
"#;

/// A call as both clients can be compared: the action, the role, who signed it (a base key by
/// name, or "minted by call N"), and the parameters that come from the profile.
fn shape(calls: &[Call], base_keys: &[&str]) -> Vec<String> {
    calls
        .iter()
        .map(|c| {
            let signer = match &c.signed_by {
                None => "unsigned".to_owned(),
                Some(k) if base_keys.contains(&k.as_str()) => format!("base {k}"),
                Some(k) => match calls
                    .iter()
                    .position(|m| m.answer.as_deref() == Ok(k.as_str()))
                {
                    Some(i) => format!("minted by call {i}"),
                    None => format!("unknown {k}"),
                },
            };
            let p = |k: &str| c.params.get(k).cloned().unwrap_or_default();
            format!(
                "{} {} signer={signer} external_id={} duration={} token={} answer={}",
                c.action,
                p("RoleArn"),
                p("ExternalId"),
                p("DurationSeconds"),
                p("WebIdentityToken"),
                match &c.answer {
                    Ok(_) => "minted".to_owned(),
                    Err(code) => code.clone(),
                }
            )
        })
        .collect()
}

struct Scenario {
    name: &'static str,
    config: String,
    credentials: &'static str,
    env: Vec<(&'static str, String)>,
    /// Keys the server knows, and whether it knows them right.
    server_keys: Vec<(&'static str, &'static str)>,
    denied: Vec<&'static str>,
}

fn scenarios(token: &Path) -> Vec<Scenario> {
    let t = token.display().to_string();
    let base = vec![BASE];
    let two = "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = b\n\
               [profile b]\nrole_arn = arn:aws:iam::222222222222:role/B\nsource_profile = base\n";
    vec![
        Scenario {
            name: "static source, one role, external id and duration",
            config: "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = base\n\
                     external_id = ext-1\nduration_seconds = 1200\n"
                .into(),
            credentials: BASE_CREDS,
            env: vec![("AWS_PROFILE", "a".into())],
            server_keys: base.clone(),
            denied: vec![],
        },
        Scenario {
            name: "two hops",
            config: two.into(),
            credentials: BASE_CREDS,
            env: vec![("AWS_PROFILE", "a".into())],
            server_keys: base.clone(),
            denied: vec![],
        },
        Scenario {
            name: "three hops",
            config: CHAIN3.into(),
            credentials: BASE_CREDS,
            env: vec![("AWS_PROFILE", "a".into())],
            server_keys: base.clone(),
            denied: vec![],
        },
        Scenario {
            name: "credential_source Environment",
            config: "[profile r]\nrole_arn = arn:aws:iam::444444444444:role/R\ncredential_source = Environment\n"
                .into(),
            credentials: "",
            env: vec![
                ("AWS_PROFILE", "r".into()),
                ("AWS_ACCESS_KEY_ID", "AKIDBASE".into()),
                ("AWS_SECRET_ACCESS_KEY", "base-secret".into()),
            ],
            server_keys: base.clone(),
            denied: vec![],
        },
        Scenario {
            name: "web identity from the environment",
            config: String::new(),
            credentials: "",
            env: vec![
                ("AWS_WEB_IDENTITY_TOKEN_FILE", t.clone()),
                ("AWS_ROLE_ARN", "arn:aws:iam::555555555555:role/Web".into()),
            ],
            server_keys: vec![],
            denied: vec![],
        },
        Scenario {
            name: "web identity from the profile, then a role",
            config: format!(
                "[profile top]\nrole_arn = arn:aws:iam::666666666666:role/Top\nsource_profile = web\n\
                 [profile web]\nrole_arn = arn:aws:iam::777777777777:role/Web\nweb_identity_token_file = {t}\n"
            ),
            credentials: "",
            env: vec![("AWS_PROFILE", "top".into())],
            server_keys: vec![],
            denied: vec![],
        },
        Scenario {
            name: "a rejected signature",
            config: two.into(),
            credentials: BASE_CREDS,
            env: vec![("AWS_PROFILE", "a".into())],
            server_keys: vec![("AKIDBASE", "wrong")],
            denied: vec![],
        },
        Scenario {
            name: "AccessDenied on the second hop",
            config: two.into(),
            credentials: BASE_CREDS,
            env: vec![("AWS_PROFILE", "a".into())],
            server_keys: base,
            denied: vec!["arn:aws:iam::111111111111:role/A"],
        },
    ]
}

async fn run_scenario(sc: &Scenario, botocore: bool) -> (Vec<String>, serde_json::Value) {
    let server = Server::start(&sc.server_keys).await;
    server.with(|st| {
        st.web_tokens.insert("web-token".into());
        st.denied = sc.denied.iter().map(|d| (*d).to_owned()).collect();
    });
    let env: Vec<(&str, &str)> = sc.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let s = setup(&server, &sc.config, sc.credentials, &env);
    let answer = if botocore {
        // botocore runs while the server (a task of this runtime) answers it.
        let env = s.env.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("python3")
                .arg("-c")
                .arg(BOTOCORE)
                .env_clear()
                .envs(env.iter())
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    } else {
        let chain = DefaultChain::builder().env(s.env.clone()).build().unwrap();
        match chain.credentials().await {
            Ok(c) => serde_json::json!({"result": "ok", "method": c.provider()}),
            Err(e) => serde_json::json!({"result": "error", "class": failure(&e).class}),
        }
    };
    let base_keys: Vec<&str> = sc.server_keys.iter().map(|(k, _)| *k).collect();
    (shape(&server.calls(), &base_keys), answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn botocore_makes_the_same_calls_signed_by_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "web-token").unwrap();
    let mut failures = Vec::new();
    let all = scenarios(&token);
    for sc in &all {
        let (ours, our_answer) = run_scenario(sc, false).await;
        let (theirs, their_answer) = run_scenario(sc, true).await;
        let same_answer = our_answer["result"] == their_answer["result"]
            && (our_answer["result"] != "ok" || our_answer["method"] == their_answer["method"])
            && (our_answer["result"] != "error" || our_answer["class"] == their_answer["class"]);
        if ours != theirs || !same_answer {
            failures.push(format!(
                "{}:\n  credchain {our_answer} {ours:#?}\n  botocore  {their_answer} {theirs:#?}",
                sc.name
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}
