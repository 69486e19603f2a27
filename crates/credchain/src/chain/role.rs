//! Carrying out a role plan (spec §8): the base credentials, then each role signed with the
//! previous one's credentials, every level behind its own [`CredentialsCache`].
//!
//! The walk hands out [`RoleWork`]; [`RoleJob::from_work`] turns it into owned values (the
//! STS endpoint and signing region of `sts::endpoint`, the SSO portal URL, the trust roots of
//! `AWS_CA_BUNDLE` / `ca_bundle`) while the walk still borrows the files. [`run`] then builds
//! a stack of providers — the base ([`StaticProvider`] for keys, the fetched source's own
//! refresher for `credential_process` / container / IMDS, [`WebIdentityProvider`], the SSO
//! provider of `chain::sso`), and one [`AssumeRoleProvider`] per hop over the cache of the
//! level below — and asks the top once. A hop whose source refreshes is signed again with the fresh keys,
//! because it asks the cache below at every call.
//!
//! Every call is recorded for `explain` ([`RoleCall`]): the profile, the role, the session
//! name, the access key id that signed (never a secret), the outcome and the expiry.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credchain_core::chain::{
    Attempt, RoleBase, RoleFailure, RoleFailureKind, RoleStep, RoleWork, Source, StsExchange,
    StsFailure, StsVerdict, Walk, assume_role_request, prepare_assume_role, prepare_web_identity,
};
use credchain_core::sigv4::SigningKeys;
use credchain_core::sso::Sha1Hex;
use credchain_core::sts::cache_key::{AssumeRoleKey, WebIdentityKey};
use credchain_core::sts::endpoint::{
    ClientRegion, EndpointError, ServiceId, configured_endpoint, endpoint_variant,
    resolve_sts_with, sts_regional_endpoints,
};
use credchain_core::sts::validate::{validate_assume_role, validate_web_identity};
use credchain_core::sts::{AssumeRoleWithWebIdentity, DefaultSessionName, Mfa, StsOperation};
use credchain_core::time::Timestamp;
use credchain_http::{
    HttpsClient, HttpsError, HttpsErrorKind, HttpsOptions, HttpsRequest, TrustRoots,
};
use serde::Serialize;

use super::Settings;
use super::role_cache::{RoleFileCache, cache_call};
use crate::clock::{Clock, OsRandom, RandomSource};
use crate::credentials::{timestamp_to_system_time, unix_secs_floor};
use crate::{
    AdvisoryRefresh, Credentials, CredentialsCache, Error, ProvideCredentials, SharedProvider,
};

/// A caller's MFA prompt: given the profile and the `mfa_serial`, the code (botocore prompts
/// `Enter MFA code for <serial>: `).
pub type MfaPrompt = Arc<
    dyn Fn(&str, &str) -> Result<String, Box<dyn std::error::Error + Send + Sync>> + Send + Sync,
>;

/// One STS or SSO call of a role plan, for `explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleCall {
    /// `assume-role`, `assume-role-with-web-identity`, `sso`, or `sso-oidc` (the SSO OIDC
    /// `CreateToken` refresh of an `sso-session` token, before its `sso` call).
    pub kind: &'static str,
    /// The profile whose configuration the call carries out.
    pub profile: String,
    /// The role (`role_arn`; for SSO `sso_role_name` in account `sso_account_id`; for
    /// `sso-oidc` `CreateToken for sso-session <name>`).
    pub role: String,
    /// Where the call went: the STS, SSO portal or SSO OIDC endpoint URL as resolved
    /// (`AWS_ENDPOINT_URL_*`, FIPS and dual-stack included); `None` when no call was made
    /// (the role cache answered).
    pub endpoint: Option<String>,
    /// The session name sent (`None` for SSO).
    pub session_name: Option<String>,
    /// The access key id that signed the call (`None`: unsigned, web identity and SSO).
    pub signed_with: Option<String>,
    /// `assumed` or `failed` (`refreshed` for `sso-oidc`, whose `expires_at` is the new
    /// token's); with a role cache directory
    /// ([`DefaultChainBuilder::role_cache_dir`](super::DefaultChainBuilder::role_cache_dir)) also
    /// `cached` (the AWS CLI's cache file had them, no STS call), `cache-ignored` (a cache file
    /// that is unreadable, not a cache document, or expires within 15 minutes: `error` says
    /// which, and STS is called) and `cache-not-written` (`error` says why).
    pub outcome: &'static str,
    /// The access key id received.
    pub access_key_id: Option<String>,
    /// When the credentials received expire, RFC 3339.
    pub expires_at: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A failure of a role step, with the message for the caller; the source of the facade
