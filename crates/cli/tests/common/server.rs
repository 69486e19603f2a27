//! A running `credchain serve …` process for the tests that start one: its `export` lines,
//! its standard error, and bounded waits for it to stop; and botocore (python3) as a client.

use std::io::{BufRead as _, BufReader, Read as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_credchain");
/// The bound on every wait.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

pub(crate) fn skip_botocore() -> bool {
    std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1")
}

/// A clean environment: PATH, a temporary HOME, and whatever the test adds.
pub(crate) fn base_env(home: &Path) -> Vec<(String, String)> {
    let mut env = vec![
        ("PATH".to_owned(), std::env::var("PATH").unwrap_or_default()),
        ("HOME".to_owned(), home.display().to_string()),
    ];
    if let Ok(p) = std::env::var("PYENV_ROOT") {
        env.push(("PYENV_ROOT".to_owned(), p));
    }
    env
}

/// A running `credchain serve …`.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) stdin: Option<ChildStdin>,
    /// The `export NAME=value` lines, as (NAME, value).
    pub(crate) exports: Vec<(String, String)>,
    stderr: Arc<Mutex<String>>,
    stderr_done: mpsc::Receiver<()>,
}

impl Server {
    /// Starts `credchain serve ARGS` and waits (bounded) for `exports` export lines.
    pub(crate) fn start(args: &[&str], env: &[(String, String)], exports: usize) -> Server {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (done_tx, stderr_done) = mpsc::channel();
        {
            let stderr = Arc::clone(&stderr);
            let mut pipe = child.stderr.take().unwrap();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
                let _ = done_tx.send(());
            });
        }
        let mut server = Server {
            child,
            stdin,
            exports: Vec::new(),
            stderr,
            stderr_done,
        };
        for _ in 0..exports {
            let line = rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
                let _ = server.child.kill();
                panic!(
                    "no export line within {PATIENCE:?}; stderr:\n{}",
                    server.stderr()
                )
            });
            let rest = line
                .strip_prefix("export ")
                .unwrap_or_else(|| panic!("not an export line: {line:?}"));
            let (name, value) = rest.split_once('=').unwrap();
            server.exports.push((name.to_owned(), value.to_owned()));
        }
        server
    }

    pub(crate) fn export(&self, name: &str) -> &str {
        &self
            .exports
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no export of {name}: {:?}", self.exports))
            .1
    }

    /// The address of `http://ADDR/…`.
    pub(crate) fn addr(&self, name: &str) -> SocketAddr {
        let url = self.export(name);
        let rest = url.strip_prefix("http://").unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    pub(crate) fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the process to end; its exit status and all of its stderr.
    pub(crate) fn wait(mut self) -> (i32, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let _ = self.stderr_done.recv_timeout(PATIENCE);
                let code = status.code().expect("exited, not killed");
                return (code, self.stderr());
            }
            if start.elapsed() > PATIENCE {
                let _ = self.child.kill();
                panic!("the server did not stop; stderr:\n{}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes standard input (the server was started with --stop-on-stdin-eof) and waits.
    pub(crate) fn stop(mut self) -> (i32, String) {
        drop(self.stdin.take());
        self.wait()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs python3 with `script` in `env`; its standard output as JSON.
pub(crate) fn botocore(script: &str, env: &[(String, String)]) -> serde_json::Value {
    let out = Command::new("python3")
        .args(["-c", script])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): install botocore==1.43.11 or set CREDCHAIN_SKIP_BOTOCORE=1")
        });
    assert!(
        out.status.success(),
        "botocore failed (CREDCHAIN_SKIP_BOTOCORE=1 skips): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
