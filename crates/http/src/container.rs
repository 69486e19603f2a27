//! Credentials from the container endpoint (ECS, EKS Pod Identity), over tokio.
//!
//! [`ContainerFetcher`] runs the core's [`ContainerClient`] — botocore's
//! `ContainerMetadataFetcher` (spec §6): `GET` the configured URL with `Accept:
//! application/json` and the `Authorization` token, up to three attempts with a 2-second timeout
//! each and a one-second pause after every failed one — over an [`HttpClient`]. The pauses are
//! `tokio::time` sleeps.
//!
//! The configuration (which URL, which token, whether the host is allowed) is the core's
//! [`ContainerConfig`], built from the environment before any request. A `https` URL passes
//! botocore's host check, but this transport does not speak TLS yet: the fetch ends with
//! [`Error::HttpsNotSupported`] before anything is sent.

use credchain_core::container::{
    ContainerClient, ContainerConfig, ContainerError, Event, Outcome, Status,
};
use credchain_core::http::TransportError;

use crate::clock::Origin;
use crate::credentials::{Credentials, Secret};
use crate::drive::{self, Step};
use crate::error::Error;
use crate::transport::{HttpClient, SendError};

/// Fetches from the container endpoint over tokio. See the [module documentation](self).
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use credchain_core::container::{AuthToken, ContainerConfig, ContainerEnv};
/// use credchain_http::ContainerFetcher;
///
/// let env = ContainerEnv {
///     full_uri: Some("http://127.0.0.1:8080/creds"),
///     auth_token: Some(AuthToken::Env("secret-token")),
///     ..Default::default()
/// };
/// let mut url = [0u8; 256];
/// let Some(config) = ContainerConfig::from_env(&env, &mut url).map_err(|e| e.to_string())? else {
///     return Ok(()); // the provider does not apply
/// };
/// let creds = ContainerFetcher::new(config).fetch().await?;
/// println!("{} (account {:?})", creds.access_key_id, creds.account_id);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ContainerFetcher<'a> {
    machine: ContainerClient<'a>,
    http: HttpClient,
    origin: Origin,
    events: Vec<Event>,
    buf: Vec<u8>,
}

impl<'a> ContainerFetcher<'a> {
    /// A fetcher for `config`, with a new [`HttpClient`].
    #[must_use]
    pub fn new(config: ContainerConfig<'a>) -> ContainerFetcher<'a> {
        ContainerFetcher::with_http(config, HttpClient::new())
    }

    /// A fetcher for `config` over `http`.
    #[must_use]
    pub fn with_http(config: ContainerConfig<'a>, http: HttpClient) -> ContainerFetcher<'a> {
        ContainerFetcher {
            machine: ContainerClient::new(config),
            http,
            origin: Origin::new(),
            events: Vec::new(),
            buf: vec![0; 1024],
        }
    }

    /// The machine.
    #[must_use]
    pub fn machine(&self) -> &ContainerClient<'a> {
        &self.machine
    }

    /// The transport.
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The failed attempts of the last fetch, oldest first.
    #[must_use]
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Runs one fetch to its end: the credentials, or botocore's error.
    pub async fn fetch(&mut self) -> Result<Credentials, Error> {
        self.events.clear();
        let mut m = Driven {
            machine: &mut self.machine,
            events: &mut self.events,
            cause: None,
        };
        let status = m.machine.start(self.origin.now());
        let first = m.settle(status);
        drive::fetch(&mut m, first, &mut self.http, self.origin, &mut self.buf).await
    }
}

struct Driven<'m, 'a> {
    machine: &'m mut ContainerClient<'a>,
    events: &'m mut Vec<Event>,
    cause: Option<SendError>,
}

impl Driven<'_, '_> {
    fn settle(&mut self, status: Status<'_>) -> Step<Result<Credentials, Error>> {
        while let Some(event) = self.machine.poll() {
            tracing::debug!(?event, "container endpoint");
            self.events.push(event);
        }
        match status {
            Status::Transmit => Step::Transmit,
            Status::AwaitingResponse { deadline } => Step::Wait(deadline),
            Status::Pause { until } => Step::Wait(until),
            Status::Idle => Step::Idle,
            Status::Done(Outcome::Credentials(doc)) => {
                let c = doc.credentials;
                Step::Done(c.expiration().map_err(Error::Expiration).map(|expiration| {
                    Credentials {
                        access_key_id: c.access_key_id.to_string(),
                        secret_access_key: Secret::new(c.secret_access_key.to_string()),
                        session_token: Secret::new(c.token.to_string()),
                        expiration,
                        account_id: c.account_id.map(|a| a.to_string()),
                    }
                }))
            }
            Status::Done(Outcome::Failed(error)) => {
                let cause = match error {
                    ContainerError::Transport(TransportError::Other) => self.cause.take(),
                    _ => None,
                };
                Step::Done(Err(Error::Container {
                    error: Box::new(error),
                    cause,
                }))
            }
        }
    }
}

drive::driven_machine!(Driven, Result<Credentials, Error>);
