//! credchain against moto's STS, as botocore does (issue 6, part 5).
//!
//! One `moto.server` (moto[server] 5.2.1, as `scripts/setup.sh` installs it) runs on a loopback
//! port for the whole test, its request recorder on. Each scenario writes real
//! `~/.aws/config` and `~/.aws/credentials` files in a temporary `HOME`, points
//! `AWS_ENDPOINT_URL_STS` at moto, and resolves the default chain twice against a freshly reset
//! moto: with credchain's [`DefaultChain`] in this process, then with botocore 1.43.11
//! (`Session(profile=…).get_credentials()`, the role's credentials used so that botocore
//! makes its deferred call) in python3 with the same environment. For each side:
//!
//! - the outcome: credentials from the same `method`, or a failure of the same botocore class;
//! - the credentials have moto's shape: an `ASIA…` access key id that moto's state lists as
//!   minted for the role the profile names, a session token, and an expiry in the future that
//!   is the duration asked for (moto's `Expiration` is the time of the call plus
//!   `DurationSeconds`);
//! - the calls moto saw (its recorder): the action, role ARN, session name, external id,
//!   duration and web identity token of each, and who signed it — a base key by name, the
//!   credentials moto minted for an inner role, or nobody (web identity is unsigned). Both
//!   sides must have made the same calls, and as many as the scenario needs.
//!
//! What moto 5.2.1 validates in `AssumeRole`: only `RoleSessionName` longer than 64 characters
//! (a 400 `ValidationError`, tested below). It does not check signatures or whether the signing
//! key exists, role ARNs (any text is taken; a malformed one is billed to moto's default
//! account), `DurationSeconds` (any number, even below 900 or above 43200), `ExternalId`, or, in
//! `AssumeRoleWithWebIdentity`, the token or the session name's length. botocore checks the
//! minimum lengths and values of its service model before sending (`RoleArn` at least 20
//! characters, `DurationSeconds` at least 900, `WebIdentityToken` at least 4): those requests
//! never reach moto. credchain makes the same check (`credchain_core::sts::validate`): both
//! sides fail with `ParamValidationError` after no call, and credchain's message carries
//! botocore's text.
//!
//! moto must be installed (a missing moto fails this test, with the command that installs it;
//! only `CREDCHAIN_SKIP_MOTO=1` skips, loudly).
//! `CREDCHAIN_SKIP_BOTOCORE=1` skips the botocore side (loudly) and keeps every moto check.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use credchain::{ChainFailure, DefaultChain};
use credchain_fs::EnvSnapshot;
use credchain_tests::moto::{AssumedRole, Moto, MotoRequest, skip_moto};
use credchain_tests::oracle::{ChainAnswer, run_json_oracle, skip_botocore};
use serde_json::json;

/// The access key ids of the `[base]` profile's static keys and of the keys that
/// `credential_source = Environment` finds in the environment.
const BASE_KEYS: [&str; 2] = ["AKIDBASE", "AKIDENVKEY"];

/// The web identity token both sides read from a file.
const WEB_TOKEN: &str = "moto-web-identity-token";

/// What a scenario must give, on both sides.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Credentials minted by moto for `role` (the outermost), lasting `duration` seconds,
    /// after `calls` STS calls.
    Minted {
        method: &'static str,
        role: &'static str,
        duration: i64,
        calls: usize,
    },
    /// A failure of botocore's `class` after `calls` STS calls.
    Failed { class: &'static str, calls: usize },
}

