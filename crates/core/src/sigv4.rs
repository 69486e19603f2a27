//! AWS Signature Version 4: how a request to STS is signed, and how a server checks it.
//!
//! The role provider (spec §8.1) asks STS for credentials with a request signed by the source
//! credentials, for service `sts` and the region STS was picked for (spec §8.4). botocore signs
//! with `SigV4Auth`; this module does what that class does, without allocating:
//!
//! 1. **Canonical request.** The method; the canonical URI; the canonical query; the canonical
//!    headers, each `name:value` on a line; an empty line; the signed-header names joined by
//!    `;`; the hex SHA-256 of the payload.
//!    - The *URI* is the path with `.`/`..` segments resolved and empty segments dropped, then
//!      percent-encoded (every byte outside `A-Za-z0-9-_.~/`). botocore does this for every
//!      service except S3, so a path already percent-encoded on the wire is encoded a second
//!      time — which is what AWS expects of non-S3 services. STS and SSO paths are `/` and
//!      `/federation/credentials`, where none of this changes anything.
//!    - The *query* is taken as it is on the wire: split on `&`, each pair at its first `=`
//!      (a pair without one gets an empty value), sorted by key then value, joined again —
//!      neither decoded nor re-encoded, as botocore signs the query of a URL it has already
//!      encoded the canonical way. Repeated keys are all kept.
//!    - The *headers* are all the request's headers but `Authorization`, the ones botocore never
//!      signs ([`UNSIGNED_HEADERS`]: `User-Agent`, `Expect`, hop-by-hop headers…), and the
//!      `X-Amz-Date` (and `X-Amz-Security-Token`, with a session token) that the signer sets
//!      itself. Names are lower-cased and sorted; the values of a repeated header are joined by
//!      `,` in the order sent; each value is trimmed and its inner runs of white space (what
//!      Python's `str.split()` splits on, so a folded multi-line value too) become one space.
//!    - The *payload hash* is the hex SHA-256 of the body, unless the request carries an
//!      `X-Amz-Content-SHA256` header, whose value botocore uses as it is.
//! 2. **String to sign.** `AWS4-HMAC-SHA256`, the time as `YYYYMMDDTHHMMSSZ`, the scope
//!    `date/region/service/aws4_request`, and the hex SHA-256 of the canonical request, one per
//!    line.
//! 3. **Signature.** HMAC-SHA256 chained from `AWS4` + secret key over the date, the region,
//!    the service and `aws4_request`; that key signs the string to sign.
//! 4. **Authorization.** `AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=…,
//!    Signature=…`, sent with `X-Amz-Date` and, for temporary credentials,
//!    `X-Amz-Security-Token` (signed too).
//!
//! [`sign`] does all four with the canonical request fed straight into the hash, never
//! materialised; [`canonical_request`] and [`string_to_sign`] write the intermediate texts into
//! a buffer for tests and for explaining a rejected signature. [`parse_authorization`] and
//! [`verify`] are the server's side: they recompute the signature over the headers the client
//! named and compare in constant time.
//!
//! Where the request can't be signed the way botocore would sign it, signing fails instead of
//! signing something else: a method or header name that is not an HTTP token, no `Host`
//! header (botocore takes it from the URL; here the caller sends it), and a `Date` header
//! (botocore then signs a rewritten `Date` instead of `X-Amz-Date`, which [`Signed`] cannot
//! express).
//!
//! ```
//! use credchain_core::sigv4::{self, Request, Scope, SigningKeys};
//!
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let headers = [
//!     ("Host", "sts.us-east-1.amazonaws.com"),
//!     ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
//! ];
//! let request = Request { method: "POST", path: "/", query: "", headers: &headers, payload: body };
//! let keys = SigningKeys {
//!     access_key_id: "AKIDEXAMPLE",
//!     secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
//!     session_token: None,
//! };
//! let scope = Scope { region: "us-east-1", service: "sts" };
//! let mut buf = [0u8; 256];
//! let signed = sigv4::sign(&request, &keys, &scope, 1_440_938_160, &mut buf).unwrap();
//! assert_eq!(signed.amz_date, "20150830T123600Z");
//! assert!(signed.authorization.starts_with(
//!     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/sts/aws4_request, \
//!      SignedHeaders=content-type;host;x-amz-date, Signature="));
//!
//! // The server's side: the request as received, with the headers the client added.
//! let received = [
//!     headers[0], headers[1],
//!     ("X-Amz-Date", signed.amz_date),
//!     ("Authorization", signed.authorization),
//! ];
//! let request = Request { headers: &received, ..request };
//! let auth = sigv4::parse_authorization(signed.authorization).unwrap();
//! assert_eq!(auth.access_key_id, "AKIDEXAMPLE");
//! sigv4::verify(&request, &auth, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY").unwrap();
//! assert!(sigv4::verify(&request, &auth, "another secret").is_err());
//! ```

use core::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::buf::{BufferTooSmall, Writer};
use crate::time::{DateTime, Timestamp};

mod canonical;
mod verify;

use canonical::{Canonical, HashSink, Headers, Sink, hex_into, is_token};
pub use verify::{Authorization, AuthorizationPart, VerifyError, parse_authorization, verify};
pub use verify::{expected_canonical_request, parse_amz_date};

/// The signing algorithm, first word of the `Authorization` header and first line of the
/// string to sign.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The hex SHA-256 of an empty payload.
pub const EMPTY_PAYLOAD_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Headers botocore 1.43.11 never signs (`SIGNED_HEADERS_BLACKLIST`): hop-by-hop headers a
/// proxy may change, and ones an HTTP client may add or rewrite after signing.
pub const UNSIGNED_HEADERS: [&str; 11] = [
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

/// The header carrying the signing time, `YYYYMMDDTHHMMSSZ`.
pub const AMZ_DATE: &str = "x-amz-date";
/// The header carrying the session token of temporary credentials.
pub const SECURITY_TOKEN: &str = "x-amz-security-token";
/// The header whose value, when present, stands for the payload hash.
pub const CONTENT_SHA256: &str = "x-amz-content-sha256";

/// The keys a request is signed with: an access key id, its secret, and the session token of
/// temporary credentials.
///
/// `Debug` shows the access key id only.
#[derive(Clone, Copy)]
pub struct SigningKeys<'a> {
    /// The access key id, sent in the clear in `Credential=`.
    pub access_key_id: &'a str,
    /// The secret access key: it keys the HMAC chain and is never sent.
    pub secret_access_key: &'a str,
    /// The session token of temporary credentials, sent (and signed) as
    /// `X-Amz-Security-Token`. An empty token counts as none, as in botocore.
    pub session_token: Option<&'a str>,
}

impl fmt::Debug for SigningKeys<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Where a signature is valid: the region and the service's signing name (`sts` for STS,
/// spec §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The region, e.g. `us-east-1` (STS's global endpoint signs for `us-east-1`).
    pub region: &'a str,
    /// The service's signing name, e.g. `sts`.
    pub service: &'a str,
}

