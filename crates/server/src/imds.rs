//! A faithful EC2 instance metadata service.
//!
//! This is the server every credchain test and user can point an SDK at with
//! `AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:<port>/`. It answers the way the real
//! service does as far as the EC2 User Guide and field reports tell (imds-and-tools §2), which
//! is further than the mocks people use today (AEMM, moto, aws-vault; §1.1–1.3).
//!
//! ## Session tokens (IMDSv2)
//!
//! `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds: N` issues a random token
//! valid for `N` seconds on the server's [`Clock`], and echoes the header. In
//! order, a token PUT is refused with:
//!
//! - **403** when the endpoint is disabled ([`HttpEndpoint::Disabled`]; every request gets 403);
//! - **403** (configurable: [`ImdsSettings::forwarded_for_status`]) when it carries
//!   `X-Forwarded-For`: IMDS refuses PUTs that went through a proxy;
//! - **403** on a versioned path such as `/2021-03-23/api/token`: only `latest` issues tokens;
//! - **400** when the TTL header is missing, repeated, not a decimal integer, or outside
//!   1–21600.
//!
//! The answer to a token PUT is sent with the socket's IP TTL set to the hop limit
//! ([`ImdsSettings::hop_limit`], default 1), so one more router hop (a container's bridge)
//! drops it and the client times out, exactly as on EC2 (§2.1). The TTL is put back before the
//! next request on the same connection.
//!
//! Any other method on the token path gets **405**.
//!
//! ## Reads
//!
//! Only `GET` and `HEAD` read metadata (anything else: **405**). A request carrying
//! `X-aws-ec2-metadata-token` is an IMDSv2 request: a token the server did not issue, or one
//! that expired, gets **401** whatever the [`HttpTokens`] mode. A request with no token gets
//! **401** when tokens are [`HttpTokens::Required`], and is served as IMDSv1 when they are
//! [`HttpTokens::Optional`] — with the separate IMDSv1 credentials if some were configured
//! (§2.2). Unknown paths get **404**.
//!
//! Every answer is `text/plain` (the JSON documents too), with `Server: EC2ws`. Directory
//! listings are entries separated by LF, sub-directories marked with a trailing `/`, and no LF
//! after the last line unless [`ImdsSettings::listing_trailing_newline`] asks for one. The tree:
//!
//! ```text
//! /                                        versions, then latest
//! /latest/                                 dynamic/ meta-data/ [user-data]
//! /latest/meta-data/                       ami-id hostname [iam/] identity-credentials/
//!                                          instance-id instance-type local-ipv4 placement/
//!   iam/info                               instance profile document        (no role: 404)
//!   iam/security-credentials/              the role name                    (no role: 404)
//!   iam/security-credentials/<role>        the role's credentials document
//!   identity-credentials/ec2/info          {Code, LastUpdated, AccountId}
//!   identity-credentials/ec2/security-credentials/ec2-instance
//!   placement/availability-zone, placement/region
//! /latest/dynamic/instance-identity/document
//! ```
//!
//! In [`RoleMode::AssumeRoleUnauthorizedAccess`] the role document is the error EC2 serves when
//! it cannot assume the role (bad trust policy): HTTP 200 with `Code` and `Message` and no
//! credentials.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use bytes::Bytes;
use credchain_core::time::Timestamp;
use hyper::header::{ALLOW, CONTENT_TYPE, HOST, HeaderName, HeaderValue, SERVER};
use hyper::{Method, StatusCode};

use crate::access::{HostCheck, PeerPolicy};
use crate::credentials::{CredentialSource, Credentials, Rotating, Rotation, SourceError};
use crate::fault::{FaultRule, Throttle};
use crate::json::{Val, imds_pretty};
use crate::serve::{App, CommonOptions, Controls, Reply, RequestView, Running, Serving};
use crate::transcript::{AuthCheck, Exchange};
use crate::{Clock, Error, random};

/// The token TTL header, in requests and in the answer to a token PUT.
pub const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
/// The token header of IMDSv2 reads.
pub const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
/// The longest token TTL IMDS grants: six hours.
pub const MAX_TOKEN_TTL: u32 = 21_600;

/// The addresses real IMDS answers on, accepted as `Host` by [`HostCheck::Loopback`].
const IMDS_HOSTS: [&str; 2] = ["169.254.169.254", "fd00:ec2::254"];

/// Metadata versions listed at `/`, oldest first, as the service lists them (abridged).
const VERSIONS: [&str; 10] = [
    "1.0",
    "2007-01-19",
    "2008-02-01",
    "2009-04-04",
    "2011-01-01",
    "2014-02-25",
    "2016-09-02",
    "2018-09-24",
    "2021-03-23",
    "2022-09-24",
];

/// `HttpTokens` of the instance metadata options: whether IMDSv1 is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpTokens {
    /// IMDSv1 and IMDSv2: token-less reads are served.
    #[default]
    Optional,
    /// IMDSv2 only: token-less reads get 401.
    Required,
}

/// `HttpEndpoint` of the instance metadata options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpEndpoint {
    /// The service answers.
    #[default]
    Enabled,
    /// Every request gets 403.
    Disabled,
}

