//! A record of every request a server saw and what it did about it.
//!
//! Tests read the transcript to check what a client actually sent (did it PUT a token first,
//! with which TTL header; did it send the token on each GET; did it retry after a 500, and how
//! soon) and what the server answered, including faults that leave the client with no answer
//! at all. The CLI prints it as JSON.
//!
//! **Secrets never enter the transcript.** Header values that carry one (the IMDSv2 token,
//! `Authorization`, cookies) are replaced by their length and a short fingerprint, enough to
//! see that a client reused the same token, not enough to use it. Responses are described by
//! status and size, never by body.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use credchain_core::time::Timestamp;
use serde::Serialize;
use tokio::sync::watch;

use crate::fault::FaultKind;

/// One request and what the server did with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Exchange {
    /// Position among all requests this server received, from 0.
    pub seq: u64,
    /// Which TCP connection carried it (numbered from 0 in accept order).
    pub connection: u64,
    /// Position of the request on its connection, from 0 (above 0 means keep-alive reuse).
    pub on_connection: u32,
    /// The client's address.
    pub peer: SocketAddr,
    /// When it arrived, on the server's [`Clock`](crate::Clock).
    #[serde(serialize_with = "ser_timestamp")]
    pub at: Timestamp,
    /// When it arrived, since the server started, on the monotonic clock.
    #[serde(serialize_with = "ser_duration")]
    pub elapsed: Duration,
    /// `GET`, `PUT`, …
    pub method: String,
    /// The request target as sent: path and query.
    pub path: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: String,
    /// Every header in order, names lowercase; secret values replaced by
    /// `<redacted: N bytes, fp XXXXXXXX>`.
    pub headers: Vec<(String, String)>,
    /// What the server made of the credential the request carried (IMDSv2 token or container
    /// `Authorization`).
    pub auth: AuthCheck,
    /// What the server did.
    pub outcome: Outcome,
    /// Delay injected before answering.
    #[serde(serialize_with = "ser_duration")]
    pub delay: Duration,
    /// The hop limit of the connection's socket (`IP_TTL`, or `IPV6_UNICAST_HOPS` on IPv6),
    /// read back with `getsockopt` once the answer was ready: the configured hop limit on a
    /// token PUT, the system default otherwise.
    pub socket_ttl: Option<u32>,
}

impl Exchange {
    /// The status the server answered with, if it sent a status line at all.
    pub fn status(&self) -> Option<u16> {
        match self.outcome {
            Outcome::Answered { status, .. }
            | Outcome::Truncated { status, .. }
            | Outcome::Oversized { status, .. } => Some(status),
            Outcome::Fault { .. } | Outcome::Throttled { .. } | Outcome::Pending => None,
        }
    }

    /// The value of a header (first occurrence, name matched case-insensitively), as recorded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn ser_timestamp<S: serde::Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

fn ser_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// What the server made of the credential a request carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum AuthCheck {
    /// The server did not look (a fault answered first, or the path needs no credential).
    NotChecked,
    /// No token / `Authorization` header.
    Absent,
    /// A token this server issued and that has not expired / the expected `Authorization`.
    Valid,
    /// A token this server never issued (or forgot) / a wrong `Authorization`.
    Invalid,
    /// A token this server issued that has expired on its clock.
    Expired,
    /// A token PUT that issued a new token valid for this many seconds.
    Issued {
        /// The TTL granted (and echoed in the response header).
        ttl_seconds: u32,
    },
}

/// What the server did with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Not decided yet (the entry is being written).
    Pending,
    /// A complete response.
    Answered {
        /// Its status.
        status: u16,
        /// Bytes of body (0 for `HEAD`, whose body is not sent).
        body_len: u64,
    },
    /// A status line and headers declaring `declared` bytes of body, then only `sent` bytes,
    /// then the connection closed.
    Truncated {
        /// Its status.
        status: u16,
        /// The `Content-Length` sent.
        declared: u64,
        /// The body bytes actually sent.
        sent: u64,
    },
    /// A complete response with a very large body.
    Oversized {
        /// Its status.
        status: u16,
        /// Bytes of body.
        body_len: u64,
    },
    /// An injected fault that sends no response (stall, reset, close).
    Fault {
        /// Which one.
        fault: FaultKind,
    },
    /// The request-rate throttle caught it; `fault` says whether it stalled or was dropped.
    Throttled {
        /// What was done instead of answering.
        fault: FaultKind,
    },
}

