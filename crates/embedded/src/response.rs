//! Reading a response.
//!
//! [`ResponseParser`] is a push parser in the sans-IO style of `httparse`: it is handed whatever
//! bytes the transport produced, in pieces of any size, and answers [`Status::Partial`] (give me
//! more) or [`Status::Complete`] (the response ended, after this many of your bytes). It owns no
//! memory: the caller lends it one buffer, where it keeps the status line, the header lines the
//! caller wants, and the decoded body. It never reads the transport and never looks at a clock,
//! so the same code runs under the blocking [`Client`](crate::Client), a fuzzer, or an event
//! loop.
//!
//! # What is accepted
//!
//! A response as RFC 9112 describes it, read strictly where leniency has been a source of
//! request smuggling and silent corruption:
//!
//! - **Status line**: `HTTP/1.1` or `HTTP/1.0`, one space, three digits from 100 to 599, then
//!   an optional space and reason phrase. Lines end with CRLF or a bare LF; a CR anywhere else
//!   is an error.
//! - **Header lines**: a token name directly followed by `:` (white space before the colon is
//!   refused), then a value of visible ASCII, spaces, tabs and (as RFC 9110 tolerates) bytes
//!   above 0x7F. A line starting with white space (obsolete line folding) is refused. Names
//!   compare case-insensitively.
//! - **Interim responses**: `1xx` heads (100 Continue, 102, 103) are skipped, except 101
//!   Switching Protocols, which nobody asked for and which is an error.
//! - **Body** (RFC 9112 §6.3): none for a `HEAD` request or a 204 or 304 status, whatever the
//!   headers say; otherwise `Transfer-Encoding: chunked` (chunks decoded, extensions and trailers
//!   ignored), else `Content-Length`, else everything up to the end of the stream, which the
//!   caller announces with [`ResponseParser::finish`].
//!
//! Framing is where a credential client must be most careful: two readings of one response are
//! how a forged document gets in. So: a `Content-Length` that is not a plain decimal number, that
//! does not fit in 64 bits, that appears twice (even with the same value) or lists two values is
//! an error; `Content-Length` together with `Transfer-Encoding` is an error; a
//! `Transfer-Encoding` other than exactly `chunked` cannot be decoded and is an error, as is any
//! `Transfer-Encoding` in an HTTP/1.0 response.
//!
//! # Hard caps
//!
//! Every quantity a server controls is bounded by [`Limits`], and exceeding a bound is an error
//! naming it ([`Cap`]), never a silent truncation: the bytes of the header section (interim
//! responses included), the number of header lines, the body, the length of one chunk-size line,
//! the trailer section. The caller's buffer is a bound as well ([`Cap::Buffer`]). A declared
//! `Content-Length` or chunk size that cannot fit is refused as soon as it is read, before its
//! bytes arrive. Together with "each byte is looked at once", this means any input ends in a
//! complete response or an error after a bounded amount of work.
//!
//! # Keeping headers
//!
//! The parser interprets `Content-Length`, `Transfer-Encoding` and `Connection` itself and keeps
//! them; other header lines are kept only when the caller asks for them ([`Capture`]), so a
//! server sending kilobytes of headers does not need kilobytes of the caller's buffer.

use core::fmt;

use crate::request::{Method, is_tchar};

/// Bounds on what a server can make the parser hold or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limits {
    /// Bytes of the header section, status line included, summed over interim `1xx` heads. Also
    /// bounds one chunk-size line and the trailer section.
    pub max_head: usize,
    /// Header lines in one head.
    pub max_headers: usize,
    /// Bytes of the decoded body.
    pub max_body: usize,
}

impl Limits {
    /// 8 KiB of head, 64 header lines, 64 KiB of body: generous for IMDS and the container
    /// endpoint, whose documents are near 1.5 KiB.
    pub const DEFAULT: Limits = Limits {
        max_head: 8 * 1024,
        max_headers: 64,
        max_body: 64 * 1024,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Which header lines the parser keeps for [`Response::header`].
///
/// `Content-Length`, `Transfer-Encoding` and `Connection` are always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capture<'n> {
    /// Every header line (the whole head must then fit the buffer).
    All,
    /// Only these names (compared case-insensitively), such as
    /// `x-aws-ec2-metadata-token-ttl-seconds`.
    Names(&'n [&'n str]),
}

impl Default for Capture<'_> {
    fn default() -> Self {
        Capture::Names(&[])
    }
}

impl Capture<'_> {
    fn wants(&self, name: &[u8]) -> bool {
        match self {
            Capture::All => true,
            Capture::Names(names) => names
                .iter()
                .any(|n| n.as_bytes().eq_ignore_ascii_case(name)),
        }
    }
}

/// The protocol version of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// HTTP/1.0: the connection closes after the response unless it says `keep-alive`.
    Http10,
    /// HTTP/1.1: the connection stays open unless it says `close`.
    Http11,
}

/// How the end of a body was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// No body: a `HEAD` request, or a 204 or 304 status.
    NoBody,
    /// `Content-Length`.
    ContentLength,
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// The end of the stream: neither header was present.
    UntilClose,
}

/// The outcome of [`ResponseParser::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Status {
    /// Every byte was used and the response is not complete: feed more, or call
    /// [`ResponseParser::finish`] at the end of the stream.
    Partial,
    /// The response is complete. It ended after `consumed` bytes of this input; any bytes after
    /// those belong to no response this parser reads.
    Complete {
        /// Bytes of the input that were part of the response.
        consumed: usize,
    },
}

/// A bound of [`Limits`] (or the caller's buffer) that a response exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cap {
    /// [`Limits::max_head`]: the header section.
    Head,
    /// [`Limits::max_headers`]: the number of header lines.
    HeaderCount,
    /// [`Limits::max_body`]: the decoded body.
    Body,
    /// [`Limits::max_head`] applied to one chunk-size line (size and extensions).
    ChunkLine,
    /// [`Limits::max_head`] applied to the trailer section of a chunked body.
    Trailer,
    /// The caller's buffer, which holds the kept head lines and the body.
    Buffer,
}

