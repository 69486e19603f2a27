//! # The IMDS hop limit, for real: a client one routed hop away
//!
//! EC2 sends the answer to `PUT /latest/api/token` with an IP TTL equal to the instance's
//! `HttpPutResponseHopLimit` (imds-and-tools §2.1). With the default of 1, a process on the
//! instance gets its token, but a process one router further away — a container behind a
//! bridge — never sees the answer: the router drops the packet when the TTL runs out. The
//! other answers go out with the normal TTL. `credchain-server` imitates this by setting the
//! socket's TTL before it answers the PUT; its unit tests read the option back. This test
//! checks that the option does what it is for, on a real routed network:
//!
//! ```text
//!  client namespace     router namespace (ip_forward=1)        this process's namespace
//!  N.6 ────veth──── N.5                  N.2 ────veth──── N.1  credchain-server
//!  default via N.5                                             route N.4/30 via N.2
//! ```
//!
//! `N` is a free /29 (10.32.0.0/11 first, else link-local 169.254.64.0/18). The server runs in
//! this test process, bound to `N.1`, answering any peer. The client is this same test
//! binary, started again inside a namespace with `ip netns exec` and an environment variable
//! that puts it in client mode (sockets of a process stay in the namespace it was started in,
//! and entering one from this process would need `unsafe`). It makes a raw token PUT, a raw
//! token-less GET, and two fetches with credchain-http's [`ImdsFetcher`] (IMDSv1 allowed, and
//! IMDSv1 disabled), and prints what happened as JSON lines; it never prints a secret.
//!
//! What it shows (the server hands out *different* credentials to IMDSv1 and IMDSv2 requests,
//! so the access key id says which path a fetch took):
//!
//! - **Hop limit 1, client in the router namespace (no routed hop)**: the token arrives, and the
//!   fetch gets the IMDSv2 credentials. The drop below is caused by the hop, not by TTL 1.
//! - **Hop limit 1, client one hop away, tokens optional**: the server answers the PUT (its
//!   transcript says 200, sent with socket TTL 1), but the client's read times out after its
//!   full 1 s timeout. GETs are not limited: the token-less GET gets its 200 and the role name.
//!   credchain-http's fetcher does what spec §4.4 says for a token read timeout: no retry (with
//!   2 attempts configured, the server still sees a single PUT), fallback to IMDSv1, and the
//!   IMDSv1 credentials. With IMDSv1 disabled, the fetch ends with the error of spec §4.6.
//! - **Hop limit 1, one hop away, tokens required** (what a container on an IMDSv2-only
//!   instance meets): the PUT times out the same way, the token-less GETs get 401 — which
//!   does reach the client — on both attempts (§4.5), and the fetcher reports no credentials,
//!   so the chain goes on.
//! - **Hop limit 2, one hop away, tokens required**: the token arrives, the fetch gets the
//!   IMDSv2 credentials with or without IMDSv1 allowed; the token-less GET gets its 401.
//!
//! Network namespaces need root (or `CAP_NET_ADMIN` and `CAP_SYS_ADMIN`) and iproute2. Where
//! the first `ip netns add` fails, the test says so on standard error (past the test harness's
//! output capture) and returns without checking anything; set `CREDCHAIN_REQUIRE_NETNS=1` to
//! make that a failure instead, as CI does on machines where it must work. Names carry this
//! process's id, addresses avoid every route the machine already has, and a guard deletes
//! the namespaces and links when the test ends, on failure too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::{Duration, Instant};

use credchain_core::imds::{
    AttemptFailure, Endpoint, Event, FallbackCause, ImdsConfig, ImdsError, RequestKind, Unavailable,
};
use credchain_http::{Error as FetchError, ImdsFetcher, ImdsOutcome};
use credchain_server::imds::TTL_HEADER;
use credchain_server::{
    AuthCheck, CredentialSet, Exchange, HttpTokens, ImdsServer, Outcome, PeerPolicy, ServerHandle,
};
use serde_json::{Value, json};

