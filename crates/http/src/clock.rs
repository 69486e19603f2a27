//! Time for the machines: a monotonic origin on tokio's clock, and the wall clock and jitter
//! the IMDS expiry extension needs.

use std::hash::BuildHasher;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credchain_core::http::Instant;

/// The origin of a machine's [`Instant`]s: a point on tokio's clock.
///
/// tokio's clock is used (not `std`'s) so that timeouts, pauses and deadlines all follow
/// `tokio::time::pause()` together.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Origin(tokio::time::Instant);

impl Origin {
    pub(crate) fn new() -> Origin {
        Origin(tokio::time::Instant::now())
    }

    /// Now, as the machine counts time.
    pub(crate) fn now(&self) -> Instant {
        Instant::from_duration(tokio::time::Instant::now().saturating_duration_since(self.0))
    }

    /// The tokio instant of a machine instant. One too far to represent is a year from now,
    /// which no machine waits for.
    pub(crate) fn to_tokio(self, at: Instant) -> tokio::time::Instant {
        self.0.checked_add(at.since_origin()).unwrap_or_else(|| {
            let now = tokio::time::Instant::now();
            now.checked_add(Duration::from_secs(365 * 86_400))
                .unwrap_or(now)
        })
    }
}

/// Where a fetcher reads the wall-clock time and the random value that the IMDS expiry
/// extension needs (spec §4.8: `now + 900 + randint(120, 600)` seconds).
///
/// [`WallClock::system`] is the default. Tests replace it to make the extension exact.
#[derive(Debug, Clone, Copy)]
pub struct WallClock {
    /// Unix seconds now.
    pub now_unix_secs: fn() -> i64,
    /// A random `u64`, mapped by the core onto the jitter range.
    pub jitter: fn() -> u64,
}

impl WallClock {
    /// The system clock, and randomness from the operating system.
    #[must_use]
    pub fn system() -> WallClock {
        WallClock {
            now_unix_secs: system_unix_secs,
            jitter: system_jitter,
        }
    }
}

impl Default for WallClock {
    fn default() -> Self {
        WallClock::system()
    }
}

fn system_unix_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn system_jitter() -> u64 {
    // A jitter only spreads a fleet's requests; if the OS source fails, the standard library's
    // randomly keyed hasher is random enough.
    getrandom::u64().unwrap_or_else(|_| {
        std::collections::hash_map::RandomState::new().hash_one(SystemTime::now())
    })
}
