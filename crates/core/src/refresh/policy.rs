//! The numbers and rules of a refresh policy, as plain data.
//!
//! A credential cache answers the same few questions every time it is asked for credentials:
//! how close to the expiry may the cached set get before a new one is fetched, what happens
//! when that fetch fails, and how soon may the source be asked again. A [`RefreshPolicy`]
//! writes the answers down. [`RefreshPolicy::botocore()`] is botocore 1.43.11 (spec §5);
//! [`RefreshPolicy::cross_sdk()`] is the "consistent credential refresh" behaviour the AWS SDKs
//! are converging on (aws-config.md §1.3 "Coming next", tested by `credential-refresh-tests.json`).
//! The [`RefreshMachine`](super::RefreshMachine) applies whichever policy it is given.
//!
//! All durations are whole seconds (`i64`), all instants are Unix seconds (`i64`). Jitter is a
//! raw random `u64` from the caller, mapped into a range by [`JitterRange::pick`].

use super::stability::StaticStability;

/// botocore's advisory refresh window: 15 minutes before expiry (spec §5.1,
/// `_DEFAULT_ADVISORY_REFRESH_TIMEOUT`).
pub const BOTOCORE_ADVISORY_SECS: i64 = 15 * 60;

/// botocore's mandatory refresh window: 10 minutes before expiry (spec §5.1,
/// `_DEFAULT_MANDATORY_REFRESH_TIMEOUT`).
pub const BOTOCORE_MANDATORY_SECS: i64 = 10 * 60;

/// The cross-SDK mandatory (blocking) refresh window: 60 seconds before expiry
/// (aws-config.md §1.3 "Coming next").
pub const CROSS_SDK_MANDATORY_SECS: i64 = 60;

/// The cross-SDK backoff after a failed refresh: 300 to 600 seconds, both ends included.
pub const CROSS_SDK_BACKOFF: JitterRange = JitterRange::new(300, 600);

/// How long the cross-SDK behaviour remembers a non-recoverable error: 1 to 5 seconds, both ends
/// included ("cached for up to 5 seconds" in `credential-refresh-tests.json`).
pub const CROSS_SDK_ERROR_TTL: JitterRange = JitterRange::new(1, 5);

/// The cross-SDK advisory window for credentials of a given lifetime (seconds from when they
/// were received to their expiry).
///
/// | lifetime | advisory window |
/// |---|---|
/// | 20 minutes or less | 5 minutes |
/// | more than 20, less than 90 minutes | 15 minutes |
/// | 90 minutes or more | 60 minutes |
///
/// Short-lived credentials get a short window so that they are not refreshed the moment they
/// arrive; long-lived ones get a long window so that a source outage has an hour to heal before
/// anything becomes urgent.
///
/// ```
/// use credchain_core::refresh::advisory_window_for_lifetime;
/// assert_eq!(advisory_window_for_lifetime(20 * 60), 5 * 60);
/// assert_eq!(advisory_window_for_lifetime(20 * 60 + 1), 15 * 60);
/// assert_eq!(advisory_window_for_lifetime(90 * 60 - 1), 15 * 60);
/// assert_eq!(advisory_window_for_lifetime(90 * 60), 60 * 60);
/// ```
#[must_use]
pub const fn advisory_window_for_lifetime(lifetime_secs: i64) -> i64 {
    if lifetime_secs <= 20 * 60 {
        5 * 60
    } else if lifetime_secs < 90 * 60 {
        15 * 60
    } else {
        60 * 60
    }
}

/// An inclusive range of whole seconds that a caller's random number picks from.
///
/// The core has no random source; the caller passes any `u64` (from a RNG, or a fixed value in a
/// test) and [`pick`](Self::pick) maps it to `min + jitter % (max - min + 1)`. Every value of
/// the range is reachable: jitter `0` gives `min`, jitter `max - min` gives `max`. The modulo bias
/// is below 2^-50 for any range of seconds a policy uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JitterRange {
    /// The smallest value, included.
    pub min: i64,
    /// The largest value, included. A `max` below `min` makes the range the single value `min`.
    pub max: i64,
}

impl JitterRange {
    /// The range `min..=max`.
    #[must_use]
    pub const fn new(min: i64, max: i64) -> Self {
        JitterRange { min, max }
    }

    /// The range holding only `secs`: no jitter.
    #[must_use]
    pub const fn fixed(secs: i64) -> Self {
        JitterRange {
            min: secs,
            max: secs,
        }
    }

