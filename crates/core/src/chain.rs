//! # The default provider chain: which source supplies the credentials, and why
//!
//! botocore looks for credentials in a fixed order of *providers* (spec §1.1). Each either
//! supplies credentials, says "nothing here" (the chain moves on), or raises — and **an error
//! stops the whole chain** (spec §1.3). This module is that walk, without I/O: the adapter hands
//! it a snapshot of the environment ([`Env`]) and the files as it read them ([`FileInput`]), and
//! the walk ([`Walk`]) decides, source by source, with a reason for every decision
//! ([`Trace`]). Where a source needs I/O — running a `credential_process` command, asking the
//! container endpoint or the IMDS — the walk hands out an [`Action`] and waits for the adapter to
//! report how it went, quinn-proto style.
//!
//! ## The order (spec §1.1)
//!
//! | # | [`Source`] | `method` | applies when |
//! |---|---|---|---|
//! | 0 | [`Source::Explicit`] | `explicit` | the caller gave credentials: nothing else is looked at |
//! | 1 | [`Source::Env`] | `env` | `AWS_ACCESS_KEY_ID` is non-empty (not with an explicit profile) |
//! | 2 | [`Source::AssumeRole`] | `assume-role` | the profile has `role_arn` and no `web_identity_token_file` |
//! | 3 | [`Source::AssumeRoleWithWebIdentity`] | `assume-role-with-web-identity` | a non-empty token file, from `AWS_WEB_IDENTITY_TOKEN_FILE` or the profile |
//! | 4 | [`Source::Sso`] | `sso` | the profile has `sso_role_name` or `sso_account_id` |
//! | 5 | [`Source::SharedCredentialsFile`] | `shared-credentials-file` | the credentials file's section has `aws_access_key_id` |
//! | 6 | [`Source::Login`] | `login` | the profile has `login_session` |
//! | 7 | [`Source::CustomProcess`] | `custom-process` | the profile has `credential_process` |
//! | 8 | [`Source::ConfigFile`] | `config-file` | the config file's profile has `aws_access_key_id` |
//! | 9 | [`Source::Ec2CredentialsFile`] | `ec2-credentials-file` | `AWS_CREDENTIAL_FILE` is present |
//! | 10 | [`Source::BotoConfig`] | `boto-config` | a boto2 file has `[Credentials]` with `aws_access_key_id` |
//! | 11 | [`Source::ContainerRole`] | `container-role` | a container URI variable is present |
//! | 12 | [`Source::IamRole`] | `iam-role` | always, unless `AWS_EC2_METADATA_DISABLED=true` |
//!
//! ## Before any source (spec §0.1, §1.4)
//!
//! The profile is the explicit one, else `AWS_DEFAULT_PROFILE`, else `AWS_PROFILE` (present
//! counts, even empty), else `default`. Both files are parsed with the core profile reader; a
//! file that fails is an error naming the file, its path, line and column. A profile that was
//! *named* (by any of the three) and exists in neither file is an error, and so are IMDS settings
//! botocore refuses ([`crate::imds::ImdsConfig::from_settings`]). botocore raises these while it
//! builds its resolver, as a side effect of looking the IMDS settings up; credchain raises them
//! always, before any source (a documented improvement: botocore skips the check only when every
//! IMDS setting comes from the environment).
//!
//! ## What is resolved here and what is handed out
//!
//! The *pure* sources — `env`, `shared-credentials-file`, `config-file`, `ec2-credentials-file`,
//! `boto-config` — are resolved entirely here; their [`Credentials`] borrow the environment and
//! the files. `custom-process`, `container-role` and `iam-role` are [`Action`]s. The role sources
//! (`assume-role`, `assume-role-with-web-identity`, `sso`) are planned here ([`RolePlan`]: the
//! hops, the source credentials at the bottom, every configuration check of spec §8) — but
//! executing STS and SSO calls is not supported yet, so a chain that reaches one of them stops
//! with [`ErrorKind::NotSupported`], naming the profile and the plan. botocore would stop there
//! too: its deferred credentials either work or raise whatever STS says, never falling through.
//!
//! ```
//! use credchain_core::chain::{FileInput, Inputs, Resolution, Source, Step, Walk};
//!
//! let env = [("AWS_PROFILE", "dev"), ("AWS_EC2_METADATA_DISABLED", "true")];
//! let config = b"[profile dev]\nregion = eu-west-1\n";
//! let credentials = b"[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = s3cr3t\n";
//! let inputs = Inputs {
//!     config: FileInput::Contents { path: "~/.aws/config", bytes: config },
//!     credentials: FileInput::Contents { path: "~/.aws/credentials", bytes: credentials },
//!     ..Inputs::new(&env)
//! };
//! let mut walk = Walk::new(inputs);
//! let Step::Done(Resolution::Credentials { source, credentials }) = walk.next_step() else { panic!() };
//! assert_eq!(source, Source::SharedCredentialsFile);
//! assert!(credentials.access_key_id.eq_str("AKIADEV"));
//! // Every source visited, in order, with its outcome and reason.
//! for entry in walk.trace() {
//!     println!("{entry}");
//! }
//! assert_eq!(walk.trace().len(), 5); // env, assume-role, web identity, sso, shared-credentials-file
//! ```

