//! The credentials cache: one provider, the core's refresh machine, and single flight.
//!
//! A [`CredentialsCache`] wraps any [`ProvideCredentials`] and hands out its credentials as
//! `Arc<Credentials>` until they need refreshing. It decides nothing itself: every request asks
//! the core's [`RefreshMachine`] what to do ([`RefreshMachine::poll`]) and carries out the
//! [`Action`], then reports each fetch's result and carries out the [`Outcome`]. The policy is
//! data ([`RefreshPolicy::botocore()`] by default, spec §5; [`RefreshPolicy::cross_sdk()`] for
//! the AWS SDKs' "consistent credential refresh").
//!
//! | the machine says | the cache does |
//! |---|---|
//! | [`Serve`](Action::Serve), [`ServeRateLimited`](Action::ServeRateLimited) | hands out the cached `Arc` (the hit path: a read lock, a poll, an `Arc` clone; no allocation) |
//! | [`FailWithCachedError`](Action::FailWithCachedError) | hands out the remembered error again |
//! | [`ServeAndRefreshInBackground`](Action::ServeAndRefreshInBackground) | records the fetch, spawns it, hands out the cached set at once ([`AdvisoryRefresh::Background`]) or waits for the fetch ([`AdvisoryRefresh::Wait`], botocore's own thread) |
//! | [`FetchAndWait`](Action::FetchAndWait) | records the fetch, spawns it, waits for it, hands out what the outcome says |
//! | [`WaitForInFlight`](Action::WaitForInFlight) | waits until the fetch in flight is reported, then polls again |
//!
//! | the outcome | the cache does |
//! |---|---|
//! | [`UseNew`](Outcome::UseNew) | stores the new set, hands it out |
//! | [`ServeCached`](Outcome::ServeCached) | keeps and hands out the cached set (a failure absorbed, a backoff perhaps set) |
//! | [`Fail`](Outcome::Fail) | hands out the source's error with the machine's verdict; a non-recoverable one is remembered for [`FailWithCachedError`](Action::FailWithCachedError) |
//! | [`StoreAndFail`](Outcome::StoreAndFail) | stores the new set, hands out the error (botocore's "still expired", spec §5.2) |
//!
//! # Single flight
//!
//! The machine lives under a lock. The caller that is told to fetch calls
//! [`fetch_started`](RefreshMachine::fetch_started) before releasing the lock, so every later
//! poll sees the fetch in flight: however many callers arrive, one upstream fetch runs at a time.
//! The fetch runs in its own tokio task, so a caller that stops waiting (a timeout, a dropped
//! request) does not cancel it: it completes and serves everyone else. If that task dies without
//! a result (the provider panicked, the runtime shut down), the machine is told
//! ([`fetch_abandoned`](RefreshMachine::fetch_abandoned)) and the waiters poll afresh. Outside a
//! tokio runtime the caller runs the fetch itself.
//!
//! After a failed fetch, callers that waited for it poll again, as the next botocore thread to
//! take the lock does (spec §5.1): under botocore's policy that means another fetch (one at a
//! time); under the cross-SDK policy the backoff serves them the cached set.
//!
//! # Time and randomness
//!
//! The cache reads its [`Clock`] (wall-clock time, in whole Unix seconds rounded down, as the
//! machine expects) and its [`RandomSource`] (for the backoff and error-lifetime jitter), and
//! passes the values in. Tests use a [`ManualClock`](crate::ManualClock).
//!
//! The IMDS expiry extension (static stability, spec §4.8) is applied by the IMDS provider
//! before the credentials reach the cache, because only the IMDS client knows whether
//! `Expiration` had the exact format botocore requires for it: see
//! [`ImdsProvider`](crate::ImdsProvider). [`RefreshPolicy::static_stability`] is therefore not
//! read here.
//!
//! # Tracing
//!
//! Every decision is a `tracing` event (target `credchain::cache`): `trace` for a hit, `debug`
//! for waits and fetches started, `info` for new credentials (provider, access key id, expiry),
//! `warn` for a failed refresh, absorbed or raised. No event carries a secret.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use credchain_core::refresh::{
    Action, Outcome, RefreshError, RefreshMachine, RefreshPolicy, Window,
};
use tokio::sync::watch;

use crate::clock::{Clock, OsRandom, RandomSource, SystemClock};
use crate::credentials::unix_secs_floor;
use crate::provider::ProvideCredentials;
use crate::{Credentials, Error};

/// The provider name on errors the cache makes without a provider's error to carry.
const CACHE: &str = "credential-cache";

/// Who waits for a refresh started in the advisory window.
///
/// Both are correct: the cached set stays valid until the mandatory window (see the core's
/// refresh machine docs, "Advisory refreshes and who waits for them").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AdvisoryRefresh {
    /// The caller gets the cached credentials at once; the refresh finishes in the background.
    #[default]
    Background,
    /// The caller that starts the refresh waits for it and gets what its outcome says (botocore's
    /// lock-winning thread, and `credential-refresh-tests.json`); other callers meanwhile get the
    /// cached set.
    Wait,
}