    /// Maps a raw random value into the range: `min + jitter % (max - min + 1)`.
    #[must_use]
    pub const fn pick(self, jitter: u64) -> i64 {
        if self.max <= self.min {
            return self.min;
        }
        // `max - min` fits in a u64 for any pair of i64 with max > min.
        let span_minus_one = self.max.abs_diff(self.min);
        let offset = match span_minus_one.checked_add(1) {
            Some(span) => match jitter.checked_rem(span) {
                Some(offset) => offset,
                // `span >= 2` here; kept total without a panic path.
                None => 0,
            },
            // The range covers all of i64: every jitter value is already an offset.
            None => jitter,
        };
        // `offset <= max - min`, so `min + offset <= max`: wrapping arithmetic is exact here.
        self.min.wrapping_add_unsigned(offset)
    }

    /// The jitter value that [`pick`](Self::pick) maps to `secs`, if `secs` is in the range.
    /// Tests use it to pin a value ("`refreshBackoffSeconds`: 420").
    #[must_use]
    pub const fn jitter_for(self, secs: i64) -> Option<u64> {
        if secs < self.min || secs > self.max {
            return None;
        }
        Some(secs.abs_diff(self.min))
    }
}

/// How "less than `w` seconds left" is decided at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// A window of `w` seconds is entered when `expiry - now < w`. botocore's `refresh_needed`
    /// (spec §5.1): with exactly 900 s left nothing happens, with 899 s the advisory refresh starts.
    /// Expired means `expiry - now < 0`.
    Strict,
    /// A window of `w` seconds is entered when `expiry - now <= w`. Expired means
    /// `expiry <= now`.
    Inclusive,
}

impl Comparison {
    /// Whether `remaining` seconds of validity lie inside a window of `window` seconds.
    #[must_use]
    pub const fn within(self, remaining: i64, window: i64) -> bool {
        match self {
            Comparison::Strict => remaining < window,
            Comparison::Inclusive => remaining <= window,
        }
    }

    /// The first whole second at which credentials expiring at `expiry` are inside a window of
    /// `window` seconds.
    #[must_use]
    pub const fn window_start(self, expiry: i64, window: i64) -> i64 {
        let edge = expiry.saturating_sub(window);
        match self {
            Comparison::Strict => edge.saturating_add(1),
            Comparison::Inclusive => edge,
        }
    }
}

/// How the advisory window of a set of credentials is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdvisoryWindow {
    /// The same number of seconds for every set (botocore: 900; a customer's configured window
    /// in the cross-SDK behaviour, `configuredAdvisoryWindowSeconds`).
    Fixed(i64),
    /// Chosen from each set's lifetime by [`advisory_window_for_lifetime`], and chosen again
    /// after every successful refresh.
    ByLifetime,
}

impl AdvisoryWindow {
    /// The advisory window, in seconds, for credentials valid for `lifetime_secs` from the moment
    /// they were received.
    #[must_use]
    pub const fn for_lifetime(self, lifetime_secs: i64) -> i64 {
        match self {
            AdvisoryWindow::Fixed(secs) => secs,
            AdvisoryWindow::ByLifetime => advisory_window_for_lifetime(lifetime_secs),
        }
    }
}

/// Where a set of cached credentials stands, as the policy sees it. Ordered by urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Window {
    /// Nothing to do: no expiry, or more time left than the advisory window.
    Fresh,
    /// Inside the advisory window: worth refreshing, but the cached set is still good to serve
    /// while one caller refreshes.
    Advisory,
    /// Inside the mandatory window (or invalidated): callers wait for a refresh.
    Mandatory,
    /// Past the expiry (a sub-case of mandatory that some policies treat apart on failure).
    Expired,
    /// Nothing cached yet (botocore's `DeferredRefreshableCredentials` before first use,
    /// spec §5.5): the first fetch is mandatory and its failure has nothing to fall back on.
    Empty,
}

impl core::fmt::Display for Window {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Window::Fresh => "fresh",
            Window::Advisory => "in the advisory refresh window",
            Window::Mandatory => "in the mandatory refresh window",
            Window::Expired => "expired",
            Window::Empty => "nothing cached",
        })
    }
}

/// For each window, whether a failed refresh hands the caller the cached credentials (`true`) or
/// the error (`false`). With nothing cached there is nothing to hand out, so that case always
/// fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServeOnFailure {
    /// A refresh that started in the advisory window (or in the fresh window, when a caller forced
    /// one) failed.
    pub advisory: bool,
    /// A refresh that started in the mandatory window, or after an invalidation, failed.
    pub mandatory: bool,
    /// A refresh that started after the expiry failed.
    pub expired: bool,
}

