//! The sandbox the command tests run `credchain` in, as a new user would: an empty environment
//! but for `PATH` and a temporary `HOME`, IMDS switched off (`AWS_EC2_METADATA_DISABLED`) unless a
//! test points the command at a server, and standard input closed. Each test file adds its own
//! `run` (how it reads a run's result) in an `impl Sandbox` of its own.

#![allow(dead_code)] // each test binary uses its own part of it

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A temporary home and the environment the command runs with.
pub(crate) struct Sandbox {
    /// The home directory, removed when the sandbox is dropped.
    pub(crate) home: tempfile::TempDir,
    /// Every variable the command sees, and nothing else.
    pub(crate) env: Vec<(String, String)>,
}

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        let mut s = Sandbox {
            home: tempfile::tempdir().unwrap(),
            env: Vec::new(),
        };
        s.set("PATH", &std::env::var("PATH").unwrap_or_default());
        let home = s.home().display().to_string();
        s.set("HOME", &home);
        s.set("AWS_EC2_METADATA_DISABLED", "true");
        s
    }

    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    /// A path under the home, as text.
    pub(crate) fn path(&self, rel: &str) -> String {
        self.home().join(rel).display().to_string()
    }

    /// Writes `text` to `rel` under the home, making its directories.
    pub(crate) fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.home().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub(crate) fn set(&mut self, name: &str, value: &str) -> &mut Sandbox {
        self.unset(name);
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn unset(&mut self, name: &str) -> &mut Sandbox {
        self.env.retain(|(n, _)| n != name);
        self
    }

    /// `program` with exactly the sandbox's environment, in its home, stdin closed.
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(self.home())
            .stdin(Stdio::null());
        c
    }
}

pub(crate) mod server;

/// What a finished run left.
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs `command` with `stdin` written to its standard input (`None`: `/dev/null`), its
/// output captured; bounded by [`server::PATIENCE`] (killed and failed beyond it).
pub(crate) fn finish(mut command: Command, stdin: Option<&str>) -> Finished {
    use std::io::{Read as _, Write as _};
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        // A command that ends without reading its input (as `process` must) closes the pipe
        // first: a broken pipe here is not a failure.
        let _ = pipe.write_all(text.as_bytes());
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).unwrap();
        s
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > server::PATIENCE {
            let _ = child.kill();
            panic!("{command:?} did not finish within {:?}", server::PATIENCE);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Finished {
        code: status.code().unwrap(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}
