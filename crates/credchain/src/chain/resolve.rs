//! One resolution: the files read into owned text, the walk driven (rebuilt and replayed
//! around every action), and everything the caller needs converted into owned values.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use credchain_core::chain::{
    Action, ActionFailure, ActionOutcome, ChainError, ErrorKind as WalkError, ExplicitCredentials,
    FileInput, FileRole, Inputs, IoErrorKind, Outcome, ProcessFailure, ProfileOrigin, Reason,
    Resolution, Source, Step, TraceEntry, Walk,
};
use credchain_core::container::config::ENV_AUTH_TOKEN_FILE;
use credchain_core::container::{AttemptFailure, ContainerConfig, ContainerEnv, ContainerError};
use credchain_core::http::TransportError;
use credchain_core::imds::{Endpoint, ImdsConfig, ImdsError, RequestKind};
use credchain_fs::{
    EnvSnapshot, ExitStatusInfo, FileLocation, FileRead, Locations, ProcessErrorKind,
    ProcessOptions, ProfileText, ReadErrorKind, read_profile_file,
};
use credchain_http::{ContainerFetcher, ImdsFetcher, ImdsOutcome};

use super::Settings;
use super::process::ProcessProvider;
use super::role::{RoleCall, RoleJob};
use crate::container::{CONTAINER_ROLE, ContainerSettings};
use crate::credentials::timestamp_to_system_time;
use crate::explain::{ExplainStep, FileReport, Location, ProfileChoice, StepOutcome};
use crate::imds::IAM_ROLE;
use crate::{
    ContainerProvider, Credentials, Error, ErrorKind, ImdsProvider, SharedProvider, StaticProvider,
};

/// Why the chain stopped with an error: the source that raised (none for the checks made
/// before any source, spec §1.4), botocore's exception class, and a message that says why,
/// naming the variable, the file and the line where there is one.
///
/// It is the [`source`](std::error::Error::source) of the [`Error`] that
/// [`DefaultChain::credentials`](super::DefaultChain::credentials) returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainFailure {
    /// botocore's `method` name of the source that raised.
    pub source: Option<&'static str>,
    /// botocore's exception class (`credchain:…` where botocore has none).
    pub class: &'static str,
    /// What went wrong.
    pub message: String,
    /// The limit the source ran into, when the failure is a timeout (the container endpoint's
    /// or the IMDS's request timeout, `credential_process`'s deadline); the chain's
    /// [`Error`] carries it too ([`Error::timed_out`]).
    pub timed_out: Option<Duration>,
}

impl fmt::Display for ChainFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.class)
    }
}

impl std::error::Error for ChainFailure {}

/// No source supplied credentials (botocore: `NoCredentialsError`).
#[derive(Debug, Clone, Copy)]
struct NoCredentials;

impl fmt::Display for NoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Unable to locate credentials (no source of the default chain supplied any)")
    }
}

impl std::error::Error for NoCredentials {}

