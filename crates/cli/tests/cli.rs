//! The `credchain` binary run as a new user would run it: a real process, an empty environment
//! but for `PATH` and a temporary `HOME`, and IMDS switched off (`AWS_EC2_METADATA_DISABLED`)
//! unless a test starts credchain-server's IMDS and points the command at it.
//!
//! The text output is checked line by line against what the inputs mean (the sources in
//! botocore's order, spec §1.1; which one applies and why, spec §1.2), not against a copy of an
//! earlier run. `export --format json` is checked by the core's `credential_process` parser, by
//! credchain's own chain running credchain as a `credential_process`, and by botocore 1.43.11
//! doing the same (python3 with botocore must be installed; `CREDCHAIN_SKIP_BOTOCORE=1` skips
//! that one test).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::process::Output;

use credchain_core::document::ProcessCredentials;
use credchain_core::time::Timestamp;
use credchain_server::{Credentials as ServedCredentials, HttpTokens, ImdsServer};
use serde_json::Value;

mod common;
use common::Sandbox;

const BIN: &str = env!("CARGO_BIN_EXE_credchain");

/// botocore's sources, in its order (spec §1.1).
const SOURCES: [&str; 12] = [
    "env",
    "assume-role",
    "assume-role-with-web-identity",
    "sso",
    "shared-credentials-file",
    "login",
    "custom-process",
    "config-file",
    "ec2-credentials-file",
    "boto-config",
    "container-role",
    "iam-role",
];

/// A secret that a shell, JSON and an INI file each treat specially somewhere.
const NASTY_SECRET: &str = r#"it's a "sec$ret" `x` \n; $(exit 3) 100%"#;

/// What a run gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        Run {
            code: output.status.code().expect("the command was not killed"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Neither stream contains `secret`.
    fn assert_hides(&self, secret: &str) {
        assert!(
            !self.stdout.contains(secret) && !self.stderr.contains(secret),
            "a secret was printed:\n{}\n{}",
            self.stdout,
            self.stderr
        );
    }
}

impl Sandbox {
    fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command(BIN).args(args).output().unwrap())
    }

    /// The `Files` block for the default locations, config and credentials with these states.
    fn files_block(&self, config: &str, credentials: &str) -> Vec<String> {
        let rows = [
            ("config", self.path(".aws/config"), config),
            ("credentials", self.path(".aws/credentials"), credentials),
            ("boto", "/etc/boto.cfg".to_owned(), "missing"),
            ("boto", self.path(".boto"), "missing"),
        ];
        let width = rows.iter().map(|r| r.1.len()).max().unwrap();
        let mut lines = vec!["Files".to_owned()];
        lines.extend(
            rows.iter()
                .map(|(role, path, state)| format!("  {role:<11}  {path:<width$}  {state}")),
        );
        lines
    }
}

/// The lines of `text` from the one equal to `first` up to the next blank line.
fn block<'t>(text: &'t str, first: &str) -> Vec<&'t str> {
    text.lines()
        .skip_while(|l| *l != first)
        .take_while(|l| !l.is_empty())
        .collect()
}

/// One line of the `Sources` block, laid out as the command does: the source column as wide as
/// the longest name (29), the outcome column as wide as `outcome_width`.
fn source_line_w(
    outcome_width: usize,
    n: usize,
    source: &str,
    outcome: &str,
    reason: &str,
) -> String {
    format!("  {n:>2}  {source:<29}  {outcome:<outcome_width$}  {reason}")
        .trim_end()
        .to_owned()
}

/// [`source_line_w`] when some source was not reached (the widest outcome, 11 columns).
fn source_line(n: usize, source: &str, outcome: &str, reason: &str) -> String {
    source_line_w(11, n, source, outcome, reason)
}

/// Why each source finds nothing in an empty home with IMDS disabled.
const EMPTY_REASONS: [&str; 12] = [
    "AWS_ACCESS_KEY_ID is not set (or empty)",
    "profile default is in neither file",
    "no web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE, web_identity_token_file)",
    "profile default has neither sso_role_name nor sso_account_id",
    "no credentials file",
    "profile default has no login_session",
    "profile default has no credential_process",
    "no config file",
    "AWS_CREDENTIAL_FILE is not set",
    "no boto config file",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI is not set",
    "AWS_EC2_METADATA_DISABLED is true",
];

