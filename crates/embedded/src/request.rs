//! Writing a request.
//!
//! The credential endpoints need very little of HTTP: a `PUT` for the IMDSv2 token, `GET`s for
//! the role name and the documents, a handful of headers. What they do need is that nothing a
//! server, an environment variable or a file supplied can change the shape of the request. A
//! header value with a CR or LF in it would let an IMDS token or a container authorization token
//! smuggle a second header, or a second request, onto the wire. So a [`Request`] is checked
//! whole before its first byte is written: a bad host, target, header name or value is a
//! [`RequestError`] and nothing reaches the transport.
//!
//! The head is assembled in a small stack buffer and handed to the transport in one or two
//! writes, so a TCP stack with Nagle's algorithm on does not hold back the tail of the request.
//!
//! What the writer always emits, in this order:
//!
//! ```text
//! METHOD /target HTTP/1.1
//! Host: host[:port]                    IPv6 literals in brackets
//! User-Agent: ...                      unless the caller set an empty one
//! Name: value                          the caller's headers, in order
//! Content-Length: n                    when there is a body, and always for PUT and POST
//! Connection: keep-alive | close       as the caller asked
//! ```
//!
//! `Content-Length: 0` on a bodiless `PUT` matters: botocore sends it with the token request
//! (spec §4.3), and some servers answer 411 Length Required without it. The writer owns the
//! framing headers (`Host`, `Content-Length`, `Transfer-Encoding`, `Connection`, `User-Agent`);
//! a caller header with one of those names is refused rather than sent twice.

use core::fmt;

use crate::Error;
use crate::io::{self, Phase};
use crate::response::Capture;

/// The request methods a credential client sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`: the role name, the credential documents, `iam/info`.
    Get,
    /// `HEAD`: its response never has a body, whatever its headers say.
    Head,
    /// `PUT`: the IMDSv2 token request.
    Put,
    /// `POST`: not used by IMDS; here for endpoints that take a form body.
    Post,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method as it appears on the request line.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
        }
    }

    /// Whether the method is defined to carry a body, so that an empty one is still announced
    /// with `Content-Length: 0` (what Python's `http.client`, and so botocore, does).
    const fn announces_body(self) -> bool {
        matches!(self, Method::Put | Method::Post)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the connection should stay open after the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Connection {
    /// `Connection: keep-alive`: the next request may reuse the connection (the IMDS token,
    /// role and document requests of one fetch go over one connection this way).
    #[default]
    KeepAlive,
    /// `Connection: close`: the server closes after this response.
    Close,
}

impl Connection {
    const fn header_value(self) -> &'static str {
        match self {
            Connection::KeepAlive => "keep-alive",
            Connection::Close => "close",
        }
    }
}

/// One request header, written as `name: value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header<'a> {
    /// The field name: token characters only (RFC 9110 §5.1).
    pub name: &'a str,
    /// The field value: visible ASCII, space and tab; never CR, LF or another control byte.
    pub value: &'a str,
}

impl<'a> Header<'a> {
    /// A header named `name` with value `value`. Checked when the request is written.
    pub const fn new(name: &'a str, value: &'a str) -> Self {
        Header { name, value }
    }
}

/// The `User-Agent` a [`Request`] carries unless told otherwise.
pub const DEFAULT_USER_AGENT: &str = concat!("credchain-embedded/", env!("CARGO_PKG_VERSION"));

/// What to send, and which response headers to keep.
///
/// Built with [`Request::new`] (or [`Request::get`], [`Request::put`]) and adjusted with the
/// builder methods; every field is public for callers who prefer a struct literal.
///
/// ```
/// use credchain_embedded::{Header, Request};
///
/// const TTL: Header<'static> = Header::new("x-aws-ec2-metadata-token-ttl-seconds", "21600");
/// let req = Request::put("169.254.169.254", "/latest/api/token")
///     .headers(&[TTL])
///     .keep(&["x-aws-ec2-metadata-token-ttl-seconds"]);
/// let mut out = [0u8; 256];
/// let n = credchain_embedded::encode_request(&req, &mut out).unwrap();
/// assert!(out[..n].starts_with(b"PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The host for the `Host` header: a name, an IPv4 address, or an IPv6 address with or
    /// without brackets (brackets are added when missing).
    pub host: &'a str,
    /// The port for the `Host` header; `None` leaves it out, as clients do for the scheme's
    /// default port.
    pub port: Option<u16>,
    /// Path and query, starting with `/`: visible ASCII only, no space, no `#`.
    pub target: &'a str,
    /// Extra headers, written in order after `Host` and `User-Agent`.
    pub headers: &'a [Header<'a>],
    /// The body. Announced with `Content-Length`.
    pub body: &'a [u8],
    /// `Connection: keep-alive` or `close`.
    pub connection: Connection,
    /// The `User-Agent` value; an empty string sends none.
    pub user_agent: &'a str,
    /// Which response headers the client keeps for [`Response::header`](crate::Response::header).
    pub keep: Capture<'a>,
}

