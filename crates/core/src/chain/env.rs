//! The environment as the chain reads it, which profile is selected (spec §0.1), and the `env`
//! source (spec §1.2, §2.1).

use core::fmt;

use super::error::ErrorKind;
use super::{Credentials, Source, Str};
use crate::time::Timestamp;

/// A snapshot of the process environment.
///
/// botocore tells an absent variable from one set to the empty string in several places
/// (`AWS_PROFILE=""` selects the profile `""`; `AWS_CREDENTIAL_FILE=""` makes the
/// `ec2-credentials-file` source apply), so `var` returns `Some("")` for a variable that is
/// present but empty. Values are used byte for byte, never trimmed (spec §2.1).
///
/// Implemented for slices and arrays of `(name, value)` pairs (the first pair with the name
/// wins) and for [`NoEnv`]; the std adapter implements it for an owned snapshot of `std::env`.
pub trait Env {
    /// The value of `name`, or `None` when it is not set.
    fn var(&self, name: &str) -> Option<&str>;
}

impl Env for [(&str, &str)] {
    fn var(&self, name: &str) -> Option<&str> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn var(&self, name: &str) -> Option<&str> {
        self.as_slice().var(name)
    }
}

impl<E: Env + ?Sized> Env for &E {
    fn var(&self, name: &str) -> Option<&str> {
        (**self).var(name)
    }
}

/// An empty environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEnv;

impl Env for NoEnv {
    fn var(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// Where the profile name came from (spec §0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProfileOrigin {
    /// The caller named it (botocore's `Session(profile=...)`): this also removes the `env`
    /// source and makes web identity ignore its variables.
    Explicit,
    /// `AWS_DEFAULT_PROFILE` (which beats `AWS_PROFILE`).
    AwsDefaultProfile,
    /// `AWS_PROFILE`.
    AwsProfile,
    /// Nothing named one: `default`, which need not exist.
    Default,
}

impl ProfileOrigin {
    /// Whether a name was given, so that the profile must exist (spec §0.1).
    #[must_use]
    pub fn is_named(self) -> bool {
        self != ProfileOrigin::Default
    }
}

impl fmt::Display for ProfileOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ProfileOrigin::Explicit => "explicit profile",
            ProfileOrigin::AwsDefaultProfile => "AWS_DEFAULT_PROFILE",
            ProfileOrigin::AwsProfile => "AWS_PROFILE",
            ProfileOrigin::Default => "no profile named",
        })
    }
}

/// The selected profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SelectedProfile<'a> {
    /// The name as given (may be `""`).
    pub name: &'a str,
    /// Where it came from.
    pub origin: ProfileOrigin,
}

impl<'a> SelectedProfile<'a> {
    /// The name the sources use: botocore's `profile_name or "default"`, so an empty name
    /// means `default` there (while the existence check still looks for `""`).
    #[must_use]
    pub fn effective(&self) -> &'a str {
        if self.name.is_empty() {
            "default"
        } else {
            self.name
        }
    }
}

/// Selects the profile as botocore does (spec §0.1): the explicit one, else
/// `AWS_DEFAULT_PROFILE`, else `AWS_PROFILE` — a variable counts when present, even empty —
/// else `default`.
///
/// ```
/// use credchain_core::chain::{select_profile, ProfileOrigin};
///
/// let env = [("AWS_PROFILE", "p"), ("AWS_DEFAULT_PROFILE", "")];
/// let p = select_profile(None, &env);
/// assert_eq!((p.name, p.origin), ("", ProfileOrigin::AwsDefaultProfile));
/// assert_eq!(p.effective(), "default");
/// ```
pub fn select_profile<'a>(explicit: Option<&'a str>, env: &'a dyn Env) -> SelectedProfile<'a> {
    if let Some(name) = explicit {
        return SelectedProfile {
            name,
            origin: ProfileOrigin::Explicit,
        };
    }
    if let Some(name) = env.var(AWS_DEFAULT_PROFILE) {
        return SelectedProfile {
            name,
            origin: ProfileOrigin::AwsDefaultProfile,
        };
    }
    if let Some(name) = env.var(AWS_PROFILE) {
        return SelectedProfile {
            name,
            origin: ProfileOrigin::AwsProfile,
        };
    }
    SelectedProfile {
        name: "default",
        origin: ProfileOrigin::Default,
    }
}

pub(crate) const AWS_PROFILE: &str = "AWS_PROFILE";
pub(crate) const AWS_DEFAULT_PROFILE: &str = "AWS_DEFAULT_PROFILE";
pub(crate) const ACCESS_KEY: &str = "AWS_ACCESS_KEY_ID";
pub(crate) const SECRET_KEY: &str = "AWS_SECRET_ACCESS_KEY";
pub(crate) const SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
pub(crate) const SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
pub(crate) const EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
pub(crate) const ACCOUNT_ID: &str = "AWS_ACCOUNT_ID";

/// A variable that is set and not empty (botocore's `environ.get(name, '')` tests).
fn non_empty<'a>(env: &'a dyn Env, name: &str) -> Option<&'a str> {
    env.var(name).filter(|v| !v.is_empty())
}

/// The `env` source (botocore's `EnvProvider.load`): `None` when `AWS_ACCESS_KEY_ID` is unset or
/// empty; an error when the secret is missing or empty, or the expiration does not parse.
/// `AWS_SECURITY_TOKEN` beats `AWS_SESSION_TOKEN`; empty tokens count as unset.
pub(crate) fn env_credentials<'a>(
    env: &'a dyn Env,
) -> Result<Option<(Credentials<'a>, Option<&'static str>)>, ErrorKind<'a>> {
    let Some(access) = non_empty(env, ACCESS_KEY) else {
        return Ok(None);
    };
    let Some(secret) = non_empty(env, SECRET_KEY) else {
        return Err(ErrorKind::PartialCredentials {
            source: Source::Env,
            missing: SECRET_KEY,
            profile: None,
        });
    };
    let (token, token_var) = match non_empty(env, SECURITY_TOKEN) {
        Some(t) => (Some(t), Some(SECURITY_TOKEN)),
        None => match non_empty(env, SESSION_TOKEN) {
            Some(t) => (Some(t), Some(SESSION_TOKEN)),
            None => (None, None),
        },
    };
    let expiry = match non_empty(env, EXPIRATION) {
        Some(text) => {
            Some(Timestamp::parse(text).map_err(|error| ErrorKind::InvalidExpiration { error })?)
        }
        None => None,
    };
    Ok(Some((
        Credentials {
            access_key_id: Str::Plain(access),
            secret_access_key: Str::Plain(secret),
            session_token: token.map(Str::Plain),
            expiry,
            account_id: non_empty(env, ACCOUNT_ID).map(Str::Plain),
        },
        token_var,
    )))
}
