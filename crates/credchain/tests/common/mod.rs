//! A scripted, counting provider on a virtual clock, shared by the cache tests.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use credchain::{Clock, Credentials, Error, ManualClock, ProvideCredentials};
use tokio::sync::Semaphore;

/// A start time for the virtual clock: 2023-11-14T22:13:20Z.
pub(crate) const T0: i64 = 1_700_000_000;

/// What the fake provider answers to its `n`-th call (starting at 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Credentials valid for this many seconds from the clock's now.
    Valid(i64),
    /// Credentials that expired this many seconds ago.
    Expired(i64),
    /// `Error::failed`.
    Fail,
    /// `Error::not_found`.
    Nothing,
    /// `Error::non_recoverable`.
    Fatal,
    /// The provider panics.
    Panic,
}

/// A provider whose answers follow `script(call_number)`, counting calls, on `clock`, optionally
/// held at a gate until the test releases it.
#[derive(Clone)]
pub(crate) struct Fake {
    pub(crate) calls: Arc<AtomicU64>,
    pub(crate) clock: ManualClock,
    pub(crate) script: Arc<dyn Fn(u64) -> Answer + Send + Sync>,
    pub(crate) gate: Option<Arc<Semaphore>>,
}

impl std::fmt::Debug for Fake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fake").field("calls", &self.calls).finish()
    }
}

impl Fake {
    pub(crate) fn new(
        clock: &ManualClock,
        script: impl Fn(u64) -> Answer + Send + Sync + 'static,
    ) -> Fake {
        Fake {
            calls: Arc::new(AtomicU64::new(0)),
            clock: clock.clone(),
            script: Arc::new(script),
            gate: None,
        }
    }

    /// Holds every call until the test adds permits to the returned semaphore.
    pub(crate) fn gated(mut self) -> (Fake, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(0));
        self.gate = Some(gate.clone());
        (self, gate)
    }

    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }
}

/// Credentials whose access key id says which call made them.
pub(crate) fn creds(call: u64, expiry_unix: i64) -> Credentials {
    Credentials::new(
        format!("ASIAFAKE{call:012}"),
        format!("secret-of-call-{call}"),
        Some(format!("token-of-call-{call}")),
        "fake",
    )
    .with_expiry(Some(at(expiry_unix)))
}

pub(crate) fn at(unix: i64) -> std::time::SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::try_from(unix).unwrap())
}

/// The [`ChainFailure`](credchain::ChainFailure) under a chain's error (the class, the
/// message); panics when there is none.
pub(crate) fn failure(e: &Error) -> credchain::ChainFailure {
    std::error::Error::source(e)
        .and_then(|c| c.downcast_ref::<credchain::ChainFailure>())
        .cloned()
        .unwrap_or_else(|| panic!("no ChainFailure under {e}"))
}

pub(crate) fn now_secs(clock: &ManualClock) -> i64 {
    i64::try_from(clock.now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

impl ProvideCredentials for Fake {
    async fn provide(&self) -> Result<Credentials, Error> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let now = now_secs(&self.clock);
        match (self.script)(n) {
            Answer::Valid(secs) => Ok(creds(n, now + secs)),
            Answer::Expired(secs) => Ok(creds(n, now - secs)),
            Answer::Fail => Err(Error::failed("fake", format!("call {n} failed"))),
            Answer::Nothing => Err(Error::not_found("fake", "nothing here")),
            Answer::Fatal => Err(Error::non_recoverable("fake", "grant revoked")),
            Answer::Panic => panic!("the fake provider panics on call {n}"),
        }
    }
}
