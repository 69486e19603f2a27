//! A cache hit allocates nothing (issue 4, part 5): a counting global allocator watches
//! `CredentialsCache::get` polled to completion on a hit, in the states where the machine says
//! to serve the cached set.
//!
//! The counter is per thread, so other threads (the harness, tokio workers) do not disturb a
//! measurement.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use credchain::{
    Credentials, CredentialsCache, FixedRandom, ManualClock, RefreshPolicy, StaticProvider,
};

#[global_allocator]
static GLOBAL: credchain_tests::alloc::CountingAllocator =
    credchain_tests::alloc::CountingAllocator;

use credchain_tests::alloc::count;

/// Polls `fut` once with a no-op waker; a hit is ready at once.
fn poll_once<F: Future>(fut: F) -> Poll<F::Output> {
    let mut fut = pin!(fut);
    fut.as_mut().poll(&mut Context::from_waker(Waker::noop()))
}

fn hit(cache: &CredentialsCache<StaticProvider>) -> (Arc<Credentials>, u64) {
    count(|| match poll_once(cache.get()) {
        Poll::Ready(Ok(c)) => black_box(c),
        other => panic!("not a hit: {other:?}"),
    })
}

#[test]
fn the_counter_sees_allocations() {
    let (_, n) = count(|| black_box(Vec::<u64>::with_capacity(black_box(16))));
    assert_eq!(n, 1);
    let (_, n) = count(|| black_box(Arc::new(black_box(5u64))));
    assert_eq!(n, 1);
}

#[test]
fn a_cache_hit_allocates_nothing() {
    let clock = ManualClock::at_unix_secs(1_700_000_000);
    let seed = Credentials::new("ASIAEXAMPLE", "secret", Some("token".into()), "iam-role")
        .with_expiry(Some(
            std::time::UNIX_EPOCH + Duration::from_secs(1_700_000_000 + 3600),
        ));
    for policy in [RefreshPolicy::botocore(), RefreshPolicy::cross_sdk()] {
        let cache = CredentialsCache::builder(StaticProvider::new(seed.clone()))
            .policy(policy)
            .clock(clock.clone())
            .random(FixedRandom(0))
            .seed(seed.clone())
            .build();
        // Warm up anything lazily initialised (tracing's call-site registration).
        let _ = hit(&cache);
        let mut total = 0;
        for _ in 0..10_000 {
            let (c, n) = hit(&cache);
            assert_eq!(c.access_key_id(), "ASIAEXAMPLE");
            total += n;
        }
        assert_eq!(total, 0, "{policy:?}: {total} allocations over 10,000 hits");
    }
}

#[test]
fn a_hit_on_the_system_clock_allocates_nothing() {
    // The default clock and random source, credentials without an expiry.
    let cache = CredentialsCache::new(StaticProvider::new(Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        None,
        "explicit",
    )));
    let _ = hit(&cache); // the first call fetches (outside a runtime: inline)
    let mut total = 0;
    for _ in 0..10_000 {
        total += hit(&cache).1;
    }
    assert_eq!(total, 0);
}

#[test]
fn a_fetch_does_allocate() {
    // The counter would see a fetch: the hit numbers above are not a blind spot.
    let cache = CredentialsCache::new(StaticProvider::new(Credentials::new(
        "AKIDEXAMPLE",
        "secret",
        None,
        "explicit",
    )));
    let (_, n) = hit(&cache);
    assert!(n >= 1, "a fetch made {n} allocations");
}
