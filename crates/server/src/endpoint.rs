//! What the STS and SSO endpoints add to the machinery every server shares (`serve`): TLS,
//! request bodies, and their own handle on the controls.
//!
//! They are served by the same loop as the IMDS server, with the same [`FaultRule`]s and the
//! same meaning, the same [`Exchange`] records (secrets redacted; bodies never recorded, as
//! they carry web identity tokens, refresh tokens and client secrets), the same clock. They
//! differ where an API endpoint must: the body is read (up to
//! [`MAX_REQUEST_BODY`]), TLS may wrap the socket, and faults that reach below HTTP work through
//! TLS too — a truncated body is the response head and half the body followed by a TCP close
//! without TLS `close_notify`; a reset is an RST on the underlying socket.
//!
//! [`FaultRule`]: crate::FaultRule

use std::net::SocketAddr;
use std::sync::Arc;

use credchain_core::time::Timestamp;

use crate::Error;
use crate::clock::Clock;
use crate::fault::{FaultId, FaultRule, Throttle};
use crate::serve::{App, CommonOptions, Controls, Running, Serving};
use crate::sso::BEARER_HEADER;
use crate::tls::TlsIdentity;
use crate::transcript::Exchange;

/// The largest request body read: 1 MiB. (An STS form with the longest web identity token
/// is under 30 KiB.) A larger one is answered with 413.
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;

impl Serving {
    /// STS and SSO: the body is read, the SSO bearer token is redacted like the other secret
    /// headers, and a truncated body goes through hyper so that it works over TLS.
    pub(crate) const API: Serving = Serving {
        read_body: true,
        hop_limit: false,
        secret_headers: &[BEARER_HEADER],
        truncate_raw: false,
    };
}

/// Options the STS and SSO servers take.
#[derive(Debug, Clone, Default)]
pub(crate) struct EndpointOptions {
    pub(crate) common: CommonOptions,
    /// Serve HTTPS with this identity.
    pub(crate) tls: Option<TlsIdentity>,
    /// Serve HTTPS, with an identity made at start when `tls` is `None`.
    pub(crate) https: bool,
}

/// Live controls of an STS or SSO server: its clock, fault rules, throttle and transcript —
/// the same controls, with the same meaning, as the IMDS server's [`Controls`](crate::Controls).
/// Cloning gives another handle on the same server; it stays usable (and harmless) after the
/// server stopped.
#[derive(Debug, Clone)]
pub struct EndpointControls {
    inner: Controls,
}

impl EndpointControls {
    /// The server's clock: move it to make minted credentials and tokens expire.
    pub fn clock(&self) -> &Clock {
        self.inner.clock()
    }

    /// Adds a fault rule (after the existing ones) and returns its id.
    pub fn add_fault(&self, rule: FaultRule) -> Result<FaultId, Error> {
        self.inner.add_fault(rule)
    }

    /// Removes a rule; `false` if it was already gone.
    pub fn remove_fault(&self, id: FaultId) -> bool {
        self.inner.remove_fault(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    /// The rules in force, with their remaining counts.
    pub fn faults_in_force(&self) -> Vec<FaultRule> {
        self.inner.faults_in_force()
    }

    /// Sets (or with `None` removes) the request-rate throttle.
    pub fn set_throttle(&self, throttle: Option<Throttle>) {
        self.inner.set_throttle(throttle);
    }

    /// Every request recorded so far (oldest first).
    pub fn transcript(&self) -> Vec<Exchange> {
        self.inner.transcript()
    }

    /// The transcript as a JSON array.
    pub fn transcript_json(&self) -> String {
        self.inner.transcript_json()
    }

    /// Forgets the recorded requests.
    pub fn clear_transcript(&self) {
        self.inner.clear_transcript();
    }

    /// How many requests have been recorded since the server started.
    pub fn requests_seen(&self) -> u64 {
        self.inner.requests_seen()
    }

    /// Waits until at least `n` requests have been recorded since the server started.
    pub async fn wait_for_requests(&self, n: u64) {
        self.inner.wait_for_requests(n).await;
    }
}

/// A running STS or SSO endpoint: its address, its TLS identity, and the means to stop it.
#[derive(Debug)]
pub(crate) struct Endpoint {
    running: Running,
    controls: EndpointControls,
    tls: Option<TlsIdentity>,
}

impl Endpoint {
    /// Binds and serves `app`, over HTTPS when `options` ask for it (with an identity made now
    /// unless one was given).
    pub(crate) async fn start<A: App>(
        mut options: EndpointOptions,
        label: &'static str,
        app: Arc<A>,
    ) -> Result<Endpoint, Error> {
        if options.https && options.tls.is_none() {
            options.tls = Some(TlsIdentity::generate()?);
        }
        let running = Running::start(options.common, label, app, options.tls.as_ref()).await?;
        let controls = EndpointControls {
            inner: running.controls().clone(),
        };
        Ok(Endpoint {
            running,
            controls,
            tls: options.tls,
        })
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.running.addr()
    }

    /// `https://127.0.0.1:port` or `http://…` (IPv6 in brackets).
    pub(crate) fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.running.addr())
    }

    /// The CA certificate (PEM), when serving HTTPS.
    pub(crate) fn ca_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(TlsIdentity::ca_pem)
    }

    pub(crate) fn controls(&self) -> &EndpointControls {
        &self.controls
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.running.common().clock.now()
    }

    /// Stops accepting, aborts every connection, and waits until the listener is closed.
    pub(crate) async fn stop(self) {
        self.running.stop().await;
    }
}