// Errors and plans are plain values on the stack: without an allocator there is no `Box` to
// shrink them with, and they are built once per walk, so their size is accepted.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

mod env;
mod error;
mod exec;
mod files;
mod role;
mod walk;

use core::fmt;

use crate::buf::{BufferTooSmall, Writer};
use crate::profile::{Text, Value};
use crate::time::Timestamp;

pub use env::{Env, NoEnv, ProfileOrigin, SelectedProfile, select_profile};
pub use error::{ChainError, ErrorKind, Outcome, Reason, Trace, TraceEntry};
pub use exec::{
    Attempt, Hops, PrepareError, PreparedSts, RETRIED_CODES, RETRIED_STATUSES, RoleFailure,
    RoleFailureKind, RoleStep, RoleWork, STS_MAX_ATTEMPTS, StsCredentialsOut, StsExchange,
    StsFailure, StsVerdict, assume_role_request, backoff, prepare_assume_role,
    prepare_web_identity,
};
pub use files::{Ec2Keys, FileInput, FileRole, IoErrorKind, parse_ec2_credentials};
pub use role::{
    CredentialSource, MAX_HOPS, RoleBase, RoleHop, RolePlan, SsoConfig, SsoMissing, WebIdentity,
};
pub use walk::{
    Action, ActionFailure, ActionOutcome, ExplicitCredentials, Inputs, ProcessExit, ProcessFailure,
    Resolution, Step, Walk,
};

/// A credential source of botocore's chain, in the chain's order (spec §1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// Credentials the caller passed in (`method` `explicit`).
    Explicit,
    /// `AWS_ACCESS_KEY_ID` and friends (`EnvProvider`).
    Env,
    /// `role_arn` in the profile (`AssumeRoleProvider`).
    AssumeRole,
    /// A web identity token file (`AssumeRoleWithWebIdentityProvider`).
    AssumeRoleWithWebIdentity,
    /// IAM Identity Center (`SSOProvider`).
    Sso,
    /// `~/.aws/credentials` (`SharedCredentialProvider`).
    SharedCredentialsFile,
    /// `login_session` (`LoginProvider`).
    Login,
    /// `credential_process` (`ProcessProvider`).
    CustomProcess,
    /// `~/.aws/config` (`ConfigProvider`).
    ConfigFile,
    /// `AWS_CREDENTIAL_FILE` (`OriginalEC2Provider`).
    Ec2CredentialsFile,
    /// `BOTO_CONFIG`, `/etc/boto.cfg`, `~/.boto` (`BotoProvider`).
    BotoConfig,
    /// The ECS / EKS container endpoint (`ContainerProvider`).
    ContainerRole,
    /// The EC2 instance metadata service (`InstanceMetadataProvider`).
    IamRole,
}

impl Source {
    /// The default chain after explicit credentials, in botocore's order.
    pub const ORDER: [Source; 12] = [
        Source::Env,
        Source::AssumeRole,
        Source::AssumeRoleWithWebIdentity,
        Source::Sso,
        Source::SharedCredentialsFile,
        Source::Login,
        Source::CustomProcess,
        Source::ConfigFile,
        Source::Ec2CredentialsFile,
        Source::BotoConfig,
        Source::ContainerRole,
        Source::IamRole,
    ];

    /// botocore's `method` string for credentials from this source.
    #[must_use]
    pub const fn method_name(self) -> &'static str {
        match self {
            Source::Explicit => "explicit",
            Source::Env => "env",
            Source::AssumeRole => "assume-role",
            Source::AssumeRoleWithWebIdentity => "assume-role-with-web-identity",
            Source::Sso => "sso",
            Source::SharedCredentialsFile => "shared-credentials-file",
            Source::Login => "login",
            Source::CustomProcess => "custom-process",
            Source::ConfigFile => "config-file",
            Source::Ec2CredentialsFile => "ec2-credentials-file",
            Source::BotoConfig => "boto-config",
            Source::ContainerRole => "container-role",
            Source::IamRole => "iam-role",
        }
    }

    /// botocore's canonical name (`CANONICAL_NAME`), for the sources that have one.
    #[must_use]
    pub const fn canonical_name(self) -> Option<&'static str> {
        match self {
            Source::Env => Some("Environment"),
            Source::SharedCredentialsFile => Some("SharedCredentials"),
            Source::ConfigFile => Some("SharedConfig"),
            Source::Ec2CredentialsFile => Some("Ec2Config"),
            Source::BotoConfig => Some("Boto2Config"),
            Source::ContainerRole => Some("EcsContainer"),
            Source::IamRole => Some("Ec2InstanceMetadata"),
            _ => None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.method_name())
    }
}

