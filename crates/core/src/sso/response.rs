//! The SSO answers (spec §8.3): role credentials with an expiration in epoch **milliseconds**,
//! the portal's errors, and SSO OIDC's new token.

use core::fmt;

use super::json::{SsoDocument, SsoDocumentError, integer, missing, read_object, string, utf8};
use crate::document::json::members;
use crate::document::{JsonStr, ValueKind};
use crate::time::Timestamp;

const TOP_KEYS: [&str; 1] = ["roleCredentials"];
const ROLE_KEYS: [&str; 4] = [
    "accessKeyId",
    "secretAccessKey",
    "sessionToken",
    "expiration",
];
const ROLE_NAMES: [&str; 4] = [
    "roleCredentials.accessKeyId",
    "roleCredentials.secretAccessKey",
    "roleCredentials.sessionToken",
    "roleCredentials.expiration",
];

/// A `GetRoleCredentials` answer:
/// `{"roleCredentials": {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}}`,
/// all four required (botocore fails with a `KeyError` without one). `Debug` hides the secret
/// and the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleCredentials<'a> {
    /// `accessKeyId`.
    pub access_key_id: JsonStr<'a>,
    /// `secretAccessKey`.
    pub secret_access_key: JsonStr<'a>,
    /// `sessionToken`.
    pub session_token: JsonStr<'a>,
    /// `expiration`: Unix time in **milliseconds**, an integer.
    pub expiration_millis: i64,
}

impl fmt::Debug for RoleCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expiration_millis", &self.expiration_millis)
            .finish()
    }
}

impl<'a> RoleCredentials<'a> {
    /// Reads an answer.
    ///
    /// ```
    /// use credchain_core::sso::RoleCredentials;
    ///
    /// let c = RoleCredentials::parse(r#"{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"s",
    ///     "sessionToken":"t","expiration":1795969632999}}"#).unwrap();
    /// assert_eq!(c.expiration().unwrap().unix_secs(), 1_795_969_632);
    /// ```
    pub fn parse(text: &'a str) -> Result<RoleCredentials<'a>, SsoDocumentError> {
        let d = SsoDocument::RoleCredentials;
        let [top] = read_object(text, text, 0, &TOP_KEYS, &TOP_KEYS, d)?;
        let top = top.ok_or(missing("roleCredentials", d))?;
        if top.kind != ValueKind::Object {
            return Err(SsoDocumentError {
                document: d,
                kind: super::json::SsoErrorKind::WrongType {
                    key: "roleCredentials",
                    expected: "an object",
                    found: top.kind,
                    position: crate::document::Position::locate(text, top.offset),
                },
            });
        }
        let [a, s, t, e] = read_object(text, top.text, top.offset, &ROLE_KEYS, &ROLE_NAMES, d)?;
        let [na, ns, nt, ne] = ROLE_NAMES;
        Ok(RoleCredentials {
            access_key_id: string(text, a, na, d)?.ok_or(missing(na, d))?,
            secret_access_key: string(text, s, ns, d)?.ok_or(missing(ns, d))?,
            session_token: string(text, t, nt, d)?.ok_or(missing(nt, d))?,
            expiration_millis: integer(text, e, ne, d)?.ok_or(missing(ne, d))?,
        })
    }

    /// Reads an answer given as bytes.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<RoleCredentials<'a>, SsoDocumentError> {
        RoleCredentials::parse(utf8(bytes, SsoDocument::RoleCredentials)?)
    }

    /// The expiration, as botocore makes it: milliseconds divided by 1000, written with
    /// `%Y-%m-%dT%H:%M:%SZ`, so the fraction of a second is dropped (rounded down). `None`
    /// beyond year 9999.
    #[must_use]
    pub fn expiration(&self) -> Option<Timestamp> {
        Timestamp::from_unix_secs(self.expiration_millis.div_euclid(1000))
    }
}

/// Where an SSO error's code came from (botocore's rest-json error parser, in its order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SsoErrorCode<'a> {
    /// The `x-amzn-ErrorType` header, cut at the first `:` and after the last `#`.
    Header(&'a str),
    /// The body's `code` or `Code` (else `__type`), cut the same way.
    Body(JsonStr<'a>),
    /// None given: the HTTP status, as text.
    Status(u16),
}

impl SsoErrorCode<'_> {
    /// Whether the code is `code`.
    #[must_use]
    pub fn is(&self, code: &str) -> bool {
        match self {
            SsoErrorCode::Header(h) => *h == code,
            SsoErrorCode::Body(b) => b.eq_str(code),
            SsoErrorCode::Status(_) => false,
        }
    }
}

