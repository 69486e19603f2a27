//! The MFA prompt of a role with `mfa_serial`, through the real binary against a real
//! `StsServer` on loopback whose role demands an MFA device and code.
//!
//! Each command runs without a controlling terminal (`setsid`), so that the code can only come
//! from standard input — or, for the terminal tests, on a pseudo-terminal that python3's `pty`
//! module makes the command's controlling terminal. What reaches STS is read from the server:
//! the `SerialNumber` it recorded, and its answer (it accepts only the configured code).
//! Every run is bounded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use credchain_server::{Role, StsHandle, StsServer};

mod common;
use common::server::BIN;
use common::{Finished as Run, Sandbox, finish};

const SERIAL: &str = "arn:aws:iam::123456789012:mfa/tester";
const CODE: &str = "246810";
const ROLE: &str = "arn:aws:iam::123456789012:role/mfa-role";
const BASE_KEY: &str = "AKIAMFABASE000000001";
const BASE_SECRET: &str = "mfaBaseSecretNeverPrinted0123456789abcdef";
const PROMPT: &str = "Enter MFA code for arn:aws:iam::123456789012:mfa/tester: ";

/// A runtime serving STS, and a sandbox whose profile `mfa` assumes its role with MFA.
struct World {
    _rt: tokio::runtime::Runtime,
    sts: StsHandle,
    sandbox: Sandbox,
}

fn world() -> World {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sts = rt
        .block_on(
            StsServer::builder()
                .user(BASE_KEY, BASE_SECRET)
                .role(Role::new(ROLE).mfa(SERIAL, CODE))
                .start(),
        )
        .unwrap();
    let mut sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        &format!("[base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = {BASE_SECRET}\n"),
    );
    sandbox.write(
        ".aws/config",
        &format!(
            "[profile base]\nregion = us-east-1\n\n[profile mfa]\nrole_arn = {ROLE}\n\
             source_profile = base\nmfa_serial = {SERIAL}\nregion = us-east-1\n"
        ),
    );
    sandbox.set("AWS_ENDPOINT_URL_STS", &sts.url());
    World {
        _rt: rt,
        sts,
        sandbox,
    }
}

/// Runs `credchain ARGS` without a controlling terminal (`setsid -w`), with `stdin` as its
/// standard input (`None`: closed, `/dev/null`).
fn run(world: &World, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = world.sandbox.command("setsid");
    cmd.arg("-w").arg(BIN).args(args);
    finish(cmd, stdin)
}

/// The AssumeRole calls the server saw: (SerialNumber, status, error code).
fn calls(world: &World) -> Vec<(Option<String>, u16, Option<String>)> {
    world
        .sts
        .calls()
        .into_iter()
        .filter(|c| c.action == "AssumeRole")
        .map(|c| (c.serial_number, c.status, c.error))
        .collect()
}

fn minted_keys(world: &World) -> Vec<String> {
    world
        .sts
        .minted()
        .into_iter()
        .map(|c| c.access_key_id)
        .collect()
}

#[test]
fn the_code_read_from_standard_input_reaches_sts() {
    let w = world();
    let r = run(
        &w,
        &["export", "--profile", "mfa", "--format", "json"],
        Some(&format!("{CODE}\n")),
    );
    assert_eq!(r.code, 0, "{r:?}");
    // The prompt is botocore's, on standard error, ended by a line break (the code was not
    // echoed); standard output is the document alone.
    assert_eq!(r.stderr, format!("{PROMPT}\n"));
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let key = doc["AccessKeyId"].as_str().unwrap();
    assert_eq!(minted_keys(&w), vec![key.to_owned()]);
    assert_eq!(calls(&w), vec![(Some(SERIAL.to_owned()), 200, None)]);
}

