//! Running `credential_process` (spec §7, provider `custom-process`).
//!
//! botocore's `ProcessProvider` does, in order:
//!
//! 1. split the profile's `credential_process` with `shlex.split` ([`crate::shlex`]); an empty
//!    line gives no program (`IndexError`), an open quote `ValueError: No closing quotation`;
//! 2. start the program with no shell, `subprocess.Popen(argv, stdout=PIPE, stderr=PIPE)`:
//!    a program without `/` is looked for in each directory of `PATH` (`/bin:/usr/bin` when
//!    `PATH` is unset, an empty entry meaning the working directory), trying each in turn; a
//!    candidate that is missing (`ENOENT`, `ENOTDIR`) is skipped, and when none starts, the
//!    first other error (`EACCES`, `ENOEXEC`…) is reported, else "not found". A script without
//!    `#!` is not handed to `/bin/sh`;
//! 3. wait for both pipes to close and for the process to exit;
//! 4. a non-zero exit status (a signal included) is
//!    `Error when retrieving credentials from custom-process: <stderr>`; standard output is
//!    then ignored;
//! 5. standard output is decoded as UTF-8 and read by the core
//!    ([`credchain_core::document::ProcessCredentials`]): `Version` 1, `AccessKeyId` and
//!    `SecretAccessKey` required, `SessionToken`, `Expiration` and `AccountId` optional.
//!
//! Every failure stops the chain: there is no "nothing here" once `credential_process` is set.
//!
//! ## Where credchain differs, on purpose
//!
//! - **A deadline.** botocore waits forever for a command that hangs. [`run_credential_process`]
//!   waits at most [`ProcessOptions::deadline`] ([`DEFAULT_DEADLINE`], five minutes: long enough
//!   for a person to answer an MFA or single-sign-on prompt that the command shows, short enough
//!   that a stuck command does not hang a service). Then it kills the process (`SIGKILL`),
//!   reaps it, and fails with "did not finish within N s". `None` waits forever, as botocore.
//!   Only the process started is killed: a grandchild it left behind that still holds the pipes
//!   is not waited for (the threads reading the pipes end when it closes them).
//! - **Standard input is `/dev/null`** by default ([`StdinMode::Null`]): a service's input is not
//!   handed to a helper. botocore lets the command inherit it ([`StdinMode::Inherit`]); a
//!   command that prompts should use the terminal (`/dev/tty`) as most do.
//! - **Capped output.** Standard output larger than [`ProcessOptions::max_stdout`] kills the
//!   process and fails; standard error is drained to the end but only its first and last
//!   [`ProcessOptions::max_stderr`]` / 2` bytes are kept for the message, trimmed of surrounding
//!   white space and decoded lossily (botocore fails on stderr that is not UTF-8).
//! - **Errors name the profile and the program**, never the arguments (they may carry a secret)
//!   and never standard output (it carries the credentials).
//! - **Types are checked**, by the core: `AccessKeyId: 5` fails here, botocore would take it.
//!
//! The environment and working directory are inherited, as botocore does, unless
//! [`ProcessOptions::env`] gives one (then `PATH` is looked up in it too, as `subprocess` does
//! with `env=`). `AccountId` absent or falsy is `None`: the caller then uses the profile's
//! `aws_account_id`, as botocore does.
//!
//! The runner blocks; an async caller runs it on a blocking thread (`spawn_blocking`). Buffers
//! that held standard output and the credentials are zeroed when dropped.

use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use credchain_core::document::{DocumentError, JsonStr, ProcessCredentials};
use credchain_core::time::{TimeError, Timestamp};
use zeroize::Zeroizing;

use crate::env::EnvSnapshot;
use crate::shlex::{self, SplitError};

/// How long [`run_credential_process`] waits by default: five minutes (see the module docs).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(300);

/// The most standard output read by default: 1 MiB, a hundred times a real document.
pub const DEFAULT_MAX_STDOUT: usize = 1024 * 1024;

/// The most standard error kept for a message by default: 8 KiB (first and last 4 KiB).
pub const DEFAULT_MAX_STDERR: usize = 8 * 1024;

/// botocore's default search path when `PATH` is not set (Python's `os.defpath`).
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// What the command gets as standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum StdinMode {
    /// `/dev/null` (credchain's default).
    #[default]
    Null,
    /// This process's standard input (botocore's behaviour).
    Inherit,
}

