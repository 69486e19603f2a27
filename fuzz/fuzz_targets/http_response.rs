//! `credchain_embedded::ResponseParser`: arbitrary bytes as a response stream, fed whole, one
//! byte at a time, and in pieces cut where the input's first bytes say.
//!
//! Input: a setup byte (bits 0–1 the request method: GET, PUT, HEAD, GET; bits 2–3 which headers
//! are kept: all, the token-TTL header, none, all; bits 4–5 the caps: the defaults with a buffer
//! that never runs out, small caps, the defaults with a small buffer, caps scaled by the size
//! byte), a size byte, a count byte (`% 16` cut points), that many little-endian `u16` cut
//! points (taken modulo the stream's length plus one, sorted; equal points make empty pieces),
//! then the stream.
//!
//! Invariants:
//! - **Progress.** Each `feed` either uses the whole piece (`Partial`, and `consumed()` grows
//!   by its length), or completes after at most the piece's length (`Complete`), or fails; the
//!   driving loop makes one call per piece and is bounded by that count. Once complete, `feed`
//!   uses nothing and `finish` succeeds; once failed, both repeat the same error; the response
//!   is there exactly when complete.
//! - **Splitting does not matter.** Whole, bytewise and cut runs give the same response (status,
//!   reason, kept headers, body, keep-alive, length, framing, where it ended) or the same error
//!   (kind, offset and line).
//! - **Caps.** The body never exceeds `max_body` nor the buffer; cap errors name the limit they
//!   exceeded; a response accepted under small caps is accepted identically with the caps
//!   lifted, and an error other than a cap stays the same error with the caps lifted.
//! - **The response is the input's.** An independent reading of the accepted stream finds the
//!   final head after any interim `1xx` heads: the version, status and reason of its status
//!   line, and its header lines (all of them, or the framing ones plus those asked for, in
//!   order, values trimmed). The framing is the one RFC 9112 §6.3 picks from method, status and
//!   headers (chunked only in HTTP/1.1, never together with `Content-Length`); the body is the
//!   `Content-Length` bytes after the head, or the rest of the stream, or the chunked body
//!   de-chunked independently, and the response ends where that framing says; keep-alive follows
//!   the version and the `Connection` tokens.
//! - **Errors.** The offset lies inside the stream; `Display` works.
#![no_main]

use credchain_embedded::{
    Cap, Capture, Framing, Limits, Method, ParseError, ParseErrorKind, ResponseParser, Status,
    Version,
};
use libfuzzer_sys::fuzz_target;

const TTL: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TTL_ONLY: &[&str] = &[TTL];

#[derive(Debug, Clone, Copy)]
struct Setup {
    method: Method,
    capture: Capture<'static>,
    limits: Limits,
    buf_len: usize,
}

impl Setup {
    fn read(flags: u8, size: u8) -> Setup {
        let method = match flags & 3 {
            1 => Method::Put,
            2 => Method::Head,
            _ => Method::Get,
        };
        let capture = match (flags >> 2) & 3 {
            1 => Capture::Names(TTL_ONLY),
            2 => Capture::Names(&[]),
            _ => Capture::All,
        };
        let size = usize::from(size);
        let (limits, buf_len) = match (flags >> 4) & 3 {
            // Never short of buffer: every kept head byte and body byte fits.
            0 => (Limits::DEFAULT, 80 * 1024),
            1 => (
                Limits {
                    max_head: 96,
                    max_headers: 4,
                    max_body: 48,
                },
                256,
            ),
            2 => (Limits::DEFAULT, 16 + size * 2),
            _ => (
                Limits {
                    max_head: size,
                    max_headers: size % 9,
                    max_body: size / 2,
                },
                size * 2,
            ),
        };
        Setup {
            method,
            capture,
            limits,
            buf_len,
        }
    }

    /// The same request with every cap at least as large as this setup's, and none short of
    /// an input of `len` bytes.
    fn uncapped(self, len: usize) -> Setup {
        let l = self.limits;
        Setup {
            limits: Limits {
                max_head: l.max_head.max(len + 1),
                max_headers: l.max_headers.max(len + 1),
                max_body: l.max_body.max(len + 1),
            },
            buf_len: self.buf_len.max(len + 1),
            ..self
        }
    }
}

