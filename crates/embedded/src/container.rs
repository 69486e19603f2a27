//! A whole container-endpoint fetch over `embedded-io`: the core's [`ContainerClient`] driven
//! to its outcome by a [`Driver`].
//!
//! The machine (`credchain_core::container`) is botocore's `container-role` provider (spec
//! §6): one `GET` of the configured URL, with `Authorization` when a token is configured, up to
//! three attempts with a pause of one second after each failure. [`fetch_container_credentials`]
//! answers its [`Status`](credchain_core::container::Status) as
//! [`fetch_imds`](crate::imds::fetch_imds) does, plus the pause:
//!
//! | status | what the driver does |
//! |---|---|
//! | `Transmit` | sends the request, gives the response or the failure to `handle_response` (`handle_timeout` when the deadline passed meanwhile) |
//! | `Pause` | [`Connector::sleep_until`] the end of the pause, then `handle_timeout` |
//! | `AwaitingResponse` | `handle_timeout` at the deadline (nothing of the driver's is in flight) |
//! | `Done` | returns the outcome |
//!
//! The outcome borrows the caller's response buffer.

use credchain_core::container::{ContainerClient, Outcome};

use crate::driver::{Connector, Driver};
use crate::imds::DriveError;
use crate::machine;

/// Runs one container-endpoint fetch to its outcome over `driver`.
///
/// `transmit_buf` holds the request target (the URL's length is enough); `response_buf` holds
/// each response, and the outcome borrows the last one.
///
/// # Errors
///
/// [`DriveError::TransmitBuffer`] when `transmit_buf` is too small; [`DriveError::Stalled`]
/// never, unless the machine misbehaves.
pub fn fetch_container_credentials<'b, K: Connector>(
    client: &mut ContainerClient<'_>,
    driver: &mut Driver<K>,
    transmit_buf: &mut [u8],
    response_buf: &'b mut [u8],
) -> Result<Outcome<'b>, DriveError> {
    machine::run(
        client,
        driver,
        ContainerClient::start,
        transmit_buf,
        response_buf,
    )
}