/// A request as sent: method, path (percent-encoded as on the wire), query (raw, no `?`, may
/// be empty), headers (name, value) as the caller will send them (`Host` included), the
/// payload.
///
/// `Debug` shows header names but not the values of `Authorization` and
/// `X-Amz-Security-Token`, and the payload's length but not its bytes (an STS body can carry a
/// web identity token).
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The method, e.g. `POST`; an HTTP token, upper-cased when signed.
    pub method: &'a str,
    /// The path as on the wire, e.g. `/`.
    pub path: &'a str,
    /// The query as on the wire, without `?`; empty when there is none.
    pub query: &'a str,
    /// The headers, `Host` included, in the order they are sent.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub payload: &'a [u8],
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct HeaderList<'h>(&'h [(&'h str, &'h str)]);
        impl fmt::Debug for HeaderList<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut list = f.debug_list();
                for (name, value) in self.0 {
                    let secret = name.eq_ignore_ascii_case("authorization")
                        || name.eq_ignore_ascii_case(SECURITY_TOKEN);
                    list.entry(&(name, if secret { "<redacted>" } else { value }));
                }
                list.finish()
            }
        }
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &HeaderList(self.headers))
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

/// What to add to the request: `Authorization`, `X-Amz-Date`, and `X-Amz-Security-Token` when
/// the keys have a session token. Borrows the caller's buffer.
///
/// `Debug` hides the session token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signed<'b> {
    /// The `Authorization` header's value.
    pub authorization: &'b str,
    /// The `X-Amz-Date` header's value, `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'b str,
    /// The `X-Amz-Security-Token` header's value: the session token, copied.
    pub security_token: Option<&'b str>,
    /// The signature alone, 64 lower-case hex digits (the end of `authorization`).
    pub signature: &'b str,
}

