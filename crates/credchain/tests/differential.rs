//! [`DefaultChain`] against botocore 1.43.11, on generated scenarios that reach the network.
//!
//! Each scenario (a seeded PRNG makes them, so a failure can be replayed) is an environment, an
//! explicit profile or none, a config file and a credentials file (static keys, partial keys,
//! tokens, `credential_process` scripts that succeed, expire, fail, print garbage or a wrong
//! version, roles that botocore defers), sometimes an EC2 tools file and a boto2 file, and two
//! endpoints picked from servers started once for the whole test on loopback:
//!
//! - the container endpoint (`credchain-server`): `AWS_CONTAINER_CREDENTIALS_FULL_URI` unset,
//!   or set with the right token (variable or file), a wrong token, no token, a token file
//!   ending in a newline, or pointing at a port that refuses connections;
//! - the IMDS (`credchain-server`): disabled, serving a role (IMDSv2 optional or required),
//!   without an instance profile, serving EC2's `AssumeRoleUnauthorizedAccess` document,
//!   refusing connections, or accepting and never answering (rare: each costs the timeout).
//!
//! Both sides resolve every scenario: credchain with `DefaultChain::credentials()` in this
//! process (a fresh chain per scenario, `CONCURRENCY` at a time, so that credchain's retry
//! pauses on a failing container endpoint overlap); botocore in one python process for the
//! whole batch (`Session(profile=…)` and `get_credentials()` per scenario, `os.environ`
//! replaced each time). Compared: the source
//! (botocore's `method`), the access key, the session token, the expiry, the account id (except
//! from the IMDS, below), or the exception class, or "no credentials". Where botocore defers a
//! role (assume-role, web identity: no I/O until used), credchain must name the same source:
//! its call goes to a loopback server that refuses it (`AWS_ENDPOINT_URL_STS`), and the failed
//! call is that source's.
//!
//! Only the differences listed under "Differences from botocore" in the README may differ, and
//! each one that occurs is asserted as that difference (credchain's side and botocore's side
//! both checked), then counted apart from the agreements:
//!
//! - a container token file ending in a newline: botocore refuses it (`ValueError`), credchain
//!   trims it and gets the endpoint's credentials;
//! - an IMDS role document with a `Code` other than `Success`: botocore finds no credentials,
//!   credchain stops with an error carrying the code;
//! - a naive `AWS_CREDENTIAL_EXPIRATION` (no time zone): botocore accepts it (and fails on first
//!   use), credchain refuses it with a parse error;
//! - the IMDS `AccountId`: botocore drops it, credchain keeps it (the server here includes it).
//!
//! Timing: `AWS_METADATA_SERVICE_TIMEOUT=1` and one attempt; the python side sets
//! `ContainerMetadataFetcher.SLEEP_TIME` to 0 (botocore sleeps a second between its three
//! container attempts; the attempts and the outcome are unchanged).
//!
//! python3 with botocore 1.43.11 must be installed; `CREDCHAIN_SKIP_BOTOCORE=1` skips (loudly).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use credchain::{ChainFailure, DefaultChain};
use credchain_core::time::Timestamp;
use credchain_fs::EnvSnapshot;
use credchain_server::{Clock, ContainerServer, HttpTokens, ImdsServer, RoleMode};
use serde_json::{Value as Json, json};
use tokio::sync::Semaphore;

use credchain_tests::oracle::{ChainAnswer as Answer, run_json_oracle, skip_botocore};
use credchain_tests::rng::Rng;

const SCENARIOS: usize = 1200;
/// credchain scenarios resolved at once.
const CONCURRENCY: usize = 32;
const SEED: u64 = 0x0d1f_f5ee_d0c4_a1b4;

/// How the scenario's IMDS behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Imds {
    Disabled,
    Serving,
    V2Only,
    NoRole,
    Unauthorized,
    Refused,
    Silent,
}

/// How the scenario's container endpoint is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Unset,
    RightToken,
    RightTokenFile,
    WrongToken,
    NoToken,
    TokenFileNewline,
    Refused,
}

