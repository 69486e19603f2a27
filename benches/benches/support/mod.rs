//! What the two network benches (`imds_fetch`, `server_throughput`) share: whether they run in
//! bench or in test mode, the runtimes they put the server and the client on, and the Python
//! peers (botocore, moto's server), each found or skipped loudly, never faked.

#![allow(
    dead_code,
    reason = "each bench uses part of this module; the compiler sees them one at a time"
)]

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tokio::runtime::{Builder, Runtime};

/// The botocore the project matches (spec: botocore 1.43.11).
pub(crate) const BOTOCORE: &str = "1.43.11";

/// Whether the binary was started by `cargo bench` (which passes `--bench`) rather than by
/// `cargo test --benches` (which runs each bench once, quickly, as a test).
pub(crate) fn bench_mode() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// The load average (1, 5 and 15 minutes) from `/proc/loadavg`, to print beside figures taken
/// on a shared machine.
pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A tokio runtime with `threads` worker threads of its own, for a server: its tasks run on
/// those threads whatever the bench's main thread does.
pub(crate) fn server_runtime(name: &str, threads: usize) -> Runtime {
    Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a tokio runtime for {name}: {e}"))
}

/// A single-threaded tokio runtime for a client: everything it does runs on the thread that
/// calls `block_on`.
pub(crate) fn client_runtime() -> Runtime {
    Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("a current-thread tokio runtime: {e}"))
}

/// Whether `VAR=1` is set.
pub(crate) fn env_flag(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| v == "1")
}

/// `python3` with `args`, with a clean environment: `PATH`, `HOME` and `PYTHONPATH` only (so
/// that user-installed packages are found), never a proxy variable.
pub(crate) fn python(args: &[&str]) -> Command {
    let mut cmd = Command::new("python3");
    cmd.args(args).env_clear().stdin(Stdio::null());
    for var in ["PATH", "HOME", "PYTHONPATH"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    cmd
}

/// Runs `python3 -c code`; `Err` says why Python could not run it.
pub(crate) fn python_probe(code: &str) -> Result<String, String> {
    match python(&["-c", code]).output() {
        Ok(Output { status, stdout, .. }) if status.success() => {
            Ok(String::from_utf8_lossy(&stdout).trim().to_owned())
        }
        Ok(Output { stderr, .. }) => Err(String::from_utf8_lossy(&stderr).trim().to_owned()),
        Err(e) if e.kind() == ErrorKind::NotFound => Err("python3 is not on PATH".to_owned()),
        Err(e) => Err(format!("python3 did not start: {e}")),
    }
}

/// Prints a skip notice nobody can miss.
pub(crate) fn loud_skip(what: &str, why: &str) {
    let bar = "!".repeat(78);
    eprintln!("{bar}\nSKIPPED: {what}\n  {why}\n  (no figure is printed for it)\n{bar}");
}

/// botocore's version, or `None` (after a loud notice) when the botocore lines must be
/// skipped: `CREDCHAIN_SKIP_BOTOCORE=1`, or no python3 / botocore here.
pub(crate) fn botocore_version() -> Option<String> {
    let what = "the botocore line (botocore's InstanceMetadataFetcher)";
    if env_flag("CREDCHAIN_SKIP_BOTOCORE") {
        loud_skip(what, "CREDCHAIN_SKIP_BOTOCORE=1");
        return None;
    }
    match python_probe("import botocore; print(botocore.__version__)") {
        Ok(version) => {
            if version != BOTOCORE {
                eprintln!(
                    "WARNING: botocore {version} is installed; the figures in BENCHMARKS.md are \
                     for botocore {BOTOCORE} (pip install botocore=={BOTOCORE})"
                );
            }
            Some(version)
        }
        Err(why) => {
            loud_skip(
                what,
                &format!(
                    "python3 with botocore is needed (pip install botocore=={BOTOCORE}): {why}"
                ),
            );
            None
        }
    }
}

/// moto's server (`python3 -m moto.server`) on a loopback port, killed when dropped.
#[derive(Debug)]
pub(crate) struct Moto {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// `moto.__version__`.
    pub(crate) version: String,
}

impl Moto {
    /// Starts moto's server, or returns `None` (after a loud notice) when it is absent or
    /// `CREDCHAIN_SKIP_MOTO=1`. Waits until the port accepts connections (moto's imports take
    /// a few seconds).
    pub(crate) fn start() -> Option<Moto> {
        let what = "the moto_server line (moto's instance metadata endpoint)";
        if env_flag("CREDCHAIN_SKIP_MOTO") {
            loud_skip(what, "CREDCHAIN_SKIP_MOTO=1");
            return None;
        }
        let version = match python_probe(
            "import moto, moto.server, flask, flask_cors; print(moto.__version__)",
        ) {
            Ok(v) => v,
            Err(why) => {
                loud_skip(
                    what,
                    &format!("moto's server is needed: pip install 'moto[server]': {why}"),
                );
                return None;
            }
        };
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or_else(|e| panic!("a free loopback port: {e}"));
        let child = python(&[
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("python3 -m moto.server did not start: {e}"));
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let moto = Moto {
            child,
            addr,
            version,
        };
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto's server did not listen on {addr} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }
}

impl Moto {
    /// The server's process id (for its CPU time).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) of a process or of threads, read from `/proc` (Linux; `None`
/// elsewhere), to show which side of a loopback bench was busy.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CpuOf {
    /// A process: all its threads, living and gone (`/proc/<pid>/stat`, in clock ticks).
    Process(u32),
    /// This process's threads with this name (`/proc/self/task/*/schedstat`, in ns).
    ThreadsNamed(&'static str),
    /// The calling thread (`/proc/thread-self/schedstat`, in ns).
    ThisThread,
}

impl CpuOf {
    /// CPU time used so far, in nanoseconds.
    pub(crate) fn nanos(self) -> Option<u64> {
        match self {
            CpuOf::Process(pid) => {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                // Fields after the command name (which may hold spaces) start at field 3,
                // `state`; `utime` and `stime` are fields 14 and 15, in clock ticks.
                let rest = stat.get(stat.rfind(')')?.checked_add(1)?..)?;
                let mut fields = rest.split_whitespace().skip(11);
                let utime: u64 = fields.next()?.parse().ok()?;
                let stime: u64 = fields.next()?.parse().ok()?;
                Some((utime + stime) * 1_000_000_000 / ticks_per_second())
            }
            CpuOf::ThisThread => schedstat(Path::new("/proc/thread-self")),
            CpuOf::ThreadsNamed(name) => {
                let mut total = 0;
                for task in std::fs::read_dir("/proc/self/task").ok()? {
                    let dir = task.ok()?.path();
                    let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
                    if comm.trim_end() == name {
                        total += schedstat(&dir)?;
                    }
                }
                Some(total)
            }
        }
    }
}

/// The first field of `<dir>/schedstat`: nanoseconds spent on a CPU.
fn schedstat(dir: &Path) -> Option<u64> {
    std::fs::read_to_string(dir.join("schedstat"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `getconf CLK_TCK` (100 on Linux almost everywhere).
fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .filter(|&hz| hz > 0)
        .unwrap_or(100)
}
