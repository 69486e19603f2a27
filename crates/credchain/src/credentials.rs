//! Owned credentials: what a provider hands out and what the cache keeps.
//!
//! A set of AWS credentials is an access key id (not secret: it shows in CloudTrail and in
//! error messages), a secret access key, an optional session token, an optional expiry, and,
//! for credchain, the account they belong to when the source said so and the provider that
//! found them (botocore's `method` string, spec §1.1: `env`, `iam-role`, `container-role`, …).
//!
//! The secret key and the token are held in [`Zeroizing`] strings: their bytes are overwritten
//! when the credentials are dropped (best effort: copies an allocator made earlier, or that a
//! caller made with [`expose_secret_access_key`](Credentials::expose_secret_access_key), are out
//! of reach). `Debug` and `Display` print the access key id, whether there is a token, the
//! expiry and the provider; never the secret key or the token.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credchain_core::time::Timestamp;
use zeroize::Zeroizing;

/// A set of AWS credentials, owned. See the [module documentation](self).
///
/// The expiry is a [`SystemTime`] (wall-clock time): it is compared with the cache's
/// [`Clock`](crate::Clock), in whole Unix seconds ([`expiry_unix_secs`](Self::expiry_unix_secs)).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use credchain::Credentials;
///
/// let creds = Credentials::new("ASIAEXAMPLE", "wJalrXUtnFEMI", Some("IQoJb3JpZ2lu".into()), "env")
///     .with_expiry(Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600)));
/// let shown = format!("{creds} {creds:?}");
/// assert!(shown.contains("ASIAEXAMPLE") && shown.contains("2026-01-01T00:00:00Z"));
/// assert!(!shown.contains("wJalrXUtnFEMI") && !shown.contains("IQoJb3JpZ2lu"));
/// assert_eq!(creds.expose_secret_access_key(), "wJalrXUtnFEMI");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
    expiry: Option<SystemTime>,
    account_id: Option<String>,
    provider: &'static str,
}

impl Credentials {
    /// Credentials without an expiry or an account id, found by `provider` (botocore's `method`
    /// string, such as `"env"` or `"explicit"`).
    #[must_use]
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        provider: &'static str,
    ) -> Credentials {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
            session_token: session_token.map(Zeroizing::new),
            expiry: None,
            account_id: None,
            provider,
        }
    }

    /// The same credentials expiring at `expiry` (`None`: never; such credentials are never
    /// refreshed, spec §5.1).
    #[must_use]
    pub fn with_expiry(mut self, expiry: Option<SystemTime>) -> Credentials {
        self.expiry = expiry;
        self
    }

    /// The same credentials with the account id the source gave.
    #[must_use]
    pub fn with_account_id(mut self, account_id: Option<String>) -> Credentials {
        self.account_id = account_id;
        self
    }

    /// Converts what `credchain-http` fetched (IMDS, the container endpoint), found by
    /// `provider`. The secrets move from one zeroizing wrapper to the other; the original is
    /// wiped when dropped.
    #[must_use]
    pub fn from_http(c: &credchain_http::Credentials, provider: &'static str) -> Credentials {
        let token = c.session_token.expose();
        Credentials {
            access_key_id: c.access_key_id.clone(),
            secret_access_key: Zeroizing::new(c.secret_access_key.expose().to_owned()),
            session_token: Some(Zeroizing::new(token.to_owned())),
            expiry: Some(timestamp_to_system_time(c.expiration)),
            account_id: c.account_id.clone(),
            provider,
        }
    }

    /// The access key id (`AKIA…` for long-term keys, `ASIA…` for temporary ones).
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key. Named so that every place that reads it says so: sign with it,
    /// never log it.
    #[must_use]
    pub fn expose_secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token, for temporary credentials. Like the secret key, never to be logged.
    #[must_use]
    pub fn expose_session_token(&self) -> Option<&str> {
        self.session_token.as_deref().map(String::as_str)
    }

    /// Whether there is a session token (temporary credentials).
    #[must_use]
    pub fn has_session_token(&self) -> bool {
        self.session_token.is_some()
    }

    /// When the credentials stop working; `None`: they do not expire.
    #[must_use]
    pub fn expiry(&self) -> Option<SystemTime> {
        self.expiry
    }

    /// The expiry in whole Unix seconds, rounded down (an expiry with a fraction of a second is
    /// treated as reached at the start of that second: never late). What the refresh machine
    /// compares.
    #[must_use]
    pub fn expiry_unix_secs(&self) -> Option<i64> {
        self.expiry.map(unix_secs_floor)
    }

    /// The account the credentials belong to, when the source said (the container endpoint, IMDS
    /// documents that carry `AccountId`, `credential_process` output).
    #[must_use]
    pub fn account_id(&self) -> Option<&str> {
        self.account_id.as_deref()
    }

    /// The provider that found them: botocore's `method` string (spec §1.1).
    #[must_use]
    pub fn provider(&self) -> &'static str {
        self.provider
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("provider", &self.provider)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &Redacted)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| Redacted),
            )
            .field("expiry", &self.expiry.map(Rfc3339))
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl fmt::Display for Credentials {
    /// `ASIA… from iam-role (session token, expires 2026-01-01T06:00:00Z)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {} (", self.access_key_id, self.provider)?;
        f.write_str(if self.session_token.is_some() {
            "session token"
        } else {
            "no session token"
        })?;
        match self.expiry {
            Some(e) => write!(f, ", expires {}", Rfc3339(e))?,
            None => f.write_str(", no expiry")?,
        }
        if let Some(a) = &self.account_id {
            write!(f, ", account {a}")?;
        }
        f.write_str(")")
    }
}

struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A `SystemTime` printed as RFC 3339 (UTC, whole seconds unless it has a fraction).
struct Rfc3339(SystemTime);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match system_time_to_timestamp(self.0) {
            Some(t) => write!(f, "{t}"),
            None => write!(f, "{:?}", self.0),
        }
    }
}

impl fmt::Debug for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Whole Unix seconds, rounded down (towards the past), saturating at the ends of `i64`.
pub(crate) fn unix_secs_floor(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => {
            let before = e.duration();
            let secs = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
            let partial = i64::from(before.subsec_nanos() > 0);
            secs.saturating_add(partial).saturating_neg()
        }
    }
}

/// The `SystemTime` of a core [`Timestamp`].
pub(crate) fn timestamp_to_system_time(t: Timestamp) -> SystemTime {
    let secs = t.unix_secs();
    let nanos = Duration::from_nanos(u64::from(t.subsec_nanos()));
    let whole = Duration::from_secs(secs.unsigned_abs());
    let base = if secs >= 0 {
        UNIX_EPOCH.checked_add(whole)
    } else {
        UNIX_EPOCH.checked_sub(whole)
    };
    base.and_then(|b| b.checked_add(nanos))
        .unwrap_or(UNIX_EPOCH)
}

fn system_time_to_timestamp(t: SystemTime) -> Option<Timestamp> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => Timestamp::UNIX_EPOCH.checked_add(d),
        Err(e) => Timestamp::UNIX_EPOCH.checked_sub(e.duration()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_rounds_towards_the_past() {
        let at = |s: u64, n: u32| UNIX_EPOCH + Duration::new(s, n);
        assert_eq!(unix_secs_floor(at(10, 0)), 10);
        assert_eq!(unix_secs_floor(at(10, 999_999_999)), 10);
        assert_eq!(unix_secs_floor(UNIX_EPOCH - Duration::new(1, 0)), -1);
        assert_eq!(unix_secs_floor(UNIX_EPOCH - Duration::new(1, 1)), -2);
    }

    #[test]
    fn timestamps_convert_both_ways() {
        for text in [
            "2026-01-01T06:00:00Z",
            "1969-12-31T23:59:59Z",
            "2026-01-01T06:00:00.5Z",
        ] {
            let t = Timestamp::parse(text).unwrap();
            let s = timestamp_to_system_time(t);
            assert_eq!(system_time_to_timestamp(s), Some(t), "{text}");
        }
    }

    #[test]
    fn printing_never_shows_secrets() {
        let c = Credentials::new("AKIDEXAMPLE", "s3cr3t-key", Some("t0k3n".into()), "env")
            .with_account_id(Some("123456789012".into()));
        let shown = format!("{c} {c:?} {c:#?}");
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("t0k3n"),
            "{shown}"
        );
        assert!(shown.contains("AKIDEXAMPLE") && shown.contains("123456789012"));
        assert_eq!(
            c.to_string(),
            "AKIDEXAMPLE from env (session token, no expiry, account 123456789012)"
        );
    }
}
