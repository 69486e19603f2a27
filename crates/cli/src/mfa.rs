//! The MFA prompt: the code a role with `mfa_serial` needs, asked the way botocore asks it.
//!
//! botocore's `AssumeRoleProvider` calls `getpass.getpass("Enter MFA code for <serial>: ")`
//! (spec §8.1): the prompt and the answer go through the controlling terminal (`/dev/tty`),
//! and only when there is none does it fall back to standard input, warning that the input may
//! be echoed. credchain does the same for `explain`, `export` and `exec`:
//!
//! 1. When the process has a controlling terminal, the prompt is written to it and one line is
//!    read from it, whatever standard input and output are (so `credchain export --format env >
//!    env.sh` and `eval "$(credchain export …)"` still ask the person at the terminal).
//! 2. Otherwise the prompt goes to **standard error** (never standard output, which may be an
//!    export a shell evaluates) and one line is read from standard input: `echo 123456 |
//!    credchain export …` works in a script. The line is read one byte at a time, so that what
//!    follows it is left for the command `credchain exec` runs.
//! 3. When neither gives a line (no terminal and standard input at its end, e.g. closed or
//!    `/dev/null`), the role fails with an error that says so and how to give a code.
//!
//! The code is read with the terminal's echo left on: it is good for a single use within
//! seconds, and a terminal left without echo by an interrupted prompt is worse than a code on
//! the screen. The code is trimmed; an empty line is an error rather than a call STS refuses.
//!
//! ## `credchain process`
//!
//! `process` runs as another program's `credential_process`: that program owns its standard
//! input (reading it could swallow the program's own input, or wait forever on a pipe nobody
//! writes) and captures its standard error (a prompt there is never seen). So `process` asks
//! **only on the controlling terminal**, and gives up after `--mfa-timeout` seconds (60 by
//! default) without an answer; with no terminal it fails at once. It never blocks forever: the
//! SDK that ran it gets exit status 1 and the reason on standard error, which botocore shows
//! in its `CredentialRetrievalError`.

use std::io::Write as _;
use std::time::{Duration, Instant};

/// The prompt botocore prints (spec §8.1).
pub(crate) fn prompt_text(serial: &str) -> String {
    format!("Enter MFA code for {serial}: ")
}

/// The longest line accepted as a code (MFA codes are six digits; a long line is a mistake).
const MAX_CODE: usize = 64;

/// How a command may ask for a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The controlling terminal, else standard input (`explain`, `export`, `exec`).
    Interactive,
    /// Only the controlling terminal, and for at most this long (`process`).
    TerminalOnly {
        /// How long to wait for the line.
        wait: Duration,
    },
}

/// The error type the chain's prompt returns.
type PromptError = Box<dyn std::error::Error + Send + Sync>;

/// The prompt to give `DefaultChainBuilder::mfa_prompt`.
pub(crate) fn prompt(
    mode: Mode,
) -> impl Fn(&str, &str) -> Result<String, PromptError> + Send + Sync {
    move |_profile: &str, serial: &str| read_code(serial, mode).map_err(PromptError::from)
}

/// Asks for the code of `serial` as `mode` allows.
fn read_code(serial: &str, mode: Mode) -> Result<String, String> {
    let deadline = match mode {
        Mode::Interactive => None,
        Mode::TerminalOnly { wait } => Some(Instant::now().checked_add(wait).ok_or("bad wait")?),
    };
    match terminal::open() {
        Ok(mut tty) => {
            tty.write_all(prompt_text(serial).as_bytes())
                .and_then(|()| tty.flush())
                .map_err(|e| format!("cannot write the prompt to the terminal: {e}"))?;
            let line = read_line(&tty, deadline).map_err(|e| match e {
                LineError::End => "the terminal was closed before a code was entered".to_owned(),
                LineError::TimedOut => format!(
                    "no code was entered on the terminal within {} s (credchain process \
                     --mfa-timeout)",
                    deadline_secs(mode)
                ),
                other => other.to_string(),
            })?;
            code_of(&line)
        }
        Err(no_tty) => {
            if let Mode::TerminalOnly { .. } = mode {
                return Err(format!(
                    "credchain process asks for MFA codes only on the controlling terminal, \
                     and there is none ({no_tty}); it never reads standard input, which belongs \
                     to the program that runs it. Resolve the profile from a terminal first \
                     (e.g. `credchain exec --profile P -- CMD`), or use a profile without \
                     mfa_serial"
                ));
            }
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(prompt_text(serial).as_bytes());
            let _ = err.flush();
            let stdin = std::io::stdin();
            let line = read_line(&stdin, None);
            // The answer was not echoed: end the prompt's line.
            let _ = err.write_all(b"\n");
            let _ = err.flush();
            let line = line.map_err(|e| match e {
                LineError::End => format!(
                    "there is no terminal to ask on ({no_tty}) and standard input ended without \
                     a code; run from a terminal, or give the code on standard input (e.g. \
                     `echo 123456 | credchain export …`)"
                ),
                other => format!("reading the code from standard input: {other}"),
            })?;
            code_of(&line)
        }
    }
}

fn deadline_secs(mode: Mode) -> u64 {
    match mode {
        Mode::TerminalOnly { wait } => wait.as_secs(),
        Mode::Interactive => 0,
    }
}

/// The code in a line: trimmed, and not empty.
fn code_of(line: &str) -> Result<String, String> {
    let code = line.trim();
    if code.is_empty() {
        return Err("an empty line was entered instead of a code".to_owned());
    }
    Ok(code.to_owned())
}

