//! The container credentials machine (`credchain_core::container`) in virtual time.
//!
//! - `ecs_conformance`: the 11 cases of `ecs-tests.json`, each also asked of botocore's
//!   `ContainerProvider`; where the suite and botocore disagree botocore wins, and the test
//!   checks that they really disagree.
//! - `botocore_*`: botocore's `ContainerMetadataFetcher` against a scripted HTTP stub on
//!   127.0.0.1 (its `sleep` recorded instead of slept), and the machine against the same script
//!   in memory: same requests, same pauses, same result or error message.
//! - the rest: retries and pauses, timeouts, the failures that end a fetch at once, headers,
//!   the host allow-list and the token rules.
//!
//! python3 with botocore 1.43.11 is needed for the botocore tests; set `CREDCHAIN_SKIP_BOTOCORE=1`
//! to skip them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::VecDeque;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use credchain_core::container::{
    AttemptFailure, AuthToken, ContainerClient, ContainerConfig, ContainerConfigError,
    ContainerEnv, ContainerError, Event, Outcome, Status, UriSource,
};
use credchain_core::http::{Instant, Response, TransportError};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Counting allocator: machine steps must not allocate.

#[global_allocator]
static GLOBAL: credchain_tests::alloc::CountingAllocator =
    credchain_tests::alloc::CountingAllocator;

use credchain_tests::alloc::no_alloc;

// ---------------------------------------------------------------------------------------------
// A scripted endpoint and the driver.

#[derive(Debug, Clone)]
enum Reply {
    Http(u16, Vec<u8>, Duration),
    Fail(TransportError),
    Silence,
}

fn http(status: u16, body: &str) -> Reply {
    Reply::Http(status, body.as_bytes().to_vec(), Duration::ZERO)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    target: String,
    host: String,
    port: u16,
    accept: Option<String>,
    authorization: Option<String>,
    at: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Credentials {
        akid: String,
        account: Option<String>,
    },
    Failed(String, ContainerError),
}

struct Run {
    got: Got,
    seen: Vec<Seen>,
    events: Vec<Event>,
    /// Instants at which the machine asked to pause, and until when.
    pauses: Vec<(Duration, Duration)>,
    end: Duration,
}

fn own(o: Outcome<'_>) -> Got {
    match o {
        Outcome::Credentials(c) => Got::Credentials {
            akid: c.credentials.access_key_id.chars().collect(),
            account: c.credentials.account_id.map(|a| a.chars().collect()),
        },
        Outcome::Failed(e) => Got::Failed(e.to_string(), e),
    }
}

enum Owned {
    Transmit,
    Awaiting(Instant),
    Pause(Instant),
    Done(Got),
    Idle,
}

fn owned(s: Status<'_>) -> Owned {
    match s {
        Status::Transmit => Owned::Transmit,
        Status::AwaitingResponse { deadline } => Owned::Awaiting(deadline),
        Status::Pause { until } => Owned::Pause(until),
        Status::Done(o) => Owned::Done(own(o)),
        Status::Idle => Owned::Idle,
    }
}

