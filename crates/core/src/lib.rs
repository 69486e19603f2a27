//! # credchain-core
//!
//! The `#![no_std]`, allocation-free, sans-IO core of credchain: every decision botocore makes
//! when it looks for AWS credentials, as data and pure functions, with no file, socket, clock or
//! random source of its own. Adapters hand it bytes, the current time and a jitter value; it hands
//! back facts and decisions.
//!
//! The modules read as the table of contents of the behaviour they implement:
//!
//! | module | what it decides | reference |
//! |---|---|---|
//! | [`profile`] | how `~/.aws/config` and `~/.aws/credentials` are read, in botocore's dialect or the cross-SDK one, and how the two files merge | spec §3 |
//! | [`document`] | what the IMDS, the container endpoint and a `credential_process` answer means | spec §4.7, §6, §7 |
//! | [`time`] | timestamps as they appear in those documents and in `AWS_CREDENTIAL_EXPIRATION` | spec §5.4 |
//! | [`refresh`] | when cached credentials are served, refreshed in the background or waited for, and how stale ones are extended | spec §4.8, §5 |
//! | [`imds`] | how the EC2 instance metadata service is configured and asked for role credentials (IMDSv2 token, fallbacks, retries), as a sans-IO state machine | spec §4 |
//! | [`container`] | which container credentials endpoint is allowed and how it is asked (ECS, EKS Pod Identity), as a sans-IO state machine | spec §6 |
//! | [`http`] | the requests those machines hand out and the responses and failures they take back; URLs and IP addresses as botocore's Python reads them | spec §4.2, §6 |
//! | [`chain`] | which source supplies credentials, in botocore's order, with every skipped source's reason; role plans and the STS exchange's retries | spec §0, §1, §8 |
//! | [`sigv4`] | how a request is signed with AWS Signature Version 4, and how a server checks a signature | spec §8.1 |
//! | [`sts`] | the STS `AssumeRole` and `AssumeRoleWithWebIdentity` requests, the STS endpoint, and what STS answers | spec §8.1, §8.2, §8.4 |
//! | [`sso`] | the SSO token cache, the portal's `GetRoleCredentials` and the SSO-OIDC token refresh | spec §8.3 |
//! | [`buf`] | how output is written into a caller's buffer | |
//!
//! "spec §N" refers to the behavioural specification of botocore 1.43.11 the project follows.
//!
//! ## Rules every module keeps
//!
//! - Parsers borrow: their output points into their input. Where bytes must be produced
//!   (an unescaped JSON string, a joined multi-line value, a formatted timestamp) the caller
//!   passes a buffer, and a buffer that is too small is a [`buf::BufferTooSmall`] error naming
//!   the size needed.
//! - No input makes the core panic, allocate, or read outside its input; the fuzz targets and
//!   the zero-allocation tests hold it to that.
//! - Errors are small `Copy` types carrying positions (line, column, byte offset) where it helps,
//!   displayed through `core::fmt`.

#![no_std]
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

pub mod buf;
pub mod chain;
pub mod container;
pub mod document;
pub mod http;
pub mod imds;
pub mod profile;
pub mod refresh;
pub mod sigv4;
pub mod sso;
pub mod sts;
pub mod time;
