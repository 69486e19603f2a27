//! `credchain serve sts` and `credchain serve sso` as real processes: the `export` lines, the
//! files they write for clients (source key, config, token cache, CA), botocore 1.43.11
//! (python3) and `credchain export` getting credentials from them, the request log, and the
//! help and bad arguments. `CREDCHAIN_SKIP_BOTOCORE=1` skips the botocore parts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::path::Path;
use std::process::{Command, Stdio};

mod common;
use common::server::{BIN, Server, base_env, skip_botocore};
use common::{Finished as Run, finish};

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/me";
const CODE: &str = "654321";

/// Runs `program ARGS` without a controlling terminal (`setsid -w`) in `env`, `stdin` on its
/// standard input; bounded.
fn run(program: &str, args: &[&str], env: &[(String, String)], stdin: &str) -> Run {
    let mut cmd = Command::new("setsid");
    cmd.arg("-w")
        .arg(program)
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)));
    finish(cmd, Some(stdin))
}

/// botocore's credentials for `profile`: the provider's method and the access key id, or the
/// exception (class and message) it raised.
const BOTOCORE_PROFILE: &str = r#"
import json, sys, botocore, botocore.session
assert botocore.__version__ == "1.43.11", botocore.__version__
try:
    c = botocore.session.Session(profile=sys.argv[1]).get_credentials()
    f = c.get_frozen_credentials()
    print(json.dumps({"method": c.method, "key": f.access_key}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__, "message": str(e)}))
"#;

fn botocore_profile(profile: &str, env: &[(String, String)], stdin: &str) -> serde_json::Value {
    let r = run("python3", &["-c", BOTOCORE_PROFILE, profile], env, stdin);
    assert_eq!(r.code, 0, "botocore: {r:?}");
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {r:?}"))
}

/// `credchain export --profile P --format json --no-role-cache` (every run asks STS, as botocore
/// does): the access key id, or the failed run.
fn credchain_export(profile: &str, env: &[(String, String)], stdin: &str) -> Result<String, Run> {
    let r = run(
        BIN,
        &[
            "export",
            "--profile",
            profile,
            "--format",
            "json",
            "--no-role-cache",
        ],
        env,
        stdin,
    );
    if r.code != 0 {
        return Err(r);
    }
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    Ok(doc["AccessKeyId"].as_str().unwrap().to_owned())
}

fn arg(path: &Path) -> String {
    path.display().to_string()
}

/// The server's request log lines (method, path, outcome), without time and peer.
fn requests(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("credchain serve: "))
        .filter(|l| l.contains(" -> "))
        .map(|l| l.splitn(3, ' ').nth(2).unwrap().to_owned())
        .collect()
}

/// The `aws_secret_access_key` of a credentials file.
fn secret_in(credentials: &str) -> String {
    credentials
        .lines()
        .find_map(|l| l.strip_prefix("aws_secret_access_key = "))
        .unwrap()
        .to_owned()
}

