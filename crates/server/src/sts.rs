//! An STS endpoint: `AssumeRole`, `AssumeRoleWithWebIdentity` and `GetCallerIdentity`, with
//! signatures checked for real.
//!
//! botocore's role providers (spec §8.1, §8.2) call STS with the query protocol: a `POST /`
//! whose form-encoded body holds `Action`, `Version=2011-06-15` and the parameters. This
//! server answers them as STS does — the same XML documents (namespace
//! `https://sts.amazonaws.com/doc/2011-06-15/`, `ResponseMetadata/RequestId`), the same error
//! documents (`ErrorResponse/Error/{Type, Code, Message}` and `RequestId`) with the same codes
//! and statuses — so a client that works here has been through what it meets on AWS.
//!
//! ## Signatures
//!
//! `AssumeRole` and `GetCallerIdentity` must be signed with SigV4. The server keeps its own
//! copy of every key it knows — the base keys it was configured with ([`StsBuilder::user`]) and
//! every set of credentials it minted — and recomputes the signature with
//! `credchain_core::sigv4::verify`. In order:
//!
//! | check | error |
//! |---|---|
//! | an `Authorization` header | 403 `MissingAuthenticationToken` |
//! | it parses; `X-Amz-Date` present | 400 `IncompleteSignature` |
//! | scope service `sts`, region the server's | 403 `SignatureDoesNotMatch` ("Credential should be scoped to …") |
//! | `X-Amz-Date` within [`StsBuilder::max_clock_skew`] (5 min) of the server clock | 403 `SignatureDoesNotMatch` ("Signature expired: …") |
//! | the access key id is known | 403 `InvalidClientTokenId` |
//! | minted keys: `X-Amz-Security-Token` is their session token (base keys: none sent) | 403 `InvalidClientTokenId` |
//! | minted keys: not expired on the server clock | 400 `ExpiredToken` |
//! | the signature | 403 `SignatureDoesNotMatch` |
//!
//! `AssumeRoleWithWebIdentity` is not signed (botocore sends it without `Authorization`); its
//! `WebIdentityToken` must be one of the role's configured tokens, byte for byte, or the answer
//! is 400 `InvalidIdentityToken`.
//!
//! ## Roles
//!
//! A [`Role`] is an ARN (`arn:aws:iam::<12 digits>:role/<name>`) with a maximum session
//! duration (3600 s unless set), and optionally an `ExternalId` and an MFA device (serial
//! number and the one code it accepts) that `AssumeRole` must present, and the web identity
//! tokens it trusts. Parameters are validated as STS does: `RoleArn` of 20–2048 characters,
//! `RoleSessionName` of 2–64 characters of `[\w+=,.@-]`, `DurationSeconds` 900–43200 and at
//! most the role's maximum — and at most 3600 when the caller is itself an assumed role (role
//! chaining). Each failure is 400 `ValidationError`, an unknown role or a wrong `ExternalId`
//! or MFA code 403 `AccessDenied`.
//!
//! Minted credentials are `ASIA…` keys that expire `DurationSeconds` (default 3600) after the
//! call on the server's [`Clock`] — or after [`StsBuilder::session_lifetime`], for refresh
//! tests — and sign further calls: a chain of roles works hop after hop.
//!
//! Every call is also recorded as an [`StsCall`] (action, role, who signed, outcome), next to
//! the HTTP [transcript](crate::transcript); neither ever holds a secret.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use credchain_core::sigv4::{self, VerifyError};
use credchain_core::time::Timestamp;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, StatusCode};

use crate::credentials::Credentials;
use crate::endpoint::{Endpoint, EndpointControls, EndpointOptions};
use crate::fault::{FaultRule, Throttle};
use crate::serve::{App, Reply, RequestView, Serving};
use crate::tls::TlsIdentity;
use crate::transcript::{AuthCheck, Exchange};
use crate::{Clock, Error, random};

/// The XML namespace of every STS document.
pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The only API version STS speaks.
pub const VERSION: &str = "2011-06-15";

/// A role the server lets callers assume.
#[derive(Clone, PartialEq, Eq)]
pub struct Role {
    arn: String,
    max_session_duration: u32,
    external_id: Option<String>,
    mfa: Option<(String, String)>,
    web_identity_tokens: Vec<String>,
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Role")
            .field("arn", &self.arn)
            .field("max_session_duration", &self.max_session_duration)
            .field("external_id", &self.external_id.as_ref().map(|_| "<set>"))
            .field("mfa_serial", &self.mfa.as_ref().map(|(s, _)| s))
            .field("web_identity_tokens", &self.web_identity_tokens.len())
            .finish()
    }
}

