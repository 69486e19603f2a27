//! Differential test of the chain planner against botocore 1.43.11 on generated scenarios.
//!
//! Each scenario is an environment (access keys, tokens, expirations, `AWS_PROFILE`,
//! `AWS_DEFAULT_PROFILE`, `AWS_CREDENTIAL_FILE`, `BOTO_CONFIG`, web identity variables, the
//! config and credentials file paths), an explicit profile or none, and files: config and
//! credentials files with static keys, partial keys, tokens, `role_arn` with `source_profile` or
//! `credential_source`, web identity, SSO keys and sessions, `credential_process` commands,
//! `login_session`, parse errors and duplicate sections; an EC2 tools file; a boto2 file. The
//! IMDS is always disabled and no container variable is set, so nothing needs the network.
//!
//! botocore runs once for the whole batch (a python subprocess that sets `os.environ` per
//! scenario, builds a fresh `Session(profile=...)` and calls `get_credentials()`). This test
//! plays the adapter for credchain: it reads the files, runs `credential_process` commands and
//! reports their output to the walk. Compared: the `method`, the access key, the token, the
//! expiry and the account id; or the exception class (`ErrorKind::botocore_class`); or "no
//! credentials". Where botocore returns deferred credentials (assume-role, web identity, SSO:
//! no I/O until used), credchain must say that same source applies but is not supported yet.
//!
//! python3 with botocore 1.43.11 must be installed; set `CREDCHAIN_SKIP_BOTOCORE=1` to skip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use credchain_core::chain::{
    Action, ErrorKind, FileInput, Inputs, IoErrorKind, ProcessExit, ProcessFailure, Resolution,
    Step, Str, Walk,
};
use serde_json::{Value as Json, json};

use credchain_tests::oracle::{ChainAnswer as Answer, run_json_oracle, skip_botocore};
use credchain_tests::rng::Rng;

const SCENARIOS: usize = 1500;
const SEED: u64 = 0x00c4_edc4_a1b0_7c0e;

const NAMES: [&str; 5] = ["default", "dev", "prod", "base", "loop"];
const GOOD: &str = r#"/bin/echo '{"Version": 1, "AccessKeyId": "PROC_AK", "SecretAccessKey": "PROC_SK", "SessionToken": "PROC_TOK"}'"#;
const GOOD_EXP: &str = r#"/bin/echo '{"Version": 1, "AccessKeyId": "PROC_AK2", "SecretAccessKey": "PROC_SK", "Expiration": "2099-01-01T00:00:00Z"}'"#;
const GOOD_ACCOUNT: &str = r#"/bin/echo '{"Version": 1, "AccessKeyId": "PROC_AK3", "SecretAccessKey": "PROC_SK", "AccountId": "111122223333"}'"#;
const BAD_VERSION: &str =
    r#"/bin/echo '{"Version": 2, "AccessKeyId": "X", "SecretAccessKey": "Y"}'"#;
const NOT_JSON: &str = "/bin/echo not-json";
const FAILS: &str = "/bin/false";

struct Scenario {
    env: Vec<(String, String)>,
    profile: Option<String>,
    config: Option<String>,
    credentials: Option<String>,
    ec2: Option<String>,
    boto: Option<String>,
}

fn profile_lines(rng: &mut Rng, name: &str, file: &str, lines: &mut Vec<String>) {
    if rng.chance(45) {
        let partial = rng.below(10);
        if partial != 0 {
            lines.push(format!("aws_access_key_id = AK_{name}_{file}"));
        }
        if partial != 1 {
            lines.push(format!("aws_secret_access_key = SK_{name}_{file}"));
        }
        if rng.chance(20) {
            lines.push(format!("aws_session_token = TOK_{name}_{file}"));
        }
        if rng.chance(10) {
            let v = if rng.chance(30) { "" } else { "SEC_TOK" };
            lines.push(format!("aws_security_token = {v}"));
        }
        if rng.chance(15) {
            lines.push(format!("aws_account_id = {}", 100_000 + rng.below(900_000)));
        }
    }
    if rng.chance(22) {
        lines.push(format!(
            "role_arn = arn:aws:iam::123456789012:role/R_{name}"
        ));
        let n = rng.below(20);
        if n < 12 {
            let sp = *rng.pick(&["default", "dev", "prod", "base", "loop", "missing"]);
            lines.push(format!("source_profile = {sp}"));
        } else if n < 17 {
            let cs = *rng.pick(&[
                "Environment",
                "EcsContainer",
                "Ec2InstanceMetadata",
                "environment",
                "SharedConfig",
            ]);
            lines.push(format!("credential_source = {cs}"));
        } else if n < 19 {
            lines.push("source_profile = base".into());
            lines.push("credential_source = Environment".into());
        }
        if rng.chance(20) {
            lines.push("role_session_name = sess".into());
        }
        if rng.chance(15) {
            lines.push("external_id = ext".into());
        }
    }
    if rng.chance(8) {
        let v = if rng.chance(20) {
            ""
        } else {
            "/tmp/credchain-no-such-token"
        };
        lines.push(format!("web_identity_token_file = {v}"));
        if rng.chance(60) && !lines.iter().any(|l| l.starts_with("role_arn")) {
            lines.push("role_arn = arn:aws:iam::123456789012:role/Web".into());
        }
    }
    if rng.chance(8) {
        for (key, value) in [
            ("sso_role_name", "Admin"),
            ("sso_account_id", "123456789012"),
            ("sso_start_url", "https://d.awsapps.com/start"),
            ("sso_region", "us-east-1"),
        ] {
            if rng.chance(70) {
                lines.push(format!("{key} = {value}"));
            }
        }
        if rng.chance(40) {
            let s = *rng.pick(&["s1", "s1", "nosuch"]);
            lines.push(format!("sso_session = {s}"));
        }
    }
    if rng.chance(12) {
        let c = *rng.pick(&[
            GOOD,
            GOOD,
            GOOD_EXP,
            GOOD_ACCOUNT,
            BAD_VERSION,
            NOT_JSON,
            FAILS,
        ]);
        lines.push(format!("credential_process = {c}"));
    }
    if rng.chance(2) {
        lines.push("login_session = arn:aws:iam::1:user/x".into());
    }
    if rng.chance(30) {
        lines.push("region = eu-west-1".into());
    }
}

