//! Role credentials from the EC2 instance metadata service with credchain-embedded: the
//! blocking, allocation-free HTTP/1.1 client driving the core's IMDS machine, over a
//! `std::net::TcpStream` wrapped in the `embedded-io` traits — the part a firmware replaces
//! with its own TCP stack.
//!
//! ```text
//! cargo run -p credchain-embedded --example imds -- http://127.0.0.1:40123/
//! AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:40123/ cargo run -p credchain-embedded --example imds
//! cargo run -p credchain-embedded --example imds -- --local
//! ```
//!
//! The endpoint comes from the command line, else from the settings botocore reads in the
//! environment (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, `AWS_METADATA_SERVICE_TIMEOUT`, …; spec
//! §2.1), else it is the real `http://169.254.169.254/`. With `--local`, a `credchain-server`
//! IMDS (IMDSv2 required) is started in this process on loopback and used. It prints the role,
//! the access key id and the expiration IMDS states, the secrets' lengths (never the secrets),
//! and the machine's events:
//!
//! ```text
//! endpoint http://127.0.0.1:40123/
//! event token acquired (TTL 21600 s)
//! role credchain-role
//! access_key_id ASIAEXAMPLEFIXED0001
//! expiration 2030-01-01T00:00:00Z
//! secret_access_key <42 bytes, not shown>
//! session_token <48 bytes, not shown>
//! connections 1, responses 3
//! ```
//!
//! The exit status is 0 with credentials, 1 when there are none (the reason is printed), 2 for
//! a setting botocore would refuse.

