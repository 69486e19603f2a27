//! The container-credentials endpoint over real loopback HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use common::{Conn, DEADLINE, Failure, Req, send, ts};
use credchain_server::{
    AuthCheck, Authorization, Clock, ContainerServer, Credentials, Fault, FaultRule, HostCheck,
};

#[tokio::test]
async fn serves_the_container_document_with_the_token() {
    let clock = Clock::frozen(ts("2026-05-01T12:00:00Z"));
    let server = ContainerServer::builder()
        .clock(clock)
        .start()
        .await
        .unwrap();
    let token = server.authorization_token().unwrap().to_owned();
    assert_eq!(token.len(), 40, "30 random bytes, URL-safe base64");
    let uri = server.full_uri();
    let path = uri
        .strip_prefix(&format!("http://{}", server.addr()))
        .unwrap()
        .to_owned();
    assert!(path.starts_with("/v2/credentials/"), "{path}");
    assert_eq!(path.len(), "/v2/credentials/".len() + 32);

    let r = send(
        server.addr(),
        Req::get(&path).header("Authorization", token.clone()),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let c = server.credentials().unwrap();
    let want = format!(
        "{{\"AccessKeyId\":\"{}\",\"SecretAccessKey\":\"{}\",\"Token\":\"{}\",\"Expiration\":\"2026-05-01T18:00:00Z\",\"AccountId\":\"123456789012\",\"RoleArn\":\"arn:aws:iam::123456789012:role/credchain-role\"}}",
        c.access_key_id, c.secret_access_key, c.session_token
    );
    assert_eq!(r.text(), want);
    let t = server.transcript();
    assert_eq!(t[0].auth, AuthCheck::Valid);
    let shown = t[0].header("authorization").unwrap();
    assert!(shown.starts_with("<redacted: 40 bytes"), "{shown}");
    assert!(!server.controls().transcript_json().contains(&token));
}

#[tokio::test]
async fn authorization_missing_is_401_and_wrong_is_403() {
    let server = ContainerServer::builder()
        .path("/creds")
        .authorization(Authorization::Fixed("Bearer abc".into()))
        .start()
        .await
        .unwrap();
    assert_eq!(server.authorization_token(), Some("Bearer abc"));
    let r = send(server.addr(), Req::get("/creds")).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["code"], "Unauthorized");
    for wrong in ["Bearer abd", "bearer abc", "Bearer  abc", "Bearer ab"] {
        let r = send(
            server.addr(),
            Req::get("/creds").header("Authorization", wrong),
        )
        .await;
        assert_eq!(r.status, 403, "{wrong:?}");
        assert_eq!(r.json()["code"], "Forbidden");
    }
    let r = send(
        server.addr(),
        Req::get("/creds")
            .header("Authorization", "Bearer abc")
            .header("Authorization", "Bearer abc"),
    )
    .await;
    assert_eq!(r.status, 403, "a repeated header is not the token");
    let r = send(
        server.addr(),
        Req::get("/creds").header("Authorization", "Bearer abc"),
    )
    .await;
    assert_eq!(r.status, 200);
    let auths: Vec<AuthCheck> = server.transcript().iter().map(|e| e.auth).collect();
    assert_eq!(auths[0], AuthCheck::Absent);
    assert_eq!(auths[1], AuthCheck::Invalid);
    assert_eq!(auths[6], AuthCheck::Valid);

    // A token that is not a clean header value is refused at start.
    for bad in ["", "a\nb", " padded"] {
        let r = ContainerServer::builder()
            .authorization(Authorization::Fixed(bad.into()))
            .start()
            .await;
        assert!(r.is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn no_authorization_when_not_required() {
    let server = ContainerServer::builder()
        .path("/creds")
        .authorization(Authorization::NotRequired)
        .account_id(None)
        .role_arn(None)
        .start()
        .await
        .unwrap();
    assert_eq!(server.authorization_token(), None);
    let r = send(server.addr(), Req::get("/creds")).await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v.get("AccountId").is_none() && v.get("RoleArn").is_none());
    assert_eq!(v.as_object().unwrap().len(), 4);
}

#[tokio::test]
async fn paths_methods_and_hosts() {
    let server = ContainerServer::builder()
        .path("/creds")
        .authorization(Authorization::NotRequired)
        .start()
        .await
        .unwrap();
    let addr = server.addr();
    assert_eq!(send(addr, Req::get("/other")).await.status, 404);
    assert_eq!(send(addr, Req::get("/creds/")).await.status, 404);
    let r = send(addr, Req::new("POST", "/creds")).await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    // Host: loopback names and the container endpoint's own addresses; nothing else.
    for (host, status) in [
        ("localhost", 200),
        ("localhost:8080", 200),
        ("127.0.0.1", 200),
        ("127.9.9.9:1", 200),
        ("[::1]:80", 200),
        ("169.254.170.2", 200),
        ("169.254.170.23", 200),
        ("[fd00:ec2::23]", 200),
        ("169.254.169.254", 403),
        ("rebind.example", 403),
        ("localhost.evil.example", 403),
    ] {
        let r = send(addr, Req::get("/creds").header("Host", host)).await;
        assert_eq!(r.status, status, "Host {host}");
    }
    server.update(|s| s.host_check = HostCheck::Off).unwrap();
    let r = send(addr, Req::get("/creds").header("Host", "rebind.example")).await;
    assert_eq!(r.status, 200);
    assert!(server.update(|s| s.path = "no-slash".into()).is_err());
    server.update(|s| s.path = "/moved".into()).unwrap();
    assert_eq!(send(addr, Req::get("/moved")).await.status, 200);
    assert!(server.full_uri().ends_with("/moved"));
}

#[tokio::test]
async fn rotation_and_fixed_credentials() {
    let clock = Clock::frozen(ts("2026-05-01T00:00:00Z"));
    let server = ContainerServer::builder()
        .clock(clock.clone())
        .path("/c")
        .authorization(Authorization::NotRequired)
        .start()
        .await
        .unwrap();
    let first = send(server.addr(), Req::get("/c")).await.json();
    clock.advance(Duration::from_secs(3600));
    let second = send(server.addr(), Req::get("/c")).await.json();
    assert_ne!(first["AccessKeyId"], second["AccessKeyId"]);
    assert_eq!(first["Expiration"], "2026-05-01T06:00:00Z");
    assert_eq!(second["Expiration"], "2026-05-01T07:00:00Z");
    server.rotate_now();
    let third = send(server.addr(), Req::get("/c")).await.json();
    assert_ne!(third["AccessKeyId"], second["AccessKeyId"]);

    let fixed = Credentials {
        access_key_id: "ASIAFIXED".into(),
        secret_access_key: "s".into(),
        session_token: "t".into(),
        expiration: ts("2030-01-01T00:00:00Z"),
        last_updated: ts("2029-12-31T00:00:00Z"),
        account_id: Some("999999999999".into()),
    };
    let server = ContainerServer::builder()
        .path("/c")
        .authorization(Authorization::NotRequired)
        .credentials(fixed)
        .start()
        .await
        .unwrap();
    let v = send(server.addr(), Req::get("/c")).await.json();
    assert_eq!(v["AccessKeyId"], "ASIAFIXED");
    assert_eq!(v["Expiration"], "2030-01-01T00:00:00Z");
    assert_eq!(
        v["AccountId"], "999999999999",
        "the credentials' account wins"
    );
}

#[tokio::test]
async fn faults_apply_to_the_container_endpoint() {
    let server = ContainerServer::builder()
        .path("/c")
        .authorization(Authorization::NotRequired)
        .fault(FaultRule::on_path("/c", Fault::Status(500)).times(2))
        .start()
        .await
        .unwrap();
    let r = send(server.addr(), Req::get("/c")).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["code"], "Internal Server Error");
    assert_eq!(send(server.addr(), Req::get("/c")).await.status, 500);
    assert_eq!(send(server.addr(), Req::get("/c")).await.status, 200);
    server
        .controls()
        .add_fault(FaultRule::on_path("/c", Fault::TruncatedBody).once())
        .unwrap();
    let mut c = Conn::open(server.addr()).await;
    let r = c.try_send(&Req::get("/c"), DEADLINE).await;
    assert!(
        matches!(r, Err(Failure::Truncated { status: 200, .. })),
        "{r:?}"
    );
    server
        .controls()
        .add_fault(FaultRule::everywhere(Fault::Stall).once())
        .unwrap();
    let mut c = Conn::open(server.addr()).await;
    let r = c
        .try_send(&Req::get("/c"), Duration::from_millis(300))
        .await;
    assert!(matches!(r, Err(Failure::TimedOut)), "{r:?}");
    assert_eq!(send(server.addr(), Req::get("/c")).await.status, 200);
    assert_eq!(server.controls().requests_seen(), 6);
}
