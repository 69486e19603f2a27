//! credchain-http's container fetcher against `credchain-server`'s container endpoint over
//! loopback (spec §6): the authorization token, three attempts one second apart on real time,
//! a stalled answer, `AccountId`, and `https` refused before sending.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::time::{Duration, Instant};

use common::{assert_same, within};
use credchain_core::container::{
    AttemptFailure, AuthToken, ContainerConfig, ContainerEnv, ContainerError, Event,
};
use credchain_http::{ContainerFetcher, Error};
use credchain_server::{AuthCheck, ContainerHandle, ContainerServer, Fault, FaultRule};

const LIMIT: Duration = Duration::from_secs(20);

async fn endpoint() -> ContainerHandle {
    ContainerServer::builder().start().await.unwrap()
}

/// Fetches from `url` with `token`, as botocore would with `AWS_CONTAINER_CREDENTIALS_FULL_URI`
/// and `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
async fn fetch(
    url: &str,
    token: Option<AuthToken<'_>>,
) -> (Result<credchain_http::Credentials, Error>, Vec<Event>) {
    let env = ContainerEnv {
        full_uri: Some(url),
        auth_token: token,
        ..ContainerEnv::default()
    };
    let mut buf = [0u8; 512];
    let config = ContainerConfig::from_env(&env, &mut buf).unwrap().unwrap();
    let mut fetcher = ContainerFetcher::new(config);
    let out = fetcher.fetch().await;
    (out, fetcher.events().to_vec())
}

#[tokio::test]
async fn credentials_with_account_id_and_the_token_checked() {
    within(LIMIT, async {
        let server = endpoint().await;
        let url = server.full_uri();
        let token = server.authorization_token().unwrap().to_owned();
        let (out, events) = fetch(&url, Some(AuthToken::Env(&token))).await;
        let found = out.unwrap();
        assert_same(&found, &server.credentials().unwrap(), "container");
        assert_eq!(found.account_id.as_deref(), Some("123456789012"));
        assert!(events.is_empty());
        let t = server.transcript();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].method, "GET");
        assert_eq!(t[0].path, server.settings().path);
        assert_eq!(t[0].auth, AuthCheck::Valid);
        assert_eq!(t[0].header("accept"), Some("application/json"));
        assert!(
            t[0].header("authorization")
                .unwrap()
                .starts_with("<redacted")
        );
        // A token file's trailing newline is trimmed (credchain improvement; botocore fails).
        let with_newline = format!("{token}\n");
        let (out, _) = fetch(&url, Some(AuthToken::File(&with_newline))).await;
        assert_same(&out.unwrap(), &server.credentials().unwrap(), "token file");
        assert_eq!(server.transcript()[1].auth, AuthCheck::Valid);
    })
    .await;
}

