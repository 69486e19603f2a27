//! The SSO portal's `GetRoleCredentials` and SSO-OIDC's `CreateToken` (refresh grant), on one
//! server.
//!
//! botocore's SSO provider (spec §8.3) trades the access token of its token cache for role
//! credentials: `GET /federation/credentials?role_name=<r>&account_id=<a>` with the token in
//! `x-amz-sso_bearer_token`, unsigned. The answer is `{"roleCredentials": {"accessKeyId",
//! "secretAccessKey", "sessionToken", "expiration"}}` with `expiration` in epoch
//! **milliseconds**. A missing, unknown or expired token is 401 `UnauthorizedException`
//! (botocore turns it into "run aws sso login"); a role the token may not use is 403
//! `ForbiddenException`; a missing parameter 400 `InvalidRequestException`. Errors carry the
//! code in `x-amzn-ErrorType`, as AWS's REST-JSON services do.
//!
//! For `sso-session` profiles botocore refreshes the token itself when it nears expiry:
//! `POST /token` with JSON `{"grantType": "refresh_token", "clientId", "clientSecret",
//! "refreshToken"}`. The server checks the client and the refresh token, and mints a new
//! access token (valid for [`SsoBuilder::token_lifetime`], 8 hours by default) that the portal
//! then accepts: `{"accessToken", "tokenType": "Bearer", "expiresIn", "refreshToken"}`.
//! Errors are OAuth-shaped: `{"error": "invalid_grant", "error_description": …}`, 400
//! `InvalidGrantException`, 401 `InvalidClientException`, 400 `UnsupportedGrantTypeException`.
//!
//! In AWS the two live on different hosts (`portal.sso.<region>.amazonaws.com`,
//! `oidc.<region>.amazonaws.com`); here one server answers both paths, so `AWS_ENDPOINT_URL`
//! (or both `AWS_ENDPOINT_URL_SSO` and `AWS_ENDPOINT_URL_SSO_OIDC`) can name it.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use credchain_core::time::Timestamp;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::credentials::Credentials;
use crate::endpoint::{Endpoint, EndpointControls, EndpointOptions};
use crate::fault::{FaultRule, Throttle};
use crate::serve::{App, Reply, RequestView, Serving};
use crate::sts::request_id;
use crate::tls::TlsIdentity;
use crate::transcript::{AuthCheck, Exchange};
use crate::{Clock, Error, random};

/// The portal's credentials path.
pub const ROLE_CREDENTIALS_PATH: &str = "/federation/credentials";
/// SSO-OIDC's token path.
pub const TOKEN_PATH: &str = "/token";
/// The header that carries the access token.
pub const BEARER_HEADER: &str = "x-amz-sso_bearer_token";

/// Entry point: `SsoServer::builder()…start().await`.
#[derive(Debug, Clone, Copy)]
pub struct SsoServer;

impl SsoServer {
    /// A builder with the defaults: `127.0.0.1:0`, plain HTTP, system clock, no tokens, no
    /// roles, no clients; role credentials valid for an hour, minted access tokens for eight.
    pub fn builder() -> SsoBuilder {
        SsoBuilder {
            options: EndpointOptions::default(),
            tokens: Vec::new(),
            roles: Vec::new(),
            clients: Vec::new(),
            refresh_tokens: Vec::new(),
            session_lifetime: Duration::from_secs(3600),
            token_lifetime: Duration::from_secs(8 * 3600),
        }
    }
}

/// Configures and starts an SSO endpoint.
pub struct SsoBuilder {
    options: EndpointOptions,
    tokens: Vec<(String, Option<Timestamp>)>,
    roles: Vec<(String, String)>,
    clients: Vec<(String, String)>,
    refresh_tokens: Vec<String>,
    session_lifetime: Duration,
    token_lifetime: Duration,
}

impl fmt::Debug for SsoBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoBuilder")
            .field("options", &self.options)
            .field("tokens", &self.tokens.len())
            .field("roles", &self.roles)
            .field("clients", &self.clients.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .field("session_lifetime", &self.session_lifetime)
            .field("token_lifetime", &self.token_lifetime)
            .finish()
    }
}

