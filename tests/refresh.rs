//! Refresh decisions, proven three ways:
//!
//! 1. the 24 cases of the cross-SDK `credential-refresh-tests.json` suite run against
//!    `RefreshPolicy::cross_sdk()`, driving a `RefreshMachine` the way a cache does;
//! 2. botocore 1.43.11's refresh behaviour (spec §4.8, §5) as scenarios against
//!    `RefreshPolicy::botocore()` / `botocore_exact()`, in virtual time;
//! 3. botocore itself as the oracle: its `RefreshableCredentials`,
//!    `DeferredRefreshableCredentials` and IMDS expiry extension are run over sweeps of remaining
//!    lifetimes and jitters, and every decision is compared with the machine's.
//!    `CREDCHAIN_SKIP_BOTOCORE=1` skips this part when python3 or botocore is missing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;

use credchain_core::refresh::{
    Action, CROSS_SDK_BACKOFF, Extension, FetchFailure, Outcome, RefreshError, RefreshMachine,
    RefreshPolicy, StaticStability, Window,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// 1. credential-refresh-tests.json
// ---------------------------------------------------------------------------------------------

/// The seed credentials are issued at t=0 and live 3600 s (aws-config.md §2.6), so with the
/// 15-minute advisory window their lifetime selects, the advisory window starts at 2700 s, the
/// mandatory window at 3540 s and the expiry is at 3600 s.
const SEED_LIFETIME: i64 = 3600;

fn clock_start(state: &str) -> i64 {
    match state {
        "none" => 0,
        "valid" => 1000,
        "advisory" => 3000,
        "mandatory" => 3550,
        "expired" => 3700,
        other => panic!("unknown given.cachedCredentials {other:?}"),
    }
}

/// How each run picks the raw jitter handed to the machine. A case that pins the backoff
/// (`refreshBackoffSeconds`) always gets the jitter that selects it.
#[derive(Debug, Clone, Copy)]
enum JitterSource {
    Zero,
    Max,
    Xorshift(u64),
}

impl JitterSource {
    fn next(&mut self) -> u64 {
        match self {
            JitterSource::Zero => 0,
            JitterSource::Max => u64::MAX,
            JitterSource::Xorshift(s) => {
                *s ^= *s << 13;
                *s ^= *s >> 7;
                *s ^= *s << 17;
                *s
            }
        }
    }
}

/// A credential cache as the std side will build it: it holds the credentials (here only their
/// access key id) and the last error, and does what the machine says.
struct SuiteCache {
    machine: RefreshMachine,
    access_key_id: Option<String>,
    last_error: Option<&'static str>,
    issued: u32,
}

struct Observed {
    result: String,
    source_contacted: bool,
    rate_limited: bool,
}

impl SuiteCache {
    fn get_credentials(
        &mut self,
        now: i64,
        response: Option<(&str, i64)>,
        jitter: u64,
    ) -> Result<Observed, String> {
        let before = self.access_key_id.clone();
        let served = |cache: &SuiteCache| -> Result<String, String> {
            match &cache.access_key_id {
                Some(k) if Some(k) == before.as_ref() => Ok("cachedCredentials".into()),
                Some(_) => Ok("newCredentials".into()),
                None => Err("told to serve cached credentials but none are cached".into()),
            }
        };
        let action = self.machine.poll(now);
        match action {
            Action::Serve => Ok(Observed {
                result: served(self)?,
                source_contacted: false,
                rate_limited: false,
            }),
            Action::ServeRateLimited => Ok(Observed {
                result: served(self)?,
                source_contacted: false,
                rate_limited: true,
            }),
            Action::FailWithCachedError => Ok(Observed {
                result: self
                    .last_error
                    .ok_or("told to repeat a cached error but none was kept")?
                    .into(),
                source_contacted: false,
                rate_limited: false,
            }),
            Action::WaitForInFlight => {
                Err("a lone caller was told to wait for a fetch nobody started".into())
            }
            Action::ServeAndRefreshInBackground | Action::FetchAndWait => {
                self.machine
                    .fetch_started(now)
                    .map_err(|e| format!("fetch_started refused: {e}"))?;
                let Some((kind, lifetime)) = response else {
                    self.machine.fetch_abandoned();
                    return Err(format!(
                        "{action:?}: the source was contacted but the step queued no response"
                    ));
                };
                let outcome = match kind {
                    "freshCredentials" => {
                        self.machine
                            .fetch_succeeded(now, Some(now + lifetime), jitter)
                    }
                    // Expiration at or before now.
                    "staleCredentials" => self.machine.fetch_succeeded(now, Some(now), jitter),
                    "error" => self
                        .machine
                        .fetch_failed(now, FetchFailure::Recoverable, jitter),
                    "nonRecoverableError" => {
                        self.machine
                            .fetch_failed(now, FetchFailure::NonRecoverable, jitter)
                    }
                    other => return Err(format!("unknown response {other:?}")),
                };
                let result = match outcome {
                    Outcome::UseNew => {
                        self.issued += 1;
                        self.access_key_id = Some(format!("AKID-NEW-{}", self.issued));
                        served(self)?
                    }
                    Outcome::ServeCached => served(self)?,
                    Outcome::Fail(RefreshError::NoCredentials) => "noCredentialsError".into(),
                    Outcome::Fail(RefreshError::NonRecoverable) => {
                        self.last_error = Some("nonRecoverableError");
                        "nonRecoverableError".into()
                    }
                    other => format!("unexpected outcome {other:?}"),
                };
                Ok(Observed {
                    result,
                    source_contacted: true,
                    rate_limited: false,
                })
            }
        }
    }
}

#[derive(Default, Debug, PartialEq)]
struct StepCounts {
    get: usize,
    advance: usize,
    invalidate: usize,
}

fn run_suite_case(case: &Value, mut jitter: JitterSource, counts: &mut StepCounts) -> Vec<String> {
    let mut failures = Vec::new();
    let given = &case["given"];
    let state = given["cachedCredentials"]
        .as_str()
        .expect("cachedCredentials");
    let mut policy = RefreshPolicy::cross_sdk();
    if let Some(secs) = given.get("configuredAdvisoryWindowSeconds") {
        policy = policy.with_advisory_window(secs.as_i64().expect("window seconds"));
    }
    let pinned = given.get("refreshBackoffSeconds").map(|secs| {
        let secs = secs.as_i64().expect("backoff seconds");
        CROSS_SDK_BACKOFF
            .jitter_for(secs)
            .unwrap_or_else(|| panic!("refreshBackoffSeconds {secs} outside 300..=600"))
    });
    let (machine, access_key_id) = if state == "none" {
        (RefreshMachine::new(policy), None)
    } else {
        let akid = given
            .get("accessKeyId")
            .and_then(Value::as_str)
            .unwrap_or("AKID-SEED");
        (
            RefreshMachine::with_credentials(policy, 0, Some(SEED_LIFETIME)),
            Some(akid.to_string()),
        )
    };
    let mut cache = SuiteCache {
        machine,
        access_key_id,
        last_error: None,
        issued: 0,
    };
    let mut now = clock_start(state);

    for (i, step) in case["steps"].as_array().expect("steps").iter().enumerate() {
        match step["type"].as_str().expect("step type") {
            "advanceTime" => {
                counts.advance += 1;
                now += step["seconds"].as_i64().expect("seconds");
            }
            "invalidate" => {
                counts.invalidate += 1;
                let rejected = step["rejectedAccessKeyId"].as_str().expect("rejected key");
                let matches = cache.access_key_id.as_deref() == Some(rejected);
                let _ = cache.machine.invalidate(matches);
            }
            "getCredentials" => {
                counts.get += 1;
                let response = step.get("response").map(|r| {
                    (
                        r.as_str().expect("response"),
                        step.get("lifetimeSeconds")
                            .map_or(SEED_LIFETIME, |l| l.as_i64().expect("lifetime")),
                    )
                });
                let j = pinned.unwrap_or_else(|| jitter.next());
                let observed = match cache.get_credentials(now, response, j) {
                    Ok(o) => o,
                    Err(e) => {
                        failures.push(format!("step {i}: {e}"));
                        continue;
                    }
                };
                let expected = step["expected"].as_object().expect("expected");
                for (key, want) in expected {
                    let got = match key.as_str() {
                        "result" => Value::from(observed.result.clone()),
                        "sourceContacted" => Value::from(observed.source_contacted),
                        "rateLimited" => Value::from(observed.rate_limited),
                        "advisoryWindowSeconds" => cache
                            .machine
                            .advisory_window()
                            .map_or(Value::Null, Value::from),
                        other => {
                            failures.push(format!("step {i}: unknown expected field {other:?}"));
                            continue;
                        }
                    };
                    if &got != want {
                        failures.push(format!("step {i}: {key} = {got}, expected {want}"));
                    }
                }
                for key in ["result", "sourceContacted", "rateLimited"] {
                    if !expected.contains_key(key) {
                        failures.push(format!("step {i}: expected block lacks {key}"));
                    }
                }
            }
            other => failures.push(format!("step {i}: unknown step type {other:?}")),
        }
    }
    failures
}

#[test]
fn credential_refresh_suite_cross_sdk() {
    let path = credchain_tests::testdata("credential-refresh-tests.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cases: Vec<Value> = serde_json::from_str(&text).expect("suite is JSON");
    assert_eq!(cases.len(), 24, "the suite has 24 cases");

    let sources = [
        JitterSource::Zero,
        JitterSource::Max,
        JitterSource::Xorshift(0x2545_F491_4F6C_DD1D),
        JitterSource::Xorshift(0x9E37_79B9_7F4A_7C15),
    ];
    let mut failures = Vec::new();
    let mut passed = 0;
    for source in sources {
        let mut counts = StepCounts::default();
        for (n, case) in cases.iter().enumerate() {
            let doc = case["documentation"].as_str().unwrap_or("(undocumented)");
            let f = run_suite_case(case, source, &mut counts);
            if f.is_empty() {
                passed += 1;
            }
            for f in f {
                failures.push(format!("case {n} [{source:?}] {doc}\n    {f}"));
            }
        }
        // Every step of every case ran (aws-config.md §2.6: 34 / 8 / 4).
        assert_eq!(
            counts,
            StepCounts {
                get: 34,
                advance: 8,
                invalidate: 4
            }
        );
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed, 24 * sources.len());
}

/// The suite's cases are run with botocore's policy too, to show where the two behaviours part:
/// botocore has no backoff, raises in the mandatory window, and accepts nothing but a raise for a
/// first failed fetch. Only the cases whose outcome both share may pass.
#[test]
fn credential_refresh_suite_shows_where_botocore_differs() {
    let path = credchain_tests::testdata("credential-refresh-tests.json");
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // Case 2: advisory window, refresh fails, cached credentials served. Same in botocore.
    let mut m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), 0, Some(SEED_LIFETIME));
    assert_eq!(cases[2]["given"]["cachedCredentials"], "advisory");
    assert_eq!(m.poll(3000), Action::ServeAndRefreshInBackground);
    m.fetch_started(3000).unwrap();
    assert_eq!(
        m.fetch_failed(3000, FetchFailure::Recoverable, 0),
        Outcome::ServeCached
    );
    // Case 4: mandatory window, refresh fails. cross-SDK serves the cached set; botocore raises.
    assert_eq!(cases[4]["given"]["cachedCredentials"], "mandatory");
    let mut m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), 0, Some(SEED_LIFETIME));
    m.fetch_started(3550).unwrap();
    assert_eq!(
        m.fetch_failed(3550, FetchFailure::Recoverable, 0),
        Outcome::Fail(RefreshError::MandatoryRefreshFailed)
    );
}

