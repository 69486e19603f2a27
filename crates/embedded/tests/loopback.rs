//! The client over real TCP on loopback, through a std adapter implementing the embedded-io
//! traits (what a firmware's socket layer provides): against an IMDS-like std server thread
//! (token PUT, then GETs on the same connection, chunked documents written in pieces), against
//! servers that close, stall or cut a response short, and against Python's `http.server` as an
//! independent reader of the requests we write.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use credchain_embedded::{Client, Connection, Error, Header, ParseErrorKind, Phase, Request};
use support::Tcp;

const TOKEN: &str = "AQAEAL-loopback-token-0123456789==";
const TTL: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";
const DOC: &str = r#"{
  "Code" : "Success",
  "LastUpdated" : "2026-05-01T10:00:00Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIALOOPBACKEXAMPLE0",
  "SecretAccessKey" : "bG9vcGJhY2stc2VjcmV0LWtleS1leGFtcGxl",
  "Token" : "bG9vcGJhY2stc2Vzc2lvbi10b2tlbg==",
  "Expiration" : "2026-05-01T16:00:00Z"
}"#;

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Seen {
    connection: usize,
    method: String,
    path: String,
    headers: HashMap<String, String>,
}

/// How the server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// IMDS-like, keep-alive.
    Imds,
    /// IMDS-like, `Connection: close` on every response, then closes.
    CloseEach,
    /// Reads the request and never answers.
    Stall,
    /// Announces 100 bytes, sends 10, closes.
    CutShort,
    /// Answers one request, then half-closes the idle connection.
    CloseWhenIdle,
}

struct Server {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(mode: Mode, connections: usize) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let thread = thread::spawn(move || {
            for id in 0..connections {
                let (stream, _) = listener.accept().unwrap();
                serve(stream, id, mode, &log);
            }
        });
        Server {
            addr,
            seen,
            thread: Some(thread),
        }
    }

    fn join(mut self) -> Vec<Seen> {
        self.thread.take().unwrap().join().unwrap();
        self.seen.lock().unwrap().clone()
    }
}

/// Reads one request head and body; `None` at end of stream.
fn read_request(r: &mut BufReader<TcpStream>, connection: usize) -> Option<Seen> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.trim_end().splitn(3, ' ');
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    assert_eq!(parts.next(), Some("HTTP/1.1"), "request line {line:?}");
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        assert!(h.ends_with("\r\n"), "header line {h:?} must end with CRLF");
        let h = h.trim_end_matches("\r\n");
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(": ").expect("name: value");
        let old = headers.insert(name.to_ascii_lowercase(), value.to_string());
        assert!(old.is_none(), "header {name} sent twice");
    }
    let len: usize = headers
        .get("content-length")
        .map_or(0, |v: &String| v.parse().unwrap());
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Seen {
        connection,
        method,
        path,
        headers,
    })
}

fn serve(stream: TcpStream, id: usize, mode: Mode, log: &Mutex<Vec<Seen>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    while let Some(req) = read_request(&mut reader, id) {
        log.lock().unwrap().push(req.clone());
        match mode {
            Mode::Stall => {
                // Hold the connection open, silent, until the client gives up and closes.
                let mut rest = Vec::new();
                let _ = reader.read_to_end(&mut rest);
                return;
            }
            Mode::CutShort => {
                out.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
                    .unwrap();
                return;
            }
            _ => {}
        }
        let close = mode == Mode::CloseEach;
        answer_imds(&mut out, &req, close);
        if close {
            return;
        }
        if mode == Mode::CloseWhenIdle {
            // Half-close: the client's next request is read and dropped, never answered.
            out.shutdown(Shutdown::Write).unwrap();
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
            return;
        }
    }
}

/// IMDSv2 as far as the client needs it: token PUT with TTL, role listing, document.
fn answer_imds(out: &mut TcpStream, req: &Seen, close: bool) {
    let conn = if close { "close" } else { "keep-alive" };
    let token_ok = req
        .headers
        .get("x-aws-ec2-metadata-token")
        .map(String::as_str)
        == Some(TOKEN);
    let plain = |out: &mut TcpStream, status: &str, extra: &str, body: &str| {
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\n{extra}Content-Length: {}\r\nServer: EC2ws\r\nConnection: {conn}\r\n\r\n",
            body.len()
        );
        out.write_all(head.as_bytes()).unwrap();
        out.write_all(body.as_bytes()).unwrap();
    };
    match (req.method.as_str(), req.path.as_str()) {
        ("PUT", "/latest/api/token") => match req.headers.get(TTL) {
            Some(ttl) if ttl.parse::<u32>().is_ok_and(|t| (1..=21600).contains(&t)) => {
                plain(out, "200 OK", &format!("{TTL}: {ttl}\r\n"), TOKEN);
            }
            _ => plain(out, "400 Bad Request", "", ""),
        },
        ("GET", _) if !token_ok => plain(out, "401 Unauthorized", "", ""),
        ("GET", ROLE_PATH) => plain(out, "200 OK", "", "my-role"),
        ("GET", p) if p == format!("{ROLE_PATH}my-role") => {
            // Chunked, each chunk its own write with a pause, so the client's reads see the
            // body in pieces that do not line up with the chunks.
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: {conn}\r\n\r\n"
            );
            out.write_all(head.as_bytes()).unwrap();
            for piece in DOC.as_bytes().chunks(50) {
                let mut c = format!("{:x}\r\n", piece.len()).into_bytes();
                c.extend_from_slice(piece);
                c.extend_from_slice(b"\r\n");
                let (a, b) = c.split_at(c.len() / 2);
                out.write_all(a).unwrap();
                out.flush().unwrap();
                thread::sleep(Duration::from_millis(2));
                out.write_all(b).unwrap();
            }
            out.write_all(b"0\r\n\r\n").unwrap();
        }
        _ => plain(out, "404 Not Found", "", ""),
    }
}

