//! credchain-http's IMDS fetcher against `credchain-server` over loopback: the normal IMDSv2
//! fetch, token reuse and renewal, every row of the token fallback table (spec §4.4) produced
//! by the server's faults, the GET retry rules (§4.5), IMDSv1 disabled (§4.6), error documents,
//! the expiry extension (§4.8), and the other documents. Each test has a deadline, and those
//! about timeouts assert how long they took.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{DOC, ROLES, TOKEN, assert_same, imds_config, lines, within};
use credchain_core::http::TransportError;
use credchain_core::imds::{
    AttemptFailure, CredentialSource, Event, FallbackCause, ImdsError, Operation, RequestKind,
    Unavailable,
};
use credchain_core::time::Timestamp;
use credchain_http::{Error, ImdsFetcher, ImdsOutcome, SendErrorKind, WallClock};
use credchain_server::{
    AuthCheck, CredentialSet, Credentials, Fault, FaultRule, HttpEndpoint, HttpTokens, ImdsServer,
    RoleMode, ServerHandle,
};

const LIMIT: Duration = Duration::from_secs(20);

async fn plain_server() -> ServerHandle {
    ImdsServer::builder().start().await.unwrap()
}

/// `server`, with `rule` in force.
fn with_fault(server: ServerHandle, rule: FaultRule) -> ServerHandle {
    server.controls().add_fault(rule).unwrap();
    server
}

/// A server whose IMDSv1 credentials differ from its IMDSv2 ones, so a test can tell which
/// path served them.
async fn server_v1_apart() -> ServerHandle {
    ImdsServer::builder()
        .separate_v1_credentials()
        .start()
        .await
        .unwrap()
}

fn creds(outcome: &ImdsOutcome) -> &credchain_http::ImdsCredentials {
    match outcome {
        ImdsOutcome::Credentials(c) => c,
        other => panic!("expected credentials, got {other:?}"),
    }
}

fn v2(server: &ServerHandle) -> Credentials {
    server.credentials(CredentialSet::RoleV2).unwrap()
}

fn v1(server: &ServerHandle) -> Credentials {
    server.credentials(CredentialSet::RoleV1).unwrap()
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test]
async fn a_normal_v2_fetch_uses_one_connection() {
    within(LIMIT, async {
        let server = plain_server().await;
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let out = imds.role_credentials().await.unwrap();
        let found = creds(&out);
        assert_same(&found.credentials, &v2(&server), "v2");
        assert_eq!(found.role_name.as_deref(), Some("credchain-role"));
        assert_eq!(found.source, CredentialSource::Role);
        assert_eq!(found.extension, None);
        assert_eq!(found.stated_expiration, found.credentials.expiration);
        assert!(found.last_updated.is_some());
        assert_eq!(found.credentials.account_id, None);

        let t = server.transcript();
        assert_eq!(
            lines(&t),
            [
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200"),
            ]
        );
        // One connection, kept alive for the three requests.
        let on: Vec<(u64, u32)> = t.iter().map(|e| (e.connection, e.on_connection)).collect();
        assert_eq!(on, [(0, 0), (0, 1), (0, 2)]);
        assert_eq!(imds.http().stats().connections_opened, 1);
        // What went on the wire.
        let host = format!("127.0.0.1:{}", server.addr().port());
        assert_eq!(
            t[0].header("x-aws-ec2-metadata-token-ttl-seconds"),
            Some("21600")
        );
        assert_eq!(t[0].header("content-length"), Some("0"));
        assert_eq!(t[0].auth, AuthCheck::Issued { ttl_seconds: 21600 });
        for e in &t {
            assert_eq!(e.header("host"), Some(host.as_str()));
            assert!(
                e.header("user-agent")
                    .unwrap()
                    .starts_with("credchain-http/")
            );
            assert_eq!(e.version, "HTTP/1.1");
        }
        for e in &t[1..] {
            assert_eq!(e.auth, AuthCheck::Valid);
            assert_eq!(e.header("content-length"), None);
        }
        assert!(matches!(
            imds.events(),
            [Event::TokenAcquired {
                ttl_secs: 21600,
                ttl_from_server: true,
                kept: true
            }]
        ));
    })
    .await;
}

