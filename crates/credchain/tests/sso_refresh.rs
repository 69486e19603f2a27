//! The `sso-session` token refresh through SSO OIDC (spec §8.3), end to end: credchain's
//! `DefaultChain` and botocore 1.43.11 each run the same scenarios against credchain-server's
//! SSO endpoint (portal and OIDC `/token`) on loopback, with real token cache files in a
//! temporary `HOME`.
//!
//! What is proven, scenario by scenario (each named on failure):
//! - a token far from expiry is used without a refresh; a legacy (start URL) profile never
//!   refreshes, even inside the window or expired with a full client registration;
//! - inside the 15-minute window, or expired, with a valid registration: `CreateToken`, then
//!   `GetRoleCredentials` with the **new** token (the portal does not know the old one), and the
//!   cache file rewritten with botocore's fields, order, formatting and `0600` mode;
//! - a refused refresh (`InvalidGrantException`) is tolerated while the token is valid and is
//!   "Token has expired and refresh failed" (`TokenRetrievalError`) once it has expired; an
//!   expired registration or missing refresh fields make no call at all; 500s are retried;
//!   an unreachable OIDC endpoint fails the fetch even while the token is valid;
//! - an `[sso-session]` without `sso_start_url` is `InvalidConfigError`; a corrupt cache file is
//!   an error (botocore's `KeyError`, credchain's `SSOTokenLoadError`).
//!
//! For every scenario both clients make the same requests (the server's transcript: method,
//! path, status), reach the same outcome, and leave the same cache file (the minted tokens and
//! the time aside, which are checked for what they must be). The expected outcome and calls are
//! also written down per scenario, so credchain is checked even with
//! `CREDCHAIN_SKIP_BOTOCORE=1` (which skips botocore, loudly).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use common::failure;
use credchain::DefaultChain;
use credchain_core::sso::{CacheFileName, TokenCacheKey, parse_expires_at};
use credchain_core::time::Timestamp;
use credchain_fs::EnvSnapshot;
use credchain_server::{Fault, FaultRule, SsoHandle, SsoServer};
use credchain_tests::oracle::{run_json_oracle_in_env, skip_botocore};
use serde_json::{Value as Json, json};

const START_URL: &str = "https://d-123.awsapps.com/start";
const SESSION: &str = "my-sso";
const ACCOUNT: &str = "012345678901";
const ROLE: &str = "Admin";
const CLIENT_ID: &str = "client-1";
const CLIENT_SECRET: &str = "client-secret-1";
const REFRESH: &str = "refresh-1";
/// Minted access tokens live this long (the server's `token_lifetime`).
const TOKEN_LIFE: i64 = 8 * 3600;

const CONFIG: &str = "[profile s]\nsso_session = my-sso\nsso_account_id = 012345678901\n\
sso_role_name = Admin\n\
[sso-session my-sso]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\n\
[profile legacy]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = us-east-1\n\
sso_account_id = 012345678901\nsso_role_name = Admin\n\
[profile halfsession]\nsso_session = half\nsso_start_url = https://d-123.awsapps.com/start\n\
sso_account_id = 012345678901\nsso_role_name = Admin\n\
[sso-session half]\nsso_region = us-east-1\n";

fn now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn at(unix: i64) -> String {
    Timestamp::from_unix_secs(unix).unwrap().to_string()
}

/// The token cache file's content, relative to now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// `expiresAt` this many seconds from now, with or without the refresh fields, the
    /// registration expiring this many seconds from now, and the refresh token given.
    Json {
        expires_in: i64,
        registration: Option<(i64, &'static str)>,
    },
    /// Bytes that are not a token.
    Raw(&'static str),
}

/// What a side is expected to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Role credentials from SSO.
    Ok,
    /// An error: credchain's class and botocore's (they differ only where noted).
    Error {
        credchain: &'static str,
        botocore: &'static str,
    },
}

