//! Fault injection: the ways a metadata endpoint fails in the field, on demand.
//!
//! A client's fallback rules (spec §4.4–4.5 for IMDS, §6 for the container endpoint) are only
//! proven when the server actually misbehaves. A [`FaultRule`] makes it misbehave on one path
//! (exact or prefix) or on all of them, for one request, for `n` requests, or until removed:
//!
//! | [`Fault`] | what the client sees |
//! |---|---|
//! | [`Delay`](Fault::Delay) | the normal answer, late (a slow instance; past the client's read timeout, a timeout) |
//! | [`Stall`](Fault::Stall) | a connection accepted and a request read, then nothing, ever: only the client's own deadline ends it |
//! | [`Reset`](Fault::Reset) | the connection reset (TCP RST) with no response |
//! | [`Close`](Fault::Close) | the connection closed (FIN) with no response |
//! | [`Status`](Fault::Status) | a complete response with this status (500, 503, 429, …) and the endpoint's usual error body |
//! | [`TruncatedBody`](Fault::TruncatedBody) | the normal status and headers, a `Content-Length` larger than the body that follows, then a close |
//! | [`OversizedBody`](Fault::OversizedBody) | the normal status, and a body of the given size (10 MiB by default) |
//!
//! Rules are consulted in the order they were added. Every matching `Delay` adds up; the first
//! matching rule of any other kind decides the answer, and a rule with a count is used up
//! request by request.
//!
//! ## Throttling like a link-local allowance
//!
//! Real IMDS throttling is not an HTTP status: traffic to link-local services beyond about
//! 1024 packets per second per interface is *dropped*, and the client sees timeouts
//! (imds-and-tools §2.5). A [`Throttle`] imitates that with a token bucket of requests per
//! second: a request beyond the budget is stalled or dropped ([`ThrottleAction`]), never
//! answered with an error.

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::Error;

/// One way of failing. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Wait this long, then go on (other rules may still apply).
    Delay(Duration),
    /// Read the request and never answer.
    Stall,
    /// Reset the connection (`SO_LINGER` 0, then close: an RST) without answering.
    Reset,
    /// Close the connection (FIN) without answering.
    Close,
    /// Answer with this status (200–599) and the endpoint's usual error body.
    Status(u16),
    /// Send the normal status line and headers and half of the body, then close.
    TruncatedBody,
    /// Send the normal status with a body of this many bytes.
    OversizedBody {
        /// The size of the body.
        bytes: u64,
    },
}

impl Fault {
    /// The default size of [`Fault::OversizedBody`]: 10 MiB.
    pub const OVERSIZED_DEFAULT: u64 = 10 * 1024 * 1024;

    /// [`Fault::OversizedBody`] of [`Fault::OVERSIZED_DEFAULT`] bytes.
    pub fn oversized() -> Fault {
        Fault::OversizedBody {
            bytes: Self::OVERSIZED_DEFAULT,
        }
    }

    /// Which kind of fault this is.
    pub fn kind(&self) -> FaultKind {
        match self {
            Fault::Delay(_) => FaultKind::Delay,
            Fault::Stall => FaultKind::Stall,
            Fault::Reset => FaultKind::Reset,
            Fault::Close => FaultKind::Close,
            Fault::Status(_) => FaultKind::Status,
            Fault::TruncatedBody => FaultKind::TruncatedBody,
            Fault::OversizedBody { .. } => FaultKind::OversizedBody,
        }
    }

    fn validate(&self) -> Result<(), Error> {
        match *self {
            Fault::Status(s) if !(200..=599).contains(&s) => Err(Error::config(
                "fault status",
                format!("must be between 200 and 599, got {s}"),
            )),
            Fault::OversizedBody { bytes } if bytes > (1 << 40) => {
                Err(Error::config("oversized body", "must be at most 1 TiB"))
            }
            _ => Ok(()),
        }
    }
}

/// The kind of a [`Fault`], as transcripts record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FaultKind {
    /// [`Fault::Delay`].
    Delay,
    /// [`Fault::Stall`], or a throttled request held.
    Stall,
    /// [`Fault::Reset`], or a throttled request dropped.
    Reset,
    /// [`Fault::Close`].
    Close,
    /// [`Fault::Status`].
    Status,
    /// [`Fault::TruncatedBody`].
    TruncatedBody,
    /// [`Fault::OversizedBody`].
    OversizedBody,
}

/// Which requests a [`FaultRule`] applies to, by path (the query string is ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathMatch {
    /// Every request.
    Any,
    /// Requests for exactly this path, such as `/latest/api/token`.
    Exact(String),
    /// Requests whose path starts with this, such as `/latest/meta-data/iam/`.
    Prefix(String),
}

