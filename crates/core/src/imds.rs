//! The EC2 instance metadata service (IMDS): where an instance's role credentials come from
//! (botocore's `iam-role` provider, spec §4).
//!
//! An EC2 instance with an instance profile gets its role's temporary credentials from a
//! link-local HTTP service: `PUT /latest/api/token` for an IMDSv2 session token, `GET
//! /latest/meta-data/iam/security-credentials/` for the role's name, `GET` that path plus the
//! name for the credentials document. botocore does this on every refresh, with its own rules
//! for what each status or failure means. This module is those rules, without I/O:
//!
//! - [`config`]: the settings botocore reads (endpoint, mode, disabled, v1 disabled, timeout,
//!   attempts), from the strings the environment and the profile give ([`ImdsSettings`] →
//!   [`ImdsConfig`]);
//! - [`endpoint`]: which base URL is asked and botocore's `is_valid_uri`;
//! - [`client`]: the client as a state machine in the style of quinn-proto ([`ImdsClient`]):
//!   it hands out requests ([`crate::http::Transmit`]), takes responses, transport errors and
//!   time, and ends each fetch with an [`Outcome`]: credentials borrowed from the response
//!   body, "nothing here" (the chain goes on), or an error (the chain stops).
//!
//! The transport — `embedded-io`, tokio, or a test's in-memory server — only moves bytes and
//! time; every decision is made here.
//!
//! ```
//! use credchain_core::http::{Instant, Response};
//! use credchain_core::imds::{ImdsClient, ImdsConfig, Operation, Outcome, Status};
//!
//! let mut client = ImdsClient::new(ImdsConfig::default());
//! let now = Instant::ZERO;
//! let mut buf = [0u8; 1024];
//! let replies: [&[u8]; 3] = [
//!     b"AQAEAtoken",
//!     b"web-role\n",
//!     br#"{"Code":"Success","AccessKeyId":"ASIAX","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-29T16:00:00Z"}"#,
//! ];
//! let mut status = client.start(now, Operation::RoleCredentials);
//! let mut sent = 0;
//! let outcome = loop {
//!     match status {
//!         Status::Transmit => {
//!             let tx = client.poll_transmit(now, &mut buf).unwrap().unwrap();
//!             let id = tx.id;
//!             status = client.handle_response(now, id, Ok(Response::new(200, replies[sent])));
//!             sent += 1;
//!         }
//!         Status::Done(outcome) => break outcome,
//!         other => panic!("{other:?}"),
//!     }
//! };
//! let Outcome::Credentials(creds) = outcome else { panic!() };
//! assert_eq!(creds.credentials.access_key_id, "ASIAX");
//! assert_eq!(client.role_name(), Some("web-role"));
//! ```

pub mod client;
pub mod config;
pub mod endpoint;

pub use client::{
    AttemptFailure, CredentialSource, Event, Expiry, FallbackCause, FetchedCredentials, ImdsClient,
    ImdsError, Operation, Outcome, Refusal, RequestKind, Status, Unavailable,
};
pub use config::{
    ConfigError, EndpointMode, ImdsConfig, ImdsSettings, Improvements, Setting, VARIABLES, Variable,
};
pub use endpoint::{Endpoint, EndpointError, is_valid_uri};
