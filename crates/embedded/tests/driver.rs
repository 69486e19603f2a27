//! The driver over real sockets: the core's IMDS and container machines, driven by
//! `credchain_embedded::Driver` through a std `TcpStream` connector (the embedded-io traits a
//! firmware's socket layer would provide), against the faithful servers of `credchain-server`
//! running on a tokio runtime of their own threads.
//!
//! Every scenario checks the outcome against what the server says it serves, the requests
//! against the server's transcript, and the time against the machine's deadlines:
//!
//! - IMDSv2 as it should go (token, role name, document on one kept connection);
//! - the token `PUT` answered 403, stalled (read timeout, IMDSv1 before the deadline), answered
//!   503 once (a second attempt), refused by IMDSv1 being disabled;
//! - `AssumeRoleUnauthorizedAccess`, with and without credchain's improvements;
//! - the token and the connection reused by a second fetch (one `PUT` in the transcript);
//! - nothing listening, a reset, a truncated and an oversized document;
//! - a server that drips its answer byte by byte (the deadline still holds), and one that
//!   closes every kept connection while it is idle (a new one is opened, unseen by the machine);
//! - the container endpoint: credentials with the authorization token, a 500 then a pause then
//!   success, a wrong token until the attempts run out.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use std::io::{BufRead, BufReader, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant as StdInstant};

use credchain_core::container::{
    AttemptFailure as ContainerAttemptFailure, AuthToken, ContainerClient, ContainerConfig,
    ContainerEnv, ContainerError, Outcome as ContainerOutcome,
};
use credchain_core::document::JsonStr;
use credchain_core::http::{Instant, TransportError};
use credchain_core::imds::{
    AttemptFailure, Event, FallbackCause, ImdsClient, ImdsConfig, ImdsError, ImdsSettings,
    Improvements, Operation, Outcome, RequestKind, Unavailable,
};
use credchain_core::time::Timestamp;
use credchain_embedded::driver::{ConnectError, Connector, ExchangeError};
use credchain_embedded::{
    Cap, Driver, Error, fetch_container_credentials, fetch_imds, fetch_imds_credentials,
};
use credchain_server::{
    AuthCheck, Authorization, ContainerServer, CredentialSet, Fault, FaultKind, FaultRule,
    HttpTokens, ImdsServer, RoleMode,
};
use embedded_io::ErrorKind;
use support::{Tcp, io_kind};
use tokio::runtime::Runtime;

const TOKEN_PATH: &str = "/latest/api/token";
const ROLE_LIST: &str = "/latest/meta-data/iam/security-credentials/";
const ROLE_DOC: &str = "/latest/meta-data/iam/security-credentials/credchain-role";

// ---------------------------------------------------------------------------------------------
// The connector: std sockets behind the driver's trait.

/// `std::net` as a platform: `connect_timeout`, `set_read_timeout`/`set_write_timeout`, and a
/// monotonic clock from the connector's creation. Records every connection it opens.
#[derive(Debug)]
struct StdConnector {
    origin: StdInstant,
    opened: Vec<(String, u16)>,
    timeouts: Vec<Duration>,
}

impl StdConnector {
    fn new() -> Self {
        StdConnector {
            origin: StdInstant::now(),
            opened: Vec::new(),
            timeouts: Vec::new(),
        }
    }
}

impl Connector for StdConnector {
    type Connection = Tcp;

    fn connect(&mut self, host: &str, port: u16, timeout: Duration) -> Result<Tcp, ConnectError> {
        assert!(
            !timeout.is_zero(),
            "the driver never asks for a zero timeout"
        );
        self.opened.push((host.to_owned(), port));
        let addr: SocketAddr = (host, port)
            .to_socket_addrs()
            .map_err(|e| ConnectError::Failed(io_kind(&e)))?
            .next()
            .ok_or(ConnectError::Failed(ErrorKind::NotFound))?;
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => Ok(Tcp(s)),
            Err(e) if matches!(io_kind(&e), ErrorKind::TimedOut) => Err(ConnectError::TimedOut),
            Err(e) => Err(ConnectError::Failed(io_kind(&e))),
        }
    }

    fn set_timeout(&mut self, c: &mut Tcp, timeout: Duration) -> Result<(), ErrorKind> {
        assert!(
            !timeout.is_zero(),
            "the driver never asks for a zero timeout"
        );
        self.timeouts.push(timeout);
        c.0.set_read_timeout(Some(timeout))
            .and_then(|()| c.0.set_write_timeout(Some(timeout)))
            .map_err(|e| io_kind(&e))
    }

    fn now(&mut self) -> Instant {
        Instant::from_duration(self.origin.elapsed())
    }

    fn sleep_until(&mut self, until: Instant) {
        let now = self.now();
        thread::sleep(until.saturating_duration_since(now));
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers.

/// The servers' runtime: its own worker threads, so that the blocking driver on the test's
/// thread never holds them up.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn config<'a>(endpoint: &'a str, timeout: &'a str, attempts: &'a str) -> ImdsConfig<'a> {
    let settings = ImdsSettings {
        endpoint: Some(endpoint),
        timeout: Some(timeout),
        attempts: Some(attempts),
        ..ImdsSettings::default()
    };
    ImdsConfig::from_settings(&settings).unwrap()
}

