//! Role sources as plans: `assume-role` with its `source_profile` chains and
//! `credential_source` (spec §8.1), web identity (spec §8.2) and SSO (spec §8.3).
//!
//! botocore's role providers defer their STS and SSO calls to the first use of the credentials,
//! but they check the configuration, walk the `source_profile` chain and resolve the source
//! credentials at the bottom while the chain runs. This module does that walk and those checks,
//! and returns the result as a [`RolePlan`]: the roles to assume, innermost first, and where the
//! first one gets its credentials ([`RoleBase`]).
//!
//! The rules, at every hop of an `assume-role` chain (botocore's `_get_role_config`):
//!
//! 1. `source_profile` and `credential_source` both set → `InvalidConfigError`; neither →
//!    `PartialCredentialsError`;
//! 2. `credential_source` must be exactly `Environment`, `Ec2InstanceMetadata` or
//!    `EcsContainer` (case-sensitive);
//! 3. the `source_profile` must exist in the merged view, and must not have been visited
//!    already — except a profile naming itself while holding static keys (it then signs with
//!    them);
//! 4. a source profile with static keys (`aws_access_key_id` *or* `aws_secret_access_key`), or
//!    without `role_arn` (or with `web_identity_token_file`), ends the chain: its credentials
//!    come from the *profile sub-chain* — web identity, SSO, the credentials file, login,
//!    `credential_process`, the config file, environment variables ignored — which must supply
//!    something ("The source profile must have credentials"). Otherwise its own role is
//!    assumed first.

use core::fmt;

use super::error::ErrorKind;
use super::files::static_keys;
use super::{Credentials, Env, Source, Str};
use crate::profile::{Merged, MergedProfile};

/// The most roles a chain may assume (botocore has no limit; credchain keeps the plan on the
/// stack). A longer chain is [`ErrorKind::TooManyHops`].
pub const MAX_HOPS: usize = 8;

/// A `credential_source` value (spec §8.1): the chain's own providers by canonical name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialSource {
    /// `Environment`: the `env` source (even under an explicit profile).
    Environment,
    /// `Ec2InstanceMetadata`: the IMDS.
    Ec2InstanceMetadata,
    /// `EcsContainer`: the container endpoint.
    EcsContainer,
}

impl CredentialSource {
    /// Reads a value, exactly (botocore compares case-sensitively here).
    #[must_use]
    pub fn parse(value: &Str<'_>) -> Option<CredentialSource> {
        [
            CredentialSource::Environment,
            CredentialSource::Ec2InstanceMetadata,
            CredentialSource::EcsContainer,
        ]
        .into_iter()
        .find(|c| value.eq_str(c.name()))
    }

    /// The canonical name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            CredentialSource::Environment => "Environment",
            CredentialSource::Ec2InstanceMetadata => "Ec2InstanceMetadata",
            CredentialSource::EcsContainer => "EcsContainer",
        }
    }

    /// The source of the chain it names.
    #[must_use]
    pub const fn source(self) -> Source {
        match self {
            CredentialSource::Environment => Source::Env,
            CredentialSource::Ec2InstanceMetadata => Source::IamRole,
            CredentialSource::EcsContainer => Source::ContainerRole,
        }
    }
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One role to assume.
#[derive(Debug, Clone, Copy)]
pub struct RoleHop<'a> {
    /// The profile holding `role_arn`.
    pub profile: Str<'a>,
    /// `role_arn` (any value, even empty: STS refuses it later).
    pub role_arn: Str<'a>,
    /// `external_id`.
    pub external_id: Option<Str<'a>>,
    /// `role_session_name` (botocore makes one up when absent).
    pub role_session_name: Option<Str<'a>>,
    /// `mfa_serial`.
    pub mfa_serial: Option<Str<'a>>,
    /// `duration_seconds`, when Python's `int()` reads it (otherwise botocore drops it).
    pub duration_seconds: Option<i64>,
}

/// A web identity configuration (spec §8.2).
#[derive(Debug, Clone, Copy)]
pub struct WebIdentity<'a> {
    /// The token file's path (read at first use, not now).
    pub token_file: Str<'a>,
    /// The role.
    pub role_arn: Str<'a>,
    /// The session name, if any.
    pub role_session_name: Option<Str<'a>>,
}

