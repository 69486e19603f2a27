//! The default chain as a user meets it (issue 4, part 6), each figure beside botocore's in the
//! same run:
//!
//! 1. **Whole process**: `credchain export --format json` against `python3 -c` with boto3 (or
//!    botocore alone when boto3 is missing) resolving the same scenario and printing the access
//!    key id, each a new process, `N` runs each, interleaved, medians of the wall time from
//!    spawn to exit. Scenarios: keys in the environment (`env`); a profile in a credentials
//!    file (`AWS_PROFILE=dev`, `shared-credentials-file`). `python3 -c pass` is timed too: the
//!    interpreter's own start-up, which no Python resolver can avoid. Target: ≥ 30×.
//! 2. **No credentials off EC2**: an empty home, no variables, the IMDS endpoint on a loopback
//!    port that refuses connections, or on a listener that accepts and never answers (the
//!    kernel completes the handshake; nobody reads), with `AWS_METADATA_SERVICE_TIMEOUT=1` and
//!    one attempt. credchain: `DefaultChain::builder().env(…).build()` then `credentials()`
//!    until `NotFound`, in process; botocore: `Session()` then `get_credentials()` until `None`,
//!    in one python process (`benches/python/chain_resolve.py`). Refusing: target < 10 ms. Not
//!    answering: bounded by the configured timeout, as botocore (the AWS Rust SDK takes 3–4 s,
//!    spec aws-config §1.10). The refusing case is also timed as a whole `credchain export`.
//! 3. **Cache hit**: `CredentialsCache::get` on fresh credentials, polled once (criterion, group
//!    `chain_cache_hit`; the same measurement as `crates/credchain/benches/cache.rs`, here so
//!    that it lands in the same run). Target < 100 ns.
//!
//! Every line is checked before it is timed: the process printed the expected access key id
//! (credchain's JSON parsed), the chain found nothing with `NotFound`, the cache hit returned
//! the seeded credentials.
//!
//! The `credchain` binary is taken from beside this bench (`<target>/<profile>/credchain`):
//! `cargo build --release -p credchain-cli` before `cargo bench`; `cargo test --workspace`
//! builds the debug one that `cargo test --benches` uses. When it is missing the whole-process
//! lines are skipped with a loud notice saying so.
//!
//! `cargo bench -p credchain-benches --bench chain` measures; `cargo test -p credchain-benches
//! --benches` runs every line a couple of times.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    reason = "a bench whose workload fails must stop loudly; medians of short lists of times"
)]

mod support;

use std::future::Future;
use std::hint::black_box;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::{Command, Stdio};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant, SystemTime};

use credchain::{Credentials, CredentialsCache, DefaultChain, RefreshPolicy, StaticProvider};
use credchain_fs::EnvSnapshot;
use criterion::Criterion;
use serde_json::Value;

use support::{bench_mode, botocore_version, client_runtime, load_average, loud_skip, python};

/// The median of `times` (sorted in place).
fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    }
}

fn fmt(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// A temporary home and the environment that confines a resolution to it.
struct Sandbox {
    home: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            home: tempfile::tempdir().expect("a temporary home"),
        }
    }

    fn path(&self) -> &Path {
        self.home.path()
    }

    /// HOME, PATH, and the file variables pointing into the home (nothing of this machine).
    fn base_env(&self) -> Vec<(String, String)> {
        let h = self.path().display();
        vec![
            ("HOME".into(), format!("{h}")),
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("AWS_CONFIG_FILE".into(), format!("{h}/.aws/config")),
            (
                "AWS_SHARED_CREDENTIALS_FILE".into(),
                format!("{h}/.aws/credentials"),
            ),
            ("BOTO_CONFIG".into(), format!("{h}/.boto")),
        ]
    }
}

/// One whole-process scenario.
struct ProcessScenario {
    name: &'static str,
    env: Vec<(String, String)>,
    /// The access key id both must print.
    expect: &'static str,
}

fn whole_process_scenarios(sandbox: &Sandbox) -> Vec<ProcessScenario> {
    let mut env_keys = sandbox.base_env();
    env_keys.extend([
        ("AWS_ACCESS_KEY_ID".into(), "AKIDENVEXAMPLE".into()),
        (
            "AWS_SECRET_ACCESS_KEY".into(),
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        ),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]);
    let aws = sandbox.path().join(".aws");
    std::fs::create_dir_all(&aws).expect("~/.aws");
    std::fs::write(
        aws.join("credentials"),
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = x\n\n\
         [dev]\naws_access_key_id = AKIDPROFILEDEV\n\
         aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
    )
    .expect("the credentials file");
    std::fs::write(
        aws.join("config"),
        "[default]\nregion = eu-west-1\n\n[profile dev]\nregion = us-east-1\n",
    )
    .expect("the config file");
    let mut profile = sandbox.base_env();
    profile.extend([
        ("AWS_PROFILE".into(), "dev".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ]);
    vec![
        ProcessScenario {
            name: "env keys",
            env: env_keys,
            expect: "AKIDENVEXAMPLE",
        },
        ProcessScenario {
            name: "profile in a credentials file",
            env: profile,
            expect: "AKIDPROFILEDEV",
        },
    ]
}

/// `<target>/<profile>/credchain`, beside this bench's `deps/` directory.
fn credchain_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().expect("the bench knows its path");
    let bin = exe.parent()?.parent()?.join("credchain");
    bin.is_file().then_some(bin)
}