fn text(s: JsonStr<'_>) -> String {
    let mut buf = vec![0u8; s.decoded_len()];
    s.decode_into(&mut buf).unwrap().to_owned()
}

/// An outcome, owned, so that it outlives the response buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Got {
    Creds {
        access_key_id: String,
        secret: String,
        token: String,
        expiration: Timestamp,
    },
    Refused {
        code: String,
        message: Option<String>,
        display: String,
    },
    Unavailable(Unavailable),
    Failed(ImdsError),
    Other(String),
}

fn own(outcome: Outcome<'_>) -> Got {
    match outcome {
        Outcome::Credentials(c) => Got::Creds {
            access_key_id: text(c.credentials.access_key_id),
            secret: text(c.credentials.secret_access_key),
            token: text(c.credentials.token),
            expiration: c.credentials.expiration().unwrap(),
        },
        Outcome::Refused(r) => Got::Refused {
            code: text(r.code),
            message: r.message.map(text),
            display: r.to_string(),
        },
        Outcome::Unavailable(u) => Got::Unavailable(u),
        Outcome::Failed(e) => Got::Failed(e),
        other => Got::Other(format!("{other:?}")),
    }
}

fn served(c: &credchain_server::Credentials) -> Got {
    Got::Creds {
        access_key_id: c.access_key_id.clone(),
        secret: c.secret_access_key.clone(),
        token: c.session_token.clone(),
        expiration: c.expiration,
    }
}

/// One fetch of role credentials, timed, with the machine's events.
fn fetch(
    client: &mut ImdsClient<'_>,
    driver: &mut Driver<StdConnector>,
) -> (Got, Duration, Vec<Event>) {
    let mut transmit = [0u8; 1024];
    let mut response = [0u8; 8192];
    let t0 = StdInstant::now();
    let outcome = fetch_imds_credentials(client, driver, &mut transmit, &mut response).unwrap();
    let took = t0.elapsed();
    let got = own(outcome);
    let mut events = Vec::new();
    while let Some(e) = client.poll() {
        events.push(e);
    }
    (got, took, events)
}

/// `(request, failure)` of each failed attempt among `events`.
fn attempt_failures(events: &[Event]) -> Vec<(RequestKind, AttemptFailure)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::AttemptFailed {
                request, failure, ..
            } => Some((*request, *failure)),
            _ => None,
        })
        .collect()
}

/// `(method, path, status)` of each request the server saw.
fn requests(transcript: &[credchain_server::Exchange]) -> Vec<(String, String, Option<u16>)> {
    transcript
        .iter()
        .map(|e| (e.method.clone(), e.path.clone(), e.status()))
        .collect()
}

fn req(method: &str, path: &str, status: Option<u16>) -> (String, String, Option<u16>) {
    (method.to_owned(), path.to_owned(), status)
}

// ---------------------------------------------------------------------------------------------
// IMDS.