/// [`Error`] that a role provider returns.
#[derive(Debug, Clone)]
pub(crate) struct RoleError {
    pub(crate) failure: RoleFailure,
    pub(crate) message: String,
}

impl fmt::Display for RoleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RoleError {}

/// Finds the [`RoleError`] under a facade error, if any.
pub(crate) fn role_error_of(e: &Error) -> Option<RoleError> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(r) = c.downcast_ref::<RoleError>() {
            return Some(r.clone());
        }
        cause = c.source();
    }
    None
}

/// A role to assume, owned.
#[derive(Debug, Clone)]
pub(crate) struct HopJob {
    profile: String,
    role_arn: String,
    external_id: Option<String>,
    session_name: Option<String>,
    mfa_serial: Option<String>,
    duration_seconds: Option<i64>,
}

/// The base of a plan, owned.
#[derive(Debug, Clone)]
pub(crate) enum BaseJob {
    /// Keys the walk found (static keys of a source profile, `credential_source = Environment`).
    Keys(Credentials),
    /// The credentials the previous action fetched (process, container, IMDS).
    Fetched,
    /// `AssumeRoleWithWebIdentity`.
    WebIdentity {
        profile: String,
        token_file: String,
        role_arn: String,
        session_name: Option<String>,
    },
    /// SSO `GetRoleCredentials`, after an SSO OIDC token refresh for an `sso-session`.
    Sso(super::sso::SsoJob),
}

/// A role plan, owned, with where to send its calls.
#[derive(Debug, Clone)]
pub(crate) struct RoleJob {
    pub(crate) source: Source,
    base: BaseJob,
    hops: Vec<HopJob>,
    /// The STS URL and signing region (`None`: a custom endpoint without a region).
    sts: Result<(String, Option<String>), EndpointError>,
    roots: TrustRoots,
}

fn owned(s: &credchain_core::chain::Str<'_>) -> String {
    s.to_string()
}

impl RoleJob {
    /// The owned job of `work`, with the endpoint settings read from the walk's files and
    /// environment (spec §8.4).
    pub(crate) fn from_work(work: &RoleWork<'_>, walk: &Walk<'_>, s: &Settings) -> RoleJob {
        let merged = walk.merged();
        let selected = walk.profile().effective();
        let profile = merged.profile(selected);
        let env: &dyn credchain_core::chain::Env = &s.env;
        let value = |key: &str| {
            profile
                .as_ref()
                .and_then(|p| p.get(key))
                .and_then(|(v, _)| v.as_str())
        };
        // botocore's nested clients use the session's region: AWS_DEFAULT_REGION, then the
        // profile's `region` (spec §8.4).
        let region = env
            .var("AWS_DEFAULT_REGION")
            .filter(|r| !r.is_empty())
            .or_else(|| value("region").filter(|r| !r.is_empty()));
        // FIPS and dual-stack, as botocore's STS, SSO and SSO-OIDC clients read them.
        let variant = endpoint_variant(env, profile.as_ref());
        let sts = configured_endpoint(ServiceId::STS, env, merged, profile.as_ref()).and_then(
            |configured| {
                let regional = sts_regional_endpoints(env, profile.as_ref());
                let region = region.map(ClientRegion::new).transpose()?;
                let e = resolve_sts_with(region.as_ref(), regional.as_ref(), configured, variant)?;
                let mut buf = vec![0u8; 4096];
                let url = e
                    .url
                    .write_url(&mut buf)
                    .map_err(|_| EndpointError::InvalidRegion)?
                    .to_owned();
                Ok((url, e.signing_region.map(str::to_owned)))
            },
        );
        let roots = TrustRoots::from_ca_bundle(env.var("AWS_CA_BUNDLE"), value("ca_bundle"));
        let base = match work.base {
            RoleBase::Static { .. } | RoleBase::CredentialSource(_)
                if work.base_credentials.is_some() =>
            {
                let c = work.base_credentials.as_ref().map(|c| {
                    Credentials::new(
                        c.access_key_id.to_string(),
                        c.secret_access_key.to_string(),
                        c.session_token.map(|t| t.to_string()),
                        "assume-role",
                    )
                    .with_expiry(c.expiry.map(timestamp_to_system_time))
                });
                c.map_or(BaseJob::Fetched, BaseJob::Keys)
            }
            RoleBase::Static { credentials, .. } => BaseJob::Keys(Credentials::new(
                credentials.access_key_id.to_string(),
                credentials.secret_access_key.to_string(),
                credentials.session_token.map(|t| t.to_string()),
                "assume-role",
            )),
            RoleBase::CredentialSource(_) | RoleBase::Process { .. } => BaseJob::Fetched,
            RoleBase::WebIdentity(w) => BaseJob::WebIdentity {
                profile: work
                    .hops
                    .get(0)
                    .map_or_else(|| selected.to_owned(), |h| owned(&h.profile)),
                token_file: owned(&w.token_file),
                role_arn: owned(&w.role_arn),
                session_name: w.role_session_name.as_ref().map(owned),
            },
            RoleBase::Sso(c) => BaseJob::Sso(super::sso::SsoJob::new(
                &c,
                env,
                merged,
                profile.as_ref(),
                variant,
                env.var("HOME").unwrap_or(""),
            )),
        };
        let hops = work
            .hops
            .iter()
            .map(|h| HopJob {
                profile: owned(&h.profile),
                role_arn: owned(&h.role_arn),
                external_id: h.external_id.as_ref().map(owned),
                session_name: h.role_session_name.as_ref().map(owned),
                mfa_serial: h.mfa_serial.as_ref().map(owned),
                duration_seconds: h.duration_seconds,
            })
            .collect();
        RoleJob {
            source: work.source,
            base,
            hops,
            sts,
            roots,
        }
    }
}

