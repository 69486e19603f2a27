//! moto's server as a peer of the STS tests: `python3 -m moto.server` (moto[server] 5.2.1, which
//! `scripts/setup.sh` installs) on a free loopback port, stopped when the guard drops — also
//! when the test that holds it fails.
//!
//! moto keeps no transcript of its own, but it has two things a test can ask over HTTP:
//!
//! - its request recorder (`MOTO_ENABLE_RECORDING`): every request it received, headers and
//!   body, read back from `/moto-api/recorder/download-recording` ([`Moto::requests`]);
//! - its state (`/moto-api/data.json`): among the rest, every role session STS handed out, with
//!   the access key id it minted ([`Moto::assumed_roles`]).
//!
//! `/moto-api/reset` and `/moto-api/recorder/reset-recording` clear both between scenarios
//! ([`Moto::reset`]).
//!
//! A missing moto is a failure with the command that installs it, never a skip: the tests that
//! use this are how credchain proves it works against moto. Only an explicit
//! `CREDCHAIN_SKIP_MOTO=1` ([`skip_moto`]) skips, as the other tests against moto do.

// Test support: a peer that cannot start is the test's failure, so it panics with the reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;

/// The moto version `scripts/setup.sh` pins.
pub const MOTO_VERSION: &str = "5.2.1";

/// How long moto may take to answer its first request (its imports alone take seconds).
const START_LIMIT: Duration = Duration::from_secs(60);

/// `CREDCHAIN_SKIP_MOTO=1`: a test against moto is skipped, and must say so loudly. Only this
/// explicit request skips; a missing moto is a failure.
pub fn skip_moto() -> bool {
    std::env::var_os("CREDCHAIN_SKIP_MOTO").is_some_and(|v| v == "1")
}

/// A running `moto.server`, killed (by its own process handle) and its files removed on drop.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
    version: String,
}

/// One request moto received, as its recorder kept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotoRequest {
    /// `POST`, `GET`…
    pub method: String,
    /// The access key id of the SigV4 `Authorization` header; `None` for an unsigned request.
    pub signed_by: Option<String>,
    /// The `User-Agent` header: which client sent it.
    pub user_agent: Option<String>,
    /// The form-encoded body, decoded (`Action`, `RoleArn`, …).
    pub params: BTreeMap<String, String>,
}

/// A role session moto's STS handed out (`sts.AssumedRole` in moto's state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumedRole {
    /// The access key id minted for it (`ASIA…`).
    pub access_key_id: String,
    /// The role ARN asked for.
    pub role_arn: String,
    /// The `RoleSessionName` asked for.
    pub session_name: String,
    /// The `ExternalId` asked for, if any.
    pub external_id: Option<String>,
}

