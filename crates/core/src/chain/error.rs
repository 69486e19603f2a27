//! What stops the chain, and the trace of every decision.

use core::fmt;

use super::exec::{RoleFailure, RoleStep};
use super::files::{FileRole, IoErrorKind};
use super::role::{CredentialSource, SsoMissing};
use super::walk::{ActionFailure, ProcessFailure};
use super::{Source, Str};
use crate::document::DocumentErrorKind;
use crate::imds::{ConfigError, ImdsError};
use crate::profile::ParseError;
use crate::time::{TimeError, Timestamp};

/// Why the chain stopped with an error. Each variant names botocore's exception
/// ([`ErrorKind::botocore_class`]); the messages are botocore's where it has one, with the file,
/// path and line added where there is one.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum ErrorKind<'a> {
    /// A profile was named (explicitly, `AWS_DEFAULT_PROFILE` or `AWS_PROFILE`) and neither
    /// file defines it (spec §0.1).
    ProfileNotFound {
        /// The name.
        name: &'a str,
    },
    /// A file does not parse (spec §3.2).
    FileParse {
        /// Which file.
        file: FileRole,
        /// Its path.
        path: &'a str,
        /// Where and why.
        error: ParseError,
    },
    /// A file exists but could not be read (botocore reads such a config or credentials file as
    /// empty; credchain reports it).
    FileUnreadable {
        /// Which file.
        file: FileRole,
        /// Its path.
        path: &'a str,
        /// Why.
        error: IoErrorKind,
    },
    /// `AWS_CREDENTIAL_FILE` names a file that does not exist (`ConfigNotFound`, spec §3.7).
    FileNotFound {
        /// Which file.
        file: FileRole,
        /// The variable's value.
        path: &'a str,
    },
    /// `AWS_CREDENTIAL_FILE` is not UTF-8 (`UnicodeDecodeError`).
    NotUtf8 {
        /// Which file.
        file: FileRole,
        /// Its path.
        path: &'a str,
        /// The offset of the first byte that is not UTF-8.
        offset: usize,
    },
    /// An IMDS setting botocore refuses while building its resolver (spec §1.4).
    ImdsConfig(ConfigError<'a>),
    /// An access key without its secret (`PartialCredentialsError`).
    PartialCredentials {
        /// Which source.
        source: Source,
        /// The missing variable or key.
        missing: &'static str,
        /// The profile, for the file sources.
        profile: Option<Str<'a>>,
    },
    /// `AWS_CREDENTIAL_EXPIRATION` does not parse (botocore: dateutil's `ParserError`).
    InvalidExpiration {
        /// Why.
        error: TimeError,
    },
    /// `AWSAccessKeyId` without `AWSSecretKey` in the `AWS_CREDENTIAL_FILE` (`KeyError`).
    Ec2MissingSecret {
        /// The file.
        path: &'a str,
    },
    /// A role profile with both `source_profile` and `credential_source` (spec §8.1).
    BothSources {
        /// The profile.
        profile: Str<'a>,
    },
    /// A role profile with neither `source_profile` nor `credential_source`.
    NoSource {
        /// The profile.
        profile: Str<'a>,
    },
    /// A `credential_source` other than `Environment`, `Ec2InstanceMetadata`, `EcsContainer`.
    InvalidCredentialSource {
        /// The profile.
        profile: Str<'a>,
        /// The value.
        value: Str<'a>,
    },
    /// A `source_profile` that neither file defines.
    SourceProfileNotFound {
        /// The profile holding `source_profile`.
        profile: Str<'a>,
        /// The name it gives.
        source_profile: Str<'a>,
    },
    /// A `source_profile` chain that comes back to a profile already visited.
    InfiniteLoop {
        /// The profile holding the `source_profile`.
        profile: Str<'a>,
        /// The profile visited again.
        source_profile: Str<'a>,
    },
    /// The source profile at the bottom of a role chain supplies no credentials.
    SourceProfileWithoutCredentials {
        /// The source profile.
        source_profile: Str<'a>,
    },
    /// A role chain longer than [`MAX_HOPS`](super::MAX_HOPS) (a credchain limit).
    TooManyHops {
        /// The profile where the chain was cut.
        profile: Str<'a>,
    },
    /// The `credential_source` supplied nothing (`CredentialRetrievalError`).
    CredentialSourceEmpty {
        /// The source.
        credential_source: CredentialSource,
        /// The profile naming it.
        profile: Str<'a>,
    },
    /// A web identity token file without a role ARN (`InvalidConfigError`, spec §8.2).
    WebIdentityWithoutRoleArn,
    /// `sso_session` names a section that does not exist (spec §8.3).
    SsoSessionNotFound {
        /// The session name.
        name: Str<'a>,
    },
    /// A key set in the profile and in the `[sso-session]` with different values.
    SsoInconsistent {
        /// The key.
        key: Str<'a>,
        /// The profile's value.
        profile_value: Str<'a>,
        /// The session's value.
        session_value: Str<'a>,
    },
    /// An SSO profile missing required keys.
    SsoMissingConfig {
        /// The profile.
        profile: Str<'a>,
        /// The missing keys.
        missing: SsoMissing,
    },
    /// The source applies, but credchain cannot carry it out yet: STS (`assume-role`,
    /// `assume-role-with-web-identity`), SSO, `login`. The plan is at
    /// [`Walk::role_plan`](super::Walk::role_plan).
    NotSupported {
        /// The source.
        source: Source,
        /// The profile.
        profile: Str<'a>,
        /// The number of roles to assume.
        hops: u8,
    },
    /// A step of a role plan failed (spec §8): STS or SSO refused, could not be reached, or
    /// a token could not be read. botocore raises these at first use; credchain while it
    /// resolves. The chain stops (spec §1.3).
    Role {
        /// The role source.
        source: Source,
        /// The profile of the step (the hop's profile, or the base's).
        profile: Str<'a>,
        /// The role being assumed, when the step is one.
        role_arn: Option<Str<'a>>,
        /// The step and why.
        failure: RoleFailure,
    },
    /// An action the adapter carried out failed.
    Action {
        /// The source.
        source: Source,
        /// What failed.
        failure: ActionFailure,
    },
}

