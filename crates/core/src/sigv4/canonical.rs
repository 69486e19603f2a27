//! The canonical request, written piece by piece into a [`Sink`]: the SHA-256 of the signer,
//! or a caller's buffer when someone wants to read it.
//!
//! Nothing here allocates. Where botocore sorts a list (header names, query pairs) this module
//! selects the next element in order from the unsorted input instead; the inputs are a handful
//! of headers and parameters, and the quadratic worst case on hostile input stays bounded by the
//! input's length.

use core::cmp::Ordering;

use sha2::{Digest, Sha256};

use super::{AMZ_DATE, SECURITY_TOKEN, UNSIGNED_HEADERS};

/// A verifier's signed header (the `.0`-th name of `SignedHeaders`) that the request lacks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MissingHeader(pub(crate) usize);

/// Where canonical text goes. Every piece is UTF-8 (most are ASCII).
pub(crate) trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for crate::buf::Writer<'_> {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// A SHA-256 that collects small pieces in a block-sized staging area before hashing them, so
/// that the many short writes of a canonical request cost one copy each.
pub(crate) struct HashSink {
    hasher: Sha256,
    staged: [u8; 128],
    len: usize,
}

impl HashSink {
    pub(crate) fn new() -> Self {
        HashSink {
            hasher: Sha256::new(),
            staged: [0; 128],
            len: 0,
        }
    }

    fn flush(&mut self) {
        if let Some(pending) = self.staged.get(..self.len) {
            self.hasher.update(pending);
        }
        self.len = 0;
    }

    pub(crate) fn finish(mut self) -> [u8; 32] {
        self.flush();
        self.hasher.finalize().into()
    }
}

impl Sink for HashSink {
    fn put(&mut self, s: &str) {
        let bytes = s.as_bytes();
        let end = self.len.saturating_add(bytes.len());
        if let Some(dst) = self.staged.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
            return;
        }
        self.flush();
        match self.staged.get_mut(..bytes.len()) {
            Some(dst) if bytes.len() < 64 => {
                dst.copy_from_slice(bytes);
                self.len = bytes.len();
            }
            _ => self.hasher.update(bytes),
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Lower-case hex of `bytes` into `out` (which must be twice as long; extra room is ignored).
pub(crate) fn hex_into<'o>(bytes: &[u8], out: &'o mut [u8; 64]) -> &'o str {
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            *lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
        }
    }
    let n = bytes.len().saturating_mul(2).min(64);
    out.get(..n)
        .and_then(|s| core::str::from_utf8(s).ok())
        .unwrap_or("")
}

/// `%XY` for one byte, upper-case hex as Python's `quote` writes it.
fn put_escape<S: Sink>(out: &mut S, b: u8) {
    let esc = [
        b'%',
        HEX_UPPER.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
        HEX_UPPER
            .get(usize::from(b & 0x0f))
            .copied()
            .unwrap_or(b'0'),
    ];
    if let Ok(s) = core::str::from_utf8(&esc) {
        out.put(s);
    }
}

/// The bytes Python's `quote(s, safe='/~')` leaves alone, minus `/` (segments never hold one):
/// letters, digits and `-_.~`. Everything else, `%` included, is escaped.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Writes `segment` percent-encoded as botocore's `quote(…, safe='/~')` does: UTF-8 bytes
/// outside the unreserved set become `%XY`, so a `%` already on the wire becomes `%25`.
fn put_encoded<S: Sink>(out: &mut S, segment: &str) {
    let bytes = segment.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !is_unreserved(b) {
            // Every boundary here sits next to an ASCII byte or a byte we escape whole, and
            // the runs we hand over are all unreserved ASCII, so `get` always succeeds.
            if let Some(run) = segment.get(start..i) {
                out.put(run);
            }
            put_escape(out, b);
            start = i.saturating_add(1);
        }
    }
    if let Some(run) = bytes
        .get(start..)
        .and_then(|r| core::str::from_utf8(r).ok())
    {
        out.put(run);
    }
}

fn is_normal_segment(seg: &str) -> bool {
    !seg.is_empty() && seg != "." && seg != ".."
}

