//! The IMDS client as a sans-IO state machine.
//!
//! One [`ImdsClient`] lives as long as the credential source: it keeps the IMDSv2 token between
//! fetches. Each fetch is an [`Operation`] started with [`ImdsClient::start`]; the caller then
//! drives it with the calls every step names ([`Status`]):
//!
//! ```text
//! let mut status = client.start(now, Operation::RoleCredentials);
//! loop {
//!     match status {
//!         Status::Transmit => {
//!             let tx = client.poll_transmit(now, &mut buf)?.unwrap();
//!             // send tx (timeout: tx.timeout), then:
//!             status = client.handle_response(now, tx.id, reply);
//!         }
//!         Status::AwaitingResponse { deadline } => status = client.handle_timeout(deadline),
//!         Status::Done(outcome) => break outcome,
//!         Status::Idle => unreachable,
//!     }
//!     while let Some(event) = client.poll() { /* trace */ }
//! }
//! ```
//!
//! # One credential fetch (spec §4.3)
//!
//! 1. **Token.** `PUT /latest/api/token` with `x-aws-ec2-metadata-token-ttl-seconds: 21600`.
//!    Each attempt's outcome decides what happens next (spec §4.4):
//!
//!    | outcome | next |
//!    |---|---|
//!    | `200` | the body is the token (an empty body is the empty token, sent as an empty header) |
//!    | `404`, `403`, `405` | no token: IMDSv1 ([`Event::FallbackToV1`]) |
//!    | `400` | no credentials, no further request ([`Unavailable::BadTokenRequest`]) |
//!    | any other status | next attempt; after the last, IMDSv1 |
//!    | read timeout (or the deadline passing) | IMDSv1 at once |
//!    | connect failure or timeout, connection closed | next attempt; after the last, IMDSv1 |
//!    | any other transport error | [`ImdsError::Transport`] |
//!
//!    Without a token and with IMDSv1 disabled, the fetch fails with [`ImdsError::V1Disabled`]
//!    before any `GET` (spec §4.6) — even with zero attempts.
//! 2. **Role name.** `GET /latest/meta-data/iam/security-credentials/`, with
//!    `x-aws-ec2-metadata-token` when there is a token. The name is the whole body with TAB, CR
//!    and LF deleted, as botocore ends up using it (spec §4.3).
//! 3. **Document.** `GET …/security-credentials/<role>`, read by
//!    [`crate::document::ImdsCredentials`].
//!
//! Each `GET` is tried up to `attempts` times, without pause, while the status is not `200`, the
//! body is empty, the document is not valid JSON, or the transport failed in a retryable way;
//! then the fetch ends with [`Unavailable::RetriesExhausted`] (spec §4.5). Redirects are not
//! followed (a `3xx` is a failure like any other status).
//!
//! # What credchain does differently ([`Improvements`])
//!
//! - **The token is kept** and reused while more than [`TOKEN_RENEW_EARLY_SECS`] of its lifetime
//!   remain — the lifetime the server echoes in `x-aws-ec2-metadata-token-ttl-seconds`, or 21600 s
//!   when it does not. botocore fetches a token for every fetch.
//! - **A `401` to a `GET` sent with a token renews the token once** per fetch, and the `GET` is
//!   sent again with the new one without counting the `401` as an attempt. botocore re-sends the
//!   same stale token.
//! - **A document whose `Code` is not `Success` is an error** ([`Outcome::Refused`]) carrying
//!   `Code` and `Message`; botocore ignores `Code`.
//! - `SessionToken` is read when `Token` is absent.
//!
//! # Deadlines
//!
//! Every [`Transmit`] carries the configured `timeout`, which the transport applies to
//! connecting and again to reading, as botocore's urllib3 does. The machine itself waits at most
//! twice that (connect plus read): when [`ImdsClient::poll_timeout`]'s instant passes,
//! [`ImdsClient::handle_timeout`] treats the request as a read timeout. A reply that arrives
//! later is ignored (its [`RequestId`] is stale).
//!
//! # Bounds
//!
//! A fetch sends at most `2 × attempts` token requests (one renewal) and `attempts + 1`
//! requests per `GET`, whatever the server answers; the token is at most [`MAX_TOKEN_LEN`]
//! bytes and the role name at most [`MAX_ROLE_NAME_LEN`], longer ones are errors. Nothing
//! allocates.

use core::fmt;
use core::time::Duration;

use super::config::{ImdsConfig, Improvements};
use super::endpoint::{IAM_INFO_PATH, IDENTITY_CREDENTIALS_PATH, ROLE_LISTING_PATH, TOKEN_PATH};
use crate::buf::{BufferTooSmall, Writer};
use crate::document::{
    DocumentError, DocumentErrorKind, IamInfo, ImdsCredentials, InstanceProfile, JsonErrorKind,
    JsonStr, SessionCredentials, TokenKey,
};
use crate::http::url::{self, UrlError};
use crate::http::{
    Header, Headers, Instant, Method, RequestId, Response, Transmit, TransportError, header,
    is_legal_header_value,
};
use crate::refresh::{Extension, StaticStability};
use crate::time::{TimeError, Timestamp};

/// The token lifetime credchain asks for, in seconds: botocore's (six hours, the maximum).
pub const TOKEN_TTL_SECS: u32 = 21_600;
/// [`TOKEN_TTL_SECS`] as the header value.
pub const TOKEN_TTL_VALUE: &str = "21600";
/// A kept token is renewed when fewer than this many seconds of its lifetime remain (the AWS
/// SDK for Rust uses the same buffer).
pub const TOKEN_RENEW_EARLY_SECS: u64 = 120;
/// The longest token accepted, in bytes. Real tokens are about 56.
pub const MAX_TOKEN_LEN: usize = 512;
/// The longest role name accepted, in bytes. IAM allows 64.
pub const MAX_ROLE_NAME_LEN: usize = 256;
/// How many events [`ImdsClient::poll`] holds; more are dropped and counted.
pub const EVENT_CAPACITY: usize = 16;

