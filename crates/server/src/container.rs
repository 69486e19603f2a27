//! A container-credentials endpoint, as ECS, EKS Pod Identity and `aws-vault --ecs-server`
//! provide.
//!
//! A client reaches it through `AWS_CONTAINER_CREDENTIALS_FULL_URI` (here
//! `http://127.0.0.1:<port><path>`, a loopback host botocore accepts, spec §6) and sends the
//! token of `AWS_CONTAINER_AUTHORIZATION_TOKEN` verbatim in `Authorization`. The server
//! answers, in order:
//!
//! - **403** to a peer outside the [`PeerPolicy`], or a `Host` that is not loopback or one of
//!   the container endpoint's own addresses (`169.254.170.2`, `169.254.170.23`,
//!   `fd00:ec2::23`) — the DNS-rebinding defence, on by default here;
//! - **405** to methods other than `GET` and `HEAD`;
//! - **401** when `Authorization` is missing and **403** when it is wrong (unless
//!   [`Authorization::NotRequired`]);
//! - **404** for any path but the configured one;
//! - **200** with `application/json`: `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`,
//!   and `AccountId` and `RoleArn` when known.
//!
//! Errors carry a compact JSON body naming the status and why:
//! `{"code":"Forbidden","message":"authorization invalid"}`.

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError, RwLock};

use bytes::Bytes;
use credchain_core::time::Timestamp;
use hyper::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, StatusCode};

use crate::access::{HostCheck, PeerPolicy};
use crate::credentials::{CredentialSource, Credentials, Rotating, Rotation, SourceError};
use crate::fault::{FaultRule, Throttle};
use crate::json::{Val, compact};
use crate::serve::{App, CommonOptions, Controls, Reply, RequestView, Running, Serving};
use crate::transcript::{AuthCheck, Exchange};
use crate::{Clock, Error, random};

/// The addresses of the real container endpoints, accepted as `Host` by
/// [`HostCheck::Loopback`].
const CONTAINER_HOSTS: [&str; 3] = ["169.254.170.2", "169.254.170.23", "fd00:ec2::23"];

/// What the endpoint requires in `Authorization`.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Authorization {
    /// A random token made at start (30 random bytes, URL-safe base64, like aws-vault's),
    /// readable from [`ContainerHandle::authorization_token`].
    #[default]
    Random,
    /// This exact value.
    Fixed(String),
    /// Nothing (like ECS's relative URI endpoint).
    NotRequired,
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Authorization::Random => f.write_str("Random"),
            Authorization::Fixed(_) => f.write_str("Fixed(<redacted>)"),
            Authorization::NotRequired => f.write_str("NotRequired"),
        }
    }
}

/// The endpoint's settings, changeable while it runs ([`ContainerHandle::update`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContainerSettings {
    /// The path that serves the credentials (default `/v2/credentials/<random id>`).
    pub path: String,
    /// `RoleArn` in the document; `None` leaves it out.
    pub role_arn: Option<String>,
    /// `AccountId` in the document when the credentials carry none; `None` leaves it out.
    pub account_id: Option<String>,
    /// Which `Host` headers are answered (default [`HostCheck::Loopback`]).
    pub host_check: HostCheck,
    /// Which peers are answered (default loopback only).
    pub peers: PeerPolicy,
}

impl ContainerSettings {
    fn validate(&self) -> Result<(), Error> {
        let ok = self.path.starts_with('/')
            && self
                .path
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#');
        if !ok {
            return Err(Error::config(
                "container path",
                format!(
                    "{:?} must start with / and hold no spaces, controls, ? or #",
                    self.path
                ),
            ));
        }
        Ok(())
    }
}

/// Entry point: `ContainerServer::builder()…start().await`.
#[derive(Debug, Clone, Copy)]
pub struct ContainerServer;

impl ContainerServer {
    /// A builder with the defaults: `127.0.0.1:0`, system clock, random path and
    /// authorization token, rotating credentials (hourly, valid six hours), account
    /// `123456789012`, role `arn:aws:iam::123456789012:role/credchain-role`.
    pub fn builder() -> ContainerBuilder {
        ContainerBuilder {
            common: CommonOptions::default(),
            path: None,
            authorization: Authorization::Random,
            role_arn: Some("arn:aws:iam::123456789012:role/credchain-role".to_owned()),
            account_id: Some("123456789012".to_owned()),
            host_check: HostCheck::Loopback,
            peers: PeerPolicy::LoopbackOnly,
            rotation: Rotation::default(),
            source: None,
        }
    }
}

/// Configures and starts a container endpoint.
pub struct ContainerBuilder {
    common: CommonOptions,
    path: Option<String>,
    authorization: Authorization,
    role_arn: Option<String>,
    account_id: Option<String>,
    host_check: HostCheck,
    peers: PeerPolicy,
    rotation: Rotation,
    source: Option<Arc<dyn CredentialSource>>,
}