fn drive(config: ContainerConfig<'_>, replies: Vec<Reply>) -> Run {
    let mut script: VecDeque<Reply> = replies.into();
    let mut client = ContainerClient::new(config);
    let mut clock = Duration::ZERO;
    let mut seen = Vec::new();
    let mut events = Vec::new();
    let mut pauses = Vec::new();
    let mut buf = vec![0u8; 2048];
    let at = |c: Duration| Instant::from_duration(c);
    let mut status = owned(no_alloc("start", || client.start(at(clock))));
    for _ in 0..100 {
        while let Some(e) = client.poll() {
            events.push(e);
        }
        status = match status {
            Owned::Done(got) => {
                return Run {
                    got,
                    seen,
                    events,
                    pauses,
                    end: clock,
                };
            }
            Owned::Idle => panic!("idle before an outcome"),
            Owned::Pause(until) => {
                assert_eq!(client.poll_timeout(), Some(until));
                pauses.push((clock, until.since_origin()));
                // Waking early changes nothing.
                assert!(matches!(
                    client.handle_timeout(at(clock)),
                    Status::Pause { .. }
                ));
                clock = until.since_origin();
                owned(no_alloc("handle_timeout", || {
                    client.handle_timeout(at(clock))
                }))
            }
            Owned::Awaiting(deadline) => {
                clock = deadline.since_origin();
                owned(no_alloc("handle_timeout", || {
                    client.handle_timeout(at(clock))
                }))
            }
            Owned::Transmit => {
                let now = at(clock);
                let (id, deadline, s) = {
                    let tx = no_alloc("poll_transmit", || client.poll_transmit(now, &mut buf))
                        .unwrap()
                        .unwrap();
                    assert_eq!(tx.timeout, Duration::from_secs(2));
                    let s = Seen {
                        target: tx.target.to_owned(),
                        host: tx.host.to_owned(),
                        port: tx.port,
                        accept: tx.header("accept").map(str::to_owned),
                        authorization: tx.header("authorization").map(str::to_owned),
                        at: clock,
                    };
                    (tx.id, tx.deadline, s)
                };
                seen.push(s);
                match script
                    .pop_front()
                    .unwrap_or_else(|| http(599, "script exhausted"))
                {
                    Reply::Http(status, body, delay) => {
                        if clock + delay >= deadline.since_origin() {
                            clock = deadline.since_origin();
                            owned(client.handle_timeout(at(clock)))
                        } else {
                            clock += delay;
                            let t = at(clock);
                            owned(no_alloc("handle_response", || {
                                client.handle_response(t, id, Ok(Response::new(status, &body)))
                            }))
                        }
                    }
                    Reply::Fail(e) => owned(no_alloc("handle_response", || {
                        client.handle_response(at(clock), id, Err(e))
                    })),
                    Reply::Silence => Owned::Awaiting(deadline),
                }
            }
        };
    }
    panic!("no outcome within 100 steps");
}

fn with_config<R>(env: ContainerEnv<'_>, f: impl FnOnce(ContainerConfig<'_>) -> R) -> R {
    let mut buf = vec![0u8; 1024];
    let cfg = ContainerConfig::from_env(&env, &mut buf).unwrap().unwrap();
    f(cfg)
}

fn full(uri: &str) -> ContainerEnv<'_> {
    ContainerEnv {
        full_uri: Some(uri),
        ..Default::default()
    }
}

const GOOD: &str = r#"{"RoleArn":"arn:aws:iam::123456789012:role/task","AccessKeyId":"ASIAC","SecretAccessKey":"s","Token":"t","AccountId":"123456789012","Expiration":"2030-01-01T00:00:00Z"}"#;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

// ---------------------------------------------------------------------------------------------
// Retries and pauses (spec §6).

#[test]
fn success_at_once() {
    let r = with_config(full("http://127.0.0.1:8080/creds?x=1"), |c| {
        drive(c, vec![http(200, GOOD)])
    });
    assert_eq!(
        r.got,
        Got::Credentials {
            akid: "ASIAC".into(),
            account: Some("123456789012".into())
        }
    );
    assert_eq!(r.seen.len(), 1);
    let s = &r.seen[0];
    assert_eq!(
        (s.host.as_str(), s.port, s.target.as_str()),
        ("127.0.0.1", 8080, "/creds?x=1")
    );
    assert_eq!(s.accept.as_deref(), Some("application/json"));
    assert_eq!(s.authorization, None);
    assert!(r.pauses.is_empty());
}