#[derive(Debug)]
struct Scenario {
    name: &'static str,
    config: String,
    credentials: &'static str,
    /// Variables beyond the common ones (`HOME`, the STS endpoint, the region, IMDS off).
    env: Vec<(&'static str, String)>,
    /// The profile the caller names (`Session(profile=…)`, `DefaultChainBuilder::profile`),
    /// which takes the environment's keys out of the chain; `AWS_PROFILE` does not.
    profile: Option<&'static str>,
    expect: Expect,
}

fn scenarios(token: &Path) -> Vec<Scenario> {
    let token = token.display().to_string();
    let base = "[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n";
    let role = |name: &str, arn: &str, extra: &str| {
        format!("[profile {name}]\nrole_arn = {arn}\nsource_profile = base\n{extra}")
    };
    let profile = |name: &str| vec![("AWS_PROFILE", name.to_owned())];
    let one_role = |role: &'static str, duration: i64| Expect::Minted {
        method: "assume-role",
        role,
        duration,
        calls: 1,
    };
    vec![
        Scenario {
            name: "source_profile with static keys",
            config: role("a", "arn:aws:iam::111111111111:role/A", ""),
            credentials: base,
            env: profile("a"),
            profile: None,
            expect: one_role("arn:aws:iam::111111111111:role/A", 3600),
        },
        Scenario {
            name: "a chain of two roles",
            config: format!(
                "[profile top]\nrole_arn = arn:aws:iam::222222222222:role/Top\nsource_profile = a\n{}",
                role("a", "arn:aws:iam::111111111111:role/A", "")
            ),
            credentials: base,
            env: profile("top"),
            profile: None,
            expect: Expect::Minted {
                method: "assume-role",
                role: "arn:aws:iam::222222222222:role/Top",
                duration: 3600,
                calls: 2,
            },
        },
        Scenario {
            name: "external_id",
            config: role(
                "ext",
                "arn:aws:iam::333333333333:role/Partner",
                "external_id = partner-ext-1\n",
            ),
            credentials: base,
            env: profile("ext"),
            profile: None,
            expect: one_role("arn:aws:iam::333333333333:role/Partner", 3600),
        },
        Scenario {
            name: "role_session_name and duration_seconds",
            config: role(
                "named",
                "arn:aws:iam::444444444444:role/Named",
                "role_session_name = moto-session\nduration_seconds = 1800\n",
            ),
            credentials: base,
            env: profile("named"),
            profile: None,
            expect: one_role("arn:aws:iam::444444444444:role/Named", 1800),
        },
        Scenario {
            name: "web identity from the profile (token file)",
            config: format!(
                "[profile web]\nrole_arn = arn:aws:iam::555555555555:role/Web\n\
                 web_identity_token_file = {token}\nrole_session_name = web-session\n"
            ),
            credentials: "",
            env: profile("web"),
            profile: None,
            expect: Expect::Minted {
                method: "assume-role-with-web-identity",
                role: "arn:aws:iam::555555555555:role/Web",
                duration: 3600,
                calls: 1,
            },
        },
        Scenario {
            name: "web identity from the environment",
            config: String::new(),
            credentials: "",
            env: vec![
                ("AWS_WEB_IDENTITY_TOKEN_FILE", token.clone()),
                (
                    "AWS_ROLE_ARN",
                    "arn:aws:iam::666666666666:role/EnvWeb".into(),
                ),
                ("AWS_ROLE_SESSION_NAME", "env-web-session".into()),
            ],
            profile: None,
            expect: Expect::Minted {
                method: "assume-role-with-web-identity",
                role: "arn:aws:iam::666666666666:role/EnvWeb",
                duration: 3600,
                calls: 1,
            },
        },
        Scenario {
            name: "credential_source = Environment",
            config: "[profile envsrc]\nrole_arn = arn:aws:iam::777777777777:role/FromEnv\n\
                     credential_source = Environment\n"
                .into(),
            credentials: "",
            // Named by the caller: with AWS_PROFILE the environment's keys would win first.
            profile: Some("envsrc"),
            env: vec![
                ("AWS_ACCESS_KEY_ID", "AKIDENVKEY".into()),
                ("AWS_SECRET_ACCESS_KEY", "env-secret".into()),
            ],
            expect: one_role("arn:aws:iam::777777777777:role/FromEnv", 3600),
        },
        Scenario {
            name: "role_session_name longer than 64 characters (moto's ValidationError)",
            config: role(
                "long",
                "arn:aws:iam::111111111111:role/A",
                &format!("role_session_name = {}\n", "s".repeat(65)),
            ),
            credentials: base,
            env: profile("long"),
            profile: None,
            expect: Expect::Failed {
                class: "ClientError",
                calls: 1,
            },
        },
        Scenario {
            name: "a role ARN that is not an ARN (moto takes it)",
            config: role("notarn", "this-is-not-a-role-arn", ""),
            credentials: base,
            env: profile("notarn"),
            profile: None,
            expect: one_role("this-is-not-a-role-arn", 3600),
        },
        Scenario {
            name: "a role ARN shorter than 20 characters",
            config: role("short", "arn:aws:iam::1:r/x", ""),
            credentials: base,
            env: profile("short"),
            profile: None,
            expect: Expect::Failed {
                class: "ParamValidationError",
                calls: 0,
            },
        },
        Scenario {
            name: "web identity with a role ARN shorter than 20 characters",
            config: String::new(),
            credentials: "",
            env: vec![
                ("AWS_WEB_IDENTITY_TOKEN_FILE", token.clone()),
                ("AWS_ROLE_ARN", "arn:aws:iam::1:r/x".into()),
            ],
            profile: None,
            expect: Expect::Failed {
                class: "ParamValidationError",
                calls: 0,
            },
        },
        Scenario {
            name: "duration_seconds below 900",
            config: role(
                "brief",
                "arn:aws:iam::111111111111:role/A",
                "duration_seconds = 899\n",
            ),
            credentials: base,
            env: profile("brief"),
            profile: None,
            expect: Expect::Failed {
                class: "ParamValidationError",
                calls: 0,
            },
        },
    ]
}