impl Role {
    /// A role with this ARN (checked at start: `arn:<partition>:iam::<12 digits>:role/<name>`),
    /// a maximum session of one hour, no external id, no MFA, no web identity.
    pub fn new(arn: impl Into<String>) -> Role {
        Role {
            arn: arn.into(),
            max_session_duration: 3600,
            external_id: None,
            mfa: None,
            web_identity_tokens: Vec::new(),
        }
    }

    /// The longest session, in seconds (IAM allows 3600–43200).
    #[must_use]
    pub fn max_session_duration(mut self, seconds: u32) -> Role {
        self.max_session_duration = seconds;
        self
    }

    /// `AssumeRole` must send this `ExternalId`.
    #[must_use]
    pub fn external_id(mut self, id: impl Into<String>) -> Role {
        self.external_id = Some(id.into());
        self
    }

    /// `AssumeRole` must send `SerialNumber` = `serial` and `TokenCode` = `code`.
    #[must_use]
    pub fn mfa(mut self, serial: impl Into<String>, code: impl Into<String>) -> Role {
        self.mfa = Some((serial.into(), code.into()));
        self
    }

    /// `AssumeRoleWithWebIdentity` for this role accepts this token (exactly these bytes).
    #[must_use]
    pub fn web_identity_token(mut self, token: impl Into<String>) -> Role {
        self.web_identity_tokens.push(token.into());
        self
    }

    /// The ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    fn account(&self) -> &str {
        self.arn.split(':').nth(4).unwrap_or("")
    }

    fn name(&self) -> &str {
        self.arn
            .split_once(":role/")
            .map_or("", |(_, path)| path.rsplit('/').next().unwrap_or(path))
    }

    fn validate(&self) -> Result<(), Error> {
        if !valid_role_arn(&self.arn) {
            return Err(Error::config(
                "role ARN",
                format!(
                    "{:?} is not arn:<partition>:iam::<12 digits>:role/<name>",
                    self.arn
                ),
            ));
        }
        if !(3600..=43200).contains(&self.max_session_duration) {
            return Err(Error::config(
                "role max session duration",
                "must be 3600 to 43200 seconds",
            ));
        }
        Ok(())
    }
}

fn valid_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if !partition.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty() && !n.ends_with('/')))
}

/// One STS call as the server saw it. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StsCall {
    /// `AssumeRole`, `AssumeRoleWithWebIdentity`, `GetCallerIdentity`, or what was sent.
    pub action: String,
    /// `RoleArn`, when sent.
    pub role_arn: Option<String>,
    /// `RoleSessionName`, when sent.
    pub role_session_name: Option<String>,
    /// `DurationSeconds`, when sent.
    pub duration_seconds: Option<String>,
    /// Whether `ExternalId` was sent (its value is not kept).
    pub external_id_sent: bool,
    /// `SerialNumber`, when sent.
    pub serial_number: Option<String>,
    /// The access key id in the `Authorization` header, when signed.
    pub signed_by: Option<String>,
    /// Whether the request carried `X-Amz-Security-Token`.
    pub session_token_sent: bool,
    /// The status answered.
    pub status: u16,
    /// The error code answered, or `None` for success.
    pub error: Option<String>,
    /// The access key id minted, for a successful assume call.
    pub minted: Option<String>,
}

/// Entry point: `StsServer::builder()…start().await`.
#[derive(Debug, Clone, Copy)]
pub struct StsServer;

impl StsServer {
    /// A builder with the defaults: `127.0.0.1:0`, plain HTTP, system clock, region
    /// `us-east-1`, no users and no roles, a clock skew allowance of 5 minutes.
    pub fn builder() -> StsBuilder {
        StsBuilder {
            options: EndpointOptions::default(),
            region: "us-east-1".to_owned(),
            users: Vec::new(),
            roles: Vec::new(),
            session_lifetime: None,
            max_clock_skew: Duration::from_secs(300),
        }
    }
}

#[derive(Clone)]
struct User {
    access_key_id: String,
    secret: String,
    arn: String,
}

/// Configures and starts an STS endpoint.
pub struct StsBuilder {
    options: EndpointOptions,
    region: String,
    users: Vec<User>,
    roles: Vec<Role>,
    session_lifetime: Option<Duration>,
    max_clock_skew: Duration,
}

impl fmt::Debug for StsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let users: Vec<&str> = self
            .users
            .iter()
            .map(|u| u.access_key_id.as_str())
            .collect();
        f.debug_struct("StsBuilder")
            .field("options", &self.options)
            .field("region", &self.region)
            .field("users", &users)
            .field("roles", &self.roles)
            .field("session_lifetime", &self.session_lifetime)
            .field("max_clock_skew", &self.max_clock_skew)
            .finish()
    }
}

