//! Moving one [`Transmit`] over TCP with hyper: the part of credchain that touches the network.
//!
//! The core's machines say *what* to send and *how long* to wait for it
//! ([`Transmit::timeout`]); [`HttpClient::send`] does it, and says what happened in the terms the
//! machines understand ([`TransportError`], through [`SendError::transport_error`]).
//!
//! ## One request
//!
//! 1. **A connection.** An idle connection to the same host and port, kept from an earlier
//!    request, is used when the server allowed keep-alive and has not closed it since. Otherwise
//!    a new TCP connection is opened with [`tokio::net::TcpStream::connect`], given
//!    [`Transmit::timeout`] to succeed: refused, unreachable and unresolvable hosts are
//!    [`TransportError::ConnectFailed`], running out of time is
//!    [`TransportError::ConnectTimeout`].
//! 2. **The request**, written by hyper's low-level HTTP/1.1 client
//!    ([`hyper::client::conn::http1`]): the method and request target of the transmit, `Host`
//!    (the transmit's authority), its headers, `Content-Length: 0` on a `PUT`, and a
//!    `User-Agent` of [`DEFAULT_USER_AGENT`] when the machine sent none. The body is empty.
//! 3. **The response**: status line, headers and the whole body must arrive within
//!    [`Transmit::timeout`] again, or the request fails with [`TransportError::ReadTimeout`].
//!    A body longer than [`Limits::max_body_bytes`] (64 KiB by default) is refused — at once when
//!    `Content-Length` announces it, otherwise as soon as that many bytes have arrived — and the
//!    connection is dropped: nothing is ever buffered without bound. A connection that closes or
//!    resets before the response is complete, or a response hyper cannot read, is
//!    [`TransportError::ConnectionClosed`].
//!
//! Worst case, a request takes twice its timeout (connect, then read), which is also the
//! deadline the machines give it.
//!
//! ## Connection reuse
//!
//! IMDS requests come in threes (token, role name, document), so keeping the connection saves
//! two handshakes per fetch. After a complete response the connection goes back to a small pool
//! ([`Limits::max_idle_connections`], one per host and port) unless hyper has seen it close
//! (`Connection: close`, or the server hung up). Before reuse it is checked again.
//!
//! A server may still close an idle connection just as a request is written to it (a race
//! every keep-alive client has). When a **reused** connection fails before any byte of a
//! response arrived, the request is sent **once more on a fresh connection**, as RFC 9110
//! §9.2.2 allows for idempotent requests (the machines only send `GET` and `PUT`). A fresh
//! connection that fails the same way is reported to the machine, which applies botocore's
//! retry rules.
//!
//! ## No proxy, no TLS
//!
//! Nothing here reads `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` or any other environment
//! variable: requests always go straight to the host the machine named. That is what botocore
//! does for both endpoints (spec §6: "No proxies are used"), and it is the only safe choice — a
//! proxy must never see an IMDS session token or a container authorization token, and IMDS
//! refuses token requests that went through a proxy anyway. A transmit for `https` is refused
//! with [`SendErrorKind::HttpsNotSupported`] before anything is sent; TLS comes with rustls in a
//! later release.

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use credchain_core::http::{Method, Response, Scheme, Transmit, TransportError, header};
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONNECTION, CONTENT_LENGTH, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// The default cap on a response body: 64 KiB. IMDS documents are under 2 KiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// The default number of idle connections kept.
pub const DEFAULT_MAX_IDLE_CONNECTIONS: usize = 4;

/// The `User-Agent` sent when the machine's request has none.
pub const DEFAULT_USER_AGENT: &str = concat!("credchain-http/", env!("CARGO_PKG_VERSION"));

/// Bounds on what one [`HttpClient`] holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest response body accepted, in bytes; a longer one is
    /// [`SendErrorKind::BodyTooLarge`].
    pub max_body_bytes: usize,
    /// How many idle connections are kept for reuse (0: none, every request opens its own).
    pub max_idle_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_idle_connections: DEFAULT_MAX_IDLE_CONNECTIONS,
        }
    }
}

/// What a request failed on, finer than [`TransportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendErrorKind {
    /// The connection was refused, the host was unreachable, or its name did not resolve.
    ConnectFailed,
    /// Connecting took longer than the timeout.
    ConnectTimeout,
    /// The response (head and body) did not arrive within the timeout.
    ReadTimeout,
    /// The connection closed or reset before the response was complete, or the response was
    /// not HTTP/1.1 that hyper could read.
    ConnectionClosed,
    /// The body is longer than [`Limits::max_body_bytes`].
    BodyTooLarge {
        /// The limit.
        limit: usize,
        /// The `Content-Length` the server announced, if any.
        declared: Option<u64>,
    },
    /// The request cannot be written: a target or header value hyper refuses.
    InvalidRequest,
    /// The transmit is for `https`, which this transport does not speak yet.
    HttpsNotSupported,
}

