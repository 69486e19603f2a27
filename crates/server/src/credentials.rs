//! What the servers hand out: temporary credentials, where they come from, and how they rotate.
//!
//! ## Sources
//!
//! A server asks a [`CredentialSource`] for the credentials to serve on every request, passing
//! the current time of its [`Clock`](crate::Clock). Three kinds are provided:
//!
//! - [`Rotating`] (the default): generated credentials that rotate the way the EC2 User Guide
//!   describes, "new credentials available at least five minutes before the expiration of the
//!   old credentials" (imds-and-tools §2.4). See [`Rotation`].
//! - [`Credentials`] itself: fixed credentials supplied by the caller, served as they are, even
//!   when already expired (to test a client's static-stability extension, spec §4.8).
//! - any closure `Fn(Timestamp) -> Credentials`: how a program serves credentials it resolved
//!   itself (the CLI's `serve` command serves the credentials of the default chain this way).
//!
//! ## Rotation
//!
//! Real IMDS does not document the lifetime of role credentials; observations put it at about
//! six hours, refreshed about hourly (imds-and-tools §2.4). [`Rotation::default`] follows that:
//! a generation is issued every hour and is valid for six. Generation *k* is issued at
//! `anchor + k × period` (the anchor being the first time the source is asked) and expires at
//! `issued + validity`. A client therefore always receives credentials with at least
//! `validity − period` left, and [`Rotation::new`] refuses any schedule where that is below
//! five minutes, the overlap AWS promises.
//!
//! Time that jumps forward by several periods skips straight to the generation current at the
//! new time; time that goes backwards keeps serving the current generation (rotation only moves
//! forward, as it does on an instance).

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use credchain_core::time::Timestamp;

use crate::{Error, random};

/// A set of temporary AWS credentials, as a server serves them.
///
/// `Debug` shows the access key id and the times, never the secret key or the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AccessKeyId`, such as `ASIA…` for temporary credentials.
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: String,
    /// `Token`: the session token.
    pub session_token: String,
    /// `Expiration`: when the credentials stop working.
    pub expiration: Timestamp,
    /// `LastUpdated` in IMDS documents: when this generation was issued.
    pub last_updated: Timestamp,
    /// `AccountId`, served by the container endpoint, and by IMDS when asked to
    /// ([`ImdsSettings::include_account_id`](crate::ImdsSettings::include_account_id)).
    pub account_id: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .field("last_updated", &self.last_updated)
            .field("account_id", &self.account_id)
            .finish()
    }
}

const KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Credentials {
    /// Fresh random credentials shaped like STS's: an `ASIA` key id of 20 characters, a
    /// 40-character secret, a long base64 session token; issued at `issued`, expiring at
    /// `expiration`.
    pub fn generate(issued: Timestamp, expiration: Timestamp) -> Result<Credentials, Error> {
        let mut token = [0u8; 240];
        random::fill(&mut token)?;
        Ok(Credentials {
            access_key_id: format!("ASIA{}", random::string_from(KEY_ALPHABET, 16)?),
            secret_access_key: random::string_from(SECRET_ALPHABET, 40)?,
            session_token: format!("IQoJb3JpZ2luX2Vj{}", random::base64(&token)),
            expiration,
            last_updated: issued,
            account_id: None,
        })
    }
}

/// Why a [`CredentialSource`] had nothing to serve. The server answers such a request with a
/// 500 and never includes the message in the body (it may name internal details); the message
/// goes to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    message: String,
}

impl SourceError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> SourceError {
        SourceError {
            message: message.into(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no credentials to serve: {}", self.message)
    }
}

impl std::error::Error for SourceError {}

impl From<Error> for SourceError {
    fn from(e: Error) -> SourceError {
        SourceError::new(e.to_string())
    }
}

/// Where a server gets the credentials it serves, asked afresh on every request with the
/// server clock's current time.
pub trait CredentialSource: Send + Sync {
    /// The credentials to serve at `now`.
    fn credentials(&self, now: Timestamp) -> Result<Credentials, SourceError>;