impl fmt::Debug for Signed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("authorization", &self.authorization)
            .field("amz_date", &self.amz_date)
            .field("security_token", &self.security_token.map(|_| "<redacted>"))
            .field("signature", &self.signature)
            .finish()
    }
}

/// The part of the credential scope that cannot go into an `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopePart {
    /// The access key id.
    AccessKeyId,
    /// The region.
    Region,
    /// The service.
    Service,
}

impl ScopePart {
    fn name(self) -> &'static str {
        match self {
            ScopePart::AccessKeyId => "access key id",
            ScopePart::Region => "region",
            ScopePart::Service => "service",
        }
    }
}

/// Why a request could not be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignError {
    /// The caller's buffer cannot hold the headers to add; says the size needed.
    BufferTooSmall(BufferTooSmall),
    /// The signing time is outside the years 0 to 9999.
    TimeOutOfRange,
    /// The method is not an HTTP token.
    InvalidMethod,
    /// The header at `index` has a name that is not an HTTP token.
    InvalidHeaderName {
        /// Its position in [`Request::headers`].
        index: usize,
    },
    /// The request has no `Host` header (botocore always signs one).
    MissingHost,
    /// The request has a `Date` header at `index`: botocore would replace it and sign it
    /// instead of `X-Amz-Date`, which this signer does not do.
    DateHeader {
        /// Its position in [`Request::headers`].
        index: usize,
    },
    /// The access key id, region or service is empty or holds a character (`/`, `,`, white
    /// space, a control or non-ASCII character) that would break the `Credential=` field.
    InvalidScope(ScopePart),
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::BufferTooSmall(e) => write!(f, "cannot sign the request: {e}"),
            SignError::TimeOutOfRange => {
                f.write_str("cannot sign the request: the time is outside the years 0 to 9999")
            }
            SignError::InvalidMethod => {
                f.write_str("cannot sign the request: the method is not an HTTP token")
            }
            SignError::InvalidHeaderName { index } => write!(
                f,
                "cannot sign the request: the name of header {index} is not an HTTP token"
            ),
            SignError::MissingHost => f.write_str(
                "cannot sign the request: it has no Host header, and SigV4 signs the host",
            ),
            SignError::DateHeader { index } => write!(
                f,
                "cannot sign the request: header {index} is a Date header; send the time in \
                 X-Amz-Date only"
            ),
            SignError::InvalidScope(part) => write!(
                f,
                "cannot sign the request: the {} must be non-empty printable ASCII without \
                 '/', ',' or spaces",
                part.name()
            ),
        }
    }
}

impl core::error::Error for SignError {}

impl From<BufferTooSmall> for SignError {
    fn from(e: BufferTooSmall) -> Self {
        SignError::BufferTooSmall(e)
    }
}

/// A time as SigV4 writes it, `YYYYMMDDTHHMMSSZ` (ISO 8601 basic format, UTC).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AmzDate([u8; 16]);

impl AmzDate {
    /// The time `unix_seconds` after the epoch; `None` outside the years 0 to 9999.
    pub fn from_unix_secs(unix_seconds: i64) -> Option<AmzDate> {
        let t = Timestamp::from_unix_secs(unix_seconds)?;
        Some(AmzDate::from_datetime(&t.to_datetime()))
    }

