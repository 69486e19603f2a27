//! `credchain export` (every format), `process`, `exec`, `completions` and the warnings of
//! `explain`, run as a new user would run them: a real process, an empty environment but for
//! `PATH` and a temporary `HOME`, IMDS switched off.
//!
//! Each format is checked by the program that reads it where there is one here: the shell
//! formats by `sh` itself (`eval`, then the variables printed back), `json` and `process` by the
//! core's `credential_process` parser and by botocore 1.43.11 running credchain as its
//! `credential_process` (python3 with botocore must be installed; `CREDCHAIN_SKIP_BOTOCORE=1`
//! skips those), `ini` by the core's profile reader and by botocore reading it as its
//! credentials file. PowerShell, cmd and fish are not installed here: their lines are compared
//! whole with what their quoting rules give.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use credchain_core::document::ProcessCredentials;
use credchain_core::profile::{Dialect, FileKind, ProfileFile};
use credchain_core::time::Timestamp;
use serde_json::{Value, json};

mod common;
use common::Sandbox;

const BIN: &str = env!("CARGO_BIN_EXE_credchain");

/// A secret that a shell, JSON and an INI file each treat specially somewhere.
const NASTY_SECRET: &str = r#"it's a "sec$ret" `x` \n; $(exit 3) 100% # not; a comment"#;
/// A session token with what PowerShell and fish quote differently.
const NASTY_TOKEN: &str = "tok'en\\with\u{2019}quotes";

#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        Run {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

impl Sandbox {
    fn run(&self, args: &[&str]) -> Run {
        Run::of(self.command(BIN).args(args).output().unwrap())
    }

    /// Credentials with everything: keys, a token, an expiry and an account, from `env`.
    fn with_env_credentials(&mut self) -> &mut Sandbox {
        self.set("AWS_ACCESS_KEY_ID", "ASIAENVEXAMPLE")
            .set("AWS_SECRET_ACCESS_KEY", NASTY_SECRET)
            .set("AWS_SESSION_TOKEN", NASTY_TOKEN)
            .set("AWS_CREDENTIAL_EXPIRATION", "2099-01-02T03:04:05Z")
            .set("AWS_ACCOUNT_ID", "123456789012")
    }

    /// Static keys in `[default]` of the credentials file (a value with `#` and `;`, which
    /// botocore keeps).
    fn with_file_credentials(&self) -> &Sandbox {
        self.write(
            ".aws/credentials",
            &format!(
                "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = {NASTY_SECRET}\n"
            ),
        );
        self
    }
}

impl Sandbox {
    /// Static keys in `[default]` of the credentials file, nothing to warn about.
    fn with_sound_file_credentials(&self) -> &Sandbox {
        self.write(
            ".aws/credentials",
            "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG\n",
        );
        self
    }
}

fn skip_botocore() -> bool {
    let skip = std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1");
    if skip {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: not asking botocore");
    }
    skip
}

/// Runs `script` with botocore's python in `sandbox`'s environment; its stdout as JSON.
fn botocore(sandbox: &mut Sandbox, script: &str, args: &[&str]) -> Value {
    if let Ok(p) = std::env::var("PYENV_ROOT") {
        sandbox.set("PYENV_ROOT", &p);
    }
    let output = sandbox
        .command("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): install botocore==1.43.11 or set CREDCHAIN_SKIP_BOTOCORE=1")
        });
    let run = Run::of(output);
    assert_eq!(
        run.code,
        Some(0),
        "botocore failed (set CREDCHAIN_SKIP_BOTOCORE=1 to skip): {run:?}"
    );
    run.json()
}

/// Prints, one per line, each variable of the export set or `<unset>`.
const PRINT_VARS: &str = r#"for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_ACCOUNT_ID AWS_SECURITY_TOKEN; do
  eval "if [ \"\${$v+set}\" = set ]; then printf '%s=%s\n' $v \"\$$v\"; else printf '%s <unset>\n' $v; fi"
done"#;