#[test]
fn imdsv2_token_role_and_document_on_one_connection() {
    let rt = runtime();
    let imds = rt.block_on(ImdsServer::builder().start()).unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, took, events) = fetch(&mut client, &mut driver);

    assert_eq!(
        got,
        served(&imds.credentials(CredentialSet::RoleV2).unwrap())
    );
    assert_eq!(client.role_name(), Some("credchain-role"));
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(
        events,
        [Event::TokenAcquired {
            ttl_secs: 21_600,
            ttl_from_server: true,
            kept: true
        }]
    );
    let t = imds.transcript();
    assert_eq!(
        requests(&t),
        [
            req("PUT", TOKEN_PATH, Some(200)),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
        ]
    );
    assert_eq!(
        t[0].header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert_eq!(t[0].header("content-length"), Some("0"));
    assert_eq!(
        t[0].auth,
        AuthCheck::Issued {
            ttl_seconds: 21_600
        }
    );
    for e in &t[1..] {
        assert_eq!(e.auth, AuthCheck::Valid, "{e:?}");
        assert!(e.header("x-aws-ec2-metadata-token").is_some());
        assert!(
            e.header("user-agent")
                .unwrap()
                .starts_with("credchain-embedded/")
        );
    }
    // One connection carried all three requests.
    assert!(t.iter().all(|e| e.connection == t[0].connection));
    assert_eq!(
        t.iter().map(|e| e.on_connection).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let stats = driver.stats();
    assert_eq!((stats.connects, stats.reused, stats.responses), (1, 2, 3));
    assert_eq!(
        driver.connector().opened,
        [("127.0.0.1".to_owned(), imds.addr().port())]
    );
    assert!(driver.has_kept_connection());
    assert_eq!(driver.last_error(), None);
    rt.block_on(imds.stop());
}

#[test]
fn token_put_403_falls_back_to_imdsv1() {
    let rt = runtime();
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .separate_v1_credentials()
                .fault(FaultRule::on_path(TOKEN_PATH, Fault::Status(403)))
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, _, events) = fetch(&mut client, &mut driver);

    let v1 = served(&imds.credentials(CredentialSet::RoleV1).unwrap());
    assert_eq!(got, v1);
    assert_ne!(
        got,
        served(&imds.credentials(CredentialSet::RoleV2).unwrap())
    );
    assert_eq!(
        events,
        [Event::FallbackToV1 {
            cause: FallbackCause::Status(403)
        }]
    );
    let t = imds.transcript();
    assert_eq!(
        requests(&t),
        [
            req("PUT", TOKEN_PATH, Some(403)),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
        ]
    );
    for e in &t[1..] {
        assert_eq!(e.auth, AuthCheck::Absent, "IMDSv1 sends no token: {e:?}");
    }
    rt.block_on(imds.stop());
}

#[test]
fn stalled_token_put_times_out_and_falls_back_to_imdsv1_before_the_deadline() {
    let rt = runtime();
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .separate_v1_credentials()
                .fault(FaultRule::on_path(TOKEN_PATH, Fault::Stall).method("PUT"))
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, took, events) = fetch(&mut client, &mut driver);

    assert_eq!(
        got,
        served(&imds.credentials(CredentialSet::RoleV1).unwrap())
    );
    assert_eq!(
        events,
        [Event::FallbackToV1 {
            cause: FallbackCause::ReadTimeout
        }]
    );
    let t = imds.transcript();
    assert_eq!(
        requests(&t),
        [
            req("PUT", TOKEN_PATH, None),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
        ]
    );
    assert_eq!(
        t[0].outcome,
        credchain_server::Outcome::Fault {
            fault: FaultKind::Stall
        }
    );
    // The read timeout (1 s) ended the wait, well inside the machine's deadline (2 s); the
    // stalled connection was dropped and IMDSv1 went over a new one.
    let waited = t[1].elapsed - t[0].elapsed;
    assert!(
        waited >= Duration::from_millis(990) && waited < Duration::from_secs(2),
        "IMDSv1 began {waited:?} after the token PUT"
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_ne!(t[1].connection, t[0].connection);
    assert_eq!(t[2].connection, t[1].connection);
    assert_eq!(driver.stats().connects, 2);
    rt.block_on(imds.stop());
}

#[test]
fn token_put_503_once_is_tried_again_with_two_attempts() {
    let rt = runtime();
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .fault(FaultRule::on_path(TOKEN_PATH, Fault::Status(503)).once())
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "2"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, _, events) = fetch(&mut client, &mut driver);

    assert_eq!(
        got,
        served(&imds.credentials(CredentialSet::RoleV2).unwrap())
    );
    assert_eq!(
        events,
        [
            Event::AttemptFailed {
                request: RequestKind::Token,
                attempt: 1,
                failure: AttemptFailure::Status(503),
                retrying: true
            },
            Event::TokenAcquired {
                ttl_secs: 21_600,
                ttl_from_server: true,
                kept: true
            }
        ]
    );
    let t = imds.transcript();
    assert_eq!(
        requests(&t),
        [
            req("PUT", TOKEN_PATH, Some(503)),
            req("PUT", TOKEN_PATH, Some(200)),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
        ]
    );
    assert!(t[2..].iter().all(|e| e.auth == AuthCheck::Valid));
    rt.block_on(imds.stop());
}

