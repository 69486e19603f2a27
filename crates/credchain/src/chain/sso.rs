//! The SSO base of a role plan (spec §8.3): the token of the SSO token cache, refreshed through
//! SSO OIDC for an `sso-session` profile, traded for role credentials with `GetRoleCredentials`.
//!
//! # The order of things, as botocore 1.43.11 does them
//!
//! 1. **The portal endpoint** (`AWS_ENDPOINT_URL_SSO`, `AWS_ENDPOINT_URL`, the `services`
//!    section's `sso`, `endpoint_url`, else `https://portal.sso.<sso_region>.…`): botocore
//!    makes the portal client first, so an endpoint that cannot be chosen is the first error.
//! 2. **An `sso-session` section without `sso_start_url` or `sso_region`** is an
//!    `InvalidConfigError`: botocore's token provider reads both from the section alone, even
//!    when the profile repeats them.
//! 3. **The token file** `~/.aws/sso/cache/<sha1>.json` (of the start URL for a legacy
//!    profile, of the session name for an `sso-session` one). Missing: `SSOTokenLoadError`;
//!    not JSON, without `accessToken`/`expiresAt`, or an `expiresAt` that cannot be read: a
//!    clear "not a valid token cache file" error.
//! 4. **Legacy profiles never refresh**: an expired token is `UnauthorizedSSOTokenError`
//!    ("run `aws sso login`") before any call.
//! 5. **`sso-session` profiles refresh** when less than 15 minutes remain
//!    ([`REFRESH_WINDOW_SECS`](credchain_core::sso::REFRESH_WINDOW_SECS)), as botocore's
//!    `SSOTokenProvider` does:
//!    - the file must hold `refreshToken`, `clientId`, `clientSecret` and
//!      `registrationExpiresAt`, and the registration must not have expired; otherwise no
//!      call is made (botocore logs why) and the token is used as it is;
//!    - SSO OIDC `CreateToken` (`POST <oidc endpoint>/token`, unsigned, JSON body; endpoint from
//!      `AWS_ENDPOINT_URL_SSO_OIDC`, `AWS_ENDPOINT_URL`, the `services` section's `sso_oidc`,
//!      `endpoint_url`, else `https://oidc.<sso_region>.…`), retried as botocore's legacy mode
//!      retries (5 attempts; connection errors, 429/500/502/503/504/509, and 400 with a
//!      throttling code);
//!    - an **error answer** (botocore's `ClientError`) is tolerated: credchain logs a warning
//!      and uses the old token;
//!    - **anything else fails the fetch**, even while the old token is still valid: the OIDC
//!      endpoint (or the proxy to it) unreachable after the retries (`EndpointConnectionError`,
//!      `ProxyConnectionError`), an answer without
//!      `accessToken`/`expiresIn`, an endpoint that cannot be chosen, or a refreshed token
//!      that cannot be written back. botocore's first refresh of a token is *mandatory*, and
//!      every credential fetch makes a new token object, so its advisory tolerance and its
//!      one-attempt-a-minute throttle never apply on this path; credchain needs neither;
//!    - the new token is written back **atomically** (a `0600` temporary file in the cache
//!      directory, synced, renamed over the old one, as botocore's `JSONFileCache` does) with
//!      botocore's fields in its order — `startUrl`, `region` (of the `[sso-session]`),
//!      `accessToken`, `expiresAt` (now + `expiresIn`, `%Y-%m-%dT%H:%M:%SZ`), `clientId`,
//!      `clientSecret`, `registrationExpiresAt`, and `refreshToken` when `CreateToken`
//!      returned one — other keys of the old file are dropped, as botocore drops them;
//!    - a token that has expired and was not refreshed is botocore's `TokenRetrievalError`:
//!      "Token has expired and refresh failed" (the message says why, and to run
//!      `aws sso login`).
//! 6. **`GetRoleCredentials`** with the token, retried the same way; `401
//!    UnauthorizedException` is `UnauthorizedSSOTokenError`.
//!
//! `explain` lists the `CreateToken` call (kind `sso-oidc`, outcome `refreshed` or `failed`)
//! before the `sso` call. No error, log line or `explain` entry holds a token or the client
//! secret.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use credchain_core::buf::Writer;
use credchain_core::chain::{
    Env, RETRIED_CODES, RETRIED_STATUSES, RoleFailureKind, RoleStep, STS_MAX_ATTEMPTS, SsoConfig,
    backoff,
};
use credchain_core::profile::{Merged, MergedProfile};
use credchain_core::sso::{
    CREATE_TOKEN_PATH, CacheFileName, CreateToken, CreateTokenResponse, ExpiresAtStyle,
    GetRoleCredentials, JSON_CONTENT_TYPE, RefreshedToken, RoleCredentials, SsoRefreshFailure,
    SsoServiceError, SsoToken, TokenCacheKey, push_joined_path,
};
use credchain_core::sts::endpoint::{
    ClientRegion, EndpointError, ServiceId, Variant, configured_endpoint, resolve_service,
};
use credchain_core::time::Timestamp;
use credchain_http::{HttpsRequest, HttpsResponse};
use zeroize::Zeroizing;