#[test]
fn three_attempts_one_second_apart_and_a_pause_after_the_last() {
    let r = with_config(full("http://localhost/c"), |c| {
        drive(
            c,
            vec![http(500, "boom"), http(503, "busy"), http(500, "down")],
        )
    });
    let at: Vec<_> = r.seen.iter().map(|s| s.at).collect();
    assert_eq!(at, [secs(0), secs(1), secs(2)]);
    assert_eq!(
        r.pauses,
        [(secs(0), secs(1)), (secs(1), secs(2)), (secs(2), secs(3))]
    );
    assert_eq!(r.end, secs(3));
    let Got::Failed(msg, ContainerError::RetrievalFailed { attempts: 3, .. }) = &r.got else {
        panic!("{:?}", r.got)
    };
    assert_eq!(
        msg,
        "Error when retrieving credentials from container-role: Error retrieving metadata: \
         Received non 200 response 500 from container metadata: down"
    );
    assert_eq!(r.events.len(), 3);
    assert!(matches!(
        r.events[2],
        Event::AttemptFailed {
            attempt: 3,
            retrying: false,
            ..
        }
    ));
}

#[test]
fn recovers_on_a_later_attempt() {
    let r = with_config(full("http://localhost/c"), |c| {
        drive(
            c,
            vec![http(500, ""), http(200, "not json"), http(200, GOOD)],
        )
    });
    assert!(matches!(r.got, Got::Credentials { .. }));
    assert_eq!(r.seen.len(), 3);
    assert_eq!(r.end, secs(2));
    assert!(matches!(
        r.events[1],
        Event::AttemptFailed {
            failure: AttemptFailure::InvalidJson,
            ..
        }
    ));
}

#[test]
fn invalid_json_and_transport_failures_are_retried() {
    let r = with_config(full("http://localhost/c"), |c| {
        drive(c, vec![http(200, "{"), http(200, "{"), http(200, "")])
    });
    let Got::Failed(msg, _) = &r.got else {
        panic!()
    };
    assert!(msg.ends_with("Unable to parse JSON returned from container metadata services"));
    for e in [
        TransportError::ConnectFailed,
        TransportError::ConnectTimeout,
        TransportError::ReadTimeout,
        TransportError::ConnectionClosed,
    ] {
        let r = with_config(full("http://localhost/c"), |c| {
            drive(c, vec![Reply::Fail(e), Reply::Fail(e), Reply::Fail(e)])
        });
        assert_eq!(r.seen.len(), 3, "{e:?}");
        let Got::Failed(msg, _) = &r.got else {
            panic!()
        };
        assert!(
            msg.contains("Received error when attempting to retrieve container metadata"),
            "{msg}"
        );
    }
    // No answer at all: the machine's deadline (connect + read = 4 s) ends each attempt.
    let r = with_config(full("http://localhost/c"), |c| {
        drive(
            c,
            vec![
                Reply::Silence,
                Reply::Http(200, GOOD.into(), secs(5)),
                http(200, GOOD),
            ],
        )
    });
    assert!(matches!(r.got, Got::Credentials { .. }));
    let at: Vec<_> = r.seen.iter().map(|s| s.at).collect();
    assert_eq!(at, [secs(0), secs(5), secs(10)]);
}

#[test]
fn failures_that_end_the_fetch_at_once() {
    let once = |reply: Reply| with_config(full("http://localhost/c"), |c| drive(c, vec![reply]));
    // A missing key: KeyError in botocore, no retry.
    let r = once(http(
        200,
        r#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2030-01-01T00:00:00Z"}"#,
    ));
    assert!(matches!(
        r.got,
        Got::Failed(_, ContainerError::MissingKey { key: "Token" })
    ));
    assert_eq!(r.seen.len(), 1);
    // JSON but not an object.
    let r = once(http(200, "[1]"));
    assert!(matches!(r.got, Got::Failed(_, ContainerError::Document(_))));
    // A body that is not UTF-8, even with an error status: Python decodes before it looks.
    let r = once(Reply::Http(500, vec![0xff, 0xfe], Duration::ZERO));
    assert!(matches!(r.got, Got::Failed(_, ContainerError::NotUtf8)));
    assert!(r.pauses.is_empty());
    // A transport error that is not retried.
    let r = once(Reply::Fail(TransportError::Other));
    assert!(matches!(
        r.got,
        Got::Failed(_, ContainerError::Transport(TransportError::Other))
    ));
}