impl SsoBuilder {
    /// The address to listen on (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.options.common.bind = addr;
        self
    }

    /// The clock for token expiry, credential expiry and transcript times.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.options.common.clock = clock;
        self
    }

    /// An access token the portal accepts, without expiry.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.tokens.push((token.into(), None));
        self
    }

    /// An access token the portal accepts until `expires` (server clock).
    pub fn access_token_until(mut self, token: impl Into<String>, expires: Timestamp) -> Self {
        self.tokens.push((token.into(), Some(expires)));
        self
    }

    /// A role (account id and role name) that any valid token may get credentials for.
    pub fn role(mut self, account_id: impl Into<String>, role_name: impl Into<String>) -> Self {
        self.roles.push((account_id.into(), role_name.into()));
        self
    }

    /// A registered SSO-OIDC client.
    pub fn client(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.clients.push((client_id.into(), client_secret.into()));
        self
    }

    /// A refresh token `CreateToken` accepts.
    pub fn refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_tokens.push(token.into());
        self
    }

    /// How long role credentials are valid (default one hour).
    pub fn session_lifetime(mut self, life: Duration) -> Self {
        self.session_lifetime = life;
        self
    }

    /// How long minted access tokens are valid (default eight hours).
    pub fn token_lifetime(mut self, life: Duration) -> Self {
        self.token_lifetime = life;
        self
    }

    /// Serve HTTPS with a CA and certificate made at start ([`SsoHandle::ca_pem`]).
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

    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(self) -> Result<SsoHandle, Error> {
        let app = Arc::new(SsoApp {
            roles: self.roles,
            clients: self.clients,
            session_lifetime: self.session_lifetime,
            token_lifetime: self.token_lifetime,
            state: Mutex::new(SsoState {
                tokens: self.tokens.into_iter().collect(),
                refresh_tokens: self.refresh_tokens,
                calls: Vec::new(),
            }),
        });
        let running = Endpoint::start(self.options, "sso", app.clone()).await?;
        Ok(SsoHandle { running, app })
    }
}

/// One portal or OIDC call as the server saw it. Never holds a token or secret.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SsoCall {
    /// `GetRoleCredentials`, `CreateToken`, or the path asked for.
    pub operation: String,
    /// `role_name`, for `GetRoleCredentials`.
    pub role_name: Option<String>,
    /// `account_id`, for `GetRoleCredentials`.
    pub account_id: Option<String>,
    /// The status answered.
    pub status: u16,
    /// The error code answered, or `None` for success.
    pub error: Option<String>,
}

/// A running SSO endpoint. Dropping it stops the server; [`stop`](Self::stop) waits.
#[derive(Debug)]
pub struct SsoHandle {
    running: Endpoint,
    app: Arc<SsoApp>,
}

impl SsoHandle {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// The endpoint URL: the value for `AWS_ENDPOINT_URL_SSO` (and `_SSO_OIDC`).
    pub fn url(&self) -> String {
        self.running.url()
    }

    /// The CA certificate (PEM), when serving HTTPS.
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

    /// Every call so far, oldest first.
    pub fn calls(&self) -> Vec<SsoCall> {
        self.app.lock().calls.clone()
    }

    /// Accepts another access token from now on (`None`: without expiry).
    pub fn add_access_token(&self, token: impl Into<String>, expires: Option<Timestamp>) {
        self.app.lock().tokens.insert(token.into(), expires);
    }

    /// Stops accepting every access token (a sign-out).
    pub fn revoke_access_tokens(&self) {
        self.app.lock().tokens.clear();
    }

    /// Stops the server and waits until the listener is closed.
    pub async fn stop(self) {
        self.running.stop().await;
    }
}

#[derive(Debug)]
struct SsoState {
    tokens: HashMap<String, Option<Timestamp>>,
    refresh_tokens: Vec<String>,
    calls: Vec<SsoCall>,
}

struct SsoApp {
    roles: Vec<(String, String)>,
    clients: Vec<(String, String)>,
    session_lifetime: Duration,
    token_lifetime: Duration,
    state: Mutex<SsoState>,
}

