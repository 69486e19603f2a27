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
