//! The SSO base of a role plan (spec §8.3): `GetRoleCredentials` with the token of the SSO
//! token cache.

use std::path::PathBuf;
use std::sync::Arc;

use credchain_core::chain::{
    RETRIED_STATUSES, RoleFailureKind, RoleStep, STS_MAX_ATTEMPTS, backoff,
};
use credchain_core::sso::{
    CacheFileName, GetRoleCredentials, RoleCredentials, SsoServiceError, SsoToken, TokenCacheKey,
};
use credchain_core::sts::endpoint::EndpointError;
use credchain_core::time::Timestamp;
use credchain_http::{HttpsErrorKind, HttpsRequest};

use super::role::{Ctx, RoleCall, expires, role_err, split_origin};
use crate::clock::RandomSource;
use crate::credentials::timestamp_to_system_time;
use crate::{Credentials, Error, ProvideCredentials};

/// SSO `GetRoleCredentials` with the cached token (spec §8.3). An expired token is an error
/// that says to run `aws sso login`; the `sso-session` token refresh through SSO OIDC is not
/// made (credchain then asks for a login as well).
pub(super) struct SsoProvider {
    pub(super) ctx: Arc<Ctx>,
    pub(super) profile: String,
    pub(super) start_url: String,
    pub(super) session: Option<String>,
    pub(super) account_id: String,
    pub(super) role_name: String,
    pub(super) portal: Result<String, EndpointError>,
    pub(super) cache_dir: PathBuf,
}

impl SsoProvider {
    fn fail(&self, kind: RoleFailureKind, why: &str) -> Error {
        role_err(
            RoleStep::Base,
            kind,
            format!(
                "SSO role {} in account {} for profile {}: {why}",
                self.role_name, self.account_id, self.profile
            ),
        )
    }

    async fn fetch(&self) -> Result<Credentials, Error> {
        let login = format!(
            "run `aws sso login --profile {}` to sign in again",
            self.profile
        );
        let key = match &self.session {
            Some(s) => TokenCacheKey::SessionName(s),
            None => TokenCacheKey::StartUrl(&self.start_url),
        };
        let file = self.cache_dir.join(CacheFileName::new(key).as_str());
        let text = match std::fs::read(&file) {
            Ok(t) => zeroize::Zeroizing::new(t),
            Err(e) => {
                return Err(self.fail(
                    RoleFailureKind::SsoTokenMissing,
                    &format!(
                        "Error loading SSO Token: Token for {} does not exist ({}: {e}); {login}",
                        key.text(),
                        file.display()
                    ),
                ));
            }
        };
        let token = SsoToken::parse_bytes(&text).map_err(|e| {
            self.fail(
                RoleFailureKind::SsoTokenCorrupt,
                &format!(
                    "Error loading SSO Token: {} is not a valid token cache file: {e}; {login}",
                    file.display()
                ),
            )
        })?;
        let now = Timestamp::from_unix_secs(self.ctx.now()).unwrap_or(Timestamp::UNIX_EPOCH);
        if token.is_expired(now).unwrap_or(true) {
            return Err(self.fail(
                RoleFailureKind::SsoTokenExpired,
                &format!("the SSO token in {} has expired; {login}", file.display()),
            ));
        }
        let access_token = zeroize::Zeroizing::new(token.access_token.to_string());
        let portal = self
            .portal
            .as_ref()
            .map_err(|e| self.fail(RoleFailureKind::Endpoint(*e), &e.to_string()))?;
        let request = GetRoleCredentials {
            role_name: &self.role_name,
            account_id: &self.account_id,
            access_token: &access_token,
        };
        let (origin, base_path) = split_origin(portal);
        let size = self
            .role_name
            .len()
            .saturating_add(self.account_id.len())
            .saturating_mul(3)
            .saturating_add(base_path.len())
            .saturating_add(4096);
        let mut buf = vec![0u8; size];
        let target = request
            .write_target(base_path, &mut buf)
            .map_err(|e| self.fail(RoleFailureKind::Request, &e.to_string()))?;
        let url = format!("{origin}{target}");
        let client = self
            .ctx
            .client()
            .map_err(|e| self.fail(RoleFailureKind::Request, &e))?;
        let headers = [(
            credchain_core::sso::BEARER_TOKEN_HEADER,
            access_token.as_str(),
        )];
        let mut call = RoleCall {
            kind: "sso",
            profile: self.profile.clone(),
            role: format!("{} in account {}", self.role_name, self.account_id),
            session_name: None,
            signed_with: None,
            outcome: "failed",
            access_key_id: None,
            expires_at: None,
            error: None,
        };
        // botocore's SSO client retries as its STS client does (legacy mode: 5 attempts,
        // connection errors and the 5xx/429 statuses).
        let mut attempt: u8 = 0;
        let answer = loop {
            attempt = attempt.saturating_add(1);
            let sent = client
                .send(&HttpsRequest {
                    method: "GET",
                    url: &url,
                    headers: &headers,
                    body: b"",
                })
                .await;
            let retry = match &sent {
                Ok(r) => RETRIED_STATUSES.contains(&r.status()),
                Err(e) => !matches!(
                    e.kind(),
                    HttpsErrorKind::InvalidUrl
                        | HttpsErrorKind::InvalidRequest
                        | HttpsErrorKind::CaBundle
                ),
            };
            if !retry || attempt >= STS_MAX_ATTEMPTS {
                break sent;
            }
            let jitter = u32::try_from(self.ctx.random.next_u64() >> 32).unwrap_or(u32::MAX);
            tokio::time::sleep(backoff(attempt, jitter)).await;
        };
        let result = match answer {
            Err(e) => Err((
                RoleFailureKind::Transport,
                format!("Could not connect to the endpoint URL: \"{url}\": {e}"),
            )),
            Ok(r) if r.status() == 200 => match RoleCredentials::parse_bytes(r.body()) {
                Ok(rc) => match rc.expiration() {
                    Some(exp) => Ok(Credentials::new(
                        rc.access_key_id.to_string(),
                        rc.secret_access_key.to_string(),
                        Some(rc.session_token.to_string()),
                        "sso",
                    )
                    .with_expiry(Some(timestamp_to_system_time(exp)))
                    .with_account_id(Some(self.account_id.clone()))),
                    None => Err((
                        RoleFailureKind::BadResponse,
                        "the expiration is out of range".to_owned(),
                    )),
                },
                Err(e) => Err((RoleFailureKind::BadResponse, e.to_string())),
            },
            Ok(r) => {
                let body = std::str::from_utf8(r.body()).unwrap_or("");
                let e = SsoServiceError::parse(r.status(), r.header("x-amzn-errortype"), body);
                if e.is_unauthorized() {
                    Err((
                        RoleFailureKind::SsoTokenExpired,
                        format!("SSO refused the token ({}); {login}", e.code),
                    ))
                } else {
                    let mut text = e.code.to_string();
                    if let Some(m) = e.message {
                        text = format!("{text}: {m}");
                    }
                    Err((RoleFailureKind::Service { status: r.status() }, text))
                }
            }
        };
        match result {
            Ok(c) => {
                call.outcome = "assumed";
                call.access_key_id = Some(c.access_key_id().to_owned());
                call.expires_at = expires(&c);
                self.ctx.record(call);
                Ok(c)
            }
            Err((kind, why)) => {
                call.error = Some(why.clone());
                self.ctx.record(call);
                Err(self.fail(kind, &why))
            }
        }
    }
}

impl ProvideCredentials for SsoProvider {
    async fn provide(&self) -> Result<Credentials, Error> {
        self.fetch().await
    }
}