fn connect(addr: SocketAddr, timeout: Duration) -> Tcp {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(timeout)).unwrap();
    s.set_write_timeout(Some(timeout)).unwrap();
    s.set_nodelay(true).unwrap();
    Tcp(s)
}

/// Token, role, document: the client's side of one IMDSv2 fetch, reconnecting whenever the
/// server ends a connection. Returns the document and the number of connections used.
fn fetch(addr: SocketAddr) -> (String, usize) {
    let host = addr.ip().to_string();
    let mut client = Client::new(connect(addr, Duration::from_secs(5)));
    let mut connections = 1;
    let mut send = |req: &Request<'_>, buf: &mut [u8]| -> Vec<u8> {
        if !client.is_reusable() {
            client = Client::new(connect(addr, Duration::from_secs(5)));
            connections += 1;
        }
        let r = client.send(req, buf).unwrap();
        assert_eq!(r.status(), 200, "{req:?}");
        if req.method == credchain_embedded::Method::Put {
            assert_eq!(r.header_str(TTL), Some("21600"));
        }
        r.body().to_vec()
    };
    let mut buf = [0u8; 2048];
    let ttl = [Header::new(TTL, "21600")];
    let keep = [TTL];
    let token = send(
        &Request::put(&host, "/latest/api/token")
            .port(addr.port())
            .headers(&ttl)
            .keep(&keep),
        &mut buf,
    );
    let token = String::from_utf8(token).unwrap();
    let auth = [Header::new("x-aws-ec2-metadata-token", &token)];
    let role = send(
        &Request::get(&host, ROLE_PATH)
            .port(addr.port())
            .headers(&auth),
        &mut buf,
    );
    let path = format!("{ROLE_PATH}{}", String::from_utf8(role).unwrap());
    let doc = send(
        &Request::get(&host, &path).port(addr.port()).headers(&auth),
        &mut buf,
    );
    (String::from_utf8(doc).unwrap(), connections)
}

#[test]
fn imds_fetch_reuses_one_connection() {
    let server = Server::start(Mode::Imds, 1);
    let addr = server.addr;
    let started = Instant::now();
    let (doc, connections) = fetch(addr);
    assert_eq!(doc, DOC);
    assert_eq!(connections, 1);
    let elapsed = started.elapsed();
    // Drop the client's connection so the server thread ends.
    let seen = server.join();
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|s| s.connection == 0));
    let host = format!("127.0.0.1:{}", addr.port());
    assert_eq!(seen[0].method, "PUT");
    assert_eq!(seen[0].headers["content-length"], "0");
    assert_eq!(seen[0].headers[TTL], "21600");
    for s in &seen {
        assert_eq!(s.headers["host"], host);
        assert_eq!(s.headers["connection"], "keep-alive");
        assert!(s.headers["user-agent"].starts_with("credchain-embedded/"));
    }
    for s in &seen[1..] {
        assert_eq!(s.method, "GET");
        assert_eq!(s.headers["x-aws-ec2-metadata-token"], TOKEN);
    }
}

#[test]
fn a_server_that_closes_each_connection_gets_a_new_one_per_request() {
    let server = Server::start(Mode::CloseEach, 3);
    let (doc, connections) = fetch(server.addr);
    assert_eq!(doc, DOC);
    assert_eq!(connections, 3);
    let seen = server.join();
    let ids: Vec<usize> = seen.iter().map(|s| s.connection).collect();
    assert_eq!(ids, [0, 1, 2]);
}

#[test]
fn a_stalled_server_ends_in_a_timeout_within_the_deadline() {
    let server = Server::start(Mode::Stall, 1);
    let deadline = Duration::from_millis(300);
    let mut client = Client::new(connect(server.addr, deadline));
    let mut buf = [0u8; 512];
    let started = Instant::now();
    let e = client
        .send(&Request::put("127.0.0.1", "/latest/api/token"), &mut buf)
        .unwrap_err();
    let elapsed = started.elapsed();
    assert_eq!(e, Error::TimedOut { phase: Phase::Read });
    assert!(elapsed >= deadline && elapsed < deadline * 5, "{elapsed:?}");
    assert!(!client.is_reusable());
    drop(client);
    server.join();
}