// ---------------------------------------------------------------------------------------------
// 2. botocore's behaviour, as scenarios
// ---------------------------------------------------------------------------------------------

const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn botocore_with(remaining: i64) -> RefreshMachine {
    RefreshMachine::with_credentials(RefreshPolicy::botocore(), T0 - 3600, Some(T0 + remaining))
}

/// Polls, starts the fetch it asks for, fails it: what the caller gets.
fn fail_refresh(m: &mut RefreshMachine, now: i64, failure: FetchFailure) -> Option<Outcome> {
    if !m.poll(now).starts_fetch() {
        return None;
    }
    m.fetch_started(now).unwrap();
    Some(m.fetch_failed(now, failure, 0))
}

#[test]
fn botocore_window_boundaries_are_strict() {
    // (remaining seconds, action, what a raised refresh error gives the caller)
    let table = [
        (901, Action::Serve, None),
        (900, Action::Serve, None),
        (
            899,
            Action::ServeAndRefreshInBackground,
            Some(Outcome::ServeCached),
        ),
        (
            601,
            Action::ServeAndRefreshInBackground,
            Some(Outcome::ServeCached),
        ),
        (
            600,
            Action::ServeAndRefreshInBackground,
            Some(Outcome::ServeCached),
        ),
        (
            599,
            Action::FetchAndWait,
            Some(Outcome::Fail(RefreshError::MandatoryRefreshFailed)),
        ),
        (
            0,
            Action::FetchAndWait,
            Some(Outcome::Fail(RefreshError::MandatoryRefreshFailed)),
        ),
        (
            -1,
            Action::FetchAndWait,
            Some(Outcome::Fail(RefreshError::MandatoryRefreshFailed)),
        ),
    ];
    for (remaining, action, on_failure) in table {
        let mut m = botocore_with(remaining);
        assert_eq!(m.poll(T0), action, "{remaining} s left");
        assert_eq!(
            fail_refresh(&mut m, T0, FetchFailure::Recoverable),
            on_failure,
            "{remaining} s left"
        );
        // botocore has no backoff: the next read tries again at once.
        assert_eq!(m.backoff_until(), None);
        assert_eq!(m.poll(T0), action, "{remaining} s left, after a failure");
    }
    assert_eq!(botocore_with(599).window(T0), Window::Mandatory);
    assert_eq!(botocore_with(0).window(T0), Window::Mandatory);
    assert_eq!(botocore_with(-1).window(T0), Window::Expired);
}