/// An SSO configuration, checked (spec §8.3).
#[derive(Debug, Clone, Copy)]
pub struct SsoConfig<'a> {
    /// The profile.
    pub profile: Str<'a>,
    /// `sso_start_url`.
    pub start_url: Str<'a>,
    /// `sso_region`.
    pub region: Str<'a>,
    /// `sso_account_id`.
    pub account_id: Str<'a>,
    /// `sso_role_name`.
    pub role_name: Str<'a>,
    /// `sso_session`, for the sso-session form.
    pub session: Option<Str<'a>>,
}

/// The keys an SSO profile lacks, in botocore's order: `sso_role_name`, `sso_account_id`,
/// `sso_start_url`, `sso_region`, `sso_session`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SsoMissing(u8);

const SSO_KEYS: [&str; 5] = [
    "sso_role_name",
    "sso_account_id",
    "sso_start_url",
    "sso_region",
    "sso_session",
];

impl SsoMissing {
    /// The missing keys.
    pub fn keys(&self) -> impl Iterator<Item = &'static str> + '_ {
        SSO_KEYS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1u8 << i) != 0)
            .map(|(_, k)| *k)
    }

    fn add(&mut self, i: usize) {
        self.0 |= 1u8.checked_shl(u32::try_from(i).unwrap_or(0)).unwrap_or(0);
    }
}

impl fmt::Display for SsoMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, k) in self.keys().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(k)?;
        }
        Ok(())
    }
}

/// Where the first role of a chain gets its credentials.
#[derive(Debug, Clone, Copy)]
pub enum RoleBase<'a> {
    /// Static keys of a source profile.
    Static {
        /// The profile.
        profile: Str<'a>,
        /// The file source that read them (`shared-credentials-file` or `config-file`).
        source: Source,
        /// The keys.
        credentials: Credentials<'a>,
    },
    /// A `credential_source`.
    CredentialSource(CredentialSource),
    /// Web identity (also the whole plan of the web identity source).
    WebIdentity(WebIdentity<'a>),
    /// SSO (also the whole plan of the SSO source).
    Sso(SsoConfig<'a>),
    /// A source profile's `credential_process`.
    Process {
        /// The profile.
        profile: Str<'a>,
        /// The command line.
        command: Str<'a>,
    },
}

/// A role source's plan: where the credentials start, then the roles to assume.
#[derive(Debug, Clone)]
pub struct RolePlan<'a> {
    /// Where the first role gets its credentials.
    pub base: RoleBase<'a>,
    /// The roles to assume, innermost (the one the base credentials sign for) first.
    pub hops: heapless::Vec<RoleHop<'a>, MAX_HOPS>,
}

/// Looks up a profile by a name that may be a profile value. A value spanning lines can name no
/// section (section names are one line).
pub(crate) fn lookup<'a>(merged: &Merged<'a>, name: &Str<'a>) -> Option<MergedProfile<'a>> {
    merged.profile(name.as_str()?)
}

fn has(p: &MergedProfile<'_>, key: &str) -> bool {
    p.get(key).is_some()
}

fn value<'a>(p: &MergedProfile<'a>, key: &str) -> Option<Str<'a>> {
    p.get(key).map(|(v, _)| Str::from_value(v))
}

/// botocore's `_has_static_credentials`.
pub(crate) fn has_static(p: &MergedProfile<'_>) -> bool {
    has(p, "aws_access_key_id") || has(p, "aws_secret_access_key")
}

/// botocore's `_has_assume_role_config_vars`.
pub(crate) fn has_role_vars(p: &MergedProfile<'_>) -> bool {
    has(p, "role_arn") && !has(p, "web_identity_token_file")
}

fn hop<'a>(name: Str<'a>, p: &MergedProfile<'a>) -> RoleHop<'a> {
    RoleHop {
        profile: name,
        role_arn: value(p, "role_arn").unwrap_or(Str::Plain("")),
        external_id: value(p, "external_id"),
        role_session_name: value(p, "role_session_name"),
        mfa_serial: value(p, "mfa_serial"),
        duration_seconds: value(p, "duration_seconds")
            .and_then(|s| s.as_str())
            .and_then(crate::imds::config::python_int),
    }
}

