//! The server's side: reading an `Authorization` header and checking the signature it carries.
//!
//! A server that holds a copy of the client's secret key recomputes the signature from the
//! request it received — the method, path, query, payload and exactly the headers the client
//! listed in `SignedHeaders` — and compares. Nothing about the request is taken on trust: the
//! time comes from the request's own `X-Amz-Date`, which must agree with the date of the
//! credential scope, a payload hash given in `X-Amz-Content-SHA256` must be the payload's,
//! and `Host` must be among the signed headers. How far the time may be from the server's
//! clock is the server's decision ([`parse_amz_date`] gives it the time).

use core::fmt;

use crate::buf::{BufferTooSmall, Writer};
use crate::time::{DateTime, Timestamp};

use super::canonical::{Canonical, HashSink, Headers, is_tchar, is_token};
use super::{
    ALGORITHM, AMZ_DATE, CONTENT_SHA256, Request, Scope, credential_part_ok, hex_into,
    payload_sha256, signature_hex,
};

/// `AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/sts/aws4_request, SignedHeaders=a;b,
/// Signature=hex`, read: every field borrows the header's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Authorization<'a> {
    /// The access key id that signed: the server looks its secret up by it.
    pub access_key_id: &'a str,
    /// The date of the credential scope, `YYYYMMDD`.
    pub date: &'a str,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The service of the credential scope.
    pub service: &'a str,
    /// The signed header names, lower-case, sorted, joined by `;`.
    pub signed_headers: &'a str,
    /// The signature, 64 lower-case hex digits.
    pub signature: &'a str,
}

/// A part of an `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorizationPart {
    /// The algorithm, which must be `AWS4-HMAC-SHA256`.
    Algorithm,
    /// `Credential=AKID/YYYYMMDD/region/service/aws4_request`.
    Credential,
    /// `SignedHeaders=` lower-case header names, sorted, without repeats, joined by `;`.
    SignedHeaders,
    /// `Signature=` 64 lower-case hex digits.
    Signature,
    /// A `Name=value` component of the list after the algorithm.
    Component,
}