#[test]
fn imds_empty_answer_in_the_advisory_window() {
    // botocore exactly: IMDS's `{}` raises CredentialRetrievalError even with 15 min left.
    let exact = RefreshPolicy::botocore_exact();
    let improved = RefreshPolicy::botocore();
    for remaining in [899, 700, 600] {
        let mut m = RefreshMachine::with_credentials(exact, T0 - 3600, Some(T0 + remaining));
        assert_eq!(
            fail_refresh(&mut m, T0, FetchFailure::Incomplete),
            Some(Outcome::Fail(RefreshError::Incomplete)),
            "botocore_exact, {remaining} s left"
        );
        // credchain: the cached credentials keep being served.
        let mut m = RefreshMachine::with_credentials(improved, T0 - 3600, Some(T0 + remaining));
        assert_eq!(
            fail_refresh(&mut m, T0, FetchFailure::Incomplete),
            Some(Outcome::ServeCached),
            "botocore, {remaining} s left"
        );
        // A source that raises (container, process) is swallowed by both.
        for policy in [exact, improved] {
            let mut m = RefreshMachine::with_credentials(policy, T0 - 3600, Some(T0 + remaining));
            assert_eq!(
                fail_refresh(&mut m, T0, FetchFailure::Recoverable),
                Some(Outcome::ServeCached)
            );
        }
    }
    // In the mandatory window both raise the empty answer.
    for policy in [exact, improved] {
        for remaining in [599, 0, -30] {
            let mut m = RefreshMachine::with_credentials(policy, T0 - 3600, Some(T0 + remaining));
            assert_eq!(
                fail_refresh(&mut m, T0, FetchFailure::Incomplete),
                Some(Outcome::Fail(RefreshError::Incomplete))
            );
        }
    }
}

