//! The container endpoint client as a sans-IO state machine (spec §6).
//!
//! botocore's `ContainerMetadataFetcher`: `GET` the configured URL with `Accept:
//! application/json` (and `Authorization` when a token is configured), at most three times,
//! pausing one second after **every** failed attempt, the last one included; each attempt has a
//! 2-second timeout for connecting and for reading. An attempt fails on:
//!
//! - a status other than `200` ("Received non 200 response {status} from container metadata:
//!   {body}");
//! - a body that is not JSON ("Unable to parse JSON returned from container metadata services");
//! - a connect failure or timeout, a read timeout, or a closed connection ("Received error when
//!   attempting to retrieve container metadata: {error}").
//!
//! When all attempts fail, the last failure becomes `CredentialRetrievalError` ("Error when
//! retrieving credentials from container-role: Error retrieving metadata: …"), and the chain
//! stops. Some answers end the fetch at once, without retry, as in botocore:
//!
//! - a body that is not UTF-8, whatever the status (Python decodes it before looking at the
//!   status);
//! - a `200` JSON document missing `AccessKeyId`, `SecretAccessKey`, `Token` or `Expiration`
//!   (a `KeyError` naming the key), or that is not an object;
//! - any other transport error.
//!
//! The pauses are the machine's: after a failed attempt the status is [`Status::Pause`], and
//! [`ContainerClient::poll_timeout`] gives the instant to call
//! [`ContainerClient::handle_timeout`] at.
//!
//! The error message of a non-`200` answer quotes the body; the machine keeps its first
//! [`BODY_EXCERPT_LEN`] bytes for that, since the error is reported after the pause, when the
//! body is gone.

use core::fmt;

use super::config::ContainerConfig;
use crate::buf::{BufferTooSmall, Writer};
use crate::document::{ContainerCredentials, DocumentError, DocumentErrorKind, JsonErrorKind};
use crate::http::url;
use crate::http::{
    Header, Headers, Instant, Method, RequestId, Response, Transmit, TransportError, header,
};

/// How many bytes of an error body are kept for the error message.
pub const BODY_EXCERPT_LEN: usize = 128;
/// How many events [`ContainerClient::poll`] holds; more are dropped and counted.
pub const EVENT_CAPACITY: usize = 8;

/// The start of a response body, for an error message.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyExcerpt {
    bytes: [u8; BODY_EXCERPT_LEN],
    len: u16,
    total_len: usize,
}

impl BodyExcerpt {
    fn new(text: &str) -> BodyExcerpt {
        let mut end = text.len().min(BODY_EXCERPT_LEN);
        while !text.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        let mut bytes = [0u8; BODY_EXCERPT_LEN];
        let kept = text.as_bytes().get(..end).unwrap_or(&[]);
        if let Some(dst) = bytes.get_mut(..kept.len()) {
            dst.copy_from_slice(kept);
        }
        BodyExcerpt {
            bytes,
            len: u16::try_from(end).unwrap_or(0),
            total_len: text.len(),
        }
    }

    /// The kept text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        let kept = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        core::str::from_utf8(kept).unwrap_or("")
    }

    /// The length of the whole body.
    #[must_use]
    pub fn total_len(&self) -> usize {
        self.total_len
    }

    /// Whether the body was longer than what is kept.
    #[must_use]
    pub fn is_truncated(&self) -> bool {
        self.total_len > usize::from(self.len)
    }
}

impl fmt::Debug for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())?;
        if self.is_truncated() {
            write!(f, "… ({} bytes)", self.total_len)?;
        }
        Ok(())
    }
}

impl fmt::Display for BodyExcerpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.is_truncated() {
            write!(f, "… ({} bytes in all)", self.total_len)?;
        }
        Ok(())
    }
}

/// Why one attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptFailure {
    /// A status other than `200`, with the start of the body.
    Status {
        /// The status.
        status: u16,
        /// The body.
        body: BodyExcerpt,
    },
    /// A `200` whose body is not JSON.
    InvalidJson,
    /// No response.
    Transport(TransportError),
}

