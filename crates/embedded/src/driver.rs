//! How a credential machine's requests travel: from a core [`Transmit`] to bytes on an
//! `embedded-io` connection, and from the bytes that come back (or the way they failed to) to
//! the reply the machine takes.
//!
//! credchain's IMDS and container clients (`credchain_core::imds`, `credchain_core::container`)
//! decide everything: which request comes next, what a status or a failure means, when to give
//! up. A transport only moves bytes and reads the clock. [`Driver`] is that transport for a
//! program without an operating system's HTTP stack: the program supplies a [`Connector`]
//! (open a TCP connection, set its timeouts, tell the time, sleep) and the driver does the rest
//! with this crate's [`Client`].
//!
//! # One exchange ([`Driver::exchange`])
//!
//! 1. A `Transmit` for `https` is refused at once ([`ExchangeError::TlsUnsupported`]): this
//!    crate has no TLS, and the machines treat such a failure as botocore treats an
//!    `HTTPClientError`, as an error that stops the chain.
//! 2. The connection kept from the previous exchange is used when it goes to the same host and
//!    port and the last response allowed it (HTTP/1.1 keep-alive, as urllib3's pool reuses
//!    it). Otherwise a new one is opened with [`Connector::connect`], given the transmit's
//!    timeout (or less, if the machine's deadline is nearer): botocore's `timeout` is its
//!    connect timeout.
//! 3. The request is written: the transmit's method, target and headers, `Host` from its
//!    authority, `Content-Length: 0` on the token `PUT`, and `Connection: keep-alive`. The
//!    machine's `user-agent` header, when it has one, becomes the `User-Agent`; otherwise
//!    [`DEFAULT_USER_AGENT`] is sent.
//! 4. Before every read and write the connection's timeout is set to the transmit's timeout
//!    or to what is left until its deadline, whichever is shorter — botocore's `timeout` is its
//!    read timeout too, and the machine's deadline (twice the timeout) bounds the whole
//!    exchange however slowly a server drips its bytes.
//! 5. The response is read into the caller's buffer, within [`Limits`], and handed back as a
//!    core `Response` (status, body, and the `x-aws-ec2-metadata-token-ttl-seconds` header).
//!
//! A kept connection on which the server sends not one byte back — the end of the stream, a
//! reset, or a failure to write the request — is replaced by a new one and the request sent
//! again, once, as curl does. That is the mark of a server that closed the connection while it
//! was idle (or as the request arrived: a server closing with the request unread resets the
//! connection), a property of keep-alive rather than an attempt the machine should count. A
//! timeout is not retried this way, and any failure on a new connection, or after part of a
//! response, goes to the machine.
//!
//! # Failures, as the machines see them
//!
//! The driver sorts every failure into the [`TransportError`] whose botocore counterpart the
//! machines' fallback tables are written for (spec §4.4, §4.5, §6); [`Driver::last_error`]
//! keeps the detail.
//!
//! | what happened | [`TransportError`] | botocore / urllib3 |
//! |---|---|---|
//! | [`ConnectError::Failed`]: refused, unreachable, no such host | `ConnectFailed` | `EndpointConnectionError` |
//! | [`ConnectError::TimedOut`] | `ConnectTimeout` | `ConnectTimeoutError` |
//! | [`Error::TimedOut`] while reading | `ReadTimeout` | `ReadTimeoutError` |
//! | [`Error::TimedOut`] while writing, [`Error::Io`] | `ConnectionClosed` | urllib3's `ProtocolError("Connection aborted.")`: `ConnectionClosedError` |
//! | the connection closed before or inside the response | `ConnectionClosed` | `ConnectionClosedError` |
//! | a response that is not HTTP, or exceeds a [`Limits`] cap or the buffer | `ConnectionClosed` | (`http.client` fails to read it) |
//! | a request this crate refuses to write, `https` | `Other` | `HTTPClientError` |
//!
//! An oversized or malformed answer is thus retried like a dropped connection, and after the
//! last attempt ends in the machine's documented fallback, never in unbounded reading.
//!
//! # Memory
//!
//! Nothing allocates. An exchange uses the caller's response buffer, about 1 KiB of stack
//! (the client's read and head buffers), and the connection the driver keeps between
//! exchanges.

