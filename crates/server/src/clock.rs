//! The server's notion of "now", which tests can move.
//!
//! Everything in the servers that depends on wall-clock time reads it from a [`Clock`]: when a
//! session token expires (imds-and-tools §2.1–2.2), which generation of rotating credentials is
//! current and what their `LastUpdated` and `Expiration` say (§2.4), and the time stamped on
//! each transcript entry. A test can freeze the clock, set it, or move it forward by hours
//! without waiting, and watch tokens expire and credentials rotate exactly as a client on a real
//! instance would see over that span.
//!
//! Delays, stalls and the request-rate throttle are about the network, not about the instance,
//! so they run on tokio's monotonic clock instead (and follow `tokio::time::pause` in tests).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credchain_core::time::Timestamp;

/// A shared, adjustable wall clock.
///
/// Cloning gives another handle on the same clock: the server keeps one, the test keeps one,
/// and a change made through either is seen by both.
///
/// A clock either follows the system time, shifted by an offset ([`Clock::system`]; the offset
/// starts at zero), or stands still ([`Clock::frozen`]). [`Clock::set`] and [`Clock::advance`]
/// keep the mode: a running clock keeps running from the new time, a frozen one stays frozen
/// there.
///
/// ```
/// use std::time::Duration;
/// use credchain_core::time::Timestamp;
/// use credchain_server::Clock;
///
/// let clock = Clock::frozen(Timestamp::parse("2026-01-01T00:00:00Z").unwrap());
/// clock.advance(Duration::from_secs(6 * 3600));
/// assert_eq!(clock.now().to_string(), "2026-01-01T06:00:00Z");
/// ```
#[derive(Clone, Debug)]
pub struct Clock {
    state: Arc<Mutex<State>>,
}

#[derive(Clone, Copy, Debug)]
enum State {
    /// System time plus this many nanoseconds (negative: behind).
    Running {
        offset_nanos: i128,
    },
    Frozen(Timestamp),
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

fn system_now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    Timestamp::UNIX_EPOCH
        .checked_add(since)
        .unwrap_or(Timestamp::MAX)
}

impl Clock {
    /// A clock that follows the system time.
    pub fn system() -> Clock {
        Clock {
            state: Arc::new(Mutex::new(State::Running { offset_nanos: 0 })),
        }
    }

    /// A clock that stands still at `at` until it is set or advanced.
    pub fn frozen(at: Timestamp) -> Clock {
        Clock {
            state: Arc::new(Mutex::new(State::Frozen(at))),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// The current time on this clock.
    pub fn now(&self) -> Timestamp {
        let state = self.with(|s| *s);
        match state {
            State::Frozen(t) => t,
            State::Running { offset_nanos } => shift(system_now(), offset_nanos),
        }
    }

    /// Makes [`now`](Self::now) return `at`; a running clock keeps running from there.
    pub fn set(&self, at: Timestamp) {
        self.with(|s| match s {
            State::Frozen(t) => *t = at,
            State::Running { offset_nanos } => *offset_nanos = at.nanos_since(system_now()),
        });
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = i128::try_from(by.as_nanos()).unwrap_or(i128::MAX);
        self.shift_by(nanos);
    }

    /// Moves the clock back by `by` (a host whose clock was corrected, a test of a client that
    /// sees time go backwards).
    pub fn rewind(&self, by: Duration) {
        let nanos = i128::try_from(by.as_nanos()).unwrap_or(i128::MAX);
        self.shift_by(nanos.saturating_neg());
    }

    fn shift_by(&self, nanos: i128) {
        self.with(|s| match s {
            State::Frozen(t) => *t = shift(*t, nanos),
            State::Running { offset_nanos } => *offset_nanos = offset_nanos.saturating_add(nanos),
        });
    }

    /// Stops the clock at its current time.
    pub fn freeze(&self) {
        let now = self.now();
        self.with(|s| *s = State::Frozen(now));
    }

    /// Lets a frozen clock run again from the time it shows.
    pub fn resume(&self) {
        let now = self.now();
        self.with(|s| {
            *s = State::Running {
                offset_nanos: now.nanos_since(system_now()),
            }
        });
    }

    /// Whether the clock stands still.
    pub fn is_frozen(&self) -> bool {
        self.with(|s| matches!(s, State::Frozen(_)))
    }
}

/// `t` shifted by `nanos`, saturating at the ends of the timestamp range.
pub(crate) fn shift(t: Timestamp, nanos: i128) -> Timestamp {
    let magnitude = Duration::from_nanos(u64::try_from(nanos.unsigned_abs()).unwrap_or(u64::MAX));
    let shifted = if nanos >= 0 {
        t.checked_add(magnitude)
    } else {
        t.checked_sub(magnitude)
    };
    shifted.unwrap_or(if nanos >= 0 {
        Timestamp::MAX
    } else {
        Timestamp::MIN
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn frozen_clock_moves_only_when_told() {
        let c = Clock::frozen(ts("2026-03-01T00:00:00Z"));
        assert_eq!(c.now(), ts("2026-03-01T00:00:00Z"));
        c.advance(Duration::from_secs(90));
        assert_eq!(c.now(), ts("2026-03-01T00:01:30Z"));
        c.rewind(Duration::from_secs(3600));
        assert_eq!(c.now(), ts("2026-02-28T23:01:30Z"));
        c.set(ts("2030-01-01T00:00:00Z"));
        assert_eq!(c.now(), ts("2030-01-01T00:00:00Z"));
        assert!(c.is_frozen());
    }

    #[test]
    fn running_clock_keeps_its_offset() {
        let c = Clock::system();
        let shared = c.clone();
        c.set(ts("2001-01-01T00:00:00Z"));
        let now = shared.now();
        assert!(now >= ts("2001-01-01T00:00:00Z") && now < ts("2001-01-01T00:01:00Z"));
        shared.advance(Duration::from_secs(86_400));
        assert!(c.now() >= ts("2001-01-02T00:00:00Z"));
        assert!(!c.is_frozen());
        c.freeze();
        let f = c.now();
        assert_eq!(c.now(), f);
        c.resume();
        assert!(c.now() >= f);
    }

    #[test]
    fn shifting_saturates_at_the_range() {
        assert_eq!(shift(Timestamp::MAX, i128::MAX), Timestamp::MAX);
        assert_eq!(shift(Timestamp::MIN, i128::MIN), Timestamp::MIN);
    }
}