impl fmt::Display for SsoErrorCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SsoErrorCode::Header(h) => f.write_str(h),
            SsoErrorCode::Body(b) => fmt::Display::fmt(b, f),
            SsoErrorCode::Status(s) => write!(f, "{s}"),
        }
    }
}

/// `code.split(':', 1)[0].rsplit('#', 1)[-1]` on raw text (a literal `:` or `#` is never part
/// of a JSON escape, so the cut stays valid JSON string content).
fn cut_code(code: &str) -> &str {
    let code = code.split(':').next().unwrap_or(code);
    code.rsplit('#').next().unwrap_or(code)
}

/// An error answer of the SSO portal or SSO OIDC (a status other than 2xx), read as botocore's
/// rest-json error parser reads it. `401` with code `UnauthorizedException` is botocore's
/// `UnauthorizedSSOTokenError` ([`is_unauthorized`](Self::is_unauthorized)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SsoServiceError<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The error code.
    pub code: SsoErrorCode<'a>,
    /// The body's `message` (or `Message`) when it is a JSON object with one.
    pub message: Option<JsonStr<'a>>,
    /// The body, when it is not a JSON object (botocore then uses it as the message).
    pub raw_body: Option<&'a str>,
    /// A generic HTTP error ([`crate::sts::is_generic_error`]: 5xx with an empty or HTML body):
    /// botocore names it by the status (`code` is [`SsoErrorCode::Status`]) and its reason
    /// phrase ([`crate::sts::reason_phrase`]), not by the body.
    pub generic: bool,
}

impl<'a> SsoServiceError<'a> {
    /// Reads an error answer: its status, its `x-amzn-ErrorType` header if any, and its body.
    /// Never fails: whatever the body, botocore makes an error of it.
    ///
    /// ```
    /// use credchain_core::sso::SsoServiceError;
    ///
    /// let e = SsoServiceError::parse(401,
    ///     Some("UnauthorizedException:http://internal.amazon.com/coral/com.amazon.switchboard.portal/"),
    ///     r#"{"message":"Session token not found or invalid"}"#);
    /// assert!(e.is_unauthorized());
    /// assert_eq!(e.message.unwrap(), "Session token not found or invalid");
    /// ```
    #[must_use]
    pub fn parse(status: u16, error_type_header: Option<&'a str>, body: &'a str) -> Self {
        const KEYS: [&str; 5] = ["message", "Message", "code", "Code", "__type"];
        if crate::sts::is_generic_error(status, body.as_bytes()) {
            return SsoServiceError {
                status,
                code: SsoErrorCode::Status(status),
                message: None,
                raw_body: None,
                generic: true,
            };
        }
        let d = SsoDocument::RoleCredentials;
        let is_object = !body.trim().is_empty() && members(body).all(|m| m.is_ok());
        let found = if is_object {
            read_object(body, body, 0, &KEYS, &KEYS, d).ok()
        } else {
            None
        };
        let s = |i: usize| {
            found
                .and_then(|f| f.get(i).copied().flatten())
                .and_then(|v| string(body, Some(v), "", d).ok().flatten())
        };
        let message = s(0).or_else(|| s(1));
        let body_code = s(2).or_else(|| s(3)).or_else(|| s(4));
        let code = match (error_type_header, body_code) {
            (Some(h), _) => SsoErrorCode::Header(cut_code(h)),
            (None, Some(c)) => SsoErrorCode::Body(JsonStr::from_checked(cut_code(c.raw()))),
            (None, None) => SsoErrorCode::Status(status),
        };
        SsoServiceError {
            status,
            code,
            message,
            raw_body: (!is_object && !body.is_empty()).then_some(body),
            generic: false,
        }
    }

    /// Whether this is `UnauthorizedException` (botocore's `UnauthorizedSSOTokenError`: "The
    /// SSO session associated with this profile has expired or is otherwise invalid. To
    /// refresh this SSO session run aws sso login with the corresponding profile.").
    #[must_use]
    pub fn is_unauthorized(&self) -> bool {
        self.code.is("UnauthorizedException")
    }
}

