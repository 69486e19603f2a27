//! `credchain exec`: run a command with the resolved credentials in its environment, the way
//! `aws-vault exec` does, so that any program — an SDK of any language, a shell script, `aws`
//! itself — gets them through the `env` source (spec §1.2, §2.1) without them ever touching a
//! file or the parent shell.
//!
//! The command is run directly, with no shell in between: `credchain exec -- aws s3 ls` runs
//! `aws` found on `PATH` with the arguments as given (`sh -c '…'` when a shell is wanted). Its
//! environment is credchain's own with the variables of `credchain export` applied (see
//! [`crate::export`]): `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` (removed
//! when there is none), `AWS_CREDENTIAL_EXPIRATION` (removed when they do not expire),
//! `AWS_ACCOUNT_ID` (removed when unknown), and `AWS_SECURITY_TOKEN` always removed, because
//! botocore would pair a stale one with the new keys.
//!
//! Standard input, output and error are the command's own. The exit status is the command's,
//! as a shell reports it:
//!
//! | the command | `credchain exec` exits with |
//! |---|---|
//! | exits with status *n* | *n* |
//! | is killed by signal *n* | 128 + *n* (`SIGKILL` → 137) |
//! | is not found | 127, with a message |
//! | is found but cannot be run (not executable, not a program) | 126, with a message |
//! | — (no credentials: nothing is run) | 1, with the reason |
//!
//! While the command runs, credchain passes on `SIGTERM`, `SIGHUP`, `SIGUSR1` and `SIGUSR2` sent
//! to it, so that `timeout 10 credchain exec -- …` or a supervisor stopping credchain stops the
//! command too; it ignores `SIGINT` and `SIGQUIT`, which a terminal sends to the command as well
//! (Ctrl-C ends the command, and credchain then exits with its status).

use std::ffi::OsString;
use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Args;

use crate::args::ProfileArg;
use crate::export::{CHAIN_VAR, Exported, resolve};

/// The long help of `credchain exec`.
pub(crate) const EXEC_HELP: &str = "\
Run a command with the credentials botocore's chain resolves in its environment, like
`aws-vault exec`: any AWS SDK or tool it starts finds them through the env source.

    credchain exec --profile prod -- aws sts get-caller-identity
    credchain exec -- sh -c 'echo $AWS_ACCESS_KEY_ID'

The command runs without a shell, with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION and AWS_ACCOUNT_ID set (the ones that do not apply,
and AWS_SECURITY_TOKEN, removed). Its standard input and output are the terminal's.

Exit status: the command's own; 128+N when a signal N killed it; 127 when it was not found;
126 when it could not be run; 1 (and nothing run) when there are no credentials.";

/// Options of `credchain exec`.
#[derive(Debug, Args)]
pub(crate) struct ExecArgs {
    #[command(flatten)]
    pub(crate) profile: ProfileArg,
    /// The command and its arguments (after `--`, so that its options are not read as
    /// credchain's).
    #[arg(
        value_name = "CMD",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub(crate) command: Vec<OsString>,
}

/// Status 126: found but not runnable (POSIX shells' convention).
const CANNOT_RUN: u8 = 126;
/// Status 127: not found.
const NOT_FOUND: u8 = 127;

/// `credchain exec`.
pub(crate) async fn run(args: ExecArgs) -> ExitCode {
    let Some((program, rest)) = args.command.split_first() else {
        return crate::fail("exec: no command given");
    };
    let credentials = match resolve(&args.profile, crate::mfa::Mode::Interactive).await {
        Ok(c) => c,
        Err(message) => return crate::fail(&message),
    };
    let mut command = tokio::process::Command::new(program);
    command.args(rest).env_remove(CHAIN_VAR);
    for (name, value) in Exported::of(&credentials).variables() {
        match value {
            Some(v) => command.env(name, v),
            None => command.env_remove(name),
        };
    }
    drop(credentials);

    let shown = program.to_string_lossy();
    // Handlers before the command starts: a signal sent as soon as the command is running must
    // find them in place, or it ends credchain and leaves the command orphaned.
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => return crate::fail(&format!("exec: cannot handle signals: {e}")),
    };
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            let (code, why) = match e.kind() {
                ErrorKind::NotFound if shown.contains(std::path::MAIN_SEPARATOR) => {
                    (NOT_FOUND, "no such file".to_owned())
                }
                ErrorKind::NotFound => (NOT_FOUND, "command not found on PATH".to_owned()),
                ErrorKind::PermissionDenied => (
                    CANNOT_RUN,
                    "permission denied (is it executable, and not a directory?)".to_owned(),
                ),
                _ => (CANNOT_RUN, format!("cannot run it: {e}")),
            };
            let _ = crate::fail(&format!("exec: {shown}: {why}"));
            return ExitCode::from(code);
        }
    };
    match wait(&mut child, signals).await {
        Ok(status) => exit_code(status),
        Err(e) => crate::fail(&format!("exec: {shown}: lost track of it: {e}")),
    }
}

/// The status a shell would report for `status`: the exit code, or 128 + the signal.
fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        // On Unix an exit code is 0–255; elsewhere one that does not fit is reported as 1.
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            let code = signal.saturating_add(128).clamp(0, 255);
            return ExitCode::from(u8::try_from(code).unwrap_or(u8::MAX));
        }
    }
    ExitCode::FAILURE
}

/// The signals credchain passes on (or, for SIGINT and SIGQUIT, survives), handled from before
/// the command starts.
#[cfg(unix)]
struct Signals {
    term: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
    usr1: tokio::signal::unix::Signal,
    usr2: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            usr1: signal(SignalKind::user_defined1())?,
            usr2: signal(SignalKind::user_defined2())?,
            // A handler is what keeps these two from ending credchain before the command.
            interrupt: signal(SignalKind::interrupt())?,
            quit: signal(SignalKind::quit())?,
        })
    }
}

/// Waits for `child`, passing on the signals of the [module documentation](self).
#[cfg(unix)]
async fn wait(
    child: &mut tokio::process::Child,
    signals: Signals,
) -> std::io::Result<std::process::ExitStatus> {
    use rustix::process::{Pid, Signal, kill_process};

    let pid = child
        .id()
        .and_then(|id| i32::try_from(id).ok())
        .and_then(Pid::from_raw);
    let Signals {
        mut term,
        mut hup,
        mut usr1,
        mut usr2,
        mut interrupt,
        mut quit,
    } = signals;
    loop {
        let sent = tokio::select! {
            status = child.wait() => return status,
            _ = term.recv() => Signal::TERM,
            _ = hup.recv() => Signal::HUP,
            _ = usr1.recv() => Signal::USR1,
            _ = usr2.recv() => Signal::USR2,
            _ = interrupt.recv() => continue,
            _ = quit.recv() => continue,
        };
        if let Some(pid) = pid {
            // The command may have just ended: its status comes with the next turn.
            let _ = kill_process(pid, sent);
        }
    }
}

/// No signals to pass on outside Unix.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        Ok(Signals)
    }
}

/// Waits for `child` (no signals to pass on outside Unix).
#[cfg(not(unix))]
async fn wait(
    child: &mut tokio::process::Child,
    _signals: Signals,
) -> std::io::Result<std::process::ExitStatus> {
    child.wait().await
}
