//! # credchain-http
//!
//! The tokio + hyper transport for credchain's credential endpoints: the EC2 instance metadata
//! service (botocore's `iam-role` provider, spec §4) and the container endpoint
//! (`container-role`, spec §6).
//!
//! credchain's core decides everything — which request comes next, what a `403` to the token
//! request means, when to retry, when to give up — in sans-IO state machines
//! ([`credchain_core::imds::ImdsClient`], [`credchain_core::container::ContainerClient`]). This
//! crate only moves their bytes and their time:
//!
//! - [`HttpClient`] ([`transport`]) sends one request with hyper's low-level HTTP/1.1 client over
//!   a tokio `TcpStream`: a real connect timeout and a real read timeout, a hard cap on the body
//!   size, connection reuse, and every failure mapped onto the core's
//!   [`TransportError`](credchain_core::http::TransportError). It never goes through a proxy,
//!   by design: the metadata service and the container endpoint are addresses of this host or
//!   its link, which no proxy can reach (botocore sends IMDS requests through `HTTP_PROXY`
//!   unless `NO_PROXY` lists the IMDS host; see the README's differences).
//! - [`ImdsFetcher`] ([`imds`]) and [`ContainerFetcher`] ([`container`]) run a machine to the
//!   end — send, sleep, feed back — and turn its borrowed outcome into owned [`Credentials`]
//!   (secrets wrapped in [`Secret`], which never prints) or a reason.
//! - [`HttpsClient`] ([`https`]) sends any request — STS's signed `POST`, the SSO portal's
//!   `GET` — over HTTPS (rustls with a pure-Rust crypto provider: no C toolchain) or plain
//!   HTTP, trusting the Mozilla CA list or the `AWS_CA_BUNDLE` file, through the proxy of
//!   `HTTPS_PROXY` / `HTTP_PROXY` unless `NO_PROXY` lists the host ([`proxy`]), as botocore
//!   does.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use credchain_core::imds::{Endpoint, ImdsConfig};
//! use credchain_http::{ImdsFetcher, ImdsOutcome};
//! use credchain_server::ImdsServer;
//!
//! // A faithful IMDS on loopback stands in for 169.254.169.254.
//! let server = ImdsServer::builder().start().await?;
//! let url = server.endpoint();
//! let config = ImdsConfig { endpoint: Endpoint::custom(&url)?, ..ImdsConfig::default() };
//!
//! let mut imds = ImdsFetcher::new(config);
//! let ImdsOutcome::Credentials(found) = imds.role_credentials().await? else { panic!() };
//! assert_eq!(found.role_name.as_deref(), Some("credchain-role"));
//! assert!(found.credentials.access_key_id.starts_with("ASIA"));
//! // The secret never prints.
//! assert!(!format!("{found:?}").contains(found.credentials.secret_access_key.expose()));
//! # Ok(()) }
//! ```
//!
//! The IMDS and container fetchers do not take `https` endpoints yet (a container `FULL_URI`
//! may be one); such a fetch ends with
//! [`Error::HttpsNotSupported`] before anything is sent.
//!
//! Section references (spec §N) are to the botocore 1.43.11 behavioural specification.

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

mod clock;
pub mod container;
mod credentials;
mod drive;
mod error;
pub mod https;
pub mod imds;
pub mod proxy;
pub mod transport;

pub use clock::WallClock;
pub use container::ContainerFetcher;
pub use credentials::{Credentials, Secret};
pub use error::Error;
pub use https::{
    ConnectTo, HttpsClient, HttpsError, HttpsErrorKind, HttpsOptions, HttpsRequest, HttpsResponse,
    HttpsStats, TrustRoots,
};
pub use imds::{ImdsCredentials, ImdsFetcher, ImdsOutcome, InstanceProfile, Refusal};
pub use proxy::Proxies;
pub use transport::{HttpClient, HttpResponse, Limits, SendError, SendErrorKind, Stats};