impl StsBuilder {
    /// The address to listen on (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.options.common.bind = addr;
        self
    }

    /// The clock for expiry, the clock-skew check and transcript times.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.options.common.clock = clock;
        self
    }

    /// The region requests must be signed for (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// A long-term key (an IAM user in account `123456789012`, named `credchain`) that may
    /// sign calls.
    pub fn user(self, access_key_id: impl Into<String>, secret: impl Into<String>) -> Self {
        self.user_with_arn(
            access_key_id,
            secret,
            "arn:aws:iam::123456789012:user/credchain",
        )
    }

    /// A long-term key with the identity `GetCallerIdentity` reports for it.
    pub fn user_with_arn(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
        arn: impl Into<String>,
    ) -> Self {
        self.users.push(User {
            access_key_id: access_key_id.into(),
            secret: secret.into(),
            arn: arn.into(),
        });
        self
    }

    /// A role that may be assumed.
    pub fn role(mut self, role: Role) -> Self {
        self.roles.push(role);
        self
    }

    /// Minted credentials expire this long after the call, whatever `DurationSeconds` asked
    /// (for refresh tests).
    pub fn session_lifetime(mut self, life: Duration) -> Self {
        self.session_lifetime = Some(life);
        self
    }

    /// How far `X-Amz-Date` may be from the server's clock (default 5 minutes).
    pub fn max_clock_skew(mut self, skew: Duration) -> Self {
        self.max_clock_skew = skew;
        self
    }

    /// Serve HTTPS with a CA and certificate made at start ([`StsHandle::ca_pem`]).
    pub fn https(mut self) -> Self {
        self.options.https = true;
        self
    }

    /// Serve HTTPS with this identity.
    pub fn tls(mut self, identity: TlsIdentity) -> Self {
        self.options.tls = Some(identity);
        self.options.https = true;
        self
    }

    /// Adds a fault rule in force from the start.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.options.common.faults.push(rule);
        self
    }

    /// A request-rate throttle in force from the start.
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.options.common.throttle = Some(throttle);
        self
    }

    /// How many requests the transcript keeps (default 100 000).
    pub fn transcript_capacity(mut self, entries: usize) -> Self {
        self.options.common.transcript_capacity = entries;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<StsHandle, Error> {
        for role in &self.roles {
            role.validate()?;
        }
        if self.region.is_empty() {
            return Err(Error::config("region", "must not be empty"));
        }
        let mut roles = HashMap::new();
        for role in self.roles {
            let id = format!("AROA{}", random::string_from(ID_ALPHABET, 17)?);
            roles.insert(role.arn.clone(), (role, id));
        }
        let app = Arc::new(StsApp {
            region: self.region,
            users: self.users,
            roles,
            session_lifetime: self.session_lifetime,
            max_clock_skew: self.max_clock_skew,
            state: Mutex::new(State::default()),
        });
        let running = Endpoint::start(self.options, "sts", app.clone()).await?;
        Ok(StsHandle { running, app })
    }
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A running STS endpoint. Dropping it stops the server; [`stop`](Self::stop) waits.
#[derive(Debug)]
pub struct StsHandle {
    running: Endpoint,
    app: Arc<StsApp>,
}

impl StsHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// The endpoint URL (`https://127.0.0.1:<port>` or `http://…`): the value for
    /// `AWS_ENDPOINT_URL_STS` or botocore's `endpoint_url`.
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// The region requests must be signed for.
    pub fn region(&self) -> &str {
        &self.app.region
    }

    /// The CA certificate (PEM) that signed the server's certificate, when serving HTTPS:
    /// write it to a file and point `AWS_CA_BUNDLE` at it.
    pub fn ca_pem(&self) -> Option<&str> {
        self.running.ca_pem()
    }

    /// Clock, faults, throttle and transcript.
    pub fn controls(&self) -> &EndpointControls {
        self.running.controls()
    }

    /// Every HTTP request recorded so far.
    pub fn transcript(&self) -> Vec<Exchange> {
        self.running.controls().transcript()
    }

    /// Every STS call so far, oldest first.
    pub fn calls(&self) -> Vec<StsCall> {
        self.app.lock().calls.clone()
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        self.app.lock().calls.clear();
    }

    /// The credentials minted so far and still known (expired ones included).
    pub fn minted(&self) -> Vec<Credentials> {
        self.app
            .lock()
            .sessions
            .values()
            .map(|s| s.credentials.clone())
            .collect()
    }

    /// Makes every minted credential unknown: calls signed with them get
    /// `InvalidClientTokenId`.
    pub fn revoke_sessions(&self) {
        self.app.lock().sessions.clear();
    }

    /// The server's time now.
    pub fn now(&self) -> Timestamp {
        self.running.now()
    }

    /// Stops the server and waits until the listener is closed.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}

#[derive(Debug, Clone)]
struct Session {
    credentials: Credentials,
    /// `arn:aws:sts::<account>:assumed-role/<role>/<session>`.
    arn: String,
    /// `AROA…:<session>`.
    user_id: String,
    account: String,
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<String, Session>,
    calls: Vec<StsCall>,
}

struct StsApp {
    region: String,
    users: Vec<User>,
    roles: HashMap<String, (Role, String)>,
    session_lifetime: Option<Duration>,
    max_clock_skew: Duration,
    state: Mutex<State>,
}

impl fmt::Debug for StsApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsApp")
            .field("region", &self.region)
            .field("users", &self.users.len())
            .field("roles", &self.roles.len())
            .finish_non_exhaustive()
    }
}