#[derive(Debug, Clone)]
struct Scenario {
    name: &'static str,
    profile: &'static str,
    /// The cache key of the token file (session name or start URL).
    key: TokenCacheKey<'static>,
    token: Token,
    /// Whether the portal accepts the token of the file.
    old_token_accepted: bool,
    /// Faults on `/token`: this many 500s first.
    token_500s: u32,
    /// Point `AWS_ENDPOINT_URL_SSO_OIDC` at a closed port.
    oidc_unreachable: bool,
    expect: Expect,
    /// The requests made, `METHOD /path STATUS`.
    calls: &'static [&'static str],
    /// Whether the cache file is rewritten.
    rewritten: bool,
}

const REG_OK: Option<(i64, &str)> = Some((90 * 24 * 3600, REFRESH));
const CREATE: &str = "POST /token 200";
const CREATE_REFUSED: &str = "POST /token 400";
const CREATE_500: &str = "POST /token 500";
const GET: &str = "GET /federation/credentials 200";
const EXPIRED_REFRESH_FAILED: Expect = Expect::Error {
    credchain: "TokenRetrievalError",
    botocore: "TokenRetrievalError",
};

fn scenarios() -> Vec<Scenario> {
    let session = TokenCacheKey::SessionName(SESSION);
    let legacy = TokenCacheKey::StartUrl(START_URL);
    let base = Scenario {
        name: "",
        profile: "s",
        key: session,
        token: Token::Json {
            expires_in: 2 * 3600,
            registration: REG_OK,
        },
        old_token_accepted: true,
        token_500s: 0,
        oidc_unreachable: false,
        expect: Expect::Ok,
        calls: &[GET],
        rewritten: false,
    };
    vec![
        Scenario {
            name: "far from expiry: no refresh",
            ..base.clone()
        },
        Scenario {
            name: "inside the 15-minute window: refreshed, the new token used",
            token: Token::Json {
                expires_in: 10 * 60,
                registration: REG_OK,
            },
            old_token_accepted: false,
            calls: &[CREATE, GET],
            rewritten: true,
            ..base.clone()
        },
        Scenario {
            name: "expired with a good refresh: works",
            token: Token::Json {
                expires_in: -3600,
                registration: REG_OK,
            },
            old_token_accepted: false,
            calls: &[CREATE, GET],
            rewritten: true,
            ..base.clone()
        },
        Scenario {
            name: "expired, two 500s on CreateToken: retried, then refreshed",
            token: Token::Json {
                expires_in: -60,
                registration: REG_OK,
            },
            old_token_accepted: false,
            token_500s: 2,
            calls: &[CREATE_500, CREATE_500, CREATE, GET],
            rewritten: true,
            ..base.clone()
        },
        Scenario {
            name: "expired, refresh refused: Token has expired and refresh failed",
            token: Token::Json {
                expires_in: -3600,
                registration: Some((90 * 24 * 3600, "revoked")),
            },
            expect: EXPIRED_REFRESH_FAILED,
            calls: &[CREATE_REFUSED],
            ..base.clone()
        },
        Scenario {
            name: "inside the window, refresh refused: the old token is used as is",
            token: Token::Json {
                expires_in: 5 * 60,
                registration: Some((90 * 24 * 3600, "revoked")),
            },
            calls: &[CREATE_REFUSED, GET],
            ..base.clone()
        },
        Scenario {
            name: "expired registration: no call, Token has expired and refresh failed",
            token: Token::Json {
                expires_in: -3600,
                registration: Some((-60, REFRESH)),
            },
            expect: EXPIRED_REFRESH_FAILED,
            calls: &[],
            ..base.clone()
        },
        Scenario {
            name: "expired without refresh fields: no call, Token has expired and refresh failed",
            token: Token::Json {
                expires_in: -3600,
                registration: None,
            },
            expect: EXPIRED_REFRESH_FAILED,
            calls: &[],
            ..base.clone()
        },
        Scenario {
            name: "inside the window without refresh fields: no refresh, the token used",
            token: Token::Json {
                expires_in: 5 * 60,
                registration: None,
            },
            ..base.clone()
        },
        Scenario {
            name: "inside the window, OIDC unreachable: the fetch fails",
            token: Token::Json {
                expires_in: 5 * 60,
                registration: REG_OK,
            },
            oidc_unreachable: true,
            expect: Expect::Error {
                credchain: "EndpointConnectionError",
                botocore: "EndpointConnectionError",
            },
            calls: &[],
            ..base.clone()
        },
        Scenario {
            name: "legacy profile inside the window: never refreshes",
            profile: "legacy",
            key: legacy,
            token: Token::Json {
                expires_in: 5 * 60,
                registration: REG_OK,
            },
            ..base.clone()
        },
        Scenario {
            name: "legacy profile expired with a registration: never refreshes",
            profile: "legacy",
            key: legacy,
            token: Token::Json {
                expires_in: -3600,
                registration: REG_OK,
            },
            expect: Expect::Error {
                credchain: "UnauthorizedSSOTokenError",
                botocore: "UnauthorizedSSOTokenError",
            },
            calls: &[],
            ..base.clone()
        },
        Scenario {
            name: "an sso-session section without sso_start_url",
            profile: "halfsession",
            key: TokenCacheKey::SessionName("half"),
            expect: Expect::Error {
                credchain: "InvalidConfigError",
                botocore: "InvalidConfigError",
            },
            calls: &[],
            ..base.clone()
        },
        Scenario {
            name: "a corrupt cache file",
            token: Token::Raw("{\"accessToken\": \"x\", "),
            // botocore's JSONFileCache turns the JSON error into a bare KeyError of the cache
            // key; credchain says which file and where it is broken.
            expect: Expect::Error {
                credchain: "SSOTokenLoadError",
                botocore: "KeyError",
            },
            calls: &[],
            ..base.clone()
        },
    ]
}