/// How a source that won can be asked again.
pub(crate) enum Refresher {
    /// Never refreshed: explicit, `env`, the files.
    Static,
    /// Run the command again.
    Process(ProcessProvider),
    /// Ask the container endpoint again.
    Container(ContainerSettings),
    /// Ask the IMDS again, with the same fetcher.
    Imds(Box<ImdsFetcher<'static>>),
    /// Assume the roles again (each level behind its own cache, refreshing its source).
    Role(SharedProvider),
}

impl Refresher {
    /// The cache's provider for `source`.
    pub(crate) fn into_provider(self, source: &'static str, first: &Credentials) -> SharedProvider {
        match self {
            Refresher::Static => SharedProvider::named(source, StaticProvider::new(first.clone())),
            Refresher::Process(p) => SharedProvider::named(source, p),
            Refresher::Container(s) => SharedProvider::named(source, ContainerProvider::new(s)),
            Refresher::Imds(f) => SharedProvider::named(source, ImdsProvider::with_fetcher(*f)),
            Refresher::Role(p) => p,
        }
    }
}

/// The source that won, its credentials, and how to refresh it.
pub(crate) struct Won {
    pub(crate) source: &'static str,
    pub(crate) credentials: Credentials,
    pub(crate) refresher: Refresher,
}

/// How a resolution ended.
pub(crate) enum Ending {
    Won(Box<Won>),
    NoCredentials,
    Failed(ChainFailure),
}

/// Everything one resolution found, owned.
pub(crate) struct Resolved {
    pub(crate) profile: ProfileChoice,
    pub(crate) files: Vec<FileReport>,
    pub(crate) steps: Vec<ExplainStep>,
    /// The STS and SSO calls of a role source, in order.
    pub(crate) roles: Vec<RoleCall>,
    pub(crate) ending: Ending,
}

impl Resolved {
    /// The winner, or the error a caller gets.
    pub(crate) fn into_result(self) -> Result<Won, Error> {
        match self.ending {
            Ending::Won(w) => Ok(*w),
            Ending::NoCredentials => Err(Error::not_found(super::CHAIN, NoCredentials)),
            Ending::Failed(f) => {
                let timed_out = f.timed_out;
                let e = Error::new(f.source.unwrap_or(super::CHAIN), ErrorKind::Failed, f);
                Err(match timed_out {
                    Some(after) => e.with_timeout(after),
                    None => e,
                })
            }
        }
    }
}

/// One file as it was read.
enum Slot {
    /// No file (or the variable naming it is empty).
    Missing { path: String },
    /// The file exists and could not be read.
    Unreadable {
        path: String,
        error: IoErrorKind,
        detail: String,
    },
    /// Its text.
    Text { path: String, text: ProfileText },
}

impl Slot {
    /// Reads a config, credentials or boto2 file: "no file" where botocore's `os.path.isfile`
    /// says so ([`credchain_fs::ReadError::botocore_reads_no_file`]).
    fn read(at: &FileLocation, ec2: bool) -> Slot {
        let path = at.path.to_string_lossy().into_owned();
        match read_profile_file(&at.path) {
            Ok(FileRead::Found(text)) => Slot::Text { path, text },
            Ok(FileRead::NotFound { .. }) => Slot::Missing { path },
            Err(e) => {
                let missing = if ec2 {
                    matches!(
                        e.kind,
                        ReadErrorKind::Io {
                            kind: std::io::ErrorKind::NotFound,
                            ..
                        }
                    )
                } else {
                    e.botocore_reads_no_file()
                };
                if missing {
                    return Slot::Missing { path };
                }
                let error = match e.kind {
                    ReadErrorKind::Io {
                        kind: std::io::ErrorKind::PermissionDenied,
                        ..
                    } => IoErrorKind::PermissionDenied,
                    ReadErrorKind::TooLarge { .. } => IoErrorKind::TooLarge,
                    _ => IoErrorKind::Other,
                };
                Slot::Unreadable {
                    path,
                    error,
                    detail: e.to_string(),
                }
            }
        }
    }

    fn input(&self) -> FileInput<'_> {
        match self {
            Slot::Missing { .. } => FileInput::Missing,
            Slot::Unreadable { path, error, .. } => FileInput::Unreadable {
                path,
                error: *error,
            },
            Slot::Text { path, text } => FileInput::Contents {
                path,
                bytes: text.text().as_bytes(),
            },
        }
    }

    fn path(&self) -> &str {
        match self {
            Slot::Missing { path } | Slot::Unreadable { path, .. } | Slot::Text { path, .. } => {
                path
            }
        }
    }

    fn report(&self, role: &'static str) -> FileReport {
        let (state, detail) = match self {
            Slot::Missing { .. } => ("missing", None),
            Slot::Unreadable { detail, .. } => ("unreadable", Some(detail.clone())),
            Slot::Text { .. } => ("read", None),
        };
        FileReport {
            role,
            path: self.path().to_owned(),
            state,
            detail,
        }
    }
}

/// Every file the walk may read.
struct Files {
    config: Slot,
    credentials: Slot,
    ec2: Option<Slot>,
    boto: Vec<Slot>,
}

impl Files {
    fn read(env: &EnvSnapshot) -> Files {
        let at = Locations::from_env(env);
        Files {
            config: Slot::read(&at.config, false),
            credentials: Slot::read(&at.credentials, false),
            ec2: at.ec2_credentials.as_ref().map(|l| Slot::read(l, true)),
            boto: at.boto.iter().map(|l| Slot::read(l, false)).collect(),
        }
    }