/// Whether the segment at `index` (a normal one) is removed by a later `..` in botocore's
/// `remove_dot_segments`: it is when, after it, the `..` segments ever outnumber the normal
/// ones pushed above it.
fn popped_later(path: &str, index: usize) -> bool {
    let mut depth: usize = 0;
    for seg in path.split('/').skip(index.saturating_add(1)) {
        if seg == ".." {
            if depth == 0 {
                return true;
            }
            depth = depth.saturating_sub(1);
        } else if is_normal_segment(seg) {
            depth = depth.saturating_add(1);
        }
    }
    false
}

/// The canonical URI of botocore's `SigV4Auth` (every service but S3): the path with `.` and
/// `..` segments resolved and empty segments dropped (`remove_dot_segments`), then each byte
/// outside `A-Za-z0-9-_.~/` percent-encoded — so a path that is already percent-encoded on the
/// wire is encoded a second time, as AWS expects for non-S3 services.
pub(crate) fn put_canonical_uri<S: Sink>(out: &mut S, path: &str) {
    if path.is_empty() {
        out.put("/");
        return;
    }
    if path.starts_with('/') {
        out.put("/");
    }
    let dotted = path.split('/').any(|s| s == "..");
    let mut any = false;
    for (i, seg) in path.split('/').enumerate() {
        if !is_normal_segment(seg) || (dotted && popped_later(path, i)) {
            continue;
        }
        if any {
            out.put("/");
        }
        put_encoded(out, seg);
        any = true;
    }
    if any && path.ends_with('/') {
        out.put("/");
    }
}

/// One `key=value` pair of the query as botocore splits it: at the first `=`; a pair without
/// one has an empty value.
fn query_pair(pair: &str) -> (&str, &str) {
    pair.split_once('=').unwrap_or((pair, ""))
}

/// The canonical query string from the query as it is on the wire. botocore signs the URL's
/// query without decoding or re-encoding it (`_canonical_query_string_url`): the pairs split
/// on `&`, sorted by key then value, joined again. The query botocore puts on the wire is
/// already encoded the canonical way, so nothing is lost by not re-encoding it.
pub(crate) fn put_canonical_query<S: Sink>(out: &mut S, query: &str) {
    if query.is_empty() {
        return;
    }
    let mut previous: Option<(&str, &str)> = None;
    let mut first = true;
    loop {
        // The smallest pair above the previous one, and how many times it occurs.
        let mut next: Option<((&str, &str), usize)> = None;
        for pair in query.split('&').map(query_pair) {
            if previous.is_some_and(|p| pair <= p) {
                continue;
            }
            next = match next {
                Some((best, n)) => match pair.cmp(&best) {
                    Ordering::Less => Some((pair, 1)),
                    Ordering::Equal => Some((best, n.saturating_add(1))),
                    Ordering::Greater => Some((best, n)),
                },
                None => Some((pair, 1)),
            };
        }
        let Some(((key, value), count)) = next else {
            return;
        };
        for _ in 0..count {
            if !first {
                out.put("&");
            }
            out.put(key);
            out.put("=");
            out.put(value);
            first = false;
        }
        previous = Some((key, value));
    }
}

/// Python's `str.isspace`, which `str.split()` splits on: botocore's `_header_value` collapses
/// runs of these in a header value into one space.
pub(crate) fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// A header value as botocore signs it: `' '.join(value.split())`.
fn put_trimmed_value<S: Sink>(out: &mut S, value: &str) {
    // Most values (a session token, a host, a date) are visible ASCII only: nothing to collapse.
    if value.bytes().all(|b| matches!(b, 0x21..=0x7e)) {
        out.put(value);
        return;
    }
    let mut first = true;
    for word in value.split(is_python_space).filter(|w| !w.is_empty()) {
        if !first {
            out.put(" ");
        }
        out.put(word);
        first = false;
    }
}