/// Set in the re-started test binary: the IMDS endpoint to use; client mode.
const CLIENT_ENV: &str = "CREDCHAIN_NETNS_CLIENT_ENDPOINT";
/// `1`: a machine where namespaces cannot be made fails the test instead of skipping it.
const REQUIRE_ENV: &str = "CREDCHAIN_REQUIRE_NETNS";
/// The name of the test, which the client process runs (with `--exact`).
const TEST_NAME: &str = "token_answer_dies_one_hop_away_at_hop_limit_1_and_arrives_at_2";
/// The prefix of the client's report lines on its standard output.
const MARK: &str = "NETNS-CLIENT ";
/// The client's timeout for every request, as botocore's default `metadata_service_timeout`.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a client process may take (its steps need about 3 s at most).
const CLIENT_DEADLINE: Duration = Duration::from_secs(30);

#[test]
fn token_answer_dies_one_hop_away_at_hop_limit_1_and_arrives_at_2() {
    if let Ok(endpoint) = std::env::var(CLIENT_ENV) {
        client::run(&endpoint);
        return;
    }
    let topology = match Topology::create() {
        Ok(t) => t,
        Err(Unsupported(why)) => {
            skip(&why);
            return;
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(scenarios(&topology));
    drop(runtime);
    topology.teardown_and_check();
}

/// Says loudly that nothing was checked, or fails when the environment asks for the check.
fn skip(why: &str) {
    let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{REQUIRE_ENV}=1 but network namespaces are not available here: {why}"
    );
    // Written to the file descriptor itself: the test harness captures `eprintln!`, not this.
    let banner = format!(
        "\n*** SKIPPED {TEST_NAME}: network namespaces are not available here ({why}).\n\
         *** The IMDS hop limit was NOT checked. It needs root and iproute2; set {REQUIRE_ENV}=1 \
         to make this a failure.\n\n"
    );
    let _ = std::io::stderr().write_all(banner.as_bytes());
}

async fn scenarios(net: &Topology) {
    let server = ImdsServer::builder()
        .bind(SocketAddr::from((net.server_ip, 0)))
        .peers(PeerPolicy::Any)
        .http_tokens(HttpTokens::Optional)
        .hop_limit(1)
        .separate_v1_credentials()
        .start()
        .await
        .unwrap();
    let endpoint = server.endpoint();
    println!(
        "IMDS at {endpoint}; client {} one hop away through the router {}",
        net.client_ip, net.router_server_ip
    );
    let v2 = server.credentials(CredentialSet::RoleV2).unwrap();
    let v1 = server.credentials(CredentialSet::RoleV1).unwrap();
    assert_ne!(v1.access_key_id, v2.access_key_id);
    let role = server.settings().role.unwrap();
    let secrets = [
        v1.secret_access_key.clone(),
        v1.session_token.clone(),
        v2.secret_access_key.clone(),
        v2.session_token.clone(),
    ];

    // 1. Hop limit 1, client directly attached (the router namespace): the token arrives.
    let seen = server.transcript().len();
    let r = run_client(&net.router_ns, &endpoint, &secrets).await;
    assert_token_arrived(&r, "hop limit 1, directly attached");
    assert_eq!(r.step("get_v1")["status"], 200, "{r}");
    assert_credentials(&r, "fetch", &v2.access_key_id, &v2.expiration.to_string());
    assert_events(&r, "fetch", &[token_acquired()], &[]);
    let puts = token_puts(&server, seen);
    assert_eq!(peers(&puts), [net.router_server_ip; 3], "{puts:#?}");
    assert!(answered_with_ttl(&puts, 1), "{puts:#?}");

    // 2. Hop limit 1, one routed hop away, tokens optional.
    let seen = server.transcript().len();
    let r = run_client(&net.client_ns, &endpoint, &secrets).await;
    assert_token_lost(&r, "hop limit 1, one hop away");
    // GETs are not limited by the hop limit: the token-less GET's answer arrives.
    assert_eq!(r.step("get_v1")["status"], 200, "{r}");
    assert_eq!(r.step("get_v1")["body"], role.as_str(), "{r}");
    // spec §4.4: a read timeout on the token → IMDSv1, at once, without a second attempt.
    assert_credentials(&r, "fetch", &v1.access_key_id, &v1.expiration.to_string());
    assert_events(
        &r,
        "fetch",
        &[fallback_after_read_timeout()],
        &[token_acquired()],
    );
    assert_took_at_least(&r, "fetch", CLIENT_TIMEOUT);
    // spec §4.6: no token and IMDSv1 disabled stops the chain with an error.
    assert_eq!(
        r.step("fetch_v1_disabled")["debug"],
        format!(
            "{:?}",
            Err::<ImdsOutcome, _>(FetchError::Imds {
                error: ImdsError::V1Disabled,
                cause: None
            })
        ),
        "{r}"
    );
    assert_took_at_least(&r, "fetch_v1_disabled", CLIENT_TIMEOUT);
    let puts = token_puts(&server, seen);
    // One PUT each for the raw request, the fetch (2 attempts allowed, 1 made) and the fetch
    // with IMDSv1 disabled; every one answered 200 by the server, with TTL 1, from the client.
    assert_eq!(peers(&puts), [net.client_ip; 3], "{puts:#?}");
    assert!(answered_with_ttl(&puts, 1), "{puts:#?}");
    let v1_reads = reads_after(&server, seen);
    assert!(
        v1_reads
            .iter()
            .all(|e| e.auth == AuthCheck::Absent && e.status() == Some(200)),
        "the reads were IMDSv1 and answered: {v1_reads:#?}"
    );

    // 3. Hop limit 1, one hop away, tokens required: no token, and IMDSv1 gets 401.
    server
        .update(|s| s.http_tokens = HttpTokens::Required)
        .unwrap();
    let seen = server.transcript().len();
    let r = run_client(&net.client_ns, &endpoint, &secrets).await;
    assert_token_lost(&r, "hop limit 1, one hop away, tokens required");
    assert_eq!(r.step("get_v1")["status"], 401, "{r}");
    assert_eq!(
        r.step("fetch")["debug"],
        format!(
            "{:?}",
            Ok::<_, FetchError>(ImdsOutcome::Unavailable(Unavailable::RetriesExhausted {
                request: RequestKind::RoleName,
                attempts: 2,
                last: Some(AttemptFailure::Status(401)),
            }))
        ),
        "{r}"
    );
    assert_events(
        &r,
        "fetch",
        &[fallback_after_read_timeout()],
        &[token_acquired()],
    );
    let puts = token_puts(&server, seen);
    assert_eq!(peers(&puts), [net.client_ip; 3], "{puts:#?}");
    assert!(answered_with_ttl(&puts, 1), "{puts:#?}");

    // 4. Hop limit 2, one hop away, tokens required: the token arrives.
    server.update(|s| s.hop_limit = 2).unwrap();
    let seen = server.transcript().len();
    let r = run_client(&net.client_ns, &endpoint, &secrets).await;
    assert_token_arrived(&r, "hop limit 2, one hop away");
    assert_eq!(r.step("get_v1")["status"], 401, "{r}");
    assert_credentials(&r, "fetch", &v2.access_key_id, &v2.expiration.to_string());
    assert_events(
        &r,
        "fetch",
        &[token_acquired()],
        &[fallback_after_read_timeout()],
    );
    assert_credentials(
        &r,
        "fetch_v1_disabled",
        &v2.access_key_id,
        &v2.expiration.to_string(),
    );
    let puts = token_puts(&server, seen);
    assert_eq!(peers(&puts), [net.client_ip; 3], "{puts:#?}");
    assert!(answered_with_ttl(&puts, 2), "{puts:#?}");

    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// What the parent expects of a client report.

fn token_acquired() -> String {
    // The server echoes the TTL the client asked for (botocore's and credchain's 21600 s).
    format!(
        "{:?}",
        Event::TokenAcquired {
            ttl_secs: 21_600,
            ttl_from_server: true,
            kept: true
        }
    )
}

fn fallback_after_read_timeout() -> String {
    format!(
        "{:?}",
        Event::FallbackToV1 {
            cause: FallbackCause::ReadTimeout
        }
    )
}

fn assert_token_arrived(r: &Report, case: &str) {
    let put = r.step("put");
    assert_eq!(put["result"], "response", "{case}: {r}");
    assert_eq!(put["status"], 200, "{case}: {r}");
    assert_eq!(put["ttl_echo"], "21600", "{case}: {r}");
    assert!(put["token_len"].as_u64().unwrap() > 0, "{case}: {r}");
}

/// No answer at all within the timeout: not a reset, not a refusal, not a late error.
fn assert_token_lost(r: &Report, case: &str) {
    let put = r.step("put");
    assert_eq!(put["result"], "timeout", "{case}: {r}");
    assert_took_at_least(r, "put", CLIENT_TIMEOUT);
}

fn assert_took_at_least(r: &Report, step: &str, least: Duration) {
    let ms = r.step(step)["ms"].as_u64().unwrap();
    // A little slack for timer granularity.
    let least = u64::try_from(least.as_millis()).unwrap() - 50;
    assert!(
        ms >= least,
        "{step} took {ms} ms, expected at least {least}: {r}"
    );
}

fn assert_credentials(r: &Report, step: &str, access_key_id: &str, expiration: &str) {
    let s = r.step(step);
    assert_eq!(s["result"], "credentials", "{step}: {r}");
    assert_eq!(s["access_key_id"], access_key_id, "{step}: {r}");
    assert_eq!(s["expiration"], expiration, "{step}: {r}");
}

fn assert_events(r: &Report, step: &str, present: &[String], absent: &[String]) {
    let events: Vec<&str> = r.step(step)["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    for e in present {
        assert!(events.contains(&e.as_str()), "{step}: no {e} in {events:?}");
    }
    for e in absent {
        assert!(!events.contains(&e.as_str()), "{step}: {e} in {events:?}");
    }
}

fn token_puts(server: &ServerHandle, from: usize) -> Vec<Exchange> {
    server.transcript()[from..]
        .iter()
        .filter(|e| e.method == "PUT")
        .cloned()
        .collect()
}

fn reads_after(server: &ServerHandle, from: usize) -> Vec<Exchange> {
    server.transcript()[from..]
        .iter()
        .filter(|e| e.method == "GET")
        .cloned()
        .collect()
}

fn peers(exchanges: &[Exchange]) -> Vec<Ipv4Addr> {
    exchanges
        .iter()
        .map(|e| match e.peer {
            SocketAddr::V4(a) => *a.ip(),
            SocketAddr::V6(a) => a.ip().to_ipv4_mapped().unwrap(),
        })
        .collect()
}

/// Whether the server answered every one of these token PUTs with 200 and the socket TTL
/// `ttl`: when the client saw nothing, the answer was sent and lost on the way.
fn answered_with_ttl(puts: &[Exchange], ttl: u32) -> bool {
    puts.iter().all(|e| {
        matches!(e.outcome, Outcome::Answered { status: 200, .. })
            && matches!(e.auth, AuthCheck::Issued { .. })
            && e.socket_ttl == Some(ttl)
    })
}

// ---------------------------------------------------------------------------------------------
// Running the client.

/// A client's report: its steps by name.
struct Report {
    namespace: String,
    steps: BTreeMap<String, Value>,
    stdout: String,
    stderr: String,
}

impl Report {
    fn step(&self, name: &str) -> &Value {
        self.steps
            .get(name)
            .unwrap_or_else(|| panic!("the client reported no step {name:?}: {self}"))
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "client in namespace {}:", self.namespace)?;
        for (name, value) in &self.steps {
            writeln!(f, "  {name}: {value}")?;
        }
        if self.steps.is_empty() {
            writeln!(f, "  stdout: {}", self.stdout)?;
        }
        write!(f, "  stderr: {}", self.stderr.trim_end())
    }
}

/// Starts this test binary in client mode inside `namespace`, and collects its report.
async fn run_client(namespace: &str, endpoint: &str, secrets: &[String]) -> Report {
    let exe = std::env::current_exe().unwrap();
    let mut command = tokio::process::Command::new("ip");
    command
        .args(["netns", "exec", namespace])
        .arg(&exe)
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CLIENT_ENV, endpoint)
        .env_remove(REQUIRE_ENV)
        .kill_on_drop(true);
    let output = tokio::time::timeout(CLIENT_DEADLINE, command.output())
        .await
        .unwrap_or_else(|_| panic!("the client in {namespace} ran past {CLIENT_DEADLINE:?}"))
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let steps = stdout
        .lines()
        // The harness may have written "test … … " on the same line first.
        .filter_map(|l| l.find(MARK).map(|at| &l[at + MARK.len()..]))
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["step"].as_str().unwrap().to_owned(), v)
        })
        .collect();
    let report = Report {
        namespace: namespace.to_owned(),
        steps,
        stdout: stdout.clone(),
        stderr,
    };
    assert!(output.status.success(), "{}: {report}", output.status);
    for secret in secrets {
        assert!(
            !stdout.contains(secret.as_str()) && !report.stderr.contains(secret.as_str()),
            "the client printed a secret"
        );
    }
    println!("{report}");
    report
}