/// The transcript store: a bounded list (oldest entries dropped first) and a counter that
/// tests can wait on.
#[derive(Debug)]
pub(crate) struct Transcript {
    entries: Mutex<Store>,
    seen: watch::Sender<u64>,
}

#[derive(Debug)]
struct Store {
    capacity: usize,
    list: VecDeque<Exchange>,
    dropped: u64,
}

impl Transcript {
    pub(crate) fn new(capacity: usize) -> Transcript {
        Transcript {
            entries: Mutex::new(Store {
                capacity: capacity.max(1),
                list: VecDeque::new(),
                dropped: 0,
            }),
            seen: watch::Sender::new(0),
        }
    }

    pub(crate) fn push(&self, e: Exchange) {
        {
            let mut s = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            if s.list.len() >= s.capacity {
                s.list.pop_front();
                s.dropped = s.dropped.saturating_add(1);
            }
            s.list.push_back(e);
        }
        self.seen.send_modify(|n| *n = n.saturating_add(1));
    }

    pub(crate) fn snapshot(&self) -> Vec<Exchange> {
        let s = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        s.list.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        let mut s = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        s.list.clear();
    }

    pub(crate) fn dropped(&self) -> u64 {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .dropped
    }

    pub(crate) fn recorded(&self) -> u64 {
        *self.seen.borrow()
    }

    pub(crate) async fn wait_for(&self, n: u64) {
        let mut rx = self.seen.subscribe();
        // `wait_for` only fails when the sender is gone, and we hold it.
        let _ = rx.wait_for(|seen| *seen >= n).await;
    }
}

/// Header names whose values are secrets.
const SECRET_HEADERS: [&str; 5] = [
    "x-aws-ec2-metadata-token",
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-amz-security-token",
];

/// The header list of a request as the transcript records it.
pub(crate) fn redact_headers(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_owned();
            let shown = if SECRET_HEADERS.contains(&name.as_str()) {
                redacted(value.as_bytes())
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name, shown)
        })
        .collect()
}

/// How a secret appears in transcripts and logs.
pub(crate) fn redacted(secret: &[u8]) -> String {
    format!(
        "<redacted: {} bytes, fp {}>",
        secret.len(),
        crate::random::fingerprint(secret)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn entry(seq: u64) -> Exchange {
        Exchange {
            seq,
            connection: 0,
            on_connection: 0,
            peer: "127.0.0.1:1".parse().unwrap(),
            at: Timestamp::UNIX_EPOCH,
            elapsed: Duration::ZERO,
            method: "GET".into(),
            path: "/".into(),
            version: "HTTP/1.1".into(),
            headers: vec![],
            auth: AuthCheck::NotChecked,
            outcome: Outcome::Answered {
                status: 200,
                body_len: 3,
            },
            delay: Duration::ZERO,
            socket_ttl: None,
        }
    }

    #[test]
    fn bounded_store_drops_the_oldest() {
        let t = Transcript::new(2);
        for i in 0..5 {
            t.push(entry(i));
        }
        let seqs: Vec<u64> = t.snapshot().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [3, 4]);
        assert_eq!(t.dropped(), 3);
        assert_eq!(t.recorded(), 5);
    }

    #[test]
    fn secrets_are_redacted() {
        let mut h = hyper::HeaderMap::new();
        h.insert("x-aws-ec2-metadata-token", "s3cr3t-token".parse().unwrap());
        h.insert("authorization", "Bearer abc".parse().unwrap());
        h.insert("user-agent", "x".parse().unwrap());
        let r = redact_headers(&h);
        let joined = format!("{r:?}");
        assert!(!joined.contains("s3cr3t"), "{joined}");
        assert!(!joined.contains("abc"), "{joined}");
        assert!(joined.contains("<redacted: 12 bytes, fp "), "{joined}");
        assert!(r.contains(&("user-agent".into(), "x".into())));
    }

    #[test]
    fn json_form_names_every_field() {
        let v = serde_json::to_value(entry(7)).unwrap();
        assert_eq!(v["seq"], 7);
        assert_eq!(v["at"], "1970-01-01T00:00:00Z");
        assert_eq!(v["outcome"]["kind"], "answered");
        assert_eq!(v["outcome"]["status"], 200);
        assert_eq!(v["auth"]["kind"], "not_checked");
    }
}