/// The `assume-role` source for profile `selected` (botocore's `AssumeRoleProvider.load`):
/// `None` when it does not apply, else the plan or the configuration error.
pub(crate) fn plan_assume_role<'a>(
    merged: &Merged<'a>,
    selected: &'a str,
) -> Result<Option<RolePlan<'a>>, ErrorKind<'a>> {
    let Some(first) = merged.profile(selected) else {
        return Ok(None);
    };
    if !has_role_vars(&first) {
        return Ok(None);
    }
    let mut visited: heapless::Vec<Str<'a>, MAX_HOPS> = heapless::Vec::new();
    let mut outer_first: heapless::Vec<RoleHop<'a>, MAX_HOPS> = heapless::Vec::new();
    let mut name = Str::Plain(selected);
    let mut current = first;
    let _ = visited.push(name);
    let base = loop {
        outer_first
            .push(hop(name, &current))
            .map_err(|_| ErrorKind::TooManyHops { profile: name })?;
        let source_profile = value(&current, "source_profile");
        let credential_source = value(&current, "credential_source");
        match (source_profile, credential_source) {
            (Some(_), Some(_)) => return Err(ErrorKind::BothSources { profile: name }),
            (None, None) => return Err(ErrorKind::NoSource { profile: name }),
            (None, Some(cs)) => {
                let source =
                    CredentialSource::parse(&cs).ok_or(ErrorKind::InvalidCredentialSource {
                        profile: name,
                        value: cs,
                    })?;
                break RoleBase::CredentialSource(source);
            }
            (Some(sp), None) => {
                let Some(source) = lookup(merged, &sp) else {
                    return Err(ErrorKind::SourceProfileNotFound {
                        profile: name,
                        source_profile: sp,
                    });
                };
                if visited.iter().any(|v| v.eq_text(&sp))
                    && (!sp.eq_text(&name) || !has_static(&source))
                {
                    return Err(ErrorKind::InfiniteLoop {
                        profile: name,
                        source_profile: sp,
                    });
                }
                visited
                    .push(sp)
                    .map_err(|_| ErrorKind::TooManyHops { profile: sp })?;
                if has_static(&source) || !has_role_vars(&source) {
                    break source_profile_base(merged, sp)?;
                }
                name = sp;
                current = source;
            }
        }
    };
    let mut hops = heapless::Vec::new();
    for h in outer_first.iter().rev() {
        // Same capacity: cannot fail.
        let _ = hops.push(*h);
    }
    Ok(Some(RolePlan { base, hops }))
}

/// The profile sub-chain botocore runs for a source profile: web identity, SSO, credentials
/// file, login, `credential_process`, config file, with environment variables ignored.
fn source_profile_base<'a>(
    merged: &Merged<'a>,
    name: Str<'a>,
) -> Result<RoleBase<'a>, ErrorKind<'a>> {
    let Some(s) = name.as_str() else {
        return Err(ErrorKind::SourceProfileWithoutCredentials {
            source_profile: name,
        });
    };
    if let Some(w) = web_identity(merged, s, None)? {
        return Ok(RoleBase::WebIdentity(w));
    }
    if let Some(c) = sso(merged, s)? {
        return Ok(RoleBase::Sso(c));
    }
    if let Some(section) = merged.credentials().and_then(|f| f.profile(s))
        && let Some(credentials) = static_keys(&section, Source::SharedCredentialsFile, name)?
    {
        return Ok(RoleBase::Static {
            profile: name,
            source: Source::SharedCredentialsFile,
            credentials,
        });
    }
    let profile = merged.profile(s);
    if profile.is_some_and(|p| has(&p, "login_session")) {
        return Err(ErrorKind::NotSupported {
            source: Source::Login,
            profile: name,
            hops: 0,
        });
    }
    if let Some(command) = profile.and_then(|p| value(&p, "credential_process")) {
        return Ok(RoleBase::Process {
            profile: name,
            command,
        });
    }
    if let Some(section) = merged.config().and_then(|f| f.profile(s))
        && let Some(credentials) = static_keys(&section, Source::ConfigFile, name)?
    {
        return Ok(RoleBase::Static {
            profile: name,
            source: Source::ConfigFile,
            credentials,
        });
    }
    Err(ErrorKind::SourceProfileWithoutCredentials {
        source_profile: name,
    })
}

