//! `ImdsClient`: the IMDS machine driven by a script of arbitrary replies, in any order, with
//! time passing.
//!
//! Input: a configuration byte (bit 0 IMDSv1 disabled, bit 1 IMDS disabled, bits 2–5 the four
//! improvements, bits 6–7 the static stability: botocore, none, the Rust SDK's, botocore), an
//! attempts byte (`% 6`), a timeout byte (`% 8` into `TIMEOUTS`), an endpoint byte (`% 6` into
//! `ENDPOINTS`; bit 3 adds a `User-Agent`), an operation byte (`% 3`), then events (`% 10`):
//!
//! | event | bytes after it | what the driver does |
//! |---|---|---|
//! | 0 | body, TTL | answers the request in flight `200` |
//! | 1 | status (`STATUSES`), body, TTL | answers it with that status |
//! | 2 | status (`u16`), body | answers it with any status at all |
//! | 3 | kind (`% 5`) | reports a transport error |
//! | 4 | — | calls `handle_timeout` at the deadline |
//! | 5 | tag, amount | advances the clock (ms, s, many s, or to just before the deadline), then `handle_timeout` |
//! | 6 | operation | starts a new fetch, abandoning the current one |
//! | 7 | back (`u8`) | answers a request that is not in flight (an old id, or the next one) |
//! | 8 | — | `forget_token` |
//! | 9 | size (`u8`) | asks for the pending request with a buffer of that size first |
//!
//! A body is a selector byte: `% 4 == 0` a valid document for the request in flight
//! (token, role listing, credentials, `iam/info`: `STAGE_*[sel / 4]`), `1` any document of
//! `MENU`, else arbitrary bytes of the input (`sel / 4` bytes long, or a `u16` length when
//! `sel / 4 == 63`). A TTL is a byte: `% 4 == 0` none, `1` one of `TTLS`, else arbitrary bytes
//! (`b / 4` long) when they are UTF-8.
//!
//! The driver sends each pending request (`poll_transmit`) before the next event, and at the end
//! of the script drives the fetch to its end by letting every request time out.
//!
//! Invariants:
//! - **Ends, within a bound derived from the configuration.** A fetch sends at most
//!   `2 × attempts` token requests and `attempts + 1` requests per `GET` (the module's "Bounds":
//!   `4 × attempts + 2` for role credentials, `3 × attempts + 1` otherwise); drained by
//!   timeouts it ends after at most that many more requests, each waiting `2 × timeout`, so
//!   within `(requests left + 1) × 2 × timeout` of virtual time. A disabled IMDS sends nothing.
//! - **Credentials come from a body it was given.** Every credential (and `iam/info`, and a
//!   refusal's `Code`) borrows from the body of the `200` reply that ended the fetch, which
//!   answered a document request of that operation; each field is what `serde_json` reads in
//!   that body, and what the document parser alone reads there.
//! - **Tokens.** A `GET` carries a token only if a `200` reply to a token request had it as its
//!   body, and never one that is not a legal header value; with IMDSv1 disabled every `GET`
//!   carries a non-empty token. A reused token is reused only while more than
//!   `TOKEN_RENEW_EARLY_SECS` of the lifetime it was given remain; `token_valid_until` is the
//!   token request's send time plus that lifetime (at most `TOKEN_TTL_SECS`).
//! - **Deadlines.** A request's deadline is its send time plus twice the timeout, and
//!   `poll_timeout` is exactly the deadline of the request in flight (`None` otherwise), never
//!   earlier than the time of the last call; `handle_timeout` before it, or a reply to a request
//!   not in flight, changes nothing; `poll_transmit` hands out a request only when the status
//!   says `Transmit`, and a too-small buffer leaves the machine as it was and names a size that
//!   suffices.
//! - **Events.** Read after every call, none is dropped; attempt numbers count from 1 to
//!   `attempts`, `retrying` exactly before the last; at most one renewal per fetch, and only
//!   with the improvement on.
#![no_main]

use std::collections::HashSet;
use std::time::Duration;

use credchain_core::document::{IamInfo, ImdsCredentials};
use credchain_core::http::{
    Instant, Method, RequestId, Response, TransportError, header, is_legal_header_value,
};
use credchain_core::imds::client::{TOKEN_RENEW_EARLY_SECS, TOKEN_TTL_SECS};
use credchain_core::imds::{
    CredentialSource, Endpoint, Event, ImdsClient, ImdsConfig, Improvements, Operation, Outcome,
    Status,
};
use credchain_core::refresh::StaticStability;
use credchain_fuzz::document::{Oracle, check_json_str, check_session};
use credchain_fuzz::script::Input;
use libfuzzer_sys::fuzz_target;

