//! The SSO token cache (spec §8.3): `~/.aws/sso/cache/<sha1 hex>.json`, written by
//! `aws sso login` and by botocore after a refresh.

use core::fmt;

use sha1::{Digest, Sha1};

use super::json::{
    SsoDocument, SsoDocumentError, missing, push_py_json_str, read_object, string, utf8,
};
use crate::buf::{BufferTooSmall, Writer};
use crate::document::JsonStr;
use crate::time::{TimeError, Timestamp};

/// What names a token cache file: the `sso_start_url` of a legacy profile, or the name of an
/// `sso-session`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenCacheKey<'a> {
    /// A legacy profile's `sso_start_url`.
    StartUrl(&'a str),
    /// An `[sso-session NAME]`'s name.
    SessionName(&'a str),
}

impl<'a> TokenCacheKey<'a> {
    /// The text that is hashed.
    #[must_use]
    pub const fn text(&self) -> &'a str {
        match self {
            TokenCacheKey::StartUrl(s) | TokenCacheKey::SessionName(s) => s,
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The lower-case hex SHA-1 of some bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha1Hex([u8; 40]);

impl Sha1Hex {
    /// The SHA-1 of `bytes`.
    #[must_use]
    pub fn of(bytes: &[u8]) -> Sha1Hex {
        let mut hasher = Sha1::new();
        hasher.update(bytes);
        Sha1Hex::of_hasher(hasher)
    }

    /// The hex of what `hasher` was fed (for keys hashed piecewise, without a buffer).
    pub(crate) fn of_hasher(hasher: Sha1) -> Sha1Hex {
        let digest = hasher.finalize();
        let mut out = [b'0'; 40];
        for (pair, b) in out.chunks_exact_mut(2).zip(digest.iter()) {
            if let [hi, lo] = pair {
                *hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                *lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
            }
        }
        Sha1Hex(out)
    }

    /// The 40 hex digits.
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for Sha1Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Sha1Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token cache file's name: `sha1_hex(key) + ".json"` (botocore's `SSOTokenLoader` and
/// `JSONFileCache`), 45 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CacheFileName([u8; 45]);

impl CacheFileName {
    /// The name for `key`.
    ///
    /// ```
    /// use credchain_core::sso::{CacheFileName, TokenCacheKey};
    ///
    /// let name = CacheFileName::new(TokenCacheKey::StartUrl("https://my-sso-portal.awsapps.com/start"));
    /// assert_eq!(name.as_str().len(), 45);
    /// assert!(name.as_str().ends_with(".json"));
    /// ```
    #[must_use]
    pub fn new(key: TokenCacheKey<'_>) -> CacheFileName {
        let hex = Sha1Hex::of(key.text().as_bytes());
        let mut out = [0u8; 45];
        let (h, ext) = out.split_at_mut(40);
        h.copy_from_slice(&hex.0);
        ext.copy_from_slice(b".json");
        CacheFileName(out)
    }

    /// The file name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Debug for CacheFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CacheFileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key botocore's SSO credential fetcher caches role credentials under (spec §8.5): the
/// SHA-1 of `{"accountId":…,"roleName":…,"sessionName"|"startUrl":…}` with sorted keys and
/// compact separators, as Python's `json.dumps(…, sort_keys=True, separators=(',', ':'))`
/// writes it. botocore uses `sessionName` only for a non-empty session name; for an empty one
/// pass the start URL ([`TokenCacheKey::StartUrl`]), as botocore then does.
#[must_use]
pub fn role_credentials_cache_key(
    account_id: &str,
    role_name: &str,
    token: TokenCacheKey<'_>,
) -> Sha1Hex {
    struct HashWriter(Sha1);
    impl fmt::Write for HashWriter {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    // JSON-escape through a small buffer at a time: each value is written into a Writer
    // that counts, then hashed piecewise.
    let mut h = HashWriter(Sha1::new());
    let mut piece = |key: &str, value: &str, first: bool| {
        let _ = fmt::Write::write_str(&mut h, if first { "{\"" } else { ",\"" });
        let _ = fmt::Write::write_str(&mut h, key);
        let _ = fmt::Write::write_str(&mut h, "\":");
        hash_py_json_str(&mut h.0, value);
    };
    piece("accountId", account_id, true);
    piece("roleName", role_name, false);
    match token {
        TokenCacheKey::SessionName(s) => piece("sessionName", s, false),
        TokenCacheKey::StartUrl(s) => piece("startUrl", s, false),
    }
    let _ = fmt::Write::write_str(&mut h, "}");
    Sha1Hex::of_hasher(h.0)
}

/// Feeds `s` as Python's `json.dumps` writes it to `hasher`, a character at a time through a
/// small buffer.
pub(crate) fn hash_py_json_str(hasher: &mut Sha1, s: &str) {
    hasher.update(b"\"");
    for c in s.chars() {
        let mut tmp = [0u8; 16];
        let mut w = Writer::new(&mut tmp);
        let mut one = [0u8; 4];
        push_py_json_str(&mut w, c.encode_utf8(&mut one));
        // `"x"` with the quotes: hash what is between them.
        if let Ok(t) = w.finish() {
            let inner = t.get(1..t.len().saturating_sub(1)).unwrap_or("");
            hasher.update(inner.as_bytes());
        }
    }
    hasher.update(b"\"");
}

/// Reads an `expiresAt` (or `registrationExpiresAt`) the way credchain reads the SSO cache.
///
/// botocore reads it with `dateutil.parser.parse`, which takes nearly anything. The forms that
/// occur are accepted:
///
/// - RFC 3339 as [`Timestamp::parse`] reads it: `2026-11-29T12:00:00Z`, with a fraction, with an
///   offset (`+00:00`), `T` or space — what `aws sso login` (AWS CLI v2) writes;
/// - the same followed by `UTC` or `GMT`, optionally after a space, instead of `Z`:
///   `2026-11-29T12:00:00UTC` is what botocore's `JSONFileCache` writes with its default
///   serializer (`strftime('%Y-%m-%dT%H:%M:%S%Z')` on a UTC time), as older botocore releases
///   did after a refresh. (botocore 1.43.11's token provider writes `…Z`: see
///   [`ExpiresAtStyle`].)
///
/// A time without a zone is refused ([`TimeError::MissingTimezone`]): botocore would parse it
/// and then fail comparing it with the current time (spec §5.4). Other `dateutil` forms
/// (`Nov 29 2026`, epoch numbers) are refused with a position.
///
/// ```
/// use credchain_core::sso::parse_expires_at;
///
/// let t = parse_expires_at("2026-11-29T12:00:00UTC").unwrap();
/// assert_eq!(t, parse_expires_at("2026-11-29T12:00:00Z").unwrap());
/// assert!(parse_expires_at("2026-11-29T12:00:00").is_err());
/// ```
pub fn parse_expires_at(text: &str) -> Result<Timestamp, TimeError> {
    let stripped = text
        .strip_suffix("UTC")
        .or_else(|| text.strip_suffix("GMT"))
        .map(|s| s.strip_suffix(' ').unwrap_or(s));
    let Some(body) = stripped else {
        return Timestamp::parse(text);
    };
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    w.push_str(body);
    w.push_str("Z");
    let with_z = w
        .finish()
        .map_err(|e| TimeError::TooLong { len: e.needed })?;
    Timestamp::parse(with_z)
}

fn parse_json_timestamp(s: &JsonStr<'_>) -> Result<Timestamp, TimeError> {
    if let Some(t) = s.as_str() {
        return parse_expires_at(t);
    }
    let mut buf = [0u8; 64];
    let t = s
        .decode_into(&mut buf)
        .map_err(|e| TimeError::TooLong { len: e.needed })?;
    parse_expires_at(t)
}

const TOKEN_KEYS: [&str; 8] = [
    "accessToken",
    "expiresAt",
    "refreshToken",
    "clientId",
    "clientSecret",
    "registrationExpiresAt",
    "region",
    "startUrl",
];

/// A token cache file (spec §8.3). `Debug` hides the tokens and the client secret.
///
/// `accessToken` and `expiresAt` are required (botocore: "Token for … is invalid"); the others
/// are kept when present. Every value read must be a string; other keys are ignored.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SsoToken<'a> {
    /// `accessToken`.
    pub access_token: JsonStr<'a>,
    /// `expiresAt`, as written; [`expires_at()`](Self::expires_at) reads it.
    pub expires_at: JsonStr<'a>,
    /// `refreshToken`.
    pub refresh_token: Option<JsonStr<'a>>,
    /// `clientId`.
    pub client_id: Option<JsonStr<'a>>,
    /// `clientSecret`.
    pub client_secret: Option<JsonStr<'a>>,
    /// `registrationExpiresAt`.
    pub registration_expires_at: Option<JsonStr<'a>>,
    /// `region`.
    pub region: Option<JsonStr<'a>>,
    /// `startUrl`.
    pub start_url: Option<JsonStr<'a>>,
}

impl fmt::Debug for SsoToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoToken")
            .field("access_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token.map(|_| "<redacted>"))
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.map(|_| "<redacted>"))
            .field("registration_expires_at", &self.registration_expires_at)
            .field("region", &self.region)
            .field("start_url", &self.start_url)
            .finish()
    }
}

/// The pieces a refresh needs from the cache (spec §8.3): all four must be there.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefreshRegistration<'a> {
    /// `refreshToken`.
    pub refresh_token: JsonStr<'a>,
    /// `clientId`.
    pub client_id: JsonStr<'a>,
    /// `clientSecret`.
    pub client_secret: JsonStr<'a>,
    /// `registrationExpiresAt`.
    pub registration_expires_at: JsonStr<'a>,
}

impl fmt::Debug for RefreshRegistration<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshRegistration")
            .field("client_id", &self.client_id)
            .field("registration_expires_at", &self.registration_expires_at)
            .finish_non_exhaustive()
    }
}

