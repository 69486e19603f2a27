//! A whole IMDS fetch over `embedded-io`: the core's [`ImdsClient`] driven to its outcome by a
//! [`Driver`].
//!
//! The machine (`credchain_core::imds`) decides every step of botocore's `iam-role` provider
//! (spec §4): the IMDSv2 token `PUT`, the fallback to IMDSv1 by status or timeout, the role
//! name, the credentials document, the retries, and credchain's improvements (the token kept
//! between fetches, renewed once on a `401`). [`fetch_imds`] only answers the machine's
//! [`Status`] until it is [`Status::Done`]:
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
use credchain_core::imds::{ImdsClient, Operation, Outcome, Status};

use crate::driver::{Connector, Driver};

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

/// The most machine steps one fetch may take before the driver calls the machine stalled. The
/// IMDS machine needs at most a few per request and sends a bounded number of requests; this
/// only turns a broken machine into an error instead of a hang.
const MAX_STEPS: u32 = 10_000;

/// A status that is not `Done`, without the lifetime of a response it no longer needs.
fn unborrowed(status: Status<'_>) -> Option<Status<'static>> {
    match status {
        Status::Transmit => Some(Status::Transmit),
        Status::AwaitingResponse { deadline } => Some(Status::AwaitingResponse { deadline }),
        Status::Idle => Some(Status::Idle),
        Status::Done(_) => None,
    }
}

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
    let mut now = driver.now();
    let mut status = client.start(now, operation);
    let mut steps = 0u32;
    // Each response is lent to the machine for one step; only the step that ends the fetch
    // may keep it, for `'b`. The borrow checker cannot see that a loop returns a borrow only on
    // its last turn, so that step is taken twice: once on a copy of the machine to learn that
    // it ends the fetch, then for real, after the loop, with the buffer lent for good.
    let (id, reply) = loop {
        steps = steps.saturating_add(1);
        if steps > MAX_STEPS {
            return Err(DriveError::Stalled);
        }
        match status {
            Status::Done(outcome) => return Ok(outcome),
            Status::Idle => return Err(DriveError::Stalled),
            Status::AwaitingResponse { deadline } => {
                status = client.handle_timeout(now.max(deadline));
            }
            Status::Transmit => {
                let tx = client
                    .poll_transmit(now, transmit_buf)
                    .map_err(DriveError::TransmitBuffer)?
                    .ok_or(DriveError::Stalled)?;
                let (id, deadline) = (tx.id, tx.deadline);
                let result = driver.exchange_raw(&tx, response_buf);
                now = driver.now();
                match result {
                    Err(_) if now >= deadline => status = client.handle_timeout(now),
                    Err(e) => status = client.handle_response(now, id, Err(e)),
                    Ok(reply) => {
                        let before = client.clone();
                        let step =
                            client.handle_response(now, id, Ok(reply.response(response_buf)));
                        match unborrowed(step) {
                            Some(next) => status = next,
                            None => {
                                *client = before;
                                break (id, reply);
                            }
                        }
                    }
                }
            }
        }
    };
    let body: &'b [u8] = response_buf;
    match client.handle_response(now, id, Ok(reply.response(body))) {
        Status::Done(outcome) => Ok(outcome),
        _ => Err(DriveError::Stalled),
    }
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