/// Builds a [`CredentialsCache`]: `CredentialsCache::builder(provider)…build()`.
#[derive(Debug)]
pub struct CacheBuilder<P> {
    provider: P,
    policy: RefreshPolicy,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    advisory: AdvisoryRefresh,
    seed: Option<Credentials>,
}

impl<P: ProvideCredentials + 'static> CacheBuilder<P> {
    /// The refresh policy (default [`RefreshPolicy::botocore()`]).
    #[must_use]
    pub fn policy(mut self, policy: RefreshPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The clock (default [`SystemClock`]).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The random source for jitter (default [`OsRandom`]).
    #[must_use]
    pub fn random(mut self, random: impl RandomSource + 'static) -> Self {
        self.random = Arc::new(random);
        self
    }

    /// Who waits for an advisory refresh (default [`AdvisoryRefresh::Background`]).
    #[must_use]
    pub fn advisory_refresh(mut self, advisory: AdvisoryRefresh) -> Self {
        self.advisory = advisory;
        self
    }

    /// Starts with `credentials` cached, received now: botocore's `RefreshableCredentials`
    /// built from a provider's first load (spec §5.1). Without a seed the cache starts empty
    /// and its first request fetches (`DeferredRefreshableCredentials`, spec §5.5).
    #[must_use]
    pub fn seed(mut self, credentials: Credentials) -> Self {
        self.seed = Some(credentials);
        self
    }

    /// The cache.
    #[must_use]
    pub fn build(self) -> CredentialsCache<P> {
        let now = unix_secs_floor(self.clock.now());
        let (machine, credentials) = match self.seed {
            Some(c) => (
                RefreshMachine::with_credentials(self.policy, now, c.expiry_unix_secs()),
                Some(Arc::new(c)),
            ),
            None => (RefreshMachine::new(self.policy), None),
        };
        let (done, _) = watch::channel(0u64);
        CredentialsCache {
            inner: Arc::new(Inner {
                provider: self.provider,
                clock: self.clock,
                random: self.random,
                advisory: self.advisory,
                state: RwLock::new(State {
                    machine,
                    credentials,
                    error: None,
                }),
                done,
            }),
        }
    }
}

/// Credentials from one provider, fetched once and reused until the refresh machine says
/// otherwise. See the [module documentation](self).
///
/// Cloning gives another handle on the same cache.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), credchain::Error> {
/// use credchain::{Credentials, CredentialsCache, StaticProvider};
///
/// let cache = CredentialsCache::new(StaticProvider::new(Credentials::new(
///     "AKIDEXAMPLE", "secret", None, "explicit",
/// )));
/// let first = cache.get().await?; // fetches
/// let again = cache.get().await?; // a hit: the same Arc
/// assert!(std::sync::Arc::ptr_eq(&first, &again));
/// # Ok(()) }
/// ```
pub struct CredentialsCache<P> {
    inner: Arc<Inner<P>>,
}