fn cache_file(home: &Path, key: TokenCacheKey<'_>) -> PathBuf {
    home.join(".aws/sso/cache")
        .join(CacheFileName::new(key).as_str())
}

/// Writes the scenario's token file as `aws sso login` (AWS CLI v2) writes one.
fn write_token(home: &Path, sc: &Scenario) -> String {
    let text = match sc.token {
        Token::Raw(t) => t.to_owned(),
        Token::Json {
            expires_in,
            registration,
        } => {
            let mut t = json!({
                "startUrl": START_URL,
                "region": "us-east-1",
                "accessToken": "old-access",
                "expiresAt": at(now() + expires_in),
                "extraKey": "dropped by a refresh",
            });
            if let Some((reg_in, refresh)) = registration {
                let m = t.as_object_mut().unwrap();
                m.insert("clientId".into(), CLIENT_ID.into());
                m.insert("clientSecret".into(), CLIENT_SECRET.into());
                m.insert("registrationExpiresAt".into(), at(now() + reg_in).into());
                m.insert("refreshToken".into(), refresh.into());
            }
            t.to_string()
        }
    };
    let file = cache_file(home, sc.key);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &text).unwrap();
    text
}

/// What one side did.
#[derive(Debug)]
struct Run {
    /// `ok`, or the error class.
    outcome: String,
    /// The error message (credchain's, botocore's).
    message: String,
    calls: Vec<String>,
    /// The cache file after the run, when it changed.
    file_after: Option<String>,
    /// Its mode bits.
    mode: u32,
    /// Unix seconds before and after the run.
    window: (i64, i64),
}

async fn start_server(sc: &Scenario) -> SsoHandle {
    let mut b = SsoServer::builder()
        .client(CLIENT_ID, CLIENT_SECRET)
        .refresh_token(REFRESH)
        .role(ACCOUNT, ROLE)
        .token_lifetime(std::time::Duration::from_secs(TOKEN_LIFE as u64));
    if sc.old_token_accepted {
        b = b.access_token("old-access");
    }
    if sc.token_500s > 0 {
        b = b.fault(FaultRule::on_path("/token", Fault::Status(500)).times(sc.token_500s));
    }
    b.start().await.unwrap()
}