    /// Issues a new generation now, if this source rotates (the "rotate now" control); the
    /// default does nothing.
    fn rotate(&self, now: Timestamp) {
        let _ = now;
    }
}

impl<F> CredentialSource for F
where
    F: Fn(Timestamp) -> Credentials + Send + Sync,
{
    fn credentials(&self, now: Timestamp) -> Result<Credentials, SourceError> {
        Ok(self(now))
    }
}

/// Fixed credentials, served as they are whatever the time.
impl CredentialSource for Credentials {
    fn credentials(&self, _now: Timestamp) -> Result<Credentials, SourceError> {
        Ok(self.clone())
    }
}

/// The schedule of a [`Rotating`] source: a new generation every `period`, each valid for
/// `validity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    period: Duration,
    validity: Duration,
}

/// The overlap AWS promises between a new generation and the expiry of the previous one.
pub const MIN_OVERLAP: Duration = Duration::from_secs(5 * 60);

impl Default for Rotation {
    /// Hourly rotation, six hours of validity (imds-and-tools §2.4).
    fn default() -> Self {
        Rotation {
            period: Duration::from_secs(3600),
            validity: Duration::from_secs(6 * 3600),
        }
    }
}

impl Rotation {
    /// A schedule issuing a generation every `period`, each valid for `validity`.
    ///
    /// Fails unless `period` is at least one second and `validity` exceeds `period` by at least
    /// [`MIN_OVERLAP`]: a client must always be able to get credentials with five minutes left.
    pub fn new(period: Duration, validity: Duration) -> Result<Rotation, Error> {
        if period < Duration::from_secs(1) {
            return Err(Error::config(
                "rotation period",
                "must be at least one second",
            ));
        }
        if validity.saturating_sub(period) < MIN_OVERLAP {
            return Err(Error::config(
                "rotation validity",
                format!(
                    "must exceed the period ({} s) by at least {} s, got {} s",
                    period.as_secs(),
                    MIN_OVERLAP.as_secs(),
                    validity.as_secs()
                ),
            ));
        }
        if validity > Duration::from_secs(10 * 365 * 86_400) {
            return Err(Error::config(
                "rotation validity",
                "must be under ten years",
            ));
        }
        Ok(Rotation { period, validity })
    }

    /// How often a new generation is issued.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// How long each generation is valid.
    pub fn validity(&self) -> Duration {
        self.validity
    }

    /// The least time left on the credentials served at any moment: `validity − period`.
    pub fn overlap(&self) -> Duration {
        self.validity.saturating_sub(self.period)
    }
}

/// Generated credentials rotating on a [`Rotation`] schedule. See the [module docs](self).
#[derive(Debug)]
pub struct Rotating {
    rotation: Rotation,
    account_id: Option<String>,
    state: Mutex<RotatingState>,
}

#[derive(Debug, Default)]
struct RotatingState {
    anchor: Option<Timestamp>,
    current: Option<(u64, Credentials)>,
}

impl Rotating {
    /// A rotating source on this schedule.
    pub fn new(rotation: Rotation) -> Rotating {
        Rotating {
            rotation,
            account_id: None,
            state: Mutex::new(RotatingState::default()),
        }
    }

    /// Sets the `AccountId` carried by every generation.
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> Rotating {
        self.account_id = Some(account_id.into());
        self
    }

    /// The schedule.
    pub fn rotation(&self) -> Rotation {
        self.rotation
    }

    fn issue(&self, issued: Timestamp) -> Result<Credentials, Error> {
        let expiration = issued
            .checked_add(self.rotation.validity)
            .unwrap_or(Timestamp::MAX);
        let mut c = Credentials::generate(issued, expiration)?;
        c.account_id.clone_from(&self.account_id);
        Ok(c)
    }
}

impl CredentialSource for Rotating {
    fn credentials(&self, now: Timestamp) -> Result<Credentials, SourceError> {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let anchor = *st.anchor.get_or_insert(now);
        let period = i128::try_from(self.rotation.period.as_nanos()).unwrap_or(i128::MAX);
        let elapsed = now.nanos_since(anchor);
        let generation = if elapsed <= 0 {
            0
        } else {
            u64::try_from(elapsed.checked_div(period).unwrap_or(0)).unwrap_or(u64::MAX)
        };
        if let Some((current, creds)) = &st.current {
            // Time that went backwards keeps the current generation.
            if *current >= generation {
                return Ok(creds.clone());
            }
        }
        let offset = i128::from(generation).saturating_mul(period);
        let issued = crate::clock::shift(anchor, offset).trunc_secs();
        let creds = self.issue(issued)?;
        st.current = Some((generation, creds.clone()));
        Ok(creds)
    }