impl AuthorizationPart {
    fn expected(self) -> &'static str {
        match self {
            AuthorizationPart::Algorithm => "the algorithm AWS4-HMAC-SHA256 followed by a space",
            AuthorizationPart::Credential => {
                "Credential=<access key id>/<YYYYMMDD>/<region>/<service>/aws4_request"
            }
            AuthorizationPart::SignedHeaders => {
                "SignedHeaders=<lower-case header names, sorted, each once, joined by ';'>"
            }
            AuthorizationPart::Signature => "Signature=<64 lower-case hex digits>",
            AuthorizationPart::Component => {
                "Credential=…, SignedHeaders=…, Signature=…, separated by commas"
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            AuthorizationPart::Algorithm => "algorithm",
            AuthorizationPart::Credential => "Credential",
            AuthorizationPart::SignedHeaders => "SignedHeaders",
            AuthorizationPart::Signature => "Signature",
            AuthorizationPart::Component => "component",
        }
    }
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyError {
    /// The `Authorization` header is not what SigV4 writes; `offset` is the byte where the
    /// bad part starts (0 for an [`Authorization`] built by hand).
    Malformed {
        /// Which part.
        part: AuthorizationPart,
        /// Byte offset in the header value.
        offset: usize,
    },
    /// A `Credential`, `SignedHeaders` or `Signature` component is missing.
    Missing(AuthorizationPart),
    /// A component appears twice.
    Repeated(AuthorizationPart),
    /// The request has no `X-Amz-Date` header.
    MissingAmzDate,
    /// The request has more than one `X-Amz-Date` header.
    RepeatedAmzDate,
    /// `X-Amz-Date` is not a `YYYYMMDDTHHMMSSZ` time.
    InvalidAmzDate,
    /// The date of the credential scope is not the date of `X-Amz-Date`.
    DateMismatch,
    /// `Host` is not among the signed headers.
    HostNotSigned,
    /// A header named in `SignedHeaders` (the `index`-th name) is not in the request.
    SignedHeaderMissing {
        /// Position of the name in the `SignedHeaders` list.
        index: usize,
    },
    /// `X-Amz-Content-SHA256` is not the hex SHA-256 of the payload.
    PayloadHashMismatch,
    /// The method is not an HTTP token.
    InvalidMethod,
    /// The signature is not the one the secret key gives for this request.
    SignatureMismatch,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Malformed { part, offset } => write!(
                f,
                "malformed Authorization header: bad {} at byte {offset}, expected {}",
                part.name(),
                part.expected()
            ),
            VerifyError::Missing(part) => write!(
                f,
                "malformed Authorization header: no {} component, expected {}",
                part.name(),
                part.expected()
            ),
            VerifyError::Repeated(part) => write!(
                f,
                "malformed Authorization header: the {} component appears twice",
                part.name()
            ),
            VerifyError::MissingAmzDate => f.write_str("the request has no X-Amz-Date header"),
            VerifyError::RepeatedAmzDate => {
                f.write_str("the request has more than one X-Amz-Date header")
            }
            VerifyError::InvalidAmzDate => {
                f.write_str("X-Amz-Date is not a time of the form YYYYMMDDTHHMMSSZ")
            }
            VerifyError::DateMismatch => {
                f.write_str("the date of the credential scope is not the date of X-Amz-Date")
            }
            VerifyError::HostNotSigned => f.write_str("the Host header is not signed"),
            VerifyError::SignedHeaderMissing { index } => write!(
                f,
                "signed header number {index} of SignedHeaders is not in the request"
            ),
            VerifyError::PayloadHashMismatch => {
                f.write_str("X-Amz-Content-SHA256 is not the SHA-256 of the payload")
            }
            VerifyError::InvalidMethod => f.write_str("the method is not an HTTP token"),
            VerifyError::SignatureMismatch => f.write_str(
                "the request signature we calculated does not match the signature provided",
            ),
        }
    }
}

impl core::error::Error for VerifyError {}

fn malformed(part: AuthorizationPart, offset: usize) -> VerifyError {
    VerifyError::Malformed { part, offset }
}

fn is_spacing(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Byte offset of `inner` within `outer` (a sub-slice of it).
fn offset_in(outer: &str, inner: &str) -> usize {
    (inner.as_ptr() as usize).saturating_sub(outer.as_ptr() as usize)
}

fn is_date(s: &str) -> bool {
    s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `list` is SigV4's signed-headers form: lower-case tokens, strictly ascending.
fn signed_headers_ok(list: &str) -> bool {
    let mut previous: Option<&str> = None;
    for name in list.split(';') {
        let lower_token =
            !name.is_empty() && name.bytes().all(|b| is_tchar(b) && !b.is_ascii_uppercase());
        if !lower_token || previous.is_some_and(|p| p >= name) {
            return false;
        }
        previous = Some(name);
    }
    true
}

fn signature_ok(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Reads a `Credential=` value: `AKID/YYYYMMDD/region/service/aws4_request`. Returns
/// (akid, date, region, service).
fn parse_credential(value: &str) -> Option<(&str, &str, &str, &str)> {
    let mut parts = value.rsplitn(5, '/');
    let terminator = parts.next()?;
    let service = parts.next()?;
    let region = parts.next()?;
    let date = parts.next()?;
    let akid = parts.next()?;
    let ok = terminator == "aws4_request"
        && is_date(date)
        && [akid, region, service]
            .iter()
            .all(|p| credential_part_ok(p));
    ok.then_some((akid, date, region, service))
}

/// Reads an `Authorization` header value as SigV4 writes it: the algorithm, white space, then
/// `Credential=`, `SignedHeaders=` and `Signature=` separated by commas (and optional spaces),
/// in any order, each once.
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, VerifyError> {
    let rest = value
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(is_spacing))
        .ok_or(malformed(AuthorizationPart::Algorithm, 0))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for component in rest.split(',') {
        let component = component.trim_matches(is_spacing);
        let at = offset_in(value, component);
        let (key, v) = component
            .split_once('=')
            .ok_or(malformed(AuthorizationPart::Component, at))?;
        let value_at = offset_in(value, v);
        let (slot, part) = match key {
            "Credential" => {
                let parsed = parse_credential(v)
                    .ok_or(malformed(AuthorizationPart::Credential, value_at))?;
                (
                    credential.replace(parsed).is_some(),
                    AuthorizationPart::Credential,
                )
            }
            "SignedHeaders" => {
                if !signed_headers_ok(v) {
                    return Err(malformed(AuthorizationPart::SignedHeaders, value_at));
                }
                (
                    signed_headers.replace(v).is_some(),
                    AuthorizationPart::SignedHeaders,
                )
            }
            "Signature" => {
                if !signature_ok(v) {
                    return Err(malformed(AuthorizationPart::Signature, value_at));
                }
                (signature.replace(v).is_some(), AuthorizationPart::Signature)
            }
            _ => return Err(malformed(AuthorizationPart::Component, at)),
        };
        if slot {
            return Err(VerifyError::Repeated(part));
        }
    }
    let (access_key_id, date, region, service) =
        credential.ok_or(VerifyError::Missing(AuthorizationPart::Credential))?;
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed_headers
            .ok_or(VerifyError::Missing(AuthorizationPart::SignedHeaders))?,
        signature: signature.ok_or(VerifyError::Missing(AuthorizationPart::Signature))?,
    })
}

