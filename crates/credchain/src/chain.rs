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
}

impl DefaultChainBuilder {
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