#[test]
fn still_expired_after_refresh_is_stored_and_raised() {
    for remaining in [800, 300, -10] {
        let mut m = botocore_with(remaining);
        m.fetch_started(T0).unwrap();
        assert_eq!(
            m.fetch_succeeded(T0, Some(T0 - 1), 0),
            Outcome::StoreAndFail(RefreshError::StillExpired),
            "{remaining} s left"
        );
        // The expired set replaced the old one, so the next read refreshes again, mandatorily.
        assert_eq!(m.expiry(), Some(T0 - 1));
        assert_eq!(m.poll(T0), Action::FetchAndWait);
    }
    // Credentials expiring this very second are accepted (`expiry - now < 0` is false).
    let mut m = botocore_with(-10);
    m.fetch_started(T0).unwrap();
    assert_eq!(m.fetch_succeeded(T0, Some(T0), 0), Outcome::UseNew);
}

#[test]
fn deferred_first_fetch_is_mandatory() {
    let mut m = RefreshMachine::new(RefreshPolicy::botocore());
    assert_eq!(m.window(T0), Window::Empty);
    assert_eq!(m.poll(T0), Action::FetchAndWait);
    assert_eq!(
        fail_refresh(&mut m, T0, FetchFailure::Recoverable),
        Some(Outcome::Fail(RefreshError::NoCredentials))
    );
    // Every later read tries again; the first success is used.
    assert_eq!(m.poll(T0 + 1), Action::FetchAndWait);
    m.fetch_started(T0 + 1).unwrap();
    assert_eq!(
        m.fetch_succeeded(T0 + 1, Some(T0 + 3601), 0),
        Outcome::UseNew
    );
    assert_eq!(m.poll(T0 + 2), Action::Serve);
    assert_eq!(m.advisory_window(), Some(900));
}

#[test]
fn credentials_without_expiry_are_never_refreshed() {
    let m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), T0, None);
    for now in [T0, T0 + 10 * 365 * 86_400, i64::MAX, i64::MIN] {
        assert_eq!(m.poll(now), Action::Serve);
        assert_eq!(m.window(now), Window::Fresh);
    }
    assert_eq!(m.poll_timeout(T0), None);
    // A refresh that returns no expiry makes the cache permanent too.
    let mut m = botocore_with(100);
    m.fetch_started(T0).unwrap();
    assert_eq!(m.fetch_succeeded(T0, None, 0), Outcome::UseNew);
    assert_eq!(m.poll(i64::MAX), Action::Serve);
}

#[test]
fn lock_busy_advisory_serves_mandatory_waits() {
    // Advisory: the lock holder refreshes, everyone else is served the cached set.
    let mut m = botocore_with(800);
    assert_eq!(m.poll(T0), Action::ServeAndRefreshInBackground);
    m.fetch_started(T0).unwrap();
    for _ in 0..3 {
        assert_eq!(m.poll(T0), Action::Serve);
    }
    // Time moves into the mandatory window while the fetch still runs: now callers wait.
    assert_eq!(m.poll(T0 + 201), Action::WaitForInFlight);
    assert_eq!(
        m.fetch_succeeded(T0 + 202, Some(T0 + 3802), 0),
        Outcome::UseNew
    );
    assert_eq!(m.poll(T0 + 202), Action::Serve);

    // Mandatory: waiters wait; when the holder's refresh fails, the next waiter refreshes itself
    // (botocore re-checks after taking the lock and calls the callback again).
    let mut m = botocore_with(300);
    assert_eq!(m.poll(T0), Action::FetchAndWait);
    m.fetch_started(T0).unwrap();
    assert_eq!(m.poll(T0), Action::WaitForInFlight);
    assert_eq!(m.fetch_started(T0).unwrap_err().since, T0);
    assert_eq!(
        m.fetch_failed(T0 + 1, FetchFailure::Recoverable, 0),
        Outcome::Fail(RefreshError::MandatoryRefreshFailed)
    );
    assert_eq!(m.poll(T0 + 1), Action::FetchAndWait);
    m.fetch_started(T0 + 1).unwrap();
    // When it succeeds, the remaining waiters find fresh credentials.
    assert_eq!(
        m.fetch_succeeded(T0 + 2, Some(T0 + 3602), 0),
        Outcome::UseNew
    );
    assert_eq!(m.poll(T0 + 2), Action::Serve);

    // The outcome of a fetch follows the window it started in: an advisory fetch that ends in
    // the mandatory window is still swallowed, as botocore fixes `is_mandatory` beforehand.
    let mut m = botocore_with(601);
    m.fetch_started(T0).unwrap();
    assert_eq!(
        m.fetch_failed(T0 + 30, FetchFailure::Recoverable, 0),
        Outcome::ServeCached
    );
}

