//! `RefreshMachine`: arbitrary sequences of calls under each policy preset, with arbitrary
//! (huge, negative) times, expiries and jitter.
//!
//! Input (see README.md for the byte layout): a policy byte, the starting time, how the cache
//! starts (empty, credentials without expiry, credentials with an expiry), then operations:
//! poll, fetch_started, fetch_succeeded, fetch_failed (each kind), invalidate, advance or set
//! the clock, fetch_abandoned, the expiry extension and jitter ranges, and a whole "get
//! credentials" step as a cache performs it.
//!
//! Invariants after every step: a poll never serves from an empty cache and never starts a
//! second fetch; `ServeRateLimited` / `FailWithCachedError` only while the backoff / the
//! remembered error is in force; `poll_timeout(now)` is `None` or later than `now`, and
//! `poll`/`window` answer the same from `now` up to it (and for ever when it is `None`) and
//! differently at it. Per call: `fetch_started` while in flight is refused and changes
//! nothing; every report ends the fetch in flight; `UseNew` stores exactly the new expiry and
//! clears backoff, remembered error and invalidation; `ServeCached` needs something cached;
//! failures leave the cached expiry alone; an empty cache always raises; `invalidate` reports
//! exactly whether it invalidated; the extension is `now + offset` with the offset its
//! `StaticStability` picks; `JitterRange::pick` stays in range and inverts `jitter_for`.
#![no_main]

use credchain_core::refresh::{
    Action, FetchFailure, FetchInFlight, JitterRange, Outcome, RefreshError, RefreshMachine,
    RefreshPolicy, StaticStability, Window,
};
use libfuzzer_sys::fuzz_target;

/// Times that sit on or near the edges of the windows and of `i64`.
const EDGES: [i64; 24] = [
    i64::MIN,
    i64::MIN + 1,
    -3600,
    -1,
    0,
    1,
    59,
    60,
    61,
    299,
    300,
    599,
    600,
    601,
    899,
    900,
    901,
    1020,
    1500,
    3600,
    1_700_000_000,
    253_402_300_799,
    i64::MAX - 1,
    i64::MAX,
];

/// Reads the input: bytes, and numbers in a compact tagged form.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for b in &mut out {
            *b = self.byte().unwrap_or(0);
        }
        out
    }

    /// A tag byte, then: `tag % 4 == 0` an edge value (`EDGES[tag / 4 % 24]`), `1` a signed
    /// byte, `2` a signed little-endian `i16`, `3` a little-endian `i64`. 0 at the end.
    fn number(&mut self) -> i64 {
        let Some(tag) = self.byte() else { return 0 };
        match tag % 4 {
            0 => EDGES[usize::from(tag / 4) % EDGES.len()],
            1 => i64::from(i8::from_le_bytes(self.bytes::<1>())),
            2 => i64::from(i16::from_le_bytes(self.bytes::<2>())),
            _ => i64::from_le_bytes(self.bytes::<8>()),
        }
    }

    fn jitter(&mut self) -> u64 {
        self.number() as u64
    }
}

/// What `poll` and `window` say at `t`: what must stay constant between timeouts.
fn observe(m: &RefreshMachine, t: i64) -> (Action, Window) {
    (m.poll(t), m.window(t))
}

/// The instant halfway from `a` to `b`.
fn midpoint(a: i64, b: i64) -> i64 {
    (i128::from(a) + i128::from(b)).div_euclid(2) as i64
}

/// The invariants that hold in every state.
fn check_state(m: &RefreshMachine, now: i64) {
    let a = m.poll(now);
    assert_eq!(m.poll(now), a, "poll is not a pure function of the state");
    if !m.has_credentials() {
        assert!(!a.serves_cached(), "{a:?} with nothing cached");
        assert_eq!(m.window(now), Window::Empty);
        assert_eq!(m.expiry(), None);
        assert_eq!(m.advisory_window(), None);
        assert!(!m.is_invalidated(), "invalidated with nothing cached");
    } else {
        assert_ne!(
            m.window(now),
            Window::Empty,
            "Empty window with credentials cached"
        );
        assert!(m.advisory_window().is_some());
    }
    if m.fetch_in_flight().is_some() {
        assert!(!a.starts_fetch(), "{a:?} while a fetch is in flight");
    }
    match a {
        Action::ServeRateLimited => {
            assert!(m.is_rate_limited(now), "ServeRateLimited without a backoff")
        }
        Action::FailWithCachedError => assert!(
            m.is_error_cached(now),
            "FailWithCachedError without an error"
        ),
        Action::WaitForInFlight => assert!(
            m.fetch_in_flight().is_some(),
            "WaitForInFlight with no fetch"
        ),
        _ => {}
    }
    if m.is_invalidated() {
        assert!(
            m.window(now) >= Window::Mandatory,
            "invalidated credentials not treated as mandatory"
        );
    }

    let here = observe(m, now);
    let timeout = m.poll_timeout(now);
    match timeout {
        Some(t) => {
            assert!(t > now, "poll_timeout({now}) = {t} is not later than now");
            assert_eq!(
                observe(m, t - 1),
                here,
                "answer changed before poll_timeout({now}) = {t}"
            );
            let mid = midpoint(now, t);
            assert_eq!(
                observe(m, mid),
                here,
                "answer changed at {mid}, before poll_timeout {t}"
            );
            assert_ne!(
                observe(m, t),
                observe(m, t - 1),
                "nothing changes at poll_timeout {t}"
            );
        }
        None => {
            assert_eq!(
                observe(m, i64::MAX),
                here,
                "poll_timeout({now}) is None but the answer changes"
            );
            let mid = midpoint(now, i64::MAX);
            assert_eq!(
                observe(m, mid),
                here,
                "poll_timeout({now}) is None but the answer changes at {mid}"
            );
        }
    }
}