impl fmt::Display for AttemptFailure {
    /// botocore's `MetadataRetrievalError` message, after "Error retrieving metadata: ".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptFailure::Status { status, body } => write!(
                f,
                "Received non 200 response {status} from container metadata: {body}"
            ),
            AttemptFailure::InvalidJson => {
                f.write_str("Unable to parse JSON returned from container metadata services")
            }
            AttemptFailure::Transport(e) => write!(
                f,
                "Received error when attempting to retrieve container metadata: {e}"
            ),
        }
    }
}

/// A failed fetch: botocore raises, and the chain stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerError {
    /// Every attempt failed (`CredentialRetrievalError`).
    RetrievalFailed {
        /// How many attempts were made.
        attempts: u32,
        /// The last failure; `None` only when attempts are configured to 0.
        last: Option<AttemptFailure>,
    },
    /// The body is not UTF-8 (Python: `UnicodeDecodeError`).
    NotUtf8,
    /// The document lacks a key (Python: `KeyError`).
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// The document is JSON but not usable (not an object, a value of the wrong type, a
    /// duplicate key).
    Document(DocumentError),
    /// A transport error that is not retried.
    Transport(TransportError),
}

impl fmt::Display for ContainerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerError::RetrievalFailed { last, .. } => {
                f.write_str(
                    "Error when retrieving credentials from container-role: Error retrieving \
                     metadata: ",
                )?;
                match last {
                    Some(last) => write!(f, "{last}"),
                    None => f.write_str("no attempt was made (attempts set to 0)"),
                }
            }
            ContainerError::NotUtf8 => {
                f.write_str("the container endpoint's response body is not UTF-8")
            }
            ContainerError::MissingKey { key } => {
                write!(f, "the container credentials document has no '{key}'")
            }
            ContainerError::Document(e) => write!(f, "{e}"),
            ContainerError::Transport(e) => {
                write!(f, "request to the container endpoint failed: {e}")
            }
        }
    }
}

impl core::error::Error for ContainerError {}

/// What happened during a fetch. Read with [`ContainerClient::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// An attempt failed; a pause follows.
    AttemptFailed {
        /// Which attempt (1-based).
        attempt: u32,
        /// Why.
        failure: AttemptFailure,
        /// Whether another attempt follows the pause.
        retrying: bool,
    },
}

/// How a fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome<'r> {
    /// The credentials, borrowed from the response body.
    Credentials(ContainerCredentials<'r>),
    /// The fetch failed.
    Failed(ContainerError),
}

/// What the caller does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Status<'r> {
    /// A request is ready: call [`ContainerClient::poll_transmit`] and send it.
    Transmit,
    /// A request is out: give its reply to [`ContainerClient::handle_response`], or call
    /// [`ContainerClient::handle_timeout`] once `deadline` has passed.
    AwaitingResponse {
        /// When the machine stops waiting.
        deadline: Instant,
    },
    /// Pausing after a failed attempt: call [`ContainerClient::handle_timeout`] at `until`.
    Pause {
        /// The end of the pause.
        until: Instant,
    },
    /// The fetch is over; the machine is idle again.
    Done(Outcome<'r>),
    /// No fetch in progress: call [`ContainerClient::start`].
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum State {
    Idle,
    Ready,
    InFlight { id: RequestId, deadline: Instant },
    Paused { until: Instant },
}

/// The container endpoint client. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct ContainerClient<'a> {
    config: ContainerConfig<'a>,
    state: State,
    attempts: u32,
    last: Option<AttemptFailure>,
    next_id: u32,
    events: heapless::Deque<Event, EVENT_CAPACITY>,
    events_dropped: u32,
}