/// Why [`HttpClient::send`] got no usable response.
///
/// The detail, when present, is the operating system's or hyper's own message (never a
/// header value or a body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    kind: SendErrorKind,
    detail: Option<String>,
}

impl SendError {
    fn new(kind: SendErrorKind) -> SendError {
        SendError { kind, detail: None }
    }

    fn with_detail(kind: SendErrorKind, detail: &dyn fmt::Display) -> SendError {
        SendError {
            kind,
            detail: Some(detail.to_string()),
        }
    }

    /// What failed.
    #[must_use]
    pub fn kind(&self) -> SendErrorKind {
        self.kind
    }

    /// The underlying message, if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// The error as the core's machines classify it (spec §4.4, §4.5, §6): an oversized body, a
    /// request that cannot be written and `https` are [`TransportError::Other`], which stops a
    /// fetch instead of being retried.
    #[must_use]
    pub fn transport_error(&self) -> TransportError {
        match self.kind {
            SendErrorKind::ConnectFailed => TransportError::ConnectFailed,
            SendErrorKind::ConnectTimeout => TransportError::ConnectTimeout,
            SendErrorKind::ReadTimeout => TransportError::ReadTimeout,
            SendErrorKind::ConnectionClosed => TransportError::ConnectionClosed,
            SendErrorKind::BodyTooLarge { .. }
            | SendErrorKind::InvalidRequest
            | SendErrorKind::HttpsNotSupported => TransportError::Other,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SendErrorKind::ConnectFailed => f.write_str("could not connect")?,
            SendErrorKind::ConnectTimeout => f.write_str("connect timeout")?,
            SendErrorKind::ReadTimeout => f.write_str("read timeout: no complete response")?,
            SendErrorKind::ConnectionClosed => {
                f.write_str("connection closed before a complete response")?;
            }
            SendErrorKind::BodyTooLarge { limit, declared } => {
                write!(f, "response body larger than the {limit} bytes allowed")?;
                if let Some(n) = declared {
                    write!(f, " (Content-Length: {n})")?;
                }
            }
            SendErrorKind::InvalidRequest => f.write_str("the request cannot be written")?,
            SendErrorKind::HttpsNotSupported => f.write_str(
                "https is not supported yet by credchain-http (TLS arrives with rustls)",
            )?,
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl StdError for SendError {}

/// A complete response, owned: what a machine's `handle_response` borrows from.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    status: u16,
    token_ttl: Option<String>,
    body: Bytes,
}

impl HttpResponse {
    /// The status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The `x-aws-ec2-metadata-token-ttl-seconds` header, if present and visible ASCII.
    #[must_use]
    pub fn token_ttl(&self) -> Option<&str> {
        self.token_ttl.as_deref()
    }

    /// The whole body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The response as the core's machines take it.
    #[must_use]
    pub fn as_core(&self) -> Response<'_> {
        let r = Response::new(self.status, &self.body);
        match &self.token_ttl {
            Some(ttl) => r.with_token_ttl(ttl),
            None => r,
        }
    }
}

impl fmt::Debug for HttpResponse {
    /// The body may hold credentials or a token: only its length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("token_ttl", &self.token_ttl)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// Counters of what an [`HttpClient`] did, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Requests handed to [`HttpClient::send`].
    pub requests: u64,
    /// TCP connections opened (attempts that connected).
    pub connections_opened: u64,
    /// Requests sent on a kept connection.
    pub reused: u64,
    /// Requests sent again on a fresh connection after a kept one closed under them.
    pub retried_on_fresh: u64,
}

/// One HTTP/1.1 connection: hyper's request handle and the task driving the socket. Dropping
/// it closes the socket.
struct Conn {
    sender: SendRequest<Empty<Bytes>>,
    driver: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

struct Idle {
    host: String,
    port: u16,
    conn: Conn,
}

/// The tokio + hyper transport. See the [module documentation](self).
///
/// One client serves any number of requests, one at a time (`send` takes `&mut self`); it keeps
/// idle connections between them. It must be used inside a tokio runtime with the time and I/O
/// drivers enabled.
pub struct HttpClient {
    limits: Limits,
    idle: Vec<Idle>,
    stats: Stats,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("limits", &self.limits)
            .field("idle_connections", &self.idle.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        HttpClient::new()
    }
}

/// Where a request failed, and whether a fresh connection may be tried.
struct Failure {
    error: SendError,
    retry_fresh: bool,
}

impl Failure {
    fn last(error: SendError) -> Failure {
        Failure {
            error,
            retry_fresh: false,
        }
    }
}

enum ReadError {
    /// Before the response head: hyper's error.
    Head(hyper::Error),
    /// While reading the body.
    Body(hyper::Error),
    TooLarge(Option<u64>),
}

impl HttpClient {
    /// A client with the default [`Limits`].
    #[must_use]
    pub fn new() -> HttpClient {
        HttpClient::with_limits(Limits::default())
    }

