//! Executing a role plan: what the walk hands out for `assume-role`, web identity and SSO, and
//! the decisions of one STS exchange (spec §8.1, §8.2, §8.4).
//!
//! botocore's role sources are *deferred*: the chain returns an object, and the STS or SSO
//! call happens when the credentials are first used. A failure then is an error the caller
//! sees, never a fall-through (spec §1.3). credchain makes the calls while it resolves, so the
//! same failure stops the chain at the role source, with a message that names the profile and
//! the step ("assume role arn:… for profile P (hop 2 of 3): AccessDenied: …").
//!
//! ## What the walk hands out
//!
//! [`Action::Role`](super::Action::Role) carries a [`RoleWork`]: the source, the plan's base and
//! its hops (innermost first), and the base credentials when the walk found them itself
//! (static keys of a source profile, or `credential_source = Environment`). A base that needs
//! I/O (`credential_process`, the container endpoint, the IMDS) is handed out first as its own
//! action; the adapter keeps those credentials and uses them for the role work that follows.
//! The adapter then reports one outcome for the whole plan: credentials (with their expiry) or
//! a [`RoleFailure`] naming the step.
//!
//! ## One STS exchange
//!
//! [`prepare_assume_role`] writes the form body and signs it with SigV4 (service `sts`, the
//! endpoint's signing region, the previous hop's keys with their `X-Amz-Security-Token`);
//! [`prepare_web_identity`] writes the unsigned body. [`StsExchange`] then judges each answer
//! as botocore's legacy retry handler does for STS (`_retry.json`): up to 5 attempts; a retry
//! after a connection error, HTTP 429, 500, 502, 503, 504 or 509, and after a 400 whose code is
//! `Throttling`, `ThrottlingException`, `ThrottledException`, `RequestThrottledException`,
//! `ProvisionedThroughputExceededException` or (STS only) `IDPCommunicationError`; the delay is
//! `rand × 2^(attempt−1)` seconds, the random factor passed in. A success is read into
//! credentials, expiry and the account id of `AssumedRoleUser/Arn`; any other error answer ends
//! the exchange (botocore's `ClientError`).

use core::fmt;
use core::time::Duration;

use super::files::IoErrorKind;
use super::role::{MAX_HOPS, RoleBase, RoleHop};
use super::{Credentials, Source, Str};
use crate::buf::BufferTooSmall;
use crate::sigv4::{self, Scope, SignError, Signed, SigningKeys};
use crate::sts::endpoint::EndpointError;
use crate::sts::xml::XmlStr;
use crate::sts::{
    AssumeRole, AssumeRoleWithWebIdentity, METHOD, PATH, SERVICE, StsOperation, StsResponse,
    StsResponseError,
};
use crate::time::{TimeError, Timestamp};

/// The roles of a plan, innermost first, in a `Copy` array (so that an [`Action`] stays
/// `Copy`).
///
/// [`Action`]: super::Action
#[derive(Clone, Copy)]
pub struct Hops<'a> {
    items: [Option<RoleHop<'a>>; MAX_HOPS],
}

impl<'a> Hops<'a> {
    /// No roles.
    #[must_use]
    pub const fn new() -> Hops<'a> {
        Hops {
            items: [None; MAX_HOPS],
        }
    }

    /// The roles of `hops`, in the same order (at most [`MAX_HOPS`], as a plan holds).
    #[must_use]
    pub fn from_slice(hops: &[RoleHop<'a>]) -> Hops<'a> {
        let mut out = Hops::new();
        for (slot, hop) in out.items.iter_mut().zip(hops) {
            *slot = Some(*hop);
        }
        out
    }

    /// The roles, innermost first.
    pub fn iter(&self) -> impl Iterator<Item = &RoleHop<'a>> + '_ {
        self.items.iter().map_while(Option::as_ref)
    }

    /// How many roles.
    #[must_use]
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there is none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.first().is_none_or(Option::is_none)
    }

    /// The role at `index` (0: the innermost).
    #[must_use]
    pub fn get(&self, index: usize) -> Option<&RoleHop<'a>> {
        self.items.get(index).and_then(Option::as_ref)
    }
}

impl Default for Hops<'_> {
    fn default() -> Self {
        Hops::new()
    }
}