/// Every source after `winner` (1-based) is `not-reached`.
fn not_reached_after(winner: usize) -> impl Iterator<Item = String> {
    SOURCES
        .iter()
        .enumerate()
        .skip(winner)
        .map(|(i, s)| source_line(i + 1, s, "not-reached", ""))
}

#[test]
fn an_empty_home_has_no_credentials_and_every_source_says_why() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["explain"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stderr, "");
    let out = &run.stdout;

    assert_eq!(
        out.lines().next(),
        Some("Profile   default (none named: no --profile, AWS_DEFAULT_PROFILE or AWS_PROFILE)")
    );
    assert_eq!(
        block(out, "Files"),
        sandbox.files_block("missing", "missing")
    );
    // Every source found nothing; the outcome column is as wide as "nothing".
    let mut expected = vec!["Sources, in botocore's order".to_owned()];
    expected.extend(
        SOURCES
            .iter()
            .zip(EMPTY_REASONS)
            .enumerate()
            .map(|(i, (source, reason))| source_line_w(7, i + 1, source, "nothing", reason)),
    );
    assert_eq!(block(out, "Sources, in botocore's order"), expected);
    assert_eq!(
        block(
            out,
            "Result    no credentials: every source found nothing (botocore: NoCredentialsError: Unable to locate credentials)"
        ),
        [
            "Result    no credentials: every source found nothing (botocore: NoCredentialsError: Unable to locate credentials)"
        ]
    );
    assert!(
        out.lines().any(|l| l.starts_with("Refresh   botocore")),
        "no refresh policy line:\n{out}"
    );
}

#[test]
fn env_keys_supply_and_the_secret_is_never_printed() {
    let mut sandbox = Sandbox::new();
    sandbox
        .set("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
        .set("AWS_SECRET_ACCESS_KEY", "envSecretNeverShown")
        .set("AWS_SESSION_TOKEN", "envTokenNeverShown");
    let run = sandbox.run(&["explain"]);
    assert_eq!(run.code, 0, "{run:?}");
    run.assert_hides("envSecretNeverShown");
    run.assert_hides("envTokenNeverShown");

    let mut expected = vec![
        "Sources, in botocore's order".to_owned(),
        source_line(
            1,
            "env",
            "supplied",
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, token from AWS_SESSION_TOKEN",
        ),
    ];
    expected.extend(not_reached_after(1));
    assert_eq!(block(&run.stdout, "Sources, in botocore's order"), expected);
    assert_eq!(
        block(&run.stdout, "Result    credentials from env"),
        [
            "Result    credentials from env",
            "  access key id  AKIDFROMENV",
            "  secret key     (never shown: `credchain export` prints it)",
            "  session token  yes",
            "  expires        never (static credentials: nothing refreshes them)",
            "  account        not given",
        ]
    );

    let json = sandbox.run(&["explain", "--json"]);
    assert_eq!(json.code, 0);
    json.assert_hides("envSecretNeverShown");
    json.assert_hides("envTokenNeverShown");
    assert_eq!(json.json()["outcome"]["access_key_id"], "AKIDFROMENV");
}

#[test]
fn a_profile_in_the_credentials_file_supplies_with_file_and_line() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        "# team keys\n\
         [default]\n\
         aws_access_key_id = AKIDDEFAULT\n\
         aws_secret_access_key = defaultSecret\n\
         \n\
         [dev]\n\
         aws_access_key_id = AKIDDEV\n\
         aws_secret_access_key = devSecret\n",
    );
    let credentials = sandbox.path(".aws/credentials");

    // --profile: the env source is off (spec §0.1), and the keys are on line 7.
    let run = sandbox.run(&["explain", "--profile", "dev"]);
    assert_eq!(run.code, 0, "{run:?}");
    run.assert_hides("devSecret");
    let out = &run.stdout;
    assert_eq!(
        out.lines().next(),
        Some("Profile   dev (named with --profile; the env source is off)")
    );
    assert_eq!(block(out, "Files"), sandbox.files_block("missing", "read"));
    let mut expected = vec![
        "Sources, in botocore's order".to_owned(),
        source_line(
            1,
            "env",
            "skipped",
            "an explicit profile removes the environment source",
        ),
        source_line(2, "assume-role", "nothing", "profile dev has no role_arn"),
        source_line(
            3,
            "assume-role-with-web-identity",
            "nothing",
            "no web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE ignored under an explicit profile, web_identity_token_file)",
        ),
        source_line(
            4,
            "sso",
            "nothing",
            "profile dev has neither sso_role_name nor sso_account_id",
        ),
        source_line(
            5,
            "shared-credentials-file",
            "supplied",
            &format!("keys in the credentials file {credentials}, line 7"),
        ),
    ];
    expected.extend(not_reached_after(5));
    assert_eq!(block(out, "Sources, in botocore's order"), expected);
    assert_eq!(
        block(out, "Result    credentials from shared-credentials-file")[..2],
        [
            "Result    credentials from shared-credentials-file",
            "  access key id  AKIDDEV",
        ]
    );

    let json = sandbox
        .run(&["explain", "--profile", "dev", "--json"])
        .json();
    let step = &json["steps"][4];
    assert_eq!(step["source"], "shared-credentials-file");
    assert_eq!(
        step["location"],
        serde_json::json!({ "file": credentials, "line": 7 })
    );

    // AWS_PROFILE names the profile without turning the env source off.
    let mut via_env = Sandbox {
        home: sandbox.home,
        env: sandbox.env.clone(),
    };
    via_env.set("AWS_PROFILE", "dev");
    let run = via_env.run(&["explain"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout.lines().next(),
        Some("Profile   dev (from AWS_PROFILE)")
    );
    assert!(run.stdout.contains(&format!(
        "{}\n",
        source_line(
            1,
            "env",
            "nothing",
            "AWS_ACCESS_KEY_ID is not set (or empty)"
        )
    )));
}