/// An STS error: status, code, message.
#[derive(Debug)]
struct StsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl StsError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> StsError {
        StsError {
            status,
            code,
            message: message.into(),
        }
    }

    fn validation(message: impl Into<String>) -> StsError {
        StsError::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }

    fn invalid_token() -> StsError {
        StsError::new(
            StatusCode::FORBIDDEN,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        )
    }

    fn signature_mismatch() -> StsError {
        StsError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        )
    }
}

/// Who signed a request.
#[derive(Debug, Clone)]
struct Caller {
    arn: String,
    user_id: String,
    account: String,
    /// An assumed role (for the role-chaining limit).
    chained: bool,
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i.saturating_add(1)..i.saturating_add(3))
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i = i.saturating_add(2);
                } else {
                    out.push(b'%');
                }
            }
            _ => out.push(b),
        }
        i = i.saturating_add(1);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The parameters of a query-protocol request: the query, then the form body; the first
/// occurrence of a name wins.
fn parameters(query: &str, body: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    let body = std::str::from_utf8(body).unwrap_or("");
    for text in [query, body] {
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            map.entry(form_decode(k)).or_insert_with(|| form_decode(v));
        }
    }
    map
}

pub(crate) fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A request id shaped like AWS's (a UUID).
pub(crate) fn request_id() -> String {
    let mut b = [0u8; 16];
    if random::fill(&mut b).is_err() {
        return "00000000-0000-4000-8000-000000000000".to_owned();
    }
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hex.get(0..8).unwrap_or(""),
        hex.get(8..12).unwrap_or(""),
        hex.get(12..16).unwrap_or(""),
        hex.get(16..20).unwrap_or(""),
        hex.get(20..32).unwrap_or("")
    )
}

fn timestamp_text(t: Timestamp) -> String {
    let mut buf = [0u8; credchain_core::time::RFC3339_LEN];
    t.format_rfc3339(&mut buf)
        .map_or_else(|_| String::new(), str::to_owned)
}

fn amz_date_text(t: Timestamp) -> String {
    let d = t.to_datetime();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        d.year, d.month, d.day, d.hour, d.minute, d.second
    )
}

fn xml_reply(status: StatusCode, body: String, id: &str, auth: AuthCheck) -> Reply {
    let mut headers = vec![(CONTENT_TYPE, HeaderValue::from_static("text/xml"))];
    if let Ok(v) = HeaderValue::from_str(id) {
        headers.push((HeaderName::from_static("x-amzn-requestid"), v));
    }
    Reply {
        status,
        headers,
        body: Bytes::from(body),
        set_ttl: None,
        auth,
    }
}

fn error_reply(e: &StsError, auth: AuthCheck) -> Reply {
    let id = request_id();
    let kind = if e.status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let body = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\">\n  <Error>\n    <Type>{kind}</Type>\n    \
         <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{id}</RequestId>\n\
         </ErrorResponse>\n",
        e.code,
        xml_escape(&e.message)
    );
    xml_reply(e.status, body, &id, auth)
}

fn success_reply(action: &str, result: &str) -> Reply {
    let id = request_id();
    let body = format!(
        "<{action}Response xmlns=\"{NAMESPACE}\">\n  <{action}Result>\n{result}  </{action}Result>\n  \
         <ResponseMetadata>\n    <RequestId>{id}</RequestId>\n  </ResponseMetadata>\n</{action}Response>\n"
    );
    xml_reply(StatusCode::OK, body, &id, AuthCheck::Valid)
}

