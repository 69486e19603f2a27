//! A small buffered writer to a file descriptor, so `write!` works without std.
//!
//! Text is gathered in a fixed array on the stack and handed to the kernel with one `write`
//! system call when the array fills up or when [`Out::flush`] is called, instead of one call per
//! formatted fragment. The writer implements [`core::fmt::Write`], so everything `core::fmt`
//! can format (numbers, `Display` of the core's errors) can be printed.

use core::fmt;

use crate::sys::{self, Errno, Fd};

/// The size of the buffer: a few lines of output.
const CAPACITY: usize = 512;

/// A buffered writer to one file descriptor.
#[derive(Debug)]
pub struct Out {
    fd: Fd,
    buf: [u8; CAPACITY],
    len: usize,
    /// The first write error, kept because `fmt::Error` cannot carry it.
    error: Option<Errno>,
}

impl Out {
    /// A writer to `fd` with an empty buffer.
    pub const fn new(fd: Fd) -> Self {
        Out {
            fd,
            buf: [0; CAPACITY],
            len: 0,
            error: None,
        }
    }

    /// Writes out what is buffered. Returns the first error any write met.
    pub fn flush(&mut self) -> Result<(), Errno> {
        let pending = self.buf.get(..self.len).unwrap_or_default();
        if let Err(e) = sys::write_all(self.fd, pending) {
            self.error.get_or_insert(e);
        }
        self.len = 0;
        match self.error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Appends bytes, flushing whenever the buffer is full. Input larger than the buffer
    /// passes through in buffer-sized pieces.
    fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.len == CAPACITY {
                // An error is kept in `self.error` and reported by the final `flush`.
                let _ = self.flush();
            }
            let room = CAPACITY.saturating_sub(self.len);
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            let end = self.len.saturating_add(now.len());
            if let Some(dst) = self.buf.get_mut(self.len..end) {
                dst.copy_from_slice(now);
            }
            self.len = end;
            bytes = later;
        }
    }
}

impl fmt::Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        Ok(())
    }
}