#[test]
fn static_stability_offsets_cover_1020_to_1500() {
    let s = StaticStability::botocore();
    let mut seen = [false; 481];
    for jitter in 0..481u64 {
        let off = s.offset(jitter);
        assert!((1020..=1500).contains(&off));
        seen[(off - 1020) as usize] = true;
    }
    assert!(
        seen.iter().all(|&x| x),
        "every offset 1020..=1500 is reachable"
    );
    assert_eq!(s.offset(0), 1020);
    assert_eq!(s.offset(480), 1500);
    for jitter in [0u64, 480, 481, u64::MAX, u64::MAX - 1] {
        let off = s.offset(jitter);
        // Applied iff now >= expiration - offset.
        for delta in -2000..=2000 {
            let got = s.extend(T0, T0 + delta, jitter);
            if T0 >= T0 + delta - off {
                assert_eq!(
                    got,
                    Some(Extension {
                        expiry: T0 + off,
                        offset_secs: off
                    }),
                    "jitter {jitter}, {delta} s left"
                );
            } else {
                assert_eq!(got, None, "jitter {jitter}, {delta} s left");
            }
        }
    }
    // Through the machine: botocore's policy carries the extension, the cross-SDK one does not.
    let b = RefreshMachine::new(RefreshPolicy::botocore());
    assert_eq!(
        b.extend(T0, T0 + 1500, 480).map(|e| e.expiry),
        Some(T0 + 1500)
    );
    assert_eq!(b.extend(T0, T0 + 1501, 480), None);
    assert_eq!(
        RefreshMachine::new(RefreshPolicy::cross_sdk()).extend(T0, T0, 0),
        None
    );
}

/// A stuck IMDS keeps handing out the same credentials, soon expired. With the extension and the
/// 15-minute advisory window, botocore asks again 121–601 s after each fetch ("about every
/// 2–10 minutes"), and no caller ever waits.
#[test]
fn imds_near_expiry_refetch_every_2_to_10_minutes() {
    fn simulate(mut jitter: impl FnMut() -> u64, hours: i64) -> Vec<i64> {
        let imds_expiry = T0 + 300; // what IMDS says, forever
        let policy = RefreshPolicy::botocore();
        let first = StaticStability::botocore()
            .extend(T0, imds_expiry, jitter())
            .expect("5 minutes left: extended");
        let mut m = RefreshMachine::with_credentials(policy, T0, Some(first.expiry));
        let mut fetches = vec![T0];
        for now in T0..T0 + hours * 3600 {
            match m.poll(now) {
                Action::Serve => {}
                Action::ServeAndRefreshInBackground => {
                    m.fetch_started(now).unwrap();
                    let ext = m
                        .extend(now, imds_expiry, jitter())
                        .expect("always extended");
                    assert_eq!(m.fetch_succeeded(now, Some(ext.expiry), 0), Outcome::UseNew);
                    fetches.push(now);
                }
                other => panic!("at {now}: {other:?}: a caller would wait or fail"),
            }
        }
        fetches.windows(2).map(|w| w[1] - w[0]).collect()
    }
    assert!(simulate(|| 0, 2).iter().all(|&d| d == 121));
    assert!(simulate(|| 480, 2).iter().all(|&d| d == 601));
    let mut s: u64 = 0x1234_5678_9ABC_DEF1;
    let intervals = simulate(
        || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        },
        24,
    );
    assert!(intervals.len() > 100);
    assert!(
        intervals.iter().all(|d| (121..=601).contains(d)),
        "{intervals:?}"
    );
    let mean = intervals.iter().sum::<i64>() / intervals.len() as i64;
    assert!((300..=420).contains(&mean), "mean interval {mean}");

    // Without the extension the same IMDS makes every read past the mandatory point a blocking
    // fetch, and once expired each one raises.
    let mut m = RefreshMachine::with_credentials(RefreshPolicy::botocore(), T0, Some(T0 + 300));
    assert_eq!(m.poll(T0), Action::FetchAndWait);
    m.fetch_started(T0 + 301).unwrap();
    assert_eq!(
        m.fetch_succeeded(T0 + 301, Some(T0 + 300), 0),
        Outcome::StoreAndFail(RefreshError::StillExpired)
    );
}