impl ServeOnFailure {
    /// Whether a failure of a refresh started in `window` serves the cached credentials.
    #[must_use]
    pub const fn serves(self, window: Window) -> bool {
        match window {
            Window::Fresh | Window::Advisory => self.advisory,
            Window::Mandatory => self.mandatory,
            Window::Expired => self.expired,
            Window::Empty => false,
        }
    }
}

/// What a refresh that produced *no* credentials, without raising, means.
///
/// botocore's IMDS fetcher does not raise when IMDS is unreachable or answers badly: it returns
/// `{}` (spec §4.3–§4.5). `RefreshableCredentials._set_from_data` then raises
/// `CredentialRetrievalError` ("Credential refresh failed, response did not contain: …"), and it
/// does so *outside* the guard that swallows advisory-window failures (spec §4.8, §5.2). So in
/// botocore an IMDS outage during the advisory window breaks every caller, although the cached
/// credentials have up to 15 minutes of validity left, while a container or process outage in the
/// same window is silently absorbed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncompleteResult {
    /// botocore 1.43.11 exactly: raise `CredentialRetrievalError` in every window. For the
    /// differential tests against botocore.
    RaiseAlways,
    /// credchain's improvement (DESIGN.md "Deliberate improvements"): an empty result is a failed
    /// refresh like any other, so inside the advisory window the cached credentials keep being
    /// served. In the mandatory window it still raises, as every failure does in botocore.
    LikeFailure,
}

/// What a refresh that returned credentials that are already expired means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StaleResult {
    /// botocore (spec §5.2): the new credentials replace the cached ones (`_set_from_data` has
    /// already run), then `RuntimeError("Credentials were refreshed, but the refreshed
    /// credentials are still expired.")` is raised, in every window. "Expired" is
    /// `expiry - now < 0`: credentials expiring this very second are accepted.
    StoreAndRaise,
    /// cross-SDK: credentials whose expiry is at or before now are a failed refresh; the cached
    /// credentials stay, and the failure is handled like any other (backoff, serve cached).
    Failure,
}

/// When and how a credential cache refreshes, as data.
///
/// Build one with [`botocore()`](Self::botocore), [`botocore_exact()`](Self::botocore_exact) or
/// [`cross_sdk()`](Self::cross_sdk), then adjust fields or use the `with_*` helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefreshPolicy {
    /// How long before the expiry a refresh is attempted while the cached credentials are still
    /// served.
    pub advisory: AdvisoryWindow,
    /// How long before the expiry callers must wait for a refresh instead of using the cached set.
    pub mandatory_secs: i64,
    /// Whether window edges are strict (`<`) or inclusive (`<=`).
    pub comparison: Comparison,
    /// Per window, whether a failed refresh serves the cached credentials or raises.
    pub serve_on_failure: ServeOnFailure,
    /// What an empty refresh result (botocore's IMDS `{}`) means.
    pub incomplete_result: IncompleteResult,
    /// What a refresh result that is already expired means.
    pub stale_result: StaleResult,
    /// After a failed refresh that served the cached credentials, how long the source is left
    /// alone (callers get the cached set, "rate limited"). `None`: no backoff, every caller may
    /// try again (botocore).
    pub failure_backoff: Option<JitterRange>,
    /// How a *non-recoverable* failure (expired SSO token, re-authentication needed) is handled.
    /// `Some(ttl)`: it is raised in every window, no backoff is applied, and the error is
    /// remembered for `ttl` so callers retrying in a loop do not hammer the source (cross-SDK).
    /// `None`: such failures are handled like recoverable ones (botocore 1.43.11 has no such
    /// class of error, spec §10.15).
    pub non_recoverable_ttl: Option<JitterRange>,
    /// The IMDS expiry extension (spec §4.8), applied by the IMDS source to each document it
    /// fetches, before the result reaches the cache. `None`: no extension.
    pub static_stability: Option<StaticStability>,
}