/// What the role credentials path serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoleMode {
    /// The role's credentials.
    #[default]
    Normal,
    /// HTTP 200 with `{"Code" : "AssumeRoleUnauthorizedAccess", "Message" : …}`, what EC2
    /// serves when the role's trust policy does not let EC2 assume it.
    AssumeRoleUnauthorizedAccess,
}

/// The instance's metadata options and identity, changeable while the server runs
/// ([`ServerHandle::update`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImdsSettings {
    /// `HttpEndpoint`: disabled answers 403 to everything.
    pub endpoint: HttpEndpoint,
    /// `HttpTokens`: optional or required.
    pub http_tokens: HttpTokens,
    /// `HttpPutResponseHopLimit`, 1–64: the IP TTL of the token PUT's answer. Default 1.
    pub hop_limit: u8,
    /// The status for a PUT carrying `X-Forwarded-For` (200–599; default 403); `None` lets such
    /// PUTs through.
    pub forwarded_for_status: Option<u16>,
    /// The attached role's name; `None`: no instance profile (the `iam/` tree is absent).
    pub role: Option<String>,
    /// What the role credentials path serves.
    pub role_mode: RoleMode,
    /// Adds `AccountId` to the credentials documents (newer IMDS documents carry it).
    pub include_account_id: bool,
    /// Ends every listing with an LF (real IMDS does not).
    pub listing_trailing_newline: bool,
    /// `instance-id`.
    pub instance_id: String,
    /// `instance-type`.
    pub instance_type: String,
    /// `ami-id`.
    pub ami_id: String,
    /// `placement/region`.
    pub region: String,
    /// `placement/availability-zone`.
    pub availability_zone: String,
    /// `local-ipv4`, also in the identity document and the host name.
    pub local_ipv4: String,
    /// The account of the instance profile and the identity credentials.
    pub account_id: String,
    /// `InstanceProfileId` in `iam/info`.
    pub instance_profile_id: String,
    /// `user-data`; `None`: 404.
    pub user_data: Option<String>,
    /// Which `Host` headers are answered (403 otherwise). Default: any.
    pub host_check: HostCheck,
    /// Which peers are answered (403 otherwise). Default: loopback only.
    pub peers: PeerPolicy,
    /// Most tokens remembered at once; beyond, expired ones are forgotten first, then the
    /// soonest to expire (a client holding a forgotten token gets 401 and fetches another).
    pub max_tokens: usize,
}

impl Default for ImdsSettings {
    fn default() -> Self {
        ImdsSettings {
            endpoint: HttpEndpoint::Enabled,
            http_tokens: HttpTokens::Optional,
            hop_limit: 1,
            forwarded_for_status: Some(403),
            role: Some("credchain-role".to_owned()),
            role_mode: RoleMode::Normal,
            include_account_id: false,
            listing_trailing_newline: false,
            instance_id: "i-0123456789abcdef0".to_owned(),
            instance_type: "t3.micro".to_owned(),
            ami_id: "ami-0123456789abcdef0".to_owned(),
            region: "us-east-1".to_owned(),
            availability_zone: "us-east-1a".to_owned(),
            local_ipv4: "172.31.0.10".to_owned(),
            account_id: "123456789012".to_owned(),
            instance_profile_id: "AIPAEXAMPLEPROFILE123".to_owned(),
            user_data: None,
            host_check: HostCheck::Off,
            peers: PeerPolicy::LoopbackOnly,
            max_tokens: 65_536,
        }
    }
}

impl ImdsSettings {
    fn validate(&self) -> Result<(), Error> {
        if !(1..=64).contains(&self.hop_limit) {
            return Err(Error::config(
                "hop limit",
                format!("must be 1 to 64, got {}", self.hop_limit),
            ));
        }
        if let Some(s) = self.forwarded_for_status
            && !(200..=599).contains(&s)
        {
            return Err(Error::config(
                "X-Forwarded-For status",
                format!("must be 200 to 599, got {s}"),
            ));
        }
        if let Some(role) = &self.role {
            // IAM role names: 1–64 of [A-Za-z0-9+=,.@_-].
            let ok = !role.is_empty()
                && role.len() <= 64
                && role
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
            if !ok {
                return Err(Error::config(
                    "role name",
                    format!("{role:?} is not an IAM role name (1-64 of A-Z a-z 0-9 + = , . @ _ -)"),
                ));
            }
        }
        if self.max_tokens == 0 {
            return Err(Error::config("max tokens", "must be at least 1"));
        }
        Ok(())
    }
}

/// Which credentials the server hands out, for [`ServerHandle::credentials`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSet {
    /// The role's credentials served to IMDSv2 (token-bearing) requests.
    RoleV2,
    /// The role's credentials served to IMDSv1 requests (the same as `RoleV2` unless separate
    /// IMDSv1 credentials were configured).
    RoleV1,
    /// The instance identity credentials (`identity-credentials/ec2/…/ec2-instance`).
    Identity,
}

/// Entry point: `ImdsServer::builder()…start().await`.
#[derive(Debug, Clone, Copy)]
pub struct ImdsServer;

