//! `ContainerClient`: the container-endpoint machine driven by a script of arbitrary replies,
//! in any order, with time passing.
//!
//! Input: a URI byte (`% 8`: one of `RELATIVE` or `FULL`, or arbitrary text of the input as
//! the relative (6) or full (7) URI, `u8`-length-prefixed; a configuration refused by
//! `ContainerConfig::from_env` falls back to `RELATIVE[0]`), a token byte (`% 6`: none, from
//! the environment, from a file with trailing white space, an illegal one, arbitrary text of the
//! input from the environment or a file), an attempts byte (`% 6`), a timeout byte (`% 6` into
//! `TIMEOUTS`), a pause byte (`% 6` into `PAUSES`), then events (`% 9`):
//!
//! | event | bytes after it | what the driver does |
//! |---|---|---|
//! | 0 | body | answers the request in flight `200` |
//! | 1 | status (`STATUSES`), body | answers it with that status |
//! | 2 | status (`u16`), body | answers it with any status at all |
//! | 3 | kind (`% 5`) | reports a transport error |
//! | 4 | — | calls `handle_timeout` at `poll_timeout` |
//! | 5 | tag, amount | advances the clock (ms, s, many s, or to just before `poll_timeout`), then `handle_timeout` |
//! | 6 | — | starts a new fetch, abandoning the current one |
//! | 7 | back (`u8`) | answers a request that is not in flight |
//! | 8 | size (`u8`) | asks for the pending request with a buffer of that size first |
//!
//! A body is a selector byte: `% 2 == 0` one of `DOCUMENTS`, else arbitrary bytes of the input
//! (`sel / 2` bytes long, or a `u16` length when `sel / 2 == 127`).
//!
//! The driver sends each pending request before the next event, and at the end of the script
//! drives the fetch to its end by letting every request time out and every pause pass.
//!
//! Invariants:
//! - **Ends, within a bound derived from the configuration.** A fetch sends at most `attempts`
//!   requests (none with 0 attempts); drained by timeouts it ends after the remaining attempts,
//!   each taking at most `2 × timeout + pause`. `RetrievalFailed` counts exactly the attempts
//!   made, all of them.
//! - **Credentials come from a body it was given.** Credentials end a fetch only on a `200`
//!   reply; every field borrows from that reply's body, is what `serde_json` reads there, and
//!   what `ContainerCredentials::parse_bytes` alone reads there.
//! - **Requests.** `GET` of the configured URL's target, `Accept: application/json`, the
//!   configured `Authorization` and nothing else; legal header values; deadline = send time +
//!   2 × timeout; a too-small buffer leaves the machine as it was, and the size it names is
//!   exactly the size needed.
//! - **Timers.** `poll_timeout` is the deadline of the request in flight or the end of the
//!   pause (the failure's time plus the pause), `None` otherwise, never before the time of
//!   the last call; `handle_timeout` before it, or a reply to a request not in flight, changes
//!   nothing.
//! - **Events.** Read after every call, none dropped; each failed attempt reports its number,
//!   counting from 1, and `retrying` exactly before the last.
#![no_main]

use std::time::Duration;

use credchain_core::container::{
    AuthToken, ContainerClient, ContainerConfig, ContainerEnv, ContainerError, Event, Outcome,
    Status,
};
use credchain_core::document::ContainerCredentials;
use credchain_core::http::{
    Instant, Method, RequestId, Response, TransportError, header, is_legal_header_value,
};
use credchain_fuzz::document::{Oracle, check_session};
use credchain_fuzz::script::Input;
use libfuzzer_sys::fuzz_target;

const RELATIVE: [&str; 3] = [
    "/v2/credentials/abc",
    "/creds?x=1&y=%20#frag",
    "rel\tative\n",
];

const FULL: [&str; 3] = [
    "http://localhost:9/c",
    "http://[fd00:ec2::23]/v1/credentials",
    "https://example.com:8443/creds?a=b",
];