use core::fmt;
use core::time::Duration;

use credchain_core::http::{
    Instant, MAX_HEADERS, Response as CoreResponse, Scheme, Transmit, TransportError, header,
};
use embedded_io::{Error as _, ErrorKind, ErrorType};

use crate::request::{DEFAULT_USER_AGENT, Header, Method, Request};
use crate::response::{Cap, Limits};
use crate::{Client, Error, Phase};

/// What a platform provides for the driver: TCP connections with timeouts, a monotonic clock,
/// and a way to wait.
///
/// Implement it over whatever the platform has: raw system calls, an embedded TCP stack, an
/// RTOS, or `std::net::TcpStream` in a test. Every wait a connection can make must be bounded
/// by the timeouts the driver sets, and end with an error of kind [`ErrorKind::TimedOut`] when
/// it runs out: that is how a silent server turns into botocore's read timeout.
pub trait Connector {
    /// An open TCP connection.
    type Connection: embedded_io::Read + embedded_io::Write;

    /// Opens a TCP connection to `host` (an IPv4 address, an IPv6 address without brackets,
    /// possibly with a `%zone`, or a name the platform may resolve) on `port`, giving up after
    /// `timeout` (never zero).
    ///
    /// # Errors
    ///
    /// [`ConnectError::TimedOut`] when `timeout` ran out, [`ConnectError::Failed`] for
    /// everything else (refused, unreachable, a name that does not resolve, an address family
    /// the platform lacks).
    fn connect(
        &mut self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<Self::Connection, ConnectError>;

    /// Makes every later read and write on `connection` fail with [`ErrorKind::TimedOut`] if
    /// it waits longer than `timeout` (never zero) — `SO_RCVTIMEO` and `SO_SNDTIMEO` on a BSD
    /// socket. The driver calls it before each read and write when the value changes.
    ///
    /// # Errors
    ///
    /// The kind of error the platform reported; the exchange then fails as a closed connection.
    fn set_timeout(
        &mut self,
        connection: &mut Self::Connection,
        timeout: Duration,
    ) -> Result<(), ErrorKind>;

    /// The current instant of a monotonic clock, from any fixed origin (boot, process start).
    fn now(&mut self) -> Instant;

    /// Returns at `until` or later: the container machine's pause between attempts.
    fn sleep_until(&mut self, until: Instant);
}

/// Why [`Connector::connect`] made no connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectError {
    /// Refused, unreachable, a name that does not resolve, an unsupported address: the kind of
    /// error the platform reported. The machines treat it as botocore's
    /// `EndpointConnectionError`.
    Failed(ErrorKind),
    /// The connection was not established within the timeout (botocore's
    /// `ConnectTimeoutError`).
    TimedOut,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::Failed(kind) => write!(f, "could not connect: {kind:?}"),
            ConnectError::TimedOut => f.write_str("connect timeout"),
        }
    }
}

impl core::error::Error for ConnectError {}

/// Why an exchange failed, in detail: what [`Driver::last_error`] keeps after the machine was
/// told the [`TransportError`] it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExchangeError {
    /// The request is for `https`, and this crate has no TLS.
    TlsUnsupported,
    /// The machine's deadline for the request had passed before a connection was opened.
    DeadlinePassed,
    /// No connection could be opened.
    Connect(ConnectError),
    /// The request could not be written or its response read.
    Http(Error),
}

impl ExchangeError {
    /// The transport error the machine is told (see the [module documentation](self)).
    #[must_use]
    pub const fn transport_error(&self) -> TransportError {
        match self {
            ExchangeError::TlsUnsupported => TransportError::Other,
            ExchangeError::DeadlinePassed => TransportError::ReadTimeout,
            ExchangeError::Connect(ConnectError::Failed(_)) => TransportError::ConnectFailed,
            ExchangeError::Connect(ConnectError::TimedOut) => TransportError::ConnectTimeout,
            ExchangeError::Http(e) => e.transport_error(),
        }
    }
}

