//! The refresh state machine: every decision a credential cache makes, with time and jitter
//! passed in.
//!
//! A [`RefreshMachine`] knows what is cached (only its expiry: the core never sees keys), whether
//! a fetch is running, whether a backoff or a remembered error is in force, and whether the
//! cached set was rejected. It never fetches, sleeps or reads a clock. The cache that owns it
//! keeps the credentials themselves and does what each call says:
//!
//! 1. On every request for credentials, call [`poll(now)`](RefreshMachine::poll) and act on the
//!    [`Action`]:
//!    - [`Serve`](Action::Serve), [`ServeRateLimited`](Action::ServeRateLimited): hand out the
//!      cached credentials;
//!    - [`FailWithCachedError`](Action::FailWithCachedError): hand out the error the last fetch
//!      raised (the cache kept it);
//!    - [`ServeAndRefreshInBackground`](Action::ServeAndRefreshInBackground),
//!      [`FetchAndWait`](Action::FetchAndWait): call
//!      [`fetch_started(now)`](RefreshMachine::fetch_started), ask the source, then report with
//!      [`fetch_succeeded`](RefreshMachine::fetch_succeeded) or
//!      [`fetch_failed`](RefreshMachine::fetch_failed) and do what the [`Outcome`] says;
//!    - [`WaitForInFlight`](Action::WaitForInFlight): wait until the running fetch is reported,
//!      then poll again.
//! 2. When a request signed with the cached credentials is rejected as an invalid key, call
//!    [`invalidate`](RefreshMachine::invalidate) with whether the rejected access key id is the
//!    cached one.
//! 3. A background task that refreshes ahead of requests sleeps until
//!    [`poll_timeout(now)`](RefreshMachine::poll_timeout) and polls then.
//!
//! `poll` borrows the machine immutably: several callers under one lock may poll, and the one
//! that acts on a fetch action calls `fetch_started` while still holding the lock, so that the
//! next poll sees the fetch in flight (single flight: at most one fetch at a time; a second
//! `fetch_started` is refused).
//!
//! # botocore's lock, as states
//!
//! `RefreshableCredentials._refresh` (spec §5.1) takes a non-blocking lock in the advisory window
//! and a blocking one in the mandatory window. Here: in the advisory window, while a fetch is in
//! flight, other callers get [`Serve`](Action::Serve) (the lock is busy, the cached set is still
//! good); in the mandatory window they get [`WaitForInFlight`](Action::WaitForInFlight). After the
//! fetch, a waiter polls again: if the fetch succeeded it is served the new set, if it failed and
//! the policy has no backoff it fetches again itself, as the next botocore thread to take the
//! lock does.
//!
//! # Advisory refreshes and who waits for them
//!
//! On [`ServeAndRefreshInBackground`](Action::ServeAndRefreshInBackground) the cached set is
//! still valid. The caller that starts the fetch may hand it out at once and let the fetch finish
//! in the background, or wait for the fetch and hand out what the [`Outcome`] says. botocore
//! (its lock-winning thread refreshes inline) and `credential-refresh-tests.json` ("advisory
//! window, refresh succeeds: the caller receives the newly refreshed credentials") do the latter;
//! both are correct, since the cached set stays usable until the mandatory window.
//!
//! # Time
//!
//! `now` and expiries are Unix seconds. A caller with a finer clock should round `now` down: a
//! window is then entered at most one second late, never early. Every computation saturates, so
//! any `i64` is accepted.

use core::fmt;

use super::policy::{IncompleteResult, RefreshPolicy, StaleResult, Window};
use super::stability::Extension;

/// What the caller of [`RefreshMachine::poll`] must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Action {
    /// The cached credentials are fine: hand them out. Also the answer in the advisory window
    /// while another caller's fetch is in flight (botocore: the lock is busy, spec §5.1).
    Serve,
    /// The cached credentials are in the advisory window: start one fetch
    /// ([`RefreshMachine::fetch_started`]) and keep serving them (see the module docs on who
    /// waits for that fetch). A failure of this fetch is usually absorbed.
    ServeAndRefreshInBackground,
    /// Nothing is cached, or the cached credentials are in the mandatory window, expired, or
    /// invalidated: start one fetch and wait for it; hand out what the [`Outcome`] says.
    FetchAndWait,
    /// A fetch is already in flight and the cached credentials cannot be served meanwhile: wait
    /// until it is reported, then poll again.
    WaitForInFlight,
    /// A refresh is due but the failure backoff is in force: hand out the cached credentials
    /// without contacting the source.
    ServeRateLimited,
    /// A non-recoverable error is remembered: hand it out again without contacting the source.
    FailWithCachedError,
}