/// A complete response, owned, so runs can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    version: Version,
    status: u16,
    reason: Vec<u8>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    keep_alive: bool,
    content_length: Option<u64>,
    framing: Framing,
    /// Stream offset just after the response.
    end: usize,
}

/// Feeds `input` cut at `cuts` (sorted offsets), then the end of the stream, checking the
/// progress rules at each call.
fn run(setup: Setup, input: &[u8], cuts: &[usize]) -> Result<Parsed, ParseError> {
    let mut buf = vec![0u8; setup.buf_len];
    let mut p = ResponseParser::new(&mut buf, setup.method)
        .limits(setup.limits)
        .capture(setup.capture);
    let mut at = 0usize;
    let mut end = None;
    let mut calls = 0usize;
    let bound = cuts.len() + 1;
    let mut cut_iter = cuts.iter().copied().chain(std::iter::once(input.len()));
    while end.is_none() {
        let Some(next) = cut_iter.next() else { break };
        calls += 1;
        assert!(calls <= bound, "more feed calls than pieces");
        let piece = &input[at..next];
        assert_eq!(p.consumed(), at as u64, "consumed() is not the bytes fed");
        match p.feed(piece) {
            Ok(Status::Partial) => {
                assert!(!p.is_complete(), "Partial but complete");
                assert!(p.response().is_none(), "a response before completion");
                at = next;
                assert_eq!(p.consumed(), at as u64, "Partial left bytes unused");
            }
            Ok(Status::Complete { consumed }) => {
                assert!(consumed <= piece.len(), "consumed more than the piece");
                assert!(p.is_complete());
                end = Some(at + consumed);
                assert_eq!(p.consumed(), (at + consumed) as u64);
                // Complete is final.
                assert_eq!(
                    p.feed(&input[at + consumed..]),
                    Ok(Status::Complete { consumed: 0 })
                );
                assert_eq!(
                    p.feed(b"HTTP/1.1 200 OK\r\n"),
                    Ok(Status::Complete { consumed: 0 })
                );
                assert_eq!(p.finish(), Ok(()));
            }
            Err(e) => {
                assert_eq!(p.feed(b"x"), Err(e), "a failed parser recovered");
                assert_eq!(p.feed(b""), Err(e));
                assert_eq!(p.finish(), Err(e), "finish after failure");
                assert!(p.response().is_none());
                return Err(e);
            }
        }
        // An empty piece changes nothing.
        if end.is_none() {
            assert_eq!(p.feed(&[]), Ok(Status::Partial));
            assert_eq!(p.consumed(), at as u64);
        }
    }
    let end = match end {
        Some(e) => e,
        None => match p.finish() {
            Ok(()) => {
                assert!(p.is_complete());
                assert_eq!(p.finish(), Ok(()));
                input.len()
            }
            Err(e) => {
                assert_eq!(p.finish(), Err(e));
                assert!(p.response().is_none());
                return Err(e);
            }
        },
    };
    let a = p.response().expect("complete without a response");
    let owned = own(a, end);
    let r = p
        .into_response()
        .expect("into_response of a complete parser");
    assert_eq!(own(r, end), owned, "response() and into_response() differ");
    Ok(owned)
}

fn own(r: credchain_embedded::Response<'_>, end: usize) -> Parsed {
    let headers: Vec<(String, Vec<u8>)> = r
        .headers()
        .map(|(n, v)| (n.to_string(), v.to_vec()))
        .collect();
    Parsed {
        version: r.version(),
        status: r.status(),
        reason: r.reason().to_vec(),
        headers,
        body: r.body().to_vec(),
        keep_alive: r.keep_alive(),
        content_length: r.content_length(),
        framing: r.framing(),
        end,
    }
}

fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// The next line of `data` from `at`: its content without CR LF / LF, and where the next starts.
fn line(data: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = data.get(at..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let l = &rest[..lf];
    Some((l.strip_suffix(b"\r").unwrap_or(l), at + lf + 1))
}

/// The final head of an accepted stream, read independently: its status line, its header
/// lines as `(name, value)`, and where the body starts.
fn final_head(data: &[u8]) -> (&[u8], Vec<(&[u8], &[u8])>, usize) {
    let mut at = 0;
    loop {
        let (status, mut next) = line(data, at).expect("accepted stream without a status line");
        let mut headers = Vec::new();
        loop {
            let (l, after) = line(data, next).expect("accepted stream without a blank line");
            next = after;
            if l.is_empty() {
                break;
            }
            let colon = l
                .iter()
                .position(|&b| b == b':')
                .expect("header line without ':'");
            headers.push((&l[..colon], trim_ows(&l[colon + 1..])));
        }
        if status.get(9) == Some(&b'1') {
            at = next;
            continue;
        }
        return (status, headers, next);
    }
}

/// The chunked body starting at `data[0]`, decoded independently, and how many bytes it took.
fn dechunk(data: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let (l, next) = line(data, at)?;
        let digits = l.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let size = u64::from_str_radix(std::str::from_utf8(&l[..digits]).ok()?, 16).ok()?;
        at = next;
        if size == 0 {
            loop {
                let (t, next) = line(data, at)?;
                at = next;
                if t.is_empty() {
                    return Some((body, at));
                }
            }
        }
        let end = at.checked_add(usize::try_from(size).ok()?)?;
        body.extend_from_slice(data.get(at..end)?);
        at = end;
        if data.get(at) == Some(&b'\r') {
            at += 1;
        }
        if data.get(at) != Some(&b'\n') {
            return None;
        }
        at += 1;
    }
}

fn is_framing_name(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"content-length")
        || name.eq_ignore_ascii_case(b"transfer-encoding")
        || name.eq_ignore_ascii_case(b"connection")
}

/// Checks an accepted response against the stream it came from.
fn check_response(setup: Setup, data: &[u8], r: &Parsed) {
    let (status_line, lines, body_start) = final_head(data);
    let version = match &status_line[..8] {
        b"HTTP/1.1" => Version::Http11,
        b"HTTP/1.0" => Version::Http10,
        other => panic!("accepted status line starting {other:?}"),
    };
    assert_eq!(r.version, version, "version");
    let code: u16 = std::str::from_utf8(&status_line[9..12])
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("accepted status code is not three digits");
    assert_eq!(r.status, code, "status");
    assert!((200..=599).contains(&r.status), "final status {}", r.status);
    let reason = status_line.get(13..).unwrap_or(&[]);
    assert_eq!(r.reason, reason, "reason phrase");

    let kept: Vec<(String, Vec<u8>)> = lines
        .iter()
        .filter(|(n, _)| {
            is_framing_name(n)
                || match setup.capture {
                    Capture::All => true,
                    Capture::Names(names) => {
                        names.iter().any(|k| k.as_bytes().eq_ignore_ascii_case(n))
                    }
                }
        })
        .map(|(n, v)| {
            (
                String::from_utf8(n.to_vec()).expect("ASCII name"),
                v.to_vec(),
            )
        })
        .collect();
    assert_eq!(r.headers, kept, "kept headers");

    let named = |name: &'static [u8]| {
        lines
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
    };
    let cl: Vec<_> = named(b"content-length").collect();
    assert!(cl.len() <= 1, "Content-Length twice accepted");
    let content_length = cl.first().map(|(_, v)| {
        std::str::from_utf8(v)
            .ok()
            .and_then(|s| s.parse::<u64>().ok())
            .expect("accepted Content-Length is not a number")
    });
    assert_eq!(r.content_length, content_length, "content_length()");
    let te = named(b"transfer-encoding").next().is_some();
    let no_body = setup.method == Method::Head || r.status == 204 || r.status == 304;
    let framing = if no_body {
        Framing::NoBody
    } else if te {
        Framing::Chunked
    } else if content_length.is_some() {
        Framing::ContentLength
    } else {
        Framing::UntilClose
    };
    assert_eq!(r.framing, framing, "framing");
    if framing == Framing::Chunked {
        assert_eq!(r.version, Version::Http11, "chunked body in HTTP/1.0");
        assert!(content_length.is_none(), "chunked with Content-Length");
    }

    let rest = &data[body_start..];
    let (body, end): (Vec<u8>, usize) = match framing {
        Framing::NoBody => (Vec::new(), body_start),
        Framing::ContentLength => {
            let n = content_length.unwrap() as usize;
            (rest[..n].to_vec(), body_start + n)
        }
        Framing::UntilClose => (rest.to_vec(), data.len()),
        Framing::Chunked => {
            let (b, used) = dechunk(rest).expect("accepted chunked body does not de-chunk");
            (b, body_start + used)
        }
    };
    assert!(r.body == body, "body differs from the input's");
    assert_eq!(r.end, end, "response ends elsewhere than its framing says");
    assert!(r.body.len() <= setup.limits.max_body, "body over max_body");
    assert!(r.body.len() <= setup.buf_len, "body over the buffer");

    let (mut close, mut keep) = (false, false);
    for (_, v) in named(b"connection") {
        for t in v.split(|&b| b == b',').map(trim_ows) {
            close |= t.eq_ignore_ascii_case(b"close");
            keep |= t.eq_ignore_ascii_case(b"keep-alive");
        }
    }
    let persistent = match version {
        Version::Http11 => !close,
        Version::Http10 => keep && !close,
    };
    assert_eq!(
        r.keep_alive,
        persistent && framing != Framing::UntilClose,
        "keep_alive"
    );
}