    fn from_datetime(dt: &DateTime) -> AmzDate {
        let mut out = *b"00000000T000000Z";
        let digit = |v: u32, div: u32| {
            let d = v
                .checked_div(div)
                .and_then(|q| q.checked_rem(10))
                .unwrap_or(0);
            b'0'.saturating_add(u8::try_from(d).unwrap_or(0))
        };
        let year = u32::from(dt.year);
        let fields: [(usize, u32, u32); 14] = [
            (0, year, 1000),
            (1, year, 100),
            (2, year, 10),
            (3, year, 1),
            (4, u32::from(dt.month), 10),
            (5, u32::from(dt.month), 1),
            (6, u32::from(dt.day), 10),
            (7, u32::from(dt.day), 1),
            (9, u32::from(dt.hour), 10),
            (10, u32::from(dt.hour), 1),
            (11, u32::from(dt.minute), 10),
            (12, u32::from(dt.minute), 1),
            (13, u32::from(dt.second), 10),
            (14, u32::from(dt.second), 1),
        ];
        for (at, value, div) in fields {
            if let Some(slot) = out.get_mut(at) {
                *slot = digit(value, div);
            }
        }
        AmzDate(out)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }

    /// The date alone, `YYYYMMDD`, as in the credential scope.
    pub fn date(&self) -> &str {
        self.as_str().get(..8).unwrap_or("")
    }
}

impl fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AmzDate").field(&self.as_str()).finish()
    }
}

impl fmt::Display for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The session token that is sent: botocore tests the token for truth, so an empty one is
/// no token at all.
fn effective_token(token: Option<&str>) -> Option<&str> {
    token.filter(|t| !t.is_empty())
}

/// Whether `s` can stand between the `/` of a `Credential=` field.
fn credential_part_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',')
}

fn check_scope(keys: &SigningKeys<'_>, scope: &Scope<'_>) -> Result<(), SignError> {
    for (value, part) in [
        (keys.access_key_id, ScopePart::AccessKeyId),
        (scope.region, ScopePart::Region),
        (scope.service, ScopePart::Service),
    ] {
        if !credential_part_ok(value) {
            return Err(SignError::InvalidScope(part));
        }
    }
    Ok(())
}

/// The first value of a header, matched case-insensitively.
fn header<'a>(headers: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Hex SHA-256 of the payload into `hex`.
fn payload_sha256<'h>(payload: &[u8], hex: &'h mut [u8; 64]) -> &'h str {
    let digest: [u8; 32] = Sha256::digest(payload).into();
    hex_into(&digest, hex)
}

/// The hex SHA-256 of `payload`, written into `out`: the payload hash of the canonical request,
/// and the value of an `X-Amz-Content-SHA256` header for a caller that sends one.
pub fn payload_hash<'h>(payload: &[u8], out: &'h mut [u8; 64]) -> &'h str {
    payload_sha256(payload, out)
}

/// Checks a request the way the signer needs it and describes its canonical form.
fn signer_view<'r>(
    request: &Request<'r>,
    amz_date: &'r str,
    session_token: Option<&'r str>,
    hex: &'r mut [u8; 64],
) -> Result<Canonical<'r>, SignError> {
    if !is_token(request.method) {
        return Err(SignError::InvalidMethod);
    }
    let mut host = false;
    for (index, (name, _)) in request.headers.iter().enumerate() {
        if !is_token(name) {
            return Err(SignError::InvalidHeaderName { index });
        }
        if name.eq_ignore_ascii_case("date") {
            return Err(SignError::DateHeader { index });
        }
        host |= name.eq_ignore_ascii_case("host");
    }
    if !host {
        return Err(SignError::MissingHost);
    }
    let payload_hash = match header(request.headers, CONTENT_SHA256) {
        Some(given) => given,
        None => payload_sha256(request.payload, hex),
    };
    Ok(Canonical {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: Headers::Sign {
            list: request.headers,
            amz_date,
            token: session_token,
        },
        payload_hash,
    })
}