/// The credential_process scripts written once for the whole test.
const SCRIPTS: [(&str, &str); 6] = [
    (
        "expiring.sh",
        r#"echo '{"Version": 1, "AccessKeyId": "PROC_EXP", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2099-01-01T00:00:00Z"}'"#,
    ),
    (
        "static.sh",
        r#"echo '{"Version": 1, "AccessKeyId": "PROC_STATIC", "SecretAccessKey": "s", "AccountId": "111122223333"}'"#,
    ),
    ("fails.sh", "echo 'no credentials for you' >&2; exit 1"),
    ("garbage.sh", "echo 'this is not json'"),
    (
        "version2.sh",
        r#"echo '{"Version": 2, "AccessKeyId": "X", "SecretAccessKey": "Y"}'"#,
    ),
    (
        "nosecret.sh",
        r#"echo '{"Version": 1, "AccessKeyId": "PROC_NOSECRET"}'"#,
    ),
];

struct Scenario {
    env: Vec<(String, String)>,
    profile: Option<String>,
    imds: Imds,
    container: Container,
    naive_expiration: bool,
    files: Vec<(&'static str, String)>,
}

/// Endpoints shared by every scenario.
struct Endpoints {
    imds_serving: String,
    imds_v2_only: String,
    imds_no_role: String,
    imds_unauthorized: String,
    imds_account: String,
    container_uri: String,
    container_token: String,
    refused: String,
    silent: String,
}

const NAMES: [&str; 4] = ["default", "dev", "prod", "base"];

fn profile_body(rng: &mut Rng, name: &str, file: &str, scripts: &Path, out: &mut String) {
    let r = rng.below(100);
    if r < 45 {
        if !rng.odds(80) {
            // partial: one of the two keys only
            if rng.odds(500) {
                out.push_str(&format!("aws_access_key_id = AK_{name}_{file}\n"));
            } else {
                out.push_str(&format!("aws_secret_access_key = SK_{name}_{file}\n"));
            }
        } else {
            out.push_str(&format!(
                "aws_access_key_id = AK_{name}_{file}\naws_secret_access_key = SK_{name}_{file}\n"
            ));
        }
        if rng.odds(250) {
            out.push_str(&format!("aws_session_token = TOK_{name}_{file}\n"));
        }
        if rng.odds(120) {
            out.push_str("aws_account_id = 444455556666\n");
        }
    } else if r < 65 {
        let (script, _) = rng.choose(&SCRIPTS);
        let command = if rng.odds(150) {
            r#"/bin/echo '{"Version": 1, "AccessKeyId": "PROC_ECHO", "SecretAccessKey": "s"}'"#
                .to_owned()
        } else {
            scripts.join(script).display().to_string()
        };
        out.push_str(&format!("credential_process = {command}\n"));
    } else if r < 75 {
        out.push_str(&format!(
            "role_arn = arn:aws:iam::123456789012:role/R_{name}\n"
        ));
        match rng.below(4) {
            0 => out.push_str("credential_source = EcsContainer\n"),
            1 => out.push_str("credential_source = Ec2InstanceMetadata\n"),
            2 => out.push_str("credential_source = Environment\n"),
            _ => out.push_str(&format!("source_profile = {}\n", rng.choose(&NAMES))),
        }
    }
    if rng.odds(300) {
        out.push_str("region = eu-west-1\n");
    }
}

fn config_file(rng: &mut Rng, scripts: &Path) -> Option<String> {
    if rng.odds(200) {
        return None;
    }
    let mut out = String::new();
    for name in NAMES {
        if rng.odds(450) {
            continue;
        }
        if name == "default" {
            out.push_str("[default]\n");
        } else {
            out.push_str(&format!("[profile {name}]\n"));
        }
        profile_body(rng, name, "cfg", scripts, &mut out);
    }
    if rng.odds(15) {
        out.push_str("a line without a delimiter\n");
    }
    Some(out)
}

fn credentials_file(rng: &mut Rng, scripts: &Path) -> Option<String> {
    if rng.odds(300) {
        return None;
    }
    let mut out = String::new();
    for name in NAMES {
        if rng.odds(550) {
            continue;
        }
        out.push_str(&format!("[{name}]\n"));
        if rng.odds(700) {
            out.push_str(&format!(
                "aws_access_key_id = AK_{name}_cred\naws_secret_access_key = SK_{name}_cred\n"
            ));
        } else {
            profile_body(rng, name, "cred", scripts, &mut out);
        }
    }
    Some(out)
}

fn scenario(rng: &mut Rng, dir: &Path, scripts: &Path, ep: &Endpoints) -> Scenario {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut files = Vec::new();
    let mut set = |k: &str, v: &str| env.push((k.to_owned(), v.to_owned()));
    let file = |n: &str| dir.join(n).display().to_string();
    set("PATH", "/usr/bin:/bin");
    set("HOME", &file("home"));
    set("AWS_CONFIG_FILE", &file("config"));
    set("AWS_SHARED_CREDENTIALS_FILE", &file("credentials"));
    set("BOTO_CONFIG", &file("boto"));
    set("AWS_METADATA_SERVICE_TIMEOUT", "1");
    set("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1");

    if rng.odds(250) {
        set(
            "AWS_ACCESS_KEY_ID",
            if rng.odds(80) { "" } else { "ENV_AK" },
        );
        if !rng.odds(100) {
            set("AWS_SECRET_ACCESS_KEY", "ENV_SK");
        }
    } else if rng.odds(30) {
        set("AWS_SECRET_ACCESS_KEY", "ENV_SK");
    }
    if rng.odds(150) {
        set("AWS_SESSION_TOKEN", "ENV_TOK");
    }
    if rng.odds(60) {
        set("AWS_SECURITY_TOKEN", "ENV_SEC");
    }
    let mut naive_expiration = false;
    if rng.odds(120) {
        let e = rng.choose(&[
            "2099-01-01T00:00:00Z",
            "2099-06-01T12:00:00+02:00",
            "not a date",
            "2099-01-01T00:00:00",
        ]);
        naive_expiration = e == "2099-01-01T00:00:00";
        set("AWS_CREDENTIAL_EXPIRATION", e);
    }
    if rng.odds(150) {
        set(
            "AWS_PROFILE",
            rng.choose(&["dev", "prod", "base", "missing"]),
        );
    }
    if rng.odds(40) {
        set("AWS_DEFAULT_PROFILE", rng.choose(&["dev", "prod"]));
    }
    if rng.odds(40) {
        set("AWS_CREDENTIAL_FILE", &file("ec2"));
        files.push((
            "ec2",
            "AWSAccessKeyId=EC2_AK\nAWSSecretKey=EC2_SK\n".to_owned(),
        ));
    }
    if rng.odds(40) {
        files.push((
            "boto",
            "[Credentials]\naws_access_key_id = BOTO_AK\naws_secret_access_key = BOTO_SK\n"
                .to_owned(),
        ));
    }

    // The container endpoint: in roughly half of the scenarios.
    let container = match rng.below(100) {
        0..=44 => Container::Unset,
        45..=64 => Container::RightToken,
        65..=72 => Container::RightTokenFile,
        73..=80 => Container::WrongToken,
        81..=87 => Container::NoToken,
        88..=93 => Container::TokenFileNewline,
        _ => Container::Refused,
    };
    match container {
        Container::Unset => {}
        Container::Refused => {
            set(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                &format!("{}creds", ep.refused),
            );
            set("AWS_CONTAINER_AUTHORIZATION_TOKEN", &ep.container_token);
        }
        _ => set("AWS_CONTAINER_CREDENTIALS_FULL_URI", &ep.container_uri),
    }
    match container {
        Container::RightToken => set("AWS_CONTAINER_AUTHORIZATION_TOKEN", &ep.container_token),
        Container::WrongToken => set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "not-the-token"),
        Container::RightTokenFile | Container::TokenFileNewline => {
            set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &file("token"));
            let nl = if container == Container::TokenFileNewline {
                "\n"
            } else {
                ""
            };
            files.push(("token", format!("{}{nl}", ep.container_token)));
        }
        _ => {}
    }

    // The IMDS.
    let imds = match rng.below(1000) {
        0..=249 => Imds::Disabled,
        250..=549 => Imds::Serving,
        550..=669 => Imds::V2Only,
        670..=779 => Imds::NoRole,
        780..=849 => Imds::Unauthorized,
        850..=995 => Imds::Refused,
        _ => Imds::Silent,
    };
    let endpoint = match imds {
        Imds::Disabled => {
            set("AWS_EC2_METADATA_DISABLED", rng.choose(&["true", "TRUE"]));
            None
        }
        Imds::Serving if rng.odds(300) => Some(&ep.imds_account),
        Imds::Serving => Some(&ep.imds_serving),
        Imds::V2Only => Some(&ep.imds_v2_only),
        Imds::NoRole => Some(&ep.imds_no_role),
        Imds::Unauthorized => Some(&ep.imds_unauthorized),
        Imds::Refused => Some(&ep.refused),
        Imds::Silent => Some(&ep.silent),
    };
    // Role calls stay on loopback: STS and the SSO portal are a server that refuses them (the
    // IMDS answers a `POST /` with an error), so credchain's call fails at once where botocore
    // defers it.
    set("AWS_ENDPOINT_URL_STS", &ep.imds_serving);
    set("AWS_ENDPOINT_URL_SSO", &ep.imds_serving);
    if let Some(e) = endpoint {
        set("AWS_EC2_METADATA_SERVICE_ENDPOINT", e);
        if rng.odds(100) {
            set("AWS_EC2_METADATA_DISABLED", "false");
        }
    }

    if let Some(c) = config_file(rng, scripts) {
        files.push(("config", c));
    }
    if let Some(c) = credentials_file(rng, scripts) {
        files.push(("credentials", c));
    }
    let profile = rng.odds(120).then(|| {
        rng.choose(&["default", "dev", "prod", "missing"])
            .to_owned()
    });
    Scenario {
        env,
        profile,
        imds,
        container,
        naive_expiration,
        files,
    }
}