impl<'a> ContainerClient<'a> {
    /// A client for `config`.
    #[must_use]
    pub fn new(config: ContainerConfig<'a>) -> ContainerClient<'a> {
        ContainerClient {
            config,
            state: State::Idle,
            attempts: 0,
            last: None,
            next_id: 0,
            events: heapless::Deque::new(),
            events_dropped: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ContainerConfig<'a> {
        &self.config
    }

    /// Starts a fetch (abandoning an unfinished one).
    pub fn start(&mut self, _now: Instant) -> Status<'static> {
        self.attempts = 0;
        self.last = None;
        if self.config.attempts == 0 {
            self.state = State::Idle;
            return Status::Done(Outcome::Failed(ContainerError::RetrievalFailed {
                attempts: 0,
                last: None,
            }));
        }
        self.state = State::Ready;
        Status::Transmit
    }

    /// The request to send, its target written into `buf`: call it when a status says
    /// [`Status::Transmit`]. `Ok(None)` in every other state. When `buf` is too small the error
    /// names the size needed and the machine is unchanged.
    pub fn poll_transmit<'b>(
        &mut self,
        now: Instant,
        buf: &'b mut [u8],
    ) -> Result<Option<Transmit<'b>>, BufferTooSmall>
    where
        'a: 'b,
    {
        if self.state != State::Ready {
            return Ok(None);
        }
        let full: &'a str = self.config.url();
        let (Ok(split), Ok(target_at)) = (
            url::split(full),
            url::split(full).and_then(|s| s.connect_target()),
        ) else {
            // Checked when the configuration was built.
            return Ok(None);
        };
        let mut w = Writer::new(buf);
        split.write_request_target(&mut w);
        let target = w.finish()?;
        let mut headers: Headers<'b> = Headers::new();
        let _ = headers.push(Header {
            name: header::ACCEPT,
            value: "application/json",
        });
        if let Some(token) = self.config.authorization() {
            let _ = headers.push(Header {
                name: header::AUTHORIZATION,
                value: token,
            });
        }
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        let timeout = self.config.timeout;
        let deadline = now.saturating_add(timeout.saturating_mul(2));
        self.state = State::InFlight { id, deadline };
        Ok(Some(Transmit {
            id,
            method: Method::Get,
            scheme: target_at.scheme,
            host: target_at.host,
            port: target_at.port,
            authority: target_at.authority,
            target,
            headers,
            timeout,
            deadline,
        }))
    }

    /// Gives the machine the reply to request `id`. A reply to a request it no longer waits for
    /// is ignored.
    pub fn handle_response<'r>(
        &mut self,
        now: Instant,
        id: RequestId,
        reply: Result<Response<'r>, TransportError>,
    ) -> Status<'r> {
        match self.state {
            State::InFlight { id: current, .. } if current == id => {}
            _ => return self.status(),
        }
        let failure = match reply {
            Err(TransportError::Other) => {
                return self.done(Outcome::Failed(ContainerError::Transport(
                    TransportError::Other,
                )));
            }
            Err(e) => AttemptFailure::Transport(e),
            Ok(r) => {
                let Ok(text) = core::str::from_utf8(r.body) else {
                    return self.done(Outcome::Failed(ContainerError::NotUtf8));
                };
                if r.status != 200 {
                    AttemptFailure::Status {
                        status: r.status,
                        body: BodyExcerpt::new(text),
                    }
                } else {
                    match ContainerCredentials::parse(text) {
                        Ok(c) => return self.done(Outcome::Credentials(c)),
                        Err(e) => match classify(e) {
                            Some(err) => return self.done(Outcome::Failed(err)),
                            None => AttemptFailure::InvalidJson,
                        },
                    }
                }
            }
        };
        self.fail_attempt(now, failure)
    }

    /// Tells the machine the time is `now`: a request past its deadline counts as a read
    /// timeout; a pause that has ended leads to the next attempt, or to the error after the
    /// last. Calling it early changes nothing.
    pub fn handle_timeout(&mut self, now: Instant) -> Status<'static> {
        match self.state {
            State::InFlight { deadline, .. } if now >= deadline => {
                self.fail_attempt(now, AttemptFailure::Transport(TransportError::ReadTimeout))
            }
            State::Paused { until } if now >= until => {
                if self.attempts >= self.config.attempts {
                    let last = self.last;
                    let attempts = self.attempts;
                    self.done(Outcome::Failed(ContainerError::RetrievalFailed {
                        attempts,
                        last,
                    }))
                } else {
                    self.state = State::Ready;
                    Status::Transmit
                }
            }
            _ => self.status(),
        }
    }

    /// When to call [`handle_timeout`](Self::handle_timeout): the deadline of the request in
    /// flight, or the end of the pause. Ask again after every call that moves the machine.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::InFlight { deadline, .. } => Some(deadline),
            State::Paused { until } => Some(until),
            State::Idle | State::Ready => None,
        }
    }

    /// The next event, oldest first.
    #[must_use]
    pub fn poll(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// How many events were dropped because [`poll`](Self::poll) was not called often enough.
    #[must_use]
    pub fn events_dropped(&self) -> u32 {
        self.events_dropped
    }

    /// The current status, without moving the machine.
    pub fn status(&self) -> Status<'static> {
        match self.state {
            State::Idle => Status::Idle,
            State::Ready => Status::Transmit,
            State::InFlight { deadline, .. } => Status::AwaitingResponse { deadline },
            State::Paused { until } => Status::Pause { until },
        }
    }

    fn done<'r>(&mut self, outcome: Outcome<'r>) -> Status<'r> {
        self.state = State::Idle;
        Status::Done(outcome)
    }

    fn fail_attempt(&mut self, now: Instant, failure: AttemptFailure) -> Status<'static> {
        self.attempts = self.attempts.saturating_add(1);
        self.last = Some(failure);
        let event = Event::AttemptFailed {
            attempt: self.attempts,
            failure,
            retrying: self.attempts < self.config.attempts,
        };
        if self.events.push_back(event).is_err() {
            self.events_dropped = self.events_dropped.saturating_add(1);
        }
        let until = now.saturating_add(self.config.pause);
        self.state = State::Paused { until };
        Status::Pause { until }
    }
}

