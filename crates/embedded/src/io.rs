//! Moving bytes through an `embedded-io` transport, with its failures sorted the way the
//! client reports them.
//!
//! embedded-io has no notion of time: a transport that can block forever will. Deadlines belong
//! to the transport (a socket's receive timeout, a hardware timer, an RTOS wait with a timeout);
//! the client only recognises their outcome, an error whose kind is
//! [`ErrorKind::TimedOut`], and reports it as [`Error::TimedOut`].

use core::fmt;

use embedded_io::{Error as _, ErrorKind};

use crate::Error;

/// Which half of the exchange a transport failure interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Sending the request.
    Write,
    /// Waiting for, or receiving, the response.
    Read,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Write => "sending the request",
            Phase::Read => "reading the response",
        })
    }
}

/// How many `Interrupted` errors in a row are retried before one is reported. The traits are
/// blocking, so `Interrupted` is a signal that arrived mid-call; a transport that reports it
/// forever must still not keep the client spinning.
const INTERRUPT_RETRIES: u32 = 8;

fn classify(kind: ErrorKind, phase: Phase) -> Error {
    match kind {
        ErrorKind::TimedOut => Error::TimedOut { phase },
        kind => Error::Io { kind, phase },
    }
}

/// Writes all of `bytes`. Unlike `embedded_io::Write::write_all`, a transport that accepts zero
/// bytes is an error ([`ErrorKind::WriteZero`]), not a panic.
pub(crate) fn write_all<W: embedded_io::Write + ?Sized>(
    w: &mut W,
    mut bytes: &[u8],
    phase: Phase,
) -> Result<(), Error> {
    let mut interrupts = 0u32;
    while !bytes.is_empty() {
        match w.write(bytes) {
            Ok(0) => return Err(classify(ErrorKind::WriteZero, phase)),
            Ok(n) => {
                interrupts = 0;
                bytes = bytes.get(n..).unwrap_or(&[]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted && interrupts < INTERRUPT_RETRIES => {
                interrupts = interrupts.saturating_add(1);
            }
            Err(e) => return Err(classify(e.kind(), phase)),
        }
    }
    Ok(())
}

/// Flushes the transport.
pub(crate) fn flush<W: embedded_io::Write + ?Sized>(w: &mut W) -> Result<(), Error> {
    let mut interrupts = 0u32;
    loop {
        match w.flush() {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::Interrupted && interrupts < INTERRUPT_RETRIES => {
                interrupts = interrupts.saturating_add(1);
            }
            Err(e) => return Err(classify(e.kind(), Phase::Write)),
        }
    }
}

/// Reads some bytes; `Ok(0)` is the end of the stream.
pub(crate) fn read<R: embedded_io::Read + ?Sized>(
    r: &mut R,
    buf: &mut [u8],
) -> Result<usize, Error> {
    let mut interrupts = 0u32;
    loop {
        match r.read(buf) {
            // A transport that claims more than the buffer holds is clamped, not trusted.
            Ok(n) => return Ok(n.min(buf.len())),
            Err(e) if e.kind() == ErrorKind::Interrupted && interrupts < INTERRUPT_RETRIES => {
                interrupts = interrupts.saturating_add(1);
            }
            Err(e) => return Err(classify(e.kind(), Phase::Read)),
        }
    }
}