impl ErrorKind<'_> {
    /// The botocore exception class this corresponds to; `credchain:…` where botocore has
    /// none (a documented improvement, or a limit).
    #[must_use]
    pub fn botocore_class(&self) -> &'static str {
        match self {
            ErrorKind::ProfileNotFound { .. } => "ProfileNotFound",
            ErrorKind::FileParse { .. } => "ConfigParseError",
            ErrorKind::FileUnreadable { .. } => "credchain:FileUnreadable",
            ErrorKind::FileNotFound { .. } => "ConfigNotFound",
            ErrorKind::NotUtf8 { .. } => "UnicodeDecodeError",
            ErrorKind::ImdsConfig(ConfigError::NotAnInteger { .. }) => "ValueError",
            ErrorKind::ImdsConfig(ConfigError::InvalidMode { .. }) => {
                "InvalidIMDSEndpointModeError"
            }
            ErrorKind::ImdsConfig(ConfigError::InvalidEndpoint { .. }) => {
                "InvalidIMDSEndpointError"
            }
            ErrorKind::PartialCredentials { .. } | ErrorKind::NoSource { .. } => {
                "PartialCredentialsError"
            }
            ErrorKind::InvalidExpiration { .. } => "ParserError",
            ErrorKind::Ec2MissingSecret { .. } => "KeyError",
            ErrorKind::BothSources { .. }
            | ErrorKind::InvalidCredentialSource { .. }
            | ErrorKind::SourceProfileNotFound { .. }
            | ErrorKind::SourceProfileWithoutCredentials { .. }
            | ErrorKind::WebIdentityWithoutRoleArn
            | ErrorKind::SsoSessionNotFound { .. }
            | ErrorKind::SsoInconsistent { .. }
            | ErrorKind::SsoMissingConfig { .. } => "InvalidConfigError",
            ErrorKind::InfiniteLoop { .. } => "InfiniteLoopConfigError",
            ErrorKind::TooManyHops { .. } => "credchain:TooManyHops",
            ErrorKind::CredentialSourceEmpty { .. } => "CredentialRetrievalError",
            ErrorKind::NotSupported {
                source: Source::Login,
                ..
            } => "MissingDependencyException",
            ErrorKind::NotSupported { .. } => "credchain:NotSupported",
            ErrorKind::Role { failure, .. } => failure.kind.botocore_class(),
            ErrorKind::Action { failure, .. } => match failure {
                ActionFailure::Process(p) => match p {
                    ProcessFailure::EmptyCommand => "IndexError",
                    ProcessFailure::BadQuoting => "ValueError",
                    ProcessFailure::Spawn(_) => "FileNotFoundError",
                    ProcessFailure::Exited { .. } => "CredentialRetrievalError",
                    ProcessFailure::Output(e) => match e.kind {
                        DocumentErrorKind::UnsupportedVersion { .. }
                        | DocumentErrorKind::MissingKey { .. } => "CredentialRetrievalError",
                        DocumentErrorKind::InvalidUtf8 { .. } => "UnicodeDecodeError",
                        _ => "JSONDecodeError",
                    },
                    ProcessFailure::Expiration(_) => "ParserError",
                },
                ActionFailure::Imds(ImdsError::V1Disabled) => "MetadataRetrievalError",
                ActionFailure::Imds(_) | ActionFailure::ImdsRefused => "credchain:ImdsError",
                ActionFailure::Container(_) => "CredentialRetrievalError",
                ActionFailure::ContainerConfig => "ValueError",
                ActionFailure::TokenFile(_) => "FileNotFoundError",
                ActionFailure::Role(r) => r.kind.botocore_class(),
            },
        }
    }
}