impl fmt::Debug for ContainerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerBuilder")
            .field("common", &self.common)
            .field("path", &self.path)
            .field("authorization", &self.authorization)
            .field("role_arn", &self.role_arn)
            .field("account_id", &self.account_id)
            .field("host_check", &self.host_check)
            .field("peers", &self.peers)
            .field("rotation", &self.rotation)
            .field("custom_source", &self.source.is_some())
            .finish()
    }
}

impl ContainerBuilder {
    /// The address to listen on (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.common.bind = addr;
        self
    }

    /// The clock for rotation and transcript times.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.common.clock = clock;
        self
    }

    /// The credentials path (default `/v2/credentials/<random id>`).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// What `Authorization` must hold.
    pub fn authorization(mut self, authorization: Authorization) -> Self {
        self.authorization = authorization;
        self
    }

    /// `RoleArn` in the document (`None`: left out).
    pub fn role_arn(mut self, arn: Option<String>) -> Self {
        self.role_arn = arn;
        self
    }

    /// `AccountId` in the document when the credentials carry none (`None`: left out).
    pub fn account_id(mut self, account: Option<String>) -> Self {
        self.account_id = account;
        self
    }

    /// The `Host` header check (default [`HostCheck::Loopback`]).
    pub fn host_check(mut self, check: HostCheck) -> Self {
        self.host_check = check;
        self
    }

    /// The peer address policy (default loopback only).
    pub fn peers(mut self, peers: PeerPolicy) -> Self {
        self.peers = peers;
        self
    }

    /// The schedule of the generated credentials, when no source is given.
    pub fn rotation(mut self, rotation: Rotation) -> Self {
        self.rotation = rotation;
        self
    }

    /// The credentials to serve: fixed [`Credentials`], a [`Rotating`] source, or a closure
    /// `Fn(Timestamp) -> Credentials`.
    pub fn credentials(mut self, source: impl CredentialSource + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// Adds a fault rule in force from the start.
    pub fn fault(mut self, rule: FaultRule) -> Self {
        self.common.faults.push(rule);
        self
    }

    /// A request-rate throttle in force from the start.
    pub fn throttle(mut self, throttle: Throttle) -> Self {
        self.common.throttle = Some(throttle);
        self
    }

    /// How many requests the transcript keeps (default 100 000).
    pub fn transcript_capacity(mut self, entries: usize) -> Self {
        self.common.transcript_capacity = entries;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<ContainerHandle, Error> {
        let path = match self.path {
            Some(p) => p,
            None => {
                let mut id = [0u8; 16];
                random::fill(&mut id)?;
                let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
                format!("/v2/credentials/{hex}")
            }
        };
        let token = match self.authorization {
            Authorization::NotRequired => None,
            Authorization::Fixed(t) => Some(t),
            Authorization::Random => {
                let mut bytes = [0u8; 30];
                random::fill(&mut bytes)?;
                Some(random::base64_url(&bytes))
            }
        };
        if let Some(t) = &token
            && (t.is_empty() || HeaderValue::from_str(t).is_err() || t.trim() != t)
        {
            return Err(Error::config(
                "authorization token",
                "must be a non-empty header value without surrounding white space or line breaks",
            ));
        }
        let settings = ContainerSettings {
            path,
            role_arn: self.role_arn,
            account_id: self.account_id,
            host_check: self.host_check,
            peers: self.peers,
        };
        settings.validate()?;
        let rotation = self.rotation;
        let source = self
            .source
            .unwrap_or_else(|| Arc::new(Rotating::new(rotation)));
        let app = Arc::new(ContainerApp {
            settings: RwLock::new(settings),
            token,
            source,
        });
        let running = Running::start(self.common, "container", app.clone(), None).await?;
        Ok(ContainerHandle { running, app })
    }
}

/// A running container endpoint. Dropping it stops the server; [`stop`](Self::stop) waits.
#[derive(Debug)]
pub struct ContainerHandle {
    running: Running,
    app: Arc<ContainerApp>,
}

impl ContainerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// The value for `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn full_uri(&self) -> String {
        format!("http://{}{}", self.addr(), self.settings().path)
    }

    /// The value for `AWS_CONTAINER_AUTHORIZATION_TOKEN`, if one is required. It is a secret:
    /// hand it to the child process, do not log it.
    pub fn authorization_token(&self) -> Option<&str> {
        self.app.token.as_deref()
    }

    /// Clock, faults, throttle and transcript.
    pub fn controls(&self) -> &Controls {
        self.running.controls()
    }

    /// Every request recorded so far.
    pub fn transcript(&self) -> Vec<Exchange> {
        self.running.controls().transcript()
    }

    /// The current settings.
    pub fn settings(&self) -> ContainerSettings {
        self.app.settings()
    }

    /// Changes the settings; an invalid change is refused and nothing changes.
    pub fn update(&self, change: impl FnOnce(&mut ContainerSettings)) -> Result<(), Error> {
        let mut guard = self
            .app
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next = guard.clone();
        change(&mut next);
        next.validate()?;
        *guard = next;
        Ok(())
    }

    /// The credentials the endpoint would serve now.
    pub fn credentials(&self) -> Result<Credentials, SourceError> {
        self.app
            .source
            .credentials(self.running.common().clock.now())
    }

    /// Issues a new generation now, if the source rotates.
    pub fn rotate_now(&self) {
        self.app.source.rotate(self.running.common().clock.now());
    }

    /// Stops the server and waits until the listener is closed.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}

