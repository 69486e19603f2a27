//! The loop both fetches share ([`fetch_imds`](crate::fetch_imds),
//! [`fetch_container_credentials`](crate::fetch_container_credentials)): the machine's status
//! answered over a [`Driver`] until the machine is done.
//!
//! Each response is lent to the machine for one step; only the step that ends the fetch may
//! keep it, for the caller's `'b`. The borrow checker cannot see that a loop returns a borrow
//! only on its last turn, so that step is taken twice: once on a copy of the machine to learn
//! that it ends the fetch, then for real, after the loop, with the buffer lent for good.

use credchain_core::buf::BufferTooSmall;
use credchain_core::http::{Instant, RequestId, Response, Transmit, TransportError};
use credchain_core::{container, imds};

use crate::driver::{Connector, Driver};
use crate::imds::DriveError;

/// The most machine steps one fetch may take before the driver calls the machine stalled. The
/// machines need at most a few per request and send a bounded number of requests; this only
/// turns a broken machine into an error instead of a hang.
const MAX_STEPS: u32 = 10_000;

/// What a machine's status asks of the driver.
pub(crate) enum Next<O> {
    /// Take the request from `poll_transmit` and send it.
    Transmit,
    /// Nothing of the driver's is in flight, so the wait is over: `handle_timeout` at the
    /// deadline.
    Await(Instant),
    /// Sleep until then ([`Connector::sleep_until`]), then `handle_timeout`.
    Pause(Instant),
    /// Stopped without an outcome: a bug in the machine.
    Idle,
    /// The outcome.
    Done(O),
}

impl<O> Next<O> {
    /// A status that is not `Done`, without the lifetime of a response it no longer needs.
    fn unborrowed<P>(self) -> Option<Next<P>> {
        match self {
            Next::Transmit => Some(Next::Transmit),
            Next::Await(deadline) => Some(Next::Await(deadline)),
            Next::Pause(until) => Some(Next::Pause(until)),
            Next::Idle => Some(Next::Idle),
            Next::Done(_) => None,
        }
    }
}

/// One of the core's machines, as the loop drives it.
pub(crate) trait Machine: Clone {
    type Status<'r>;
    type Outcome<'r>;

    /// What `status` asks of the driver (its outcome, if any, for a lifetime as short as
    /// wanted).
    fn next<'r: 'o, 'o>(status: Self::Status<'r>) -> Next<Self::Outcome<'o>>;

    fn poll_transmit<'t>(
        &mut self,
        now: Instant,
        buf: &'t mut [u8],
    ) -> Result<Option<Transmit<'t>>, BufferTooSmall>
    where
        Self: 't;

    fn handle_response<'r>(
        &mut self,
        now: Instant,
        id: RequestId,
        reply: Result<Response<'r>, TransportError>,
    ) -> Self::Status<'r>;

    fn handle_timeout(&mut self, now: Instant) -> Self::Status<'static>;
}

/// Runs `client` from the status `start` gives to its outcome over `driver`.
pub(crate) fn run<'b, M: Machine, K: Connector>(
    client: &mut M,
    driver: &mut Driver<K>,
    start: impl FnOnce(&mut M, Instant) -> M::Status<'static>,
    transmit_buf: &mut [u8],
    response_buf: &'b mut [u8],
) -> Result<M::Outcome<'b>, DriveError> {
    let mut now = driver.now();
    let mut next = M::next(start(client, now));
    let mut steps = 0u32;
    let (id, reply) = loop {
        steps = steps.saturating_add(1);
        if steps > MAX_STEPS {
            return Err(DriveError::Stalled);
        }
        next = match next {
            Next::Done(outcome) => return Ok(outcome),
            Next::Idle => return Err(DriveError::Stalled),
            Next::Await(deadline) => M::next(client.handle_timeout(now.max(deadline))),
            Next::Pause(until) => {
                driver.connector_mut().sleep_until(until);
                // `sleep_until` returns at `until` or later; a clock that says otherwise does
                // not get to repeat the pause.
                now = driver.now().max(until);
                M::next(client.handle_timeout(now))
            }
            Next::Transmit => {
                let tx = client
                    .poll_transmit(now, transmit_buf)
                    .map_err(DriveError::TransmitBuffer)?
                    .ok_or(DriveError::Stalled)?;
                let (id, deadline) = (tx.id, tx.deadline);
                let result = driver.exchange_raw(&tx, response_buf);
                now = driver.now();
                match result {
                    Err(_) if now >= deadline => M::next(client.handle_timeout(now)),
                    Err(e) => M::next(client.handle_response(now, id, Err(e))),
                    Ok(reply) => {
                        let before = client.clone();
                        let step =
                            client.handle_response(now, id, Ok(reply.response(response_buf)));
                        match M::next(step).unborrowed() {
                            Some(next) => next,
                            None => {
                                *client = before;
                                break (id, reply);
                            }
                        }
                    }
                }
            }
        };
    };
    let body: &'b [u8] = response_buf;
    match M::next(client.handle_response(now, id, Ok(reply.response(body)))) {
        Next::Done(outcome) => Ok(outcome),
        _ => Err(DriveError::Stalled),
    }
}

/// [`Machine`] for a core client: its own methods, and its status read through the `From`
/// impl below.
macro_rules! core_machine {
    ($module:ident :: $client:ident) => {
        impl Machine for $module::$client<'_> {
            type Status<'r> = $module::Status<'r>;
            type Outcome<'r> = $module::Outcome<'r>;

            fn next<'r: 'o, 'o>(status: $module::Status<'r>) -> Next<$module::Outcome<'o>> {
                Next::from(status)
            }

            fn poll_transmit<'t>(
                &mut self,
                now: Instant,
                buf: &'t mut [u8],
            ) -> Result<Option<Transmit<'t>>, BufferTooSmall>
            where
                Self: 't,
            {
                $module::$client::poll_transmit(self, now, buf)
            }

            fn handle_response<'r>(
                &mut self,
                now: Instant,
                id: RequestId,
                reply: Result<Response<'r>, TransportError>,
            ) -> $module::Status<'r> {
                $module::$client::handle_response(self, now, id, reply)
            }

            fn handle_timeout(&mut self, now: Instant) -> $module::Status<'static> {
                $module::$client::handle_timeout(self, now)
            }
        }
    };
}

core_machine!(imds::ImdsClient);
core_machine!(container::ContainerClient);

impl<'r: 'o, 'o> From<imds::Status<'r>> for Next<imds::Outcome<'o>> {
    fn from(status: imds::Status<'r>) -> Self {
        match status {
            imds::Status::Transmit => Next::Transmit,
            imds::Status::AwaitingResponse { deadline } => Next::Await(deadline),
            imds::Status::Idle => Next::Idle,
            imds::Status::Done(outcome) => Next::Done(outcome),
        }
    }
}

impl<'r: 'o, 'o> From<container::Status<'r>> for Next<container::Outcome<'o>> {
    fn from(status: container::Status<'r>) -> Self {
        match status {
            container::Status::Transmit => Next::Transmit,
            container::Status::AwaitingResponse { deadline } => Next::Await(deadline),
            container::Status::Pause { until } => Next::Pause(until),
            container::Status::Idle => Next::Idle,
            container::Status::Done(outcome) => Next::Done(outcome),
        }
    }
}
