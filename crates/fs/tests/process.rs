//! The `credential_process` runner against real scripts in a temporary directory, and a
//! sample of them compared with botocore 1.43.11's `ProcessProvider` (python3 + botocore;
//! `CREDCHAIN_SKIP_BOTOCORE=1` skips that comparison).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use credchain_core::time::Timestamp;
use credchain_fs::env::EnvSnapshot;
use credchain_fs::process::{
    ExitStatusInfo, OwnedProcessCredentials, ProcessError, ProcessErrorKind, ProcessOptions,
    run_credential_process,
};
use credchain_fs::shlex::SplitError;
use serde_json::{Value, json};

const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

struct Scripts {
    dir: tempfile::TempDir,
}

impl Scripts {
    fn new() -> Scripts {
        Scripts {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes an executable `sh` script named `name` and returns its path.
    fn sh(&self, name: &str, body: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// A script that prints `doc` and exits 0; the command line to run it.
    fn printing(&self, name: &str, doc: &str) -> String {
        let p = self.sh(name, &format!("cat <<'EOF'\n{doc}\nEOF"));
        quote(&p)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// `p` quoted for shlex.
fn quote(p: &Path) -> String {
    format!("'{}'", p.display())
}

/// Runs `cmd` as profile `dev`'s `credential_process`.
///
/// The tests run in parallel threads, each writing its scripts and then executing them: a
/// sibling test that forks while this one's script is still open for writing holds that file
/// descriptor in its child until the child execs, and Linux refuses to execute a file open for
/// writing (`ETXTBSY`). That is a property of the test harness, not of the runner, so only
/// that error is retried here, for a short while.
fn run(cmd: &str) -> Result<OwnedProcessCredentials, ProcessError> {
    for _ in 0..50 {
        match run_credential_process("dev", cmd, &ProcessOptions::default()) {
            Err(ProcessError {
                kind:
                    ProcessErrorKind::Spawn {
                        kind: std::io::ErrorKind::ExecutableFileBusy,
                        ..
                    },
                ..
            }) => std::thread::sleep(std::time::Duration::from_millis(20)),
            other => return other,
        }
    }
    run_credential_process("dev", cmd, &ProcessOptions::default())
}

fn secs(t: Timestamp) -> i64 {
    t.saturating_sub(Timestamp::UNIX_EPOCH)
}

#[test]
fn static_credentials() {
    let s = Scripts::new();
    let cmd = s.printing(
        "good",
        &format!(r#"{{"Version": 1, "AccessKeyId": "AKIDSTATIC", "SecretAccessKey": "{SECRET}"}}"#),
    );
    let c = run(&cmd).unwrap();
    assert_eq!(c.access_key_id(), "AKIDSTATIC");
    assert_eq!(c.secret_access_key(), SECRET);
    assert_eq!(c.session_token(), None);
    assert_eq!(c.expiration(), None);
    assert_eq!(c.account_id(), None);
}

#[test]
fn expiring_credentials_with_token_and_account() {
    let s = Scripts::new();
    let cmd = s.printing(
        "good",
        &format!(
            r#"
  {{"Version": 1.0, "AccessKeyId": "ASIAEXP", "SecretAccessKey": "{SECRET}",
    "SessionToken": "FwoGZXIvYXdzEJr\/token", "Expiration": "2099-01-02T03:04:05Z",
    "AccountId": "123456789012"}}
"#
        ),
    );
    let c = run(&cmd).unwrap();
    assert_eq!(c.access_key_id(), "ASIAEXP");
    assert_eq!(c.session_token(), Some("FwoGZXIvYXdzEJr/token"));
    assert_eq!(
        c.expiration(),
        Some("2099-01-02T03:04:05Z".parse::<Timestamp>().unwrap())
    );
    assert_eq!(c.account_id(), Some("123456789012"));
    let shown = format!("{c:?}");
    assert!(
        !shown.contains(SECRET) && !shown.contains("FwoGZXIvYXdz"),
        "{shown}"
    );
}

#[test]
fn exit_1_carries_stderr_never_stdout() {
    let s = Scripts::new();
    let p = s.sh(
        "fail",
        &format!(
            "echo '{{\"Version\":1,\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":\"{SECRET}\"}}'\n\
             echo '  token expired: run sso login  ' >&2\nexit 1"
        ),
    );
    let e = run(&quote(&p)).unwrap_err();
    assert_eq!(
        e.kind,
        ProcessErrorKind::Exited {
            status: ExitStatusInfo::Code(1),
            stderr: "token expired: run sso login".into()
        }
    );
    assert_eq!(e.profile, "dev");
    let msg = e.to_string();
    assert!(
        msg.starts_with("Error when retrieving credentials from custom-process"),
        "{msg}"
    );
    assert!(
        msg.contains("\"dev\"") && msg.contains("token expired: run sso login"),
        "{msg}"
    );
    assert!(!msg.contains(SECRET), "{msg}");
}

#[test]
fn killed_by_a_signal_is_a_failure() {
    let s = Scripts::new();
    let p = s.sh("sig", "echo dying >&2\nkill -9 $$");
    let e = run(&quote(&p)).unwrap_err();
    assert_eq!(
        e.kind,
        ProcessErrorKind::Exited {
            status: ExitStatusInfo::Signal(9),
            stderr: "dying".into()
        }
    );
    assert!(e.to_string().contains("killed by signal 9"));
}

#[test]
fn long_stderr_keeps_head_and_tail() {
    let s = Scripts::new();
    let p = s.sh(
        "noisy",
        "echo FIRST-LINE >&2\nhead -c 100000 /dev/zero | tr '\\0' x >&2\necho >&2\necho LAST-LINE >&2\nexit 3",
    );
    let e = run(&quote(&p)).unwrap_err();
    let ProcessErrorKind::Exited { status, stderr } = &e.kind else {
        panic!("{e}")
    };
    assert_eq!(*status, ExitStatusInfo::Code(3));
    assert!(stderr.starts_with("FIRST-LINE"), "{stderr}");
    assert!(stderr.ends_with("LAST-LINE"), "{stderr}");
    assert!(stderr.contains("bytes of stderr omitted"));
    assert!(stderr.len() < 9 * 1024, "{}", stderr.len());
}

#[test]
fn garbage_output() {
    let s = Scripts::new();
    let e = run(&s.printing("garbage", "hello, I am not JSON")).unwrap_err();
    assert!(matches!(e.kind, ProcessErrorKind::Output(_)), "{e:?}");
    assert!(e.to_string().contains("credential_process output"), "{e}");
    let e = run(&s.printing("array", "[1]")).unwrap_err();
    assert!(matches!(e.kind, ProcessErrorKind::Output(_)), "{e:?}");
    let p = s.sh("latin1", "printf '\\377'");
    let e = run(&quote(&p)).unwrap_err();
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

#[test]
fn version_2_and_missing_keys_read_as_botocore() {
    let s = Scripts::new();
    let e = run(&s.printing(
        "v2",
        r#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}"#,
    ))
    .unwrap_err();
    assert!(
        e.to_string().ends_with(
            "Unsupported version '2' for credential process provider, supported versions: 1"
        ),
        "{e}"
    );
    let e = run(&s.printing("nosecret", r#"{"Version": 1, "AccessKeyId": "A"}"#)).unwrap_err();
    assert!(
        e.to_string()
            .ends_with("Missing required key in response: 'SecretAccessKey'"),
        "{e}"
    );
    let e = run(&s.printing(
        "badexp",
        r#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "soon"}"#,
    ))
    .unwrap_err();
    assert!(matches!(e.kind, ProcessErrorKind::Expiration(_)), "{e:?}");
}

fn gone(pid: u32) -> bool {
    // Reaped: no /proc entry at all (a zombie would still have one).
    !Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn hang_past_the_deadline_is_killed_and_reaped() {
    let s = Scripts::new();
    let pidfile = s.path().join("pid");
    let p = s.sh(
        "hang",
        &format!("echo $$ > '{}'\nexec sleep 30", pidfile.display()),
    );
    let options = ProcessOptions {
        deadline: Some(Duration::from_millis(300)),
        ..ProcessOptions::default()
    };
    let started = Instant::now();
    let e = run_credential_process("dev", &quote(&p), &options).unwrap_err();
    let took = started.elapsed();
    assert_eq!(
        e.kind,
        ProcessErrorKind::TimedOut {
            after: Duration::from_millis(300)
        }
    );
    assert!(e.to_string().contains("timed out after 0.3 s"), "{e}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(gone(pid), "process {pid} is still there");
}

#[test]
fn a_grandchild_holding_the_pipes_does_not_hold_the_caller() {
    let s = Scripts::new();
    let pidfile = s.path().join("gpid");
    let p = s.sh(
        "forks",
        &format!("sleep 30 &\necho $! > '{}'\nwait", pidfile.display()),
    );
    let options = ProcessOptions {
        deadline: Some(Duration::from_millis(300)),
        ..ProcessOptions::default()
    };
    let started = Instant::now();
    let e = run_credential_process("dev", &quote(&p), &options).unwrap_err();
    assert!(matches!(e.kind, ProcessErrorKind::TimedOut { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // Clean up the grandchild this test started, by its own id.
    if let Ok(pid) = std::fs::read_to_string(&pidfile) {
        let _ = Command::new("kill").args(["-9", pid.trim()]).status();
    }
}

#[test]
fn huge_output_is_capped_and_the_process_killed() {
    let s = Scripts::new();
    let pidfile = s.path().join("pid");
    let p = s.sh(
        "yes",
        &format!("echo $$ > '{}'\nexec yes", pidfile.display()),
    );
    let e = run(&quote(&p)).unwrap_err();
    assert_eq!(
        e.kind,
        ProcessErrorKind::OutputTooLarge { limit: 1024 * 1024 }
    );
    let pid: u32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(gone(pid));
    // A small limit applies to a finite document too.
    let options = ProcessOptions {
        max_stdout: 10,
        ..ProcessOptions::default()
    };
    let cmd = s.printing(
        "doc",
        r#"{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S"}"#,
    );
    let e = run_credential_process("dev", &cmd, &options).unwrap_err();
    assert_eq!(e.kind, ProcessErrorKind::OutputTooLarge { limit: 10 });
}

/// A script that reports its arguments as the access key, joined with `|`.
const ECHO_ARGS: &str = r#"printf '{"Version": 1, "AccessKeyId": "'
first=1
for a in "$@"; do
  if [ $first = 0 ]; then printf '|'; fi
  first=0
  printf '%s' "$a"
done
printf '", "SecretAccessKey": "S"}'"#;

#[test]
fn quoting_splits_like_shlex() {
    let s = Scripts::new();
    let p = s.sh("my script", ECHO_ARGS);
    let dir = s.path().display().to_string();
    let cmd = format!(r#""{dir}/my script" 'a b' c\ d "e'f" '' g|h $HOME ~"#);
    let c = run(&cmd).unwrap();
    assert_eq!(c.access_key_id(), "a b|c d|e'f||g|h|$HOME|~");
    assert!(p.exists());
}

#[test]
fn command_line_errors() {
    let e = run("").unwrap_err();
    assert_eq!(e.kind, ProcessErrorKind::EmptyCommand);
    let e = run("  \t ").unwrap_err();
    assert_eq!(e.kind, ProcessErrorKind::EmptyCommand);
    let e = run("tool 'open").unwrap_err();
    assert_eq!(
        e.kind,
        ProcessErrorKind::Split(SplitError::NoClosingQuotation)
    );
    assert!(e.to_string().contains("No closing quotation"));
}

#[test]
fn program_not_found() {
    let e = run("credchain-no-such-program --flag secret-arg").unwrap_err();
    assert!(
        matches!(
            e.kind,
            ProcessErrorKind::Spawn {
                kind: io::ErrorKind::NotFound,
                ..
            }
        ),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(msg.contains("credchain-no-such-program"), "{msg}");
    assert!(!msg.contains("secret-arg"), "{msg}");
    let e = run("/nonexistent/dir/tool").unwrap_err();
    assert!(matches!(
        e.kind,
        ProcessErrorKind::Spawn {
            kind: io::ErrorKind::NotFound,
            ..
        }
    ));
}

#[test]
fn script_without_shebang_is_not_run_by_sh() {
    let s = Scripts::new();
    let p = s.path().join("plain");
    std::fs::write(&p, "echo '{}'\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    let e = run(&quote(&p)).unwrap_err();
    // ENOEXEC: the kernel refuses the file, and (unlike a shell or glibc's execvp) nothing
    // retries it with /bin/sh.
    assert!(
        matches!(e.kind, ProcessErrorKind::Spawn { errno: Some(8), .. }),
        "{e}"
    );
    assert!(e.to_string().contains("Exec format error"), "{e}");
}

#[test]
fn path_search_like_subprocess() {
    let s = Scripts::new();
    let a = s.path().join("a");
    let b = s.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // In a/ a file that is not executable (EACCES), in b/ the real tool.
    std::fs::write(a.join("tool"), "#!/bin/sh\nexit 9\n").unwrap();
    std::fs::set_permissions(a.join("tool"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let doc = r#"{"Version": 1, "AccessKeyId": "FROM_B", "SecretAccessKey": "S"}"#;
    std::fs::write(b.join("tool"), format!("#!/bin/sh\necho '{doc}'\n")).unwrap();
    std::fs::set_permissions(b.join("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("/nonexistent:{}:{}", a.display(), b.display());
    let options = |path: &str| ProcessOptions {
        env: Some(EnvSnapshot::from_pairs([("PATH", path)])),
        ..ProcessOptions::default()
    };
    let c = run_credential_process("dev", "tool", &options(&path)).unwrap();
    assert_eq!(c.access_key_id(), "FROM_B");
    // Only the non-executable one: its error, not "not found".
    let only_a = format!("/nonexistent:{}", a.display());
    let e = run_credential_process("dev", "tool", &options(&only_a)).unwrap_err();
    assert!(
        matches!(
            e.kind,
            ProcessErrorKind::Spawn {
                kind: io::ErrorKind::PermissionDenied,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn given_environment_reaches_the_command_and_stdin_is_null() {
    let s = Scripts::new();
    let p = s.sh(
        "env",
        r#"if read line; then got="$line"; else got=EOF; fi
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s"}' "$CREDCHAIN_TEST_VAR" "$got""#,
    );
    let options = ProcessOptions {
        env: Some(EnvSnapshot::from_pairs([(
            "CREDCHAIN_TEST_VAR",
            "from-snapshot",
        )])),
        ..ProcessOptions::default()
    };
    let c = run_credential_process("dev", &quote(&p), &options).unwrap();
    assert_eq!(c.access_key_id(), "from-snapshot");
    assert_eq!(c.secret_access_key(), "EOF");
}

// ---- botocore as the oracle --------------------------------------------------------------

const ORACLE: &str = r#"
import json, sys
from botocore.credentials import ProcessProvider
out = []
for cmd in json.load(sys.stdin):
    p = ProcessProvider('dev', lambda cmd=cmd: {'profiles': {'dev': {'credential_process': cmd}}})
    try:
        c = p.load()
        exp = getattr(c, '_expiry_time', None)
        get = lambda n: getattr(c, '_' + n) if exp is not None else getattr(c, n)
        out.append({'ok': {
            'access_key': get('access_key'), 'secret_key': get('secret_key'),
            'token': get('token'), 'account_id': get('account_id'),
            'expiry': int(exp.timestamp()) if exp is not None else None}})
    except Exception as e:
        out.append({'err': type(e).__name__, 'msg': str(e)})
print(json.dumps(out))
"#;

#[test]
fn same_outcome_as_botocore() {
    if std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1") {
        eprintln!("skipped: CREDCHAIN_SKIP_BOTOCORE=1");
        return;
    }
    let s = Scripts::new();
    let dir = s.path().display().to_string();
    s.sh("my script", ECHO_ARGS);
    let plain = s.path().join("plain");
    std::fs::write(&plain, "echo '{}'\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fail = s.sh("fail", "echo 'bad things' >&2\nexit 1");
    let cases: Vec<(&str, String)> = vec![
        (
            "static",
            s.printing(
                "static",
                r#"{"Version": 1, "AccessKeyId": "AKID1", "SecretAccessKey": "S1"}"#,
            ),
        ),
        (
            "expiring",
            s.printing(
                "expiring",
                r#"{"Version": 1, "AccessKeyId": "ASIA2", "SecretAccessKey": "S2", "SessionToken": "T2", "Expiration": "2099-05-06T07:08:09Z", "AccountId": "111122223333"}"#,
            ),
        ),
        (
            "null token, version 1.0",
            s.printing(
                "nulltok",
                r#"{"Version": 1.0, "AccessKeyId": "A3", "SecretAccessKey": "S3", "SessionToken": null, "Expiration": null}"#,
            ),
        ),
        (
            "escaped strings",
            s.printing(
                "escaped",
                r#"{"Version": 1, "AccessKeyId": "A\u00e94", "SecretAccessKey": "S\/4\n"}"#,
            ),
        ),
        ("exit 1", quote(&fail)),
        ("garbage", s.printing("garbage", "not json")),
        ("empty", s.printing("empty", "")),
        (
            "version 2",
            s.printing("v2", r#"{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}"#),
        ),
        (
            "version \"1\"",
            s.printing("v1s", r#"{"Version": "1", "AccessKeyId": "A", "SecretAccessKey": "S"}"#),
        ),
        (
            "no version",
            s.printing("nov", r#"{"AccessKeyId": "A", "SecretAccessKey": "S"}"#),
        ),
        (
            "missing secret",
            s.printing("nosecret", r#"{"Version": 1, "AccessKeyId": "A"}"#),
        ),
        (
            "quoting",
            format!(r#""{dir}/my script" 'a b' c\ d "e'f" '' g|h $HOME ~"#),
        ),
        ("not found", "credchain-no-such-program".into()),
        ("no shebang", quote(&plain)),
        ("unbalanced quote", "tool 'open".into()),
        ("empty command", String::new()),
    ];
    let input =
        serde_json::to_string(&cases.iter().map(|(_, c)| c.clone()).collect::<Vec<_>>()).unwrap();
    let mut child = Command::new("python3")
        .args(["-c", ORACLE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (set CREDCHAIN_SKIP_BOTOCORE=1 to skip)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "botocore 1.43.11 must be installed");
    let want: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(want.len(), cases.len());

    let mut failures = Vec::new();
    let mut both_ok = 0;
    for ((name, cmd), want) in cases.iter().zip(&want) {
        let got = run(cmd);
        match (&got, want.get("ok")) {
            (Ok(c), Some(w)) => {
                both_ok += 1;
                let mine = json!({
                    "access_key": c.access_key_id(),
                    "secret_key": c.secret_access_key(),
                    "token": c.session_token(),
                    "account_id": c.account_id(),
                    "expiry": c.expiration().map(secs),
                });
                if &mine != w {
                    failures.push(format!("{name}: credchain {mine}, botocore {w}"));
                }
            }
            (Err(e), None) => {
                let class = want["err"].as_str().unwrap();
                let msg = want["msg"].as_str().unwrap();
                let expected_class = match &e.kind {
                    ProcessErrorKind::Exited { .. } => "CredentialRetrievalError",
                    ProcessErrorKind::Output(_)
                        if msg.contains("supported versions")
                            || msg.contains("Missing required key") =>
                    {
                        "CredentialRetrievalError"
                    }
                    ProcessErrorKind::Output(_) => "JSONDecodeError",
                    ProcessErrorKind::Spawn {
                        kind: io::ErrorKind::NotFound,
                        ..
                    } => "FileNotFoundError",
                    ProcessErrorKind::Spawn { .. } => "OSError",
                    ProcessErrorKind::Split(_) => "ValueError",
                    ProcessErrorKind::EmptyCommand => "IndexError",
                    other => panic!("{name}: unexpected {other:?}"),
                };
                if class != expected_class {
                    failures.push(format!(
                        "{name}: credchain {e} ({expected_class}), botocore {class}: {msg}"
                    ));
                }
                // Where botocore's message is the substance (stderr, version, missing key),
                // ours carries it.
                if class == "CredentialRetrievalError" || class == "ValueError" {
                    let substance = msg
                        .strip_prefix("Error when retrieving credentials from custom-process: ")
                        .unwrap_or(msg)
                        .trim();
                    if !e.to_string().contains(substance) {
                        failures.push(format!("{name}: {e:?} lacks botocore's {substance:?}"));
                    }
                }
            }
            (got, _) => failures.push(format!("{name}: credchain {got:?}, botocore {want}")),
        }
    }
    assert!(failures.is_empty(), "differences:\n{}", failures.join("\n"));
    // static, expiring, null token, escaped strings, quoting.
    assert_eq!(both_ok, 5, "cases where both gave credentials");
}