/// The hex SHA-256 of a canonical request.
fn canonical_hash(canonical: &Canonical<'_>, hex: &mut [u8; 64]) -> Option<()> {
    let mut sink = HashSink::new();
    canonical.write(&mut sink).ok()?;
    hex_into(&sink.finish(), hex);
    Some(())
}

/// The string to sign, written into `out`.
fn put_string_to_sign<S: Sink>(
    out: &mut S,
    amz_date: &str,
    date: &str,
    scope: &Scope<'_>,
    canonical_hex: &str,
) {
    for piece in [
        ALGORITHM,
        "\n",
        amz_date,
        "\n",
        date,
        "/",
        scope.region,
        "/",
        scope.service,
        "/aws4_request\n",
        canonical_hex,
    ] {
        out.put(piece);
    }
}

type HmacSha256 = Hmac<Sha256>;

/// An HMAC-SHA256 keyed by a key already padded (or hashed, then padded) to SHA-256's 64-byte
/// block, as HMAC itself would; so building it cannot fail.
fn mac(key_block: [u8; 64]) -> HmacSha256 {
    <HmacSha256 as hmac::digest::KeyInit>::new(&key_block.into())
}

fn padded(key: &[u8; 32]) -> [u8; 64] {
    let mut block = [0u8; 64];
    for (d, s) in block.iter_mut().zip(key) {
        *d = *s;
    }
    block
}

struct MacSink(HmacSha256);

impl Sink for MacSink {
    fn put(&mut self, s: &str) {
        self.0.update(s.as_bytes());
    }
}

/// The signing key: HMAC-SHA256 chained from `AWS4` + secret over date, region, service and
/// `aws4_request`.
fn signing_key(secret: &str, date: &str, scope: &Scope<'_>) -> [u8; 32] {
    // "AWS4" + secret as an HMAC key: zero-padded to the block, or hashed first when longer.
    let mut first = [0u8; 64];
    let total = secret.len().saturating_add(4);
    if total <= first.len() {
        for (d, s) in first
            .iter_mut()
            .zip(b"AWS4".iter().chain(secret.as_bytes()))
        {
            *d = *s;
        }
    } else {
        let mut h = Sha256::new();
        h.update(b"AWS4");
        h.update(secret.as_bytes());
        first = padded(&h.finalize().into());
    }
    let mut key = first;
    for part in [date, scope.region, scope.service, "aws4_request"] {
        let mut m = mac(key);
        m.update(part.as_bytes());
        key = padded(&m.finalize().into_bytes().into());
    }
    let mut out = [0u8; 32];
    for (d, s) in out.iter_mut().zip(key.iter()) {
        *d = *s;
    }
    out
}

/// The hex signature of a canonical request (given by its hex hash).
fn signature_hex(
    secret: &str,
    amz_date: &str,
    date: &str,
    scope: &Scope<'_>,
    canonical_hex: &str,
    out: &mut [u8; 64],
) {
    let key = signing_key(secret, date, scope);
    let mut sink = MacSink(mac(padded(&key)));
    put_string_to_sign(&mut sink, amz_date, date, scope, canonical_hex);
    let sig: [u8; 32] = sink.0.finalize().into_bytes().into();
    hex_into(&sig, out);
}

