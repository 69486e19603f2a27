//! The machinery every server shares: accepting connections over plain TCP or TLS, serving
//! HTTP/1.1 through hyper, applying the throttle and the fault rules, setting the socket TTL,
//! writing the transcript, and stopping.
//!
//! One loop serves all four servers. What a server answers is its [`App`]; how its requests
//! are read and its faults played is the app's [`Serving`]: IMDS and the container endpoint
//! answer from the request head, track the socket's hop limit (the IMDS token PUT's,
//! imds-and-tools §2.1) and write a truncated body straight to the socket; the STS and SSO
//! endpoints ([`crate::endpoint`]) read the body first, redact their bearer header too, and
//! truncate through hyper so that the fault works over TLS as well.
//!
//! Each accepted socket is shared (`Arc<Conn>`) between hyper, which reads requests and writes
//! ordinary responses through it (through TLS or not), and the request handler, which can reach
//! below HTTP and TLS: set the IP TTL, write a response whose body is shorter than its
//! `Content-Length`, or reset the connection. Connection tasks live in a `JoinSet` owned by the
//! accept task, so stopping the server (or dropping its handle) aborts every connection,
//! stalled ones included.

use std::convert::Infallible;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use credchain_core::time::Timestamp;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::Error;
use crate::clock::Clock;
use crate::endpoint::MAX_REQUEST_BODY;
use crate::fault::{
    Bucket, Fault, FaultId, FaultKind, FaultRule, FaultSet, Throttle, ThrottleAction,
};
use crate::tls::TlsIdentity;
use crate::transcript::{AuthCheck, Exchange, Outcome, Transcript, redact_headers, redacted};

/// How long a client has to send a request head, to finish the TLS handshake, and to send a
/// request body.
const CLIENT_DEADLINE: Duration = Duration::from_secs(30);

/// What a server application sees of a request.
#[derive(Debug)]
pub(crate) struct RequestView<'a> {
    pub(crate) method: &'a Method,
    /// The path, without the query.
    pub(crate) path: &'a str,
    /// The query, without `?` (empty when none).
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    /// The body, when the app's [`Serving::read_body`] asks for it (else empty).
    pub(crate) body: &'a [u8],
    pub(crate) peer: SocketAddr,
}

/// A complete answer, before it is turned into bytes.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
    /// Set the socket's IP TTL to this before answering (the IMDS hop limit).
    pub(crate) set_ttl: Option<u32>,
    pub(crate) auth: AuthCheck,
}

/// How a kind of server reads requests and plays faults, beside what it answers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Serving {
    /// Read the whole request body (up to [`MAX_REQUEST_BODY`], else 413) before anything
    /// else, as a real API endpoint does; without it the body is left unread.
    pub(crate) read_body: bool,
    /// Read the socket's hop limit when a connection opens and record it with every exchange
    /// (a reply's [`Reply::set_ttl`] changes it; the next request puts it back).
    pub(crate) hop_limit: bool,
    /// Header names the transcript redacts beyond those every transcript redacts.
    pub(crate) secret_headers: &'static [&'static str],
    /// Write a truncated body straight to the socket, below hyper (plain TCP only), rather
    /// than handing hyper half the body and ending the connection at its next flush.
    pub(crate) truncate_raw: bool,
}

impl Serving {
    /// IMDS and the container endpoint.
    pub(crate) const METADATA: Serving = Serving {
        read_body: false,
        hop_limit: true,
        secret_headers: &[],
        truncate_raw: true,
    };
}

/// The part of a server that knows what to answer: IMDS, the container endpoint, STS or SSO.
pub(crate) trait App: Send + Sync + 'static {
    /// How this server's requests are read and its faults played.
    const SERVING: Serving;
    /// The answer to a request at `now`.
    fn respond(&self, req: &RequestView<'_>, now: Timestamp) -> Reply;
    /// The answer for an injected [`Fault::Status`] on `path`.
    fn status_reply(&self, status: StatusCode, path: &str) -> Reply;
}