/// How many seconds before expiry botocore's token provider refreshes an `sso-session` token.
pub const REFRESH_WINDOW_SECS: i64 = 15 * 60;

impl<'a> SsoToken<'a> {
    /// Reads a cache file.
    pub fn parse(text: &'a str) -> Result<SsoToken<'a>, SsoDocumentError> {
        let d = SsoDocument::TokenCache;
        let f = read_object(text, text, 0, &TOKEN_KEYS, &TOKEN_KEYS, d)?;
        let [a, e, r, ci, cs, re, rg, su] = f;
        let s = |v, k| string(text, v, k, d);
        Ok(SsoToken {
            access_token: s(a, "accessToken")?.ok_or(missing("accessToken", d))?,
            expires_at: s(e, "expiresAt")?.ok_or(missing("expiresAt", d))?,
            refresh_token: s(r, "refreshToken")?,
            client_id: s(ci, "clientId")?,
            client_secret: s(cs, "clientSecret")?,
            registration_expires_at: s(re, "registrationExpiresAt")?,
            region: s(rg, "region")?,
            start_url: s(su, "startUrl")?,
        })
    }

    /// Reads a cache file given as bytes.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<SsoToken<'a>, SsoDocumentError> {
        SsoToken::parse(utf8(bytes, SsoDocument::TokenCache)?)
    }

