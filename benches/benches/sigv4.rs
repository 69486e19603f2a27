//! Signing one STS request with SigV4 (issue 6, part 6): credchain beside the AWS SDK for Rust's
//! signer, the `aws-sigv4` crate, in one criterion group so that one run compares them.
//!
//! The request is what the role provider sends (spec §8.1): `POST /` to
//! `sts.us-east-1.amazonaws.com`, a form-encoded `AssumeRole` body with an external id and a
//! duration (221 bytes), signed with temporary credentials (a 1,044-character session token, as
//! when a role is assumed from an SSO or another role's credentials), at a fixed time.
//!
//! Lines (see `BENCHMARKS.md` for figures):
//! - `credchain`: `credchain_core::sigv4::sign` into a stack buffer — canonical request hashed
//!   as it is produced, signing key derived, `Authorization` written.
//! - `aws-sigv4/per-request`: what the SDK does for each request: `SigningParams` built (with
//!   the default `SigningSettings`), `SignableRequest::new`, `http_request::sign`.
//! - `aws-sigv4/sign-only`: `SignableRequest::new` and `sign` with the parameters built once,
//!   the kindest comparison for the peer.
//!
//! Before timing, both signers must produce the same `Authorization`, `X-Amz-Date` and
//! `X-Amz-Security-Token` (this is also what test mode checks), and credchain's line must make
//! no heap allocation (a counting allocator wraps the system one; counting costs the peer about
//! a nanosecond per allocation, which the figures include).
//!
//! `cargo bench -p credchain-benches --bench sigv4` measures; `cargo test -p credchain-benches
//! --benches` runs each line once; `CREDCHAIN_SIGV4_REPEAT=<line>:<n>` runs one line `n` times
//! (for callgrind).

#![allow(
    unsafe_code,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "a counting global allocator is unsafe by definition; a bench whose workload fails \
              must stop loudly"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use credchain_core::sigv4::{self, Request, Scope, SigningKeys};
use criterion::{Criterion, Throughput, criterion_group};

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Counts allocations per thread and forwards everything to [`System`].
struct Counting;

// SAFETY: every method forwards to the system allocator unchanged; counting touches only a
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get().saturating_add(1)));
        // SAFETY: the caller keeps `GlobalAlloc::alloc`'s contract, which `System` needs.
        unsafe { System.alloc(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get().saturating_add(1)));
        // SAFETY: as for `alloc`; `ptr` and `layout` come from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Heap allocations made by one call of `f` on this thread (after one warm-up call).
fn allocations<R>(mut f: impl FnMut() -> R) -> u64 {
    black_box(f());
    let before = ALLOCATIONS.with(Cell::get);
    black_box(f());
    ALLOCATIONS.with(Cell::get).saturating_sub(before)
}

const HOST: &str = "sts.us-east-1.amazonaws.com";
const URL: &str = "https://sts.us-east-1.amazonaws.com/";
const CONTENT_TYPE: &str = "application/x-www-form-urlencoded; charset=utf-8";
const BODY: &[u8] = b"Action=AssumeRole&DurationSeconds=3600&ExternalId=a1b2c3d4-e5f6-7890-abcd-ef0123456789&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy-production&RoleSessionName=botocore-session-1764403200&Version=2011-06-15";
const ACCESS_KEY_ID: &str = "ASIAQNZGKIQY56JQ7WML";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const REGION: &str = "us-east-1";
const SERVICE: &str = "sts";
/// 2025-11-29T08:00:00Z.
const TIME: i64 = 1_764_403_200;

/// A session token of the length STS hands out for a role session (1,044 characters).
fn session_token() -> String {
    let mut token = String::from("IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD");
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u32 = 0x2545_f491;
    while token.len() < 1044 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        token.push(char::from(alphabet[(x % 64) as usize]));
    }
    token
}

/// The three header values a signer adds.
#[derive(Debug, PartialEq, Eq)]
struct Added {
    authorization: String,
    amz_date: String,
    security_token: Option<String>,
}

fn credchain_sign<'b>(token: &str, buf: &'b mut [u8]) -> sigv4::Signed<'b> {
    let headers = [("Host", HOST), ("Content-Type", CONTENT_TYPE)];
    let request = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload: BODY,
    };
    let keys = SigningKeys {
        access_key_id: ACCESS_KEY_ID,
        secret_access_key: SECRET,
        session_token: Some(token),
    };
    let scope = Scope {
        region: REGION,
        service: SERVICE,
    };
    sigv4::sign(&request, &keys, &scope, TIME, buf).expect("credchain signs")
}