/// Reads an `X-Amz-Date` value, `YYYYMMDDTHHMMSSZ`, into a time (for a server's clock-skew
/// check: AWS rejects requests more than 15 minutes off).
pub fn parse_amz_date(value: &str) -> Result<Timestamp, VerifyError> {
    let b = value.as_bytes();
    let shape = b.len() == 16
        && b.get(8) == Some(&b'T')
        && b.get(15) == Some(&b'Z')
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 8 || i == 15 || c.is_ascii_digit());
    if !shape {
        return Err(VerifyError::InvalidAmzDate);
    }
    let num = |from: usize, to: usize| -> u32 {
        b.get(from..to).map_or(0, |ds| {
            ds.iter().fold(0u32, |n, d| {
                n.saturating_mul(10)
                    .saturating_add(u32::from(d.saturating_sub(b'0')))
            })
        })
    };
    let narrow = |v: u32| u8::try_from(v).unwrap_or(u8::MAX);
    Timestamp::from_datetime(DateTime {
        year: u16::try_from(num(0, 4)).unwrap_or(u16::MAX),
        month: narrow(num(4, 6)),
        day: narrow(num(6, 8)),
        hour: narrow(num(9, 11)),
        minute: narrow(num(11, 13)),
        second: narrow(num(13, 15)),
        nanosecond: 0,
    })
    .ok_or(VerifyError::InvalidAmzDate)
}

/// Checks an [`Authorization`] (which may have been built by hand) as
/// [`parse_authorization`] would have.
fn check_authorization(a: &Authorization<'_>) -> Result<(), VerifyError> {
    let bad = |part| Err(malformed(part, 0));
    if !(is_date(a.date)
        && [a.access_key_id, a.region, a.service]
            .iter()
            .all(|p| credential_part_ok(p)))
    {
        return bad(AuthorizationPart::Credential);
    }
    if !signed_headers_ok(a.signed_headers) {
        return bad(AuthorizationPart::SignedHeaders);
    }
    if !signature_ok(a.signature) {
        return bad(AuthorizationPart::Signature);
    }
    Ok(())
}

