//! # Explain: where the credentials came from, and why
//!
//! An [`Explanation`] is one fresh walk of the default chain
//! ([`DefaultChain::explain`](crate::DefaultChain::explain)), rendered as owned values ready to
//! print or to serialize (`serde`): the profile and where its name came from (spec §0.1),
//! every file the chain looked at and what reading it gave, every source of botocore's order
//! (spec §1.1) with its outcome and reason, and the result.
//!
//! The outcomes of a source ([`StepOutcome`]):
//!
//! | outcome | meaning |
//! |---|---|
//! | `supplied` | this source gave the credentials |
//! | `nothing` | nothing here: the chain moved on (spec §1.3) |
//! | `error` | this source raised, and the chain stopped with it |
//! | `skipped` | not part of this chain: `env` under an explicit profile (spec §0.1) |
//! | `not-reached` | a source before it decided |
//!
//! The reason is the core's ([`credchain_core::chain::Reason`]): it names the variable, the
//! file and the line; where an adapter ran something (a command, an endpoint) its own account
//! (the command's stderr, the OS error) is the reason.
//!
//! Never a secret: the result carries the access key id, whether there is a session token,
//! the expiry and the account id — not the secret key, not the token.

use std::fmt;

use credchain_core::refresh::RefreshPolicy;
use serde::Serialize;

use crate::chain::Settings;
use crate::chain::resolve::{Ending, Resolved};
use crate::credentials::unix_secs_floor;

/// One walk of the default chain, explained. See the [module documentation](self).
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The profile the chain used.
    pub profile: ProfileChoice,
    /// Every file the chain looked for.
    pub files: Vec<FileReport>,
    /// Every source, in botocore's order (`explicit` first when the caller gave credentials).
    pub steps: Vec<ExplainStep>,
    /// The STS and SSO calls of a role source, innermost first: the profile, the role, the
    /// session name, the access key id that signed (never a secret), the outcome and expiry.
    pub roles: Vec<crate::chain::RoleCall>,
    /// How the walk ended.
    pub outcome: ExplainOutcome,
    /// The refresh policy in force, in words.
    pub refresh_policy: String,
}

/// The selected profile and where its name came from (spec §0.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileChoice {
    /// The name as given (may be empty: botocore then reads `default`).
    pub name: String,
    /// `explicit`, `AWS_DEFAULT_PROFILE`, `AWS_PROFILE` or `default` (nothing named one).
    pub origin: &'static str,
}

/// A file the chain looked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileReport {
    /// `config`, `credentials`, `ec2-credentials` (`AWS_CREDENTIAL_FILE`) or `boto`.
    pub role: &'static str,
    /// The path, after `$VAR` and `~` expansion.
    pub path: String,
    /// `read`, `missing`, `unreadable` or `parse error`.
    pub state: &'static str,
    /// Why it could not be read or parsed.
    pub detail: Option<String>,
}

/// One source of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExplainStep {
    /// botocore's `method` name: `env`, `assume-role`, …, `iam-role`.
    pub source: &'static str,
    /// What happened.
    pub outcome: StepOutcome,
    /// Why.
    pub reason: String,
    /// The file and line the reason is about, where there is one.
    pub location: Option<Location>,
}

/// What happened at one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepOutcome {
    /// It gave the credentials.
    Supplied,
    /// Nothing here: the chain moved on.
    Nothing,
    /// It raised: the chain stopped here.
    Error,
    /// Not part of this chain (`env` under an explicit profile).
    Skipped,
    /// An earlier source decided.
    NotReached,
}

impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StepOutcome::Supplied => "supplied",
            StepOutcome::Nothing => "nothing",
            StepOutcome::Error => "error",
            StepOutcome::Skipped => "skipped",
            StepOutcome::NotReached => "not-reached",
        })
    }
}

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Location {
    /// The path.
    pub file: String,
    /// The line, from 1.
    pub line: u32,
}

/// How the walk ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ExplainOutcome {
    /// A source supplied credentials.
    Credentials {
        /// Which (botocore's `method`).
        source: &'static str,
        /// The access key id.
        access_key_id: String,
        /// Whether there is a session token (never the token itself).
        has_session_token: bool,
        /// When they expire, RFC 3339; `None` for credentials that never expire.
        expires_at: Option<String>,
        /// Seconds from now (the chain's clock) until they expire; negative when expired.
        expires_in_secs: Option<i64>,
        /// The account id, when known.
        account_id: Option<String>,
    },
    /// No source supplied credentials (botocore: `NoCredentialsError`).
    NoCredentials,
    /// A source raised, or the checks before any source failed.
    Error {
        /// The source that raised, if any.
        source: Option<&'static str>,
        /// botocore's exception class (`credchain:…` where botocore has none).
        class: String,
        /// What went wrong.
        message: String,
    },
}