impl RefreshPolicy {
    /// botocore 1.43.11 (spec §5), with credchain's one improvement to refresh: an empty IMDS
    /// result inside the advisory window keeps serving the cached credentials
    /// ([`IncompleteResult::LikeFailure`]). This is credchain's default.
    ///
    /// - advisory window 900 s, mandatory 600 s, both strict: `expiry - now < w` (§5.1);
    /// - credentials without an expiry are never refreshed (§5.1);
    /// - nothing cached yet: the first fetch is mandatory, its errors propagate (§5.5);
    /// - a failed refresh is swallowed in the advisory window and raised in the mandatory one,
    ///   expired included (§5.2); no backoff: the next caller tries again;
    /// - refreshed credentials that are still expired replace the cached ones and raise (§5.2);
    /// - IMDS documents expiring within 17–25 minutes are extended (§4.8,
    ///   [`StaticStability::botocore()`]).
    #[must_use]
    pub const fn botocore() -> Self {
        RefreshPolicy {
            advisory: AdvisoryWindow::Fixed(BOTOCORE_ADVISORY_SECS),
            mandatory_secs: BOTOCORE_MANDATORY_SECS,
            comparison: Comparison::Strict,
            serve_on_failure: ServeOnFailure {
                advisory: true,
                mandatory: false,
                expired: false,
            },
            incomplete_result: IncompleteResult::LikeFailure,
            stale_result: StaleResult::StoreAndRaise,
            failure_backoff: None,
            non_recoverable_ttl: None,
            static_stability: Some(StaticStability::botocore()),
        }
    }

    /// botocore 1.43.11 with no improvement at all: like [`botocore()`](Self::botocore), but an
    /// empty IMDS result raises in the advisory window too ([`IncompleteResult::RaiseAlways`]).
    /// The differential tests use it to compare decisions with botocore's own.
    #[must_use]
    pub const fn botocore_exact() -> Self {
        RefreshPolicy {
            incomplete_result: IncompleteResult::RaiseAlways,
            ..RefreshPolicy::botocore()
        }
    }

    /// The cross-SDK "consistent credential refresh" behaviour (aws-config.md §1.3 "Coming
    /// next", botocore's unreleased `feature/credential-refresh` path, spec §10.15), the behaviour
    /// `credential-refresh-tests.json` checks:
    ///
    /// - mandatory window 60 s; advisory window by lifetime ([`advisory_window_for_lifetime`]),
    ///   chosen again after every successful refresh; both strict;
    /// - a failed refresh serves the cached credentials in every window, expired ones included,
    ///   and backs off 300–600 s; with nothing cached it raises, with no backoff;
    /// - refreshed credentials expiring at or before now are a failed refresh;
    /// - a non-recoverable error is raised at once, with no backoff, and remembered 1–5 s;
    /// - an invalidation (the caller saw its access key rejected) forces a mandatory refresh;
    /// - no IMDS expiry extension: serving the cached (even expired) set on failure replaces it.
    #[must_use]
    pub const fn cross_sdk() -> Self {
        RefreshPolicy {
            advisory: AdvisoryWindow::ByLifetime,
            mandatory_secs: CROSS_SDK_MANDATORY_SECS,
            comparison: Comparison::Strict,
            serve_on_failure: ServeOnFailure {
                advisory: true,
                mandatory: true,
                expired: true,
            },
            incomplete_result: IncompleteResult::LikeFailure,
            stale_result: StaleResult::Failure,
            failure_backoff: Some(CROSS_SDK_BACKOFF),
            non_recoverable_ttl: Some(CROSS_SDK_ERROR_TTL),
            static_stability: None,
        }
    }

    /// The same policy with a fixed advisory window (a customer's configured window overrides the
    /// lifetime table).
    #[must_use]
    pub const fn with_advisory_window(self, secs: i64) -> Self {
        RefreshPolicy {
            advisory: AdvisoryWindow::Fixed(secs),
            ..self
        }
    }

    /// The same policy with another failure backoff (`None`: none).
    #[must_use]
    pub const fn with_failure_backoff(self, backoff: Option<JitterRange>) -> Self {
        RefreshPolicy {
            failure_backoff: backoff,
            ..self
        }
    }

    /// The advisory window for credentials received at `received_at` and expiring at `expiry`.
    #[must_use]
    pub const fn advisory_secs(&self, received_at: i64, expiry: i64) -> i64 {
        self.advisory
            .for_lifetime(expiry.saturating_sub(received_at))
    }

    /// Where credentials expiring at `expiry` (`None`: never) stand at `now`, given their
    /// advisory window. Windows are checked from the most urgent down, so a mandatory window
    /// wider than the advisory one still reads as mandatory.
    #[must_use]
    pub const fn window(&self, now: i64, expiry: Option<i64>, advisory_secs: i64) -> Window {
        let Some(expiry) = expiry else {
            return Window::Fresh;
        };
        let remaining = expiry.saturating_sub(now);
        if self.comparison.within(remaining, 0) {
            Window::Expired
        } else if self.comparison.within(remaining, self.mandatory_secs) {
            Window::Mandatory
        } else if self.comparison.within(remaining, advisory_secs) {
            Window::Advisory
        } else {
            Window::Fresh
        }
    }