impl Action {
    /// Whether the caller must start a fetch.
    #[must_use]
    pub const fn starts_fetch(self) -> bool {
        matches!(
            self,
            Action::ServeAndRefreshInBackground | Action::FetchAndWait
        )
    }

    /// Whether the cached credentials may be handed out now.
    #[must_use]
    pub const fn serves_cached(self) -> bool {
        matches!(
            self,
            Action::Serve | Action::ServeAndRefreshInBackground | Action::ServeRateLimited
        )
    }
}

/// How a fetch failed, as the source's adapter classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchFailure {
    /// The source raised an error that a later attempt may not repeat: a timeout, a refused
    /// connection, a 5xx, throttling, a malformed document, a process that exited non-zero.
    Recoverable,
    /// The source answered without raising but produced no usable credentials: botocore's IMDS
    /// fetcher returning `{}` after its retries (spec §4.3–§4.5), or a refresh result missing a key
    /// (`_set_from_data`, spec §5.2). See [`IncompleteResult`].
    Incomplete,
    /// The source says trying again will not help until something outside changes (an expired
    /// SSO session, a revoked grant): handled per
    /// [`RefreshPolicy::non_recoverable_ttl`].
    NonRecoverable,
}

/// Why the caller gets an error instead of credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefreshError {
    /// Nothing was cached and the first fetch failed: there is nothing to fall back on (spec
    /// §5.5; cross-SDK "noCredentialsError"). The caller reports the source's own error.
    NoCredentials,
    /// The fetch failed in a window where the policy does not serve the cached set (botocore:
    /// the mandatory window, spec §5.2). The caller reports the source's own error.
    MandatoryRefreshFailed,
    /// The source produced no credentials and the policy raises that (botocore's
    /// `CredentialRetrievalError`, spec §4.8, §5.2).
    Incomplete,
    /// The refreshed credentials are already expired (botocore's `RuntimeError`, spec §5.2; with
    /// nothing cached to fall back on, also the cross-SDK stale result).
    StillExpired,
    /// The source reported a non-recoverable error; it is remembered for a few seconds
    /// ([`Action::FailWithCachedError`]). The caller reports the source's own error.
    NonRecoverable,
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefreshError::NoCredentials => "no credentials are cached yet and fetching them failed",
            RefreshError::MandatoryRefreshFailed => {
                "refreshing temporary credentials failed during the mandatory refresh period"
            }
            RefreshError::Incomplete => {
                "credential refresh failed: the source returned no credentials \
                 (expected access_key, secret_key, token, expiry_time)"
            }
            RefreshError::StillExpired => {
                "Credentials were refreshed, but the refreshed credentials are still expired."
            }
            RefreshError::NonRecoverable => {
                "the credential source reported an error that retrying will not fix"
            }
        })
    }
}

impl core::error::Error for RefreshError {}

/// What the caller does with the result of a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Outcome {
    /// Store the fetched credentials in place of the cached ones and hand them out.
    UseNew,
    /// Keep the cached credentials and hand them out: the failure is absorbed (a backoff may now
    /// be in force, see [`RefreshMachine::backoff_until`]).
    ServeCached,
    /// Keep the cached credentials (if any) and hand out an error.
    Fail(RefreshError),
    /// Store the fetched credentials anyway, then hand out an error: botocore's still-expired
    /// case, where `_set_from_data` has replaced the credentials before the check raises
    /// (spec §5.2).
    StoreAndFail(RefreshError),
}

/// [`RefreshMachine::fetch_started`] was called while a fetch was already in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FetchInFlight {
    /// When the running fetch started (Unix seconds).
    pub since: i64,
}

impl fmt::Display for FetchInFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a credential fetch is already in flight (started at {}); wait for it instead of starting another",
            self.since
        )
    }
}