async fn credchain_answer(s: &Scenario) -> Answer {
    let mut builder = DefaultChain::builder()
        .env(EnvSnapshot::from_pairs(s.env.iter().cloned()))
        .process_deadline(Duration::from_secs(10));
    if let Some(p) = &s.profile {
        builder = builder.profile(p.clone());
    }
    let chain = builder.build().unwrap();
    match chain.credentials().await {
        Ok(c) => Answer::Creds {
            method: c.provider().to_owned(),
            ak: c.access_key_id().to_owned(),
            token: c.expose_session_token().map(str::to_owned),
            account: c.account_id().map(str::to_owned),
            expiry: c.expiry_unix_secs(),
        },
        Err(e) if e.is_not_found() => Answer::None,
        Err(e) => {
            let f = std::error::Error::source(&e)
                .and_then(|s| s.downcast_ref::<ChainFailure>())
                .cloned()
                .unwrap_or_else(|| panic!("an error that is not a chain failure: {e}"));
            // A role call made and refused: botocore makes it at first use (deferred).
            let role_call =
                f.message.starts_with("assume role ") || f.message.starts_with("SSO role ");
            if f.class == "credchain:NotSupported" || role_call {
                Answer::Deferred(f.source.unwrap_or("?").to_owned())
            } else {
                Answer::Error(f.class.to_owned(), f.message)
            }
        }
    }
}

