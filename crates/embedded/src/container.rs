//! A whole container-endpoint fetch over `embedded-io`: the core's [`ContainerClient`] driven
//! to its outcome by a [`Driver`].
//!
//! The machine (`credchain_core::container`) is botocore's `container-role` provider (spec
//! §6): one `GET` of the configured URL, with `Authorization` when a token is configured, up to
//! three attempts with a pause of one second after each failure. [`fetch_container_credentials`]
//! answers its [`Status`] as [`fetch_imds`](crate::imds::fetch_imds) does, plus the pause:
//!
//! | status | what the driver does |
//! |---|---|
//! | `Transmit` | sends the request, gives the response or the failure to `handle_response` (`handle_timeout` when the deadline passed meanwhile) |
//! | `Pause` | [`Connector::sleep_until`] the end of the pause, then `handle_timeout` |
//! | `AwaitingResponse` | `handle_timeout` at the deadline (nothing of the driver's is in flight) |
//! | `Done` | returns the outcome |
//!
//! The outcome borrows the caller's response buffer.

use credchain_core::container::{ContainerClient, Outcome, Status};

use crate::driver::{Connector, Driver};
use crate::imds::DriveError;

/// See [`crate::imds`]'s bound of the same name.
const MAX_STEPS: u32 = 10_000;

fn unborrowed(status: Status<'_>) -> Option<Status<'static>> {
    match status {
        Status::Transmit => Some(Status::Transmit),
        Status::AwaitingResponse { deadline } => Some(Status::AwaitingResponse { deadline }),
        Status::Pause { until } => Some(Status::Pause { until }),
        Status::Idle => Some(Status::Idle),
        Status::Done(_) => None,
    }
}

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
    let mut now = driver.now();
    let mut status = client.start(now);
    let mut steps = 0u32;
    // As in `fetch_imds`: the step that ends the fetch is taken twice, first on a copy of the
    // machine, so that only the final borrow of `response_buf` lives for `'b`.
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
            Status::Pause { until } => {
                driver.connector_mut().sleep_until(until);
                // `sleep_until` returns at `until` or later; a clock that says otherwise does
                // not get to repeat the pause.
                now = driver.now().max(until);
                status = client.handle_timeout(now);
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