const TOKEN_KEYS: [&str; 5] = [
    "accessToken",
    "expiresIn",
    "refreshToken",
    "tokenType",
    "idToken",
];

/// An SSO OIDC `CreateToken` answer: `accessToken` and `expiresIn` (seconds) required,
/// `refreshToken` kept when present (botocore then writes it to the cache). `Debug` hides the
/// tokens.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CreateTokenResponse<'a> {
    /// `accessToken`.
    pub access_token: JsonStr<'a>,
    /// `expiresIn`, seconds.
    pub expires_in: i64,
    /// `refreshToken`.
    pub refresh_token: Option<JsonStr<'a>>,
    /// `tokenType`.
    pub token_type: Option<JsonStr<'a>>,
    /// `idToken`.
    pub id_token: Option<JsonStr<'a>>,
}

impl fmt::Debug for CreateTokenResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateTokenResponse")
            .field("expires_in", &self.expires_in)
            .field("token_type", &self.token_type)
            .finish_non_exhaustive()
    }
}

impl<'a> CreateTokenResponse<'a> {
    /// Reads an answer.
    pub fn parse(text: &'a str) -> Result<CreateTokenResponse<'a>, SsoDocumentError> {
        let d = SsoDocument::CreateToken;
        let [a, e, r, t, i] = read_object(text, text, 0, &TOKEN_KEYS, &TOKEN_KEYS, d)?;
        Ok(CreateTokenResponse {
            access_token: string(text, a, "accessToken", d)?.ok_or(missing("accessToken", d))?,
            expires_in: integer(text, e, "expiresIn", d)?.ok_or(missing("expiresIn", d))?,
            refresh_token: string(text, r, "refreshToken", d)?,
            token_type: string(text, t, "tokenType", d)?,
            id_token: string(text, i, "idToken", d)?,
        })
    }

    /// Reads an answer given as bytes.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<CreateTokenResponse<'a>, SsoDocumentError> {
        CreateTokenResponse::parse(utf8(bytes, SsoDocument::CreateToken)?)
    }

    /// When the new token expires: `now + expiresIn` (`None` out of range).
    #[must_use]
    pub fn expires_at(&self, now: Timestamp) -> Option<Timestamp> {
        now.checked_add_secs(self.expires_in)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: impl core::fmt::Display) -> heapless::String<256> {
        let mut s = heapless::String::new();
        core::fmt::Write::write_fmt(&mut s, format_args!("{e}")).unwrap();
        s
    }

    #[test]
    fn role_credentials_errors() {
        let e = RoleCredentials::parse(r#"{"roleCredentials":{"accessKeyId":"a"}}"#).unwrap_err();
        assert_eq!(
            text(e),
            "SSO GetRoleCredentials response: missing required key 'roleCredentials.secretAccessKey'"
        );
        let e = RoleCredentials::parse(
            r#"{"roleCredentials":{"accessKeyId":"a","secretAccessKey":"s","sessionToken":"t","expiration":1.5}}"#,
        )
        .unwrap_err();
        assert_eq!(e.position().unwrap().offset, 92);
        let e = RoleCredentials::parse(r#"{"roleCredentials":{"accessKeyId":"a",}}"#).unwrap_err();
        assert_eq!(e.position().unwrap().offset, 38);
    }

    #[test]
    fn error_codes() {
        let e = SsoServiceError::parse(
            403,
            None,
            r#"{"__type":"com.amazon#ForbiddenException","Message":"no"}"#,
        );
        assert!(e.code.is("ForbiddenException"));
        assert_eq!(e.message.unwrap(), "no");
        // 5xx with an HTML (or empty) body: generic, named by its status.
        let e = SsoServiceError::parse(500, None, " <html>");
        assert_eq!(e.code, SsoErrorCode::Status(500));
        assert!(e.generic);
        // Other text: the body is the message.
        let e = SsoServiceError::parse(400, None, "Bad Request");
        assert_eq!(e.code, SsoErrorCode::Status(400));
        assert_eq!((e.raw_body, e.generic), (Some("Bad Request"), false));
    }
}
