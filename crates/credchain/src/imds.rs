//! `iam-role`: the instance profile's credentials from the EC2 instance metadata service.
//!
//! [`ImdsProvider`] adapts `credchain-http`'s [`ImdsFetcher`] (which runs the core's IMDS
//! client: every decision of spec §4) to [`ProvideCredentials`]:
//!
//! | the fetcher | the provider |
//! |---|---|
//! | credentials | [`Credentials`] from `iam-role`, expiry as extended (spec §4.8) |
//! | `Unavailable` (disabled, `400` to the token request, every attempt failed, no credentials in the document) | [`ErrorKind::NotFound`](crate::ErrorKind::NotFound): a chain goes on; for the cache, botocore's `{}` ([`FetchFailure::Incomplete`](credchain_core::refresh::FetchFailure::Incomplete)) |
//! | `Refused` (`Code` not `Success`, credchain's improvement) | [`ErrorKind::Failed`](crate::ErrorKind::Failed) with `Code` and `Message` |
//! | an error (IMDSv1 disabled without a token, an oversized body, …) | [`ErrorKind::Failed`](crate::ErrorKind::Failed) |
//!
//! # Static stability
//!
//! The expiry extension (spec §4.8: an `Expiration` within `900 + randint(120, 600)` seconds of
//! now is moved to now plus that offset) is applied here, on every document, before the
//! credentials reach the cache: only the IMDS client knows whether `Expiration` had the exact
//! `%Y-%m-%dT%H:%M:%SZ` format botocore requires for it. It is configured by
//! [`ImdsConfig::static_stability`] (botocore's by default); the wall-clock time and the
//! jitter come from the fetcher's [`WallClock`] (the system clock and `getrandom` by default).
//!
//! # One fetcher, kept
//!
//! The provider keeps one fetcher behind an async mutex, so the IMDSv2 token (reused until
//! shortly before it expires, a credchain improvement) and the connection survive from one
//! refresh to the next. The fetcher borrows its configuration, so the configuration must be
//! `'static`: the default endpoint is; a custom endpoint read at run time is made `'static` once
//! when the chain is built (botocore also reads the IMDS settings once, spec §4.1), for example
//! with `Box::leak`.

use std::fmt;

use credchain_core::imds::ImdsConfig;
use credchain_http::{ImdsFetcher, ImdsOutcome, WallClock};
use tokio::sync::Mutex;

use crate::provider::ProvideCredentials;
use crate::{Credentials, Error};

/// botocore's `method` for the instance profile's credentials (spec §1.1).
pub const IAM_ROLE: &str = "iam-role";

/// Credentials of the instance profile from IMDS. See the [module documentation](self).
///
/// ```no_run
/// # async fn demo() -> Result<(), credchain::Error> {
/// use credchain::{CredentialsCache, ImdsProvider};
/// use credchain_core::imds::ImdsConfig;
///
/// let cache = CredentialsCache::new(ImdsProvider::new(ImdsConfig::default()));
/// let creds = cache.get().await?;
/// println!("{creds}");
/// # Ok(()) }
/// ```
pub struct ImdsProvider {
    fetcher: Mutex<ImdsFetcher<'static>>,
}

impl ImdsProvider {
    /// A provider for `config`, with a new HTTP client.
    #[must_use]
    pub fn new(config: ImdsConfig<'static>) -> ImdsProvider {
        ImdsProvider::with_fetcher(ImdsFetcher::new(config))
    }

    /// A provider for `config` whose expiry extension reads `clock` (a test pins the time and
    /// the jitter with it).
    #[must_use]
    pub fn with_wall_clock(config: ImdsConfig<'static>, clock: WallClock) -> ImdsProvider {
        ImdsProvider::with_fetcher(ImdsFetcher::new(config).wall_clock(clock))
    }

    /// A provider over a fetcher built by the caller.
    #[must_use]
    pub fn with_fetcher(fetcher: ImdsFetcher<'static>) -> ImdsProvider {
        ImdsProvider {
            fetcher: Mutex::new(fetcher),
        }
    }
}

impl fmt::Debug for ImdsProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsProvider").finish_non_exhaustive()
    }
}

impl ProvideCredentials for ImdsProvider {
    async fn provide(&self) -> Result<Credentials, Error> {
        let mut fetcher = self.fetcher.lock().await;
        match fetcher.role_credentials().await {
            Ok(ImdsOutcome::Credentials(found)) => {
                if let Some(e) = found.extension {
                    tracing::info!(
                        target: "credchain::imds",
                        minutes = e.minutes(),
                        "Attempting credential expiration extension due to a credential service \
                         availability issue. A refresh of these credentials will be attempted \
                         again within the next {} minutes.",
                        e.minutes()
                    );
                }
                tracing::info!(
                    target: "credchain::imds",
                    role = found.role_name.as_deref().unwrap_or(""),
                    "Found credentials from IAM Role"
                );
                Ok(Credentials::from_http(&found.credentials, IAM_ROLE))
            }
            Ok(ImdsOutcome::Unavailable(why)) => Err(Error::not_found(IAM_ROLE, why.to_string())),
            Ok(ImdsOutcome::Refused(refusal)) => Err(Error::failed(IAM_ROLE, refusal.to_string())),
            Ok(ImdsOutcome::InstanceProfile(_)) => Err(Error::failed(
                IAM_ROLE,
                "IMDS answered a credentials request with an instance profile",
            )),
            Err(e) => Err(Error::failed(IAM_ROLE, e)),
        }
    }
}