/// What running a job gave.
pub(crate) struct RoleRun {
    /// The credentials and the provider that refreshes them, or the failure.
    pub(crate) result: Result<(Credentials, SharedProvider), RoleError>,
    /// Every call made, in order.
    pub(crate) calls: Vec<RoleCall>,
}

/// The shared parts of every call of one chain.
pub(super) struct Ctx {
    pub(super) client: Result<HttpsClient, String>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) random: OsRandom,
    calls: Mutex<Vec<RoleCall>>,
    mfa: Option<MfaPrompt>,
    pub(super) provider: &'static str,
    /// The AWS CLI's JSON file cache of assumed credentials, when the caller opted in.
    pub(super) role_cache: Option<RoleFileCache>,
}

impl Ctx {
    pub(super) fn now(&self) -> i64 {
        unix_secs_floor(self.clock.now())
    }

    pub(super) fn record(&self, call: RoleCall) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }

    /// Records `call` with the outcome of the STS call it describes, and hands the outcome on.
    fn record_result(
        &self,
        mut call: RoleCall,
        result: Result<Credentials, (RoleFailureKind, String)>,
    ) -> Result<Credentials, (RoleFailureKind, String)> {
        match &result {
            Ok(c) => {
                call.access_key_id = Some(c.access_key_id().to_owned());
                call.expires_at = expires(c);
            }
            Err((_, why)) => {
                call.outcome = "failed";
                call.error = Some(why.clone());
            }
        }
        self.record(call);
        result
    }

    pub(super) fn client(&self) -> Result<&HttpsClient, String> {
        self.client.as_ref().map_err(Clone::clone)
    }
}

pub(super) fn role_err(step: RoleStep, kind: RoleFailureKind, message: String) -> Error {
    let provider = "assume-role";
    Error::failed(
        provider,
        RoleError {
            failure: RoleFailure { step, kind },
            message,
        },
    )
}

/// The proxies botocore would use for STS and SSO: `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`
/// of the chain's environment (`credchain_http::proxy`).
fn proxies_of(env: &credchain_fs::EnvSnapshot) -> credchain_http::Proxies {
    credchain_http::Proxies::from_vars(
        env.iter()
            .filter_map(|(k, v)| Some((k.to_str()?, v.to_str()?))),
    )
}