fn env_for(home: &Path, server: &SsoHandle, sc: &Scenario, closed: &str) -> EnvSnapshot {
    let mut env = EnvSnapshot::default();
    env.set("HOME", home);
    env.set("AWS_CONFIG_FILE", home.join("config"));
    env.set("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"));
    env.set("BOTO_CONFIG", home.join("no-boto"));
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    env.set("AWS_ENDPOINT_URL_SSO", server.url());
    env.set(
        "AWS_ENDPOINT_URL_SSO_OIDC",
        if sc.oidc_unreachable {
            closed.to_owned()
        } else {
            server.url()
        },
    );
    env.set("AWS_DEFAULT_REGION", "us-east-1");
    env.set("AWS_PROFILE", sc.profile);
    env
}

/// A loopback URL where nothing listens.
fn closed_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

async fn run(sc: &Scenario, botocore: bool) -> Run {
    let server = start_server(sc).await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::write(home.join("config"), CONFIG).unwrap();
    std::fs::write(home.join("credentials"), "").unwrap();
    let before = write_token(home, sc);
    let env = env_for(home, &server, sc, &closed_url());
    let start = now();
    let (outcome, message) = if botocore {
        // botocore's default chain, the credentials used (SSO's are deferred), in a process
        // whose environment is the scenario's from the start (botocore fixes the SSO cache
        // directory from HOME when it is imported).
        let env = env.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let vars: serde_json::Map<String, Json> = env
                .iter()
                .map(|(k, v)| {
                    let v = v.to_str().unwrap().to_owned();
                    (k.to_str().unwrap().to_owned(), Json::from(v))
                })
                .collect();
            let case = json!({"env": vars, "profile": null, "resolve": true});
            run_json_oracle_in_env("session_credentials.py", &[case], env.iter()).remove(0)
        })
        .await
        .unwrap();
        match (answer["method"].as_str(), answer["error"].as_str()) {
            (Some("sso"), _) => ("ok".to_owned(), String::new()),
            (_, Some(class)) => (class.to_owned(), answer["msg"].to_string()),
            _ => (answer.to_string(), String::new()),
        }
    } else {
        let chain = DefaultChain::builder().env(env.clone()).build().unwrap();
        match chain.credentials().await {
            Ok(c) => {
                assert_eq!(c.provider(), "sso");
                ("ok".to_owned(), String::new())
            }
            Err(e) => {
                let f = failure(&e);
                (f.class.to_owned(), f.message)
            }
        }
    };
    let end = now();
    let calls = server
        .transcript()
        .iter()
        .map(|x| {
            let path = x.path.split('?').next().unwrap_or("");
            format!("{} {path} {}", x.method, x.status().unwrap_or(0))
        })
        .collect();
    let file = cache_file(home, sc.key);
    let after = std::fs::read_to_string(&file).unwrap();
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777
    };
    // Nothing else is left in the cache directory (no temporary file).
    let entries = std::fs::read_dir(file.parent().unwrap()).unwrap().count();
    assert_eq!(
        entries, 1,
        "{}: stray files in the cache directory",
        sc.name
    );
    Run {
        outcome,
        message,
        calls,
        file_after: (after != before).then_some(after),
        mode,
        window: (start, end),
    }
}

/// The string value of `key` in a JSON text, and the text with that value replaced by `<key>`
/// (the key order and the separators stay as written).
fn cut_value(text: &str, key: &str) -> Option<(String, String)> {
    let marker = format!("\"{key}\": \"");
    let at = text.find(&marker)? + marker.len();
    let len = text[at..].find('"')?;
    let value = text[at..at + len].to_owned();
    let replaced = format!("{}<{key}>{}", &text[..at], &text[at + len..]);
    Some((value, replaced))
}

