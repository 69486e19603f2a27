//! Random material: IMDSv2 session tokens, container authorization tokens and generated
//! credentials all come from the operating system's random source (`getrandom`), so a token
//! from one server (or one run) is never accepted by another, as real IMDS tokens are
//! instance-specific (imds-and-tools §2.2).

use crate::Error;

/// Fills `buf` from the operating system's random source.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|e| Error::Random {
        detail: e.to_string(),
    })
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64 of `bytes` with the standard alphabet and `=` padding, as IMDS tokens look.
pub(crate) fn base64(bytes: &[u8]) -> String {
    encode(bytes, STANDARD, true)
}

/// Base64 of `bytes` with the URL-safe alphabet and no padding: safe in a header, a path or a
/// shell variable without quoting.
pub(crate) fn base64_url(bytes: &[u8]) -> String {
    encode(bytes, URL_SAFE, false)
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let sym = |i: u32| char::from(alphabet.get((i & 63) as usize).copied().unwrap_or(b'A'));
    let mut out = String::with_capacity(bytes.len().div_ceil(3).saturating_mul(4));
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        if chunk.len() > 1 {
            out.push(sym(n >> 6));
        } else if pad {
            out.push('=');
        }
        if chunk.len() > 2 {
            out.push(sym(n));
        } else if pad {
            out.push('=');
        }
    }
    out
}

/// `len` random characters drawn from `alphabet` (at most 256 symbols). Rejection sampling keeps
/// every symbol equally likely.
pub(crate) fn string_from(alphabet: &[u8], len: usize) -> Result<String, Error> {
    let n = alphabet.len();
    if n == 0 || n > 256 {
        return Ok(String::new());
    }
    // Largest multiple of n that fits in a byte: values at or above it are rejected.
    let limit = 256usize.saturating_sub(256usize.checked_rem(n).unwrap_or(0));
    let mut out = String::with_capacity(len);
    let mut pool = [0u8; 64];
    while out.len() < len {
        fill(&mut pool)?;
        for &b in &pool {
            if out.len() >= len {
                break;
            }
            let b = usize::from(b);
            if b < limit
                && let Some(&c) = b.checked_rem(n).and_then(|i| alphabet.get(i))
            {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}

/// A short, stable fingerprint of a secret for logs and transcripts: enough to tell two tokens
/// apart, far too little to recover one (32 bits of a keyed hash of a ≥256-bit random value).
pub(crate) fn fingerprint(secret: &[u8]) -> String {
    use std::hash::{BuildHasher, Hasher};
    // A fixed-key SipHash: stable across calls within and between runs.
    let mut h =
        std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
            .build_hasher();
    h.write(secret);
    format!("{:08x}", h.finish() >> 32)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        // RFC 4648 §10.
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
            assert_eq!(
                base64_url(input.as_bytes()),
                expected.trim_end_matches('='),
                "{input:?}"
            );
        }
        assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn random_strings_use_only_the_alphabet() {
        let s = string_from(b"AB", 200).unwrap();
        assert_eq!(s.len(), 200);
        assert!(s.bytes().all(|b| b == b'A' || b == b'B'));
        assert!(s.contains('A') && s.contains('B'));
    }

    #[test]
    fn fingerprints_are_stable_and_distinguish() {
        assert_eq!(fingerprint(b"abc"), fingerprint(b"abc"));
        assert_ne!(fingerprint(b"abc"), fingerprint(b"abd"));
        assert_eq!(fingerprint(b"abc").len(), 8);
    }
}