/// Carries out `job`; `fetched` holds the base credentials and their refresher when the walk
/// fetched them with the action before.
pub(crate) async fn run(
    s: &Settings,
    job: RoleJob,
    fetched: Option<(Credentials, super::resolve::Refresher)>,
) -> RoleRun {
    let provider = job.source.method_name();
    let ctx = Arc::new(Ctx {
        client: HttpsClient::new(
            s.connect_to.iter().fold(
                HttpsOptions::default().with_proxies(proxies_of(&s.env)),
                |o, c| o.with_connect_to(&c.host, c.port, c.addr),
            ),
            job.roots.clone(),
        )
        .map_err(|e| e.to_string()),
        clock: s.clock.clone(),
        random: OsRandom,
        calls: Mutex::new(Vec::new()),
        mfa: s.mfa_prompt.clone(),
        provider,
        role_cache: s.role_cache_dir.clone().map(|dir| RoleFileCache { dir }),
    });
    // Each level refreshes as botocore's `RefreshableCredentials` does: in the caller's own
    // thread (so an advisory refresh is waited for) and on fractional time.
    let cache = |p: SharedProvider, seed: Option<Credentials>| {
        let mut b = CredentialsCache::builder(p)
            .policy(s.policy)
            .clock(BotocoreClock(s.clock.clone()))
            .advisory_refresh(AdvisoryRefresh::Wait);
        if let Some(c) = seed {
            b = b.seed(c);
        }
        Arc::new(b.build())
    };
    let of = job.hops.len();
    let (mut below, _): (Option<Arc<CredentialsCache<SharedProvider>>>, ()) = match job.base.clone()
    {
        BaseJob::Keys(c) => (
            Some(cache(
                SharedProvider::named(provider, crate::StaticProvider::new(c.clone())),
                Some(c),
            )),
            (),
        ),
        BaseJob::Fetched => match fetched {
            Some((c, refresher)) => {
                let p = refresher.into_provider(provider, &c);
                (Some(cache(p, Some(c))), ())
            }
            None => {
                return RoleRun {
                    result: Err(RoleError {
                        failure: RoleFailure {
                            step: RoleStep::Base,
                            kind: RoleFailureKind::Request,
                        },
                        message: "the base credentials of the role were not fetched (a \
                                      bug: please report it)"
                            .to_owned(),
                    }),
                    calls: Vec::new(),
                };
            }
        },
        BaseJob::WebIdentity { .. } | BaseJob::Sso(_) => (None, ()),
    };
    let mut top: SharedProvider = match &job.base {
        BaseJob::WebIdentity {
            profile,
            token_file,
            role_arn,
            session_name,
        } => SharedProvider::named(
            "assume-role-with-web-identity",
            WebIdentityProvider {
                ctx: ctx.clone(),
                profile: profile.clone(),
                token_file: token_file.clone(),
                role_arn: role_arn.clone(),
                session_name: session_name.clone(),
                sts: job.sts.clone(),
                // The AWS CLI gives its file cache to the chain's own web identity provider;
                // a source profile's web identity (a plan with roles on top) keeps botocore's
                // in-memory cache.
                file_cache: job.hops.is_empty(),
            },
        ),
        BaseJob::Sso(sso) => SharedProvider::named(
            "sso",
            super::sso::SsoProvider {
                ctx: ctx.clone(),
                job: sso.clone(),
            },
        ),
        _ => {
            // Replaced by the first hop below (a plan with a fetched or static base has one).
            SharedProvider::named(
                provider,
                crate::StaticProvider::new(Credentials::new("", "", None, provider)),
            )
        }
    };
    for (i, hop) in job.hops.iter().enumerate() {
        let source_cache = match below.take() {
            Some(c) => c,
            None => cache(top.clone(), None),
        };
        top = SharedProvider::named(
            provider,
            AssumeRoleProvider {
                ctx: ctx.clone(),
                source: source_cache,
                hop: hop.clone(),
                step: RoleStep::hop(i, of),
                sts: job.sts.clone(),
                mfa_used: AtomicBool::new(false),
            },
        );
    }
    let result = match top.provide().await {
        // botocore's role credentials are deferred (spec §5.5): the first use fetches them and
        // hands them out as they are, even inside the refresh windows. The chain's cache
        // starts empty and its first fetch gets this set.
        Ok(c) => Ok((
            c.clone(),
            SharedProvider::named(
                provider,
                FirstThen {
                    first: Mutex::new(Some(c)),
                    then: top,
                },
            ),
        )),
        Err(e) => Err(role_error_of(&e).unwrap_or_else(|| RoleError {
            failure: RoleFailure {
                step: RoleStep::Base,
                kind: RoleFailureKind::Transport,
            },
            message: e.to_string(),
        })),
    };
    let calls = std::mem::take(&mut *ctx.calls.lock().unwrap_or_else(PoisonError::into_inner));
    RoleRun { result, calls }
}