/// A string borrowed from the environment or a file: one slice, a profile value that spans
/// lines (joined with `\n`, spec §3.2), or a section or option name that had to be decoded.
///
/// Compare with [`Str::eq_str`], walk with [`Str::fragments`], copy out with [`Str::write_to`].
#[derive(Clone, Copy)]
pub enum Str<'a> {
    /// One slice.
    Plain(&'a str),
    /// A profile value spanning lines.
    Value(Value<'a>),
    /// A decoded name (a quoted profile name, a lowercased option name).
    Name(Text<'a>),
}

impl<'a> Str<'a> {
    /// A profile value: one slice when it is on one line.
    #[must_use]
    pub fn from_value(v: Value<'a>) -> Str<'a> {
        match v.as_str() {
            Some(s) => Str::Plain(s),
            None => Str::Value(v),
        }
    }

    /// A name: one slice when nothing was decoded.
    #[must_use]
    pub fn from_text(t: Text<'a>) -> Str<'a> {
        match t.as_str() {
            Some(s) => Str::Plain(s),
            None => Str::Name(t),
        }
    }

    /// The text, when it is one slice.
    #[must_use]
    pub fn as_str(&self) -> Option<&'a str> {
        match self {
            Str::Plain(s) => Some(s),
            Str::Value(v) => v.as_str(),
            Str::Name(t) => t.as_str(),
        }
    }

    /// The text as borrowed fragments; their concatenation is the text.
    pub fn fragments(&self) -> impl Iterator<Item = &'a str> + 'a {
        let (plain, value, name) = match *self {
            Str::Plain(s) => (Some(s), None, None),
            Str::Value(v) => (None, Some(v.fragments()), None),
            Str::Name(t) => (None, None, Some(t.fragments())),
        };
        plain
            .into_iter()
            .chain(value.into_iter().flatten())
            .chain(name.into_iter().flatten())
    }

    /// Whether the text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fragments().all(str::is_empty)
    }

    /// The length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.fragments()
            .map(str::len)
            .fold(0, usize::saturating_add)
    }

    /// Whether the text is exactly `s`.
    #[must_use]
    pub fn eq_str(&self, s: &str) -> bool {
        if let Some(t) = self.as_str() {
            return t == s;
        }
        let mut rest = s;
        for frag in self.fragments() {
            match rest.strip_prefix(frag) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// Whether two texts are equal.
    #[must_use]
    pub fn eq_text(&self, other: &Str<'_>) -> bool {
        match (self.as_str(), other.as_str()) {
            (Some(a), Some(b)) => a == b,
            (_, Some(b)) => self.eq_str(b),
            (Some(a), _) => other.eq_str(a),
            _ => self
                .fragments()
                .flat_map(str::chars)
                .eq(other.fragments().flat_map(str::chars)),
        }
    }

    /// Writes the text into `buf`.
    pub fn write_to<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        for frag in self.fragments() {
            w.push_str(frag);
        }
        w.finish()
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for frag in self.fragments() {
            f.write_str(frag)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for frag in self.fragments() {
            for c in frag.chars() {
                write!(f, "{}", c.escape_debug())?;
            }
        }
        f.write_str("\"")
    }
}

impl PartialEq<&str> for Str<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

/// Credentials found by a pure source, borrowing the environment or a file.
///
/// `Debug` shows the secret and the token as their lengths only.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id.
    pub access_key_id: Str<'a>,
    /// The secret access key.
    pub secret_access_key: Str<'a>,
    /// The session token, if any (botocore: `AWS_SECURITY_TOKEN` / `aws_security_token` first).
    pub session_token: Option<Str<'a>>,
    /// When they expire (`AWS_CREDENTIAL_EXPIRATION`); `None` for static credentials.
    pub expiry: Option<Timestamp>,
    /// The account id (`AWS_ACCOUNT_ID`, `aws_account_id`), if any.
    pub account_id: Option<Str<'a>>,
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Len(usize);
        impl fmt::Debug for Len {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "<{} bytes>", self.0)
            }
        }
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &Len(self.secret_access_key.len()))
            .field("session_token", &self.session_token.map(|t| Len(t.len())))
            .field("expiry", &self.expiry)
            .field("account_id", &self.account_id)
            .finish()
    }
}

#[cfg(test)]
mod tests;