/// Runs `cmd` with exactly `env`, returns its wall time and standard output.
fn timed_run(program: &Path, args: &[&str], env: &[(String, String)]) -> (Duration, Vec<u8>, bool) {
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let start = Instant::now();
    let out = cmd.output().expect("the process starts");
    let elapsed = start.elapsed();
    (elapsed, out.stdout, out.status.success())
}

/// Which Python library resolves in the whole-process line: boto3 when it is installed.
fn python_resolver() -> (&'static str, String) {
    let boto3 = support::python_probe("import boto3; print(boto3.__version__)");
    match boto3 {
        Ok(v) => (
            "boto3",
            format!(
                "import boto3; c = boto3.Session().get_credentials(); \
                 print(c.access_key if c else '') # boto3 {v}"
            ),
        ),
        Err(_) => {
            eprintln!("NOTE: boto3 is not installed: the Python line uses botocore alone");
            (
                "botocore",
                "import botocore.session; c = botocore.session.Session().get_credentials(); \
                 print(c.access_key if c else '')"
                    .to_owned(),
            )
        }
    }
}

fn python3() -> PathBuf {
    // The interpreter `support::python` would run, resolved once so that the timed spawn does
    // not search PATH differently from the credchain spawn.
    let out = python(&["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("python3 runs");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn with_pythonpath(env: &[(String, String)]) -> Vec<(String, String)> {
    let mut env = env.to_vec();
    if let Ok(p) = std::env::var("PYTHONPATH") {
        env.push(("PYTHONPATH".into(), p));
    }
    env
}

fn whole_process(bench: bool, have_botocore: bool) {
    println!("\n== chain/whole-process: credchain export --format json vs python3 -c ==");
    let Some(bin) = credchain_binary() else {
        loud_skip(
            "the whole-process lines (credchain export vs python3 -c)",
            "no credchain binary beside this bench: run `cargo build --release -p credchain-cli` \
             (bench) or `cargo build -p credchain-cli` (test mode) first",
        );
        return;
    };
    let runs = if bench { 30 } else { 2 };
    let sandbox = Sandbox::new();
    let scenarios = whole_process_scenarios(&sandbox);
    let py = have_botocore.then(|| (python3(), python_resolver()));
    if let Some((_, (lib, _))) = &py {
        println!("python resolver: {lib}");
    }
    let args = ["export", "--format", "json"];
    for s in &scenarios {
        let mut ours = Vec::with_capacity(runs);
        let mut theirs = Vec::with_capacity(runs);
        let mut startup = Vec::with_capacity(runs);
        // One untimed run of each first (page cache, python's bytecode cache).
        for i in 0..=runs {
            let (t, out, ok) = timed_run(&bin, &args, &s.env);
            assert!(ok, "{}: credchain export failed", s.name);
            let doc: Value = serde_json::from_slice(&out).expect("credchain prints JSON");
            assert_eq!(doc["AccessKeyId"], s.expect, "{}: credchain", s.name);
            assert_eq!(doc["Version"], 1, "{}: credchain", s.name);
            if i > 0 {
                ours.push(t);
            }
            if let Some((python, (_, code))) = &py {
                let env = with_pythonpath(&s.env);
                let (t, out, ok) = timed_run(python, &["-c", code], &env);
                assert!(ok, "{}: python failed", s.name);
                assert_eq!(
                    String::from_utf8_lossy(&out).trim(),
                    s.expect,
                    "{}: python",
                    s.name
                );
                let (t0, _, ok0) = timed_run(python, &["-c", "pass"], &env);
                assert!(ok0);
                if i > 0 {
                    theirs.push(t);
                    startup.push(t0);
                }
            }
        }
        let ours = median(&mut ours);
        print!("{:<32} credchain export {:>10}", s.name, fmt(ours));
        if !theirs.is_empty() {
            let theirs = median(&mut theirs);
            let startup = median(&mut startup);
            print!(
                "   python3 -c {:>10} ({:.1}x)   python3 -c pass {:>10} ({:.1}x)",
                fmt(theirs),
                theirs.as_secs_f64() / ours.as_secs_f64(),
                fmt(startup),
                startup.as_secs_f64() / ours.as_secs_f64()
            );
        }
        println!("   [median of {runs}]");
    }
}

/// The environment of "no credentials off EC2": an empty home, the IMDS at `endpoint`.
fn off_ec2_env(sandbox: &Sandbox, endpoint: &str) -> Vec<(String, String)> {
    let mut env = sandbox.base_env();
    env.extend([
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT".into(), endpoint.into()),
        ("AWS_METADATA_SERVICE_TIMEOUT".into(), "1".into()),
        ("AWS_METADATA_SERVICE_NUM_ATTEMPTS".into(), "1".into()),
    ]);
    env
}

/// credchain's time to `NotFound`, built and resolved afresh `runs` times (one untimed first).
fn credchain_no_credentials(env: &[(String, String)], runs: usize) -> Duration {
    let rt = client_runtime();
    let mut times = Vec::with_capacity(runs);
    for i in 0..=runs {
        let start = Instant::now();
        let chain = DefaultChain::builder()
            .env(EnvSnapshot::from_pairs(env.iter().cloned()))
            .build()
            .expect("a chain");
        let got = rt.block_on(chain.credentials());
        let elapsed = start.elapsed();
        match got {
            Err(e) if e.is_not_found() => {}
            Err(e) => panic!("credchain: expected no credentials, got an error: {e}"),
            Ok(c) => panic!("credchain: expected no credentials, got {c}"),
        }
        if i > 0 {
            times.push(elapsed);
        }
    }
    median(&mut times)
}

fn botocore_no_credentials(env: &[(String, String)], runs: usize) -> Duration {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/chain_resolve.py");
    let script = script.to_string_lossy().into_owned();
    let runs_arg = runs.to_string();
    // The interpreter found on the caller's PATH, run with exactly the scenario's environment
    // (its PATH would find another python3).
    let out = Command::new(python3())
        .args([script.as_str(), runs_arg.as_str(), "1", "none"])
        .env_clear()
        .envs(with_pythonpath(env))
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "botocore: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the script prints JSON");
    Duration::from_nanos(v["median_ns"].as_u64().expect("median_ns"))
}

fn no_credentials(bench: bool, have_botocore: bool) {
    println!("\n== chain/no-credentials: off EC2, empty home, IMDS on loopback ==");
    let sandbox = Sandbox::new();
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        l.local_addr().expect("its address")
    };
    // Accepts (the kernel completes the handshake into the backlog) and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let cases = [
        (
            "IMDS refusing connections",
            format!("http://{refused}/"),
            if bench { 200 } else { 3 },
        ),
        (
            "IMDS not answering (timeout 1 s)",
            format!("http://{}/", silent.local_addr().expect("its address")),
            if bench { 5 } else { 1 },
        ),
    ];
    for (name, endpoint, runs) in &cases {
        let env = off_ec2_env(&sandbox, endpoint);
        let ours = credchain_no_credentials(&env, *runs);
        print!("{name:<34} credchain {:>10}", fmt(ours));
        if have_botocore {
            let theirs = botocore_no_credentials(&env, *runs);
            print!(
                "   botocore {:>10} ({:.1}x)",
                fmt(theirs),
                theirs.as_secs_f64() / ours.as_secs_f64()
            );
        }
        println!("   [median of {runs}, in process]");
    }
    // The refusing case as a whole process too.
    if let Some(bin) = credchain_binary() {
        let env = off_ec2_env(&sandbox, &cases[0].1);
        let runs = if bench { 30 } else { 2 };
        let mut times = Vec::with_capacity(runs);
        for i in 0..=runs {
            let (t, out, ok) = timed_run(&bin, &["export", "--format", "json"], &env);
            assert!(!ok && out.is_empty(), "credchain export must find nothing");
            if i > 0 {
                times.push(t);
            }
        }
        println!(
            "{:<34} credchain export {:>10}   [median of {runs}, whole process, exit non-zero]",
            "IMDS refusing connections",
            fmt(median(&mut times))
        );
    }
    drop(silent);
}