/// Sends one STS request with botocore's retries, preparing it afresh for every attempt (the
/// date, and the default session name, move). `prepare` writes the body and headers.
async fn sts_call<F>(
    ctx: &Ctx,
    url: &str,
    operation: StsOperation,
    mut prepare: F,
) -> Result<Credentials, (RoleFailureKind, String)>
where
    F: FnMut(i64) -> Result<(String, Vec<(String, String)>), String>,
{
    let client = ctx.client().map_err(|e| (RoleFailureKind::Request, e))?;
    let mut exchange = StsExchange::new(operation);
    loop {
        let (body, headers) = prepare(ctx.now()).map_err(|e| (RoleFailureKind::Request, e))?;
        let header_refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let sent = client
            .send(&HttpsRequest {
                method: "POST",
                url,
                headers: &header_refs,
                body: body.as_bytes(),
            })
            .await;
        let jitter = u32::try_from(ctx.random.next_u64() >> 32).unwrap_or(u32::MAX);
        let last_error;
        let verdict = match &sent {
            Ok(r) => {
                last_error = None;
                exchange.handle(
                    Attempt::Response {
                        status: r.status(),
                        body: r.body(),
                    },
                    jitter,
                )
            }
            Err(e) => {
                if is_final(e) {
                    return Err(transport_failure(url, e));
                }
                last_error = Some(e.clone());
                exchange.handle(Attempt::ConnectionError, jitter)
            }
        };
        match verdict {
            StsVerdict::Credentials(c) => {
                let expiry = timestamp_to_system_time(c.expiry);
                if c.expiry.unix_secs() <= ctx.now() {
                    return Err((
                        RoleFailureKind::Expired,
                        format!("the credentials STS returned expired at {}", c.expiry),
                    ));
                }
                return Ok(Credentials::new(
                    c.access_key_id.to_string(),
                    c.secret_access_key.to_string(),
                    Some(c.session_token.to_string()),
                    ctx.provider,
                )
                .with_expiry(Some(expiry))
                .with_account_id(c.account_id.map(|a| a.to_string())));
            }
            StsVerdict::Retry { after } => {
                tracing::debug!(
                    target: "credchain::chain",
                    attempt = exchange.attempts(),
                    delay_ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX),
                    "STS call failed; retrying as botocore's legacy retry mode does"
                );
                tokio::time::sleep(after).await;
            }
            StsVerdict::Failed(f) => {
                return Err(match (&f, last_error) {
                    (StsFailure::Transport, Some(e)) => transport_failure(url, &e),
                    _ => (f.kind(), f.to_string()),
                });
            }
        }
    }
}

/// A transport error that no attempt can cure.
pub(super) fn is_final(e: &HttpsError) -> bool {
    matches!(
        e.kind(),
        HttpsErrorKind::InvalidUrl
            | HttpsErrorKind::InvalidRequest
            | HttpsErrorKind::CaBundle
            | HttpsErrorKind::ProxyUrl
    )
}

/// A transport error after the retries, as botocore names it: `ProxyConnectionError` through a
/// proxy, `EndpointConnectionError` otherwise; an error no attempt can cure is the request's.
pub(super) fn transport_failure(url: &str, e: &HttpsError) -> (RoleFailureKind, String) {
    if is_final(e) {
        (RoleFailureKind::Request, e.to_string())
    } else if e.kind() == HttpsErrorKind::Proxy {
        (
            RoleFailureKind::Proxy,
            format!("Failed to connect through the proxy to \"{url}\": {e}"),
        )
    } else {
        (
            RoleFailureKind::Transport,
            format!("Could not connect to the endpoint URL: \"{url}\": {e}"),
        )
    }
}

pub(super) fn expires(c: &Credentials) -> Option<String> {
    c.expiry_unix_secs()
        .and_then(Timestamp::from_unix_secs)
        .map(|t| t.to_string())
}

/// Assumes one role with the credentials of the cache below.
struct AssumeRoleProvider {
    ctx: Arc<Ctx>,
    source: Arc<CredentialsCache<SharedProvider>>,
    hop: HopJob,
    step: RoleStep,
    sts: Result<(String, Option<String>), EndpointError>,
    mfa_used: AtomicBool,
}