struct ContainerApp {
    settings: RwLock<ContainerSettings>,
    token: Option<String>,
    source: Arc<dyn CredentialSource>,
}

impl fmt::Debug for ContainerApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContainerApp")
            .field("settings", &self.settings)
            .field("token_required", &self.token.is_some())
            .finish_non_exhaustive()
    }
}

fn json_reply(status: StatusCode, body: String, auth: AuthCheck) -> Reply {
    Reply {
        status,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body: Bytes::from(body),
        set_ttl: None,
        auth,
    }
}

fn error(status: StatusCode, message: &str, auth: AuthCheck) -> Reply {
    let code = status.canonical_reason().unwrap_or("Error");
    json_reply(
        status,
        compact(&[("code", Val::Str(code)), ("message", Val::Str(message))]),
        auth,
    )
}

/// Compares without stopping at the first difference, so response time says nothing about
/// how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn timestamp_text(t: Timestamp) -> String {
    let mut buf = [0u8; credchain_core::time::RFC3339_LEN];
    t.format_rfc3339(&mut buf)
        .map_or_else(|_| String::new(), str::to_owned)
}

impl ContainerApp {
    fn settings(&self) -> ContainerSettings {
        self.settings
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl App for ContainerApp {
    const SERVING: Serving = Serving::METADATA;

    fn respond(&self, req: &RequestView<'_>, now: Timestamp) -> Reply {
        let s = self.settings();
        if !s.peers.allows(req.peer) {
            return error(
                StatusCode::FORBIDDEN,
                "peer not allowed",
                AuthCheck::NotChecked,
            );
        }
        let host = req.headers.get(HOST).and_then(|h| h.to_str().ok());
        if !s.host_check.allows(host, &CONTAINER_HOSTS) {
            return error(
                StatusCode::FORBIDDEN,
                "host not allowed",
                AuthCheck::NotChecked,
            );
        }
        if *req.method != Method::GET && *req.method != Method::HEAD {
            let mut r = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "only GET and HEAD",
                AuthCheck::NotChecked,
            );
            r.headers
                .push((ALLOW, HeaderValue::from_static("GET, HEAD")));
            return r;
        }
        let auth = match &self.token {
            None => AuthCheck::NotChecked,
            Some(expected) => {
                let mut given = req.headers.get_all(AUTHORIZATION).iter();
                match (given.next(), given.next()) {
                    (None, _) => AuthCheck::Absent,
                    (Some(v), None) if same_secret(v.as_bytes(), expected.as_bytes()) => {
                        AuthCheck::Valid
                    }
                    _ => AuthCheck::Invalid,
                }
            }
        };
        match auth {
            AuthCheck::Absent => {
                return error(StatusCode::UNAUTHORIZED, "authorization required", auth);
            }
            AuthCheck::Invalid => {
                return error(StatusCode::FORBIDDEN, "authorization invalid", auth);
            }
            _ => {}
        }
        if req.path != s.path {
            return error(StatusCode::NOT_FOUND, "no such path", auth);
        }
        let c = match self.source.credentials(now) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "credential source failed");
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "credentials unavailable",
                    auth,
                );
            }
        };
        let exp = timestamp_text(c.expiration);
        let account = c.account_id.clone().or_else(|| s.account_id.clone());
        let mut fields = vec![
            ("AccessKeyId", Val::Str(&c.access_key_id)),
            ("SecretAccessKey", Val::Str(&c.secret_access_key)),
            ("Token", Val::Str(&c.session_token)),
            ("Expiration", Val::Str(&exp)),
        ];
        if let Some(a) = &account {
            fields.push(("AccountId", Val::Str(a)));
        }
        if let Some(arn) = &s.role_arn {
            fields.push(("RoleArn", Val::Str(arn)));
        }
        json_reply(StatusCode::OK, compact(&fields), auth)
    }

    fn status_reply(&self, status: StatusCode, _path: &str) -> Reply {
        error(status, "injected fault", AuthCheck::NotChecked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_by_value() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn path_validation() {
        let mut s = ContainerSettings {
            path: "/v2/credentials/x".into(),
            role_arn: None,
            account_id: None,
            host_check: HostCheck::Loopback,
            peers: PeerPolicy::LoopbackOnly,
        };
        assert!(s.validate().is_ok());
        for bad in ["", "creds", "/a b", "/a?b", "/a\n"] {
            s.path = bad.into();
            assert!(s.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn authorization_debug_hides_the_token() {
        let d = format!("{:?}", Authorization::Fixed("s3cret".into()));
        assert!(!d.contains("s3cret"));
    }
}