/// How to run a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOptions {
    /// How long to wait for the command to finish; `None` waits forever, as botocore.
    pub deadline: Option<Duration>,
    /// The most bytes of standard output accepted.
    pub max_stdout: usize,
    /// The most bytes of standard error kept for the error message.
    pub max_stderr: usize,
    /// Standard input.
    pub stdin: StdinMode,
    /// The environment to give the command (and to find it on `PATH`); `None` inherits this
    /// process's.
    pub env: Option<EnvSnapshot>,
}

impl Default for ProcessOptions {
    fn default() -> ProcessOptions {
        ProcessOptions {
            deadline: Some(DEFAULT_DEADLINE),
            max_stdout: DEFAULT_MAX_STDOUT,
            max_stderr: DEFAULT_MAX_STDERR,
            stdin: StdinMode::Null,
            env: None,
        }
    }
}

/// The credentials a command printed, owned. `Debug` hides the secret and the token; both are
/// zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnedProcessCredentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
    expiration: Option<Timestamp>,
    account_id: Option<String>,
}

impl OwnedProcessCredentials {
    /// `AccessKeyId`.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// `SecretAccessKey`.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// `SessionToken`, unless absent or `null`.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_ref().map(|t| t.as_str())
    }

    /// `Expiration`, unless absent or `null`: then the credentials are static; otherwise
    /// botocore runs the command again to refresh them.
    pub fn expiration(&self) -> Option<Timestamp> {
        self.expiration
    }

    /// `AccountId`, unless absent or falsy: then the caller uses the profile's
    /// `aws_account_id`.
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }
}

impl fmt::Debug for OwnedProcessCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedProcessCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<hidden>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<hidden>"),
            )
            .field("expiration", &self.expiration)
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// How a command ended when it did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatusInfo {
    /// It exited with this status.
    Code(i32),
    /// A signal killed it.
    Signal(i32),
}

impl ExitStatusInfo {
    fn of(status: ExitStatus) -> ExitStatusInfo {
        match (status.code(), status.signal()) {
            (Some(code), _) => ExitStatusInfo::Code(code),
            (None, Some(sig)) => ExitStatusInfo::Signal(sig),
            (None, None) => ExitStatusInfo::Code(-1),
        }
    }
}

impl fmt::Display for ExitStatusInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatusInfo::Code(c) => write!(f, "exited with status {c}"),
            ExitStatusInfo::Signal(s) => write!(f, "was killed by signal {s}"),
        }
    }
}

/// What went wrong with a `credential_process` command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProcessErrorKind {
    /// The command line holds no word (botocore: `IndexError`).
    EmptyCommand,
    /// The command line cannot be split (botocore: `ValueError`).
    Split(SplitError),
    /// The program could not be started: not found, not executable, not a program…
    /// (botocore: `FileNotFoundError`, `PermissionError`, `OSError`).
    Spawn {
        /// The kind of error.
        kind: io::ErrorKind,
        /// The raw OS error number.
        errno: Option<i32>,
    },
    /// Reading the command's output failed, or no thread could be started to read it.
    Io {
        /// The kind of error.
        kind: io::ErrorKind,
        /// The raw OS error number.
        errno: Option<i32>,
    },
    /// The command did not finish before the deadline; it was killed and reaped.
    TimedOut {
        /// The deadline.
        after: Duration,
    },
    /// The command failed (botocore: `CredentialRetrievalError` with its standard error).
    Exited {
        /// How it ended.
        status: ExitStatusInfo,
        /// Its standard error, trimmed and capped: the tool's own message.
        stderr: String,
    },
    /// The command printed more than the limit on standard output; it was killed.
    OutputTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The output is not a usable credentials document (bad UTF-8, not JSON, `Version` not 1, a
    /// key missing or of the wrong type).
    Output(DocumentError),
    /// `Expiration` is not a timestamp.
    Expiration(TimeError),
}

/// A `credential_process` that gave no credentials: for which profile, which program, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessError {
    /// The profile whose `credential_process` it is.
    pub profile: String,
    /// The program (the first word of the command line), once known. Never the arguments.
    pub program: Option<String>,
    /// What went wrong.
    pub kind: ProcessErrorKind,
}

fn io_message(f: &mut fmt::Formatter<'_>, kind: io::ErrorKind, errno: Option<i32>) -> fmt::Result {
    match errno {
        Some(code) => write!(f, "{}", io::Error::from_raw_os_error(code)),
        None => write!(f, "{kind}"),
    }
}