impl fmt::Debug for Hops<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The role work the walk hands out (see [`crate::chain`]).
#[derive(Debug, Clone, Copy)]
pub struct RoleWork<'a> {
    /// The source: [`Source::AssumeRole`], [`Source::AssumeRoleWithWebIdentity`] or
    /// [`Source::Sso`].
    pub source: Source,
    /// Where the first role gets its credentials (for web identity and SSO, the whole call).
    pub base: RoleBase<'a>,
    /// The base credentials when the walk found them (static keys, `Environment`); `None` when
    /// the adapter fetched them with the action before (process, container, IMDS) or when the
    /// base is itself a call (web identity, SSO).
    pub base_credentials: Option<Credentials<'a>>,
    /// The roles to assume, innermost first.
    pub hops: Hops<'a>,
}

/// Which step of a role plan failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleStep {
    /// The base: the web identity call, the SSO call, or the source credentials.
    Base,
    /// A role to assume: `index` counts from 1 (the innermost), `of` is the number of roles.
    Hop {
        /// 1 for the innermost role.
        index: u8,
        /// The number of roles.
        of: u8,
    },
}

impl RoleStep {
    /// The step of the role at `index` (0: innermost) of `of`.
    #[must_use]
    pub fn hop(index: usize, of: usize) -> RoleStep {
        RoleStep::Hop {
            index: u8::try_from(index.saturating_add(1)).unwrap_or(u8::MAX),
            of: u8::try_from(of).unwrap_or(u8::MAX),
        }
    }
}

impl fmt::Display for RoleStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleStep::Base => f.write_str("source credentials"),
            RoleStep::Hop { index, of } => write!(f, "hop {index} of {of}"),
        }
    }
}

/// Why a step of a role plan failed. The adapter adds the service's code and message, or the
/// OS error, to the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoleFailureKind {
    /// STS or SSO answered with an error document (botocore: `ClientError`).
    Service {
        /// The HTTP status.
        status: u16,
    },
    /// STS or SSO could not be reached, after the retries (`EndpointConnectionError`).
    Transport,
    /// The proxy of `HTTPS_PROXY` / `HTTP_PROXY` could not be reached or refused the tunnel,
    /// after the retries (`ProxyConnectionError`).
    Proxy,
    /// The answer could not be read as the operation's response.
    BadResponse,
    /// The answer's credentials have already expired.
    Expired,
    /// The endpoint could not be chosen (a custom endpoint without a region: `NoRegionError`).
    Endpoint(EndpointError),
    /// The request could not be built or signed.
    Request,
    /// The web identity token file could not be read (`FileNotFoundError` on first use).
    TokenFile(IoErrorKind),
    /// The SSO token cache has no token for this session (`SSOTokenLoadError`).
    SsoTokenMissing,
    /// The SSO token cache file does not parse.
    SsoTokenCorrupt,
    /// The SSO token has expired, or SSO refused it (`UnauthorizedSSOTokenError`: run
    /// `aws sso login`).
    SsoTokenExpired,
    /// The role needs an MFA code and the caller configured no prompt.
    MfaNoPrompt,
    /// The MFA prompt failed.
    MfaPromptFailed,
    /// An `sso-session` token could not be had through its refresh (spec §8.3): expired and
    /// not refreshed, an incomplete `[sso-session]`, or the refreshed token not written.
    SsoRefresh(crate::sso::SsoRefreshFailure),
    /// The request's parameters fail botocore's client-side check against the STS model
    /// (`ParamValidationError`, [`crate::sts::validate`]): nothing was sent.
    ParamValidation(crate::sts::validate::ParamErrors),
}

impl RoleFailureKind {
    /// botocore's exception class for this failure (`credchain:…` where botocore has none).
    #[must_use]
    pub fn botocore_class(&self) -> &'static str {
        match self {
            RoleFailureKind::Service { .. } => "ClientError",
            RoleFailureKind::Transport => "EndpointConnectionError",
            RoleFailureKind::Proxy => "ProxyConnectionError",
            RoleFailureKind::BadResponse => "credchain:BadStsResponse",
            RoleFailureKind::Expired => "RuntimeError",
            RoleFailureKind::Endpoint(EndpointError::NoRegion) => "NoRegionError",
            RoleFailureKind::Endpoint(EndpointError::DualStackUnsupported) => {
                "EndpointVariantError"
            }
            RoleFailureKind::Endpoint(_) => "ValueError",
            RoleFailureKind::Request => "credchain:Request",
            RoleFailureKind::TokenFile(_) => "FileNotFoundError",
            RoleFailureKind::SsoTokenMissing | RoleFailureKind::SsoTokenCorrupt => {
                "SSOTokenLoadError"
            }
            RoleFailureKind::SsoTokenExpired => "UnauthorizedSSOTokenError",
            RoleFailureKind::MfaNoPrompt => "credchain:NoMfaPrompt",
            RoleFailureKind::MfaPromptFailed => "credchain:MfaPromptFailed",
            RoleFailureKind::SsoRefresh(f) => f.botocore_class(),
            RoleFailureKind::ParamValidation(e) => e.botocore_class(),
        }
    }
}