fn hit<P: credchain::ProvideCredentials + 'static>(cache: &CredentialsCache<P>) -> usize {
    let mut fut = pin!(cache.get());
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(c)) => c.access_key_id().len(),
        _ => panic!("not a hit"),
    }
}

fn cache_hit(c: &mut Criterion) {
    let creds = Credentials::new(
        "ASIAEXAMPLEEXAMPLE12",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        Some("IQoJb3JpZ2luX2VjEXAMPLETOKEN".into()),
        "iam-role",
    )
    .with_expiry(Some(SystemTime::now() + Duration::from_secs(6 * 3600)));
    let mut group = c.benchmark_group("chain_cache_hit");
    for (name, policy) in [
        ("botocore", RefreshPolicy::botocore()),
        ("cross_sdk", RefreshPolicy::cross_sdk()),
    ] {
        let cache = CredentialsCache::builder(StaticProvider::new(creds.clone()))
            .policy(policy)
            .seed(creds.clone())
            .build();
        assert_eq!(hit(&cache), "ASIAEXAMPLEEXAMPLE12".len(), "a hit");
        group.bench_function(name, |b| b.iter(|| black_box(hit(black_box(&cache)))));
    }
    group.finish();
}

fn main() {
    let bench = bench_mode();
    println!("load average before: {}", load_average());
    let have_botocore = botocore_version().is_some();
    whole_process(bench, have_botocore);
    no_credentials(bench, have_botocore);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .configure_from_args();
    cache_hit(&mut c);
    c.final_summary();
    println!("load average after: {}", load_average());
}