fn vars(expected: [(&str, Option<&str>); 6]) -> String {
    expected
        .iter()
        .map(|(n, v)| match v {
            Some(v) => format!("{n}={v}\n"),
            None => format!("{n} <unset>\n"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// export

#[test]
fn env_sets_everything_and_clears_a_stale_security_token_in_sh() {
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let exported = sandbox.run(&["export", "--format", "env"]);
    assert_eq!(exported.code, Some(0), "{exported:?}");
    sandbox.write("exported.sh", &exported.stdout);
    let script = format!(
        "AWS_SECURITY_TOKEN=stale; export AWS_SECURITY_TOKEN\n. ./exported.sh || exit 9\n{PRINT_VARS}"
    );
    // A clean shell: the values come only from the file.
    let run = Run::of(
        Command::new("sh")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(sandbox.home())
            .args(["-c", &script])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        vars([
            ("AWS_ACCESS_KEY_ID", Some("ASIAENVEXAMPLE")),
            ("AWS_SECRET_ACCESS_KEY", Some(NASTY_SECRET)),
            ("AWS_SESSION_TOKEN", Some(NASTY_TOKEN)),
            ("AWS_CREDENTIAL_EXPIRATION", Some("2099-01-02T03:04:05Z")),
            ("AWS_ACCOUNT_ID", Some("123456789012")),
            ("AWS_SECURITY_TOKEN", None),
        ])
    );
    // They are exported: a child of that shell sees them.
    let child = Run::of(
        Command::new("sh")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(sandbox.home())
            .args([
                "-c",
                ". ./exported.sh; sh -c 'printf %s \"$AWS_SESSION_TOKEN\"'",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(child.stdout, NASTY_TOKEN);
}

#[test]
fn env_of_static_credentials_removes_the_token_and_expiry_in_sh() {
    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    let script = format!(
        "AWS_SESSION_TOKEN=old AWS_CREDENTIAL_EXPIRATION=old AWS_ACCOUNT_ID=old AWS_SECURITY_TOKEN=old\n\
         export AWS_SESSION_TOKEN AWS_CREDENTIAL_EXPIRATION AWS_ACCOUNT_ID AWS_SECURITY_TOKEN\n\
         eval \"$(\"$CREDCHAIN\" export --format env)\" || exit 9\n{PRINT_VARS}"
    );
    let run = Run::of(
        sandbox
            .command("sh")
            .env("CREDCHAIN", BIN)
            .args(["-c", &script])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        vars([
            ("AWS_ACCESS_KEY_ID", Some("AKIDFILE")),
            ("AWS_SECRET_ACCESS_KEY", Some(NASTY_SECRET)),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_CREDENTIAL_EXPIRATION", None),
            ("AWS_ACCOUNT_ID", None),
            ("AWS_SECURITY_TOKEN", None),
        ])
    );
}

#[test]
fn env_no_export_assigns_without_exporting_or_removing() {
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let exported = sandbox.run(&["export", "--format", "env-no-export"]);
    assert_eq!(exported.code, Some(0), "{exported:?}");
    assert!(
        exported.stdout.lines().all(|l| l.starts_with("AWS_")),
        "{}",
        exported.stdout
    );
    sandbox.write("vars.env", &exported.stdout);
    let script = format!(
        ". ./vars.env || exit 9\n{PRINT_VARS}\nsh -c 'printf \"child:%s\\n\" \"${{AWS_ACCESS_KEY_ID-unset}}\"'"
    );
    let run = Run::of(
        Command::new("sh")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .current_dir(sandbox.home())
            .args(["-c", &script])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        vars([
            ("AWS_ACCESS_KEY_ID", Some("ASIAENVEXAMPLE")),
            ("AWS_SECRET_ACCESS_KEY", Some(NASTY_SECRET)),
            ("AWS_SESSION_TOKEN", Some(NASTY_TOKEN)),
            ("AWS_CREDENTIAL_EXPIRATION", Some("2099-01-02T03:04:05Z")),
            ("AWS_ACCOUNT_ID", Some("123456789012")),
            ("AWS_SECURITY_TOKEN", None),
        ]) + "child:unset\n"
    );
}

#[test]
fn powershell_lines_single_quote_and_double_every_quote() {
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let run = sandbox.run(&["export", "--format", "powershell"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    let expected = [
        "$Env:AWS_ACCESS_KEY_ID = 'ASIAENVEXAMPLE'",
        r#"$Env:AWS_SECRET_ACCESS_KEY = 'it''s a "sec$ret" `x` \n; $(exit 3) 100% # not; a comment'"#,
        "$Env:AWS_SESSION_TOKEN = 'tok''en\\with\u{2019}\u{2019}quotes'",
        "$Env:AWS_CREDENTIAL_EXPIRATION = '2099-01-02T03:04:05Z'",
        "$Env:AWS_ACCOUNT_ID = '123456789012'",
        "$Env:AWS_SECURITY_TOKEN = $null",
    ];
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);

    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    let run = sandbox.run(&["export", "--format", "powershell"]);
    assert_eq!(
        run.stdout.lines().skip(2).collect::<Vec<_>>(),
        [
            "$Env:AWS_SESSION_TOKEN = $null",
            "$Env:AWS_CREDENTIAL_EXPIRATION = $null",
            "$Env:AWS_ACCOUNT_ID = $null",
            "$Env:AWS_SECURITY_TOKEN = $null",
        ]
    );
}

#[test]
fn windows_cmd_lines_and_what_cmd_cannot_carry() {
    let mut sandbox = Sandbox::new();
    sandbox
        .set("AWS_ACCESS_KEY_ID", "AKIDCMD")
        .set("AWS_SECRET_ACCESS_KEY", "a/b+c&d|e<f>g^h(i)")
        .set(
            "AWS_SESSION_TOKEN",
            "IQoJb3JpZ2luX2VjEJr//////////wEaCXVz==",
        );
    let run = sandbox.run(&["export", "--format", "windows-cmd"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "set AWS_ACCESS_KEY_ID=AKIDCMD",
            "set \"AWS_SECRET_ACCESS_KEY=a/b+c&d|e<f>g^h(i)\"",
            "set AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEJr//////////wEaCXVz==",
            "set AWS_CREDENTIAL_EXPIRATION=",
            "set AWS_ACCOUNT_ID=",
            "set AWS_SECURITY_TOKEN=",
        ]
    );

    // `%` (and `"`) cannot be written for cmd: an error naming the variable, not its value.
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let run = sandbox.run(&["export", "--format", "windows-cmd"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "credchain: AWS_SECRET_ACCESS_KEY cannot be written for cmd.exe: it holds a double \
         quote, which cmd cannot nest in a quoted `set`; use --format powershell or --format \
         json instead\n"
    );
}

#[test]
fn fish_lines_escape_backslash_and_quote() {
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let run = sandbox.run(&["export", "--format", "fish"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout.lines().collect::<Vec<_>>(),
        [
            "set -gx AWS_ACCESS_KEY_ID ASIAENVEXAMPLE",
            r#"set -gx AWS_SECRET_ACCESS_KEY 'it\'s a "sec$ret" `x` \\n; $(exit 3) 100% # not; a comment'"#,
            "set -gx AWS_SESSION_TOKEN 'tok\\'en\\\\with\u{2019}quotes'",
            "set -gx AWS_CREDENTIAL_EXPIRATION 2099-01-02T03:04:05Z",
            "set -gx AWS_ACCOUNT_ID 123456789012",
            "set -e AWS_SECURITY_TOKEN",
        ]
    );
}

#[test]
fn json_and_its_process_alias_read_back_through_the_core_parser() {
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let json_run = sandbox.run(&["export", "--format", "json"]);
    let alias_run = sandbox.run(&["export", "--format", "process"]);
    assert_eq!(json_run.code, Some(0), "{json_run:?}");
    assert_eq!(alias_run.stdout, json_run.stdout);
    let doc = ProcessCredentials::parse(&json_run.stdout).unwrap();
    let mut buf = [0u8; 256];
    assert_eq!(doc.access_key_id.as_str(), Some("ASIAENVEXAMPLE"));
    assert_eq!(
        doc.secret_access_key.decode_into(&mut buf).unwrap(),
        NASTY_SECRET
    );
    assert_eq!(
        doc.session_token.unwrap().decode_into(&mut buf).unwrap(),
        NASTY_TOKEN
    );
    assert_eq!(
        doc.expiration(),
        Ok(Some(Timestamp::parse("2099-01-02T03:04:05Z").unwrap()))
    );
    assert_eq!(
        doc.account_id.and_then(|a| a.as_str()),
        Some("123456789012")
    );
}

#[test]
fn ini_reads_back_through_the_core_reader_and_botocore() {
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let run = sandbox.run(&["export", "--format", "ini", "--profile-name", "exported"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        format!(
            "[exported]\naws_access_key_id = ASIAENVEXAMPLE\naws_secret_access_key = {NASTY_SECRET}\n\
             aws_session_token = {NASTY_TOKEN}\naws_account_id = 123456789012\n\
             aws_credential_expiration = 2099-01-02T03:04:05Z\n"
        )
    );
    let file = ProfileFile::parse(&run.stdout, FileKind::Credentials, Dialect::Botocore).unwrap();
    let section = file.profile("exported").unwrap();
    for (key, value) in [
        ("aws_access_key_id", "ASIAENVEXAMPLE"),
        ("aws_secret_access_key", NASTY_SECRET),
        ("aws_session_token", NASTY_TOKEN),
        ("aws_account_id", "123456789012"),
    ] {
        assert!(section.get(key).unwrap().eq_str(value), "{key}");
    }
    // Without --profile-name the section is [default].
    let default = sandbox.run(&["export", "--format", "ini"]);
    assert!(default.stdout.starts_with("[default]\n"), "{default:?}");

    if skip_botocore() {
        return;
    }
    let path = sandbox.write("exported-credentials", &run.stdout);
    let mut reader = Sandbox::new();
    reader.set("AWS_SHARED_CREDENTIALS_FILE", &path.display().to_string());
    let answer = botocore(
        &mut reader,
        r#"
import json, botocore, botocore.session
assert botocore.__version__ == "1.43.11", botocore.__version__
c = botocore.session.Session(profile="exported").get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"method": c.method, "key": f.access_key, "secret": f.secret_key,
                  "token": f.token, "account": f.account_id}))
"#,
        &[],
    );
    assert_eq!(
        answer,
        json!({"method": "shared-credentials-file", "key": "ASIAENVEXAMPLE",
               "secret": NASTY_SECRET, "token": NASTY_TOKEN, "account": "123456789012"})
    );
}

#[test]
fn ini_refuses_a_value_botocore_would_not_read_back() {
    let mut sandbox = Sandbox::new();
    sandbox
        .set("AWS_ACCESS_KEY_ID", "AKID")
        .set("AWS_SECRET_ACCESS_KEY", "secret with a trailing space ");
    let run = sandbox.run(&["export", "--format", "ini"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "credchain: aws_secret_access_key cannot be written to a credentials file so that \
         botocore reads it back unchanged: configparser strips white space at the ends of a \
         value and ends it at a line break; use --format json or --format env instead\n"
    );
}

#[test]
fn bad_export_arguments_exit_2_with_clap_messages() {
    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    let run = sandbox.run(&["export", "--format", "env", "--profile-name", "x"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert_eq!(
        run.stderr.lines().next().unwrap(),
        "error: --profile-name names the section of `--format ini` and goes with no other format"
    );
    assert_eq!(run.stdout, "");
    let run = sandbox.run(&["export", "--format", "yaml"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: invalid value 'yaml' for '--format <FORMAT>'\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "[possible values: env, env-no-export, fish, powershell, windows-cmd, json, ini]"
        ),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// process

#[test]
fn process_prints_the_document_or_one_line_on_stderr() {
    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    let run = sandbox.run(&["process"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stderr, "");
    let doc = ProcessCredentials::parse(&run.stdout).unwrap();
    assert_eq!(doc.access_key_id.as_str(), Some("AKIDFILE"));

    // No credentials: nothing on stdout, one line on stderr, status 1.
    let empty = Sandbox::new();
    let run = empty.run(&["process"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("credchain: ")
            && run
                .stderr
                .ends_with(" (`credchain explain` shows every source and why)\n"),
        "{}",
        run.stderr
    );
    // A profile that does not exist.
    let run = sandbox.run(&["process", "--profile", "nope"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
}

#[test]
fn process_refuses_a_profile_that_runs_itself() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile loop]\ncredential_process = '{BIN}' process --profile loop\n\
             [profile a]\ncredential_process = '{BIN}' process --profile b\n\
             [profile b]\ncredential_process = '{BIN}' export --format json --profile a\n"
        ),
    );
    for (profile, chain) in [("loop", "loop -> loop"), ("a", "a -> b -> a")] {
        let run = sandbox.run(&["process", "--profile", profile]);
        assert_eq!(run.code, Some(1), "{run:?}");
        assert_eq!(run.stdout, "");
        let first = chain.split(" -> ").next().unwrap();
        let outer = chain.rsplit_once(" -> ").unwrap().0;
        assert!(
            run.stderr.contains(&format!(
                "profile \"{first}\" is already being resolved by an outer credchain \
                 (CREDCHAIN_PROCESS_CHAIN: {outer}): its credential_process runs credchain for \
                 itself again"
            )),
            "{profile}: {}",
            run.stderr
        );
    }
}

/// botocore 1.43.11 runs `credchain process` as a `credential_process`, and shows its message
/// when it fails.
#[test]
fn botocore_runs_credchain_process() {
    if skip_botocore() {
        return;
    }
    let mut sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        &format!("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = {NASTY_SECRET}\n"),
    );
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile app]\ncredential_process = '{BIN}' process --profile base\n\
             [profile broken]\ncredential_process = '{BIN}' process --profile missing\n"
        ),
    );
    let answer = botocore(
        &mut sandbox,
        r#"
import json, botocore, botocore.session
from botocore.exceptions import CredentialRetrievalError
assert botocore.__version__ == "1.43.11", botocore.__version__
c = botocore.session.Session(profile="app").get_credentials()
f = c.get_frozen_credentials()
out = {"method": c.method, "key": f.access_key, "secret": f.secret_key, "token": f.token}
try:
    botocore.session.Session(profile="broken").get_credentials()
    out["broken"] = None
except CredentialRetrievalError as e:
    out["broken"] = str(e)
print(json.dumps(out))
"#,
        &[],
    );
    assert_eq!(answer["method"], "custom-process");
    assert_eq!(answer["key"], "AKIDBASE");
    assert_eq!(answer["secret"], NASTY_SECRET);
    assert_eq!(answer["token"], Value::Null);
    let broken = answer["broken"].as_str().unwrap();
    assert!(
        broken.starts_with("Error when retrieving credentials from custom-process: credchain: ")
            && broken.contains("missing"),
        "{broken}"
    );
}

// ---------------------------------------------------------------------------------------------
// exec

#[test]
fn exec_gives_the_command_the_credentials_and_nothing_stale() {
    let mut sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    // Stale values: --profile turns the env source off, so the file's keys are used, and the
    // stale token must not reach the command.
    sandbox
        .set("AWS_ACCESS_KEY_ID", "AKIDSTALE")
        .set("AWS_SECRET_ACCESS_KEY", "stale")
        .set("AWS_SESSION_TOKEN", "stale")
        .set("AWS_SECURITY_TOKEN", "stale")
        .set("AWS_CREDENTIAL_EXPIRATION", "2000-01-01T00:00:00Z")
        .set("UNRELATED", "kept");
    let run = sandbox.run(&[
        "exec",
        "--profile",
        "default",
        "--",
        "sh",
        "-c",
        &format!("{PRINT_VARS}\nprintf 'UNRELATED=%s\\n' \"$UNRELATED\""),
    ]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        run.stdout,
        vars([
            ("AWS_ACCESS_KEY_ID", Some("AKIDFILE")),
            ("AWS_SECRET_ACCESS_KEY", Some(NASTY_SECRET)),
            ("AWS_SESSION_TOKEN", None),
            ("AWS_CREDENTIAL_EXPIRATION", None),
            ("AWS_ACCOUNT_ID", None),
            ("AWS_SECURITY_TOKEN", None),
        ]) + "UNRELATED=kept\n"
    );
    assert_eq!(run.stderr, "");

    // With a token and an expiry, both are set.
    let mut sandbox = Sandbox::new();
    sandbox.with_env_credentials();
    let run = sandbox.run(&["exec", "--", "sh", "-c", PRINT_VARS]);
    assert_eq!(
        run.stdout,
        vars([
            ("AWS_ACCESS_KEY_ID", Some("ASIAENVEXAMPLE")),
            ("AWS_SECRET_ACCESS_KEY", Some(NASTY_SECRET)),
            ("AWS_SESSION_TOKEN", Some(NASTY_TOKEN)),
            ("AWS_CREDENTIAL_EXPIRATION", Some("2099-01-02T03:04:05Z")),
            ("AWS_ACCOUNT_ID", Some("123456789012")),
            ("AWS_SECURITY_TOKEN", None),
        ])
    );
}

#[test]
fn exec_runs_no_shell_and_passes_arguments_and_stdin_as_they_are() {
    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    let mut child = sandbox
        .command(BIN)
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "cat; printf '[%s]' \"$@\"",
            "sh",
            "$HOME",
            "a b",
            "--profile",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"from stdin\n")
        .unwrap();
    let run = Run::of(child.wait_with_output().unwrap());
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "from stdin\n[$HOME][a b][--profile]");
}

#[test]
fn exec_exits_with_the_commands_status() {
    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    for (script, code) in [
        ("exit 0", 0),
        ("exit 3", 3),
        ("exit 255", 255),
        ("kill -TERM $$", 128 + 15),
        ("kill -KILL $$", 128 + 9),
        ("kill -INT $$", 128 + 2),
    ] {
        let run = sandbox.run(&["exec", "--", "sh", "-c", script]);
        assert_eq!(run.code, Some(code), "{script}: {run:?}");
        assert_eq!(run.stderr, "", "{script}");
    }
}

#[test]
fn exec_says_when_the_command_cannot_be_found_or_run() {
    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    let run = sandbox.run(&["exec", "--", "credchain-no-such-command", "x"]);
    assert_eq!(run.code, Some(127), "{run:?}");
    assert_eq!(
        run.stderr,
        "credchain: exec: credchain-no-such-command: command not found on PATH\n"
    );
    let missing = sandbox.path("missing/prog");
    let run = sandbox.run(&["exec", "--", &missing]);
    assert_eq!(run.code, Some(127), "{run:?}");
    assert_eq!(
        run.stderr,
        format!("credchain: exec: {missing}: no such file\n")
    );

    let not_executable = sandbox.write("script.sh", "#!/bin/sh\necho hi\n");
    let not_executable = not_executable.display().to_string();
    let run = sandbox.run(&["exec", "--", &not_executable]);
    assert_eq!(run.code, Some(126), "{run:?}");
    assert_eq!(
        run.stderr,
        format!(
            "credchain: exec: {not_executable}: permission denied (is it executable, and not a \
             directory?)\n"
        )
    );
    let dir = sandbox.path(".aws");
    let run = sandbox.run(&["exec", "--", &dir]);
    assert_eq!(run.code, Some(126), "{run:?}");
}

#[test]
fn exec_without_credentials_runs_nothing_and_exits_1() {
    let sandbox = Sandbox::new();
    let marker = sandbox.path("ran");
    let run = sandbox.run(&["exec", "--", "touch", &marker]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!Path::new(&marker).exists(), "the command ran");
    assert!(
        run.stderr.starts_with("credchain: ") && run.stderr.contains("credchain explain"),
        "{}",
        run.stderr
    );
    let run = sandbox.run(&["exec"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: the following required arguments were not provided:\n  <CMD>..."),
        "{}",
        run.stderr
    );
}

#[test]
fn exec_passes_sigterm_on_to_the_command() {
    let sandbox = Sandbox::new();
    sandbox.with_file_credentials();
    let mut child = sandbox
        .command(BIN)
        .args([
            "exec",
            "--",
            "sh",
            "-c",
            "trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.05; done",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // A watchdog, not a timing assertion: a command that ignored the signal must not hang the
    // suite.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("credchain exec did not end after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert_eq!(rest, "got TERM\n");
    assert_eq!(status.code(), Some(7));
}

// ---------------------------------------------------------------------------------------------
// completions

/// The subcommands `credchain --help` lists.
fn subcommands() -> Vec<String> {
    let help = Sandbox::new().run(&["--help"]);
    let commands: Vec<String> = help
        .stdout
        .split("Commands:\n")
        .nth(1)
        .unwrap()
        .lines()
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect();
    for known in ["explain", "export", "process", "exec", "completions"] {
        assert!(commands.iter().any(|c| c == known), "{known}: {commands:?}");
    }
    commands
}

#[test]
fn completions_know_every_subcommand() {
    let sandbox = Sandbox::new();
    let bash = sandbox.run(&["completions", "bash"]);
    assert_eq!(bash.code, Some(0), "{bash:?}");
    for command in subcommands() {
        assert!(
            bash.stdout.contains(&format!("credchain,{command})")),
            "bash completion lacks {command}"
        );
    }
    // The values of --format are offered.
    assert!(
        bash.stdout
            .contains("env env-no-export fish powershell windows-cmd json ini")
    );
    // bash itself accepts the script.
    let path = sandbox.write("credchain.bash", &bash.stdout);
    let check = Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(check.success());

    for (shell, start) in [
        ("zsh", "#compdef credchain\n"),
        ("fish", "# Print an optspec for argparse"),
        (
            "powershell",
            "\nusing namespace System.Management.Automation",
        ),
        ("elvish", "\nuse builtin;\n"),
    ] {
        let run = sandbox.run(&["completions", shell]);
        assert_eq!(run.code, Some(0), "{shell}: {run:?}");
        assert!(
            run.stdout.starts_with(start),
            "{shell}: {}",
            &run.stdout[..80]
        );
        assert!(run.stdout.contains("explain"), "{shell}");
    }
    let run = sandbox.run(&["completions", "tcsh"]);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .starts_with("error: invalid value 'tcsh' for '<SHELL>'\n"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// explain warnings

/// The `warnings` of `explain --json`, as (code, file:line or "", message).
fn warnings(sandbox: &Sandbox, args: &[&str]) -> Vec<(String, String, String)> {
    let mut all = vec!["explain", "--json"];
    all.extend_from_slice(args);
    let run = sandbox.run(&all);
    let json = run.json();
    json["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings array: {}", run.stdout))
        .iter()
        .map(|w| {
            let place = match (w["file"].as_str(), w["line"].as_u64()) {
                (Some(f), Some(l)) => format!("{f}:{l}"),
                _ => String::new(),
            };
            (
                w["code"].as_str().unwrap().to_owned(),
                place,
                w["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn w(code: &str, place: &str, message: &str) -> (String, String, String) {
    (code.to_owned(), place.to_owned(), message.to_owned())
}

#[test]
fn no_warnings_for_a_sound_setup() {
    let sandbox = Sandbox::new();
    sandbox.with_sound_file_credentials();
    assert_eq!(warnings(&sandbox, &[]), []);
    let text = sandbox.run(&["explain"]);
    assert!(!text.stdout.contains("Warning"), "{}", text.stdout);
}

#[test]
fn imds_disabled_by_1_is_not_disabled() {
    let mut sandbox = Sandbox::new();
    sandbox.with_sound_file_credentials();
    sandbox.set("AWS_EC2_METADATA_DISABLED", "1");
    assert_eq!(
        warnings(&sandbox, &[]),
        [w(
            "imds-disabled-not-true",
            "",
            "AWS_EC2_METADATA_DISABLED=\"1\" does nothing: only `true` (in any case, nothing \
             around it) turns IMDS off in botocore"
        )]
    );
    // The text shows it under the explanation, wrapped, after a blank line.
    let text = sandbox.run(&["explain"]).stdout;
    let tail: Vec<&str> = text.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        [
            "          turns IMDS off in botocore",
            "Warning   AWS_EC2_METADATA_DISABLED=\"1\" does nothing: only `true` (in any case, nothing around it)",
            "",
        ]
    );
    sandbox.set("AWS_EC2_METADATA_DISABLED", "TRUE");
    assert_eq!(warnings(&sandbox, &[]), []);
}

#[test]
fn an_inline_comment_is_part_of_the_value() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s3cr3t ; old key\n",
    );
    sandbox.write(
        ".aws/config",
        "[default]\nregion = eu-west-1 # Ireland\nother = a#b\n[profile unused]\nregion = x # y\n",
    );
    let credentials = sandbox.path(".aws/credentials");
    let config = sandbox.path(".aws/config");
    let found = warnings(&sandbox, &[]);
    assert_eq!(
        found,
        [
            w(
                "inline-comment",
                &format!("{config}:2"),
                "region is read as \"eu-west-1 # Ireland\": botocore has no inline comments, \
                 the text from \"# Ireland\" on is part of the value (the other AWS SDKs drop it)"
            ),
            w(
                "inline-comment",
                &format!("{credentials}:3"),
                "aws_secret_access_key: the text from ` ;` on is part of the value: botocore \
                 has no inline comments (the other AWS SDKs drop it)"
            ),
        ]
    );
    let text = sandbox.run(&["explain"]);
    assert!(!text.stdout.contains("s3cr3t") && !text.stderr.contains("s3cr3t"));
    let json = sandbox.run(&["explain", "--json"]);
    assert!(!json.stdout.contains("s3cr3t"));
}

#[test]
fn an_unknown_credential_source_is_named_with_its_line() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/config",
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = environment\n\
         [profile other]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_source = Ec2Instance\n",
    );
    let config = sandbox.path(".aws/config");
    assert_eq!(
        warnings(&sandbox, &["--profile", "role"]),
        [w(
            "unknown-credential-source",
            &format!("{config}:3"),
            "credential_source = \"environment\" is not one botocore knows: only Environment, \
             Ec2InstanceMetadata and EcsContainer, spelled exactly so; a role profile with it \
             fails with InvalidConfigError (did you mean Environment? case matters)"
        )]
    );
    assert_eq!(
        warnings(&sandbox, &["--profile", "other"]),
        [w(
            "unknown-credential-source",
            &format!("{config}:6"),
            "credential_source = \"Ec2Instance\" is not one botocore knows: only Environment, \
             Ec2InstanceMetadata and EcsContainer, spelled exactly so; a role profile with it \
             fails with InvalidConfigError"
        )]
    );
}

#[test]
fn profile_variables_that_disagree() {
    let mut sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        "[a]\naws_access_key_id = AKIDA\naws_secret_access_key = sa\n\
         [b]\naws_access_key_id = AKIDB\naws_secret_access_key = sb\n",
    );
    sandbox
        .set("AWS_DEFAULT_PROFILE", "a")
        .set("AWS_PROFILE", "b");
    assert_eq!(
        warnings(&sandbox, &[]),
        [w(
            "profile-variables-disagree",
            "",
            "AWS_DEFAULT_PROFILE=\"a\" and AWS_PROFILE=\"b\" disagree: botocore (boto3, the AWS \
             CLI) uses \"a\", while the AWS SDKs that know only AWS_PROFILE use \"b\""
        )]
    );
    // --profile overrides both: nothing to warn about.
    assert_eq!(warnings(&sandbox, &["--profile", "b"]), []);
    sandbox.set("AWS_PROFILE", "a");
    assert_eq!(warnings(&sandbox, &[]), []);
}

#[test]
fn env_keys_next_to_a_profile() {
    let mut sandbox = Sandbox::new();
    sandbox.with_sound_file_credentials();
    sandbox
        .set("AWS_PROFILE", "default")
        .set("AWS_ACCESS_KEY_ID", "AKIDENV")
        .set("AWS_SECRET_ACCESS_KEY", "envsecret");
    assert_eq!(
        warnings(&sandbox, &[]),
        [w(
            "env-keys-beat-profile",
            "",
            "AWS_PROFILE=\"default\" and AWS_ACCESS_KEY_ID are both set: the env keys win, the \
             profile's credentials are not used (AWS_PROFILE does not turn the env source off; \
             --profile does)"
        )]
    );
    assert_eq!(
        warnings(&sandbox, &["--profile", "default"]),
        [w(
            "env-keys-ignored",
            "",
            "AWS_ACCESS_KEY_ID is set but not used: --profile \"default\" turns the env source \
             off (a program that reads AWS_PROFILE instead would use the env keys)"
        )]
    );
}

#[test]
fn a_session_token_without_keys_and_two_tokens() {
    let mut sandbox = Sandbox::new();
    sandbox.with_sound_file_credentials();
    sandbox.set("AWS_SESSION_TOKEN", "tokenvalue");
    assert_eq!(
        warnings(&sandbox, &[]),
        [w(
            "token-without-keys",
            "",
            "AWS_SESSION_TOKEN is set but AWS_ACCESS_KEY_ID is not: the env source needs the \
             keys, so the token is not used"
        )]
    );
    sandbox
        .set("AWS_ACCESS_KEY_ID", "AKIDENV")
        .set("AWS_SECRET_ACCESS_KEY", "envsecret")
        .set("AWS_SECURITY_TOKEN", "othertoken");
    assert_eq!(
        warnings(&sandbox, &[]),
        [w(
            "security-token-shadows-session-token",
            "",
            "AWS_SECURITY_TOKEN and AWS_SESSION_TOKEN are both set, to different tokens: \
             botocore sends AWS_SECURITY_TOKEN (a leftover from an older tool?)"
        )]
    );
}

#[test]
fn keys_with_white_space_or_quotes() {
    let mut sandbox = Sandbox::new();
    sandbox
        .set("AWS_ACCESS_KEY_ID", "AKIDENV ")
        .set("AWS_SECRET_ACCESS_KEY", "\"quotedsecret\"");
    let found = warnings(&sandbox, &[]);
    assert_eq!(
        found,
        [
            w(
                "key-whitespace",
                "",
                "AWS_ACCESS_KEY_ID has white space at its start or end: botocore sends it byte \
                 for byte, and AWS will reject the signature"
            ),
            w(
                "key-quoted",
                "",
                "AWS_SECRET_ACCESS_KEY is wrapped in quotes, which are part of its value (the \
                 shell did not remove them: a .env file or a quoted quote?)"
            ),
        ]
    );
    let run = sandbox.run(&["explain"]);
    assert!(!run.stdout.contains("quotedsecret"));

    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = 'AKIDFILE'\naws_secret_access_key = \"quotedsecret\"\n",
    );
    let credentials = sandbox.path(".aws/credentials");
    assert_eq!(
        warnings(&sandbox, &[]),
        [
            w(
                "key-quoted",
                &format!("{credentials}:2"),
                "aws_access_key_id is wrapped in quotes, which botocore keeps as part of the \
                 value (configparser removes no quotes)"
            ),
            w(
                "key-quoted",
                &format!("{credentials}:3"),
                "aws_secret_access_key is wrapped in quotes, which botocore keeps as part of \
                 the value (configparser removes no quotes)"
            ),
        ]
    );
}

#[test]
fn a_key_the_credentials_file_overrides_is_not_warned_about_in_the_config() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/config",
        "[default]\nregion = us-east-1 # overridden\n",
    );
    sandbox.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\nregion = us-east-1\n",
    );
    assert_eq!(warnings(&sandbox, &[]), []);
}