impl fmt::Display for Cap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Cap::Head => "header section size",
            Cap::HeaderCount => "header count",
            Cap::Body => "body size",
            Cap::ChunkLine => "chunk-size line length",
            Cap::Trailer => "trailer section size",
            Cap::Buffer => "response buffer size",
        })
    }
}

/// What was wrong with a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The stream ended before the first byte of a response.
    EmptyResponse,
    /// The stream ended inside the status line or the header section.
    TruncatedHead,
    /// The stream ended before the body was complete.
    TruncatedBody {
        /// Body bytes received.
        received: u64,
        /// The `Content-Length`, when the body was framed by one.
        expected: Option<u64>,
    },
    /// The status line does not start with `HTTP/1.1` or `HTTP/1.0`.
    BadVersion,
    /// No three-digit status code from 100 to 599 follows the version.
    BadStatusCode,
    /// The status line is not `version SP code [SP reason]`, or its reason phrase has a
    /// control byte.
    BadStatusLine,
    /// A 101 Switching Protocols response, which this client never asks for.
    SwitchingProtocols,
    /// A CR not followed by LF.
    BareCarriageReturn,
    /// A byte above 0x7F where only ASCII is allowed (version, status code, header name,
    /// chunk size).
    NonAscii {
        /// The byte.
        byte: u8,
    },
    /// A header line starting with white space: obsolete line folding (RFC 9112 §5.2).
    ObsoleteLineFolding,
    /// A header name that is empty, has a byte that is not a token character, or is followed
    /// by white space before its colon.
    BadHeaderName,
    /// A header line without a colon.
    MissingColon,
    /// A header value with a control byte (other than tab).
    BadHeaderValue,
    /// A `Content-Length` that is not a decimal number fitting in 64 bits.
    BadContentLength,
    /// `Content-Length` given twice with the same value.
    DuplicateContentLength,
    /// `Content-Length` given twice with different values.
    ConflictingContentLength,
    /// Both `Content-Length` and `Transfer-Encoding` framing a body.
    ContentLengthWithTransferEncoding,
    /// A `Transfer-Encoding` other than exactly `chunked`.
    UnsupportedTransferEncoding,
    /// `Transfer-Encoding` in an HTTP/1.0 response (RFC 9112 §6.1: faulty framing).
    TransferEncodingInHttp10,
    /// A chunk-size line that is not hexadecimal digits followed by optional extensions.
    BadChunkSize,
    /// A chunk size that does not fit in 64 bits.
    ChunkSizeOverflow,
    /// A control byte in a chunk extension.
    BadChunkExtension,
    /// Chunk data not followed by CRLF.
    BadChunkTerminator,
    /// A control byte in the trailer section.
    BadTrailer,
    /// A bound was exceeded.
    CapExceeded {
        /// Which bound.
        cap: Cap,
        /// Its value.
        limit: usize,
    },
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ParseErrorKind::EmptyResponse => {
                f.write_str("the connection closed before any byte of a response")
            }
            ParseErrorKind::TruncatedHead => {
                f.write_str("the connection closed inside the response's header section")
            }
            ParseErrorKind::TruncatedBody {
                received,
                expected: Some(n),
            } => write!(
                f,
                "the connection closed after {received} of the {n} body bytes Content-Length announced"
            ),
            ParseErrorKind::TruncatedBody {
                received,
                expected: None,
            } => write!(
                f,
                "the connection closed inside the chunked body, after {received} body bytes"
            ),
            ParseErrorKind::BadVersion => {
                f.write_str("expected the status line to start with HTTP/1.1 or HTTP/1.0")
            }
            ParseErrorKind::BadStatusCode => {
                f.write_str("expected a three-digit status code from 100 to 599 after the version")
            }
            ParseErrorKind::BadStatusLine => f.write_str(
                "expected a status line of the form 'HTTP/1.1 200 reason' without control bytes",
            ),
            ParseErrorKind::SwitchingProtocols => {
                f.write_str("unexpected 101 Switching Protocols: no upgrade was requested")
            }
            ParseErrorKind::BareCarriageReturn => f.write_str("expected LF after CR"),
            ParseErrorKind::NonAscii { byte } => {
                write!(
                    f,
                    "byte 0x{byte:02x} is not ASCII, and only ASCII is allowed here"
                )
            }
            ParseErrorKind::ObsoleteLineFolding => f.write_str(
                "a header line starts with white space (obsolete line folding is not allowed)",
            ),
            ParseErrorKind::BadHeaderName => {
                f.write_str("expected a header name of token characters followed directly by ':'")
            }
            ParseErrorKind::MissingColon => f.write_str("expected ':' in the header line"),
            ParseErrorKind::BadHeaderValue => f.write_str("a header value contains a control byte"),
            ParseErrorKind::BadContentLength => {
                f.write_str("expected Content-Length to be a decimal number that fits in 64 bits")
            }
            ParseErrorKind::DuplicateContentLength => {
                f.write_str("Content-Length is given more than once")
            }
            ParseErrorKind::ConflictingContentLength => {
                f.write_str("Content-Length is given more than once with different values")
            }
            ParseErrorKind::ContentLengthWithTransferEncoding => {
                f.write_str("both Content-Length and Transfer-Encoding frame the body")
            }
            ParseErrorKind::UnsupportedTransferEncoding => {
                f.write_str("expected Transfer-Encoding to be exactly 'chunked'")
            }
            ParseErrorKind::TransferEncodingInHttp10 => {
                f.write_str("Transfer-Encoding is not allowed in an HTTP/1.0 response")
            }
            ParseErrorKind::BadChunkSize => f.write_str(
                "expected a hexadecimal chunk size, optionally followed by ';' extensions",
            ),
            ParseErrorKind::ChunkSizeOverflow => {
                f.write_str("the chunk size does not fit in 64 bits")
            }
            ParseErrorKind::BadChunkExtension => {
                f.write_str("a chunk extension contains a control byte")
            }
            ParseErrorKind::BadChunkTerminator => f.write_str("expected CRLF after chunk data"),
            ParseErrorKind::BadTrailer => f.write_str("a trailer line contains a control byte"),
            ParseErrorKind::CapExceeded { cap, limit } => {
                write!(f, "the response exceeds the {cap} cap of {limit}")
            }
        }
    }
}