/// Which document errors end the fetch at once (`Some`), and which are invalid JSON (`None`).
fn classify(e: DocumentError) -> Option<ContainerError> {
    match e.kind {
        DocumentErrorKind::Json(j) if !matches!(j.kind, JsonErrorKind::NotAnObject(_)) => None,
        DocumentErrorKind::MissingKey { key } => Some(ContainerError::MissingKey { key }),
        _ => Some(ContainerError::Document(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::ContainerEnv;

    #[test]
    fn three_failures_three_pauses_then_the_error() {
        let env = ContainerEnv {
            full_uri: Some("http://localhost:9/c"),
            ..Default::default()
        };
        let mut url = [0u8; 64];
        let cfg = ContainerConfig::from_env(&env, &mut url).unwrap().unwrap();
        let mut c = ContainerClient::new(cfg);
        let mut buf = [0u8; 64];
        let mut now = Instant::ZERO;
        assert_eq!(c.start(now), Status::Transmit);
        for attempt in 1..=3u64 {
            let id = c.poll_transmit(now, &mut buf).unwrap().unwrap().id;
            let st = c.handle_response(now, id, Ok(Response::new(500, b"nope")));
            let until = Instant::from_secs(attempt);
            assert_eq!(st, Status::Pause { until });
            assert_eq!(c.poll_timeout(), Some(until));
            now = until;
            let st = c.handle_timeout(now);
            if attempt < 3 {
                assert_eq!(st, Status::Transmit);
            } else {
                let Status::Done(Outcome::Failed(ContainerError::RetrievalFailed {
                    attempts,
                    last,
                })) = st
                else {
                    panic!("{st:?}")
                };
                assert_eq!(attempts, 3);
                assert!(
                    matches!(last, Some(AttemptFailure::Status { status: 500, body }) if body.as_str() == "nope")
                );
            }
        }
        assert_eq!(c.status(), Status::Idle);
    }

    #[test]
    fn excerpts_cut_on_character_boundaries() {
        let text = "é".repeat(BODY_EXCERPT_LEN);
        let e = BodyExcerpt::new(&text);
        assert_eq!(e.as_str().len(), BODY_EXCERPT_LEN);
        assert!(e.is_truncated());
        assert_eq!(e.total_len(), 2 * BODY_EXCERPT_LEN);
        let odd = straddling();
        let e = BodyExcerpt::new(odd);
        assert_eq!(e.as_str().len(), BODY_EXCERPT_LEN - 1);
        let e = BodyExcerpt::new("short");
        assert!(!e.is_truncated());
        assert_eq!(e.as_str(), "short");
    }

    /// `BODY_EXCERPT_LEN - 1` ASCII bytes then a two-byte character straddling the limit.
    fn straddling() -> &'static str {
        const S: &str = concat!(
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "éé"
        );
        S
    }
}