#[tokio::test]
async fn the_token_is_reused_across_fetches() {
    within(LIMIT, async {
        let server = plain_server().await;
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let first = imds.role_credentials().await.unwrap();
        let second = imds.role_credentials().await.unwrap();
        assert_same(&creds(&first).credentials, &v2(&server), "first");
        assert_same(&creds(&second).credentials, &v2(&server), "second");
        assert!(matches!(
            imds.events(),
            [Event::TokenReused { remaining_secs }] if *remaining_secs > 21_000
        ));
        let t = server.transcript();
        assert_eq!(
            lines(&t),
            [
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200"),
            ]
        );
        // The same token every time (the transcript keeps a fingerprint, not the token).
        let token = t[1].header("x-aws-ec2-metadata-token").unwrap();
        assert!(token.starts_with("<redacted: 56 bytes, fp "), "{token}");
        assert!(
            t[2..]
                .iter()
                .all(|e| e.header("x-aws-ec2-metadata-token") == Some(token))
        );
        // And the same connection across both fetches.
        assert!(t.iter().all(|e| e.connection == 0));
        assert_eq!(imds.http().stats().reused, 4);
    })
    .await;
}

#[tokio::test]
async fn a_401_on_a_get_renews_the_token_once() {
    within(LIMIT, async {
        let server = plain_server().await;
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        imds.role_credentials().await.unwrap();
        // Seven hours pass on the instance: the six-hour token has expired there, while the
        // client still holds it.
        server
            .controls()
            .clock()
            .advance(Duration::from_secs(7 * 3600));
        server.controls().clear_transcript();
        let out = imds.role_credentials().await.unwrap();
        assert_same(&creds(&out).credentials, &v2(&server), "after renewal");
        let t = server.transcript();
        assert_eq!(
            lines(&t),
            [
                format!("GET {ROLES} [token] -> 401"),
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200"),
            ]
        );
        assert_eq!(t[0].auth, AuthCheck::Expired);
        assert_eq!(t[2].auth, AuthCheck::Valid);
        assert_ne!(
            t[0].header("x-aws-ec2-metadata-token"),
            t[2].header("x-aws-ec2-metadata-token")
        );
        assert!(imds.events().contains(&Event::RenewingToken));
    })
    .await;
}

/// Spec §4.4, `404`, `403`, `405`: IMDSv1 at once, no retry.
#[tokio::test]
async fn token_refusals_403_404_405_fall_back_to_v1() {
    within(LIMIT, async {
        let mut failures = Vec::new();
        for status in [403u16, 404, 405] {
            let server = with_fault(
                server_v1_apart().await,
                FaultRule::on_path(TOKEN, Fault::Status(status)),
            );
            let url = server.endpoint();
            // Two attempts configured: a refusal is not retried all the same.
            let mut imds = ImdsFetcher::new(imds_config(&url, 2));
            let out = imds.role_credentials().await.unwrap();
            let found = &creds(&out).credentials;
            let expected = [
                format!("PUT {TOKEN} -> {status}"),
                format!("GET {ROLES} -> 200"),
                format!("GET {DOC} -> 200"),
            ];
            let seen = lines(&server.transcript());
            if seen != expected {
                failures.push(format!("{status}: requests {seen:?}"));
            }
            if found.access_key_id != v1(&server).access_key_id
                || found.access_key_id == v2(&server).access_key_id
            {
                failures.push(format!("{status}: not the IMDSv1 credentials"));
            }
            if imds.events().first()
                != Some(&Event::FallbackToV1 {
                    cause: FallbackCause::Status(status),
                })
            {
                failures.push(format!("{status}: events {:?}", imds.events()));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    })
    .await;
}

#[tokio::test]
async fn a_disabled_endpoint_403s_everything_and_finds_nothing() {
    within(LIMIT, async {
        let server = ImdsServer::builder()
            .http_endpoint(HttpEndpoint::Disabled)
            .start()
            .await
            .unwrap();
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let out = imds.role_credentials().await.unwrap();
        assert_eq!(
            out,
            ImdsOutcome::Unavailable(Unavailable::RetriesExhausted {
                request: RequestKind::RoleName,
                attempts: 1,
                last: Some(AttemptFailure::Status(403)),
            })
        );
        assert_eq!(
            lines(&server.transcript()),
            [format!("PUT {TOKEN} -> 403"), format!("GET {ROLES} -> 403")]
        );
    })
    .await;
}

/// Spec §4.4, `400`: no credentials and no further request.
#[tokio::test]
async fn a_400_to_the_token_request_ends_the_fetch() {
    within(LIMIT, async {
        let server = with_fault(
            plain_server().await,
            FaultRule::on_path(TOKEN, Fault::Status(400)),
        );
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 3));
        let out = imds.role_credentials().await.unwrap();
        assert_eq!(out, ImdsOutcome::Unavailable(Unavailable::BadTokenRequest));
        assert_eq!(lines(&server.transcript()), [format!("PUT {TOKEN} -> 400")]);
    })
    .await;
}

