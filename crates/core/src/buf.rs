//! Writing into a caller's buffer.
//!
//! The core never allocates. Whatever it has to produce (an unescaped JSON string, a joined
//! multi-line profile value, a formatted timestamp) goes into a `&mut [u8]` the caller owns.
//! When that buffer is too small the operation fails with [`BufferTooSmall`], which says how many
//! bytes would have been enough, so the caller can retry with a bigger one.

use core::fmt;

/// The caller's buffer cannot hold the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BufferTooSmall {
    /// The number of bytes the whole output needs.
    pub needed: usize,
    /// The number of bytes the buffer had.
    pub available: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "buffer too small: {} bytes needed, {} available",
            self.needed, self.available
        )
    }
}

impl core::error::Error for BufferTooSmall {}

/// A cursor that appends UTF-8 text to a caller's buffer and keeps counting past its end, so
/// that a failed write still reports the full size needed.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> Writer<'b> {
    /// Starts writing at the beginning of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Writer { buf, len: 0 }
    }

    /// Appends `s`. Bytes that do not fit are counted, not written.
    pub fn push_str(&mut self, s: &str) {
        let start = self.len;
        self.len = self.len.saturating_add(s.len());
        if let Some(dst) = self.buf.get_mut(start..self.len) {
            dst.copy_from_slice(s.as_bytes());
        }
    }

    /// Appends one character.
    pub fn push_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.push_str(c.encode_utf8(&mut tmp));
    }

    /// The number of bytes written or counted so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ends the write: the text written, or [`BufferTooSmall`] with the size the whole text needs.
    pub fn finish(self) -> Result<&'b str, BufferTooSmall> {
        let available = self.buf.len();
        match self.buf.get(..self.len) {
            // Only whole `&str`s and `char`s are ever pushed, so the written prefix is UTF-8;
            // the check keeps the core free of `unsafe`.
            Some(done) => core::str::from_utf8(done).map_err(|_| BufferTooSmall {
                needed: self.len,
                available,
            }),
            None => Err(BufferTooSmall {
                needed: self.len,
                available,
            }),
        }
    }
}

impl fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reports_size_needed() {
        let mut b = [0u8; 5];
        let mut w = Writer::new(&mut b);
        w.push_str("abc");
        w.push_char('é');
        assert_eq!(w.finish(), Ok("abcé"));

        let mut b = [0u8; 3];
        let mut w = Writer::new(&mut b);
        w.push_str("abcdef");
        assert_eq!(
            w.finish(),
            Err(BufferTooSmall {
                needed: 6,
                available: 3
            })
        );
    }
}
