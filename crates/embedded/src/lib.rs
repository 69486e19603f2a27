//! # credchain-embedded
//!
//! A blocking HTTP/1.1 client for `#![no_std]` programs with no allocator, over any transport
//! that implements [`embedded_io::Read`] and [`embedded_io::Write`]: a socket of an embedded
//! TCP stack, raw Linux syscalls in a freestanding image, or an in-memory pipe in a test. It is
//! what credchain's IMDS and container-endpoint machines (in `credchain-core`) need to reach
//! their endpoints from such programs, and nothing more: no TLS, no redirects, no compression,
//! no proxies (botocore uses none for these endpoints either). With a [`Connector`] for the
//! platform's sockets and clock, [`fetch_imds_credentials`] runs a whole IMDS fetch and
//! [`fetch_container_credentials`] a whole container-endpoint fetch.
//!
//! | module | what it decides |
//! |---|---|
//! | [`request`] | which requests can be written safely, and their exact bytes |
//! | [`response`] | how a response is read, strictly and within hard caps, in pieces of any size |
//! | [`client`] | how one connection carries one request after another, and what a failure means |
//! | [`driver`] | how a credential machine's request reaches a server, and what each failure tells the machine |
//! | [`imds`] | a whole IMDS fetch (token, role, credentials) driven to the machine's outcome |
//! | [`container`] | a whole container-endpoint fetch driven to the machine's outcome |
//!
//! ```
//! use credchain_embedded::{Client, Request};
//! # use embedded_io::{ErrorType, ErrorKind, Read, Write};
//! # struct Pipe { reply: &'static [u8], sent: usize }
//! # impl ErrorType for Pipe { type Error = ErrorKind; }
//! # impl Read for Pipe {
//! #     fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
//! #         let n = buf.len().min(self.reply.len());
//! #         buf[..n].copy_from_slice(&self.reply[..n]);
//! #         self.reply = &self.reply[n..];
//! #         Ok(n)
//! #     }
//! # }
//! # impl Write for Pipe {
//! #     fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> { self.sent += buf.len(); Ok(buf.len()) }
//! #     fn flush(&mut self) -> Result<(), ErrorKind> { Ok(()) }
//! # }
//! # let socket = Pipe { reply: b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nmy-role", sent: 0 };
//! let mut client = Client::new(socket);
//! let mut buf = [0u8; 2048];
//! let req = Request::get("169.254.169.254", "/latest/meta-data/iam/security-credentials/");
//! let response = client.send(&req, &mut buf).unwrap();
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.body(), b"my-role");
//! assert!(client.is_reusable());
//! ```
//!
//! ## Rules this crate keeps
//!
//! - No `alloc`, no `unsafe`, no panics on any input: every bound a server could push on is a
//!   cap that fails with an error naming it, and every malformed response is an error saying
//!   what was expected.
//! - No clock of its own: the [`Client`]'s deadlines are the transport's (see [`client`]), and
//!   a transport's [`ErrorKind::TimedOut`](embedded_io::ErrorKind::TimedOut) becomes
//!   [`Error::TimedOut`]. The [`Driver`] reads time only through the caller's [`Connector`],
//!   and turns the machines' deadlines into socket timeouts.
//! - No decision of its own about credentials: the [`Driver`] moves bytes and time for
//!   `credchain-core`'s machines, which decide what every status and failure means.
//! - Parsing is sans-IO: [`ResponseParser`] can be fed arbitrary bytes in arbitrary pieces, so
//!   it can be fuzzed and driven by any event loop.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

pub mod client;
pub mod container;
pub mod driver;
mod error;
pub mod imds;
mod io;
mod machine;
pub mod request;
pub mod response;

pub use client::Client;
pub use container::fetch_container_credentials;
pub use driver::{ConnectError, Connector, Driver, ExchangeError, Stats};
pub use error::Error;
pub use imds::{DriveError, fetch_imds, fetch_imds_credentials};
pub use io::Phase;
pub use request::{
    Connection, DEFAULT_USER_AGENT, EncodeError, Header, Method, Request, RequestError,
    encode_request, write_request,
};
pub use response::{
    Cap, Capture, Framing, Headers, Limits, ParseError, ParseErrorKind, Response, ResponseParser,
    Status, Version,
};