#[test]
fn long_error_bodies_are_quoted_in_part() {
    let body = "e".repeat(1000);
    let r = with_config(full("http://localhost/c"), |c| {
        drive(
            c,
            vec![http(500, &body), http(500, &body), http(500, &body)],
        )
    });
    let Got::Failed(msg, _) = &r.got else {
        panic!()
    };
    assert!(msg.ends_with("… (1000 bytes in all)"), "{msg}");
}

#[test]
fn late_and_foreign_replies_are_ignored() {
    with_config(full("http://localhost/c"), |cfg| {
        let mut client = ContainerClient::new(cfg);
        let mut buf = [0u8; 256];
        let t0 = Instant::ZERO;
        assert_eq!(client.start(t0), Status::Transmit);
        let (id, deadline) = {
            let tx = client.poll_transmit(t0, &mut buf).unwrap().unwrap();
            (tx.id, tx.deadline)
        };
        assert_eq!(deadline, Instant::from_secs(4));
        let st = client.handle_timeout(deadline);
        let Status::Pause { until } = st else {
            panic!("{st:?}")
        };
        // The reply to the timed-out request arrives: ignored.
        assert_eq!(
            client.handle_response(deadline, id, Ok(Response::new(200, GOOD.as_bytes()))),
            Status::Pause { until }
        );
        assert_eq!(client.handle_timeout(until), Status::Transmit);
    });
}

// ---------------------------------------------------------------------------------------------
// Headers, tokens, URLs.

#[test]
fn authorization_header_and_token_rules() {
    let env = ContainerEnv {
        relative_uri: Some("/v2/credentials/abc"),
        auth_token: Some(AuthToken::File("Bearer abc\n")),
        ..Default::default()
    };
    let r = with_config(env, |c| {
        assert_eq!(c.source(), UriSource::Relative);
        drive(c, vec![http(200, GOOD)])
    });
    let s = &r.seen[0];
    assert_eq!(s.authorization.as_deref(), Some("Bearer abc"));
    assert_eq!(
        (s.host.as_str(), s.port, s.target.as_str()),
        ("169.254.170.2", 80, "/v2/credentials/abc")
    );
    // From the variable: not trimmed, so a newline is an error (as in botocore).
    let env = ContainerEnv {
        relative_uri: Some("/c"),
        auth_token: Some(AuthToken::Env("abc\n")),
        ..Default::default()
    };
    let mut buf = [0u8; 64];
    let e = ContainerConfig::from_env(&env, &mut buf).unwrap_err();
    assert_eq!(e, ContainerConfigError::IllegalToken);
    assert_eq!(
        e.to_string(),
        "Auth token value is not a legal header value"
    );
    // `resolve`: the file wins over the variable.
    let vars = [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost/x"),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/token"),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "from-env"),
    ];
    let env = ContainerEnv::resolve(
        |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| *v),
        |path| (path == "/token").then_some("from-file\r\n"),
    );
    assert_eq!(env.auth_token, Some(AuthToken::File("from-file\r\n")));
    let mut buf = [0u8; 64];
    let cfg = ContainerConfig::from_env(&env, &mut buf).unwrap().unwrap();
    assert_eq!(cfg.authorization(), Some("from-file"));
}

#[test]
fn empty_relative_uri_is_a_get_of_slash() {
    let env = ContainerEnv {
        relative_uri: Some(""),
        full_uri: Some("http://localhost:1/ignored"),
        ..Default::default()
    };
    let r = with_config(env, |c| {
        assert_eq!(c.url(), "http://169.254.170.2");
        drive(c, vec![http(200, GOOD)])
    });
    assert_eq!(r.seen[0].target, "/");
    assert_eq!(r.seen[0].host, "169.254.170.2");
}

// ---------------------------------------------------------------------------------------------
// Conformance: ecs-tests.json, with botocore as the referee.

