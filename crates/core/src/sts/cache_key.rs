//! The key an assumed role's credentials are cached under (spec §8.5).
//!
//! botocore's role fetchers (`AssumeRoleCredentialFetcher`,
//! `AssumeRoleWithWebIdentityCredentialFetcher`) look in a cache before they call STS. In
//! boto3 that cache is a dictionary that lives as long as the session; the AWS CLI plugs in a
//! `JSONFileCache` on `~/.aws/cli/cache`, one `<key>.json` file per role. A program that
//! computes the same key reads the files the CLI wrote and writes files the CLI reads, so an
//! MFA-protected role is prompted for once, whoever asks first.
//!
//! The key is what botocore's `_create_cache_key` makes of the arguments of the STS call:
//!
//! 1. the keyword arguments: `RoleArn`, and those the profile sets — `RoleSessionName`,
//!    `ExternalId`, `SerialNumber` (the `mfa_serial`), `DurationSeconds` (a JSON number);
//!    `RoleSessionName` is left out when botocore generated it (`botocore-session-<time>`:
//!    no `role_session_name`, or an empty one), because it changes every second;
//! 2. written as `json.dumps(kwargs, sort_keys=True)` writes them: keys sorted, Python's
//!    default separators `", "` and `": "`, and every character outside `' '..='~'` escaped
//!    (`\n`, `\"`, `\\` and the other short escapes, then `\u00e9`, surrogate pairs beyond the
//!    BMP, lower-case hex);
//! 3. the SHA-1 of that text's UTF-8, in lower-case hex;
//! 4. passed through botocore's file-name sanitiser (`:`, `/` and the path separator become
//!    `_`), which never changes 40 hex digits.
//!
//! A `Policy` argument would be parsed and written back with sorted keys first; botocore's
//! profile configuration never sets one (nor does credchain's), so it has no field here.
//!
//! For web identity the key has `RoleArn` and `RoleSessionName` only: the token is not part
//! of it (a new token still finds the cached credentials).
//!
//! Nothing is buffered: the JSON is fed to the hash a piece at a time.
//!
//! ```
//! use credchain_core::sts::cache_key::AssumeRoleKey;
//!
//! let key = AssumeRoleKey {
//!     role_arn: "arn:aws:iam::123456789012:role/admin",
//!     role_session_name: None,
//!     external_id: None,
//!     serial_number: None,
//!     duration_seconds: None,
//! }
//! .cache_key();
//! // sha1('{"RoleArn": "arn:aws:iam::123456789012:role/admin"}')
//! assert_eq!(key.as_str().len(), 40);
//! ```

use sha1::{Digest, Sha1};

use crate::sso::{Sha1Hex, hash_py_json_str};

/// The arguments of an `AssumeRole` call that make its cache key (the profile's `role_arn`,
/// `role_session_name`, `external_id`, `mfa_serial`, `duration_seconds`; spec §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssumeRoleKey<'a> {
    /// `RoleArn`.
    pub role_arn: &'a str,
    /// `RoleSessionName` as configured: `None` or empty when botocore generates it (and then it
    /// is not part of the key).
    pub role_session_name: Option<&'a str>,
    /// `ExternalId`, when the profile has `external_id` (even empty).
    pub external_id: Option<&'a str>,
    /// `SerialNumber`, when the profile has `mfa_serial` (even empty). The token code is not
    /// part of the key.
    pub serial_number: Option<&'a str>,
    /// `DurationSeconds`, when the profile's `duration_seconds` is an integer.
    pub duration_seconds: Option<i64>,
}

/// The arguments of an `AssumeRoleWithWebIdentity` call that make its cache key (spec §8.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebIdentityKey<'a> {
    /// `RoleArn`.
    pub role_arn: &'a str,
    /// `RoleSessionName` as configured: `None` or empty when botocore generates it.
    pub role_session_name: Option<&'a str>,
}

