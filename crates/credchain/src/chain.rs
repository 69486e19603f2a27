//! # The default chain: credentials as boto3 finds them, kept fresh
//!
//! [`DefaultChain`] is what a program calls. It walks botocore's provider order (spec §1.1)
//! with the core's sans-IO planner ([`credchain_core::chain::Walk`]), carries out the sources
//! that need I/O, and hands the credentials of the source that won to a [`CredentialsCache`].
//!
//! ## One resolution
//!
//! 1. The environment is a snapshot ([`EnvSnapshot`], taken when the chain is built unless
//!    the caller gives one), so every decision of a resolution sees the same variables.
//! 2. The files are found with [`Locations`](credchain_fs::Locations) (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`,
//!    `~`, `AWS_CREDENTIAL_FILE`, `BOTO_CONFIG`, spec §3.1, §3.7) and read into owned text. A
//!    file that does not exist is "nothing here"; a file botocore would not open (a directory,
//!    a dangling path) is missing too; any other failure is an error naming the path
//!    (botocore reads an unreadable file as empty: credchain reports it, a documented
//!    improvement).
//! 3. The walk borrows that text and the snapshot. Where it asks for I/O — running
//!    `credential_process` (spec §7), the container endpoint (spec §6), the IMDS (spec §4) —
//!    the action is converted into owned values, the walk is dropped, the I/O runs, and the
//!    walk is rebuilt and replayed with the outcomes reported so far. The walk is deterministic
//!    and cheap, and this keeps every borrow inside one synchronous function: no
//!    self-referential struct, and the future stays `Send`.
//! 4. Only "nothing here" falls through; an error stops the chain (spec §1.3) and is returned
//!    with the source that raised, botocore's exception class and a message naming the file
//!    and line where there is one ([`ChainFailure`]).
//!
//! ## After the first resolution
//!
//! botocore refreshes only the provider that won (spec §5): the credentials of `env`, the
//! files, and explicit credentials are never fetched again; `custom-process` runs the command
//! again, `container-role` asks the endpoint again (reading the token file again), `iam-role`
//! asks the IMDS again through the same fetcher (its token and connection reused). So the
//! winner becomes the cache's provider, seeded with the credentials the walk found:
//! [`DefaultChain::credentials`] resolves once, then serves the cache. A resolution that fails
//! is not remembered: the next call walks again, as botocore's session does when
//! `get_credentials` found nothing.
//!
//! ## Explain
//!
//! [`DefaultChain::explain`] walks afresh — never from the cache — and returns an
//! [`Explanation`]: the profile and where its name came from, every file and what reading it
//! gave, every source in order with its outcome and reason, and the result (the access key id,
//! never the secret or the token).
//!
//! Every step is also a `tracing` event (target `credchain::chain`); no event carries a secret.
//!
//! ```no_run
//! # async fn demo() -> Result<(), credchain::Error> {
//! use credchain::DefaultChain;
//!
//! let chain = DefaultChain::builder().profile("dev").build()?;
//! let creds = chain.credentials().await?;
//! println!("{creds}");
//! let why = chain.explain().await;
//! for step in &why.steps {
//!     println!("{}: {:?}: {}", step.source, step.outcome, step.reason);
//! }
//! # Ok(()) }
//! ```

mod process;
pub(crate) mod resolve;
mod role;
mod role_cache;
mod sso;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use credchain_core::profile::Dialect;
use credchain_core::refresh::RefreshPolicy;
use credchain_fs::{DEFAULT_DEADLINE, EnvSnapshot};
use credchain_http::WallClock;
use tokio::sync::OnceCell;

use crate::clock::{Clock, SystemClock};
use crate::explain::Explanation;
use crate::provider::ProvideCredentials;
use crate::{Credentials, CredentialsCache, Error, ErrorKind, SharedProvider};

pub use resolve::ChainFailure;
pub use role::{MfaPrompt, RoleCall};

/// The name on errors of the chain itself (no source to blame, or no credentials at all).
pub const CHAIN: &str = "credential-chain";

/// Credentials from botocore's default provider chain, resolved once and kept fresh. See the
/// [module documentation](self).
///
/// Cloning is cheap and shares the cache. `Debug` shows the settings, never a secret.
#[derive(Clone)]
pub struct DefaultChain {
    inner: Arc<Inner>,
}