    /// A client with these limits.
    #[must_use]
    pub fn with_limits(limits: Limits) -> HttpClient {
        HttpClient {
            limits,
            idle: Vec::new(),
            stats: Stats::default(),
        }
    }

    /// The limits.
    #[must_use]
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// What the client did so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// How many idle connections are kept right now.
    #[must_use]
    pub fn idle_connections(&self) -> usize {
        self.idle.len()
    }

    /// Closes every idle connection.
    pub fn close_idle(&mut self) {
        self.idle.clear();
    }

    /// Sends `tx` and reads the whole response, within `tx.timeout` for connecting and again
    /// for the response (see the [module documentation](self)).
    ///
    /// Dropping the returned future abandons the request and its connection.
    pub async fn send(&mut self, tx: &Transmit<'_>) -> Result<HttpResponse, SendError> {
        self.stats.requests = self.stats.requests.saturating_add(1);
        if tx.scheme == Scheme::Https {
            return Err(SendError::new(SendErrorKind::HttpsNotSupported));
        }
        // Checked before any connection is made, so a bad request costs nothing.
        let request = build_request(tx)?;
        if let Some(conn) = self.take_idle(tx.host, tx.port, tx.timeout).await {
            self.stats.reused = self.stats.reused.saturating_add(1);
            match self.exchange(conn, request, tx, true).await {
                Ok(r) => return Ok(r),
                Err(f) if f.retry_fresh => {
                    self.stats.retried_on_fresh = self.stats.retried_on_fresh.saturating_add(1);
                    tracing::debug!(
                        host = tx.host,
                        port = tx.port,
                        error = %f.error,
                        "kept connection closed before a response; sending again on a new one"
                    );
                }
                Err(f) => return Err(f.error),
            }
            let request = build_request(tx)?;
            let conn = self.connect(tx.host, tx.port, tx.timeout).await?;
            return self
                .exchange(conn, request, tx, false)
                .await
                .map_err(|f| f.error);
        }
        let conn = self.connect(tx.host, tx.port, tx.timeout).await?;
        self.exchange(conn, request, tx, false)
            .await
            .map_err(|f| f.error)
    }

    /// A kept connection to `host:port` that is still open and ready, if there is one.
    async fn take_idle(&mut self, host: &str, port: u16, wait: Duration) -> Option<Conn> {
        while let Some(pos) = self
            .idle
            .iter()
            .position(|i| i.port == port && i.host == host)
        {
            let mut idle = self.idle.remove(pos);
            if idle.conn.sender.is_closed() {
                continue;
            }
            // Lets hyper notice a close it has not processed yet.
            match tokio::time::timeout(wait, idle.conn.sender.ready()).await {
                Ok(Ok(())) => return Some(idle.conn),
                _ => continue,
            }
        }
        None
    }

    fn keep(&mut self, host: &str, port: u16, conn: Conn) {
        if self.limits.max_idle_connections == 0 || conn.sender.is_closed() {
            return;
        }
        self.idle.retain(|i| !(i.port == port && i.host == host));
        while self.idle.len() >= self.limits.max_idle_connections {
            self.idle.remove(0);
        }
        self.idle.push(Idle {
            host: host.to_owned(),
            port,
            conn,
        });
    }

    async fn connect(&mut self, host: &str, port: u16, limit: Duration) -> Result<Conn, SendError> {
        let stream = match tokio::time::timeout(limit, TcpStream::connect((host, port))).await {
            Err(_) => return Err(SendError::new(SendErrorKind::ConnectTimeout)),
            Ok(Err(e)) => return Err(SendError::with_detail(SendErrorKind::ConnectFailed, &e)),
            Ok(Ok(s)) => s,
        };
        self.stats.connections_opened = self.stats.connections_opened.saturating_add(1);
        let _ = stream.set_nodelay(true);
        // The handshake of HTTP/1 does no I/O: it only sets the connection up.
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| SendError::with_detail(SendErrorKind::ConnectionClosed, &e))?;
        let driver = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
        Ok(Conn { sender, driver })
    }