    /// Whether freshly fetched credentials expiring at `expiry` count as stale at `now`, by
    /// [`stale_result`](Self::stale_result)'s definition.
    #[must_use]
    pub const fn is_stale(&self, now: i64, expiry: i64) -> bool {
        match self.stale_result {
            StaleResult::StoreAndRaise => expiry < now,
            StaleResult::Failure => expiry <= now,
        }
    }
}

impl Default for RefreshPolicy {
    /// [`RefreshPolicy::botocore()`].
    fn default() -> Self {
        RefreshPolicy::botocore()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_reaches_both_ends_and_never_leaves_the_range() {
        let r = JitterRange::new(300, 600);
        assert_eq!(r.pick(0), 300);
        assert_eq!(r.pick(300), 600);
        assert_eq!(r.pick(301), 300);
        assert_eq!(r.pick(120), 420);
        assert_eq!(r.jitter_for(420), Some(120));
        assert_eq!(r.jitter_for(299), None);
        assert_eq!(r.jitter_for(601), None);
        for j in [0, 1, 2, 299, 300, 301, u64::MAX - 1, u64::MAX, 1 << 63] {
            let v = r.pick(j);
            assert!((300..=600).contains(&v), "{j} -> {v}");
        }
        assert_eq!(JitterRange::fixed(7).pick(u64::MAX), 7);
        assert_eq!(JitterRange::new(5, 1).pick(3), 5);
        let all = JitterRange::new(i64::MIN, i64::MAX);
        assert_eq!(all.pick(0), i64::MIN);
        assert_eq!(all.pick(u64::MAX), i64::MAX);
        let top = JitterRange::new(i64::MAX - 1, i64::MAX);
        assert_eq!(top.pick(u64::MAX), i64::MAX);
        assert_eq!(top.pick(u64::MAX - 1), i64::MAX - 1);
    }

    #[test]
    fn lifetime_table_edges() {
        for (lifetime, window) in [
            (i64::MIN, 300),
            (0, 300),
            (600, 300),
            (1200, 300),
            (1201, 900),
            (1230, 900),
            (5399, 900),
            (5400, 3600),
            (21600, 3600),
            (i64::MAX, 3600),
        ] {
            assert_eq!(advisory_window_for_lifetime(lifetime), window, "{lifetime}");
        }
        assert_eq!(AdvisoryWindow::Fixed(1800).for_lifetime(21600), 1800);
    }

    #[test]
    fn botocore_windows_are_strict() {
        let p = RefreshPolicy::botocore();
        let w = |remaining: i64| p.window(1_000_000 - remaining, Some(1_000_000), 900);
        assert_eq!(w(901), Window::Fresh);
        assert_eq!(w(900), Window::Fresh);
        assert_eq!(w(899), Window::Advisory);
        assert_eq!(w(600), Window::Advisory);
        assert_eq!(w(599), Window::Mandatory);
        assert_eq!(w(0), Window::Mandatory);
        assert_eq!(w(-1), Window::Expired);
        assert_eq!(p.window(i64::MIN, None, 900), Window::Fresh);
        assert_eq!(p.window(i64::MIN, Some(i64::MAX), 900), Window::Fresh);
        assert_eq!(p.window(i64::MAX, Some(i64::MIN), 900), Window::Expired);
        assert_eq!(Comparison::Strict.window_start(1000, 900), 101);
        assert_eq!(Comparison::Inclusive.window_start(1000, 900), 100);
        assert_eq!(Comparison::Strict.window_start(i64::MIN, 900), i64::MIN + 1);
    }

    #[test]
    fn stale_definitions_differ_at_the_expiry_second() {
        assert!(!RefreshPolicy::botocore().is_stale(100, 100));
        assert!(RefreshPolicy::botocore().is_stale(100, 99));
        assert!(RefreshPolicy::cross_sdk().is_stale(100, 100));
        assert!(!RefreshPolicy::cross_sdk().is_stale(100, 101));
    }

    #[test]
    fn presets_differ_only_where_documented() {
        let b = RefreshPolicy::botocore();
        let e = RefreshPolicy::botocore_exact();
        assert_eq!(
            RefreshPolicy {
                incomplete_result: IncompleteResult::RaiseAlways,
                ..b
            },
            e
        );
        assert_eq!(RefreshPolicy::default(), b);
        let c = RefreshPolicy::cross_sdk().with_advisory_window(1800);
        assert_eq!(c.advisory_secs(0, 21600), 1800);
        assert_eq!(RefreshPolicy::cross_sdk().advisory_secs(0, 21600), 3600);
    }
}