impl ImdsServer {
    /// A builder with the defaults: `127.0.0.1:0`, system clock, tokens optional, hop limit 1,
    /// role `credchain-role` with hourly-rotating credentials valid six hours.
    pub fn builder() -> ImdsBuilder {
        ImdsBuilder {
            common: CommonOptions::default(),
            settings: ImdsSettings::default(),
            rotation: Rotation::default(),
            role: None,
            v1: None,
            identity: None,
        }
    }
}

/// Configures and starts an IMDS server. Every method has a default; see [`ImdsServer::builder`].
pub struct ImdsBuilder {
    common: CommonOptions,
    settings: ImdsSettings,
    rotation: Rotation,
    role: Option<Arc<dyn CredentialSource>>,
    v1: Option<Arc<dyn CredentialSource>>,
    identity: Option<Arc<dyn CredentialSource>>,
}

impl fmt::Debug for ImdsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsBuilder")
            .field("common", &self.common)
            .field("settings", &self.settings)
            .field("rotation", &self.rotation)
            .field("custom_role_source", &self.role.is_some())
            .field("separate_v1_source", &self.v1.is_some())
            .field("custom_identity_source", &self.identity.is_some())
            .finish()
    }
}

impl ImdsBuilder {
    /// The address to listen on (default `127.0.0.1:0`: a free loopback port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.common.bind = addr;
        self
    }

    /// The clock for tokens, rotation and transcript times (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.common.clock = clock;
        self
    }

    /// Replaces all the instance settings at once.
    pub fn settings(mut self, settings: ImdsSettings) -> Self {
        self.settings = settings;
        self
    }

    /// `HttpTokens`.
    pub fn http_tokens(mut self, tokens: HttpTokens) -> Self {
        self.settings.http_tokens = tokens;
        self
    }

    /// `HttpEndpoint`.
    pub fn http_endpoint(mut self, endpoint: HttpEndpoint) -> Self {
        self.settings.endpoint = endpoint;
        self
    }

    /// `HttpPutResponseHopLimit` (1–64).
    pub fn hop_limit(mut self, hops: u8) -> Self {
        self.settings.hop_limit = hops;
        self
    }

    /// The status for a PUT with `X-Forwarded-For`; `None` accepts such PUTs.
    pub fn forwarded_for_status(mut self, status: Option<u16>) -> Self {
        self.settings.forwarded_for_status = status;
        self
    }

    /// The attached role's name.
    pub fn role(mut self, name: impl Into<String>) -> Self {
        self.settings.role = Some(name.into());
        self
    }

    /// No instance profile: the `iam/` tree is absent (404).
    pub fn no_role(mut self) -> Self {
        self.settings.role = None;
        self
    }

    /// What the role credentials path serves.
    pub fn role_mode(mut self, mode: RoleMode) -> Self {
        self.settings.role_mode = mode;
        self
    }

    /// The `Host` header check (default off).
    pub fn host_check(mut self, check: HostCheck) -> Self {
        self.settings.host_check = check;
        self
    }

    /// The peer address policy (default loopback only).
    pub fn peers(mut self, peers: PeerPolicy) -> Self {
        self.settings.peers = peers;
        self
    }

    /// The schedule of the generated credentials (role, IMDSv1 role when separate, identity)
    /// that no explicit source replaces.
    pub fn rotation(mut self, rotation: Rotation) -> Self {
        self.rotation = rotation;
        self
    }

    /// The role credentials (for IMDSv1 too, unless [`v1_credentials`](Self::v1_credentials)):
    /// fixed [`Credentials`], a [`Rotating`] source, or a closure `Fn(Timestamp) -> Credentials`.
    pub fn credentials(mut self, source: impl CredentialSource + 'static) -> Self {
        self.role = Some(Arc::new(source));
        self
    }

    /// Separate role credentials for IMDSv1 (token-less) requests.
    pub fn v1_credentials(mut self, source: impl CredentialSource + 'static) -> Self {
        self.v1 = Some(Arc::new(source));
        self
    }

    /// Separate IMDSv1 credentials, generated and rotating like the IMDSv2 ones.
    pub fn separate_v1_credentials(mut self) -> Self {
        self.v1 = Some(Arc::new(Rotating::new(self.rotation)));
        self
    }

    /// The instance identity credentials.
    pub fn identity_credentials(mut self, source: impl CredentialSource + 'static) -> Self {
        self.identity = Some(Arc::new(source));
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

    /// How many requests the transcript keeps (default 100 000; the oldest are dropped).
    pub fn transcript_capacity(mut self, entries: usize) -> Self {
        self.common.transcript_capacity = entries;
        self
    }

    /// How many connections are served at once (default 1024); beyond, new ones are closed.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.common.max_connections = n;
        self
    }

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<ServerHandle, Error> {
        self.settings.validate()?;
        let rotation = self.rotation;
        let role = self
            .role
            .unwrap_or_else(|| Arc::new(Rotating::new(rotation)));
        let identity = self.identity.unwrap_or_else(|| {
            Arc::new(Rotating::new(rotation).with_account_id(self.settings.account_id.clone()))
        });
        let app = Arc::new(ImdsApp {
            started: self.common.clock.now(),
            settings: RwLock::new(Arc::new(self.settings)),
            tokens: Mutex::new(Tokens::default()),
            role,
            v1: self.v1,
            identity,
        });
        let running = Running::start(self.common, "imds", app.clone(), None).await?;
        Ok(ServerHandle { running, app })
    }
}

