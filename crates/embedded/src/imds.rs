//! A whole IMDS fetch over `embedded-io`: the core's [`ImdsClient`] driven to its outcome by a
//! [`Driver`].
//!
//! The machine (`credchain_core::imds`) decides every step of botocore's `iam-role` provider
//! (spec §4): the IMDSv2 token `PUT`, the fallback to IMDSv1 by status or timeout, the role
//! name, the credentials document, the retries, and credchain's improvements (the token kept
//! between fetches, renewed once on a `401`). [`fetch_imds`] only answers the machine's
//! [`Status`](credchain_core::imds::Status) until it is
//! [`Status::Done`](credchain_core::imds::Status::Done):
//!
//! | status | what the driver does |
//! |---|---|
//! | `Transmit` | takes the request from `poll_transmit`, sends it with [`Driver::exchange`], gives the response or the [`TransportError`](credchain_core::http::TransportError) to `handle_response` — or, when the request's deadline passed meanwhile, calls `handle_timeout` |
//! | `AwaitingResponse` | nothing of the driver's is in flight, so the wait is over: `handle_timeout` at the deadline |
//! | `Done` | returns the outcome |
//!
//! The machine bounds a fetch (its module documentation counts the requests), and the
//! driver bounds each request by the machine's deadline (twice the timeout), so a fetch always
//! ends, however the server misbehaves. A server that never answers costs one timeout per
//! attempt: with the defaults (1 s, 1 attempt) about 2 s, the token `PUT` and then the IMDSv1
//! role-name `GET`, as botocore (spec §4.5).
//!
//! Credentials come back borrowed from the caller's response buffer, like every outcome of the
//! core. The machine's events ([`ImdsClient::poll`](credchain_core::imds::ImdsClient::poll)) stay
//! in the machine for the caller to read after the fetch.
//!
//! ```no_run
//! # fn demo<K: credchain_embedded::driver::Connector>(connector: K) {
//! use credchain_core::imds::{ImdsClient, ImdsConfig, ImdsSettings, Outcome};
//! use credchain_embedded::{Driver, imds::fetch_imds_credentials};
//!
//! let settings = ImdsSettings { endpoint: Some("http://127.0.0.1:1338"), ..Default::default() };
//! let mut client = ImdsClient::new(ImdsConfig::from_settings(&settings).unwrap());
//! let mut driver = Driver::new(connector);
//! let (mut transmit, mut response) = ([0u8; 1024], [0u8; 4096]);
//! match fetch_imds_credentials(&mut client, &mut driver, &mut transmit, &mut response) {
//!     Ok(Outcome::Credentials(fetched)) => { /* fetched.credentials.access_key_id … */ }
//!     Ok(other) => { /* nothing here, or an error that stops the chain */ }
//!     Err(e) => { /* a buffer too small */ }
//! }
//! # }
//! ```

use core::fmt;

use credchain_core::buf::BufferTooSmall;
use credchain_core::imds::{ImdsClient, Operation, Outcome};

use crate::driver::{Connector, Driver};
use crate::machine;

/// Why a fetch did not reach an outcome. Everything a server or the network can do ends in an
/// outcome; these are the caller's (or a machine's) faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DriveError {
    /// The buffer for the machine's requests (URL, target, token) is too small; the error says
    /// how big it must be.
    TransmitBuffer(BufferTooSmall),
    /// The machine stopped without an outcome, or said to transmit and had nothing to send. A
    /// bug in the machine; reported rather than looped on.
    Stalled,
}

impl fmt::Display for DriveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriveError::TransmitBuffer(e) => write!(f, "the request buffer is too small: {e}"),
            DriveError::Stalled => f.write_str("the machine stopped without an outcome"),
        }
    }
}

impl core::error::Error for DriveError {}

/// Runs one IMDS fetch of `operation` to its outcome over `driver`.
///
/// `transmit_buf` holds each request's URL, target and token while it is sent (1 KiB is
/// plenty for the default endpoints and real tokens); `response_buf` holds each response's
/// body, and the outcome borrows the last one from it (4 KiB holds a real credentials
/// document with room to spare; a larger body is refused as the driver's table says).
///
/// The client keeps its token between fetches, and the driver its connection: call this again
/// with both for the next refresh.
///
/// # Errors
///
/// [`DriveError::TransmitBuffer`] when `transmit_buf` is too small (nothing was sent for that
/// request); [`DriveError::Stalled`] never, unless the machine misbehaves.
pub fn fetch_imds<'b, K: Connector>(
    client: &mut ImdsClient<'_>,
    driver: &mut Driver<K>,
    operation: Operation,
    transmit_buf: &mut [u8],
    response_buf: &'b mut [u8],
) -> Result<Outcome<'b>, DriveError> {
    machine::run(
        client,
        driver,
        |client, now| client.start(now, operation),
        transmit_buf,
        response_buf,
    )
}

/// [`fetch_imds`] for the instance profile's role credentials
/// ([`Operation::RoleCredentials`]): what botocore's `iam-role` provider fetches.
///
/// # Errors
///
/// As [`fetch_imds`].
pub fn fetch_imds_credentials<'b, K: Connector>(
    client: &mut ImdsClient<'_>,
    driver: &mut Driver<K>,
    transmit_buf: &mut [u8],
    response_buf: &'b mut [u8],
) -> Result<Outcome<'b>, DriveError> {
    fetch_imds(
        client,
        driver,
        Operation::RoleCredentials,
        transmit_buf,
        response_buf,
    )
}