/// The client half: runs inside a namespace, prints one JSON line per step.
mod client {
    use super::*;
    use common::{Conn, Failure, Req};

    pub(super) fn run(endpoint: &str) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(steps(endpoint));
    }

    fn report(step: &str, started: Instant, mut fields: Value) {
        fields["step"] = json!(step);
        fields["ms"] = json!(u64::try_from(started.elapsed().as_millis()).unwrap());
        println!("{MARK}{fields}");
    }

    async fn steps(endpoint: &str) {
        let addr: SocketAddr = endpoint
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap();

        // A raw token PUT, as botocore sends it.
        let started = Instant::now();
        let mut conn = Conn::open(addr).await;
        let put = Req::put("/latest/api/token").header(TTL_HEADER, "21600");
        let fields = match conn.try_send(&put, CLIENT_TIMEOUT).await {
            Ok(r) => json!({
                "result": "response",
                "status": r.status,
                "ttl_echo": r.header(TTL_HEADER),
                "token_len": r.body.len(),
            }),
            Err(Failure::TimedOut) => json!({ "result": "timeout" }),
            Err(other) => json!({ "result": "failure", "detail": format!("{other:?}") }),
        };
        drop(conn);
        report("put", started, fields);

        // A raw token-less GET on a new connection.
        let started = Instant::now();
        let mut conn = Conn::open(addr).await;
        let get = Req::get("/latest/meta-data/iam/security-credentials/");
        let fields = match conn.try_send(&get, CLIENT_TIMEOUT).await {
            Ok(r) => json!({
                "result": "response",
                "status": r.status,
                // The role name; an error page cut short.
                "body": String::from_utf8_lossy(&r.body).chars().take(64).collect::<String>(),
            }),
            Err(Failure::TimedOut) => json!({ "result": "timeout" }),
            Err(other) => json!({ "result": "failure", "detail": format!("{other:?}") }),
        };
        drop(conn);
        report("get_v1", started, fields);

        fetch(endpoint, false, "fetch").await;
        fetch(endpoint, true, "fetch_v1_disabled").await;
    }

    /// A whole fetch with credchain-http: 1 s timeout, 2 attempts per request.
    async fn fetch(endpoint: &str, v1_disabled: bool, step: &str) {
        let config = ImdsConfig {
            endpoint: Endpoint::custom(endpoint).unwrap(),
            timeout_secs: 1,
            attempts: 2,
            v1_disabled,
            ..ImdsConfig::default()
        };
        let mut fetcher = ImdsFetcher::new(config);
        let started = Instant::now();
        let out = fetcher.role_credentials().await;
        let events: Vec<String> = fetcher.events().iter().map(|e| format!("{e:?}")).collect();
        // Debug output of the outcome redacts the secrets (credchain_http::Secret).
        let mut fields = json!({ "events": events, "debug": format!("{out:?}") });
        match &out {
            Ok(ImdsOutcome::Credentials(c)) => {
                fields["result"] = json!("credentials");
                fields["access_key_id"] = json!(c.credentials.access_key_id);
                fields["expiration"] = json!(c.credentials.expiration.to_string());
            }
            Ok(ImdsOutcome::Unavailable(why)) => {
                fields["result"] = json!("unavailable");
                fields["why"] = json!(why.to_string());
            }
            Ok(other) => fields["result"] = json!(format!("other: {other:?}")),
            Err(e) => {
                fields["result"] = json!("error");
                fields["why"] = json!(e.to_string());
            }
        }
        report(step, started, fields);
    }
}