/// A running IMDS server. Dropping it stops the server (without waiting); [`stop`](Self::stop)
/// waits until the port is closed.
#[derive(Debug)]
pub struct ServerHandle {
    running: Running,
    app: Arc<ImdsApp>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// The base URL for `AWS_EC2_METADATA_SERVICE_ENDPOINT`: `http://127.0.0.1:<port>/`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/", self.addr())
    }

    /// Clock, faults, throttle and transcript.
    pub fn controls(&self) -> &Controls {
        self.running.controls()
    }

    /// Every request recorded so far (shortcut for `controls().transcript()`).
    pub fn transcript(&self) -> Vec<Exchange> {
        self.running.controls().transcript()
    }

    /// The current instance settings.
    pub fn settings(&self) -> ImdsSettings {
        self.app.settings()
    }

    /// Changes the instance settings; takes effect for the next request. An invalid change is
    /// refused and the settings stay as they were.
    pub fn update(&self, change: impl FnOnce(&mut ImdsSettings)) -> Result<(), Error> {
        let mut guard = self
            .app
            .settings
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let mut next = ImdsSettings::clone(&guard);
        change(&mut next);
        next.validate()?;
        *guard = Arc::new(next);
        Ok(())
    }

    /// The credentials the server would serve now from `set`.
    pub fn credentials(&self, set: CredentialSet) -> Result<Credentials, SourceError> {
        let now = self.running.common().clock.now();
        self.app.source(set).credentials(now)
    }

    /// Issues a new generation of every rotating source now.
    pub fn rotate_now(&self) {
        let now = self.running.common().clock.now();
        self.app.role.rotate(now);
        if let Some(v1) = &self.app.v1 {
            v1.rotate(now);
        }
        self.app.identity.rotate(now);
    }

    /// How many session tokens the server remembers (issued and not yet forgotten).
    pub fn tokens_outstanding(&self) -> usize {
        self.app
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len()
    }

    /// Stops the server: no new connections, every open one aborted; returns once the
    /// listener is closed.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}

/// Issued tokens and their expiry on the server clock.
///
/// `by_expiry` orders the same tokens by expiry (then by issue number, so that equal expiries
/// stay distinct), so that making room when the table is full costs O(log n) per token removed,
/// not a scan of the whole table: a client filling the table must not slow every later PUT.
#[derive(Debug, Default)]
struct Tokens {
    map: HashMap<String, Timestamp>,
    by_expiry: BTreeMap<(Timestamp, u64), String>,
    issued: u64,
}

impl Tokens {
    fn issue(&mut self, now: Timestamp, ttl: u32, cap: usize) -> Result<String, Error> {
        // A full table forgets every expired token, then the soonest to expire until there is
        // room (expired tokens are kept until then, so that using one reads "expired").
        if self.map.len() >= cap {
            while let Some(entry) = self.by_expiry.first_entry() {
                let (expiry, _) = *entry.key();
                if expiry > now && self.map.len() < cap {
                    break;
                }
                let token = entry.remove();
                self.map.remove(&token);
            }
        }
        let mut bytes = [0u8; 42];
        random::fill(&mut bytes)?;
        let token = random::base64(&bytes);
        let expiry = now.saturating_add_secs(i64::from(ttl));
        self.issued = self.issued.wrapping_add(1);
        if let Some(previous) = self.map.insert(token.clone(), expiry) {
            // 336 random bits repeating: keep the index consistent all the same.
            self.by_expiry
                .retain(|(e, _), t| !(*e == previous && *t == token));
        }
        self.by_expiry.insert((expiry, self.issued), token.clone());
        Ok(token)
    }

    fn check(&self, token: &[u8], now: Timestamp) -> AuthCheck {
        let Ok(token) = std::str::from_utf8(token) else {
            return AuthCheck::Invalid;
        };
        match self.map.get(token) {
            None => AuthCheck::Invalid,
            Some(exp) if *exp <= now => AuthCheck::Expired,
            Some(_) => AuthCheck::Valid,
        }
    }
}

struct ImdsApp {
    started: Timestamp,
    /// Shared, not copied, by each request: an update swaps in a new value.
    settings: RwLock<Arc<ImdsSettings>>,
    tokens: Mutex<Tokens>,
    role: Arc<dyn CredentialSource>,
    v1: Option<Arc<dyn CredentialSource>>,
    identity: Arc<dyn CredentialSource>,
}

impl fmt::Debug for ImdsApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImdsApp")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// A node of the metadata tree.
enum Node {
    /// Entries, directories ending in `/`.
    Dir(Vec<String>),
    /// A value.
    File(String),
}

fn error_page(status: StatusCode) -> String {
    let title = format!(
        "{} - {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n\
         <!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\
         \t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n \
         <head>\n  <title>{title}</title>\n </head>\n \
         <body>\n  <h1>{title}</h1>\n </body>\n\
         </html>\n"
    )
}

fn text_headers() -> Vec<(HeaderName, HeaderValue)> {
    vec![
        (CONTENT_TYPE, HeaderValue::from_static("text/plain")),
        (SERVER, HeaderValue::from_static("EC2ws")),
    ]
}

