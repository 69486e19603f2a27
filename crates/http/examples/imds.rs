//! Role credentials from the EC2 instance metadata service, fetched with credchain-http the way
//! botocore's `iam-role` provider fetches them (spec §4): IMDSv2 token, role name, credentials
//! document, with the IMDSv1 fallback of spec §4.4.
//!
//! ```text
//! cargo run -p credchain-http --example imds -- http://127.0.0.1:40123/
//! AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:40123/ cargo run -p credchain-http --example imds
//! cargo run -p credchain-http --example imds -- --local
//! ```
//!
//! The endpoint comes from the command line, else from the settings botocore reads in the
//! environment (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, `…_ENDPOINT_MODE`, `AWS_IMDS_USE_IPV6`,
//! `AWS_EC2_METADATA_V1_DISABLED`, `AWS_EC2_METADATA_DISABLED`, `AWS_METADATA_SERVICE_TIMEOUT`,
//! `AWS_METADATA_SERVICE_NUM_ATTEMPTS`), else it is the real `http://169.254.169.254/`. With
//! `--local`, a `credchain-server` IMDS is started in this process on loopback and used.
//! Against the IMDS of `cargo run -p credchain-server --example imds`:
//!
//! ```text
//! endpoint http://127.0.0.1:40123/
//! event token acquired (TTL 21600 s)
//! role credchain-role
//! access_key_id ASIAEXAMPLEFIXED0001
//! expiration 2030-01-01T00:00:00Z
//! secret_access_key <42 bytes, not shown>
//! session_token <48 bytes, not shown>
//! ```
//!
//! Without an IMDS (here a closed port), the machine's decisions show — a failed token request
//! falls back to IMDSv1 (spec §4.4), whose failure means no credentials:
//!
//! ```text
//! endpoint http://127.0.0.1:9/
//! event attempt 1 of the IMDSv2 token request (PUT /latest/api/token) failed: could not connect
//! event IMDSv1 fallback: every token attempt failed, last: could not connect
//! event attempt 1 of the role name request failed: could not connect
//! no credentials: the role name request failed after 1 attempt(s), last: could not connect
//! ```
//!
//! Secrets are never printed, only their lengths. The exit status is 0 with credentials, 1
//! when IMDS has none or refuses (the reason is printed), 2 for a setting botocore would refuse.

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use credchain_core::imds::{Event, FallbackCause, ImdsConfig, ImdsSettings, Setting};
use credchain_http::{ImdsFetcher, ImdsOutcome};

/// How the example was asked to run.
#[derive(Debug, PartialEq, Eq)]
enum Mode {
    /// Against this endpoint, or the one the environment names.
    Remote(Option<String>),
    /// Against a credchain-server IMDS started here.
    Local,
}

fn mode(args: &[String]) -> Result<Mode, String> {
    match args {
        [] => Ok(Mode::Remote(None)),
        [flag] if flag == "--local" => Ok(Mode::Local),
        [url] if !url.starts_with('-') => Ok(Mode::Remote(Some(url.clone()))),
        _ => Err("usage: imds [ENDPOINT | --local]".to_owned()),
    }
}

/// What became of a run: the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Credentials,
    NoCredentials,
    BadSetting,
}

impl From<Ending> for ExitCode {
    fn from(e: Ending) -> ExitCode {
        match e {
            Ending::Credentials => ExitCode::SUCCESS,
            Ending::NoCredentials => ExitCode::from(1),
            Ending::BadSetting => ExitCode::from(2),
        }
    }
}

/// Fetches the role credentials with the settings of `vars` (the environment) and `endpoint`,
/// and writes what it found to `out`.
async fn run(
    endpoint: Option<&str>,
    vars: &HashMap<String, String>,
    out: &mut impl Write,
) -> std::io::Result<Ending> {
    let mut settings = ImdsSettings::resolve(|name| vars.get(name).map(String::as_str), |_| None);
    if endpoint.is_some() {
        settings.set(Setting::Endpoint, endpoint);
    }
    let config = match ImdsConfig::from_settings(&settings) {
        Ok(c) => c,
        Err(e) => {
            writeln!(out, "error {e}")?;
            return Ok(Ending::BadSetting);
        }
    };
    writeln!(out, "endpoint {}", config.endpoint)?;
    let mut imds = ImdsFetcher::new(config);
    let outcome = imds.role_credentials().await;
    for event in imds.events() {
        writeln!(out, "event {}", describe(event))?;
    }
    let ending = match outcome {
        Ok(ImdsOutcome::Credentials(found)) => {
            let c = &found.credentials;
            if let Some(role) = &found.role_name {
                writeln!(out, "role {role}")?;
            }
            writeln!(out, "access_key_id {}", c.access_key_id)?;
            writeln!(out, "expiration {}", c.expiration)?;
            if let Some(e) = found.extension {
                writeln!(
                    out,
                    "stated_expiration {} (extended by {} min: spec §4.8)",
                    found.stated_expiration,
                    e.minutes()
                )?;
            }
            if let Some(account) = &c.account_id {
                writeln!(out, "account_id {account}")?;
            }
            writeln!(
                out,
                "secret_access_key <{} bytes, not shown>",
                c.secret_access_key.len()
            )?;
            writeln!(
                out,
                "session_token <{} bytes, not shown>",
                c.session_token.len()
            )?;
            Ending::Credentials
        }
        Ok(ImdsOutcome::Unavailable(why)) => {
            writeln!(out, "no credentials: {why}")?;
            Ending::NoCredentials
        }
        Ok(ImdsOutcome::Refused(refusal)) => {
            writeln!(out, "refused: {refusal}")?;
            Ending::NoCredentials
        }
        Ok(ImdsOutcome::InstanceProfile(_)) => {
            writeln!(out, "unexpected: an instance profile")?;
            Ending::NoCredentials
        }
        Err(e) => {
            writeln!(out, "error {e}")?;
            Ending::NoCredentials
        }
    };
    Ok(ending)
}