impl core::error::Error for FetchInFlight {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Cached {
    expiry: Option<i64>,
    advisory_secs: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct InFlight {
    started_at: i64,
    window: Window,
}

/// Internal: every way a fetch can fail, stale results included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    Recoverable,
    Incomplete,
    NonRecoverable,
    Stale,
}

/// The refresh decisions of one credential cache, as a `Copy` state machine. See the
/// [module docs](self) for how a cache drives it.
///
/// ```
/// use credchain_core::refresh::{Action, FetchFailure, Outcome, RefreshMachine, RefreshPolicy};
///
/// // Credentials received at t=0, expiring at t=3600, under botocore's policy.
/// let mut m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), 0, Some(3600));
/// assert_eq!(m.poll(2700), Action::Serve); // 900 s left: not yet (strict `<`)
/// assert_eq!(m.poll(2701), Action::ServeAndRefreshInBackground);
/// assert_eq!(m.poll_timeout(0), Some(2701));
///
/// // The advisory refresh fails: botocore swallows it and keeps the cached set.
/// m.fetch_started(2701).unwrap();
/// assert_eq!(m.poll(2702), Action::Serve); // lock busy, advisory: serve
/// assert_eq!(m.fetch_failed(2702, FetchFailure::Recoverable, 0), Outcome::ServeCached);
///
/// // In the mandatory window a failure is raised.
/// assert_eq!(m.poll(3001), Action::FetchAndWait);
/// m.fetch_started(3001).unwrap();
/// assert!(matches!(m.fetch_failed(3001, FetchFailure::Recoverable, 0), Outcome::Fail(_)));
///
/// // A success stores the new expiry.
/// m.fetch_started(3002).unwrap();
/// assert_eq!(m.fetch_succeeded(3002, Some(6602), 0), Outcome::UseNew);
/// assert_eq!(m.poll(3003), Action::Serve);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefreshMachine {
    policy: RefreshPolicy,
    cached: Option<Cached>,
    in_flight: Option<InFlight>,
    backoff_until: Option<i64>,
    error_until: Option<i64>,
    invalidated: bool,
}

impl RefreshMachine {
    /// A cache with nothing in it yet (botocore's `DeferredRefreshableCredentials`, spec §5.5):
    /// the first [`poll`](Self::poll) asks for a mandatory fetch.
    #[must_use]
    pub const fn new(policy: RefreshPolicy) -> Self {
        RefreshMachine {
            policy,
            cached: None,
            in_flight: None,
            backoff_until: None,
            error_until: None,
            invalidated: false,
        }
    }

    /// A cache holding credentials received at `received_at` that expire at `expiry` (`None`:
    /// never; such credentials are never refreshed). botocore's `RefreshableCredentials` built
    /// from a provider's first load (spec §5.1). The advisory window is chosen from the lifetime
    /// `expiry - received_at`.
    #[must_use]
    pub const fn with_credentials(
        policy: RefreshPolicy,
        received_at: i64,
        expiry: Option<i64>,
    ) -> Self {
        let mut m = RefreshMachine::new(policy);
        m.cached = Some(Cached {
            expiry,
            advisory_secs: advisory_secs(&policy, received_at, expiry),
        });
        m
    }

    /// The policy this machine applies.
    #[must_use]
    pub const fn policy(&self) -> &RefreshPolicy {
        &self.policy
    }

    /// Whether credentials are cached.
    #[must_use]
    pub const fn has_credentials(&self) -> bool {
        self.cached.is_some()
    }

    /// The expiry of the cached credentials; `None` when nothing is cached or they never expire
    /// (tell the two apart with [`has_credentials`](Self::has_credentials)).
    #[must_use]
    pub const fn expiry(&self) -> Option<i64> {
        match self.cached {
            Some(c) => c.expiry,
            None => None,
        }
    }

    /// The advisory window, in seconds, of the cached credentials (`None`: nothing cached).
    /// Chosen when they were received; recomputed after every successful refresh.
    #[must_use]
    pub const fn advisory_window(&self) -> Option<i64> {
        match self.cached {
            Some(c) => Some(c.advisory_secs),
            None => None,
        }
    }

    /// When the fetch in flight started, if one is.
    #[must_use]
    pub const fn fetch_in_flight(&self) -> Option<i64> {
        match self.in_flight {
            Some(f) => Some(f.started_at),
            None => None,
        }
    }

    /// The end of the failure backoff, if one was set (it is in force while `now` is before it).
    #[must_use]
    pub const fn backoff_until(&self) -> Option<i64> {
        self.backoff_until
    }

    /// Until when a non-recoverable error is remembered, if one was (it is served while `now` is
    /// before it).
    #[must_use]
    pub const fn error_cached_until(&self) -> Option<i64> {
        self.error_until
    }

    /// Whether the cached credentials were invalidated and await a refresh.
    #[must_use]
    pub const fn is_invalidated(&self) -> bool {
        self.invalidated
    }