fn credentials_xml(c: &Credentials) -> String {
    format!(
        "    <Credentials>\n      <AccessKeyId>{}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      \
         <SessionToken>{}</SessionToken>\n      <Expiration>{}</Expiration>\n    </Credentials>\n",
        xml_escape(&c.access_key_id),
        xml_escape(&c.secret_access_key),
        xml_escape(&c.session_token),
        timestamp_text(c.expiration)
    )
}

fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl StsApp {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks the request's SigV4 signature (see the module docs for the order of checks).
    fn authenticate(&self, req: &RequestView<'_>, now: Timestamp) -> Result<Caller, StsError> {
        let Some(value) = header_str(req.headers, AUTHORIZATION.as_str()) else {
            return Err(StsError::new(
                StatusCode::FORBIDDEN,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        };
        let auth = sigv4::parse_authorization(value).map_err(|e| {
            StsError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteSignature",
                e.to_string(),
            )
        })?;
        if auth.service != "sts" {
            return Err(StsError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                "Credential should be scoped to correct service: 'sts'. ",
            ));
        }
        if auth.region != self.region {
            return Err(StsError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                format!(
                    "Credential should be scoped to a valid region, not '{}'. ",
                    auth.region
                ),
            ));
        }
        let Some(date) = header_str(req.headers, "x-amz-date") else {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteSignature",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            ));
        };
        let signed_at = sigv4::parse_amz_date(date).map_err(|e| {
            StsError::new(
                StatusCode::BAD_REQUEST,
                "IncompleteSignature",
                e.to_string(),
            )
        })?;
        let skew = i64::try_from(self.max_clock_skew.as_secs()).unwrap_or(i64::MAX);
        let minutes = skew / 60;
        if signed_at.saturating_add_secs(skew) < now {
            return Err(StsError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                format!(
                    "Signature expired: {date} is now earlier than {} ({} - {minutes} min.)",
                    amz_date_text(now.saturating_sub_secs(skew)),
                    amz_date_text(now)
                ),
            ));
        }
        if signed_at.saturating_sub_secs(skew) > now {
            return Err(StsError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                format!(
                    "Signature not yet current: {date} is still later than {} ({} + {minutes} min.)",
                    amz_date_text(now.saturating_add_secs(skew)),
                    amz_date_text(now)
                ),
            ));
        }
        let token = header_str(req.headers, sigv4::SECURITY_TOKEN);
        let (secret, caller) = self.key_of(auth.access_key_id, token, now)?;

        let headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
            .collect();
        let request = sigv4::Request {
            method: req.method.as_str(),
            path: req.path,
            query: req.query,
            headers: &headers,
            payload: req.body,
        };
        match sigv4::verify(&request, &auth, &secret) {
            Ok(()) => Ok(caller),
            Err(VerifyError::SignatureMismatch) => Err(StsError::signature_mismatch()),
            Err(e @ (VerifyError::MissingAmzDate | VerifyError::Malformed { .. })) => {
                Err(StsError::new(
                    StatusCode::BAD_REQUEST,
                    "IncompleteSignature",
                    e.to_string(),
                ))
            }
            Err(e) => Err(StsError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                e.to_string(),
            )),
        }
    }

    /// The secret of `access_key_id`, and who it is.
    fn key_of(
        &self,
        access_key_id: &str,
        token: Option<&str>,
        now: Timestamp,
    ) -> Result<(String, Caller), StsError> {
        if let Some(user) = self.users.iter().find(|u| u.access_key_id == access_key_id) {
            if token.is_some() {
                return Err(StsError::invalid_token());
            }
            let account = user.arn.split(':').nth(4).unwrap_or("").to_owned();
            let caller = Caller {
                arn: user.arn.clone(),
                user_id: format!("AIDA{}", fold_id(&user.access_key_id)),
                account,
                chained: false,
            };
            return Ok((user.secret.clone(), caller));
        }
        let state = self.lock();
        let session = state
            .sessions
            .get(access_key_id)
            .ok_or_else(StsError::invalid_token)?;
        let token_ok = token.is_some_and(|t| {
            same_secret(t.as_bytes(), session.credentials.session_token.as_bytes())
        });
        if !token_ok {
            return Err(StsError::invalid_token());
        }
        if session.credentials.expiration <= now {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "ExpiredToken",
                "The security token included in the request is expired",
            ));
        }
        let caller = Caller {
            arn: session.arn.clone(),
            user_id: session.user_id.clone(),
            account: session.account.clone(),
            chained: true,
        };
        Ok((session.credentials.secret_access_key.clone(), caller))
    }

    fn mint(
        &self,
        role: &Role,
        role_id: &str,
        session_name: &str,
        duration: u32,
        now: Timestamp,
    ) -> Result<Session, StsError> {
        let life = self.session_lifetime.map_or(i64::from(duration), |d| {
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
        });
        let internal = |_| {
            StsError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalFailure",
                "The request processing has failed because of an unknown error.",
            )
        };
        let mut credentials =
            Credentials::generate(now, now.saturating_add_secs(life)).map_err(internal)?;
        credentials.account_id = Some(role.account().to_owned());
        let partition = role.arn.split(':').nth(1).unwrap_or("aws");
        let session = Session {
            arn: format!(
                "arn:{partition}:sts::{}:assumed-role/{}/{session_name}",
                role.account(),
                role.name()
            ),
            user_id: format!("{role_id}:{session_name}"),
            account: role.account().to_owned(),
            credentials,
        };
        self.lock()
            .sessions
            .insert(session.credentials.access_key_id.clone(), session.clone());
        Ok(session)
    }

    fn assume_role(
        &self,
        p: &HashMap<String, String>,
        caller: &Caller,
        now: Timestamp,
        call: &mut StsCall,
    ) -> Result<Reply, StsError> {
        let (arn, session_name) = role_and_session(p)?;
        let duration = duration_of(p)?;
        if let Some(id) = p.get("ExternalId") {
            check_length("externalId", id, 2, 1224)?;
        }
        let serial = p.get("SerialNumber");
        let code = p.get("TokenCode");
        if let Some(code) = code
            && !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(StsError::validation(format!(
                "1 validation error detected: Value '{code}' at 'tokenCode' failed to satisfy \
                 constraint: Member must satisfy regular expression pattern: [\\d]*"
            )));
        }
        let denied = || {
            StsError::new(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: sts:AssumeRole on resource: {arn}",
                    caller.arn
                ),
            )
        };
        let (role, role_id) = self.roles.get(arn).ok_or_else(denied)?;
        if let Some(expected) = &role.external_id
            && !p
                .get("ExternalId")
                .is_some_and(|given| same_secret(given.as_bytes(), expected.as_bytes()))
        {
            return Err(denied());
        }
        if let Some((expected_serial, expected_code)) = &role.mfa {
            match (serial, code) {
                (Some(s), Some(c)) if s == expected_serial => {
                    if !same_secret(c.as_bytes(), expected_code.as_bytes()) {
                        return Err(StsError::new(
                            StatusCode::FORBIDDEN,
                            "AccessDenied",
                            "MultiFactorAuthentication failed with invalid MFA one time pass code. ",
                        ));
                    }
                }
                _ => return Err(denied()),
            }
        }
        let duration = duration.unwrap_or(3600);
        if caller.chained && duration > 3600 {
            return Err(StsError::validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles \
                 assumed by role chaining.",
            ));
        }
        if duration > role.max_session_duration {
            return Err(StsError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        let session = self.mint(role, role_id, session_name, duration, now)?;
        call.minted = Some(session.credentials.access_key_id.clone());
        let result = format!(
            "    <AssumedRoleUser>\n      <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    \
             </AssumedRoleUser>\n{}",
            xml_escape(&session.user_id),
            xml_escape(&session.arn),
            credentials_xml(&session.credentials)
        );
        Ok(success_reply("AssumeRole", &result))
    }

    fn assume_role_with_web_identity(
        &self,
        p: &HashMap<String, String>,
        now: Timestamp,
        call: &mut StsCall,
    ) -> Result<Reply, StsError> {
        let (arn, session_name) = role_and_session(p)?;
        let token = p.get("WebIdentityToken").ok_or_else(|| {
            StsError::validation(
                "1 validation error detected: Value null at 'webIdentityToken' failed to \
                 satisfy constraint: Member must not be null",
            )
        })?;
        check_length("webIdentityToken", token, 4, 20000)?;
        let duration = duration_of(p)?.unwrap_or(3600);
        let (role, role_id) = self.roles.get(arn).ok_or_else(|| {
            StsError::new(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            )
        })?;
        let trusted = role
            .web_identity_tokens
            .iter()
            .any(|t| same_secret(t.as_bytes(), token.as_bytes()));
        if !trusted {
            return Err(StsError::new(
                StatusCode::BAD_REQUEST,
                "InvalidIdentityToken",
                "The web identity token is not valid for this role: it is not one of the \
                 tokens the role trusts.",
            ));
        }
        if duration > role.max_session_duration {
            return Err(StsError::validation(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        let session = self.mint(role, role_id, session_name, duration, now)?;
        call.minted = Some(session.credentials.access_key_id.clone());
        let result = format!(
            "    <SubjectFromWebIdentityToken>credchain-subject</SubjectFromWebIdentityToken>\n    \
             <Audience>sts.amazonaws.com</Audience>\n    <AssumedRoleUser>\n      \
             <AssumedRoleId>{}</AssumedRoleId>\n      <Arn>{}</Arn>\n    </AssumedRoleUser>\n{}    \
             <Provider>credchain-server</Provider>\n",
            xml_escape(&session.user_id),
            xml_escape(&session.arn),
            credentials_xml(&session.credentials)
        );
        Ok(success_reply("AssumeRoleWithWebIdentity", &result))
    }

    fn dispatch(&self, req: &RequestView<'_>, now: Timestamp, call: &mut StsCall) -> Reply {
        let p = parameters(req.query, req.body);
        call.action = p.get("Action").cloned().unwrap_or_default();
        call.role_arn = p.get("RoleArn").cloned();
        call.role_session_name = p.get("RoleSessionName").cloned();
        call.duration_seconds = p.get("DurationSeconds").cloned();
        call.external_id_sent = p.contains_key("ExternalId");
        call.serial_number = p.get("SerialNumber").cloned();
        call.session_token_sent = req.headers.contains_key(sigv4::SECURITY_TOKEN);
        call.signed_by = header_str(req.headers, AUTHORIZATION.as_str())
            .and_then(|v| sigv4::parse_authorization(v).ok())
            .map(|a| a.access_key_id.to_owned());

        let outcome = (|| -> Result<Reply, StsError> {
            if *req.method != Method::POST && *req.method != Method::GET {
                return Err(StsError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "InvalidAction",
                    "Only POST and GET are supported",
                ));
            }
            let action = p.get("Action").map(String::as_str);
            let Some(action) = action else {
                return Err(StsError::new(
                    StatusCode::BAD_REQUEST,
                    "MissingAction",
                    "Missing Action",
                ));
            };
            let known = matches!(
                action,
                "AssumeRole" | "AssumeRoleWithWebIdentity" | "GetCallerIdentity"
            );
            if !known || p.get("Version").map(String::as_str) != Some(VERSION) {
                return Err(StsError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidAction",
                    format!(
                        "Could not find operation {action} for version {}",
                        p.get("Version")
                            .map_or("NO_VERSION_SPECIFIED", String::as_str)
                    ),
                ));
            }
            match action {
                "AssumeRoleWithWebIdentity" => self.assume_role_with_web_identity(&p, now, call),
                "AssumeRole" => {
                    let caller = self.authenticate(req, now)?;
                    self.assume_role(&p, &caller, now, call)
                }
                _ => {
                    let caller = self.authenticate(req, now)?;
                    let result = format!(
                        "    <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{}</Account>\n",
                        xml_escape(&caller.arn),
                        xml_escape(&caller.user_id),
                        xml_escape(&caller.account)
                    );
                    Ok(success_reply("GetCallerIdentity", &result))
                }
            }
        })();
        match outcome {
            Ok(reply) => {
                call.status = reply.status.as_u16();
                reply
            }
            Err(e) => {
                call.status = e.status.as_u16();
                call.error = Some(e.code.to_owned());
                let auth = match e.code {
                    "MissingAuthenticationToken" => AuthCheck::Absent,
                    "ExpiredToken" => AuthCheck::Expired,
                    "InvalidClientTokenId" | "SignatureDoesNotMatch" | "IncompleteSignature" => {
                        AuthCheck::Invalid
                    }
                    _ if call.action == "AssumeRoleWithWebIdentity" => AuthCheck::NotChecked,
                    _ if call.signed_by.is_some() => AuthCheck::Valid,
                    _ => AuthCheck::NotChecked,
                };
                error_reply(&e, auth)
            }
        }
    }
}

/// A short, stable id part derived from a key id (for `GetCallerIdentity`'s `UserId`).
fn fold_id(key: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (0u32..17)
        .map(|i| {
            let shift = i.checked_rem(12).unwrap_or(0).saturating_mul(5);
            let idx = usize::try_from(h.wrapping_shr(shift) & 31).unwrap_or(0);
            char::from(ID_ALPHABET.get(idx).copied().unwrap_or(b'A'))
        })
        .collect()
}

fn check_length(field: &str, value: &str, min: usize, max: usize) -> Result<(), StsError> {
    let n = value.chars().count();
    if n < min {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{}' at '{field}' failed to satisfy constraint: \
             Member must have length greater than or equal to {min}",
            if field == "webIdentityToken" {
                "***"
            } else {
                value
            }
        )));
    }
    if n > max {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: \
             Member must have length less than or equal to {max}"
        )));
    }
    Ok(())
}