/// Signs `request` with `keys` for `scope` at `unix_seconds`, as botocore's `SigV4Auth` does.
///
/// Returns the header values to add — `Authorization`, `X-Amz-Date` and, with a session
/// token, `X-Amz-Security-Token` — written into `buf` (16 bytes for the date, the token's
/// length, and about 150 bytes plus the access key id, scope and signed-header names for the
/// authorization; a buffer too small is [`SignError::BufferTooSmall`] with the size needed).
/// An `Authorization`, `X-Amz-Date` or (with a session token) `X-Amz-Security-Token` already in
/// `request.headers` is ignored, as botocore replaces them; the caller sends the new ones
/// instead.
pub fn sign<'b>(
    request: &Request<'_>,
    keys: &SigningKeys<'_>,
    scope: &Scope<'_>,
    unix_seconds: i64,
    buf: &'b mut [u8],
) -> Result<Signed<'b>, SignError> {
    check_scope(keys, scope)?;
    let amz = AmzDate::from_unix_secs(unix_seconds).ok_or(SignError::TimeOutOfRange)?;
    let mut payload_hex = [0u8; 64];
    let session_token = effective_token(keys.session_token);
    let canonical = signer_view(request, amz.as_str(), session_token, &mut payload_hex)?;
    let mut canonical_hex = [0u8; 64];
    // Signer views never fail to write (only a verifier's missing header does).
    canonical_hash(&canonical, &mut canonical_hex);
    let canonical_hex = core::str::from_utf8(&canonical_hex).unwrap_or("");
    let mut sig = [0u8; 64];
    signature_hex(
        keys.secret_access_key,
        amz.as_str(),
        amz.date(),
        scope,
        canonical_hex,
        &mut sig,
    );
    let sig = core::str::from_utf8(&sig).unwrap_or("");

    let token = session_token.unwrap_or("");
    let mut w = Writer::new(buf);
    w.push_str(amz.as_str());
    w.push_str(token);
    let auth_start = w.len();
    for piece in [
        ALGORITHM,
        " Credential=",
        keys.access_key_id,
        "/",
        amz.date(),
        "/",
        scope.region,
        "/",
        scope.service,
        "/aws4_request, SignedHeaders=",
    ] {
        w.push_str(piece);
    }
    canonical.headers.put_signed(&mut w);
    w.push_str(", Signature=");
    w.push_str(sig);
    let all = w.finish()?;
    let date_end = amz.as_str().len();
    let token_end = date_end.saturating_add(token.len());
    let piece = |range: core::ops::Range<usize>| all.get(range).unwrap_or("");
    let signature_start = all.len().saturating_sub(sig.len());
    Ok(Signed {
        amz_date: piece(0..date_end),
        security_token: session_token.map(|_| piece(date_end..token_end)),
        authorization: piece(auth_start..all.len()),
        signature: piece(signature_start..all.len()),
    })
}

/// Writes the canonical request that [`sign`] would hash for `request` at `unix_seconds` (with
/// `session_token` as the keys' token) into `buf`: for tests, and to show what was signed.
pub fn canonical_request<'b>(
    request: &Request<'_>,
    session_token: Option<&str>,
    unix_seconds: i64,
    buf: &'b mut [u8],
) -> Result<&'b str, SignError> {
    let amz = AmzDate::from_unix_secs(unix_seconds).ok_or(SignError::TimeOutOfRange)?;
    let mut payload_hex = [0u8; 64];
    let session_token = effective_token(session_token);
    let canonical = signer_view(request, amz.as_str(), session_token, &mut payload_hex)?;
    let mut w = Writer::new(buf);
    // As in `sign`, a signer view always writes.
    let _ = canonical.write(&mut w);
    Ok(w.finish()?)
}

/// Writes the string to sign that [`sign`] would sign for `request` (see
/// [`canonical_request`]) into `buf`.
pub fn string_to_sign<'b>(
    request: &Request<'_>,
    session_token: Option<&str>,
    scope: &Scope<'_>,
    unix_seconds: i64,
    buf: &'b mut [u8],
) -> Result<&'b str, SignError> {
    let amz = AmzDate::from_unix_secs(unix_seconds).ok_or(SignError::TimeOutOfRange)?;
    let mut payload_hex = [0u8; 64];
    let session_token = effective_token(session_token);
    let canonical = signer_view(request, amz.as_str(), session_token, &mut payload_hex)?;
    let mut canonical_hex = [0u8; 64];
    canonical_hash(&canonical, &mut canonical_hex);
    let mut w = Writer::new(buf);
    put_string_to_sign(
        &mut w,
        amz.as_str(),
        amz.date(),
        scope,
        core::str::from_utf8(&canonical_hex).unwrap_or(""),
    );
    Ok(w.finish()?)
}

#[cfg(test)]
mod tests;