impl fmt::Display for ErrorKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::ProfileNotFound { name } => {
                write!(f, "The config profile ({name}) could not be found")
            }
            ErrorKind::FileParse { path, error, .. } => {
                write!(f, "Unable to parse config file: {path}: {error}")
            }
            ErrorKind::FileUnreadable { file, path, error } => {
                write!(f, "cannot read the {file} {path}: {error}")
            }
            ErrorKind::FileNotFound { path, .. } => {
                write!(f, "The specified config file ({path}) could not be found.")
            }
            ErrorKind::NotUtf8 { file, path, offset } => {
                write!(
                    f,
                    "the {file} {path} is not UTF-8 (invalid byte at offset {offset})"
                )
            }
            ErrorKind::ImdsConfig(e) => write!(f, "{e}"),
            ErrorKind::PartialCredentials {
                source,
                missing,
                profile,
            } => {
                write!(
                    f,
                    "Partial credentials found in {source}, missing: {missing}"
                )?;
                if let Some(p) = profile {
                    write!(f, " (profile {p})")?;
                }
                Ok(())
            }
            ErrorKind::InvalidExpiration { error } => {
                write!(f, "AWS_CREDENTIAL_EXPIRATION is not a timestamp: {error}")
            }
            ErrorKind::Ec2MissingSecret { path } => {
                write!(
                    f,
                    "AWS_CREDENTIAL_FILE {path} has AWSAccessKeyId but no AWSSecretKey"
                )
            }
            ErrorKind::BothSources { profile } => write!(
                f,
                "The profile \"{profile}\" contains both source_profile and credential_source."
            ),
            ErrorKind::NoSource { profile } => write!(
                f,
                "Partial credentials found in assume-role, missing: source_profile or \
                 credential_source (profile {profile})"
            ),
            ErrorKind::InvalidCredentialSource { profile, value } => write!(
                f,
                "The credential source \"{value}\" referenced in profile \"{profile}\" is not \
                 valid."
            ),
            ErrorKind::SourceProfileNotFound {
                profile,
                source_profile,
            } => write!(
                f,
                "The source_profile \"{source_profile}\" referenced in the profile \
                 \"{profile}\" does not exist."
            ),
            ErrorKind::InfiniteLoop {
                profile,
                source_profile,
            } => write!(
                f,
                "Infinite loop in credential configuration detected. Attempting to load from \
                 profile {source_profile} (the source_profile of {profile}) which has already \
                 been visited."
            ),
            ErrorKind::SourceProfileWithoutCredentials { source_profile } => {
                write!(
                    f,
                    "The source profile \"{source_profile}\" must have credentials."
                )
            }
            ErrorKind::TooManyHops { profile } => write!(
                f,
                "the role chain through profile {profile} is longer than {} roles",
                super::MAX_HOPS
            ),
            ErrorKind::CredentialSourceEmpty {
                credential_source,
                profile,
            } => write!(
                f,
                "Error when retrieving credentials from {credential_source}: No credentials \
                 found in credential_source referenced in profile {profile}"
            ),
            ErrorKind::WebIdentityWithoutRoleArn => f.write_str(
                "The provided profile or the current environment is configured to assume role \
                 with web identity but has no role ARN configured. Ensure that the profile has \
                 the role_arn configuration set or the AWS_ROLE_ARN env var is set.",
            ),
            ErrorKind::SsoSessionNotFound { name } => {
                write!(f, "The specified sso-session does not exist: \"{name}\"")
            }
            ErrorKind::SsoInconsistent {
                key,
                profile_value,
                session_value,
            } => write!(
                f,
                "The value for {key} is inconsistent between profile ({profile_value}) and \
                 sso-session ({session_value})."
            ),
            ErrorKind::SsoMissingConfig { profile, missing } => write!(
                f,
                "The profile \"{profile}\" is configured to use SSO but is missing required \
                 configuration: {missing}"
            ),
            ErrorKind::NotSupported {
                source,
                profile,
                hops,
            } => match source {
                Source::AssumeRole => write!(
                    f,
                    "found role profile {profile} ({hops} role(s) to assume), but assuming \
                     roles is not supported yet"
                ),
                Source::AssumeRoleWithWebIdentity => write!(
                    f,
                    "found a web identity configuration (profile {profile}, {hops} more \
                     role(s) to assume), but assuming roles with web identity is not supported \
                     yet"
                ),
                Source::Sso => write!(
                    f,
                    "found an SSO configuration in profile {profile}, but SSO credentials are \
                     not supported yet"
                ),
                Source::Login => write!(
                    f,
                    "profile {profile} has login_session, but the login provider is not \
                     supported"
                ),
                other => write!(f, "{other} is not supported (profile {profile})"),
            },
            ErrorKind::Role {
                source,
                profile,
                role_arn,
                failure,
            } => {
                match (failure.step, role_arn, source) {
                    (RoleStep::Hop { index, of }, Some(arn), _) => write!(
                        f,
                        "assume role {arn} for profile {profile} (hop {index} of {of})"
                    )?,
                    (RoleStep::Base, Some(arn), _) => write!(
                        f,
                        "assume role {arn} with web identity for profile {profile}"
                    )?,
                    (RoleStep::Base, None, Source::Sso) => {
                        write!(f, "SSO role credentials for profile {profile}")?;
                    }
                    (step, _, _) => write!(f, "{source} for profile {profile} ({step})")?,
                }
                write!(f, ": {}", failure.kind)
            }
            ErrorKind::Action { source, failure } => {
                write!(
                    f,
                    "Error when retrieving credentials from {source}: {failure}"
                )
            }
        }
    }
}