/// Checks a rewritten cache file: the minted tokens, the time, the fields botocore copies, and
/// returns the text with the minted and timed values replaced (to compare the layout).
fn check_rewritten(run: &Run) -> Result<String, String> {
    let text = run
        .file_after
        .as_deref()
        .ok_or("the cache file was not rewritten")?;
    let (access, text) = cut_value(text, "accessToken").ok_or("no accessToken")?;
    let (refresh, text) = cut_value(&text, "refreshToken").ok_or("no refreshToken")?;
    let (expires, text) = cut_value(&text, "expiresAt").ok_or("no expiresAt")?;
    let (registration, text) =
        cut_value(&text, "registrationExpiresAt").ok_or("no registrationExpiresAt")?;
    if !access.starts_with("aoa") || !refresh.starts_with("aor") {
        return Err(format!(
            "the tokens are not the minted ones ({} / {} bytes)",
            access.len(),
            refresh.len()
        ));
    }
    // `%Y-%m-%dT%H:%M:%SZ`: 20 characters, ending in Z.
    if expires.len() != 20 || !expires.ends_with('Z') {
        return Err(format!("expiresAt {expires:?} is not %Y-%m-%dT%H:%M:%SZ"));
    }
    let t = parse_expires_at(&expires).map_err(|e| e.to_string())?;
    let (lo, hi) = (run.window.0 + TOKEN_LIFE, run.window.1 + TOKEN_LIFE);
    if !(lo..=hi).contains(&t.unix_secs()) {
        return Err(format!(
            "expiresAt {expires} is not now + expiresIn ({} .. {})",
            at(lo),
            at(hi)
        ));
    }
    parse_expires_at(&registration).map_err(|e| format!("registrationExpiresAt: {e}"))?;
    if run.mode != 0o600 {
        return Err(format!("the file's mode is {:o}, not 600", run.mode));
    }
    let want = format!(
        "{{\"startUrl\": \"{START_URL}\", \"region\": \"us-east-1\", \"accessToken\": \
         \"<accessToken>\", \"expiresAt\": \"<expiresAt>\", \"clientId\": \"{CLIENT_ID}\", \
         \"clientSecret\": \"{CLIENT_SECRET}\", \"registrationExpiresAt\": \
         \"<registrationExpiresAt>\", \"refreshToken\": \"<refreshToken>\"}}"
    );
    if text != want {
        return Err(format!("the layout differs:\n  got  {text}\n  want {want}"));
    }
    Ok(text)
}