    /// Where the cached credentials stand at `now`: [`Window::Empty`] when nothing is cached;
    /// invalidated credentials are at least [`Window::Mandatory`]. For explaining decisions.
    #[must_use]
    pub const fn window(&self, now: i64) -> Window {
        let Some(c) = self.cached else {
            return Window::Empty;
        };
        let w = self.policy.window(now, c.expiry, c.advisory_secs);
        if self.invalidated && matches!(w, Window::Fresh | Window::Advisory) {
            Window::Mandatory
        } else {
            w
        }
    }

    /// Whether the failure backoff is in force at `now`.
    #[must_use]
    pub const fn is_rate_limited(&self, now: i64) -> bool {
        match self.backoff_until {
            Some(until) => now < until,
            None => false,
        }
    }

    /// Whether a non-recoverable error is remembered at `now`.
    #[must_use]
    pub const fn is_error_cached(&self, now: i64) -> bool {
        match self.error_until {
            Some(until) => now < until,
            None => false,
        }
    }

    /// What the caller must do at `now` to hand out credentials.
    ///
    /// Call it on every request for credentials; it changes nothing. Its answer changes only
    /// when time reaches [`poll_timeout`](Self::poll_timeout) or when the machine is told
    /// something (`fetch_*`, [`invalidate`](Self::invalidate)): a caller told to
    /// [`WaitForInFlight`](Action::WaitForInFlight) polls again once the running fetch is
    /// reported.
    pub const fn poll(&self, now: i64) -> Action {
        let window = self.window(now);
        if matches!(window, Window::Fresh) {
            return Action::Serve;
        }
        if self.is_error_cached(now) {
            return Action::FailWithCachedError;
        }
        let empty = matches!(window, Window::Empty);
        if !empty && self.is_rate_limited(now) {
            return Action::ServeRateLimited;
        }
        let advisory = matches!(window, Window::Advisory);
        match (self.in_flight.is_some(), advisory) {
            (true, true) => Action::Serve,
            (true, false) => Action::WaitForInFlight,
            (false, true) => Action::ServeAndRefreshInBackground,
            (false, false) => Action::FetchAndWait,
        }
    }

    /// Records that the caller has started a fetch at `now`, and returns the window it was
    /// started in (which decides how its failure is handled, as botocore decides
    /// `is_mandatory` before calling the refresh callback, spec §5.1).
    ///
    /// Call it right after a [`poll`](Self::poll) that said to fetch, under the same lock. It may
    /// also be called unprompted to force a refresh. Fails if a fetch is already in flight: wait
    /// for that one instead.
    pub const fn fetch_started(&mut self, now: i64) -> Result<Window, FetchInFlight> {
        if let Some(f) = self.in_flight {
            return Err(FetchInFlight {
                since: f.started_at,
            });
        }
        let window = self.window(now);
        self.in_flight = Some(InFlight {
            started_at: now,
            window,
        });
        Ok(window)
    }

    /// Records that the fetch in flight was dropped without a result (its task was cancelled,
    /// or the cache gave up waiting): no outcome, no backoff; the next poll decides afresh.
    pub const fn fetch_abandoned(&mut self) {
        self.in_flight = None;
    }

    /// Reports that the fetch returned credentials expiring at `new_expiry` (`None`: they never
    /// expire), at `now`; `jitter` is a fresh random value, used if the result turns out to be a
    /// failure that starts a backoff.
    ///
    /// Applies the policy: a stale result is a failure (cross-SDK) or stored and raised
    /// (botocore); otherwise the new set replaces the cached one, its advisory window is chosen
    /// from its lifetime `new_expiry - now`, and any backoff, remembered error or invalidation is
    /// cleared. If no fetch was recorded as started, the window at `now` stands in for the
    /// window it started in.
    pub const fn fetch_succeeded(
        &mut self,
        now: i64,
        new_expiry: Option<i64>,
        jitter: u64,
    ) -> Outcome {
        let started = self.take_in_flight(now);
        if let Some(expiry) = new_expiry
            && self.policy.is_stale(now, expiry)
        {
            return match self.policy.stale_result {
                StaleResult::StoreAndRaise => {
                    self.store(now, new_expiry);
                    Outcome::StoreAndFail(RefreshError::StillExpired)
                }
                StaleResult::Failure => self.failed(now, started, Failure::Stale, jitter),
            };
        }
        self.store(now, new_expiry);
        Outcome::UseNew
    }

