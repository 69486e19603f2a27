//! The machinery the STS and SSO endpoints share: accepting connections over plain TCP or
//! TLS, reading each request *with its body*, applying the throttle and the fault rules,
//! writing the transcript, and stopping.
//!
//! It follows the IMDS server's machinery (`serve`): the same [`FaultRule`]s with the same
//! meaning, the same [`Exchange`] records (secrets redacted; bodies never recorded, as they
//! carry web identity tokens, refresh tokens and client secrets), the same clock. It differs
//! where an API endpoint must: the body is read (up to [`MAX_REQUEST_BODY`]), TLS may wrap the
//! socket, and faults that reach below HTTP work through TLS too — a truncated body is the
//! response head and half the body followed by a TCP close without TLS `close_notify`; a reset
//! is an RST on the underlying socket.

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
use crate::fault::{
    Bucket, Fault, FaultId, FaultKind, FaultRule, FaultSet, Throttle, ThrottleAction,
};
use crate::tls::TlsIdentity;
use crate::transcript::{AuthCheck, Exchange, Outcome, Transcript, redact_headers, redacted};

/// The largest request body read: 1 MiB. (An STS form with the longest web identity token
/// is under 30 KiB.) A larger one is answered with 413.
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// How long a client has to finish the TLS handshake, and to send a request body.
const CLIENT_DEADLINE: Duration = Duration::from_secs(30);

/// Header names that carry secrets on these endpoints, beyond those every transcript redacts.
const MORE_SECRET_HEADERS: [&str; 1] = ["x-amz-sso_bearer_token"];

/// What an API sees of a request.
#[derive(Debug)]
pub(crate) struct ApiRequest<'a> {
    pub(crate) method: &'a Method,
    /// The path, without the query.
    pub(crate) path: &'a str,
    /// The query, without `?` (empty when none).
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// A complete answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiReply {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Bytes,
    pub(crate) auth: AuthCheck,
}

/// The part of a server that knows what to answer: STS or SSO.
pub(crate) trait Api: Send + Sync + 'static {
    /// The answer to a request at `now`.
    fn respond(&self, req: &ApiRequest<'_>, now: Timestamp) -> ApiReply;
    /// The answer for an injected [`Fault::Status`] on `path`.
    fn status_reply(&self, status: StatusCode, path: &str) -> ApiReply;
}

#[derive(Debug)]
struct Common {
    clock: Clock,
    faults: Mutex<FaultSet>,
    throttle: Mutex<Option<Bucket>>,
    transcript: Transcript,
    started: Instant,
    seq: AtomicU64,
    connections: AtomicU64,
    max_connections: usize,
    label: &'static str,
}

/// Options the STS and SSO servers take.
#[derive(Debug, Clone)]
pub(crate) struct EndpointOptions {
    pub(crate) bind: SocketAddr,
    pub(crate) clock: Clock,
    pub(crate) faults: Vec<FaultRule>,
    pub(crate) throttle: Option<Throttle>,
    pub(crate) transcript_capacity: usize,
    pub(crate) max_connections: usize,
    /// Serve HTTPS with this identity, or plain HTTP.
    pub(crate) tls: Option<TlsIdentity>,
}

impl Default for EndpointOptions {
    fn default() -> Self {
        EndpointOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            clock: Clock::system(),
            faults: Vec::new(),
            throttle: None,
            transcript_capacity: 100_000,
            max_connections: 1024,
            tls: None,
        }
    }
}

/// Live controls of an STS or SSO server: its clock, fault rules, throttle and transcript —
/// the same controls, with the same meaning, as the IMDS server's [`Controls`](crate::Controls).
/// Cloning gives another handle on the same server; it stays usable (and harmless) after the
/// server stopped.
#[derive(Debug, Clone)]
pub struct EndpointControls {
    common: Arc<Common>,
}

impl EndpointControls {
    /// The server's clock: move it to make minted credentials and tokens expire.
    pub fn clock(&self) -> &Clock {
        &self.common.clock
    }

    /// Adds a fault rule (after the existing ones) and returns its id.
    pub fn add_fault(&self, rule: FaultRule) -> Result<FaultId, Error> {
        self.faults().add(rule)
    }

    /// Removes a rule; `false` if it was already gone.
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

    /// Sets (or with `None` removes) the request-rate throttle.
    pub fn set_throttle(&self, throttle: Option<Throttle>) {
        let bucket = throttle.map(|t| Bucket::new(t, Instant::now()));
        *self
            .common
            .throttle
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = bucket;
    }