impl<'a> Request<'a> {
    /// A request with no port, no extra headers, no body, `Connection: keep-alive`, the
    /// [`DEFAULT_USER_AGENT`], and only the framing headers kept from the response.
    pub const fn new(method: Method, host: &'a str, target: &'a str) -> Self {
        Request {
            method,
            host,
            port: None,
            target,
            headers: &[],
            body: &[],
            connection: Connection::KeepAlive,
            user_agent: DEFAULT_USER_AGENT,
            keep: Capture::Names(&[]),
        }
    }

    /// A `GET` request.
    pub const fn get(host: &'a str, target: &'a str) -> Self {
        Request::new(Method::Get, host, target)
    }

    /// A `PUT` request (sent with `Content-Length: 0` while it has no body).
    pub const fn put(host: &'a str, target: &'a str) -> Self {
        Request::new(Method::Put, host, target)
    }

    /// Sets the port written in the `Host` header.
    #[must_use]
    pub const fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Sets the extra headers.
    #[must_use]
    pub const fn headers(mut self, headers: &'a [Header<'a>]) -> Self {
        self.headers = headers;
        self
    }

    /// Sets the body.
    #[must_use]
    pub const fn body(mut self, body: &'a [u8]) -> Self {
        self.body = body;
        self
    }

    /// Asks for `Connection: keep-alive` or `close`.
    #[must_use]
    pub const fn connection(mut self, connection: Connection) -> Self {
        self.connection = connection;
        self
    }

    /// Sets the `User-Agent` (empty: none is sent).
    #[must_use]
    pub const fn user_agent(mut self, user_agent: &'a str) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// Keeps these response headers (besides the framing ones) for lookup.
    #[must_use]
    pub const fn keep(mut self, names: &'a [&'a str]) -> Self {
        self.keep = Capture::Names(names);
        self
    }

    /// Keeps every response header for lookup (the response head must then fit the buffer).
    #[must_use]
    pub const fn keep_all(mut self) -> Self {
        self.keep = Capture::All;
        self
    }

    /// Checks every part of the request without writing anything.
    ///
    /// # Errors
    ///
    /// The first part, in writing order, that cannot be written safely.
    pub fn validate(&self) -> Result<(), RequestError> {
        check_host(self.host)?;
        check_target(self.target)?;
        if let Some(at) = bad_value_byte(self.user_agent) {
            return Err(RequestError::InvalidUserAgent { at });
        }
        for (index, h) in self.headers.iter().enumerate() {
            if h.name.is_empty() {
                return Err(RequestError::InvalidHeaderName {
                    header: index,
                    at: 0,
                });
            }
            if let Some(at) = h.name.bytes().position(|b| !is_tchar(b)) {
                return Err(RequestError::InvalidHeaderName { header: index, at });
            }
            if MANAGED.iter().any(|m| m.eq_ignore_ascii_case(h.name)) {
                return Err(RequestError::ManagedHeader { header: index });
            }
            if let Some(at) = bad_value_byte(h.value) {
                return Err(RequestError::InvalidHeaderValue { header: index, at });
            }
        }
        Ok(())
    }
}

/// Headers the writer produces itself; a caller's copy would contradict them.
const MANAGED: [&str; 5] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "user-agent",
];