// ---------------------------------------------------------------------------------------------
// The network.

/// Why the test cannot run here.
#[derive(Debug)]
struct Unsupported(String);

/// Two namespaces and two veth pairs, deleted on drop.
struct Topology {
    client_ns: String,
    router_ns: String,
    /// The veth end in this process's namespace (deleting it deletes its peer and the route).
    server_link: String,
    server_ip: Ipv4Addr,
    router_server_ip: Ipv4Addr,
    client_ip: Ipv4Addr,
    /// What was made, for the guard.
    made_namespaces: Vec<String>,
    made_link: bool,
}

/// Runs `ip` with `args`; the error is its standard error.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed ({}): {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip_output(args: &[&str]) -> String {
    Command::new("ip")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

impl Topology {
    fn create() -> Result<Topology, Unsupported> {
        let pid = std::process::id();
        let base = free_block(pid).map_err(Unsupported)?;
        let at = |n: u32| Ipv4Addr::from(u32::from(base) + n);
        let tag = format!("cc{pid}");
        let mut t = Topology {
            client_ns: format!("{tag}-client"),
            router_ns: format!("{tag}-router"),
            server_link: format!("{tag}-s"),
            // Two /30s: server side .0/30, client side .4/30.
            server_ip: at(1),
            router_server_ip: at(2),
            client_ip: at(6),
            made_namespaces: Vec::new(),
            made_link: false,
        };
        // The first step tells whether namespaces are possible here at all.
        ip(&["netns", "add", &t.client_ns]).map_err(Unsupported)?;
        t.made_namespaces.push(t.client_ns.clone());
        t.build(&tag, at(5)).map_err(Unsupported)?;
        Ok(t)
    }