/// A malformed, oversized or truncated response, and where in the stream it was noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseError {
    kind: ParseErrorKind,
    offset: u64,
    line: Option<u32>,
}

impl ParseError {
    /// What was wrong.
    pub const fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// Offset, in bytes from the start of the response stream (interim responses included), of
    /// the byte at which the problem was found.
    pub const fn offset(&self) -> u64 {
        self.offset
    }

    /// The line of the head (1 is the status line) when the problem is in a head.
    pub const fn line(&self) -> Option<u32> {
        self.line
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed HTTP response: {}", self.kind)?;
        match self.line {
            Some(line) => write!(f, " (head line {line}, byte {})", self.offset),
            None => write!(f, " (byte {})", self.offset),
        }
    }
}

impl core::error::Error for ParseError {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    StatusLine,
    Headers,
    Fixed { remaining: u64 },
    ChunkSize { size: u64, digits: bool },
    ChunkSizeWs { size: u64 },
    ChunkExt { size: u64 },
    ChunkSizeLf { size: u64 },
    ChunkData { remaining: u64 },
    ChunkDataEnd,
    ChunkDataLf,
    Trailer { line_empty: bool },
    TrailerLf { line_empty: bool },
    UntilEof,
    Complete,
    Failed(ParseError),
}

/// What one header line means to the parser.
enum Field {
    ContentLength(Result<ListedLength, ()>),
    TransferEncoding { elements: usize, all_chunked: bool },
    Connection { close: bool, keep_alive: bool },
    Other { keep: bool },
}

struct ListedLength {
    value: u64,
    count: usize,
    all_same: bool,
}

/// An incremental HTTP/1.x response parser writing into a caller's buffer.
///
/// ```
/// use credchain_embedded::{Method, ResponseParser, Status};
///
/// let mut buf = [0u8; 256];
/// let mut p = ResponseParser::new(&mut buf, Method::Get);
/// assert_eq!(p.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nro").unwrap(), Status::Partial);
/// assert_eq!(p.feed(b"le\r\n0\r\n\r\n").unwrap(), Status::Complete { consumed: 9 });
/// let r = p.into_response().unwrap();
/// assert_eq!((r.status(), r.body()), (200, &b"role"[..]));
/// ```
#[derive(Debug)]
pub struct ResponseParser<'b, 'n> {
    buf: &'b mut [u8],
    limits: Limits,
    capture: Capture<'n>,
    head_request: bool,
    state: State,
    /// Bytes of the stream consumed so far.
    offset: u64,
    /// Stored head bytes (status line, kept header lines, the current line).
    head_len: usize,
    /// Where the current line starts in `buf`.
    line_start: usize,
    /// Stream offset of the current line's first byte.
    line_offset: u64,
    /// 1-based number of the current head line.
    line_no: u32,
    /// Head bytes seen, interim heads included.
    head_total: usize,
    header_count: usize,
    version: Version,
    status: u16,
    reason: (usize, usize),
    /// Where the header lines start in `buf` (after the status line).
    headers_start: usize,
    content_length: Option<u64>,
    te_elements: usize,
    te_all_chunked: bool,
    te_seen: bool,
    conn_close: bool,
    conn_keep_alive: bool,
    framing: Framing,
    body_start: usize,
    body_len: usize,
    body_cap: usize,
    body_cap_kind: Cap,
    body_cap_limit: usize,
    /// Bytes of the current chunk-size line.
    chunk_line: usize,
    /// Bytes of the trailer section.
    trailer_total: usize,
    /// The current header line's name has been checked (its colon arrived).
    name_checked: bool,
    /// The current header line is not kept: its value is checked as it passes, not stored.
    skipping: bool,
    /// The previous byte of a skipped line was CR.
    prev_cr: bool,
}

impl<'b, 'n> ResponseParser<'b, 'n> {
    /// A parser for the response to a `method` request, keeping the framing headers only and
    /// applying [`Limits::DEFAULT`].
    pub fn new(buf: &'b mut [u8], method: Method) -> Self {
        ResponseParser {
            buf,
            limits: Limits::DEFAULT,
            capture: Capture::Names(&[]),
            head_request: method == Method::Head,
            state: State::StatusLine,
            offset: 0,
            head_len: 0,
            line_start: 0,
            line_offset: 0,
            line_no: 1,
            head_total: 0,
            header_count: 0,
            version: Version::Http11,
            status: 0,
            reason: (0, 0),
            headers_start: 0,
            content_length: None,
            te_elements: 0,
            te_all_chunked: true,
            te_seen: false,
            conn_close: false,
            conn_keep_alive: false,
            framing: Framing::NoBody,
            body_start: 0,
            body_len: 0,
            body_cap: 0,
            body_cap_kind: Cap::Body,
            body_cap_limit: 0,
            chunk_line: 0,
            trailer_total: 0,
            name_checked: false,
            skipping: false,
            prev_cr: false,
        }
    }

    /// Applies other limits. Call before the first [`feed`](Self::feed).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Chooses which header lines to keep. Call before the first [`feed`](Self::feed).
    #[must_use]
    pub fn capture(mut self, capture: Capture<'n>) -> Self {
        self.capture = capture;
        self
    }