/// The chain stopped: which source raised, and why.
#[derive(Debug, Clone, Copy)]
pub struct ChainError<'a> {
    /// The source that raised; `None` for the checks made before any source (spec §1.4).
    pub source: Option<Source>,
    /// Why.
    pub kind: ErrorKind<'a>,
}

impl fmt::Display for ChainError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.source {
            Some(s) => write!(f, "{s}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

impl core::error::Error for ChainError<'_> {}

/// What happened at one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// It supplied the credentials.
    Applies,
    /// Nothing here: the chain moved on.
    NothingHere,
    /// Not part of this chain (the `env` source under an explicit profile).
    Skipped,
    /// Handed to the adapter, which has not reported yet.
    Pending,
    /// It raised: the chain stopped here.
    Failed,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Applies => "applies",
            Outcome::NothingHere => "nothing here",
            Outcome::Skipped => "skipped",
            Outcome::Pending => "pending",
            Outcome::Failed => "failed",
        })
    }
}

/// Why a source decided as it did.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Reason<'a> {
    /// An explicit profile removes the `env` source (spec §0.1).
    ExplicitProfile,
    /// A variable is not set, or is empty where botocore tests for a non-empty value.
    VarUnset(&'static str),
    /// A variable is not set at all: botocore uses the source when it is present, even empty
    /// (`AWS_CREDENTIAL_FILE`, the container endpoint's variables; spec §1.2).
    VarAbsent(&'static str),
    /// The `env` keys: which token variable gave the token, whether they expire.
    EnvKeys {
        /// `AWS_SECURITY_TOKEN` or `AWS_SESSION_TOKEN`, if either gave a token.
        token_var: Option<&'static str>,
        /// When they expire.
        expiry: Option<Timestamp>,
    },
    /// The selected profile exists in neither file (only for `default` when nothing named a
    /// profile; a named one is an error first).
    NoProfile {
        /// The profile.
        profile: &'a str,
    },
    /// The profile lacks the key that makes the source apply.
    KeyAbsent {
        /// The profile.
        profile: &'a str,
        /// The key (`role_arn`, `credential_process`, …).
        key: &'static str,
    },
    /// The profile has `role_arn` and `web_identity_token_file`: web identity wins (spec §8.2).
    WebIdentityWins {
        /// The profile.
        profile: &'a str,
    },
    /// Neither `AWS_WEB_IDENTITY_TOKEN_FILE` nor the profile's key gives a non-empty path.
    NoTokenFile {
        /// Whether the variable was ignored because the profile is explicit.
        env_ignored: bool,
    },
    /// The profile has neither `sso_role_name` nor `sso_account_id`.
    NoSsoRole {
        /// The profile.
        profile: &'a str,
    },
    /// The file does not exist.
    FileMissing(FileRole),
    /// The file has no section for the profile.
    SectionAbsent {
        /// The file.
        file: FileRole,
        /// The section looked for.
        profile: &'a str,
    },
    /// The section has no `aws_access_key_id` (or the EC2 file no `AWSAccessKeyId`).
    NoAccessKey {
        /// The file.
        file: FileRole,
        /// The path.
        path: &'a str,
        /// The section's header line (0 for the EC2 file).
        line: u32,
    },
    /// Keys found in a file.
    KeysInFile {
        /// The file.
        file: FileRole,
        /// The path.
        path: &'a str,
        /// The line of `aws_access_key_id` (0 for the EC2 file).
        line: u32,
    },
    /// `AWS_EC2_METADATA_DISABLED` is `true`.
    ImdsDisabled,
    /// The source needs I/O: handed to the adapter as an [`Action`](super::Action).
    Handed,
    /// The adapter reported credentials.
    Delivered {
        /// Their expiry, if the adapter said.
        expiry: Option<Timestamp>,
    },
    /// The adapter reported nothing here (IMDS unreachable, no role, …).
    NothingReported,
    /// The error that stopped the chain.
    Error(ErrorKind<'a>),
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::ExplicitProfile => {
                f.write_str("an explicit profile removes the environment source")
            }
            Reason::VarUnset(v) => write!(f, "{v} is not set (or empty)"),
            Reason::VarAbsent(v) => write!(f, "{v} is not set"),
            Reason::EnvKeys { token_var, expiry } => {
                f.write_str("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")?;
                if let Some(t) = token_var {
                    write!(f, ", token from {t}")?;
                }
                if let Some(e) = expiry {
                    write!(f, ", expiring {e}")?;
                }
                Ok(())
            }
            Reason::NoProfile { profile } => {
                write!(f, "profile {profile} is in neither file")
            }
            Reason::KeyAbsent { profile, key } => write!(f, "profile {profile} has no {key}"),
            Reason::WebIdentityWins { profile } => write!(
                f,
                "profile {profile} has web_identity_token_file, so web identity takes the role"
            ),
            Reason::NoTokenFile { env_ignored } => {
                f.write_str("no web identity token file (AWS_WEB_IDENTITY_TOKEN_FILE")?;
                if *env_ignored {
                    f.write_str(" ignored under an explicit profile")?;
                }
                f.write_str(", web_identity_token_file)")
            }
            Reason::NoSsoRole { profile } => {
                write!(
                    f,
                    "profile {profile} has neither sso_role_name nor sso_account_id"
                )
            }
            Reason::FileMissing(file) => write!(f, "no {file}"),
            Reason::SectionAbsent { file, profile } => {
                write!(f, "the {file} has no section for profile {profile}")
            }
            Reason::NoAccessKey { file, path, line } => {
                write!(f, "no access key in the {file} {path}")?;
                if *line > 0 {
                    write!(f, " (section at line {line})")?;
                }
                Ok(())
            }
            Reason::KeysInFile { file, path, line } => {
                write!(f, "keys in the {file} {path}")?;
                if *line > 0 {
                    write!(f, ", line {line}")?;
                }
                Ok(())
            }
            Reason::ImdsDisabled => f.write_str("AWS_EC2_METADATA_DISABLED is true"),
            Reason::Handed => f.write_str("handed to the adapter"),
            Reason::Delivered { expiry } => {
                f.write_str("the adapter fetched credentials")?;
                if let Some(e) = expiry {
                    write!(f, ", expiring {e}")?;
                }
                Ok(())
            }
            Reason::NothingReported => f.write_str("the adapter found nothing"),
            Reason::Error(e) => write!(f, "{e}"),
        }
    }
}

/// One source visited: what happened and why.
#[derive(Debug, Clone, Copy)]
pub struct TraceEntry<'a> {
    /// The source.
    pub source: Source,
    /// What happened.
    pub outcome: Outcome,
    /// Why.
    pub reason: Reason<'a>,
}

impl fmt::Display for TraceEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.source, self.outcome, self.reason)
    }
}

/// Every source visited, in order (at most one entry per source of [`Source::ORDER`]).
pub type Trace<'a> = heapless::Vec<TraceEntry<'a>, 13>;