    /// `expiresAt` read with [`parse_expires_at`].
    pub fn expires_at(&self) -> Result<Timestamp, TimeError> {
        parse_json_timestamp(&self.expires_at)
    }

    /// Whether the token has expired at `now` (botocore: `expiresAt - now <= 0` →
    /// `UnauthorizedSSOTokenError` for a legacy profile).
    pub fn is_expired(&self, now: Timestamp) -> Result<bool, TimeError> {
        Ok(self.expires_at()? <= now)
    }

    /// Whether an `sso-session` token should be refreshed at `now`: less than
    /// [`REFRESH_WINDOW_SECS`] left.
    pub fn needs_refresh(&self, now: Timestamp) -> Result<bool, TimeError> {
        Ok(self.expires_at()? < now.saturating_add_secs(REFRESH_WINDOW_SECS))
    }

    /// What a refresh needs, when the file has it all (botocore logs "missing keys" and does
    /// not refresh otherwise).
    #[must_use]
    pub fn registration(&self) -> Option<RefreshRegistration<'a>> {
        Some(RefreshRegistration {
            refresh_token: self.refresh_token?,
            client_id: self.client_id?,
            client_secret: self.client_secret?,
            registration_expires_at: self.registration_expires_at?,
        })
    }
}

impl SsoToken<'_> {
    /// The keys a refresh needs that the file lacks, in botocore's order (`refreshToken`,
    /// `clientId`, `clientSecret`, `registrationExpiresAt`); botocore logs them ("Unable to
    /// refresh SSO token: missing keys: […]") and does not refresh.
    pub fn missing_registration_keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        [
            ("refreshToken", self.refresh_token.is_none()),
            ("clientId", self.client_id.is_none()),
            ("clientSecret", self.client_secret.is_none()),
            (
                "registrationExpiresAt",
                self.registration_expires_at.is_none(),
            ),
        ]
        .into_iter()
        .filter(|(_, missing)| *missing)
        .map(|(key, _)| key)
    }
}

/// Why an `sso-session` token could not be had through the refresh step (spec §8.3), for the
/// failures that are neither a service answer nor a transport error. Each has botocore's
/// exception class ([`botocore_class`](Self::botocore_class)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SsoRefreshFailure {
    /// The token has expired and no refresh replaced it — the file has no client registration,
    /// the registration has expired, or SSO OIDC refused the refresh: botocore's
    /// `TokenRetrievalError` ("Token has expired and refresh failed"). `aws sso login` is the
    /// way out.
    Expired,
    /// The `[sso-session]` section lacks `sso_start_url` or `sso_region`: botocore's token
    /// provider reads them from that section alone (`InvalidConfigError`), even when the
    /// profile has them.
    SessionIncomplete,
    /// The refreshed token could not be written back to the cache (botocore lets the
    /// `OSError` through).
    CacheWrite,
}