impl PathMatch {
    fn matches(&self, path: &str) -> bool {
        match self {
            PathMatch::Any => true,
            PathMatch::Exact(p) => path == p,
            PathMatch::Prefix(p) => path.starts_with(p.as_str()),
        }
    }
}

/// A fault, where it applies, and how many times.
///
/// ```
/// use credchain_server::{Fault, FaultRule};
///
/// // The first token PUT gets a 503; later ones succeed.
/// let rule = FaultRule::on_path("/latest/api/token", Fault::Status(503)).once();
/// // Every request is slowed down by 200 ms, until the rule is removed.
/// let slow = FaultRule::everywhere(Fault::Delay(std::time::Duration::from_millis(200)));
/// # let _ = (rule, slow);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    path: PathMatch,
    method: Option<String>,
    fault: Fault,
    remaining: Option<u32>,
}

impl FaultRule {
    /// `fault` on every request, until removed.
    pub fn everywhere(fault: Fault) -> FaultRule {
        FaultRule {
            path: PathMatch::Any,
            method: None,
            fault,
            remaining: None,
        }
    }

    /// `fault` on requests for exactly `path`, until removed.
    pub fn on_path(path: impl Into<String>, fault: Fault) -> FaultRule {
        FaultRule {
            path: PathMatch::Exact(path.into()),
            ..FaultRule::everywhere(fault)
        }
    }

    /// `fault` on requests whose path starts with `prefix`, until removed.
    pub fn on_prefix(prefix: impl Into<String>, fault: Fault) -> FaultRule {
        FaultRule {
            path: PathMatch::Prefix(prefix.into()),
            ..FaultRule::everywhere(fault)
        }
    }

    /// Only for requests with this method (`"PUT"`, `"GET"`, …; case-insensitive).
    pub fn method(mut self, method: impl Into<String>) -> FaultRule {
        self.method = Some(method.into().to_ascii_uppercase());
        self
    }

    /// For the next matching request only.
    pub fn once(self) -> FaultRule {
        self.times(1)
    }

    /// For the next `n` matching requests.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.remaining = Some(n);
        self
    }

    /// The fault.
    pub fn fault(&self) -> Fault {
        self.fault
    }

    /// Where it applies.
    pub fn path(&self) -> &PathMatch {
        &self.path
    }

    /// Uses left (`None`: until removed).
    pub fn remaining(&self) -> Option<u32> {
        self.remaining
    }

    fn applies(&self, method: &str, path: &str) -> bool {
        self.remaining != Some(0)
            && self.path.matches(path)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// Names a rule added to a running server, to remove it later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultId(u64);

/// What the fault rules decided for one request.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    pub(crate) delay: Duration,
    pub(crate) fault: Option<Fault>,
}

/// The rules of one server.
#[derive(Debug, Default)]
pub(crate) struct FaultSet {
    next_id: u64,
    rules: Vec<(FaultId, FaultRule)>,
}

impl FaultSet {
    pub(crate) fn add(&mut self, rule: FaultRule) -> Result<FaultId, Error> {
        rule.fault.validate()?;
        let id = FaultId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        self.rules.push((id, rule));
        Ok(id)
    }

    pub(crate) fn remove(&mut self, id: FaultId) -> bool {
        let before = self.rules.len();
        self.rules.retain(|(i, _)| *i != id);
        self.rules.len() != before
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn rules(&self) -> Vec<FaultRule> {
        self.rules.iter().map(|(_, r)| r.clone()).collect()
    }

    /// Decides the faults for one request and uses up counted rules.
    pub(crate) fn plan(&mut self, method: &str, path: &str) -> Plan {
        let mut plan = Plan::default();
        for (_, rule) in &mut self.rules {
            if !rule.applies(method, path) {
                continue;
            }
            if let Some(n) = rule.remaining.as_mut() {
                *n = n.saturating_sub(1);
            }
            match rule.fault {
                Fault::Delay(d) => plan.delay = plan.delay.saturating_add(d),
                other => {
                    plan.fault = Some(other);
                    break;
                }
            }
        }
        self.rules.retain(|(_, r)| r.remaining != Some(0));
        plan
    }
}

/// What happens to a request beyond the throttle's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleAction {
    /// Held without an answer, like a dropped packet that is never retransmitted to success:
    /// the client times out.
    Stall,
    /// The connection is reset without an answer.
    Drop,
}

/// A token bucket of requests per second. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    per_second: f64,
    burst: u32,
    action: ThrottleAction,
}