/// Why no line was read.
#[derive(Debug)]
enum LineError {
    /// End of file before any byte.
    End,
    /// The deadline passed.
    TimedOut,
    /// Longer than [`MAX_CODE`].
    TooLong,
    /// Not UTF-8.
    NotText,
    /// The read failed.
    Io(std::io::Error),
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::End => f.write_str("end of input before a code"),
            LineError::TimedOut => f.write_str("no code in time"),
            LineError::TooLong => write!(f, "the line is longer than {MAX_CODE} bytes"),
            LineError::NotText => f.write_str("the line is not UTF-8 text"),
            LineError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// Reads one line from `input`, a byte at a time (nothing beyond the line is consumed), waiting
/// until `deadline` at most.
fn read_line(input: &impl terminal::Input, deadline: Option<Instant>) -> Result<String, LineError> {
    let mut line = Vec::new();
    loop {
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() || !input.wait_readable(left).map_err(LineError::Io)? {
                return Err(LineError::TimedOut);
            }
        }
        match input.read_byte().map_err(LineError::Io)? {
            None if line.is_empty() => return Err(LineError::End),
            None | Some(b'\n') => break,
            Some(b) => {
                if line.len() >= MAX_CODE {
                    return Err(LineError::TooLong);
                }
                line.push(b);
            }
        }
    }
    String::from_utf8(line).map_err(|_| LineError::NotText)
}

#[cfg(unix)]
mod terminal {
    use std::io;
    use std::os::fd::AsFd;
    use std::time::Duration;

    /// Something a line can be read from, a byte at a time.
    pub(super) trait Input {
        /// One byte, or `None` at end of file.
        fn read_byte(&self) -> io::Result<Option<u8>>;
        /// Whether a byte (or end of file) can be read within `wait`.
        fn wait_readable(&self, wait: Duration) -> io::Result<bool>;
    }

    impl<T: AsFd> Input for T {
        fn read_byte(&self) -> io::Result<Option<u8>> {
            let mut byte = [0u8; 1];
            loop {
                match rustix::io::read(self.as_fd(), &mut byte) {
                    Ok(0) => return Ok(None),
                    Ok(_) => {
                        let [b] = byte;
                        return Ok(Some(b));
                    }
                    Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }

        fn wait_readable(&self, wait: Duration) -> io::Result<bool> {
            use rustix::event::{PollFd, PollFlags, Timespec, poll};
            let timeout = Timespec {
                tv_sec: i64::try_from(wait.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(wait.subsec_nanos()),
            };
            let mut fds = [PollFd::new(self, PollFlags::IN)];
            loop {
                match poll(&mut fds, Some(&timeout)) {
                    Ok(n) => return Ok(n > 0),
                    Err(rustix::io::Errno::INTR) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }

    /// The controlling terminal, for reading and writing.
    pub(super) fn open() -> io::Result<std::fs::File> {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
    }
}

#[cfg(not(unix))]
mod terminal {
    use std::io::{self, Read as _};
    use std::time::Duration;

    /// Something a line can be read from, a byte at a time.
    pub(super) trait Input {
        /// One byte, or `None` at end of file.
        fn read_byte(&self) -> io::Result<Option<u8>>;
        /// Whether a byte can be read within `wait` (not known here: assumed).
        fn wait_readable(&self, _wait: Duration) -> io::Result<bool> {
            Ok(true)
        }
    }

    impl Input for std::io::Stdin {
        fn read_byte(&self) -> io::Result<Option<u8>> {
            let mut byte = [0u8; 1];
            let n = self.lock().read(&mut byte)?;
            let [b] = byte;
            Ok((n > 0).then_some(b))
        }
    }

    impl Input for std::fs::File {
        fn read_byte(&self) -> io::Result<Option<u8>> {
            let mut byte = [0u8; 1];
            let n = (&*self).read(&mut byte)?;
            let [b] = byte;
            Ok((n > 0).then_some(b))
        }
    }

    /// No controlling terminal is looked for on this platform.
    pub(super) fn open() -> io::Result<std::fs::File> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no controlling terminal on this platform",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_read_up_to_the_newline_only() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b" 123456\r\nrest of the input\n").unwrap();
        use std::io::{Read as _, Seek as _};
        file.rewind().unwrap();
        let line = read_line(&file, None).unwrap();
        assert_eq!(code_of(&line).unwrap(), "123456");
        let mut rest = String::new();
        file.read_to_string(&mut rest).unwrap();
        assert_eq!(rest, "rest of the input\n");
    }

    #[test]
    fn bad_lines() {
        let cases: [(&[u8], &str); 4] = [
            (b"", "end of input before a code"),
            (b"\n", "an empty line was entered instead of a code"),
            (&[b'1'; 70], "the line is longer than 64 bytes"),
            (b"\xff\xfe\n", "the line is not UTF-8 text"),
        ];
        for (input, want) in cases {
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(input).unwrap();
            use std::io::Seek as _;
            file.rewind().unwrap();
            let got = match read_line(&file, None) {
                Ok(line) => code_of(&line).unwrap_err(),
                Err(e) => e.to_string(),
            };
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn the_prompt_is_botocores() {
        assert_eq!(
            prompt_text("arn:aws:iam::123456789012:mfa/me"),
            "Enter MFA code for arn:aws:iam::123456789012:mfa/me: "
        );
    }
}