    async fn exchange(
        &mut self,
        mut conn: Conn,
        request: Request<Empty<Bytes>>,
        tx: &Transmit<'_>,
        reused: bool,
    ) -> Result<HttpResponse, Failure> {
        let limit = self.limits.max_body_bytes;
        let read = read_response(&mut conn.sender, request, limit);
        let result = match tokio::time::timeout(tx.timeout, read).await {
            Err(_) => return Err(Failure::last(SendError::new(SendErrorKind::ReadTimeout))),
            Ok(r) => r,
        };
        match result {
            Ok((response, keep_alive)) => {
                if keep_alive {
                    self.keep(tx.host, tx.port, conn);
                }
                Ok(response)
            }
            Err(ReadError::Head(e)) => Err(Failure {
                retry_fresh: reused && closed_before_response(&e),
                error: classify(&e),
            }),
            Err(ReadError::Body(e)) => Err(Failure::last(classify(&e))),
            Err(ReadError::TooLarge(declared)) => {
                Err(Failure::last(SendError::new(SendErrorKind::BodyTooLarge {
                    limit,
                    declared,
                })))
            }
        }
    }
}

/// Sends `request` and reads the response; the flag says whether the connection may be kept.
async fn read_response(
    sender: &mut SendRequest<Empty<Bytes>>,
    request: Request<Empty<Bytes>>,
    limit: usize,
) -> Result<(HttpResponse, bool), ReadError> {
    let response = sender
        .try_send_request(request)
        .await
        .map_err(|e| ReadError::Head(e.into_error()))?;
    let status = response.status().as_u16();
    let headers = response.headers();
    let token_ttl = headers
        .get(header::TOKEN_TTL)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let keep_alive = !asks_to_close(headers);
    let declared = content_length(headers);
    let cap = u64::try_from(limit).unwrap_or(u64::MAX);
    if declared.is_some_and(|n| n > cap) {
        return Err(ReadError::TooLarge(declared));
    }
    let mut body = response.into_body();
    let expected = declared
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(limit);
    let mut buf = BytesMut::with_capacity(expected);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(ReadError::Body)?;
        if let Ok(data) = frame.into_data() {
            if buf.len().saturating_add(data.len()) > limit {
                return Err(ReadError::TooLarge(declared));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok((
        HttpResponse {
            status,
            token_ttl,
            body: buf.freeze(),
        },
        keep_alive,
    ))
}

fn asks_to_close(headers: &HeaderMap) -> bool {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("close"))
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

/// The request hyper writes for `tx`.
fn build_request(tx: &Transmit<'_>) -> Result<Request<Empty<Bytes>>, SendError> {
    let invalid = |what: &str| {
        SendError::with_detail(
            SendErrorKind::InvalidRequest,
            &format_args!("invalid {what}"),
        )
    };
    let method = match tx.method {
        Method::Get => hyper::Method::GET,
        Method::Put => hyper::Method::PUT,
    };
    let uri = Uri::try_from(tx.target).map_err(|_| invalid("request target"))?;
    let mut request = Request::new(Empty::new());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let headers = request.headers_mut();
    let host = HeaderValue::from_str(tx.authority).map_err(|_| invalid("Host"))?;
    headers.insert(HOST, host);
    for h in &tx.headers {
        let name = HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| invalid("header name"))?;
        let mut value = HeaderValue::from_str(h.value).map_err(|_| invalid("header value"))?;
        if h.name == header::TOKEN || h.name == header::AUTHORIZATION {
            value.set_sensitive(true);
        }
        headers.append(name, value);
    }
    if tx.header(header::USER_AGENT).is_none() {
        headers.insert(
            hyper::header::USER_AGENT,
            HeaderValue::from_static(DEFAULT_USER_AGENT),
        );
    }
    if tx.method == Method::Put {
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    Ok(request)
}

/// Whether a request on a kept connection failed before any response arrived, the connection
/// having closed or reset under it.
fn closed_before_response(e: &hyper::Error) -> bool {
    if e.is_parse() || e.is_user() || e.is_timeout() {
        return false;
    }
    e.is_incomplete_message()
        || e.is_canceled()
        || e.is_closed()
        || io_kind(e).is_some_and(|k| {
            matches!(
                k,
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            )
        })
}

fn io_kind(e: &hyper::Error) -> Option<io::ErrorKind> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return Some(io.kind());
        }
        source = s.source();
    }
    None
}