use std::collections::HashMap;
use std::io::{Read as _, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

use credchain_core::http::Instant;
use credchain_core::imds::{
    Event, FallbackCause, ImdsClient, ImdsConfig, ImdsSettings, Outcome, Setting,
};
use credchain_embedded::driver::{ConnectError, Connector};
use credchain_embedded::{Driver, fetch_imds_credentials};
use embedded_io::{ErrorKind, ErrorType};

/// A `TcpStream` as an `embedded-io` transport.
///
/// An expired `set_read_timeout` shows on Unix as `WouldBlock`; the client expects
/// [`ErrorKind::TimedOut`], so that is what it becomes.
struct Tcp(TcpStream);

fn kind(e: &std::io::Error) -> ErrorKind {
    use std::io::ErrorKind as Std;
    match e.kind() {
        Std::WouldBlock | Std::TimedOut => ErrorKind::TimedOut,
        Std::ConnectionRefused => ErrorKind::ConnectionRefused,
        Std::ConnectionReset => ErrorKind::ConnectionReset,
        Std::ConnectionAborted => ErrorKind::ConnectionAborted,
        Std::NotConnected => ErrorKind::NotConnected,
        Std::BrokenPipe => ErrorKind::BrokenPipe,
        Std::Interrupted => ErrorKind::Interrupted,
        Std::WriteZero => ErrorKind::WriteZero,
        Std::AddrNotAvailable => ErrorKind::AddrNotAvailable,
        Std::NotFound => ErrorKind::NotFound,
        _ => ErrorKind::Other,
    }
}

impl ErrorType for Tcp {
    type Error = ErrorKind;
}

impl embedded_io::Read for Tcp {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, ErrorKind> {
        self.0.read(buf).map_err(|e| kind(&e))
    }
}

impl embedded_io::Write for Tcp {
    fn write(&mut self, buf: &[u8]) -> Result<usize, ErrorKind> {
        self.0.write(buf).map_err(|e| kind(&e))
    }

    fn flush(&mut self) -> Result<(), ErrorKind> {
        self.0.flush().map_err(|e| kind(&e))
    }
}

/// The platform for the driver: std sockets, std's monotonic clock, `thread::sleep`.
struct StdConnector {
    origin: std::time::Instant,
}

impl Connector for StdConnector {
    type Connection = Tcp;

    fn connect(&mut self, host: &str, port: u16, timeout: Duration) -> Result<Tcp, ConnectError> {
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|e| ConnectError::Failed(kind(&e)))?
            .collect();
        let mut last = ConnectError::Failed(ErrorKind::NotFound);
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    return Ok(Tcp(s));
                }
                Err(e) if kind(&e) == ErrorKind::TimedOut => last = ConnectError::TimedOut,
                Err(e) => last = ConnectError::Failed(kind(&e)),
            }
        }
        Err(last)
    }

    fn set_timeout(&mut self, c: &mut Tcp, timeout: Duration) -> Result<(), ErrorKind> {
        c.0.set_read_timeout(Some(timeout))
            .and_then(|()| c.0.set_write_timeout(Some(timeout)))
            .map_err(|e| kind(&e))
    }

    fn now(&mut self) -> Instant {
        Instant::from_duration(self.origin.elapsed())
    }

    fn sleep_until(&mut self, until: Instant) {
        let now = self.now();
        std::thread::sleep(until.saturating_duration_since(now));
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
fn run(
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
    let mut client = ImdsClient::new(config);
    let mut driver = Driver::new(StdConnector {
        origin: std::time::Instant::now(),
    });
    // What a firmware would keep in static buffers: the request line and headers, and the
    // response (the credentials document is about 1.3 KiB).
    let mut transmit = [0u8; 1024];
    let mut response = [0u8; 4096];
    let outcome = fetch_imds_credentials(&mut client, &mut driver, &mut transmit, &mut response);
    // The machine's events wait in the machine; the outcome borrows only the response buffer.
    let mut events = Vec::new();
    while let Some(event) = client.poll() {
        events.push(event);
    }
    for event in &events {
        writeln!(out, "event {}", describe(event))?;
    }
    let ending = match outcome {
        Ok(Outcome::Credentials(found)) => {
            let c = found.credentials;
            if let Some(role) = client.role_name() {
                writeln!(out, "role {role}")?;
            }
            writeln!(out, "access_key_id {}", c.access_key_id)?;
            match c.expiration() {
                Ok(t) => writeln!(out, "expiration {t}")?,
                Err(e) => writeln!(out, "expiration {:?} (unreadable: {e})", c.expiration)?,
            }
            if let Some(account) = c.account_id {
                writeln!(out, "account_id {account}")?;
            }
            writeln!(
                out,
                "secret_access_key <{} bytes, not shown>",
                c.secret_access_key.decoded_len()
            )?;
            writeln!(
                out,
                "session_token <{} bytes, not shown>",
                c.token.decoded_len()
            )?;
            Ending::Credentials
        }
        Ok(Outcome::Unavailable(why)) => {
            writeln!(out, "no credentials: {why}")?;
            Ending::NoCredentials
        }
        Ok(Outcome::Refused(refusal)) => {
            writeln!(out, "refused: {refusal}")?;
            Ending::NoCredentials
        }
        Ok(Outcome::Failed(e)) => {
            writeln!(out, "error {e}")?;
            Ending::NoCredentials
        }
        Ok(other) => {
            writeln!(out, "unexpected: {other:?}")?;
            Ending::NoCredentials
        }
        Err(e) => {
            writeln!(out, "error {e}")?;
            Ending::NoCredentials
        }
    };
    let stats = driver.stats();
    writeln!(
        out,
        "connections {}, responses {}",
        stats.connects, stats.responses
    )?;
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

/// A tokio runtime serving a credchain-server IMDS on loopback (IMDSv2 required), for
/// `--local` and the tests; the fetch itself stays blocking on the caller's thread.
fn local_server() -> Result<(tokio::runtime::Runtime, credchain_server::ServerHandle), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let server = runtime
        .block_on(
            credchain_server::ImdsServer::builder()
                .http_tokens(credchain_server::HttpTokens::Required)
                .start(),
        )
        .map_err(|e| e.to_string())?;
    Ok((runtime, server))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let vars: HashMap<String, String> = std::env::vars().collect();
    let mut out = std::io::stdout().lock();
    let result = match args.as_slice() {
        [] => run(None, &vars, &mut out),
        [flag] if flag == "--local" => match local_server() {
            Ok((_runtime, server)) => run(Some(&server.endpoint()), &vars, &mut out),
            Err(e) => {
                eprintln!("cannot start the local IMDS: {e}");
                return ExitCode::from(1);
            }
        },
        [url] if !url.starts_with('-') => run(Some(url), &vars, &mut out),
        _ => {
            eprintln!("usage: imds [ENDPOINT | --local]");
            return ExitCode::from(2);
        }
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
    use credchain_server::{CredentialSet, Fault, FaultRule};

    fn output(endpoint: Option<&str>, vars: &[(&str, &str)]) -> (Ending, String) {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut out = Vec::new();
        let ending = run(endpoint, &vars, &mut out).unwrap();
        (ending, String::from_utf8(out).unwrap())
    }

    #[test]
    fn prints_what_the_server_serves_and_never_a_secret() {
        let (_rt, server) = local_server().unwrap();
        let served = server.credentials(CredentialSet::RoleV2).unwrap();
        let (ending, text) = output(Some(&server.endpoint()), &[]);
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
        let secret_len = format!(
            "secret_access_key <{} bytes",
            served.secret_access_key.len()
        );
        assert!(text.contains(&secret_len), "{text}");
        assert!(!text.contains(&served.secret_access_key), "{text}");
        assert!(!text.contains(&served.session_token), "{text}");
        // Token, role name and document on one kept connection.
        assert!(text.ends_with("connections 1, responses 3\n"), "{text}");
        let t = server.transcript();
        assert_eq!(t.len(), 3);
        assert!(t.iter().all(|e| e.connection == t[0].connection));
    }

    #[test]
    fn a_silent_token_request_times_out_as_configured() {
        // The token PUT stalls: with AWS_METADATA_SERVICE_TIMEOUT=1 the read times out after
        // 1 s, and the fetch goes on with IMDSv1 (spec §4.4), which a server requiring tokens
        // refuses with 401: no credentials.
        let (_rt, server) = local_server().unwrap();
        server
            .controls()
            .add_fault(FaultRule::on_path("/latest/api/token", Fault::Stall))
            .unwrap();
        let started = std::time::Instant::now();
        let (ending, text) = output(
            None,
            &[
                ("AWS_EC2_METADATA_SERVICE_ENDPOINT", &server.endpoint()),
                ("AWS_METADATA_SERVICE_TIMEOUT", "1"),
            ],
        );
        let took = started.elapsed();
        assert_eq!(ending, Ending::NoCredentials, "{text}");
        assert!(
            text.contains("event IMDSv1 fallback: the token request timed out"),
            "{text}"
        );
        assert!(
            text.contains(
                "no credentials: the role name request failed after 1 attempt(s), last: status 401"
            ),
            "{text}"
        );
        assert!(took >= Duration::from_millis(950), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[test]
    fn a_setting_botocore_refuses_sends_nothing() {
        let (_rt, server) = local_server().unwrap();
        let (ending, text) = output(
            Some(&server.endpoint()),
            &[("AWS_METADATA_SERVICE_TIMEOUT", "soon")],
        );
        assert_eq!(ending, Ending::BadSetting, "{text}");
        assert!(text.starts_with("error "), "{text}");
        assert!(server.transcript().is_empty());
    }
}