#[test]
fn sts_serves_botocore_and_credchain_a_role_with_mfa_and_external_id() {
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials");
    let config = home.path().join("config");
    let server = Server::start(
        &[
            "sts",
            "--stop-on-stdin-eof",
            "--credentials-file",
            &arg(&creds),
            "--config-file",
            &arg(&config),
            "--require-mfa",
            &format!("{SERIAL}:{CODE}"),
            "--external-id",
            "ext-7",
        ],
        &base_env(home.path()),
        1,
    );
    let url = server.export("AWS_ENDPOINT_URL_STS").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert_eq!(server.exports.len(), 1, "{:?}", server.exports);

    // The files: the source key in credentials form, and a profile that uses it.
    let credentials = std::fs::read_to_string(&creds).unwrap();
    let lines: Vec<&str> = credentials.lines().collect();
    assert_eq!(lines[0], "[credchain-source]");
    let key_id = lines[1].strip_prefix("aws_access_key_id = ").unwrap();
    assert!(key_id.starts_with("AKIA") && key_id.len() == 20, "{key_id}");
    let secret = secret_in(&credentials);
    assert_eq!(secret.len(), 40);
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        format!(
            "[profile credchain-source]\nregion = us-east-1\n\n[profile credchain-role]\n\
             role_arn = arn:aws:iam::123456789012:role/credchain-role\n\
             source_profile = credchain-source\nregion = us-east-1\n\
             mfa_serial = {SERIAL}\nexternal_id = ext-7\n"
        )
    );

    let mut env = base_env(home.path());
    env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), arg(&creds)));
    env.push(("AWS_CONFIG_FILE".into(), arg(&config)));
    env.push(("AWS_ENDPOINT_URL_STS".into(), url));
    env.push(("AWS_EC2_METADATA_DISABLED".into(), "true".into()));

    // credchain: the code from standard input (no terminal here).
    let ours = credchain_export("credchain-role", &env, &format!("{CODE}\n")).unwrap();
    assert!(ours.starts_with("ASIA"), "{ours}");
    // A wrong code: STS's AccessDenied.
    let wrong = credchain_export("credchain-role", &env, "111111\n").unwrap_err();
    assert!(wrong.stderr.contains("AccessDenied"), "{wrong:?}");

    if !skip_botocore() {
        // botocore's getpass falls back to standard input without a terminal.
        let theirs = botocore_profile("credchain-role", &env, &format!("{CODE}\n"));
        assert_eq!(theirs["method"], "assume-role", "{theirs}");
        let key = theirs["key"].as_str().unwrap();
        assert!(key.starts_with("ASIA") && key != ours, "{theirs}");
        let refused = botocore_profile("credchain-role", &env, "111111\n");
        assert_eq!(refused["error"], "ClientError", "{refused}");
        assert!(
            refused["message"]
                .as_str()
                .unwrap()
                .contains("AccessDenied"),
            "{refused}"
        );
    }

    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    let calls = if skip_botocore() { 2 } else { 4 };
    let log = requests(&stderr);
    assert_eq!(log.len(), calls, "{stderr}");
    let statuses: Vec<&str> = log
        .iter()
        .map(|l| l.split(" -> ").nth(1).unwrap())
        .collect();
    let mut want = vec!["200", "403"];
    if !skip_botocore() {
        want.extend(["200", "403"]);
    }
    assert_eq!(
        statuses
            .iter()
            .map(|s| s.split(',').next().unwrap())
            .collect::<Vec<_>>(),
        want,
        "{stderr}"
    );
    assert!(log.iter().all(|l| l.starts_with("POST / -> ")), "{log:?}");
    // What the server said about itself, and never the secret.
    assert!(
        stderr.contains(&format!(
            "role arn:aws:iam::123456789012:role/credchain-role (sessions up to 3600 s, MFA \
             {SERIAL} required, ExternalId required)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "source key {key_id}: in [credchain-source] of {}",
            arg(&creds)
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(&secret), "the secret was logged");
    assert!(!stderr.contains(CODE), "the MFA code was logged");
}

#[test]
fn sts_over_https_with_the_key_on_stdout_for_credential_source_environment() {
    let home = tempfile::tempdir().unwrap();
    let ca = home.path().join("ca.pem");
    let server = Server::start(
        &[
            "sts",
            "--stop-on-stdin-eof",
            "--https",
            "--ca-bundle",
            &arg(&ca),
            "--print-secret",
            "--role",
            "arn:aws:iam::111122223333:role/first",
            "--role",
            "arn:aws:iam::111122223333:role/second",
            "--region",
            "eu-west-1",
        ],
        &base_env(home.path()),
        4,
    );
    let names: Vec<&str> = server.exports.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWS_ENDPOINT_URL_STS",
            "AWS_CA_BUNDLE",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY"
        ]
    );
    assert!(
        server
            .export("AWS_ENDPOINT_URL_STS")
            .starts_with("https://127.0.0.1:")
    );
    assert_eq!(server.export("AWS_CA_BUNDLE"), arg(&ca));
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    // A chain: second is assumed with first's credentials, each hop over HTTPS.
    let config = home.path().join("config");
    std::fs::write(
        &config,
        "[profile first]\nrole_arn = arn:aws:iam::111122223333:role/first\n\
         credential_source = Environment\nregion = eu-west-1\n\n\
         [profile second]\nrole_arn = arn:aws:iam::111122223333:role/second\n\
         source_profile = first\nregion = eu-west-1\n",
    )
    .unwrap();
    let mut env = base_env(home.path());
    for (n, v) in &server.exports {
        env.push((n.clone(), v.clone()));
    }
    env.push(("AWS_CONFIG_FILE".into(), arg(&config)));
    env.push(("AWS_EC2_METADATA_DISABLED".into(), "true".into()));
    let ours = credchain_export("second", &env, "").unwrap_or_else(|r| panic!("{r:?}"));
    assert!(ours.starts_with("ASIA"));
    if !skip_botocore() {
        let theirs = botocore_profile("second", &env, "");
        assert_eq!(theirs["method"], "assume-role", "{theirs}");
    }
    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("(HTTPS, region eu-west-1, SigV4 checked): roles arn:aws:iam::111122223333:role/first, arn:aws:iam::111122223333:role/second"),
        "{stderr}"
    );
    let hops = if skip_botocore() { 2 } else { 4 };
    assert_eq!(
        requests(&stderr),
        vec!["POST / -> 200, token valid".to_owned(); hops],
        "{stderr}"
    );
    // The secret is on standard output, as asked, and nowhere in the log.
    assert!(!stderr.contains(server_secret(&env).as_str()));
}