/// What the chain was built with.
pub(crate) struct Settings {
    pub(crate) env: EnvSnapshot,
    pub(crate) profile: Option<String>,
    pub(crate) explicit: Option<Credentials>,
    pub(crate) dialect: Dialect,
    pub(crate) policy: RefreshPolicy,
    pub(crate) process_deadline: Option<Duration>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) imds_wall_clock: WallClock,
    pub(crate) mfa_prompt: Option<MfaPrompt>,
    /// The AWS CLI's role cache directory, when opted in.
    pub(crate) role_cache_dir: Option<std::path::PathBuf>,
    /// Fixed addresses for STS / SSO hosts ([`DefaultChainBuilder::connect_to`]).
    pub(crate) connect_to: Vec<credchain_http::ConnectTo>,
}

struct Inner {
    settings: Settings,
    cache: OnceCell<CredentialsCache<SharedProvider>>,
}

impl DefaultChain {
    /// A builder with botocore's defaults.
    #[must_use]
    pub fn builder() -> DefaultChainBuilder {
        DefaultChainBuilder::default()
    }

    /// The credentials: the first call walks the chain (spec §1), later calls are served by the
    /// cache, which refreshes the winning source as its policy says (spec §5).
    ///
    /// A failed walk is an [`Error`] whose provider is the source that raised (or
    /// [`CHAIN`]) and whose [`source`](std::error::Error::source) is a [`ChainFailure`] with
    /// botocore's exception class; no credentials at all is [`ErrorKind::NotFound`].
    pub async fn credentials(&self) -> Result<Arc<Credentials>, Error> {
        let cache = self
            .inner
            .cache
            .get_or_try_init(|| self.first_resolution())
            .await?;
        cache.get().await
    }

    /// Walks the chain afresh (the cache is neither read nor changed) and says what every
    /// source decided and why, with the result.
    pub async fn explain(&self) -> Explanation {
        let s = &self.inner.settings;
        let resolved = resolve::resolve(s).await;
        Explanation::new(resolved, s)
    }

    /// The source whose credentials the cache holds, once the chain has been resolved.
    #[must_use]
    pub fn resolved_source(&self) -> Option<&'static str> {
        self.inner
            .cache
            .get()
            .and_then(|c| c.cached())
            .map(|c| c.provider())
    }

    async fn first_resolution(&self) -> Result<CredentialsCache<SharedProvider>, Error> {
        let s = &self.inner.settings;
        let resolved = resolve::resolve(s).await;
        let won = resolved.into_result()?;
        let source = won.source;
        tracing::info!(
            target: "credchain::chain",
            source,
            access_key_id = won.credentials.access_key_id(),
            "credentials resolved; the cache refreshes this source from now on"
        );
        if let resolve::Refresher::Role(provider) = won.refresher {
            // botocore's role credentials are deferred (spec §5.5): the cache starts empty and
            // its first fetch hands out the set the resolution got (the provider keeps it), and
            // it refreshes as botocore's own thread does, on fractional time.
            return Ok(CredentialsCache::builder(provider)
                .policy(s.policy)
                .clock(role::BotocoreClock(s.clock.clone()))
                .advisory_refresh(crate::AdvisoryRefresh::Wait)
                .build());
        }
        let provider = won.refresher.into_provider(source, &won.credentials);
        Ok(CredentialsCache::builder(provider)
            .policy(s.policy)
            .clock(SharedClock(s.clock.clone()))
            .seed(won.credentials)
            .build())
    }
}

impl ProvideCredentials for DefaultChain {
    async fn provide(&self) -> Result<Credentials, Error> {
        self.credentials().await.map(|c| (*c).clone())
    }
}

impl fmt::Debug for DefaultChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.inner.settings;
        f.debug_struct("DefaultChain")
            .field("profile", &s.profile)
            .field("explicit_credentials", &s.explicit.is_some())
            .field("dialect", &s.dialect)
            .field("policy", &s.policy)
            .field("process_deadline", &s.process_deadline)
            .field("resolved_source", &self.resolved_source())
            .finish_non_exhaustive()
    }
}