/// State shared by the accept task, every connection, and the handles.
#[derive(Debug)]
pub(crate) struct Common {
    pub(crate) clock: Clock,
    faults: Mutex<FaultSet>,
    throttle: Mutex<Option<Bucket>>,
    pub(crate) transcript: Transcript,
    started: Instant,
    seq: AtomicU64,
    connections: AtomicU64,
    max_connections: usize,
    label: &'static str,
}

/// Options every server takes.
#[derive(Debug, Clone)]
pub(crate) struct CommonOptions {
    pub(crate) bind: SocketAddr,
    pub(crate) clock: Clock,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) throttle: Option<Throttle>,
    pub(crate) transcript_capacity: usize,
    pub(crate) max_connections: usize,
}

impl Default for CommonOptions {
    fn default() -> Self {
        CommonOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: Clock::system(),
            faults: Vec::new(),
            throttle: None,
            transcript_capacity: 100_000,
            max_connections: 1024,
        }
    }
}

/// Live controls shared by both servers: the clock, fault rules, the throttle, and the
/// transcript. Cloning gives another handle on the same server; it stays usable (and
/// harmless) after the server stopped.
#[derive(Debug, Clone)]
pub struct Controls {
    common: Arc<Common>,
}

impl Controls {
    /// The server's clock: set it, freeze it, or move it to make tokens expire and credentials
    /// rotate.
    pub fn clock(&self) -> &Clock {
        &self.common.clock
    }

    /// Adds a fault rule (after the existing ones) and returns its id. Fails for an invalid
    /// fault (a status outside 200–599).
    pub fn add_fault(&self, rule: FaultRule) -> Result<FaultId, Error> {
        self.faults().add(rule)
    }

    /// Removes a rule; `false` if it was already gone (used up or removed).
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.faults().remove(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.faults().clear();
    }

    /// The rules in force, with their remaining counts.
    pub fn faults_in_force(&self) -> Vec<FaultRule> {
        self.faults().rules()
    }

    fn faults(&self) -> std::sync::MutexGuard<'_, FaultSet> {
        self.common
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Sets (or with `None` removes) the request-rate throttle; a new bucket starts full.
    pub fn set_throttle(&self, throttle: Option<Throttle>) {
        let bucket = throttle.map(|t| Bucket::new(t, Instant::now()));
        *self
            .common
            .throttle
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = bucket;
    }

    /// Every request recorded so far (up to the transcript's capacity, oldest first).
    pub fn transcript(&self) -> Vec<Exchange> {
        self.common.transcript.snapshot()
    }

    /// The transcript as a JSON array.
    pub fn transcript_json(&self) -> String {
        serde_json::to_string_pretty(&self.common.transcript.snapshot())
            .unwrap_or_else(|_| "[]".to_owned())
    }

    /// Forgets the recorded requests (the count of requests seen keeps going).
    pub fn clear_transcript(&self) {
        self.common.transcript.clear();
    }

    /// How many requests have been recorded since the server started.
    pub fn requests_seen(&self) -> u64 {
        self.common.transcript.recorded()
    }

    /// How many old entries were dropped because the transcript was full.
    pub fn transcript_dropped(&self) -> u64 {
        self.common.transcript.dropped()
    }

    /// Waits until at least `n` requests have been recorded since the server started (a
    /// request is recorded once the server decided what to do with it, before any answer is
    /// sent). Wrap it in a timeout in tests.
    pub async fn wait_for_requests(&self, n: u64) {
        self.common.transcript.wait_for(n).await;
    }
}

