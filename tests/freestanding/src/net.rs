//! TCP over raw system calls, behind the traits `credchain-embedded` drives.
//!
//! - [`TcpSocket`]: a connected socket implementing `embedded_io::{Read, Write}`. Reads are
//!   `read(2)`; writes are `sendto(2)` with `MSG_NOSIGNAL`, so a server that has gone away is an
//!   error rather than a `SIGPIPE`. It closes itself when dropped.
//! - [`SysConnector`]: the driver's [`Connector`]: `socket` + `connect` bounded by
//!   `SO_SNDTIMEO` (Linux applies it to a blocking `connect`, which then fails with
//!   `EINPROGRESS`), `SO_RCVTIMEO`/`SO_SNDTIMEO` for every later wait, `CLOCK_MONOTONIC` for the
//!   time and `nanosleep` for pauses.
//!
//! Errors become `embedded_io::ErrorKind`s; an expired socket timeout (`EAGAIN`) is
//! [`ErrorKind::TimedOut`], the contract the driver relies on to turn a silent server into
//! botocore's read timeout. The image has no resolver and speaks IPv4 only: a host must be an
//! IPv4 address (or `localhost`).

use core::time::Duration;

use credchain_core::http::Instant;
use credchain_core::http::ip::parse_ipv4;
use credchain_embedded::driver::{ConnectError, Connector};
use embedded_io::{ErrorKind, ErrorType, Read, Write};

use crate::sys::{self, CLOCK_MONOTONIC, Errno, Fd, SockAddrIn};

/// What an error number means to embedded-io.
pub fn kind(e: Errno) -> ErrorKind {
    match e {
        Errno::EAGAIN | Errno::ETIMEDOUT => ErrorKind::TimedOut,
        Errno::EINTR => ErrorKind::Interrupted,
        Errno::ECONNRESET => ErrorKind::ConnectionReset,
        Errno::ECONNABORTED => ErrorKind::ConnectionAborted,
        Errno::ECONNREFUSED => ErrorKind::ConnectionRefused,
        Errno::ENOTCONN => ErrorKind::NotConnected,
        Errno::EPIPE => ErrorKind::BrokenPipe,
        Errno::EHOSTUNREACH | Errno::ENETUNREACH => ErrorKind::AddrNotAvailable,
        _ => ErrorKind::Other,
    }
}

/// A connected TCP socket; closed when dropped.
#[derive(Debug)]
pub struct TcpSocket {
    fd: Fd,
}

impl Drop for TcpSocket {
    fn drop(&mut self) {
        // Linux frees the descriptor whatever `close` reports.
        let _ = sys::close(self.fd);
    }
}

impl ErrorType for TcpSocket {
    type Error = ErrorKind;
}

impl Read for TcpSocket {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        sys::read(self.fd, buf).map_err(kind)
    }
}

impl Write for TcpSocket {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        sys::send(self.fd, buf).map_err(kind)
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        // Nothing is buffered here: every write went to the kernel.
        Ok(())
    }
}

/// Connections and time from the kernel, for `credchain_embedded::Driver`.
#[derive(Debug, Default)]
pub struct SysConnector;

impl Connector for SysConnector {
    type Connection = TcpSocket;

    fn connect(
        &mut self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<TcpSocket, ConnectError> {
        let addr = if host.eq_ignore_ascii_case("localhost") {
            [127, 0, 0, 1]
        } else {
            parse_ipv4(host).ok_or(ConnectError::Failed(ErrorKind::Unsupported))?
        };
        let fd = sys::socket().map_err(|e| ConnectError::Failed(kind(e)))?;
        // Owned from here on: every early return closes it.
        let socket = TcpSocket { fd };
        sys::set_socket_timeout(fd, timeout).map_err(|e| ConnectError::Failed(kind(e)))?;
        match sys::connect(fd, &SockAddrIn::new(addr, port)) {
            Ok(()) => Ok(socket),
            Err(Errno::EINPROGRESS | Errno::ETIMEDOUT) => Err(ConnectError::TimedOut),
            Err(e) => Err(ConnectError::Failed(kind(e))),
        }
    }

    fn set_timeout(&mut self, socket: &mut TcpSocket, timeout: Duration) -> Result<(), ErrorKind> {
        sys::set_socket_timeout(socket.fd, timeout).map_err(kind)
    }

    fn now(&mut self) -> Instant {
        // CLOCK_MONOTONIC cannot fail on Linux; should it, time stands still at the origin
        // and the socket timeouts still end every wait.
        Instant::from_duration(sys::clock_gettime(CLOCK_MONOTONIC).unwrap_or_default())
    }

    fn sleep_until(&mut self, until: Instant) {
        let left = until.saturating_duration_since(self.now());
        sys::nanosleep(left);
    }
}