/// How one scenario compares.
enum Verdict {
    Agree,
    /// A README difference, checked on both sides.
    Documented(&'static str),
    Differ,
}

fn compare(s: &Scenario, ours: &Answer, theirs: &Answer, container_ak: &str) -> Verdict {
    match (ours, theirs) {
        (Answer::Error(a, _), Answer::Error(b, _)) if a == b => return Verdict::Agree,
        // The IMDS AccountId: kept by credchain, dropped by botocore; the rest must agree.
        (
            Answer::Creds {
                method,
                account: Some(a),
                ..
            },
            Answer::Creds { account: None, .. },
        ) if method == "iam-role" && a == "210987654321" => {
            let mut ours = ours.clone();
            if let Answer::Creds { account, .. } = &mut ours {
                *account = None;
            }
            return if ours == *theirs {
                Verdict::Documented("IMDS AccountId kept")
            } else {
                Verdict::Differ
            };
        }
        _ if ours == theirs => return Verdict::Agree,
        _ => {}
    }
    // A token file ending in a newline: botocore raises ValueError before any request,
    // credchain trims it and the endpoint answers.
    if s.container == Container::TokenFileNewline
        && let (Answer::Creds { method, ak, .. }, Answer::Error(class, msg)) = (ours, theirs)
        && method == "container-role"
        && ak == container_ak
        && class == "ValueError"
        && msg.contains("not a legal header value")
    {
        return Verdict::Documented("container token file trimmed");
    }
    // EC2's AssumeRoleUnauthorizedAccess document: botocore finds nothing in it (no keys),
    // credchain reports the code.
    if s.imds == Imds::Unauthorized
        && let (Answer::Error(_, msg), Answer::None) = (ours, theirs)
        && msg.contains("AssumeRoleUnauthorizedAccess")
    {
        return Verdict::Documented("IMDS Code other than Success is an error");
    }
    // A naive AWS_CREDENTIAL_EXPIRATION: botocore loads it, credchain refuses it.
    if s.naive_expiration
        && let (Answer::Error(_, msg), Answer::Creds { method, .. }) = (ours, theirs)
        && method == "env"
        && msg.contains("AWS_CREDENTIAL_EXPIRATION")
    {
        return Verdict::Documented("naive AWS_CREDENTIAL_EXPIRATION refused");
    }
    Verdict::Differ
}

fn describe(s: &Scenario) -> String {
    let env: BTreeMap<_, _> = s
        .env
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "PATH" | "HOME"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    format!(
        "  imds: {:?}, container: {:?}, explicit profile: {:?}\n  env: {env:?}\n  files: {:?}",
        s.imds, s.container, s.profile, s.files
    )
}

fn temp_root() -> PathBuf {
    let root = std::env::temp_dir().join(format!(
        "credchain-differential-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&root).unwrap();
    root
}

/// Removes the scenario tree however the test ends.
struct Cleanup(PathBuf);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_chain_matches_botocore_with_servers() {
    if skip_botocore() {
        println!(
            "SKIPPED: CREDCHAIN_SKIP_BOTOCORE=1 — DefaultChain was NOT compared with botocore \
             on {SCENARIOS} scenarios"
        );
        return;
    }
    let started = Instant::now();
    // One frozen clock: every fetch of the run sees the same generation of credentials.
    let now = Timestamp::UNIX_EPOCH
        .checked_add(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap(),
        )
        .unwrap();
    let clock = Clock::frozen(now);
    let serving = ImdsServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let v2_only = ImdsServer::builder()
        .clock(clock.clone())
        .http_tokens(HttpTokens::Required)
        .start()
        .await
        .unwrap();
    let no_role = ImdsServer::builder()
        .clock(clock.clone())
        .no_role()
        .start()
        .await
        .unwrap();
    let unauthorized = ImdsServer::builder()
        .clock(clock.clone())
        .role_mode(RoleMode::AssumeRoleUnauthorizedAccess)
        .start()
        .await
        .unwrap();
    let with_account = ImdsServer::builder()
        .clock(clock.clone())
        .settings({
            let mut settings = credchain_server::ImdsSettings::default();
            settings.include_account_id = true;
            settings.account_id = "210987654321".to_owned();
            settings
        })
        .start()
        .await
        .unwrap();
    let container = ContainerServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    // A port nobody listens on: connections are refused at once.
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    // A listener that is never accepted from: the kernel completes the handshake, nothing
    // ever answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let ep = Endpoints {
        imds_serving: serving.endpoint(),
        imds_v2_only: v2_only.endpoint(),
        imds_no_role: no_role.endpoint(),
        imds_unauthorized: unauthorized.endpoint(),
        imds_account: with_account.endpoint(),
        container_uri: container.full_uri(),
        container_token: container.authorization_token().unwrap().to_owned(),
        refused: format!("http://{refused}/"),
        silent: format!("http://{}/", silent.local_addr().unwrap()),
    };
    let container_ak = container.credentials().unwrap().access_key_id.clone();

    let root = temp_root();
    let _cleanup = Cleanup(root.clone());
    let scripts = root.join("scripts");
    std::fs::create_dir_all(&scripts).unwrap();
    for (name, body) in SCRIPTS {
        let p = scripts.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut rng = Rng(SEED);
    let mut scenarios = Vec::with_capacity(SCENARIOS);
    for i in 0..SCENARIOS {
        let dir = root.join(i.to_string());
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let s = scenario(&mut rng, &dir, &scripts, &ep);
        for (name, body) in &s.files {
            std::fs::write(dir.join(name), body).unwrap();
        }
        scenarios.push(s);
    }

    // credchain, CONCURRENCY scenarios at a time: a failing container endpoint costs
    // credchain's retry pauses (about a second), which overlap here.
    let scenarios = Arc::new(scenarios);
    let t = Instant::now();
    let gate = Arc::new(Semaphore::new(CONCURRENCY));
    let mut tasks = Vec::with_capacity(SCENARIOS);
    for i in 0..SCENARIOS {
        let scenarios = scenarios.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let t = Instant::now();
            let answer = credchain_answer(&scenarios[i]).await;
            (answer, t.elapsed())
        }));
    }
    let mut ours = Vec::with_capacity(SCENARIOS);
    let mut spent: BTreeMap<String, (usize, Duration)> = BTreeMap::new();
    for (s, task) in scenarios.iter().zip(tasks) {
        let (answer, took) = task.await.unwrap();
        ours.push(answer);
        for key in [
            format!("imds {:?}", s.imds),
            format!("container {:?}", s.container),
        ] {
            let e = spent.entry(key).or_default();
            e.0 += 1;
            e.1 += took;
        }
    }