    /// Every request recorded so far (oldest first).
    pub fn transcript(&self) -> Vec<Exchange> {
        self.common.transcript.snapshot()
    }

    /// The transcript as a JSON array.
    pub fn transcript_json(&self) -> String {
        serde_json::to_string_pretty(&self.common.transcript.snapshot())
            .unwrap_or_else(|_| "[]".to_owned())
    }

    /// Forgets the recorded requests.
    pub fn clear_transcript(&self) {
        self.common.transcript.clear();
    }

    /// How many requests have been recorded since the server started.
    pub fn requests_seen(&self) -> u64 {
        self.common.transcript.recorded()
    }

    /// Waits until at least `n` requests have been recorded since the server started.
    pub async fn wait_for_requests(&self, n: u64) {
        self.common.transcript.wait_for(n).await;
    }
}

/// A running endpoint: its address, and the means to stop it.
#[derive(Debug)]
pub(crate) struct Running {
    addr: SocketAddr,
    https: bool,
    controls: EndpointControls,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    pub(crate) async fn start(
        options: EndpointOptions,
        label: &'static str,
        api: Arc<dyn Api>,
    ) -> Result<Running, Error> {
        let mut faults = FaultSet::default();
        for rule in options.faults {
            faults.add(rule)?;
        }
        let acceptor = match &options.tls {
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
        let task = tokio::spawn(accept_loop(listener, common.clone(), api, acceptor, rx));
        tracing::info!(server = label, %addr, https, "listening");
        Ok(Running {
            addr,
            https,
            controls: EndpointControls { common },
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://127.0.0.1:port` or `http://…` (IPv6 in brackets).
    pub(crate) fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub(crate) fn controls(&self) -> &EndpointControls {
        &self.controls
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.controls.common.clock.now()
    }

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
            task.abort();
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    common: Arc<Common>,
    api: Arc<dyn Api>,
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
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    conns.spawn(serve_connection(
                        stream, peer, id, common.clone(), api.clone(), acceptor.clone(),
                    ));
                }
                Err(e) => {
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
    stream: Arc<TcpStream>,
    peer: SocketAddr,
    id: u64,
    requests: AtomicU32,
    /// Set once half a body was handed to hyper for a truncated answer: the next flush of the
    /// socket ends the connection.
    truncate_after_flush: AtomicBool,
    kill: Notify,
}

impl Conn {
    /// Ends the connection without (further) answer: with an RST when `reset`, else a FIN.
    fn end(&self, reset: bool) {
        let sock = socket2::SockRef::from(&*self.stream);
        if reset {
            let _ = sock.set_linger(Some(Duration::ZERO));
        } else {
            let _ = sock.shutdown(Shutdown::Write);
        }
        self.kill.notify_one();
    }

    /// Holds a request unanswered until the client closes its side or the server stops.
    async fn stall(&self) -> Result<Response<ReplyBody>, Infallible> {
        let mut byte = [0u8; 1];
        match self.stream.peek(&mut byte).await {
            Ok(0) | Err(_) => self.kill.notify_one(),
            Ok(_) => {}
        }
        std::future::pending().await
    }
}

async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    common: Arc<Common>,
    api: Arc<dyn Api>,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
) {
    let stream = Arc::new(stream);
    let conn = Arc::new(Conn {
        stream: stream.clone(),
        peer,
        id,
        requests: AtomicU32::new(0),
        truncate_after_flush: AtomicBool::new(false),
        kill: Notify::new(),
    });
    let io = SharedStream {
        stream,
        conn: conn.clone(),
    };
    match acceptor {
        None => serve_http(TokioIo::new(io), conn, common, api).await,
        Some(acceptor) => match tokio::time::timeout(CLIENT_DEADLINE, acceptor.accept(io)).await {
            Ok(Ok(tls)) => serve_http(TokioIo::new(tls), conn, common, api).await,
            Ok(Err(e)) => {
                tracing::debug!(connection = id, %peer, error = %e, "TLS handshake failed");
            }
            Err(_) => {
                tracing::debug!(connection = id, %peer, "TLS handshake timed out");
            }
        },
    }
}

async fn serve_http<I>(io: TokioIo<I>, conn: Arc<Conn>, common: Arc<Common>, api: Arc<dyn Api>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let for_service = conn.clone();
    let service = hyper::service::service_fn(move |req| {
        handle(req, for_service.clone(), common.clone(), api.clone())
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

fn transcript_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut list = redact_headers(headers);
    for (name, value) in &mut list {
        if MORE_SECRET_HEADERS.contains(&name.as_str())
            && let Some(raw) = headers.get(name.as_str())
        {
            *value = redacted(raw.as_bytes());
        }
    }
    list
}

async fn handle(
    req: Request<Incoming>,
    conn: Arc<Conn>,
    common: Arc<Common>,
    api: Arc<dyn Api>,
) -> Result<Response<ReplyBody>, Infallible> {
    let (parts, body) = req.into_parts();
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
        version: format!("{:?}", parts.version),
        headers: transcript_headers(&parts.headers),
        auth: AuthCheck::NotChecked,
        outcome: Outcome::Pending,
        delay: Duration::ZERO,
        socket_ttl: None,
    };

    // The whole request is read first: a real endpoint reads it before deciding anything.
    let body = match tokio::time::timeout(
        CLIENT_DEADLINE,
        Limited::new(body, MAX_REQUEST_BODY).collect(),
    )
    .await
    {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) => {
            let too_large = e
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some();
            if !too_large {
                // The client went away mid-body: nothing to answer.
                record.outcome = Outcome::Fault {
                    fault: FaultKind::Close,
                };
                finish(&common, record);
                conn.kill.notify_one();
                return std::future::pending().await;
            }
            let reply = ApiReply {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                headers: vec![],
                body: Bytes::from_static(b"request body too large"),
                auth: AuthCheck::NotChecked,
            };
            return Ok(answer(&common, record, reply, false));
        }
        Err(_) => {
            record.outcome = Outcome::Fault {
                fault: FaultKind::Close,
            };
            finish(&common, record);
            conn.end(false);
            return std::future::pending().await;
        }
    };

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
            finish(&common, record);
            if f == Fault::Stall {
                return conn.stall().await;
            }
            conn.end(f == Fault::Reset);
            return std::future::pending().await;
        }
        Some(Fault::Status(code)) => api.status_reply(
            StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            path,
        ),
        _ => {
            let view = ApiRequest {
                method: &parts.method,
                path,
                query: parts.uri.query().unwrap_or(""),
                headers: &parts.headers,
                body: &body,
            };
            api.respond(&view, common.clock.now())
        }
    };
    record.auth = reply.auth;
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
            let part = reply.body.slice(..sent);
            let body = ReplyBody::truncated(part, conn.clone());
            Ok(build(reply, body, declared as u64))
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

fn answer(
    common: &Common,
    mut record: Exchange,
    reply: ApiReply,
    head: bool,
) -> Response<ReplyBody> {
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

fn build(reply: ApiReply, body: ReplyBody, len: u64) -> Response<ReplyBody> {
    let mut response = Response::new(body);
    *response.status_mut() = reply.status;
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        headers.append(name, value);
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(len));
    response
}

/// A response body: bytes in memory; spaces up to a large size; or part of a body after
/// which the connection ends.
#[derive(Debug)]
pub(crate) struct ReplyBody {
    head: Option<Bytes>,
    padding: u64,
    /// For a truncated answer: the connection to end once `head` has gone out.
    truncate: Option<Arc<Conn>>,
}

/// 64 KiB of spaces: XML and JSON white space.
static SPACES: [u8; 64 * 1024] = [b' '; 64 * 1024];

impl ReplyBody {
    fn full(bytes: Bytes) -> ReplyBody {
        ReplyBody {
            head: Some(bytes),
            padding: 0,
            truncate: None,
        }
    }

    fn padded(total: u64) -> ReplyBody {
        ReplyBody {
            head: None,
            padding: total,
            truncate: None,
        }
    }

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

/// The accepted socket, shared between hyper (through TLS or not) and the request handler,
/// which keeps its own reference to reset or close it below HTTP and TLS.
#[derive(Debug)]
struct SharedStream {
    stream: Arc<TcpStream>,
    conn: Arc<Conn>,
}

impl AsyncRead for SharedStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.stream.poll_read_ready(cx))?;
            match self.stream.try_read(buf.initialize_unfilled()) {
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
        loop {
            ready!(self.stream.poll_write_ready(cx))?;
            match self.stream.try_write(data) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go straight to the socket, so a flush means the truncated half is out.
        if self.conn.truncate_after_flush.swap(false, Ordering::AcqRel) {
            self.conn.end(false);
        }
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = socket2::SockRef::from(&*self.stream).shutdown(Shutdown::Write);
        Poll::Ready(match result {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        })
    }
}