    /// Parses the next bytes of the stream.
    ///
    /// Call it with each piece the transport delivers, of any size (an empty piece is allowed
    /// and changes nothing), until it returns [`Status::Complete`] or an error. At the end of the
    /// stream call [`finish`](Self::finish) instead. Once complete, further calls consume
    /// nothing and return `Complete { consumed: 0 }`; once failed, they return the same error.
    ///
    /// # Errors
    ///
    /// A [`ParseError`] for a malformed response or an exceeded cap. The parser is then spent.
    pub fn feed(&mut self, input: &[u8]) -> Result<Status, ParseError> {
        let mut used = 0usize;
        while let Some(rest) = input.get(used..).filter(|r| !r.is_empty()) {
            let step = match self.state {
                State::Complete => break,
                State::Failed(e) => return Err(e),
                State::Fixed { .. } | State::ChunkData { .. } | State::UntilEof => {
                    self.copy_body(rest)
                }
                _ => match rest.first() {
                    Some(&b) => self.byte(b).map(|()| 1),
                    None => Ok(0),
                },
            };
            match step {
                Ok(n) => {
                    used = used.saturating_add(n);
                    self.offset = self.offset.saturating_add(n as u64);
                }
                Err(kind) => {
                    // A head line's error is already recorded with its exact position.
                    let e = match self.state {
                        State::Failed(e) => e,
                        _ => self.error(kind),
                    };
                    self.state = State::Failed(e);
                    return Err(e);
                }
            }
        }
        match self.state {
            State::Complete => Ok(Status::Complete { consumed: used }),
            State::Failed(e) => Err(e),
            _ => Ok(Status::Partial),
        }
    }

    /// Tells the parser that the stream ended.
    ///
    /// A body framed by the end of the stream is then complete. Anywhere else the response is
    /// truncated: [`ParseErrorKind::EmptyResponse`] when not one byte came,
    /// [`ParseErrorKind::TruncatedHead`] or [`ParseErrorKind::TruncatedBody`] otherwise.
    ///
    /// # Errors
    ///
    /// As above, or the error the parser already failed with.
    pub fn finish(&mut self) -> Result<(), ParseError> {
        let kind = match self.state {
            State::Complete => return Ok(()),
            State::Failed(e) => return Err(e),
            State::UntilEof => {
                self.state = State::Complete;
                return Ok(());
            }
            State::StatusLine if self.offset == 0 => ParseErrorKind::EmptyResponse,
            State::StatusLine | State::Headers => ParseErrorKind::TruncatedHead,
            _ => ParseErrorKind::TruncatedBody {
                received: self.body_len as u64,
                expected: match self.framing {
                    Framing::ContentLength => self.content_length,
                    _ => None,
                },
            },
        };
        let e = self.error(kind);
        self.state = State::Failed(e);
        Err(e)
    }

    /// Whether the response is complete.
    pub fn is_complete(&self) -> bool {
        self.state == State::Complete
    }

    /// Bytes of the stream consumed so far.
    pub fn consumed(&self) -> u64 {
        self.offset
    }