/// The web identity source (botocore's `AssumeRoleWithWebIdentityProvider`): each of the token
/// file, role ARN and session name from its variable (unless `env` is `None`: an explicit
/// profile, or a source profile) and then the profile key, independently. An empty or absent
/// token file: `None`; no role ARN (or an empty one): an error.
pub(crate) fn web_identity<'a>(
    merged: &Merged<'a>,
    profile: &str,
    env: Option<&'a dyn Env>,
) -> Result<Option<WebIdentity<'a>>, ErrorKind<'a>> {
    let p = merged.profile(profile);
    let get = |key: &str, var: &str| -> Option<Str<'a>> {
        env.and_then(|e| e.var(var))
            .map(Str::Plain)
            .or_else(|| p.and_then(|p| value(&p, key)))
    };
    let Some(token_file) =
        get("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE").filter(|t| !t.is_empty())
    else {
        return Ok(None);
    };
    let Some(role_arn) = get("role_arn", "AWS_ROLE_ARN").filter(|r| !r.is_empty()) else {
        return Err(ErrorKind::WebIdentityWithoutRoleArn);
    };
    Ok(Some(WebIdentity {
        token_file,
        role_arn,
        role_session_name: get("role_session_name", "AWS_ROLE_SESSION_NAME"),
    }))
}

/// The SSO source (botocore's `SSOProvider._load_sso_config`): `None` unless the profile has
/// `sso_role_name` or `sso_account_id`; then the sso-session is merged in (it must exist, and
/// agree with the profile on every key both set) and the required keys checked.
pub(crate) fn sso<'a>(
    merged: &Merged<'a>,
    profile: &'a str,
) -> Result<Option<SsoConfig<'a>>, ErrorKind<'a>> {
    let Some(p) = merged.profile(profile) else {
        return Ok(None);
    };
    if !has(&p, "sso_role_name") && !has(&p, "sso_account_id") {
        return Ok(None);
    }
    let session_name = value(&p, "sso_session");
    let session = match session_name {
        None => None,
        Some(n) => {
            let Some(s) = n.as_str().and_then(|s| merged.sso_session(s)) else {
                return Err(ErrorKind::SsoSessionNotFound { name: n });
            };
            for prop in s.properties() {
                let mut buf = [0u8; 128];
                let Ok(key) = prop.key.write_to(&mut buf) else {
                    continue;
                };
                if let Some(pv) = value(&p, key) {
                    let sv = Str::from_value(prop.value);
                    if !pv.eq_text(&sv) {
                        return Err(ErrorKind::SsoInconsistent {
                            key: Str::from_text(prop.key),
                            profile_value: pv,
                            session_value: sv,
                        });
                    }
                }
            }
            Some(s)
        }
    };
    let resolved = |key: &str| -> Option<Str<'a>> {
        session
            .and_then(|s| s.get(key))
            .map(Str::from_value)
            .or_else(|| value(&p, key))
    };
    let mut missing = SsoMissing::default();
    let mut found = [None; 4];
    for (i, key) in SSO_KEYS.iter().take(4).enumerate() {
        match resolved(key) {
            Some(v) => {
                if let Some(slot) = found.get_mut(i) {
                    *slot = Some(v);
                }
            }
            None => missing.add(i),
        }
    }
    let [
        Some(role_name),
        Some(account_id),
        Some(start_url),
        Some(region),
    ] = found
    else {
        return Err(ErrorKind::SsoMissingConfig {
            profile: Str::Plain(profile),
            missing,
        });
    };
    Ok(Some(SsoConfig {
        profile: Str::Plain(profile),
        start_url,
        region,
        account_id,
        role_name,
        session: session_name,
    }))
}
