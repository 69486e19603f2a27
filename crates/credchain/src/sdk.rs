//! # The AWS SDK for Rust, with credentials as boto3 finds them
//!
//! With the `aws-sdk` feature, credchain's providers are credentials providers of the AWS SDK
//! for Rust: they implement [`aws_credential_types::provider::ProvideCredentials`], so a
//! [`DefaultChain`] can stand where the SDK would put `aws-config`'s default chain, and an SDK
//! client then signs with the credentials the AWS CLI would have used, refreshed by botocore's
//! rules (spec §5) instead of the SDK's.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use aws_credential_types::provider::ProvideCredentials as _;
//! use credchain::DefaultChain;
//!
//! let chain = DefaultChain::builder().build()?;
//! let config = credchain::sdk::sdk_config_builder(chain)
//!     .region(aws_types::region::Region::new("eu-west-1"))
//!     .build();
//! // What an SDK client does before it signs a request:
//! let provider = config.credentials_provider().expect("set above");
//! let creds = provider.provide_credentials().await?;
//! println!("{} until {:?}", creds.access_key_id(), creds.expiry());
//! # Ok(()) }
//! ```
//!
//! The feature adds `aws-credential-types` and `aws-types` (and, through them,
//! `aws-smithy-types`, `aws-smithy-async`, `aws-smithy-runtime-api`), not `aws-config` and its
//! HTTP stack. Those crates need Rust 1.94.1, so the feature raises the MSRV to theirs.
//!
//! ## What is implemented
//!
//! The SDK's trait is implemented for [`DefaultChain`], [`CredentialsCache`], [`SharedProvider`],
//! [`StaticProvider`], [`ImdsProvider`] and [`ContainerProvider`]. Any other credchain
//! [`ProvideCredentials`] (your own) goes through the adapter [`SdkProvider`]. A
//! [`CredentialsCache`] also answers the SDK's `fallback_on_interrupt` with the credentials it
//! holds while they have not expired: when the SDK gives up waiting for a refresh, a caller
//! still gets the set that works.
//!
//! Only [`DefaultChain`] and [`CredentialsCache`] keep credentials between calls. The SDK puts
//! its own identity cache in front of any provider; that is harmless (it asks again when the
//! expiry comes near, and credchain's cache answers from memory until botocore would refresh).
//!
//! ## Credentials
//!
//! [`to_sdk_credentials`]: the access key id, the secret key, the session token, the expiry
//! (the same [`SystemTime`](std::time::SystemTime)), the account id where the source gave one
//! (IMDS documents with `AccountId`, the container endpoint, `credential_process`; the SDK uses
//! it for account-based endpoints), and the provider name (botocore's `method`: `env`,
//! `iam-role`, `container-role`, …). The SDK's credentials zeroize their secret on drop, as
//! credchain's do; neither prints it.
//!
//! ## Errors
//!
//! [`to_sdk_error`] maps credchain's three kinds of failure onto the SDK's
//! [`CredentialsError`] so that an SDK chain in front of credchain, and a caller matching on the
//! variant, decide as they would with the SDK's own providers:
//!
//! | credchain | SDK | why |
//! |---|---|---|
//! | [`ErrorKind::NotFound`] (nothing here; the whole chain found nothing) | `CredentialsNotLoaded` | the SDK's "go on to the next provider" |
//! | a request or a command that ran out of time | `ProviderTimedOut` with that timeout | IMDS and the container endpoint: the request's timeout; `credential_process`: its deadline |
//! | the chain stopped on the configuration (a missing or unparsable profile, partial keys, an invalid `credential_source`, a role loop, a bad IMDS or container setting) | `InvalidConfiguration` | fixing the files or the variables fixes it |
//! | any other failure ([`ErrorKind::Failed`], [`ErrorKind::NonRecoverable`]) | `ProviderError` | the source was asked and failed |
//!
//! The credchain [`Error`] is the SDK error's `source()`, so nothing is lost: its provider, its
//! kind, the cache's verdict, and the [`ChainFailure`] with botocore's exception class.
//! Messages never contain a secret or a token (they are credchain's own messages).

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{
    ProvideCredentials as SdkProvideCredentials, SharedCredentialsProvider, future,
};
use credchain_core::container::{AttemptFailure, ContainerError};
use credchain_core::http::TransportError;
use credchain_core::imds::ImdsError;
use credchain_core::refresh::policy::Window;
use credchain_fs::{ProcessError, ProcessErrorKind};