/// A wrong token gets 403 three times, one second apart, and the pause after the last attempt
/// too: about 3 s in all (spec §6).
#[tokio::test]
async fn a_wrong_token_fails_three_attempts_one_second_apart() {
    within(LIMIT, async {
        let server = endpoint().await;
        let url = server.full_uri();
        let started = Instant::now();
        let (out, events) = fetch(&url, Some(AuthToken::Env("not-the-token"))).await;
        let took = started.elapsed();
        let e = out.unwrap_err();
        let Error::Container { error, cause: None } = &e else {
            panic!("{e:?}")
        };
        let ContainerError::RetrievalFailed {
            attempts: 3,
            last: Some(AttemptFailure::Status { status: 403, body }),
        } = **error
        else {
            panic!("{error:?}")
        };
        assert_eq!(
            body.as_str(),
            r#"{"code":"Forbidden","message":"authorization invalid"}"#
        );
        assert_eq!(
            e.to_string(),
            "Error when retrieving credentials from container-role: Error retrieving metadata: \
             Received non 200 response 403 from container metadata: \
             {\"code\":\"Forbidden\",\"message\":\"authorization invalid\"}"
        );
        assert_eq!(events.len(), 3);
        assert!(
            took >= Duration::from_secs(3) && took < Duration::from_millis(4500),
            "took {took:?}"
        );
        let t = server.transcript();
        assert_eq!(t.len(), 3);
        assert!(t.iter().all(|e| e.auth == AuthCheck::Invalid));
        for pair in t.windows(2) {
            let gap = pair[1].elapsed - pair[0].elapsed;
            assert!(
                gap >= Duration::from_millis(990) && gap < Duration::from_millis(1500),
                "gap {gap:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn a_500_is_retried_after_a_one_second_pause() {
    within(LIMIT, async {
        // Three 500s: the error, after ~3 s.
        let server = endpoint().await;
        server
            .controls()
            .add_fault(FaultRule::everywhere(Fault::Status(500)))
            .unwrap();
        let url = server.full_uri();
        let token = server.authorization_token().unwrap().to_owned();
        let started = Instant::now();
        let (out, events) = fetch(&url, Some(AuthToken::Env(&token))).await;
        let took = started.elapsed();
        let e = out.unwrap_err();
        assert!(
            e.to_string().starts_with(
                "Error when retrieving credentials from container-role: Error retrieving \
                 metadata: Received non 200 response 500 from container metadata: "
            ),
            "{e}"
        );
        assert_eq!(
            events
                .iter()
                .map(
                    |Event::AttemptFailed {
                         attempt, retrying, ..
                     }| (*attempt, *retrying)
                )
                .collect::<Vec<_>>(),
            [(1, true), (2, true), (3, false)]
        );
        assert!(
            took >= Duration::from_secs(3) && took < Duration::from_millis(4500),
            "took {took:?}"
        );
        assert_eq!(server.transcript().len(), 3);

        // One 500, then the credentials, after one pause.
        let server = endpoint().await;
        server
            .controls()
            .add_fault(FaultRule::everywhere(Fault::Status(500)).once())
            .unwrap();
        let url = server.full_uri();
        let token = server.authorization_token().unwrap().to_owned();
        let started = Instant::now();
        let (out, events) = fetch(&url, Some(AuthToken::Env(&token))).await;
        let took = started.elapsed();
        assert_same(&out.unwrap(), &server.credentials().unwrap(), "second try");
        assert_eq!(events.len(), 1);
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_millis(1800),
            "took {took:?}"
        );
        let t = server.transcript();
        assert_eq!(
            t.iter().map(|e| e.status()).collect::<Vec<_>>(),
            [Some(500), Some(200)]
        );
    })
    .await;
}

/// A stalled answer times out after the 2 s read timeout, pauses 1 s, and the next attempt
/// succeeds.
#[tokio::test]
async fn a_stalled_answer_times_out_and_is_retried() {
    within(LIMIT, async {
        let server = endpoint().await;
        server
            .controls()
            .add_fault(FaultRule::everywhere(Fault::Stall).once())
            .unwrap();
        let url = server.full_uri();
        let token = server.authorization_token().unwrap().to_owned();
        let started = Instant::now();
        let (out, events) = fetch(&url, Some(AuthToken::Env(&token))).await;
        let took = started.elapsed();
        assert_same(&out.unwrap(), &server.credentials().unwrap(), "after stall");
        assert!(matches!(
            events[..],
            [Event::AttemptFailed {
                attempt: 1,
                failure: AttemptFailure::Transport(
                    credchain_core::http::TransportError::ReadTimeout
                ),
                retrying: true
            }]
        ));
        assert!(
            took >= Duration::from_secs(3) && took < Duration::from_millis(4500),
            "took {took:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_https_full_uri_is_refused_before_sending() {
    within(LIMIT, async {
        let started = Instant::now();
        let (out, _) = fetch("https://127.0.0.1:9/creds", None).await;
        assert_eq!(
            out.unwrap_err(),
            Error::HttpsNotSupported {
                host: "127.0.0.1".into(),
                port: 9
            }
        );
        assert!(started.elapsed() < Duration::from_millis(100));
    })
    .await;
}