#[test]
fn the_aws_cli_role_cache_spares_the_second_prompt_and_call() {
    let w = world();
    let export = ["export", "--profile", "mfa", "--format", "json"];
    let first = run(&w, &export, Some(&format!("{CODE}\n")));
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(first.stderr, format!("{PROMPT}\n"));
    let key = |r: &Run| {
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        doc["AccessKeyId"].as_str().unwrap().to_owned()
    };
    // The AWS CLI's cache file, private to the user.
    let dir = w.sandbox.home().join(".aws/cli/cache");
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = std::os::unix::fs::PermissionsExt::mode(&files[0].metadata().unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert!(!std::fs::read_to_string(&files[0]).unwrap().is_empty());
    // A second command: no prompt, no call, the same credentials.
    for args in [&export[..], &["process", "--profile", "mfa"][..]] {
        let again = run(&w, args, None);
        assert_eq!(again.code, 0, "{args:?}: {again:?}");
        assert_eq!(again.stderr, "", "{args:?}");
        assert_eq!(key(&again), key(&first), "{args:?}");
    }
    assert_eq!(calls(&w).len(), 1);
    // `--no-role-cache` asks STS again, and needs the code again.
    let mut no_cache = export.to_vec();
    no_cache.push("--no-role-cache");
    let third = run(&w, &no_cache, Some(&format!("{CODE}\n")));
    assert_eq!(third.code, 0, "{third:?}");
    assert_eq!(third.stderr, format!("{PROMPT}\n"));
    assert_ne!(key(&third), key(&first));
    assert_eq!(calls(&w).len(), 2);
}

#[test]
fn a_wrong_code_is_sts_s_access_denied_in_clear_words() {
    let w = world();
    let r = run(
        &w,
        &["export", "--profile", "mfa", "--format", "env"],
        Some("135791\n"),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines[0], PROMPT, "{}", r.stderr);
    let message = lines[1..].join("\n");
    for part in [
        "credchain: ",
        "profile mfa",
        "AccessDenied",
        "MultiFactorAuthentication",
    ] {
        assert!(message.contains(part), "{part:?} missing from {message:?}");
    }
    assert!(
        !r.stderr.contains("135791"),
        "the code was echoed: {}",
        r.stderr
    );
    assert_eq!(
        calls(&w),
        vec![(
            Some(SERIAL.to_owned()),
            403,
            Some("AccessDenied".to_owned())
        )]
    );
}

#[test]
fn no_terminal_and_no_standard_input_is_a_clear_error_and_no_call() {
    let w = world();
    for args in [
        &["export", "--profile", "mfa", "--format", "env"][..],
        &["explain", "--profile", "mfa"][..],
        &["exec", "--profile", "mfa", "--", "true"][..],
    ] {
        let r = run(&w, args, None);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        let said = format!("{}{}", r.stdout, r.stderr);
        for part in [
            "there is no terminal to ask on",
            "standard input ended without a code",
            "echo 123456 | credchain export",
        ] {
            assert!(
                said.contains(part),
                "{args:?}: {part:?} missing from {said}"
            );
        }
        assert!(
            !r.stdout.contains(PROMPT),
            "{args:?}: the prompt reached stdout"
        );
        assert!(r.stderr.starts_with(PROMPT), "{args:?}: {}", r.stderr);
    }
    assert_eq!(calls(&w), vec![]);
}

#[test]
fn explain_shows_the_role_assumed_with_the_code_and_prompts_on_stderr_only() {
    let w = world();
    let r = run(
        &w,
        &["explain", "--profile", "mfa"],
        Some(&format!("{CODE}\n")),
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stderr, format!("{PROMPT}\n"));
    assert!(!r.stdout.contains("Enter MFA code"), "{}", r.stdout);
    let key = &minted_keys(&w)[0];
    assert!(r.stdout.contains(key.as_str()), "{}", r.stdout);
    assert!(r.stdout.contains(ROLE), "{}", r.stdout);
    assert_eq!(calls(&w), vec![(Some(SERIAL.to_owned()), 200, None)]);
}

#[test]
fn exec_reads_only_the_code_s_line_and_leaves_the_rest_to_the_command() {
    let w = world();
    let r = run(
        &w,
        &[
            "exec",
            "--profile",
            "mfa",
            "--",
            "sh",
            "-c",
            "echo \"$AWS_ACCESS_KEY_ID\"; cat",
        ],
        Some(&format!("{CODE}\nfor the command\n")),
    );
    assert_eq!(r.code, 0, "{r:?}");
    let key = &minted_keys(&w)[0];
    assert_eq!(r.stdout, format!("{key}\nfor the command\n"));
}

#[test]
fn process_never_reads_standard_input_and_fails_at_once_without_a_terminal() {
    let w = world();
    let r = run(
        &w,
        &["process", "--profile", "mfa"],
        Some(&format!("{CODE}\n")),
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stdout, "");
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    for part in [
        "credchain process asks for MFA codes only on the controlling terminal",
        "never reads standard input",
        "profile mfa",
    ] {
        assert!(
            r.stderr.contains(part),
            "{part:?} missing from {}",
            r.stderr
        );
    }
    assert_eq!(calls(&w), vec![]);
}

#[test]
fn bad_mfa_timeouts_exit_2() {
    let w = world();
    for bad in ["0", "x", "3601"] {
        let r = run(&w, &["process", "--mfa-timeout", bad], None);
        assert_eq!(r.code, 2, "{bad}: {r:?}");
        assert!(r.stderr.contains("--mfa-timeout"), "{}", r.stderr);
    }
}

/// Runs `credchain ARGS` with a pseudo-terminal as its controlling terminal (python3's `pty`),
/// standard input `/dev/null`, standard output and error to files. `answer` is typed once the
/// prompt shows on the terminal (`None`: nothing is typed). The exit status, what the terminal
/// showed, standard output, standard error.
fn on_a_terminal(world: &World, args: &[&str], answer: Option<&str>) -> (i32, String, Run) {
    const DRIVER: &str = r#"
import json, os, pty, select, sys, time
argv, answer, out_path, err_path = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
pid, fd = pty.fork()
if pid == 0:
    # Keep the terminal open in the child while its standard streams go elsewhere (the master
    # reads EIO while no one holds the terminal).
    os.set_inheritable(os.dup(0), True)
    os.dup2(os.open("/dev/null", os.O_RDONLY), 0)
    os.dup2(os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    os.execv(argv[0], argv)
seen, typed, deadline = b"", False, time.time() + 30
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.2)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if answer != "-" and not typed and b"Enter MFA code for " in seen:
        os.write(fd, answer.encode() + b"\n")
        typed = True
else:
    os.kill(pid, 9)
_, status = os.waitpid(pid, 0)
print(json.dumps({"status": os.waitstatus_to_exitcode(status), "tty": seen.decode("utf-8", "replace")}))
"#;
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out");
    let err_path = dir.path().join("err");
    let mut argv = vec![BIN.to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let out = world
        .sandbox
        .command("python3")
        .args([
            "-c",
            DRIVER,
            &serde_json::to_string(&argv).unwrap(),
            answer.unwrap_or("-"),
            &out_path.display().to_string(),
            &err_path.display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run = Run {
        code: i32::try_from(seen["status"].as_i64().unwrap()).unwrap(),
        stdout: std::fs::read_to_string(out_path).unwrap(),
        stderr: std::fs::read_to_string(err_path).unwrap(),
    };
    (
        run.code,
        seen["tty"].as_str().unwrap().replace("\r\n", "\n"),
        run,
    )
}

#[test]
fn on_a_terminal_the_prompt_and_the_code_go_through_the_terminal() {
    let w = world();
    // Without the role cache, so that the second command asks again.
    for args in [
        &[
            "export",
            "--profile",
            "mfa",
            "--format",
            "json",
            "--no-role-cache",
        ][..],
        &["process", "--profile", "mfa", "--no-role-cache"][..],
    ] {
        w.sts.clear_calls();
        let (code, tty, run) = on_a_terminal(&w, args, Some(CODE));
        assert_eq!(code, 0, "{args:?}: tty {tty:?}, {run:?}");
        // The prompt, then the code the terminal echoed as it was typed.
        assert_eq!(tty, format!("{PROMPT}{CODE}\n"), "{args:?}");
        assert_eq!(run.stderr, "", "{args:?}");
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let key = doc["AccessKeyId"].as_str().unwrap();
        assert!(minted_keys(&w).iter().any(|k| k == key), "{args:?}");
        assert_eq!(
            calls(&w),
            vec![(Some(SERIAL.to_owned()), 200, None)],
            "{args:?}"
        );
    }
}

#[test]
fn process_on_a_terminal_gives_up_after_mfa_timeout() {
    let w = world();
    let (code, tty, run) = on_a_terminal(
        &w,
        &["process", "--profile", "mfa", "--mfa-timeout", "1"],
        None,
    );
    assert_eq!(code, 1, "tty {tty:?}, {run:?}");
    assert_eq!(tty, PROMPT);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.contains(
            "no code was entered on the terminal within 1 s (credchain process --mfa-timeout)"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(calls(&w), vec![]);
}