use super::role::{Ctx, RoleCall, expires, is_final, role_err, split_origin, transport_failure};
use super::role_cache::write_private;
use crate::clock::RandomSource;
use crate::credentials::timestamp_to_system_time;
use crate::{Credentials, Error, ProvideCredentials};

/// An SSO base, owned: what the profile and its `[sso-session]` say, and the two endpoints.
#[derive(Debug, Clone)]
pub(super) struct SsoJob {
    profile: String,
    start_url: String,
    /// `sso_region`.
    region: String,
    session: Option<String>,
    account_id: String,
    role_name: String,
    /// The portal URL, or why none could be chosen.
    portal: Result<String, EndpointError>,
    /// The SSO OIDC URL, or why none could be chosen.
    oidc: Result<String, EndpointError>,
    /// `sso_start_url` / `sso_region` when the `[sso-session]` section itself lacks them.
    session_missing: Vec<&'static str>,
    /// `~/.aws/sso/cache`.
    cache_dir: PathBuf,
}

/// The endpoint of an SSO service as a URL (spec §8.4): the configured one, else the
/// service's regional endpoint for `region` in `variant` (FIPS, dual-stack).
fn endpoint_url<'a>(
    service: ServiceId,
    region: &str,
    variant: Variant,
    env: &'a dyn Env,
    merged: &Merged<'a>,
    profile: Option<&MergedProfile<'a>>,
) -> Result<String, EndpointError> {
    let configured = configured_endpoint(service, env, merged, profile)?;
    let region = ClientRegion::new(region)?;
    let e = resolve_service(service, &region, configured, variant)?;
    let mut buf = vec![0u8; 4096];
    e.write_url(&mut buf)
        .map(str::to_owned)
        .map_err(|_| EndpointError::InvalidRegion)
}

impl SsoJob {
    /// The job of `c`; `profile` is the selected profile (its `services` / `endpoint_url`
    /// configure the endpoints, as botocore's session config does), `home` the home directory.
    pub(super) fn new<'a>(
        c: &SsoConfig<'_>,
        env: &'a dyn Env,
        merged: &Merged<'a>,
        profile: Option<&MergedProfile<'a>>,
        variant: Variant,
        home: &str,
    ) -> SsoJob {
        let region = c.region.to_string();
        let session = c.session.as_ref().map(ToString::to_string);
        let section = session.as_deref().and_then(|s| merged.sso_session(s));
        let session_missing = match (&session, section) {
            (Some(_), Some(section)) => ["sso_start_url", "sso_region"]
                .into_iter()
                .filter(|k| section.get(k).is_none())
                .collect(),
            _ => Vec::new(),
        };
        SsoJob {
            profile: c.profile.to_string(),
            start_url: c.start_url.to_string(),
            portal: endpoint_url(ServiceId::SSO, &region, variant, env, merged, profile),
            oidc: endpoint_url(ServiceId::SSO_OIDC, &region, variant, env, merged, profile),
            region,
            session,
            account_id: c.account_id.to_string(),
            role_name: c.role_name.to_string(),
            session_missing,
            cache_dir: Path::new(home).join(".aws").join("sso").join("cache"),
        }
    }
}

