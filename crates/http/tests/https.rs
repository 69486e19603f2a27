//! credchain-http's HTTPS client against credchain-server's STS and SSO endpoints on
//! loopback: requests signed by credchain-core's SigV4 and checked by the server, the server's
//! generated CA trusted (and a wrong CA refused with a clear error), plain `http://` too,
//! connection reuse, and every way the server can fail ending within the client's deadline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::future::Future;
use std::time::{Duration, Instant};

use credchain_core::sigv4::{self, Scope, SigningKeys};
use credchain_http::https::host_header;
use credchain_http::{
    HttpsClient, HttpsErrorKind, HttpsOptions, HttpsRequest, HttpsResponse, TrustRoots,
};
use credchain_server::{Fault, FaultRule, Role, SsoServer, StsHandle, StsServer, TlsIdentity};

const AKID: &str = "AKIDCREDCHAINHTTPS01";
const SECRET: &str = "secret/for+the/https+tests/0123456789ab";
const ROLE: &str = "arn:aws:iam::123456789012:role/HttpsRole";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

async fn within<F: Future>(limit: Duration, f: F) -> F::Output {
    match tokio::time::timeout(limit, f).await {
        Ok(out) => out,
        Err(_) => panic!("the test did not finish within {limit:?}"),
    }
}

async fn sts(https: bool) -> StsHandle {
    let mut b = StsServer::builder()
        .user(AKID, SECRET)
        .role(Role::new(ROLE));
    if https {
        b = b.https();
    }
    b.start().await.unwrap()
}

fn trusting(server: &StsHandle) -> TrustRoots {
    TrustRoots::Pem {
        pem: server.ca_pem().unwrap().as_bytes().to_vec(),
        source: "the test server's CA".into(),
    }
}

fn client(roots: TrustRoots) -> HttpsClient {
    HttpsClient::new(
        HttpsOptions::default().with_timeouts(Duration::from_secs(5), Duration::from_secs(5)),
        roots,
    )
    .unwrap()
}

/// What the chain engineer will do: build the body, sign it with the core, send it.
async fn signed_post(
    client: &HttpsClient,
    url: &str,
    body: &str,
    keys: &SigningKeys<'_>,
) -> HttpsResponse {
    let host = host_header(url).unwrap();
    let base = [("Host", host.as_str()), ("Content-Type", FORM)];
    let request = sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &base,
        payload: body.as_bytes(),
    };
    let scope = Scope {
        region: "us-east-1",
        service: "sts",
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut buf = [0u8; 4096];
    let signed = sigv4::sign(&request, keys, &scope, now, &mut buf).unwrap();
    let mut headers = vec![
        base[0],
        base[1],
        ("X-Amz-Date", signed.amz_date),
        ("Authorization", signed.authorization),
    ];
    if let Some(token) = signed.security_token {
        headers.push(("X-Amz-Security-Token", token));
    }
    client
        .send(&HttpsRequest {
            method: "POST",
            url,
            headers: &headers,
            body: body.as_bytes(),
        })
        .await
        .unwrap()
}

fn tag<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
    &xml[start..end]
}

const BASE_KEYS: SigningKeys<'static> = SigningKeys {
    access_key_id: AKID,
    secret_access_key: SECRET,
    session_token: None,
};