/// An HTTP token character (RFC 9110 `tchar`): what a method and a header name are made of.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// Writes an ASCII token with each letter mapped by `map`, through a small stack buffer.
fn put_mapped<S: Sink>(out: &mut S, token: &str, map: fn(&u8) -> u8) {
    let mut chunk = [0u8; 32];
    for piece in token.as_bytes().chunks(chunk.len()) {
        for (d, s) in chunk.iter_mut().zip(piece) {
            *d = map(s);
        }
        if let Some(s) = chunk
            .get(..piece.len())
            .and_then(|c| core::str::from_utf8(c).ok())
        {
            out.put(s);
        }
    }
}

/// Compares two ASCII header names as their lower-case forms compare.
fn cmp_lower(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Which headers a canonical request covers.
#[derive(Clone, Copy)]
pub(crate) enum Headers<'r> {
    /// The signer's choice, botocore's `headers_to_sign` after `_modify_request_before_signing`:
    /// every header of the request but `Authorization`, the unsigned ones, and the `X-Amz-Date`
    /// (and, with a session token, `X-Amz-Security-Token`) it replaces with its own.
    Sign {
        list: &'r [(&'r str, &'r str)],
        amz_date: &'r str,
        token: Option<&'r str>,
    },
    /// The verifier's: exactly the names of `SignedHeaders`, in that order, with the values
    /// the request carries.
    Verify {
        list: &'r [(&'r str, &'r str)],
        signed: &'r str,
    },
}

impl<'r> Headers<'r> {
    /// Whether the signer drops this request header (replacing some with its own).
    fn dropped(name: &str, has_token: bool) -> bool {
        name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case(AMZ_DATE)
            || (has_token && name.eq_ignore_ascii_case(SECURITY_TOKEN))
            || UNSIGNED_HEADERS
                .iter()
                .any(|u| name.eq_ignore_ascii_case(u))
    }

    /// The (name, value) pairs the signer signs, in the order botocore's header map holds them.
    fn signer_entries(
        list: &'r [(&'r str, &'r str)],
        amz_date: &'r str,
        token: Option<&'r str>,
    ) -> impl Iterator<Item = (&'r str, &'r str)> + Clone + 'r {
        let has_token = token.is_some();
        list.iter()
            .copied()
            .filter(move |(n, _)| !Self::dropped(n, has_token))
            .chain(core::iter::once((AMZ_DATE, amz_date)))
            .chain(token.map(|t| (SECURITY_TOKEN, t)))
    }

    /// The request's values for `name`, in order.
    fn values_of(
        entries: impl Iterator<Item = (&'r str, &'r str)> + 'r,
        name: &'r str,
    ) -> impl Iterator<Item = &'r str> + 'r {
        entries
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Writes the canonical headers block, each `name:value\n` (the signed-headers line is
    /// [`Headers::put_signed`]).
    fn put_canonical<S: Sink>(&self, out: &mut S) -> Result<(), MissingHeader> {
        match *self {
            Headers::Sign {
                list,
                amz_date,
                token,
            } => {
                let entries = Self::signer_entries(list, amz_date, token);
                let mut previous: Option<&str> = None;
                while let Some(name) = next_name(entries.clone(), previous) {
                    put_mapped(out, name, u8::to_ascii_lowercase);
                    out.put(":");
                    put_values(out, Self::values_of(entries.clone(), name));
                    out.put("\n");
                    previous = Some(name);
                }
            }
            Headers::Verify { list, signed } => {
                for (index, name) in signed.split(';').enumerate() {
                    let mut values = Self::values_of(list.iter().copied(), name).peekable();
                    if values.peek().is_none() {
                        return Err(MissingHeader(index));
                    }
                    out.put(name);
                    out.put(":");
                    put_values(out, values);
                    out.put("\n");
                }
            }
        }
        Ok(())
    }

    /// Writes the `SignedHeaders` list: the lower-case names joined by `;`.
    pub(crate) fn put_signed<S: Sink>(&self, out: &mut S) {
        match *self {
            Headers::Sign {
                list,
                amz_date,
                token,
            } => {
                let entries = Self::signer_entries(list, amz_date, token);
                let mut previous: Option<&str> = None;
                while let Some(name) = next_name(entries.clone(), previous) {
                    if previous.is_some() {
                        out.put(";");
                    }
                    put_mapped(out, name, u8::to_ascii_lowercase);
                    previous = Some(name);
                }
            }
            Headers::Verify { signed, .. } => out.put(signed),
        }
    }
}

/// The values of one header, each trimmed, joined by `,` (botocore's `canonical_headers`).
fn put_values<'v, S: Sink>(out: &mut S, values: impl Iterator<Item = &'v str>) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.put(",");
        }
        put_trimmed_value(out, v);
    }
}