impl fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExchangeError::TlsUnsupported => f.write_str(
                "the endpoint is https, and credchain-embedded has no TLS (use an http endpoint)",
            ),
            ExchangeError::DeadlinePassed => {
                f.write_str("the request's deadline passed before it could be sent")
            }
            ExchangeError::Connect(e) => e.fmt(f),
            ExchangeError::Http(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for ExchangeError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            ExchangeError::Connect(e) => Some(e),
            ExchangeError::Http(e) => Some(e),
            _ => None,
        }
    }
}

impl Error {
    /// The [`TransportError`] a credential machine is told for this failure (see the
    /// [driver's table](crate::driver)): a timeout while reading is a read timeout, a request
    /// that cannot be written is "other", everything else is a closed connection.
    #[must_use]
    pub const fn transport_error(&self) -> TransportError {
        match self {
            Error::InvalidRequest(_) => TransportError::Other,
            Error::TimedOut { phase: Phase::Read } => TransportError::ReadTimeout,
            Error::TimedOut {
                phase: Phase::Write,
            }
            | Error::Io { .. }
            | Error::ClosedBeforeResponse { .. }
            | Error::ClosedMidResponse(_)
            | Error::CapExceeded { .. }
            | Error::Malformed(_)
            | Error::ConnectionNotReusable => TransportError::ConnectionClosed,
        }
    }
}

/// What a [`Driver`] has done so far, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Stats {
    /// Connections opened.
    pub connects: u32,
    /// Exchanges sent on a connection kept from an earlier one.
    pub reused: u32,
    /// Kept connections found closed by the server, replaced by a new one.
    pub stale: u32,
    /// Exchanges that got a complete response.
    pub responses: u32,
}

/// The most bytes of a host name a kept connection remembers; a connection to a longer name
/// is used once and closed.
const MAX_KEPT_HOST: usize = 255;

/// The connection kept between exchanges, and where it goes.
struct Kept<C> {
    connection: C,
    host: [u8; MAX_KEPT_HOST],
    host_len: usize,
    port: u16,
}

impl<C> Kept<C> {
    /// A new connection to `host:port`. A host longer than [`MAX_KEPT_HOST`] is not
    /// remembered, and the connection is then not kept.
    fn new(connection: C, host: &str, port: u16) -> Kept<C> {
        let mut stored = [0u8; MAX_KEPT_HOST];
        let host_len = match stored.get_mut(..host.len()) {
            Some(dst) => {
                dst.copy_from_slice(host.as_bytes());
                host.len()
            }
            None => 0,
        };
        Kept {
            connection,
            host: stored,
            host_len,
            port,
        }
    }

    /// Whether the connection may be kept after its exchange.
    fn keepable(&self) -> bool {
        self.host_len > 0
    }

    fn goes_to(&self, host: &str, port: u16) -> bool {
        self.port == port && self.host.get(..self.host_len) == Some(host.as_bytes())
    }
}

/// Where, in the caller's buffer, the parts of a response the machine reads are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reply {
    status: u16,
    body: (usize, usize),
    token_ttl: Option<(usize, usize)>,
}

impl Reply {
    /// The response as the machine takes it, borrowing `buf` (the buffer it was read into).
    pub(crate) fn response<'b>(&self, buf: &'b [u8]) -> CoreResponse<'b> {
        let body = buf.get(self.body.0..self.body.1).unwrap_or(&[]);
        let token_ttl = self
            .token_ttl
            .and_then(|(start, end)| buf.get(start..end))
            .and_then(|v| core::str::from_utf8(v).ok());
        CoreResponse {
            status: self.status,
            token_ttl,
            body,
        }
    }
}

/// Where `part` lies inside the buffer that starts at address `base` and is `len` bytes long.
fn range_in(base: usize, len: usize, part: &[u8]) -> Option<(usize, usize)> {
    let start = (part.as_ptr() as usize).checked_sub(base)?;
    let end = start.checked_add(part.len())?;
    (end <= len).then_some((start, end))
}

/// A connection whose every read and write is bounded by a timeout and a deadline.
struct Bounded<'d, K: Connector> {
    connector: &'d mut K,
    connection: &'d mut K::Connection,
    timeout: Duration,
    deadline: Instant,
    armed: Option<Duration>,
    /// Bytes read so far.
    received: usize,
}