/// SSO `GetRoleCredentials` with the cached token, refreshed first for an `sso-session`
/// profile (see the [module documentation](self)).
pub(super) struct SsoProvider {
    pub(super) ctx: Arc<Ctx>,
    pub(super) job: SsoJob,
}

/// What the refresh step gave.
enum Refresh {
    /// A new token, written to the cache.
    Done {
        access_token: Zeroizing<String>,
        expires_at: Timestamp,
    },
    /// No new token (the old one is used if it is still valid), and why.
    Skipped(String),
}

/// Whether an answer is retried by botocore's legacy retry mode (`_retry.json`): the statuses,
/// and a 400 with one of the general throttling codes (the STS list without STS's own
/// `IDPCommunicationError`).
fn retried_answer(r: &HttpsResponse) -> bool {
    if RETRIED_STATUSES.contains(&r.status()) {
        return true;
    }
    if r.status() != 400 {
        return false;
    }
    let body = std::str::from_utf8(r.body()).unwrap_or("");
    let e = SsoServiceError::parse(r.status(), r.header("x-amzn-errortype"), body);
    RETRIED_CODES
        .iter()
        .filter(|c| **c != "IDPCommunicationError")
        .any(|c| e.code.is(c))
}

/// `code: message` of an error answer (the code alone without a message).
fn service_error_text(r: &HttpsResponse) -> String {
    let body = std::str::from_utf8(r.body()).unwrap_or("");
    let e = SsoServiceError::parse(r.status(), r.header("x-amzn-errortype"), body);
    match e.message {
        Some(m) => format!("{}: {m}", e.code),
        None => e.code.to_string(),
    }
}

impl SsoProvider {
    fn login(&self) -> String {
        format!(
            "run `aws sso login --profile {}` to sign in again",
            self.job.profile
        )
    }

    fn fail(&self, kind: RoleFailureKind, why: &str) -> Error {
        role_err(
            RoleStep::Base,
            kind,
            format!(
                "SSO role {} in account {} for profile {}: {why}",
                self.job.role_name, self.job.account_id, self.job.profile
            ),
        )
    }

    /// A failure of the refresh step, naming the session, the cache file and the step.
    fn refresh_fail(&self, kind: RoleFailureKind, file: &Path, step: &str, why: &str) -> Error {
        let session = self.job.session.as_deref().unwrap_or("");
        self.fail(
            kind,
            &format!(
                "sso-session {session} (token cache file {}): {step}: {why}",
                file.display()
            ),
        )
    }

