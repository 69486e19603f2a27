//! Role credentials from the EC2 instance metadata service, over tokio.
//!
//! [`ImdsFetcher`] runs the core's [`ImdsClient`] (every decision of spec §4: the token `PUT`,
//! the IMDSv1 fallback table of §4.4, the `GET` retries of §4.5, IMDSv1 disabled, the document
//! rules, credchain's improvements) over an [`HttpClient`], and turns the machine's borrowed
//! outcome into owned values:
//!
//! | the machine's [`Outcome`] | [`ImdsFetcher::fetch`] |
//! |---|---|
//! | `Credentials` | `Ok(ImdsOutcome::Credentials)`, the expiry extended as spec §4.8 says |
//! | `InstanceProfile` | `Ok(ImdsOutcome::InstanceProfile)` |
//! | `Unavailable` (the chain goes on) | `Ok(ImdsOutcome::Unavailable)` |
//! | `Refused` (`Code` not `Success`) | `Ok(ImdsOutcome::Refused)`, with `Code` and `Message` |
//! | `Failed` (the chain stops) | `Err(Error::Imds)` |
//!
//! The fetcher keeps the machine between fetches, so the IMDSv2 token the machine keeps
//! (credchain improvement: reused until shortly before it expires) saves a `PUT` on every
//! refresh, and the [`HttpClient`] keeps the connection.
//!
//! Time: the machine counts time from the fetcher's creation on tokio's clock; each request
//! gets the machine's deadline (twice the configured timeout) on top of the transport's own
//! connect and read timeouts, so a fetch always ends. The wall clock and the random jitter of
//! the expiry extension come from a [`WallClock`].

use std::fmt;

use credchain_core::http::TransportError;
use credchain_core::imds::{
    CredentialSource, Event, ImdsClient, ImdsConfig, ImdsError, Operation, Outcome, RequestKind,
    Status, Unavailable,
};
use credchain_core::refresh::Extension;
use credchain_core::time::Timestamp;

use crate::clock::{Origin, WallClock};
use crate::credentials::{Credentials, Secret};
use crate::drive::{self, Step};
use crate::error::Error;
use crate::transport::{HttpClient, SendError};

/// Credentials IMDS returned, with what credchain knows about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImdsCredentials {
    /// The credentials; `expiration` is the effective one (extended when the extension
    /// applied).
    pub credentials: Credentials,
    /// Which role: the instance profile's, or the instance identity role.
    pub source: CredentialSource,
    /// The role name the fetch used (for [`CredentialSource::Role`]).
    pub role_name: Option<String>,
    /// `Expiration` as IMDS stated it.
    pub stated_expiration: Timestamp,
    /// The static-stability extension, when it applied (spec §4.8): credentials expired or
    /// expiring within the offset get `now + offset`.
    pub extension: Option<Extension>,
    /// `LastUpdated`, as written.
    pub last_updated: Option<String>,
    /// Whether `Code` was not `Success` (only possible with credchain's improvements off).
    pub code_not_success: bool,
}

/// `iam/info`: the instance profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceProfile {
    /// `InstanceProfileArn`.
    pub arn: String,
    /// `InstanceProfileId`.
    pub id: String,
    /// `LastUpdated`, when present.
    pub last_updated: Option<String>,
}

/// A document whose `Code` is not `Success`: IMDS could not hand out credentials, and says
/// why. credchain reports it as an error of the source (botocore ignores `Code` and finds no
/// credentials).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Which request returned it.
    pub request: RequestKind,
    /// `Code`, such as `AssumeRoleUnauthorizedAccess`.
    pub code: String,
    /// `Message`, when present.
    pub message: Option<String>,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IMDS answered {} with Code {}", self.request, self.code)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if self.code == "AssumeRoleUnauthorizedAccess" {
            f.write_str(" (does the role have a trust relationship with EC2?)")?;
        }
        Ok(())
    }
}

/// How a fetch ended, when it did not end in an [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImdsOutcome {
    /// Credentials ([`Operation::RoleCredentials`], [`Operation::IdentityCredentials`]).
    Credentials(ImdsCredentials),
    /// The instance profile ([`Operation::IamInfo`]).
    InstanceProfile(InstanceProfile),
    /// Nothing here: the credential chain goes on (IMDS disabled, `400` to the token request,
    /// every attempt of a `GET` failed, a document without credentials).
    Unavailable(Unavailable),
    /// IMDS answered with a `Code` other than `Success`: an error of this source.
    Refused(Refusal),
}

impl ImdsOutcome {
    /// The credentials, if the fetch got some.
    #[must_use]
    pub fn credentials(&self) -> Option<&ImdsCredentials> {
        match self {
            ImdsOutcome::Credentials(c) => Some(c),
            _ => None,
        }
    }
}

/// Fetches from IMDS over tokio. See the [module documentation](self).
///
/// ```no_run
/// # async fn demo() -> Result<(), credchain_http::Error> {
/// use credchain_core::imds::ImdsConfig;
/// use credchain_http::{ImdsFetcher, ImdsOutcome};
///
/// let mut imds = ImdsFetcher::new(ImdsConfig::default());
/// match imds.role_credentials().await? {
///     ImdsOutcome::Credentials(c) => println!("{} until {}", c.credentials.access_key_id, c.credentials.expiration),
///     ImdsOutcome::Unavailable(why) => println!("no instance role: {why}"),
///     ImdsOutcome::Refused(r) => println!("{r}"),
///     ImdsOutcome::InstanceProfile(_) => unreachable!(),
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ImdsFetcher<'a> {
    machine: ImdsClient<'a>,
    http: HttpClient,
    origin: Origin,
    clock: WallClock,
    events: Vec<Event>,
    buf: Vec<u8>,
}