use crate::chain::ChainFailure;
use crate::{
    ContainerProvider, Credentials, CredentialsCache, DefaultChain, Error, ErrorKind, ImdsProvider,
    ProvideCredentials, SharedProvider, StaticProvider,
};

/// The SDK's credentials for credchain's: see the [module documentation](self#credentials).
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let ours = credchain::Credentials::new("ASIAEXAMPLE", "wJalrXUtnFEMI", Some("IQoJb3JpZ2lu".into()), "iam-role")
///     .with_expiry(Some(UNIX_EPOCH + Duration::from_secs(1_767_225_600)))
///     .with_account_id(Some("123456789012".into()));
/// let theirs = credchain::sdk::to_sdk_credentials(&ours);
/// assert_eq!(theirs.access_key_id(), "ASIAEXAMPLE");
/// assert_eq!(theirs.session_token(), Some("IQoJb3JpZ2lu"));
/// assert_eq!(theirs.expiry(), ours.expiry());
/// assert_eq!(theirs.account_id().map(|a| a.as_str()), Some("123456789012"));
/// assert!(!format!("{theirs:?}").contains("wJalrXUtnFEMI"));
/// ```
#[must_use]
pub fn to_sdk_credentials(c: &Credentials) -> aws_credential_types::Credentials {
    let mut b = aws_credential_types::Credentials::builder()
        .access_key_id(c.access_key_id())
        .secret_access_key(c.expose_secret_access_key())
        .provider_name(c.provider());
    b.set_session_token(c.expose_session_token().map(str::to_owned));
    b.set_expiry(c.expiry());
    b.set_account_id(c.account_id().map(Into::into));
    b.build()
}

/// The SDK's error for credchain's: see the [module documentation](self#errors).
///
/// ```
/// use aws_credential_types::provider::error::CredentialsError;
///
/// let e = credchain::Error::not_found("credential-chain", "Unable to locate credentials");
/// assert!(matches!(credchain::sdk::to_sdk_error(e), CredentialsError::CredentialsNotLoaded(_)));
/// let e = credchain::Error::failed("custom-process", "the program exited with status 1");
/// assert!(matches!(credchain::sdk::to_sdk_error(e), CredentialsError::ProviderError(_)));
/// ```
#[must_use]
pub fn to_sdk_error(e: Error) -> CredentialsError {
    if e.kind() == ErrorKind::NotFound {
        return CredentialsError::not_loaded(e);
    }
    if let Some(after) = timed_out(&e) {
        tracing::debug!(
            target: "credchain::sdk",
            provider = e.provider(),
            timeout_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
            "credentials provider timed out"
        );
        return CredentialsError::provider_timed_out(after);
    }
    if is_configuration(&e) {
        return CredentialsError::invalid_configuration(e);
    }
    CredentialsError::provider_error(e)
}

/// The exception classes (spec §1.4, §3, §8, §9) of a chain that stopped on its configuration:
/// something in the files or the variables is wrong, not the source it names.
const CONFIGURATION_CLASSES: &[&str] = &[
    "ProfileNotFound",
    "ConfigParseError",
    "ConfigNotFound",
    "PartialCredentialsError",
    "InvalidConfigError",
    "InfiniteLoopConfigError",
    "InvalidIMDSEndpointModeError",
    "InvalidIMDSEndpointError",
    // An IMDS timeout or attempt count that is not a number, a container URI that is not
    // allowed, a credential_process line that cannot be split.
    "ValueError",
    // An empty credential_process line.
    "IndexError",
    // An ec2-credentials file without its secret key.
    "KeyError",
    "credchain:TooManyHops",
];

fn is_configuration(e: &Error) -> bool {
    let Some(f) = chain_failure(e) else {
        return false;
    };
    if CONFIGURATION_CLASSES.contains(&f.class) {
        return true;
    }
    // A config or credentials file that is not UTF-8; the same class for a command's output is
    // the command's failure.
    f.class == "UnicodeDecodeError" && f.source != Some("custom-process")
}

fn chain_failure(e: &Error) -> Option<&ChainFailure> {
    StdError::source(e).and_then(|s| s.downcast_ref::<ChainFailure>())
}

