//! # credchain
//!
//! AWS credentials the way boto3 and the AWS CLI (botocore 1.43.11) find them and keep them
//! fresh, for async Rust programs.
//!
//! This crate is the part a program calls. The decisions live in `credchain-core` (sans-IO:
//! which source applies, when credentials need refreshing); the bytes move in `credchain-http`.
//! Here they meet:
//!
//! - [`Credentials`] ([`credentials`]): owned, the secret key and the session token zeroized
//!   on drop, never shown by `Debug` or `Display`.
//! - [`ProvideCredentials`] ([`provider`]): the async trait every source implements, with
//!   [`SharedProvider`] for lists of different providers behind `dyn`, and [`StaticProvider`].
//! - [`Error`] ([`error`]): names the provider and says "nothing here", "failed" or "failed for
//!   good", which is what a chain and the refresh machine need to know.
//! - [`CredentialsCache`] ([`cache`]): one provider, the core's refresh machine, single flight.
//!   botocore's refresh windows (spec §5) by default; the cross-SDK policy on request.
//! - [`ImdsProvider`] ([`imds`], `iam-role`) and [`ContainerProvider`] ([`container`],
//!   `container-role`): the endpoints, over `credchain-http`.
//! - [`Clock`], [`RandomSource`] ([`clock`]): time and jitter, injectable for tests.
//! - [`DefaultChain`] ([`chain`]): botocore's default provider chain over all of the above,
//!   resolved once and kept fresh by the cache; [`Explanation`] ([`explain`]): every source
//!   of one walk, its outcome and reason.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), credchain::Error> {
//! use credchain::{Credentials, CredentialsCache, StaticProvider};
//!
//! let cache = CredentialsCache::new(StaticProvider::new(Credentials::new(
//!     "AKIDEXAMPLE",
//!     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
//!     None,
//!     "explicit",
//! )));
//! let creds = cache.get().await?;
//! assert_eq!(creds.to_string(), "AKIDEXAMPLE from explicit (no session token, no expiry)");
//! # Ok(()) }
//! ```
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

pub mod cache;
pub mod chain;
pub mod clock;
pub mod container;
pub mod credentials;
pub mod error;
pub mod explain;
pub mod imds;
pub mod provider;
#[cfg(feature = "aws-sdk")]
pub mod sdk;

pub use cache::{AdvisoryRefresh, CacheBuilder, CredentialsCache};
pub use chain::{ChainFailure, DefaultChain, DefaultChainBuilder, MfaPrompt, RoleCall};
pub use clock::{Clock, FixedRandom, ManualClock, OsRandom, RandomSource, SystemClock};
pub use container::{ContainerAuth, ContainerProvider, ContainerSettings};
pub use credentials::Credentials;
pub use error::{Error, ErrorKind};
pub use explain::{
    ExplainOutcome, ExplainStep, Explanation, FileReport, Location, ProfileChoice, StepOutcome,
};
pub use imds::ImdsProvider;
pub use provider::{
    BoxFuture, DynProvideCredentials, ProvideCredentials, SharedProvider, StaticProvider,
};

/// Re-exported: the refresh policy and the machine's verdicts, which appear in this crate's API.
pub use credchain_core::refresh::{RefreshError, RefreshPolicy};