    fn build(&mut self, tag: &str, router_client_ip: Ipv4Addr) -> Result<(), String> {
        let (client, router) = (self.client_ns.clone(), self.router_ns.clone());
        let server_link = self.server_link.clone();
        let router_server_link = format!("{tag}-rs");
        let router_client_link = format!("{tag}-rc");
        let client_link = format!("{tag}-c");
        let cidr = |a: Ipv4Addr| format!("{a}/30");

        ip(&["netns", "add", &router])?;
        self.made_namespaces.push(router.clone());
        ip(&[
            "link",
            "add",
            &server_link,
            "type",
            "veth",
            "peer",
            "name",
            &router_server_link,
            "netns",
            &router,
        ])?;
        self.made_link = true;
        ip(&[
            "-n",
            &router,
            "link",
            "add",
            &router_client_link,
            "type",
            "veth",
            "peer",
            "name",
            &client_link,
            "netns",
            &client,
        ])?;
        ip(&["addr", "add", &cidr(self.server_ip), "dev", &server_link])?;
        ip(&["link", "set", &server_link, "up"])?;
        for (ns, link, addr) in [
            (&router, &router_server_link, self.router_server_ip),
            (&router, &router_client_link, router_client_ip),
            (&client, &client_link, self.client_ip),
        ] {
            ip(&["-n", ns, "addr", "add", &cidr(addr), "dev", link])?;
            ip(&["-n", ns, "link", "set", link, "up"])?;
        }
        for ns in [&router, &client] {
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        ip(&[
            "-n",
            &client,
            "route",
            "add",
            "default",
            "via",
            &router_client_ip.to_string(),
        ])?;
        // Forwarding is per namespace: only the router's is switched on.
        // (A shell rather than sysctl(8), which minimal images lack.)
        ip(&[
            "netns",
            "exec",
            &router,
            "sh",
            "-c",
            "echo 1 > /proc/sys/net/ipv4/ip_forward",
        ])?;
        // Back to the client through the router; the route goes with the link.
        let client_net = format!("{}/30", Ipv4Addr::from(u32::from(self.client_ip) & !3));
        ip(&[
            "route",
            "add",
            &client_net,
            "via",
            &self.router_server_ip.to_string(),
            "dev",
            &server_link,
        ])?;
        Ok(())
    }

    fn remove(&mut self) -> Vec<String> {
        let mut errors = Vec::new();
        if self.made_link {
            if let Err(e) = ip(&["link", "del", &self.server_link]) {
                errors.push(e);
            }
            self.made_link = false;
        }
        for ns in self.made_namespaces.drain(..).rev() {
            if let Err(e) = ip(&["netns", "del", &ns]) {
                errors.push(e);
            }
        }
        errors
    }

    /// Removes everything and checks that nothing of it is left.
    fn teardown_and_check(mut self) {
        let errors = self.remove();
        assert!(errors.is_empty(), "teardown: {errors:?}");
        let namespaces = ip_output(&["netns", "list"]);
        for ns in [&self.client_ns, &self.router_ns] {
            assert!(
                !namespaces
                    .lines()
                    .any(|l| l.split_whitespace().next() == Some(ns)),
                "{ns} left behind"
            );
        }
        assert!(
            ip(&["link", "show", "dev", &self.server_link]).is_err(),
            "{} left behind",
            self.server_link
        );
        let routes = ip_output(&["-4", "route", "show"]);
        assert!(
            !routes.contains(&self.router_server_ip.to_string()),
            "route left behind: {routes}"
        );
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        for e in self.remove() {
            let _ = writeln!(std::io::stderr(), "hop-limit test teardown: {e}");
        }
    }
}

/// A /29 chosen from the process id that overlaps no route or address this namespace already
/// has: in 10.32.0.0/11, else in 169.254.64.0/18 (link-local, clear of IMDS's 169.254.169.254
/// and the container endpoints' 169.254.170.x).
fn free_block(pid: u32) -> Result<Ipv4Addr, String> {
    let taken: Vec<(u32, u32)> = ip_output(&["-4", "route", "show", "table", "all"])
        .lines()
        .chain(ip_output(&["-4", "-o", "addr", "show"]).lines())
        .flat_map(|l| l.split_whitespace().filter_map(prefix).take(1))
        .collect();
    let overlaps = |net: u32, (other, other_len): (u32, u32)| {
        let common = other_len.min(29);
        let mask = if common == 0 {
            0
        } else {
            u32::MAX << (32 - common)
        };
        net & mask == other & mask
    };
    let ranges = [
        (Ipv4Addr::new(10, 32, 0, 0), 1u32 << 18),
        (Ipv4Addr::new(169, 254, 64, 0), 1u32 << 11),
    ];
    for (start, blocks) in ranges {
        for i in 0..64u32 {
            let n = pid.wrapping_add(i.wrapping_mul(7919)) % blocks;
            let net = u32::from(start) + (n << 3);
            if !taken.iter().any(|&t| overlaps(net, t)) {
                return Ok(Ipv4Addr::from(net));
            }
        }
    }
    Err("every candidate /29 in 10.32.0.0/11 and 169.254.64.0/18 overlaps a route here".to_owned())
}

/// `a.b.c.d` or `a.b.c.d/len`, as (address, prefix length).
fn prefix(token: &str) -> Option<(u32, u32)> {
    let (addr, len) = match token.split_once('/') {
        Some((a, l)) => (a, l.parse().ok()?),
        None => (token, 32),
    };
    let addr: Ipv4Addr = addr.parse().ok()?;
    (len <= 32).then_some((u32::from(addr), len))
}