#[test]
fn token_put_503_with_one_attempt_falls_back_to_imdsv1() {
    let rt = runtime();
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .fault(FaultRule::on_path(TOKEN_PATH, Fault::Status(503)).once())
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, _, events) = fetch(&mut client, &mut driver);

    assert_eq!(
        got,
        served(&imds.credentials(CredentialSet::RoleV1).unwrap())
    );
    assert_eq!(
        events.last(),
        Some(&Event::FallbackToV1 {
            cause: FallbackCause::AttemptsExhausted(AttemptFailure::Status(503))
        })
    );
    assert_eq!(imds.transcript().len(), 3);
    rt.block_on(imds.stop());
}

#[test]
fn imdsv1_disabled_and_no_token_is_an_error_before_any_get() {
    let rt = runtime();
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .http_tokens(HttpTokens::Required)
                .fault(FaultRule::on_path(TOKEN_PATH, Fault::Status(404)))
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let settings = ImdsSettings {
        endpoint: Some(&endpoint),
        v1_disabled: Some("true"),
        ..ImdsSettings::default()
    };
    let mut client = ImdsClient::new(ImdsConfig::from_settings(&settings).unwrap());
    let mut driver = Driver::new(StdConnector::new());

    let (got, _, _) = fetch(&mut client, &mut driver);

    assert_eq!(got, Got::Failed(ImdsError::V1Disabled));
    assert_eq!(
        requests(&imds.transcript()),
        [req("PUT", TOKEN_PATH, Some(404))]
    );
    rt.block_on(imds.stop());
}

#[test]
fn assume_role_unauthorized_access_is_refused_with_its_code_and_message() {
    let rt = runtime();
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .role_mode(RoleMode::AssumeRoleUnauthorizedAccess)
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut driver = Driver::new(StdConnector::new());

    // credchain: an error that names the code, the message and the likely cause.
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let (got, _, _) = fetch(&mut client, &mut driver);
    let Got::Refused {
        code,
        message,
        display,
    } = got
    else {
        panic!("{got:?}")
    };
    assert_eq!(code, "AssumeRoleUnauthorizedAccess");
    let message = message.expect("the document has a Message");
    assert!(message.contains("credchain-role"), "{message}");
    assert!(display.contains(&message), "{display}");
    assert!(display.ends_with("(does the role have a trust relationship with EC2?)"));

    // botocore: the document holds no credentials, so there are none (the chain goes on).
    let mut botocore = ImdsClient::new(ImdsConfig {
        improvements: Improvements::BOTOCORE,
        ..config(&endpoint, "1", "1")
    });
    let (got, _, _) = fetch(&mut botocore, &mut driver);
    assert_eq!(got, Got::Unavailable(Unavailable::ErrorDocument));
    assert_eq!(imds.transcript().len(), 6);
    rt.block_on(imds.stop());
}

#[test]
fn a_second_fetch_reuses_the_token_and_the_connection() {
    let rt = runtime();
    let imds = rt.block_on(ImdsServer::builder().start()).unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (first, _, _) = fetch(&mut client, &mut driver);
    let (second, _, events) = fetch(&mut client, &mut driver);

    let v2 = served(&imds.credentials(CredentialSet::RoleV2).unwrap());
    assert_eq!(first, v2);
    assert_eq!(second, v2);
    assert!(
        matches!(events[..], [Event::TokenReused { remaining_secs }] if remaining_secs > 21_000),
        "{events:?}"
    );
    let t = imds.transcript();
    assert_eq!(
        requests(&t),
        [
            req("PUT", TOKEN_PATH, Some(200)),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
        ]
    );
    // The same token (same fingerprint) on every GET, all valid.
    let token = t[1].header("x-aws-ec2-metadata-token").unwrap().to_owned();
    assert!(token.starts_with("<redacted"), "{token}");
    for e in &t[1..] {
        assert_eq!(e.header("x-aws-ec2-metadata-token"), Some(token.as_str()));
        assert_eq!(e.auth, AuthCheck::Valid);
    }
    assert!(t.iter().all(|e| e.connection == t[0].connection));
    assert_eq!(driver.stats().connects, 1);
    rt.block_on(imds.stop());
}

#[test]
fn iam_info_and_identity_credentials() {
    let rt = runtime();
    let imds = rt.block_on(ImdsServer::builder().start()).unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());
    let mut transmit = [0u8; 1024];
    let mut response = [0u8; 8192];

    let outcome = fetch_imds(
        &mut client,
        &mut driver,
        Operation::IamInfo,
        &mut transmit,
        &mut response,
    )
    .unwrap();
    let Outcome::InstanceProfile(profile) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(profile.id, "AIPAEXAMPLEPROFILE123");
    assert_eq!(profile.account_id(), Some("123456789012"));

    let outcome = fetch_imds(
        &mut client,
        &mut driver,
        Operation::IdentityCredentials,
        &mut transmit,
        &mut response,
    )
    .unwrap();
    assert_eq!(
        own(outcome),
        served(&imds.credentials(CredentialSet::Identity).unwrap())
    );
    assert_eq!(
        requests(&imds.transcript()),
        [
            req("PUT", TOKEN_PATH, Some(200)),
            req("GET", "/latest/meta-data/iam/info", Some(200)),
            req(
                "GET",
                "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance",
                Some(200)
            ),
        ]
    );
    rt.block_on(imds.stop());
}