/// Cases where the suite (written for the AWS SDK for Rust) and botocore disagree, and why.
const CONTRADICTIONS: [(&str, &str); 2] = [
    (
        "all fields unset provider is not enabled",
        "botocore's provider does not apply (returns None, the chain goes on); it raises nothing",
    ),
    (
        "invalid full uri",
        "botocore raises ValueError(\"Unsupported host 'None'. ...\"), not the Rust SDK's \
         'URI did not specify a host'",
    ),
];

const BOTOCORE_ECS: &str = r#"
import json, sys
from botocore.credentials import ContainerProvider
from botocore.utils import ContainerMetadataFetcher
out = []
for env in json.load(sys.stdin):
    f = ContainerMetadataFetcher()
    seen = {}
    def fake(url, headers=None):
        seen['url'] = url
        return {"AccessKeyId": "A", "SecretAccessKey": "S", "Token": "T", "Expiration": "2030-01-01T00:00:00Z"}
    f._retrieve_credentials = fake
    try:
        r = ContainerProvider(environ=env, fetcher=f).load()
        out.append({'Ok': seen['url']} if r else {'None': True})
    except Exception as e:
        out.append({'Err': str(e)})
print(json.dumps(out))
"#;

fn skip_botocore() -> bool {
    std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some()
}

fn python(script: &str, input: &Value) -> Value {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}): install python3 and botocore==1.43.11, or set CREDCHAIN_SKIP_BOTOCORE=1")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("python printed JSON")
}

