//! The STS requests a role source sends (spec §8.1, §8.2): `AssumeRole` and
//! `AssumeRoleWithWebIdentity`, as botocore's query serializer lays them out.

use core::fmt;

use super::form::push_pair;
use crate::buf::{BufferTooSmall, Writer};

/// The STS API version every request names.
pub const API_VERSION: &str = "2011-06-15";

/// The `Content-Type` of every STS request.
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The HTTP method of every STS request.
pub const METHOD: &str = "POST";

/// The request path of every STS request (the parameters travel in the body).
pub const PATH: &str = "/";

/// The SigV4 service name of STS.
pub const SERVICE: &str = "sts";

/// The headers of an STS request before signing, in the order botocore sets them:
/// `Content-Type`, then `Host` (`host` is the endpoint's host, with `:port` when the URL has one).
/// Signing adds `X-Amz-Date`, `Authorization` and, with session credentials,
/// `X-Amz-Security-Token`; the HTTP layer adds `Content-Length`.
#[must_use]
pub const fn headers(host: &str) -> [(&'static str, &str); 2] {
    [("Content-Type", CONTENT_TYPE), ("Host", host)]
}

/// The longest default session name: `botocore-session-` and a signed 64-bit number.
const DEFAULT_NAME_MAX: usize = 17 + 20;

/// The session name botocore makes up when a profile has none (or an empty one):
/// `botocore-session-<int(time.time())>` (spec §8.1, §8.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DefaultSessionName {
    buf: [u8; DEFAULT_NAME_MAX],
    len: usize,
}

impl DefaultSessionName {
    /// The name for the current time in Unix seconds (the caller's clock; the core has none).
    #[must_use]
    pub fn new(unix_seconds: i64) -> DefaultSessionName {
        let mut buf = [0u8; DEFAULT_NAME_MAX];
        let mut w = Writer::new(&mut buf);
        // 17 + at most 20 characters: always fits.
        let _ = fmt::Write::write_fmt(&mut w, format_args!("botocore-session-{unix_seconds}"));
        let len = w.len().min(DEFAULT_NAME_MAX);
        DefaultSessionName { buf, len }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl fmt::Debug for DefaultSessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for DefaultSessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The MFA device and the code the user typed for it (spec §8.1: botocore asks its prompter
/// `Enter MFA code for <mfa_serial>: ` and sends `SerialNumber` and `TokenCode`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mfa<'a> {
    /// `mfa_serial`.
    pub serial_number: &'a str,
    /// The code the prompter returned.
    pub token_code: &'a str,
}

impl fmt::Debug for Mfa<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mfa")
            .field("serial_number", &self.serial_number)
            .field("token_code", &"<redacted>")
            .finish()
    }
}

/// An `AssumeRole` request (spec §8.1).
///
/// The body lists the parameters in the order botocore's dictionary holds them, which is not
/// alphabetical: `Action`, `Version`, then the profile's `RoleSessionName` (when set, even
/// empty), `ExternalId`, `SerialNumber`, `DurationSeconds`, then `RoleArn`, then the made-up
/// `RoleSessionName` when the profile has none, then `TokenCode`. An empty `role_session_name`
/// keeps its early place but is replaced by the default name, as botocore replaces it.
///
/// ```
/// use credchain_core::sts::{AssumeRole, Mfa};
///
/// let req = AssumeRole {
///     role_arn: "arn:aws:iam::123456789012:role/admin",
///     role_session_name: None,
///     external_id: Some("ext id/1"),
///     mfa: Some(Mfa { serial_number: "arn:aws:iam::123456789012:mfa/me", token_code: "123456" }),
///     duration_seconds: Some(3600),
/// };
/// let mut buf = [0u8; 512];
/// assert_eq!(
///     req.write_body(1_795_969_632, &mut buf).unwrap(),
///     "Action=AssumeRole&Version=2011-06-15&ExternalId=ext+id%2F1\
///      &SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fme&DurationSeconds=3600\
///      &RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fadmin\
///      &RoleSessionName=botocore-session-1795969632&TokenCode=123456",
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssumeRole<'a> {
    /// `role_arn`.
    pub role_arn: &'a str,
    /// `role_session_name` as configured; `None` or empty means the default name.
    pub role_session_name: Option<&'a str>,
    /// `external_id`.
    pub external_id: Option<&'a str>,
    /// `mfa_serial` and the code typed for it.
    pub mfa: Option<Mfa<'a>>,
    /// `duration_seconds`, when Python's `int()` read it (botocore drops it otherwise).
    pub duration_seconds: Option<i64>,
}

