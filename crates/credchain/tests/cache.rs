//! The cache carries out the refresh machine's decisions, in virtual time, with a scripted
//! provider: every window of botocore's policy (spec §5.1–§5.5), the cross-SDK backoff and
//! remembered errors, invalidation, and fetches that die without a result.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use common::{Answer, Fake, T0, at, creds};
use credchain::{
    AdvisoryRefresh, Credentials, CredentialsCache, ErrorKind, FixedRandom, ManualClock,
    RefreshError, RefreshPolicy, StaticProvider,
};
use credchain_core::refresh::Window;

fn cache(fake: &Fake, policy: RefreshPolicy, advisory: AdvisoryRefresh) -> CredentialsCache<Fake> {
    CredentialsCache::builder(fake.clone())
        .policy(policy)
        .clock(fake.clock.clone())
        .random(FixedRandom(0))
        .advisory_refresh(advisory)
        .build()
}

/// Seeds the cache with credentials of "call 0" expiring at `T0 + lifetime`.
fn seeded(fake: &Fake, policy: RefreshPolicy, lifetime: i64) -> CredentialsCache<Fake> {
    CredentialsCache::builder(fake.clone())
        .policy(policy)
        .clock(fake.clock.clone())
        .random(FixedRandom(0))
        .seed(creds(0, T0 + lifetime))
        .build()
}

/// Lets background fetches run until none is in flight.
async fn settle(cache: &CredentialsCache<Fake>) {
    for _ in 0..1000 {
        tokio::task::yield_now().await;
        if cache.machine().fetch_in_flight().is_none() {
            return;
        }
    }
    panic!("a background fetch never finished");
}

fn key(c: &Credentials) -> &str {
    c.access_key_id()
}

#[tokio::test]
async fn an_empty_cache_fetches_once_then_hits() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Valid(3600));
    let cache = cache(
        &fake,
        RefreshPolicy::botocore(),
        AdvisoryRefresh::Background,
    );
    assert_eq!(cache.window(), Window::Empty);
    let first = cache.get().await.unwrap();
    let again = cache.get().await.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    assert_eq!(fake.calls(), 1);
    assert_eq!(key(&first), "ASIAFAKE000000000001");
    assert_eq!(first.expiry(), Some(at(T0 + 3600)));
}

#[tokio::test]
async fn credentials_without_expiry_are_never_refreshed() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Fail);
    let cache = CredentialsCache::builder(fake.clone())
        .clock(clock.clone())
        .seed(Credentials::new("AKIDSTATIC", "s", None, "explicit"))
        .build();
    clock.advance(Duration::from_secs(10 * 365 * 86_400));
    assert_eq!(key(&cache.get().await.unwrap()), "AKIDSTATIC");
    assert_eq!(fake.calls(), 0);
}

#[tokio::test]
async fn advisory_window_refreshes_in_the_background_and_edges_are_strict() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Valid(3600));
    let cache = seeded(&fake, RefreshPolicy::botocore(), 3600);

    // Exactly 900 s left: nothing happens (spec §5.1, strict `<`).
    clock.advance(Duration::from_secs(2700));
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000000");
    settle(&cache).await;
    assert_eq!(fake.calls(), 0);

    // 899 s left: the caller gets the cached set at once, one fetch runs behind it.
    clock.advance(Duration::from_secs(1));
    assert_eq!(cache.window(), Window::Advisory);
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000000");
    settle(&cache).await;
    assert_eq!(fake.calls(), 1);
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000001");
    assert_eq!(cache.window(), Window::Fresh);
}

#[tokio::test]
async fn advisory_wait_mode_hands_the_caller_the_new_set() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Valid(3600));
    let cache = CredentialsCache::builder(fake.clone())
        .clock(clock.clone())
        .advisory_refresh(AdvisoryRefresh::Wait)
        .seed(creds(0, T0 + 3600))
        .build();
    clock.advance(Duration::from_secs(2701));
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000001");
}