#[test]
fn nothing_listening_is_a_connect_failure_and_ends_at_once() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}/");
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, took, events) = fetch(&mut client, &mut driver);

    assert_eq!(
        got,
        Got::Unavailable(Unavailable::RetriesExhausted {
            request: RequestKind::RoleName,
            attempts: 1,
            last: Some(AttemptFailure::Transport(TransportError::ConnectFailed)),
        })
    );
    assert_eq!(
        events[1],
        Event::FallbackToV1 {
            cause: FallbackCause::AttemptsExhausted(AttemptFailure::Transport(
                TransportError::ConnectFailed
            ))
        }
    );
    assert_eq!(
        driver.last_error(),
        Some(ExchangeError::Connect(ConnectError::Failed(
            ErrorKind::ConnectionRefused
        )))
    );
    assert!(took < Duration::from_millis(500), "{took:?}");
    assert_eq!(driver.connector().opened.len(), 2);
}

#[test]
fn reset_truncated_and_oversized_answers_are_closed_connections() {
    let rt = runtime();
    // A reset of the token PUT (on a new connection) and a truncated document, each once:
    // the machine sees closed connections, and its second attempts succeed.
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .fault(FaultRule::on_path(TOKEN_PATH, Fault::Reset).once())
                .fault(FaultRule::on_path(ROLE_DOC, Fault::TruncatedBody).once())
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "2"));
    let mut driver = Driver::new(StdConnector::new());
    let (got, _, events) = fetch(&mut client, &mut driver);
    assert_eq!(
        got,
        served(&imds.credentials(CredentialSet::RoleV2).unwrap())
    );
    let closed = AttemptFailure::Transport(TransportError::ConnectionClosed);
    assert_eq!(
        attempt_failures(&events),
        [
            (RequestKind::Token, closed),
            (RequestKind::RoleCredentials, closed)
        ]
    );
    assert_eq!(
        requests(&imds.transcript()),
        [
            req("PUT", TOKEN_PATH, None),
            req("PUT", TOKEN_PATH, Some(200)),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
            req("GET", ROLE_DOC, Some(200)),
        ]
    );
    assert_eq!(driver.stats().stale, 0);
    rt.block_on(imds.stop());

    // A reset of a request on a kept connection, before any byte of an answer, is what a
    // server closing an idle connection looks like: the driver sends it again on a new
    // connection, once, and the machine sees nothing. Twice in a row, the machine sees it.
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .fault(FaultRule::on_path(ROLE_LIST, Fault::Reset).once())
                .fault(FaultRule::on_path(ROLE_DOC, Fault::Reset).times(2))
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "2"));
    let mut driver = Driver::new(StdConnector::new());
    let (got, _, events) = fetch(&mut client, &mut driver);
    assert_eq!(
        got,
        served(&imds.credentials(CredentialSet::RoleV2).unwrap())
    );
    assert_eq!(
        attempt_failures(&events),
        [(RequestKind::RoleCredentials, closed)]
    );
    let t = imds.transcript();
    assert_eq!(
        requests(&t),
        [
            req("PUT", TOKEN_PATH, Some(200)),
            req("GET", ROLE_LIST, None),
            req("GET", ROLE_LIST, Some(200)),
            req("GET", ROLE_DOC, None),
            req("GET", ROLE_DOC, None),
            req("GET", ROLE_DOC, Some(200)),
        ]
    );
    assert_eq!(
        t.iter().map(|e| e.on_connection).collect::<Vec<_>>(),
        [0, 1, 0, 1, 0, 0],
        "resets on kept connections, each followed by a new one"
    );
    assert_eq!(driver.stats().stale, 2);
    assert_eq!(driver.stats().connects, 4);
    rt.block_on(imds.stop());

    // A 10 MiB document, every time: refused at the response buffer's size, never read whole.
    let imds = rt
        .block_on(
            ImdsServer::builder()
                .fault(FaultRule::on_path(ROLE_DOC, Fault::oversized()))
                .start(),
        )
        .unwrap();
    let endpoint = imds.endpoint();
    let mut client = ImdsClient::new(config(&endpoint, "1", "2"));
    let mut driver = Driver::new(StdConnector::new());
    let (got, took, _) = fetch(&mut client, &mut driver);
    assert_eq!(
        got,
        Got::Unavailable(Unavailable::RetriesExhausted {
            request: RequestKind::RoleCredentials,
            attempts: 2,
            last: Some(closed),
        })
    );
    assert!(
        matches!(
            driver.last_error(),
            Some(ExchangeError::Http(Error::CapExceeded {
                cap: Cap::Buffer,
                ..
            }))
        ),
        "{:?}",
        driver.last_error()
    );
    assert!(took < Duration::from_secs(2), "{took:?}");
    rt.block_on(imds.stop());
}

