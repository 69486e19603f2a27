//! SSO: the token cache and the two SSO services a profile uses (spec §8.3).
//!
//! An SSO profile (`sso_role_name`, `sso_account_id`, and `sso_start_url` + `sso_region` or an
//! `sso_session`) trades a cached access token for role credentials:
//!
//! 1. **The token** ([`SsoToken`]): `~/.aws/sso/cache/<`[`CacheFileName`]`>`, the SHA-1 of the
//!    start URL (legacy) or of the `sso-session` name, then `.json`. It needs `accessToken` and
//!    `expiresAt` ([`parse_expires_at`] says which time forms are read). A legacy token that has
//!    expired is botocore's `UnauthorizedSSOTokenError`; an `sso-session` token with less than
//!    15 minutes left is refreshed first, when the file holds a valid client registration
//!    ([`SsoToken::registration`]).
//! 2. **A refresh** ([`CreateToken`], [`CreateTokenResponse`], [`RefreshedToken`]): SSO OIDC
//!    `POST https://oidc.<sso_region>.amazonaws.com/token`, unsigned, with a JSON body; the new
//!    token is written back to the cache in botocore's layout.
//! 3. **Role credentials** ([`GetRoleCredentials`], [`RoleCredentials`]):
//!    `GET https://portal.sso.<sso_region>.amazonaws.com/federation/credentials?role_name=…&account_id=…`,
//!    unsigned, the token in `x-amz-sso_bearer_token`. The expiration comes in epoch
//!    **milliseconds**. An error answer is an [`SsoServiceError`]; `UnauthorizedException`
//!    means the session has to be renewed (`aws sso login`).
//!
//! Endpoints: [`crate::sts::endpoint::resolve_regional`] with prefix `portal.sso` or `oidc`
//! and [`crate::sts::endpoint::ServiceId::SSO`] / [`ServiceId::SSO_OIDC`](crate::sts::endpoint::ServiceId::SSO_OIDC)
//! for `AWS_ENDPOINT_URL_SSO` / `AWS_ENDPOINT_URL_SSO_OIDC`.
//!
//! Every string read is a [`JsonStr`](crate::document::JsonStr): borrowed, with `as_str()`
//! when it has no escapes and `decode_into()` a caller's buffer when it has.

mod cache;
mod json;
mod request;
mod response;

pub(crate) use cache::hash_py_json_str;
pub use cache::{
    CacheFileName, ExpiresAtStyle, REFRESH_WINDOW_SECS, RefreshRegistration, RefreshedToken,
    Sha1Hex, SsoRefreshFailure, SsoToken, TokenCacheKey, parse_expires_at,
    role_credentials_cache_key,
};
pub use json::{SsoDocument, SsoDocumentError, SsoErrorKind};
pub use request::{
    BEARER_TOKEN_HEADER, CREATE_TOKEN_PATH, CreateToken, GET_ROLE_CREDENTIALS_PATH,
    GetRoleCredentials, JSON_CONTENT_TYPE, REFRESH_GRANT_TYPE, push_joined_path,
};
pub use response::{CreateTokenResponse, RoleCredentials, SsoErrorCode, SsoServiceError};

/// The host prefix of the SSO portal (`portal.sso.<region>.<dns suffix>`).
pub const PORTAL_PREFIX: &str = "portal.sso";

/// The host prefix of SSO OIDC (`oidc.<region>.<dns suffix>`).
pub const OIDC_PREFIX: &str = "oidc";