fn reply(status: StatusCode, body: String, auth: AuthCheck) -> Reply {
    Reply {
        status,
        headers: text_headers(),
        body: Bytes::from(body),
        set_ttl: None,
        auth,
    }
}

fn error(status: StatusCode, auth: AuthCheck) -> Reply {
    reply(status, error_page(status), auth)
}

fn timestamp_text(t: Timestamp) -> String {
    let mut buf = [0u8; credchain_core::time::RFC3339_LEN];
    t.format_rfc3339(&mut buf)
        .map_or_else(|_| String::new(), str::to_owned)
}

/// `version` is `latest`, `1.0` or a date `YYYY-MM-DD`.
fn is_version(v: &str) -> bool {
    v == "latest"
        || v == "1.0"
        || (v.len() == 10
            && v.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            }))
}

/// Parses the TTL header of a token PUT: exactly one value, ASCII digits, 1–21600.
fn token_ttl(headers: &hyper::HeaderMap) -> Option<u32> {
    let mut values = headers.get_all(TTL_HEADER).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let text = value.to_str().ok()?.trim();
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ttl: u32 = text.parse().ok()?;
    (1..=MAX_TOKEN_TTL).contains(&ttl).then_some(ttl)
}

impl ImdsApp {
    fn settings(&self) -> ImdsSettings {
        ImdsSettings::clone(&self.current_settings())
    }

