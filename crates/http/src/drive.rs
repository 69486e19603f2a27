//! The loop that runs a sans-IO machine to the end over an [`HttpClient`].
//!
//! Both machines follow the same rhythm: a status says *send*, *wait until* or *done*. The loop
//! sends each transmit with a deadline (the machine's own, on tokio's clock), sleeps through
//! pauses, and hands every reply, error or expired deadline back. Nothing here decides what a
//! status code or an error means: the machine does.

use credchain_core::buf::BufferTooSmall;
use credchain_core::http::{Instant, RequestId, Response, Scheme, Transmit, TransportError};

use crate::clock::Origin;
use crate::error::Error;
use crate::transport::{HttpClient, SendError};

/// The biggest transmit buffer the loop grows to. Targets and tokens are bounded by the
/// machines; this only stops a nonsensical size request.
const MAX_BUFFER: usize = 1 << 20;

/// Steps before the loop gives up: far more than any machine takes (IMDS sends at most a few
/// dozen requests per fetch).
const MAX_STEPS: u32 = 10_000;

/// What the machine said, with a finished outcome already made owned.
pub(crate) enum Step<T> {
    Transmit,
    Wait(Instant),
    Done(T),
    Idle,
}

/// Why the loop stopped without an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Halt {
    /// The machine asked for `https`.
    Https { host: String, port: u16 },
    /// The machine stopped answering (idle without an outcome, or too many steps).
    Stuck(&'static str),
}

/// One of the core's machines, seen by the loop.
pub(crate) trait Machine {
    type Output;

    fn poll_transmit<'b>(
        &mut self,
        now: Instant,
        buf: &'b mut [u8],
    ) -> Result<Option<Transmit<'b>>, BufferTooSmall>
    where
        Self: 'b;

    /// The machine's step on the reply to `id`: the response, or why there is none.
    fn on_reply(
        &mut self,
        now: Instant,
        id: RequestId,
        reply: Result<Response<'_>, TransportError>,
    ) -> Step<Self::Output>;

    fn on_timeout(&mut self, now: Instant) -> Step<Self::Output>;

    /// Keeps the transport's own account of a failure it could only report to the machine as
    /// [`TransportError::Other`], for the error the fetch may end with.
    fn keep_cause(&mut self, cause: SendError);
}

/// [`Machine`] for a fetcher's `Driven` type, which holds a core client in `machine` and the
/// transport's last `Other` failure in `cause`, and turns the client's statuses into steps with
/// `settle`: each call goes to the client, each status it answers is settled.
macro_rules! driven_machine {
    ($driven:ident, $output:ty) => {
        impl $crate::drive::Machine for $driven<'_, '_> {
            type Output = $output;

            fn poll_transmit<'b>(
                &mut self,
                now: ::credchain_core::http::Instant,
                buf: &'b mut [u8],
            ) -> Result<
                Option<::credchain_core::http::Transmit<'b>>,
                ::credchain_core::buf::BufferTooSmall,
            >
            where
                Self: 'b,
            {
                self.machine.poll_transmit(now, buf)
            }

            fn on_reply(
                &mut self,
                now: ::credchain_core::http::Instant,
                id: ::credchain_core::http::RequestId,
                reply: Result<
                    ::credchain_core::http::Response<'_>,
                    ::credchain_core::http::TransportError,
                >,
            ) -> $crate::drive::Step<Self::Output> {
                let status = self.machine.handle_response(now, id, reply);
                self.settle(status)
            }

            fn on_timeout(
                &mut self,
                now: ::credchain_core::http::Instant,
            ) -> $crate::drive::Step<Self::Output> {
                let status = self.machine.handle_timeout(now);
                self.settle(status)
            }

            fn keep_cause(&mut self, cause: $crate::transport::SendError) {
                self.cause = Some(cause);
            }
        }
    };
}
pub(crate) use driven_machine;

/// [`run`], with the loop's halts told as the fetchers' errors.
pub(crate) async fn fetch<T, M: Machine<Output = Result<T, Error>>>(
    machine: &mut M,
    first: Step<M::Output>,
    http: &mut HttpClient,
    origin: Origin,
    buf: &mut Vec<u8>,
) -> Result<T, Error> {
    match run(machine, first, http, origin, buf).await {
        Ok(out) => out,
        Err(Halt::Https { host, port }) => Err(Error::HttpsNotSupported { host, port }),
        Err(Halt::Stuck(why)) => Err(Error::Stuck(why)),
    }
}

pub(crate) async fn run<M: Machine>(
    machine: &mut M,
    first: Step<M::Output>,
    http: &mut HttpClient,
    origin: Origin,
    buf: &mut Vec<u8>,
) -> Result<M::Output, Halt> {
    let mut step = first;
    let mut steps = 0u32;
    loop {
        steps = steps.saturating_add(1);
        if steps > MAX_STEPS {
            return Err(Halt::Stuck("too many steps"));
        }
        step = match step {
            Step::Done(out) => return Ok(out),
            Step::Idle => return Err(Halt::Stuck("the machine went idle without an outcome")),
            Step::Wait(until) => {
                tokio::time::sleep_until(origin.to_tokio(until)).await;
                machine.on_timeout(origin.now().max(until))
            }
            Step::Transmit => exchange(machine, http, origin, buf).await?,
        };
    }
}

/// Gets the pending transmit (growing `buf` as the machine asks), sends it and hands back the
/// outcome.
async fn exchange<M: Machine>(
    machine: &mut M,
    http: &mut HttpClient,
    origin: Origin,
    buf: &mut Vec<u8>,
) -> Result<Step<M::Output>, Halt> {
    loop {
        let now = origin.now();
        let needed = match machine.poll_transmit(now, buf.as_mut_slice()) {
            Ok(Some(tx)) => {
                let (id, deadline) = (tx.id, tx.deadline);
                if tx.scheme == Scheme::Https {
                    return Err(Halt::Https {
                        host: tx.host.to_owned(),
                        port: tx.port,
                    });
                }
                tracing::debug!(request = ?tx, "sending");
                let sent = tokio::time::timeout_at(origin.to_tokio(deadline), http.send(&tx)).await;
                let now = origin.now();
                return Ok(match sent {
                    Err(_) => machine.on_timeout(now.max(deadline)),
                    Ok(Ok(response)) => {
                        tracing::debug!(?response, "received");
                        machine.on_reply(now, id, Ok(response.as_core()))
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "no response");
                        let error = e.transport_error();
                        if error == TransportError::Other {
                            machine.keep_cause(e);
                        }
                        machine.on_reply(now, id, Err(error))
                    }
                });
            }
            Ok(None) => return Ok(Step::Idle),
            Err(BufferTooSmall { needed, .. }) => needed,
        };
        if needed <= buf.len() || needed > MAX_BUFFER {
            return Err(Halt::Stuck("the machine asked for an impossible buffer"));
        }
        buf.resize(needed, 0);
    }
}