fn role_and_session(p: &HashMap<String, String>) -> Result<(&str, &str), StsError> {
    let null = |field: &str| {
        StsError::validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: \
             Member must not be null"
        ))
    };
    let arn = p.get("RoleArn").ok_or_else(|| null("roleArn"))?;
    check_length("roleArn", arn, 20, 2048)?;
    if !valid_role_arn(arn) {
        return Err(StsError::validation(format!("{arn} is invalid")));
    }
    let name = p
        .get("RoleSessionName")
        .ok_or_else(|| null("roleSessionName"))?;
    check_length("roleSessionName", name, 2, 64)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    if !name.chars().all(allowed) {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{name}' at 'roleSessionName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    Ok((arn, name))
}

fn duration_of(p: &HashMap<String, String>) -> Result<Option<u32>, StsError> {
    let Some(text) = p.get("DurationSeconds") else {
        return Ok(None);
    };
    let value: i64 = text.parse().map_err(|_| {
        StsError::validation(format!(
            "Value '{text}' for parameter DurationSeconds is invalid. Must be an integer."
        ))
    })?;
    if value < 900 {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy \
             constraint: Member must have value greater than or equal to 900"
        )));
    }
    if value > 43200 {
        return Err(StsError::validation(format!(
            "1 validation error detected: Value '{value}' at 'durationSeconds' failed to satisfy \
             constraint: Member must have value less than or equal to 43200"
        )));
    }
    Ok(u32::try_from(value).ok())
}