impl fmt::Display for RoleFailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoleFailureKind::Service { status } => {
                write!(f, "the service answered with an error (HTTP {status})")
            }
            RoleFailureKind::Transport => f.write_str("the endpoint could not be reached"),
            RoleFailureKind::Proxy => f.write_str("the proxy could not be reached or refused"),
            RoleFailureKind::BadResponse => f.write_str("the answer could not be read"),
            RoleFailureKind::Expired => f.write_str("the credentials received have expired"),
            RoleFailureKind::Endpoint(e) => write!(f, "{e}"),
            RoleFailureKind::Request => f.write_str("the request could not be built"),
            RoleFailureKind::TokenFile(e) => {
                write!(f, "cannot read the web identity token file: {e}")
            }
            RoleFailureKind::SsoTokenMissing => {
                f.write_str("Error loading SSO Token: the token does not exist")
            }
            RoleFailureKind::SsoTokenCorrupt => {
                f.write_str("Error loading SSO Token: the token cache file is not valid")
            }
            RoleFailureKind::SsoTokenExpired => f.write_str(
                "The SSO session associated with this profile has expired or is otherwise \
                 invalid. To refresh this SSO session run aws sso login with the corresponding \
                 profile.",
            ),
            RoleFailureKind::MfaNoPrompt => {
                f.write_str("an MFA code is needed and no prompt is configured")
            }
            RoleFailureKind::MfaPromptFailed => f.write_str("the MFA prompt failed"),
            RoleFailureKind::SsoRefresh(e) => write!(f, "{e}"),
            RoleFailureKind::ParamValidation(e) => write!(f, "{e}"),
        }
    }
}

/// A failed role plan: the step and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleFailure {
    /// Which step.
    pub step: RoleStep,
    /// Why.
    pub kind: RoleFailureKind,
}

impl fmt::Display for RoleFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.step, self.kind)
    }
}

/// The most attempts botocore's legacy retry mode makes for one STS call (`_retry.json`:
/// `max_attempts: 5`, the first one included).
pub const STS_MAX_ATTEMPTS: u8 = 5;

/// The 400 codes botocore's legacy retry handler retries for STS (`_retry.json`: the general
/// throttling codes, and `IDPCommunicationError` from the `sts` section).
pub const RETRIED_CODES: [&str; 6] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
    "IDPCommunicationError",
];

/// The HTTP statuses retried whatever the body says (`_retry.json`).
pub const RETRIED_STATUSES: [u16; 6] = [429, 500, 502, 503, 504, 509];

/// What one attempt gave, as the adapter saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt<'r> {
    /// A complete answer.
    Response {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: &'r [u8],
    },
    /// No answer: connecting failed, the connection closed, or a timeout (botocore's
    /// `GENERAL_CONNECTION_ERROR`).
    ConnectionError,
}

/// Credentials an STS call returned, borrowing the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StsCredentialsOut<'r> {
    /// The access key id.
    pub access_key_id: XmlStr<'r>,
    /// The secret access key.
    pub secret_access_key: XmlStr<'r>,
    /// The session token.
    pub session_token: XmlStr<'r>,
    /// When they expire.
    pub expiry: Timestamp,
    /// The account id, from `AssumedRoleUser/Arn` (field 5 of an ARN of 6+ parts).
    pub account_id: Option<XmlStr<'r>>,
}

/// Why an exchange ended without credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsFailure<'r> {
    /// An error answer that is not retried (or the last attempt's).
    Service {
        /// The HTTP status.
        status: u16,
        /// `Error/Code`.
        code: Option<XmlStr<'r>>,
        /// `Error/Message`.
        message: Option<XmlStr<'r>>,
    },
    /// No answer on the last attempt.
    Transport,
    /// An answer that is neither the operation's response nor an error document.
    BadResponse(StsResponseError),
    /// A success whose `Expiration` does not parse.
    BadExpiration(TimeError),
}