impl SsoRefreshFailure {
    /// botocore's exception class.
    #[must_use]
    pub const fn botocore_class(&self) -> &'static str {
        match self {
            SsoRefreshFailure::Expired => "TokenRetrievalError",
            SsoRefreshFailure::SessionIncomplete => "InvalidConfigError",
            SsoRefreshFailure::CacheWrite => "OSError",
        }
    }
}

impl fmt::Display for SsoRefreshFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SsoRefreshFailure::Expired => {
                "Error when retrieving token from sso: Token has expired and refresh failed"
            }
            SsoRefreshFailure::SessionIncomplete => {
                "the sso-session section lacks sso_start_url or sso_region"
            }
            SsoRefreshFailure::CacheWrite => {
                "the refreshed SSO token could not be written to the token cache"
            }
        })
    }
}

impl RefreshRegistration<'_> {
    /// Whether the client registration is still valid at `now` (botocore refreshes only when
    /// `registrationExpiresAt - now > 0`).
    pub fn is_valid_at(&self, now: Timestamp) -> Result<bool, TimeError> {
        Ok(parse_json_timestamp(&self.registration_expires_at)? > now)
    }
}

/// How the refreshed `expiresAt` is written.
///
/// botocore 1.43.11's `SSOTokenProvider` writes the cache through its own `_sso_json_dumps`,
/// whose serializer formats a time with `strftime("%Y-%m-%dT%H:%M:%SZ")`: that is
/// [`Rfc3339`](Self::Rfc3339) (whole seconds, `Z`), the form credchain writes after a refresh
/// and the one `aws sso login` writes too. [`Botocore`](Self::Botocore) is the form of
/// `JSONFileCache`'s *default* serializer (`%Z`, giving `UTC`), which the token provider does
/// not use; both are read back by [`parse_expires_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ExpiresAtStyle {
    /// `2026-11-29T12:00:00UTC`: `JSONFileCache`'s default serializer
    /// (`strftime("%Y-%m-%dT%H:%M:%S%Z")`), as older botocore releases wrote refreshed tokens.
    Botocore,
    /// RFC 3339 in whole seconds, `2026-11-29T12:00:00Z`: what botocore 1.43.11's token
    /// provider writes after a refresh, and what the AWS CLI v2 and the SDKs write.
    #[default]
    Rfc3339,
}

/// A refreshed token to write back to the cache, in botocore's key order (its
/// `SSOTokenProvider._attempt_create_token`): `startUrl`, `region`,
/// `accessToken`, `expiresAt`, `clientId`, `clientSecret`, `registrationExpiresAt`,
/// `refreshToken` (only when `CreateToken` returned one). `Debug` hides the secrets.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefreshedToken<'a> {
    /// The session's `sso_start_url`.
    pub start_url: &'a str,
    /// The session's `sso_region`.
    pub region: &'a str,
    /// `accessToken` from `CreateToken`.
    pub access_token: &'a str,
    /// Now plus `expiresIn`.
    pub expires_at: Timestamp,
    /// `clientId` from the old cache.
    pub client_id: &'a str,
    /// `clientSecret` from the old cache.
    pub client_secret: &'a str,
    /// `registrationExpiresAt` from the old cache, as it was written.
    pub registration_expires_at: &'a str,
    /// `refreshToken` from `CreateToken`, when it returned one.
    pub refresh_token: Option<&'a str>,
}

