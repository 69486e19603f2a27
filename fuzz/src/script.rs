//! Reading a fuzz input as a script, for the machine targets (`imds_machine`,
//! `container_machine`): little-endian numbers and byte strings taken from the front, and the
//! two events both machines take the same way — a transport failure and a move of the clock.
//!
//! A byte that is not there reads as 0, so every input is a complete script.

use std::time::Duration;

use credchain_core::http::{Instant, TransportError};

/// The unread rest of the input.
#[derive(Debug)]
pub struct Input<'a> {
    /// What is left to read.
    pub data: &'a [u8],
}

impl<'a> Input<'a> {
    /// The next byte, or `None` at the end.
    pub fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    /// The next two bytes, little-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte().unwrap_or(0), self.byte().unwrap_or(0)])
    }

    /// The next four bytes, little-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from(self.u16()) | (u32::from(self.u16()) << 16)
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.data.split_at(n.min(self.data.len()));
        self.data = b;
        a
    }

    /// `u8`-length-prefixed text; lossy, since environment values are text.
    pub fn text(&mut self) -> String {
        let n = usize::from(self.byte().unwrap_or(0));
        String::from_utf8_lossy(self.take(n)).into_owned()
    }

    /// A transport failure of each kind the machines take.
    pub fn transport_error(&mut self) -> TransportError {
        match self.byte().unwrap_or(0) % 5 {
            0 => TransportError::ConnectFailed,
            1 => TransportError::ConnectTimeout,
            2 => TransportError::ReadTimeout,
            3 => TransportError::ConnectionClosed,
            _ => TransportError::Other,
        }
    }

    /// A later time to call `handle_timeout` at: a few milliseconds, up to 18 hours or up to
    /// 136 years on, or 1 ns before the machine's `deadline` (so that an early call is tried).
    pub fn later(&mut self, now: Instant, deadline: Option<Instant>) -> Instant {
        let tag = self.byte().unwrap_or(0);
        match tag % 4 {
            0 => now.saturating_add(Duration::from_millis(u64::from(tag / 4))),
            1 => now.saturating_add(Duration::from_secs(u64::from(self.u16()))),
            2 => now.saturating_add(Duration::from_secs(u64::from(self.u32()))),
            _ => match deadline {
                Some(t) if t > now => Instant::from_nanos(t.as_nanos() - 1),
                _ => now,
            },
        }
    }
}