#[tokio::test]
async fn a_failed_advisory_refresh_is_absorbed_and_retried_by_the_next_caller() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |n| {
        if n == 1 {
            Answer::Fail
        } else {
            Answer::Valid(3600)
        }
    });
    let cache = CredentialsCache::builder(fake.clone())
        .clock(clock.clone())
        .advisory_refresh(AdvisoryRefresh::Wait)
        .seed(creds(0, T0 + 3600))
        .build();
    clock.advance(Duration::from_secs(2701));
    // The failure is swallowed: the caller gets the cached set (spec §5.2).
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000000");
    // botocore has no backoff: the next caller tries again.
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000002");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn an_empty_answer_in_the_advisory_window_is_absorbed_unless_botocore_exact() {
    for (policy, absorbed) in [
        (RefreshPolicy::botocore(), true),
        (RefreshPolicy::botocore_exact(), false),
    ] {
        let clock = ManualClock::at_unix_secs(T0);
        let fake = Fake::new(&clock, |_| Answer::Nothing);
        let cache = CredentialsCache::builder(fake.clone())
            .policy(policy)
            .clock(clock.clone())
            .advisory_refresh(AdvisoryRefresh::Wait)
            .seed(creds(0, T0 + 3600))
            .build();
        clock.advance(Duration::from_secs(2701));
        let got = cache.get().await;
        if absorbed {
            assert_eq!(key(&got.unwrap()), "ASIAFAKE000000000000");
        } else {
            let e = got.unwrap_err();
            assert_eq!(e.refresh_error(), Some(RefreshError::Incomplete));
            assert_eq!(e.kind(), ErrorKind::NotFound);
        }
    }
}

#[tokio::test]
async fn a_failed_mandatory_refresh_raises_the_sources_error() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Fail);
    let cache = seeded(&fake, RefreshPolicy::botocore(), 3600);
    clock.advance(Duration::from_secs(3001)); // 599 s left
    assert_eq!(cache.window(), Window::Mandatory);
    let e = cache.get().await.unwrap_err();
    assert_eq!(e.provider(), "fake");
    assert_eq!(e.kind(), ErrorKind::Failed);
    assert_eq!(
        e.refresh_error(),
        Some(RefreshError::MandatoryRefreshFailed)
    );
    assert_eq!(
        e.to_string(),
        "fake: refreshing temporary credentials failed during the mandatory refresh period: \
         call 1 failed"
    );
    // The cached set is kept (still unexpired) but not served in the mandatory window.
    assert_eq!(key(&cache.cached().unwrap()), "ASIAFAKE000000000000");
}

#[tokio::test]
async fn a_first_fetch_that_fails_has_nothing_to_fall_back_on() {
    let clock = ManualClock::at_unix_secs(T0);
    let failing = Fake::new(&clock, |_| Answer::Fail);
    let e = cache(
        &failing,
        RefreshPolicy::botocore(),
        AdvisoryRefresh::Background,
    )
    .get()
    .await
    .unwrap_err();
    assert_eq!(e.refresh_error(), Some(RefreshError::NoCredentials));
    let empty = Fake::new(&clock, |_| Answer::Nothing);
    let e = cache(
        &empty,
        RefreshPolicy::botocore(),
        AdvisoryRefresh::Background,
    )
    .get()
    .await
    .unwrap_err();
    assert!(e.is_not_found());
    assert_eq!(e.refresh_error(), Some(RefreshError::Incomplete));
}

#[tokio::test]
async fn refreshed_credentials_that_are_still_expired_are_stored_and_raise() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Expired(5));
    let cache = seeded(&fake, RefreshPolicy::botocore(), 3600);
    clock.advance(Duration::from_secs(3700));
    let e = cache.get().await.unwrap_err();
    assert_eq!(e.refresh_error(), Some(RefreshError::StillExpired));
    assert_eq!(
        e.to_string(),
        "fake: Credentials were refreshed, but the refreshed credentials are still expired."
    );
    // botocore's `_set_from_data` has replaced the credentials before the check raises.
    assert_eq!(key(&cache.cached().unwrap()), "ASIAFAKE000000000001");
}

