//! The provider trait: anything that can be asked for credentials.
//!
//! [`ProvideCredentials::provide`] returns a `Send` future of owned [`Credentials`] or an
//! [`Error`] whose [kind](crate::ErrorKind) says "nothing here", "failed" or "failed for good".
//! Implement it with `async fn` or by returning `async move { … }`: with static dispatch nothing
//! is boxed.
//!
//! A chain holds providers of different types in one list, which needs `dyn`. The trait's
//! `impl Future` return makes it not object-safe, so the object-safe twin
//! [`DynProvideCredentials`] (implemented for every provider) boxes the future, and
//! [`SharedProvider`] wraps an `Arc<dyn DynProvideCredentials>` and is itself a provider. One
//! allocation per fetch, which happens once an hour or so, not per request: the cache hit path
//! never calls a provider.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Credentials, Error};

/// A future boxed for dynamic dispatch.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that can be asked for credentials. See the [module documentation](self).
///
/// ```
/// use credchain::{Credentials, Error, ProvideCredentials};
///
/// #[derive(Debug)]
/// struct FromVault;
///
/// impl ProvideCredentials for FromVault {
///     async fn provide(&self) -> Result<Credentials, Error> {
///         Err(Error::not_found("vault", "no vault configured"))
///     }
/// }
/// ```
pub trait ProvideCredentials: Send + Sync {
    /// Asks the source for credentials, once. Each call may contact the source: put a
    /// [`CredentialsCache`](crate::CredentialsCache) in front to reuse them until they need a
    /// refresh.
    fn provide(&self) -> impl Future<Output = Result<Credentials, Error>> + Send;
}

/// The object-safe twin of [`ProvideCredentials`], implemented for every provider: the future
/// is boxed. Use it through [`SharedProvider`].
pub trait DynProvideCredentials: Send + Sync {
    /// [`ProvideCredentials::provide`], boxed.
    fn provide_boxed(&self) -> BoxFuture<'_, Result<Credentials, Error>>;
}

impl<P: ProvideCredentials> DynProvideCredentials for P {
    fn provide_boxed(&self) -> BoxFuture<'_, Result<Credentials, Error>> {
        Box::pin(self.provide())
    }
}

/// Any provider behind an `Arc<dyn …>`: what a chain holds a list of, and cheap to clone.
///
/// ```
/// use credchain::{Credentials, ProvideCredentials, SharedProvider, StaticProvider};
///
/// let providers: Vec<SharedProvider> = vec![SharedProvider::new(StaticProvider::new(
///     Credentials::new("AKIDEXAMPLE", "secret", None, "explicit"),
/// ))];
/// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
/// let creds = rt.block_on(providers[0].provide()).unwrap();
/// assert_eq!(creds.provider(), "explicit");
/// ```
#[derive(Clone)]
pub struct SharedProvider {
    inner: Arc<dyn DynProvideCredentials>,
    name: &'static str,
}

impl SharedProvider {
    /// Wraps `provider`; `Debug` shows its type name.
    #[must_use]
    pub fn new<P: ProvideCredentials + 'static>(provider: P) -> SharedProvider {
        SharedProvider::named(std::any::type_name::<P>(), provider)
    }

    /// Wraps `provider`, labelled `name` in `Debug` output.
    #[must_use]
    pub fn named(
        name: &'static str,
        provider: impl ProvideCredentials + 'static,
    ) -> SharedProvider {
        SharedProvider {
            inner: Arc::new(provider),
            name,
        }
    }
}

impl ProvideCredentials for SharedProvider {
    fn provide(&self) -> impl Future<Output = Result<Credentials, Error>> + Send {
        self.inner.provide_boxed()
    }
}

impl fmt::Debug for SharedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedProvider").field(&self.name).finish()
    }
}

impl<P: ProvideCredentials> ProvideCredentials for Arc<P> {
    fn provide(&self) -> impl Future<Output = Result<Credentials, Error>> + Send {
        P::provide(self)
    }
}

/// Fixed credentials: explicit credentials given by the program (botocore's `explicit`,
/// spec §1.1), or credentials read once from a file. Never refreshed.
#[derive(Debug, Clone)]
pub struct StaticProvider {
    credentials: Credentials,
}

impl StaticProvider {
    /// A provider that always hands out `credentials` (with their own `provider` name).
    #[must_use]
    pub fn new(credentials: Credentials) -> StaticProvider {
        StaticProvider { credentials }
    }
}

impl ProvideCredentials for StaticProvider {
    fn provide(&self) -> impl Future<Output = Result<Credentials, Error>> + Send {
        std::future::ready(Ok(self.credentials.clone()))
    }
}
