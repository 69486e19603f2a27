//! A full IMDS role-credential fetch over loopback (issue 3, part 7): credchain-http's tokio
//! client beside botocore's `InstanceMetadataFetcher`, against the same credchain-server IMDS
//! in the same run.
//!
//! A fetch is what botocore's `iam-role` provider does (spec §4): `PUT /latest/api/token`, `GET
//! …/iam/security-credentials/` for the role name, `GET …/security-credentials/<role>` for the
//! document, which is read into credentials. The server runs on its own tokio runtime (one
//! worker thread) for the whole run; every line talks to it.
//!
//! Lines (criterion, group `imds_fetch`; see `BENCHMARKS.md` for figures):
//! - `credchain/fresh-fetcher`: `ImdsFetcher::new(config).role_credentials()` with a new fetcher
//!   each time: a new connection, the token PUT and the two GETs, then the fetcher dropped
//!   (closing the connection). The like-for-like comparison with botocore's fresh fetcher.
//! - `credchain/reused-fetcher-new-token`: one fetcher, its kept token forgotten before each
//!   fetch: PUT and two GETs on a kept-alive connection. Like-for-like with botocore's reused
//!   fetcher, which never keeps a token.
//! - `credchain/reused-fetcher-kept-token`: one fetcher as credchain uses it on each refresh:
//!   the token kept (a credchain improvement), so two GETs on a kept-alive connection.
//!
//! - `floor/blocking-tcp`: not a client. The bytes of a fresh fetch without HTTP, tokio or
//!   credchain: a blocking `std` socket connects to a blocking `std` server on its own thread,
//!   writes three requests of a fetch's sizes and reads three answers of a fetch's sizes, then
//!   closes. What the kernel and the scheduler alone charge for a fresh fetch on this machine:
//!   no client, in any language, over this loopback, can be faster.
//!
//! Then botocore, timed in one Python process by `benches/python/botocore_fetch.py` (each fetch
//! with `time.perf_counter_ns`, median of N) against the same server: `fresh`
//! (`InstanceMetadataFetcher(timeout=1, num_attempts=1, base_url=…)` built per fetch) and
//! `reused` (one fetcher). Its medians are printed beside criterion's, with the ratios. Skipped
//! with a loud notice when python3 or botocore is missing or `CREDCHAIN_SKIP_BOTOCORE=1`.
//!
//! Before any line is timed, the bench checks it: the credentials it gets are the ones the
//! server serves, and the server's transcript shows the expected requests, all answered 200,
//! on a new or a kept connection as the line says. botocore's script checks every fetch it
//! times, and the transcript of its run is checked the same way.
//!
//! `cargo bench -p credchain-benches --bench imds_fetch` measures; `cargo test --benches` runs
//! each line once and botocore for three fetches of each kind.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    reason = "a bench whose workload fails must stop loudly; counts of a short run cannot overflow"
)]
#![allow(
    clippy::indexing_slicing,
    reason = "indexing a serde_json::Value by key gives Null when the key is absent, never panics"
)]

mod support;

use std::collections::BTreeSet;
use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credchain_core::imds::{Endpoint, ImdsConfig};
use credchain_core::time::Timestamp;
use credchain_http::{ImdsFetcher, ImdsOutcome};
use credchain_server::{
    Clock, CredentialSet, Credentials, Exchange, ImdsServer, ImdsSettings, ServerHandle,
};
use criterion::Criterion;
use serde_json::Value;
use tokio::runtime::Runtime;

use support::{
    BOTOCORE, CpuOf, bench_mode, botocore_version, client_runtime, load_average, python,
    server_runtime,
};

const GROUP: &str = "imds_fetch";
const FRESH: &str = "credchain/fresh-fetcher";
const REUSED_NEW_TOKEN: &str = "credchain/reused-fetcher-new-token";
const REUSED_KEPT_TOKEN: &str = "credchain/reused-fetcher-kept-token";
const LINES: [&str; 3] = [FRESH, REUSED_NEW_TOKEN, REUSED_KEPT_TOKEN];
const FLOOR: &str = "floor/blocking-tcp";