    /// The response, once complete.
    pub fn response(&self) -> Option<Response<'_>> {
        self.view(self.buf)
    }

    /// The response, once complete, borrowing the caller's buffer.
    pub fn into_response(self) -> Option<Response<'b>> {
        let buf: &'b [u8] = self.buf;
        let head = ResponseParser {
            buf: &mut [],
            ..self
        };
        head.view(buf)
    }

    fn view<'v>(&self, buf: &'v [u8]) -> Option<Response<'v>> {
        if self.state != State::Complete {
            return None;
        }
        let persistent = match self.version {
            Version::Http11 => !self.conn_close,
            Version::Http10 => self.conn_keep_alive && !self.conn_close,
        };
        Some(Response {
            version: self.version,
            status: self.status,
            reason: buf.get(self.reason.0..self.reason.1).unwrap_or(&[]),
            head: buf.get(self.headers_start..self.body_start).unwrap_or(&[]),
            body: buf
                .get(self.body_start..self.body_start.saturating_add(self.body_len))
                .unwrap_or(&[]),
            keep_alive: persistent && self.framing != Framing::UntilClose,
            content_length: self.content_length,
            framing: self.framing,
        })
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        let in_head = matches!(self.state, State::StatusLine | State::Headers);
        ParseError {
            kind,
            offset: self.offset,
            line: in_head.then_some(self.line_no),
        }
    }

    /// An error found at byte `index` of the current head line.
    fn line_error(&self, kind: ParseErrorKind, index: usize) -> ParseError {
        ParseError {
            kind,
            offset: self.line_offset.saturating_add(index as u64),
            line: Some(self.line_no),
        }
    }

    /// Copies body bytes; returns how many of `input` were used.
    fn copy_body(&mut self, input: &[u8]) -> Result<usize, ParseErrorKind> {
        let (n, next) = match self.state {
            State::Fixed { remaining } => {
                let n = clamp(remaining, input.len());
                let left = remaining.saturating_sub(n as u64);
                (
                    n,
                    if left == 0 {
                        State::Complete
                    } else {
                        State::Fixed { remaining: left }
                    },
                )
            }
            State::ChunkData { remaining } => {
                let n = clamp(remaining, input.len());
                let left = remaining.saturating_sub(n as u64);
                (
                    n,
                    if left == 0 {
                        State::ChunkDataEnd
                    } else {
                        State::ChunkData { remaining: left }
                    },
                )
            }
            _ => {
                let room = self.body_cap.saturating_sub(self.body_len);
                if room == 0 {
                    return Err(self.body_cap_error());
                }
                (input.len().min(room), State::UntilEof)
            }
        };
        let start = self.body_start.saturating_add(self.body_len);
        let end = start.saturating_add(n);
        match (self.buf.get_mut(start..end), input.get(..n)) {
            (Some(dst), Some(src)) => dst.copy_from_slice(src),
            // Unreachable while the caps hold: sizes were checked against the room left.
            _ => return Err(self.body_cap_error()),
        }
        self.body_len = end.saturating_sub(self.body_start);
        self.state = next;
        Ok(n)
    }

    fn body_cap_error(&self) -> ParseErrorKind {
        ParseErrorKind::CapExceeded {
            cap: self.body_cap_kind,
            limit: self.body_cap_limit,
        }
    }

    /// One byte outside body data.
    fn byte(&mut self, b: u8) -> Result<(), ParseErrorKind> {
        match self.state {
            State::StatusLine | State::Headers => return self.head_byte(b),
            State::ChunkSize { .. }
            | State::ChunkSizeWs { .. }
            | State::ChunkExt { .. }
            | State::ChunkSizeLf { .. } => {
                self.chunk_line = self.chunk_line.saturating_add(1);
                if self.chunk_line > self.limits.max_head {
                    return Err(ParseErrorKind::CapExceeded {
                        cap: Cap::ChunkLine,
                        limit: self.limits.max_head,
                    });
                }
            }
            State::Trailer { .. } | State::TrailerLf { .. } => {
                self.trailer_total = self.trailer_total.saturating_add(1);
                if self.trailer_total > self.limits.max_head {
                    return Err(ParseErrorKind::CapExceeded {
                        cap: Cap::Trailer,
                        limit: self.limits.max_head,
                    });
                }
            }
            _ => {}
        }
        self.state = match self.state {
            State::ChunkSize { size, digits } => match b {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => State::ChunkSize {
                    size: size
                        .checked_mul(16)
                        .and_then(|s| s.checked_add(u64::from(hex(b))))
                        .ok_or(ParseErrorKind::ChunkSizeOverflow)?,
                    digits: true,
                },
                b' ' | b'\t' if digits => State::ChunkSizeWs { size },
                b';' if digits => State::ChunkExt { size },
                b'\r' if digits => State::ChunkSizeLf { size },
                b'\n' if digits => self.chunk_size_done(size)?,
                0x80.. => return Err(ParseErrorKind::NonAscii { byte: b }),
                _ => return Err(ParseErrorKind::BadChunkSize),
            },
            State::ChunkSizeWs { size } => match b {
                b' ' | b'\t' => State::ChunkSizeWs { size },
                b';' => State::ChunkExt { size },
                b'\r' => State::ChunkSizeLf { size },
                b'\n' => self.chunk_size_done(size)?,
                0x80.. => return Err(ParseErrorKind::NonAscii { byte: b }),
                _ => return Err(ParseErrorKind::BadChunkSize),
            },
            State::ChunkExt { size } => match b {
                b'\r' => State::ChunkSizeLf { size },
                b'\n' => self.chunk_size_done(size)?,
                b'\t' | b' '..=b'~' | 0x80.. => State::ChunkExt { size },
                _ => return Err(ParseErrorKind::BadChunkExtension),
            },
            State::ChunkSizeLf { size } => match b {
                b'\n' => self.chunk_size_done(size)?,
                _ => return Err(ParseErrorKind::BareCarriageReturn),
            },
            State::ChunkDataEnd => match b {
                b'\r' => State::ChunkDataLf,
                b'\n' => self.next_chunk(),
                _ => return Err(ParseErrorKind::BadChunkTerminator),
            },
            State::ChunkDataLf => match b {
                b'\n' => self.next_chunk(),
                _ => return Err(ParseErrorKind::BadChunkTerminator),
            },
            State::Trailer { line_empty } => match b {
                b'\r' => State::TrailerLf { line_empty },
                b'\n' if line_empty => State::Complete,
                b'\n' => State::Trailer { line_empty: true },
                b'\t' | b' '..=b'~' | 0x80.. => State::Trailer { line_empty: false },
                _ => return Err(ParseErrorKind::BadTrailer),
            },
            State::TrailerLf { line_empty } => match b {
                b'\n' if line_empty => State::Complete,
                b'\n' => State::Trailer { line_empty: true },
                _ => return Err(ParseErrorKind::BareCarriageReturn),
            },
            // Body data and the end states never reach here (see `feed`).
            other => other,
        };
        Ok(())
    }

    fn next_chunk(&mut self) -> State {
        self.chunk_line = 0;
        State::ChunkSize {
            size: 0,
            digits: false,
        }
    }

    fn chunk_size_done(&mut self, size: u64) -> Result<State, ParseErrorKind> {
        self.chunk_line = 0;
        if size == 0 {
            return Ok(State::Trailer { line_empty: true });
        }
        let room = self.body_cap.saturating_sub(self.body_len) as u64;
        if size > room {
            return Err(self.body_cap_error());
        }
        Ok(State::ChunkData { remaining: size })
    }

    /// Records an error found with its exact position, for `feed` to report as it is.
    fn fail_with(&mut self, e: ParseError) -> ParseErrorKind {
        self.state = State::Failed(e);
        e.kind
    }

    /// One byte of a head: stored (unless it belongs to a header line nobody keeps), and a
    /// line is interpreted when its LF arrives.
    fn head_byte(&mut self, b: u8) -> Result<(), ParseErrorKind> {
        self.head_total = self.head_total.saturating_add(1);
        if self.head_total > self.limits.max_head {
            return Err(ParseErrorKind::CapExceeded {
                cap: Cap::Head,
                limit: self.limits.max_head,
            });
        }
        if self.skipping {
            return self.skipped_byte(b);
        }
        match self.buf.get_mut(self.head_len) {
            Some(slot) => *slot = b,
            None => {
                return Err(ParseErrorKind::CapExceeded {
                    cap: Cap::Buffer,
                    limit: self.buf.len(),
                });
            }
        }
        self.head_len = self.head_len.saturating_add(1);
        match b {
            b'\n' => self.end_of_line().map_err(|e| self.fail_with(e)),
            b':' if self.state == State::Headers && !self.name_checked => {
                self.name_checked = true;
                self.at_colon().map_err(|e| self.fail_with(e))
            }
            _ => Ok(()),
        }
    }

    /// The name of a header line is complete: check it, and stop storing the line if it is
    /// neither a framing header nor one the caller keeps.
    fn at_colon(&mut self) -> Result<(), ParseError> {
        let colon = self.head_len.saturating_sub(1);
        let capture = self.capture;
        let keep = {
            let name = self.buf.get(self.line_start..colon).unwrap_or(&[]);
            check_name(name).map(|()| is_framing(name) || capture.wants(name))
        };
        match keep {
            Err((kind, i)) => Err(self.line_error(kind, i)),
            Ok(true) => Ok(()),
            Ok(false) => {
                self.skipping = true;
                self.prev_cr = false;
                self.head_len = self.line_start;
                Ok(())
            }
        }
    }

    /// One byte of the value of a header line that is not kept: checked, not stored.
    fn skipped_byte(&mut self, b: u8) -> Result<(), ParseErrorKind> {
        if self.prev_cr && b != b'\n' {
            return Err(ParseErrorKind::BareCarriageReturn);
        }
        match b {
            b'\n' => {
                self.skipping = false;
                self.prev_cr = false;
                self.count_header().map_err(|e| self.fail_with(e))?;
                self.next_line();
                Ok(())
            }
            b'\r' => {
                self.prev_cr = true;
                Ok(())
            }
            b'\t' | b' '..=b'~' | 0x80.. => Ok(()),
            _ => Err(ParseErrorKind::BadHeaderValue),
        }
    }

    fn count_header(&mut self) -> Result<(), ParseError> {
        self.header_count = self.header_count.saturating_add(1);
        if self.header_count > self.limits.max_headers {
            return Err(self.line_error(
                ParseErrorKind::CapExceeded {
                    cap: Cap::HeaderCount,
                    limit: self.limits.max_headers,
                },
                0,
            ));
        }
        Ok(())
    }

    /// Bookkeeping at the end of a head line that continues the head.
    fn next_line(&mut self) {
        self.line_start = self.head_len;
        self.line_offset = self.offset.saturating_add(1);
        self.line_no = self.line_no.saturating_add(1);
        self.name_checked = false;
    }

    fn end_of_line(&mut self) -> Result<(), ParseError> {
        // The line without its LF, and without the CR before it.
        let lf = self.head_len.saturating_sub(1);
        let (end, bare_cr) = {
            let line = self.buf.get(self.line_start..lf).unwrap_or(&[]);
            let content = line.strip_suffix(b"\r").unwrap_or(line);
            (
                self.line_start.saturating_add(content.len()),
                content.iter().position(|&c| c == b'\r'),
            )
        };
        if let Some(i) = bare_cr {
            return Err(self.line_error(ParseErrorKind::BareCarriageReturn, i));
        }
        let line_len = end.saturating_sub(self.line_start);
        match self.state {
            State::StatusLine => {
                let parsed = parse_status_line(self.buf.get(self.line_start..end).unwrap_or(&[]));
                let (version, status, reason) =
                    parsed.map_err(|(kind, i)| self.line_error(kind, i))?;
                self.version = version;
                self.status = status;
                self.reason = (
                    self.line_start.saturating_add(reason.0),
                    self.line_start.saturating_add(reason.1),
                );
                self.headers_start = self.head_len;
                self.state = State::Headers;
            }
            _ if line_len == 0 => {
                // The blank line is not kept.
                self.head_len = self.line_start;
                return self.end_of_head();
            }
            _ => {
                let capture = self.capture;
                let field = {
                    let line = self.buf.get(self.line_start..end).unwrap_or(&[]);
                    parse_header_line(line, capture)
                        .map_err(|(kind, i)| self.line_error(kind, i))?
                };
                self.count_header()?;
                let keep = self.apply(field).map_err(|kind| self.line_error(kind, 0))?;
                if !keep {
                    self.head_len = self.line_start;
                }
            }
        }
        self.next_line();
        Ok(())
    }

    /// Records what a header line means; says whether to keep it.
    fn apply(&mut self, field: Field) -> Result<bool, ParseErrorKind> {
        match field {
            Field::ContentLength(Err(())) => Err(ParseErrorKind::BadContentLength),
            Field::ContentLength(Ok(l)) => {
                let same = l.all_same && self.content_length.is_none_or(|prev| prev == l.value);
                let repeated = l.count > 1 || self.content_length.is_some();
                match (repeated, same) {
                    (false, _) => {
                        self.content_length = Some(l.value);
                        Ok(true)
                    }
                    (true, true) => Err(ParseErrorKind::DuplicateContentLength),
                    (true, false) => Err(ParseErrorKind::ConflictingContentLength),
                }
            }
            Field::TransferEncoding {
                elements,
                all_chunked,
            } => {
                self.te_seen = true;
                self.te_elements = self.te_elements.saturating_add(elements);
                self.te_all_chunked &= all_chunked;
                Ok(true)
            }
            Field::Connection { close, keep_alive } => {
                self.conn_close |= close;
                self.conn_keep_alive |= keep_alive;
                Ok(true)
            }
            Field::Other { keep } => Ok(keep),
        }
    }

    fn end_of_head(&mut self) -> Result<(), ParseError> {
        let at_blank = |p: &Self, kind| p.line_error(kind, 0);
        if (100..200).contains(&self.status) {
            if self.status == 101 {
                return Err(at_blank(self, ParseErrorKind::SwitchingProtocols));
            }
            // An interim response: forget it and read the next head.
            self.head_len = 0;
            self.header_count = 0;
            self.content_length = None;
            self.te_elements = 0;
            self.te_all_chunked = true;
            self.te_seen = false;
            self.conn_close = false;
            self.conn_keep_alive = false;
            self.line_start = 0;
            self.line_offset = self.offset.saturating_add(1);
            self.line_no = 1;
            self.name_checked = false;
            self.state = State::StatusLine;
            return Ok(());
        }
        self.body_start = self.head_len;
        let room = self.buf.len().saturating_sub(self.head_len);
        (self.body_cap, self.body_cap_kind, self.body_cap_limit) = if self.limits.max_body <= room {
            (self.limits.max_body, Cap::Body, self.limits.max_body)
        } else {
            (room, Cap::Buffer, self.buf.len())
        };
        let no_body = self.head_request || self.status == 204 || self.status == 304;
        let (framing, state) = if no_body {
            (Framing::NoBody, State::Complete)
        } else if self.te_seen {
            let kind = if self.version == Version::Http10 {
                Some(ParseErrorKind::TransferEncodingInHttp10)
            } else if self.content_length.is_some() {
                Some(ParseErrorKind::ContentLengthWithTransferEncoding)
            } else if self.te_elements != 1 || !self.te_all_chunked {
                Some(ParseErrorKind::UnsupportedTransferEncoding)
            } else {
                None
            };
            if let Some(kind) = kind {
                return Err(at_blank(self, kind));
            }
            self.chunk_line = 0;
            (
                Framing::Chunked,
                State::ChunkSize {
                    size: 0,
                    digits: false,
                },
            )
        } else if let Some(n) = self.content_length {
            if n > self.body_cap as u64 {
                return Err(at_blank(self, self.body_cap_error()));
            }
            (
                Framing::ContentLength,
                if n == 0 {
                    State::Complete
                } else {
                    State::Fixed { remaining: n }
                },
            )
        } else {
            (Framing::UntilClose, State::UntilEof)
        };
        self.framing = framing;
        self.state = state;
        Ok(())
    }
}