impl StsFailure<'_> {
    /// The [`RoleFailureKind`] to report.
    #[must_use]
    pub fn kind(&self) -> RoleFailureKind {
        match self {
            StsFailure::Service { status, .. } => RoleFailureKind::Service { status: *status },
            StsFailure::Transport => RoleFailureKind::Transport,
            StsFailure::BadResponse(_) | StsFailure::BadExpiration(_) => {
                RoleFailureKind::BadResponse
            }
        }
    }
}

impl fmt::Display for StsFailure<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StsFailure::Service {
                status,
                code,
                message,
            } => {
                match code {
                    Some(c) => write!(f, "{c}")?,
                    None => write!(f, "HTTP {status}")?,
                }
                if let Some(m) = message {
                    write!(f, ": {m}")?;
                }
                Ok(())
            }
            StsFailure::Transport => f.write_str("the STS endpoint could not be reached"),
            StsFailure::BadResponse(e) => write!(f, "{e}"),
            StsFailure::BadExpiration(e) => write!(f, "Expiration: {e}"),
        }
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum StsVerdict<'r> {
    /// The call succeeded.
    Credentials(StsCredentialsOut<'r>),
    /// Wait this long, then send the same request again (sign it again: the date moves).
    Retry {
        /// The delay.
        after: Duration,
    },
    /// The call failed.
    Failed(StsFailure<'r>),
}

/// One STS call's retry decisions (botocore's legacy mode), in virtual time: the adapter sends,
/// reports each [`Attempt`] with a random factor, and does what the [`StsVerdict`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StsExchange {
    operation: StsOperation,
    attempts: u8,
    max_attempts: u8,
}

impl StsExchange {
    /// An exchange for `operation`, with botocore's [`STS_MAX_ATTEMPTS`].
    #[must_use]
    pub const fn new(operation: StsOperation) -> StsExchange {
        StsExchange {
            operation,
            attempts: 0,
            max_attempts: STS_MAX_ATTEMPTS,
        }
    }

    /// The same with another attempt limit (at least 1).
    #[must_use]
    pub const fn with_max_attempts(mut self, max: u8) -> StsExchange {
        self.max_attempts = if max == 0 { 1 } else { max };
        self
    }

    /// How many attempts were reported so far.
    #[must_use]
    pub const fn attempts(&self) -> u8 {
        self.attempts
    }

    /// Judges an attempt. `jitter` is a uniform random value over all of `u32` (botocore's
    /// `random.random()`, scaled): the delay before attempt `n + 1` is
    /// `jitter / 2^32 × 2^(n−1)` seconds.
    pub fn handle<'r>(&mut self, attempt: Attempt<'r>, jitter: u32) -> StsVerdict<'r> {
        self.attempts = self.attempts.saturating_add(1);
        let retry = |this: &Self| {
            (this.attempts < this.max_attempts).then(|| StsVerdict::Retry {
                after: backoff(this.attempts, jitter),
            })
        };
        match attempt {
            Attempt::ConnectionError => {
                retry(self).unwrap_or(StsVerdict::Failed(StsFailure::Transport))
            }
            Attempt::Response { status, body } => {
                let parsed = StsResponse::parse_bytes(body, self.operation);
                let retried = RETRIED_STATUSES.contains(&status)
                    || (status == 400
                        && matches!(
                            parsed,
                            Ok(StsResponse::Error(e))
                                if e.code.is_some_and(|c| RETRIED_CODES.iter().any(|r| c == *r))
                        ));
                if retried && let Some(v) = retry(self) {
                    return v;
                }
                match parsed {
                    Ok(StsResponse::AssumedRole(role)) if (200..300).contains(&status) => {
                        let c = role.credentials;
                        match c.expiration() {
                            Ok(expiry) => StsVerdict::Credentials(StsCredentialsOut {
                                access_key_id: c.access_key_id,
                                secret_access_key: c.secret_access_key,
                                session_token: c.session_token,
                                expiry,
                                account_id: role.account_id(),
                            }),
                            Err(e) => StsVerdict::Failed(StsFailure::BadExpiration(e)),
                        }
                    }
                    Ok(StsResponse::Error(e)) => StsVerdict::Failed(StsFailure::Service {
                        status,
                        code: e.code,
                        message: e.message,
                    }),
                    Ok(StsResponse::AssumedRole(_)) => StsVerdict::Failed(StsFailure::Service {
                        status,
                        code: None,
                        message: None,
                    }),
                    Err(e) if (200..300).contains(&status) => {
                        StsVerdict::Failed(StsFailure::BadResponse(e))
                    }
                    Err(_) => StsVerdict::Failed(StsFailure::Service {
                        status,
                        code: None,
                        message: None,
                    }),
                }
            }
        }
    }
}