/// hyper's errors after connecting, in the machines' terms.
fn classify(e: &hyper::Error) -> SendError {
    if e.is_user() {
        return SendError::with_detail(SendErrorKind::InvalidRequest, e);
    }
    if e.is_timeout() {
        return SendError::with_detail(SendErrorKind::ReadTimeout, e);
    }
    SendError::with_detail(SendErrorKind::ConnectionClosed, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use credchain_core::http::{Header, Headers, Instant, RequestId};

    fn transmit<'a>(method: Method, target: &'a str, headers: Headers<'a>) -> Transmit<'a> {
        Transmit {
            id: RequestId(0),
            method,
            scheme: Scheme::Http,
            host: "127.0.0.1",
            port: 1,
            authority: "127.0.0.1:1",
            target,
            headers,
            timeout: Duration::from_secs(1),
            deadline: Instant::from_secs(2),
        }
    }

    #[test]
    fn requests_carry_host_length_and_a_user_agent() {
        let mut h = Headers::new();
        h.push(Header {
            name: header::TOKEN_TTL,
            value: "21600",
        })
        .unwrap();
        let r = build_request(&transmit(Method::Put, "/latest/api/token", h)).unwrap();
        assert_eq!(r.method(), hyper::Method::PUT);
        assert_eq!(r.uri(), "/latest/api/token");
        assert_eq!(r.headers()[HOST], "127.0.0.1:1");
        assert_eq!(r.headers()[CONTENT_LENGTH], "0");
        assert_eq!(r.headers()[header::TOKEN_TTL], "21600");
        assert_eq!(r.headers()[hyper::header::USER_AGENT], DEFAULT_USER_AGENT);

        let mut h = Headers::new();
        h.push(Header {
            name: header::USER_AGENT,
            value: "mine/1",
        })
        .unwrap();
        h.push(Header {
            name: header::TOKEN,
            value: "tok",
        })
        .unwrap();
        let r = build_request(&transmit(Method::Get, "/a%20b?x=1", h)).unwrap();
        assert_eq!(r.uri(), "/a%20b?x=1");
        assert!(r.headers().get(CONTENT_LENGTH).is_none());
        assert_eq!(r.headers()[hyper::header::USER_AGENT], "mine/1");
        assert_eq!(
            r.headers()
                .get_all(hyper::header::USER_AGENT)
                .iter()
                .count(),
            1
        );
        assert!(r.headers()[header::TOKEN].is_sensitive());
    }

    #[test]
    fn unwritable_requests_are_refused_before_connecting() {
        let mut h = Headers::new();
        h.push(Header {
            name: header::TOKEN,
            value: "a\nb",
        })
        .unwrap();
        let e = build_request(&transmit(Method::Get, "/", h)).unwrap_err();
        assert_eq!(e.kind(), SendErrorKind::InvalidRequest);
        assert_eq!(e.transport_error(), TransportError::Other);
        assert!(!e.to_string().contains("a\nb"));
        let e = build_request(&transmit(Method::Get, "/a b", Headers::new())).unwrap_err();
        assert_eq!(e.kind(), SendErrorKind::InvalidRequest);
    }

    #[test]
    fn connection_close_is_read_from_every_token() {
        let mut h = HeaderMap::new();
        assert!(!asks_to_close(&h));
        h.append(CONNECTION, HeaderValue::from_static("keep-alive"));
        assert!(!asks_to_close(&h));
        h.append(CONNECTION, HeaderValue::from_static("Upgrade, Close"));
        assert!(asks_to_close(&h));
    }

    #[test]
    fn errors_map_onto_the_machines_classes() {
        let cases = [
            (SendErrorKind::ConnectFailed, TransportError::ConnectFailed),
            (
                SendErrorKind::ConnectTimeout,
                TransportError::ConnectTimeout,
            ),
            (SendErrorKind::ReadTimeout, TransportError::ReadTimeout),
            (
                SendErrorKind::ConnectionClosed,
                TransportError::ConnectionClosed,
            ),
            (
                SendErrorKind::BodyTooLarge {
                    limit: 1,
                    declared: None,
                },
                TransportError::Other,
            ),
            (SendErrorKind::HttpsNotSupported, TransportError::Other),
        ];
        for (kind, expected) in cases {
            assert_eq!(SendError::new(kind).transport_error(), expected, "{kind:?}");
        }
        let e = SendError::new(SendErrorKind::BodyTooLarge {
            limit: 65536,
            declared: Some(10_485_760),
        });
        assert_eq!(
            e.to_string(),
            "response body larger than the 65536 bytes allowed (Content-Length: 10485760)"
        );
    }
}