const TIMEOUTS: [i64; 8] = [1, 2, 0, -1, 5, 1_000_000, i64::MAX, i64::MIN];

const ENDPOINTS: [&str; 6] = [
    "",
    "",
    "http://127.0.0.1:1338/",
    "http://[::1]:8080/base/path/",
    // Not validated: the machine must refuse them itself.
    "ftp://169.254.169.254/",
    "http://169.254.169.254:99999/",
];

const STATUSES: [u16; 16] = [
    200, 401, 400, 403, 404, 405, 500, 503, 301, 204, 408, 429, 100, 0, 599, 1000,
];

const TTLS: [&str; 10] = [
    "21600",
    "600",
    "0",
    "1",
    " 121 ",
    "-1",
    "99999999999",
    "4294967295",
    "abc",
    "",
];

const STAGE_TOKEN: [&[u8]; 5] = [
    b"AQAEAFakeToken-xyz==",
    b"",
    b"tok\x01en",
    b"t\xc3\xa9",
    b"AQAEA second token",
];

const STAGE_ROLE: [&[u8]; 6] = [
    b"web-role\n",
    b"web-role",
    b"a\tb\r\nc",
    b"",
    b"r%20 ?#x/../y",
    b"\xff",
];

const STAGE_CREDENTIALS: [&[u8]; 8] = [
    br#"{"Code":"Success","LastUpdated":"2026-11-29T10:02:41Z","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","Token":"token","Expiration":"2026-11-29T16:27:12Z"}"#,
    br#"{"AccessKeyId":"ASIA2","SecretAccessKey":"s\/2","SessionToken":"st\u0041","Expiration":"2026-11-29T16:27:12Z","AccountId":"123456789012"}"#,
    br#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role r.","LastUpdated":"2026-11-29T10:02:41Z"}"#,
    br#"{"Code":"Throttled","AccessKeyId":"ASIA3","SecretAccessKey":"s3","Token":"t3","Expiration":"1970-01-01T00:00:00Z"}"#,
    br#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"E"}"#,
    b"[1, 2]",
    b"not json",
    br#"{"AccessKeyId":"A","AccessKeyId":"B","SecretAccessKey":"S","Token":"T","Expiration":"E"}"#,
];

const STAGE_IAM_INFO: [&[u8]; 3] = [
    br#"{"Code":"Success","LastUpdated":"2026-11-29T10:02:41Z","InstanceProfileArn":"arn:aws:iam::123456789012:instance-profile/web","InstanceProfileId":"AIPAEXAMPLE"}"#,
    br#"{"Code":"InternalError","Message":"try later"}"#,
    br#"{"InstanceProfileArn":"arn:aws:iam"}"#,
];

/// Every menu document, for replies that do not fit the request.
fn menu() -> impl Iterator<Item = &'static [u8]> {
    STAGE_TOKEN
        .iter()
        .chain(&STAGE_ROLE)
        .chain(&STAGE_CREDENTIALS)
        .chain(&STAGE_IAM_INFO)
        .copied()
}

/// Which request a transmit was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Token,
    Listing,
    Document,
}

/// What the driver remembers of the request in flight.
#[derive(Debug, Clone)]
struct Sent {
    id: RequestId,
    kind: Kind,
    sent_at: Instant,
    deadline: Instant,
}

struct Driver<'c> {
    client: ImdsClient<'c>,
    config: ImdsConfig<'c>,
    now: Instant,
    operation: Option<Operation>,
    sent: Option<Sent>,
    last_id: Option<RequestId>,
    /// Requests sent in the current fetch.
    requests: u64,
    renewals: u32,
    /// Bodies of `200` replies to token requests.
    tokens: HashSet<Vec<u8>>,
    /// When the kept token was requested, and the lifetime it was given.
    kept: Option<(Instant, u32)>,
    /// Send time of the last token request answered.
    last_token_sent_at: Option<Instant>,
}

