//! `sigv4::sign`, `canonical_request`, `string_to_sign`, `parse_authorization` and `verify` on
//! arbitrary requests, keys, scopes and times.
//!
//! Input: 8 bytes of signing time (`i64`, little-endian Unix seconds: any value, so the years
//! outside 0–9999 are tried too), then text in the layout of the AWS test suite's `.req` files
//! with one line in front:
//!
//! ```text
//! AKID|secret|region|service[|session token]
//! METHOD /path?query HTTP/1.1
//! Name:value
//!  folded continuation of the value
//! Other-Name:value
//!
//! payload bytes (anything, to the end)
//! ```
//!
//! The head (up to the first blank line) is read as UTF-8 up to its first invalid byte; the
//! request line's target runs to the last ` HTTP/` when there is one. A fifth field, even an
//! empty one, is the session token.
//!
//! Invariants, whenever `sign` succeeds (it may refuse: those refusals are checked to be the
//! documented ones):
//! - **The texts agree.** The string to sign is `AWS4-HMAC-SHA256`, the `X-Amz-Date` that `sign`
//!   returned, the scope, and the SHA-256 of the text `canonical_request` writes (computed in
//!   one go: the signer hashes the canonical request piece by piece).
//! - **The canonical request parses back.** Its header block lists each header of the request
//!   that the signer signs exactly once, lower-cased, sorted, with the request's values trimmed,
//!   their white space runs collapsed and joined by `,` (computed here independently); the
//!   signed-header line is those names; the method line is the method upper-cased.
//! - **The Authorization header parses back** into the keys' access key id, the date of
//!   `X-Amz-Date`, the scope, the signed-header line and the signature `sign` returned (64
//!   lower-case hex digits); `parse_amz_date` gives back the signing time.
//! - **verify accepts what sign produced**, as a server receives it (the request's headers less
//!   those the signer replaces, plus the ones it adds), unless the request carries an
//!   `X-Amz-Content-SHA256` that is not the payload's hash, which is then the reason given; a
//!   different secret is a `SignatureMismatch`; the canonical request the verifier shows
//!   (`expected_canonical_request`) is the signer's.
//! - **Buffers.** `sign` succeeds with a buffer of exactly the size it used and fails with one
//!   byte less, naming that size.
#![no_main]

use credchain_core::buf::BufferTooSmall;
use credchain_core::sigv4::{
    self, AmzDate, Request, Scope, ScopePart, SignError, SigningKeys, VerifyError,
};
use libfuzzer_sys::fuzz_target;

/// Python's `str.isspace` (botocore collapses runs of these), listed independently of the core.
const PY_SPACE: &[char] = &[
    '\t', '\n', '\u{b}', '\u{c}', '\r', '\u{1c}', '\u{1d}', '\u{1e}', '\u{1f}', ' ', '\u{85}',
    '\u{a0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}',
    '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{2028}', '\u{2029}', '\u{202f}',
    '\u{205f}', '\u{3000}',
];

const NEVER_SIGNED: &[&str] = &[
    "authorization",
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "user-agent",
    "x-amzn-trace-id",
];

struct Input<'a> {
    time: i64,
    keys: SigningKeys<'a>,
    scope: Scope<'a>,
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, String)>,
    payload: &'a [u8],
}

fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap(),
    }
}

fn decode(data: &[u8]) -> Option<Input<'_>> {
    let (time, rest) = data.split_first_chunk::<8>()?;
    let time = i64::from_le_bytes(*time);
    let (head, payload) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (rest, &[][..]),
    };
    let head = utf8_prefix(head);
    let mut lines = head.split('\n');
    let mut fields = lines.next()?.splitn(5, '|');
    let access_key_id = fields.next().unwrap_or("");
    let secret_access_key = fields.next().unwrap_or("");
    let region = fields.next().unwrap_or("");
    let service = fields.next().unwrap_or("");
    let session_token = fields.next();
    let request_line = lines.next().unwrap_or("");
    let (method, target) = request_line.split_once(' ').unwrap_or((request_line, ""));
    let target = match target.rfind(" HTTP/") {
        Some(at) => &target[..at],
        None => target,
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(&str, String)> = Vec::new();
    for line in lines {
        match headers.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.1.push('\n');
                last.1.push_str(line);
            }
            _ => {
                let (n, v) = line.split_once(':').unwrap_or((line, ""));
                headers.push((n, v.to_owned()));
            }
        }
    }
    Some(Input {
        time,
        keys: SigningKeys {
            access_key_id,
            secret_access_key,
            session_token,
        },
        scope: Scope { region, service },
        method,
        path,
        query,
        headers,
        payload,
    })
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