/// How a resolution ended, on either side.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Minted {
        method: String,
        access_key_id: String,
        has_token: bool,
        expiry: Option<i64>,
    },
    Failed {
        class: String,
        message: String,
    },
}

impl Outcome {
    /// What must be the same on both sides: the method, or the error class.
    fn kind(&self) -> String {
        match self {
            Outcome::Minted { method, .. } => format!("credentials from {method}"),
            Outcome::Failed { class, .. } => class.clone(),
        }
    }
}

/// One side's run: its outcome, the calls moto saw, and when it ran.
#[derive(Debug)]
struct Run {
    outcome: Outcome,
    calls: Vec<String>,
    roles: Vec<AssumedRole>,
    started: i64,
    ended: i64,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The environment both sides get: a temporary `HOME` holding the scenario's files.
fn environment(home: &Path, moto: &Moto, sc: &Scenario) -> EnvSnapshot {
    let aws = home.join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(aws.join("config"), &sc.config).unwrap();
    std::fs::write(aws.join("credentials"), sc.credentials).unwrap();
    let mut env = EnvSnapshot::default();
    env.set("HOME", home);
    env.set("AWS_ENDPOINT_URL_STS", moto.url());
    env.set("AWS_DEFAULT_REGION", "us-east-1");
    env.set("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in &sc.env {
        env.set(*k, v);
    }
    env
}

async fn credchain_side(env: &EnvSnapshot, profile: Option<&str>) -> Outcome {
    let mut chain = DefaultChain::builder().env(env.clone());
    if let Some(p) = profile {
        chain = chain.profile(p);
    }
    let chain = chain.build().unwrap();
    match chain.credentials().await {
        Ok(c) => Outcome::Minted {
            method: c.provider().to_owned(),
            access_key_id: c.access_key_id().to_owned(),
            has_token: c.expose_session_token().is_some_and(|t| !t.is_empty()),
            expiry: c.expiry_unix_secs(),
        },
        Err(e) => {
            let failure = std::error::Error::source(&e)
                .and_then(|c| c.downcast_ref::<ChainFailure>())
                .cloned()
                .unwrap_or_else(|| panic!("no ChainFailure under {e}"));
            Outcome::Failed {
                class: failure.class.to_owned(),
                message: failure.to_string(),
            }
        }
    }
}

fn botocore_side(env: &EnvSnapshot, profile: Option<&str>) -> Outcome {
    let vars: BTreeMap<String, String> = env
        .iter()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    let case = json!({"env": vars, "profile": profile, "resolve": true});
    let answer = run_json_oracle("session_credentials.py", &[case]).remove(0);
    match ChainAnswer::from_botocore(&answer) {
        ChainAnswer::Error(class, message) => Outcome::Failed { class, message },
        ChainAnswer::Creds {
            method,
            ak,
            token,
            expiry,
            ..
        } => Outcome::Minted {
            method,
            access_key_id: ak,
            has_token: token.is_some_and(|t| !t.is_empty()),
            expiry,
        },
        other => panic!("botocore answered neither credentials nor an error: {other:?}"),
    }
}

/// A call as both sides can be compared: no key or time of its own, only what the profile asked
/// for and who signed it.
fn call_shape(call: &MotoRequest, roles: &[AssumedRole]) -> String {
    let signer = match &call.signed_by {
        None => "unsigned".to_owned(),
        Some(k) if BASE_KEYS.contains(&k.as_str()) => format!("base key {k}"),
        Some(k) => match roles.iter().find(|r| &r.access_key_id == k) {
            Some(r) => format!("minted for {}", r.role_arn),
            None => "a key moto never minted".to_owned(),
        },
    };
    let p = |k: &str| call.params.get(k).map_or("-", String::as_str);
    // botocore's default session name is `botocore-session-<unix seconds>` (spec §8).
    let session = match p("RoleSessionName").strip_prefix("botocore-session-") {
        Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
            "botocore-session-<time>"
        }
        _ => p("RoleSessionName"),
    };
    format!(
        "{} {} {} session={session} external_id={} duration={} token={} signer={signer}",
        call.method,
        p("Action"),
        p("RoleArn"),
        p("ExternalId"),
        p("DurationSeconds"),
        p("WebIdentityToken"),
    )
}