impl<K: Connector> Bounded<'_, K> {
    /// Sets the connection's timeout to what the next wait may take.
    fn arm(&mut self) -> Result<(), ErrorKind> {
        let left = self
            .deadline
            .saturating_duration_since(self.connector.now());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut);
        }
        let wait = self.timeout.min(left);
        if self.armed != Some(wait) {
            self.connector.set_timeout(self.connection, wait)?;
            self.armed = Some(wait);
        }
        Ok(())
    }
}

impl<K: Connector> ErrorType for Bounded<'_, K> {
    type Error = ErrorKind;
}

impl<K: Connector> embedded_io::Read for Bounded<'_, K> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.arm()?;
        let n = self.connection.read(buf).map_err(|e| e.kind())?;
        self.received = self.received.saturating_add(n);
        Ok(n)
    }
}

impl<K: Connector> embedded_io::Write for Bounded<'_, K> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        self.arm()?;
        self.connection.write(buf).map_err(|e| e.kind())
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        self.arm()?;
        self.connection.flush().map_err(|e| e.kind())
    }
}

/// Carries the requests of credential machines over connections a [`Connector`] opens, keeping
/// one connection open between requests while the server allows it. See the
/// [module documentation](self).
///
/// One driver serves any number of fetches, of any machine, one exchange at a time; the
/// functions [`fetch_imds`](crate::imds::fetch_imds) and
/// [`fetch_container_credentials`](crate::container::fetch_container_credentials) run whole
/// fetches with it.
pub struct Driver<K: Connector> {
    connector: K,
    limits: Limits,
    kept: Option<Kept<K::Connection>>,
    stats: Stats,
    last_error: Option<ExchangeError>,
}

impl<K: Connector> fmt::Debug for Driver<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("limits", &self.limits)
            .field("kept_connection", &self.kept.is_some())
            .field("stats", &self.stats)
            .field("last_error", &self.last_error)
            .finish_non_exhaustive()
    }
}

impl<K: Connector> Driver<K> {
    /// A driver with [`Limits::DEFAULT`] and no connection yet.
    pub fn new(connector: K) -> Self {
        Driver::with_limits(connector, Limits::DEFAULT)
    }

    /// A driver whose responses are held to `limits` (the caller's buffer is a bound as well).
    pub fn with_limits(connector: K, limits: Limits) -> Self {
        Driver {
            connector,
            limits,
            kept: None,
            stats: Stats::default(),
            last_error: None,
        }
    }

    /// The current instant of the connector's clock.
    pub fn now(&mut self) -> Instant {
        self.connector.now()
    }

    /// The connector.
    pub fn connector(&self) -> &K {
        &self.connector
    }

    /// The connector, mutably.
    pub fn connector_mut(&mut self) -> &mut K {
        &mut self.connector
    }

    /// What the driver has done so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The detail of the last exchange's failure; `None` when it got a response.
    pub fn last_error(&self) -> Option<ExchangeError> {
        self.last_error
    }

    /// Whether a connection is kept for the next exchange.
    pub fn has_kept_connection(&self) -> bool {
        self.kept.is_some()
    }

    /// Closes the kept connection, if any (by dropping it).
    pub fn close(&mut self) {
        self.kept = None;
    }

    /// Gives the connector back, closing the kept connection.
    pub fn into_connector(self) -> K {
        self.connector
    }