const TIMEOUTS: [Duration; 6] = [
    Duration::from_secs(2),
    Duration::from_millis(1),
    Duration::ZERO,
    Duration::from_secs(1),
    Duration::MAX,
    Duration::from_nanos(1),
];

const PAUSES: [Duration; 6] = [
    Duration::from_secs(1),
    Duration::ZERO,
    Duration::from_nanos(1),
    Duration::MAX,
    Duration::from_secs(10),
    Duration::from_millis(500),
];

const STATUSES: [u16; 12] = [200, 500, 404, 401, 403, 503, 301, 204, 429, 100, 0, 999];

const DOCUMENTS: [&[u8]; 10] = [
    br#"{"RoleArn":"arn:aws:iam::123456789:role/ecs-task-role","AccessKeyId":"ASIARCORRECT","SecretAccessKey":"secretkeycorrect","Token":"tokencorrect","AccountId":"012345678901","Expiration" : "2009-02-13T23:31:30Z"}"#,
    br#"{"AccessKeyId":"A","SecretAccessKey":"S\/x","SessionToken":"T\u0041","Expiration":"2026-11-29T16:27:12Z"}"#,
    br#"{"code":"NoIdInRequest","message":"CredentialsV2Request: No ID in the request"}"#,
    br#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"E"}"#,
    br#"{"AccessKeyId":1,"SecretAccessKey":"S","Token":"T","Expiration":"E"}"#,
    b"[1, 2]",
    b"Internal Server Error",
    b"",
    b"\xff\xfe",
    br#"{"AccessKeyId":"A","AccessKeyId":"B","SecretAccessKey":"S","Token":"T","Expiration":"E"}"#,
];

struct Driver<'c> {
    client: ContainerClient<'c>,
    config: ContainerConfig<'c>,
    target: String,
    now: Instant,
    in_fetch: bool,
    /// The request in flight: its id and deadline.
    sent: Option<(RequestId, Instant)>,
    last_id: Option<RequestId>,
    /// Requests sent in the current fetch.
    requests: u32,
    /// Attempt numbers reported in the current fetch.
    failed: u32,
}