impl fmt::Debug for SsoApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoApp")
            .field("roles", &self.roles)
            .field("clients", &self.clients.len())
            .finish_non_exhaustive()
    }
}

fn json_reply(
    status: StatusCode,
    body: &Value,
    error_type: Option<&str>,
    auth: AuthCheck,
) -> Reply {
    let mut headers = vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))];
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        headers.push((HeaderName::from_static("x-amzn-requestid"), v));
    }
    if let Some(t) = error_type.and_then(|t| HeaderValue::from_str(t).ok()) {
        headers.push((HeaderName::from_static("x-amzn-errortype"), t));
    }
    Reply {
        status,
        headers,
        body: Bytes::from(body.to_string()),
        set_ttl: None,
        auth,
    }
}

/// A portal error: `{"message": …}` and the code in `x-amzn-ErrorType`.
fn portal_error(status: StatusCode, code: &str, message: &str, auth: AuthCheck) -> Reply {
    json_reply(status, &json!({ "message": message }), Some(code), auth)
}

/// An OIDC error: `{"error": …, "error_description": …}`.
fn oidc_error(status: StatusCode, code: &str, error: &str, description: &str) -> Reply {
    json_reply(
        status,
        &json!({ "error": error, "error_description": description }),
        Some(code),
        AuthCheck::Invalid,
    )
}

fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| percent_decode(v))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        let hex = (b == b'%')
            .then(|| bytes.get(i.saturating_add(1)..i.saturating_add(3)))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                out.push(v);
                i = i.saturating_add(3);
            }
            None => {
                out.push(b);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl SsoApp {
    fn lock(&self) -> std::sync::MutexGuard<'_, SsoState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn role_credentials(&self, req: &RequestView<'_>, now: Timestamp, call: &mut SsoCall) -> Reply {
        call.operation = "GetRoleCredentials".to_owned();
        call.role_name = query_param(req.query, "role_name");
        call.account_id = query_param(req.query, "account_id");
        if *req.method != Method::GET {
            return portal_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "InvalidRequestException",
                "Only GET is supported",
                AuthCheck::NotChecked,
            );
        }
        let token = req.headers.get(BEARER_HEADER).and_then(|v| v.to_str().ok());
        let auth = match token {
            None => AuthCheck::Absent,
            Some(t) => {
                let state = self.lock();
                let found = state
                    .tokens
                    .iter()
                    .find(|(known, _)| same_secret(known.as_bytes(), t.as_bytes()));
                match found {
                    None => AuthCheck::Invalid,
                    Some((_, Some(exp))) if *exp <= now => AuthCheck::Expired,
                    Some(_) => AuthCheck::Valid,
                }
            }
        };
        if auth != AuthCheck::Valid {
            return portal_error(
                StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                "Session token not found or invalid",
                auth,
            );
        }
        let (Some(role), Some(account)) = (&call.role_name, &call.account_id) else {
            return portal_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestException",
                "role_name and account_id are required",
                auth,
            );
        };
        if !self.roles.iter().any(|(a, r)| a == account && r == role) {
            return portal_error(
                StatusCode::FORBIDDEN,
                "ForbiddenException",
                "No access",
                auth,
            );
        }
        let life = i64::try_from(self.session_lifetime.as_secs()).unwrap_or(i64::MAX);
        let Ok(c) = Credentials::generate(now, now.saturating_add_secs(life)) else {
            return portal_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                "credentials unavailable",
                auth,
            );
        };
        let expiration_ms = c.expiration.unix_secs().saturating_mul(1000);
        json_reply(
            StatusCode::OK,
            &json!({
                "roleCredentials": {
                    "accessKeyId": c.access_key_id,
                    "secretAccessKey": c.secret_access_key,
                    "sessionToken": c.session_token,
                    "expiration": expiration_ms,
                }
            }),
            None,
            auth,
        )
    }

    fn create_token(&self, req: &RequestView<'_>, now: Timestamp, call: &mut SsoCall) -> Reply {
        call.operation = "CreateToken".to_owned();
        if *req.method != Method::POST {
            return oidc_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "InvalidRequestException",
                "invalid_request",
                "Only POST is supported",
            );
        }
        let Ok(body) = serde_json::from_slice::<Value>(req.body) else {
            return oidc_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestException",
                "invalid_request",
                "The body is not a JSON object",
            );
        };
        let field = |name: &str| body.get(name).and_then(Value::as_str);
        let client_ok = match (field("clientId"), field("clientSecret")) {
            (Some(id), Some(secret)) => self
                .clients
                .iter()
                .any(|(i, s)| i == id && same_secret(s.as_bytes(), secret.as_bytes())),
            _ => false,
        };
        if !client_ok {
            return oidc_error(
                StatusCode::UNAUTHORIZED,
                "InvalidClientException",
                "invalid_client",
                "Invalid client provided",
            );
        }
        if field("grantType") != Some("refresh_token") {
            return oidc_error(
                StatusCode::BAD_REQUEST,
                "UnsupportedGrantTypeException",
                "unsupported_grant_type",
                "Only the refresh_token grant is supported here",
            );
        }
        let refresh_ok = field("refreshToken").is_some_and(|given| {
            self.lock()
                .refresh_tokens
                .iter()
                .any(|t| same_secret(t.as_bytes(), given.as_bytes()))
        });
        if !refresh_ok {
            return oidc_error(
                StatusCode::BAD_REQUEST,
                "InvalidGrantException",
                "invalid_grant",
                "Invalid refresh token provided",
            );
        }
        let mint = |prefix: &str| -> Option<String> {
            let mut bytes = [0u8; 48];
            random::fill(&mut bytes).ok()?;
            Some(format!("{prefix}{}", random::base64_url(&bytes)))
        };
        let (Some(access), Some(refresh)) = (mint("aoa"), mint("aor")) else {
            return oidc_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                "server_error",
                "no random bytes",
            );
        };
        let life = i64::try_from(self.token_lifetime.as_secs()).unwrap_or(i64::MAX);
        {
            let mut state = self.lock();
            state
                .tokens
                .insert(access.clone(), Some(now.saturating_add_secs(life)));
            state.refresh_tokens.push(refresh.clone());
        }
        json_reply(
            StatusCode::OK,
            &json!({
                "accessToken": access,
                "tokenType": "Bearer",
                "expiresIn": life,
                "refreshToken": refresh,
            }),
            None,
            AuthCheck::Issued {
                ttl_seconds: u32::try_from(life).unwrap_or(u32::MAX),
            },
        )
    }
}

