//! credchain-server's IMDS under load, beside moto's server (issue 3, part 7), driven by one
//! load generator written here on tokio and hyper's client.
//!
//! The load: `CONNECTIONS` client tasks, each repeating the IMDSv2 flow an SDK runs on every
//! refresh once it holds a token: `GET /latest/meta-data/iam/security-credentials/` (the role
//! name), then `GET …/security-credentials/<role>` (the credentials document), both with the
//! `X-aws-ec2-metadata-token` header. The token comes from one `PUT /latest/api/token` per
//! server before the rounds; the role name from that server's listing. moto checks no token
//! and credchain-server does, so the same header goes to both. Every response is checked: the
//! status must be 200, the listing must be the role name, the document must be a credentials
//! document (`credchain_core::document::ImdsCredentials::parse`, with credentials in it). A
//! round that saw any other answer, or any connection error, fails the bench.
//!
//! Two connection modes, each run against both servers:
//! - `keep-alive`: HTTP/1.1 keep-alive, a connection reused until the server closes it.
//!   credchain-server keeps it; moto's server (Werkzeug's development server) answers every
//!   request with `Connection: close`, so against moto the generator reconnects per request.
//! - `close`: every request carries `Connection: close`, so both servers pay for a new TCP
//!   connection per request: the like-for-like line.
//!
//! Who runs where (2 cores here): credchain-server on its own tokio runtime with one worker
//! thread; moto's server in its own Python process (Werkzeug `threaded=True`: a thread per
//! connection, under one GIL); the load generator on a single-threaded tokio runtime on the
//! bench's main thread. The CPU time each used during the measured rounds is read from
//! `/proc` and printed, so that a reader can see whether the server or the generator was the
//! limit.
//!
//! `cargo bench -p credchain-benches --bench server_throughput` prints the table (a warm-up
//! round, then `ROUNDS` rounds of `ROUND` per line; the figure is the median round's
//! requests/s). `cargo test --benches` runs one short round per line and checks every answer.
//! moto's lines are skipped with a loud notice when moto is absent or `CREDCHAIN_SKIP_MOTO=1`.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss,
    clippy::indexing_slicing,
    reason = "a bench whose workload fails must stop loudly; counts of a short run cannot overflow"
)]

