//! The walk itself: a state machine that visits the sources in order and hands out the ones
//! that need I/O.

use core::fmt;

use super::env::{Env, SelectedProfile, env_credentials, select_profile};
use super::error::{ChainError, ErrorKind, Outcome, Reason, Trace, TraceEntry};
use super::exec::{Hops, RoleFailure, RoleFailureKind, RoleStep, RoleWork};
use super::files::{FileInput, FileRole, IoErrorKind, parse_ec2_credentials, static_keys};
use super::role::{
    CredentialSource, RoleBase, RolePlan, has_role_vars, plan_assume_role, sso, web_identity,
};
use super::{Credentials, Source, Str};
use crate::container::client::ContainerError;
use crate::container::config::{ENV_FULL_URI, ENV_RELATIVE_URI};
use crate::document::{DocumentError, ProcessCredentials};
use crate::imds::{ImdsConfig, ImdsError, ImdsSettings};
use crate::profile::{Dialect, FileKind, Merged, ProfileFile};
use crate::time::{TimeError, Timestamp};

/// Credentials the caller passes in: they win over every source, and nothing is checked
/// (botocore's `set_credentials`, method `explicit`).
#[derive(Debug, Clone, Copy)]
pub struct ExplicitCredentials<'a> {
    /// The access key id.
    pub access_key_id: &'a str,
    /// The secret access key.
    pub secret_access_key: &'a str,
    /// The session token.
    pub session_token: Option<&'a str>,
    /// The account id.
    pub account_id: Option<&'a str>,
}

/// Everything the walk reads. The adapter fills it in; paths are the adapter's business.
#[derive(Clone, Copy)]
pub struct Inputs<'a> {
    /// The environment.
    pub env: &'a dyn Env,
    /// Credentials given by the caller.
    pub explicit_credentials: Option<ExplicitCredentials<'a>>,
    /// A profile given by the caller (removes the `env` source, spec §0.1).
    pub explicit_profile: Option<&'a str>,
    /// How profile files are read.
    pub dialect: Dialect,
    /// The config file (`AWS_CONFIG_FILE`, default `~/.aws/config`; `""` means none).
    pub config: FileInput<'a>,
    /// The credentials file (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`).
    pub credentials: FileInput<'a>,
    /// The file `AWS_CREDENTIAL_FILE` names (`~` expanded), when that variable is present.
    pub ec2_credentials: FileInput<'a>,
    /// The boto2 files in the order they are tried: the file `BOTO_CONFIG` names when it is
    /// present, else `/etc/boto.cfg` then `~/.boto`.
    pub boto: &'a [FileInput<'a>],
}

impl fmt::Debug for Inputs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inputs")
            .field("explicit_credentials", &self.explicit_credentials.is_some())
            .field("explicit_profile", &self.explicit_profile)
            .field("dialect", &self.dialect)
            .field("config", &self.config.path())
            .field("credentials", &self.credentials.path())
            .finish_non_exhaustive()
    }
}