impl Moto {
    /// Starts moto's server with its recorder on, and waits (at most a minute) until it answers.
    ///
    /// Panics, saying how to install it, when python3 cannot import `moto.server`; panics with
    /// moto's own log when it exits or does not answer in time.
    pub fn start() -> Moto {
        let version = probe_moto();
        let dir = std::env::temp_dir().join(format!(
            "credchain-moto-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create moto's folder {}: {e}", dir.display()));
        // A port the kernel just gave out and took back; if another process takes it first,
        // moto exits and the next try gets another.
        let mut last_log = String::new();
        for _ in 0..3 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .unwrap_or_else(|e| panic!("no free loopback port for moto: {e}"));
            let log = dir.join("moto.log");
            let log_file = std::fs::File::create(&log)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
            let child = Command::new("python3")
                .args([
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                .env("MOTO_ENABLE_RECORDING", "True")
                .env("MOTO_RECORDER_FILEPATH", dir.join("recording.jsonl"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run python3 -m moto.server: {e}"));
            let mut moto = Moto {
                child,
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                dir: dir.clone(),
                version: version.clone(),
            };
            match moto.wait_until_ready() {
                Ok(()) => return moto,
                Err(exited) => {
                    last_log = std::fs::read_to_string(&log).unwrap_or_default();
                    if !exited {
                        panic!(
                            "moto's server did not answer on {} within {} s; its log:\n{last_log}",
                            moto.addr,
                            START_LIMIT.as_secs()
                        );
                    }
                    // The folder is kept for the next try: this guard must not remove it.
                    moto.dir = PathBuf::new();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        panic!("moto's server exited three times at start; its last log:\n{last_log}")
    }

    /// `Ok` once moto answers; `Err(true)` when it exited, `Err(false)` when it is still silent
    /// after [`START_LIMIT`].
    fn wait_until_ready(&mut self) -> Result<(), bool> {
        let started = Instant::now();
        loop {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return Err(true);
            }
            if let Ok((200, _)) = self.http("GET", "/moto-api/data.json") {
                return Ok(());
            }
            if started.elapsed() > START_LIMIT {
                return Err(false);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The endpoint URL to give a client (`AWS_ENDPOINT_URL_STS`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `moto.__version__`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Forgets every role session and every recorded request.
    pub fn reset(&self) {
        for path in ["/moto-api/reset", "/moto-api/recorder/reset-recording"] {
            self.expect_ok("POST", path);
        }
    }

    /// The STS requests moto received since the last [`Moto::reset`], in order (requests to
    /// moto's own API left out).
    pub fn requests(&self) -> Vec<MotoRequest> {
        let text = self.expect_ok("GET", "/moto-api/recorder/download-recording");
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| serde_json::from_str::<Json>(line).expect("a recorded request is JSON"))
            .filter(|entry| !entry["url"].as_str().unwrap_or("").contains("/moto-api/"))
            .map(|entry| recorded_request(&entry))
            .collect()
    }

    /// The role sessions moto's STS handed out since the last [`Moto::reset`].
    pub fn assumed_roles(&self) -> Vec<AssumedRole> {
        let state: Json = serde_json::from_str(&self.expect_ok("GET", "/moto-api/data.json"))
            .expect("moto's state is JSON");
        let text = |v: &Json, k: &str| v[k].as_str().map(str::to_owned);
        state["sts"]["AssumedRole"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|r| AssumedRole {
                access_key_id: text(r, "access_key_id").unwrap_or_default(),
                role_arn: text(r, "role_arn").unwrap_or_default(),
                session_name: text(r, "session_name").unwrap_or_default(),
                external_id: text(r, "external_id"),
            })
            .collect()
    }

    fn expect_ok(&self, method: &str, path: &str) -> String {
        match self.http(method, path) {
            Ok((200, body)) => body,
            Ok((status, body)) => panic!("moto answered {method} {path} with {status}: {body}"),
            Err(e) => panic!("moto did not answer {method} {path}: {e}"),
        }
    }

    /// One HTTP/1.1 exchange with moto's own API (it closes every connection after answering).
    fn http(&self, method: &str, path: &str) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let raw = String::from_utf8_lossy(&raw);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {head:?}")))?;
        Ok((status, body.to_owned()))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// `moto.__version__`, or a panic that says how to install moto.
fn probe_moto() -> String {
    let out = Command::new("python3")
        .args(["-c", "import moto, moto.server; print(moto.__version__)"])
        .stdin(Stdio::null())
        .output();
    match out {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        Ok(out) => panic!(
            "moto's server is needed by the tests against moto's STS; install it with \
             scripts/setup.sh or `python3 -m pip install 'moto[server]=={MOTO_VERSION}'`. \
             python3 said:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "python3 is needed to run moto's server ({e}); scripts/setup.sh installs it with \
             moto[server]=={MOTO_VERSION}"
        ),
    }
}

fn recorded_request(entry: &Json) -> MotoRequest {
    let body = entry["body"].as_str().unwrap_or("");
    let body = if entry["body_encoded"].as_bool() == Some(true) {
        String::from_utf8_lossy(&base64_decode(body)).into_owned()
    } else {
        body.to_owned()
    };
    let header = |name: &str| {
        entry["headers"]
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))?
            .1
            .as_str()
    };
    let authorization = header("authorization");
    MotoRequest {
        method: entry["method"].as_str().unwrap_or("").to_owned(),
        user_agent: header("user-agent").map(str::to_owned),
        signed_by: authorization.and_then(|a| {
            let (_, rest) = a.split_once("Credential=")?;
            Some(rest.split('/').next()?.to_owned())
        }),
        params: form_decode(&body),
    }
}

/// `application/x-www-form-urlencoded` to pairs (`+` is a space, `%XX` a byte).
pub fn form_decode(body: &str) -> BTreeMap<String, String> {
    let unescape = |s: &str| {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => match bytes
                    .get(i + 1..i + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                },
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

/// Standard base64 (moto's recorder encodes bodies with it).
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