fn part_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',')
}

/// The refusal `sign` must give, if any, by the documented rules (in the documented order).
fn expected_refusal(input: &Input<'_>, headers: &[(&str, &str)]) -> Option<SignError> {
    for (v, part) in [
        (input.keys.access_key_id, ScopePart::AccessKeyId),
        (input.scope.region, ScopePart::Region),
        (input.scope.service, ScopePart::Service),
    ] {
        if !part_ok(v) {
            return Some(SignError::InvalidScope(part));
        }
    }
    if AmzDate::from_unix_secs(input.time).is_none() {
        return Some(SignError::TimeOutOfRange);
    }
    if !is_token(input.method) {
        return Some(SignError::InvalidMethod);
    }
    for (index, (name, _)) in headers.iter().enumerate() {
        if !is_token(name) {
            return Some(SignError::InvalidHeaderName { index });
        }
        if name.eq_ignore_ascii_case("date") {
            return Some(SignError::DateHeader { index });
        }
    }
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        return Some(SignError::MissingHost);
    }
    None
}

/// What botocore's `canonical_headers` makes of the request: lower-case name → values, each
/// `' '.join(v.split())`, in order.
fn expected_headers(
    headers: &[(&str, &str)],
    amz_date: &str,
    token: Option<&str>,
) -> std::collections::BTreeMap<String, Vec<String>> {
    let mut map: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if NEVER_SIGNED.contains(&lower.as_str())
            || lower == "x-amz-date"
            || (token.is_some() && lower == "x-amz-security-token")
        {
            continue;
        }
        let words: Vec<&str> = value.split(PY_SPACE).filter(|w| !w.is_empty()).collect();
        map.entry(lower).or_default().push(words.join(" "));
    }
    map.entry("x-amz-date".into())
        .or_default()
        .push(amz_date.into());
    if let Some(t) = token {
        let words: Vec<&str> = t.split(PY_SPACE).filter(|w| !w.is_empty()).collect();
        map.entry("x-amz-security-token".into())
            .or_default()
            .push(words.join(" "));
    }
    map
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = decode(data) else { return };
    let headers: Vec<(&str, &str)> = input
        .headers
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .collect();
    let request = Request {
        method: input.method,
        path: input.path,
        query: input.query,
        headers: &headers,
        payload: input.payload,
    };
    let mut buf = vec![0u8; 64 * 1024];
    let signed = match sigv4::sign(&request, &input.keys, &input.scope, input.time, &mut buf) {
        Ok(s) => s,
        Err(e) => {
            assert_eq!(Some(e), expected_refusal(&input, &headers), "{e}");
            return;
        }
    };
    assert_eq!(expected_refusal(&input, &headers), None);
    let token = input.keys.session_token.filter(|t| !t.is_empty());
    let amz = AmzDate::from_unix_secs(input.time).unwrap();
    assert_eq!(signed.amz_date, amz.as_str());
    assert_eq!(
        sigv4::parse_amz_date(signed.amz_date).unwrap().unix_secs(),
        input.time
    );
    assert_eq!(signed.security_token, token);
    assert_eq!(signed.signature.len(), 64);
    assert!(
        signed
            .signature
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    assert!(signed.authorization.ends_with(signed.signature));

    // The canonical request parses back into the header set.
    let mut text = vec![0u8; 256 * 1024];
    let creq = sigv4::canonical_request(&request, input.keys.session_token, input.time, &mut text)
        .unwrap()
        .to_owned();
    // botocore takes an `X-Amz-Content-SHA256` value as the payload hash verbatim, and so does
    // credchain: a value with a line break (no client sends one) puts that break into the
    // canonical request, whose lines then cannot be read back. The signature checks above
    // and below still hold for it.
    let raw_hash_breaks_lines = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case(sigv4::CONTENT_SHA256) && v.contains(['\n', '\r']));
    let mut signed_line: Option<String> = None;
    if !raw_hash_breaks_lines {
        let lines: Vec<&str> = creq.split('\n').collect();
        assert_eq!(lines[0], input.method.to_ascii_uppercase());
        let blank = 3 + lines[3..].iter().position(|l| l.is_empty()).unwrap();
        let mut parsed: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        let mut names = Vec::new();
        for line in &lines[3..blank] {
            let (name, value) = line.split_once(':').unwrap();
            assert!(!parsed.contains_key(name), "{name} listed twice");
            parsed.insert(
                name.to_owned(),
                value.split(',').map(str::to_owned).collect(),
            );
            names.push(name);
        }
        let expected = expected_headers(&headers, signed.amz_date, token);
        // Values holding a comma cannot be split back unambiguously: compare joined.
        let join = |m: &std::collections::BTreeMap<String, Vec<String>>| -> Vec<(String, String)> {
            m.iter().map(|(k, v)| (k.clone(), v.join(","))).collect()
        };
        assert_eq!(join(&parsed), join(&expected), "canonical headers:\n{creq}");
        assert!(names.windows(2).all(|w| w[0] < w[1]), "not sorted:\n{creq}");
        assert_eq!(lines[blank + 1], names.join(";"));
        signed_line = Some(lines[blank + 1].to_owned());
        assert_eq!(lines.len(), blank + 3, "{creq}");
    }

    // The string to sign hashes the canonical request.
    let sts = sigv4::string_to_sign(
        &request,
        input.keys.session_token,
        &input.scope,
        input.time,
        &mut text,
    )
    .unwrap()
    .to_owned();
    let mut hex = [0u8; 64];
    let scope_line = format!(
        "{}/{}/{}/aws4_request",
        amz.date(),
        input.scope.region,
        input.scope.service
    );
    assert_eq!(
        sts,
        format!(
            "AWS4-HMAC-SHA256\n{}\n{scope_line}\n{}",
            signed.amz_date,
            sigv4::payload_hash(creq.as_bytes(), &mut hex)
        )
    );

    // The Authorization header parses back.
    let auth = sigv4::parse_authorization(signed.authorization).unwrap();
    assert_eq!(auth.access_key_id, input.keys.access_key_id);
    assert_eq!(auth.date, amz.date());
    assert_eq!(auth.region, input.scope.region);
    assert_eq!(auth.service, input.scope.service);
    if let Some(line) = &signed_line {
        assert_eq!(auth.signed_headers, line);
    }
    assert_eq!(auth.signature, signed.signature);

    // The buffer: exactly the size used is enough, one byte less is not.
    let used = signed.amz_date.len() + token.map_or(0, str::len) + signed.authorization.len();
    let mut exact = vec![0u8; used];
    assert!(sigv4::sign(&request, &input.keys, &input.scope, input.time, &mut exact).is_ok());
    let mut short = vec![0u8; used - 1];
    assert_eq!(
        sigv4::sign(&request, &input.keys, &input.scope, input.time, &mut short),
        Err(SignError::BufferTooSmall(BufferTooSmall {
            needed: used,
            available: used - 1
        }))
    );

    // verify accepts what sign produced, as the server receives it.
    let mut received: Vec<(&str, &str)> = headers
        .iter()
        .copied()
        .filter(|(n, _)| {
            let replaced = n.eq_ignore_ascii_case("authorization")
                || n.eq_ignore_ascii_case("x-amz-date")
                || (token.is_some() && n.eq_ignore_ascii_case("x-amz-security-token"));
            !replaced
        })
        .collect();
    received.push(("X-Amz-Date", signed.amz_date));
    if let Some(t) = signed.security_token {
        received.push(("X-Amz-Security-Token", t));
    }
    received.push(("Authorization", signed.authorization));
    let as_received = Request {
        headers: &received,
        ..request
    };
    let true_hash = sigv4::payload_hash(input.payload, &mut hex).to_owned();
    let false_content_hash = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
        .is_some_and(|(_, v)| *v != true_hash);
    let verdict = sigv4::verify(&as_received, &auth, input.keys.secret_access_key);
    if false_content_hash {
        assert_eq!(verdict, Err(VerifyError::PayloadHashMismatch));
    } else {
        assert_eq!(verdict, Ok(()), "{creq}");
        let other = format!("{}x", input.keys.secret_access_key);
        assert_eq!(
            sigv4::verify(&as_received, &auth, &other),
            Err(VerifyError::SignatureMismatch)
        );
        let mut shown = vec![0u8; 256 * 1024];
        assert_eq!(
            sigv4::expected_canonical_request(&as_received, &auth, &mut shown)
                .unwrap()
                .unwrap(),
            creq
        );
    }
});
