//! A cache hit: `CredentialsCache::get` on cached credentials that need no refresh (issue 4,
//! part 6: target under 100 ns). Polled once with a no-op waker, as an `.await` on a hit is:
//! the future is ready at once.
//!
//! `cargo bench -p credchain --bench cache`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime};

use credchain::{Credentials, CredentialsCache, RefreshPolicy, StaticProvider};
use criterion::{Criterion, criterion_group, criterion_main};

fn hit<P: credchain::ProvideCredentials + 'static>(cache: &CredentialsCache<P>) -> usize {
    let mut fut = pin!(cache.get());
    match fut.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(c)) => c.access_key_id().len(),
        _ => panic!("not a hit"),
    }
}

fn cache_hit(c: &mut Criterion) {
    let creds = Credentials::new(
        "ASIAEXAMPLEEXAMPLE12",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        Some("IQoJb3JpZ2luX2VjEXAMPLETOKEN".into()),
        "iam-role",
    )
    .with_expiry(Some(SystemTime::now() + Duration::from_secs(6 * 3600)));
    let mut group = c.benchmark_group("cache_hit");
    for (name, policy) in [
        ("botocore", RefreshPolicy::botocore()),
        ("cross_sdk", RefreshPolicy::cross_sdk()),
    ] {
        let cache = CredentialsCache::builder(StaticProvider::new(creds.clone()))
            .policy(policy)
            .seed(creds.clone())
            .build();
        group.bench_function(name, |b| b.iter(|| black_box(hit(black_box(&cache)))));
    }
    group.finish();
}

criterion_group!(benches, cache_hit);
criterion_main!(benches);
