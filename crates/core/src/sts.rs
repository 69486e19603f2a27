//! STS: the requests a role source sends and the answers it reads (spec §8.1, §8.2, §8.4).
//!
//! A profile with `role_arn` gets its credentials from the AWS Security Token Service:
//! `AssumeRole`, signed with the source credentials, or `AssumeRoleWithWebIdentity`, unsigned,
//! carrying a token file's content. This module builds those requests exactly as botocore
//! 1.43.11 sends them and reads what STS answers, without allocating; sending them is the
//! adapters' business, signing is [`crate::sigv4`]'s.
//!
//! ## One exchange
//!
//! 1. **Where** ([`endpoint`]): [`endpoint::configured_endpoint`] finds an
//!    `AWS_ENDPOINT_URL_STS`-style override, [`endpoint::resolve_sts_with`] picks the regional
//!    or global endpoint (FIPS and dual-stack from [`endpoint::endpoint_variant`] and
//!    [`endpoint::ClientRegion`]) and the signing region.
//! 2. **What** ([`AssumeRole`], [`AssumeRoleWithWebIdentity`]): `POST /` with the form-encoded
//!    body botocore's query serializer writes — parameters in botocore's order, encoded with
//!    Python's `urlencode` (space as `+`, `/` as `%2F`) — and the headers of [`headers`]
//!    (`Content-Type: application/x-www-form-urlencoded; charset=utf-8`, `Host`). Without a
//!    configured `role_session_name` the session is `botocore-session-<unix seconds>`
//!    ([`DefaultSessionName`]).
//! 3. **Signing** (`AssumeRole` only): [`crate::sigv4::sign`] over that method, path, empty
//!    query, headers and body, for service [`SERVICE`] and the endpoint's signing region.
//! 4. **The answer** ([`StsResponse::parse`]): a small strict XML reader ([`xml`]) and typed
//!    results — [`AssumedRole`] with its [`StsCredentials`], `AssumedRoleUser` and the account
//!    id botocore derives from its ARN, or [`StsServiceError`] (`ErrorResponse/Error/{Type,
//!    Code, Message}` and `RequestId`) as an answer, not a failure to read one.
//!
//! Strings in answers are [`xml::XmlStr`]: borrowed as written, with `as_str()` when they need no
//! decoding and `decode_into()` a caller's buffer when they hold entity or character
//! references. A 5xx answer with an empty or HTML body is not read at all
//! ([`is_generic_error`]), as botocore does not read it.
//!
//! ```
//! use credchain_core::sigv4::{self, Scope, SigningKeys};
//! use credchain_core::sts::{self, AssumeRole, StsOperation, StsResponse, endpoint};
//!
//! // 1. Where (no configured endpoint, region eu-west-1, default `regional`).
//! let ep = endpoint::resolve_sts(Some("eu-west-1"), None, None)?;
//! let mut url = [0u8; 128];
//! let url = ep.url.write_url(&mut url)?; // https://sts.eu-west-1.amazonaws.com
//! let host = url.strip_prefix("https://").unwrap();
//! // 2. What.
//! let req = AssumeRole {
//!     role_arn: "arn:aws:iam::123456789012:role/admin",
//!     role_session_name: None,
//!     external_id: None,
//!     mfa: None,
//!     duration_seconds: Some(3600),
//! };
//! let now = 1_795_969_632;
//! let mut body = [0u8; 1024];
//! let body = req.write_body(now, &mut body)?;
//! let headers = sts::headers(host);
//! // 3. Signed with the source credentials.
//! let request = sigv4::Request {
//!     method: sts::METHOD, path: sts::PATH, query: "", headers: &headers, payload: body.as_bytes(),
//! };
//! let keys = SigningKeys { access_key_id: "AKIDEXAMPLE", secret_access_key: "secret", session_token: None };
//! let scope = Scope { region: ep.signing_region()?, service: sts::SERVICE };
//! let mut sig = [0u8; 512];
//! let signed = sigv4::sign(&request, &keys, &scope, now, &mut sig)?;
//! // Send: POST {url}/ with Content-Type, Host, X-Amz-Date: signed.amz_date,
//! // Authorization: signed.authorization (and X-Amz-Security-Token when there is one).
//! assert!(signed.authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129/eu-west-1/sts/aws4_request"));
//! // 4. The answer.
//! let answer = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>//!               <Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>";
//! match StsResponse::parse(answer, StsOperation::AssumeRole)? {
//!     StsResponse::AssumedRole(role) => { let _ = role.credentials.expiration()?; }
//!     StsResponse::Error(e) => assert_eq!(e.code.unwrap(), "AccessDenied"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod form;
mod request;
mod response;

pub mod cache_key;
pub mod endpoint;
pub mod validate;
pub mod xml;

pub use request::{
    API_VERSION, AssumeRole, AssumeRoleWithWebIdentity, CONTENT_TYPE, DefaultSessionName, METHOD,
    Mfa, PATH, SERVICE, headers,
};
pub use response::{
    AssumedRole, AssumedRoleDocument, AssumedRoleUser, ErrorDocument, StsCredentials, StsOperation,
    StsResponse, StsResponseError, StsResponseErrorKind, StsServiceError, XML_NAMESPACE,
};

pub(crate) use form::push_percent_encoded;

/// Whether botocore treats an answer as a *generic* HTTP error, without reading its body: a
/// status of 500 or more with a body that is empty or starts with `<html>` (after ASCII
/// whitespace). botocore then raises a `ClientError` whose code is the status (`"503"`) and
/// whose message is the reason phrase ([`reason_phrase`]). This holds for STS and SSO alike:
/// check it before [`StsResponse::parse`].
#[must_use]
pub fn is_generic_error(status: u16, body: &[u8]) -> bool {
    if status < 500 {
        return false;
    }
    let trimmed = body.trim_ascii();
    trimmed.is_empty() || trimmed.starts_with(b"<html>")
}

/// The reason phrase Python's `http.client.responses` gives a 5xx status (the message of a
/// generic error, see [`is_generic_error`]).
#[must_use]
pub const fn reason_phrase(status: u16) -> Option<&'static str> {
    Some(match status {
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
        _ => return None,
    })
}