/// Role credentials credchain-server's IMDS serves.
fn served(expiration: Timestamp) -> ServedCredentials {
    ServedCredentials {
        access_key_id: "ASIAFROMIMDS".to_owned(),
        secret_access_key: "imdsSecretNeverShown".to_owned(),
        session_token: "imdsTokenNeverShown".to_owned(),
        expiration,
        last_updated: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        account_id: None,
    }
}

#[test]
fn imds_supplies_role_credentials_with_their_expiry() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let expiration = Timestamp::parse("2099-01-01T00:00:00Z").unwrap();
    let imds = runtime
        .block_on(
            ImdsServer::builder()
                .http_tokens(HttpTokens::Required)
                .credentials(served(expiration))
                .start(),
        )
        .unwrap();
    let mut sandbox = Sandbox::new();
    sandbox
        .unset("AWS_EC2_METADATA_DISABLED")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint());

    let run = sandbox.run(&["explain"]);
    assert_eq!(run.code, 0, "{run:?}");
    run.assert_hides("imdsSecretNeverShown");
    run.assert_hides("imdsTokenNeverShown");
    // Everything before IMDS found nothing, for the same reasons as in an empty home.
    let mut expected = vec!["Sources, in botocore's order".to_owned()];
    expected.extend(
        SOURCES
            .iter()
            .zip(EMPTY_REASONS)
            .enumerate()
            .take(11)
            .map(|(i, (source, reason))| source_line_w(8, i + 1, source, "nothing", reason)),
    );
    expected.push(source_line_w(
        8,
        12,
        "iam-role",
        "supplied",
        "the adapter fetched credentials, expiring 2099-01-01T00:00:00Z",
    ));
    assert_eq!(block(&run.stdout, "Sources, in botocore's order"), expected);
    let result = block(&run.stdout, "Result    credentials from iam-role");
    assert_eq!(result[1], "  access key id  ASIAFROMIMDS");
    assert_eq!(result[3], "  session token  yes");
    // How long is left depends on today: normalise it.
    let expires = result[4]
        .strip_prefix("  expires        2099-01-01T00:00:00Z (in ")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{}", result[4]));
    // Decades away: days, then hours unless there are none (`26000d 5h` or `26000d`).
    let mut units = expires.split(' ');
    let days = units.next().and_then(|d| d.strip_suffix('d'));
    assert!(
        days.is_some_and(|d| d.parse::<u32>().is_ok_and(|d| d > 20_000)),
        "{expires}"
    );
    let hours = units
        .next()
        .map(|h| h.strip_suffix('h').map(str::parse::<u8>));
    assert!(
        matches!(hours, None | Some(Some(Ok(1..=23)))) && units.next().is_none(),
        "{expires}"
    );

    let json = sandbox.run(&["explain", "--json"]).json();
    assert_eq!(json["outcome"]["source"], "iam-role");
    assert_eq!(json["outcome"]["expires_at"], "2099-01-01T00:00:00Z");
    let left = json["outcome"]["expires_in_secs"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((expiration.unix_secs() - now - left).abs() < 60, "{left}");

    let env = sandbox.run(&["export", "--format", "env"]);
    assert_eq!(env.code, 0, "{env:?}");
    assert_eq!(
        env.stdout,
        "export AWS_ACCESS_KEY_ID=ASIAFROMIMDS\n\
         export AWS_SECRET_ACCESS_KEY=imdsSecretNeverShown\n\
         export AWS_SESSION_TOKEN=imdsTokenNeverShown\n\
         export AWS_CREDENTIAL_EXPIRATION=2099-01-01T00:00:00Z\n\
         unset AWS_ACCOUNT_ID\n\
         unset AWS_SECURITY_TOKEN\n"
    );
    let json = sandbox.run(&["export", "--format", "json"]);
    let doc = ProcessCredentials::parse(&json.stdout).unwrap();
    assert_eq!(doc.expiration(), Ok(Some(expiration)));
    assert_eq!(
        doc.session_token.and_then(|t| t.as_str()),
        Some("imdsTokenNeverShown")
    );
    drop(imds);
}