#[tokio::test]
async fn signed_sts_calls_over_https_with_the_generated_ca() {
    let server = sts(true).await;
    let url = format!("{}/", server.url());
    assert!(url.starts_with("https://127.0.0.1:"));
    let client = client(trusting(&server));
    within(Duration::from_secs(20), async {
        let who = signed_post(
            &client,
            &url,
            "Action=GetCallerIdentity&Version=2011-06-15",
            &BASE_KEYS,
        )
        .await;
        assert_eq!(who.status(), 200, "{:?}", who.text());
        assert_eq!(
            tag(who.text().unwrap(), "Arn"),
            "arn:aws:iam::123456789012:user/credchain"
        );
        assert!(who.header("x-amzn-requestid").is_some());

        let body = format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=credchain-https",
            ROLE.replace(':', "%3A").replace('/', "%2F")
        );
        let assumed = signed_post(&client, &url, &body, &BASE_KEYS).await;
        assert_eq!(assumed.status(), 200, "{:?}", assumed.text());
        assert!(
            assumed.reused_connection(),
            "the second call reuses the connection"
        );
        let xml = assumed.text().unwrap().to_owned();
        let session = SigningKeys {
            access_key_id: tag(&xml, "AccessKeyId"),
            secret_access_key: tag(&xml, "SecretAccessKey"),
            session_token: Some(tag(&xml, "SessionToken")),
        };
        assert!(session.access_key_id.starts_with("ASIA"));
        // The next hop is signed with the session credentials, token included.
        let who = signed_post(
            &client,
            &url,
            "Action=GetCallerIdentity&Version=2011-06-15",
            &session,
        )
        .await;
        assert_eq!(who.status(), 200, "{:?}", who.text());
        assert_eq!(
            tag(who.text().unwrap(), "Arn"),
            "arn:aws:sts::123456789012:assumed-role/HttpsRole/credchain-https"
        );
        // A wrong secret is caught by the server's own SigV4 check.
        let wrong = SigningKeys {
            secret_access_key: "not-the-secret",
            ..BASE_KEYS
        };
        let refused = signed_post(
            &client,
            &url,
            "Action=GetCallerIdentity&Version=2011-06-15",
            &wrong,
        )
        .await;
        assert_eq!(refused.status(), 403);
        assert_eq!(
            tag(refused.text().unwrap(), "Code"),
            "SignatureDoesNotMatch"
        );
        // A debug print never shows the body.
        assert!(!format!("{assumed:?}").contains(tag(&xml, "SecretAccessKey")));
    })
    .await;
    let stats = client.stats();
    assert_eq!(stats.requests, 4);
    assert_eq!(stats.connections_opened, 1, "{stats:?}");
    assert_eq!(stats.reused, 3);
    let transcript = server.transcript();
    assert_eq!(transcript.len(), 4);
    assert!(
        transcript
            .iter()
            .all(|e| e.connection == transcript[0].connection)
    );
}

#[tokio::test]
async fn plain_http_urls_work_for_sts_and_sso() {
    let server = sts(false).await;
    let client = client(TrustRoots::Mozilla);
    let url = format!("{}/", server.url());
    assert!(url.starts_with("http://"));
    within(Duration::from_secs(20), async {
        let who = signed_post(
            &client,
            &url,
            "Action=GetCallerIdentity&Version=2011-06-15",
            &BASE_KEYS,
        )
        .await;
        assert_eq!(who.status(), 200, "{:?}", who.text());

        let sso = SsoServer::builder()
            .access_token("portal-token")
            .role("123456789012", "Admin")
            .https()
            .start()
            .await
            .unwrap();
        let sso_client = HttpsClient::new(
            HttpsOptions::default(),
            TrustRoots::Pem {
                pem: sso.ca_pem().unwrap().as_bytes().to_vec(),
                source: "sso CA".into(),
            },
        )
        .unwrap();
        let get = format!(
            "{}/federation/credentials?role_name=Admin&account_id=123456789012",
            sso.url()
        );
        let r = sso_client
            .send(&HttpsRequest {
                method: "GET",
                url: &get,
                headers: &[("x-amz-sso_bearer_token", "portal-token")],
                body: b"",
            })
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{:?}", r.text());
        let doc: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert!(doc["roleCredentials"]["expiration"].as_i64().unwrap() > 1_000_000_000_000);
        let r = sso_client
            .send(&HttpsRequest {
                method: "GET",
                url: &get,
                headers: &[("x-amz-sso_bearer_token", "stale")],
                body: b"",
            })
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.header("x-amzn-errortype"), Some("UnauthorizedException"));
    })
    .await;
}