/// Spec §4.4, other statuses: the next attempt; the last one exhausted, IMDSv1.
#[tokio::test]
async fn a_503_to_the_token_request_is_retried_then_falls_back() {
    within(LIMIT, async {
        // One attempt: the 503 exhausts it, IMDSv1 follows.
        let server = with_fault(
            server_v1_apart().await,
            FaultRule::on_path(TOKEN, Fault::Status(503)).once(),
        );
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let out = imds.role_credentials().await.unwrap();
        assert_same(&creds(&out).credentials, &v1(&server), "attempts 1");
        assert_eq!(
            lines(&server.transcript()),
            [
                format!("PUT {TOKEN} -> 503"),
                format!("GET {ROLES} -> 200"),
                format!("GET {DOC} -> 200"),
            ]
        );
        assert!(imds.events().contains(&Event::FallbackToV1 {
            cause: FallbackCause::AttemptsExhausted(AttemptFailure::Status(503)),
        }));

        // Two attempts: the second token request succeeds.
        let server = with_fault(
            server_v1_apart().await,
            FaultRule::on_path(TOKEN, Fault::Status(503)).once(),
        );
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 2));
        let out = imds.role_credentials().await.unwrap();
        assert_same(&creds(&out).credentials, &v2(&server), "attempts 2");
        assert_eq!(
            lines(&server.transcript()),
            [
                format!("PUT {TOKEN} -> 503"),
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200"),
            ]
        );
    })
    .await;
}

/// Spec §4.4, read timeout: IMDSv1 at once, within about the timeout.
#[tokio::test]
async fn a_stalled_token_request_times_out_into_v1() {
    within(LIMIT, async {
        let server = with_fault(
            server_v1_apart().await,
            FaultRule::on_path(TOKEN, Fault::Stall),
        );
        let url = server.endpoint();
        // Three attempts configured: a read timeout is not retried.
        let mut imds = ImdsFetcher::new(imds_config(&url, 3));
        let started = Instant::now();
        let out = imds.role_credentials().await.unwrap();
        let took = started.elapsed();
        assert_same(&creds(&out).credentials, &v1(&server), "after the stall");
        assert!(
            took >= Duration::from_secs(1) && took < Duration::from_millis(2500),
            "timeout 1 s, took {took:?}"
        );
        let t = server.transcript();
        assert_eq!(
            lines(&t),
            [
                format!("PUT {TOKEN} -> stall"),
                format!("GET {ROLES} -> 200"),
                format!("GET {DOC} -> 200"),
            ]
        );
        // The stalled connection was abandoned; the GETs went on a new one.
        assert_eq!(t[1].connection, 1);
        assert_eq!(
            imds.events()[0],
            Event::FallbackToV1 {
                cause: FallbackCause::ReadTimeout
            }
        );
    })
    .await;
}