// ---------------------------------------------------------------------------------------------
// Servers the faithful IMDS cannot imitate: one that drips its answer, one that closes every
// connection after one response although it announced keep-alive.

/// What the tiny IMDS saw: `(connection, method, path)` of each request.
type MiniLog = Arc<Mutex<Vec<(usize, String, String)>>>;

/// A tiny IMDS on a std thread: answers token, role list and document; `drip` sends the token
/// answer one byte every `drip` (never finishing in time); `one_per_connection` closes each
/// connection after its first response, without saying so. Returns the address and the log of
/// `(connection, method, path)`.
fn mini_imds(drip: Option<Duration>, one_per_connection: bool) -> (SocketAddr, MiniLog) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&log);
    thread::spawn(move || {
        for (connection, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { return };
            let seen = Arc::clone(&seen);
            thread::spawn(move || serve_mini(stream, connection, drip, one_per_connection, &seen));
        }
    });
    (addr, log)
}

fn serve_mini(
    stream: TcpStream,
    connection: usize,
    drip: Option<Duration>,
    one_per_connection: bool,
    seen: &Mutex<Vec<(usize, String, String)>>,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let path = parts.next().unwrap_or("").to_owned();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                break;
            }
        }
        seen.lock()
            .unwrap()
            .push((connection, method.clone(), path.clone()));
        let body = match path.as_str() {
            TOKEN_PATH => "mini-token".to_owned(),
            ROLE_LIST => "mini-role".to_owned(),
            _ => r#"{"Code":"Success","AccessKeyId":"ASIAMINI","SecretAccessKey":"s","Token":"t","Expiration":"2030-01-01T00:00:00Z"}"#.to_owned(),
        };
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nx-aws-ec2-metadata-token-ttl-seconds: 21600\r\n\r\n{body}",
            body.len()
        );
        match drip {
            Some(every) if path == TOKEN_PATH => {
                for b in answer.as_bytes() {
                    if out.write_all(&[*b]).is_err() {
                        return;
                    }
                    thread::sleep(every);
                }
            }
            _ => {
                if out.write_all(answer.as_bytes()).is_err() {
                    return;
                }
            }
        }
        if one_per_connection {
            return;
        }
    }
}

#[test]
fn a_dripping_answer_is_cut_at_the_machines_deadline() {
    // 300 ms per byte: every read finishes well inside the 1 s timeout, the answer never.
    let (addr, log) = mini_imds(Some(Duration::from_millis(300)), false);
    let endpoint = format!("http://{addr}/");
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, took, events) = fetch(&mut client, &mut driver);

    assert!(matches!(got, Got::Creds { ref access_key_id, .. } if access_key_id == "ASIAMINI"));
    assert_eq!(
        events,
        [Event::FallbackToV1 {
            cause: FallbackCause::ReadTimeout
        }]
    );
    // The token request's deadline is twice the timeout: 2 s, however the bytes trickle (the
    // whole answer would take over 25 s at this pace).
    assert!(
        took >= Duration::from_millis(1990) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // The timeout set on the socket shrank to what was left before the deadline.
    let timeouts = &driver.connector().timeouts;
    assert!(
        timeouts.iter().any(|t| *t < Duration::from_millis(500)),
        "{timeouts:?}"
    );
    assert!(timeouts.iter().all(|t| *t <= Duration::from_secs(1)));
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 3, "{log:?}");
}