/// A server that is running: its address, and the means to stop it.
#[derive(Debug)]
pub(crate) struct Running {
    addr: SocketAddr,
    controls: Controls,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    /// Binds `options.bind` and serves `app` there: over TLS with `tls`, else plain HTTP.
    pub(crate) async fn start<A: App>(
        options: CommonOptions,
        label: &'static str,
        app: Arc<A>,
        tls: Option<&TlsIdentity>,
    ) -> Result<Running, Error> {
        let mut faults = FaultSet::default();
        for rule in options.faults {
            faults.add(rule)?;
        }
        let acceptor = match tls {
            Some(identity) => Some(tokio_rustls::TlsAcceptor::from(identity.server_config()?)),
            None => None,
        };
        let listener = TcpListener::bind(options.bind)
            .await
            .map_err(|source| Error::Bind {
                addr: options.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| Error::Bind {
            addr: options.bind,
            source,
        })?;
        let now = Instant::now();
        let common = Arc::new(Common {
            clock: options.clock,
            faults: Mutex::new(faults),
            throttle: Mutex::new(options.throttle.map(|t| Bucket::new(t, now))),
            transcript: Transcript::new(options.transcript_capacity),
            started: now,
            seq: AtomicU64::new(0),
            connections: AtomicU64::new(0),
            max_connections: options.max_connections.max(1),
            label,
        });
        let https = acceptor.is_some();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, common.clone(), app, acceptor, rx));
        tracing::info!(server = label, %addr, https, "listening");
        Ok(Running {
            addr,
            controls: Controls { common },
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn controls(&self) -> &Controls {
        &self.controls
    }

    pub(crate) fn common(&self) -> &Common {
        &self.controls.common
    }

    /// Stops accepting, aborts every connection, and waits until the listener is closed.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        tracing::info!(server = self.controls.common.label, addr = %self.addr, "stopped");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            // Dropping the accept task's future drops its JoinSet, which aborts every
            // connection task.
            task.abort();
        }
    }
}

async fn accept_loop<A: App>(
    listener: TcpListener,
    common: Arc<Common>,
    app: Arc<A>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: oneshot::Receiver<()>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let id = common.connections.fetch_add(1, Ordering::Relaxed);
                    if conns.len() >= common.max_connections {
                        tracing::warn!(server = common.label, %peer, "too many connections; closing a new one");
                        drop(stream);
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve_connection(
                        stream, peer, id, common.clone(), app.clone(), acceptor.clone(),
                    ));
                }
                Err(e) => {
                    // Out of descriptors and the like: wait a little instead of spinning.
                    tracing::warn!(server = common.label, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
        }
    }
    conns.shutdown().await;
}

/// One connection as the request handler sees it.
#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    requests: AtomicU32,
    /// IPv6 proper (hop limit `IPV6_UNICAST_HOPS`) rather than IPv4 (`IP_TTL`), decided once
    /// from the peer's address instead of a `getsockname` per request.
    v6: bool,
    default_ttl: Option<u32>,
    ttl_changed: AtomicBool,
    /// The hop limit last read back from the socket with `getsockopt` (at the start, and after
    /// every change this server made); [`NO_TTL`] when the read failed or the server does not
    /// track it ([`Serving::hop_limit`]). Only this server changes the socket's hop limit, so
    /// the value stays true until the next change, and a request that changes nothing costs no
    /// system call to record it.
    ttl_read: AtomicU32,
    /// Set once half a body was handed to hyper for a truncated answer: the next flush of the
    /// socket ends the connection.
    truncate_after_flush: AtomicBool,
    kill: Notify,
}

/// [`Conn::ttl_read`] when `getsockopt` failed.
const NO_TTL: u32 = u32::MAX;

impl Conn {
    /// Puts the TTL back after a token PUT answered on this connection.
    fn restore_ttl(&self) {
        if self.ttl_changed.swap(false, Ordering::AcqRel)
            && let Some(ttl) = self.default_ttl
        {
            let _ = set_hop_limit(&self.stream, self.v6, ttl);
            self.read_back_ttl();
        }
    }

    /// Reads the socket's hop limit with `getsockopt` and remembers it.
    fn read_back_ttl(&self) {
        let ttl = hop_limit(&self.stream, self.v6).unwrap_or(NO_TTL);
        self.ttl_read.store(ttl, Ordering::Release);
    }

    /// The socket's hop limit as last read back.
    fn socket_ttl(&self) -> Option<u32> {
        Some(self.ttl_read.load(Ordering::Acquire)).filter(|&t| t != NO_TTL)
    }