impl Explanation {
    pub(crate) fn new(resolved: Resolved, s: &Settings) -> Explanation {
        let outcome = match resolved.ending {
            Ending::Won(w) => {
                let c = &w.credentials;
                let now = unix_secs_floor(s.clock.now());
                ExplainOutcome::Credentials {
                    source: w.source,
                    access_key_id: c.access_key_id().to_owned(),
                    has_session_token: c.has_session_token(),
                    expires_at: c.expiry_unix_secs().map(rfc3339),
                    expires_in_secs: c.expiry_unix_secs().map(|e| e.saturating_sub(now)),
                    account_id: c.account_id().map(str::to_owned),
                }
            }
            Ending::NoCredentials => ExplainOutcome::NoCredentials,
            Ending::Failed(f) => ExplainOutcome::Error {
                source: f.source,
                class: f.class.to_owned(),
                message: f.message,
            },
        };
        Explanation {
            profile: resolved.profile,
            files: resolved.files,
            steps: resolved.steps,
            roles: resolved.roles,
            outcome,
            refresh_policy: describe_policy(&s.policy),
        }
    }

    /// The step of the source that supplied the credentials, if one did.
    #[must_use]
    pub fn winner(&self) -> Option<&ExplainStep> {
        self.steps
            .iter()
            .find(|s| s.outcome == StepOutcome::Supplied)
    }

    /// The step for `source` (botocore's `method` name).
    #[must_use]
    pub fn step(&self, source: &str) -> Option<&ExplainStep> {
        self.steps.iter().find(|s| s.source == source)
    }
}

/// Whole seconds as RFC 3339 in UTC.
fn rfc3339(unix_secs: i64) -> String {
    match credchain_core::time::Timestamp::from_unix_secs(unix_secs) {
        Some(t) => t.to_string(),
        None => format!("{unix_secs} s after 1970-01-01T00:00:00Z"),
    }
}

/// The policy in words: botocore's, botocore's exactly, the cross-SDK one, or a custom one.
fn describe_policy(p: &RefreshPolicy) -> String {
    let name = if *p == RefreshPolicy::botocore() {
        "botocore (advisory refresh 15 min before expiry, mandatory 10 min before; a failed \
         refresh in the advisory window keeps the cached credentials)"
    } else if *p == RefreshPolicy::botocore_exact() {
        "botocore exactly (advisory refresh 15 min before expiry, mandatory 10 min before)"
    } else if *p == RefreshPolicy::cross_sdk() {
        "cross-SDK consistent refresh (mandatory 60 s before expiry, advisory window from the \
         lifetime, backoff after a failure)"
    } else {
        "custom"
    };
    let stability = if p.static_stability.is_some() {
        "; IMDS credentials near expiry are extended (static stability)"
    } else {
        "; no IMDS expiry extension"
    };
    format!(
        "{name}; only the source that supplied the credentials is asked again, and credentials \
         without an expiry are never refreshed{stability}"
    )
}

impl fmt::Display for Explanation {
    /// A plain-text report: the profile, the files, one line per source, the result.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "profile: {} (from {})",
            if self.profile.name.is_empty() {
                "\"\""
            } else {
                &self.profile.name
            },
            self.profile.origin
        )?;
        for file in &self.files {
            write!(f, "file {}: {} ({})", file.role, file.path, file.state)?;
            if let Some(d) = &file.detail {
                write!(f, ": {d}")?;
            }
            writeln!(f)?;
        }
        for step in &self.steps {
            write!(
                f,
                "{:<30} {:<12} {}",
                step.source, step.outcome, step.reason
            )?;
            if let Some(l) = &step.location {
                write!(f, " [{}:{}]", l.file, l.line)?;
            }
            writeln!(f)?;
        }
        for (i, call) in self.roles.iter().enumerate() {
            write!(
                f,
                "role {}: {} {} for profile {}",
                i.saturating_add(1),
                call.kind,
                call.role,
                call.profile
            )?;
            if let Some(n) = &call.session_name {
                write!(f, ", session {n}")?;
            }
            match &call.signed_with {
                Some(k) => write!(f, ", signed with {k}")?,
                None => f.write_str(", unsigned")?,
            }
            write!(f, ": {}", call.outcome)?;
            if let Some(k) = &call.access_key_id {
                write!(f, " {k}")?;
            }
            if let Some(e) = &call.expires_at {
                write!(f, ", expiring {e}")?;
            }
            if let Some(e) = &call.error {
                write!(f, ": {e}")?;
            }
            writeln!(f)?;
        }
        match &self.outcome {
            ExplainOutcome::Credentials {
                source,
                access_key_id,
                has_session_token,
                expires_at,
                account_id,
                ..
            } => {
                write!(f, "credentials: {access_key_id} from {source}")?;
                if *has_session_token {
                    f.write_str(", with a session token")?;
                }
                match expires_at {
                    Some(e) => write!(f, ", expiring {e}")?,
                    None => f.write_str(", never expiring")?,
                }
                if let Some(a) = account_id {
                    write!(f, ", account {a}")?;
                }
                writeln!(f)?;
            }
            ExplainOutcome::NoCredentials => writeln!(f, "no credentials: no source supplied any")?,
            ExplainOutcome::Error {
                source,
                class,
                message,
            } => writeln!(
                f,
                "error from {}: {message} ({class})",
                source.unwrap_or("the chain")
            )?,
        }
        write!(f, "refresh: {}", self.refresh_policy)
    }
}