/// `remaining` bounded by `available`, as a `usize`.
fn clamp(remaining: u64, available: usize) -> usize {
    usize::try_from(remaining).map_or(available, |r| r.min(available))
}

const fn hex(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b.wrapping_sub(b'0'),
        b'a'..=b'f' => b.wrapping_sub(b'a').wrapping_add(10),
        b'A'..=b'F' => b.wrapping_sub(b'A').wrapping_add(10),
        _ => 0,
    }
}

/// Version, status and the reason phrase's range in `line`, or an error and its index.
#[allow(clippy::type_complexity)]
fn parse_status_line(
    line: &[u8],
) -> Result<(Version, u16, (usize, usize)), (ParseErrorKind, usize)> {
    let fixed = line.get(..line.len().min(12)).unwrap_or(&[]);
    if let Some(i) = fixed.iter().position(|&b| b >= 0x80) {
        let byte = fixed.get(i).copied().unwrap_or(0);
        return Err((ParseErrorKind::NonAscii { byte }, i));
    }
    let version = match line.get(..8) {
        Some(b"HTTP/1.1") => Version::Http11,
        Some(b"HTTP/1.0") => Version::Http10,
        _ => return Err((ParseErrorKind::BadVersion, 0)),
    };
    match line.get(8) {
        Some(b' ') => {}
        Some(b'0'..=b'9' | b'.') => return Err((ParseErrorKind::BadVersion, 0)),
        _ => return Err((ParseErrorKind::BadStatusLine, 8)),
    }
    let status = match line.get(9..12) {
        Some(&[a @ b'1'..=b'5', b @ b'0'..=b'9', c @ b'0'..=b'9']) => {
            // Three digits: at most 599, no overflow.
            let digit = |d: u8| u16::from(d.wrapping_sub(b'0'));
            digit(a)
                .wrapping_mul(100)
                .wrapping_add(digit(b).wrapping_mul(10))
                .wrapping_add(digit(c))
        }
        _ => return Err((ParseErrorKind::BadStatusCode, 9)),
    };
    let reason = match line.get(12) {
        None => (12, 12),
        Some(b' ') => (13, line.len()),
        Some(_) => return Err((ParseErrorKind::BadStatusCode, 12)),
    };
    let phrase = line.get(reason.0..).unwrap_or(&[]);
    if let Some(i) = phrase
        .iter()
        .position(|&b| !(b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80))
    {
        return Err((ParseErrorKind::BadStatusLine, reason.0.saturating_add(i)));
    }
    Ok((version, status, reason))
}