/// What to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// The instance profile's role credentials: token, role name, document. What botocore's
    /// `iam-role` provider fetches.
    RoleCredentials,
    /// `latest/meta-data/iam/info`: the instance profile's ARN and id.
    IamInfo,
    /// `latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance`: the
    /// instance identity role's credentials.
    IdentityCredentials,
}

/// One of the requests of a fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `PUT /latest/api/token`.
    Token,
    /// `GET …/iam/security-credentials/`.
    RoleName,
    /// `GET …/iam/security-credentials/<role>`.
    RoleCredentials,
    /// `GET …/iam/info`.
    IamInfo,
    /// `GET …/identity-credentials/ec2/security-credentials/ec2-instance`.
    IdentityCredentials,
}

impl fmt::Display for RequestKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RequestKind::Token => "the IMDSv2 token request (PUT /latest/api/token)",
            RequestKind::RoleName => "the role name request",
            RequestKind::RoleCredentials => "the role credentials request",
            RequestKind::IamInfo => "the iam/info request",
            RequestKind::IdentityCredentials => "the instance identity credentials request",
        })
    }
}

/// Why one attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptFailure {
    /// A status other than `200` (for a token, one that is retried).
    Status(u16),
    /// `200` with an empty body.
    EmptyBody,
    /// `200` with a document that is not JSON (or not UTF-8).
    InvalidJson,
    /// No response.
    Transport(TransportError),
    /// The machine's deadline passed first.
    DeadlineExceeded,
}

impl fmt::Display for AttemptFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttemptFailure::Status(s) => write!(f, "status {s}"),
            AttemptFailure::EmptyBody => f.write_str("empty body"),
            AttemptFailure::InvalidJson => f.write_str("the body is not valid JSON"),
            AttemptFailure::Transport(e) => write!(f, "{e}"),
            AttemptFailure::DeadlineExceeded => f.write_str("no response before the deadline"),
        }
    }
}

/// Why a fetch went on without a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FallbackCause {
    /// The token request got `404`, `403` or `405`: IMDSv2 is not there.
    Status(u16),
    /// The token request timed out while reading (or its deadline passed).
    ReadTimeout,
    /// Every attempt failed; the last failure.
    AttemptsExhausted(AttemptFailure),
    /// Attempts are set to 0: no token request was sent.
    NoAttempts,
}

/// What happened during a fetch, for tracing and `explain`. Read with [`ImdsClient::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// A kept token was used; no token request was sent.
    TokenReused {
        /// Seconds of its lifetime left.
        remaining_secs: u64,
    },
    /// A token was obtained.
    TokenAcquired {
        /// The lifetime used: the server's echo, or [`TOKEN_TTL_SECS`].
        ttl_secs: u32,
        /// Whether the server echoed the lifetime.
        ttl_from_server: bool,
        /// Whether it will be kept for later fetches.
        kept: bool,
    },
    /// The fetch goes on without a token (IMDSv1).
    FallbackToV1 {
        /// Why.
        cause: FallbackCause,
    },
    /// A `GET` sent with a token got `401`; a new token is requested (credchain improvement).
    RenewingToken,
    /// An attempt failed.
    AttemptFailed {
        /// Which request.
        request: RequestKind,
        /// Which attempt (1-based).
        attempt: u32,
        /// Why.
        failure: AttemptFailure,
        /// Whether another attempt follows.
        retrying: bool,
    },
}

/// Why there are no credentials: botocore's provider returns nothing and the chain goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unavailable {
    /// `AWS_EC2_METADATA_DISABLED` is `true`.
    Disabled,
    /// The token request got `400` (`BadIMDSRequestError`).
    BadTokenRequest,
    /// A `GET` failed on every attempt (or attempts are 0).
    RetriesExhausted {
        /// Which request.
        request: RequestKind,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure; `None` when no attempt was made.
        last: Option<AttemptFailure>,
    },
    /// The document lacks a required key.
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// The document is JSON but not an object.
    NotAnObject,
    /// The document is an error document (`Code` not `Success`, no credentials) and the
    /// improvements are off: botocore logs it and finds nothing.
    ErrorDocument,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::Disabled => f.write_str("IMDS is disabled (AWS_EC2_METADATA_DISABLED)"),
            Unavailable::BadTokenRequest => {
                f.write_str("IMDS answered 400 to the token request (bad request)")
            }
            Unavailable::RetriesExhausted {
                request,
                attempts,
                last,
            } => {
                write!(f, "{request} failed after {attempts} attempt(s)")?;
                match last {
                    Some(last) => write!(f, ", last: {last}"),
                    None => Ok(()),
                }
            }
            Unavailable::MissingKey { key } => {
                write!(f, "the credentials document has no '{key}'")
            }
            Unavailable::NotAnObject => f.write_str("the document is not a JSON object"),
            Unavailable::ErrorDocument => f.write_str("IMDS returned an error document"),
        }
    }
}

