//! A tiny HTTP/1.1 client over a raw `TcpStream`, so the tests see exactly what is on the wire
//! (including responses that are cut short or never come), and helpers shared by the tests.
//!
//! Every operation has a deadline: no test can hang on a server that stalls.

#![allow(dead_code, unreachable_pub)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// How long any single client operation may take before the test fails.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("body is UTF-8")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("body is JSON")
    }
}

/// What went wrong reading a response.
#[derive(Debug)]
pub enum Failure {
    /// No complete answer before the deadline.
    TimedOut,
    /// The connection was reset.
    Reset,
    /// The connection closed before a complete status line and headers.
    ClosedBeforeHead { got: usize },
    /// The headers declared more body than arrived before the close.
    Truncated {
        status: u16,
        declared: usize,
        got: usize,
    },
    /// Some other I/O error.
    Io(io::Error),
}

/// One request, as sent.
pub struct Req<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub headers: Vec<(&'a str, String)>,
    /// Send no `Host` header.
    pub no_host: bool,
}

impl<'a> Req<'a> {
    pub fn new(method: &'a str, path: &'a str) -> Req<'a> {
        Req {
            method,
            path,
            headers: Vec::new(),
            no_host: false,
        }
    }

    pub fn get(path: &'a str) -> Req<'a> {
        Req::new("GET", path)
    }

    pub fn put(path: &'a str) -> Req<'a> {
        Req::new("PUT", path)
    }

    pub fn header(mut self, name: &'a str, value: impl Into<String>) -> Req<'a> {
        self.headers.push((name, value.into()));
        self
    }

    pub fn token(self, token: &str) -> Req<'a> {
        self.header("X-aws-ec2-metadata-token", token)
    }

    fn bytes(&self, addr: SocketAddr) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.path);
        let has_host = self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("host"));
        if !self.no_host && !has_host {
            out.push_str(&format!("Host: {addr}\r\n"));
        }
        for (n, v) in &self.headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        if self.method != "GET" && self.method != "HEAD" {
            out.push_str("Content-Length: 0\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// A keep-alive connection.
pub struct Conn {
    pub addr: SocketAddr,
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = timeout(DEADLINE, TcpStream::connect(addr))
            .await
            .expect("connect within the deadline")
            .expect("connect");
        Conn {
            addr,
            stream,
            buf: Vec::new(),
        }
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.stream.local_addr().unwrap()
    }

    /// Sends `req` and reads the answer, waiting at most `limit`.
    pub async fn try_send(&mut self, req: &Req<'_>, limit: Duration) -> Result<Response, Failure> {
        let bytes = req.bytes(self.addr);
        let head = req.method == "HEAD";
        match timeout(limit, async {
            self.stream.write_all(&bytes).await.map_err(classify)?;
            self.read_response(head).await
        })
        .await
        {
            Ok(r) => r,
            Err(_) => Err(Failure::TimedOut),
        }
    }

    /// Sends `req` and returns the answer; fails the test on any failure.
    pub async fn send(&mut self, req: &Req<'_>) -> Response {
        match self.try_send(req, DEADLINE).await {
            Ok(r) => r,
            Err(f) => panic!("{} {}: {f:?}", req.method, req.path),
        }
    }

    async fn fill(&mut self) -> Result<usize, Failure> {
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk).await.map_err(classify)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    async fn read_response(&mut self, head_request: bool) -> Result<Response, Failure> {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.fill().await? == 0 {
                return Err(Failure::ClosedBeforeHead {
                    got: self.buf.len(),
                });
            }
        };
        let head = String::from_utf8(self.buf[..end].to_vec()).expect("ASCII head");
        self.buf.drain(..end.saturating_add(4));
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
        let status: u16 = parts.next().unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line");
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let declared: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .expect("the servers always send Content-Length");
        let want = if head_request { 0 } else { declared };
        while self.buf.len() < want {
            if self.fill().await? == 0 {
                return Err(Failure::Truncated {
                    status,
                    declared,
                    got: self.buf.len(),
                });
            }
        }
        let body: Vec<u8> = self.buf.drain(..want).collect();
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Reads until the server closes; returns the bytes received (for faults with no answer).
    pub async fn read_to_close(&mut self, limit: Duration) -> Result<Vec<u8>, Failure> {
        let r = timeout(limit, async {
            loop {
                if self.fill().await? == 0 {
                    return Ok(std::mem::take(&mut self.buf));
                }
            }
        })
        .await;
        r.unwrap_or(Err(Failure::TimedOut))
    }
}

fn classify(e: io::Error) -> Failure {
    match e.kind() {
        io::ErrorKind::ConnectionReset => Failure::Reset,
        _ => Failure::Io(e),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One request on a fresh connection.
pub async fn send(addr: SocketAddr, req: Req<'_>) -> Response {
    Conn::open(addr).await.send(&req).await
}

/// `PUT /latest/api/token` with a TTL; returns the token (asserting a 200).
pub async fn token(addr: SocketAddr, ttl: u32) -> String {
    let r = send(
        addr,
        Req::put("/latest/api/token")
            .header("X-aws-ec2-metadata-token-ttl-seconds", ttl.to_string()),
    )
    .await;
    assert_eq!(r.status, 200, "token PUT: {}", r.text());
    r.text().to_owned()
}

/// A timestamp.
pub fn ts(s: &str) -> credchain_core::time::Timestamp {
    credchain_core::time::Timestamp::parse(s).unwrap()
}
