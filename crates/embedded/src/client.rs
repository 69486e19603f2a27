//! The blocking client: one connection, one request at a time.
//!
//! [`Client::send`] writes a request with [`write_request`], then reads
//! until a [`ResponseParser`] says the response is complete (or the stream ends), and hands back
//! a [`Response`] borrowing the caller's buffer. Several requests may follow one another on the
//! same connection while the responses allow it (HTTP/1.1 without `Connection: close`, a body
//! framed by length or chunks, nothing unread left over); the client tracks that and refuses to
//! send on a connection that cannot carry another request.
//!
//! # Deadlines
//!
//! embedded-io has no clock, so the client cannot time anything. Give the transport the
//! deadline instead: a socket receive/send timeout, a timer that aborts a blocking wait, an RTOS
//! call with a timeout. When it gives up it must fail with an error whose kind is
//! [`ErrorKind::TimedOut`](embedded_io::ErrorKind::TimedOut); the client reports that as
//! [`Error::TimedOut`], which the credential machines treat as botocore's read timeout (spec
//! §4.4). A transport over `std::net::TcpStream` with `set_read_timeout` must translate
//! `WouldBlock` (what Unix reports for an expired timeout) into `TimedOut`.
//!
//! # Memory
//!
//! The client holds nothing but the transport. `send` uses a 512-byte stack buffer for reads,
//! a 256-byte one for writing the head, and the caller's buffer for the response.

use crate::Error;
use crate::io;
use crate::request::{Connection, Request, write_request};
use crate::response::{Limits, Response, ResponseParser, Status};

/// Bytes read from the transport at a time.
const READ_CHUNK: usize = 512;

/// A blocking HTTP/1.1 client over one `embedded-io` connection.
#[derive(Debug)]
pub struct Client<T> {
    io: T,
    limits: Limits,
    open: bool,
    exchanges: u32,
}

impl<T: embedded_io::Read + embedded_io::Write> Client<T> {
    /// A client over an open connection, with [`Limits::DEFAULT`].
    pub fn new(io: T) -> Self {
        Client::with_limits(io, Limits::DEFAULT)
    }

    /// A client over an open connection, with other limits.
    pub fn with_limits(io: T, limits: Limits) -> Self {
        Client {
            io,
            limits,
            open: true,
            exchanges: 0,
        }
    }

    /// Sends `req` and reads its response into `buf`.
    ///
    /// The response's kept headers and body live in `buf`, which must hold them (the caps of
    /// [`Limits`] apply as well). Interim `1xx` responses are skipped.
    ///
    /// # Errors
    ///
    /// See [`Error`]. After any error other than [`Error::InvalidRequest`] the connection is
    /// not reused: later calls fail with [`Error::ConnectionNotReusable`].
    pub fn send<'b>(
        &mut self,
        req: &Request<'_>,
        buf: &'b mut [u8],
    ) -> Result<Response<'b>, Error> {
        if !self.open {
            return Err(Error::ConnectionNotReusable);
        }
        let result = self.exchange(req, buf);
        match &result {
            Err(Error::InvalidRequest(_)) => {}
            Err(_) => self.open = false,
            Ok((response, leftover)) => {
                self.exchanges = self.exchanges.saturating_add(1);
                if *leftover || !response.keep_alive() || req.connection == Connection::Close {
                    self.open = false;
                }
            }
        }
        result.map(|(response, _)| response)
    }

    fn exchange<'b>(
        &mut self,
        req: &Request<'_>,
        buf: &'b mut [u8],
    ) -> Result<(Response<'b>, bool), Error> {
        let reused = self.exchanges > 0;
        write_request(&mut self.io, req)?;
        let mut parser = ResponseParser::new(buf, req.method)
            .limits(self.limits)
            .capture(req.keep);
        let mut chunk = [0u8; READ_CHUNK];
        let leftover = loop {
            let n = io::read(&mut self.io, &mut chunk)?;
            if n == 0 {
                parser.finish().map_err(|e| Error::from_parse(e, reused))?;
                break false;
            }
            let input = chunk.get(..n).unwrap_or(&[]);
            match parser
                .feed(input)
                .map_err(|e| Error::from_parse(e, reused))?
            {
                Status::Partial => {}
                Status::Complete { consumed } => break consumed < n,
            }
        };
        // The loop ends only once the parser is complete.
        let response = parser.into_response().ok_or(Error::ConnectionNotReusable)?;
        Ok((response, leftover))
    }

    /// Whether another request may be sent on this connection.
    pub fn is_reusable(&self) -> bool {
        self.open
    }

    /// Responses received so far on this connection.
    pub fn exchanges(&self) -> u32 {
        self.exchanges
    }

    /// The transport.
    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The transport, mutably (for example to change its timeout between requests).
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.io
    }

    /// Gives the transport back.
    pub fn into_inner(self) -> T {
        self.io
    }
}