/// Why a [`Request`] was not written. Nothing reaches the transport when this is returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestError {
    /// The host is empty.
    EmptyHost,
    /// Byte `at` of the host cannot appear in a `Host` header.
    InvalidHost {
        /// Byte offset in [`Request::host`].
        at: usize,
    },
    /// The target does not start with `/`.
    TargetNotAbsolute,
    /// Byte `at` of the target is a space, a control byte, `#` or not ASCII.
    InvalidTarget {
        /// Byte offset in [`Request::target`].
        at: usize,
    },
    /// Header number `header` has an empty name, or byte `at` of its name is not a token
    /// character.
    InvalidHeaderName {
        /// Index in [`Request::headers`].
        header: usize,
        /// Byte offset in the name.
        at: usize,
    },
    /// Byte `at` of the value of header number `header` is CR, LF, another control byte or not
    /// ASCII.
    InvalidHeaderValue {
        /// Index in [`Request::headers`].
        header: usize,
        /// Byte offset in the value.
        at: usize,
    },
    /// Header number `header` is one the writer produces itself (`Host`, `Content-Length`,
    /// `Transfer-Encoding`, `Connection`, `User-Agent`).
    ManagedHeader {
        /// Index in [`Request::headers`].
        header: usize,
    },
    /// Byte `at` of the `User-Agent` is CR, LF, another control byte or not ASCII.
    InvalidUserAgent {
        /// Byte offset in [`Request::user_agent`].
        at: usize,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RequestError::EmptyHost => f.write_str("invalid request: the host is empty"),
            RequestError::InvalidHost { at } => write!(
                f,
                "invalid request: byte {at} of the host cannot appear in a Host header \
                 (expected a host name, an IPv4 address or an IPv6 address)"
            ),
            RequestError::TargetNotAbsolute => {
                f.write_str("invalid request: the target must start with '/'")
            }
            RequestError::InvalidTarget { at } => write!(
                f,
                "invalid request: byte {at} of the target is not visible ASCII \
                 (spaces, control bytes and '#' are not allowed)"
            ),
            RequestError::InvalidHeaderName { header, at } => write!(
                f,
                "invalid request: the name of header {header} is empty or byte {at} of it is \
                 not a token character"
            ),
            RequestError::InvalidHeaderValue { header, at } => write!(
                f,
                "invalid request: byte {at} of the value of header {header} is CR, LF, \
                 another control byte or not ASCII"
            ),
            RequestError::ManagedHeader { header } => write!(
                f,
                "invalid request: header {header} is one the writer sets itself (Host, \
                 Content-Length, Transfer-Encoding, Connection, User-Agent)"
            ),
            RequestError::InvalidUserAgent { at } => write!(
                f,
                "invalid request: byte {at} of the User-Agent is CR, LF, another control \
                 byte or not ASCII"
            ),
        }
    }
}

impl core::error::Error for RequestError {}

/// Why [`encode_request`] produced nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EncodeError {
    /// The request is not valid; see [`RequestError`].
    Invalid(RequestError),
    /// The output buffer cannot hold the request.
    BufferTooSmall {
        /// Bytes the whole request needs.
        needed: usize,
        /// Bytes the buffer had.
        available: usize,
    },
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Invalid(e) => e.fmt(f),
            EncodeError::BufferTooSmall { needed, available } => write!(
                f,
                "buffer too small for the request: {needed} bytes needed, {available} available"
            ),
        }
    }
}

impl core::error::Error for EncodeError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            EncodeError::Invalid(e) => Some(e),
            EncodeError::BufferTooSmall { .. } => None,
        }
    }
}

impl From<RequestError> for EncodeError {
    fn from(e: RequestError) -> Self {
        EncodeError::Invalid(e)
    }
}

/// Writes `req` into `out` (head and body) and returns its length: the sans-IO form of
/// [`write_request`], for transports that send from their own buffers.
///
/// # Errors
///
/// [`EncodeError::Invalid`] when the request is not valid (nothing is written), or
/// [`EncodeError::BufferTooSmall`] naming the size the whole request needs.
pub fn encode_request(req: &Request<'_>, out: &mut [u8]) -> Result<usize, EncodeError> {
    req.validate()?;
    let mut sink = SliceSink { out, len: 0 };
    let Ok(()) = emit(req, &mut sink);
    let available = sink.out.len();
    if sink.len > available {
        return Err(EncodeError::BufferTooSmall {
            needed: sink.len,
            available,
        });
    }
    Ok(sink.len)
}