fn fetch_started(m: &mut RefreshMachine, now: i64) -> Result<Window, FetchInFlight> {
    let before = *m;
    let window = m.window(now);
    let r = m.fetch_started(now);
    match before.fetch_in_flight() {
        Some(since) => {
            assert_eq!(r, Err(FetchInFlight { since }), "a second fetch was let in");
            assert_eq!(*m, before, "a refused fetch_started changed the machine");
        }
        None => {
            assert_eq!(
                r,
                Ok(window),
                "fetch_started reports another window than window(now)"
            );
            assert_eq!(m.fetch_in_flight(), Some(now));
        }
    }
    r
}

fn fetch_succeeded(m: &mut RefreshMachine, now: i64, expiry: Option<i64>, jitter: u64) -> Outcome {
    let before = *m;
    let outcome = m.fetch_succeeded(now, expiry, jitter);
    assert_eq!(
        m.fetch_in_flight(),
        None,
        "fetch still in flight after its report"
    );
    match outcome {
        Outcome::UseNew => {
            assert!(m.has_credentials());
            assert_eq!(m.expiry(), expiry, "UseNew stored another expiry");
            assert!(!m.is_invalidated());
            assert_eq!(m.backoff_until(), None);
            assert_eq!(m.error_cached_until(), None);
            assert!(
                expiry.is_none_or(|e| !m.policy().is_stale(now, e)),
                "stale credentials used"
            );
        }
        Outcome::StoreAndFail(e) => {
            assert_eq!(e, RefreshError::StillExpired);
            assert_eq!(m.expiry(), expiry);
            assert!(
                expiry.is_some_and(|e| m.policy().is_stale(now, e)),
                "fresh credentials refused"
            );
        }
        Outcome::ServeCached | Outcome::Fail(_) => {
            assert!(
                expiry.is_some_and(|e| m.policy().is_stale(now, e)),
                "fresh credentials refused"
            );
            assert_eq!(m.has_credentials(), before.has_credentials());
            assert_eq!(
                m.expiry(),
                before.expiry(),
                "a refused result changed the cached expiry"
            );
            if outcome == Outcome::ServeCached {
                assert!(before.has_credentials(), "ServeCached with nothing cached");
            }
        }
    }
    outcome
}

fn fetch_failed(m: &mut RefreshMachine, now: i64, failure: FetchFailure, jitter: u64) -> Outcome {
    let before = *m;
    let outcome = m.fetch_failed(now, failure, jitter);
    assert_eq!(
        m.fetch_in_flight(),
        None,
        "fetch still in flight after its report"
    );
    assert_eq!(m.has_credentials(), before.has_credentials());
    assert_eq!(
        m.expiry(),
        before.expiry(),
        "a failure changed the cached expiry"
    );
    assert_eq!(m.advisory_window(), before.advisory_window());
    match outcome {
        Outcome::ServeCached => {
            assert!(before.has_credentials(), "ServeCached with nothing cached")
        }
        Outcome::Fail(_) => {}
        other => panic!("a failed fetch gave {other:?}"),
    }
    if !before.has_credentials() {
        assert!(
            matches!(outcome, Outcome::Fail(_)),
            "an empty cache absorbed a failure"
        );
    }
    outcome
}

fn failure(b: u8) -> FetchFailure {
    match b % 3 {
        0 => FetchFailure::Recoverable,
        1 => FetchFailure::Incomplete,
        _ => FetchFailure::NonRecoverable,
    }
}

fn extend(m: &RefreshMachine, now: i64, expiry: i64, jitter: u64) {
    let e = m.extend(now, expiry, jitter);
    match m.policy().static_stability {
        None => assert_eq!(e, None, "extension without static stability"),
        Some(s) => {
            assert_eq!(e, s.extend(now, expiry, jitter));
            check_extension(&s, now, expiry, jitter);
        }
    }
}