#[tokio::test]
async fn cross_sdk_backoff_serves_the_cached_set_without_asking_the_source() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |n| {
        if n == 1 {
            Answer::Fail
        } else {
            Answer::Valid(3600)
        }
    });
    // 1-hour credentials: a 15-minute advisory window (cross-SDK lifetime table).
    let cache = seeded(&fake, RefreshPolicy::cross_sdk(), 3600);
    clock.advance(Duration::from_secs(3590)); // mandatory (60 s window)
    // The failure serves the cached set and starts a backoff of 300 s (jitter 0).
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000000");
    assert_eq!(cache.machine().backoff_until(), Some(T0 + 3590 + 300));
    // Past the expiry, within the backoff: still the cached set, no call.
    clock.advance(Duration::from_secs(100));
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000000");
    assert_eq!(fake.calls(), 1);
    // The backoff over: the next caller fetches.
    clock.advance(Duration::from_secs(200));
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000002");
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn cross_sdk_non_recoverable_errors_are_remembered() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Fatal);
    let cache = CredentialsCache::builder(fake.clone())
        .policy(RefreshPolicy::cross_sdk())
        .clock(clock.clone())
        .random(FixedRandom(0))
        .advisory_refresh(AdvisoryRefresh::Wait)
        .seed(creds(0, T0 + 3600))
        .build();
    clock.advance(Duration::from_secs(3000)); // advisory
    let first = cache.get().await.unwrap_err();
    assert_eq!(first.kind(), ErrorKind::NonRecoverable);
    assert_eq!(first.refresh_error(), Some(RefreshError::NonRecoverable));
    // Remembered for 1 s (jitter 0): the same error, no call.
    let again = cache.get().await.unwrap_err();
    assert_eq!(again.to_string(), first.to_string());
    assert_eq!(fake.calls(), 1);
    clock.advance(Duration::from_secs(1));
    let _ = cache.get().await.unwrap_err();
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn invalidation_forces_a_refresh_only_for_the_cached_key() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |_| Answer::Valid(3600));
    let cache = seeded(&fake, RefreshPolicy::cross_sdk(), 3600);
    assert!(!cache.invalidate("ASIASOMEONEELSE"));
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000000");
    assert!(cache.invalidate("ASIAFAKE000000000000"));
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000001");
    assert_eq!(fake.calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_that_panics_is_abandoned_and_the_next_caller_fetches() {
    let clock = ManualClock::at_unix_secs(T0);
    let fake = Fake::new(&clock, |n| {
        if n == 1 {
            Answer::Panic
        } else {
            Answer::Valid(3600)
        }
    });
    let cache = cache(
        &fake,
        RefreshPolicy::botocore(),
        AdvisoryRefresh::Background,
    );
    let e = cache.get().await.unwrap_err();
    assert!(e.to_string().contains("ended without a result"), "{e}");
    assert_eq!(cache.machine().fetch_in_flight(), None);
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000002");
}

#[tokio::test]
async fn a_caller_that_gives_up_does_not_cancel_the_fetch() {
    let clock = ManualClock::at_unix_secs(T0);
    let (fake, gate) = Fake::new(&clock, |_| Answer::Valid(3600)).gated();
    let cache = cache(
        &fake,
        RefreshPolicy::botocore(),
        AdvisoryRefresh::Background,
    );
    let gave_up = tokio::time::timeout(Duration::from_millis(20), cache.get()).await;
    assert!(gave_up.is_err());
    gate.add_permits(1);
    assert_eq!(key(&cache.get().await.unwrap()), "ASIAFAKE000000000001");
    assert_eq!(fake.calls(), 1);
}

#[test]
fn outside_a_tokio_runtime_the_caller_runs_the_fetch() {
    let cache = CredentialsCache::new(StaticProvider::new(Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        None,
        "explicit",
    )));
    let mut fut = std::pin::pin!(cache.get());
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(Ok(c)) => assert_eq!(c.provider(), "explicit"),
        other => panic!("{other:?}"),
    }
}