impl AssumeRoleProvider {
    fn prefix(&self) -> String {
        format!(
            "assume role {} for profile {} ({})",
            self.hop.role_arn, self.hop.profile, self.step
        )
    }

    fn fail(&self, kind: RoleFailureKind, why: &str) -> Error {
        role_err(self.step, kind, format!("{}: {why}", self.prefix()))
    }

    /// botocore's `_create_cache_key` for this role (spec §8.5).
    fn cache_key(&self) -> Sha1Hex {
        AssumeRoleKey {
            role_arn: &self.hop.role_arn,
            role_session_name: self.hop.session_name.as_deref(),
            external_id: self.hop.external_id.as_deref(),
            serial_number: self.hop.mfa_serial.as_deref(),
            duration_seconds: self.hop.duration_seconds,
        }
        .cache_key()
    }

    /// As botocore's fetcher: the MFA refresher's once-only check, then the cache, and only on
    /// a miss the source credentials, the MFA prompt and the STS call (then the cache is
    /// written).
    async fn assume(&self) -> Result<Credentials, Error> {
        if self.hop.mfa_serial.is_some() && self.mfa_used.swap(true, Ordering::SeqCst) {
            return Err(Error::non_recoverable(
                self.ctx.provider,
                RoleError {
                    failure: RoleFailure {
                        step: self.step,
                        kind: RoleFailureKind::MfaPromptFailed,
                    },
                    message: format!(
                        "{}: Cannot refresh credentials: MFA token required.",
                        self.prefix()
                    ),
                },
            ));
        }
        let key = self.cache_key();
        let call = |outcome| {
            cache_call(
                "assume-role",
                &self.hop.profile,
                &self.hop.role_arn,
                outcome,
            )
        };
        if let Some(c) = self.ctx.cached(&key, call) {
            return Ok(c);
        }
        let c = self.call_sts().await?;
        self.ctx.store(&key, &c, call);
        Ok(c)
    }

