//! Why a provider, or the cache in front of it, handed out no credentials.
//!
//! Every error names the provider (botocore's `method` string) and says which of three things
//! happened, because each is handled differently:
//!
//! | [`ErrorKind`] | a chain | the refresh machine ([`FetchFailure`]) |
//! |---|---|---|
//! | [`NotFound`](ErrorKind::NotFound): nothing here | goes on to the next provider (spec §1.3) | `Incomplete`: botocore's IMDS `{}` (spec §4.8, §5.2) |
//! | [`Failed`](ErrorKind::Failed): the source raised | stops, reporting this error | `Recoverable`: a later attempt may succeed |
//! | [`NonRecoverable`](ErrorKind::NonRecoverable): retrying will not help | stops | `NonRecoverable`: remembered for a few seconds under the cross-SDK policy |
//!
//! When the error passes through the cache, the cache adds its verdict
//! ([`refresh_error`](Error::refresh_error)): the first fetch failed, a refresh failed in the
//! mandatory window, the refreshed credentials were already expired, …
//!
//! A failure that was a timeout says so, and how long the limit was
//! ([`timed_out`](Error::timed_out)): the container endpoint's or the IMDS's request timeout,
//! `credential_process`'s deadline. The AWS SDK bridge maps it to `ProviderTimedOut`.
//!
//! Errors are cheap to clone (the cause is shared): when one fetch fails, every caller that
//! waited for it may receive the same error.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use credchain_core::refresh::{FetchFailure, RefreshError};

/// What kind of failure an [`Error`] is. See the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The provider does not apply or found nothing: a chain goes on to the next one.
    NotFound,
    /// The provider applies and failed (a timeout, a refused connection, a malformed document,
    /// a process that exited non-zero): a chain stops here; a later attempt may succeed.
    Failed,
    /// The provider failed in a way that retrying will not fix until something outside changes
    /// (an expired SSO session, a revoked grant).
    NonRecoverable,
}

impl ErrorKind {
    /// How the refresh machine classifies this failure.
    #[must_use]
    pub const fn fetch_failure(self) -> FetchFailure {
        match self {
            ErrorKind::NotFound => FetchFailure::Incomplete,
            ErrorKind::Failed => FetchFailure::Recoverable,
            ErrorKind::NonRecoverable => FetchFailure::NonRecoverable,
        }
    }
}

/// A provider or the cache handed out no credentials. See the [module documentation](self).
///
/// ```
/// use credchain::{Error, ErrorKind};
///
/// let e = Error::not_found("container-role", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
/// assert_eq!(e.kind(), ErrorKind::NotFound);
/// assert_eq!(e.to_string(), "container-role: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI are not set");
/// ```
#[derive(Debug, Clone)]
pub struct Error {
    provider: &'static str,
    kind: ErrorKind,
    cause: Option<Arc<dyn StdError + Send + Sync>>,
    refresh: Option<RefreshError>,
    timed_out: Option<Duration>,
}