fn config_file(rng: &mut Rng) -> Option<String> {
    if rng.chance(20) {
        return None;
    }
    let mut out = String::new();
    let count = 2 + rng.below(4);
    let mut names: Vec<&str> = NAMES.to_vec();
    for _ in 0..count {
        let name = names.remove(rng.below(names.len()));
        let mut lines = Vec::new();
        profile_lines(rng, name, "cfg", &mut lines);
        if name == "default" && rng.chance(80) {
            out.push_str("[default]\n");
        } else {
            out.push_str(&format!("[profile {name}]\n"));
        }
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    if rng.chance(40) {
        out.push_str("[sso-session s1]\nsso_start_url = https://d.awsapps.com/start\n");
        let region = *rng.pick(&["us-east-1", "eu-west-1"]);
        out.push_str(&format!("sso_region = {region}\n"));
    }
    if rng.chance(3) {
        out.push_str("this line has no delimiter\n");
    }
    if rng.chance(3) {
        out.push_str("[profile dev]\nregion = x\n[profile dev]\n");
    }
    Some(out)
}

fn credentials_file(rng: &mut Rng) -> Option<String> {
    if rng.chance(25) {
        return None;
    }
    let mut out = String::new();
    let count = 1 + rng.below(3);
    let mut names: Vec<&str> = NAMES.to_vec();
    for _ in 0..count {
        let name = names.remove(rng.below(names.len()));
        out.push_str(&format!("[{name}]\n"));
        let mut lines = Vec::new();
        if rng.chance(70) {
            lines.push(format!("aws_access_key_id = AK_{name}_cred"));
            if !rng.chance(8) {
                lines.push(format!("aws_secret_access_key = SK_{name}_cred"));
            }
            if rng.chance(20) {
                lines.push(format!("aws_session_token = TOK_{name}_cred"));
            }
        } else {
            profile_lines(rng, name, "cred", &mut lines);
        }
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
    }
    if rng.chance(3) {
        out.push_str("  = no name\n");
    }
    Some(out)
}

fn scenario(rng: &mut Rng, dir: &Path, path_var: &str) -> Scenario {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: &str| env.push((k.to_owned(), v.to_owned()));
    let file = |n: &str| dir.join(n).to_string_lossy().into_owned();
    set("PATH", path_var);
    set("HOME", &file("home"));
    set("AWS_EC2_METADATA_DISABLED", "true");
    set("AWS_CONFIG_FILE", &file("config"));
    set("AWS_SHARED_CREDENTIALS_FILE", &file("credentials"));
    set("BOTO_CONFIG", &file("boto"));
    let has_key = rng.chance(35);
    if has_key {
        set(
            "AWS_ACCESS_KEY_ID",
            if rng.chance(10) { "" } else { "ENV_AK" },
        );
    }
    if (has_key && !rng.chance(12)) || (!has_key && rng.chance(15)) {
        set(
            "AWS_SECRET_ACCESS_KEY",
            if rng.chance(5) { "" } else { "ENV_SK" },
        );
    }
    if rng.chance(20) {
        set(
            "AWS_SESSION_TOKEN",
            if rng.chance(20) { "" } else { "ENV_TOK" },
        );
    }
    if rng.chance(15) {
        set(
            "AWS_SECURITY_TOKEN",
            if rng.chance(30) { "" } else { "ENV_SEC" },
        );
    }
    if rng.chance(15) {
        let e = *rng.pick(&[
            "2099-01-01T00:00:00Z",
            "2099-06-01T12:00:00+02:00",
            "not a date",
            "",
        ]);
        set("AWS_CREDENTIAL_EXPIRATION", e);
    }
    if rng.chance(10) {
        set("AWS_ACCOUNT_ID", "210987654321");
    }
    let profile_pool = ["default", "dev", "prod", "base", "loop", "missing", ""];
    if rng.chance(20) {
        let p = *rng.pick(&profile_pool);
        set("AWS_PROFILE", p);
    }
    if rng.chance(8) {
        let p = *rng.pick(&profile_pool);
        set("AWS_DEFAULT_PROFILE", p);
    }
    let mut ec2 = None;
    if rng.chance(15) {
        set("AWS_CREDENTIAL_FILE", &file("ec2"));
        if rng.chance(75) {
            ec2 = Some(
                (*rng.pick(&[
                    "AWSAccessKeyId=EC2_AK\nAWSSecretKey=EC2_SK\n",
                    " AWSAccessKeyId = EC2_AK2 \nnoise\nAWSSecretKey= s=s \n",
                    "AWSAccessKeyId=EC2_AK\n",
                    "aws_access_key_id=x\naws_secret_access_key=y\n",
                ]))
                .to_owned(),
            );
        }
    }
    let mut boto = None;
    if rng.chance(15) {
        boto = Some(
            (*rng.pick(&[
                "[Credentials]\naws_access_key_id = BOTO_AK\naws_secret_access_key = BOTO_SK\n",
                "[Credentials]\naws_access_key_id = BOTO_AK\n",
                "[credentials]\naws_access_key_id = x\naws_secret_access_key = y\n",
                "[Credentials]\nbroken line\n",
            ]))
            .to_owned(),
        );
    }
    if rng.chance(8) {
        let v = if rng.chance(20) {
            ""
        } else {
            "/tmp/credchain-no-such-token"
        };
        set("AWS_WEB_IDENTITY_TOKEN_FILE", v);
    }
    if rng.chance(8) {
        set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/EnvWeb");
    }
    if rng.chance(4) {
        set("AWS_ROLE_SESSION_NAME", "envsess");
    }
    let profile = rng
        .chance(15)
        .then(|| (*rng.pick(&["default", "dev", "prod", "base", "missing"])).to_owned());
    Scenario {
        env,
        profile,
        config: config_file(rng),
        credentials: credentials_file(rng),
        ec2,
        boto,
    }
}

/// Splits the test's own commands: a program, then either one single-quoted argument or
/// white-space separated words (what `shlex.split` gives for them).
fn split(command: &str) -> Vec<String> {
    let command = command.trim();
    match command.split_once(' ') {
        Some((prog, rest)) if rest.starts_with('\'') && rest.ends_with('\'') => {
            vec![prog.to_owned(), rest[1..rest.len() - 1].to_owned()]
        }
        _ => command.split_whitespace().map(str::to_owned).collect(),
    }
}

fn read(path: &str) -> Option<Vec<u8>> {
    std::fs::read(path).ok()
}

fn env_get<'e>(env: &'e [(String, String)], k: &str) -> Option<&'e str> {
    env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn as_input<'x>(path: &'x str, bytes: &'x Option<Vec<u8>>) -> FileInput<'x> {
    match bytes {
        Some(b) => FileInput::Contents { path, bytes: b },
        None => FileInput::Missing,
    }
}