/// Builds a [`DefaultChain`]. Every setting has botocore's default.
#[derive(Default)]
pub struct DefaultChainBuilder {
    profile: Option<String>,
    explicit: Option<Credentials>,
    dialect: Option<Dialect>,
    policy: Option<RefreshPolicy>,
    env: Option<EnvSnapshot>,
    process_deadline: Option<Duration>,
    clock: Option<Arc<dyn Clock>>,
    imds_wall_clock: Option<WallClock>,
    mfa_prompt: Option<MfaPrompt>,
    role_cache: Option<RoleCache>,
    connect_to: Vec<credchain_http::ConnectTo>,
}

/// Where assumed-role credentials are cached on disk.
#[derive(Debug, Clone)]
enum RoleCache {
    Dir(std::path::PathBuf),
    AwsCli,
}

impl DefaultChainBuilder {
    /// Shares the AWS CLI's cache of assumed-role credentials, `dir` (the AWS CLI's is
    /// `~/.aws/cli/cache`: see [`aws_cli_role_cache`](Self::aws_cli_role_cache)). Off by
    /// default: boto3 caches them in memory only (spec §8.5).
    ///
    /// Before an `AssumeRole` or (for the chain's own web identity source)
    /// `AssumeRoleWithWebIdentity` call, the role's file `<dir>/<key>.json` is read, the key
    /// being botocore's ([`credchain_core::sts::cache_key`]); credentials in it with at least
    /// 15 minutes left are used without calling STS (nor prompting for an MFA code). After a
    /// call the file is written as the AWS CLI writes it (the directory created `0700`, the
    /// file `0600`, replaced atomically), so the AWS CLI uses it too. A file that cannot be
    /// used (unreadable, not a cache document, expiring) is passed over, never an error, and
    /// [`explain`](DefaultChain::explain) shows it as a [`RoleCall`] with outcome
    /// `cache-ignored`; a hit is outcome `cached`. (The AWS CLI itself fails on a corrupt file.)
    #[must_use]
    pub fn role_cache_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.role_cache = Some(RoleCache::Dir(dir.into()));
        self
    }

    /// [`role_cache_dir`](Self::role_cache_dir) on the AWS CLI's own directory,
    /// `$HOME/.aws/cli/cache` (`HOME` from the chain's environment when it is built; without
    /// one, no cache).
    #[must_use]
    pub fn aws_cli_role_cache(mut self) -> Self {
        self.role_cache = Some(RoleCache::AwsCli);
        self
    }

    /// The prompt for MFA codes of roles with `mfa_serial` (spec §8.1): called with the
    /// profile and the serial, it returns the code (the CLI asks on the terminal, as botocore
    /// does with `Enter MFA code for <serial>: `). Without one, such a role is an error: "profile
    /// P needs an MFA code for SERIAL and no prompt is configured". As in botocore, the code is
    /// asked once: a later refresh of that role fails ("Cannot refresh credentials: MFA token
    /// required.").
    #[must_use]
    pub fn mfa_prompt(
        mut self,
        prompt: impl Fn(&str, &str) -> Result<String, Box<dyn std::error::Error + Send + Sync>>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.mfa_prompt = Some(Arc::new(prompt));
        self
    }

    /// Connects to `addr` whenever an STS, SSO portal or SSO OIDC request goes to `host`:`port`
    /// (443 for `https` URLs without a port), without resolving `host` — like curl's
    /// `--connect-to`. The URL, the `Host` header and the TLS server name stay `host`'s, and
    /// the certificate must still be valid for `host` (trusted through `AWS_CA_BUNDLE` /
    /// `ca_bundle`, or the Mozilla list). For tests that serve an endpoint's real name on
    /// loopback (proving which host the chain chose, FIPS and dual-stack included), and for
    /// air-gapped networks that reach an endpoint at a known address without DNS. Repeat for
    /// several hosts; nothing is pinned by default.
    #[must_use]
    pub fn connect_to(mut self, host: &str, port: u16, addr: std::net::SocketAddr) -> Self {
        self.connect_to.push(credchain_http::ConnectTo {
            host: host.to_owned(),
            port,
            addr,
        });
        self
    }

    /// An explicit profile (botocore's `Session(profile=...)`): it must exist, and it removes
    /// the `env` source and the web identity variables (spec §0.1).
    #[must_use]
    pub fn profile(mut self, name: impl Into<String>) -> Self {
        self.profile = Some(name.into());
        self
    }

    /// Credentials that win over every source and are never refreshed (method `explicit`).
    #[must_use]
    pub fn explicit_credentials(mut self, c: Credentials) -> Self {
        self.explicit = Some(c);
        self
    }

    /// How profile files are read: [`Dialect::Botocore`] (the default, as the AWS CLI reads
    /// them) or the cross-SDK [`Dialect::Sdk`].
    #[must_use]
    pub fn dialect(mut self, d: Dialect) -> Self {
        self.dialect = Some(d);
        self
    }

    /// The cache's refresh policy (default [`RefreshPolicy::botocore()`]); its static
    /// stability setting also configures the IMDS expiry extension (spec §4.8).
    #[must_use]
    pub fn refresh_policy(mut self, p: RefreshPolicy) -> Self {
        self.policy = Some(p);
        self
    }

    /// The environment to read (default: [`EnvSnapshot::capture`] when [`build`](Self::build)
    /// runs). `credential_process` commands are run with this environment.
    #[must_use]
    pub fn env(mut self, env: EnvSnapshot) -> Self {
        self.env = Some(env);
        self
    }

    /// How long a `credential_process` command may run before it is killed (default
    /// [`DEFAULT_DEADLINE`]; botocore waits forever).
    #[must_use]
    pub fn process_deadline(mut self, d: Duration) -> Self {
        self.process_deadline = Some(d);
        self
    }

    /// The clock the cache and `explain` read (default [`SystemClock`]); tests pin it.
    #[must_use]
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The wall clock and jitter of the IMDS expiry extension (default
    /// [`WallClock::system`]); tests pin it.
    #[must_use]
    pub fn imds_wall_clock(mut self, clock: WallClock) -> Self {
        self.imds_wall_clock = Some(clock);
        self
    }

    /// The chain. Nothing is read yet but the environment (when none was given); fails only
    /// when a variable credchain reads as text is not UTF-8.
    pub fn build(self) -> Result<DefaultChain, Error> {
        let env = match self.env {
            Some(env) => env,
            None => EnvSnapshot::capture().map_err(|e| Error::new(CHAIN, ErrorKind::Failed, e))?,
        };
        let settings = Settings {
            env,
            profile: self.profile,
            explicit: self.explicit,
            dialect: self.dialect.unwrap_or(Dialect::Botocore),
            policy: self.policy.unwrap_or(RefreshPolicy::botocore()),
            process_deadline: Some(self.process_deadline.unwrap_or(DEFAULT_DEADLINE)),
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            imds_wall_clock: self.imds_wall_clock.unwrap_or_default(),
            mfa_prompt: self.mfa_prompt,
            role_cache_dir: None,
            connect_to: self.connect_to,
        };
        let settings = Settings {
            role_cache_dir: match self.role_cache {
                Some(RoleCache::Dir(d)) => Some(d),
                Some(RoleCache::AwsCli) => settings
                    .env
                    .var("HOME")
                    .filter(|h| !h.is_empty())
                    .map(|h| [h, ".aws", "cli", "cache"].iter().collect()),
                None => None,
            },
            ..settings
        };
        Ok(DefaultChain {
            inner: Arc::new(Inner {
                settings,
                cache: OnceCell::new(),
            }),
        })
    }
}

impl fmt::Debug for DefaultChainBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DefaultChainBuilder")
            .field("profile", &self.profile)
            .field("explicit_credentials", &self.explicit.is_some())
            .field("dialect", &self.dialect)
            .field("policy", &self.policy)
            .field("env", &self.env)
            .field("process_deadline", &self.process_deadline)
            .field("role_cache", &self.role_cache)
            .field("connect_to", &self.connect_to)
            .finish_non_exhaustive()
    }
}

/// The chain's clock, handed to the cache.
#[derive(Debug)]
struct SharedClock(Arc<dyn Clock>);

impl Clock for SharedClock {
    fn now(&self) -> std::time::SystemTime {
        self.0.now()
    }
}