mod support;

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use credchain_core::document::ImdsCredentials;
use credchain_server::ImdsServer;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper::header::{CONNECTION, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use support::{CpuOf, Moto, bench_mode, client_runtime, load_average, server_runtime};

/// Concurrent connections (client tasks) of the load generator.
const CONNECTIONS: usize = 16;

const TOKEN_PATH: &str = "/latest/api/token";
const ROLES_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";

/// How long and how often to measure.
#[derive(Debug, Clone, Copy)]
struct Plan {
    warm_up: Option<Duration>,
    round: Duration,
    rounds: usize,
}

impl Plan {
    fn new(bench: bool) -> Plan {
        if bench {
            Plan {
                warm_up: Some(Duration::from_millis(500)),
                round: Duration::from_secs(1),
                rounds: 5,
            }
        } else {
            // Test mode: one short round, every answer still checked.
            Plan {
                warm_up: None,
                round: Duration::from_millis(200),
                rounds: 1,
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    KeepAlive,
    Close,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Mode::KeepAlive => "keep-alive",
            Mode::Close => "close",
        }
    }
}

/// A server under load, as the generator knows it after the first exchanges.
#[derive(Debug)]
struct Target {
    name: String,
    addr: SocketAddr,
    host: String,
    token: String,
    role: Bytes,
    doc_path: String,
}

/// What the generator got in one round.
#[derive(Debug, Default)]
struct Tally {
    /// Requests answered 200 with the expected body.
    ok: u64,
    /// Connections opened.
    connections: u64,
    /// Anything else, described (the first few).
    failures: Vec<String>,
    failed: u64,
}

impl Tally {
    fn fail(&mut self, what: String) {
        self.failed += 1;
        if self.failures.len() < 5 {
            self.failures.push(what);
        }
    }

    fn add(&mut self, other: Tally) {
        self.ok += other.ok;
        self.connections += other.connections;
        self.failed += other.failed;
        for f in other.failures {
            if self.failures.len() < 5 {
                self.failures.push(f);
            }
        }
    }
}

type Sender = SendRequest<Empty<Bytes>>;

async fn connect(addr: SocketAddr) -> Result<Sender, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .set_nodelay(true)
        .map_err(|e| format!("nodelay: {e}"))?;
    let (sender, conn) = handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::task::spawn_local(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One request on `conn` (opening one when there is none); the status, the body, and whether
/// the server will close the connection.
async fn request(
    conn: &mut Option<Sender>,
    tally: &mut Tally,
    target: &Target,
    req: Request<Empty<Bytes>>,
) -> Result<(StatusCode, Bytes), String> {
    let kept = match conn.take() {
        Some(mut s) => s.ready().await.is_ok().then_some(s),
        None => None,
    };
    let mut sender = match kept {
        Some(s) => s,
        None => {
            tally.connections += 1;
            connect(target.addr).await?
        }
    };
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let closing = resp
        .headers()
        .get(CONNECTION)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"));
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("body: {e}"))?
        .to_bytes();
    if !closing {
        *conn = Some(sender);
    }
    Ok((status, body))
}

fn get(target: &Target, path: &str, mode: Mode) -> Request<Empty<Bytes>> {
    let mut b = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(HOST, &target.host)
        .header(TOKEN_HEADER, &target.token);
    if mode == Mode::Close {
        b = b.header(CONNECTION, "close");
    }
    b.body(Empty::new()).expect("a valid request")
}

/// Whether `body` is a credentials document with credentials in it.
fn is_credentials(body: &[u8]) -> bool {
    std::str::from_utf8(body)
        .ok()
        .and_then(|text| ImdsCredentials::parse(text).ok())
        .is_some_and(|doc| doc.credentials().is_some())
}

/// One client task: the flow again and again until `deadline`.
async fn client(target: Rc<Target>, mode: Mode, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut conn = None;
    while Instant::now() < deadline {
        for doc in [false, true] {
            let path = if doc { &target.doc_path } else { ROLES_PATH };
            match request(&mut conn, &mut tally, &target, get(&target, path, mode)).await {
                Ok((StatusCode::OK, body)) => {
                    let right = if doc {
                        is_credentials(&body)
                    } else {
                        body == target.role
                    };
                    if right {
                        tally.ok += 1;
                    } else {
                        tally.fail(format!(
                            "GET {path}: 200 with an unexpected body: {:?}",
                            String::from_utf8_lossy(&body)
                        ));
                    }
                }
                Ok((status, _)) => tally.fail(format!("GET {path}: {status}")),
                Err(e) => {
                    conn = None;
                    tally.fail(format!("GET {path}: {e}"));
                }
            }
        }
    }
    tally
}

/// One round: `CONNECTIONS` clients for `length`; the tally and the time it took.
async fn round(target: &Rc<Target>, mode: Mode, length: Duration) -> (Tally, Duration) {
    let started = Instant::now();
    let deadline = started + length;
    let mut clients = JoinSet::new();
    for _ in 0..CONNECTIONS {
        clients.spawn_local(client(Rc::clone(target), mode, deadline));
    }
    let mut tally = Tally::default();
    while let Some(done) = clients.join_next().await {
        tally.add(done.expect("a client task ends normally"));
    }
    (tally, started.elapsed())
}

/// The first exchanges with a server: a token, the role name, one document; each checked.
async fn prepare(name: String, addr: SocketAddr) -> Target {
    let host = addr.to_string();
    let mut tally = Tally::default();
    let mut conn = None;
    let mut target = Target {
        name,
        addr,
        host,
        token: String::new(),
        role: Bytes::new(),
        doc_path: String::new(),
    };
    let put = Request::builder()
        .method(Method::PUT)
        .uri(TOKEN_PATH)
        .header(HOST, &target.host)
        .header(TTL_HEADER, "21600")
        .body(Empty::new())
        .expect("a valid request");
    let (status, token) = request(&mut conn, &mut tally, &target, put)
        .await
        .unwrap_or_else(|e| panic!("{}: token PUT: {e}", target.name));
    assert_eq!(status, StatusCode::OK, "{}: token PUT", target.name);
    target.token = String::from_utf8(token.to_vec()).expect("a text token");

    let (status, role) = request(
        &mut conn,
        &mut tally,
        &target,
        get(&target, ROLES_PATH, Mode::KeepAlive),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: role name: {e}", target.name));
    assert_eq!(status, StatusCode::OK, "{}: role name", target.name);
    let name = std::str::from_utf8(&role).expect("a text role name");
    assert!(
        !name.is_empty() && !name.contains('\n'),
        "{}: one role: {name:?}",
        target.name
    );
    target.doc_path = format!("{ROLES_PATH}{name}");
    target.role = role;

    let (status, doc) = request(
        &mut conn,
        &mut tally,
        &target,
        get(&target, &target.doc_path, Mode::KeepAlive),
    )
    .await
    .unwrap_or_else(|e| panic!("{}: document: {e}", target.name));
    assert_eq!(status, StatusCode::OK, "{}: document", target.name);
    assert!(
        is_credentials(&doc),
        "{}: not a credentials document: {}",
        target.name,
        String::from_utf8_lossy(&doc)
    );
    target
}

/// One line of the table.
#[derive(Debug)]
struct Line {
    server: String,
    mode: Mode,
    /// Requests/s of each measured round.
    rates: Vec<f64>,
    connections_per_request: f64,
    /// Cores used on average over the measured rounds (CPU seconds per second).
    server_cores: Option<f64>,
    generator_cores: Option<f64>,
}

impl Line {
    fn median(&self) -> f64 {
        let mut r = self.rates.clone();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    }
}

fn run_line(
    rt: &tokio::runtime::Runtime,
    target: &Rc<Target>,
    mode: Mode,
    plan: Plan,
    server_cpu: &CpuOf,
) -> Line {
    let local = tokio::task::LocalSet::new();
    let check = |tally: &Tally, what: &str| {
        assert!(
            tally.failed == 0,
            "{} ({}) {what}: {} requests failed, e.g. {:#?}",
            target.name,
            mode.label(),
            tally.failed,
            tally.failures
        );
        assert!(
            tally.ok > 0,
            "{} ({}) {what}: no request answered",
            target.name,
            mode.label()
        );
    };
    if let Some(w) = plan.warm_up {
        let (tally, _) = local.block_on(rt, round(target, mode, w));
        check(&tally, "warm-up");
    }
    let (server_before, gen_before) = (server_cpu.nanos(), CpuOf::ThisThread.nanos());
    let mut rates = Vec::new();
    let (mut ok, mut conns, mut wall) = (0, 0, Duration::ZERO);
    for i in 0..plan.rounds {
        let (tally, took) = local.block_on(rt, round(target, mode, plan.round));
        check(&tally, &format!("round {i}"));
        rates.push(tally.ok as f64 / took.as_secs_f64());
        ok += tally.ok;
        conns += tally.connections;
        wall += took;
    }
    let cores = |before: Option<u64>, after: Option<u64>| {
        Some((after? - before?) as f64 / 1e9 / wall.as_secs_f64())
    };
    Line {
        server: target.name.clone(),
        mode,
        rates,
        connections_per_request: conns as f64 / ok as f64,
        server_cores: cores(server_before, server_cpu.nanos()),
        generator_cores: cores(gen_before, CpuOf::ThisThread.nanos()),
    }
}

fn print_table(lines: &[Line], plan: Plan, bench: bool, load_before: &str) {
    println!(
        "\nserver_throughput: {CONNECTIONS} connections, GET role name + GET credentials with a \
         token, {} round(s) of {:?} per line (median round)",
        plan.rounds, plan.round
    );
    if !bench {
        println!("  (test mode: every answer checked; the rates are not a measurement)");
    }
    println!(
        "  load average before: {load_before}; after: {}",
        load_average()
    );
    println!(
        "  {:<28} {:<11} {:>12} {:>16} {:>11} {:>11}  rounds (req/s)",
        "server", "mode", "req/s", "conns/request", "server CPU", "loadgen CPU"
    );
    let cores = |c: Option<f64>| c.map_or_else(|| "-".to_owned(), |c| format!("{c:.2} cores"));
    for l in lines {
        let rounds: Vec<String> = l.rates.iter().map(|r| format!("{r:.0}")).collect();
        println!(
            "  {:<28} {:<11} {:>12.0} {:>16.3} {:>11} {:>11}  {}",
            l.server,
            l.mode.label(),
            l.median(),
            l.connections_per_request,
            cores(l.server_cores),
            cores(l.generator_cores),
            rounds.join(" ")
        );
    }
    for mode in [Mode::KeepAlive, Mode::Close] {
        let of = |prefix: &str| {
            lines
                .iter()
                .find(|l| l.mode == mode && l.server.starts_with(prefix))
                .map(Line::median)
        };
        if let (Some(ours), Some(moto)) = (of("credchain"), of("moto")) {
            println!(
                "  ratio credchain-server / moto_server, {}: {:.1}×",
                mode.label(),
                ours / moto
            );
        }
    }
}

fn main() {
    let bench = bench_mode();
    let plan = Plan::new(bench);
    let load_before = load_average();
    let rt = client_runtime();

    // credchain-server: its own runtime, one worker thread, default settings.
    let server_rt = server_runtime("imds-server", 1);
    let server = server_rt
        .block_on(ImdsServer::builder().start())
        .expect("credchain-server's IMDS starts on loopback");
    let moto = Moto::start();

    let local = tokio::task::LocalSet::new();
    let mut targets = vec![(
        Rc::new(local.block_on(&rt, prepare("credchain-server".to_owned(), server.addr()))),
        CpuOf::ThreadsNamed("imds-server"),
    )];
    if let Some(m) = &moto {
        let name = format!("moto_server {}", m.version);
        targets.push((
            Rc::new(local.block_on(&rt, prepare(name, m.addr))),
            CpuOf::Process(m.pid()),
        ));
    }

    let mut lines = Vec::new();
    for mode in [Mode::KeepAlive, Mode::Close] {
        for (target, cpu) in &targets {
            lines.push(run_line(&rt, target, mode, plan, cpu));
        }
    }
    print_table(&lines, plan, bench, &load_before);
    if moto.is_none() {
        println!("  moto_server: SKIPPED (see the notice above); no ratio");
    }
    drop(moto);
    drop(server);
}