#[test]
fn a_kept_connection_closed_while_idle_is_replaced_unseen_by_the_machine() {
    let (addr, log) = mini_imds(None, true);
    let endpoint = format!("http://{addr}/");
    let mut client = ImdsClient::new(config(&endpoint, "1", "1"));
    let mut driver = Driver::new(StdConnector::new());

    let (got, _, events) = fetch(&mut client, &mut driver);

    assert!(
        matches!(got, Got::Creds { ref access_key_id, .. } if access_key_id == "ASIAMINI"),
        "{got:?} {events:?} {:?} {:?}",
        driver.last_error(),
        driver.stats()
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::AttemptFailed { .. })),
        "{events:?}"
    );
    let stats = driver.stats();
    assert_eq!((stats.connects, stats.stale, stats.responses), (3, 2, 3));
    let log = log.lock().unwrap().clone();
    assert_eq!(
        log.iter()
            .map(|(c, _, p)| (*c, p.as_str()))
            .collect::<Vec<_>>(),
        [
            (0, TOKEN_PATH),
            (1, ROLE_LIST),
            (2, "/latest/meta-data/iam/security-credentials/mini-role")
        ]
    );
}

#[test]
fn https_is_refused_without_sending() {
    let mut client = ImdsClient::new(config("https://127.0.0.1:9/", "1", "1"));
    let mut driver = Driver::new(StdConnector::new());
    let (got, _, _) = fetch(&mut client, &mut driver);
    assert_eq!(
        got,
        Got::Failed(ImdsError::Transport {
            request: RequestKind::Token,
            error: TransportError::Other
        })
    );
    assert_eq!(driver.last_error(), Some(ExchangeError::TlsUnsupported));
    assert!(driver.connector().opened.is_empty());
}

#[test]
fn a_request_buffer_too_small_says_how_big_it_must_be() {
    let mut client = ImdsClient::new(config("http://127.0.0.1:9/", "1", "1"));
    let mut driver = Driver::new(StdConnector::new());
    let mut transmit = [0u8; 8];
    let mut response = [0u8; 64];
    let err =
        fetch_imds_credentials(&mut client, &mut driver, &mut transmit, &mut response).unwrap_err();
    let credchain_embedded::DriveError::TransmitBuffer(too_small) = err else {
        panic!("{err:?}")
    };
    assert_eq!(too_small.available, 8);
    assert!(too_small.needed > 8);
    assert!(driver.connector().opened.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Virtual time: what real sockets cannot be made to do on demand.

/// A connector whose connections never connect: each attempt "waits" its whole timeout on a
/// virtual clock, then times out (a black-holed endpoint).
#[derive(Debug, Default)]
struct BlackHole {
    now: Duration,
    connect_timeouts: Vec<Duration>,
}

impl Connector for BlackHole {
    type Connection = Tcp;

    fn connect(&mut self, _host: &str, _port: u16, timeout: Duration) -> Result<Tcp, ConnectError> {
        self.connect_timeouts.push(timeout);
        self.now += timeout;
        Err(ConnectError::TimedOut)
    }

    fn set_timeout(&mut self, _: &mut Tcp, _: Duration) -> Result<(), ErrorKind> {
        unreachable!("no connection is ever made")
    }

    fn now(&mut self) -> Instant {
        Instant::from_duration(self.now)
    }

    fn sleep_until(&mut self, until: Instant) {
        self.now = self.now.max(until.since_origin());
    }
}

#[test]
fn a_black_holed_endpoint_costs_one_connect_timeout_per_attempt() {
    // spec §4.4: a connect timeout on the token is retried, then IMDSv1; the GET is retried,
    // then there are no credentials. Two attempts, a 2 s timeout: 4 connects of 2 s each.
    let mut client = ImdsClient::new(config("http://169.254.169.254/", "2", "2"));
    let mut driver = Driver::new(BlackHole::default());
    let mut transmit = [0u8; 1024];
    let mut response = [0u8; 1024];
    let outcome =
        fetch_imds_credentials(&mut client, &mut driver, &mut transmit, &mut response).unwrap();
    let timeout = AttemptFailure::Transport(TransportError::ConnectTimeout);
    assert_eq!(
        outcome,
        Outcome::Unavailable(Unavailable::RetriesExhausted {
            request: RequestKind::RoleName,
            attempts: 2,
            last: Some(timeout),
        })
    );
    let mut events = Vec::new();
    while let Some(e) = client.poll() {
        events.push(e);
    }
    assert_eq!(
        attempt_failures(&events),
        [
            (RequestKind::Token, timeout),
            (RequestKind::Token, timeout),
            (RequestKind::RoleName, timeout),
            (RequestKind::RoleName, timeout),
        ]
    );
    assert!(events.contains(&Event::FallbackToV1 {
        cause: FallbackCause::AttemptsExhausted(timeout)
    }));
    let connector = driver.connector();
    assert_eq!(connector.connect_timeouts, [Duration::from_secs(2); 4]);
    assert_eq!(connector.now, Duration::from_secs(8));
    assert_eq!(
        driver.last_error(),
        Some(ExchangeError::Connect(ConnectError::TimedOut))
    );
}

// ---------------------------------------------------------------------------------------------
// The container endpoint.

fn container_config<'a>(
    full_uri: &'a str,
    token: &'a str,
    url_buf: &'a mut [u8],
) -> ContainerConfig<'a> {
    let env = ContainerEnv {
        full_uri: Some(full_uri),
        auth_token: Some(AuthToken::Env(token)),
        ..ContainerEnv::default()
    };
    let mut config = ContainerConfig::from_env(&env, url_buf).unwrap().unwrap();
    // Shorter pauses than botocore's second keep the test quick; the machine's rule is the same.
    config.pause = Duration::from_millis(200);
    config
}