/// Resolves the scenario on one side against a freshly reset moto. The calls are told apart by
/// their `User-Agent`, so that a refresh credchain still runs in the background cannot count
/// as botocore's.
async fn run(moto: &Moto, env: &EnvSnapshot, profile: Option<&str>, botocore: bool) -> Run {
    moto.reset();
    let started = now();
    let outcome = if botocore {
        botocore_side(env, profile)
    } else {
        credchain_side(env, profile).await
    };
    let ended = now();
    let roles = moto.assumed_roles();
    let from_botocore = |c: &MotoRequest| {
        c.user_agent
            .as_deref()
            .is_some_and(|ua| ua.to_ascii_lowercase().contains("botocore/"))
    };
    let calls = moto
        .requests()
        .iter()
        .filter(|c| from_botocore(c) == botocore)
        .map(|c| call_shape(c, &roles))
        .collect();
    Run {
        outcome,
        calls,
        roles,
        started,
        ended,
    }
}

/// What is wrong with one side's run, measured against the scenario's expectation and moto.
fn problems(expect: Expect, run: &Run) -> Vec<String> {
    let mut out = Vec::new();
    match (expect, &run.outcome) {
        (
            Expect::Minted {
                method,
                role,
                duration,
                calls,
            },
            Outcome::Minted {
                method: got,
                access_key_id,
                has_token,
                expiry,
            },
        ) => {
            if got != method {
                out.push(format!("method {got}, expected {method}"));
            }
            if !(access_key_id.starts_with("ASIA") && access_key_id.len() == 20) {
                out.push(format!(
                    "access key id {access_key_id:?} is not moto's ASIA…"
                ));
            }
            match run.roles.iter().find(|r| &r.access_key_id == access_key_id) {
                Some(r) if r.role_arn == role => {}
                Some(r) => out.push(format!("the key was minted for {}, not {role}", r.role_arn)),
                None => out.push("moto never minted the access key id returned".into()),
            }
            if !has_token {
                out.push("no session token".into());
            }
            // moto's Expiration is the call's time plus the duration; a second either side
            // for the fractions moto writes and the clients truncate.
            let (lo, hi) = (run.started + duration - 1, run.ended + duration + 1);
            match expiry {
                Some(e) if (lo..=hi).contains(e) => {}
                Some(e) => out.push(format!(
                    "expiry {e} is not the call's time plus {duration} s ({lo}..={hi})"
                )),
                None => out.push("no expiry".into()),
            }
            if run.calls.len() != calls {
                out.push(format!("{} STS calls, expected {calls}", run.calls.len()));
            }
        }
        (Expect::Failed { class, calls }, Outcome::Failed { class: got, .. }) => {
            if got != class {
                out.push(format!("failed with {got}, expected {class}"));
            }
            if run.calls.len() != calls {
                out.push(format!("{} STS calls, expected {calls}", run.calls.len()));
            }
        }
        (expect, got) => out.push(format!("expected {expect:?}, got {}", got.kind())),
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credchain_and_botocore_agree_against_moto_sts() {
    if skip_moto() {
        println!("SKIPPED: CREDCHAIN_SKIP_MOTO=1 — credchain was NOT tried against moto's STS");
        return;
    }
    let moto = Moto::start();
    let botocore = !skip_botocore();
    if !botocore {
        println!(
            "SKIPPED: CREDCHAIN_SKIP_BOTOCORE=1 — credchain is checked against moto, but NOT \
             compared with botocore"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("web-identity-token");
    std::fs::write(&token, WEB_TOKEN).unwrap();
    let all = scenarios(&token);
    let mut failures = Vec::new();
    let mut agreed = 0;
    for (i, sc) in all.iter().enumerate() {
        let home = dir.path().join(format!("home-{i}"));
        let env = environment(&home, &moto, sc);
        let ours = run(&moto, &env, sc.profile, false).await;
        let theirs = if botocore {
            Some(run(&moto, &env, sc.profile, true).await)
        } else {
            None
        };
        let mut wrong = Vec::new();
        wrong.extend(
            problems(sc.expect, &ours)
                .into_iter()
                .map(|p| format!("credchain: {p}")),
        );
        if let Some(theirs) = &theirs {
            wrong.extend(
                problems(sc.expect, theirs)
                    .into_iter()
                    .map(|p| format!("botocore: {p}")),
            );
            if ours.outcome.kind() != theirs.outcome.kind() {
                wrong.push(format!(
                    "outcomes differ: credchain {}, botocore {}",
                    ours.outcome.kind(),
                    theirs.outcome.kind()
                ));
            }
            // botocore's client-side check: the same text (credchain adds the profile
            // and the step before it).
            if let (
                Outcome::Failed {
                    class,
                    message: ours_message,
                },
                Outcome::Failed {
                    message: their_message,
                    ..
                },
            ) = (&ours.outcome, &theirs.outcome)
                && class == "ParamValidationError"
                && !ours_message.contains(their_message.as_str())
            {
                wrong.push(format!(
                    "messages differ:\n    credchain {ours_message:?}\n    botocore  {their_message:?}"
                ));
            }
            if ours.calls != theirs.calls {
                wrong.push(format!(
                    "calls differ:\n    credchain {:#?}\n    botocore  {:#?}",
                    ours.calls, theirs.calls
                ));
            }
        }
        if let Outcome::Failed { message, .. } = &ours.outcome {
            // A failure names the profile it came from.
            let profile = sc.profile.map(str::to_owned).or_else(|| {
                sc.env
                    .iter()
                    .find(|(k, _)| *k == "AWS_PROFILE")
                    .map(|(_, p)| p.clone())
            });
            if let Some(p) = profile
                && !message.contains(p.as_str())
            {
                wrong.push(format!(
                    "credchain's error does not name profile {p}: {message}"
                ));
            }
        }
        if wrong.is_empty() {
            agreed += 1;
            println!(
                "ok   {}: {}, calls {:?}",
                sc.name,
                ours.outcome.kind(),
                ours.calls
            );
        } else {
            failures.push(format!("{}:\n  {}", sc.name, wrong.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios against moto {} went wrong:\n{}",
        failures.len(),
        all.len(),
        moto.version(),
        failures.join("\n")
    );
    println!(
        "{agreed} scenarios as expected against moto {} ({})",
        moto.version(),
        if botocore {
            "and as botocore does"
        } else {
            "botocore skipped"
        }
    );
}