/// One of the machine's events, in words.
fn describe(event: &Event) -> String {
    match event {
        Event::TokenReused { remaining_secs } => {
            format!("token reused ({remaining_secs} s left)")
        }
        Event::TokenAcquired { ttl_secs, .. } => format!("token acquired (TTL {ttl_secs} s)"),
        Event::FallbackToV1 { cause } => {
            let why = match cause {
                FallbackCause::Status(s) => format!("the token request got {s}"),
                FallbackCause::ReadTimeout => "the token request timed out".to_owned(),
                FallbackCause::AttemptsExhausted(last) => {
                    format!("every token attempt failed, last: {last}")
                }
                FallbackCause::NoAttempts => "no attempts allowed".to_owned(),
            };
            format!("IMDSv1 fallback: {why}")
        }
        Event::RenewingToken => "401 with a kept token: renewing it".to_owned(),
        Event::AttemptFailed {
            request,
            attempt,
            failure,
            retrying,
        } => format!(
            "attempt {attempt} of {request} failed: {failure}{}",
            if *retrying { ", retrying" } else { "" }
        ),
    }
}

/// Starts a credchain-server IMDS on loopback (IMDSv2 required, like a hardened instance).
async fn local_server() -> Result<credchain_server::ServerHandle, credchain_server::Error> {
    credchain_server::ImdsServer::builder()
        .http_tokens(credchain_server::HttpTokens::Required)
        .start()
        .await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let vars: HashMap<String, String> = std::env::vars().collect();
    let mut out = std::io::stdout().lock();
    let result = match mode(&args) {
        Err(usage) => {
            eprintln!("{usage}");
            return ExitCode::from(2);
        }
        Ok(Mode::Remote(endpoint)) => run(endpoint.as_deref(), &vars, &mut out).await,
        Ok(Mode::Local) => match local_server().await {
            Ok(server) => run(Some(&server.endpoint()), &vars, &mut out).await,
            Err(e) => {
                eprintln!("cannot start the local IMDS: {e}");
                return ExitCode::from(1);
            }
        },
    };
    match result {
        Ok(ending) => ending.into(),
        Err(e) => {
            eprintln!("cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use credchain_server::{CredentialSet, HttpTokens, ImdsServer};

    async fn output(endpoint: Option<&str>, vars: &[(&str, &str)]) -> (Ending, String) {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut out = Vec::new();
        let ending = run(endpoint, &vars, &mut out).await.unwrap();
        (ending, String::from_utf8(out).unwrap())
    }

    #[tokio::test]
    async fn prints_what_the_server_serves_and_never_a_secret() {
        let server = ImdsServer::builder()
            .http_tokens(HttpTokens::Required)
            .start()
            .await
            .unwrap();
        let served = server.credentials(CredentialSet::RoleV2).unwrap();
        let (ending, text) = output(Some(&server.endpoint()), &[]).await;
        assert_eq!(ending, Ending::Credentials, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("endpoint {}", server.endpoint()));
        assert!(lines.contains(&"role credchain-role"), "{text}");
        assert!(
            lines.contains(&format!("access_key_id {}", served.access_key_id).as_str()),
            "{text}"
        );
        assert!(
            lines.contains(&format!("expiration {}", served.expiration).as_str()),
            "{text}"
        );
        assert!(
            lines.contains(&"event token acquired (TTL 21600 s)"),
            "{text}"
        );
        assert!(!text.contains(&served.secret_access_key), "{text}");
        assert!(!text.contains(&served.session_token), "{text}");
        let puts = server
            .transcript()
            .iter()
            .filter(|e| e.method == "PUT")
            .count();
        assert_eq!(puts, 1);
    }

    #[tokio::test]
    async fn the_endpoint_and_settings_come_from_the_environment() {
        let server = ImdsServer::builder().no_role().start().await.unwrap();
        let endpoint = server.endpoint();
        // No role: the role-name GET gets 404 on each of the 2 attempts (spec §4.5).
        let (ending, text) = output(
            None,
            &[
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &endpoint),
                ("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2"),
            ],
        )
        .await;
        assert_eq!(ending, Ending::NoCredentials, "{text}");
        assert!(
            text.starts_with(&format!("endpoint {endpoint}\n")),
            "{text}"
        );
        assert!(
            text.contains("no credentials: the role name request failed after 2 attempt(s)"),
            "{text}"
        );
        let gets = server
            .transcript()
            .iter()
            .filter(|e| e.method == "GET")
            .count();
        assert_eq!(gets, 2);

        // A setting botocore refuses ends before any request.
        let seen = server.transcript().len();
        let (ending, text) = output(
            Some(&endpoint),
            &[("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv5")],
        )
        .await;
        assert_eq!(ending, Ending::BadSetting, "{text}");
        assert_eq!(server.transcript().len(), seen);
    }

    #[tokio::test]
    async fn the_local_server_has_credentials() {
        let server = local_server().await.unwrap();
        let (ending, text) = output(Some(&server.endpoint()), &[]).await;
        assert_eq!(ending, Ending::Credentials, "{text}");
    }

    #[test]
    fn arguments() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(mode(&args(&[])), Ok(Mode::Remote(None)));
        assert_eq!(mode(&args(&["--local"])), Ok(Mode::Local));
        assert_eq!(
            mode(&args(&["http://127.0.0.1:1/"])),
            Ok(Mode::Remote(Some("http://127.0.0.1:1/".to_owned())))
        );
        assert!(mode(&args(&["--help"])).is_err());
        assert!(mode(&args(&["a", "b"])).is_err());
    }
}