/// The name of the floor server's thread.
const FLOOR_THREAD: &str = "tcp-floor";

/// (request bytes, answer bytes) of a fetch's three exchanges, as credchain sends them and
/// credchain-server answers (head and body, rounded): token PUT, role name, document.
const FLOOR_EXCHANGES: [(usize, usize); 3] = [(190, 200), (250, 150), (260, 1_460)];

/// The name of the server runtime's threads (to read their CPU time).
const SERVER_THREADS: &str = "imds-server";

const SCRIPT: &str = include_str!("../python/botocore_fetch.py");

const TOKEN_PATH: &str = "/latest/api/token";
const ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// How the server and the clients under test are set up.
struct Setup {
    /// Dropped first: stops the server while its runtime still exists.
    server: ServerHandle,
    _server_rt: Runtime,
    client: Runtime,
    url: String,
    served: Credentials,
}

impl Setup {
    fn new() -> Setup {
        let server_rt = server_runtime(SERVER_THREADS, 1);
        // A frozen clock: the credentials do not rotate and tokens do not expire during the
        // run, so every fetch can be checked against one set of credentials.
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970");
        let clock = Clock::frozen(
            Timestamp::UNIX_EPOCH
                .checked_add(now)
                .expect("a representable time"),
        );
        // Every fetch but the kept-token line makes a token; with the default table of 65,536
        // the table would fill during the run, and each PUT past that scans the whole table
        // for the soonest expiry. That cost is not what this bench compares: room for all.
        let mut settings = ImdsSettings::default();
        settings.max_tokens = 1 << 20;
        let server = server_rt
            .block_on(
                ImdsServer::builder()
                    .clock(clock)
                    .settings(settings)
                    .start(),
            )
            .expect("credchain-server's IMDS starts on loopback");
        let served = server
            .credentials(CredentialSet::RoleV2)
            .expect("the server has role credentials");
        Setup {
            url: server.endpoint(),
            server,
            _server_rt: server_rt,
            client: client_runtime(),
            served,
        }
    }

    fn config(&self) -> ImdsConfig<'_> {
        ImdsConfig {
            endpoint: Endpoint::custom(&self.url).expect("the server's URL is an endpoint"),
            // botocore's defaults, as its fetcher is built below: timeout 1 s, one attempt.
            timeout_secs: 1,
            attempts: 1,
            ..ImdsConfig::default()
        }
    }

    /// The requests `run` makes, as the server recorded them.
    fn requests_of<T>(&self, run: impl FnOnce() -> T) -> (T, Vec<Exchange>) {
        self.server.controls().clear_transcript();
        let out = run();
        (out, self.server.transcript())
    }
}

/// A blocking `std` TCP server on its own thread that answers each of [`FLOOR_EXCHANGES`]
/// requests with its answer's number of bytes, for the `floor/blocking-tcp` line. It serves one
/// connection at a time until the process ends.
fn start_floor() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the floor");
    let addr = listener.local_addr().expect("the floor's address");
    std::thread::Builder::new()
        .name(FLOOR_THREAD.to_owned())
        .spawn(move || {
            let mut buf = vec![0u8; 4096];
            let answer = vec![b'x'; 2048];
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_nodelay(true);
                for (request, reply) in FLOOR_EXCHANGES {
                    if read_exactly(&mut conn, &mut buf, request).is_err()
                        || conn.write_all(&answer[..reply]).is_err()
                    {
                        break;
                    }
                }
                // The client closes first, as credchain's fresh fetcher does.
                let _ = conn.read(&mut buf);
            }
        })
        .expect("the floor's thread starts");
    addr
}

/// Reads `n` bytes (into `buf`, reused).
fn read_exactly(conn: &mut TcpStream, buf: &mut [u8], mut n: usize) -> std::io::Result<()> {
    while n > 0 {
        let room = n.min(buf.len());
        let got = conn.read(&mut buf[..room])?;
        if got == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        n -= got;
    }
    Ok(())
}

