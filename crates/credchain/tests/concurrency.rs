//! Single flight under load (issue 4, part 5): 10,000 tokio tasks asking at once across an
//! expiry cause exactly one upstream fetch, and an upstream failing half the time gives no caller
//! an error while valid credentials are cached. Multi-threaded runtime, virtual clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Answer, Fake, T0, creds, now_secs};
use credchain::{
    AdvisoryRefresh, Credentials, CredentialsCache, Error, FixedRandom, ManualClock, RefreshPolicy,
};
use tokio::sync::Barrier;

const TASKS: usize = 10_000;

/// Starts `n` tasks that wait at one barrier, then all ask the cache at once; returns their
/// answers.
async fn ask_at_once(
    cache: &CredentialsCache<Fake>,
    n: usize,
    release: impl FnOnce(),
) -> Vec<Result<Arc<Credentials>, Error>> {
    let barrier = Arc::new(Barrier::new(n + 1));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let cache = cache.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                cache.get().await
            })
        })
        .collect();
    barrier.wait().await;
    // Let the callers pile up behind the one fetch before it may finish.
    tokio::time::sleep(Duration::from_millis(100)).await;
    release();
    let mut answers = Vec::with_capacity(n);
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn ten_thousand_callers_across_an_expiry_cause_one_fetch() {
    for (what, advance) in [
        ("expired", 3601),
        ("mandatory window", 3001),
        ("nothing cached", 0),
    ] {
        let clock = ManualClock::at_unix_secs(T0);
        let (fake, gate) = Fake::new(&clock, |_| Answer::Valid(3600)).gated();
        let mut builder = CredentialsCache::builder(fake.clone()).clock(clock.clone());
        if advance > 0 {
            builder = builder.seed(creds(0, T0 + 3600));
        }
        let cache = builder.build();
        clock.advance(Duration::from_secs(advance));

        let answers = ask_at_once(&cache, TASKS, || gate.add_permits(TASKS)).await;

        assert_eq!(fake.calls(), 1, "{what}: upstream fetches");
        let mut wrong = Vec::new();
        for (i, a) in answers.iter().enumerate() {
            match a {
                Ok(c) if c.access_key_id() == "ASIAFAKE000000000001" => {}
                other => wrong.push(format!("task {i}: {other:?}")),
            }
        }
        assert!(
            wrong.is_empty(),
            "{what}: {} wrong answers, first {:?}",
            wrong.len(),
            wrong.first()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn ten_thousand_callers_in_the_advisory_window_get_the_cached_set_and_one_fetch_runs() {
    for advisory in [AdvisoryRefresh::Background, AdvisoryRefresh::Wait] {
        let clock = ManualClock::at_unix_secs(T0);
        let (fake, gate) = Fake::new(&clock, |_| Answer::Valid(3600)).gated();
        let cache = CredentialsCache::builder(fake.clone())
            .clock(clock.clone())
            .advisory_refresh(advisory)
            .seed(creds(0, T0 + 3600))
            .build();
        clock.advance(Duration::from_secs(2701));

        let answers = ask_at_once(&cache, TASKS, || gate.add_permits(TASKS)).await;

        assert_eq!(fake.calls(), 1, "{advisory:?}");
        // Every caller got valid credentials: the cached set (the lock was busy) or, for the one
        // that waited on its own refresh, the new set.
        let old = answers
            .iter()
            .filter(|a| a.as_ref().unwrap().access_key_id() == "ASIAFAKE000000000000")
            .count();
        let new = answers.len() - old;
        match advisory {
            AdvisoryRefresh::Background => assert_eq!(new, 0, "{advisory:?}"),
            AdvisoryRefresh::Wait => assert!(new >= 1, "{advisory:?}"),
        }
        for _ in 0..1000 {
            if cache.machine().fetch_in_flight().is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            cache.get().await.unwrap().access_key_id(),
            "ASIAFAKE000000000001"
        );
    }
}

/// Steps the virtual clock; at every step `per_step` tasks ask at once. Every answer must be
/// credentials that are valid at that instant. Returns (answers, upstream calls).
async fn half_failing(
    policy: RefreshPolicy,
    lifetime: i64,
    steps: i64,
    step_secs: i64,
    per_step: usize,
) -> (usize, u64) {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, move |n| {
        if n % 2 == 1 {
            Answer::Fail
        } else {
            Answer::Valid(lifetime)
        }
    });
    let cache = CredentialsCache::builder(fake.clone())
        .policy(policy)
        .clock(clock.clone())
        .random(FixedRandom(7))
        .seed(creds(0, T0 + lifetime))
        .build();
    let mut failures = Vec::new();
    let mut answered = 0;
    for step in 0..steps {
        let now = now_secs(&clock);
        let tasks: Vec<_> = (0..per_step)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.get().await })
            })
            .collect();
        for t in tasks {
            match t.await.unwrap() {
                Ok(c) if c.expiry_unix_secs().unwrap() >= now => answered += 1,
                Ok(c) => failures.push(format!("step {step}: expired credentials {c}")),
                Err(e) => failures.push(format!("step {step}: {e}")),
            }
        }
        clock.advance(Duration::from_secs(u64::try_from(step_secs).unwrap()));
    }
    assert!(
        failures.is_empty(),
        "{} failures, first: {:?}",
        failures.len(),
        failures.first()
    );
    (answered, fake.calls())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn botocore_policy_upstream_failing_half_the_time_in_the_advisory_window() {
    // Credentials that live 800 s are always inside botocore's 900 s advisory window and never
    // reach the 600 s mandatory one in 100 steps of 2 s: every step wants a refresh, every
    // other refresh fails, and every failure must be absorbed.
    let (answered, calls) = half_failing(RefreshPolicy::botocore(), 800, 100, 2, 100).await;
    assert_eq!(answered, 100 * 100);
    assert!(calls >= 50, "only {calls} upstream calls");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn cross_sdk_policy_upstream_failing_half_the_time_through_every_window() {
    // Credentials living 4000 s get a 900 s advisory window and a 60 s mandatory one; steps of
    // 7 s cross both windows of several generations. A failure serves the cached set and leaves
    // the source alone for 307 s (jitter 7), after which the next attempt succeeds, well before
    // the expiry: no caller sees an error or an expired set.
    let (answered, calls) = half_failing(RefreshPolicy::cross_sdk(), 4000, 1500, 7, 50).await;
    assert_eq!(answered, 1500 * 50);
    assert!(calls >= 4, "only {calls} upstream calls");
}