/// `poll_timeout` names exactly the instants at which `poll` or `window` change by themselves:
/// walking every second shows no change it did not announce, and none it announced that did not
/// come.
#[test]
fn poll_timeout_announces_every_change_and_nothing_else() {
    let mut states = Vec::new();
    for policy in [
        RefreshPolicy::botocore(),
        RefreshPolicy::cross_sdk(),
        RefreshPolicy::cross_sdk().with_advisory_window(30),
    ] {
        states.push((
            "fresh",
            RefreshMachine::with_credentials(policy, 0, Some(3600)),
        ));
        states.push((
            "no expiry",
            RefreshMachine::with_credentials(policy, 0, None),
        ));
        states.push(("empty", RefreshMachine::new(policy)));
        let mut m = RefreshMachine::with_credentials(policy, 0, Some(3600));
        m.fetch_started(3000).unwrap();
        states.push(("in flight", m));
        let _ = m.fetch_failed(3000, FetchFailure::Recoverable, 77);
        states.push(("after a failure", m));
        let mut m = RefreshMachine::with_credentials(policy, 0, Some(3600));
        m.fetch_started(3000).unwrap();
        let _ = m.fetch_failed(3000, FetchFailure::NonRecoverable, 3);
        states.push(("error cached", m));
        let mut m = RefreshMachine::with_credentials(policy, 0, Some(3600));
        let _ = m.invalidate(true);
        states.push(("invalidated", m));
    }
    for (name, m) in states {
        let observe = |t: i64| (m.poll(t), m.window(t));
        let mut announced = Vec::new();
        let mut t = 0;
        while let Some(next) = m.poll_timeout(t) {
            assert!(next > t);
            announced.push(next);
            t = next;
        }
        let changes: Vec<i64> = (1..6000)
            .filter(|&t| observe(t) != observe(t - 1))
            .collect();
        let announced_in_range: Vec<i64> =
            announced.iter().copied().filter(|&t| t < 6000).collect();
        assert_eq!(
            changes,
            announced_in_range,
            "{name} under {:?}: changes vs announced",
            m.policy().advisory
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. botocore as the oracle
// ---------------------------------------------------------------------------------------------

const ORACLE: &str = r#"
import calendar, datetime as dt, json, logging, re, sys, threading, time

import botocore
from botocore import credentials, utils
from botocore.exceptions import CredentialRetrievalError

if botocore.__version__ != "1.43.11":
    sys.exit("botocore 1.43.11 is required, found " + botocore.__version__)
# The refresh warnings carry tracebacks; they are not what is being compared.
logging.getLogger("botocore.credentials").setLevel(logging.CRITICAL)

T0 = int(sys.argv[1])
UTC = dt.timezone.utc
def at(s):
    return dt.datetime.fromtimestamp(s, UTC)
NOW = at(T0)
clock = lambda: NOW
MODES = ["raise", "empty", "fresh", "expired", "expiring_now"]

def callback(mode, calls):
    def refresh():
        calls.append(1)
        if mode == "raise":
            raise Exception("source down")
        if mode == "empty":
            return {}
        exp = {"fresh": T0 + 3600, "expired": T0 - 1, "expiring_now": T0}[mode]
        return {"access_key": "NEW", "secret_key": "s", "token": "t",
                "expiry_time": at(exp).isoformat()}
    return refresh

def outcome(creds):
    try:
        frozen = creds.get_frozen_credentials()
        return "new" if frozen.access_key == "NEW" else "old"
    except CredentialRetrievalError:
        return "CredentialRetrievalError"
    except RuntimeError:
        return "RuntimeError"
    except Exception as e:
        return "raised:" + type(e).__name__

out = {"windows": [], "deferred": [], "busy": [], "extension": [], "minutes": []}

for remaining in range(-1000, 1001):
    for mode in MODES:
        calls = []
        c = credentials.RefreshableCredentials(
            "OLD", "s", "t", at(T0 + remaining), callback(mode, calls), "iam-role",
            time_fetcher=clock)
        r = outcome(c)
        out["windows"].append([remaining, mode, len(calls), r])

for mode in MODES:
    calls = []
    c = credentials.DeferredRefreshableCredentials(callback(mode, calls), "iam-role",
                                                   time_fetcher=clock)
    r = outcome(c)
    out["deferred"].append([mode, len(calls), r])

# Another thread holds the refresh lock.
for remaining in [-1, 0, 1, 598, 599, 600, 601, 898, 899, 900, 901, 2000]:
    calls = []
    c = credentials.RefreshableCredentials(
        "OLD", "s", "t", at(T0 + remaining), callback("fresh", calls), "iam-role",
        time_fetcher=clock)
    c._refresh_lock.acquire()
    result = {}
    th = threading.Thread(target=lambda: result.setdefault("r", outcome(c)))
    th.start()
    th.join(0.2)
    blocked = th.is_alive()
    calls_while_held = len(calls)
    c._refresh_lock.release()
    th.join(5)
    out["busy"].append([remaining, blocked, calls_while_held, len(calls), result.get("r")])

# The IMDS expiry extension. Whether it applied is read from botocore's INFO log record (at
# `expiration - offset == now` the new expiry equals the old one, so only the log tells).
class Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []
    def emit(self, record):
        self.messages.append(record.getMessage())
cap = Capture()
ulog = logging.getLogger("botocore.utils")
ulog.addHandler(cap)
ulog.setLevel(logging.INFO)

FETCHERS = {}
PICK = {"jitter": None}
def randint(low, high):
    # botocore must ask for randint(120, 600), both ends included.
    if (low, high) != (120, 600):
        sys.exit("unexpected randint%r" % ((low, high),))
    return PICK["jitter"]
NAIVE_NOW = NOW.replace(tzinfo=None)
utils.random.randint = randint
utils.get_current_datetime = lambda: NAIVE_NOW

def extension(config, jitter, delta):
    key = json.dumps(config)
    if key not in FETCHERS:
        FETCHERS[key] = utils.InstanceMetadataFetcher(config=config)
    doc = {"expiry_time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + delta))}
    cap.messages.clear()
    PICK["jitter"] = jitter
    FETCHERS[key]._evaluate_expiration(doc)
    found = [re.search(r"within the next (\S+) minutes", m) for m in cap.messages]
    found = [f.group(1) for f in found if f]
    new = calendar.timegm(time.strptime(doc["expiry_time"], "%Y-%m-%dT%H:%M:%SZ"))
    return [new - T0, found[0] if found else None]

for jitter in [120, 121, 360, 599, 600]:
    for delta in range(-60, 1601, 3):
        out["extension"].append(["chain", jitter, delta] + extension({"ec2_credential_refresh_window": 900}, jitter, delta))
    for delta in range(-60, 1301, 7):
        out["extension"].append(["standalone", jitter, delta] + extension(None, jitter, delta))
    for off in (720, 900, 1020, 1200, 1500):
        for delta in (off - 1, off, off + 1):
            config = {"ec2_credential_refresh_window": off - jitter}
            out["extension"].append(["window=%d" % (off - jitter), jitter, delta] + extension(config, jitter, delta))

# The "N minutes" botocore logs for every jitter.
for jitter in range(120, 601):
    out["minutes"].append([jitter, extension({"ec2_credential_refresh_window": 900}, jitter, 0)[1]])

json.dump(out, sys.stdout)
"#;

/// botocore's answers, computed once per test run.
fn botocore_oracle() -> Option<&'static Value> {
    static ORACLE_OUTPUT: OnceLock<Option<Value>> = OnceLock::new();
    ORACLE_OUTPUT.get_or_init(run_botocore_oracle).as_ref()
}

fn run_botocore_oracle() -> Option<Value> {
    if std::env::var("CREDCHAIN_SKIP_BOTOCORE").as_deref() == Ok("1") {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: botocore differential checks skipped");
        return None;
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(ORACLE)
        .arg(T0.to_string())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run python3 ({e}); install python3 with botocore 1.43.11 (scripts/setup.sh) or set CREDCHAIN_SKIP_BOTOCORE=1")
        });
    assert!(
        out.status.success(),
        "the botocore oracle failed ({}); install botocore 1.43.11 (scripts/setup.sh) or set CREDCHAIN_SKIP_BOTOCORE=1:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("oracle output is JSON"))
}

/// What the machine decides for one botocore scenario, in the oracle's words:
/// (callback calls, result).
fn machine_says(mut m: RefreshMachine, mode: &str) -> (u64, String) {
    let action = m.poll(T0);
    if !action.starts_fetch() {
        assert_eq!(action, Action::Serve);
        return (0, "old".into());
    }
    m.fetch_started(T0).unwrap();
    let outcome = match mode {
        "raise" => m.fetch_failed(T0, FetchFailure::Recoverable, 0),
        "empty" => m.fetch_failed(T0, FetchFailure::Incomplete, 0),
        "fresh" => m.fetch_succeeded(T0, Some(T0 + 3600), 0),
        "expired" => m.fetch_succeeded(T0, Some(T0 - 1), 0),
        "expiring_now" => m.fetch_succeeded(T0, Some(T0), 0),
        other => panic!("unknown mode {other}"),
    };
    let result = match outcome {
        Outcome::UseNew => "new",
        Outcome::ServeCached => "old",
        Outcome::Fail(RefreshError::Incomplete) => "CredentialRetrievalError",
        Outcome::StoreAndFail(RefreshError::StillExpired) => "RuntimeError",
        // The callback's own exception propagates.
        Outcome::Fail(RefreshError::MandatoryRefreshFailed | RefreshError::NoCredentials) => {
            "raised:Exception"
        }
        other => panic!("no botocore counterpart for {other:?}"),
    };
    (1, result.into())
}

#[test]
fn botocore_oracle_refresh_decisions() {
    let Some(oracle) = botocore_oracle() else {
        return;
    };
    let mut failures = Vec::new();
    let mut compared = 0;
    // Where credchain's default differs from botocore, by design: (remaining, mode) pairs.
    let mut improvements = BTreeMap::new();

    for row in oracle["windows"].as_array().unwrap() {
        let remaining = row[0].as_i64().unwrap();
        let mode = row[1].as_str().unwrap();
        let want = (
            row[2].as_u64().unwrap(),
            row[3].as_str().unwrap().to_string(),
        );
        let exact = RefreshMachine::with_credentials(
            RefreshPolicy::botocore_exact(),
            T0 - 3600,
            Some(T0 + remaining),
        );
        let got = machine_says(exact, mode);
        if got != want {
            failures.push(format!(
                "{remaining} s left, {mode}: machine {got:?}, botocore {want:?}"
            ));
        }
        let default = RefreshMachine::with_credentials(
            RefreshPolicy::botocore(),
            T0 - 3600,
            Some(T0 + remaining),
        );
        let improved = machine_says(default, mode);
        if improved != want {
            improvements.insert((remaining, mode.to_string()), (improved, want));
        }
        compared += 1;
    }
    assert_eq!(compared, 2001 * 5);

    // The improvement is exactly: an empty answer in the advisory window (600..=899 s left)
    // serves the cached credentials where botocore raises CredentialRetrievalError.
    for ((remaining, mode), (improved, botocore)) in &improvements {
        let documented = mode == "empty"
            && (600..=899).contains(remaining)
            && improved == &(1, "old".to_string())
            && botocore == &(1, "CredentialRetrievalError".to_string());
        if !documented {
            failures.push(format!(
                "botocore() differs from botocore beyond the documented improvement: {remaining} s left, {mode}: machine {improved:?}, botocore {botocore:?}"
            ));
        }
    }
    if improvements.len() != 300 {
        failures.push(format!(
            "the documented improvement should cover 300 (remaining, mode) pairs, covers {}",
            improvements.len()
        ));
    }

    for row in oracle["deferred"].as_array().unwrap() {
        let mode = row[0].as_str().unwrap();
        let want = (
            row[1].as_u64().unwrap(),
            row[2].as_str().unwrap().to_string(),
        );
        for policy in [RefreshPolicy::botocore_exact(), RefreshPolicy::botocore()] {
            let got = machine_says(RefreshMachine::new(policy), mode);
            if got != want {
                failures.push(format!(
                    "deferred, {mode}: machine {got:?}, botocore {want:?}"
                ));
            }
        }
    }
    assert_eq!(oracle["deferred"].as_array().unwrap().len(), 5);

    for row in oracle["busy"].as_array().unwrap() {
        let remaining = row[0].as_i64().unwrap();
        let blocked = row[1].as_bool().unwrap();
        let calls_while_held = row[2].as_u64().unwrap();
        let calls = row[3].as_u64().unwrap();
        let result = row[4].as_str().unwrap();
        assert_eq!(calls_while_held, 0);
        // Another caller holds the refresh: a fetch is in flight.
        let mut m = botocore_with(remaining);
        let _ = m.fetch_started(T0).unwrap();
        let action = m.poll(T0);
        let got_blocked = action == Action::WaitForInFlight;
        if got_blocked != blocked {
            failures.push(format!(
                "lock busy, {remaining} s left: machine {action:?}, botocore blocked={blocked}"
            ));
            continue;
        }
        let (got_calls, got_result) = if blocked {
            // The holder lets go without refreshing; the waiter polls again and fetches.
            m.fetch_abandoned();
            machine_says(m, "fresh")
        } else {
            assert_eq!(action, Action::Serve);
            (0, "old".to_string())
        };
        if (got_calls, got_result.as_str()) != (calls, result) {
            failures.push(format!(
                "lock busy, {remaining} s left: machine ({got_calls}, {got_result}), botocore ({calls}, {result})"
            ));
        }
    }

    assert!(
        failures.is_empty(),
        "{} difference(s) from botocore:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn botocore_oracle_imds_extension() {
    let Some(oracle) = botocore_oracle() else {
        return;
    };
    let mut failures = Vec::new();
    let rows = oracle["extension"].as_array().unwrap();
    assert!(rows.len() > 2000);
    for row in rows {
        let which = row[0].as_str().unwrap();
        let randint = row[1].as_i64().unwrap();
        let delta = row[2].as_i64().unwrap();
        let new_expiry = row[3].as_i64().unwrap();
        let logged = row[4].as_str();
        let s = match which {
            "chain" => StaticStability::botocore(),
            "standalone" => StaticStability::botocore_standalone(),
            other => {
                let window = other.strip_prefix("window=").unwrap().parse().unwrap();
                StaticStability {
                    base_secs: window,
                    ..StaticStability::botocore()
                }
            }
        };
        // randint(120, 600) returned `randint`: the jitter that picks it.
        let jitter = (randint - 120) as u64;
        let got = s.extend(T0, T0 + delta, jitter);
        let want = logged.map(|minutes| (new_expiry, minutes.to_string()));
        let got_pair = got.map(|e| (e.expiry - T0, e.minutes().to_string()));
        if got_pair != want {
            failures.push(format!(
                "{which}, randint {randint}, {delta} s left: machine {got_pair:?}, botocore {want:?}"
            ));
        }
        if logged.is_none() && new_expiry != delta {
            failures.push(format!(
                "{which}: botocore changed the expiry without logging"
            ));
        }
    }
    let minutes = oracle["minutes"].as_array().unwrap();
    assert_eq!(minutes.len(), 481);
    for row in minutes {
        let randint = row[0].as_i64().unwrap();
        let want = row[1].as_str().expect("botocore logged the extension");
        let ext = StaticStability::botocore()
            .extend(T0, T0, (randint - 120) as u64)
            .unwrap();
        if ext.minutes().to_string() != want {
            failures.push(format!(
                "randint {randint}: machine says {} minutes, botocore logged {want}",
                ext.minutes()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} difference(s) from botocore:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
