//! The container credentials endpoint: credentials for ECS tasks, EKS pods (Pod Identity) and
//! tools that serve the same protocol, such as `aws-vault --ecs-server` (botocore's
//! `container-role` provider, spec §6).
//!
//! The endpoint is an HTTP URL taken from the environment, guarded by a host allow-list, with
//! an optional `Authorization` token. This module is botocore's behaviour without I/O:
//!
//! - [`config`]: which URL and token, and whether the host is allowed ([`ContainerEnv`] →
//!   [`ContainerConfig`]);
//! - [`client`]: the fetch as a state machine ([`ContainerClient`]) — three attempts, a pause of
//!   one second after each failure, a 2-second timeout — ending with credentials borrowed from
//!   the response body, or botocore's error.
//!
//! ```
//! use credchain_core::container::{ContainerClient, ContainerConfig, ContainerEnv, Outcome, Status};
//! use credchain_core::http::{Instant, Response};
//!
//! let env = ContainerEnv { full_uri: Some("http://127.0.0.1:8080/creds"), ..Default::default() };
//! let mut url_buf = [0u8; 128];
//! let config = ContainerConfig::from_env(&env, &mut url_buf).unwrap().unwrap();
//! let mut client = ContainerClient::new(config);
//! let mut buf = [0u8; 128];
//! assert_eq!(client.start(Instant::ZERO), Status::Transmit);
//! let tx = client.poll_transmit(Instant::ZERO, &mut buf).unwrap().unwrap();
//! assert_eq!((tx.host, tx.port, tx.target), ("127.0.0.1", 8080, "/creds"));
//! let body = br#"{"AccessKeyId":"ASIAX","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-29T16:00:00Z"}"#;
//! let id = tx.id;
//! let Status::Done(Outcome::Credentials(c)) = client.handle_response(Instant::ZERO, id, Ok(Response::new(200, body))) else { panic!() };
//! assert_eq!(c.credentials.access_key_id, "ASIAX");
//! ```

pub mod client;
pub mod config;

pub use client::{
    AttemptFailure, BodyExcerpt, ContainerClient, ContainerError, Event, Outcome, Status,
};
pub use config::{
    ALLOWED_HOSTS, AuthToken, ContainerConfig, ContainerConfigError, ContainerEnv, UriSource,
};