    /// Ends the connection without (further) answer: with an RST when `reset`, else a FIN.
    fn end(&self, reset: bool) {
        let sock = socket2::SockRef::from(&self.stream);
        if reset {
            let _ = sock.set_linger(Some(Duration::ZERO));
        } else {
            let _ = sock.shutdown(Shutdown::Write);
        }
        self.kill.notify_one();
    }

    /// Holds a request unanswered. Ends the connection when the client closes its side, so a
    /// stalled connection does not outlive its client.
    async fn stall(&self) -> Result<Response<ReplyBody>, Infallible> {
        let mut byte = [0u8; 1];
        match self.stream.peek(&mut byte).await {
            Ok(0) | Err(_) => self.kill.notify_one(),
            // More bytes from the client (a pipelined request): nothing to learn; wait for the
            // server to stop.
            Ok(_) => {}
        }
        std::future::pending().await
    }

    /// Writes below HTTP (plain TCP only).
    async fn write_raw(&self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(data) {
                Ok(n) => data = data.get(n..).unwrap_or_default(),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

async fn serve_connection<A: App>(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    common: Arc<Common>,
    app: Arc<A>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) {
    // An accepted socket has its listener's family; on a dual-stack listener an IPv4 client
    // shows as a mapped address and its socket's hop limit is `IP_TTL`.
    let v6 = matches!(peer, SocketAddr::V6(a) if a.ip().to_ipv4_mapped().is_none());
    let default_ttl = if A::SERVING.hop_limit {
        hop_limit(&stream, v6).ok()
    } else {
        None
    };
    let conn = Arc::new(Conn {
        default_ttl,
        stream,
        peer,
        id,
        requests: AtomicU32::new(0),
        v6,
        ttl_changed: AtomicBool::new(false),
        ttl_read: AtomicU32::new(default_ttl.unwrap_or(NO_TTL)),
        truncate_after_flush: AtomicBool::new(false),
        kill: Notify::new(),
    });
    let io = SharedStream(conn.clone());
    match acceptor {
        None => serve_http(TokioIo::new(io), conn, common, app).await,
        Some(acceptor) => match tokio::time::timeout(CLIENT_DEADLINE, acceptor.accept(io)).await {
            Ok(Ok(tls)) => serve_http(TokioIo::new(tls), conn, common, app).await,
            Ok(Err(e)) => {
                tracing::debug!(connection = id, %peer, error = %e, "TLS handshake failed");
            }
            Err(_) => {
                tracing::debug!(connection = id, %peer, "TLS handshake timed out");
            }
        },
    }
}

async fn serve_http<A: App, I>(io: TokioIo<I>, conn: Arc<Conn>, common: Arc<Common>, app: Arc<A>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let for_service = conn.clone();
    let service = hyper::service::service_fn(move |req| {
        handle(req, for_service.clone(), common.clone(), app.clone())
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(CLIENT_DEADLINE)
        .max_buf_size(64 * 1024);
    let served = builder.serve_connection(io, service);
    tokio::select! {
        biased;
        _ = conn.kill.notified() => {
            tracing::debug!(connection = conn.id, peer = %conn.peer, "connection ended by a fault");
        }
        result = served => {
            if let Err(e) = result {
                tracing::debug!(connection = conn.id, peer = %conn.peer, error = %e, "connection error");
            }
        }
    }
}

async fn handle<A: App>(
    req: Request<Incoming>,
    conn: Arc<Conn>,
    common: Arc<Common>,
    app: Arc<A>,
) -> Result<Response<ReplyBody>, Infallible> {
    conn.restore_ttl();
    let (parts, incoming) = req.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.to_string(), |p| p.as_str().to_owned());
    let path = parts.uri.path();
    let mut record = Exchange {
        seq: common.seq.fetch_add(1, Ordering::Relaxed),
        connection: conn.id,
        on_connection: conn.requests.fetch_add(1, Ordering::Relaxed),
        peer: conn.peer,
        at: common.clock.now(),
        elapsed: common.started.elapsed(),
        method: parts.method.as_str().to_owned(),
        path: target,
        version: version_text(parts.version).to_owned(),
        headers: transcript_headers(&parts.headers, A::SERVING.secret_headers),
        auth: AuthCheck::NotChecked,
        outcome: Outcome::Pending,
        delay: Duration::ZERO,
        socket_ttl: None,
    };

    // An API endpoint reads the whole request first, as a real one does before deciding
    // anything. (Otherwise `incoming` stays unread until the answer is out.)
    let body = if A::SERVING.read_body {
        let read = Limited::new(incoming, MAX_REQUEST_BODY).collect();
        match tokio::time::timeout(CLIENT_DEADLINE, read).await {
            Ok(Ok(collected)) => collected.to_bytes(),
            Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                let reply = Reply {
                    status: StatusCode::PAYLOAD_TOO_LARGE,
                    headers: vec![],
                    body: Bytes::from_static(b"request body too large"),
                    set_ttl: None,
                    auth: AuthCheck::NotChecked,
                };
                return Ok(answer(&common, record, reply, false));
            }
            Ok(Err(_)) => {
                // The client went away mid-body: nothing to answer.
                record.outcome = Outcome::Fault {
                    fault: FaultKind::Close,
                };
                finish(&common, record);
                conn.kill.notify_one();
                return std::future::pending().await;
            }
            Err(_) => {
                record.outcome = Outcome::Fault {
                    fault: FaultKind::Close,
                };
                finish(&common, record);
                conn.end(false);
                return std::future::pending().await;
            }
        }
    } else {
        Bytes::new()
    };

    // The throttle comes first: it stands for the network in front of the service.
    let throttled = common
        .throttle
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_mut()
        .and_then(|b| b.take(Instant::now()));
    if let Some(action) = throttled {
        let fault = match action {
            ThrottleAction::Stall => FaultKind::Stall,
            ThrottleAction::Drop => FaultKind::Reset,
        };
        record.outcome = Outcome::Throttled { fault };
        finish(&common, record);
        return match action {
            ThrottleAction::Stall => conn.stall().await,
            ThrottleAction::Drop => {
                conn.end(true);
                std::future::pending().await
            }
        };
    }

    let plan = common
        .faults
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .plan(parts.method.as_str(), path);
    record.delay = plan.delay;
    if !plan.delay.is_zero() {
        tokio::time::sleep(plan.delay).await;
    }
    let reply = match plan.fault {
        Some(f @ (Fault::Stall | Fault::Reset | Fault::Close)) => {
            record.outcome = Outcome::Fault { fault: f.kind() };
            record.socket_ttl = conn.socket_ttl();
            finish(&common, record);
            if f == Fault::Stall {
                return conn.stall().await;
            }
            conn.end(f == Fault::Reset);
            return std::future::pending().await;
        }
        Some(Fault::Status(code)) => app.status_reply(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            path,
        ),
        _ => {
            let view = RequestView {
                method: &parts.method,
                path,
                query: parts.uri.query().unwrap_or(""),
                headers: &parts.headers,
                body: &body,
                peer: conn.peer,
            };
            app.respond(&view, common.clock.now())
        }
    };
    record.auth = reply.auth;
    if let Some(ttl) = reply.set_ttl {
        match set_hop_limit(&conn.stream, conn.v6, ttl) {
            Ok(()) => conn.ttl_changed.store(true, Ordering::Release),
            Err(e) => tracing::warn!(connection = conn.id, error = %e, "could not set the IP TTL"),
        }
        conn.read_back_ttl();
    }
    record.socket_ttl = conn.socket_ttl();

    let head = parts.method == Method::HEAD;
    match plan.fault {
        Some(Fault::TruncatedBody) => {
            let len = reply.body.len();
            let (declared, sent) = if len >= 2 {
                (len, len / 2)
            } else {
                (len.saturating_add(64), len)
            };
            record.outcome = Outcome::Truncated {
                status: reply.status.as_u16(),
                declared: declared as u64,
                sent: sent as u64,
            };
            finish(&common, record);
            if !A::SERVING.truncate_raw {
                // Through hyper (and TLS, if any): the half goes out, then the connection ends.
                let part = reply.body.slice(..sent);
                let body = ReplyBody::truncated(part, conn.clone());
                return Ok(build(reply, body, declared as u64));
            }
            let mut raw = raw_head(&reply, declared);
            raw.extend_from_slice(reply.body.get(..sent).unwrap_or_default());
            if let Err(e) = conn.write_raw(&raw).await {
                tracing::debug!(connection = conn.id, error = %e, "truncated write failed");
            }
            conn.end(false);
            std::future::pending().await
        }
        Some(Fault::OversizedBody { bytes }) => {
            record.outcome = Outcome::Oversized {
                status: reply.status.as_u16(),
                body_len: if head { 0 } else { bytes },
            };
            finish(&common, record);
            Ok(build(reply, ReplyBody::padded(bytes), bytes))
        }
        _ => Ok(answer(&common, record, reply, head)),
    }
}

/// The request headers as the transcript keeps them: every secret header redacted, `secret`
/// ones too.
fn transcript_headers(headers: &HeaderMap, secret: &[&str]) -> Vec<(String, String)> {
    let mut list = redact_headers(headers);
    if secret.is_empty() {
        return list;
    }
    for (name, value) in &mut list {
        if secret.contains(&name.as_str())
            && let Some(raw) = headers.get(name.as_str())
        {
            *value = redacted(raw.as_bytes());
        }
    }
    list
}

/// The hop limit of packets sent on this connection: `IP_TTL`, or `IPV6_UNICAST_HOPS` when `v6`
/// (IPv6 proper, not an IPv4 peer on a dual-stack socket).
fn hop_limit(stream: &TcpStream, v6: bool) -> io::Result<u32> {
    if v6 {
        socket2::SockRef::from(stream).unicast_hops_v6()
    } else {
        stream.ttl()
    }
}

fn set_hop_limit(stream: &TcpStream, v6: bool, hops: u32) -> io::Result<()> {
    if v6 {
        socket2::SockRef::from(stream).set_unicast_hops_v6(hops)
    } else {
        stream.set_ttl(hops)
    }
}

/// `HTTP/1.1` and the like, as `Debug` writes them, without going through the formatter.
fn version_text(v: hyper::Version) -> &'static str {
    match v {
        hyper::Version::HTTP_09 => "HTTP/0.9",
        hyper::Version::HTTP_10 => "HTTP/1.0",
        hyper::Version::HTTP_11 => "HTTP/1.1",
        hyper::Version::HTTP_2 => "HTTP/2.0",
        hyper::Version::HTTP_3 => "HTTP/3.0",
        _ => "HTTP/?",
    }
}

/// Records `reply` as answered in full and turns it into a response.
fn answer(common: &Common, mut record: Exchange, reply: Reply, head: bool) -> Response<ReplyBody> {
    let len = reply.body.len() as u64;
    record.auth = reply.auth;
    record.outcome = Outcome::Answered {
        status: reply.status.as_u16(),
        body_len: if head { 0 } else { len },
    };
    finish(common, record);
    let body = ReplyBody::full(reply.body.clone());
    build(reply, body, len)
}

fn finish(common: &Common, record: Exchange) {
    tracing::debug!(
        server = common.label,
        seq = record.seq,
        connection = record.connection,
        peer = %record.peer,
        method = %record.method,
        path = %record.path,
        auth = ?record.auth,
        outcome = ?record.outcome,
        "request"
    );
    common.transcript.push(record);
}

fn build(reply: Reply, body: ReplyBody, len: u64) -> Response<ReplyBody> {
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

/// The status line and headers of `reply`, as hyper would write them, with this
/// `Content-Length`.
fn raw_head(reply: &Reply, content_length: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(
        format!(
            "HTTP/1.1 {} {}\r\n",
            reply.status.as_u16(),
            reply.status.canonical_reason().unwrap_or("Unknown")
        )
        .as_bytes(),
    );
    for (name, value) in &reply.headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("content-length: {content_length}\r\n\r\n").as_bytes());
    out
}

/// A response body: bytes in memory; the normal body padded with spaces to a large size
/// without holding it in memory; or part of a body after which the connection ends.
#[derive(Debug)]
pub(crate) struct ReplyBody {
    head: Option<Bytes>,
    padding: u64,
    /// For a truncated answer: the connection to end once `head` has gone out.
    truncate: Option<Arc<Conn>>,
}

/// 64 KiB of spaces: JSON and XML white space, so an oversized document is still a valid
/// document, and only a client with a size cap refuses it.
static SPACES: [u8; 64 * 1024] = [b' '; 64 * 1024];

impl ReplyBody {
    fn full(bytes: Bytes) -> ReplyBody {
        ReplyBody {
            head: Some(bytes),
            padding: 0,
            truncate: None,
        }
    }

    /// `total` bytes of spaces. (The normal body is not included: a client that stops reading
    /// at a cap sees only padding, and one that reads it all sees only whitespace.)
    fn padded(total: u64) -> ReplyBody {
        ReplyBody {
            head: None,
            padding: total,
            truncate: None,
        }
    }

    /// `part`, then nothing: the connection ends once `part` is flushed.
    fn truncated(part: Bytes, conn: Arc<Conn>) -> ReplyBody {
        ReplyBody {
            head: Some(part),
            padding: 0,
            truncate: Some(conn),
        }
    }
}

impl Body for ReplyBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if let Some(conn) = &self.truncate {
            // Half the body, then nothing more: the socket's next flush (which carries
            // that half) ends the connection.
            conn.truncate_after_flush.store(true, Ordering::Release);
            return match self.head.take() {
                Some(part) if !part.is_empty() => Poll::Ready(Some(Ok(Frame::data(part)))),
                _ => Poll::Pending,
            };
        }
        if let Some(head) = self.head.take()
            && !head.is_empty()
        {
            return Poll::Ready(Some(Ok(Frame::data(head))));
        }
        if self.padding == 0 {
            return Poll::Ready(None);
        }
        let n = usize::try_from(self.padding)
            .unwrap_or(usize::MAX)
            .min(SPACES.len());
        self.padding = self.padding.saturating_sub(n as u64);
        let chunk = Bytes::from_static(SPACES.get(..n).unwrap_or_default());
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.truncate.is_none()
            && self.head.as_ref().is_none_or(Bytes::is_empty)
            && self.padding == 0
    }

