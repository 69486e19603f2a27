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
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_credchain");
/// The bound on every wait.
const PATIENCE: Duration = Duration::from_secs(30);

const FIXED_KEY: &str = "ASIASERVEFIXED000001";
const FIXED_SECRET: &str = "serveFixedSecretNeverLogged0123456789abcd";
const FIXED_TOKEN: &str = "serveFixedSessionTokenNeverLogged==";

fn skip_botocore() -> bool {
    std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1")
}

/// A clean environment: PATH, a temporary HOME, and whatever the test adds.
fn base_env(home: &Path) -> Vec<(String, String)> {
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
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    /// The `export NAME=value` lines, as (NAME, value).
    exports: Vec<(String, String)>,
    stderr: Arc<Mutex<String>>,
    stderr_done: mpsc::Receiver<()>,
}

impl Server {
    /// Starts `credchain serve ARGS` and waits (bounded) for `exports` export lines.
    fn start(args: &[&str], env: &[(String, String)], exports: usize) -> Server {
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

    fn export(&self, name: &str) -> &str {
        &self
            .exports
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no export of {name}: {:?}", self.exports))
            .1
    }

    /// The address of `http://ADDR/…`.
    fn addr(&self, name: &str) -> SocketAddr {
        let url = self.export(name);
        let rest = url.strip_prefix("http://").unwrap();
        rest.split('/').next().unwrap().parse().unwrap()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the process to end; its exit status and all of its stderr.
    fn wait(mut self) -> (i32, String) {
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
    fn stop(mut self) -> (i32, String) {
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

/// Runs python3 with `script` in `env`; its standard output as JSON.
fn botocore(script: &str, env: &[(String, String)]) -> serde_json::Value {
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