/// Checks `req`, then writes it to `w` and flushes.
///
/// The whole request is validated first, so an invalid one fails with
/// [`Error::InvalidRequest`] before any byte is written. Transport failures are
/// [`Error::Io`] or, for [`ErrorKind::TimedOut`](embedded_io::ErrorKind::TimedOut),
/// [`Error::TimedOut`]; a transport that accepts zero bytes is [`Error::Io`] with
/// [`ErrorKind::WriteZero`](embedded_io::ErrorKind::WriteZero).
///
/// # Errors
///
/// As above.
pub fn write_request<W: embedded_io::Write + ?Sized>(
    w: &mut W,
    req: &Request<'_>,
) -> Result<(), Error> {
    req.validate().map_err(Error::InvalidRequest)?;
    let mut sink = Batch {
        w,
        buf: [0; BATCH],
        len: 0,
    };
    emit(req, &mut sink)?;
    sink.flush_buf()?;
    io::flush(sink.w)
}

/// Size of the stack buffer that gathers the head before it goes to the transport.
const BATCH: usize = 256;

/// Where `emit` puts bytes.
trait Sink {
    type Error;
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error>;
}

/// Counts every byte, writes those that fit.
struct SliceSink<'o> {
    out: &'o mut [u8],
    len: usize,
}

impl Sink for SliceSink<'_> {
    type Error = core::convert::Infallible;
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        let start = self.len;
        self.len = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.out.get_mut(start..self.len) {
            dst.copy_from_slice(bytes);
        }
        Ok(())
    }
}

/// Gathers small pieces in a stack buffer; large ones go straight through.
struct Batch<'w, W: embedded_io::Write + ?Sized> {
    w: &'w mut W,
    buf: [u8; BATCH],
    len: usize,
}

impl<W: embedded_io::Write + ?Sized> Batch<'_, W> {
    fn flush_buf(&mut self) -> Result<(), Error> {
        let pending = self.buf.get(..self.len).unwrap_or(&[]);
        io::write_all(self.w, pending, Phase::Write)?;
        self.len = 0;
        Ok(())
    }
}

impl<W: embedded_io::Write + ?Sized> Sink for Batch<'_, W> {
    type Error = Error;
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
            return Ok(());
        }
        self.flush_buf()?;
        match self.buf.get_mut(..bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.len = bytes.len();
                Ok(())
            }
            None => io::write_all(self.w, bytes, Phase::Write),
        }
    }
}

/// Writes a request that [`Request::validate`] accepted.
fn emit<S: Sink>(req: &Request<'_>, s: &mut S) -> Result<(), S::Error> {
    s.put(req.method.as_str().as_bytes())?;
    s.put(b" ")?;
    s.put(req.target.as_bytes())?;
    s.put(b" HTTP/1.1\r\nHost: ")?;
    let bracket = req.host.contains(':') && !req.host.starts_with('[');
    if bracket {
        s.put(b"[")?;
    }
    s.put(req.host.as_bytes())?;
    if bracket {
        s.put(b"]")?;
    }
    if let Some(port) = req.port {
        let mut digits = [0u8; 20];
        s.put(b":")?;
        s.put(decimal(u64::from(port), &mut digits))?;
    }
    s.put(b"\r\n")?;
    if !req.user_agent.is_empty() {
        s.put(b"User-Agent: ")?;
        s.put(req.user_agent.as_bytes())?;
        s.put(b"\r\n")?;
    }
    for h in req.headers {
        s.put(h.name.as_bytes())?;
        s.put(b": ")?;
        s.put(h.value.as_bytes())?;
        s.put(b"\r\n")?;
    }
    if !req.body.is_empty() || req.method.announces_body() {
        let mut digits = [0u8; 20];
        let len = u64::try_from(req.body.len()).unwrap_or(u64::MAX);
        s.put(b"Content-Length: ")?;
        s.put(decimal(len, &mut digits))?;
        s.put(b"\r\n")?;
    }
    s.put(b"Connection: ")?;
    s.put(req.connection.header_value().as_bytes())?;
    s.put(b"\r\n\r\n")?;
    if !req.body.is_empty() {
        s.put(req.body)?;
    }
    Ok(())
}