    async fn call_sts(&self) -> Result<Credentials, Error> {
        let base = self.source.get().await?;
        let (url, region) = match &self.sts {
            Ok((u, Some(r))) => (u.clone(), r.clone()),
            Ok((_, None)) => {
                let e = EndpointError::NoRegion;
                return Err(self.fail(RoleFailureKind::Endpoint(e), &e.to_string()));
            }
            Err(e) => return Err(self.fail(RoleFailureKind::Endpoint(*e), &e.to_string())),
        };
        let mfa_code = match &self.hop.mfa_serial {
            None => None,
            Some(serial) => {
                let Some(prompt) = &self.ctx.mfa else {
                    return Err(self.fail(
                        RoleFailureKind::MfaNoPrompt,
                        &format!(
                            "profile {} needs an MFA code for {serial} and no prompt is configured",
                            self.hop.profile
                        ),
                    ));
                };
                match prompt(&self.hop.profile, serial) {
                    Ok(code) => Some(code),
                    Err(e) => {
                        return Err(self.fail(
                            RoleFailureKind::MfaPromptFailed,
                            &format!("the MFA prompt for {serial} failed: {e}"),
                        ));
                    }
                }
            }
        };
        let host = credchain_http::https::host_header(&url)
            .map_err(|e| self.fail(RoleFailureKind::Request, &e.to_string()))?;
        let hop = self.hop.clone();
        let core_hop = credchain_core::chain::RoleHop {
            profile: credchain_core::chain::Str::Plain(&hop.profile),
            role_arn: credchain_core::chain::Str::Plain(&hop.role_arn),
            external_id: hop
                .external_id
                .as_deref()
                .map(credchain_core::chain::Str::Plain),
            role_session_name: hop
                .session_name
                .as_deref()
                .map(credchain_core::chain::Str::Plain),
            mfa_serial: None,
            duration_seconds: hop.duration_seconds,
        };
        // botocore checks the parameters when the call is made: after the MFA prompt and the
        // endpoint, before anything is sent (`ParamValidationError`, not retried).
        let mfa = match (&hop.mfa_serial, &mfa_code) {
            (Some(serial), Some(code)) => Some(Mfa {
                serial_number: serial,
                token_code: code,
            }),
            _ => None,
        };
        let request = assume_role_request(&core_hop, mfa);
        if let Err(e) = validate_assume_role(&request) {
            return Err(self.fail(RoleFailureKind::ParamValidation(e), &e.to_string()));
        }
        let mut session_used = None;
        let keys_id = base.access_key_id().to_owned();
        let result = sts_call(&self.ctx, &url, StsOperation::AssumeRole, |now| {
            let keys = SigningKeys {
                access_key_id: base.access_key_id(),
                secret_access_key: base.expose_secret_access_key(),
                session_token: base.expose_session_token(),
            };
            let mut size = 4096;
            loop {
                let mut buf = vec![0u8; size];
                match prepare_assume_role(&request, &keys, &host, &region, now, &mut buf) {
                    Ok(p) => {
                        session_used = Some(match hop.session_name.as_deref() {
                            Some(n) if !n.is_empty() => n.to_owned(),
                            _ => DefaultSessionName::new(now).as_str().to_owned(),
                        });
                        let signed = p.signed.ok_or("the request was not signed")?;
                        let mut headers = vec![
                            (
                                "Content-Type".to_owned(),
                                credchain_core::sts::CONTENT_TYPE.to_owned(),
                            ),
                            ("Host".to_owned(), host.clone()),
                            ("X-Amz-Date".to_owned(), signed.amz_date.to_owned()),
                        ];
                        if let Some(t) = signed.security_token {
                            headers.push(("X-Amz-Security-Token".to_owned(), t.to_owned()));
                        }
                        headers.push(("Authorization".to_owned(), signed.authorization.to_owned()));
                        return Ok((p.body.to_owned(), headers));
                    }
                    Err(credchain_core::chain::PrepareError::BufferTooSmall(e))
                        if e.needed > size && size < (1 << 20) =>
                    {
                        size = e.needed.saturating_add(64);
                    }
                    Err(e) => return Err(e.to_string()),
                }
            }
        })
        .await;
        let call = RoleCall {
            kind: "assume-role",
            endpoint: Some(url.clone()),
            profile: self.hop.profile.clone(),
            role: self.hop.role_arn.clone(),
            session_name: session_used,
            signed_with: Some(keys_id),
            outcome: "assumed",
            access_key_id: None,
            expires_at: None,
            error: None,
        };
        self.ctx
            .record_result(call, result)
            .map_err(|(kind, why)| self.fail(kind, &why))
    }
}

impl ProvideCredentials for AssumeRoleProvider {
    async fn provide(&self) -> Result<Credentials, Error> {
        self.assume().await
    }
}

/// `AssumeRoleWithWebIdentity`: the token file read at every call (trimmed of trailing white
/// space, credchain's documented improvement over botocore, which sends it as read).
struct WebIdentityProvider {
    ctx: Arc<Ctx>,
    profile: String,
    token_file: String,
    role_arn: String,
    session_name: Option<String>,
    sts: Result<(String, Option<String>), EndpointError>,
    /// Whether the AWS CLI's file cache applies (the chain's own web identity provider).
    file_cache: bool,
}

impl WebIdentityProvider {
    fn fail(&self, kind: RoleFailureKind, why: &str) -> Error {
        role_err(
            RoleStep::Base,
            kind,
            format!(
                "assume role {} with web identity for profile {}: {why}",
                self.role_arn, self.profile
            ),
        )
    }

    /// As botocore's fetcher: the cache first (the token is not part of the key), and only on
    /// a miss the token file and the STS call (then the cache is written).
    async fn assume(&self) -> Result<Credentials, Error> {
        let key = WebIdentityKey {
            role_arn: &self.role_arn,
            role_session_name: self.session_name.as_deref(),
        }
        .cache_key();
        let call = |outcome| {
            cache_call(
                "assume-role-with-web-identity",
                &self.profile,
                &self.role_arn,
                outcome,
            )
        };
        if self.file_cache
            && let Some(c) = self.ctx.cached(&key, call)
        {
            return Ok(c);
        }
        let c = self.call_sts().await?;
        if self.file_cache {
            self.ctx.store(&key, &c, call);
        }
        Ok(c)
    }