    /// The settings in force, without copying them.
    fn current_settings(&self) -> Arc<ImdsSettings> {
        Arc::clone(&self.settings.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn source(&self, set: CredentialSet) -> &dyn CredentialSource {
        match set {
            CredentialSet::RoleV2 => self.role.as_ref(),
            CredentialSet::RoleV1 => self.v1.as_deref().unwrap_or(self.role.as_ref()),
            CredentialSet::Identity => self.identity.as_ref(),
        }
    }

    fn token_put(
        &self,
        s: &ImdsSettings,
        req: &RequestView<'_>,
        version: &str,
        now: Timestamp,
    ) -> Reply {
        if version != "latest" {
            return error(StatusCode::FORBIDDEN, AuthCheck::NotChecked);
        }
        let Some(ttl) = token_ttl(req.headers) else {
            return error(StatusCode::BAD_REQUEST, AuthCheck::NotChecked);
        };
        let issued = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .issue(now, ttl, s.max_tokens);
        match issued {
            Ok(token) => {
                let mut r = reply(
                    StatusCode::OK,
                    token,
                    AuthCheck::Issued { ttl_seconds: ttl },
                );
                r.headers
                    .push((HeaderName::from_static(TTL_HEADER), HeaderValue::from(ttl)));
                r.set_ttl = Some(u32::from(s.hop_limit));
                r
            }
            Err(e) => {
                tracing::error!(error = %e, "could not issue a token");
                error(StatusCode::INTERNAL_SERVER_ERROR, AuthCheck::NotChecked)
            }
        }
    }

    fn credentials_document(&self, s: &ImdsSettings, c: &Credentials) -> String {
        let last = timestamp_text(c.last_updated);
        let exp = timestamp_text(c.expiration);
        let mut fields = vec![
            ("Code", Val::Str("Success")),
            ("LastUpdated", Val::Str(&last)),
            ("Type", Val::Str("AWS-HMAC")),
            ("AccessKeyId", Val::Str(&c.access_key_id)),
            ("SecretAccessKey", Val::Str(&c.secret_access_key)),
            ("Token", Val::Str(&c.session_token)),
            ("Expiration", Val::Str(&exp)),
        ];
        let account = c.account_id.as_deref().unwrap_or(&s.account_id);
        if s.include_account_id {
            fields.push(("AccountId", Val::Str(account)));
        }
        imds_pretty(&fields)
    }

    /// Looks up `rest` (the path after the version, without a trailing `/`) in the tree.
    fn lookup(
        &self,
        s: &ImdsSettings,
        rest: &str,
        v1: bool,
        now: Timestamp,
    ) -> Result<Option<Node>, SourceError> {
        let dir =
            |entries: &[&str]| Some(Node::Dir(entries.iter().map(|e| (*e).to_owned()).collect()));
        let file = |text: String| Some(Node::File(text));
        let role = s.role.as_deref();
        let node = match rest {
            "" => {
                let mut entries = vec!["dynamic/", "meta-data/"];
                if s.user_data.is_some() {
                    entries.push("user-data");
                }
                dir(&entries)
            }
            "user-data" => s.user_data.clone().map(Node::File),
            "meta-data" => {
                let mut entries = vec!["ami-id", "hostname"];
                if role.is_some() {
                    entries.push("iam/");
                }
                entries.extend([
                    "identity-credentials/",
                    "instance-id",
                    "instance-type",
                    "local-ipv4",
                    "placement/",
                ]);
                dir(&entries)
            }
            "meta-data/ami-id" => file(s.ami_id.clone()),
            "meta-data/hostname" => file(format!(
                "ip-{}.ec2.internal",
                s.local_ipv4.replace('.', "-")
            )),
            "meta-data/instance-id" => file(s.instance_id.clone()),
            "meta-data/instance-type" => file(s.instance_type.clone()),
            "meta-data/local-ipv4" => file(s.local_ipv4.clone()),
            "meta-data/placement" => dir(&["availability-zone", "region"]),
            "meta-data/placement/availability-zone" => file(s.availability_zone.clone()),
            "meta-data/placement/region" => file(s.region.clone()),
            "meta-data/iam" if role.is_some() => dir(&["info", "security-credentials/"]),
            "meta-data/iam/info" => match role {
                Some(role) => {
                    let c = self.role.credentials(now)?;
                    let last = timestamp_text(c.last_updated);
                    let arn = format!("arn:aws:iam::{}:instance-profile/{role}", s.account_id);
                    file(imds_pretty(&[
                        ("Code", Val::Str("Success")),
                        ("LastUpdated", Val::Str(&last)),
                        ("InstanceProfileArn", Val::Str(&arn)),
                        ("InstanceProfileId", Val::Str(&s.instance_profile_id)),
                    ]))
                }
                None => None,
            },
            "meta-data/iam/security-credentials" => role.map(|r| Node::Dir(vec![r.to_owned()])),
            "meta-data/identity-credentials" => dir(&["ec2/"]),
            "meta-data/identity-credentials/ec2" => dir(&["info", "security-credentials/"]),
            "meta-data/identity-credentials/ec2/info" => {
                let c = self.identity.credentials(now)?;
                let last = timestamp_text(c.last_updated);
                file(imds_pretty(&[
                    ("Code", Val::Str("Success")),
                    ("LastUpdated", Val::Str(&last)),
                    ("AccountId", Val::Str(&s.account_id)),
                ]))
            }
            "meta-data/identity-credentials/ec2/security-credentials" => dir(&["ec2-instance"]),
            "meta-data/identity-credentials/ec2/security-credentials/ec2-instance" => {
                let c = self.identity.credentials(now)?;
                file(self.credentials_document(s, &c))
            }
            "dynamic" => dir(&["instance-identity/"]),
            "dynamic/instance-identity" => dir(&["document"]),
            "dynamic/instance-identity/document" => {
                let pending = timestamp_text(self.started);
                file(imds_pretty(&[
                    ("accountId", Val::Str(&s.account_id)),
                    ("architecture", Val::Str("x86_64")),
                    ("availabilityZone", Val::Str(&s.availability_zone)),
                    ("billingProducts", Val::Null),
                    ("devpayProductCodes", Val::Null),
                    ("marketplaceProductCodes", Val::Null),
                    ("imageId", Val::Str(&s.ami_id)),
                    ("instanceId", Val::Str(&s.instance_id)),
                    ("instanceType", Val::Str(&s.instance_type)),
                    ("kernelId", Val::Null),
                    ("pendingTime", Val::Str(&pending)),
                    ("privateIp", Val::Str(&s.local_ipv4)),
                    ("ramdiskId", Val::Null),
                    ("region", Val::Str(&s.region)),
                    ("version", Val::Str("2017-09-30")),
                ]))
            }
            other => match (
                role,
                other.strip_prefix("meta-data/iam/security-credentials/"),
            ) {
                (Some(role), Some(asked)) if asked == role => match s.role_mode {
                    RoleMode::Normal => {
                        let set = if v1 {
                            CredentialSet::RoleV1
                        } else {
                            CredentialSet::RoleV2
                        };
                        let c = self.source(set).credentials(now)?;
                        file(self.credentials_document(s, &c))
                    }
                    RoleMode::AssumeRoleUnauthorizedAccess => {
                        let message = format!(
                            "EC2 cannot assume the role {role}.  Please see documentation at \
                             http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html."
                        );
                        let last = timestamp_text(now);
                        file(imds_pretty(&[
                            ("Code", Val::Str("AssumeRoleUnauthorizedAccess")),
                            ("Message", Val::Str(&message)),
                            ("LastUpdated", Val::Str(&last)),
                        ]))
                    }
                },
                _ => None,
            },
        };
        Ok(node)
    }

    fn read(
        &self,
        s: &ImdsSettings,
        version: Option<&str>,
        rest: &str,
        v1: bool,
        now: Timestamp,
        auth: AuthCheck,
    ) -> Reply {
        let Some(version) = version else {
            // `/`: the versions.
            let mut list: Vec<String> = VERSIONS.iter().map(|v| (*v).to_owned()).collect();
            list.push("latest".to_owned());
            return self.listing(s, list, auth);
        };
        if !is_version(version) {
            return error(StatusCode::NOT_FOUND, auth);
        }
        // One trailing slash names the same node; an empty segment names nothing.
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.split('/').any(str::is_empty) && !rest.is_empty() {
            return error(StatusCode::NOT_FOUND, auth);
        }
        match self.lookup(s, rest, v1, now) {
            Ok(Some(Node::Dir(entries))) => self.listing(s, entries, auth),
            Ok(Some(Node::File(text))) => reply(StatusCode::OK, text, auth),
            Ok(None) => error(StatusCode::NOT_FOUND, auth),
            Err(e) => {
                tracing::error!(error = %e, "credential source failed");
                error(StatusCode::INTERNAL_SERVER_ERROR, auth)
            }
        }
    }

    fn listing(&self, s: &ImdsSettings, entries: Vec<String>, auth: AuthCheck) -> Reply {
        let mut body = entries.join("\n");
        if s.listing_trailing_newline {
            body.push('\n');
        }
        reply(StatusCode::OK, body, auth)
    }
}

impl App for ImdsApp {
    const SERVING: Serving = Serving::METADATA;

    fn respond(&self, req: &RequestView<'_>, now: Timestamp) -> Reply {
        let s = self.current_settings();
        if !s.peers.allows(req.peer) {
            return error(StatusCode::FORBIDDEN, AuthCheck::NotChecked);
        }
        let host = req.headers.get(HOST).and_then(|h| h.to_str().ok());
        if !s.host_check.allows(host, &IMDS_HOSTS) {
            return error(StatusCode::FORBIDDEN, AuthCheck::NotChecked);
        }
        if s.endpoint == HttpEndpoint::Disabled {
            return error(StatusCode::FORBIDDEN, AuthCheck::NotChecked);
        }
        // "/<version>/<rest>"; "/" alone lists the versions.
        let trimmed = req.path.strip_prefix('/').unwrap_or(req.path);
        let (version, rest) = match trimmed.split_once('/') {
            _ if trimmed.is_empty() => (None, ""),
            Some((v, r)) => (Some(v), r),
            None => (Some(trimmed), ""),
        };

        if *req.method == Method::PUT
            && let Some(status) = s.forwarded_for_status
            && req.headers.contains_key("x-forwarded-for")
        {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
            return error(status, AuthCheck::NotChecked);
        }
        if rest == "api/token" && version.is_some_and(is_version) {
            if *req.method != Method::PUT {
                let mut r = error(StatusCode::METHOD_NOT_ALLOWED, AuthCheck::NotChecked);
                r.headers.push((ALLOW, HeaderValue::from_static("PUT")));
                return r;
            }
            return self.token_put(&s, req, version.unwrap_or_default(), now);
        }
        if *req.method != Method::GET && *req.method != Method::HEAD {
            let mut r = error(StatusCode::METHOD_NOT_ALLOWED, AuthCheck::NotChecked);
            r.headers
                .push((ALLOW, HeaderValue::from_static("GET, HEAD")));
            return r;
        }

        let mut presented = req.headers.get_all(TOKEN_HEADER).iter();
        let auth = match (presented.next(), presented.next()) {
            (None, _) => AuthCheck::Absent,
            (Some(_), Some(_)) => AuthCheck::Invalid,
            (Some(token), None) => self
                .tokens
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .check(token.as_bytes(), now),
        };
        match auth {
            AuthCheck::Invalid | AuthCheck::Expired => {
                return error(StatusCode::UNAUTHORIZED, auth);
            }
            AuthCheck::Absent if s.http_tokens == HttpTokens::Required => {
                return error(StatusCode::UNAUTHORIZED, auth);
            }
            _ => {}
        }
        self.read(&s, version, rest, auth == AuthCheck::Absent, now, auth)
    }

    fn status_reply(&self, status: StatusCode, _path: &str) -> Reply {
        error(status, AuthCheck::NotChecked)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn ttl_header_rules() {
        let ttl = |values: &[&str]| {
            let mut h = hyper::HeaderMap::new();
            for v in values {
                h.append(TTL_HEADER, HeaderValue::from_str(v).unwrap());
            }
            token_ttl(&h)
        };
        assert_eq!(ttl(&["21600"]), Some(21_600));
        assert_eq!(ttl(&["1"]), Some(1));
        assert_eq!(ttl(&["0060"]), Some(60));
        assert_eq!(ttl(&[]), None);
        assert_eq!(ttl(&["0"]), None);
        assert_eq!(ttl(&["21601"]), None);
        assert_eq!(ttl(&["-1"]), None);
        assert_eq!(ttl(&["+5"]), None);
        assert_eq!(ttl(&["1.5"]), None);
        assert_eq!(ttl(&["abc"]), None);
        assert_eq!(ttl(&[""]), None);
        assert_eq!(ttl(&["99999999999999999999"]), None);
        assert_eq!(ttl(&["60", "60"]), None);
    }

    #[test]
    fn versions() {
        assert!(is_version("latest"));
        assert!(is_version("1.0"));
        assert!(is_version("2021-03-23"));
        assert!(!is_version("2021-3-23"));
        assert!(!is_version("latest2"));
        assert!(!is_version(""));
    }

    #[test]
    fn token_store_expires_and_evicts() {
        let t0 = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let mut tokens = Tokens::default();
        let a = tokens.issue(t0, 10, 2).unwrap();
        let b = tokens.issue(t0, 100, 2).unwrap();
        assert_ne!(a, b);
        assert_eq!(tokens.check(a.as_bytes(), t0), AuthCheck::Valid);
        assert_eq!(
            tokens.check(a.as_bytes(), t0.checked_add_secs(10).unwrap()),
            AuthCheck::Expired
        );
        assert_eq!(tokens.check(b"nope", t0), AuthCheck::Invalid);
        assert_eq!(tokens.check(&[0xff, 0xfe], t0), AuthCheck::Invalid);
        // Full: the soonest to expire (a) is forgotten.
        let c = tokens.issue(t0, 50, 2).unwrap();
        assert_eq!(tokens.map.len(), 2);
        assert_eq!(tokens.check(a.as_bytes(), t0), AuthCheck::Invalid);
        assert_eq!(tokens.check(b.as_bytes(), t0), AuthCheck::Valid);
        assert_eq!(tokens.check(c.as_bytes(), t0), AuthCheck::Valid);
    }

    #[test]
    fn settings_validation() {
        let ok = ImdsSettings::default();
        assert!(ok.validate().is_ok());
        for bad in [
            ImdsSettings {
                hop_limit: 0,
                ..ok.clone()
            },
            ImdsSettings {
                hop_limit: 65,
                ..ok.clone()
            },
            ImdsSettings {
                forwarded_for_status: Some(99),
                ..ok.clone()
            },
            ImdsSettings {
                role: Some(String::new()),
                ..ok.clone()
            },
            ImdsSettings {
                role: Some("a/b".into()),
                ..ok.clone()
            },
            ImdsSettings {
                role: Some("x".repeat(65)),
                ..ok.clone()
            },
            ImdsSettings {
                max_tokens: 0,
                ..ok.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_full_token_table_forgets_expired_then_soonest_tokens() {
        let at = |s| Timestamp::from_unix_secs(s).unwrap();
        let mut tokens = Tokens::default();
        // Three tokens expiring at 100 + 50, 100 + 10 and 100 + 30: a cap of 3 is now full.
        let long = tokens.issue(at(100), 50, 3).unwrap();
        let short = tokens.issue(at(100), 10, 3).unwrap();
        let middle = tokens.issue(at(100), 30, 3).unwrap();
        // Full and nothing expired: the soonest to expire (`short`) makes room.
        let fourth = tokens.issue(at(101), 60, 3).unwrap();
        assert!(matches!(
            tokens.check(short.as_bytes(), at(101)),
            AuthCheck::Invalid
        ));
        for t in [&long, &middle, &fourth] {
            assert!(matches!(
                tokens.check(t.as_bytes(), at(101)),
                AuthCheck::Valid
            ));
        }
        // Below the cap an expired token is kept, so that using it reads "expired".
        let mut roomy = Tokens::default();
        let old = roomy.issue(at(0), 1, 10).unwrap();
        roomy.issue(at(5), 1, 10).unwrap();
        assert!(matches!(
            roomy.check(old.as_bytes(), at(5)),
            AuthCheck::Expired
        ));
        // Full with expired tokens: every expired one goes, the live ones stay.
        let fifth = tokens.issue(at(135), 60, 3).unwrap();
        assert!(matches!(
            tokens.check(middle.as_bytes(), at(135)),
            AuthCheck::Invalid
        ));
        assert_eq!(tokens.map.len(), 3);
        for t in [&long, &fourth, &fifth] {
            assert!(matches!(
                tokens.check(t.as_bytes(), at(135)),
                AuthCheck::Valid
            ));
        }
        assert_eq!(tokens.map.len(), tokens.by_expiry.len());
        // Many issues at a small cap: the table and its index stay the same size.
        for i in 0..1_000 {
            tokens.issue(at(200 + i), 5, 3).unwrap();
            assert_eq!(tokens.map.len(), tokens.by_expiry.len());
            assert!(tokens.map.len() <= 3);
        }
    }

    fn app(settings: ImdsSettings) -> ImdsApp {
        ImdsApp {
            started: Timestamp::UNIX_EPOCH,
            settings: RwLock::new(Arc::new(settings)),
            tokens: Mutex::new(Tokens::default()),
            role: Arc::new(Rotating::new(Rotation::default())),
            v1: None,
            identity: Arc::new(Rotating::new(Rotation::default())),
        }
    }

    #[test]
    fn peers_outside_loopback_are_refused_unless_allowed() {
        let headers = hyper::HeaderMap::new();
        let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let ask = |app: &ImdsApp, peer: &str| {
            let req = RequestView {
                method: &Method::GET,
                path: "/latest/meta-data/instance-id",
                query: "",
                headers: &headers,
                body: &[],
                peer: peer.parse().unwrap(),
            };
            app.respond(&req, now).status
        };
        let lo = app(ImdsSettings::default());
        assert_eq!(ask(&lo, "127.0.0.1:40000"), StatusCode::OK);
        assert_eq!(ask(&lo, "[::1]:40000"), StatusCode::OK);
        assert_eq!(ask(&lo, "10.1.2.3:40000"), StatusCode::FORBIDDEN);
        assert_eq!(ask(&lo, "[fd00::2]:40000"), StatusCode::FORBIDDEN);
        let any = app(ImdsSettings {
            peers: PeerPolicy::Any,
            ..ImdsSettings::default()
        });
        assert_eq!(ask(&any, "10.1.2.3:40000"), StatusCode::OK);
    }

    #[test]
    fn error_page_names_the_status() {
        let page = error_page(StatusCode::NOT_FOUND);
        assert!(page.contains("<title>404 - Not Found</title>"));
        assert!(page.starts_with("<?xml"));
    }
}