impl App for StsApp {
    const SERVING: Serving = Serving::API;

    fn respond(&self, req: &RequestView<'_>, now: Timestamp) -> Reply {
        let mut call = StsCall {
            action: String::new(),
            role_arn: None,
            role_session_name: None,
            duration_seconds: None,
            external_id_sent: false,
            serial_number: None,
            signed_by: None,
            session_token_sent: false,
            status: 0,
            error: None,
            minted: None,
        };
        let reply = self.dispatch(req, now, &mut call);
        tracing::debug!(
            action = %call.action,
            status = call.status,
            error = ?call.error,
            "sts call"
        );
        self.lock().calls.push(call);
        reply
    }

    fn status_reply(&self, status: StatusCode, _path: &str) -> Reply {
        let (code, message) = match status.as_u16() {
            400 | 429 => ("Throttling", "Rate exceeded"),
            503 => ("ServiceUnavailable", "Service is unavailable"),
            s if s >= 500 => (
                "InternalFailure",
                "The request processing has failed because of an unknown error.",
            ),
            _ => ("InjectedFault", "injected fault"),
        };
        error_reply(&StsError::new(status, code, message), AuthCheck::NotChecked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%2Fc%3D%26"), "a b/c=&");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
        let p = parameters("Action=X", b"Action=Y&RoleArn=arn%3Aaws&Empty=&Flag");
        assert_eq!(p["Action"], "X");
        assert_eq!(p["RoleArn"], "arn:aws");
        assert_eq!(p["Empty"], "");
        assert_eq!(p["Flag"], "");
    }

    #[test]
    fn role_arns() {
        assert!(valid_role_arn("arn:aws:iam::123456789012:role/a"));
        assert!(valid_role_arn(
            "arn:aws-cn:iam::123456789012:role/path/to/a"
        ));
        for bad in [
            "arn:aws:iam::12345678901:role/a",
            "arn:aws:iam::123456789012:user/a",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/a",
            "nope",
        ] {
            assert!(!valid_role_arn(bad), "{bad}");
        }
        let r = Role::new("arn:aws:iam::123456789012:role/path/Admin");
        assert_eq!(r.name(), "Admin");
        assert_eq!(r.account(), "123456789012");
    }

    #[test]
    fn xml_escaping_and_ids() {
        assert_eq!(xml_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_eq!(fold_id("AKID").len(), 17);
        assert_eq!(fold_id("AKID"), fold_id("AKID"));
    }

    #[test]
    fn durations() {
        let p = |v: &str| HashMap::from([("DurationSeconds".to_owned(), v.to_owned())]);
        assert_eq!(duration_of(&HashMap::new()).unwrap(), None);
        assert_eq!(duration_of(&p("900")).unwrap(), Some(900));
        assert_eq!(duration_of(&p("43200")).unwrap(), Some(43200));
        for bad in ["899", "43201", "x", "-1"] {
            assert_eq!(duration_of(&p(bad)).unwrap_err().code, "ValidationError");
        }
    }
}