#[test]
fn the_json_explanation_has_every_field() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIDJSON\naws_secret_access_key = jsonSecret\n",
    );
    let run = sandbox.run(&["explain", "--json"]);
    assert_eq!(run.code, 0, "{run:?}");
    run.assert_hides("jsonSecret");
    assert!(run.stdout.starts_with("{\n  \"profile\": {"), "not pretty");
    let json = run.json();
    assert_eq!(
        json["profile"],
        serde_json::json!({ "name": "default", "origin": "default" })
    );
    let files = json["files"].as_array().unwrap();
    assert_eq!(files[1]["role"], "credentials");
    assert_eq!(files[1]["path"], sandbox.path(".aws/credentials"));
    assert_eq!(files[1]["state"], "read");
    let steps = json["steps"].as_array().unwrap();
    let names: Vec<&str> = steps
        .iter()
        .map(|s| s["source"].as_str().unwrap())
        .collect();
    assert_eq!(names, SOURCES);
    for step in steps {
        let keys: Vec<&str> = step
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 4, "{step}");
        for key in ["source", "outcome", "reason", "location"] {
            assert!(keys.contains(&key), "{step} lacks {key}");
        }
    }
    assert_eq!(steps[4]["outcome"], "supplied");
    assert_eq!(steps[5]["outcome"], "not-reached");
    assert_eq!(
        json["outcome"],
        serde_json::json!({
            "result": "credentials",
            "source": "shared-credentials-file",
            "access_key_id": "AKIDJSON",
            "has_session_token": false,
            "expires_at": null,
            "expires_in_secs": null,
            "account_id": null,
        })
    );
    assert!(
        json["refresh_policy"]
            .as_str()
            .unwrap()
            .starts_with("botocore")
    );

    let none = Sandbox::new().run(&["explain", "--json"]);
    assert_eq!(none.code, 1);
    assert_eq!(
        none.json()["outcome"],
        serde_json::json!({ "result": "no-credentials" })
    );
}

#[test]
fn export_env_round_trips_through_a_shell() {
    let sandbox = Sandbox::new();
    // The keys come from a file, so the shell only has them if `eval` worked.
    sandbox.write(
        ".aws/credentials",
        &format!(
            "[default]\naws_access_key_id = AKIDSHELL\naws_secret_access_key = {NASTY_SECRET}\n"
        ),
    );
    let script = r#"eval "$("$CREDCHAIN" export --format env)" || exit 9
printf '%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "${AWS_SESSION_TOKEN-unset}" "${AWS_CREDENTIAL_EXPIRATION-unset}""#;
    let out = sandbox
        .command("sh")
        .env("CREDCHAIN", BIN)
        .args(["-c", script])
        .output()
        .unwrap();
    let run = Run::of(out);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        format!("AKIDSHELL\n{NASTY_SECRET}\nunset\nunset\n")
    );
}