/// The request's `X-Amz-Date`, exactly once, well formed.
fn amz_date_of<'a>(request: &Request<'a>) -> Result<&'a str, VerifyError> {
    let mut found = None;
    for (name, value) in request.headers {
        if name.eq_ignore_ascii_case(AMZ_DATE) && found.replace(*value).is_some() {
            return Err(VerifyError::RepeatedAmzDate);
        }
    }
    let date = found.ok_or(VerifyError::MissingAmzDate)?;
    parse_amz_date(date)?;
    Ok(date)
}

/// Everything a verifier checks before hashing, and the canonical form it hashes.
fn verifier_view<'r>(
    request: &Request<'r>,
    authorization: &Authorization<'r>,
    hex: &'r mut [u8; 64],
) -> Result<(Canonical<'r>, &'r str), VerifyError> {
    check_authorization(authorization)?;
    if !is_token(request.method) {
        return Err(VerifyError::InvalidMethod);
    }
    let amz_date = amz_date_of(request)?;
    if amz_date.get(..8) != Some(authorization.date) {
        return Err(VerifyError::DateMismatch);
    }
    if !authorization.signed_headers.split(';').any(|n| n == "host") {
        return Err(VerifyError::HostNotSigned);
    }
    let actual = payload_sha256(request.payload, hex);
    let given = request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(CONTENT_SHA256))
        .map(|(_, v)| *v);
    // A client may send the payload hash (botocore signs what the header says); the server
    // holds it to the payload it received.
    if given.is_some_and(|g| g != actual) {
        return Err(VerifyError::PayloadHashMismatch);
    }
    Ok((
        Canonical {
            method: request.method,
            path: request.path,
            query: request.query,
            headers: Headers::Verify {
                list: request.headers,
                signed: authorization.signed_headers,
            },
            payload_hash: actual,
        },
        amz_date,
    ))
}

/// Recomputes the signature over the request's headers named in `SignedHeaders` (taking the
/// request's own `X-Amz-Date`) with `secret_access_key`, compares in constant time.
///
/// Checks first that the header is well formed, that `X-Amz-Date` is present once and on the
/// scope's date, that `Host` is signed and every signed header present, and that a given
/// `X-Amz-Content-SHA256` is the payload's hash. Clock skew is not checked here (see
/// [`parse_amz_date`]).
pub fn verify(
    request: &Request<'_>,
    authorization: &Authorization<'_>,
    secret_access_key: &str,
) -> Result<(), VerifyError> {
    let mut payload_hex = [0u8; 64];
    let (canonical, amz_date) = verifier_view(request, authorization, &mut payload_hex)?;
    let mut sink = HashSink::new();
    canonical
        .write(&mut sink)
        .map_err(|m| VerifyError::SignedHeaderMissing { index: m.0 })?;
    let mut canonical_hex = [0u8; 64];
    let canonical_hex = hex_into(&sink.finish(), &mut canonical_hex);
    let scope = Scope {
        region: authorization.region,
        service: authorization.service,
    };
    let mut expected = [0u8; 64];
    signature_hex(
        secret_access_key,
        amz_date,
        authorization.date,
        &scope,
        canonical_hex,
        &mut expected,
    );
    if constant_time_eq(&expected, authorization.signature.as_bytes()) {
        Ok(())
    } else {
        Err(VerifyError::SignatureMismatch)
    }
}

/// Writes the canonical request [`verify`] computes for `request` into `buf`: what a server
/// shows a client whose signature it rejected (AWS puts it in its error message).
pub fn expected_canonical_request<'b>(
    request: &Request<'_>,
    authorization: &Authorization<'_>,
    buf: &'b mut [u8],
) -> Result<Result<&'b str, BufferTooSmall>, VerifyError> {
    let mut payload_hex = [0u8; 64];
    let (canonical, _) = verifier_view(request, authorization, &mut payload_hex)?;
    let mut w = Writer::new(buf);
    canonical
        .write(&mut w)
        .map_err(|m| VerifyError::SignedHeaderMissing { index: m.0 })?;
    Ok(w.finish())
}

/// Equality of two byte strings in time that depends on their lengths only.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}
