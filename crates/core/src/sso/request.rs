//! The SSO requests (spec §8.3): `GetRoleCredentials` on the portal, `CreateToken` on SSO OIDC.

use core::fmt;

use super::json::push_py_json_str;
use crate::buf::{BufferTooSmall, Writer};
use crate::sts::push_percent_encoded;

/// The path of `GetRoleCredentials`.
pub const GET_ROLE_CREDENTIALS_PATH: &str = "/federation/credentials";

/// The header carrying the access token.
pub const BEARER_TOKEN_HEADER: &str = "x-amz-sso_bearer_token";

/// The path of SSO OIDC `CreateToken`.
pub const CREATE_TOKEN_PATH: &str = "/token";

/// The `Content-Type` of `CreateToken`.
pub const JSON_CONTENT_TYPE: &str = "application/json";

/// The grant type of a refresh.
pub const REFRESH_GRANT_TYPE: &str = "refresh_token";

/// Writes the request path botocore's `_urljoin` makes from an endpoint's path (`base_path`,
/// empty for the standard endpoints) and an operation's path: the endpoint's path with a
/// trailing `/` dropped before the operation's.
pub fn push_joined_path(w: &mut Writer<'_>, base_path: &str, url_path: &str) {
    if url_path.is_empty() || url_path == "/" {
        w.push_str(if base_path.is_empty() { "/" } else { base_path });
    } else if let Some(base) = base_path
        .strip_suffix('/')
        .filter(|_| url_path.starts_with('/'))
    {
        w.push_str(base);
        w.push_str(url_path);
    } else {
        w.push_str(base_path);
        w.push_str(url_path);
    }
}

/// An SSO `GetRoleCredentials` request: `GET /federation/credentials?role_name=…&account_id=…`,
/// unsigned, the access token in the `x-amz-sso_bearer_token` header. The query is encoded as
/// botocore's `percent_encode` does it (space as `%20`; only letters, digits and `-._~` as
/// they are). `Debug` hides the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GetRoleCredentials<'a> {
    /// `sso_role_name`.
    pub role_name: &'a str,
    /// `sso_account_id`.
    pub account_id: &'a str,
    /// The cached `accessToken`.
    pub access_token: &'a str,
}

impl fmt::Debug for GetRoleCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetRoleCredentials")
            .field("role_name", &self.role_name)
            .field("account_id", &self.account_id)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

impl GetRoleCredentials<'_> {
    /// The HTTP method.
    pub const METHOD: &'static str = "GET";

    /// Writes the request target (path and query) into `buf`; `base_path` is the path of a
    /// configured endpoint URL (empty for the standard `https://portal.sso.<region>.…`).
    ///
    /// ```
    /// use credchain_core::sso::GetRoleCredentials;
    ///
    /// let r = GetRoleCredentials { role_name: "Admin Role", account_id: "123456789012", access_token: "t" };
    /// let mut buf = [0u8; 128];
    /// assert_eq!(r.write_target("", &mut buf).unwrap(),
    ///            "/federation/credentials?role_name=Admin%20Role&account_id=123456789012");
    /// ```
    pub fn write_target<'b>(
        &self,
        base_path: &str,
        buf: &'b mut [u8],
    ) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        push_joined_path(&mut w, base_path, GET_ROLE_CREDENTIALS_PATH);
        w.push_str("?role_name=");
        push_percent_encoded(&mut w, self.role_name);
        w.push_str("&account_id=");
        push_percent_encoded(&mut w, self.account_id);
        w.finish()
    }

    /// The query alone (`role_name=…&account_id=…`), for signing-style tools that want it apart.
    pub fn write_query<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        w.push_str("role_name=");
        push_percent_encoded(&mut w, self.role_name);
        w.push_str("&account_id=");
        push_percent_encoded(&mut w, self.account_id);
        w.finish()
    }

    /// The headers: the bearer token, then `Host`.
    #[must_use]
    pub fn headers<'h>(&'h self, host: &'h str) -> [(&'static str, &'h str); 2] {
        [(BEARER_TOKEN_HEADER, self.access_token), ("Host", host)]
    }
}

/// An SSO OIDC `CreateToken` refresh request (spec §8.3): `POST /token`, unsigned, with the JSON
/// body botocore's rest-json serializer writes — `{"grantType": "refresh_token", "clientId": …,
/// "clientSecret": …, "refreshToken": …}` with Python's `json.dumps` separators and escapes.
/// `Debug` hides the secrets.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CreateToken<'a> {
    /// `clientId` from the cache.
    pub client_id: &'a str,
    /// `clientSecret` from the cache.
    pub client_secret: &'a str,
    /// `refreshToken` from the cache.
    pub refresh_token: &'a str,
}

impl fmt::Debug for CreateToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateToken")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl CreateToken<'_> {
    /// The HTTP method.
    pub const METHOD: &'static str = "POST";

    /// Writes the JSON body into `buf`.
    ///
    /// ```
    /// use credchain_core::sso::CreateToken;
    ///
    /// let r = CreateToken { client_id: "c", client_secret: "s", refresh_token: "r" };
    /// let mut buf = [0u8; 128];
    /// assert_eq!(r.write_body(&mut buf).unwrap(),
    ///     r#"{"grantType": "refresh_token", "clientId": "c", "clientSecret": "s", "refreshToken": "r"}"#);
    /// ```
    pub fn write_body<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        let pairs = [
            ("grantType", REFRESH_GRANT_TYPE),
            ("clientId", self.client_id),
            ("clientSecret", self.client_secret),
            ("refreshToken", self.refresh_token),
        ];
        for (i, (k, v)) in pairs.iter().enumerate() {
            w.push_str(if i == 0 { "{" } else { ", " });
            push_py_json_str(&mut w, k);
            w.push_str(": ");
            push_py_json_str(&mut w, v);
        }
        w.push_str("}");
        w.finish()
    }

    /// The headers: `Content-Type`, then `Host`.
    #[must_use]
    pub const fn headers(host: &str) -> [(&'static str, &str); 2] {
        [("Content-Type", JSON_CONTENT_TYPE), ("Host", host)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths_as_urljoin() {
        let cases = [
            ("", "/token", "/token"),
            ("/", "/token", "/token"),
            ("/x/", "/token", "/x/token"),
            ("/x", "/token", "/x/token"),
            ("", "/", "/"),
            ("/x", "/", "/x"),
        ];
        for (base, path, want) in cases {
            let mut buf = [0u8; 32];
            let mut w = Writer::new(&mut buf);
            push_joined_path(&mut w, base, path);
            assert_eq!(w.finish().unwrap(), want, "{base:?} {path:?}");
        }
    }
}