/// The timeout a failure ran into, if it is one: the error's own [`Error::timed_out`] (the
/// default chain's failures carry it), else found in its causes (a provider's structured
/// error).
fn timed_out(e: &Error) -> Option<Duration> {
    if let Some(after) = e.timed_out() {
        return Some(after);
    }
    let per_request = match e.provider() {
        "container-role" => credchain_core::container::config::TIMEOUT,
        _ => Duration::from_secs(
            u64::try_from(credchain_core::imds::config::DEFAULT_TIMEOUT_SECS).unwrap_or(1),
        ),
    };
    let mut cause = StdError::source(e);
    while let Some(c) = cause {
        if let Some(found) = timeout_of(c, per_request) {
            return Some(found);
        }
        cause = c.source();
    }
    None
}

/// Whether `c` is a timeout, and of how long (`per_request` where the error does not say).
fn timeout_of(c: &(dyn StdError + 'static), per_request: Duration) -> Option<Duration> {
    let transport = |t: &TransportError| {
        matches!(
            t,
            TransportError::ConnectTimeout | TransportError::ReadTimeout
        )
        .then_some(per_request)
    };
    let container = |e: &ContainerError| match e {
        ContainerError::Transport(t)
        | ContainerError::RetrievalFailed {
            last: Some(AttemptFailure::Transport(t)),
            ..
        } => transport(t),
        _ => None,
    };
    if let Some(p) = c.downcast_ref::<ProcessError>() {
        return match p.kind {
            ProcessErrorKind::TimedOut { after } => Some(after),
            _ => None,
        };
    }
    if let Some(h) = c.downcast_ref::<credchain_http::Error>() {
        return match h {
            credchain_http::Error::Container { error, .. } => container(error),
            credchain_http::Error::Imds {
                error: ImdsError::Transport { error, .. },
                ..
            } => transport(error),
            _ => None,
        };
    }
    if let Some(e) = c.downcast_ref::<ContainerError>() {
        return container(e);
    }
    if let Some(ImdsError::Transport { error, .. }) = c.downcast_ref::<ImdsError>() {
        return transport(error);
    }
    if let Some(t) = c.downcast_ref::<TransportError>() {
        return transport(t);
    }
    if let Some(f) = c.downcast_ref::<ChainFailure>() {
        return f.timed_out;
    }
    None
}

/// An SDK [`SdkConfig`](aws_types::SdkConfig) builder whose credentials provider is
/// `provider` (any of the credchain providers, or [`SdkProvider`]). Set the region and the rest
/// as usual, then `build()` it and hand it to a client's `from_conf` / `new`.
#[must_use]
pub fn sdk_config_builder(
    provider: impl SdkProvideCredentials + 'static,
) -> aws_types::sdk_config::Builder {
    aws_types::SdkConfig::builder().credentials_provider(SharedCredentialsProvider::new(provider))
}

async fn provide_sdk<P: ProvideCredentials + ?Sized>(
    p: &P,
) -> aws_credential_types::provider::Result {
    match p.provide().await {
        Ok(c) => Ok(to_sdk_credentials(&c)),
        Err(e) => Err(to_sdk_error(e)),
    }
}

impl SdkProvideCredentials for DefaultChain {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match self.credentials().await {
                Ok(c) => Ok(to_sdk_credentials(&c)),
                Err(e) => Err(to_sdk_error(e)),
            }
        })
    }
}

impl<P: ProvideCredentials + 'static> SdkProvideCredentials for CredentialsCache<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            match self.get().await {
                Ok(c) => Ok(to_sdk_credentials(&c)),
                Err(e) => Err(to_sdk_error(e)),
            }
        })
    }

    /// The credentials the cache holds, while they have not expired by the cache's clock.
    fn fallback_on_interrupt(&self) -> Option<aws_credential_types::Credentials> {
        match self.window() {
            Window::Expired | Window::Empty => None,
            _ => self.cached().map(|held| to_sdk_credentials(&held)),
        }
    }
}

macro_rules! sdk_provider {
    ($($t:ty),*) => {$(
        impl SdkProvideCredentials for $t {
            fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                future::ProvideCredentials::new(provide_sdk(self))
            }
        }
    )*};
}

sdk_provider!(
    SharedProvider,
    StaticProvider,
    ImdsProvider,
    ContainerProvider
);

