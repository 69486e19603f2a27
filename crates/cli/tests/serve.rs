//! `credchain serve imds|container` as a real process: the `export` lines it prints, clients
//! fetching from it (botocore 1.43.11 through python3, credchain's own `explain`, raw HTTP for
//! the status codes), its request log on standard error, stopping it (end of standard input,
//! SIGTERM), and bad arguments (exit status 2, clap's message).
//!
//! Every server is started with `--stop-on-stdin-eof` unless the test is about signals, and
//! every wait is bounded: a server that does not print its address or does not stop fails the
//! test instead of hanging it. `CREDCHAIN_SKIP_BOTOCORE=1` skips the botocore parts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;
use common::server::{BIN, PATIENCE, Server, base_env, botocore, skip_botocore};

const FIXED_KEY: &str = "ASIASERVEFIXED000001";
const FIXED_SECRET: &str = "serveFixedSecretNeverLogged0123456789abcd";
const FIXED_TOKEN: &str = "serveFixedSessionTokenNeverLogged==";

/// A raw HTTP/1.1 request on a new connection; the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).unwrap().parse().unwrap();
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// botocore's default session: which source it used and what it got.
const GET_CREDENTIALS: &str = r#"
import json, botocore, botocore.session
assert botocore.__version__ == "1.43.11", botocore.__version__
c = botocore.session.Session().get_credentials()
f = c.get_frozen_credentials()
print(json.dumps({"method": c.method, "key": f.access_key, "secret": f.secret_key,
                  "token": f.token,
                  "expiry": c._expiry_time.strftime("%Y-%m-%dT%H:%M:%SZ")}))
"#;

/// `credchain explain` with `env`.
fn explain(env: &[(String, String)]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .arg("explain")
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The lines of `text` from the one starting with `first` up to the next blank line.
fn block<'t>(text: &'t str, first: &str) -> Vec<&'t str> {
    text.lines()
        .skip_while(|l| !l.starts_with(first))
        .take_while(|l| !l.is_empty())
        .collect()
}

/// The request log lines of a server's stderr, without the time and the peer.
fn requests(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("credchain serve: "))
        .filter(|l| l.contains(" -> "))
        .map(|l| l.splitn(3, ' ').nth(2).unwrap().to_owned())
        .collect()
}

#[test]
fn imds_with_fixed_credentials_serves_botocore_and_credchain() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("secret"), format!("{FIXED_SECRET}\n")).unwrap();
    std::fs::write(home.path().join("token"), FIXED_TOKEN).unwrap();
    let secret_file = home.path().join("secret").display().to_string();
    let token_file = home.path().join("token").display().to_string();
    let server = Server::start(
        &[
            "imds",
            "--stop-on-stdin-eof",
            "--access-key-id",
            FIXED_KEY,
            "--secret-key-file",
            &secret_file,
            "--session-token-file",
            &token_file,
            "--expiration",
            "2099-01-01T00:00:00Z",
        ],
        &base_env(home.path()),
        1,
    );
    let endpoint = server
        .export("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .to_owned();
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    assert_eq!(endpoint, format!("http://{addr}/"));
    assert!(addr.ip().is_loopback() && addr.port() != 0, "{addr}");

    // A client in an empty home, pointed at the server.
    let client_home = tempfile::tempdir().unwrap();
    let mut env = base_env(client_home.path());
    env.push((
        "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(),
        endpoint.clone(),
    ));
    let mut expected_requests = Vec::new();
    if skip_botocore() {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: not asking botocore");
    } else {
        let got = botocore(GET_CREDENTIALS, &env);
        assert_eq!(
            got,
            serde_json::json!({"method": "iam-role", "key": FIXED_KEY, "secret": FIXED_SECRET,
                               "token": FIXED_TOKEN, "expiry": "2099-01-01T00:00:00Z"})
        );
        // botocore's IMDSv2 exchange (spec §4.3): token, role name, role credentials.
        expected_requests.extend([
            "PUT /latest/api/token -> 200, token issued for 21600 s, sent with IP TTL 1",
            "GET /latest/meta-data/iam/security-credentials/ -> 200, token valid",
            "GET /latest/meta-data/iam/security-credentials/credchain-role -> 200, token valid",
        ]);
    }

    let (code, out, err) = explain(&env);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        block(&out, "Result")[..2],
        [
            "Result    credentials from iam-role",
            &format!("  access key id  {FIXED_KEY}") as &str
        ]
    );
    expected_requests.extend([
        "PUT /latest/api/token -> 200, token issued for 21600 s, sent with IP TTL 1",
        "GET /latest/meta-data/iam/security-credentials/ -> 200, token valid",
        "GET /latest/meta-data/iam/security-credentials/credchain-role -> 200, token valid",
    ]);

    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    let first = stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "credchain serve: IMDS on {addr} (IMDSv2 tokens required, hop limit 1, role \
             credchain-role): fixed credentials {FIXED_KEY} (expiring 2099-01-01T00:00:00Z)"
        )
    );
    assert_eq!(requests(&stderr), expected_requests, "{stderr}");
    let n = expected_requests.len();
    assert!(
        stderr.ends_with(&format!(
            "credchain serve: stopping (standard input closed) after {n} requests\n"
        )),
        "{stderr}"
    );
    for secret in [FIXED_SECRET, FIXED_TOKEN] {
        assert!(!stderr.contains(secret) && !out.contains(secret));
    }
}

