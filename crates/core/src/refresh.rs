//! Expiry and refresh: when cached credentials are served, refreshed ahead of time, or waited
//! for, and what a failed refresh leaves the caller with.
//!
//! Temporary credentials (IMDS, the container endpoint, `credential_process`, STS, SSO) carry an
//! expiry. A cache in front of their source must decide, on each request, whether the set it
//! holds is still good, whether to fetch a new one, whether callers wait for that fetch, and what
//! they get when it fails. This module makes those decisions, and only those: the caller's cache
//! holds the credentials, the clock, the random source and the connection to the source.
//!
//! - [`policy`]: the numbers and rules, as plain data ([`RefreshPolicy`]).
//! - [`machine`]: the state machine applying a policy, one call per event ([`RefreshMachine`]).
//! - [`stability`]: botocore's IMDS expiry extension ([`StaticStability`]).
//!
//! # botocore 1.43.11 ([`RefreshPolicy::botocore()`], spec §5)
//!
//! `RefreshableCredentials` checks the expiry on every read (spec §5.1). With `remaining =
//! expiry - now`:
//!
//! | remaining | botocore | here |
//! |---|---|---|
//! | no expiry | never refreshes | [`Action::Serve`] forever |
//! | `>= 900` s | nothing | [`Action::Serve`] |
//! | `< 900` s (advisory) | one thread refreshes (non-blocking lock), a failure is logged and swallowed, the old set is returned | [`Action::ServeAndRefreshInBackground`], failure → [`Outcome::ServeCached`] |
//! | `< 600` s (mandatory), expired included | every thread blocks on the lock, a failure is raised | [`Action::FetchAndWait`], failure → [`Outcome::Fail`] |
//! | nothing cached yet (`DeferredRefreshableCredentials`, §5.5) | the first read refreshes as mandatory | [`Action::FetchAndWait`], failure → [`RefreshError::NoCredentials`] |
//!
//! Both windows are strict: with exactly 900 s left nothing happens, with exactly 600 s left the
//! refresh is advisory, with 599 s it is mandatory. Refreshed credentials that are already
//! expired (`expiry - now < 0`) replace the cached set and raise `RuntimeError`
//! ([`Outcome::StoreAndFail`], [`RefreshError::StillExpired`]). There is no backoff: after a
//! failure the next read tries again.
//!
//! ## Where credchain differs: an empty IMDS answer in the advisory window
//!
//! botocore's guard only covers a refresh callback that *raises*. The IMDS fetcher does not
//! raise when IMDS is unreachable; it returns `{}`, which fails later, outside the guard, so an
//! IMDS outage breaks callers even in the advisory window, while their cached credentials are
//! good for up to 15 more minutes (spec §4.8). credchain treats that empty answer like any other
//! failed refresh ([`IncompleteResult::LikeFailure`], the default in
//! [`RefreshPolicy::botocore()`]); [`RefreshPolicy::botocore_exact()`] keeps botocore's
//! behaviour ([`IncompleteResult::RaiseAlways`]) for the differential tests. The IMDS adapter
//! reports such an answer as [`FetchFailure::Incomplete`].
//!
//! ## The IMDS expiry extension (spec §4.8)
//!
//! Before IMDS credentials reach the cache, an expiry within `900 + randint(120, 600)` seconds of
//! now is moved to now plus that offset ([`StaticStability::botocore()`],
//! [`RefreshMachine::extend`]). With the 15-minute advisory window this makes botocore ask IMDS
//! again every 2–10 minutes while IMDS keeps handing out near-expiry credentials.
//!
//! # The cross-SDK behaviour ([`RefreshPolicy::cross_sdk()`])
//!
//! The AWS SDKs are converging on "consistent credential refresh" (aws-config.md §1.3 "Coming
//! next"; botocore's unreleased `feature/credential-refresh` path, spec §10.15), checked by the
//! 24 cases of `credential-refresh-tests.json`:
//!
//! - a 60 s mandatory window and an advisory window chosen from each set's lifetime
//!   ([`advisory_window_for_lifetime`]: 5, 15 or 60 minutes), or configured;
//! - a failed refresh keeps serving the cached set, expired or not, and leaves the source alone
//!   for 300–600 s ([`Action::ServeRateLimited`]);
//! - a refresh returning credentials that expire at or before now is a failed refresh;
//! - a non-recoverable error is raised at once and remembered for 1–5 s
//!   ([`Action::FailWithCachedError`]);
//! - [`RefreshMachine::invalidate`], after the service rejected the cached access key, forces a
//!   mandatory refresh.
//!
//! # Time and randomness
//!
//! Instants are Unix seconds (`i64`), durations whole seconds. Random choices (backoff, error
//! lifetime, extension offset) take a raw `u64` from the caller, mapped by [`JitterRange::pick`]
//! as `min + jitter % (max - min + 1)`. Every computation saturates: no `i64` makes this module
//! panic, and nothing in it allocates.

pub mod machine;
pub mod policy;
pub mod stability;

pub use machine::{Action, FetchFailure, FetchInFlight, Outcome, RefreshError, RefreshMachine};
pub use policy::{
    AdvisoryWindow, BOTOCORE_ADVISORY_SECS, BOTOCORE_MANDATORY_SECS, CROSS_SDK_BACKOFF,
    CROSS_SDK_ERROR_TTL, CROSS_SDK_MANDATORY_SECS, Comparison, IncompleteResult, JitterRange,
    RefreshPolicy, ServeOnFailure, StaleResult, Window, advisory_window_for_lifetime,
};
pub use stability::{Extension, ExtensionTrigger, StaticStability};