/// Any credchain [`ProvideCredentials`] as an SDK credentials provider: for your own providers
/// (the ones of this crate implement the SDK's trait themselves).
///
/// ```
/// use credchain::{Credentials, Error, ProvideCredentials};
/// use credchain::sdk::SdkProvider;
///
/// #[derive(Debug)]
/// struct FromVault;
///
/// impl ProvideCredentials for FromVault {
///     async fn provide(&self) -> Result<Credentials, Error> {
///         Err(Error::not_found("vault", "no vault configured"))
///     }
/// }
///
/// let config = credchain::sdk::sdk_config_builder(SdkProvider::new(FromVault)).build();
/// assert!(config.credentials_provider().is_some());
/// ```
#[derive(Clone)]
pub struct SdkProvider<P> {
    inner: P,
}

impl<P: ProvideCredentials> SdkProvider<P> {
    /// Wraps `provider`.
    #[must_use]
    pub fn new(provider: P) -> SdkProvider<P> {
        SdkProvider { inner: provider }
    }

    /// The provider inside.
    #[must_use]
    pub fn into_inner(self) -> P {
        self.inner
    }
}

impl<P> fmt::Debug for SdkProvider<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SdkProvider")
            .field(&std::any::type_name::<P>())
            .finish()
    }
}

impl<P: ProvideCredentials> SdkProvideCredentials for SdkProvider<P> {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(provide_sdk(&self.inner))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(source: Option<&'static str>, class: &'static str, message: &str) -> Error {
        Error::failed(
            source.unwrap_or("credential-chain"),
            ChainFailure {
                source,
                class,
                message: message.to_owned(),
                timed_out: None,
            },
        )
    }

    #[test]
    fn chain_failures_map_by_class() {
        let e = failure(
            None,
            "ProfileNotFound",
            "The config profile (dev) could not be found",
        );
        assert!(matches!(
            to_sdk_error(e),
            CredentialsError::InvalidConfiguration(_)
        ));
        let e = failure(
            Some("custom-process"),
            "UnicodeDecodeError",
            "the output is not UTF-8",
        );
        assert!(matches!(
            to_sdk_error(e),
            CredentialsError::ProviderError(_)
        ));
        let e = failure(None, "UnicodeDecodeError", "config is not UTF-8");
        assert!(matches!(
            to_sdk_error(e),
            CredentialsError::InvalidConfiguration(_)
        ));
        // A message that reads like a timeout is not one: the fact is structured.
        let e = failure(
            Some("custom-process"),
            "CredentialRetrievalError",
            "Error when retrieving credentials from custom-process (credential_process of \
             profile \"p\", program \"echo\"): the output says \"timed out after 3 s\"",
        );
        assert!(matches!(
            to_sdk_error(e),
            CredentialsError::ProviderError(_)
        ));
        let e = failure(
            Some("custom-process"),
            "CredentialRetrievalError",
            "Error when retrieving credentials from custom-process (credential_process of \
             profile \"p\", program \"sleep\"): timed out after 0.25 s: the program did not \
             finish in time and was killed",
        )
        .with_timeout(Duration::from_millis(250));
        match to_sdk_error(e) {
            CredentialsError::ProviderTimedOut(t) => {
                assert_eq!(t.timeout_duration(), Duration::from_millis(250));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn structured_timeouts_are_found_in_the_causes() {
        let e = Error::failed(
            "container-role",
            credchain_http::Error::Container {
                error: Box::new(ContainerError::RetrievalFailed {
                    attempts: 2,
                    last: Some(AttemptFailure::Transport(TransportError::ReadTimeout)),
                }),
                cause: None,
            },
        );
        match to_sdk_error(e) {
            CredentialsError::ProviderTimedOut(t) => {
                assert_eq!(t.timeout_duration(), Duration::from_secs(2));
            }
            other => panic!("{other:?}"),
        }
        let e = Error::failed(
            "container-role",
            credchain_http::Error::Container {
                error: Box::new(ContainerError::RetrievalFailed {
                    attempts: 2,
                    last: Some(AttemptFailure::Transport(TransportError::ConnectFailed)),
                }),
                cause: None,
            },
        );
        assert!(matches!(
            to_sdk_error(e),
            CredentialsError::ProviderError(_)
        ));
    }
}