impl AssumeRoleKey<'_> {
    /// The cache key: the name (without `.json`) of the AWS CLI's cache file for this role.
    #[must_use]
    pub fn cache_key(&self) -> Sha1Hex {
        let mut d = Dumps::new();
        // `sort_keys=True`: the keys in code point order.
        if let Some(n) = self.duration_seconds {
            d.int("DurationSeconds", n);
        }
        if let Some(e) = self.external_id {
            d.str("ExternalId", e);
        }
        d.str("RoleArn", self.role_arn);
        if let Some(n) = self.role_session_name.filter(|n| !n.is_empty()) {
            d.str("RoleSessionName", n);
        }
        if let Some(s) = self.serial_number {
            d.str("SerialNumber", s);
        }
        d.finish()
    }
}

impl WebIdentityKey<'_> {
    /// The cache key: the name (without `.json`) of the AWS CLI's cache file for this role.
    #[must_use]
    pub fn cache_key(&self) -> Sha1Hex {
        let mut d = Dumps::new();
        d.str("RoleArn", self.role_arn);
        if let Some(n) = self.role_session_name.filter(|n| !n.is_empty()) {
            d.str("RoleSessionName", n);
        }
        d.finish()
    }
}

/// `json.dumps` of a flat object, fed to SHA-1 as it is written.
struct Dumps {
    hasher: Sha1,
    first: bool,
}

impl Dumps {
    fn new() -> Dumps {
        let mut hasher = Sha1::new();
        hasher.update(b"{");
        Dumps {
            hasher,
            first: true,
        }
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.hasher.update(b", ");
        }
        self.first = false;
        hash_py_json_str(&mut self.hasher, name);
        self.hasher.update(b": ");
    }

    fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        hash_py_json_str(&mut self.hasher, value);
    }

    fn int(&mut self, name: &str, value: i64) {
        self.key(name);
        // i64::MIN has 20 characters with its sign.
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = value.unsigned_abs();
        loop {
            at = at.saturating_sub(1);
            if let Some(slot) = digits.get_mut(at) {
                // `rest % 10` is below 10.
                *slot = b'0'.saturating_add(u8::try_from(rest % 10).unwrap_or(0));
            }
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if value < 0 {
            self.hasher.update(b"-");
        }
        self.hasher.update(digits.get(at..).unwrap_or(&[]));
    }

    fn finish(mut self) -> Sha1Hex {
        self.hasher.update(b"}");
        Sha1Hex::of_hasher(self.hasher)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha1_of(text: &str) -> Sha1Hex {
        Sha1Hex::of(text.as_bytes())
    }

    #[test]
    fn the_text_hashed_is_python_json_dumps() {
        let k = AssumeRoleKey {
            role_arn: "arn:aws:iam::123456789012:role/r",
            role_session_name: Some("s\u{e9}"),
            external_id: Some("a\"b\\c\n"),
            serial_number: Some(""),
            duration_seconds: Some(-900),
        };
        assert_eq!(
            k.cache_key(),
            sha1_of(
                "{\"DurationSeconds\": -900, \"ExternalId\": \"a\\\"b\\\\c\\n\", \"RoleArn\": \
                 \"arn:aws:iam::123456789012:role/r\", \"RoleSessionName\": \"s\\u00e9\", \
                 \"SerialNumber\": \"\"}"
            )
        );
    }

    #[test]
    fn a_generated_session_name_is_left_out() {
        let none = WebIdentityKey {
            role_arn: "arn:aws:iam::123456789012:role/w",
            role_session_name: None,
        };
        let empty = WebIdentityKey {
            role_session_name: Some(""),
            ..none
        };
        let want = sha1_of("{\"RoleArn\": \"arn:aws:iam::123456789012:role/w\"}");
        assert_eq!(none.cache_key(), want);
        assert_eq!(empty.cache_key(), want);
    }

    #[test]
    fn integers_at_the_edges() {
        for (n, text) in [
            (0i64, "0"),
            (i64::MAX, "9223372036854775807"),
            (i64::MIN, "-9223372036854775808"),
        ] {
            let k = AssumeRoleKey {
                role_arn: "r",
                role_session_name: None,
                external_id: None,
                serial_number: None,
                duration_seconds: Some(n),
            };
            let mut want = [0u8; 64];
            let mut w = crate::buf::Writer::new(&mut want);
            w.push_str("{\"DurationSeconds\": ");
            w.push_str(text);
            w.push_str(", \"RoleArn\": \"r\"}");
            assert_eq!(k.cache_key(), sha1_of(w.finish().unwrap()), "{n}");
        }
    }
}