/// credchain on one environment: `Ok(Some(url))`, `Ok(None)` (not configured), or the error.
fn credchain_ecs(env: &Value) -> Result<Option<String>, String> {
    let get = |k: &str| env[k].as_str();
    let env = ContainerEnv::resolve(get, |_| None);
    let mut buf = [0u8; 512];
    match ContainerConfig::from_env(&env, &mut buf) {
        Ok(Some(c)) => Ok(Some(c.url().to_owned())),
        Ok(None) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn ecs_conformance() {
    let path = credchain_tests::testdata("ecs-tests.json");
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let cases = suite["tests"].as_array().unwrap();
    assert_eq!(cases.len(), 11);
    let botocore = if skip_botocore() {
        None
    } else {
        let envs: Vec<Value> = cases.iter().map(|c| c["env"].clone()).collect();
        Some(python(BOTOCORE_ECS, &Value::Array(envs)))
    };
    let mut failures = Vec::new();
    let mut contradicted = 0;
    for (i, case) in cases.iter().enumerate() {
        let name = case["docs"].as_str().unwrap();
        let ours = credchain_ecs(&case["env"]);
        let want = &case["result"];
        let suite_agrees = match (&ours, want.get("Ok"), want.get("ErrorContains")) {
            (Ok(Some(url)), Some(Value::String(w)), _) => url == w,
            (Err(msg), _, Some(Value::String(w))) => msg.contains(w.as_str()),
            _ => false,
        };
        let contradiction = CONTRADICTIONS.iter().find(|(n, _)| *n == name);
        match (suite_agrees, contradiction) {
            (true, None) => {}
            (false, Some(_)) => contradicted += 1,
            (true, Some(_)) => {
                failures.push(format!("{name}: listed as a contradiction but agrees"))
            }
            (false, None) => failures.push(format!("{name}: got {ours:?}, suite wants {want}")),
        }
        if let Some(b) = &botocore {
            let b = &b[i];
            let agrees = match (&ours, b.get("Ok"), b.get("Err"), b.get("None")) {
                (Ok(Some(url)), Some(Value::String(w)), _, _) => url == w,
                (Err(msg), _, Some(Value::String(w)), _) => msg == w,
                (Ok(None), _, _, Some(_)) => true,
                _ => false,
            };
            if !agrees {
                failures.push(format!("{name}: got {ours:?}, botocore {b}"));
            }
            if contradiction.is_some() {
                let botocore_agrees_with_suite = match (
                    b.get("Ok"),
                    want.get("Ok"),
                    b.get("Err"),
                    want.get("ErrorContains"),
                ) {
                    (Some(x), Some(y), _, _) => x == y,
                    (_, _, Some(Value::String(x)), Some(Value::String(y))) => {
                        x.contains(y.as_str())
                    }
                    _ => false,
                };
                if botocore_agrees_with_suite {
                    failures.push(format!("{name}: botocore agrees with the suite"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(contradicted, CONTRADICTIONS.len());
}

/// More URLs, asked of botocore's allow-list and of credchain's.
#[test]
fn botocore_allow_list_agrees() {
    if skip_botocore() {
        return;
    }
    let uris = [
        "http://127.0.0.1/x",
        "http://127.0.0.01/x",
        "http://127.255.255.255:1/",
        "http://[::1]/",
        "http://[::1%lo]:80/",
        "http://[0:0:0:0:0:0:0:1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.170.2/x",
        "http://169.254.170.23/x",
        "http://169.254.170.3/x",
        "http://[fd00:ec2::23]/x",
        "http://[FD00:EC2::23]/x",
        "http://[fd00:ec2:0::23]/x",
        "http://localhost/x",
        "http://LocalHost:9/x",
        "http://localhost./x",
        "http://u:p@localhost/x",
        "http://evil@169.254.170.2@example.com/",
        "https://example.com/x",
        "HTTPS://example.com/x",
        "ftp://localhost/x",
        "http://example.com/x",
        "http://10.0.0.1/x",
        "",
        "/credentials",
        "localhost/x",
        "//localhost/x",
        " http://localhost/x",
        "http://local\thost/x",
        "http://[::1/",
    ];
    let input = Value::Array(
        uris.iter()
            .map(|u| json!({"AWS_CONTAINER_CREDENTIALS_FULL_URI": u}))
            .collect(),
    );
    let botocore = python(BOTOCORE_ECS, &input);
    let mut failures = Vec::new();
    for (i, uri) in uris.iter().enumerate() {
        let ours = credchain_ecs(&input[i]);
        let b = &botocore[i];
        // Allowed or refused alike; for the host check, the same message.
        let same = match (&ours, b.get("Ok"), b.get("Err")) {
            (Ok(Some(_)), Some(_), _) => true,
            (Err(msg), _, Some(Value::String(w))) if w.starts_with("Unsupported host") => msg == w,
            (Err(_), _, Some(_)) => true,
            // botocore allows it, urllib3 would then refuse the scheme; credchain refuses at once.
            (Err(msg), Some(_), _) if uri.starts_with("ftp:") => msg.contains("scheme"),
            _ => false,
        };
        if !same {
            failures.push(format!("{uri:?}: credchain {ours:?}, botocore {b}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        uris.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// botocore as a peer: same script, same requests, same pauses, same result.

/// A scripted scenario: name, path, token, replies in order.
type Scenario<'s> = (&'s str, &'s str, Option<&'s str>, Vec<(u16, &'s str)>);

const BOTOCORE_FETCH: &str = r#"
import json, sys, threading, http.server, socketserver
from botocore.credentials import ContainerProvider
from botocore.utils import ContainerMetadataFetcher
results = []
for sc in json.load(sys.stdin):
    script = list(sc['replies']); log = []; sleeps = []
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        def log_message(self, *a): pass
        def do_GET(self):
            log.append({'target': self.path, 'accept': self.headers.get('Accept'),
                        'authorization': self.headers.get('Authorization')})
            status, body = script.pop(0) if script else (599, 'script exhausted')
            body = body.encode()
            self.send_response(status)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers(); self.wfile.write(body)
    class S(socketserver.ThreadingMixIn, socketserver.TCPServer):
        daemon_threads = True
        block_on_close = False
    srv = S(('127.0.0.1', 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = {'AWS_CONTAINER_CREDENTIALS_FULL_URI': 'http://127.0.0.1:%d%s' % (srv.server_address[1], sc['path'])}
    if sc.get('token') is not None: env['AWS_CONTAINER_AUTHORIZATION_TOKEN'] = sc['token']
    fetcher = ContainerMetadataFetcher(sleep=lambda s: sleeps.append(s))
    try:
        c = ContainerProvider(environ=env, fetcher=fetcher).load()
        res = {'access_key': c.access_key, 'account_id': c.account_id}
    except Exception as e:
        res = {'error': str(e), 'type': type(e).__name__}
    fetcher._session.close(); srv.shutdown(); srv.server_close()
    results.append({'requests': log, 'sleeps': sleeps, 'result': res})
print(json.dumps(results))
"#;

#[test]
fn botocore_sends_the_same_requests_and_reaches_the_same_result() {
    if skip_botocore() {
        return;
    }
    let missing =
        r#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2030-01-01T00:00:00Z"}"#;
    let scenarios: Vec<Scenario<'_>> = vec![
        ("ok", "/creds", None, vec![(200, GOOD)]),
        (
            "ok with token",
            "/creds?a=1",
            Some("Bearer xyz"),
            vec![(200, GOOD)],
        ),
        ("500 then ok", "/c", None, vec![(500, "oops"), (200, GOOD)]),
        (
            "500 ×3",
            "/c",
            None,
            vec![(500, "a"), (502, "b"), (500, "last body")],
        ),
        (
            "404 ×3",
            "/c",
            None,
            vec![(404, ""), (404, ""), (404, "{\"message\":\"no\"}")],
        ),
        (
            "bad JSON ×3",
            "/c",
            None,
            vec![(200, "{"), (200, "x"), (200, "")],
        ),
        (
            "bad JSON then 500 then 500",
            "/c",
            None,
            vec![(200, "{"), (500, "x"), (503, "y")],
        ),
        ("missing key", "/c", None, vec![(200, missing)]),
        ("odd path", "/a b;c?d e", None, vec![(200, GOOD)]),
    ];
    let input = Value::Array(
        scenarios
            .iter()
            .map(|(_, path, token, replies)| {
                json!({"path": path, "token": token,
                       "replies": replies.iter().map(|(s, b)| json!([s, b])).collect::<Vec<_>>()})
            })
            .collect(),
    );
    let botocore = python(BOTOCORE_FETCH, &input);
    let mut failures = Vec::new();
    for (i, (name, path, token, replies)) in scenarios.iter().enumerate() {
        let uri = format!("http://127.0.0.1:9{path}");
        let env = ContainerEnv {
            full_uri: Some(&uri),
            auth_token: token.map(AuthToken::Env),
            ..Default::default()
        };
        let r = with_config(env, |c| {
            drive(c, replies.iter().map(|(s, b)| http(*s, b)).collect())
        });
        let theirs = &botocore[i];
        let ours_requests: Vec<Value> = r
            .seen
            .iter()
            .map(|s| json!({"target": s.target, "accept": s.accept, "authorization": s.authorization}))
            .collect();
        if Value::Array(ours_requests.clone()) != theirs["requests"] {
            failures.push(format!(
                "{name}: requests differ\n  credchain {}\n  botocore  {}",
                Value::Array(ours_requests),
                theirs["requests"]
            ));
        }
        let our_sleeps: Vec<Value> = r
            .pauses
            .iter()
            .map(|(from, to)| json!((*to - *from).as_secs()))
            .collect();
        if Value::Array(our_sleeps.clone()) != theirs["sleeps"] {
            failures.push(format!(
                "{name}: pauses {our_sleeps:?}, botocore {}",
                theirs["sleeps"]
            ));
        }
        let res = &theirs["result"];
        let same = match &r.got {
            Got::Credentials { akid, account } => {
                res["access_key"] == json!(akid) && res["account_id"] == json!(account)
            }
            Got::Failed(_, ContainerError::MissingKey { key }) => {
                res["type"] == "KeyError" && res["error"] == json!(format!("'{key}'"))
            }
            Got::Failed(msg, _) => res["error"] == json!(msg),
        };
        if !same {
            failures.push(format!("{name}: credchain {:?}, botocore {res}", r.got));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        scenarios.len(),
        failures.join("\n")
    );
}

#[test]
fn the_counting_allocator_is_installed() {
    credchain_tests::alloc::assert_installed();
}