#[test]
fn export_json_is_a_credential_process_document_credchain_itself_can_run() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        &format!("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {NASTY_SECRET}\n"),
    );
    let run = sandbox.run(&["export", "--format", "json", "--profile", "base"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc = ProcessCredentials::parse(&run.stdout).unwrap();
    assert_eq!(doc.access_key_id.as_str(), Some("AKIDBASE"));
    let mut buf = [0u8; 128];
    assert_eq!(
        doc.secret_access_key.decode_into(&mut buf).unwrap(),
        NASTY_SECRET
    );
    assert!(doc.session_token.is_none());
    assert_eq!(doc.expiration(), Ok(None));

    // A profile whose credential_process is credchain: the chain runs it (custom-process).
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile viaprocess]\ncredential_process = '{BIN}' export --format json --profile base\n"
        ),
    );
    let run = sandbox.run(&["explain", "--profile", "viaprocess"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stdout
            .contains("\nResult    credentials from custom-process\n  access key id  AKIDBASE\n"),
        "{}",
        run.stdout
    );
    let env = sandbox.run(&["export", "--format", "env", "--profile", "viaprocess"]);
    assert!(
        env.stdout
            .starts_with("export AWS_ACCESS_KEY_ID=AKIDBASE\n")
    );
}

/// botocore 1.43.11 reads `credchain export --format json` as a `credential_process`.
#[test]
fn botocore_runs_credchain_as_its_credential_process() {
    if std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1") {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: not asking botocore");
        return;
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let expiration = Timestamp::parse("2099-01-01T00:00:00Z").unwrap();
    let imds = runtime
        .block_on(
            ImdsServer::builder()
                .credentials(served(expiration))
                .start(),
        )
        .unwrap();
    let mut sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        &format!(
            "[static]\naws_access_key_id = AKIDSTATIC\naws_secret_access_key = {NASTY_SECRET}\n"
        ),
    );
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile fromstatic]\ncredential_process = '{BIN}' export --format json --profile static\n\
             [profile fromimds]\ncredential_process = '{BIN}' export --format json\n"
        ),
    );
    // The inner credchain (profile default) finds IMDS; botocore's own IMDS lookup never runs
    // because custom-process comes first.
    sandbox
        .unset("AWS_EC2_METADATA_DISABLED")
        .set("AWS_EC2_METADATA_SERVICE_ENDPOINT", &imds.endpoint());
    if let Ok(p) = std::env::var("PYENV_ROOT") {
        sandbox.set("PYENV_ROOT", &p);
    }
    let oracle = r#"
import json, sys, botocore, botocore.session
assert botocore.__version__ == "1.43.11", botocore.__version__
out = {}
for profile in sys.argv[1:]:
    c = botocore.session.Session(profile=profile).get_credentials()
    f = c.get_frozen_credentials()
    out[profile] = {"method": c.method, "key": f.access_key, "secret": f.secret_key,
                    "token": f.token,
                    "expiry": c._expiry_time.strftime("%Y-%m-%dT%H:%M:%SZ")
                              if getattr(c, "_expiry_time", None) else None}
print(json.dumps(out))
"#;
    let output = sandbox
        .command("python3")
        .args(["-c", oracle, "fromstatic", "fromimds"])
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): install botocore==1.43.11 or set CREDCHAIN_SKIP_BOTOCORE=1")
        });
    let run = Run::of(output);
    assert_eq!(
        run.code, 0,
        "botocore failed (set CREDCHAIN_SKIP_BOTOCORE=1 to skip): {run:?}"
    );
    let answer = run.json();
    assert_eq!(
        answer["fromstatic"],
        serde_json::json!({
            "method": "custom-process", "key": "AKIDSTATIC", "secret": NASTY_SECRET,
            "token": null, "expiry": null,
        })
    );
    assert_eq!(
        answer["fromimds"],
        serde_json::json!({
            "method": "custom-process", "key": "ASIAFROMIMDS", "secret": "imdsSecretNeverShown",
            "token": "imdsTokenNeverShown", "expiry": "2099-01-01T00:00:00Z",
        })
    );
    drop(imds);
}