impl fmt::Debug for RefreshedToken<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshedToken")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("expires_at", &self.expires_at)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl RefreshedToken<'_> {
    /// Writes the cache file's JSON into `buf` as Python's `json.dumps` writes it (separators
    /// `", "` and `": "`, non-ASCII as `\uxxxx`), with `expiresAt` in `style`
    /// ([`ExpiresAtStyle::Rfc3339`] is botocore 1.43.11's).
    ///
    /// ```
    /// use credchain_core::sso::{ExpiresAtStyle, RefreshedToken};
    /// use credchain_core::time::Timestamp;
    ///
    /// let t = RefreshedToken {
    ///     start_url: "https://d.awsapps.com/start", region: "us-east-1", access_token: "tok",
    ///     expires_at: Timestamp::from_unix_secs(1_795_969_632).unwrap(),
    ///     client_id: "cid", client_secret: "cs", registration_expires_at: "2027-01-01T00:00:00Z",
    ///     refresh_token: Some("rt"),
    /// };
    /// let mut buf = [0u8; 512];
    /// assert_eq!(t.write_json(ExpiresAtStyle::Botocore, &mut buf).unwrap(),
    ///     r#"{"startUrl": "https://d.awsapps.com/start", "region": "us-east-1", "accessToken": "tok", "expiresAt": "2026-11-29T16:27:12UTC", "clientId": "cid", "clientSecret": "cs", "registrationExpiresAt": "2027-01-01T00:00:00Z", "refreshToken": "rt"}"#);
    /// ```
    pub fn write_json<'b>(
        &self,
        style: ExpiresAtStyle,
        buf: &'b mut [u8],
    ) -> Result<&'b str, BufferTooSmall> {
        let mut time = [0u8; crate::time::RFC3339_LEN];
        let stamp = self.expires_at.format_rfc3339(&mut time)?;
        let mut w = Writer::new(buf);
        let mut first = true;
        let mut pair = |w: &mut Writer<'_>, k: &str, v: &str| {
            w.push_str(if first { "{" } else { ", " });
            first = false;
            push_py_json_str(w, k);
            w.push_str(": ");
            push_py_json_str(w, v);
        };
        pair(&mut w, "startUrl", self.start_url);
        pair(&mut w, "region", self.region);
        pair(&mut w, "accessToken", self.access_token);
        let expires = match style {
            ExpiresAtStyle::Rfc3339 => stamp,
            ExpiresAtStyle::Botocore => stamp.strip_suffix('Z').unwrap_or(stamp),
        };
        let mut e = [0u8; crate::time::RFC3339_LEN + 3];
        let mut ew = Writer::new(&mut e);
        ew.push_str(expires);
        if style == ExpiresAtStyle::Botocore {
            ew.push_str("UTC");
        }
        pair(&mut w, "expiresAt", ew.finish()?);
        pair(&mut w, "clientId", self.client_id);
        pair(&mut w, "clientSecret", self.client_secret);
        pair(
            &mut w,
            "registrationExpiresAt",
            self.registration_expires_at,
        );
        if let Some(r) = self.refresh_token {
            pair(&mut w, "refreshToken", r);
        }
        w.push_str("}");
        w.finish()
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
    fn sha1_names() {
        // sha1("") and sha1("abc"), the FIPS 180 examples.
        assert_eq!(
            Sha1Hex::of(b"").as_str(),
            "da39a3ee5e6b4b0d3255bfef95601890afd80709"
        );
        assert_eq!(
            CacheFileName::new(TokenCacheKey::SessionName("abc")).as_str(),
            "a9993e364706816aba3e25717850c26c9cd0d89d.json"
        );
    }

    #[test]
    fn token_file() {
        let t = SsoToken::parse(
            r#"{"startUrl": "https://x/start", "region": "us-east-1", "accessToken": "a\/b",
                "expiresAt": "2026-11-29T12:00:00UTC", "extra": [1, {"x": null}]}"#,
        )
        .unwrap();
        assert!(t.access_token.eq_str("a/b"));
        let exp = t.expires_at().unwrap();
        assert_eq!(exp.unix_secs(), 1_795_953_600);
        assert!(t.is_expired(exp).unwrap());
        assert!(!t.is_expired(exp.saturating_sub_secs(1)).unwrap());
        assert!(t.needs_refresh(exp.saturating_sub_secs(899)).unwrap());
        assert!(!t.needs_refresh(exp.saturating_sub_secs(900)).unwrap());
        assert!(t.registration().is_none());
        let e = SsoToken::parse(r#"{"accessToken": "a"}"#).unwrap_err();
        assert_eq!(
            text(e),
            "SSO token cache file: missing required key 'expiresAt'"
        );
        let t = SsoToken::parse(
            r#"{"accessToken": "a", "expiresAt": "2026-11-29T12:00:00Z", "clientId": "c",
                "registrationExpiresAt": "2027-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        let mut missing = t.missing_registration_keys();
        assert_eq!(missing.next(), Some("refreshToken"));
        assert_eq!(missing.next(), Some("clientSecret"));
        assert_eq!(missing.next(), None);
        assert_eq!(
            SsoRefreshFailure::Expired.botocore_class(),
            "TokenRetrievalError"
        );
        assert_eq!(
            text(SsoRefreshFailure::Expired),
            "Error when retrieving token from sso: Token has expired and refresh failed"
        );
        let e = SsoToken::parse(r#"{"accessToken": 1, "expiresAt": "x"}"#).unwrap_err();
        assert_eq!(e.position().unwrap().offset, 16);
    }
}