/// Spec §4.4, connection closed: retried like a status; with one attempt, IMDSv1.
#[tokio::test]
async fn a_reset_or_closed_token_request_is_retried_then_falls_back() {
    within(LIMIT, async {
        let mut failures = Vec::new();
        for (fault, name) in [(Fault::Reset, "reset"), (Fault::Close, "close")] {
            let server = with_fault(
                server_v1_apart().await,
                FaultRule::on_path(TOKEN, fault).once(),
            );
            let url = server.endpoint();
            let mut imds = ImdsFetcher::new(imds_config(&url, 1));
            let out = imds.role_credentials().await.unwrap();
            if creds(&out).credentials.access_key_id != v1(&server).access_key_id {
                failures.push(format!("{name}, 1 attempt: not the IMDSv1 credentials"));
            }
            let expected_cause = FallbackCause::AttemptsExhausted(AttemptFailure::Transport(
                TransportError::ConnectionClosed,
            ));
            if !imds.events().contains(&Event::FallbackToV1 {
                cause: expected_cause,
            }) {
                failures.push(format!("{name}, 1 attempt: events {:?}", imds.events()));
            }
            let seen = lines(&server.transcript());
            if seen[0] != format!("PUT {TOKEN} -> {name}") || seen.len() != 3 {
                failures.push(format!("{name}, 1 attempt: {seen:?}"));
            }

            let server = with_fault(
                server_v1_apart().await,
                FaultRule::on_path(TOKEN, fault).once(),
            );
            let url = server.endpoint();
            let mut imds = ImdsFetcher::new(imds_config(&url, 2));
            let out = imds.role_credentials().await.unwrap();
            if creds(&out).credentials.access_key_id != v2(&server).access_key_id {
                failures.push(format!("{name}, 2 attempts: not the IMDSv2 credentials"));
            }
            let seen = lines(&server.transcript());
            let expected = [
                format!("PUT {TOKEN} -> {name}"),
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200"),
            ];
            if seen != expected {
                failures.push(format!("{name}, 2 attempts: {seen:?}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    })
    .await;
}

/// Spec §4.6: no token and IMDSv1 disabled is an error, before any GET.
#[tokio::test]
async fn v1_disabled_without_a_token_is_an_error() {
    within(LIMIT, async {
        let server = with_fault(
            plain_server().await,
            FaultRule::on_path(TOKEN, Fault::Status(403)),
        );
        let url = server.endpoint();
        let mut config = imds_config(&url, 1);
        config.v1_disabled = true;
        let mut imds = ImdsFetcher::new(config);
        let e = imds.role_credentials().await.unwrap_err();
        assert_eq!(
            e,
            Error::Imds {
                error: ImdsError::V1Disabled,
                cause: None
            }
        );
        assert_eq!(
            e.to_string(),
            "Error retrieving metadata: Unable to retrieve token for use in IMDSv2 call and \
             IMDSv1 has been disabled"
        );
        assert_eq!(lines(&server.transcript()), [format!("PUT {TOKEN} -> 403")]);
    })
    .await;
}

#[tokio::test]
async fn tokens_required_and_a_refused_put_find_nothing() {
    within(LIMIT, async {
        let server = ImdsServer::builder()
            .http_tokens(HttpTokens::Required)
            .fault(FaultRule::on_path(TOKEN, Fault::Status(403)))
            .start()
            .await
            .unwrap();
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let out = imds.role_credentials().await.unwrap();
        assert_eq!(
            out,
            ImdsOutcome::Unavailable(Unavailable::RetriesExhausted {
                request: RequestKind::RoleName,
                attempts: 1,
                last: Some(AttemptFailure::Status(401)),
            })
        );
        let t = server.transcript();
        assert_eq!(
            lines(&t),
            [format!("PUT {TOKEN} -> 403"), format!("GET {ROLES} -> 401")]
        );
        // A token-less 401 renews nothing: there was no token to renew.
        assert_eq!(t[1].auth, AuthCheck::Absent);
        assert!(!imds.events().contains(&Event::RenewingToken));
    })
    .await;
}

/// Spec §4.5: each GET is retried while the status is not 200, the body is empty or not JSON,
/// or the transport failed in a retryable way.
#[tokio::test]
async fn gets_are_retried_on_5xx_empty_truncated_and_stalled_answers() {
    within(LIMIT, async {
        let cases: [(&str, FaultRule, &str); 4] = [
            (
                "500 on the role name",
                FaultRule::on_path(ROLES, Fault::Status(500)).once(),
                "500",
            ),
            (
                "empty document",
                FaultRule::on_path(DOC, Fault::OversizedBody { bytes: 0 }).once(),
                "200 oversized 0",
            ),
            (
                "truncated document",
                FaultRule::on_path(DOC, Fault::TruncatedBody).once(),
                "200 truncated",
            ),
            (
                "stalled document",
                FaultRule::on_path(DOC, Fault::Stall).once(),
                "stall",
            ),
        ];
        let mut failures = Vec::new();
        for (name, rule, first) in cases {
            let server = plain_server().await;
            let path = match rule.path() {
                credchain_server::PathMatch::Exact(p) => p.clone(),
                other => panic!("{other:?}"),
            };
            server.controls().add_fault(rule).unwrap();
            let url = server.endpoint();
            let mut imds = ImdsFetcher::new(imds_config(&url, 2));
            let started = Instant::now();
            let out = imds.role_credentials().await;
            let took = started.elapsed();
            match &out {
                Ok(ImdsOutcome::Credentials(c))
                    if c.credentials.access_key_id == v2(&server).access_key_id => {}
                other => failures.push(format!("{name}: {other:?}")),
            }
            let seen = lines(&server.transcript());
            let mut expected = vec![
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200"),
            ];
            let at = if path == ROLES { 1 } else { 2 };
            expected.insert(at, format!("GET {path} [token] -> {first}"));
            if seen != expected {
                failures.push(format!("{name}: {seen:?}"));
            }
            let failed = imds.events().iter().any(|e| {
                matches!(
                    e,
                    Event::AttemptFailed {
                        attempt: 1,
                        retrying: true,
                        ..
                    }
                )
            });
            if !failed {
                failures.push(format!("{name}: events {:?}", imds.events()));
            }
            let bound = if first == "stall" {
                Duration::from_millis(2500)
            } else {
                Duration::from_millis(900)
            };
            if took >= bound {
                failures.push(format!("{name}: took {took:?}, bound {bound:?}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    })
    .await;
}

#[tokio::test]
async fn a_get_failing_every_attempt_finds_nothing() {
    within(LIMIT, async {
        let server = with_fault(
            plain_server().await,
            FaultRule::on_path(ROLES, Fault::Status(500)),
        );
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 3));
        let out = imds.role_credentials().await.unwrap();
        assert_eq!(
            out,
            ImdsOutcome::Unavailable(Unavailable::RetriesExhausted {
                request: RequestKind::RoleName,
                attempts: 3,
                last: Some(AttemptFailure::Status(500)),
            })
        );
        assert_eq!(
            lines(&server.transcript()),
            [
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 500"),
                format!("GET {ROLES} [token] -> 500"),
                format!("GET {ROLES} [token] -> 500"),
            ]
        );
    })
    .await;
}

/// A body beyond the cap is an error at once: not buffered, not retried.
#[tokio::test]
async fn an_oversized_document_is_an_error() {
    within(LIMIT, async {
        let server = with_fault(
            plain_server().await,
            FaultRule::on_path(DOC, Fault::oversized()),
        );
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 3));
        let started = Instant::now();
        let e = imds.role_credentials().await.unwrap_err();
        assert!(started.elapsed() < Duration::from_millis(900));
        let Error::Imds {
            error: ImdsError::Transport { request, error },
            cause: Some(cause),
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*request, RequestKind::RoleCredentials);
        assert_eq!(*error, TransportError::Other);
        assert_eq!(
            cause.kind(),
            SendErrorKind::BodyTooLarge {
                limit: 64 * 1024,
                declared: Some(10 * 1024 * 1024)
            }
        );
        assert_eq!(
            e.to_string(),
            "the role credentials request failed: HTTP client error (response body larger \
             than the 65536 bytes allowed (Content-Length: 10485760))"
        );
        assert_eq!(
            lines(&server.transcript()),
            [
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> 200 oversized 10485760"),
            ]
        );
    })
    .await;
}

/// A kept connection the server closes under a request is replaced, once, by a fresh one; the
/// machine sees nothing. Closed again on the fresh one, the machine sees it.
#[tokio::test]
async fn a_closed_kept_connection_is_retried_once_on_a_fresh_one() {
    within(LIMIT, async {
        let server = with_fault(
            plain_server().await,
            FaultRule::on_path(DOC, Fault::Close).once(),
        );
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let out = imds.role_credentials().await.unwrap();
        assert_same(&creds(&out).credentials, &v2(&server), "after the retry");
        let t = server.transcript();
        assert_eq!(
            lines(&t),
            [
                format!("PUT {TOKEN} -> 200"),
                format!("GET {ROLES} [token] -> 200"),
                format!("GET {DOC} [token] -> close"),
                format!("GET {DOC} [token] -> 200"),
            ]
        );
        assert_eq!((t[2].connection, t[3].connection), (0, 1));
        assert_eq!(imds.http().stats().retried_on_fresh, 1);
        assert!(
            !imds
                .events()
                .iter()
                .any(|e| matches!(e, Event::AttemptFailed { .. }))
        );

        let server = with_fault(
            plain_server().await,
            FaultRule::on_path(DOC, Fault::Close).times(2),
        );
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let out = imds.role_credentials().await.unwrap();
        assert_eq!(
            out,
            ImdsOutcome::Unavailable(Unavailable::RetriesExhausted {
                request: RequestKind::RoleCredentials,
                attempts: 1,
                last: Some(AttemptFailure::Transport(TransportError::ConnectionClosed)),
            })
        );
        assert_eq!(server.transcript().len(), 4);
    })
    .await;
}

#[tokio::test]
async fn assume_role_unauthorized_access_is_refused_with_code_and_message() {
    within(LIMIT, async {
        let server = ImdsServer::builder()
            .role_mode(RoleMode::AssumeRoleUnauthorizedAccess)
            .start()
            .await
            .unwrap();
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let out = imds.role_credentials().await.unwrap();
        let ImdsOutcome::Refused(r) = &out else {
            panic!("{out:?}")
        };
        assert_eq!(r.request, RequestKind::RoleCredentials);
        assert_eq!(r.code, "AssumeRoleUnauthorizedAccess");
        let message = r.message.as_deref().unwrap();
        assert!(
            message.starts_with("EC2 cannot assume the role credchain-role."),
            "{message}"
        );
        let shown = r.to_string();
        assert!(
            shown.starts_with(
                "IMDS answered the role credentials request with Code \
                 AssumeRoleUnauthorizedAccess: EC2 cannot assume the role credchain-role."
            ),
            "{shown}"
        );
        assert!(shown.ends_with("(does the role have a trust relationship with EC2?)"));
        assert_eq!(server.transcript().len(), 3);
    })
    .await;
}

/// Spec §4.8: credentials expired or expiring within `900 + randint(120, 600)` s get
/// `now + offset`; others keep their expiry.
#[tokio::test]
async fn near_expiry_credentials_are_extended_for_static_stability() {
    within(LIMIT, async {
        let mut failures = Vec::new();
        // (seconds until the served expiry, jitter, expected offset or none)
        type Jitter = fn() -> u64;
        let cases: [(i64, Jitter, Option<i64>); 4] = [
            (-3600, || 0, Some(1020)),
            (600, || 480, Some(1500)),
            (1400, || 0, None),
            (6 * 3600, || 480, None),
        ];
        for (left, jitter, offset) in cases {
            let now = Timestamp::from_unix_secs(unix_now()).unwrap();
            let served =
                Credentials::generate(now.saturating_sub_secs(3600), now.saturating_add_secs(left))
                    .unwrap();
            let server = ImdsServer::builder()
                .credentials(served.clone())
                .start()
                .await
                .unwrap();
            let url = server.endpoint();
            let clock = WallClock {
                jitter,
                ..WallClock::system()
            };
            let mut imds = ImdsFetcher::new(imds_config(&url, 1)).wall_clock(clock);
            let before = unix_now();
            let out = imds.role_credentials().await.unwrap();
            let after = unix_now();
            let found = creds(&out);
            let name = format!("{left} s left");
            if found.stated_expiration != served.expiration {
                failures.push(format!("{name}: stated {}", found.stated_expiration));
            }
            if found.credentials.access_key_id != served.access_key_id {
                failures.push(format!("{name}: other credentials"));
            }
            let exp = found.credentials.expiration.unix_secs();
            match (offset, found.extension) {
                (Some(o), Some(ext)) => {
                    if ext.offset_secs != o || exp != ext.expiry {
                        failures.push(format!("{name}: {ext:?}, expiry {exp}"));
                    }
                    if exp < before + o || exp > after + o {
                        failures.push(format!("{name}: expiry {exp} not now + {o}"));
                    }
                }
                (None, None) => {
                    if found.credentials.expiration != served.expiration {
                        failures.push(format!("{name}: expiry changed"));
                    }
                }
                (want, got) => failures.push(format!("{name}: want {want:?}, got {got:?}")),
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    })
    .await;
}

#[tokio::test]
async fn a_closed_port_is_unavailable_at_once() {
    within(LIMIT, async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = format!("http://127.0.0.1:{port}/");
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let started = Instant::now();
        let out = imds.role_credentials().await.unwrap();
        let took = started.elapsed();
        assert_eq!(
            out,
            ImdsOutcome::Unavailable(Unavailable::RetriesExhausted {
                request: RequestKind::RoleName,
                attempts: 1,
                last: Some(AttemptFailure::Transport(TransportError::ConnectFailed)),
            })
        );
        assert!(took < Duration::from_millis(500), "took {took:?}");
        assert!(imds.events().contains(&Event::FallbackToV1 {
            cause: FallbackCause::AttemptsExhausted(AttemptFailure::Transport(
                TransportError::ConnectFailed
            )),
        }));
    })
    .await;
}

#[tokio::test]
async fn instance_profile_and_identity_credentials() {
    within(LIMIT, async {
        let server = ImdsServer::builder().start().await.unwrap();
        server.update(|s| s.include_account_id = true).unwrap();
        let url = server.endpoint();
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));

        let out = imds.fetch(Operation::IamInfo).await.unwrap();
        let ImdsOutcome::InstanceProfile(p) = &out else {
            panic!("{out:?}")
        };
        assert_eq!(p.id, "AIPAEXAMPLEPROFILE123");
        assert!(
            p.arn
                .starts_with("arn:aws:iam::123456789012:instance-profile/"),
            "{}",
            p.arn
        );

        let out = imds.fetch(Operation::IdentityCredentials).await.unwrap();
        let found = creds(&out);
        assert_eq!(found.source, CredentialSource::InstanceIdentity);
        assert_eq!(found.role_name, None);
        let served = server.credentials(CredentialSet::Identity).unwrap();
        assert_same(&found.credentials, &served, "identity");
        assert_eq!(
            found.credentials.account_id.as_deref(),
            Some("123456789012")
        );

        // With AccountId in the role document, credchain keeps it (botocore drops it).
        let out = imds.role_credentials().await.unwrap();
        assert_eq!(
            creds(&out).credentials.account_id.as_deref(),
            Some("123456789012")
        );
        // One token for the three fetches.
        let puts = server
            .transcript()
            .iter()
            .filter(|e| e.method == "PUT")
            .count();
        assert_eq!(puts, 1);
    })
    .await;
}

#[tokio::test]
async fn an_https_endpoint_is_refused_before_sending() {
    within(LIMIT, async {
        let mut imds = ImdsFetcher::new(imds_config("https://127.0.0.1:9/", 1));
        let e = imds.role_credentials().await.unwrap_err();
        assert_eq!(
            e,
            Error::HttpsNotSupported {
                host: "127.0.0.1".into(),
                port: 9
            }
        );
        assert!(e.to_string().contains("https is not supported yet"));
        assert_eq!(imds.http().stats().connections_opened, 0);
    })
    .await;
}

#[tokio::test]
async fn imds_disabled_sends_nothing() {
    within(LIMIT, async {
        let server = plain_server().await;
        let url = server.endpoint();
        let mut config = imds_config(&url, 1);
        config.disabled = true;
        let mut imds = ImdsFetcher::new(config);
        let out = imds.role_credentials().await.unwrap();
        assert_eq!(out, ImdsOutcome::Unavailable(Unavailable::Disabled));
        assert!(server.transcript().is_empty());
    })
    .await;
}