/// A fetch that stops the credential chain (botocore raises).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImdsError {
    /// No token, and IMDSv1 is disabled (`MetadataRetrievalError`).
    V1Disabled,
    /// The endpoint cannot be requested: scheme, port or host (`InvalidIMDSEndpointError`,
    /// `HTTPClientError`).
    InvalidEndpoint(UrlError),
    /// The timeout is zero or negative (urllib3 refuses it).
    InvalidTimeout {
        /// The configured seconds.
        secs: i64,
    },
    /// A transport error that is not retried.
    Transport {
        /// Which request.
        request: RequestKind,
        /// The error.
        error: TransportError,
    },
    /// The token is longer than [`MAX_TOKEN_LEN`].
    TokenTooLong {
        /// Its length.
        len: usize,
    },
    /// The token cannot be sent as a header value (control character or non-ASCII byte).
    IllegalToken,
    /// The role name is longer than [`MAX_ROLE_NAME_LEN`].
    RoleNameTooLong {
        /// Its length.
        len: usize,
    },
    /// The token or the role name is not UTF-8.
    NotUtf8 {
        /// Which request.
        request: RequestKind,
    },
    /// A document that is JSON but unusable: a value of the wrong type, a duplicate or escaped
    /// key (see [`crate::document`]).
    Document(DocumentError),
}

impl fmt::Display for ImdsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImdsError::V1Disabled => f.write_str(
                "Error retrieving metadata: Unable to retrieve token for use in IMDSv2 call \
                 and IMDSv1 has been disabled",
            ),
            ImdsError::InvalidEndpoint(e) => {
                write!(f, "Invalid endpoint EC2 Instance Metadata endpoint: {e}")
            }
            ImdsError::InvalidTimeout { secs } => write!(
                f,
                "Attempted to set connect timeout to {secs}, but the timeout cannot be set to \
                 a value less than or equal to 0."
            ),
            ImdsError::Transport { request, error } => write!(f, "{request} failed: {error}"),
            ImdsError::TokenTooLong { len } => write!(
                f,
                "the IMDSv2 token is {len} bytes long; at most {MAX_TOKEN_LEN} are accepted"
            ),
            ImdsError::IllegalToken => f.write_str(
                "the IMDSv2 token is not a legal header value (control character or non-ASCII)",
            ),
            ImdsError::RoleNameTooLong { len } => write!(
                f,
                "the role name is {len} bytes long; at most {MAX_ROLE_NAME_LEN} are accepted"
            ),
            ImdsError::NotUtf8 { request } => write!(f, "the answer to {request} is not UTF-8"),
            ImdsError::Document(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for ImdsError {}

/// A document whose `Code` is not `Success` (credchain: an error; botocore ignores `Code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Refusal<'r> {
    /// Which request returned it.
    pub request: RequestKind,
    /// `Code`.
    pub code: JsonStr<'r>,
    /// `Message`, when present.
    pub message: Option<JsonStr<'r>>,
}

impl fmt::Display for Refusal<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IMDS answered {} with Code ", self.request)?;
        for c in self.code.chars() {
            fmt::Write::write_char(f, c)?;
        }
        if let Some(m) = self.message {
            f.write_str(": ")?;
            for c in m.chars() {
                fmt::Write::write_char(f, c)?;
            }
        }
        if self.code.eq_str("AssumeRoleUnauthorizedAccess") {
            f.write_str(" (does the role have a trust relationship with EC2?)")?;
        }
        Ok(())
    }
}

/// Which credentials a document held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialSource {
    /// The instance profile's role.
    Role,
    /// The instance identity role.
    InstanceIdentity,
}

/// Credentials as IMDS returned them, borrowed from the response body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FetchedCredentials<'r> {
    /// The credentials.
    pub credentials: SessionCredentials<'r>,
    /// Which role.
    pub source: CredentialSource,
    /// `LastUpdated`, when present.
    pub last_updated: Option<JsonStr<'r>>,
    /// Whether the document's `Code` was something other than `Success` (possible only with
    /// the improvements off, where botocore uses such credentials anyway).
    pub code_not_success: bool,
    static_stability: Option<StaticStability>,
}

/// The expiry of fetched credentials, after botocore's extension (spec §4.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Expiry {
    /// `Expiration` read by [`Timestamp::parse`].
    pub stated: Result<Timestamp, TimeError>,
    /// The extension, when it applies: `Expiration` parses as `%Y-%m-%dT%H:%M:%SZ` and lies
    /// within the offset of now (or before it).
    pub extension: Option<Extension>,
}

impl Expiry {
    /// The expiry to use, in Unix seconds: the extended one, else the stated one.
    pub fn effective_unix_secs(&self) -> Result<i64, TimeError> {
        match self.extension {
            Some(e) => Ok(e.expiry),
            None => self.stated.map(|t| t.unix_secs()),
        }
    }
}

impl FetchedCredentials<'_> {
    /// The expiry, extended as botocore extends it at `now_unix_secs` (wall clock) with the
    /// caller's random `jitter` (spec §4.8): only when `Expiration` parses strictly, and only
    /// with [`ImdsConfig::static_stability`] set. Call it once, when the credentials arrive.
    #[must_use]
    pub fn expiry(&self, now_unix_secs: i64, jitter: u64) -> Expiry {
        let stated = self.credentials.expiration();
        let extension = match (
            self.static_stability,
            self.credentials.expiration_botocore_strict(),
        ) {
            (Some(s), Ok(strict)) => s.extend(now_unix_secs, strict.unix_secs(), jitter),
            _ => None,
        };
        Expiry { stated, extension }
    }
}