fn server_secret(env: &[(String, String)]) -> String {
    env.iter()
        .find(|(n, _)| n == "AWS_SECRET_ACCESS_KEY")
        .unwrap()
        .1
        .clone()
}

/// The token cache file the server wrote: its path and JSON.
fn cache_file(dir: &Path) -> (std::path::PathBuf, serde_json::Value) {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let json = serde_json::from_str(&std::fs::read_to_string(&entries[0]).unwrap()).unwrap();
    (entries[0].clone(), json)
}

/// botocore's name for a token cache file (the oracle for the file name).
fn botocore_cache_name(key: &str) -> String {
    let r = run(
        "python3",
        &[
            "-c",
            "import hashlib, sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest() + '.json')",
            key,
        ],
        &base_env(Path::new("/")),
        "",
    );
    r.stdout.trim().to_owned()
}

#[test]
fn sso_legacy_and_sso_session_profiles_work_at_once_for_botocore_and_credchain() {
    for session in [None, Some("dev")] {
        let home = tempfile::tempdir().unwrap();
        let cache = home.path().join(".aws/sso/cache");
        let config = home.path().join("config");
        let mut args = vec![
            "sso".to_owned(),
            "--stop-on-stdin-eof".into(),
            "--sso-cache-dir".into(),
            arg(&cache),
            "--config-file".into(),
            arg(&config),
            "--role".into(),
            "210987654321:Reader".into(),
        ];
        if let Some(s) = session {
            args.extend(["--sso-session".to_owned(), s.to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start(&args, &base_env(home.path()), 2);
        let url = server.export("AWS_ENDPOINT_URL_SSO").to_owned();
        assert_eq!(server.export("AWS_ENDPOINT_URL_SSO_OIDC"), url);

        let (path, token) = cache_file(&cache);
        let key = session.unwrap_or("https://credchain.awsapps.com/start");
        assert_eq!(
            path.file_name().unwrap().to_str().unwrap(),
            botocore_cache_name(key)
        );
        assert_eq!(token["startUrl"], "https://credchain.awsapps.com/start");
        assert_eq!(token["region"], "us-east-1");
        let access_token = token["accessToken"].as_str().unwrap().to_owned();
        assert_eq!(
            token.get("refreshToken").is_some() && token.get("clientSecret").is_some(),
            session.is_some(),
            "{token}"
        );
        let config_text = std::fs::read_to_string(&config).unwrap();
        assert!(config_text.contains("sso_account_id = 210987654321\nsso_role_name = Reader\n"));

        let mut env = base_env(home.path());
        env.push(("AWS_CONFIG_FILE".into(), arg(&config)));
        env.push(("AWS_ENDPOINT_URL_SSO".into(), url.clone()));
        env.push(("AWS_ENDPOINT_URL_SSO_OIDC".into(), url));
        env.push(("AWS_EC2_METADATA_DISABLED".into(), "true".into()));
        let ours = credchain_export("credchain-sso", &env, "").unwrap_or_else(|r| panic!("{r:?}"));
        assert!(ours.starts_with("ASIA"), "{ours}");
        if !skip_botocore() {
            let theirs = botocore_profile("credchain-sso", &env, "");
            assert_eq!(theirs["method"], "sso", "{session:?}: {theirs}");
            assert!(theirs["key"].as_str().unwrap().starts_with("ASIA"));
        }
        let (code, stderr) = server.stop();
        assert_eq!(code, 0, "{stderr}");
        let gets = if skip_botocore() { 1 } else { 2 };
        assert_eq!(
            requests(&stderr),
            vec![
                "GET /federation/credentials?role_name=Reader&account_id=210987654321 -> 200, \
                 token valid"
                    .to_owned();
                gets
            ],
            "{session:?}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("written to {}", arg(&path))),
            "{stderr}"
        );
        assert!(!stderr.contains(&access_token), "the token was logged");
    }
}

#[test]
fn help_names_every_option_and_bad_arguments_exit_2() {
    let help = |sub: &str| {
        let out = Command::new(BIN)
            .args(["serve", sub, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let sts = help("sts");
    for option in [
        "--port",
        "--bind",
        "--allow-non-loopback",
        "--stop-on-stdin-eof",
        "--https",
        "--ca-bundle",
        "--region",
        "--role",
        "--require-mfa",
        "--external-id",
        "--max-session-duration",
        "--session-lifetime",
        "--web-identity-token-file",
        "--access-key-id",
        "--secret-key-file",
        "--credentials-file",
        "--source-profile",
        "--config-file",
        "--print-secret",
        "--fault",
        "--throttle",
        "--transcript",
        "--transcript-format",
        "--quiet",
        "AWS_ENDPOINT_URL_STS",
        "AWS_CA_BUNDLE",
    ] {
        assert!(
            sts.contains(option),
            "serve sts --help lacks {option}:\n{sts}"
        );
    }
    let sso = help("sso");
    for option in [
        "--port",
        "--https",
        "--ca-bundle",
        "--sso-cache-dir",
        "--role",
        "--start-url",
        "--sso-region",
        "--sso-session",
        "--token-lifetime",
        "--session-lifetime",
        "--config-file",
        "--fault",
        "--throttle",
        "--transcript",
        "--quiet",
        "AWS_ENDPOINT_URL_SSO",
        "AWS_ENDPOINT_URL_SSO_OIDC",
    ] {
        assert!(
            sso.contains(option),
            "serve sso --help lacks {option}:\n{sso}"
        );
    }
    let serve = help("imds");
    assert!(serve.contains("--fault"));
    for (args, says) in [
        (
            &["sts", "--require-mfa", "123456"][..],
            "expected SERIAL:CODE",
        ),
        (
            &["sts", "--max-session-duration", "100"][..],
            "3600..=43200",
        ),
        (&["sts", "--ca-bundle", "x.pem"][..], "--https"),
        (&["sts", "--bind", "0.0.0.0"][..], "not a loopback address"),
        (&["sso"][..], "--sso-cache-dir"),
        (
            &["sso", "--sso-cache-dir", "c", "--role", "Reader"][..],
            "ACCOUNT:ROLE_NAME",
        ),
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains(says),
            "{args:?}: {says:?} missing from {stderr}"
        );
    }
}

#[test]
fn refused_settings_are_errors_that_name_them() {
    let home = tempfile::tempdir().unwrap();
    let existing = home.path().join("credentials");
    std::fs::write(&existing, "[mine]\n").unwrap();
    for (args, says) in [
        (
            vec![
                "sts".to_owned(),
                "--role".into(),
                "arn:aws:iam::12:role/x".into(),
            ],
            "is not arn:<partition>:iam::<12 digits>:role/<name>".to_owned(),
        ),
        (
            vec![
                "sts".to_owned(),
                "--credentials-file".into(),
                arg(&existing),
            ],
            format!("{} already exists", arg(&existing)),
        ),
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&says),
            "{args:?}: {says:?} missing from {stderr}"
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "", "{args:?}");
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "[mine]\n");
}
