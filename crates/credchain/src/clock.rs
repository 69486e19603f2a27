//! Time and randomness for the cache, injectable so that tests run in virtual time.
//!
//! The refresh machine of the core never reads a clock or a random source (DESIGN.md, "The core
//! is sans-IO"): the cache reads them and passes the values in. [`SystemClock`] and
//! [`OsRandom`] are the defaults; [`ManualClock`] is a clock a test moves by hand.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the cache reads the wall-clock time it compares expiries with.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that stands still until moved: virtual time for tests. Clones share one time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use credchain::{Clock, ManualClock};
///
/// let clock = ManualClock::at_unix_secs(1_000);
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_060));
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    /// Nanoseconds since the Unix epoch (negative: before), which covers 1678 to 2262.
    nanos: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock showing `at`.
    #[must_use]
    pub fn new(at: SystemTime) -> ManualClock {
        let clock = ManualClock {
            nanos: Arc::new(AtomicI64::new(0)),
        };
        clock.set(at);
        clock
    }

    /// A clock showing `secs` seconds after the Unix epoch.
    #[must_use]
    pub fn at_unix_secs(secs: i64) -> ManualClock {
        ManualClock {
            nanos: Arc::new(AtomicI64::new(secs.saturating_mul(1_000_000_000))),
        }
    }

    /// Shows `at` from now on (saturating at the ends of the range).
    pub fn set(&self, at: SystemTime) {
        let nanos = match at.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => i64::try_from(e.duration().as_nanos())
                .unwrap_or(i64::MAX)
                .saturating_neg(),
        };
        self.nanos.store(nanos, Ordering::SeqCst);
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.as_nanos()).unwrap_or(i64::MAX);
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        let n = self.nanos.load(Ordering::SeqCst);
        let d = Duration::from_nanos(n.unsigned_abs());
        if n >= 0 {
            UNIX_EPOCH.checked_add(d)
        } else {
            UNIX_EPOCH.checked_sub(d)
        }
        .unwrap_or(UNIX_EPOCH)
    }
}

/// Where the cache draws the random values the refresh policy maps onto its jitter ranges
/// (the failure backoff, the lifetime of a remembered error).
pub trait RandomSource: Send + Sync + fmt::Debug {
    /// A random `u64`.
    fn next_u64(&self) -> u64;
}

/// The operating system's random source (`getrandom`).
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn next_u64(&self) -> u64 {
        // A jitter only spreads a fleet's requests: if the OS source fails, the standard
        // library's randomly keyed hasher is random enough.
        getrandom::u64().unwrap_or_else(|_| {
            std::collections::hash_map::RandomState::new().hash_one(SystemTime::now())
        })
    }
}

/// The same value every time: pins a jitter in a test.
#[derive(Debug, Clone, Copy, Default)]
pub struct FixedRandom(pub u64);

impl RandomSource for FixedRandom {
    fn next_u64(&self) -> u64 {
        self.0
    }
}