    /// Reports that the fetch failed at `now`, and how; `jitter` is a fresh random value for the
    /// backoff or the error's lifetime.
    ///
    /// The window the fetch started in decides between serving the cached credentials
    /// ([`Outcome::ServeCached`], with a backoff if the policy has one) and raising
    /// ([`Outcome::Fail`]); with nothing cached it always raises, without a backoff. A
    /// non-recoverable error (when the policy knows them) raises in every window and is
    /// remembered. If no fetch was recorded as started, the window at `now` stands in.
    pub const fn fetch_failed(&mut self, now: i64, failure: FetchFailure, jitter: u64) -> Outcome {
        let started = self.take_in_flight(now);
        let failure = match failure {
            FetchFailure::Recoverable => Failure::Recoverable,
            FetchFailure::Incomplete => Failure::Incomplete,
            FetchFailure::NonRecoverable => Failure::NonRecoverable,
        };
        self.failed(now, started, failure, jitter)
    }

    /// Reports that a request signed with the cached credentials was rejected. `matches` says
    /// whether the rejected access key id is the one cached now (the caller compares; the core
    /// never sees keys). If it is, the next [`poll`](Self::poll) asks for a mandatory refresh
    /// (unless a backoff or a remembered error is in force); if not, a concurrent refresh has
    /// already replaced the rejected set and nothing changes.
    ///
    /// Returns whether the cached credentials are now invalidated by this call.
    pub const fn invalidate(&mut self, matches: bool) -> bool {
        if matches && self.cached.is_some() {
            self.invalidated = true;
            true
        } else {
            false
        }
    }

    /// The next instant after `now` at which [`poll`](Self::poll) or [`window`](Self::window)
    /// answer differently without being told anything: the start of the advisory window, of
    /// the mandatory window, the expiry, the end of a backoff or of a remembered error, whichever
    /// comes first and actually changes an answer (an invalidated set, already treated as
    /// mandatory, does not wake anyone at its advisory edge). `None`: nothing will change by
    /// itself (nothing cached, or credentials without an expiry and no timer running).
    ///
    /// A background refresher sleeps until then and polls. Call it again after anything changes
    /// the machine.
    #[must_use]
    pub fn poll_timeout(&self, now: i64) -> Option<i64> {
        let mut candidates = [None; 5];
        if let Some(Cached {
            expiry: Some(expiry),
            advisory_secs,
        }) = self.cached
        {
            let c = self.policy.comparison;
            candidates[0] = Some(c.window_start(expiry, advisory_secs));
            candidates[1] = Some(c.window_start(expiry, self.policy.mandatory_secs));
            candidates[2] = Some(c.window_start(expiry, 0));
        }
        candidates[3] = self.backoff_until;
        candidates[4] = self.error_until;
        let observe = |t: i64| (self.poll(t), self.window(t));
        candidates
            .into_iter()
            .flatten()
            .filter(|&t| t > now && observe(t) != observe(t.saturating_sub(1)))
            .min()
    }

    /// The static-stability extension (spec §4.8) of an IMDS document fetched at `now` expiring at
    /// `expiry`, under this machine's policy: the new expiry to use in its place, or `None` (no
    /// extension configured, or it does not apply). Call it once per IMDS document, with a fresh
    /// `jitter`, before [`fetch_succeeded`](Self::fetch_succeeded).
    #[must_use]
    pub const fn extend(&self, now: i64, expiry: i64, jitter: u64) -> Option<Extension> {
        match self.policy.static_stability {
            Some(s) => s.extend(now, expiry, jitter),
            None => None,
        }
    }

    const fn take_in_flight(&mut self, now: i64) -> Window {
        let in_flight = self.in_flight;
        self.in_flight = None;
        match in_flight {
            Some(f) => {
                // A fetch cannot have started with something cached and ended with nothing.
                if self.cached.is_none() {
                    Window::Empty
                } else {
                    f.window
                }
            }
            None => self.window(now),
        }
    }

    const fn store(&mut self, now: i64, expiry: Option<i64>) {
        self.cached = Some(Cached {
            expiry,
            advisory_secs: advisory_secs(&self.policy, now, expiry),
        });
        self.backoff_until = None;
        self.error_until = None;
        self.invalidated = false;
    }