#[tokio::test]
async fn a_wrong_ca_is_a_clear_certificate_error() {
    let server = sts(true).await;
    let url = format!("{}/", server.url());
    let other = TlsIdentity::generate().unwrap();
    for (roots, names) in [
        (
            TrustRoots::Pem {
                pem: other.ca_pem().as_bytes().to_vec(),
                source: "another CA".into(),
            },
            "the CA bundle another CA",
        ),
        (TrustRoots::Mozilla, "the Mozilla CA list"),
    ] {
        let client = client(roots);
        let e = within(
            Duration::from_secs(10),
            client.send(&HttpsRequest {
                method: "POST",
                url: &url,
                headers: &[],
                body: b"Action=GetCallerIdentity&Version=2011-06-15",
            }),
        )
        .await
        .unwrap_err();
        assert_eq!(e.kind(), HttpsErrorKind::Certificate, "{e}");
        let text = e.to_string();
        assert!(text.contains("certificate"), "{text}");
        assert!(text.contains("UnknownIssuer"), "{text}");
        assert!(text.contains(&server.addr().to_string()), "{text}");
        assert!(text.contains(names), "{text}");
    }
    // Nothing reached HTTP.
    assert!(server.transcript().is_empty());
}

#[tokio::test]
async fn the_ca_bundle_file_replaces_the_default_roots() {
    let server = sts(true).await;
    let dir = std::env::temp_dir().join(format!("credchain-http-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bundle.pem");
    std::fs::write(&path, server.ca_pem().unwrap()).unwrap();
    let path_text = path.to_str().unwrap().to_owned();
    let roots = TrustRoots::from_ca_bundle(Some(&path_text), Some("/ignored/profile.pem"));
    assert_eq!(roots, TrustRoots::PemFile(path.clone()));
    let client = client(roots);
    let who = within(
        Duration::from_secs(10),
        signed_post(
            &client,
            &format!("{}/", server.url()),
            "Action=GetCallerIdentity&Version=2011-06-15",
            &BASE_KEYS,
        ),
    )
    .await;
    assert_eq!(who.status(), 200);

    // A bundle that is missing, or holds no certificate, is named in the error.
    let missing = dir.join("missing.pem");
    let e = HttpsClient::new(
        HttpsOptions::default(),
        TrustRoots::PemFile(missing.clone()),
    )
    .unwrap_err();
    assert_eq!(e.kind(), HttpsErrorKind::CaBundle);
    assert!(e.to_string().contains(missing.to_str().unwrap()), "{e}");
    let junk = dir.join("junk.pem");
    std::fs::write(&junk, "not PEM").unwrap();
    let e =
        HttpsClient::new(HttpsOptions::default(), TrustRoots::PemFile(junk.clone())).unwrap_err();
    assert!(e.to_string().contains(junk.to_str().unwrap()), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn timeouts_end_within_their_deadline() {
    // Read timeout: the server reads the request and never answers.
    let server = sts(true).await;
    server
        .controls()
        .add_fault(FaultRule::everywhere(Fault::Stall))
        .unwrap();
    let fast = HttpsClient::new(
        HttpsOptions::default().with_timeouts(Duration::from_secs(5), Duration::from_millis(300)),
        trusting(&server),
    )
    .unwrap();
    let started = Instant::now();
    let e = within(
        Duration::from_secs(5),
        fast.send(&HttpsRequest {
            method: "POST",
            url: &server.url(),
            headers: &[],
            body: b"Action=GetCallerIdentity&Version=2011-06-15",
        }),
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), HttpsErrorKind::ReadTimeout, "{e}");
    assert!(e.is_timeout());
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
        "{took:?}"
    );

    // Connect timeout: a listener that accepts TCP but never speaks TLS.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let client = HttpsClient::new(
        HttpsOptions::default().with_timeouts(Duration::from_millis(300), Duration::from_secs(5)),
        TrustRoots::Mozilla,
    )
    .unwrap();
    let started = Instant::now();
    let e = within(
        Duration::from_secs(5),
        client.send(&HttpsRequest {
            method: "GET",
            url: &format!("https://{addr}/"),
            headers: &[],
            body: b"",
        }),
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind(), HttpsErrorKind::ConnectTimeout, "{e}");
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    hold.abort();

    // A refused connection fails at once.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let e = client
        .send(&HttpsRequest {
            method: "GET",
            url: &format!("https://{closed}/"),
            headers: &[],
            body: b"",
        })
        .await
        .unwrap_err();
    assert_eq!(e.kind(), HttpsErrorKind::ConnectFailed, "{e}");
}

