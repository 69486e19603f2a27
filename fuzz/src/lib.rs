//! Invariant checks shared by the fuzz targets of `credchain-core`.
//!
//! Every target hands arbitrary bytes to one parser or machine of the core and then checks what
//! came back against what the core's documentation promises, not only that nothing panicked:
//!
//! - borrowed output lies inside the input ([`assert_inside`]): a parser that hands out a slice
//!   of anything else has lost track of its offsets;
//! - the different views of one value agree: fragments, `as_str`, `len`, `chars`, `eq_str`,
//!   `Display` and `write_to` / `decode_into` (which must succeed with a buffer of exactly the
//!   right size and fail with one byte less, naming the size needed) — see [`check_write!`];
//! - lookups find what listings list, and give the same answers;
//! - error positions lie inside the input and are where the error says they are;
//! - where an independent implementation exists in Rust's ecosystem (`serde_json` for JSON
//!   strings and documents) the two agree on what they both define.
//!
//! A failed check panics with a message that says which promise was broken; libFuzzer then
//! saves the input under `fuzz/artifacts/<target>/`.
//!
//! The fuzz crate runs with `std` and allocates freely: the no-allocation rule is the core's,
//! and these checks only look at its output.

pub mod document;
pub mod profile;
pub mod script;
pub mod time;

/// Whether `part` lies inside `whole`, by address.
pub fn is_inside(whole: &[u8], part: &[u8]) -> bool {
    let start = whole.as_ptr() as usize;
    let end = start + whole.len();
    let p = part.as_ptr() as usize;
    p >= start && p + part.len() <= end
}

/// Panics unless `part` is borrowed from `whole`. Empty strings are exempt: an empty result
/// carries no bytes, and the core may hand out a literal `""` for one.
#[track_caller]
pub fn assert_inside(whole: &[u8], part: &str, what: &str) {
    assert!(
        part.is_empty() || is_inside(whole, part.as_bytes()),
        "{what} {part:?} does not borrow from the input"
    );
}

/// An upper bound of the number of lines of `text` under any of the dialects' rules (`\n`,
/// `\r\n` and a lone `\r` each end a line at most once).
pub fn max_lines(text: &[u8]) -> usize {
    text.iter().filter(|&&b| b == b'\n' || b == b'\r').count() + 1
}

/// Checks a "write into the caller's buffer" operation against the text it should produce:
/// with a buffer of exactly the right size it writes that text; with a bigger one too; with
/// one byte less it fails with `BufferTooSmall` naming the size needed.
///
/// `check_write!(expected, |buf| value.write_to(buf))`
#[macro_export]
macro_rules! check_write {
    ($expected:expr, |$buf:ident| $call:expr) => {{
        let expected: &str = $expected;
        let n = expected.len();
        {
            let mut storage = vec![0u8; n];
            let $buf = &mut storage[..];
            let got = $call;
            assert_eq!(got, Ok(expected), "write with an exact buffer of {n} bytes");
        }
        {
            let mut storage = vec![0u8; n + 3];
            let $buf = &mut storage[..];
            let got = $call;
            assert_eq!(got, Ok(expected), "write with a larger buffer");
        }
        if n > 0 {
            let mut storage = vec![0u8; n - 1];
            let $buf = &mut storage[..];
            let got = $call;
            assert_eq!(
                got,
                Err(::credchain_core::buf::BufferTooSmall {
                    needed: n,
                    available: n - 1
                }),
                "write with a buffer one byte short"
            );
        }
    }};
}
