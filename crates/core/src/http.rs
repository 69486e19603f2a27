//! What the protocol machines say to a transport, and what a transport says back.
//!
//! credchain's IMDS and container clients ([`crate::imds`], [`crate::container`]) are state
//! machines that never touch a socket or a clock. They speak plain HTTP/1.1 exchanges through the
//! types of this module, and any transport can carry them: the blocking `embedded-io` client, the
//! tokio + hyper client, or a test's in-memory server.
//!
//! ## One exchange
//!
//! 1. The machine hands out a [`Transmit`]: the [`Method`], where to connect ([`Scheme`], host,
//!    port), the request target (`/latest/api/token`, percent-encoded, written into the caller's
//!    buffer), up to [`MAX_HEADERS`] [`Header`]s, and the [`timeout`](Transmit::timeout) the
//!    transport applies to connecting and to each read — botocore's single `timeout` setting
//!    is both its connect and its read timeout (spec §4.1, §6).
//! 2. The transport sends it with an empty body (plus `Host`, and `Content-Length: 0` for a
//!    `PUT`), and reports either a [`Response`] — the status, the body, and the one response
//!    header a machine reads (`x-aws-ec2-metadata-token-ttl-seconds`) — or a
//!    [`TransportError`], the outcome botocore's retry rules tell apart (spec §4.4, §4.5, §6).
//!
//! Responses carry the [`RequestId`] of their transmit, so a reply that arrives after the machine
//! gave up on it (its [`deadline`](Transmit::deadline) passed) is recognised and ignored.
//!
//! ## Time
//!
//! Machines measure time with [`Instant`], a monotonic count of nanoseconds from an origin the
//! caller picks (process start, boot, or zero in a test). Only differences matter; wall-clock
//! time, which credential expiry needs, is passed separately as Unix seconds where it is used.
//!
//! ## URLs
//!
//! [`url`] splits URLs exactly as botocore's Python stack does (`urllib.parse`, then urllib3's
//! request-target encoding), and [`ip`] reads IP addresses as Python's `ipaddress` does: the
//! host checks of spec §4.2 and §6 depend on those details.

pub mod ip;
pub mod url;

use core::fmt;
use core::time::Duration;

/// A monotonic instant: nanoseconds since an origin the caller chooses.
///
/// Machines compare instants and add durations to them; they never read a clock. Arithmetic
/// saturates, so no instant makes a machine panic (an instant near `u64::MAX` nanoseconds,
/// 584 years after the origin, simply never times out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant { nanos: 0 };

    /// The instant `nanos` nanoseconds after the origin.
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant { nanos }
    }

    /// The instant `millis` milliseconds after the origin (saturating).
    #[must_use]
    pub const fn from_millis(millis: u64) -> Instant {
        Instant {
            nanos: millis.saturating_mul(1_000_000),
        }
    }

    /// The instant `secs` seconds after the origin (saturating).
    #[must_use]
    pub const fn from_secs(secs: u64) -> Instant {
        Instant {
            nanos: secs.saturating_mul(1_000_000_000),
        }
    }

    /// The instant `d` after the origin (saturating).
    #[must_use]
    pub fn from_duration(d: Duration) -> Instant {
        Instant {
            nanos: u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// Nanoseconds since the origin.
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Time since the origin.
    #[must_use]
    pub const fn since_origin(self) -> Duration {
        Duration::from_nanos(self.nanos)
    }

    /// `d` later, stopping at the largest instant.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Instant {
        let add = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant {
            nanos: self.nanos.saturating_add(add),
        }
    }

    /// How long after `earlier` this instant is; zero when `earlier` is later.
    #[must_use]
    pub const fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }
}

/// The HTTP methods the machines use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: metadata and credential documents.
    Get,
    /// `PUT`: the IMDSv2 session token.
    Put,
}

impl Method {
    /// The method as it appears on the request line.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How to connect: plain TCP or TLS.
///
/// A URL with no scheme (`//host/`) is sent over plain HTTP, as urllib3 sends it. Other schemes
/// never reach a transport: the machine stops with an error first, as botocore does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http`.
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    /// The port used when the URL names none: 80 or 443.
    #[must_use]
    pub const fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// `http` or `https`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request header. Names are fixed by the protocol; values borrow from the caller's
/// transmit buffer or the machine's configuration.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'t> {
    /// The name, lowercase.
    pub name: &'static str,
    /// The value: visible ASCII, spaces and TABs ([`is_legal_header_value`]).
    pub value: &'t str,
}