/// The smallest header name (compared lower-case) above `previous`.
fn next_name<'r>(
    entries: impl Iterator<Item = (&'r str, &'r str)>,
    previous: Option<&str>,
) -> Option<&'r str> {
    let mut best: Option<&'r str> = None;
    for (name, _) in entries {
        if previous.is_some_and(|p| cmp_lower(name, p) != Ordering::Greater) {
            continue;
        }
        if best.is_none_or(|b| cmp_lower(name, b) == Ordering::Less) {
            best = Some(name);
        }
    }
    best
}

/// Everything of a request the canonical form needs, checked.
#[derive(Clone, Copy)]
pub(crate) struct Canonical<'r> {
    pub(crate) method: &'r str,
    pub(crate) path: &'r str,
    pub(crate) query: &'r str,
    pub(crate) headers: Headers<'r>,
    /// The hex SHA-256 of the payload, or what `X-Amz-Content-SHA256` says.
    pub(crate) payload_hash: &'r str,
}

impl Canonical<'_> {
    /// Writes the canonical request:
    /// method, URI, query, headers, blank line, signed headers, payload hash.
    pub(crate) fn write<S: Sink>(&self, out: &mut S) -> Result<(), MissingHeader> {
        put_mapped(out, self.method, u8::to_ascii_uppercase);
        out.put("\n");
        put_canonical_uri(out, self.path);
        out.put("\n");
        put_canonical_query(out, self.query);
        out.put("\n");
        self.headers.put_canonical(out)?;
        out.put("\n");
        self.headers.put_signed(out);
        out.put("\n");
        out.put(self.payload_hash);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buf::Writer;

    fn run(f: impl FnOnce(&mut Writer<'_>), buf: &mut [u8]) -> &str {
        let mut w = Writer::new(buf);
        f(&mut w);
        w.finish().unwrap()
    }

    #[test]
    fn uri_matches_botocore_remove_dot_segments_then_quote() {
        // Expected values from botocore 1.43.11:
        // quote(normalize_url_path(p), safe='/~').
        let cases = [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            (".", ""),
            ("a/b", "a/b"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/a/b/../c/", "/a/c/"),
            ("/../a", "/a"),
            ("/a/../../b/./c//d/", "/b/c/d/"),
            ("/a/b/..", "/a"),
            ("/%41 b/$", "/%2541%20b/%24"),
            ("/ሴ", "/%E1%88%B4"),
        ];
        for (path, want) in cases {
            let mut b = [0u8; 64];
            assert_eq!(
                run(|w| put_canonical_uri(w, path), &mut b),
                want,
                "{path:?}"
            );
        }
    }

    #[test]
    fn query_sorted_by_key_then_value_duplicates_kept() {
        let cases = [
            ("b=2&a=1", "a=1&b=2"),
            ("a=2&a=1&a=2", "a=1&a=2&a=2"),
            ("flag&a=", "a=&flag="),
            ("&", "=&="),
            ("x=1=2", "x=1=2"),
        ];
        for (q, want) in cases {
            let mut b = [0u8; 64];
            assert_eq!(run(|w| put_canonical_query(w, q), &mut b), want, "{q:?}");
        }
    }

    #[test]
    fn hash_sink_equals_one_shot_hash() {
        let text = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let mut sink = HashSink::new();
        // Pieces of every size, including ones larger than the staging area.
        let mut rest = text;
        let mut n = 1;
        while !rest.is_empty() {
            let (a, b) = rest.split_at(n.min(rest.len()));
            sink.put(a);
            rest = b;
            n = n * 3 % 151 + 1;
        }
        sink.put(""); // empty pieces are fine
        let got = sink.finish();
        let mut want = Sha256::new();
        want.update(text.as_bytes());
        assert_eq!(got, <[u8; 32]>::from(want.finalize()));
    }
}