impl Error {
    /// An error of `provider`, of `kind`, because of `cause` (an error, or a message).
    #[must_use]
    pub fn new(
        provider: &'static str,
        kind: ErrorKind,
        cause: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Error {
        Error {
            provider,
            kind,
            cause: Some(Arc::from(cause.into())),
            refresh: None,
            timed_out: None,
        }
    }

    /// `provider` found nothing: a chain goes on.
    #[must_use]
    pub fn not_found(
        provider: &'static str,
        why: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Error {
        Error::new(provider, ErrorKind::NotFound, why)
    }

    /// `provider` failed: a chain stops; a later attempt may succeed.
    #[must_use]
    pub fn failed(
        provider: &'static str,
        cause: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Error {
        Error::new(provider, ErrorKind::Failed, cause)
    }

    /// `provider` failed and retrying will not help.
    #[must_use]
    pub fn non_recoverable(
        provider: &'static str,
        cause: impl Into<Box<dyn StdError + Send + Sync>>,
    ) -> Error {
        Error::new(provider, ErrorKind::NonRecoverable, cause)
    }

    /// The cache's own error: the refresh machine said `refresh` without a source error to
    /// carry (the refreshed credentials were already expired).
    pub(crate) fn from_refresh(provider: &'static str, refresh: RefreshError) -> Error {
        Error {
            provider,
            kind: ErrorKind::Failed,
            cause: None,
            refresh: Some(refresh),
            timed_out: None,
        }
    }

    /// The same error with the cache's verdict attached.
    pub(crate) fn with_refresh(mut self, refresh: RefreshError) -> Error {
        self.refresh = Some(refresh);
        self
    }

    /// The same error, recorded as a timeout: the source ran into a limit of `after` (a
    /// request's timeout, a command's deadline).
    #[must_use]
    pub fn with_timeout(mut self, after: Duration) -> Error {
        self.timed_out = Some(after);
        self
    }

    /// The limit the source ran into, when this failure is a timeout. Errors of the default
    /// chain carry it when the container endpoint or the IMDS did not answer in time, or
    /// `credential_process` was killed at its deadline.
    #[must_use]
    pub fn timed_out(&self) -> Option<Duration> {
        self.timed_out
    }

    /// The provider that failed: botocore's `method` string (spec §1.1).
    #[must_use]
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// What kind of failure this is.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Whether the provider found nothing (a chain goes on).
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        self.kind == ErrorKind::NotFound
    }

    /// The cache's verdict, when the error came through a [`CredentialsCache`](crate::CredentialsCache).
    #[must_use]
    pub fn refresh_error(&self) -> Option<RefreshError> {
        self.refresh
    }

    /// How the refresh machine classifies this failure.
    #[must_use]
    pub fn fetch_failure(&self) -> FetchFailure {
        self.kind.fetch_failure()
    }
}

impl fmt::Display for Error {
    /// `provider: [the cache's verdict: ]cause`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.provider)?;
        match (&self.refresh, &self.cause) {
            (Some(r), Some(c)) => write!(f, "{r}: {c}"),
            (Some(r), None) => write!(f, "{r}"),
            (None, Some(c)) => write!(f, "{c}"),
            (None, None) => f.write_str("no credentials"),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.cause {
            Some(c) => Some(c.as_ref()),
            None => self
                .refresh
                .as_ref()
                .map(|r| r as &(dyn StdError + 'static)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_onto_fetch_failures() {
        assert_eq!(
            Error::not_found("iam-role", "x").fetch_failure(),
            FetchFailure::Incomplete
        );
        assert_eq!(
            Error::failed("iam-role", "x").fetch_failure(),
            FetchFailure::Recoverable
        );
        assert_eq!(
            Error::non_recoverable("sso", "x").fetch_failure(),
            FetchFailure::NonRecoverable
        );
    }

    #[test]
    fn display_names_the_provider_and_the_verdict() {
        let e = Error::failed("container-role", "connection refused")
            .with_refresh(RefreshError::MandatoryRefreshFailed);
        assert_eq!(
            e.to_string(),
            "container-role: refreshing temporary credentials failed during the mandatory \
             refresh period: connection refused"
        );
        assert!(e.source().is_some());
        let s = Error::from_refresh("env", RefreshError::StillExpired);
        assert_eq!(
            s.to_string(),
            "env: Credentials were refreshed, but the refreshed credentials are still expired."
        );
        assert_eq!(s.kind(), ErrorKind::Failed);
    }

    #[test]
    fn a_timeout_is_a_fact_that_survives_the_cache_verdict() {
        let e = Error::failed("custom-process", "killed at the deadline")
            .with_timeout(Duration::from_millis(250));
        assert_eq!(e.timed_out(), Some(Duration::from_millis(250)));
        let e = e.with_refresh(RefreshError::MandatoryRefreshFailed);
        assert_eq!(e.timed_out(), Some(Duration::from_millis(250)));
        assert_eq!(Error::failed("iam-role", "refused").timed_out(), None);
    }
}