/// Checks one side against the scenario's expectations.
fn check(sc: &Scenario, run: &Run, botocore: bool) -> Vec<String> {
    let who = if botocore { "botocore" } else { "credchain" };
    let mut out = Vec::new();
    let want_outcome = match sc.expect {
        Expect::Ok => "ok",
        Expect::Error { credchain, .. } if !botocore => credchain,
        Expect::Error { botocore, .. } => botocore,
    };
    if run.outcome != want_outcome {
        out.push(format!(
            "{who}: outcome {} ({}), expected {want_outcome}",
            run.outcome, run.message
        ));
    }
    if run.calls != sc.calls {
        out.push(format!(
            "{who}: calls {:?}, expected {:?}",
            run.calls, sc.calls
        ));
    }
    match (sc.rewritten, &run.file_after) {
        (true, _) => {
            if let Err(e) = check_rewritten(run) {
                out.push(format!("{who}: {e}"));
            }
        }
        (false, Some(_)) => out.push(format!("{who}: the cache file was rewritten")),
        (false, None) => {}
    }
    // No secret in a message.
    for secret in [CLIENT_SECRET, REFRESH, "old-access", "revoked"] {
        if !botocore && run.message.contains(secret) {
            out.push(format!(
                "{who}: the message holds a secret: {}",
                run.message
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credchain_and_botocore_refresh_alike() {
    let all = scenarios();
    let mut failures = Vec::new();
    let skip = skip_botocore();
    for sc in &all {
        let ours = run(sc, false).await;
        let mut problems = check(sc, &ours, false);
        if !skip {
            let theirs = run(sc, true).await;
            problems.extend(check(sc, &theirs, true));
            if ours.calls != theirs.calls {
                problems.push(format!(
                    "the calls differ: credchain {:?}, botocore {:?}",
                    ours.calls, theirs.calls
                ));
            }
            if let (Ok(a), Ok(b)) = (check_rewritten(&ours), check_rewritten(&theirs))
                && a != b
            {
                problems.push(format!("the cache files differ:\n  {a}\n  {b}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!("{}:\n  {}", sc.name, problems.join("\n  ")));
        }
    }
    if skip {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: botocore's side of the scenarios was skipped");
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

/// The error messages name the profile, the sso-session, the cache file and the step, and say
/// what to do; `explain` lists the `CreateToken` call.
#[tokio::test]
async fn errors_and_explain_say_where_and_what() {
    let all = scenarios();
    let find = |name: &str| {
        all.iter()
            .find(|s| s.name.starts_with(name))
            .unwrap()
            .clone()
    };

    let sc = find("expired, refresh refused");
    let server = start_server(&sc).await;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    std::fs::write(home.join("config"), CONFIG).unwrap();
    write_token(home, &sc);
    let env = env_for(home, &server, &sc, &closed_url());
    let chain = DefaultChain::builder().env(env.clone()).build().unwrap();
    let f = failure(&chain.credentials().await.unwrap_err());
    let file = cache_file(home, sc.key);
    for part in [
        "profile s",
        "sso-session my-sso",
        &file.display().to_string(),
        "Token has expired and refresh failed",
        "InvalidGrantException",
        "aws sso login --profile s",
    ] {
        assert!(f.message.contains(part), "{part:?} not in {}", f.message);
    }
    let explanation = chain.explain().await;
    let kinds: Vec<(&str, &str)> = explanation
        .roles
        .iter()
        .map(|c| (c.kind, c.outcome))
        .collect();
    assert_eq!(kinds, [("sso-oidc", "failed")]);
    assert!(
        explanation.roles[0]
            .error
            .as_deref()
            .unwrap()
            .contains("InvalidGrantException")
    );

    // A good refresh: explain shows CreateToken, then GetRoleCredentials with the new token.
    let sc = find("expired with a good refresh");
    let server = start_server(&sc).await;
    write_token(home, &sc);
    let env = env_for(home, &server, &sc, &closed_url());
    let explanation = DefaultChain::builder()
        .env(env)
        .build()
        .unwrap()
        .explain()
        .await;
    let kinds: Vec<(&str, &str)> = explanation
        .roles
        .iter()
        .map(|c| (c.kind, c.outcome))
        .collect();
    assert_eq!(kinds, [("sso-oidc", "refreshed"), ("sso", "assumed")]);
    assert_eq!(
        explanation.roles[0].role,
        "CreateToken for sso-session my-sso"
    );
    let text = format!("{explanation:?}");
    for secret in [CLIENT_SECRET, REFRESH, "aoa", "aor"] {
        assert!(!text.contains(secret), "explain shows a secret ({secret})");
    }

    // The OIDC endpoint unreachable: the step and the URL are named.
    let sc = find("inside the window, OIDC unreachable");
    let server = start_server(&sc).await;
    write_token(home, &sc);
    let closed = closed_url();
    let env = env_for(home, &server, &sc, &closed);
    let f = failure(
        &DefaultChain::builder()
            .env(env)
            .build()
            .unwrap()
            .credentials()
            .await
            .unwrap_err(),
    );
    for part in ["SSO OIDC CreateToken", &closed, "sso-session my-sso"] {
        assert!(f.message.contains(part), "{part:?} not in {}", f.message);
    }
}