/// `n` in decimal, written at the end of `out`.
fn decimal(mut n: u64, out: &mut [u8; 20]) -> &[u8] {
    let mut start = out.len();
    for slot in out.iter_mut().rev() {
        // `n % 10` is below 10, so the OR lands on an ASCII digit.
        *slot = b'0' | (n % 10) as u8;
        n /= 10;
        start = start.saturating_sub(1);
        if n == 0 {
            break;
        }
    }
    out.get(start..).unwrap_or(&[])
}

/// RFC 9110 §5.6.2 `tchar`.
pub(crate) const fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_'
        | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// The first byte of a header value we refuse to send: anything but tab, space and visible
/// ASCII. (RFC 9110 tolerates obs-text; a request has no need of it and Python's `http.client`
/// would send such text in Latin-1, so it is refused rather than guessed.)
fn bad_value_byte(value: &str) -> Option<usize> {
    value
        .bytes()
        .position(|b| !(b == b'\t' || (b' '..=b'~').contains(&b)))
}

fn check_target(target: &str) -> Result<(), RequestError> {
    if !target.starts_with('/') {
        return Err(RequestError::TargetNotAbsolute);
    }
    match target
        .bytes()
        .position(|b| !(b'!'..=b'~').contains(&b) || b == b'#')
    {
        Some(at) => Err(RequestError::InvalidTarget { at }),
        None => Ok(()),
    }
}

fn check_host(host: &str) -> Result<(), RequestError> {
    if host.is_empty() {
        return Err(RequestError::EmptyHost);
    }
    let bytes = host.as_bytes();
    if let Some(inner) = bytes.strip_prefix(b"[") {
        // A bracketed IPv6 literal, possibly with a zone: "[" ipv6 ["%25" zone] "]".
        let Some(inner) = inner.strip_suffix(b"]") else {
            return Err(RequestError::InvalidHost {
                at: bytes.len().saturating_sub(1),
            });
        };
        if inner.is_empty() {
            return Err(RequestError::InvalidHost { at: 1 });
        }
        return match inner.iter().position(|&b| !is_ipv6_byte(b)) {
            Some(i) => Err(RequestError::InvalidHost {
                at: i.saturating_add(1),
            }),
            None => Ok(()),
        };
    }
    if bytes.contains(&b':') {
        // An IPv6 literal without brackets; the writer adds them.
        return match bytes.iter().position(|&b| !is_ipv6_byte(b)) {
            Some(at) => Err(RequestError::InvalidHost { at }),
            None => Ok(()),
        };
    }
    // A registered name or IPv4 address (RFC 3986 reg-name: unreserved, pct-encoded,
    // sub-delims).
    match bytes.iter().position(|&b| !is_reg_name_byte(b)) {
        Some(at) => Err(RequestError::InvalidHost { at }),
        None => Ok(()),
    }
}