impl<'a> ImdsFetcher<'a> {
    /// A fetcher for `config`, with a new [`HttpClient`].
    #[must_use]
    pub fn new(config: ImdsConfig<'a>) -> ImdsFetcher<'a> {
        ImdsFetcher::with_http(config, HttpClient::new())
    }

    /// A fetcher for `config` over `http`.
    #[must_use]
    pub fn with_http(config: ImdsConfig<'a>, http: HttpClient) -> ImdsFetcher<'a> {
        ImdsFetcher {
            machine: ImdsClient::new(config),
            http,
            origin: Origin::new(),
            clock: WallClock::system(),
            events: Vec::new(),
            buf: vec![0; 2048],
        }
    }

    /// Uses `clock` for the expiry extension's wall-clock time and jitter.
    #[must_use]
    pub fn wall_clock(mut self, clock: WallClock) -> ImdsFetcher<'a> {
        self.clock = clock;
        self
    }

    /// The machine: its configuration, role name, kept token.
    #[must_use]
    pub fn machine(&self) -> &ImdsClient<'a> {
        &self.machine
    }

    /// The machine, to change its state ([`ImdsClient::forget_token`]).
    pub fn machine_mut(&mut self) -> &mut ImdsClient<'a> {
        &mut self.machine
    }

    /// The transport.
    #[must_use]
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// What happened during the last fetch (token reused or acquired, fallbacks, failed
    /// attempts), oldest first.
    #[must_use]
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The instance profile role's credentials (botocore's `iam-role` provider).
    pub async fn role_credentials(&mut self) -> Result<ImdsOutcome, Error> {
        self.fetch(Operation::RoleCredentials).await
    }

    /// Runs one fetch to its end.
    pub async fn fetch(&mut self, operation: Operation) -> Result<ImdsOutcome, Error> {
        self.events.clear();
        let mut m = Driven {
            machine: &mut self.machine,
            clock: self.clock,
            events: &mut self.events,
            cause: None,
        };
        let status = m.machine.start(self.origin.now(), operation);
        let first = m.settle(status);
        drive::fetch(&mut m, first, &mut self.http, self.origin, &mut self.buf).await
    }
}

/// The machine as the loop drives it, with what a step's conversion needs.
struct Driven<'m, 'a> {
    machine: &'m mut ImdsClient<'a>,
    clock: WallClock,
    events: &'m mut Vec<Event>,
    /// The transport's account of the last failure it reported as `Other`.
    cause: Option<SendError>,
}

impl Driven<'_, '_> {
    fn settle(&mut self, status: Status<'_>) -> Step<Result<ImdsOutcome, Error>> {
        while let Some(event) = self.machine.poll() {
            tracing::debug!(?event, "imds");
            self.events.push(event);
        }
        match status {
            Status::Transmit => Step::Transmit,
            Status::AwaitingResponse { deadline } => Step::Wait(deadline),
            Status::Idle => Step::Idle,
            Status::Done(outcome) => Step::Done(self.own(outcome)),
        }
    }

    fn own(&mut self, outcome: Outcome<'_>) -> Result<ImdsOutcome, Error> {
        match outcome {
            Outcome::Credentials(f) => {
                let expiry = f.expiry((self.clock.now_unix_secs)(), (self.clock.jitter)());
                let stated = expiry.stated.map_err(Error::Expiration)?;
                let expiration = match expiry.extension {
                    Some(e) => {
                        tracing::info!(
                            minutes = e.minutes(),
                            "Attempting credential expiration extension due to a credential \
                             service availability issue"
                        );
                        Timestamp::from_unix_secs(e.expiry).unwrap_or(stated)
                    }
                    None => stated,
                };
                let c = f.credentials;
                let role_name = match f.source {
                    CredentialSource::Role => self.machine.role_name().map(str::to_owned),
                    CredentialSource::InstanceIdentity => None,
                };
                Ok(ImdsOutcome::Credentials(ImdsCredentials {
                    credentials: Credentials {
                        access_key_id: c.access_key_id.to_string(),
                        secret_access_key: Secret::new(c.secret_access_key.to_string()),
                        session_token: Secret::new(c.token.to_string()),
                        expiration,
                        account_id: c.account_id.map(|a| a.to_string()),
                    },
                    source: f.source,
                    role_name,
                    stated_expiration: stated,
                    extension: expiry.extension,
                    last_updated: f.last_updated.map(|t| t.to_string()),
                    code_not_success: f.code_not_success,
                }))
            }
            Outcome::InstanceProfile(p) => Ok(ImdsOutcome::InstanceProfile(InstanceProfile {
                arn: p.arn.to_string(),
                id: p.id.to_string(),
                last_updated: p.last_updated.map(|t| t.to_string()),
            })),
            Outcome::Unavailable(u) => Ok(ImdsOutcome::Unavailable(u)),
            Outcome::Refused(r) => Ok(ImdsOutcome::Refused(Refusal {
                request: r.request,
                code: r.code.to_string(),
                message: r.message.map(|m| m.to_string()),
            })),
            Outcome::Failed(error) => {
                let cause = match error {
                    ImdsError::Transport {
                        error: TransportError::Other,
                        ..
                    } => self.cause.take(),
                    _ => None,
                };
                Err(Error::Imds { error, cause })
            }
        }
    }
}

drive::driven_machine!(Driven, Result<ImdsOutcome, Error>);