    fn rotate(&self, now: Timestamp) {
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match self.issue(now.trunc_secs()) {
            Ok(creds) => {
                st.anchor = Some(now);
                st.current = Some((0, creds));
            }
            Err(e) => tracing::warn!(error = %e, "could not rotate credentials"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn generated_credentials_look_like_sts() {
        let c =
            Credentials::generate(ts("2026-01-01T00:00:00Z"), ts("2026-01-01T06:00:00Z")).unwrap();
        assert_eq!(c.access_key_id.len(), 20);
        assert!(c.access_key_id.starts_with("ASIA"));
        assert!(
            c.access_key_id[4..]
                .bytes()
                .all(|b| KEY_ALPHABET.contains(&b))
        );
        assert_eq!(c.secret_access_key.len(), 40);
        assert!(c.session_token.len() > 300);
        let debug = format!("{c:?}");
        assert!(!debug.contains(&c.secret_access_key));
        assert!(!debug.contains(&c.session_token));
    }

    #[test]
    fn rotation_requires_five_minutes_of_overlap() {
        let h = Duration::from_secs(3600);
        assert!(Rotation::new(h, h + Duration::from_secs(299)).is_err());
        assert!(Rotation::new(h, h).is_err());
        assert!(Rotation::new(Duration::ZERO, h).is_err());
        let r = Rotation::new(h, h + MIN_OVERLAP).unwrap();
        assert_eq!(r.overlap(), MIN_OVERLAP);
        assert_eq!(Rotation::default().overlap(), Duration::from_secs(5 * 3600));
    }

    #[test]
    fn rotating_source_follows_the_schedule() {
        let src = Rotating::new(Rotation::default());
        let t0 = ts("2026-01-01T00:00:00Z");
        let g0 = src.credentials(t0).unwrap();
        assert_eq!(g0.last_updated, t0);
        assert_eq!(g0.expiration, ts("2026-01-01T06:00:00Z"));
        // Same generation until the period ends.
        assert_eq!(src.credentials(ts("2026-01-01T00:59:59Z")).unwrap(), g0);
        let g1 = src.credentials(ts("2026-01-01T01:00:00Z")).unwrap();
        assert_ne!(g1.access_key_id, g0.access_key_id);
        assert_eq!(g1.last_updated, ts("2026-01-01T01:00:00Z"));
        assert_eq!(g1.expiration, ts("2026-01-01T07:00:00Z"));
        // A jump of many periods lands on the generation current then.
        let g9 = src.credentials(ts("2026-01-01T09:30:00Z")).unwrap();
        assert_eq!(g9.last_updated, ts("2026-01-01T09:00:00Z"));
        // Time going backwards keeps the current generation.
        assert_eq!(src.credentials(ts("2026-01-01T02:00:00Z")).unwrap(), g9);
        // Rotate now starts a new schedule at now.
        src.rotate(ts("2026-01-01T09:45:00Z"));
        let r = src.credentials(ts("2026-01-01T09:45:01Z")).unwrap();
        assert_ne!(r, g9);
        assert_eq!(r.last_updated, ts("2026-01-01T09:45:00Z"));
        assert_eq!(
            src.credentials(ts("2026-01-01T10:45:00Z"))
                .unwrap()
                .last_updated,
            ts("2026-01-01T10:45:00Z")
        );
    }

    #[test]
    fn closures_and_fixed_credentials_are_sources() {
        let fixed =
            Credentials::generate(ts("2020-01-01T00:00:00Z"), ts("2020-01-01T01:00:00Z")).unwrap();
        assert_eq!(
            fixed.credentials(ts("2030-01-01T00:00:00Z")).unwrap(),
            fixed
        );
        let f2 = fixed.clone();
        let closure = move |now: Timestamp| Credentials {
            last_updated: now,
            ..f2.clone()
        };
        let got = closure.credentials(ts("2030-01-01T00:00:00Z")).unwrap();
        assert_eq!(got.last_updated, ts("2030-01-01T00:00:00Z"));
    }
}
