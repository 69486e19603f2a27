//! The image's network mode: fetch the instance role's credentials from an IMDS over TCP, as
//! botocore's `iam-role` provider does (spec §4), and print what came back.
//!
//! Everything is the library's: the settings are read the way botocore reads them (the
//! `AWS_EC2_METADATA_*` / `AWS_METADATA_SERVICE_*` variables of the environment, through
//! `credchain_core::imds::ImdsSettings`), the endpoint given in `CREDCHAIN_IMDS_ENDPOINT`
//! overrides botocore's, the fetch is `credchain-core`'s IMDS machine driven by
//! `credchain-embedded` over the [`SysConnector`] of this image, and the document is read by the
//! core. The response and request buffers are arrays on the stack.
//!
//! It prints the role, the access key id, the lengths of the secret and the session token
//! (never the values), the expiry, and how many connections carried how many responses.

use core::fmt::{self, Write as _};

use credchain_core::imds::{
    ConfigError, Event, FallbackCause, ImdsClient, ImdsConfig, ImdsSettings, Outcome, Setting,
};
use credchain_core::time::RFC3339_LEN;
use credchain_embedded::{DriveError, Driver, fetch_imds_credentials};

use crate::env::Environment;
use crate::net::SysConnector;
use crate::out::Out;
use crate::sys::Fd;

/// The variable that selects this mode and names the IMDS base URL.
pub const ENDPOINT_VARIABLE: &str = "CREDCHAIN_IMDS_ENDPOINT";

/// Room for the requests' URL, target and token: the machine documents 1 KiB as plenty.
const TRANSMIT_CAPACITY: usize = 1024;

/// Room for one response's kept headers and body. A role credentials document is about
/// 1.3 KiB; the driver refuses larger answers than this buffer holds.
const RESPONSE_CAPACITY: usize = 8 * 1024;

/// Room for a decoded access key id.
const NAME_CAPACITY: usize = 128;

/// Why no credentials were printed.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    /// The IMDS settings are not valid (botocore refuses them too).
    Config(ConfigError<'static>),
    /// The fetch could not run (a buffer of the image is too small).
    Drive(DriveError),
    /// The fetch ended without credentials; the reason was printed to standard error.
    NoCredentials,
    /// The document's text could not be written out.
    Text(&'static str),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Config(e) => write!(f, "IMDS settings: {e}"),
            Failure::Drive(e) => write!(f, "IMDS fetch: {e}"),
            Failure::NoCredentials => f.write_str("IMDS fetch: no credentials"),
            Failure::Text(what) => write!(f, "IMDS document: cannot write out {what}"),
        }
    }
}

/// Fetches the role credentials from the IMDS at `endpoint` and prints them.
pub fn fetch_role_credentials(
    out: &mut Out,
    env: &Environment,
    endpoint: &'static str,
) -> Result<(), Failure> {
    let mut settings = ImdsSettings::resolve(|name| env.get(name), |_| None);
    settings.set(Setting::Endpoint, Some(endpoint));
    let config = ImdsConfig::from_settings(&settings).map_err(Failure::Config)?;
    let _ = writeln!(out, "IMDS endpoint: {}", config.endpoint.base_url());

    let mut client = ImdsClient::new(config);
    let mut driver = Driver::new(SysConnector);
    let mut transmit = [0u8; TRANSMIT_CAPACITY];
    let mut response = [0u8; RESPONSE_CAPACITY];
    let outcome = fetch_imds_credentials(&mut client, &mut driver, &mut transmit, &mut response)
        .map_err(Failure::Drive)?;
    while let Some(event) = client.poll() {
        event_line(out, event);
    }
    if let Some(role) = client.role_name() {
        let _ = writeln!(out, "IMDS role: {role}");
    }

    let fetched = match outcome {
        Outcome::Credentials(fetched) => fetched,
        other => {
            let mut stderr = Out::new(Fd::STDERR);
            match other {
                Outcome::Refused(refusal) => {
                    let _ = writeln!(stderr, "credchain-freestanding: {refusal}");
                }
                Outcome::Unavailable(why) => {
                    let _ = writeln!(stderr, "credchain-freestanding: no credentials: {why}");
                }
                Outcome::Failed(error) => {
                    let _ = writeln!(stderr, "credchain-freestanding: {error}");
                }
                _ => {}
            }
            if let Some(detail) = driver.last_error() {
                let _ = writeln!(
                    stderr,
                    "credchain-freestanding: last transport error: {detail}"
                );
            }
            let _ = stderr.flush();
            return Err(Failure::NoCredentials);
        }
    };

    let creds = fetched.credentials;
    let mut buf = [0u8; NAME_CAPACITY];
    let id = creds
        .access_key_id
        .decode_into(&mut buf)
        .map_err(|_| Failure::Text("AccessKeyId"))?;
    let _ = writeln!(out, "IMDS role credentials");
    let _ = writeln!(out, "  AccessKeyId: {id}");
    // Secrets are measured, never printed.
    let _ = writeln!(
        out,
        "  SecretAccessKey: <{} bytes>",
        creds.secret_access_key.decoded_len()
    );
    let _ = writeln!(out, "  Token: <{} bytes>", creds.token.decoded_len());
    let expiration = creds
        .expiration()
        .map_err(|_| Failure::Text("Expiration"))?;
    let mut time_buf = [0u8; RFC3339_LEN];
    let formatted = expiration
        .format_rfc3339(&mut time_buf)
        .map_err(|_| Failure::Text("Expiration"))?;
    let _ = writeln!(
        out,
        "  Expiration: {} = {formatted}",
        expiration.unix_secs()
    );
    let stats = driver.stats();
    let _ = writeln!(
        out,
        "connections: {} opened, {} responses",
        stats.connects, stats.responses
    );
    let _ = writeln!(
        out,
        "done: role credentials fetched over TCP, without a heap"
    );
    Ok(())
}

/// One line about an event of the fetch.
fn event_line(out: &mut Out, event: Event) {
    let _ = match event {
        Event::TokenAcquired {
            ttl_secs,
            ttl_from_server,
            kept,
        } => writeln!(
            out,
            "IMDSv2 token: acquired, {ttl_secs} s lifetime ({}){}",
            if ttl_from_server {
                "echoed by the server"
            } else {
                "the lifetime asked for"
            },
            if kept {
                ", kept for the next fetch"
            } else {
                ""
            }
        ),
        Event::FallbackToV1 { cause } => match cause {
            FallbackCause::Status(status) => {
                writeln!(out, "IMDSv1: the token request got {status}")
            }
            FallbackCause::ReadTimeout => writeln!(out, "IMDSv1: the token request timed out"),
            FallbackCause::AttemptsExhausted(last) => {
                writeln!(out, "IMDSv1: every token attempt failed, last: {last}")
            }
            FallbackCause::NoAttempts => writeln!(out, "IMDSv1: attempts are set to 0"),
        },
        Event::AttemptFailed {
            request,
            attempt,
            failure,
            retrying,
        } => writeln!(
            out,
            "attempt {attempt} of {request} failed: {failure}{}",
            if retrying { ", trying again" } else { "" }
        ),
        other => writeln!(out, "event: {other:?}"),
    };
}