/// `d` in seconds, as short as it can be written: `300 s`, `0.3 s`, `1.25 s`.
fn seconds(d: Duration) -> String {
    let millis = d.subsec_millis();
    if millis == 0 {
        return format!("{} s", d.as_secs());
    }
    let frac = format!("{millis:03}");
    format!("{}.{} s", d.as_secs(), frac.trim_end_matches('0'))
}

impl fmt::Display for ProcessError {
    /// `Error when retrieving credentials from custom-process` as botocore says it, then the
    /// profile and program, then what happened.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Error when retrieving credentials from custom-process (credential_process of profile \"{}\"",
            self.profile
        )?;
        if let Some(p) = &self.program {
            write!(f, ", program \"{p}\"")?;
        }
        f.write_str("): ")?;
        match &self.kind {
            ProcessErrorKind::EmptyCommand => f.write_str("the command line is empty"),
            ProcessErrorKind::Split(e) => write!(f, "cannot split the command line: {e}"),
            ProcessErrorKind::Spawn { kind, errno } => {
                f.write_str("cannot start the program: ")?;
                io_message(f, *kind, *errno)
            }
            ProcessErrorKind::Io { kind, errno } => {
                f.write_str("cannot read the program's output: ")?;
                io_message(f, *kind, *errno)
            }
            ProcessErrorKind::TimedOut { after } => write!(
                f,
                "timed out after {}: the program did not finish in time and was killed",
                seconds(*after)
            ),
            ProcessErrorKind::Exited { status, stderr } if stderr.is_empty() => {
                write!(f, "the program {status} and wrote nothing on stderr")
            }
            ProcessErrorKind::Exited { status, stderr } => {
                write!(f, "the program {status}: {stderr}")
            }
            ProcessErrorKind::OutputTooLarge { limit } => write!(
                f,
                "the program wrote more than {limit} bytes on stdout and was killed"
            ),
            ProcessErrorKind::Output(e) => write!(f, "{e}"),
            ProcessErrorKind::Expiration(e) => write!(f, "Expiration: {e}"),
        }
    }
}

impl std::error::Error for ProcessError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ProcessErrorKind::Split(e) => Some(e),
            ProcessErrorKind::Output(e) => Some(e),
            ProcessErrorKind::Expiration(e) => Some(e),
            _ => None,
        }
    }
}

/// Runs `command_line`, the `credential_process` of profile `profile`, and reads the
/// credentials it prints (see the module documentation for every rule).
pub fn run_credential_process(
    profile: &str,
    command_line: &str,
    options: &ProcessOptions,
) -> Result<OwnedProcessCredentials, ProcessError> {
    let fail = |program: Option<&str>, kind| ProcessError {
        profile: profile.to_owned(),
        program: program.map(str::to_owned),
        kind,
    };
    let argv = shlex::split(command_line).map_err(|e| fail(None, ProcessErrorKind::Split(e)))?;
    let Some((program, args)) = argv.split_first() else {
        return Err(fail(None, ProcessErrorKind::EmptyCommand));
    };
    let stdout = run(program, args, options).map_err(|k| fail(Some(program), k))?;
    credentials(&stdout).map_err(|k| fail(Some(program), k))
}

/// Reads the owned credentials from a command's standard output.
fn credentials(stdout: &[u8]) -> Result<OwnedProcessCredentials, ProcessErrorKind> {
    let doc = ProcessCredentials::parse_bytes(stdout).map_err(ProcessErrorKind::Output)?;
    let expiration = doc.expiration().map_err(ProcessErrorKind::Expiration)?;
    Ok(OwnedProcessCredentials {
        access_key_id: decode(&doc.access_key_id).to_string(),
        secret_access_key: decode(&doc.secret_access_key),
        session_token: doc.session_token.as_ref().map(decode),
        expiration,
        account_id: doc.account_id.as_ref().map(|a| decode(a).to_string()),
    })
}

/// The decoded text of `s`, written once into a buffer of the right size (no copy left behind
/// by a growing `String`).
fn decode(s: &JsonStr<'_>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(s.decoded_len()));
    for c in s.chars() {
        out.push(c);
    }
    out
}

/// The places `program` is looked for, as Python's `subprocess` makes them.
fn candidates(program: &str, path: Option<&OsStr>) -> Vec<PathBuf> {
    if program.contains('/') {
        return vec![PathBuf::from(program)];
    }
    let path = path.unwrap_or(OsStr::new(DEFAULT_PATH));
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            if dir.is_empty() {
                // `os.path.join('', p)` is `p`, which `execv` takes relative to the working
                // directory; `./p` says the same to `Command`, which would search `PATH` for `p`.
                PathBuf::from(".").join(program)
            } else {
                PathBuf::from(OsStr::from_bytes(dir)).join(program)
            }
        })
        .collect()
}