    /// Sends `tx` and reads its response into `buf`: the reply to give the machine's
    /// `handle_response`, with `tx.id`.
    ///
    /// # Errors
    ///
    /// The [`TransportError`] the failure stands for; [`last_error`](Self::last_error) has the
    /// detail.
    pub fn exchange<'b>(
        &mut self,
        tx: &Transmit<'_>,
        buf: &'b mut [u8],
    ) -> Result<CoreResponse<'b>, TransportError> {
        let reply = self.exchange_raw(tx, buf)?;
        let buf: &'b [u8] = buf;
        Ok(reply.response(buf))
    }

    /// [`exchange`](Self::exchange), answering where the response lies in `buf` instead of
    /// borrowing it, so that a caller's loop can lend `buf` again.
    pub(crate) fn exchange_raw(
        &mut self,
        tx: &Transmit<'_>,
        buf: &mut [u8],
    ) -> Result<Reply, TransportError> {
        self.last_error = None;
        let result = self.try_exchange(tx, buf);
        if let Err(e) = result {
            self.last_error = Some(e);
        }
        result.map_err(|e| e.transport_error())
    }

    fn try_exchange(&mut self, tx: &Transmit<'_>, buf: &mut [u8]) -> Result<Reply, ExchangeError> {
        if tx.scheme == Scheme::Https {
            return Err(ExchangeError::TlsUnsupported);
        }
        let mut extra = [Header::new("", ""); MAX_HEADERS];
        let mut count = 0usize;
        let mut user_agent = DEFAULT_USER_AGENT;
        for h in &tx.headers {
            if h.name.eq_ignore_ascii_case(header::USER_AGENT) {
                user_agent = h.value;
            } else if let Some(slot) = extra.get_mut(count) {
                *slot = Header::new(h.name, h.value);
                count = count.saturating_add(1);
            }
        }
        let (host, port) = split_authority(tx.authority);
        let method = match tx.method {
            credchain_core::http::Method::Get => Method::Get,
            credchain_core::http::Method::Put => Method::Put,
        };
        let mut req = Request::new(method, host, tx.target)
            .headers(extra.get(..count).unwrap_or(&[]))
            .user_agent(user_agent)
            .keep(&[header::TOKEN_TTL]);
        if let Some(port) = port {
            req = req.port(port);
        }
        req.validate()
            .map_err(|e| ExchangeError::Http(Error::InvalidRequest(e)))?;

        // A kept connection to another place is closed (dropped) here.
        if let Some(kept) = self.kept.take()
            && kept.goes_to(tx.host, tx.port)
        {
            self.stats.reused = self.stats.reused.saturating_add(1);
            match self.send_on(kept, &req, tx, buf) {
                Ok(reply) => return Ok(reply),
                // Not one byte of an answer: the server closed the connection while it was
                // idle (or as the request arrived). Open a new one and send again.
                Err(Failed {
                    error,
                    silent: true,
                }) if is_dead_connection(&error) => {
                    self.stats.stale = self.stats.stale.saturating_add(1);
                }
                Err(Failed { error, .. }) => return Err(ExchangeError::Http(error)),
            }
        }

        let left = tx.deadline.saturating_duration_since(self.connector.now());
        let timeout = tx.timeout.min(left);
        if timeout.is_zero() {
            return Err(ExchangeError::DeadlinePassed);
        }
        let connection = self
            .connector
            .connect(tx.host, tx.port, timeout)
            .map_err(ExchangeError::Connect)?;
        self.stats.connects = self.stats.connects.saturating_add(1);
        let kept = Kept::new(connection, tx.host, tx.port);
        self.send_on(kept, &req, tx, buf)
            .map_err(|f| ExchangeError::Http(f.error))
    }

    /// One request on `kept`; keeps the connection afterwards when it may carry another.
    fn send_on(
        &mut self,
        mut kept: Kept<K::Connection>,
        req: &Request<'_>,
        tx: &Transmit<'_>,
        buf: &mut [u8],
    ) -> Result<Reply, Failed> {
        let base = buf.as_ptr() as usize;
        let len = buf.len();
        let bounded = Bounded {
            connector: &mut self.connector,
            connection: &mut kept.connection,
            timeout: tx.timeout,
            deadline: tx.deadline,
            armed: None,
            received: 0,
        };
        let mut client = Client::with_limits(bounded, self.limits);
        let response = match client.send(req, buf) {
            Ok(response) => response,
            Err(error) => {
                let silent = client.get_ref().received == 0;
                return Err(Failed { error, silent });
            }
        };
        let reusable = client.is_reusable();
        let body = range_in(base, len, response.body());
        let token_ttl = response
            .header(header::TOKEN_TTL)
            .and_then(|v| range_in(base, len, v));
        let Some(body) = body else {
            // The body always lies in `buf`; should it not, the response is unusable.
            return Err(Failed {
                error: Error::CapExceeded {
                    cap: Cap::Buffer,
                    limit: len,
                },
                silent: false,
            });
        };
        let reply = Reply {
            status: response.status(),
            body,
            token_ttl,
        };
        self.stats.responses = self.stats.responses.saturating_add(1);
        if reusable && kept.keepable() {
            self.kept = Some(kept);
        }
        Ok(reply)
    }
}