/// botocore's `delay_exponential` with base `rand` and growth factor 2, for the attempt that
/// just failed (1-based), `jitter / 2^32` standing for `random.random()`.
#[must_use]
pub fn backoff(attempt: u8, jitter: u32) -> Duration {
    let shift = u32::from(attempt.saturating_sub(1)).min(16);
    let micros = (u64::from(jitter).saturating_mul(1_000_000) >> 32) << shift;
    Duration::from_micros(micros)
}

/// A prepared STS request: the body, and the signature headers for `AssumeRole`.
///
/// Send `POST /` to the endpoint with the headers of [`crate::sts::headers`], then
/// `X-Amz-Date`, `X-Amz-Security-Token` (when present) and `Authorization` from `signed`.
#[derive(Debug, Clone, Copy)]
pub struct PreparedSts<'b> {
    /// The form-encoded body.
    pub body: &'b str,
    /// The SigV4 headers (`None` for `AssumeRoleWithWebIdentity`, which is unsigned).
    pub signed: Option<Signed<'b>>,
}

/// Why a request could not be prepared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrepareError {
    /// The buffer is too small.
    BufferTooSmall(BufferTooSmall),
    /// Signing failed.
    Sign(SignError),
}

impl fmt::Display for PrepareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrepareError::BufferTooSmall(e) => write!(f, "{e}"),
            PrepareError::Sign(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for PrepareError {}

/// Writes an `AssumeRole` body into `buf` and signs the request for `host` (as sent in `Host`,
/// with `:port` when the URL has one) with `keys` for service `sts` in `region`, at
/// `unix_seconds` (which also names a default session).
pub fn prepare_assume_role<'b>(
    request: &AssumeRole<'_>,
    keys: &SigningKeys<'_>,
    host: &str,
    region: &str,
    unix_seconds: i64,
    buf: &'b mut [u8],
) -> Result<PreparedSts<'b>, PrepareError> {
    let len = request
        .write_body(unix_seconds, buf)
        .map_err(PrepareError::BufferTooSmall)?
        .len();
    let (body, rest) = buf.split_at_mut(len.min(buf.len()));
    let total = len.saturating_add(rest.len());
    let body: &'b str = core::str::from_utf8(body).map_err(|_| {
        PrepareError::BufferTooSmall(BufferTooSmall {
            needed: len.saturating_add(1),
            available: total,
        })
    })?;
    let headers = crate::sts::headers(host);
    let req = sigv4::Request {
        method: METHOD,
        path: PATH,
        query: "",
        headers: &headers,
        payload: body.as_bytes(),
    };
    let scope = Scope {
        region,
        service: SERVICE,
    };
    let signed = sigv4::sign(&req, keys, &scope, unix_seconds, rest).map_err(|e| match e {
        SignError::BufferTooSmall(b) => PrepareError::BufferTooSmall(BufferTooSmall {
            needed: b.needed.saturating_add(len),
            available: total,
        }),
        other => PrepareError::Sign(other),
    })?;
    Ok(PreparedSts {
        body,
        signed: Some(signed),
    })
}

/// Writes an `AssumeRoleWithWebIdentity` body into `buf` (unsigned, spec §8.2).
pub fn prepare_web_identity<'b>(
    request: &AssumeRoleWithWebIdentity<'_>,
    unix_seconds: i64,
    buf: &'b mut [u8],
) -> Result<PreparedSts<'b>, PrepareError> {
    let body = request
        .write_body(unix_seconds, buf)
        .map_err(PrepareError::BufferTooSmall)?;
    Ok(PreparedSts { body, signed: None })
}

/// The request of a role, from its hop: `role_session_name`, `external_id`,
/// `duration_seconds` as configured; `mfa` when the caller has a code.
#[must_use]
pub fn assume_role_request<'h>(
    hop: &'h RoleHop<'_>,
    mfa: Option<crate::sts::Mfa<'h>>,
) -> AssumeRole<'h> {
    AssumeRole {
        role_arn: hop.role_arn.as_str().unwrap_or(""),
        role_session_name: hop.role_session_name.as_ref().and_then(Str::as_str),
        external_id: hop.external_id.as_ref().and_then(Str::as_str),
        mfa,
        duration_seconds: hop.duration_seconds,
    }
}

#[cfg(test)]
mod tests;
