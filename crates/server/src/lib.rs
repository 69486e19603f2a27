//! # credchain-server
//!
//! Servers that hand out AWS credentials the way AWS does, for tests and for local use:
//!
//! - [`ImdsServer`]: the EC2 instance metadata service, IMDSv1 and IMDSv2, faithful to what
//!   the EC2 User Guide documents and field reports show (session tokens with TTL checks and
//!   the hop limit on the token answer, `X-Forwarded-For` rejection, 401/403/404/405 where the
//!   real service gives them, `text/plain` everywhere, LF listings, role and identity
//!   credentials, credentials rotating with at least five minutes of overlap). See [`imds`].
//! - [`ContainerServer`]: the container-credentials endpoint of ECS / EKS Pod Identity, with
//!   its `Authorization` token and `Host` check. See [`container`].
//! - [`StsServer`] and [`SsoServer`]: STS (`AssumeRole`, `AssumeRoleWithWebIdentity`,
//!   `GetCallerIdentity`, SigV4 checked for real against the server's own copy of every key)
//!   and the SSO portal with SSO-OIDC's token refresh, over HTTP or over HTTPS with a CA made
//!   at start ([`tls`]). Their [`EndpointControls`] offer the same clock, fault rules and
//!   transcript. See [`sts`] and [`sso`].
//!
//! Both run on tokio and hyper, bind `127.0.0.1:0` unless told otherwise, and return a handle
//! that gives the bound address, stops the server (also when dropped), and exposes live
//! [`Controls`]: the [`Clock`] that tokens and rotation follow, [fault rules](fault) (delay,
//! stall, reset, close, a status, a truncated or oversized body, a throttle that drops like a
//! link-local allowance), and a [transcript] of every request. Nothing secret is
//! ever logged or recorded: tokens and keys appear only as lengths and short fingerprints.
//!
//! ```no_run
//! # async fn demo() -> Result<(), credchain_server::Error> {
//! use credchain_server::{Fault, FaultRule, HttpTokens, ImdsServer};
//!
//! let imds = ImdsServer::builder()
//!     .http_tokens(HttpTokens::Required)
//!     .fault(FaultRule::on_path("/latest/api/token", Fault::Status(503)).once())
//!     .start()
//!     .await?;
//! // Point an SDK at it: AWS_EC2_METADATA_SERVICE_ENDPOINT=<this>
//! println!("{}", imds.endpoint());
//! // … run the client, then look at what it did:
//! for exchange in imds.transcript() {
//!     println!("{} {} -> {:?}", exchange.method, exchange.path, exchange.status());
//! }
//! imds.stop().await;
//! # Ok(()) }
//! ```
//!
//! Section references (§N) are to the project's notes on real IMDS behaviour
//! ("imds-and-tools") and to the botocore 1.43.11 behavioural specification ("spec").

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

mod access;
mod clock;
pub mod container;
pub mod credentials;
pub mod endpoint;
pub mod fault;
pub mod imds;
mod json;
mod random;
mod serve;
pub mod sso;
pub mod sts;
pub mod tls;
pub mod transcript;

use std::fmt;
use std::net::SocketAddr;

pub use access::{HostCheck, PeerPolicy};
pub use clock::Clock;
pub use container::{
    Authorization, ContainerBuilder, ContainerHandle, ContainerServer, ContainerSettings,
};
pub use credentials::{CredentialSource, Credentials, Rotating, Rotation, SourceError};
pub use endpoint::EndpointControls;
pub use fault::{Fault, FaultId, FaultKind, FaultRule, PathMatch, Throttle, ThrottleAction};
pub use imds::{
    CredentialSet, HttpEndpoint, HttpTokens, ImdsBuilder, ImdsServer, ImdsSettings, RoleMode,
    ServerHandle,
};
pub use serve::Controls;
pub use sso::{SsoBuilder, SsoCall, SsoHandle, SsoServer};
pub use sts::{Role, StsBuilder, StsCall, StsHandle, StsServer};
pub use tls::TlsIdentity;
pub use transcript::{AuthCheck, Exchange, Outcome};

/// Why a server could not start, or a setting or rule was refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The listening socket could not be bound.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A setting, schedule or rule is out of range.
    Config {
        /// Which one.
        what: &'static str,
        /// What was expected.
        detail: String,
    },
    /// The operating system's random source failed.
    Random {
        /// What it said.
        detail: String,
    },
}

impl Error {
    pub(crate) fn config(what: &'static str, detail: impl Into<String>) -> Error {
        Error::Config {
            what,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Bind { addr, source } => write!(f, "cannot listen on {addr}: {source}"),
            Error::Config { what, detail } => write!(f, "invalid {what}: {detail}"),
            Error::Random { detail } => write!(f, "no random bytes from the system: {detail}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind { source, .. } => Some(source),
            _ => None,
        }
    }
}