#[test]
fn errors_say_which_botocore_exception_and_exit_1() {
    // AWS_ACCESS_KEY_ID without its secret stops the chain (spec §1.3).
    let mut sandbox = Sandbox::new();
    sandbox.set("AWS_ACCESS_KEY_ID", "AKIDHALF");
    let run = sandbox.run(&["explain"]);
    assert_eq!(run.code, 1, "{run:?}");
    let mut expected = vec![
        "Sources, in botocore's order".to_owned(),
        source_line(
            1,
            "env",
            "error",
            "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY",
        ),
    ];
    expected.extend(not_reached_after(1));
    assert_eq!(block(&run.stdout, "Sources, in botocore's order"), expected);
    assert!(run.stdout.contains(
        "\nResult    error in env: PartialCredentialsError: Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY\n"
    ));
    let json = sandbox.run(&["explain", "--json"]);
    assert_eq!(json.code, 1);
    assert_eq!(
        json.json()["outcome"],
        serde_json::json!({
            "result": "error", "source": "env", "class": "PartialCredentialsError",
            "message": "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY",
        })
    );
    let export = sandbox.run(&["export", "--format", "env"]);
    assert_eq!(export.code, 1);
    assert_eq!(export.stdout, "");
    assert!(
        export.stderr.starts_with("credchain: ") && export.stderr.contains("AWS_SECRET_ACCESS_KEY"),
        "{export:?}"
    );

    // A named profile that does not exist fails before any source (spec §0.1).
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["explain", "--profile", "nope"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(
        "\nResult    error before any source ran: ProfileNotFound: The config profile (nope) could not be found\n"
    ), "{}", run.stdout);

    // No credentials at all: export prints nothing on stdout and says so on stderr.
    let export = sandbox.run(&["export", "--format", "json"]);
    assert_eq!(export.code, 1);
    assert_eq!(export.stdout, "");
    assert!(export.stderr.starts_with("credchain: "), "{export:?}");
    assert!(export.stderr.contains("credchain explain"), "{export:?}");
}

#[test]
fn bad_arguments_exit_2_with_clap_s_message() {
    let sandbox = Sandbox::new();
    for (args, says) in [
        (&["explain", "--bogus"][..], "unexpected argument '--bogus'"),
        (&["export"][..], "--format <FORMAT>"),
        (&["export", "--format", "yaml"][..], "invalid value 'yaml'"),
        (&["frobnicate"][..], "unrecognized subcommand 'frobnicate'"),
        (
            &["explain", "--profile"][..],
            "a value is required for '--profile <P>'",
        ),
        (&[][..], "Usage: credchain <COMMAND>"),
    ] {
        let run = sandbox.run(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{args:?}");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn help_teaches_where_botocore_looks() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["explain", "--help"]);
    assert_eq!(run.code, 0);
    for source in SOURCES {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{source} "))),
            "--help does not describe {source}:\n{}",
            run.stdout
        );
    }
    for place in [
        "~/.aws/credentials",
        "~/.aws/config",
        "169.254.169.254",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_DEFAULT_PROFILE, else AWS_PROFILE",
        "Exit status: 0",
    ] {
        assert!(run.stdout.contains(place), "--help lacks {place}");
    }
    let run = sandbox.run(&["export", "--help"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .contains("credential_process = credchain export --format json")
    );
    let run = sandbox.run(&["--version"]);
    assert_eq!(
        run.stdout,
        format!("credchain {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// Runs the command under `script`, on a pseudo-terminal, and returns what it printed.
fn on_a_terminal(sandbox: &Sandbox, command_line: &str) -> Option<String> {
    let out = sandbox
        .command("script")
        .args(["-qec", command_line, "/dev/null"])
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let mut sandbox = Sandbox::new();
    sandbox
        .set("AWS_ACCESS_KEY_ID", "AKIDCOLOUR")
        .set("AWS_SECRET_ACCESS_KEY", "colourSecret");
    let green = format!(
        "\x1b[1;32m{}\x1b[0m\n",
        &source_line(
            1,
            "env",
            "supplied",
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )[6..]
    );
    let dim = format!(
        "\x1b[2m{}\x1b[0m\n",
        &source_line(12, "iam-role", "not-reached", "")[6..]
    );

    // Piped: plain, whatever NO_COLOR says; --color always forces it.
    assert!(!sandbox.run(&["explain"]).stdout.contains('\x1b'));
    let forced = sandbox.run(&["explain", "--color", "always"]).stdout;
    assert!(forced.contains(&green), "{forced}");
    assert!(forced.contains(&dim), "{forced}");

    let quoted = format!("'{BIN}' explain");
    let Some(tty) = on_a_terminal(&sandbox, &quoted) else {
        eprintln!("`script` is not installed: the terminal half of this test did not run");
        return;
    };
    assert!(tty.contains(&green), "{tty}");
    sandbox.set("NO_COLOR", "1");
    let tty = on_a_terminal(&sandbox, &quoted).unwrap();
    assert!(tty.contains("AKIDCOLOUR") && !tty.contains('\x1b'), "{tty}");
    let tty = on_a_terminal(&sandbox, &format!("{quoted} --color never")).unwrap();
    assert!(!tty.contains('\x1b'), "{tty}");
}