/// One fresh "fetch" against the floor server: connect, three exchanges, close.
fn floor_fetch(addr: SocketAddr, buf: &mut [u8]) -> usize {
    let mut conn = TcpStream::connect(addr).expect("the floor accepts");
    conn.set_nodelay(true).expect("TCP_NODELAY");
    let request = [b'r'; 512];
    for (ask, reply) in FLOOR_EXCHANGES {
        conn.write_all(&request[..ask]).expect("the floor reads");
        read_exactly(&mut conn, buf, reply).expect("the floor answers");
    }
    FLOOR_EXCHANGES.len()
}

/// One fetch, checked: the outcome must be the served credentials. Returns something derived
/// from them so that nothing is optimised away.
fn fetch(rt: &Runtime, fetcher: &mut ImdsFetcher<'_>) -> usize {
    let out = rt.block_on(fetcher.role_credentials());
    match out {
        Ok(ImdsOutcome::Credentials(found)) => {
            found.credentials.access_key_id.len() + found.credentials.session_token.len()
        }
        other => panic!("credchain did not get credentials: {other:?}"),
    }
}

fn check_credentials(setup: &Setup, fetcher: &mut ImdsFetcher<'_>, line: &str) {
    let out = setup
        .client
        .block_on(fetcher.role_credentials())
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    let Some(found) = out.credentials() else {
        panic!("{line}: no credentials: {out:?}")
    };
    let c = &found.credentials;
    let s = &setup.served;
    assert_eq!(c.access_key_id, s.access_key_id, "{line}");
    assert_eq!(c.secret_access_key.expose(), s.secret_access_key, "{line}");
    assert_eq!(c.session_token.expose(), s.session_token, "{line}");
    assert_eq!(c.expiration, s.expiration, "{line}");
}

/// `METHOD path [token] -> status` for each exchange.
fn lines(exchanges: &[Exchange]) -> Vec<String> {
    exchanges
        .iter()
        .map(|e| {
            let token = if e.header("x-aws-ec2-metadata-token").is_some() {
                " [token]"
            } else {
                ""
            };
            let status = e
                .status()
                .map_or_else(|| format!("{:?}", e.outcome), |s| s.to_string());
            format!("{} {}{token} -> {status}", e.method, e.path)
        })
        .collect()
}

fn connections(exchanges: &[Exchange]) -> BTreeSet<u64> {
    exchanges.iter().map(|e| e.connection).collect()
}

/// Checks each line once before it is timed: right credentials, right requests, right use of
/// connections.
fn check_lines(setup: &Setup) {
    let doc_path = format!("{ROLES_PATH}credchain-role");
    let full = [
        format!("PUT {TOKEN_PATH} -> 200"),
        format!("GET {ROLES_PATH} [token] -> 200"),
        format!("GET {doc_path} [token] -> 200"),
    ];

    // Fresh: three requests on one new connection.
    let (_, seen) = setup.requests_of(|| {
        let mut fetcher = ImdsFetcher::new(setup.config());
        check_credentials(setup, &mut fetcher, FRESH);
    });
    assert_eq!(lines(&seen), full, "{FRESH}");
    assert_eq!(connections(&seen).len(), 1, "{FRESH}: one connection");
    let first_conn = connections(&seen);

    // Reused, new token: the same three requests on the connection kept from the warm-up.
    let mut fetcher = ImdsFetcher::new(setup.config());
    check_credentials(setup, &mut fetcher, REUSED_NEW_TOKEN);
    let (_, seen) = setup.requests_of(|| {
        fetcher.machine_mut().forget_token();
        check_credentials(setup, &mut fetcher, REUSED_NEW_TOKEN);
    });
    assert_eq!(lines(&seen), full, "{REUSED_NEW_TOKEN}");
    let kept = connections(&seen);
    assert_eq!(kept.len(), 1, "{REUSED_NEW_TOKEN}: one connection");
    assert_ne!(kept, first_conn, "{REUSED_NEW_TOKEN}: not the fresh line's");
    assert!(
        seen.iter().all(|e| e.on_connection > 1),
        "{REUSED_NEW_TOKEN}: every request on the kept connection: {seen:?}"
    );

    // Reused, kept token: the two GETs on the same kept connection.
    let (_, seen) = setup.requests_of(|| {
        check_credentials(setup, &mut fetcher, REUSED_KEPT_TOKEN);
    });
    assert_eq!(lines(&seen), full[1..], "{REUSED_KEPT_TOKEN}");
    assert_eq!(
        connections(&seen),
        kept,
        "{REUSED_KEPT_TOKEN}: the kept connection"
    );
}