/// Reads one header line (without its line end) and says what it means.
fn parse_header_line(line: &[u8], capture: Capture<'_>) -> Result<Field, (ParseErrorKind, usize)> {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        check_name(line)?;
        return Err((ParseErrorKind::MissingColon, line.len()));
    };
    let name = line.get(..colon).unwrap_or(&[]);
    check_name(name)?;
    let value_at = colon.saturating_add(1);
    let raw = line.get(value_at..).unwrap_or(&[]);
    if let Some(i) = raw
        .iter()
        .position(|&b| !(b == b'\t' || (b' '..=b'~').contains(&b) || b >= 0x80))
    {
        return Err((ParseErrorKind::BadHeaderValue, value_at.saturating_add(i)));
    }
    let value = trim_ows(raw);
    Ok(if name.eq_ignore_ascii_case(b"content-length") {
        Field::ContentLength(listed_length(value))
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        let mut elements = 0usize;
        let mut all_chunked = true;
        // Empty list elements are not ignored (as RFC 9110 would allow): Python's
        // `http.client` would then not see `chunked` and read the body differently.
        for e in value.split(|&b| b == b',').map(trim_ows) {
            elements = elements.saturating_add(1);
            all_chunked &= e.eq_ignore_ascii_case(b"chunked");
        }
        Field::TransferEncoding {
            elements,
            all_chunked,
        }
    } else if name.eq_ignore_ascii_case(b"connection") {
        let mut close = false;
        let mut keep_alive = false;
        for token in value.split(|&b| b == b',').map(trim_ows) {
            close |= token.eq_ignore_ascii_case(b"close");
            keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
        }
        Field::Connection { close, keep_alive }
    } else {
        Field::Other {
            keep: capture.wants(name),
        }
    })
}

/// Checks a header name (everything before the colon).
fn check_name(name: &[u8]) -> Result<(), (ParseErrorKind, usize)> {
    if matches!(name.first(), Some(b' ' | b'\t')) {
        return Err((ParseErrorKind::ObsoleteLineFolding, 0));
    }
    for (i, &b) in name.iter().enumerate() {
        if b >= 0x80 {
            return Err((ParseErrorKind::NonAscii { byte: b }, i));
        }
        if !is_tchar(b) {
            return Err((ParseErrorKind::BadHeaderName, i));
        }
    }
    if name.is_empty() {
        return Err((ParseErrorKind::BadHeaderName, 0));
    }
    Ok(())
}

/// The headers the parser interprets itself, and so always keeps.
fn is_framing(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"content-length")
        || name.eq_ignore_ascii_case(b"transfer-encoding")
        || name.eq_ignore_ascii_case(b"connection")
}

/// A `Content-Length` value: one decimal number, or a list of them (to tell duplicates from
/// conflicts).
fn listed_length(value: &[u8]) -> Result<ListedLength, ()> {
    let mut first = None;
    let mut count = 0usize;
    let mut all_same = true;
    for element in value.split(|&b| b == b',').map(trim_ows) {
        if element.is_empty() {
            return Err(());
        }
        let mut n = 0u64;
        for &d in element {
            if !d.is_ascii_digit() {
                return Err(());
            }
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(d.wrapping_sub(b'0'))))
                .ok_or(())?;
        }
        count = count.saturating_add(1);
        match first {
            None => first = Some(n),
            Some(f) => all_same &= f == n,
        }
    }
    first
        .map(|value| ListedLength {
            value,
            count,
            all_same,
        })
        .ok_or(())
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// A complete response: status, the kept headers and the body, borrowing the buffer the parser
/// wrote them into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'b> {
    version: Version,
    status: u16,
    reason: &'b [u8],
    head: &'b [u8],
    body: &'b [u8],
    keep_alive: bool,
    content_length: Option<u64>,
    framing: Framing,
}