    async fn call_sts(&self) -> Result<Credentials, Error> {
        let url = match &self.sts {
            Ok((u, _)) => u.clone(),
            Err(e) => return Err(self.fail(RoleFailureKind::Endpoint(*e), &e.to_string())),
        };
        let token = match std::fs::read_to_string(&self.token_file) {
            Ok(t) => zeroize::Zeroizing::new(t),
            Err(e) => {
                let kind = match e.kind() {
                    std::io::ErrorKind::PermissionDenied => {
                        credchain_core::chain::IoErrorKind::PermissionDenied
                    }
                    _ => credchain_core::chain::IoErrorKind::Other,
                };
                return Err(self.fail(
                    RoleFailureKind::TokenFile(kind),
                    &format!(
                        "cannot read the web identity token file {}: {e}",
                        self.token_file
                    ),
                ));
            }
        };
        let token = token.trim_end();
        let checked = AssumeRoleWithWebIdentity {
            role_arn: &self.role_arn,
            role_session_name: self.session_name.as_deref(),
            web_identity_token: token,
        };
        if let Err(e) = validate_web_identity(&checked) {
            return Err(self.fail(RoleFailureKind::ParamValidation(e), &e.to_string()));
        }
        let mut session_used = None;
        let result = sts_call(
            &self.ctx,
            &url,
            StsOperation::AssumeRoleWithWebIdentity,
            |now| {
                let mut buf = vec![0u8; token.len().saturating_mul(3).saturating_add(2048)];
                let p = prepare_web_identity(&checked, now, &mut buf).map_err(|e| e.to_string())?;
                session_used = Some(match self.session_name.as_deref() {
                    Some(n) if !n.is_empty() => n.to_owned(),
                    _ => DefaultSessionName::new(now).as_str().to_owned(),
                });
                Ok((
                    p.body.to_owned(),
                    vec![(
                        "Content-Type".to_owned(),
                        credchain_core::sts::CONTENT_TYPE.to_owned(),
                    )],
                ))
            },
        )
        .await;
        let call = RoleCall {
            kind: "assume-role-with-web-identity",
            endpoint: Some(url.clone()),
            profile: self.profile.clone(),
            role: self.role_arn.clone(),
            session_name: session_used,
            signed_with: None,
            outcome: "assumed",
            access_key_id: None,
            expires_at: None,
            error: None,
        };
        self.ctx
            .record_result(call, result)
            .map_err(|(kind, why)| self.fail(kind, &why))
    }
}

impl ProvideCredentials for WebIdentityProvider {
    async fn provide(&self) -> Result<Credentials, Error> {
        self.assume().await
    }
}

/// `scheme://authority` and the path of a URL (no trailing `/`).
pub(super) fn split_origin(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i.saturating_add(3));
    let path_at = url
        .get(after_scheme..)
        .and_then(|rest| rest.find('/'))
        .map_or(url.len(), |i| i.saturating_add(after_scheme));
    let (origin, path) = url.split_at(path_at);
    (origin, path.trim_end_matches('/'))
}

/// Hands out the credentials the first resolution fetched, once, then asks `then`: botocore's
/// deferred role credentials, whose first use is the fetch itself (spec §5.5).
struct FirstThen {
    first: Mutex<Option<Credentials>>,
    then: SharedProvider,
}

impl ProvideCredentials for FirstThen {
    async fn provide(&self) -> Result<Credentials, Error> {
        let first = self
            .first
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match first {
            Some(c) => Ok(c),
            None => self.then.provide().await,
        }
    }
}

/// The clock of the caches of a role plan: the chain's, rounded up to the next whole second.
///
/// botocore compares an expiry with the current time to the microsecond (`expiry - now <
/// window`, spec §5.1); the refresh machine counts whole seconds. Expiries from STS are whole
/// seconds, and for a whole-second expiry `E` and a current time `t` that is not,
/// `E - t < w` exactly when `E - ceil(t) < w`: rounding up gives botocore's decisions. (Rounded
/// down, credentials with exactly `DurationSeconds = 900` would look fresh for up to a second,
/// where botocore refreshes them at every use.)
#[derive(Debug)]
pub(crate) struct BotocoreClock(pub(crate) Arc<dyn Clock>);

impl Clock for BotocoreClock {
    fn now(&self) -> SystemTime {
        let t = self.0.now();
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) if d.subsec_nanos() > 0 => UNIX_EPOCH
                .checked_add(Duration::from_secs(d.as_secs().saturating_add(1)))
                .unwrap_or(t),
            _ => t,
        }
    }
}