    const fn failed(
        &mut self,
        now: i64,
        started: Window,
        failure: Failure,
        jitter: u64,
    ) -> Outcome {
        if let (Failure::NonRecoverable, Some(ttl)) = (failure, self.policy.non_recoverable_ttl) {
            self.error_until = Some(now.saturating_add(ttl.pick(jitter)));
            return Outcome::Fail(RefreshError::NonRecoverable);
        }
        let raise_always = matches!(self.policy.incomplete_result, IncompleteResult::RaiseAlways);
        if let (Failure::Incomplete, true) = (failure, raise_always) {
            return Outcome::Fail(RefreshError::Incomplete);
        }
        let error = match failure {
            Failure::Incomplete => RefreshError::Incomplete,
            Failure::Stale => RefreshError::StillExpired,
            Failure::Recoverable | Failure::NonRecoverable => {
                if matches!(started, Window::Empty) {
                    RefreshError::NoCredentials
                } else {
                    RefreshError::MandatoryRefreshFailed
                }
            }
        };
        if self.cached.is_some() && self.policy.serve_on_failure.serves(started) {
            if let Some(backoff) = self.policy.failure_backoff {
                self.backoff_until = Some(now.saturating_add(backoff.pick(jitter)));
            }
            Outcome::ServeCached
        } else {
            Outcome::Fail(error)
        }
    }
}