#[test]
fn container_checks_its_token_and_host_and_serves_botocore_and_credchain() {
    let home = tempfile::tempdir().unwrap();
    let server = Server::start(
        &["container", "--stop-on-stdin-eof"],
        &base_env(home.path()),
        2,
    );
    assert_eq!(
        server
            .exports
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN"
        ]
    );
    let uri = server
        .export("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .to_owned();
    let token = server
        .export("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .to_owned();
    let addr = server.addr("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let path = format!(
        "/{}",
        uri.strip_prefix("http://")
            .unwrap()
            .split_once('/')
            .unwrap()
            .1
    );
    assert!(
        path.starts_with("/v2/credentials/") && path.len() > 20,
        "{path}"
    );
    // 30 random bytes, URL-safe base64: nothing a shell needs quoted.
    assert_eq!(token.len(), 40, "{token}");

    // The endpoint's own checks.
    assert_eq!(http(addr, "GET", &path, &[]).0, 401);
    assert_eq!(
        http(addr, "GET", &path, &[("Authorization", "wrong")]).0,
        403
    );
    assert_eq!(
        http(
            addr,
            "GET",
            &path,
            &[("Authorization", &token), ("Host", "evil.example")]
        )
        .0,
        403
    );
    let (status, body) = http(addr, "GET", &path, &[("Authorization", &token)]);
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    let key = doc["AccessKeyId"].as_str().unwrap().to_owned();
    let secret = doc["SecretAccessKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("ASIA") && key.len() == 20, "{key}");
    assert_eq!(
        http(addr, "GET", "/elsewhere", &[("Authorization", &token)]).0,
        404
    );

    let client_home = tempfile::tempdir().unwrap();
    let mut env = base_env(client_home.path());
    env.push(("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()));
    env.push(("AWS_CONTAINER_CREDENTIALS_FULL_URI".to_owned(), uri.clone()));
    env.push((
        "AWS_CONTAINER_AUTHORIZATION_TOKEN".to_owned(),
        token.clone(),
    ));
    let mut served = 5;
    if skip_botocore() {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: not asking botocore");
    } else {
        let got = botocore(GET_CREDENTIALS, &env);
        assert_eq!(got["method"], "container-role");
        assert_eq!(got["key"], key.as_str());
        assert_eq!(got["secret"], secret.as_str());
        served += 1;
    }
    let (code, out, err) = explain(&env);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(
        block(&out, "Result")[..2],
        [
            "Result    credentials from container-role",
            &format!("  access key id  {key}") as &str
        ]
    );
    served += 1;

    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    let log = requests(&stderr);
    assert_eq!(log.len(), served, "{stderr}");
    assert_eq!(log[0], format!("GET {path} -> 401, no token"));
    assert_eq!(log[1], format!("GET {path} -> 403, token invalid"));
    assert_eq!(
        log[2],
        format!(
            "GET {path} -> 403, refused before any token check (Host header, peer address or \
             X-Forwarded-For)"
        )
    );
    assert_eq!(log[3], format!("GET {path} -> 200, token valid"));
    assert_eq!(log[4], "GET /elsewhere -> 404, token valid");
    for l in &log[5..] {
        assert_eq!(*l, format!("GET {path} -> 200, token valid"));
    }
    assert!(
        !stderr.contains(&token) && !stderr.contains(&secret),
        "{stderr}"
    );
    assert!(!out.contains(&secret));
}

#[test]
fn tokens_hop_limit_and_faults_are_what_the_options_say() {
    let home = tempfile::tempdir().unwrap();
    let env = base_env(home.path());
    let server = Server::start(
        &[
            "imds",
            "--stop-on-stdin-eof",
            "--hop-limit",
            "3",
            "--role",
            "tester",
            "--fault",
            "status=503@/latest/api/token#1",
        ],
        &env,
        1,
    );
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    let ttl = [("X-aws-ec2-metadata-token-ttl-seconds", "60")];
    assert_eq!(http(addr, "PUT", "/latest/api/token", &ttl).0, 503);
    let (status, token) = http(addr, "PUT", "/latest/api/token", &ttl);
    assert_eq!(status, 200);
    let listing = "/latest/meta-data/iam/security-credentials/";
    assert_eq!(http(addr, "GET", listing, &[]).0, 401);
    assert_eq!(
        http(
            addr,
            "GET",
            listing,
            &[("X-aws-ec2-metadata-token", &token)]
        ),
        (200, "tester".to_owned())
    );
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    assert_eq!(
        requests(&stderr),
        [
            "PUT /latest/api/token -> 503".to_owned(),
            "PUT /latest/api/token -> 200, token issued for 60 s, sent with IP TTL 3".to_owned(),
            format!("GET {listing} -> 401, no token"),
            format!("GET {listing} -> 200, token valid"),
        ]
    );
    assert!(!stderr.contains(&token));

    // Optional tokens: IMDSv1 is served.
    let server = Server::start(
        &["imds", "--stop-on-stdin-eof", "--tokens", "optional"],
        &env,
        1,
    );
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    assert_eq!(
        http(addr, "GET", listing, &[]),
        (200, "credchain-role".to_owned())
    );
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    assert!(
        stderr.contains("IMDSv2 tokens optional, IMDSv1 served too"),
        "{stderr}"
    );
}

#[test]
fn from_chain_serves_what_the_chain_resolves() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[dev]\naws_access_key_id = AKIDFROMCHAIN\naws_secret_access_key = chainSecretNeverLogged\n",
    )
    .unwrap();
    let mut env = base_env(home.path());
    env.push(("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()));
    let server = Server::start(
        &[
            "imds",
            "--stop-on-stdin-eof",
            "--from-chain",
            "--profile",
            "dev",
        ],
        &env,
        1,
    );
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    let client_home = tempfile::tempdir().unwrap();
    let mut client = base_env(client_home.path());
    client.push((
        "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(),
        format!("http://{addr}/"),
    ));
    if skip_botocore() {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: not asking botocore");
        let (code, out, err) = explain(&client);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("  access key id  AKIDFROMCHAIN"), "{out}");
    } else {
        let got = botocore(GET_CREDENTIALS, &client);
        assert_eq!(got["method"], "iam-role");
        assert_eq!(got["key"], "AKIDFROMCHAIN");
        assert_eq!(got["secret"], "chainSecretNeverLogged");
    }
    let (code, stderr) = server.stop();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.lines().next().unwrap().ends_with(
            "the chain's credentials, from shared-credentials-file (AKIDFROMCHAIN), refreshed \
             by credchain's cache"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("chainSecretNeverLogged"));

    // A chain with nothing to serve: exit 1 with the reason, and no export line.
    let empty = tempfile::tempdir().unwrap();
    let mut env = base_env(empty.path());
    env.push(("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()));
    let out = Command::new(BIN)
        .args(["serve", "imds", "--from-chain"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("credchain: the chain found no credentials to serve: "),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn sigterm_and_sigint_stop_the_server() {
    for (signal, name) in [("-TERM", "SIGTERM"), ("-INT", "SIGINT")] {
        let home = tempfile::tempdir().unwrap();
        let server = Server::start(&["imds"], &base_env(home.path()), 1);
        let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        // It serves until the signal: the port answers.
        assert_eq!(
            http(addr, "GET", "/latest/meta-data/instance-id", &[]).0,
            401
        );
        let status = Command::new("kill")
            .args([signal, &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let (code, stderr) = server.wait();
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stderr.ends_with(&format!(
                "credchain serve: stopping ({name}) after 1 requests\n"
            )),
            "{stderr}"
        );
        assert!(
            TcpStream::connect(addr).is_err(),
            "still listening after {name}"
        );
    }
}

#[test]
fn bad_arguments_exit_2_with_clap_s_message() {
    let home = tempfile::tempdir().unwrap();
    let env = base_env(home.path());
    let cases: [(&[&str], &str); 12] = [
        (
            &["imds", "--port", "70000"],
            "invalid value '70000' for '--port <N>'",
        ),
        (
            &["imds", "--port", "x"],
            "invalid value 'x' for '--port <N>'",
        ),
        (
            &["imds", "--bind", "localhost:80"],
            "invalid value 'localhost:80' for '--bind <ADDR>'",
        ),
        (
            &["imds", "--bind", "0.0.0.0"],
            "--bind 0.0.0.0 is not a loopback address: anyone who can reach it would get the \
             credentials; add --allow-non-loopback if that is what you want",
        ),
        (
            &["container", "--bind", "::"],
            "--bind :: is not a loopback address",
        ),
        (
            &["imds", "--hop-limit", "0"],
            "invalid value '0' for '--hop-limit <N>'",
        ),
        (
            &["imds", "--hop-limit", "65"],
            "invalid value '65' for '--hop-limit <N>'",
        ),
        (
            &["imds", "--tokens", "sometimes"],
            "invalid value 'sometimes' for '--tokens <TOKENS>'",
        ),
        (
            &["imds", "--fault", "boom"],
            "invalid value 'boom' for '--fault <SPEC>'",
        ),
        (
            &["imds", "--access-key-id", "AKID"],
            "the following required arguments were not provided",
        ),
        (
            &[
                "imds",
                "--from-chain",
                "--access-key-id",
                "A",
                "--secret-key-file",
                "f",
            ],
            "cannot be used with",
        ),
        (
            &["imds", "--profile", "dev"],
            "the following required arguments were not provided",
        ),
    ];
    for (args, message) in cases {
        let out = Command::new(BIN)
            .arg("serve")
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn a_port_in_use_is_an_error_naming_it() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "imds", "--port", &port.to_string()])
        .env_clear()
        .envs(base_env(home.path()).iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with(&format!("credchain: cannot listen on 127.0.0.1:{port}: ")),
        "{err}"
    );
}

#[test]
fn rotation_options_set_the_schedule_and_refuse_too_little_overlap() {
    let home = tempfile::tempdir().unwrap();
    let env = base_env(home.path());
    let server = Server::start(
        &[
            "container",
            "--stop-on-stdin-eof",
            "--rotate",
            "600",
            "--lifetime",
            "1200",
        ],
        &env,
        2,
    );
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    assert!(
        stderr
            .lines()
            .next()
            .unwrap()
            .ends_with(": generated credentials, a new set every 10m, each valid 20m"),
        "{stderr}"
    );
    // AWS promises five minutes of overlap between a set and the next (imds-and-tools §2.4).
    let out = Command::new(BIN)
        .args(["serve", "imds", "--rotate", "3600", "--lifetime", "3700"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "credchain: invalid rotation validity: must exceed the period (3600 s) by at least 300 \
         s, got 3700 s (--rotate, --lifetime)\n"
    );
}

/// What a raw client saw of one request.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// A status line, the Content-Length it declared and the body bytes that came.
    Answer {
        status: u16,
        declared: Option<usize>,
        body: usize,
    },
    /// Nothing within the timeout.
    Timeout,
    /// The connection was reset.
    Reset,
    /// The connection closed without a byte.
    Closed,
}

/// One request on a new connection, read until the server closes it (or `timeout`).
fn raw(addr: SocketAddr, path: &str, headers: &[(&str, &str)], timeout: Duration) -> Seen {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str("Connection: close\r\n\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    match s.read_to_end(&mut raw) {
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Seen::Reset,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Seen::Timeout;
        }
        Err(e) => panic!("{path}: {e}"),
        Ok(_) => {}
    }
    if raw.is_empty() {
        return Seen::Closed;
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{path}: no end of head"));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let declared = head.lines().find_map(|l| {
        l.to_ascii_lowercase()
            .strip_prefix("content-length:")
            .map(|v| v.trim().parse().unwrap())
    });
    Seen::Answer {
        status,
        declared,
        body: raw.len() - end - 4,
    }
}

/// Requests on one kept-alive connection; the status of each.
fn keep_alive(addr: SocketAddr, paths: &[&str], headers: &[(&str, &str)]) -> Vec<u16> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut writer = s;
    let mut statuses = Vec::new();
    for path in paths {
        let mut req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (n, v) in headers {
            req.push_str(&format!("{n}: {v}\r\n"));
        }
        req.push_str("\r\n");
        writer.write_all(req.as_bytes()).unwrap();
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        statuses.push(line.split(' ').nth(1).unwrap().parse().unwrap());
        let mut length = 0;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h == "\r\n" {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();
    }
    statuses
}

/// The lines of a `--transcript` text file without the time (first word) and the peer (fifth).
fn transcript_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            let w: Vec<&str> = l.splitn(6, ' ').collect();
            assert_eq!(w.len(), 6, "{l}");
            assert!(w[0].ends_with('Z') && w[4].starts_with("127.0.0.1:"), "{l}");
            format!("{} {} {} {}", w[1], w[2], w[3], w[5])
        })
        .collect()
}

#[test]
fn transcript_writes_every_request_with_its_connection_and_never_the_token() {
    let home = tempfile::tempdir().unwrap();
    let env = base_env(home.path());
    let file = home.path().join("imds.transcript");
    let server = Server::start(
        &[
            "imds",
            "--stop-on-stdin-eof",
            "--quiet",
            "--transcript",
            file.to_str().unwrap(),
        ],
        &env,
        1,
    );
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    let (status, token) = http(
        addr,
        "PUT",
        "/latest/api/token",
        &[("X-aws-ec2-metadata-token-ttl-seconds", "300")],
    );
    assert_eq!(status, 200);
    let listing = "/latest/meta-data/iam/security-credentials/";
    let document = "/latest/meta-data/iam/security-credentials/credchain-role";
    let auth = [("X-aws-ec2-metadata-token", token.as_str())];
    assert_eq!(keep_alive(addr, &[listing, document], &auth), [200, 200]);
    assert!(matches!(
        raw(
            addr,
            listing,
            &[("X-aws-ec2-metadata-token", "forged")],
            PATIENCE
        ),
        Seen::Answer { status: 401, .. }
    ));
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    // --quiet: no request lines on standard error; where the transcript goes is said.
    assert!(requests(&stderr).is_empty(), "{stderr}");
    assert!(
        stderr.contains(&format!("credchain serve: transcript: {}", file.display())),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&token), "the token is in the transcript");
    assert_eq!(
        transcript_lines(&text),
        [
            "#0 conn 0.0 PUT /latest/api/token HTTP/1.1 -> 200, token issued for 300 s, sent \
             with IP TTL 1"
                .to_owned(),
            format!("#1 conn 1.0 GET {listing} HTTP/1.1 -> 200, token valid"),
            format!("#2 conn 1.1 GET {document} HTTP/1.1 -> 200, token valid"),
            format!("#3 conn 2.0 GET {listing} HTTP/1.1 -> 401, token invalid"),
        ]
    );

    // JSON Lines on standard error (`-`), instead of the short lines.
    let server = Server::start(
        &[
            "container",
            "--stop-on-stdin-eof",
            "--transcript",
            "-",
            "--transcript-format",
            "json",
        ],
        &env,
        2,
    );
    let uri = server
        .export("AWS_CONTAINER_CREDENTIALS_FULL_URI")
        .to_owned();
    let token = server
        .export("AWS_CONTAINER_AUTHORIZATION_TOKEN")
        .to_owned();
    let addr = server.addr("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    let path = format!("/{}", uri.splitn(4, '/').nth(3).unwrap());
    let (status, body) = http(addr, "GET", &path, &[("Authorization", &token)]);
    assert_eq!(status, 200);
    let served: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(http(addr, "GET", &path, &[]).0, 401);
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    assert!(requests(&stderr).is_empty(), "{stderr}");
    for secret in [
        token.as_str(),
        served["SecretAccessKey"].as_str().unwrap(),
        served["Token"].as_str().unwrap(),
    ] {
        assert!(!stderr.contains(secret), "a secret is in the transcript");
    }
    let records: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, u64, String, String)> = records
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap().to_owned(),
                r["outcome"]["status"].as_u64().unwrap(),
                r["auth"]["kind"].as_str().unwrap().to_owned(),
                r["outcome"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (path.clone(), 200, "valid".to_owned(), "answered".to_owned()),
            (
                path.clone(),
                401,
                "absent".to_owned(),
                "answered".to_owned()
            ),
        ]
    );
    assert_eq!(records[0]["seq"], 0);
    assert_eq!(records[1]["connection"], 1);
    let auth = records[0]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "authorization")
        .unwrap();
    assert!(
        auth[1].as_str().unwrap().starts_with("<redacted: "),
        "{auth}"
    );
}

