//! The one error type of the client.

use core::fmt;

use embedded_io::ErrorKind;

use crate::io::Phase;
use crate::request::RequestError;
use crate::response::{Cap, ParseError, ParseErrorKind};

/// Why an exchange failed.
///
/// The variants separate what a caller decides differently on: a request it built wrong
/// ([`InvalidRequest`](Error::InvalidRequest): nothing was sent), a transport failure
/// ([`Io`](Error::Io), [`TimedOut`](Error::TimedOut)), a connection that closed
/// ([`ClosedBeforeResponse`](Error::ClosedBeforeResponse), safe to retry on a new connection
/// for an idempotent request when it was `reused`;
/// [`ClosedMidResponse`](Error::ClosedMidResponse)), a server that sent too much
/// ([`CapExceeded`](Error::CapExceeded)) or something that is not HTTP
/// ([`Malformed`](Error::Malformed)). The IMDS fallback rules (spec §4.4) map onto these:
/// a timeout while reading is the "read timeout" row, a close or I/O error the "connection
/// closed" row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The request cannot be written safely; nothing was sent.
    InvalidRequest(RequestError),
    /// The transport failed with this kind of error.
    Io {
        /// The transport's error kind.
        kind: ErrorKind,
        /// While sending or while receiving.
        phase: Phase,
    },
    /// The transport gave up waiting ([`ErrorKind::TimedOut`]): the deadline the caller's
    /// transport enforces has passed.
    TimedOut {
        /// While sending or while receiving.
        phase: Phase,
    },
    /// The connection closed before the first byte of a response.
    ClosedBeforeResponse {
        /// Whether the connection had already carried a response: a server closing an idle
        /// keep-alive connection looks like this, and the request can be sent again on a new
        /// connection.
        reused: bool,
    },
    /// The connection closed inside the head or the body.
    ClosedMidResponse(ParseError),
    /// The response exceeded a bound of [`Limits`](crate::Limits) or the caller's buffer.
    CapExceeded {
        /// Which bound.
        cap: Cap,
        /// Its value.
        limit: usize,
    },
    /// The response is not valid HTTP/1.x.
    Malformed(ParseError),
    /// The connection cannot carry another request: the last response closed it (or ran to the
    /// end of the stream, left unread bytes behind, or failed). Make a new client on a new
    /// connection.
    ConnectionNotReusable,
}

impl Error {
    /// Sorts a parser error into the client's variants.
    pub fn from_parse(e: ParseError, reused: bool) -> Self {
        match e.kind() {
            ParseErrorKind::EmptyResponse => Error::ClosedBeforeResponse { reused },
            ParseErrorKind::TruncatedHead | ParseErrorKind::TruncatedBody { .. } => {
                Error::ClosedMidResponse(e)
            }
            ParseErrorKind::CapExceeded { cap, limit } => Error::CapExceeded { cap, limit },
            _ => Error::Malformed(e),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequest(e) => e.fmt(f),
            Error::Io { kind, phase } => write!(f, "I/O error while {phase}: {kind:?}"),
            Error::TimedOut { phase } => write!(f, "timed out while {phase}"),
            Error::ClosedBeforeResponse { reused: false } => {
                f.write_str("the connection closed before any byte of a response")
            }
            Error::ClosedBeforeResponse { reused: true } => f.write_str(
                "the reused connection closed before any byte of a response (the server may \
                 have closed it while idle)",
            ),
            Error::ClosedMidResponse(e) => e.fmt(f),
            Error::CapExceeded { cap, limit } => {
                write!(f, "the response exceeds the {cap} cap of {limit}")
            }
            Error::Malformed(e) => e.fmt(f),
            Error::ConnectionNotReusable => {
                f.write_str("the connection cannot carry another request; open a new one")
            }
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::InvalidRequest(e) => Some(e),
            Error::ClosedMidResponse(e) | Error::Malformed(e) => Some(e),
            _ => None,
        }
    }
}