fn check_extension(s: &StaticStability, now: i64, expiry: i64, jitter: u64) {
    if let Some(e) = s.extend(now, expiry, jitter) {
        assert_eq!(e.offset_secs, s.offset(jitter));
        assert_eq!(
            e.expiry,
            now.saturating_add(e.offset_secs),
            "extension is not now + offset"
        );
        let _ = e.minutes();
    }
}

fn check_jitter(min: i64, max: i64, jitter: u64) {
    let r = JitterRange::new(min, max);
    let v = r.pick(jitter);
    if max <= min {
        assert_eq!(v, min);
    } else {
        assert!(
            (min..=max).contains(&v),
            "pick({jitter}) = {v} outside {min}..={max}"
        );
        if let Some(j) = r.jitter_for(v) {
            assert_eq!(r.pick(j), v, "jitter_for does not invert pick");
        } else {
            panic!("jitter_for({v}) is None inside the range");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let Some(p) = input.byte() else { return };
    let policy = match p % 4 {
        0 => RefreshPolicy::botocore(),
        1 => RefreshPolicy::botocore_exact(),
        2 => RefreshPolicy::cross_sdk(),
        _ => RefreshPolicy::cross_sdk().with_advisory_window(input.number()),
    };
    let mut now = input.number();
    let mut m = match input.byte().unwrap_or(0) % 3 {
        0 => RefreshMachine::new(policy),
        1 => RefreshMachine::with_credentials(policy, now, None),
        _ => {
            let received = input.number();
            let expiry = input.number();
            RefreshMachine::with_credentials(policy, received, Some(expiry))
        }
    };
    check_state(&m, now);
    let mut steps = 0;
    while let Some(op) = input.byte() {
        steps += 1;
        if steps > 4096 {
            break;
        }
        match op % 10 {
            0 => {
                let _ = m.poll(now);
            }
            1 => {
                let _ = fetch_started(&mut m, now);
            }
            2 => {
                let expiry = if input.byte().unwrap_or(0).is_multiple_of(2) {
                    Some(input.number())
                } else {
                    None
                };
                let jitter = input.jitter();
                let _ = fetch_succeeded(&mut m, now, expiry, jitter);
            }
            3 => {
                let f = failure(input.byte().unwrap_or(0));
                let jitter = input.jitter();
                let _ = fetch_failed(&mut m, now, f, jitter);
            }
            4 => {
                let matches = input.byte().unwrap_or(0).is_multiple_of(2);
                let before = m;
                let r = m.invalidate(matches);
                assert_eq!(
                    r,
                    matches && before.has_credentials(),
                    "invalidate({matches}) returned {r}"
                );
                if r {
                    assert!(m.is_invalidated());
                } else {
                    assert_eq!(
                        m, before,
                        "an invalidate that did nothing changed the machine"
                    );
                }
            }
            5 => now = now.saturating_add(input.number()),
            6 => now = input.number(),
            7 => {
                let before = m;
                m.fetch_abandoned();
                assert_eq!(m.fetch_in_flight(), None);
                assert_eq!(m.expiry(), before.expiry());
                assert_eq!(m.backoff_until(), before.backoff_until());
            }
            8 => {
                let expiry = input.number();
                let jitter = input.jitter();
                extend(&m, now, expiry, jitter);
                let (a, b) = (input.number(), input.number());
                check_jitter(a, b, jitter);
                for s in [
                    StaticStability::botocore_standalone(),
                    StaticStability::aws_sdk_rust(),
                ] {
                    check_extension(&s, now, expiry, jitter);
                }
                let custom = StaticStability {
                    base_secs: a,
                    jitter_min: b,
                    jitter_max: expiry,
                    ..StaticStability::botocore()
                };
                check_extension(&custom, now, expiry, jitter);
            }
            _ => {
                // A whole request as a cache performs it, with the source's answer queued:
                // 0 fresh credentials living `lifetime` s, 1 already expired ones, 2 an error,
                // 3 a non-recoverable error, 4 no credentials.
                let response = input.byte().unwrap_or(0);
                let lifetime = input.number();
                let jitter = input.jitter();
                let a = m.poll(now);
                if a.starts_fetch() {
                    fetch_started(&mut m, now)
                        .expect("poll said to fetch, but fetch_started refused");
                    let _ = match response % 5 {
                        0 => {
                            fetch_succeeded(&mut m, now, Some(now.saturating_add(lifetime)), jitter)
                        }
                        1 => fetch_succeeded(
                            &mut m,
                            now,
                            Some(
                                now.saturating_sub(lifetime.saturating_abs())
                                    .saturating_sub(1),
                            ),
                            jitter,
                        ),
                        2 => fetch_failed(&mut m, now, FetchFailure::Recoverable, jitter),
                        3 => fetch_failed(&mut m, now, FetchFailure::NonRecoverable, jitter),
                        _ => fetch_failed(&mut m, now, FetchFailure::Incomplete, jitter),
                    };
                }
            }
        }
        check_state(&m, now);
    }
});