#[test]
fn every_fault_of_the_server_is_reachable_from_fault_and_throttle() {
    let home = tempfile::tempdir().unwrap();
    let env = base_env(home.path());
    let file = home.path().join("faults.jsonl");
    let m = "/latest/meta-data";
    let server = Server::start(
        &[
            "imds",
            "--stop-on-stdin-eof",
            "--tokens",
            "optional",
            "--transcript",
            file.to_str().unwrap(),
            "--transcript-format",
            "json",
            "--fault",
            "status=503@/latest/meta-data/instance-id#1",
            "--fault",
            "delay=200ms@/latest/meta-data/ami-id",
            "--fault",
            "stall@/latest/meta-data/hostname",
            "--fault",
            "reset@/latest/meta-data/local-ipv4",
            "--fault",
            "close@/latest/meta-data/instance-type",
            "--fault",
            "truncate@/latest/meta-data/iam/*",
            "--fault",
            "oversize=100000@/latest/meta-data/placement/region",
        ],
        &env,
        1,
    );
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    let get = |p: &str, t: Duration| raw(addr, &format!("{m}/{p}"), &[], t);
    // 5xx, once: the retry gets the answer.
    assert!(matches!(
        get("instance-id", PATIENCE),
        Seen::Answer { status: 503, .. }
    ));
    assert!(matches!(
        get("instance-id", PATIENCE),
        Seen::Answer { status: 200, .. }
    ));
    assert!(matches!(
        get("ami-id", PATIENCE),
        Seen::Answer { status: 200, .. }
    ));
    assert_eq!(get("hostname", Duration::from_millis(300)), Seen::Timeout);
    assert_eq!(get("local-ipv4", PATIENCE), Seen::Reset);
    assert_eq!(get("instance-type", PATIENCE), Seen::Closed);
    let Seen::Answer {
        status: 200,
        declared: Some(declared),
        body,
    } = get("iam/security-credentials/", PATIENCE)
    else {
        panic!("truncate")
    };
    assert!(body < declared, "{body} of {declared}");
    assert_eq!(
        get("placement/region", PATIENCE),
        Seen::Answer {
            status: 200,
            declared: Some(100_000),
            body: 100_000
        }
    );
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    // Every rule is announced in words.
    for said in [
        "fault: answer 503 on /latest/meta-data/instance-id, the first matching request only",
        "fault: answer 200 ms late on /latest/meta-data/ami-id",
        "fault: never answer (stall) on /latest/meta-data/hostname",
        "fault: reset the connection on /latest/meta-data/local-ipv4",
        "fault: close the connection without answering on /latest/meta-data/instance-type",
        "fault: cut the body short on /latest/meta-data/iam/*",
        "fault: send a 100000-byte body on /latest/meta-data/placement/region",
    ] {
        assert!(
            stderr.contains(&format!("credchain serve: {said}\n")),
            "{said}: {stderr}"
        );
    }
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let outcome = |i: usize| {
        let o = &records[i]["outcome"];
        let mut s = o["kind"].as_str().unwrap().to_owned();
        if let Some(f) = o["fault"].as_str() {
            s = format!("{s} {f}");
        }
        if let Some(st) = o["status"].as_u64() {
            s = format!("{s} {st}");
        }
        s
    };
    let all: Vec<String> = (0..records.len()).map(outcome).collect();
    assert_eq!(
        all,
        [
            "answered 503",
            "answered 200",
            "answered 200",
            "fault stall",
            "fault reset",
            "fault close",
            "truncated 200",
            "oversized 200",
        ]
    );
    assert_eq!(records[2]["delay"], 0.2);
    assert_eq!(records[7]["outcome"]["body_len"], 100_000);

    // The throttle: one request per 100 s, bursts of 1; the rest dropped (reset) or stalled.
    for (spec, second, kind) in [
        ("0.01/1:drop", Seen::Reset, "throttled reset"),
        ("0.01", Seen::Timeout, "throttled stall"),
    ] {
        let file = home.path().join("throttle.jsonl");
        let server = Server::start(
            &[
                "imds",
                "--stop-on-stdin-eof",
                "--tokens",
                "optional",
                "--throttle",
                spec,
                "--transcript",
                file.to_str().unwrap(),
                "--transcript-format",
                "json",
            ],
            &env,
            1,
        );
        let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
        let path = format!("{m}/instance-id");
        assert!(matches!(
            raw(addr, &path, &[], PATIENCE),
            Seen::Answer { status: 200, .. }
        ));
        assert_eq!(
            raw(addr, &path, &[], Duration::from_millis(300)),
            second,
            "{spec}"
        );
        let (code, stderr) = server.stop();
        assert_eq!(code, 0);
        assert!(
            stderr.contains("credchain serve: throttle: 0.01 requests per second, bursts of 1"),
            "{stderr}"
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(
            format!(
                "{} {}",
                last["outcome"]["kind"].as_str().unwrap(),
                last["outcome"]["fault"].as_str().unwrap()
            ),
            kind,
            "{spec}"
        );
    }
}

#[test]
fn fault_and_throttle_help_teach_every_kind_and_bad_specs_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let env = base_env(home.path());
    let out = Command::new(BIN)
        .args(["serve", "imds", "--help"])
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for kind in [
        "status=CODE  answer with this status",
        "delay=TIME   answer late",
        "stall        read the request and never answer",
        "reset        reset the connection (TCP RST)",
        "close        close the connection without answering",
        "truncate     send half of the body",
        "oversize[=BYTES]  a body of this size",
        "--throttle RATE[/BURST][:stall|drop]",
        "--transcript FILE writes a fuller line per request",
        "--no-role",
        "--endpoint-disabled",
    ] {
        assert!(help.contains(kind), "{kind} missing from:\n{help}");
    }
    for (args, message) in [
        (
            &["imds", "--throttle", "0"][..],
            "invalid value '0' for '--throttle",
        ),
        (
            &["imds", "--throttle", "2/0"],
            "the burst must be a whole number from 1",
        ),
        (
            &["imds", "--throttle", "2:bounce"],
            ":bounce: expected :stall",
        ),
        (
            &["imds", "--transcript-format", "json"],
            "the following required arguments were not provided",
        ),
        (&["imds", "--no-role", "--role", "x"], "cannot be used with"),
    ] {
        let out = Command::new(BIN)
            .arg("serve")
            .args(args)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn an_instance_without_a_role_or_with_the_endpoint_disabled() {
    let home = tempfile::tempdir().unwrap();
    let env = base_env(home.path());
    let listing = "/latest/meta-data/iam/security-credentials/";
    let server = Server::start(
        &[
            "imds",
            "--stop-on-stdin-eof",
            "--tokens",
            "optional",
            "--no-role",
        ],
        &env,
        1,
    );
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    assert_eq!(http(addr, "GET", listing, &[]).0, 404);
    let mut client = env.clone();
    client.push((
        "AWS_EC2_METADATA_SERVICE_ENDPOINT".to_owned(),
        server
            .export("AWS_EC2_METADATA_SERVICE_ENDPOINT")
            .to_owned(),
    ));
    let (code, out, _) = explain(&client);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("iam-role"), "{out}");
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    assert!(stderr.contains("hop limit 1, no role)"), "{stderr}");

    let server = Server::start(
        &["imds", "--stop-on-stdin-eof", "--endpoint-disabled"],
        &env,
        1,
    );
    let addr = server.addr("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    assert_eq!(
        http(
            addr,
            "PUT",
            "/latest/api/token",
            &[("X-aws-ec2-metadata-token-ttl-seconds", "60")]
        )
        .0,
        403
    );
    let (code, stderr) = server.stop();
    assert_eq!(code, 0);
    assert!(
        stderr.contains("endpoint disabled: every request gets 403"),
        "{stderr}"
    );
}