#[test]
fn container_credentials_with_the_authorization_token() {
    let rt = runtime();
    let server = rt.block_on(ContainerServer::builder().start()).unwrap();
    let uri = server.full_uri();
    let token = server.authorization_token().unwrap().to_owned();
    let mut url_buf = [0u8; 256];
    let mut client = ContainerClient::new(container_config(&uri, &token, &mut url_buf));
    let mut driver = Driver::new(StdConnector::new());
    let mut transmit = [0u8; 256];
    let mut response = [0u8; 8192];

    let outcome =
        fetch_container_credentials(&mut client, &mut driver, &mut transmit, &mut response)
            .unwrap();

    let ContainerOutcome::Credentials(c) = outcome else {
        panic!("{outcome:?}")
    };
    let expected = server.credentials().unwrap();
    assert_eq!(c.credentials.access_key_id, expected.access_key_id.as_str());
    assert_eq!(
        c.credentials.secret_access_key,
        expected.secret_access_key.as_str()
    );
    assert_eq!(c.credentials.token, expected.session_token.as_str());
    assert_eq!(c.credentials.expiration().unwrap(), expected.expiration);
    let t = server.transcript();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].auth, AuthCheck::Valid);
    assert_eq!(t[0].header("accept"), Some("application/json"));
    rt.block_on(server.stop());
}

#[test]
fn container_500_then_a_pause_then_success() {
    let rt = runtime();
    let server = rt
        .block_on(
            ContainerServer::builder()
                .authorization(Authorization::NotRequired)
                .fault(FaultRule::everywhere(Fault::Status(500)).once())
                .start(),
        )
        .unwrap();
    let uri = server.full_uri();
    let mut url_buf = [0u8; 256];
    let env = ContainerEnv {
        full_uri: Some(&uri),
        ..ContainerEnv::default()
    };
    let mut config = ContainerConfig::from_env(&env, &mut url_buf)
        .unwrap()
        .unwrap();
    config.pause = Duration::from_millis(300);
    let mut client = ContainerClient::new(config);
    let mut driver = Driver::new(StdConnector::new());
    let mut transmit = [0u8; 256];
    let mut response = [0u8; 8192];

    let t0 = StdInstant::now();
    let outcome =
        fetch_container_credentials(&mut client, &mut driver, &mut transmit, &mut response)
            .unwrap();
    let took = t0.elapsed();

    let ContainerOutcome::Credentials(c) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        c.credentials.access_key_id,
        server.credentials().unwrap().access_key_id.as_str()
    );
    assert!(took >= Duration::from_millis(300), "{took:?}");
    let t = server.transcript();
    assert_eq!(
        t.iter().map(|e| e.status()).collect::<Vec<_>>(),
        [Some(500), Some(200)]
    );
    assert!(t[1].elapsed - t[0].elapsed >= Duration::from_millis(300));
    rt.block_on(server.stop());
}

#[test]
fn container_wrong_token_fails_after_three_attempts() {
    let rt = runtime();
    let server = rt.block_on(ContainerServer::builder().start()).unwrap();
    let uri = server.full_uri();
    let mut url_buf = [0u8; 256];
    let mut client = ContainerClient::new(container_config(&uri, "not-the-token", &mut url_buf));
    let mut driver = Driver::new(StdConnector::new());
    let mut transmit = [0u8; 256];
    let mut response = [0u8; 8192];

    let outcome =
        fetch_container_credentials(&mut client, &mut driver, &mut transmit, &mut response)
            .unwrap();

    let ContainerOutcome::Failed(ContainerError::RetrievalFailed { attempts, last }) = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(attempts, 3);
    let Some(ContainerAttemptFailure::Status { status, .. }) = last else {
        panic!("{last:?}")
    };
    let t = server.transcript();
    assert_eq!(t.len(), 3);
    assert!(
        t.iter()
            .all(|e| e.status() == Some(status) && e.auth == AuthCheck::Invalid)
    );
    rt.block_on(server.stop());
}