    fn reports(&self, parse_error: Option<(FileRole, &str, String)>) -> Vec<FileReport> {
        let mut out = vec![
            self.config.report("config"),
            self.credentials.report("credentials"),
        ];
        if let Some(e) = &self.ec2 {
            out.push(e.report("ec2-credentials"));
        }
        out.extend(self.boto.iter().map(|b| b.report("boto")));
        if let Some((role, path, detail)) = parse_error {
            let name = match role {
                FileRole::Config => "config",
                FileRole::Credentials => "credentials",
                FileRole::Ec2Credentials => "ec2-credentials",
                FileRole::Boto => "boto",
            };
            if let Some(r) = out.iter_mut().find(|r| r.role == name && r.path == path) {
                r.state = "parse error";
                r.detail = Some(detail);
            }
        }
        out
    }
}

/// An action, owned, so that the walk can be dropped while it runs.
enum Job {
    Process {
        profile: String,
        command: String,
        account_id: Option<String>,
    },
    Container,
    Imds(ImdsConfig<'static>),
    Role(Box<RoleJob>),
}

/// What carrying out a job gave.
struct Done {
    outcome: ActionOutcome,
    /// The adapter's own account of a failure or of "nothing here" (stderr, the OS error, …).
    detail: Option<String>,
    fetched: Option<(Credentials, Refresher)>,
    /// The role calls made.
    calls: Vec<RoleCall>,
    /// The limit a failure ran into, when it was a timeout.
    timed_out: Option<Duration>,
}

/// The walk's verdict after replaying the outcomes so far.
enum Planned {
    Run { source: Source, job: Job },
    Done(Box<Resolved>),
}

/// An adapter's message about a source's action, to use as that source's reason.
struct Detail {
    source: Source,
    text: String,
    timed_out: Option<Duration>,
}

/// Resolves the chain once.
pub(crate) async fn resolve(s: &Settings) -> Resolved {
    let files = Files::read(&s.env);
    let mut outcomes: Vec<ActionOutcome> = Vec::new();
    let mut details: Vec<Detail> = Vec::new();
    let mut fetched: Option<(Credentials, Refresher)> = None;
    let mut calls: Vec<RoleCall> = Vec::new();
    // The chain hands out at most one action per source (and a role's base before its roles):
    // more means the replay went wrong.
    for _ in 0..=Source::ORDER.len().saturating_add(1) {
        match plan(s, &files, &outcomes, &details, &mut fetched) {
            Planned::Done(mut resolved) => {
                resolved.roles = calls;
                return *resolved;
            }
            Planned::Run { source, job } => {
                tracing::debug!(target: "credchain::chain", source = source.method_name(), "carrying out the source's action");
                let done = run(s, job, &mut fetched).await;
                calls.extend(done.calls);
                if let Some(text) = done.detail {
                    details.push(Detail {
                        source,
                        text,
                        timed_out: done.timed_out,
                    });
                }
                if done.fetched.is_some() {
                    fetched = done.fetched;
                }
                outcomes.push(done.outcome);
            }
        }
    }
    Resolved {
        profile: ProfileChoice {
            name: String::new(),
            origin: "default",
        },
        files: files.reports(None),
        steps: Vec::new(),
        roles: calls,
        ending: Ending::Failed(ChainFailure {
            source: None,
            class: "credchain:Internal",
            message: "the chain asked for more actions than it has sources (a bug: please \
                      report it)"
                .to_owned(),
            timed_out: None,
        }),
    }
}

/// Builds the walk, replays `outcomes`, and returns the next action or the owned result.
fn plan(
    s: &Settings,
    files: &Files,
    outcomes: &[ActionOutcome],
    details: &[Detail],
    fetched: &mut Option<(Credentials, Refresher)>,
) -> Planned {
    let boto: Vec<FileInput<'_>> = files.boto.iter().map(Slot::input).collect();
    let explicit = s.explicit.as_ref().map(|c| ExplicitCredentials {
        access_key_id: c.access_key_id(),
        secret_access_key: c.expose_secret_access_key(),
        session_token: c.expose_session_token(),
        account_id: c.account_id(),
    });
    let inputs = Inputs {
        explicit_credentials: explicit,
        explicit_profile: s.profile.as_deref(),
        dialect: s.dialect,
        config: files.config.input(),
        credentials: files.credentials.input(),
        ec2_credentials: files.ec2.as_ref().map_or(FileInput::Missing, Slot::input),
        boto: &boto,
        ..Inputs::new(&s.env)
    };
    let mut walk = Walk::new(inputs);
    let mut step = walk.next_step();
    let mut replay = outcomes.iter();
    loop {
        match step {
            Step::Run(action) => match replay.next() {
                Some(o) => step = walk.report(*o),
                None => {
                    let source = walk
                        .trace()
                        .last()
                        .map_or(Source::IamRole, |e: &TraceEntry<'_>| e.source);
                    return Planned::Run {
                        source,
                        job: job_of(&action, &walk, s),
                    };
                }
            },
            Step::Done(resolution) => {
                return Planned::Done(Box::new(finish(
                    &walk, resolution, s, files, details, fetched,
                )));
            }
        }
    }
}

fn job_of(action: &Action<'_>, walk: &Walk<'_>, s: &Settings) -> Job {
    match action {
        Action::Process {
            profile,
            command,
            account_id,
        } => Job::Process {
            profile: profile.to_string(),
            command: command.to_string(),
            account_id: account_id.map(|a| a.to_string()),
        },
        Action::Container => Job::Container,
        Action::Imds(c) => Job::Imds(owned_imds(c, s)),
        Action::Role(work) => Job::Role(Box::new(RoleJob::from_work(work, walk, s))),
    }
}

/// The walk's IMDS configuration with `'static` strings (interned: a chain is built once per
/// process, and each distinct endpoint is kept once), and the policy's static stability.
fn owned_imds(c: &ImdsConfig<'_>, s: &Settings) -> ImdsConfig<'static> {
    let endpoint = match c.endpoint {
        Endpoint::Custom(url) => Endpoint::Custom(intern(url)),
        Endpoint::Ipv6 => Endpoint::Ipv6,
        _ => Endpoint::Ipv4,
    };
    ImdsConfig {
        endpoint,
        mode: c.mode,
        disabled: c.disabled,
        v1_disabled: c.v1_disabled,
        timeout_secs: c.timeout_secs,
        attempts: c.attempts,
        user_agent: c.user_agent.map(intern),
        improvements: c.improvements,
        static_stability: s.policy.static_stability,
    }
}

fn intern(s: &str) -> &'static str {
    static SEEN: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut seen = SEEN
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(kept) = seen.get(s) {
        return kept;
    }
    let kept: &'static str = Box::leak(s.to_owned().into_boxed_str());
    seen.insert(kept);
    kept
}

/// Carries out one job; a role job takes the base credentials `fetched` holds.
async fn run(s: &Settings, job: Job, fetched: &mut Option<(Credentials, Refresher)>) -> Done {
    match job {
        Job::Role(job) => {
            let run = super::role::run(s, *job, fetched.take()).await;
            match run.result {
                Ok((credentials, provider)) => Done {
                    outcome: ActionOutcome::Credentials {
                        expiry: credentials
                            .expiry_unix_secs()
                            .and_then(credchain_core::time::Timestamp::from_unix_secs),
                    },
                    detail: None,
                    fetched: Some((credentials, Refresher::Role(provider))),
                    calls: run.calls,
                    timed_out: None,
                },
                Err(e) => Done {
                    outcome: ActionOutcome::Failed(ActionFailure::Role(e.failure)),
                    detail: Some(e.message),
                    fetched: None,
                    calls: run.calls,
                    timed_out: None,
                },
            }
        }
        Job::Process {
            profile,
            command,
            account_id,
        } => run_process(s, profile, command, account_id).await,
        Job::Container => run_container(&s.env).await,
        Job::Imds(config) => run_imds(s, config).await,
    }
}

fn failed(failure: ActionFailure, detail: String) -> Done {
    Done {
        outcome: ActionOutcome::Failed(failure),
        detail: Some(detail),
        fetched: None,
        calls: Vec::new(),
        timed_out: None,
    }
}

async fn run_process(
    s: &Settings,
    profile: String,
    command: String,
    account_id: Option<String>,
) -> Done {
    let provider = ProcessProvider {
        profile,
        command,
        account_id,
        options: ProcessOptions {
            deadline: s.process_deadline,
            env: Some(s.env.clone()),
            ..ProcessOptions::default()
        },
    };
    match provider.run().await {
        Ok(c) => {
            let expiry = c.expiration();
            let creds = provider.credentials(&c);
            Done {
                outcome: ActionOutcome::Credentials { expiry },
                detail: None,
                fetched: Some((creds, Refresher::Process(provider))),
                calls: Vec::new(),
                timed_out: None,
            }
        }
        Err(e) => {
            let failure = match &e.kind {
                ProcessErrorKind::EmptyCommand => ProcessFailure::EmptyCommand,
                ProcessErrorKind::Split(_) => ProcessFailure::BadQuoting,
                ProcessErrorKind::Spawn { kind, .. } => ProcessFailure::Spawn(io_kind(*kind)),
                ProcessErrorKind::Exited {
                    status: ExitStatusInfo::Code(c),
                    ..
                } => ProcessFailure::Exited { code: Some(*c) },
                ProcessErrorKind::Output(d) => ProcessFailure::Output(*d),
                ProcessErrorKind::Expiration(t) => ProcessFailure::Expiration(*t),
                // Killed (a signal, the deadline, too much output) or unreadable: the command
                // did not give an answer.
                _ => ProcessFailure::Exited { code: None },
            };
            let mut done = failed(ActionFailure::Process(failure), e.to_string());
            if let ProcessErrorKind::TimedOut { after } = e.kind {
                done.timed_out = Some(after);
            }
            done
        }
    }
}

fn is_timeout(t: TransportError) -> bool {
    matches!(
        t,
        TransportError::ConnectTimeout | TransportError::ReadTimeout
    )
}

fn io_kind(kind: std::io::ErrorKind) -> IoErrorKind {
    match kind {
        std::io::ErrorKind::PermissionDenied => IoErrorKind::PermissionDenied,
        _ => IoErrorKind::Other,
    }
}

async fn run_container(env: &EnvSnapshot) -> Done {
    let token_file = match env.var(ENV_AUTH_TOKEN_FILE) {
        Some(path) => match std::fs::read_to_string(Path::new(path)) {
            Ok(text) => Some(zeroize::Zeroizing::new(text)),
            Err(e) => {
                let kind = io_kind(e.kind());
                return failed(
                    ActionFailure::TokenFile(kind),
                    format!(
                        "cannot read the authorization token file {path} \
                         ({ENV_AUTH_TOKEN_FILE}): {e}"
                    ),
                );
            }
        },
        None => None,
    };
    let cenv = ContainerEnv::resolve(
        |k| env.var(k),
        |_| token_file.as_deref().map(String::as_str),
    );
    let uri_len = cenv.relative_uri.or(cenv.full_uri).map_or(0, str::len);
    // Room for the ECS base URL in front of a relative URI.
    let mut url = vec![0u8; uri_len.saturating_add(64)];
    let config = match ContainerConfig::from_env(&cenv, &mut url) {
        Ok(Some(config)) => config,
        Ok(None) => {
            return Done {
                outcome: ActionOutcome::NothingHere,
                detail: None,
                fetched: None,
                calls: Vec::new(),
                timed_out: None,
            };
        }
        Err(e) => return failed(ActionFailure::ContainerConfig, e.to_string()),
    };
    let mut fetcher = ContainerFetcher::new(config);
    match fetcher.fetch().await {
        Ok(c) => {
            let creds = Credentials::from_http(&c, CONTAINER_ROLE);
            let settings = ContainerSettings::from_vars(|k| env.var(k).map(str::to_owned));
            Done {
                outcome: ActionOutcome::Credentials {
                    expiry: Some(c.expiration),
                },
                detail: None,
                fetched: Some((creds, Refresher::Container(settings))),
                calls: Vec::new(),
                timed_out: None,
            }
        }
        Err(credchain_http::Error::Container { error, .. }) => {
            let detail = error.to_string();
            let timeout = match &*error {
                ContainerError::Transport(t)
                | ContainerError::RetrievalFailed {
                    last: Some(AttemptFailure::Transport(t)),
                    ..
                } => is_timeout(*t).then_some(credchain_core::container::config::TIMEOUT),
                _ => None,
            };
            let mut done = failed(ActionFailure::Container(*error), detail);
            done.timed_out = timeout;
            done
        }
        Err(e) => failed(
            ActionFailure::Container(ContainerError::Transport(TransportError::Other)),
            e.to_string(),
        ),
    }
}

async fn run_imds(s: &Settings, config: ImdsConfig<'static>) -> Done {
    let per_request = Duration::from_secs(u64::try_from(config.timeout_secs).unwrap_or(1));
    let mut fetcher = ImdsFetcher::new(config).wall_clock(s.imds_wall_clock);
    match fetcher.role_credentials().await {
        Ok(ImdsOutcome::Credentials(found)) => {
            if let Some(e) = found.extension {
                tracing::info!(
                    target: "credchain::chain",
                    minutes = e.minutes(),
                    "IMDS credentials expire soon: their expiry was extended (static stability)"
                );
            }
            let creds = Credentials::from_http(&found.credentials, IAM_ROLE);
            Done {
                outcome: ActionOutcome::Credentials {
                    expiry: Some(found.credentials.expiration),
                },
                detail: None,
                fetched: Some((creds, Refresher::Imds(Box::new(fetcher)))),
                calls: Vec::new(),
                timed_out: None,
            }
        }
        Ok(ImdsOutcome::Unavailable(why)) => Done {
            outcome: ActionOutcome::NothingHere,
            detail: Some(format!("no credentials from the IMDS: {why}")),
            fetched: None,
            calls: Vec::new(),
            timed_out: None,
        },
        Ok(ImdsOutcome::Refused(r)) => failed(ActionFailure::ImdsRefused, r.to_string()),
        Ok(ImdsOutcome::InstanceProfile(_)) => failed(
            ActionFailure::ImdsRefused,
            "IMDS answered a credentials request with an instance profile".to_owned(),
        ),
        Err(credchain_http::Error::Imds { error, cause }) => {
            let detail = credchain_http::Error::Imds { error, cause }.to_string();
            let mut done = failed(ActionFailure::Imds(error), detail);
            if let ImdsError::Transport { error: t, .. } = error {
                done.timed_out = is_timeout(t).then_some(per_request);
            }
            done
        }
        Err(e) => failed(
            ActionFailure::Imds(ImdsError::Transport {
                request: RequestKind::Token,
                error: TransportError::Other,
            }),
            e.to_string(),
        ),
    }
}

/// The owned result of a finished walk.
fn finish(
    walk: &Walk<'_>,
    resolution: Resolution<'_>,
    s: &Settings,
    files: &Files,
    details: &[Detail],
    fetched: &mut Option<(Credentials, Refresher)>,
) -> Resolved {
    let selected = walk.profile();
    let profile = ProfileChoice {
        name: selected.name.to_owned(),
        origin: match selected.origin {
            ProfileOrigin::Explicit => "explicit",
            ProfileOrigin::AwsDefaultProfile => "AWS_DEFAULT_PROFILE",
            ProfileOrigin::AwsProfile => "AWS_PROFILE",
            _ => "default",
        },
    };
    let detail_of = |source: Source| {
        details
            .iter()
            .rev()
            .find(|d| d.source == source)
            .map(|d| d.text.clone())
    };
    let mut steps = Vec::with_capacity(Source::ORDER.len().saturating_add(1));
    let trace = walk.trace();
    if matches!(
        resolution,
        Resolution::Credentials {
            source: Source::Explicit,
            ..
        }
    ) {
        steps.push(ExplainStep {
            source: Source::Explicit.method_name(),
            outcome: StepOutcome::Supplied,
            reason: "credentials given by the caller win over every source".to_owned(),
            location: None,
        });
    }
    for source in Source::ORDER {
        let step = match trace.iter().find(|e| e.source == source) {
            Some(e) => step_of(e, detail_of(source)),
            None => ExplainStep {
                source: source.method_name(),
                outcome: StepOutcome::NotReached,
                reason: "not reached: an earlier source decided".to_owned(),
                location: None,
            },
        };
        tracing::debug!(
            target: "credchain::chain",
            source = step.source,
            outcome = ?step.outcome,
            reason = %step.reason,
            "source"
        );
        steps.push(step);
    }
    let mut parse_error = None;
    let ending = match resolution {
        Resolution::Credentials {
            source,
            credentials: c,
        } => {
            let credentials = if source == Source::Explicit {
                s.explicit.clone()
            } else {
                None
            };
            let credentials = credentials.unwrap_or_else(|| {
                Credentials::new(
                    c.access_key_id.to_string(),
                    c.secret_access_key.to_string(),
                    c.session_token.map(|t| t.to_string()),
                    source.method_name(),
                )
                .with_expiry(c.expiry.map(timestamp_to_system_time))
                .with_account_id(c.account_id.map(|a| a.to_string()))
            });
            Ending::Won(Box::new(Won {
                source: source.method_name(),
                credentials,
                refresher: Refresher::Static,
            }))
        }
        Resolution::Delivered { source } => match fetched.take() {
            Some((credentials, refresher)) => Ending::Won(Box::new(Won {
                source: source.method_name(),
                credentials,
                refresher,
            })),
            None => Ending::Failed(ChainFailure {
                source: Some(source.method_name()),
                class: "credchain:Internal",
                message: "the walk says the adapter delivered credentials it does not hold (a \
                          bug: please report it)"
                    .to_owned(),
                timed_out: None,
            }),
        },
        Resolution::NoCredentials => Ending::NoCredentials,
        Resolution::Failed(e) => {
            if let WalkError::FileParse { file, path, error } = e.kind {
                parse_error = Some((file, path, error.to_string()));
            }
            let timed_out = e.source.and_then(|source| {
                details
                    .iter()
                    .rev()
                    .find(|d| d.source == source)
                    .and_then(|d| d.timed_out)
            });
            Ending::Failed(failure_of(&e, e.source.and_then(detail_of), timed_out))
        }
    };
    if let Ending::Failed(f) = &ending {
        tracing::warn!(
            target: "credchain::chain",
            source = f.source.unwrap_or(super::CHAIN),
            class = f.class,
            message = %f.message,
            "the chain stopped with an error"
        );
    }
    Resolved {
        profile,
        files: files.reports(parse_error),
        steps,
        roles: Vec::new(),
        ending,
    }
}

fn failure_of(
    e: &ChainError<'_>,
    detail: Option<String>,
    timed_out: Option<Duration>,
) -> ChainFailure {
    ChainFailure {
        source: e.source.map(Source::method_name),
        class: e.kind.botocore_class(),
        message: detail.unwrap_or_else(|| e.kind.to_string()),
        timed_out,
    }
}

fn step_of(e: &TraceEntry<'_>, detail: Option<String>) -> ExplainStep {
    let outcome = match e.outcome {
        Outcome::Applies => StepOutcome::Supplied,
        Outcome::NothingHere => StepOutcome::Nothing,
        Outcome::Skipped => StepOutcome::Skipped,
        _ => StepOutcome::Error,
    };
    let reason = match (outcome, detail) {
        (StepOutcome::Error | StepOutcome::Nothing, Some(d)) => d,
        _ => e.reason.to_string(),
    };
    ExplainStep {
        source: e.source.method_name(),
        outcome,
        reason,
        location: location_of(&e.reason),
    }
}

fn location_of(reason: &Reason<'_>) -> Option<Location> {
    let (path, line) = match reason {
        Reason::KeysInFile { path, line, .. } | Reason::NoAccessKey { path, line, .. } => {
            (*path, *line)
        }
        Reason::Error(WalkError::FileParse { path, error, .. }) => (*path, error.line),
        _ => return None,
    };
    (line > 0).then(|| Location {
        file: path.to_owned(),
        line,
    })
}