impl App for SsoApp {
    const SERVING: Serving = Serving::API;

    fn respond(&self, req: &RequestView<'_>, now: Timestamp) -> Reply {
        let mut call = SsoCall {
            operation: req.path.to_owned(),
            role_name: None,
            account_id: None,
            status: 0,
            error: None,
        };
        let reply = match req.path {
            ROLE_CREDENTIALS_PATH => self.role_credentials(req, now, &mut call),
            TOKEN_PATH => self.create_token(req, now, &mut call),
            _ => portal_error(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                "Not Found",
                AuthCheck::NotChecked,
            ),
        };
        call.status = reply.status.as_u16();
        if !reply.status.is_success() {
            call.error = reply
                .headers
                .iter()
                .find(|(n, _)| n.as_str() == "x-amzn-errortype")
                .and_then(|(_, v)| v.to_str().ok())
                .map(str::to_owned);
        }
        self.lock().calls.push(call);
        reply
    }

    fn status_reply(&self, status: StatusCode, _path: &str) -> Reply {
        let code = match status.as_u16() {
            429 => "TooManyRequestsException",
            s if s >= 500 => "InternalServerException",
            _ => "InjectedFault",
        };
        portal_error(status, code, "injected fault", AuthCheck::NotChecked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        let q = "role_name=Admin%20Role&account_id=123456789012&flag";
        assert_eq!(query_param(q, "role_name").as_deref(), Some("Admin Role"));
        assert_eq!(
            query_param(q, "account_id").as_deref(),
            Some("123456789012")
        );
        assert_eq!(query_param(q, "flag").as_deref(), Some(""));
        assert_eq!(query_param(q, "none"), None);
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