impl<'a> Inputs<'a> {
    /// The environment alone: no files, no explicit credentials or profile, botocore's dialect.
    #[must_use]
    pub fn new(env: &'a dyn Env) -> Inputs<'a> {
        Inputs {
            env,
            explicit_credentials: None,
            explicit_profile: None,
            dialect: Dialect::Botocore,
            config: FileInput::Missing,
            credentials: FileInput::Missing,
            ec2_credentials: FileInput::Missing,
            boto: &[],
        }
    }
}

/// An action the adapter carries out for a source, then reports with [`Walk::report`] (or
/// [`Walk::report_process`]).
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// Run `credential_process` (spec §7): split `command` like a POSIX shell (no shell, no `~`
    /// or `$VAR` expansion), run it with the inherited environment, capture stdout and stderr,
    /// and hand the result to [`Walk::report_process`], which checks the output.
    Process {
        /// The profile.
        profile: Str<'a>,
        /// The command line.
        command: Str<'a>,
        /// The profile's `aws_account_id`: the account id when the output has no `AccountId`.
        account_id: Option<Str<'a>>,
    },
    /// Fetch from the container endpoint: build the configuration with
    /// [`crate::container::ContainerEnv::resolve`] and
    /// [`crate::container::ContainerConfig::from_env`] (reading the token file if
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` is set), run a
    /// [`crate::container::ContainerClient`], and report its outcome.
    Container,
    /// Fetch from the IMDS with a [`crate::imds::ImdsClient`] built on this configuration, and
    /// report its outcome ("nothing here" falls through).
    Imds(ImdsConfig<'a>),
    /// Carry out a role plan (spec §8): get the base credentials (from
    /// [`RoleWork::base_credentials`], or the credentials the previous action fetched, or the
    /// web identity / SSO call of the base), then assume each hop in order, each signed with
    /// the previous one's credentials. Report the last credentials' expiry, or the
    /// [`RoleFailure`] of the step that failed, with [`Walk::report_role`].
    Role(RoleWork<'a>),
}

/// What the adapter reports after an [`Action`]. The adapter keeps the credentials it fetched;
/// the walk only needs to know how it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionOutcome {
    /// Credentials were obtained.
    Credentials {
        /// Their expiry, if any.
        expiry: Option<Timestamp>,
    },
    /// Nothing here: the chain goes on (the IMDS finding nothing, spec §1.3).
    NothingHere,
    /// The action failed: the chain stops.
    Failed(ActionFailure),
}

/// Why an action failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionFailure {
    /// `credential_process` failed.
    Process(ProcessFailure),
    /// The IMDS client ended with an error.
    Imds(ImdsError),
    /// The IMDS answered with a `Code` other than `Success` (credchain's improvement).
    ImdsRefused,
    /// The container client ended with an error.
    Container(ContainerError),
    /// The container configuration was refused (host, URL or token; botocore: `ValueError`).
    ContainerConfig,
    /// The container authorization token file could not be read.
    TokenFile(IoErrorKind),
    /// A step of a role plan failed.
    Role(RoleFailure),
}

impl fmt::Display for ActionFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ActionFailure::Process(p) => write!(f, "{p}"),
            ActionFailure::Imds(e) => write!(f, "{e}"),
            ActionFailure::ImdsRefused => f.write_str("the IMDS refused to give credentials"),
            ActionFailure::Container(e) => write!(f, "{e}"),
            ActionFailure::ContainerConfig => {
                f.write_str("the container credentials endpoint is not allowed")
            }
            ActionFailure::TokenFile(e) => {
                write!(f, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: {e}")
            }
            ActionFailure::Role(r) => write!(f, "{r}"),
        }
    }
}

/// Why `credential_process` failed (spec §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessFailure {
    /// The command line is empty (botocore: `IndexError`).
    EmptyCommand,
    /// The command line has an unbalanced quote (`ValueError: No closing quotation`).
    BadQuoting,
    /// The command could not be started (`FileNotFoundError`, …).
    Spawn(IoErrorKind),
    /// It exited with a non-zero status; the adapter adds stderr to the message.
    Exited {
        /// The exit code, `None` when killed by a signal.
        code: Option<i32>,
    },
    /// Its output is not usable.
    Output(DocumentError),
    /// Its `Expiration` does not parse.
    Expiration(TimeError),
}

impl fmt::Display for ProcessFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProcessFailure::EmptyCommand => f.write_str("credential_process is empty"),
            ProcessFailure::BadQuoting => f.write_str("No closing quotation"),
            ProcessFailure::Spawn(e) => write!(f, "cannot run credential_process: {e}"),
            ProcessFailure::Exited { code: Some(c) } => {
                write!(f, "credential_process exited with status {c}")
            }
            ProcessFailure::Exited { code: None } => {
                f.write_str("credential_process was killed by a signal")
            }
            ProcessFailure::Output(e) => write!(f, "{e}"),
            ProcessFailure::Expiration(e) => write!(f, "Expiration: {e}"),
        }
    }
}

/// How a `credential_process` run went, as the adapter saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProcessExit<'r> {
    /// The command ran to completion.
    Exited {
        /// Whether the status is 0.
        success: bool,
        /// The exit code, `None` when killed by a signal.
        code: Option<i32>,
        /// Its standard output.
        stdout: &'r [u8],
    },
    /// The command could not be split or started.
    NotRun(ProcessFailure),
}

/// How the walk ended.
#[derive(Debug, Clone, Copy)]
pub enum Resolution<'a> {
    /// A pure source supplied these credentials.
    Credentials {
        /// Which.
        source: Source,
        /// The credentials, borrowing the inputs.
        credentials: Credentials<'a>,
    },
    /// The adapter's action supplied the credentials (it holds them).
    Delivered {
        /// Which source.
        source: Source,
    },
    /// No source supplied any (botocore: `None`, then `NoCredentialsError`).
    NoCredentials,
    /// A source raised, or the checks before any source failed.
    Failed(ChainError<'a>),
}

/// What the caller does next.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub enum Step<'a> {
    /// Carry this out and report with [`Walk::report`] / [`Walk::report_process`].
    Run(Action<'a>),
    /// The walk is over.
    Done(Resolution<'a>),
}

/// What an action is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// The source's own credentials.
    Plain,
    /// The base credentials of a role plan; the role work follows.
    RoleBase,
    /// The role work itself.
    RoleWork,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The next source to visit is `Source::ORDER[i]`.
    At(usize),
    /// An action is out.
    Waiting {
        /// The source that asked.
        source: Source,
        /// What the action is for.
        stage: Stage,
    },
    Done,
}

/// What visiting one source decided.
enum Visit<'a> {
    Nothing(Outcome, Reason<'a>),
    Found(Credentials<'a>, Reason<'a>),
    Failed(ErrorKind<'a>),
    Run(Action<'a>, Stage),
}

/// The default chain, walked (see the [module docs](super)).
///
/// [`Walk::next_step`] says what to do; after an [`Step::Run`], carry the action out, report it, and
/// call `next` again. A finished walk keeps returning its [`Step::Done`]; [`Walk::trace`] holds
/// every source visited.
pub struct Walk<'a> {
    env: &'a dyn Env,
    profile: SelectedProfile<'a>,
    dialect: Dialect,
    merged: Merged<'a>,
    /// The paths of the config and credentials files, for messages.
    paths: (&'a str, &'a str),
    ec2: FileInput<'a>,
    boto: &'a [FileInput<'a>],
    imds: ImdsConfig<'a>,
    state: State,
    action: Option<Action<'a>>,
    plan: Option<RolePlan<'a>>,
    result: Resolution<'a>,
    trace: Trace<'a>,
}

impl fmt::Debug for Walk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Walk")
            .field("profile", &self.profile)
            .field("state", &self.state)
            .field("trace", &self.trace)
            .finish_non_exhaustive()
    }
}

fn parse_file<'a>(
    input: &FileInput<'a>,
    kind: FileKind,
    role: FileRole,
    dialect: Dialect,
) -> Result<Option<ProfileFile<'a>>, ErrorKind<'a>> {
    match *input {
        FileInput::Missing => Ok(None),
        FileInput::Unreadable { path, error } => Err(ErrorKind::FileUnreadable {
            file: role,
            path,
            error,
        }),
        FileInput::Contents { path, bytes } => ProfileFile::parse_bytes(bytes, kind, dialect)
            .map(Some)
            .map_err(|error| ErrorKind::FileParse {
                file: role,
                path,
                error,
            }),
    }
}

impl<'a> Walk<'a> {
    /// Starts a walk: selects the profile, parses the files and makes the checks botocore makes
    /// before any source (spec §0.1, §1.4). Their errors are the first [`Step`].
    pub fn new(inputs: Inputs<'a>) -> Walk<'a> {
        let profile = select_profile(inputs.explicit_profile, inputs.env);
        let mut walk = Walk {
            env: inputs.env,
            profile,
            dialect: inputs.dialect,
            merged: Merged::new(None, None),
            paths: (
                inputs.config.path().unwrap_or(""),
                inputs.credentials.path().unwrap_or(""),
            ),
            ec2: inputs.ec2_credentials,
            boto: inputs.boto,
            imds: ImdsConfig::default(),
            state: State::At(0),
            action: None,
            plan: None,
            result: Resolution::NoCredentials,
            trace: Trace::new(),
        };
        if let Some(c) = inputs.explicit_credentials {
            let credentials = Credentials {
                access_key_id: Str::Plain(c.access_key_id),
                secret_access_key: Str::Plain(c.secret_access_key),
                session_token: c.session_token.map(Str::Plain),
                expiry: None,
                account_id: c.account_id.map(Str::Plain),
            };
            walk.finish(Resolution::Credentials {
                source: Source::Explicit,
                credentials,
            });
            return walk;
        }
        if let Err(kind) = walk.prepare(&inputs) {
            walk.finish(Resolution::Failed(ChainError { source: None, kind }));
        }
        walk
    }

    fn prepare(&mut self, inputs: &Inputs<'a>) -> Result<(), ErrorKind<'a>> {
        let config = parse_file(
            &inputs.config,
            FileKind::Config,
            FileRole::Config,
            self.dialect,
        )?;
        let credentials = parse_file(
            &inputs.credentials,
            FileKind::Credentials,
            FileRole::Credentials,
            self.dialect,
        )?;
        self.merged = Merged::new(config.as_ref(), credentials.as_ref());
        let scoped = self.merged.profile(self.profile.name);
        if self.profile.origin.is_named() && scoped.is_none() {
            return Err(ErrorKind::ProfileNotFound {
                name: self.profile.name,
            });
        }
        let env = self.env;
        let settings = ImdsSettings::resolve(
            |k| env.var(k),
            |k| scoped.and_then(|p| p.get(k)).and_then(|(v, _)| v.as_str()),
        );
        self.imds = ImdsConfig::from_settings(&settings).map_err(ErrorKind::ImdsConfig)?;
        Ok(())
    }

    /// The selected profile.
    #[must_use]
    pub fn profile(&self) -> SelectedProfile<'a> {
        self.profile
    }

    /// The merged view of the two files (empty until they parsed).
    #[must_use]
    pub fn merged(&self) -> &Merged<'a> {
        &self.merged
    }

    /// The IMDS configuration botocore would build (defaults until the checks passed).
    #[must_use]
    pub fn imds_config(&self) -> &ImdsConfig<'a> {
        &self.imds
    }

    /// The plan of the role source the walk reached, if any: the hops and base of
    /// `assume-role`, or the configuration of web identity or SSO.
    #[must_use]
    pub fn role_plan(&self) -> Option<&RolePlan<'a>> {
        self.plan.as_ref()
    }

    /// Every source visited so far, in order, with its outcome and reason.
    #[must_use]
    pub fn trace(&self) -> &Trace<'a> {
        &self.trace
    }

    /// What to do next: an action to carry out (the same one until it is reported), or the
    /// end of the walk.
    pub fn next_step(&mut self) -> Step<'a> {
        loop {
            match self.state {
                State::Done => return Step::Done(self.result),
                State::Waiting { .. } => match self.action {
                    Some(a) => return Step::Run(a),
                    None => self.state = State::Done,
                },
                State::At(i) => {
                    let Some(&source) = Source::ORDER.get(i) else {
                        self.finish(Resolution::NoCredentials);
                        continue;
                    };
                    self.state = State::At(i.saturating_add(1));
                    match self.visit(source) {
                        Visit::Nothing(outcome, reason) => self.record(source, outcome, reason),
                        Visit::Found(credentials, reason) => {
                            self.record(source, Outcome::Applies, reason);
                            self.finish(Resolution::Credentials {
                                source,
                                credentials,
                            });
                        }
                        Visit::Failed(kind) => self.fail(source, kind),
                        Visit::Run(action, stage) => {
                            self.record(source, Outcome::Pending, Reason::Handed);
                            self.action = Some(action);
                            self.state = State::Waiting { source, stage };
                            return Step::Run(action);
                        }
                    }
                }
            }
        }
    }

    /// Reports how the pending action went; then call [`Walk::next_step`] (its result is returned
    /// for convenience). Without a pending action this does nothing.
    pub fn report(&mut self, outcome: ActionOutcome) -> Step<'a> {
        let State::Waiting { source, stage } = self.state else {
            return self.next_step();
        };
        let for_role = stage == Stage::RoleBase;
        let action = self.action.take();
        self.state = State::At(
            Source::ORDER
                .iter()
                .position(|s| *s == source)
                .map_or(usize::MAX, |i| i.saturating_add(1)),
        );
        let action_source = match action {
            Some(Action::Process { .. }) => Source::CustomProcess,
            Some(Action::Container) => Source::ContainerRole,
            Some(Action::Role(w)) => w.source,
            Some(Action::Imds(_)) | None => Source::IamRole,
        };
        if stage == Stage::RoleWork {
            match outcome {
                ActionOutcome::Credentials { expiry } => {
                    self.update_last(Outcome::Applies, Reason::Delivered { expiry });
                    self.finish(Resolution::Delivered { source });
                }
                ActionOutcome::Failed(ActionFailure::Role(failure)) => {
                    let kind = self.role_error(source, failure);
                    self.fail(source, kind);
                }
                ActionOutcome::Failed(failure) => self.fail(
                    source,
                    ErrorKind::Action {
                        source: action_source,
                        failure,
                    },
                ),
                ActionOutcome::NothingHere => {
                    let failure = RoleFailure {
                        step: RoleStep::Base,
                        kind: RoleFailureKind::BadResponse,
                    };
                    let kind = self.role_error(source, failure);
                    self.fail(source, kind);
                }
            }
            return self.next_step();
        }
        match outcome {
            ActionOutcome::Failed(failure) => self.fail(
                source,
                ErrorKind::Action {
                    source: action_source,
                    failure,
                },
            ),
            ActionOutcome::Credentials { .. } if for_role => {
                // The base is in the adapter's hands: the roles come next.
                match self.role_work(source, None) {
                    Some(work) => {
                        let action = Action::Role(work);
                        self.action = Some(action);
                        self.state = State::Waiting {
                            source,
                            stage: Stage::RoleWork,
                        };
                        return Step::Run(action);
                    }
                    None => {
                        let (profile, hops) = self.plan_summary();
                        self.fail(
                            source,
                            ErrorKind::NotSupported {
                                source,
                                profile,
                                hops,
                            },
                        );
                    }
                }
            }
            ActionOutcome::NothingHere if for_role => {
                let credential_source = match action {
                    Some(Action::Container) => CredentialSource::EcsContainer,
                    _ => CredentialSource::Ec2InstanceMetadata,
                };
                let (profile, _) = self.plan_summary();
                self.fail(
                    source,
                    ErrorKind::CredentialSourceEmpty {
                        credential_source,
                        profile,
                    },
                );
            }
            ActionOutcome::Credentials { expiry } => {
                self.update_last(Outcome::Applies, Reason::Delivered { expiry });
                self.finish(Resolution::Delivered { source });
            }
            ActionOutcome::NothingHere => {
                self.update_last(Outcome::NothingHere, Reason::NothingReported);
            }
        }
        self.next_step()
    }

    /// Reports how an [`Action::Role`] went: the expiry of the credentials of the last step, or
    /// the step that failed and why. The walk stops either way; a failure is
    /// [`ErrorKind::Role`], naming the profile, the role and the step.
    pub fn report_role(&mut self, outcome: Result<Option<Timestamp>, RoleFailure>) -> Step<'a> {
        self.report(match outcome {
            Ok(expiry) => ActionOutcome::Credentials { expiry },
            Err(f) => ActionOutcome::Failed(ActionFailure::Role(f)),
        })
    }

    /// The role work of the plan, for `source`.
    fn role_work(
        &self,
        source: Source,
        base_credentials: Option<Credentials<'a>>,
    ) -> Option<RoleWork<'a>> {
        let plan = self.plan.as_ref()?;
        Some(RoleWork {
            source,
            base: plan.base,
            base_credentials,
            hops: Hops::from_slice(&plan.hops),
        })
    }

    /// The error of a failed role step, named from the plan.
    fn role_error(&self, source: Source, failure: RoleFailure) -> ErrorKind<'a> {
        let profile = Str::Plain(self.profile.effective());
        let Some(plan) = self.plan.as_ref() else {
            return ErrorKind::Role {
                source,
                profile,
                role_arn: None,
                failure,
            };
        };
        match failure.step {
            RoleStep::Hop { index, .. } => {
                let hop = plan.hops.get(usize::from(index).saturating_sub(1));
                ErrorKind::Role {
                    source,
                    profile: hop.map_or(profile, |h| h.profile),
                    role_arn: hop.map(|h| h.role_arn),
                    failure,
                }
            }
            RoleStep::Base => {
                let (profile, role_arn) = match plan.base {
                    RoleBase::WebIdentity(w) => (
                        plan.hops.first().map_or(profile, |h| h.profile),
                        Some(w.role_arn),
                    ),
                    RoleBase::Sso(c) => (c.profile, None),
                    RoleBase::Static { profile, .. } | RoleBase::Process { profile, .. } => {
                        (profile, None)
                    }
                    RoleBase::CredentialSource(_) => {
                        (plan.hops.first().map_or(profile, |h| h.profile), None)
                    }
                };
                ErrorKind::Role {
                    source,
                    profile,
                    role_arn,
                    failure,
                }
            }
        }
    }

    /// Reports a `credential_process` run: checks its output as botocore does (spec §7),
    /// moves the walk on, and returns the credentials (borrowing `stdout`) or the failure. The
    /// account id falls back to the `account_id` of [`Action::Process`].
    pub fn report_process<'r>(
        &mut self,
        exit: ProcessExit<'r>,
    ) -> Result<ProcessCredentials<'r>, ProcessFailure> {
        let checked = check_process(exit);
        let outcome = match &checked {
            Ok((_, expiry)) => ActionOutcome::Credentials { expiry: *expiry },
            Err(f) => ActionOutcome::Failed(ActionFailure::Process(*f)),
        };
        let _ = self.report(outcome);
        checked.map(|(c, _)| c)
    }

    fn plan_summary(&self) -> (Str<'a>, u8) {
        match &self.plan {
            Some(p) => (
                p.hops
                    .last()
                    .map_or(Str::Plain(self.profile.effective()), |h| h.profile),
                u8::try_from(p.hops.len()).unwrap_or(u8::MAX),
            ),
            None => (Str::Plain(self.profile.effective()), 0),
        }
    }

    fn record(&mut self, source: Source, outcome: Outcome, reason: Reason<'a>) {
        let _ = self.trace.push(TraceEntry {
            source,
            outcome,
            reason,
        });
    }

    fn update_last(&mut self, outcome: Outcome, reason: Reason<'a>) {
        if let Some(last) = self.trace.last_mut() {
            last.outcome = outcome;
            last.reason = reason;
        }
    }

    fn fail(&mut self, source: Source, kind: ErrorKind<'a>) {
        match self.trace.last() {
            Some(last) if last.source == source => {
                self.update_last(Outcome::Failed, Reason::Error(kind));
            }
            _ => self.record(source, Outcome::Failed, Reason::Error(kind)),
        }
        self.finish(Resolution::Failed(ChainError {
            source: Some(source),
            kind,
        }));
    }

    fn finish(&mut self, result: Resolution<'a>) {
        self.result = result;
        self.state = State::Done;
        self.action = None;
    }

    fn visit(&mut self, source: Source) -> Visit<'a> {
        let name = self.profile.effective();
        let merged = self.merged;
        let explicit = self.profile.origin == super::ProfileOrigin::Explicit;
        match source {
            Source::Explicit => Visit::Nothing(Outcome::Skipped, Reason::ExplicitProfile),
            Source::Env => {
                if explicit {
                    return Visit::Nothing(Outcome::Skipped, Reason::ExplicitProfile);
                }
                match env_credentials(self.env) {
                    Ok(None) => Visit::Nothing(
                        Outcome::NothingHere,
                        Reason::VarUnset(super::env::ACCESS_KEY),
                    ),
                    Ok(Some((c, token_var))) => Visit::Found(
                        c,
                        Reason::EnvKeys {
                            token_var,
                            expiry: c.expiry,
                        },
                    ),
                    Err(e) => Visit::Failed(e),
                }
            }
            Source::AssumeRole => {
                let Some(p) = merged.profile(name) else {
                    return Visit::Nothing(
                        Outcome::NothingHere,
                        Reason::NoProfile { profile: name },
                    );
                };
                if !has_role_vars(&p) {
                    let reason = if p.get("role_arn").is_some() {
                        Reason::WebIdentityWins { profile: name }
                    } else {
                        Reason::KeyAbsent {
                            profile: name,
                            key: "role_arn",
                        }
                    };
                    return Visit::Nothing(Outcome::NothingHere, reason);
                }
                match plan_assume_role(&merged, name) {
                    Ok(Some(plan)) => {
                        let base = plan.base;
                        self.plan = Some(plan);
                        self.role_base(base)
                    }
                    Ok(None) => Visit::Nothing(
                        Outcome::NothingHere,
                        Reason::KeyAbsent {
                            profile: name,
                            key: "role_arn",
                        },
                    ),
                    Err(e) => Visit::Failed(e),
                }
            }
            Source::AssumeRoleWithWebIdentity => {
                let env = if explicit { None } else { Some(self.env) };
                match web_identity(&merged, name, env) {
                    Ok(None) => Visit::Nothing(
                        Outcome::NothingHere,
                        Reason::NoTokenFile {
                            env_ignored: explicit,
                        },
                    ),
                    Ok(Some(w)) => {
                        self.plan = Some(RolePlan {
                            base: RoleBase::WebIdentity(w),
                            hops: heapless::Vec::new(),
                        });
                        self.role_run(source, None)
                    }
                    Err(e) => Visit::Failed(e),
                }
            }
            Source::Sso => match sso(&merged, name) {
                Ok(None) => {
                    Visit::Nothing(Outcome::NothingHere, Reason::NoSsoRole { profile: name })
                }
                Ok(Some(c)) => {
                    self.plan = Some(RolePlan {
                        base: RoleBase::Sso(c),
                        hops: heapless::Vec::new(),
                    });
                    self.role_run(source, None)
                }
                Err(e) => Visit::Failed(e),
            },
            Source::SharedCredentialsFile => {
                self.file_keys(merged.credentials(), FileRole::Credentials, source)
            }
            Source::ConfigFile => self.file_keys(merged.config(), FileRole::Config, source),
            Source::Login => match merged.profile(name) {
                Some(p) if p.get("login_session").is_some() => {
                    Visit::Failed(ErrorKind::NotSupported {
                        source,
                        profile: Str::Plain(name),
                        hops: 0,
                    })
                }
                _ => Visit::Nothing(
                    Outcome::NothingHere,
                    Reason::KeyAbsent {
                        profile: name,
                        key: "login_session",
                    },
                ),
            },
            Source::CustomProcess => {
                let p = merged.profile(name);
                match p.and_then(|p| p.get("credential_process")) {
                    Some((command, _)) => Visit::Run(
                        Action::Process {
                            profile: Str::Plain(name),
                            command: Str::from_value(command),
                            account_id: p
                                .and_then(|p| p.get("aws_account_id"))
                                .map(|(v, _)| Str::from_value(v)),
                        },
                        Stage::Plain,
                    ),
                    None => Visit::Nothing(
                        Outcome::NothingHere,
                        Reason::KeyAbsent {
                            profile: name,
                            key: "credential_process",
                        },
                    ),
                }
            }
            Source::Ec2CredentialsFile => self.ec2_file(),
            Source::BotoConfig => self.boto_files(),
            Source::ContainerRole => {
                if self.env.var(ENV_RELATIVE_URI).is_some() || self.env.var(ENV_FULL_URI).is_some()
                {
                    Visit::Run(Action::Container, Stage::Plain)
                } else {
                    Visit::Nothing(
                        Outcome::NothingHere,
                        Reason::VarAbsent(
                            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / AWS_CONTAINER_CREDENTIALS_FULL_URI",
                        ),
                    )
                }
            }
            Source::IamRole => {
                if self.imds.disabled {
                    Visit::Nothing(Outcome::NothingHere, Reason::ImdsDisabled)
                } else {
                    Visit::Run(Action::Imds(self.imds), Stage::Plain)
                }
            }
        }
    }

    /// Hands out the role work of the plan.
    fn role_run(&self, source: Source, base_credentials: Option<Credentials<'a>>) -> Visit<'a> {
        match self.role_work(source, base_credentials) {
            Some(work) => Visit::Run(Action::Role(work), Stage::RoleWork),
            None => {
                let (profile, hops) = self.plan_summary();
                Visit::Failed(ErrorKind::NotSupported {
                    source,
                    profile,
                    hops,
                })
            }
        }
    }

    /// The base of an `assume-role` plan: given with the role work when the walk has the
    /// credentials (static keys, `Environment`) or when the base is itself a call (web identity,
    /// SSO); handed out first as its own action when it needs I/O (process, container, IMDS).
    fn role_base(&mut self, base: RoleBase<'a>) -> Visit<'a> {
        let (profile, _) = self.plan_summary();
        let source = Source::AssumeRole;
        let empty = |credential_source| ErrorKind::CredentialSourceEmpty {
            credential_source,
            profile,
        };
        match base {
            RoleBase::Static { credentials, .. } => self.role_run(source, Some(credentials)),
            RoleBase::WebIdentity(_) | RoleBase::Sso(_) => self.role_run(source, None),
            RoleBase::Process { profile, command } => Visit::Run(
                Action::Process {
                    profile,
                    command,
                    account_id: super::role::lookup(&self.merged, &profile)
                        .and_then(|p| p.get("aws_account_id"))
                        .map(|(v, _)| Str::from_value(v)),
                },
                Stage::RoleBase,
            ),
            RoleBase::CredentialSource(cs) => match cs {
                CredentialSource::Environment => match env_credentials(self.env) {
                    Ok(Some((c, _))) => self.role_run(source, Some(c)),
                    Ok(None) => Visit::Failed(empty(cs)),
                    Err(e) => Visit::Failed(e),
                },
                CredentialSource::EcsContainer => {
                    if self.env.var(ENV_RELATIVE_URI).is_some()
                        || self.env.var(ENV_FULL_URI).is_some()
                    {
                        Visit::Run(Action::Container, Stage::RoleBase)
                    } else {
                        Visit::Failed(empty(cs))
                    }
                }
                CredentialSource::Ec2InstanceMetadata => {
                    if self.imds.disabled {
                        Visit::Failed(empty(cs))
                    } else {
                        Visit::Run(Action::Imds(self.imds), Stage::RoleBase)
                    }
                }
            },
        }
    }

    fn file_keys(
        &self,
        file: Option<&ProfileFile<'a>>,
        role: FileRole,
        source: Source,
    ) -> Visit<'a> {
        let name = self.profile.effective();
        let Some(file) = file else {
            return Visit::Nothing(Outcome::NothingHere, Reason::FileMissing(role));
        };
        let Some(section) = file.profile(name) else {
            return Visit::Nothing(
                Outcome::NothingHere,
                Reason::SectionAbsent {
                    file: role,
                    profile: name,
                },
            );
        };
        let path = match role {
            FileRole::Config => self.path_of(true),
            _ => self.path_of(false),
        };
        match static_keys(&section, source, Str::Plain(name)) {
            Ok(Some(c)) => {
                let line = section.get("aws_access_key_id").map_or(0, |v| v.line());
                Visit::Found(
                    c,
                    Reason::KeysInFile {
                        file: role,
                        path,
                        line,
                    },
                )
            }
            Ok(None) => Visit::Nothing(
                Outcome::NothingHere,
                Reason::NoAccessKey {
                    file: role,
                    path,
                    line: section.line(),
                },
            ),
            Err(e) => Visit::Failed(e),
        }
    }

    fn path_of(&self, config: bool) -> &'a str {
        if config { self.paths.0 } else { self.paths.1 }
    }

    fn ec2_file(&self) -> Visit<'a> {
        let Some(var) = self.env.var("AWS_CREDENTIAL_FILE") else {
            return Visit::Nothing(
                Outcome::NothingHere,
                Reason::VarAbsent("AWS_CREDENTIAL_FILE"),
            );
        };
        let role = FileRole::Ec2Credentials;
        match self.ec2 {
            FileInput::Missing => Visit::Failed(ErrorKind::FileNotFound {
                file: role,
                path: var,
            }),
            FileInput::Unreadable { path, error } => Visit::Failed(ErrorKind::FileUnreadable {
                file: role,
                path,
                error,
            }),
            FileInput::Contents { path, bytes } => {
                let text = match core::str::from_utf8(bytes) {
                    Ok(t) => t,
                    Err(e) => {
                        return Visit::Failed(ErrorKind::NotUtf8 {
                            file: role,
                            path,
                            offset: e.valid_up_to(),
                        });
                    }
                };
                let keys = parse_ec2_credentials(text);
                let Some(access) = keys.access_key_id else {
                    return Visit::Nothing(
                        Outcome::NothingHere,
                        Reason::NoAccessKey {
                            file: role,
                            path,
                            line: 0,
                        },
                    );
                };
                let Some(secret) = keys.secret_key else {
                    return Visit::Failed(ErrorKind::Ec2MissingSecret { path });
                };
                Visit::Found(
                    Credentials {
                        access_key_id: Str::Plain(access),
                        secret_access_key: Str::Plain(secret),
                        session_token: None,
                        expiry: None,
                        account_id: None,
                    },
                    Reason::KeysInFile {
                        file: role,
                        path,
                        line: 0,
                    },
                )
            }
        }
    }

    fn boto_files(&self) -> Visit<'a> {
        let role = FileRole::Boto;
        let mut last_path = None;
        for input in self.boto {
            let file = match parse_file(input, FileKind::Credentials, role, self.dialect) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(e) => return Visit::Failed(e),
            };
            let path = input.path().unwrap_or("");
            last_path = Some(path);
            let Some(section) = file.profile("Credentials") else {
                continue;
            };
            match static_keys(&section, Source::BotoConfig, Str::Plain("Credentials")) {
                Ok(Some(c)) => {
                    let line = section.get("aws_access_key_id").map_or(0, |v| v.line());
                    return Visit::Found(
                        c,
                        Reason::KeysInFile {
                            file: role,
                            path,
                            line,
                        },
                    );
                }
                Ok(None) => {}
                Err(e) => return Visit::Failed(e),
            }
        }
        match last_path {
            None => Visit::Nothing(Outcome::NothingHere, Reason::FileMissing(role)),
            Some(path) => Visit::Nothing(
                Outcome::NothingHere,
                Reason::NoAccessKey {
                    file: role,
                    path,
                    line: 0,
                },
            ),
        }
    }
}

fn check_process(
    exit: ProcessExit<'_>,
) -> Result<(ProcessCredentials<'_>, Option<Timestamp>), ProcessFailure> {
    match exit {
        ProcessExit::NotRun(f) => Err(f),
        ProcessExit::Exited {
            success: false,
            code,
            ..
        } => Err(ProcessFailure::Exited { code }),
        ProcessExit::Exited { stdout, .. } => {
            let c = ProcessCredentials::parse_bytes(stdout).map_err(ProcessFailure::Output)?;
            let expiry = c.expiration().map_err(ProcessFailure::Expiration)?;
            Ok((c, expiry))
        }
    }
}