/// credchain, with this test as the adapter.
fn credchain_answer(s: &Scenario) -> Answer {
    let pairs: Vec<(&str, &str)> = s
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let env: &[(&str, &str)] = &pairs;
    let config_path = env_get(&s.env, "AWS_CONFIG_FILE").unwrap();
    let creds_path = env_get(&s.env, "AWS_SHARED_CREDENTIALS_FILE").unwrap();
    let boto_path = env_get(&s.env, "BOTO_CONFIG").unwrap();
    let config = read(config_path);
    let creds = read(creds_path);
    let boto = read(boto_path);
    let ec2_path = env_get(&s.env, "AWS_CREDENTIAL_FILE");
    let ec2 = ec2_path.and_then(read);
    let boto_inputs = [as_input(boto_path, &boto)];
    let mut walk = Walk::new(Inputs {
        explicit_profile: s.profile.as_deref(),
        config: as_input(config_path, &config),
        credentials: as_input(creds_path, &creds),
        ec2_credentials: match ec2_path {
            Some(p) => as_input(p, &ec2),
            None => FileInput::Missing,
        },
        boto: &boto_inputs,
        ..Inputs::new(&env)
    });
    let mut process_result: Option<Answer> = None;
    let resolution = loop {
        match walk.next_step() {
            Step::Done(r) => break r,
            Step::Run(Action::Process {
                command,
                account_id,
                ..
            }) => {
                let argv = split(&command.to_string());
                let exit = match Command::new(&argv[0]).args(&argv[1..]).output() {
                    Ok(out) => {
                        let stdout = out.stdout;
                        let exit = ProcessExit::Exited {
                            success: out.status.success(),
                            code: out.status.code(),
                            stdout: &stdout,
                        };
                        if let Ok(c) = walk.report_process(exit) {
                            process_result = Some(Answer::Creds {
                                method: "custom-process".into(),
                                ak: c.access_key_id.chars().collect(),
                                token: c.session_token.map(|t| t.chars().collect()),
                                account: c
                                    .account_id
                                    .map(|a| a.chars().collect())
                                    .or_else(|| account_id.map(|a| a.to_string())),
                                expiry: c.expiration().unwrap().map(|t| t.unix_secs()),
                            });
                        }
                        continue;
                    }
                    Err(_) => ProcessExit::NotRun(ProcessFailure::Spawn(IoErrorKind::Other)),
                };
                let _ = walk.report_process(exit);
            }
            // botocore defers the STS/SSO call to first use: its credentials object is what the
            // chain returns, as the walk's role work is what it hands out.
            Step::Run(Action::Role(work)) => {
                return Answer::Deferred(work.source.method_name().to_owned());
            }
            Step::Run(other) => panic!("no scenario needs {other:?}"),
        }
    };
    match resolution {
        Resolution::NoCredentials => Answer::None,
        Resolution::Credentials {
            source,
            credentials: c,
        } => Answer::Creds {
            method: source.method_name().to_owned(),
            ak: c.access_key_id.to_string(),
            token: c.session_token.map(|t: Str<'_>| t.to_string()),
            account: c.account_id.map(|a| a.to_string()),
            expiry: c.expiry.map(|t| t.unix_secs()),
        },
        Resolution::Delivered { .. } => process_result.expect("the process delivered"),
        Resolution::Failed(e) => match e.kind {
            ErrorKind::NotSupported { source, .. }
                if e.kind.botocore_class() == "credchain:NotSupported" =>
            {
                Answer::Deferred(source.method_name().to_owned())
            }
            kind => Answer::Error(kind.botocore_class().to_owned(), e.to_string()),
        },
    }
}

fn same(ours: &Answer, theirs: &Answer) -> bool {
    match (ours, theirs) {
        (Answer::Error(a, _), Answer::Error(b, _)) => a == b,
        _ => ours == theirs,
    }
}

fn describe(s: &Scenario) -> String {
    let env: BTreeMap<_, _> = s
        .env
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "PATH" | "HOME"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    format!(
        "  env: {env:?}\n  explicit profile: {:?}\n  config: {:?}\n  credentials: {:?}\n  ec2: {:?}\n  boto: {:?}",
        s.profile, s.config, s.credentials, s.ec2, s.boto
    )
}

#[test]
fn chain_matches_botocore() {
    if skip_botocore() {
        println!("skipped: CREDCHAIN_SKIP_BOTOCORE=1 — the chain was NOT compared with botocore");
        return;
    }
    let root: PathBuf = std::env::temp_dir().join(format!(
        "credchain-chain-botocore-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&root).unwrap();
    let path_var = std::env::var("PATH").unwrap_or_default();
    let mut rng = Rng(SEED);
    let mut scenarios = Vec::new();
    for i in 0..SCENARIOS {
        let dir = root.join(i.to_string());
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let s = scenario(&mut rng, &dir, &path_var);
        for (name, body) in [
            ("config", &s.config),
            ("credentials", &s.credentials),
            ("ec2", &s.ec2),
            ("boto", &s.boto),
        ] {
            if let Some(b) = body {
                std::fs::write(dir.join(name), b).unwrap();
            }
        }
        scenarios.push(s);
    }
    let batch: Vec<Json> = scenarios
        .iter()
        .map(|s| {
            json!({
                "env": s.env.iter().cloned().collect::<BTreeMap<_, _>>(),
                "profile": s.profile,
            })
        })
        .collect();
    let answers = run_json_oracle("session_credentials.py", &batch);

    let mut failures = Vec::new();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for (i, (s, a)) in scenarios.iter().zip(&answers).enumerate() {
        let theirs = Answer::from_botocore(a);
        let ours = credchain_answer(s);
        *tally.entry(theirs.key()).or_default() += 1;
        if !same(&ours, &theirs) {
            failures.push(format!(
                "scenario {i}:\n  botocore: {theirs:?}\n  credchain: {ours:?}\n{}",
                describe(s)
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    println!(
        "{} scenarios; botocore outcomes: {tally:#?}",
        scenarios.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        scenarios.len(),
        failures
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
