//! `container-role`: credentials from the container endpoint (ECS, EKS Pod Identity).
//!
//! [`ContainerProvider`] adapts `credchain-http`'s [`ContainerFetcher`] (which runs the core's
//! container client: the URL and host rules, three attempts, spec §6) to
//! [`ProvideCredentials`]. It keeps the environment it was given and, like botocore's refresh
//! callback (spec §5.3), reads the authorization token file again on every fetch, so a rotated
//! token is picked up.
//!
//! | | the provider |
//! |---|---|
//! | neither `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` nor `_FULL_URI` present | [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) |
//! | a host that is not allowed, an unreadable token file, a failed fetch | [`ErrorKind::Failed`](crate::ErrorKind::Failed) |
//! | credentials | [`Credentials`] from `container-role`, with `AccountId` when given |

use std::fmt;
use std::path::PathBuf;

use credchain_core::container::config::{
    ENV_AUTH_TOKEN, ENV_AUTH_TOKEN_FILE, ENV_FULL_URI, ENV_RELATIVE_URI,
};
use credchain_core::container::{AuthToken, ContainerConfig, ContainerEnv};
use credchain_http::ContainerFetcher;
use zeroize::Zeroizing;

use crate::provider::ProvideCredentials;
use crate::{Credentials, Error};

/// botocore's `method` for the container endpoint's credentials (spec §1.1).
pub const CONTAINER_ROLE: &str = "container-role";

/// Where the `Authorization` header's value comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum ContainerAuth {
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`: read on every fetch, trailing white space
    /// trimmed.
    File(PathBuf),
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`, used as it is.
    Token(Zeroizing<String>),
}

impl fmt::Debug for ContainerAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerAuth::File(p) => f.debug_tuple("File").field(p).finish(),
            ContainerAuth::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

/// The container provider's environment, owned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerSettings {
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (wins whenever present, even empty).
    pub relative_uri: Option<String>,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub full_uri: Option<String>,
    /// The token: the file when `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` is present, else
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub auth: Option<ContainerAuth>,
}

impl ContainerSettings {
    /// Reads the four variables through `var` (a snapshot of the environment, or
    /// `|n| std::env::var(n).ok()`).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> ContainerSettings {
        let auth = match var(ENV_AUTH_TOKEN_FILE) {
            Some(path) => Some(ContainerAuth::File(PathBuf::from(path))),
            None => var(ENV_AUTH_TOKEN).map(|t| ContainerAuth::Token(Zeroizing::new(t))),
        };
        ContainerSettings {
            relative_uri: var(ENV_RELATIVE_URI),
            full_uri: var(ENV_FULL_URI),
            auth,
        }
    }
}

/// Credentials from the container endpoint. See the [module documentation](self).
#[derive(Debug)]
pub struct ContainerProvider {
    settings: ContainerSettings,
}

impl ContainerProvider {
    /// A provider for `settings`.
    #[must_use]
    pub fn new(settings: ContainerSettings) -> ContainerProvider {
        ContainerProvider { settings }
    }

    /// The settings.
    #[must_use]
    pub fn settings(&self) -> &ContainerSettings {
        &self.settings
    }
}

impl ProvideCredentials for ContainerProvider {
    async fn provide(&self) -> Result<Credentials, Error> {
        let s = &self.settings;
        let file_token: Option<Zeroizing<String>> = match &s.auth {
            Some(ContainerAuth::File(path)) => Some(Zeroizing::new(
                std::fs::read_to_string(path).map_err(|e| {
                    Error::failed(
                        CONTAINER_ROLE,
                        format!(
                            "cannot read the authorization token file {} \
                             (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE): {e}",
                            path.display()
                        ),
                    )
                })?,
            )),
            _ => None,
        };
        let auth_token = match (&s.auth, &file_token) {
            (Some(ContainerAuth::File(_)), Some(contents)) => Some(AuthToken::File(contents)),
            (Some(ContainerAuth::Token(t)), _) => Some(AuthToken::Env(t.as_str())),
            _ => None,
        };
        let env = ContainerEnv {
            relative_uri: s.relative_uri.as_deref(),
            full_uri: s.full_uri.as_deref(),
            auth_token,
        };
        let uri_len = s
            .relative_uri
            .as_deref()
            .or(s.full_uri.as_deref())
            .map_or(0, str::len);
        // Room for the ECS base URL in front of a relative URI.
        let mut url = vec![0u8; uri_len.saturating_add(64)];
        let config = match ContainerConfig::from_env(&env, &mut url) {
            Ok(Some(config)) => config,
            Ok(None) => {
                return Err(Error::not_found(
                    CONTAINER_ROLE,
                    "neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor \
                     AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
                ));
            }
            Err(e) => return Err(Error::failed(CONTAINER_ROLE, e.to_string())),
        };
        let mut fetcher = ContainerFetcher::new(config);
        match fetcher.fetch().await {
            Ok(c) => Ok(Credentials::from_http(&c, CONTAINER_ROLE)),
            Err(e) => Err(Error::failed(CONTAINER_ROLE, e)),
        }
    }
}