#[tokio::test]
async fn server_faults_through_tls() {
    let server = sts(true).await;
    let url = format!("{}/", server.url());
    let client = HttpsClient::new(
        HttpsOptions::default()
            .with_timeouts(Duration::from_secs(5), Duration::from_secs(5))
            .with_max_body_bytes(64 * 1024),
        trusting(&server),
    )
    .unwrap();
    let headers = [("Content-Type", FORM)];
    let request = HttpsRequest {
        method: "POST",
        url: &url,
        headers: &headers,
        body: b"Action=GetCallerIdentity&Version=2011-06-15",
    };
    let send = || client.send(&request);
    let c = server.controls();
    within(Duration::from_secs(20), async {
        c.add_fault(FaultRule::everywhere(Fault::TruncatedBody).once())
            .unwrap();
        let e = send().await.unwrap_err();
        assert_eq!(e.kind(), HttpsErrorKind::ConnectionClosed, "{e}");

        c.add_fault(FaultRule::everywhere(Fault::oversized()).once())
            .unwrap();
        let e = send().await.unwrap_err();
        assert!(
            matches!(e.kind(), HttpsErrorKind::BodyTooLarge { limit: 65536, declared: Some(n) } if n == Fault::OVERSIZED_DEFAULT),
            "{e}"
        );

        c.add_fault(FaultRule::everywhere(Fault::Reset).once())
            .unwrap();
        let e = send().await.unwrap_err();
        assert_eq!(e.kind(), HttpsErrorKind::ConnectionClosed, "{e}");

        c.add_fault(FaultRule::everywhere(Fault::Status(503)).once())
            .unwrap();
        let r = send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(tag(r.text().unwrap(), "Code"), "ServiceUnavailable");

        // Unsigned, after the faults: a complete STS error document.
        let r = send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(tag(r.text().unwrap(), "Code"), "MissingAuthenticationToken");
    })
    .await;
}

/// `HttpsOptions::with_connect_to` (curl's `--connect-to`): a request to a real endpoint's
/// name reaches the server pinned for it, with that name in `Host` and SNI, and the
/// certificate still checked against the name — a pinned name the certificate does not hold
/// is a certificate error, not a quiet success.
#[tokio::test]
async fn connect_to_pins_a_host_name_and_still_verifies_it() {
    const FIPS: &str = "sts-fips.us-east-1.api.aws";
    const OTHER: &str = "sts.us-east-1.amazonaws.com";
    let server = StsServer::builder()
        .user(AKID, SECRET)
        .role(Role::new(ROLE))
        .tls(TlsIdentity::for_names(&[FIPS]).unwrap())
        .start()
        .await
        .unwrap();
    let client = HttpsClient::new(
        HttpsOptions::default()
            .with_timeouts(Duration::from_secs(5), Duration::from_secs(5))
            .with_connect_to(FIPS, 443, server.addr())
            .with_connect_to(OTHER, 443, server.addr()),
        trusting(&server),
    )
    .unwrap();
    within(Duration::from_secs(20), async {
        let url = format!("https://{FIPS}/");
        let who = signed_post(
            &client,
            &url,
            "Action=GetCallerIdentity&Version=2011-06-15",
            &BASE_KEYS,
        )
        .await;
        assert_eq!(who.status(), 200, "{:?}", who.text());
        let seen = server.transcript();
        assert_eq!(seen.len(), 1);
        let host = seen[0]
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.as_str());
        assert_eq!(host, Some(FIPS));

        let err = client
            .send(&HttpsRequest {
                method: "POST",
                url: &format!("https://{OTHER}/"),
                headers: &[("Content-Type", FORM)],
                body: b"Action=GetCallerIdentity&Version=2011-06-15",
            })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), HttpsErrorKind::Certificate, "{err}");
        assert!(err.to_string().contains(OTHER), "{err}");
    })
    .await;
}