/// How a fetch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome<'r> {
    /// Credentials ([`Operation::RoleCredentials`], [`Operation::IdentityCredentials`]).
    Credentials(FetchedCredentials<'r>),
    /// The instance profile ([`Operation::IamInfo`]).
    InstanceProfile(InstanceProfile<'r>),
    /// Nothing here: the credential chain goes on.
    Unavailable(Unavailable),
    /// IMDS answered with a `Code` other than `Success` (credchain: an error that stops the
    /// chain).
    Refused(Refusal<'r>),
    /// An error that stops the chain.
    Failed(ImdsError),
}

/// What the caller does next. Every call that moves the machine returns one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Status<'r> {
    /// A request is ready: call [`ImdsClient::poll_transmit`] and send it.
    Transmit,
    /// A request is out: give its reply to [`ImdsClient::handle_response`], or call
    /// [`ImdsClient::handle_timeout`] once `deadline` has passed.
    AwaitingResponse {
        /// When the machine stops waiting ([`ImdsClient::poll_timeout`]).
        deadline: Instant,
    },
    /// The fetch is over. The machine is idle again; the outcome is not repeated.
    Done(Outcome<'r>),
    /// No fetch in progress: call [`ImdsClient::start`].
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Stage {
    Token,
    RoleName,
    Document,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum TokenUse {
    /// IMDSv1: no header.
    None,
    /// The token in `ImdsClient::token` (possibly empty: an empty header).
    Token,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct InFlight {
    id: RequestId,
    sent_at: Instant,
    deadline: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Op {
    operation: Operation,
    stage: Stage,
    /// The `GET` stage to go to once the token stage ends.
    resume: Stage,
    token_attempts: u32,
    get_attempts: u32,
    renewed: bool,
    token: TokenUse,
    in_flight: Option<InFlight>,
}

/// The IMDS client. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct ImdsClient<'a> {
    config: ImdsConfig<'a>,
    /// The token of the current fetch, or the kept one.
    token: heapless::String<MAX_TOKEN_LEN>,
    /// Until when the kept token may be used; `None` when no token is kept.
    token_valid_until: Option<Instant>,
    role: heapless::String<MAX_ROLE_NAME_LEN>,
    has_role: bool,
    op: Option<Op>,
    next_id: u32,
    events: heapless::Deque<Event, EVENT_CAPACITY>,
    events_dropped: u32,
}

impl<'a> ImdsClient<'a> {
    /// A client with no token.
    #[must_use]
    pub fn new(config: ImdsConfig<'a>) -> ImdsClient<'a> {
        ImdsClient {
            config,
            token: heapless::String::new(),
            token_valid_until: None,
            role: heapless::String::new(),
            has_role: false,
            op: None,
            next_id: 0,
            events: heapless::Deque::new(),
            events_dropped: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &ImdsConfig<'a> {
        &self.config
    }

    /// The role name of the last fetch that got one.
    #[must_use]
    pub fn role_name(&self) -> Option<&str> {
        self.has_role.then_some(self.role.as_str())
    }

    /// Until when the kept token is valid, if one is kept.
    #[must_use]
    pub fn token_valid_until(&self) -> Option<Instant> {
        self.token_valid_until
    }

    /// Drops the kept token; the next fetch requests a new one.
    pub fn forget_token(&mut self) {
        self.token_valid_until = None;
    }

    /// How many events were dropped because [`poll`](Self::poll) was not called often enough.
    #[must_use]
    pub fn events_dropped(&self) -> u32 {
        self.events_dropped
    }

    /// Starts a fetch at `now`. An unfinished fetch is abandoned (a reply to it is ignored).
    ///
    /// The status says what to do next; it may already be [`Status::Done`] (IMDS disabled,
    /// IMDSv1 disabled with no attempts, an endpoint that cannot be requested).
    pub fn start(&mut self, now: Instant, operation: Operation) -> Status<'static> {
        self.op = None;
        if self.config.disabled {
            return Status::Done(Outcome::Unavailable(Unavailable::Disabled));
        }
        let resume = match operation {
            Operation::RoleCredentials => Stage::RoleName,
            Operation::IamInfo | Operation::IdentityCredentials => Stage::Document,
        };
        self.op = Some(Op {
            operation,
            stage: Stage::Token,
            resume,
            token_attempts: 0,
            get_attempts: 0,
            renewed: false,
            token: TokenUse::None,
            in_flight: None,
        });
        self.begin_token(now)
    }

    /// The next request to send, written into `buf` (the target, the token): call it when a
    /// status says [`Status::Transmit`]. Returns `Ok(None)` in every other state.
    ///
    /// `buf` must hold the URL, the encoded target and the token; 2 KiB is plenty for the
    /// default endpoints. When it is too small the error names a size that suffices, and the
    /// machine is unchanged: call again with a bigger buffer.
    pub fn poll_transmit<'b>(
        &mut self,
        now: Instant,
        buf: &'b mut [u8],
    ) -> Result<Option<Transmit<'b>>, BufferTooSmall>
    where
        'a: 'b,
    {
        let Some(op) = self.op else {
            return Ok(None);
        };
        if op.in_flight.is_some() {
            return Ok(None);
        }
        let (method, request) = match op.stage {
            Stage::Token => (Method::Put, RequestKind::Token),
            Stage::RoleName => (Method::Get, RequestKind::RoleName),
            Stage::Document => (Method::Get, document_request(op.operation)),
        };
        let endpoint = self.config.endpoint;
        let path = match request {
            RequestKind::Token => TOKEN_PATH,
            RequestKind::RoleName | RequestKind::RoleCredentials => ROLE_LISTING_PATH,
            RequestKind::IamInfo => IAM_INFO_PATH,
            RequestKind::IdentityCredentials => IDENTITY_CREDENTIALS_PATH,
        };
        let role = if request == RequestKind::RoleCredentials {
            self.role.as_str()
        } else {
            ""
        };
        let token_len = match (request, op.token) {
            (RequestKind::Token, _) | (_, TokenUse::None) => 0,
            (_, TokenUse::Token) => self.token.len(),
        };
        let available = buf.len();
        // The URL first, with TAB, CR and LF removed as Python removes them; then the target
        // encoded from it; then the token.
        let mut w = Writer::new(&mut *buf);
        endpoint.write_url(path, &mut w);
        url::write_without_unsafe(role, &mut w);
        let url_len = w.len();
        if url_len > available {
            // An encoded target is at most three times as long as the URL.
            let needed = url_len.saturating_mul(4).saturating_add(token_len);
            return Err(BufferTooSmall { needed, available });
        }
        let (url_part, rest) = buf.split_at_mut(url_len);
        let full_url: &'b str = match core::str::from_utf8(url_part) {
            Ok(s) => s,
            Err(_) => return Ok(None),
        };
        let split = match url::split(full_url) {
            Ok(s) => s,
            // Cannot happen: the base URL was checked when the fetch started, and the path
            // follows a `/`.
            Err(_) => return Ok(None),
        };
        let (target_part, token_part) = {
            let rest_len = rest.len();
            let mut w = Writer::new(rest);
            split.write_request_target(&mut w);
            let target_len = w.len();
            let needed_rest = target_len.saturating_add(token_len);
            if needed_rest > rest_len {
                return Err(BufferTooSmall {
                    needed: full_url.len().saturating_add(needed_rest),
                    available,
                });
            }
            rest.split_at_mut(target_len)
        };
        let target: &'b str = core::str::from_utf8(target_part).unwrap_or("/");
        let base = match url::split(endpoint.base_url()).and_then(|s| s.connect_target()) {
            Ok(t) => t,
            Err(_) => return Ok(None),
        };
        let mut headers: Headers<'b> = Headers::new();
        match request {
            RequestKind::Token => {
                let _ = headers.push(Header {
                    name: header::TOKEN_TTL,
                    value: TOKEN_TTL_VALUE,
                });
            }
            _ => {
                if op.token == TokenUse::Token {
                    let dst = token_part.get_mut(..token_len).unwrap_or(&mut []);
                    dst.copy_from_slice(self.token.as_bytes().get(..dst.len()).unwrap_or(&[]));
                    let value: &'b str = core::str::from_utf8(dst).unwrap_or("");
                    let _ = headers.push(Header {
                        name: header::TOKEN,
                        value,
                    });
                }
            }
        }
        if let Some(ua) = self.config.user_agent {
            let _ = headers.push(Header {
                name: header::USER_AGENT,
                value: ua,
            });
        }
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.wrapping_add(1);
        let timeout = self.timeout();
        let deadline = now.saturating_add(timeout.saturating_mul(2));
        if let Some(op) = self.op.as_mut() {
            op.in_flight = Some(InFlight {
                id,
                sent_at: now,
                deadline,
            });
        }
        Ok(Some(Transmit {
            id,
            method,
            scheme: base.scheme,
            host: base.host,
            port: base.port,
            authority: base.authority,
            target,
            headers,
            timeout,
            deadline,
        }))
    }

    /// Gives the machine the reply to request `id`: a response, or the reason there is none.
    ///
    /// The outcome borrows from the response body, which must outlive it. A reply to a request
    /// the machine no longer waits for is ignored, and the current status returned.
    pub fn handle_response<'r>(
        &mut self,
        now: Instant,
        id: RequestId,
        reply: Result<Response<'r>, TransportError>,
    ) -> Status<'r> {
        let Some(mut op) = self.op else {
            return Status::Idle;
        };
        match op.in_flight {
            Some(f) if f.id == id => {
                op.in_flight = None;
                self.op = Some(op);
                self.on_reply(now, f, reply)
            }
            _ => self.status(),
        }
    }

    /// Tells the machine the time is `now`. When the request's deadline has passed it is
    /// treated as a read timeout (spec §4.4: IMDSv1 at once for the token; a retry for a `GET`).
    /// Calling it early, or with nothing in flight, changes nothing.
    pub fn handle_timeout(&mut self, now: Instant) -> Status<'static> {
        let Some(mut op) = self.op else {
            return Status::Idle;
        };
        match op.in_flight {
            Some(f) if now >= f.deadline => {
                op.in_flight = None;
                self.op = Some(op);
                self.on_reply(now, f, Err(TransportError::ReadTimeout))
            }
            _ => self.status(),
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next: the deadline of the
    /// request in flight. `None` when nothing is in flight. Ask again after every call that
    /// moves the machine.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.op.and_then(|op| op.in_flight).map(|f| f.deadline)
    }

    /// The next event, oldest first. Call it until `None` after every call that moves the
    /// machine; events not read are kept up to [`EVENT_CAPACITY`].
    #[must_use]
    pub fn poll(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The current status, without moving the machine.
    pub fn status(&self) -> Status<'static> {
        match self.op {
            None => Status::Idle,
            Some(Op {
                in_flight: Some(f), ..
            }) => Status::AwaitingResponse {
                deadline: f.deadline,
            },
            Some(_) => Status::Transmit,
        }
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.config.timeout_secs).unwrap_or(0))
    }

    fn emit(&mut self, event: Event) {
        if self.events.push_back(event).is_err() {
            self.events_dropped = self.events_dropped.saturating_add(1);
        }
    }

    fn done<'r>(&mut self, outcome: Outcome<'r>) -> Status<'r> {
        self.op = None;
        Status::Done(outcome)
    }

    /// Checks what every request needs before saying [`Status::Transmit`]: a usable endpoint and
    /// a positive timeout (botocore fails on them only when it sends).
    fn ready_to_send(&mut self) -> Status<'static> {
        if self.config.timeout_secs <= 0 {
            let secs = self.config.timeout_secs;
            return self.done(Outcome::Failed(ImdsError::InvalidTimeout { secs }));
        }
        if let Err(e) = url::split(self.config.endpoint.base_url()).and_then(|s| s.connect_target())
        {
            return self.done(Outcome::Failed(ImdsError::InvalidEndpoint(e)));
        }
        Status::Transmit
    }

    fn begin_token(&mut self, now: Instant) -> Status<'static> {
        let Some(mut op) = self.op else {
            return Status::Idle;
        };
        op.stage = Stage::Token;
        op.token_attempts = 0;
        self.op = Some(op);
        if let (true, Some(until)) = (self.config.improvements.reuse_token, self.token_valid_until)
        {
            let renew_at = Instant::from_nanos(
                until
                    .as_nanos()
                    .saturating_sub(TOKEN_RENEW_EARLY_SECS.saturating_mul(1_000_000_000)),
            );
            if now < renew_at {
                self.emit(Event::TokenReused {
                    remaining_secs: until.saturating_duration_since(now).as_secs(),
                });
                return self.begin_get(TokenUse::Token);
            }
            self.token_valid_until = None;
        }
        if self.config.attempts == 0 {
            self.emit(Event::FallbackToV1 {
                cause: FallbackCause::NoAttempts,
            });
            return self.begin_get(TokenUse::None);
        }
        self.ready_to_send()
    }

    /// Moves to the `GET` stage the token stage was for.
    fn begin_get(&mut self, token: TokenUse) -> Status<'static> {
        let Some(mut op) = self.op else {
            return Status::Idle;
        };
        op.token = token;
        op.stage = op.resume;
        self.op = Some(op);
        let no_token = match token {
            TokenUse::None => true,
            TokenUse::Token => self.token.is_empty(),
        };
        if no_token && self.config.v1_disabled {
            return self.done(Outcome::Failed(ImdsError::V1Disabled));
        }
        self.next_get_attempt(op.get_attempts, None)
    }

    /// Sends attempt `used + 1` of the current `GET`, or ends the fetch when `used` attempts are
    /// all there are.
    fn next_get_attempt(&mut self, used: u32, last: Option<AttemptFailure>) -> Status<'static> {
        let Some(op) = self.op else {
            return Status::Idle;
        };
        if used >= self.config.attempts {
            let request = match op.stage {
                Stage::RoleName => RequestKind::RoleName,
                _ => document_request(op.operation),
            };
            return self.done(Outcome::Unavailable(Unavailable::RetriesExhausted {
                request,
                attempts: used,
                last,
            }));
        }
        self.ready_to_send()
    }

    fn on_reply<'r>(
        &mut self,
        now: Instant,
        flight: InFlight,
        reply: Result<Response<'r>, TransportError>,
    ) -> Status<'r> {
        let Some(op) = self.op else {
            return Status::Idle;
        };
        match op.stage {
            Stage::Token => self.on_token_reply(flight, reply),
            Stage::RoleName | Stage::Document => self.on_get_reply(now, op, reply),
        }
    }

    fn on_token_reply(
        &mut self,
        flight: InFlight,
        reply: Result<Response<'_>, TransportError>,
    ) -> Status<'static> {
        let failure = match reply {
            Ok(r) => match r.status {
                200 => return self.accept_token(flight, r),
                403..=405 => {
                    self.emit(Event::FallbackToV1 {
                        cause: FallbackCause::Status(r.status),
                    });
                    return self.begin_get(TokenUse::None);
                }
                400 => return self.done(Outcome::Unavailable(Unavailable::BadTokenRequest)),
                s => AttemptFailure::Status(s),
            },
            Err(TransportError::ReadTimeout) => {
                self.emit(Event::FallbackToV1 {
                    cause: FallbackCause::ReadTimeout,
                });
                return self.begin_get(TokenUse::None);
            }
            Err(TransportError::Other) => {
                return self.done(Outcome::Failed(ImdsError::Transport {
                    request: RequestKind::Token,
                    error: TransportError::Other,
                }));
            }
            Err(e) => AttemptFailure::Transport(e),
        };
        let Some(mut op) = self.op else {
            return Status::Idle;
        };
        op.token_attempts = op.token_attempts.saturating_add(1);
        self.op = Some(op);
        let retrying = op.token_attempts < self.config.attempts;
        self.emit(Event::AttemptFailed {
            request: RequestKind::Token,
            attempt: op.token_attempts,
            failure,
            retrying,
        });
        if retrying {
            return self.ready_to_send();
        }
        self.emit(Event::FallbackToV1 {
            cause: FallbackCause::AttemptsExhausted(failure),
        });
        self.begin_get(TokenUse::None)
    }

    fn accept_token(&mut self, flight: InFlight, r: Response<'_>) -> Status<'static> {
        let Ok(text) = core::str::from_utf8(r.body) else {
            return self.done(Outcome::Failed(ImdsError::NotUtf8 {
                request: RequestKind::Token,
            }));
        };
        if text.len() > MAX_TOKEN_LEN {
            return self.done(Outcome::Failed(ImdsError::TokenTooLong { len: text.len() }));
        }
        if !is_legal_header_value(text) {
            return self.done(Outcome::Failed(ImdsError::IllegalToken));
        }
        self.token.clear();
        // The length was checked above.
        let _ = self.token.push_str(text);
        let echoed = r.token_ttl.and_then(parse_ttl);
        let ttl_secs = echoed.map_or(TOKEN_TTL_SECS, |t| t.min(TOKEN_TTL_SECS));
        let kept = self.config.improvements.reuse_token && !text.is_empty();
        self.token_valid_until = if kept {
            Some(
                flight
                    .sent_at
                    .saturating_add(Duration::from_secs(u64::from(ttl_secs))),
            )
        } else {
            None
        };
        self.emit(Event::TokenAcquired {
            ttl_secs,
            ttl_from_server: echoed.is_some(),
            kept,
        });
        self.begin_get(TokenUse::Token)
    }

    fn on_get_reply<'r>(
        &mut self,
        now: Instant,
        op: Op,
        reply: Result<Response<'r>, TransportError>,
    ) -> Status<'r> {
        let request = match op.stage {
            Stage::RoleName => RequestKind::RoleName,
            _ => document_request(op.operation),
        };
        let failure = match reply {
            Err(TransportError::Other) => {
                return self.done(Outcome::Failed(ImdsError::Transport {
                    request,
                    error: TransportError::Other,
                }));
            }
            Err(e) => AttemptFailure::Transport(e),
            Ok(r) if r.status == 401 && self.may_renew(op) => {
                if let Some(o) = self.op.as_mut() {
                    o.renewed = true;
                    o.resume = o.stage;
                }
                self.token_valid_until = None;
                self.emit(Event::RenewingToken);
                return self.begin_token(now);
            }
            Ok(r) if r.status != 200 => AttemptFailure::Status(r.status),
            Ok(r) if r.body.is_empty() => AttemptFailure::EmptyBody,
            Ok(r) => match op.stage {
                Stage::RoleName => return self.accept_role_name(r.body),
                _ => match self.read_document(op.operation, r.body) {
                    Ok(outcome) => return self.done(outcome),
                    Err(failure) => failure,
                },
            },
        };
        let used = op.get_attempts.saturating_add(1);
        if let Some(o) = self.op.as_mut() {
            o.get_attempts = used;
        }
        self.emit(Event::AttemptFailed {
            request,
            attempt: used,
            failure,
            retrying: used < self.config.attempts,
        });
        self.next_get_attempt(used, Some(failure))
    }

    fn may_renew(&self, op: Op) -> bool {
        self.config.improvements.renew_token_on_401 && !op.renewed && op.token == TokenUse::Token
    }

    fn accept_role_name(&mut self, body: &[u8]) -> Status<'static> {
        let Ok(text) = core::str::from_utf8(body) else {
            return self.done(Outcome::Failed(ImdsError::NotUtf8 {
                request: RequestKind::RoleName,
            }));
        };
        let len = text
            .split(url::is_unsafe)
            .fold(0usize, |n, p| n.saturating_add(p.len()));
        if len > MAX_ROLE_NAME_LEN {
            return self.done(Outcome::Failed(ImdsError::RoleNameTooLong { len }));
        }
        self.role.clear();
        for part in text.split(url::is_unsafe) {
            // The total length was checked above.
            let _ = self.role.push_str(part);
        }
        self.has_role = true;
        let Some(mut op) = self.op else {
            return Status::Idle;
        };
        op.stage = Stage::Document;
        op.get_attempts = 0;
        self.op = Some(op);
        self.next_get_attempt(0, None)
    }

    /// Reads a `200` document: the outcome, or the failure that makes botocore retry.
    fn read_document<'r>(
        &self,
        operation: Operation,
        body: &'r [u8],
    ) -> Result<Outcome<'r>, AttemptFailure> {
        let request = document_request(operation);
        let imp = self.config.improvements;
        match operation {
            Operation::IamInfo => match IamInfo::parse_bytes(body) {
                Ok(IamInfo::Success(p)) => Ok(Outcome::InstanceProfile(p)),
                Ok(IamInfo::Failure { code, message, .. }) => Ok(Outcome::Refused(Refusal {
                    request,
                    code,
                    message,
                })),
                Err(e) => document_error(e),
            },
            Operation::RoleCredentials | Operation::IdentityCredentials => {
                let source = if operation == Operation::RoleCredentials {
                    CredentialSource::Role
                } else {
                    CredentialSource::InstanceIdentity
                };
                let fetched =
                    |credentials: SessionCredentials<'r>, last_updated, code_not_success| {
                        Outcome::Credentials(FetchedCredentials {
                            credentials,
                            source,
                            last_updated,
                            code_not_success,
                            static_stability: self.config.static_stability,
                        })
                    };
                match ImdsCredentials::parse_bytes(body) {
                    Ok(ImdsCredentials::Success(ok)) => {
                        if !token_key_ok(imp, ok.credentials.token_key) {
                            return Ok(Outcome::Unavailable(Unavailable::MissingKey {
                                key: "Token",
                            }));
                        }
                        Ok(fetched(ok.credentials, ok.last_updated, false))
                    }
                    Ok(ImdsCredentials::Failure {
                        code,
                        message,
                        last_updated,
                        credentials,
                    }) => {
                        if imp.reject_failure_code {
                            return Ok(Outcome::Refused(Refusal {
                                request,
                                code,
                                message,
                            }));
                        }
                        match credentials {
                            Some(c) if token_key_ok(imp, c.token_key) => {
                                Ok(fetched(c, last_updated, true))
                            }
                            _ => Ok(Outcome::Unavailable(Unavailable::ErrorDocument)),
                        }
                    }
                    Err(e) => document_error(e),
                }
            }
        }
    }
}