fn criterion_dir() -> PathBuf {
    // criterion's own default: $CRITERION_HOME, else <target>/criterion; the bench binary is
    // <target>/<profile>/deps/imds_fetch-<hash>.
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let exe = std::env::current_exe().expect("the bench knows its path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the bench runs from <target>/<profile>/deps");
    target.join("criterion")
}

fn config(dir: &Path) -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
        .output_directory(dir)
}

fn bench_credchain(c: &mut Criterion, setup: &Setup, floor: SocketAddr) {
    let rt = &setup.client;
    let mut group = c.benchmark_group(GROUP);
    let mut buf = vec![0u8; 4096];
    group.bench_function(FLOOR, |b| b.iter(|| floor_fetch(floor, &mut buf)));
    group.bench_function(FRESH, |b| {
        b.iter(|| {
            let mut fetcher = ImdsFetcher::new(setup.config());
            fetch(rt, &mut fetcher)
        })
    });
    group.bench_function(REUSED_NEW_TOKEN, |b| {
        let mut fetcher = ImdsFetcher::new(setup.config());
        b.iter(|| {
            fetcher.machine_mut().forget_token();
            fetch(rt, &mut fetcher)
        })
    });
    group.bench_function(REUSED_KEPT_TOKEN, |b| {
        let mut fetcher = ImdsFetcher::new(setup.config());
        b.iter(|| fetch(rt, black_box(&mut fetcher)))
    });
    group.finish();
}

/// CPU time per fetch of one credchain line, measured outside criterion: the client's (this
/// thread, which runs the client runtime) and the server's (its runtime's threads).
#[derive(Debug, Clone, Copy)]
struct Cpu {
    client_ns: f64,
    server_ns: f64,
}

fn cpu_per_fetch(n: u32, mut fetch_once: impl FnMut()) -> Option<Cpu> {
    let client = CpuOf::ThisThread;
    let server = CpuOf::ThreadsNamed(SERVER_THREADS);
    let (c0, s0) = (client.nanos()?, server.nanos()?);
    for _ in 0..n {
        fetch_once();
    }
    let (c1, s1) = (client.nanos()?, server.nanos()?);
    Some(Cpu {
        client_ns: (c1 - c0) as f64 / f64::from(n),
        server_ns: (s1 - s0) as f64 / f64::from(n),
    })
}

/// [`cpu_per_fetch`] for the floor line: this thread and the floor server's.
fn floor_cpu(floor: SocketAddr, n: u32) -> Option<Cpu> {
    let client = CpuOf::ThisThread;
    let server = CpuOf::ThreadsNamed(FLOOR_THREAD);
    let mut buf = vec![0u8; 4096];
    let (c0, s0) = (client.nanos()?, server.nanos()?);
    for _ in 0..n {
        black_box(floor_fetch(floor, &mut buf));
    }
    // The server's last read (of the client's close) ends after the client's loop.
    std::thread::sleep(Duration::from_millis(20));
    let (c1, s1) = (client.nanos()?, server.nanos()?);
    Some(Cpu {
        client_ns: (c1 - c0) as f64 / f64::from(n),
        server_ns: (s1 - s0) as f64 / f64::from(n),
    })
}

/// [`cpu_per_fetch`] for each credchain line, in the order of [`LINES`].
fn credchain_cpu(setup: &Setup, n: u32) -> [Option<Cpu>; 3] {
    let rt = &setup.client;
    let fresh = cpu_per_fetch(n, || {
        let mut fetcher = ImdsFetcher::new(setup.config());
        black_box(fetch(rt, &mut fetcher));
    });
    let mut fetcher = ImdsFetcher::new(setup.config());
    let new_token = cpu_per_fetch(n, || {
        fetcher.machine_mut().forget_token();
        black_box(fetch(rt, &mut fetcher));
    });
    let kept = cpu_per_fetch(n, || {
        black_box(fetch(rt, &mut fetcher));
    });
    [fresh, new_token, kept]
}