impl fmt::Debug for Header<'_> {
    /// Values of `authorization` and `x-aws-ec2-metadata-token` are secrets: only their length
    /// is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if is_secret_header(self.name) {
            write!(f, "{}: <redacted, {} bytes>", self.name, self.value.len())
        } else {
            write!(f, "{}: {:?}", self.name, self.value)
        }
    }
}

fn is_secret_header(name: &str) -> bool {
    name.eq_ignore_ascii_case(header::AUTHORIZATION) || name.eq_ignore_ascii_case(header::TOKEN)
}

/// The most headers a machine puts on one request.
pub const MAX_HEADERS: usize = 4;

/// The headers of a request, at most [`MAX_HEADERS`].
pub type Headers<'t> = heapless::Vec<Header<'t>, MAX_HEADERS>;

/// Header names the machines send or read.
pub mod header {
    /// Request header of the IMDSv2 token `PUT`: the lifetime asked for, in seconds. The
    /// response carries it back with the lifetime granted.
    pub const TOKEN_TTL: &str = "x-aws-ec2-metadata-token-ttl-seconds";
    /// Request header carrying the IMDSv2 token on a `GET`.
    pub const TOKEN: &str = "x-aws-ec2-metadata-token";
    /// `User-Agent`.
    pub const USER_AGENT: &str = "user-agent";
    /// `Accept`, sent to the container endpoint.
    pub const ACCEPT: &str = "accept";
    /// `Authorization`, the container endpoint's token.
    pub const AUTHORIZATION: &str = "authorization";
}

/// Which request of a machine a reply belongs to.
///
/// Every [`Transmit`] has a new one; a reply for an older one is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u32);

/// A request a machine wants sent.
///
/// Everything it borrows lives in the buffer given to `poll_transmit` or in the machine's
/// configuration. Send it with an empty body, then give the outcome back to the machine's
/// `handle_response` with [`id`](Self::id).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Transmit<'t> {
    /// Identifies the request; pass it back with the reply.
    pub id: RequestId,
    /// The method.
    pub method: Method,
    /// Plain TCP or TLS.
    pub scheme: Scheme,
    /// The host to connect to: a name, an IPv4 address, or an IPv6 address without its brackets
    /// (possibly with a `%zone`), lowercase as Python lowercases it.
    pub host: &'t str,
    /// The port to connect to.
    pub port: u16,
    /// The `Host` header's value: the URL's host and port as written (brackets kept, user
    /// information dropped).
    pub authority: &'t str,
    /// The request target: path and query, percent-encoded as urllib3 encodes them.
    pub target: &'t str,
    /// The request headers (besides `Host` and `Content-Length`, which the transport adds).
    pub headers: Headers<'t>,
    /// The timeout the transport applies to connecting, and again to each read.
    pub timeout: Duration,
    /// When the machine stops waiting for this request (see the machine's `poll_timeout`).
    pub deadline: Instant,
}

impl Transmit<'_> {
    /// The value of header `name` (ASCII case-insensitive), if the request has it.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    }
}

impl fmt::Debug for Transmit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transmit")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("scheme", &self.scheme)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("authority", &self.authority)
            .field("target", &self.target)
            .field("headers", &self.headers.as_slice())
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .finish()
    }
}

/// A response as a machine needs it: status, body and the token lifetime header.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Response<'r> {
    /// The status code.
    pub status: u16,
    /// The value of `x-aws-ec2-metadata-token-ttl-seconds`, if the response has it.
    pub token_ttl: Option<&'r str>,
    /// The whole body.
    pub body: &'r [u8],
}