    let credchain_time = t.elapsed();

    // botocore, all scenarios in one process (blocking: the servers run on the workers).
    let batch: Vec<Json> = scenarios
        .iter()
        .map(|s| {
            json!({
                "env": s.env.iter().cloned().collect::<BTreeMap<_, _>>(),
                "profile": s.profile,
            })
        })
        .collect();
    let t = Instant::now();
    let answers =
        tokio::task::spawn_blocking(move || run_json_oracle("session_credentials.py", &batch))
            .await
            .unwrap();
    let botocore_time = t.elapsed();

    let mut failures = Vec::new();
    let mut agree = 0usize;
    let mut documented: BTreeMap<&str, usize> = BTreeMap::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let mut setups: BTreeMap<String, usize> = BTreeMap::new();
    for (i, ((s, a), ours)) in scenarios.iter().zip(&answers).zip(&ours).enumerate() {
        let theirs = Answer::from_botocore(a);
        *outcomes.entry(theirs.key()).or_default() += 1;
        *setups.entry(format!("imds {:?}", s.imds)).or_default() += 1;
        *setups
            .entry(format!("container {:?}", s.container))
            .or_default() += 1;
        match compare(s, ours, &theirs, &container_ak) {
            Verdict::Agree => agree += 1,
            Verdict::Documented(what) => *documented.entry(what).or_default() += 1,
            Verdict::Differ => failures.push(format!(
                "scenario {i}:\n  botocore:  {theirs:?}\n  credchain: {ours:?}\n{}",
                describe(s)
            )),
        }
    }
    println!(
        "{SCENARIOS} scenarios (seed {SEED:#x}): {agree} agree, {} documented differences \
         {documented:?}, {} differ; credchain {credchain_time:.2?}, botocore \
         {botocore_time:.2?}, whole test {:.2?}\nbotocore outcomes: {outcomes:#?}\nsetups: \
         {setups:#?}\ncredchain time by setup (scenarios, summed over tasks): {spent:#?}",
        documented.values().sum::<usize>(),
        failures.len(),
        started.elapsed()
    );
    // Every kind of setup was exercised, and the network sources really won somewhere.
    for must in [
        "container-role",
        "iam-role",
        "env",
        "custom-process",
        "no credentials",
    ] {
        assert!(
            outcomes.get(must).copied().unwrap_or(0) > 0,
            "no scenario ended in {must}: {outcomes:#?}"
        );
    }
    drop(silent);
    assert!(
        failures.is_empty(),
        "{} of {SCENARIOS} scenarios differ from botocore:\n{}",
        failures.len(),
        failures
            .iter()
            .take(12)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