/// Kills and reaps the child unless it has been reaped already.
struct Reaper {
    child: Child,
    reaped: bool,
}

impl Reaper {
    fn kill(&mut self) {
        if !self.reaped {
            // Errors mean it is gone already; `wait` then returns at once.
            let _ = self.child.kill();
            let _ = self.child.wait();
            self.reaped = true;
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(
    program: &str,
    args: &[String],
    options: &ProcessOptions,
) -> Result<Child, ProcessErrorKind> {
    let path = match &options.env {
        Some(env) => env.var_os("PATH").map(OsStr::to_os_string),
        None => std::env::var_os("PATH"),
    };
    let mut first_error: Option<io::Error> = None;
    let mut last_error: Option<io::Error> = None;
    for candidate in candidates(program, path.as_deref()) {
        let mut cmd = Command::new(&candidate);
        cmd.args(args)
            .stdin(match options.stdin {
                StdinMode::Null => Stdio::null(),
                StdinMode::Inherit => Stdio::inherit(),
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // The first word is the program as written, as Python passes it.
        std::os::unix::process::CommandExt::arg0(&mut cmd, program);
        if let Some(env) = &options.env {
            cmd.env_clear();
            cmd.envs(env.iter());
        }
        match cmd.spawn() {
            Ok(child) => return Ok(child),
            Err(e) => {
                let missing = matches!(e.kind(), io::ErrorKind::NotFound)
                    || e.raw_os_error() == Some(20 /* ENOTDIR */);
                if !missing && first_error.is_none() {
                    first_error = Some(e);
                } else {
                    last_error = Some(e);
                }
            }
        }
    }
    let e = first_error
        .or(last_error)
        .unwrap_or_else(|| io::Error::from(io::ErrorKind::NotFound));
    Err(ProcessErrorKind::Spawn {
        kind: e.kind(),
        errno: e.raw_os_error(),
    })
}

fn io_kind(e: &io::Error) -> ProcessErrorKind {
    ProcessErrorKind::Io {
        kind: e.kind(),
        errno: e.raw_os_error(),
    }
}

/// A message from a thread reading one of the pipes.
enum Pipe {
    Stdout(io::Result<Option<Zeroizing<Vec<u8>>>>),
    Stderr(io::Result<String>),
}

/// Reads all of standard output; `None` when it holds more than `max` bytes.
fn read_stdout(mut out: ChildStdout, max: usize) -> io::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut buf = Zeroizing::new(Vec::new());
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    (&mut out).take(limit).read_to_end(&mut buf)?;
    Ok((buf.len() <= max).then_some(buf))
}

/// Reads standard error to its end, keeping its first and last `max / 2` bytes.
fn read_stderr(mut err: ChildStderr, max: usize) -> io::Result<String> {
    let half = max / 2;
    let mut head = Vec::new();
    let mut tail: Vec<u8> = Vec::new();
    let mut omitted = 0usize;
    let mut chunk = [0u8; 4096];
    loop {
        let n = match err.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let mut data = chunk.get(..n).unwrap_or_default();
        let room = half.saturating_sub(head.len());
        if room > 0 {
            let (now, rest) = data.split_at(room.min(data.len()));
            head.extend_from_slice(now);
            data = rest;
        }
        tail.extend_from_slice(data);
        if tail.len() > half.saturating_mul(2) {
            let drop = tail.len().saturating_sub(half);
            omitted = omitted.saturating_add(drop);
            tail.drain(..drop);
        }
    }
    if tail.len() > half {
        let drop = tail.len().saturating_sub(half);
        omitted = omitted.saturating_add(drop);
        tail.drain(..drop);
    }
    let mut text = String::from_utf8_lossy(&head).into_owned();
    if omitted > 0 {
        text.push_str(&format!("\n[… {omitted} bytes of stderr omitted …]\n"));
    }
    text.push_str(&String::from_utf8_lossy(&tail));
    Ok(text.trim().to_owned())
}

/// Runs the program and returns its standard output, once it has exited with status 0.
fn run(
    program: &str,
    args: &[String],
    options: &ProcessOptions,
) -> Result<Zeroizing<Vec<u8>>, ProcessErrorKind> {
    let start = Instant::now();
    let deadline_at = options.deadline.and_then(|d| start.checked_add(d));
    let timed_out = || ProcessErrorKind::TimedOut {
        after: options.deadline.unwrap_or_default(),
    };
    let mut child = Reaper {
        child: spawn(program, args, options)?,
        reaped: false,
    };
    let missing_pipe = || io_kind(&io::Error::from(io::ErrorKind::BrokenPipe));
    let out = child.child.stdout.take().ok_or_else(missing_pipe)?;
    let err = child.child.stderr.take().ok_or_else(missing_pipe)?;
    let (tx, rx) = mpsc::channel();
    let tx_err = tx.clone();
    let (max_out, max_err) = (options.max_stdout, options.max_stderr);
    // The threads are not joined: a grandchild may keep a pipe open after the deadline, and
    // its thread then ends whenever the pipe closes.
    std::thread::Builder::new()
        .name("credential_process stdout".into())
        .spawn(move || {
            let _ = tx.send(Pipe::Stdout(read_stdout(out, max_out)));
        })
        .map_err(|e| io_kind(&e))?;
    std::thread::Builder::new()
        .name("credential_process stderr".into())
        .spawn(move || {
            let _ = tx_err.send(Pipe::Stderr(read_stderr(err, max_err)));
        })
        .map_err(|e| io_kind(&e))?;

    let mut stdout = None;
    let mut stderr = None;
    while stdout.is_none() || stderr.is_none() {
        let message = match deadline_at {
            Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(m) => m,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    child.kill();
                    return Err(timed_out());
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(m) => m,
                Err(_) => break,
            },
        };
        match message {
            Pipe::Stdout(Ok(Some(bytes))) => stdout = Some(bytes),
            Pipe::Stdout(Ok(None)) => {
                child.kill();
                return Err(ProcessErrorKind::OutputTooLarge { limit: max_out });
            }
            Pipe::Stderr(Ok(text)) => stderr = Some(text),
            Pipe::Stdout(Err(e)) | Pipe::Stderr(Err(e)) => return Err(io_kind(&e)),
        }
    }

    // Both pipes are closed; the process is exiting, or has closed them and goes on.
    let status = match deadline_at {
        None => child.child.wait().map_err(|e| io_kind(&e))?,
        Some(at) => {
            let mut pause = Duration::from_micros(50);
            loop {
                if let Some(status) = child.child.try_wait().map_err(|e| io_kind(&e))? {
                    break status;
                }
                let now = Instant::now();
                if now >= at {
                    child.kill();
                    return Err(timed_out());
                }
                std::thread::sleep(pause.min(at.saturating_duration_since(now)));
                pause = pause.saturating_mul(2).min(Duration::from_millis(10));
            }
        }
    };
    child.reaped = true;
    if !status.success() {
        return Err(ProcessErrorKind::Exited {
            status: ExitStatusInfo::of(status),
            stderr: stderr.unwrap_or_default(),
        });
    }
    Ok(stdout.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_follow_python() {
        assert_eq!(candidates("./x", None), [PathBuf::from("./x")]);
        assert_eq!(
            candidates("a/x", Some(OsStr::new("/bin"))),
            [PathBuf::from("a/x")]
        );
        assert_eq!(
            candidates("x", None),
            [PathBuf::from("/bin/x"), PathBuf::from("/usr/bin/x")]
        );
        assert_eq!(
            candidates("x", Some(OsStr::new("/a/::/b/"))),
            [
                PathBuf::from("/a/x"),
                PathBuf::from("./x"),
                PathBuf::from("/b/x")
            ]
        );
        assert_eq!(
            candidates("x", Some(OsStr::new(""))),
            [PathBuf::from("./x")]
        );
    }

    #[test]
    fn seconds_are_short() {
        assert_eq!(seconds(Duration::from_secs(300)), "300 s");
        assert_eq!(seconds(Duration::from_millis(300)), "0.3 s");
        assert_eq!(seconds(Duration::from_millis(1250)), "1.25 s");
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let c = credentials(
            br#"{"Version":1,"AccessKeyId":"AKIDX","SecretAccessKey":"wJalr\u0058UtnFEMI","SessionToken":"FwoGZXIvYXdz"}"#,
        )
        .unwrap();
        assert_eq!(c.secret_access_key(), "wJalrXUtnFEMI");
        let shown = format!("{c:?}");
        assert!(shown.contains("AKIDX"));
        assert!(!shown.contains("wJalrXUtnFEMI") && !shown.contains("FwoGZXIvYXdz"));
    }
}