fn check_error(setup: Setup, data: &[u8], e: &ParseError) {
    assert!(
        e.offset() <= data.len() as u64,
        "{e:?}: offset past the stream"
    );
    assert!(!e.to_string().is_empty());
    if let ParseErrorKind::CapExceeded { cap, limit } = e.kind() {
        let expected = match cap {
            Cap::Head | Cap::ChunkLine | Cap::Trailer => setup.limits.max_head,
            Cap::HeaderCount => setup.limits.max_headers,
            Cap::Body => setup.limits.max_body,
            Cap::Buffer => setup.buf_len,
        };
        assert_eq!(limit, expected, "{e:?} names another limit");
    }
    if e.kind() == ParseErrorKind::EmptyResponse {
        assert!(data.is_empty(), "EmptyResponse after some bytes");
    }
}

fuzz_target!(|input: &[u8]| {
    let [flags, size, count, rest @ ..] = input else {
        return;
    };
    let n = usize::from(count % 16);
    if rest.len() < 2 * n {
        return;
    }
    let (points, data) = rest.split_at(2 * n);
    let mut cuts: Vec<usize> = points
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (data.len() + 1))
        .collect();
    cuts.sort_unstable();
    let setup = Setup::read(*flags, *size);

    let whole = run(setup, data, &[]);
    let bytewise: Vec<usize> = (1..data.len()).collect();
    for (name, cuts) in [("cut", &cuts[..]), ("bytewise", &bytewise[..])] {
        let other = run(setup, data, cuts);
        assert_eq!(other, whole, "{name} run disagrees with the whole run");
    }

    match &whole {
        Ok(r) => {
            check_response(setup, data, r);
            let free = run(setup.uncapped(data.len()), data, &[]);
            assert_eq!(
                free.as_ref(),
                Ok(r),
                "lifting the caps changed an accepted response"
            );
        }
        Err(e) => {
            check_error(setup, data, e);
            if !matches!(e.kind(), ParseErrorKind::CapExceeded { .. }) {
                // A malformed stream stays malformed whatever the caps.
                let free = run(setup.uncapped(data.len()), data, &[]);
                assert_eq!(free.as_ref(), Err(e), "lifting the caps changed the error");
            } else {
                // Caps only ever add errors: without them the input may pass, or fail otherwise.
                let _ = run(setup.uncapped(data.len()), data, &[]);
            }
        }
    }
});