impl<'b> Response<'b> {
    /// The status code, 200 to 599 (interim `1xx` responses are skipped).
    pub const fn status(&self) -> u16 {
        self.status
    }

    /// The protocol version of the response.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// The reason phrase (possibly empty; never interpreted).
    pub const fn reason(&self) -> &'b [u8] {
        self.reason
    }

    /// The value of the first kept header line named `name` (case-insensitive), without
    /// surrounding white space. Only framing headers and those the [`Capture`] asked for are
    /// kept.
    pub fn header(&self, name: &str) -> Option<&'b [u8]> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// [`header`](Self::header) as text, when it is UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&'b str> {
        self.header(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The kept header lines, in order, as `(name, value)`.
    pub fn headers(&self) -> Headers<'b> {
        Headers { rest: self.head }
    }

    /// The body, decoded from chunks when it was chunked.
    pub const fn body(&self) -> &'b [u8] {
        self.body
    }

    /// Whether the connection can carry another request: HTTP/1.1 without `Connection:
    /// close`, or HTTP/1.0 with `Connection: keep-alive`, and a body that did not run to the end
    /// of the stream.
    pub const fn keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// The `Content-Length`, when one was given (also on `HEAD`, 204 and 304 responses, where
    /// it frames nothing).
    pub const fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// How the end of the body was found.
    pub const fn framing(&self) -> Framing {
        self.framing
    }
}

/// Iterator over the kept header lines of a [`Response`].
#[derive(Debug, Clone)]
pub struct Headers<'b> {
    rest: &'b [u8],
}

impl<'b> Iterator for Headers<'b> {
    type Item = (&'b str, &'b [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            let (line, rest) = match self.rest.iter().position(|&b| b == b'\n') {
                Some(i) => (
                    self.rest.get(..i).unwrap_or(&[]),
                    self.rest.get(i.saturating_add(1)..).unwrap_or(&[]),
                ),
                None => (self.rest, &[][..]),
            };
            self.rest = rest;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(colon) = line.iter().position(|&b| b == b':') {
                let name = line.get(..colon).unwrap_or(&[]);
                let value = line.get(colon.saturating_add(1)..).unwrap_or(&[]);
                if let Ok(name) = core::str::from_utf8(name) {
                    return Some((name, trim_ows(value)));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `input` whole, and again one byte at a time; both must agree.
    fn parse_both<'b>(
        input: &[u8],
        buf_a: &'b mut [u8],
        buf_b: &mut [u8],
    ) -> Result<Response<'b>, ParseError> {
        let whole = {
            let mut p = ResponseParser::new(buf_a, Method::Get).capture(Capture::All);
            match p.feed(input) {
                Ok(Status::Complete { .. }) => Ok(p),
                Ok(Status::Partial) => p.finish().map(|()| p),
                Err(e) => Err(e),
            }
        };
        let mut q = ResponseParser::new(buf_b, Method::Get).capture(Capture::All);
        let mut bytewise = Ok(());
        for b in input {
            match q.feed(core::slice::from_ref(b)) {
                Ok(Status::Partial) => {}
                Ok(Status::Complete { .. }) => break,
                Err(e) => {
                    bytewise = Err(e);
                    break;
                }
            }
        }
        if bytewise.is_ok() && !q.is_complete() {
            bytewise = q.finish();
        }
        match (&whole, bytewise) {
            (Ok(p), Ok(())) => assert_eq!(p.response(), q.response()),
            (Err(a), Err(b)) => assert_eq!(a.kind(), b.kind()),
            (a, b) => panic!("whole {:?} vs bytewise {b:?}", a.as_ref().map(|_| ())),
        }
        whole.map(|p| p.into_response().unwrap())
    }

    #[test]
    fn content_length_body() {
        let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
        let r = parse_both(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Y:  z \r\n\r\nhello",
            &mut a,
            &mut b,
        )
        .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.reason(), b"OK");
        assert_eq!(r.body(), b"hello");
        assert_eq!(r.header("x-y"), Some(&b"z"[..]));
        assert_eq!(r.content_length(), Some(5));
        assert!(r.keep_alive());
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers() {
        let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
        let r = parse_both(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\n",
            &mut a,
            &mut b,
        )
        .unwrap();
        assert_eq!(r.body(), b"abc0123456789");
        assert_eq!(r.framing(), Framing::Chunked);
    }

    #[test]
    fn body_until_close() {
        let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
        let r = parse_both(b"HTTP/1.0 200 OK\r\n\r\nrest of it", &mut a, &mut b).unwrap();
        assert_eq!(r.body(), b"rest of it");
        assert!(!r.keep_alive());
    }

    #[test]
    fn errors_carry_positions() {
        let (mut a, mut b) = ([0u8; 256], [0u8; 256]);
        let e = parse_both(
            b"HTTP/1.1 200 OK\r\nGood: 1\r\nBad Name: 2\r\n\r\n",
            &mut a,
            &mut b,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ParseErrorKind::BadHeaderName);
        assert_eq!(e.line(), Some(3));
        assert_eq!(e.offset(), 29);
    }

    #[test]
    fn caps() {
        let mut buf = [0u8; 64];
        let mut p = ResponseParser::new(&mut buf, Method::Get).limits(Limits {
            max_head: 1024,
            max_headers: 4,
            max_body: 8,
        });
        let e = p
            .feed(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n")
            .unwrap_err();
        assert_eq!(
            e.kind(),
            ParseErrorKind::CapExceeded {
                cap: Cap::Body,
                limit: 8
            }
        );
        // Still failed afterwards.
        assert_eq!(p.feed(b"x"), Err(e));
        assert_eq!(p.finish(), Err(e));
    }
}