impl AssumeRole<'_> {
    /// Whether the session name is made up (`role_session_name` absent or empty): botocore then
    /// leaves it out of its cache key (spec §8.5).
    #[must_use]
    pub fn uses_default_session_name(&self) -> bool {
        self.role_session_name.is_none_or(str::is_empty)
    }

    /// Writes the form-encoded body into `buf`; `unix_seconds` names the default session
    /// (`botocore-session-<unix_seconds>`) when there is no configured one.
    pub fn write_body<'b>(
        &self,
        unix_seconds: i64,
        buf: &'b mut [u8],
    ) -> Result<&'b str, BufferTooSmall> {
        let default = DefaultSessionName::new(unix_seconds);
        let session = match self.role_session_name {
            Some(name) if !name.is_empty() => name,
            _ => default.as_str(),
        };
        let mut w = Writer::new(buf);
        push_pair(&mut w, "Action", "AssumeRole");
        push_pair(&mut w, "Version", API_VERSION);
        if self.role_session_name.is_some() {
            push_pair(&mut w, "RoleSessionName", session);
        }
        if let Some(id) = self.external_id {
            push_pair(&mut w, "ExternalId", id);
        }
        if let Some(mfa) = self.mfa {
            push_pair(&mut w, "SerialNumber", mfa.serial_number);
        }
        if let Some(d) = self.duration_seconds {
            let mut num = [0u8; 24];
            let mut nw = Writer::new(&mut num);
            let _ = fmt::Write::write_fmt(&mut nw, format_args!("{d}"));
            push_pair(&mut w, "DurationSeconds", nw.finish().unwrap_or("0"));
        }
        push_pair(&mut w, "RoleArn", self.role_arn);
        if self.role_session_name.is_none() {
            push_pair(&mut w, "RoleSessionName", session);
        }
        if let Some(mfa) = self.mfa {
            push_pair(&mut w, "TokenCode", mfa.token_code);
        }
        w.finish()
    }
}

/// An `AssumeRoleWithWebIdentity` request (spec §8.2). It is sent unsigned.
///
/// The body is `Action`, `Version`, the configured `RoleSessionName` (when set, even empty),
/// `RoleArn`, the made-up `RoleSessionName` when none is configured, then `WebIdentityToken`
/// — the token file's content exactly as read, a trailing newline included.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssumeRoleWithWebIdentity<'a> {
    /// `role_arn` (or `AWS_ROLE_ARN`).
    pub role_arn: &'a str,
    /// `role_session_name` (or `AWS_ROLE_SESSION_NAME`); `None` or empty means the default.
    pub role_session_name: Option<&'a str>,
    /// The token file's content.
    pub web_identity_token: &'a str,
}

impl fmt::Debug for AssumeRoleWithWebIdentity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumeRoleWithWebIdentity")
            .field("role_arn", &self.role_arn)
            .field("role_session_name", &self.role_session_name)
            .field("web_identity_token", &"<redacted>")
            .finish()
    }
}

impl AssumeRoleWithWebIdentity<'_> {
    /// Whether the session name is made up (see [`AssumeRole::uses_default_session_name`]).
    #[must_use]
    pub fn uses_default_session_name(&self) -> bool {
        self.role_session_name.is_none_or(str::is_empty)
    }

    /// Writes the form-encoded body into `buf` (see [`AssumeRole::write_body`]).
    pub fn write_body<'b>(
        &self,
        unix_seconds: i64,
        buf: &'b mut [u8],
    ) -> Result<&'b str, BufferTooSmall> {
        let default = DefaultSessionName::new(unix_seconds);
        let session = match self.role_session_name {
            Some(name) if !name.is_empty() => name,
            _ => default.as_str(),
        };
        let mut w = Writer::new(buf);
        push_pair(&mut w, "Action", "AssumeRoleWithWebIdentity");
        push_pair(&mut w, "Version", API_VERSION);
        if self.role_session_name.is_some() {
            push_pair(&mut w, "RoleSessionName", session);
        }
        push_pair(&mut w, "RoleArn", self.role_arn);
        if self.role_session_name.is_none() {
            push_pair(&mut w, "RoleSessionName", session);
        }
        push_pair(&mut w, "WebIdentityToken", self.web_identity_token);
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_name() {
        assert_eq!(DefaultSessionName::new(0).as_str(), "botocore-session-0");
        assert_eq!(
            DefaultSessionName::new(i64::MIN).as_str(),
            "botocore-session--9223372036854775808"
        );
    }

    #[test]
    fn empty_session_name_keeps_its_place() {
        let req = AssumeRole {
            role_arn: "r",
            role_session_name: Some(""),
            external_id: None,
            mfa: None,
            duration_seconds: None,
        };
        let mut buf = [0u8; 128];
        assert_eq!(
            req.write_body(7, &mut buf).unwrap(),
            "Action=AssumeRole&Version=2011-06-15&RoleSessionName=botocore-session-7&RoleArn=r"
        );
        let mut small = [0u8; 10];
        assert_eq!(req.write_body(7, &mut small).unwrap_err().needed, 81);
    }

    #[test]
    fn web_identity_body() {
        let req = AssumeRoleWithWebIdentity {
            role_arn: "arn:aws:iam::1:role/r",
            role_session_name: None,
            web_identity_token: "eyJ.a+b/c=\n",
        };
        let mut buf = [0u8; 256];
        assert_eq!(
            req.write_body(1, &mut buf).unwrap(),
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15\
             &RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&RoleSessionName=botocore-session-1\
             &WebIdentityToken=eyJ.a%2Bb%2Fc%3D%0A"
        );
    }
}