impl<P> Clone for CredentialsCache<P> {
    fn clone(&self) -> Self {
        CredentialsCache {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<P> {
    provider: P,
    clock: Arc<dyn Clock>,
    random: Arc<dyn RandomSource>,
    advisory: AdvisoryRefresh,
    state: RwLock<State>,
    /// Bumped after every fetch is reported or abandoned: waiters wake and poll again.
    done: watch::Sender<u64>,
}

struct State {
    machine: RefreshMachine,
    credentials: Option<Arc<Credentials>>,
    /// The error of the last non-recoverable failure, for [`Action::FailWithCachedError`].
    error: Option<Error>,
}

/// What a caller does after deciding under the lock.
enum Step {
    Done(Result<Arc<Credentials>, Error>),
    Wait(watch::Receiver<u64>),
    Fetch { serve_now: Option<Arc<Credentials>> },
}

impl<P: ProvideCredentials + 'static> CredentialsCache<P> {
    /// A cache in front of `provider`, with botocore's policy, the system clock and OS
    /// randomness.
    #[must_use]
    pub fn new(provider: P) -> CredentialsCache<P> {
        CredentialsCache::builder(provider).build()
    }

    /// A builder for a cache in front of `provider`.
    #[must_use]
    pub fn builder(provider: P) -> CacheBuilder<P> {
        CacheBuilder {
            provider,
            policy: RefreshPolicy::botocore(),
            clock: Arc::new(SystemClock),
            random: Arc::new(OsRandom),
            advisory: AdvisoryRefresh::default(),
            seed: None,
        }
    }

    /// The credentials: the cached set, or a fetched one, as the refresh machine decides.
    ///
    /// A hit takes a read lock and clones an `Arc`: it allocates nothing. Within a tokio runtime
    /// a fetch runs in its own task (a caller that gives up does not cancel it); outside one
    /// the caller runs it.
    pub async fn get(&self) -> Result<Arc<Credentials>, Error> {
        loop {
            if let Some(hit) = self.hit() {
                return hit;
            }
            match self.decide() {
                Step::Done(answer) => return answer,
                Step::Wait(mut rx) => {
                    tracing::debug!(target: "credchain::cache", "waiting for the fetch in flight");
                    // The sender lives as long as the cache: `changed` only fails if it is gone.
                    let _ = rx.changed().await;
                }
                Step::Fetch { serve_now } => {
                    let fetch = fetch(Arc::clone(&self.inner));
                    match tokio::runtime::Handle::try_current() {
                        Ok(rt) => {
                            let task = rt.spawn(fetch);
                            if let Some(cached) = serve_now {
                                return Ok(cached);
                            }
                            match task.await {
                                Ok(answer) => return answer,
                                // The task died without a result and told the machine so.
                                Err(e) => {
                                    return Err(Error::failed(
                                        CACHE,
                                        format!("the credential fetch ended without a result: {e}"),
                                    ));
                                }
                            }
                        }
                        Err(_) => {
                            let answer = fetch.await;
                            return match serve_now {
                                Some(cached) => Ok(cached),
                                None => answer,
                            };
                        }
                    }
                }
            }
        }
    }

    /// The hit path under a read lock: `Some` when the machine says to serve the cached set or
    /// the remembered error.
    fn hit(&self) -> Option<Result<Arc<Credentials>, Error>> {
        let now = self.inner.now();
        let st = self.inner.read();
        match st.machine.poll(now) {
            Action::Serve => {
                tracing::trace!(target: "credchain::cache", "serving cached credentials");
                st.credentials.clone().map(Ok)
            }
            Action::ServeRateLimited => {
                tracing::debug!(
                    target: "credchain::cache",
                    backoff_until = st.machine.backoff_until(),
                    "a refresh is due but the failure backoff is in force: serving cached credentials"
                );
                st.credentials.clone().map(Ok)
            }
            Action::FailWithCachedError => st.error.clone().map(Err),
            Action::ServeAndRefreshInBackground
            | Action::FetchAndWait
            | Action::WaitForInFlight => None,
        }
    }

    /// Polls under the write lock and, if told to fetch, records the fetch before releasing it.
    fn decide(&self) -> Step {
        let now = self.inner.now();
        let mut st = self.inner.write();
        let action = st.machine.poll(now);
        match action {
            Action::Serve | Action::ServeRateLimited => Step::Done(cached(&st)),
            Action::FailWithCachedError => Step::Done(Err(st
                .error
                .clone()
                .unwrap_or_else(|| Error::failed(CACHE, "a non-recoverable error is remembered")))),
            Action::WaitForInFlight => Step::Wait(self.inner.done.subscribe()),
            Action::ServeAndRefreshInBackground | Action::FetchAndWait => {
                let window = match st.machine.fetch_started(now) {
                    Ok(w) => w,
                    // The poll said nothing is in flight, under this same lock.
                    Err(_) => return Step::Wait(self.inner.done.subscribe()),
                };
                let background = action == Action::ServeAndRefreshInBackground
                    && self.inner.advisory == AdvisoryRefresh::Background;
                tracing::debug!(
                    target: "credchain::cache",
                    %window,
                    background,
                    expiry = st.machine.expiry(),
                    "fetching credentials"
                );
                Step::Fetch {
                    serve_now: if background {
                        st.credentials.clone()
                    } else {
                        None
                    },
                }
            }
        }
    }

    /// What is cached now, without asking the machine (for display: it may be due a refresh).
    #[must_use]
    pub fn cached(&self) -> Option<Arc<Credentials>> {
        self.inner.read().credentials.clone()
    }

    /// A copy of the refresh machine as it stands: its window, backoff, fetch in flight.
    #[must_use]
    pub fn machine(&self) -> RefreshMachine {
        self.inner.read().machine
    }

    /// Where the cached credentials stand now.
    #[must_use]
    pub fn window(&self) -> Window {
        let now = self.inner.now();
        self.inner.read().machine.window(now)
    }

    /// Reports that a request signed with credentials whose access key id is
    /// `rejected_access_key_id` was refused as an invalid key. If that is the cached set, the next
    /// request waits for a refresh (unless a backoff is in force); if a refresh already replaced
    /// it, nothing changes. Returns whether the cached set is now invalidated.
    pub fn invalidate(&self, rejected_access_key_id: &str) -> bool {
        let mut st = self.inner.write();
        let matches = st
            .credentials
            .as_ref()
            .is_some_and(|c| c.access_key_id() == rejected_access_key_id);
        let invalidated = st.machine.invalidate(matches);
        tracing::debug!(target: "credchain::cache", matches, invalidated, "invalidate");
        invalidated
    }

    /// The provider behind the cache.
    #[must_use]
    pub fn provider(&self) -> &P {
        &self.inner.provider
    }
}

impl<P> fmt::Debug for CredentialsCache<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.inner.read();
        f.debug_struct("CredentialsCache")
            .field("machine", &st.machine)
            .field("credentials", &st.credentials)
            .field("advisory", &self.inner.advisory)
            .finish_non_exhaustive()
    }
}