const fn advisory_secs(policy: &RefreshPolicy, received_at: i64, expiry: Option<i64>) -> i64 {
    match expiry {
        Some(expiry) => policy.advisory_secs(received_at, expiry),
        // Never consulted for credentials without an expiry.
        None => policy.advisory.for_lifetime(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refresh::policy::{JitterRange, ServeOnFailure};

    fn fetch(m: &mut RefreshMachine, now: i64) -> Window {
        m.fetch_started(now).unwrap()
    }

    #[test]
    fn deferred_first_fetch_is_mandatory_and_fails_without_fallback() {
        for policy in [RefreshPolicy::botocore(), RefreshPolicy::cross_sdk()] {
            let mut m = RefreshMachine::new(policy);
            assert_eq!(m.window(0), Window::Empty);
            assert_eq!(m.poll(0), Action::FetchAndWait);
            assert_eq!(fetch(&mut m, 0), Window::Empty);
            assert_eq!(m.poll(0), Action::WaitForInFlight);
            assert_eq!(
                m.fetch_failed(0, FetchFailure::Recoverable, 0),
                Outcome::Fail(RefreshError::NoCredentials)
            );
            assert_eq!(m.backoff_until(), None);
            assert_eq!(m.poll(1), Action::FetchAndWait);
            assert_eq!(fetch(&mut m, 1), Window::Empty);
            assert_eq!(
                m.fetch_failed(1, FetchFailure::Incomplete, 0),
                Outcome::Fail(RefreshError::Incomplete)
            );
        }
    }

    #[test]
    fn second_fetch_is_refused_while_one_is_in_flight() {
        let mut m = RefreshMachine::new(RefreshPolicy::botocore());
        fetch(&mut m, 5);
        assert_eq!(m.fetch_started(6), Err(FetchInFlight { since: 5 }));
        assert_eq!(m.fetch_in_flight(), Some(5));
        m.fetch_abandoned();
        assert_eq!(m.fetch_in_flight(), None);
        assert_eq!(m.poll(6), Action::FetchAndWait);
    }

    #[test]
    fn no_expiry_never_refreshes_and_has_no_timeout() {
        let m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), 0, None);
        for now in [i64::MIN, 0, i64::MAX] {
            assert_eq!(m.poll(now), Action::Serve);
        }
        assert_eq!(m.poll_timeout(0), None);
        assert_eq!(
            RefreshMachine::new(RefreshPolicy::botocore()).poll_timeout(0),
            None
        );
    }

    #[test]
    fn poll_timeout_walks_the_boundaries() {
        let m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), 0, Some(3600));
        let mut now = 0;
        let mut seen = [0i64; 3];
        for slot in &mut seen {
            now = m.poll_timeout(now).unwrap();
            *slot = now;
        }
        // 900 s window entered at 2701, 600 s at 3001, expired at 3601 (strict `<`).
        assert_eq!(seen, [2701, 3001, 3601]);
        assert_eq!(m.poll_timeout(now), None);
        assert_eq!(m.poll(2700), Action::Serve);
        assert_eq!(m.poll(2701), Action::ServeAndRefreshInBackground);
        assert_eq!(m.poll(3000), Action::ServeAndRefreshInBackground);
        assert_eq!(m.poll(3001), Action::FetchAndWait);
        assert_eq!(m.window(3600), Window::Mandatory);
        assert_eq!(m.window(3601), Window::Expired);
    }

    #[test]
    fn backoff_and_error_timers_show_in_poll_timeout() {
        let mut m = RefreshMachine::with_credentials(RefreshPolicy::cross_sdk(), 0, Some(3600));
        fetch(&mut m, 3700);
        assert_eq!(
            m.fetch_failed(3700, FetchFailure::Recoverable, 120),
            Outcome::ServeCached
        );
        assert_eq!(m.backoff_until(), Some(4120));
        assert_eq!(m.poll_timeout(3700), Some(4120));
        assert_eq!(m.poll(4119), Action::ServeRateLimited);
        assert_eq!(m.poll(4120), Action::FetchAndWait);

        fetch(&mut m, 4120);
        assert_eq!(
            m.fetch_failed(4120, FetchFailure::NonRecoverable, 2),
            Outcome::Fail(RefreshError::NonRecoverable)
        );
        assert_eq!(m.error_cached_until(), Some(4123));
        assert_eq!(m.poll_timeout(4120), Some(4123));
        assert_eq!(m.poll(4122), Action::FailWithCachedError);
        assert_eq!(m.poll(4123), Action::FetchAndWait);
    }

    #[test]
    fn success_clears_backoff_error_and_invalidation() {
        let mut m = RefreshMachine::with_credentials(RefreshPolicy::cross_sdk(), 0, Some(3600));
        assert!(m.invalidate(true));
        assert_eq!(m.window(10), Window::Mandatory);
        assert_eq!(m.poll(10), Action::FetchAndWait);
        fetch(&mut m, 10);
        assert_eq!(
            m.fetch_failed(10, FetchFailure::Recoverable, 0),
            Outcome::ServeCached
        );
        assert!(m.is_invalidated());
        assert_eq!(m.poll(11), Action::ServeRateLimited);
        assert_eq!(m.poll(310), Action::FetchAndWait);
        fetch(&mut m, 310);
        assert_eq!(m.fetch_succeeded(310, Some(310 + 600), 0), Outcome::UseNew);
        assert!(!m.is_invalidated());
        assert_eq!(m.backoff_until(), None);
        assert_eq!(m.advisory_window(), Some(300));
        assert_eq!(m.poll(311), Action::Serve);
        assert!(!m.invalidate(false));
        assert!(!RefreshMachine::new(RefreshPolicy::cross_sdk()).invalidate(true));
    }

    #[test]
    fn stale_results_follow_the_policy() {
        // botocore: stored, then raised, in the advisory window too.
        let mut b = RefreshMachine::with_credentials(RefreshPolicy::botocore(), 0, Some(3600));
        fetch(&mut b, 2800);
        assert_eq!(
            b.fetch_succeeded(2800, Some(2799), 0),
            Outcome::StoreAndFail(RefreshError::StillExpired)
        );
        assert_eq!(b.expiry(), Some(2799));
        assert_eq!(b.poll(2800), Action::FetchAndWait);
        // Expiring this very second is not expired for botocore.
        fetch(&mut b, 2800);
        assert_eq!(b.fetch_succeeded(2800, Some(2800), 0), Outcome::UseNew);

        // cross-SDK: a failure, cached set kept, backoff applied.
        let mut c = RefreshMachine::with_credentials(RefreshPolicy::cross_sdk(), 0, Some(3600));
        fetch(&mut c, 3000);
        assert_eq!(c.fetch_succeeded(3000, Some(3000), 0), Outcome::ServeCached);
        assert_eq!(c.expiry(), Some(3600));
        assert_eq!(c.backoff_until(), Some(3300));
        let mut e = RefreshMachine::new(RefreshPolicy::cross_sdk());
        fetch(&mut e, 0);
        assert_eq!(
            e.fetch_succeeded(0, Some(-5), 0),
            Outcome::Fail(RefreshError::StillExpired)
        );
        assert!(!e.has_credentials());
    }

    #[test]
    fn a_policy_that_raises_sets_no_backoff() {
        let policy = RefreshPolicy::botocore().with_failure_backoff(Some(JitterRange::fixed(60)));
        let mut m = RefreshMachine::with_credentials(policy, 0, Some(3600));
        fetch(&mut m, 3100);
        assert_eq!(
            m.fetch_failed(3100, FetchFailure::Recoverable, 0),
            Outcome::Fail(RefreshError::MandatoryRefreshFailed)
        );
        assert_eq!(m.backoff_until(), None);
        fetch(&mut m, 3100);
        assert_eq!(
            m.fetch_failed(3100, FetchFailure::Recoverable, 0),
            Outcome::Fail(RefreshError::MandatoryRefreshFailed)
        );
        // Advisory: served, so the backoff starts.
        let mut a = RefreshMachine::with_credentials(policy, 0, Some(3600));
        fetch(&mut a, 2800);
        assert_eq!(
            a.fetch_failed(2800, FetchFailure::Recoverable, 0),
            Outcome::ServeCached
        );
        assert_eq!(a.backoff_until(), Some(2860));
    }

    #[test]
    fn reports_without_a_started_fetch_use_the_current_window() {
        let mut m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), 0, Some(3600));
        assert_eq!(
            m.fetch_failed(2800, FetchFailure::Recoverable, 0),
            Outcome::ServeCached
        );
        assert_eq!(
            m.fetch_failed(3100, FetchFailure::Recoverable, 0),
            Outcome::Fail(RefreshError::MandatoryRefreshFailed)
        );
        let p = RefreshPolicy {
            serve_on_failure: ServeOnFailure {
                advisory: false,
                mandatory: true,
                expired: false,
            },
            ..RefreshPolicy::botocore()
        };
        let mut m = RefreshMachine::with_credentials(p, 0, Some(3600));
        assert!(matches!(
            m.fetch_failed(2800, FetchFailure::Recoverable, 0),
            Outcome::Fail(_)
        ));
        assert_eq!(
            m.fetch_failed(3100, FetchFailure::Recoverable, 0),
            Outcome::ServeCached
        );
        assert!(matches!(
            m.fetch_failed(3700, FetchFailure::Recoverable, 0),
            Outcome::Fail(_)
        ));
    }

    /// A deterministic walk through arbitrary calls with extreme numbers: nothing panics, the
    /// single-flight rule and the action invariants hold.
    #[test]
    fn arbitrary_call_sequences_keep_the_invariants() {
        const EDGES: [i64; 9] = [
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            1,
            599,
            3600,
            i64::MAX - 1,
            i64::MAX,
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let policies = [
            RefreshPolicy::botocore(),
            RefreshPolicy::botocore_exact(),
            RefreshPolicy::cross_sdk(),
            RefreshPolicy::cross_sdk().with_advisory_window(i64::MIN),
            RefreshPolicy {
                mandatory_secs: i64::MAX,
                failure_backoff: Some(JitterRange::new(i64::MIN, i64::MAX)),
                non_recoverable_ttl: Some(JitterRange::new(i64::MAX, i64::MAX)),
                ..RefreshPolicy::cross_sdk()
            },
        ];
        for policy in policies {
            let mut m = RefreshMachine::new(policy);
            for _ in 0..20_000 {
                let r = next();
                let now = if r & 1 == 0 {
                    EDGES[(r >> 1) as usize % EDGES.len()]
                } else {
                    (r >> 8) as i64 % 10_000
                };
                let jitter = next();
                match (r >> 40) % 8 {
                    0 | 1 => {
                        let a = m.poll(now);
                        if m.fetch_in_flight().is_some() {
                            assert!(!a.starts_fetch());
                        }
                        if !m.has_credentials() {
                            assert!(!a.serves_cached());
                        }
                        if a.starts_fetch() {
                            assert!(m.fetch_started(now).is_ok());
                        }
                        let _ = m.poll_timeout(now).map(|t| assert!(t > now));
                    }
                    2 => {
                        let expiry = if jitter & 1 == 0 {
                            None
                        } else {
                            Some(EDGES[(jitter >> 1) as usize % EDGES.len()])
                        };
                        let _ = m.fetch_succeeded(now, expiry, jitter);
                    }
                    3 => {
                        let _ = m.fetch_failed(now, FetchFailure::Recoverable, jitter);
                    }
                    4 => {
                        let _ = m.fetch_failed(now, FetchFailure::Incomplete, jitter);
                    }
                    5 => {
                        let _ = m.fetch_failed(now, FetchFailure::NonRecoverable, jitter);
                    }
                    6 => {
                        let _ = m.invalidate(jitter & 1 == 0);
                        let _ = m.extend(now, EDGES[jitter as usize % EDGES.len()], jitter);
                    }
                    _ => {
                        if m.fetch_in_flight().is_some() {
                            assert!(m.fetch_started(now).is_err());
                        }
                        m.fetch_abandoned();
                    }
                }
            }
        }
    }

    #[test]
    fn errors_display_what_happened() {
        use core::fmt::Write;
        let mut buf = [0u8; 256];
        let mut w = crate::buf::Writer::new(&mut buf);
        write!(w, "{}", RefreshError::StillExpired).unwrap();
        assert_eq!(
            w.finish().unwrap(),
            "Credentials were refreshed, but the refreshed credentials are still expired."
        );
        let mut buf = [0u8; 256];
        let mut w = crate::buf::Writer::new(&mut buf);
        write!(w, "{}", FetchInFlight { since: 42 }).unwrap();
        assert!(w.finish().unwrap().contains("started at 42"));
    }
}