impl Driver<'_> {
    fn start(&mut self) {
        let st = self.client.start(self.now);
        self.in_fetch = true;
        self.sent = None;
        self.requests = 0;
        self.failed = 0;
        self.after(&st, None);
    }

    fn transmit(&mut self, size: Option<usize>) {
        if self.client.status() != Status::Transmit {
            let mut buf = [0u8; 2048];
            assert!(
                matches!(self.client.poll_transmit(self.now, &mut buf), Ok(None)),
                "poll_transmit handed out a request in {:?}",
                self.client.status()
            );
            return;
        }
        let mut buf = vec![0u8; 2048];
        if let Some(size) = size {
            let mut small = vec![0u8; size];
            match self.client.poll_transmit(self.now, &mut small) {
                Err(e) => {
                    assert_eq!(e.available, size);
                    assert!(e.needed > size, "{e:?}");
                    assert_eq!(
                        self.client.status(),
                        Status::Transmit,
                        "{e:?} moved the machine"
                    );
                    assert_eq!(self.client.poll_timeout(), None);
                    // The size named is the size needed: one byte less still fails.
                    let mut less = vec![0u8; e.needed - 1];
                    assert_eq!(
                        self.client.poll_transmit(self.now, &mut less).map(|_| ()),
                        Err(credchain_core::buf::BufferTooSmall {
                            needed: e.needed,
                            available: e.needed - 1
                        })
                    );
                    buf = vec![0u8; e.needed];
                }
                Ok(tx) => {
                    let tx = tx.expect("Transmit status but no request");
                    let sent = self.check_transmit(&tx);
                    return self.record(sent);
                }
            }
        }
        let tx = self
            .client
            .poll_transmit(self.now, &mut buf)
            .unwrap_or_else(|e| panic!("{e:?} with a buffer of the size it named"))
            .expect("Transmit status but no request");
        let sent = self.check_transmit(&tx);
        self.record(sent);
    }

    fn check_transmit(&self, tx: &credchain_core::http::Transmit<'_>) -> (RequestId, Instant) {
        if let Some(last) = self.last_id {
            assert!(
                tx.id > last,
                "request id reused: {:?} after {last:?}",
                tx.id
            );
        }
        assert_eq!(tx.method, Method::Get);
        assert_eq!(tx.target, self.target, "request target");
        assert_eq!(tx.timeout, self.config.timeout);
        assert_eq!(
            tx.deadline,
            self.now
                .saturating_add(self.config.timeout.saturating_mul(2))
        );
        assert_eq!(tx.header(header::ACCEPT), Some("application/json"));
        assert_eq!(
            tx.header(header::AUTHORIZATION),
            self.config.authorization()
        );
        let expected = 1 + usize::from(self.config.authorization().is_some());
        assert_eq!(tx.headers.len(), expected, "{:?}", tx.headers);
        for h in &tx.headers {
            assert!(
                is_legal_header_value(h.value),
                "illegal header value in {h:?}"
            );
        }
        (tx.id, tx.deadline)
    }

    fn record(&mut self, (id, deadline): (RequestId, Instant)) {
        assert!(self.in_fetch, "a request outside a fetch");
        self.requests += 1;
        assert!(
            self.requests <= self.config.attempts,
            "{} requests with {} attempts",
            self.requests,
            self.config.attempts
        );
        assert_eq!(self.client.status(), Status::AwaitingResponse { deadline });
        assert_eq!(self.client.poll_timeout(), Some(deadline));
        let mut buf = [0u8; 2048];
        assert!(
            matches!(self.client.poll_transmit(self.now, &mut buf), Ok(None)),
            "a second request while one is in flight"
        );
        self.last_id = Some(id);
        self.sent = Some((id, deadline));
    }

    fn reply(&mut self, reply: Result<Response<'_>, TransportError>) {
        self.transmit(None);
        let Some((id, _)) = self.sent.take() else {
            return;
        };
        let st = self.client.handle_response(self.now, id, reply);
        self.after(&st, Some(reply));
    }

    fn stray(&mut self, back: u8) {
        let id = match (self.last_id, back) {
            (Some(RequestId(n)), 0) => RequestId(n.wrapping_add(1)),
            (Some(RequestId(n)), b) => RequestId(n.wrapping_sub(u32::from(b))),
            (None, b) => RequestId(u32::from(b)),
        };
        if self.sent.is_some_and(|(s, _)| s == id) {
            return;
        }
        let before = (self.client.status(), self.client.poll_timeout());
        let st = self
            .client
            .handle_response(self.now, id, Ok(Response::new(200, DOCUMENTS[0])));
        assert_eq!(st, before.0, "a stray reply moved the machine");
        assert_eq!((self.client.status(), self.client.poll_timeout()), before);
        assert_eq!(self.client.poll(), None);
    }

    fn timeout_at(&mut self, t: Instant) {
        assert!(t >= self.now, "time went backwards");
        self.now = t;
        let before = (self.client.status(), self.client.poll_timeout());
        let st = self.client.handle_timeout(self.now);
        match before.1 {
            Some(d) if self.now >= d => {
                if matches!(before.0, Status::AwaitingResponse { .. }) {
                    let (_, deadline) = self.sent.take().expect("a deadline with nothing sent");
                    assert_eq!(deadline, d);
                }
                self.after(&st, None);
            }
            _ => {
                assert_eq!(
                    st, before.0,
                    "handle_timeout before its time moved the machine"
                );
                assert_eq!((self.client.status(), self.client.poll_timeout()), before);
                self.after(&st, None);
            }
        }
    }

    fn after(&mut self, st: &Status<'_>, reply: Option<Result<Response<'_>, TransportError>>) {
        let mut failed_now = false;
        while let Some(Event::AttemptFailed {
            attempt, retrying, ..
        }) = self.client.poll()
        {
            assert!(!failed_now, "two failures in one call");
            failed_now = true;
            self.failed += 1;
            assert_eq!(attempt, self.failed, "attempt numbers");
            assert_eq!(
                attempt, self.requests,
                "a failure for an attempt never sent"
            );
            assert_eq!(retrying, attempt < self.config.attempts);
        }
        assert_eq!(self.client.events_dropped(), 0, "events dropped");
        match self.client.poll_timeout() {
            Some(t) => assert!(
                t >= self.now,
                "poll_timeout {t:?} before now {:?}",
                self.now
            ),
            None => assert!(!matches!(
                st,
                Status::AwaitingResponse { .. } | Status::Pause { .. }
            )),
        }
        if failed_now {
            // A failed attempt starts the pause, from the time of the call that reported it.
            let until = self.now.saturating_add(self.config.pause);
            assert_eq!(*st, Status::Pause { until }, "after a failed attempt");
        }
        if let Status::Pause { until } = st {
            assert_eq!(self.client.poll_timeout(), Some(*until));
        }
        let Status::Done(outcome) = st else {
            assert_eq!(*st == Status::Idle, !self.in_fetch, "{st:?}");
            return;
        };
        assert!(self.in_fetch);
        self.in_fetch = false;
        self.sent = None;
        assert_eq!(self.client.status(), Status::Idle);
        assert_eq!(self.client.poll_timeout(), None);
        match outcome {
            Outcome::Credentials(c) => {
                let r = match reply {
                    Some(Ok(r)) => r,
                    other => panic!("credentials after {other:?}"),
                };
                assert_eq!(r.status, 200, "credentials from a {} reply", r.status);
                let oracle = Oracle::read(r.body);
                check_session(r.body, &c.credentials, oracle.object());
                assert_eq!(ContainerCredentials::parse_bytes(r.body).as_ref(), Ok(c));
            }
            Outcome::Failed(ContainerError::RetrievalFailed { attempts, last }) => {
                assert_eq!(*attempts, self.config.attempts, "gave up early");
                assert_eq!(*attempts, self.requests, "attempts counted");
                assert_eq!(last.is_none(), self.config.attempts == 0);
            }
            Outcome::Failed(e) => {
                assert!(!e.to_string().is_empty());
                assert!(reply.is_some(), "{e:?} without a reply");
            }
        }
    }

    /// Drives the fetch to its end by letting every request time out and every pause pass.
    fn drain(&mut self) {
        if !self.in_fetch {
            return;
        }
        let left = self.config.attempts.saturating_sub(self.requests);
        let per_attempt = 2 * self.config.timeout.as_nanos() + self.config.pause.as_nanos();
        // The attempt in flight or paused may still need its own timeout and pause.
        let limit = u128::from(self.now.as_nanos()) + u128::from(left + 1) * per_attempt;
        for _ in 0..=3 * left + 3 {
            match self.client.status() {
                Status::Transmit => self.transmit(None),
                Status::AwaitingResponse { deadline } => self.timeout_at(deadline),
                Status::Pause { until } => self.timeout_at(until),
                _ => break,
            }
            if !self.in_fetch {
                break;
            }
        }
        assert!(
            !self.in_fetch,
            "the fetch did not end within {left} more attempts"
        );
        assert!(
            u128::from(self.now.as_nanos()) <= limit.min(u128::from(u64::MAX)),
            "the fetch took longer than its attempts' timeouts and pauses"
        );
    }
}