impl<'c> Driver<'c> {
    fn bound(&self) -> u64 {
        let a = u64::from(self.config.attempts);
        let gets = match self.operation {
            Some(Operation::RoleCredentials) => 2,
            _ => 1,
        };
        2 * a + gets * (a + 1)
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.config.timeout_secs).unwrap_or(0))
    }

    fn start(&mut self, op: Operation) {
        let st = self.client.start(self.now, op);
        self.operation = Some(op);
        self.sent = None;
        self.requests = 0;
        self.renewals = 0;
        self.after(&st, None);
    }

    /// Sends the pending request, if the machine has one, with a buffer of `size` bytes
    /// first when given.
    fn transmit(&mut self, size: Option<usize>) {
        if self.client.status() != Status::Transmit {
            let mut buf = [0u8; 4096];
            assert!(
                matches!(self.client.poll_transmit(self.now, &mut buf), Ok(None)),
                "poll_transmit handed out a request in {:?}",
                self.client.status()
            );
            return;
        }
        let mut big = vec![0u8; 4096];
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
                    big = vec![0u8; e.needed];
                }
                Ok(tx) => {
                    let tx = tx.expect("Transmit status but no request");
                    let info = self.check_transmit(&tx);
                    return self.record(info);
                }
            }
        }
        let tx = self
            .client
            .poll_transmit(self.now, &mut big)
            .unwrap_or_else(|e| panic!("{e:?} with a buffer of the size it named"))
            .expect("Transmit status but no request");
        let info = self.check_transmit(&tx);
        self.record(info);
    }

    fn check_transmit(&self, tx: &credchain_core::http::Transmit<'_>) -> Sent {
        if let Some(last) = self.last_id {
            assert!(
                tx.id > last,
                "request id reused: {:?} after {last:?}",
                tx.id
            );
        }
        assert_eq!(tx.timeout, self.timeout(), "transmit timeout");
        assert!(
            tx.timeout > Duration::ZERO,
            "request sent with a zero timeout"
        );
        assert_eq!(
            tx.deadline,
            self.now.saturating_add(tx.timeout.saturating_mul(2)),
            "deadline is not send time + 2 x timeout"
        );
        for h in &tx.headers {
            assert!(
                is_legal_header_value(h.value),
                "illegal header value in {h:?}"
            );
        }
        let op = self.operation.expect("a request outside a fetch");
        let kind = if tx.method == Method::Put {
            assert!(
                tx.target.ends_with("/latest/api/token"),
                "PUT to {}",
                tx.target
            );
            assert_eq!(tx.header(header::TOKEN_TTL), Some("21600"));
            assert_eq!(
                tx.header(header::TOKEN),
                None,
                "token sent on the token request"
            );
            Kind::Token
        } else {
            let token = tx.header(header::TOKEN);
            if let Some(t) = token {
                assert!(
                    self.tokens.contains(t.as_bytes()),
                    "GET with a token no token reply gave: {t:?}"
                );
            }
            if self.config.v1_disabled {
                assert!(
                    token.is_some_and(|t| !t.is_empty()),
                    "IMDSv1 disabled but a GET without a token"
                );
            }
            if tx.target.ends_with("/iam/security-credentials/") {
                assert_eq!(op, Operation::RoleCredentials, "role listing for {op:?}");
                Kind::Listing
            } else {
                let ok = match op {
                    Operation::RoleCredentials => tx
                        .target
                        .contains("/latest/meta-data/iam/security-credentials/"),
                    Operation::IamInfo => tx.target.ends_with("/latest/meta-data/iam/info"),
                    Operation::IdentityCredentials => tx
                        .target
                        .ends_with("/identity-credentials/ec2/security-credentials/ec2-instance"),
                };
                assert!(ok, "{op:?} requested {}", tx.target);
                Kind::Document
            }
        };
        Sent {
            id: tx.id,
            kind,
            sent_at: self.now,
            deadline: tx.deadline,
        }
    }

    fn record(&mut self, sent: Sent) {
        self.requests += 1;
        assert!(
            self.requests <= self.bound(),
            "{} requests in one fetch; the bound for {:?} with {} attempts is {}",
            self.requests,
            self.operation,
            self.config.attempts,
            self.bound()
        );
        assert!(!self.config.disabled, "a request with IMDS disabled");
        assert_eq!(
            self.client.status(),
            Status::AwaitingResponse {
                deadline: sent.deadline
            }
        );
        assert_eq!(self.client.poll_timeout(), Some(sent.deadline));
        let mut buf = [0u8; 4096];
        assert!(
            matches!(self.client.poll_transmit(self.now, &mut buf), Ok(None)),
            "a second request while one is in flight"
        );
        self.last_id = Some(sent.id);
        self.sent = Some(sent);
    }

    /// Answers the request in flight (sending the pending one first).
    fn reply(&mut self, reply: Result<Response<'_>, TransportError>) {
        self.transmit(None);
        let Some(sent) = self.sent.take() else {
            return;
        };
        if sent.kind == Kind::Token {
            self.last_token_sent_at = Some(sent.sent_at);
            if let Ok(r) = &reply {
                if r.status == 200 {
                    self.tokens.insert(r.body.to_vec());
                }
            }
        }
        let st = self.client.handle_response(self.now, sent.id, reply);
        let body = reply.ok().map(|r| (r.status, r.body));
        self.after(&st, Some((sent.kind, body)));
    }

    /// A reply for a request that is not in flight: nothing changes.
    fn stray(&mut self, back: u8) {
        let id = match (self.last_id, back) {
            (Some(RequestId(n)), 0) => RequestId(n.wrapping_add(1)),
            (Some(RequestId(n)), b) => RequestId(n.wrapping_sub(u32::from(b))),
            (None, b) => RequestId(u32::from(b)),
        };
        if self.sent.as_ref().is_some_and(|s| s.id == id) {
            return;
        }
        let before = (self.client.status(), self.client.poll_timeout());
        let st =
            self.client
                .handle_response(self.now, id, Ok(Response::new(200, STAGE_CREDENTIALS[0])));
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
                let sent = self.sent.take().expect("a deadline with nothing sent");
                assert_eq!(sent.deadline, d);
                if sent.kind == Kind::Token {
                    self.last_token_sent_at = Some(sent.sent_at);
                }
                self.after(&st, Some((sent.kind, None)));
            }
            _ => {
                assert_eq!(
                    st, before.0,
                    "handle_timeout before the deadline moved the machine"
                );
                assert_eq!((self.client.status(), self.client.poll_timeout()), before);
                self.after(&st, None);
            }
        }
    }

    /// Checks a status and the events that came with it. `replied` is the request answered and
    /// the status and body of its reply, if any.
    fn after(&mut self, st: &Status<'_>, replied: Option<(Kind, Option<(u16, &[u8])>)>) {
        while let Some(e) = self.client.poll() {
            self.check_event(e);
        }
        assert_eq!(self.client.events_dropped(), 0, "events dropped");
        match self.client.poll_timeout() {
            Some(t) => assert!(
                t >= self.now,
                "poll_timeout {t:?} before now {:?}",
                self.now
            ),
            None => assert!(!matches!(st, Status::AwaitingResponse { .. })),
        }
        if let Some(until) = self.client.token_valid_until() {
            let (at, ttl) = self
                .kept
                .expect("a kept token that was never acquired as kept");
            assert_eq!(
                until,
                at.saturating_add(Duration::from_secs(u64::from(ttl)))
            );
        }
        let Status::Done(outcome) = st else {
            assert_eq!(
                *st == Status::Idle,
                self.operation.is_none(),
                "{st:?} and fetch {:?}",
                self.operation
            );
            return;
        };
        assert_eq!(self.client.status(), Status::Idle, "not idle after Done");
        assert_eq!(self.client.poll_timeout(), None);
        self.sent = None;
        let op = self.operation.take().expect("Done outside a fetch");
        if self.config.disabled {
            assert!(matches!(
                outcome,
                Outcome::Unavailable(credchain_core::imds::Unavailable::Disabled)
            ));
        }
        let document = match replied {
            Some((Kind::Document, Some((200, body)))) => Some(body),
            _ => None,
        };
        match outcome {
            Outcome::Credentials(fc) => {
                let body = document.expect("credentials without a 200 document reply");
                assert_ne!(op, Operation::IamInfo);
                let source = match op {
                    Operation::RoleCredentials => CredentialSource::Role,
                    _ => CredentialSource::InstanceIdentity,
                };
                assert_eq!(fc.source, source);
                let oracle = Oracle::read(body);
                check_session(body, &fc.credentials, oracle.object());
                let imp = self.config.improvements;
                match ImdsCredentials::parse_bytes(body) {
                    Ok(ImdsCredentials::Success(ok)) => {
                        assert_eq!(fc.credentials, ok.credentials);
                        assert_eq!(fc.last_updated, ok.last_updated);
                        assert!(!fc.code_not_success);
                    }
                    Ok(ImdsCredentials::Failure {
                        credentials: Some(c),
                        last_updated,
                        ..
                    }) => {
                        assert!(!imp.reject_failure_code, "failure Code accepted");
                        assert_eq!(fc.credentials, c);
                        assert_eq!(fc.last_updated, last_updated);
                        assert!(fc.code_not_success);
                    }
                    other => panic!("credentials from a document the parser reads as {other:?}"),
                }
                if fc.credentials.token_key != credchain_core::document::TokenKey::Token {
                    assert!(imp.accept_session_token, "SessionToken used");
                }
                let now_unix = 1_700_000_000 + (self.now.as_nanos() / 1_000_000_000) as i64;
                let expiry = fc.expiry(now_unix, self.now.as_nanos());
                let _ = expiry.effective_unix_secs();
                if expiry.extension.is_some() {
                    assert!(self.config.static_stability.is_some());
                }
            }
            Outcome::InstanceProfile(p) => {
                let body = document.expect("iam/info without a 200 document reply");
                assert_eq!(op, Operation::IamInfo);
                match IamInfo::parse_bytes(body) {
                    Ok(IamInfo::Success(q)) => assert_eq!(*p, q),
                    other => panic!("iam/info from a document the parser reads as {other:?}"),
                }
                check_json_str(body, &p.arn, "InstanceProfileArn");
                check_json_str(body, &p.id, "InstanceProfileId");
            }
            Outcome::Refused(r) => {
                let body = document.expect("a refusal without a 200 document reply");
                assert!(self.config.improvements.reject_failure_code || op == Operation::IamInfo);
                check_json_str(body, &r.code, "Code");
                assert!(!r.code.eq_str("Success"), "refused with Code Success");
                if let Some(m) = &r.message {
                    check_json_str(body, m, "Message");
                }
                assert!(!r.to_string().is_empty());
            }
            Outcome::Unavailable(u) => assert!(!u.to_string().is_empty()),
            Outcome::Failed(e) => assert!(!e.to_string().is_empty()),
        }
    }

    fn check_event(&mut self, e: Event) {
        let a = self.config.attempts;
        let imp = self.config.improvements;
        match e {
            Event::AttemptFailed {
                attempt, retrying, ..
            } => {
                assert!(attempt >= 1 && attempt <= a, "{e:?} with {a} attempts");
                assert_eq!(retrying, attempt < a, "{e:?} with {a} attempts");
            }
            Event::RenewingToken => {
                assert!(imp.renew_token_on_401, "renewal with the improvement off");
                self.renewals += 1;
                assert!(self.renewals <= 1, "two renewals in one fetch");
            }
            Event::TokenReused { remaining_secs } => {
                assert!(imp.reuse_token, "token reused with the improvement off");
                let (at, ttl) = self.kept.expect("reused a token never kept");
                let renew_at = at
                    .saturating_add(Duration::from_secs(u64::from(ttl)))
                    .as_nanos()
                    .saturating_sub(TOKEN_RENEW_EARLY_SECS * 1_000_000_000);
                assert!(
                    self.now.as_nanos() < renew_at,
                    "token reused within {TOKEN_RENEW_EARLY_SECS} s of its end"
                );
                assert!(remaining_secs >= TOKEN_RENEW_EARLY_SECS);
            }
            Event::TokenAcquired { ttl_secs, kept, .. } => {
                assert!(ttl_secs <= TOKEN_TTL_SECS);
                assert!(!kept || imp.reuse_token);
                let at = self
                    .last_token_sent_at
                    .expect("token acquired without a request");
                self.kept = kept.then_some((at, ttl_secs));
            }
            Event::FallbackToV1 { .. } => {}
        }
    }

    /// Drives the fetch to its end by letting every request time out.
    fn drain(&mut self) {
        if self.operation.is_none() {
            return;
        }
        let left = self.bound().saturating_sub(self.requests);
        let start = u128::from(self.now.as_nanos());
        // The request in flight, if any, may still take its own 2 x timeout.
        let limit = start + u128::from(left + 1) * 2 * self.timeout().as_nanos();
        for _ in 0..=2 * left + 1 {
            match self.client.status() {
                Status::Transmit => self.transmit(None),
                Status::AwaitingResponse { deadline } => self.timeout_at(deadline),
                _ => break,
            }
            if self.operation.is_none() {
                break;
            }
        }
        assert!(
            self.operation.is_none(),
            "the fetch did not end within {left} more requests"
        );
        assert!(
            u128::from(self.now.as_nanos()) <= limit.min(u128::from(u64::MAX)),
            "the fetch took longer than {left} requests x 2 x timeout"
        );
    }
}