impl<'r> Response<'r> {
    /// A response with a status and a body, without the token lifetime header.
    #[must_use]
    pub const fn new(status: u16, body: &'r [u8]) -> Response<'r> {
        Response {
            status,
            token_ttl: None,
            body,
        }
    }

    /// The same response, with the `x-aws-ec2-metadata-token-ttl-seconds` header's value.
    #[must_use]
    pub const fn with_token_ttl(self, value: &'r str) -> Response<'r> {
        Response {
            token_ttl: Some(value),
            ..self
        }
    }
}

impl fmt::Debug for Response<'_> {
    /// The body may hold credentials: only its length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("token_ttl", &self.token_ttl)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A request that got no response, and why.
///
/// These are the cases botocore's retry rules distinguish (spec §4.4, §4.5, §6). A transport
/// maps its own errors onto them:
///
/// | variant | botocore exception | IMDS token `PUT` | IMDS `GET` | container |
/// |---|---|---|---|---|
/// | [`ConnectFailed`](Self::ConnectFailed) | `EndpointConnectionError` (refused, unreachable, DNS) | retry, then IMDSv1 | retry | retry |
/// | [`ConnectTimeout`](Self::ConnectTimeout) | `ConnectTimeoutError` | retry, then IMDSv1 | retry | retry |
/// | [`ReadTimeout`](Self::ReadTimeout) | `ReadTimeoutError` | IMDSv1 at once | retry | retry |
/// | [`ConnectionClosed`](Self::ConnectionClosed) | `ConnectionClosedError` (reset, closed, malformed response) | retry, then IMDSv1 | retry | retry |
/// | [`Other`](Self::Other) | `HTTPClientError` (TLS and the rest) | error | error | error |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportError {
    /// The connection could not be made: refused, unreachable, or the name did not resolve.
    ConnectFailed,
    /// Connecting took longer than the timeout.
    ConnectTimeout,
    /// Connected, but the response did not arrive within the timeout.
    ReadTimeout,
    /// The connection closed or reset before a whole response arrived, or the response was not
    /// HTTP the transport could read.
    ConnectionClosed,
    /// Any other failure (for example TLS): not retried, the machine stops with an error.
    Other,
}

impl TransportError {
    /// Whether botocore retries a request that failed this way (`RETRYABLE_HTTP_ERRORS`).
    #[must_use]
    pub const fn is_retryable(self) -> bool {
        !matches!(self, TransportError::Other)
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportError::ConnectFailed => "could not connect",
            TransportError::ConnectTimeout => "connect timeout",
            TransportError::ReadTimeout => "read timeout",
            TransportError::ConnectionClosed => "connection closed before a complete response",
            TransportError::Other => "HTTP client error",
        })
    }
}

impl core::error::Error for TransportError {}

/// Whether `value` can be sent as a header value by every transport: visible ASCII, spaces and
/// TABs only.
///
/// Python's `http.client` refuses only line breaks (and what Latin-1 cannot encode); credchain
/// refuses every control character and every non-ASCII byte, so that no transport can be made
/// to split a header or mangle a value (hyper refuses the same set).
#[must_use]
pub fn is_legal_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_saturate() {
        let t = Instant::from_secs(5);
        assert_eq!(t.as_nanos(), 5_000_000_000);
        assert_eq!(
            t.saturating_add(Duration::from_millis(1500)),
            Instant::from_millis(6500)
        );
        assert_eq!(
            Instant::from_nanos(u64::MAX).saturating_add(Duration::MAX),
            Instant::from_nanos(u64::MAX)
        );
        assert_eq!(
            Instant::ZERO.saturating_duration_since(t),
            Duration::from_secs(0)
        );
        assert_eq!(
            t.saturating_duration_since(Instant::ZERO),
            Duration::from_secs(5)
        );
        assert_eq!(Instant::from_secs(u64::MAX).as_nanos(), u64::MAX);
        assert_eq!(Instant::from_duration(Duration::MAX).as_nanos(), u64::MAX);
        assert_eq!(t.since_origin(), Duration::from_secs(5));
    }

    #[test]
    fn secrets_are_not_shown() {
        let mut buf = [0u8; 128];
        let mut w = crate::buf::Writer::new(&mut buf);
        let h = Header {
            name: header::TOKEN,
            value: "AQAEAsecret",
        };
        core::fmt::write(&mut w, format_args!("{h:?}")).unwrap();
        let s = w.finish().unwrap();
        assert_eq!(s, "x-aws-ec2-metadata-token: <redacted, 11 bytes>");
    }

    #[test]
    fn header_values() {
        assert!(is_legal_header_value("Bearer abc\tdef"));
        assert!(!is_legal_header_value("abc\r\n"));
        assert!(!is_legal_header_value("a\x00b"));
        assert!(!is_legal_header_value("a\x7fb"));
        assert!(!is_legal_header_value("é"));
        assert!(TransportError::ReadTimeout.is_retryable());
        assert!(!TransportError::Other.is_retryable());
    }
}