fn token_key_ok(imp: Improvements, key: TokenKey) -> bool {
    key == TokenKey::Token || imp.accept_session_token
}

/// Sorts a document error: invalid JSON is retried, a missing key is "nothing here", the rest
/// stops the chain.
fn document_error<'r>(e: DocumentError) -> Result<Outcome<'r>, AttemptFailure> {
    match e.kind {
        DocumentErrorKind::InvalidUtf8 { .. } => Err(AttemptFailure::InvalidJson),
        DocumentErrorKind::Json(j) => match j.kind {
            JsonErrorKind::NotAnObject(_) => Ok(Outcome::Unavailable(Unavailable::NotAnObject)),
            _ => Err(AttemptFailure::InvalidJson),
        },
        DocumentErrorKind::MissingKey { key } => {
            Ok(Outcome::Unavailable(Unavailable::MissingKey { key }))
        }
        _ => Ok(Outcome::Failed(ImdsError::Document(e))),
    }
}

const fn document_request(operation: Operation) -> RequestKind {
    match operation {
        Operation::RoleCredentials => RequestKind::RoleCredentials,
        Operation::IamInfo => RequestKind::IamInfo,
        Operation::IdentityCredentials => RequestKind::IdentityCredentials,
    }
}

/// The echoed token lifetime: ASCII digits, at most ten.
fn parse_ttl(value: &str) -> Option<u32> {
    let v = value.trim_matches([' ', '\t']);
    if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u32>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &[u8] = br#"{"AccessKeyId":"AK","SecretAccessKey":"S","Token":"T","Expiration":"2030-01-01T00:00:00Z"}"#;

    /// Sends the pending request and answers it; returns the target and the token header.
    fn exchange<'r>(
        c: &mut ImdsClient<'_>,
        now: Instant,
        reply: Result<Response<'r>, TransportError>,
    ) -> (
        heapless::String<96>,
        Option<heapless::String<16>>,
        Status<'r>,
    ) {
        let mut buf = [0u8; 512];
        let tx = c.poll_transmit(now, &mut buf).unwrap().unwrap();
        let target = heapless::String::try_from(tx.target).unwrap();
        let token = tx
            .header(header::TOKEN)
            .map(|t| heapless::String::try_from(t).unwrap());
        let id = tx.id;
        drop(tx);
        (target, token, c.handle_response(now, id, reply))
    }

    #[test]
    fn fetch_then_reuse_the_token() {
        let mut c = ImdsClient::new(ImdsConfig::default());
        let t0 = Instant::ZERO;
        assert_eq!(c.start(t0, Operation::RoleCredentials), Status::Transmit);
        let (target, _, st) = exchange(
            &mut c,
            t0,
            Ok(Response::new(200, b"TOK").with_token_ttl("600")),
        );
        assert_eq!(target, "/latest/api/token");
        assert_eq!(st, Status::Transmit);
        assert_eq!(
            c.poll(),
            Some(Event::TokenAcquired {
                ttl_secs: 600,
                ttl_from_server: true,
                kept: true
            })
        );
        let (target, token, _) = exchange(&mut c, t0, Ok(Response::new(200, b"role\n")));
        assert_eq!(target, "/latest/meta-data/iam/security-credentials/");
        assert_eq!(token.unwrap(), "TOK");
        let (target, _, st) = exchange(&mut c, t0, Ok(Response::new(200, DOC)));
        assert_eq!(target, "/latest/meta-data/iam/security-credentials/role");
        let Status::Done(Outcome::Credentials(creds)) = st else {
            panic!("{st:?}")
        };
        assert_eq!(creds.credentials.access_key_id, "AK");
        assert_eq!(c.role_name(), Some("role"));
        assert_eq!(c.status(), Status::Idle);
        // 479 s later the token (600 s, renewed 120 s early) is still good.
        let t1 = Instant::from_secs(479);
        assert_eq!(c.start(t1, Operation::RoleCredentials), Status::Transmit);
        assert_eq!(
            c.poll(),
            Some(Event::TokenReused {
                remaining_secs: 121
            })
        );
        let (target, token, _) = exchange(&mut c, t1, Ok(Response::new(200, b"role")));
        assert_eq!(target, "/latest/meta-data/iam/security-credentials/");
        assert_eq!(token.unwrap(), "TOK");
        // At 480 s it is not.
        let t2 = Instant::from_secs(480);
        let _ = c.start(t2, Operation::RoleCredentials);
        let (target, _, _) = exchange(&mut c, t2, Ok(Response::new(404, b"")));
        assert_eq!(target, "/latest/api/token");
        assert_eq!(c.token_valid_until(), None);
    }

    #[test]
    fn bad_request_and_deadline() {
        let mut c = ImdsClient::new(ImdsConfig::default());
        let t0 = Instant::ZERO;
        let _ = c.start(t0, Operation::IamInfo);
        let (_, _, st) = exchange(&mut c, t0, Ok(Response::new(400, b"")));
        assert_eq!(
            st,
            Status::Done(Outcome::Unavailable(Unavailable::BadTokenRequest))
        );
        // The deadline of a silent token request: IMDSv1 at once.
        let _ = c.start(t0, Operation::IamInfo);
        let mut buf = [0u8; 256];
        let deadline = c.poll_transmit(t0, &mut buf).unwrap().unwrap().deadline;
        assert_eq!(deadline, Instant::from_secs(2));
        assert_eq!(c.poll_timeout(), Some(deadline));
        assert_eq!(
            c.handle_timeout(Instant::from_millis(1999)),
            Status::AwaitingResponse { deadline }
        );
        assert_eq!(c.handle_timeout(deadline), Status::Transmit);
        assert_eq!(
            c.poll(),
            Some(Event::FallbackToV1 {
                cause: FallbackCause::ReadTimeout
            })
        );
        let (target, token, _) = exchange(&mut c, deadline, Ok(Response::new(200, b"{}")));
        assert_eq!(target, "/latest/meta-data/iam/info");
        assert_eq!(token, None);
    }

    #[test]
    fn echoed_ttls() {
        assert_eq!(parse_ttl("21600"), Some(21600));
        assert_eq!(parse_ttl(" 5 "), Some(5));
        assert_eq!(parse_ttl(""), None);
        assert_eq!(parse_ttl("-1"), None);
        assert_eq!(parse_ttl("99999999999"), None);
        assert_eq!(parse_ttl("1.5"), None);
    }

    #[test]
    fn refusal_display_names_the_code_and_hint() {
        let r = Refusal {
            request: RequestKind::RoleCredentials,
            code: JsonStr::new("AssumeRoleUnauthorizedAccess").unwrap(),
            message: Some(JsonStr::new("EC2 cannot assume the role r.").unwrap()),
        };
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        core::fmt::write(&mut w, format_args!("{r}")).unwrap();
        assert_eq!(
            w.finish().unwrap(),
            "IMDS answered the role credentials request with Code AssumeRoleUnauthorizedAccess: \
             EC2 cannot assume the role r. (does the role have a trust relationship with EC2?)"
        );
    }
}