    /// Sends `request`, retrying as botocore's legacy retry mode does for the SSO clients.
    async fn send_retried(
        &self,
        request: &HttpsRequest<'_>,
    ) -> Result<HttpsResponse, (RoleFailureKind, String)> {
        let client = self
            .ctx
            .client()
            .map_err(|e| (RoleFailureKind::Request, e))?;
        let mut attempt: u8 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let sent = client.send(request).await;
            let retry = match &sent {
                Ok(r) => retried_answer(r),
                Err(e) => !is_final(e),
            };
            if !retry || attempt >= STS_MAX_ATTEMPTS {
                return sent.map_err(|e| transport_failure(request.url, &e));
            }
            let jitter = u32::try_from(self.ctx.random.next_u64() >> 32).unwrap_or(u32::MAX);
            tokio::time::sleep(backoff(attempt, jitter)).await;
        }
    }

    async fn fetch(&self) -> Result<Credentials, Error> {
        let login = self.login();
        let portal = self
            .job
            .portal
            .as_ref()
            .map_err(|e| self.fail(RoleFailureKind::Endpoint(*e), &e.to_string()))?;
        let key = self.key();
        if let Some(session) = &self.job.session
            && !self.job.session_missing.is_empty()
        {
            let missing: Vec<String> = self
                .job
                .session_missing
                .iter()
                .map(|k| format!("'{k}'"))
                .collect();
            return Err(self.fail(
                RoleFailureKind::SsoRefresh(SsoRefreshFailure::SessionIncomplete),
                &format!(
                    "The profile \"{}\" is configured to use the SSO token provider but is \
                     missing the following configuration: [{}]. (botocore reads them from the \
                     [sso-session {session}] section, not from the profile: add them there)",
                    self.job.profile,
                    missing.join(", ")
                ),
            ));
        }
        let file = self.job.cache_dir.join(CacheFileName::new(key).as_str());
        let text = match std::fs::read(&file) {
            Ok(t) => Zeroizing::new(t),
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
        let corrupt = |why: String| {
            self.fail(
                RoleFailureKind::SsoTokenCorrupt,
                &format!(
                    "Error loading SSO Token: {} is not a valid token cache file: {why}; {login}",
                    file.display()
                ),
            )
        };
        let token = SsoToken::parse_bytes(&text).map_err(|e| corrupt(e.to_string()))?;
        let expires_at = token.expires_at().map_err(|e| {
            corrupt(format!(
                "its expiresAt ({}) cannot be read: {e}",
                token.expires_at
            ))
        })?;
        let now = self.now();
        let access_token = match &self.job.session {
            None => {
                // Legacy profiles never refresh (botocore checks the expiry before the call).
                if expires_at <= now {
                    return Err(self.fail(
                        RoleFailureKind::SsoTokenExpired,
                        &format!(
                            "the SSO token in {} expired at {expires_at}; {login}",
                            file.display()
                        ),
                    ));
                }
                Zeroizing::new(token.access_token.to_string())
            }
            Some(_) if !token.needs_refresh(now).unwrap_or(true) => {
                Zeroizing::new(token.access_token.to_string())
            }
            Some(_) => {
                let (access_token, expiry, skipped) = match self.refresh(&file, &token, now).await?
                {
                    Refresh::Done {
                        access_token,
                        expires_at,
                    } => (access_token, expires_at, None),
                    Refresh::Skipped(why) => (
                        Zeroizing::new(token.access_token.to_string()),
                        expires_at,
                        Some(why),
                    ),
                };
                // botocore's `_is_expired`, after the refresh attempt.
                if expiry <= self.now() {
                    let why = skipped
                        .as_deref()
                        .unwrap_or("SSO OIDC returned an expired token");
                    return Err(self.refresh_fail(
                        RoleFailureKind::SsoRefresh(SsoRefreshFailure::Expired),
                        &file,
                        "refreshing the token",
                        &format!(
                            "{} (the token expired at {expiry}; {why}); {login}",
                            SsoRefreshFailure::Expired
                        ),
                    ));
                }
                if let Some(why) = skipped {
                    self.note(
                        &file,
                        expiry,
                        &format!(
                            "the SSO token was not refreshed ({why}); it is still valid and is \
                             used as it is"
                        ),
                    );
                }
                access_token
            }
        };
        self.role_credentials(portal, &access_token).await
    }

    /// What names the token file: the session name, or a legacy profile's start URL.
    fn key(&self) -> TokenCacheKey<'_> {
        match &self.job.session {
            Some(s) => TokenCacheKey::SessionName(s),
            None => TokenCacheKey::StartUrl(&self.job.start_url),
        }
    }

    /// The `explain` record of an unsigned call to `url`, failed until said otherwise.
    fn call(&self, kind: &'static str, url: &str, role: String) -> RoleCall {
        RoleCall {
            kind,
            endpoint: Some(url.to_owned()),
            profile: self.job.profile.clone(),
            role,
            session_name: None,
            signed_with: None,
            outcome: "failed",
            access_key_id: None,
            expires_at: None,
            error: None,
        }
    }

    /// An `info` event about the token of `file` (never the token itself).
    fn note(&self, file: &Path, expires_at: Timestamp, what: &str) {
        tracing::info!(
            target: "credchain::chain",
            profile = %self.job.profile,
            file = %file.display(),
            expires_at = %expires_at,
            "{what}"
        );
    }

    fn now(&self) -> Timestamp {
        Timestamp::from_unix_secs(self.ctx.now()).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// botocore's `SSOTokenProvider._refresh_access_token` and `_attempt_create_token`, and the
    /// cache write of `_refresher`.
    async fn refresh(
        &self,
        file: &Path,
        token: &SsoToken<'_>,
        now: Timestamp,
    ) -> Result<Refresh, Error> {
        let Some(registration) = token.registration() else {
            let missing: Vec<String> = token
                .missing_registration_keys()
                .map(|k| format!("'{k}'"))
                .collect();
            return Ok(Refresh::Skipped(format!(
                "it cannot be refreshed: the file lacks [{}]",
                missing.join(", ")
            )));
        };
        match registration.is_valid_at(now) {
            Ok(true) => {}
            Ok(false) => {
                return Ok(Refresh::Skipped(format!(
                    "it cannot be refreshed: the client registration expired at {}",
                    registration.registration_expires_at
                )));
            }
            Err(e) => {
                return Err(self.refresh_fail(
                    RoleFailureKind::SsoTokenCorrupt,
                    file,
                    "reading the client registration",
                    &format!(
                        "its registrationExpiresAt ({}) cannot be read: {e}; {}",
                        registration.registration_expires_at,
                        self.login()
                    ),
                ));
            }
        }
        let step = "SSO OIDC CreateToken";
        let oidc = self.job.oidc.as_ref().map_err(|e| {
            self.refresh_fail(RoleFailureKind::Endpoint(*e), file, step, &e.to_string())
        })?;
        let client_id = registration.client_id.to_string();
        let client_secret = Zeroizing::new(registration.client_secret.to_string());
        let refresh_token = Zeroizing::new(registration.refresh_token.to_string());
        let request = CreateToken {
            client_id: &client_id,
            client_secret: &client_secret,
            refresh_token: &refresh_token,
        };
        let size = client_id
            .len()
            .saturating_add(client_secret.len())
            .saturating_add(refresh_token.len())
            .saturating_mul(6)
            .saturating_add(256);
        let mut body = Zeroizing::new(vec![0u8; size]);
        let body_len = request
            .write_body(&mut body)
            .map(str::len)
            .map_err(|e| self.refresh_fail(RoleFailureKind::Request, file, step, &e.to_string()))?;
        let (origin, base_path) = split_origin(oidc);
        let mut path = vec![
            0u8;
            base_path
                .len()
                .saturating_add(CREATE_TOKEN_PATH.len())
                .saturating_add(8)
        ];
        let mut w = Writer::new(&mut path);
        push_joined_path(&mut w, base_path, CREATE_TOKEN_PATH);
        let path = w
            .finish()
            .map_err(|e| self.refresh_fail(RoleFailureKind::Request, file, step, &e.to_string()))?;
        let url = format!("{origin}{path}");
        let mut call = self.call(
            "sso-oidc",
            &url,
            format!(
                "CreateToken for sso-session {}",
                self.job.session.as_deref().unwrap_or("")
            ),
        );
        let headers = [("Content-Type", JSON_CONTENT_TYPE)];
        let sent = self
            .send_retried(&HttpsRequest {
                method: CreateToken::METHOD,
                url: &url,
                headers: &headers,
                body: body.get(..body_len).unwrap_or(&[]),
            })
            .await;
        let answer = match sent {
            Err((kind, why)) => {
                call.error = Some(why.clone());
                self.ctx.record(call);
                return Err(self.refresh_fail(kind, file, step, &why));
            }
            Ok(r) => r,
        };
        if !(200..300).contains(&answer.status()) {
            // botocore's ClientError: logged, and the old token is used if still valid.
            let why = format!(
                "SSO OIDC refused the refresh (HTTP {}: {})",
                answer.status(),
                service_error_text(&answer)
            );
            tracing::warn!(
                target: "credchain::chain",
                profile = %self.job.profile,
                file = %file.display(),
                "SSO token refresh attempt failed: {why}"
            );
            call.error = Some(why.clone());
            self.ctx.record(call);
            return Ok(Refresh::Skipped(why));
        }
        let read = CreateTokenResponse::parse_bytes(answer.body())
            .map_err(|e| e.to_string())
            .and_then(|r| {
                r.expires_at(self.now())
                    .map(|t| (r, t))
                    .ok_or_else(|| format!("expiresIn {} is out of range", r.expires_in))
            });
        let (response, new_expiry) = match read {
            Ok(r) => r,
            Err(why) => {
                call.error = Some(why.clone());
                self.ctx.record(call);
                return Err(self.refresh_fail(RoleFailureKind::BadResponse, file, step, &why));
            }
        };
        let access_token = Zeroizing::new(response.access_token.to_string());
        let new_refresh = response
            .refresh_token
            .map(|t| Zeroizing::new(t.to_string()));
        let registration_expires_at = registration.registration_expires_at.to_string();
        let refreshed = RefreshedToken {
            start_url: &self.job.start_url,
            region: &self.job.region,
            access_token: &access_token,
            expires_at: new_expiry,
            client_id: &client_id,
            client_secret: &client_secret,
            registration_expires_at: &registration_expires_at,
            refresh_token: new_refresh.as_deref().map(String::as_str),
        };
        let json_size = self
            .job
            .start_url
            .len()
            .saturating_add(self.job.region.len())
            .saturating_add(access_token.len())
            .saturating_add(client_id.len())
            .saturating_add(client_secret.len())
            .saturating_add(registration_expires_at.len())
            .saturating_add(new_refresh.as_ref().map_or(0, |r| r.len()))
            .saturating_mul(6)
            .saturating_add(512);
        let mut json = Zeroizing::new(vec![0u8; json_size]);
        let json_len = refreshed
            .write_json(ExpiresAtStyle::Rfc3339, &mut json)
            .map(str::len)
            .map_err(|e| {
                self.refresh_fail(
                    RoleFailureKind::Request,
                    file,
                    "writing the refreshed token",
                    &e.to_string(),
                )
            })?;
        call.outcome = "refreshed";
        call.expires_at = Some(new_expiry.to_string());
        self.ctx.record(call);
        // botocore's JSONFileCache: a `0600` temporary file beside the target, synced, then
        // renamed over it.
        let tmp = self.job.cache_dir.join(format!(
            ".{}.{}.{:016x}.tmp",
            CacheFileName::new(self.key()),
            std::process::id(),
            self.ctx.random.next_u64()
        ));
        write_private(
            &self.job.cache_dir,
            &tmp,
            file,
            json.get(..json_len).unwrap_or(&[]),
        )
        .map_err(|e| {
            self.refresh_fail(
                RoleFailureKind::SsoRefresh(SsoRefreshFailure::CacheWrite),
                file,
                "writing the refreshed token back to the cache",
                &format!(
                    "{e}; make the directory {} writable",
                    self.job.cache_dir.display()
                ),
            )
        })?;
        self.note(file, new_expiry, "SSO Token refresh succeeded");
        Ok(Refresh::Done {
            access_token,
            expires_at: new_expiry,
        })
    }

    /// `GetRoleCredentials` with `access_token`.
    async fn role_credentials(
        &self,
        portal: &str,
        access_token: &str,
    ) -> Result<Credentials, Error> {
        let login = self.login();
        let request = GetRoleCredentials {
            role_name: &self.job.role_name,
            account_id: &self.job.account_id,
            access_token,
        };
        let (origin, base_path) = split_origin(portal);
        let size = self
            .job
            .role_name
            .len()
            .saturating_add(self.job.account_id.len())
            .saturating_mul(3)
            .saturating_add(base_path.len())
            .saturating_add(4096);
        let mut buf = vec![0u8; size];
        let target = request
            .write_target(base_path, &mut buf)
            .map_err(|e| self.fail(RoleFailureKind::Request, &e.to_string()))?;
        let url = format!("{origin}{target}");
        let headers = [(credchain_core::sso::BEARER_TOKEN_HEADER, access_token)];
        let mut call = self.call(
            "sso",
            &url,
            format!("{} in account {}", self.job.role_name, self.job.account_id),
        );
        let sent = self
            .send_retried(&HttpsRequest {
                method: GetRoleCredentials::METHOD,
                url: &url,
                headers: &headers,
                body: b"",
            })
            .await;
        let result = match sent {
            Err(failure) => Err(failure),
            Ok(r) if r.status() == 200 => match RoleCredentials::parse_bytes(r.body()) {
                Ok(rc) => match rc.expiration() {
                    Some(exp) => Ok(Credentials::new(
                        rc.access_key_id.to_string(),
                        rc.secret_access_key.to_string(),
                        Some(rc.session_token.to_string()),
                        "sso",
                    )
                    .with_expiry(Some(timestamp_to_system_time(exp)))
                    .with_account_id(Some(self.job.account_id.clone()))),
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
                    Err((
                        RoleFailureKind::Service { status: r.status() },
                        service_error_text(&r),
                    ))
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