/// A failed exchange on one connection.
struct Failed {
    error: Error,
    /// Whether the server sent not one byte.
    silent: bool,
}

/// Whether `error`, on a connection that sent not one byte back, is the mark of a connection
/// the server had already closed: the end of the stream, a reset, or a failure to write.
/// Timeouts are not: a new connection would wait just the same.
fn is_dead_connection(error: &Error) -> bool {
    match error {
        Error::ClosedBeforeResponse { .. } => true,
        Error::Io {
            phase: Phase::Write,
            kind,
        } => *kind != ErrorKind::TimedOut,
        Error::Io {
            phase: Phase::Read,
            kind,
        } => matches!(
            kind,
            ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::NotConnected
        ),
        _ => false,
    }
}

/// Splits a `Host` value (`host`, `host:port`, `[v6]`, `[v6]:port`) into the host and the
/// port a [`Request`] writes. A port written with leading zeros is written back without them;
/// an empty one is left out.
fn split_authority(authority: &str) -> (&str, Option<u16>) {
    let (host, port) = if authority.starts_with('[') {
        match authority.split_once(']') {
            Some((inner, rest)) => {
                let host = authority
                    .get(..inner.len().saturating_add(1))
                    .unwrap_or(authority);
                (host, rest.strip_prefix(':'))
            }
            None => (authority, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = port.filter(|p| !p.is_empty()).and_then(parse_port);
    (host, port)
}

fn parse_port(text: &str) -> Option<u16> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = text.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0);
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities() {
        assert_eq!(
            split_authority("169.254.169.254"),
            ("169.254.169.254", None)
        );
        assert_eq!(split_authority("127.0.0.1:8080"), ("127.0.0.1", Some(8080)));
        assert_eq!(
            split_authority("[fd00:ec2::254]"),
            ("[fd00:ec2::254]", None)
        );
        assert_eq!(split_authority("[::1]:81"), ("[::1]", Some(81)));
        assert_eq!(split_authority("h:0080"), ("h", Some(80)));
        assert_eq!(split_authority("h:"), ("h", None));
    }

    #[test]
    fn errors_map_to_the_machines_cases() {
        use crate::response::Cap;
        assert_eq!(
            Error::TimedOut { phase: Phase::Read }.transport_error(),
            TransportError::ReadTimeout
        );
        assert_eq!(
            Error::TimedOut {
                phase: Phase::Write
            }
            .transport_error(),
            TransportError::ConnectionClosed
        );
        assert_eq!(
            Error::ClosedBeforeResponse { reused: false }.transport_error(),
            TransportError::ConnectionClosed
        );
        assert_eq!(
            Error::CapExceeded {
                cap: Cap::Body,
                limit: 1
            }
            .transport_error(),
            TransportError::ConnectionClosed
        );
        assert_eq!(
            ExchangeError::Connect(ConnectError::TimedOut).transport_error(),
            TransportError::ConnectTimeout
        );
        assert_eq!(
            ExchangeError::Connect(ConnectError::Failed(ErrorKind::ConnectionRefused))
                .transport_error(),
            TransportError::ConnectFailed
        );
        assert_eq!(
            ExchangeError::TlsUnsupported.transport_error(),
            TransportError::Other
        );
    }

    #[test]
    fn ranges() {
        let buf = [0u8; 16];
        let base = buf.as_ptr() as usize;
        assert_eq!(range_in(base, 16, &buf[3..7]), Some((3, 7)));
        assert_eq!(range_in(base, 16, &buf[16..]), Some((16, 16)));
        let other = [0u8; 4];
        let _ = range_in(base, 16, &other);
    }
}