fn time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(TIME as u64)
}

fn aws_identity(token: &str) -> Identity {
    Credentials::new(ACCESS_KEY_ID, SECRET, Some(token.to_owned()), None, "bench").into()
}

/// The SDK's signer on the same request; `params` built by the caller or here.
fn aws_sign(params: &aws_sigv4::http_request::SigningParams<'_>) -> Vec<(String, String)> {
    let headers = [("host", HOST), ("content-type", CONTENT_TYPE)];
    let signable = SignableRequest::new(
        "POST",
        URL,
        headers.iter().copied(),
        SignableBody::Bytes(BODY),
    )
    .expect("a signable request");
    let (instructions, _signature) = aws_sigv4::http_request::sign(signable, params)
        .expect("aws-sigv4 signs")
        .into_parts();
    instructions
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

fn aws_sign_per_request(identity: &Identity) -> Vec<(String, String)> {
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(REGION)
        .name(SERVICE)
        .time(time())
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    aws_sign(&params)
}

fn added_by_aws(headers: &[(String, String)]) -> Added {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    Added {
        authorization: get("authorization").expect("an Authorization header"),
        amz_date: get("x-amz-date").expect("an X-Amz-Date header"),
        security_token: get("x-amz-security-token"),
    }
}

fn sigv4_sts(c: &mut Criterion) {
    let token = session_token();
    assert_eq!(token.len(), 1044);
    let identity = aws_identity(&token);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(SERVICE)
        .time(time())
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();

    // Both signers must agree before either is timed.
    let mut buf = [0u8; 2048];
    let ours = credchain_sign(&token, &mut buf);
    let ours = Added {
        authorization: ours.authorization.to_owned(),
        amz_date: ours.amz_date.to_owned(),
        security_token: ours.security_token.map(str::to_owned),
    };
    assert_eq!(ours, added_by_aws(&aws_sign_per_request(&identity)));
    assert_eq!(ours, added_by_aws(&aws_sign(&params)));
    assert!(
        ours.authorization
            .contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"),
        "{}",
        ours.authorization
    );

    let mut buf = [0u8; 2048];
    let ours_allocs = allocations(|| credchain_sign(&token, &mut buf).signature.len());
    let per_request_allocs = allocations(|| aws_sign_per_request(&identity).len());
    let sign_only_allocs = allocations(|| aws_sign(&params).len());
    println!(
        "sigv4 heap allocations per signature: credchain {ours_allocs}, aws-sigv4/per-request \
         {per_request_allocs}, aws-sigv4/sign-only {sign_only_allocs}"
    );
    assert_eq!(ours_allocs, 0, "credchain's signer allocated");

    let mut group = c.benchmark_group("sigv4_sts_assume_role");
    group.throughput(Throughput::Elements(1));
    group.bench_function("credchain", |b| {
        let mut buf = [0u8; 2048];
        b.iter(|| credchain_sign(black_box(&token), &mut buf).signature.len())
    });
    group.bench_function("aws-sigv4/per-request", |b| {
        b.iter(|| aws_sign_per_request(black_box(&identity)))
    });
    group.bench_function("aws-sigv4/sign-only", |b| {
        b.iter(|| aws_sign(black_box(&params)))
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = sigv4_sts
}

/// `CREDCHAIN_SIGV4_REPEAT=<line>:<n>` runs one line `n` times and exits, for counting
/// instructions under callgrind (the difference between two counts over the difference in `n`).
fn repeat(spec: &str) {
    let (line, n) = spec
        .split_once(':')
        .expect("CREDCHAIN_SIGV4_REPEAT=<line>:<n>");
    let n: u64 = n.parse().expect("a count");
    let token = session_token();
    let identity = aws_identity(&token);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name(SERVICE)
        .time(time())
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    let mut buf = [0u8; 2048];
    for _ in 0..n {
        match line {
            "credchain" => {
                black_box(credchain_sign(black_box(&token), &mut buf).signature.len());
            }
            "aws-sigv4/per-request" => {
                black_box(aws_sign_per_request(black_box(&identity)));
            }
            "aws-sigv4/sign-only" => {
                black_box(aws_sign(black_box(&params)));
            }
            other => panic!("no line {other}"),
        }
    }
}

fn main() {
    if let Ok(spec) = std::env::var("CREDCHAIN_SIGV4_REPEAT") {
        repeat(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