/// botocore's figures for one way of fetching, from the script.
#[derive(Debug, Clone, Copy)]
struct PyTimes {
    n: u64,
    median_ns: f64,
    mean_ns: f64,
    cpu_ns: f64,
    p10_ns: f64,
    p90_ns: f64,
}

impl PyTimes {
    fn from(v: &Value) -> PyTimes {
        let num = |k: &str| {
            v[k].as_f64()
                .unwrap_or_else(|| panic!("botocore_fetch.py printed no {k}: {v}"))
        };
        PyTimes {
            n: v["n"].as_u64().unwrap_or(0),
            median_ns: num("median_ns"),
            mean_ns: num("mean_ns"),
            cpu_ns: num("cpu_ns_per_fetch"),
            p10_ns: num("p10_ns"),
            p90_ns: num("p90_ns"),
        }
    }
}

struct Botocore {
    version: String,
    python: String,
    fresh: PyTimes,
    reused: PyTimes,
}

/// Runs `botocore_fetch.py` against the server; checks what it sent.
fn run_botocore(setup: &Setup, iterations: u32, warmup: u32) -> Option<Botocore> {
    let version = botocore_version()?;
    let (out, seen) = setup.requests_of(|| {
        python(&[
            "-c",
            SCRIPT,
            &setup.url,
            &iterations.to_string(),
            &warmup.to_string(),
            &setup.served.access_key_id,
        ])
        .output()
        .expect("python3 runs")
    });
    assert!(
        out.status.success(),
        "botocore_fetch.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "botocore_fetch.py printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    assert_eq!(v["botocore"], version.as_str());

    // The server saw what botocore's fetch is: PUT, role name, document, each answered 200.
    let fetches = 2 * u64::from(iterations + warmup);
    assert_eq!(seen.len() as u64, 3 * fetches, "three requests per fetch");
    let doc_path = format!("{ROLES_PATH}credchain-role");
    for (i, three) in lines(&seen).chunks(3).enumerate() {
        assert_eq!(
            three,
            [
                format!("PUT {TOKEN_PATH} -> 200"),
                format!("GET {ROLES_PATH} [token] -> 200"),
                format!("GET {doc_path} [token] -> 200"),
            ],
            "botocore's fetch {i}"
        );
    }
    // Fresh fetches each open a connection; the reused fetcher keeps one (urllib3's pool).
    let conns = connections(&seen).len() as u64;
    eprintln!(
        "botocore {version}: {} requests over {conns} connections ({} fresh fetches, then {} \
         with one fetcher)",
        seen.len(),
        fetches / 2,
        fetches / 2
    );
    assert!(
        conns <= fetches / 2 + 2,
        "botocore's reused fetcher kept its connection"
    );

    Some(Botocore {
        version,
        python: v["python"].as_str().unwrap_or("?").to_owned(),
        fresh: PyTimes::from(&v["fresh"]),
        reused: PyTimes::from(&v["reused"]),
    })
}

/// criterion's median for `line` in this run (its `estimates.json`, if written after `since`).
fn criterion_median(dir: &Path, line: &str, since: SystemTime) -> Option<f64> {
    // criterion names a line's directory after its id, `/` written as `_`.
    let path = dir
        .join(GROUP)
        .join(line.replace('/', "_"))
        .join("new")
        .join("estimates.json");
    let fresh = std::fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    if !fresh {
        return None;
    }
    let v: Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

fn us(ns: f64) -> String {
    format!("{:.1} µs", ns / 1000.0)
}

fn report(
    dir: &Path,
    since: SystemTime,
    cpu: [Option<Cpu>; 3],
    floor: Option<Cpu>,
    botocore: Option<&Botocore>,
    load_before: &str,
) {
    let medians = LINES.map(|line| criterion_median(dir, line, since));
    let floor_median = criterion_median(dir, FLOOR, since);
    println!("\n{GROUP}: median time per fetch, same server, same run");
    println!(
        "  load average before: {load_before}; after: {}",
        load_average()
    );
    let all = LINES
        .iter()
        .zip(medians)
        .zip(cpu)
        .chain([((&FLOOR, floor_median), floor)]);
    for ((line, median), cpu) in all {
        let median = median.map_or_else(|| "-".to_owned(), us);
        let cpu = cpu.map_or_else(
            || "CPU per fetch: -".to_owned(),
            |c| {
                format!(
                    "CPU per fetch: client {}, server {}",
                    us(c.client_ns),
                    us(c.server_ns)
                )
            },
        );
        println!("  {line:<40} {median:>12}   (criterion median; {cpu})");
    }
    let Some(b) = botocore else {
        println!("  botocore: SKIPPED (see the notice above); no ratio");
        return;
    };
    for (line, t) in [
        ("botocore/fresh-fetcher", b.fresh),
        ("botocore/reused-fetcher", b.reused),
    ] {
        println!(
            "  {line:<40} {:>12}   (median of {}; mean {}, p10 {}, p90 {}; CPU per fetch: \
             Python process {})",
            us(t.median_ns),
            t.n,
            us(t.mean_ns),
            us(t.p10_ns),
            us(t.p90_ns),
            us(t.cpu_ns),
        );
    }
    println!("  (botocore {}, Python {})", b.version, b.python);
    println!("ratios, botocore / credchain: median time, client CPU per fetch");
    let [fresh, new_token, kept] = medians;
    for (what, theirs, ours, our_cpu) in [
        (
            "fresh fetcher vs fresh fetcher (target >= 20x)",
            b.fresh,
            fresh,
            cpu[0],
        ),
        (
            "reused vs reused, a new token each fetch",
            b.reused,
            new_token,
            cpu[1],
        ),
        (
            "reused vs reused, credchain keeping its token",
            b.reused,
            kept,
            cpu[2],
        ),
    ] {
        let time = ours.map_or_else(
            || "-".to_owned(),
            |o| format!("{:.1}×", theirs.median_ns / o),
        );
        let cpu = our_cpu.map_or_else(
            || "-".to_owned(),
            |c| format!("{:.1}×", theirs.cpu_ns / c.client_ns),
        );
        println!("  {what:<50} {time:>8} {cpu:>8}");
    }
    if let Some(f) = floor_median {
        println!(
            "  the target needs a fresh fetch within {} (botocore's median / 20); the loopback \
             floor alone takes {} ({:.1}× botocore)",
            us(b.fresh.median_ns / 20.0),
            us(f),
            b.fresh.median_ns / f
        );
    }
    if let Some(f) = fresh {
        let met = b.fresh.median_ns / f >= 20.0;
        println!(
            "target >= 20x per fetch (median time, fresh vs fresh): {}",
            if met { "met" } else { "NOT met" }
        );
    }
}

fn main() {
    let bench = bench_mode();
    let load_before = load_average();
    let setup = Setup::new();
    check_lines(&setup);
    let floor = start_floor();
    let mut buf = vec![0u8; 4096];
    assert_eq!(floor_fetch(floor, &mut buf), 3, "the floor line runs");

    let dir = criterion_dir();
    let since = SystemTime::now();
    let mut c = config(&dir).configure_from_args();
    bench_credchain(&mut c, &setup, floor);
    c.final_summary();

    // botocore against the same server, in the same run. Test mode: three fetches of each
    // kind, enough to prove the line works.
    let (iterations, warmup) = if bench { (500, 50) } else { (3, 1) };
    let botocore = run_botocore(&setup, iterations, warmup);
    if bench {
        let cpu = credchain_cpu(&setup, 1000);
        let floor_cpu = floor_cpu(floor, 1000);
        report(&dir, since, cpu, floor_cpu, botocore.as_ref(), &load_before);
    } else if botocore.is_some() {
        println!("botocore {BOTOCORE} line: ran and checked (test mode, not timed)");
    }
}