const fn is_ipv6_byte(b: u8) -> bool {
    // Hex digits, ':' and '.' for the address; '%' and unreserved bytes for a zone id.
    matches!(b, b':' | b'.' | b'%' | b'-' | b'_' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

const fn is_reg_name_byte(b: u8) -> bool {
    matches!(b,
        b'-' | b'.' | b'_' | b'~' | b'%' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*'
        | b'+' | b',' | b';' | b'=' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode<'o>(req: &Request<'_>, out: &'o mut [u8]) -> &'o [u8] {
        let n = encode_request(req, out).unwrap();
        &out[..n]
    }

    #[test]
    fn put_without_body_announces_zero_length() {
        let mut out = [0u8; 256];
        let ttl = [Header::new("x-aws-ec2-metadata-token-ttl-seconds", "21600")];
        let req = Request::put("169.254.169.254", "/latest/api/token").headers(&ttl);
        assert_eq!(
            encode(&req, &mut out),
            b"PUT /latest/api/token HTTP/1.1\r\n\
              Host: 169.254.169.254\r\n\
              User-Agent: credchain-embedded/0.1.0\r\n\
              x-aws-ec2-metadata-token-ttl-seconds: 21600\r\n\
              Content-Length: 0\r\n\
              Connection: keep-alive\r\n\r\n"
        );
    }

    #[test]
    fn get_has_no_content_length_and_ipv6_gets_brackets() {
        let mut out = [0u8; 256];
        let req = Request::get("fd00:ec2::254", "/latest/meta-data/")
            .port(8080)
            .user_agent("")
            .connection(Connection::Close);
        assert_eq!(
            encode(&req, &mut out),
            b"GET /latest/meta-data/ HTTP/1.1\r\nHost: [fd00:ec2::254]:8080\r\nConnection: close\r\n\r\n"
        );
        let req = Request::get("[::1]", "/").port(0).user_agent("");
        assert_eq!(
            encode(&req, &mut out),
            b"GET / HTTP/1.1\r\nHost: [::1]:0\r\nConnection: keep-alive\r\n\r\n"
        );
    }

    #[test]
    fn body_follows_head() {
        let mut out = [0u8; 128];
        let req = Request::new(Method::Post, "h", "/p?q=1")
            .body(b"a=b")
            .user_agent("ua/1");
        assert_eq!(
            encode(&req, &mut out),
            b"POST /p?q=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: ua/1\r\nContent-Length: 3\r\nConnection: keep-alive\r\n\r\na=b"
        );
    }

    #[test]
    fn too_small_buffer_says_size_needed() {
        let req = Request::get("h", "/").user_agent("");
        let mut big = [0u8; 64];
        let n = encode_request(&req, &mut big).unwrap();
        let mut small = [0u8; 10];
        assert_eq!(
            encode_request(&req, &mut small),
            Err(EncodeError::BufferTooSmall {
                needed: n,
                available: 10
            })
        );
    }

    #[test]
    fn decimal_digits() {
        let mut d = [0u8; 20];
        assert_eq!(decimal(0, &mut d), b"0");
        assert_eq!(decimal(65535, &mut d), b"65535");
        assert_eq!(decimal(u64::MAX, &mut d), b"18446744073709551615");
    }

    #[test]
    fn invalid_parts_are_refused() {
        let mut out = [0u8; 256];
        let space = [Header::new("a b", "v")];
        let crlf = [Header::new("ok", "v"), Header::new("x", "v\r\nEvil: 1")];
        let managed = [Header::new("content-LENGTH", "5")];
        let cases: [(Request<'_>, RequestError); 12] = [
            (Request::get("", "/"), RequestError::EmptyHost),
            (
                Request::get("a b", "/"),
                RequestError::InvalidHost { at: 1 },
            ),
            (
                Request::get("h/x", "/"),
                RequestError::InvalidHost { at: 1 },
            ),
            (
                Request::get("h\r\n", "/"),
                RequestError::InvalidHost { at: 1 },
            ),
            (
                Request::get("[::1", "/"),
                RequestError::InvalidHost { at: 3 },
            ),
            (Request::get("[]", "/"), RequestError::InvalidHost { at: 1 }),
            (Request::get("h", "x"), RequestError::TargetNotAbsolute),
            (
                Request::get("h", "/a b"),
                RequestError::InvalidTarget { at: 2 },
            ),
            (
                Request::get("h", "/a\n"),
                RequestError::InvalidTarget { at: 2 },
            ),
            (
                Request::get("h", "/").headers(&space),
                RequestError::InvalidHeaderName { header: 0, at: 1 },
            ),
            (
                Request::get("h", "/").headers(&crlf),
                RequestError::InvalidHeaderValue { header: 1, at: 1 },
            ),
            (
                Request::get("h", "/").headers(&managed),
                RequestError::ManagedHeader { header: 0 },
            ),
        ];
        for (req, want) in cases {
            assert_eq!(
                encode_request(&req, &mut out),
                Err(EncodeError::Invalid(want)),
                "{req:?}"
            );
        }
        assert_eq!(
            Request::get("h", "/").user_agent("a\tb\x7f").validate(),
            Err(RequestError::InvalidUserAgent { at: 3 })
        );
        assert_eq!(
            Request::get("h", "/")
                .headers(&[Header::new("", "v")])
                .validate(),
            Err(RequestError::InvalidHeaderName { header: 0, at: 0 })
        );
        assert_eq!(
            Request::get("h", "/")
                .headers(&[Header::new("n", "caf\u{e9}")])
                .validate(),
            Err(RequestError::InvalidHeaderValue { header: 0, at: 3 })
        );
    }
}