fn body<'a>(input: &mut Input<'a>, kind: Option<Kind>, op: Option<Operation>) -> &'a [u8] {
    let sel = input.byte().unwrap_or(0);
    let i = usize::from(sel / 4);
    match sel % 4 {
        0 => {
            let stage: &[&'static [u8]] = match (kind, op) {
                (Some(Kind::Token), _) => &STAGE_TOKEN,
                (Some(Kind::Listing), _) => &STAGE_ROLE,
                (_, Some(Operation::IamInfo)) => &STAGE_IAM_INFO,
                _ => &STAGE_CREDENTIALS,
            };
            stage[i % stage.len()]
        }
        1 => {
            let all: Vec<&'static [u8]> = menu().collect();
            all[i % all.len()]
        }
        _ => {
            let n = if i == 63 { usize::from(input.u16()) } else { i };
            input.take(n)
        }
    }
}

fn ttl<'a>(input: &mut Input<'a>) -> Option<&'a str> {
    let b = input.byte().unwrap_or(0);
    match b % 4 {
        0 => None,
        1 => Some(TTLS[usize::from(b / 4) % TTLS.len()]),
        _ => std::str::from_utf8(input.take(usize::from(b / 4))).ok(),
    }
}

fn operation(b: u8) -> Operation {
    match b % 3 {
        0 => Operation::RoleCredentials,
        1 => Operation::IamInfo,
        _ => Operation::IdentityCredentials,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input { data };
    let flags = input.byte().unwrap_or(0);
    let attempts = u32::from(input.byte().unwrap_or(1) % 6);
    let timeout_secs = TIMEOUTS[usize::from(input.byte().unwrap_or(0) % 8)];
    let ep = input.byte().unwrap_or(0);
    let endpoint = match ep % 6 {
        0 => Endpoint::Ipv4,
        1 => Endpoint::Ipv6,
        i => Endpoint::Custom(ENDPOINTS[usize::from(i)]),
    };
    let improvements = Improvements {
        reuse_token: flags & 4 != 0,
        renew_token_on_401: flags & 8 != 0,
        reject_failure_code: flags & 16 != 0,
        accept_session_token: flags & 32 != 0,
    };
    let static_stability = match flags >> 6 {
        1 => None,
        2 => Some(StaticStability::aws_sdk_rust()),
        _ => Some(StaticStability::botocore()),
    };
    let config = ImdsConfig {
        endpoint,
        v1_disabled: flags & 1 != 0,
        disabled: flags & 2 != 0,
        timeout_secs,
        attempts,
        user_agent: (ep & 8 != 0).then_some("credchain-fuzz/0.0 (test)"),
        improvements,
        static_stability,
        ..ImdsConfig::default()
    };
    let mut d = Driver {
        client: ImdsClient::new(config),
        config,
        now: Instant::from_secs(1),
        operation: None,
        sent: None,
        last_id: None,
        requests: 0,
        renewals: 0,
        tokens: HashSet::new(),
        kept: None,
        last_token_sent_at: None,
    };
    d.start(operation(input.byte().unwrap_or(0)));

    // Each event takes at least one byte, so the script ends.
    while let Some(ev) = input.byte() {
        if ev % 10 != 9 && d.operation.is_some() {
            d.transmit(None);
        }
        let kind = d.sent.as_ref().map(|s| s.kind);
        let op = d.operation;
        match ev % 10 {
            0 => {
                let b = body(&mut input, kind, op);
                let t = ttl(&mut input);
                d.reply(Ok(Response {
                    status: 200,
                    token_ttl: t,
                    body: b,
                }));
            }
            1 => {
                let status = STATUSES[usize::from(input.byte().unwrap_or(0)) % STATUSES.len()];
                let b = body(&mut input, kind, op);
                let t = ttl(&mut input);
                d.reply(Ok(Response {
                    status,
                    token_ttl: t,
                    body: b,
                }));
            }
            2 => {
                let status = input.u16();
                let b = body(&mut input, kind, op);
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
            6 => {
                let op = operation(input.byte().unwrap_or(0));
                d.start(op);
            }
            7 => {
                let back = input.byte().unwrap_or(0);
                d.stray(back);
            }
            8 => d.client.forget_token(),
            _ => {
                let size = usize::from(input.byte().unwrap_or(0));
                if d.operation.is_some() {
                    d.transmit(Some(size));
                }
            }
        }
        if d.operation.is_none() {
            // The fetch is over: start another, keeping the token (a later fetch of the same
            // client, as a refreshing cache does).
            let op = operation(input.byte().unwrap_or(0));
            if input.data.is_empty() {
                break;
            }
            d.start(op);
        }
    }
    d.drain();
});