    fn size_hint(&self) -> SizeHint {
        if self.truncate.is_some() {
            return SizeHint::default();
        }
        let head = self.head.as_ref().map_or(0, |h| h.len() as u64);
        SizeHint::with_exact(head.saturating_add(self.padding))
    }
}

/// The accepted socket, shared between hyper (through TLS or not) and the request handler:
/// reads and writes go through tokio's `&TcpStream` readiness API, so the handler can keep its
/// own reference to set socket options, write below HTTP, or reset or close the connection
/// below HTTP and TLS.
#[derive(Debug)]
struct SharedStream(Arc<Conn>);

impl AsyncRead for SharedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let stream = &self.0.stream;
        loop {
            ready!(stream.poll_read_ready(cx))?;
            match stream.try_read(buf.initialize_unfilled()) {
                Ok(n) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for SharedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let stream = &self.0.stream;
        loop {
            ready!(stream.poll_write_ready(cx))?;
            match stream.try_write(data) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket, so a flush means a truncated half is out. (A load
        // first: the flag is almost never set, and a plain load is cheaper than a swap.)
        let flag = &self.0.truncate_after_flush;
        if flag.load(Ordering::Acquire) && flag.swap(false, Ordering::AcqRel) {
            self.0.end(false);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = socket2::SockRef::from(&self.0.stream).shutdown(Shutdown::Write);
        Poll::Ready(match result {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}