#[test]
fn a_response_cut_short_is_reported_as_such() {
    let server = Server::start(Mode::CutShort, 1);
    let mut client = Client::new(connect(server.addr, Duration::from_secs(5)));
    let mut buf = [0u8; 512];
    match client.send(&Request::get("127.0.0.1", "/"), &mut buf) {
        Err(Error::ClosedMidResponse(e)) => assert_eq!(
            e.kind(),
            ParseErrorKind::TruncatedBody {
                received: 10,
                expected: Some(100)
            }
        ),
        other => panic!("{other:?}"),
    }
    server.join();
}

#[test]
fn an_idle_connection_closed_by_the_server_is_reported_as_reused() {
    let server = Server::start(Mode::CloseWhenIdle, 1);
    let addr = server.addr;
    let mut client = Client::new(connect(addr, Duration::from_secs(5)));
    let mut buf = [0u8; 512];
    let ttl = [Header::new(TTL, "21600")];
    let put = Request::put("127.0.0.1", "/latest/api/token").headers(&ttl);
    assert_eq!(
        client.send(&put, &mut buf).unwrap().body(),
        TOKEN.as_bytes()
    );
    assert!(client.is_reusable());
    let e = client.send(&put, &mut buf).unwrap_err();
    assert_eq!(e, Error::ClosedBeforeResponse { reused: true });
    drop(client);
    server.join();
}

// ---------------------------------------------------------------------------------------------
// Python's http.server reads what we write
// ---------------------------------------------------------------------------------------------

const PY_SERVER: &str = r#"
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("latin-1")
        seen = {
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "body": body,
            "connection": id(self.connection),
        }
        out = json.dumps(seen).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_PUT = do_POST = do_HEAD = handle_one
    def log_message(self, *args):
        pass

srv = HTTPServer(("127.0.0.1", 0), Echo)
print(srv.server_address[1], flush=True)
srv.serve_forever()
"#;

struct PyServer(Child, u16);

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn py_server() -> PyServer {
    let mut child = Command::new("python3")
        .args(["-c", PY_SERVER])
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 is required (set CREDCHAIN_SKIP_BOTOCORE=1 to skip)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().unwrap();
    PyServer(child, port)
}

#[test]
fn python_http_server_reads_our_requests_as_we_meant_them() {
    if support::skip_python() {
        eprintln!("skipped: CREDCHAIN_SKIP_BOTOCORE=1");
        return;
    }
    let server = py_server();
    let addr: SocketAddr = ([127, 0, 0, 1], server.1).into();
    let mut client = Client::new(connect(addr, Duration::from_secs(10)));
    let mut buf = [0u8; 4096];
    let ttl = [Header::new(TTL, "21600")];
    let token = [Header::new("x-aws-ec2-metadata-token", TOKEN)];
    let requests = [
        Request::put("127.0.0.1", "/latest/api/token")
            .port(server.1)
            .headers(&ttl),
        Request::get("127.0.0.1", "/latest/meta-data/iam/security-credentials/")
            .port(server.1)
            .headers(&token),
        Request::new(
            credchain_embedded::Method::Post,
            "127.0.0.1",
            "/p?x=1&y=%2F",
        )
        .port(server.1)
        .body(b"a=b&c=d"),
        Request::get("127.0.0.1", "/last")
            .port(server.1)
            .user_agent("")
            .connection(Connection::Close),
    ];
    let mut connection_ids = Vec::new();
    for req in &requests {
        let r = client.send(req, &mut buf).unwrap();
        assert_eq!(r.status(), 200);
        let seen: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        let headers: Vec<(String, String)> = seen["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_string(),
                    h[1].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(seen["method"], req.method.as_str());
        assert_eq!(seen["path"], req.target);
        assert_eq!(seen["version"], "HTTP/1.1");
        assert_eq!(seen["body"].as_str().unwrap().as_bytes(), req.body);
        assert_eq!(
            get("host"),
            Some(format!("127.0.0.1:{}", server.1).as_str())
        );
        for h in req.headers {
            assert_eq!(get(h.name), Some(h.value), "{}", h.name);
        }
        let announces = !req.body.is_empty() || req.method == credchain_embedded::Method::Put;
        let len = req.body.len().to_string();
        assert_eq!(get("content-length"), announces.then_some(len.as_str()));
        assert_eq!(
            get("user-agent"),
            (!req.user_agent.is_empty()).then_some(req.user_agent)
        );
        // Nothing but what we meant to send.
        let expected = 2
            + req.headers.len()
            + usize::from(announces)
            + usize::from(!req.user_agent.is_empty());
        assert_eq!(headers.len(), expected, "{headers:?}");
        connection_ids.push(seen["connection"].clone());
    }
    // All four went over one connection, and the last one closed it.
    assert!(connection_ids.windows(2).all(|w| w[0] == w[1]));
    assert!(!client.is_reusable());
}