impl<P: ProvideCredentials + 'static> ProvideCredentials for CredentialsCache<P> {
    /// [`get`](CredentialsCache::get), cloned out of the `Arc` (which allocates: call `get` on
    /// a hot path).
    async fn provide(&self) -> Result<Credentials, Error> {
        self.get().await.map(|c| Credentials::clone(&c))
    }
}

impl<P> Inner<P> {
    fn now(&self) -> i64 {
        unix_secs_floor(self.clock.now())
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake_waiters(&self) {
        self.done.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Reports a fetch's result to the machine and carries out the outcome.
    fn report(&self, result: Result<Credentials, Error>) -> Result<Arc<Credentials>, Error> {
        let now = self.now();
        let jitter = self.random.next_u64();
        let mut st = self.write();
        match result {
            Ok(fresh) => {
                let outcome = st
                    .machine
                    .fetch_succeeded(now, fresh.expiry_unix_secs(), jitter);
                let provider = fresh.provider();
                match outcome {
                    Outcome::UseNew => {
                        tracing::info!(
                            target: "credchain::cache",
                            provider,
                            access_key_id = fresh.access_key_id(),
                            expiry = fresh.expiry_unix_secs(),
                            "new credentials"
                        );
                        let fresh = Arc::new(fresh);
                        st.credentials = Some(Arc::clone(&fresh));
                        st.error = None;
                        Ok(fresh)
                    }
                    Outcome::StoreAndFail(e) => {
                        tracing::warn!(target: "credchain::cache", provider, "{e}");
                        st.credentials = Some(Arc::new(fresh));
                        Err(Error::from_refresh(provider, e))
                    }
                    Outcome::ServeCached => {
                        tracing::warn!(
                            target: "credchain::cache",
                            provider,
                            backoff_until = st.machine.backoff_until(),
                            "the refreshed credentials are already expired: serving the cached set"
                        );
                        cached(&st)
                    }
                    Outcome::Fail(e) => {
                        tracing::warn!(target: "credchain::cache", provider, "{e}");
                        Err(Error::from_refresh(provider, e))
                    }
                }
            }
            Err(error) => {
                let outcome = st.machine.fetch_failed(now, error.fetch_failure(), jitter);
                match outcome {
                    Outcome::ServeCached => {
                        tracing::warn!(
                            target: "credchain::cache",
                            provider = error.provider(),
                            backoff_until = st.machine.backoff_until(),
                            %error,
                            "refreshing temporary credentials failed; serving the cached set"
                        );
                        cached(&st)
                    }
                    Outcome::Fail(verdict) => {
                        let error = error.with_refresh(verdict);
                        tracing::warn!(target: "credchain::cache", %error, "credential fetch failed");
                        if verdict == RefreshError::NonRecoverable {
                            st.error = Some(error.clone());
                        }
                        Err(error)
                    }
                    // A failure never yields new credentials; pass the error on as it is.
                    Outcome::UseNew | Outcome::StoreAndFail(_) => Err(error),
                }
            }
        }
    }
}

fn cached(st: &State) -> Result<Arc<Credentials>, Error> {
    st.credentials
        .clone()
        .ok_or_else(|| Error::failed(CACHE, "the refresh machine served an empty cache"))
}

/// Runs one fetch that the machine recorded as started, reports it, and wakes the waiters.
async fn fetch<P: ProvideCredentials>(inner: Arc<Inner<P>>) -> Result<Arc<Credentials>, Error> {
    let mut guard = Abandon(Some(&inner));
    let result = inner.provider.provide().await;
    guard.0 = None;
    let answer = inner.report(result);
    inner.wake_waiters();
    answer
}

/// Tells the machine a fetch ended without a result if its future is dropped (a cancelled task,
/// a runtime shutting down) or the provider panics, so that nobody waits forever.
struct Abandon<'a, P>(Option<&'a Inner<P>>);

impl<P> Drop for Abandon<'_, P> {
    fn drop(&mut self) {
        if let Some(inner) = self.0.take() {
            tracing::warn!(target: "credchain::cache", "a credential fetch ended without a result");
            inner.write().machine.fetch_abandoned();
            inner.wake_waiters();
        }
    }
}