impl Throttle {
    /// `per_second` requests per second on average, bursts of up to `burst`, and `action` for
    /// the rest. Fails unless `per_second` is positive and finite and `burst` is at least 1.
    pub fn new(per_second: f64, burst: u32, action: ThrottleAction) -> Result<Throttle, Error> {
        if !(per_second.is_finite() && per_second > 0.0) {
            return Err(Error::config(
                "throttle rate",
                "must be a positive number of requests per second",
            ));
        }
        if burst == 0 {
            return Err(Error::config("throttle burst", "must be at least 1"));
        }
        Ok(Throttle {
            per_second,
            burst,
            action,
        })
    }

    /// The link-local allowance of a real interface: 1024 per second (imds-and-tools §2.5),
    /// counted here in requests, dropped requests stalled.
    pub fn link_local() -> Throttle {
        Throttle {
            per_second: 1024.0,
            burst: 1024,
            action: ThrottleAction::Stall,
        }
    }

    /// What happens beyond the budget.
    pub fn action(&self) -> ThrottleAction {
        self.action
    }
}

/// A running token bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    throttle: Throttle,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    pub(crate) fn new(throttle: Throttle, now: Instant) -> Bucket {
        Bucket {
            throttle,
            tokens: f64::from(throttle.burst),
            last: now,
        }
    }

    /// Takes one request's worth from the bucket; `Some(action)` when it is empty.
    pub(crate) fn take(&mut self, now: Instant) -> Option<ThrottleAction> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        let refill = elapsed * self.throttle.per_second;
        self.tokens = (self.tokens + refill).min(f64::from(self.throttle.burst));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            None
        } else {
            Some(self.throttle.action)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn delays_add_up_and_the_first_terminal_rule_wins() {
        let mut set = FaultSet::default();
        set.add(FaultRule::everywhere(Fault::Delay(Duration::from_millis(
            5,
        ))))
        .unwrap();
        set.add(FaultRule::on_prefix("/a/", Fault::Delay(Duration::from_millis(7))).once())
            .unwrap();
        set.add(FaultRule::on_path("/a/b", Fault::Status(503)).times(2))
            .unwrap();
        set.add(FaultRule::everywhere(Fault::Reset)).unwrap();

        let p = set.plan("GET", "/a/b");
        assert_eq!(p.delay, Duration::from_millis(12));
        assert_eq!(p.fault, Some(Fault::Status(503)));
        let p = set.plan("GET", "/a/b");
        assert_eq!(p.delay, Duration::from_millis(5));
        assert_eq!(p.fault, Some(Fault::Status(503)));
        // The counted rules are used up; the persistent reset remains.
        let p = set.plan("GET", "/a/b");
        assert_eq!(p.fault, Some(Fault::Reset));
        assert_eq!(set.rules().len(), 2);
    }

    #[test]
    fn method_and_path_filters() {
        let mut set = FaultSet::default();
        let id = set
            .add(FaultRule::on_path("/latest/api/token", Fault::Stall).method("put"))
            .unwrap();
        assert_eq!(set.plan("GET", "/latest/api/token").fault, None);
        assert_eq!(set.plan("PUT", "/latest/api/tokenx").fault, None);
        assert_eq!(
            set.plan("PUT", "/latest/api/token").fault,
            Some(Fault::Stall)
        );
        assert!(set.remove(id));
        assert!(!set.remove(id));
        assert_eq!(set.plan("PUT", "/latest/api/token"), Plan::default());
    }

    #[test]
    fn invalid_faults_are_refused() {
        let mut set = FaultSet::default();
        assert!(set.add(FaultRule::everywhere(Fault::Status(99))).is_err());
        assert!(set.add(FaultRule::everywhere(Fault::Status(600))).is_err());
        assert!(set.add(FaultRule::everywhere(Fault::Status(599))).is_ok());
    }

    #[test]
    fn bucket_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(Throttle::new(10.0, 2, ThrottleAction::Drop).unwrap(), t0);
        assert_eq!(b.take(t0), None);
        assert_eq!(b.take(t0), None);
        assert_eq!(b.take(t0), Some(ThrottleAction::Drop));
        // 100 ms at 10/s gives one more.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(b.take(t1), None);
        assert_eq!(b.take(t1), Some(ThrottleAction::Drop));
        // A long pause refills only up to the burst.
        let t2 = t1 + Duration::from_secs(60);
        assert_eq!(b.take(t2), None);
        assert_eq!(b.take(t2), None);
        assert_eq!(b.take(t2), Some(ThrottleAction::Drop));
        assert!(Throttle::new(0.0, 1, ThrottleAction::Stall).is_err());
        assert!(Throttle::new(f64::NAN, 1, ThrottleAction::Stall).is_err());
        assert!(Throttle::new(1.0, 0, ThrottleAction::Stall).is_err());
    }
}