fn body<'a>(input: &mut Input<'a>) -> &'a [u8] {
    let sel = input.byte().unwrap_or(0);
    let i = usize::from(sel / 2);
    if sel % 2 == 0 {
        DOCUMENTS[i % DOCUMENTS.len()]
    } else if i == 127 {
        let n = usize::from(input.u16());
        input.take(n)
    } else {
        input.take(i)
    }
}

fn run(input: &mut Input<'_>, mut config: ContainerConfig<'_>) {
    config.attempts = u32::from(input.byte().unwrap_or(3) % 6);
    config.timeout = TIMEOUTS[usize::from(input.byte().unwrap_or(0) % 6)];
    config.pause = PAUSES[usize::from(input.byte().unwrap_or(0) % 6)];
    let mut tbuf = [0u8; 2048];
    let target = {
        let mut c = ContainerClient::new(config);
        let _ = c.start(Instant::ZERO);
        match c.poll_transmit(Instant::ZERO, &mut tbuf) {
            Ok(Some(tx)) => tx.target.to_string(),
            _ => String::new(),
        }
    };
    let mut d = Driver {
        client: ContainerClient::new(config),
        config,
        target,
        now: Instant::from_secs(1),
        in_fetch: false,
        sent: None,
        last_id: None,
        requests: 0,
        failed: 0,
    };
    d.start();
    while let Some(ev) = input.byte() {
        if ev % 9 != 8 && d.in_fetch {
            d.transmit(None);
        }
        match ev % 9 {
            0 => {
                let b = body(input);
                d.reply(Ok(Response::new(200, b)));
            }
            1 => {
                let status = STATUSES[usize::from(input.byte().unwrap_or(0)) % STATUSES.len()];
                let b = body(input);
                d.reply(Ok(Response::new(status, b)));
            }
            2 => {
                let status = input.u16();
                let b = body(input);
                d.reply(Ok(Response::new(status, b)));
            }
            3 => {
                d.reply(Err(input.transport_error()));
            }
            4 => {
                let t = d.client.poll_timeout().unwrap_or(d.now);
                d.timeout_at(t);
            }
            5 => {
                let t = input.later(d.now, d.client.poll_timeout());
                d.timeout_at(t);
            }
            6 => d.start(),
            7 => {
                let back = input.byte().unwrap_or(0);
                d.stray(back);
            }
            _ => {
                let size = usize::from(input.byte().unwrap_or(0));
                if d.in_fetch {
                    d.transmit(Some(size));
                }
            }
        }
        if !d.in_fetch {
            if input.data.is_empty() {
                break;
            }
            d.start();
        }
    }
    d.drain();
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let uri = input.byte().unwrap_or(0);
    let token = input.byte().unwrap_or(0);
    let custom_uri = if uri % 8 >= 6 {
        input.text()
    } else {
        String::new()
    };
    let custom_token = if token % 6 >= 4 {
        input.text()
    } else {
        String::new()
    };
    let (relative_uri, full_uri) = match uri % 8 {
        i @ 0..=2 => (Some(RELATIVE[usize::from(i)]), None),
        i @ 3..=5 => (None, Some(FULL[usize::from(i - 3)])),
        6 => (Some(custom_uri.as_str()), None),
        _ => (None, Some(custom_uri.as_str())),
    };
    let auth_token = match token % 6 {
        0 => None,
        1 => Some(AuthToken::Env("Bearer abc/def==")),
        2 => Some(AuthToken::File("file-token \t\r\n")),
        3 => Some(AuthToken::Env("bad\r\nX-Injected: 1")),
        4 => Some(AuthToken::Env(custom_token.as_str())),
        _ => Some(AuthToken::File(custom_token.as_str())),
    };
    let env = ContainerEnv {
        relative_uri,
        full_uri,
        auth_token,
    };
    let mut url = [0u8; 1024];
    match ContainerConfig::from_env(&env, &mut url) {
        Ok(Some(config)) => {
            if let Some(t) = config.authorization() {
                assert!(is_legal_header_value(t), "illegal token accepted: {t:?}");
            }
            run(&mut input, config);
        }
        other => {
            if let Err(e) = &other {
                assert!(!e.to_string().is_empty());
            }
            let fallback = ContainerEnv {
                relative_uri: Some(RELATIVE[0]),
                ..ContainerEnv::default()
            };
            let mut url = [0u8; 256];
            let config = ContainerConfig::from_env(&fallback, &mut url)
                .expect("the fallback configuration")
                .expect("the fallback configuration");
            run(&mut input, config);
        }
    }
});
