//! The IMDS server over real loopback HTTP, item by item of the checklist in imds-and-tools
//! §2.6: every test asserts status, headers and body as a client receives them, and what the
//! transcript recorded.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Duration;

use common::{Conn, Req, send, token, ts};
use credchain_server::{
    AuthCheck, Clock, CredentialSet, Credentials, HostCheck, HttpEndpoint, HttpTokens, ImdsServer,
    Outcome, RoleMode, Rotation,
};

const TTL: &str = "X-aws-ec2-metadata-token-ttl-seconds";

fn creds_of(doc: &serde_json::Value) -> (String, String, String, String) {
    (
        doc["AccessKeyId"].as_str().unwrap().to_owned(),
        doc["SecretAccessKey"].as_str().unwrap().to_owned(),
        doc["Token"].as_str().unwrap().to_owned(),
        doc["Expiration"].as_str().unwrap().to_owned(),
    )
}

fn expected(c: &Credentials) -> (String, String, String, String) {
    (
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        c.session_token.clone(),
        c.expiration.to_string(),
    )
}

#[tokio::test]
async fn token_put_issues_a_token_and_echoes_the_ttl() {
    let imds = ImdsServer::builder().start().await.unwrap();
    let r = send(
        imds.addr(),
        Req::put("/latest/api/token").header(TTL, "21600"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header(TTL), Some("21600"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header("server"), Some("EC2ws"));
    let token = r.text();
    assert_eq!(token.len(), 56, "{token}");
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
    );
    // The token works for a read.
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/instance-id").token(token),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "i-0123456789abcdef0");
    // Each PUT issues a different token.
    let again = common::token(imds.addr(), 60).await;
    assert_ne!(again, token);
    let t = imds.transcript();
    assert_eq!(t[0].auth, AuthCheck::Issued { ttl_seconds: 21600 });
    assert_eq!(t[1].auth, AuthCheck::Valid);
    assert_eq!(imds.tokens_outstanding(), 2);
}

#[tokio::test]
async fn token_ttl_must_be_an_integer_from_1_to_21600() {
    let imds = ImdsServer::builder().start().await.unwrap();
    for bad in [
        "0",
        "21601",
        "-1",
        "+60",
        "1.5",
        "abc",
        "",
        "99999999999",
        "6O",
    ] {
        let r = send(imds.addr(), Req::put("/latest/api/token").header(TTL, bad)).await;
        assert_eq!(r.status, 400, "TTL {bad:?}");
        assert_eq!(r.header("content-type"), Some("text/plain"));
        assert!(r.text().contains("400 - Bad Request"), "{}", r.text());
        assert_eq!(r.header(TTL), None);
    }
    let r = send(imds.addr(), Req::put("/latest/api/token")).await;
    assert_eq!(r.status, 400, "missing TTL");
    let r = send(
        imds.addr(),
        Req::put("/latest/api/token")
            .header(TTL, "60")
            .header(TTL, "60"),
    )
    .await;
    assert_eq!(r.status, 400, "repeated TTL");
    for good in ["1", "21600", "300"] {
        let r = send(imds.addr(), Req::put("/latest/api/token").header(TTL, good)).await;
        assert_eq!(r.status, 200, "TTL {good:?}");
        assert_eq!(r.header(TTL), Some(good));
    }
    assert_eq!(imds.tokens_outstanding(), 3);
}

#[tokio::test]
async fn forwarded_put_is_refused_with_a_configurable_status() {
    let imds = ImdsServer::builder().start().await.unwrap();
    let forwarded = || {
        Req::put("/latest/api/token")
            .header(TTL, "60")
            .header("X-Forwarded-For", "203.0.113.9")
    };
    let r = send(imds.addr(), forwarded()).await;
    assert_eq!(r.status, 403);
    assert!(r.text().contains("403 - Forbidden"));
    assert_eq!(imds.tokens_outstanding(), 0);

    imds.update(|s| s.forwarded_for_status = Some(429)).unwrap();
    assert_eq!(send(imds.addr(), forwarded()).await.status, 429);
    imds.update(|s| s.forwarded_for_status = None).unwrap();
    assert_eq!(send(imds.addr(), forwarded()).await.status, 200);
    // Out of range is refused, and nothing changes.
    assert!(
        imds.update(|s| s.forwarded_for_status = Some(1000))
            .is_err()
    );
    assert_eq!(imds.settings().forwarded_for_status, None);
}

#[tokio::test]
async fn only_latest_issues_tokens_and_only_put() {
    let imds = ImdsServer::builder().start().await.unwrap();
    for path in ["/2021-03-23/api/token", "/1.0/api/token"] {
        let r = send(imds.addr(), Req::put(path).header(TTL, "60")).await;
        assert_eq!(r.status, 403, "{path}");
    }
    for method in ["GET", "POST", "DELETE"] {
        let r = send(
            imds.addr(),
            Req::new(method, "/latest/api/token").header(TTL, "60"),
        )
        .await;
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("PUT"));
    }
    assert_eq!(imds.tokens_outstanding(), 0);
}

#[tokio::test]
async fn reads_are_get_and_head_only() {
    let imds = ImdsServer::builder().start().await.unwrap();
    for method in ["PUT", "POST", "DELETE", "PATCH"] {
        let r = send(
            imds.addr(),
            Req::new(method, "/latest/meta-data/instance-id"),
        )
        .await;
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"));
        assert_eq!(r.header("content-type"), Some("text/plain"));
    }
    let mut c = Conn::open(imds.addr()).await;
    let r = c
        .send(&Req::new("HEAD", "/latest/meta-data/instance-id"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("19"));
    assert!(r.body.is_empty());
    // The connection is still in step: the next answer is the next request's.
    let r = c
        .send(&Req::get("/latest/meta-data/placement/region"))
        .await;
    assert_eq!(r.text(), "us-east-1");
}

#[tokio::test]
async fn required_tokens_refuse_missing_invalid_and_expired_tokens() {
    let clock = Clock::frozen(ts("2026-05-01T12:00:00Z"));
    let imds = ImdsServer::builder()
        .clock(clock.clone())
        .http_tokens(HttpTokens::Required)
        .start()
        .await
        .unwrap();
    let path = "/latest/meta-data/iam/security-credentials/";
    let r = send(imds.addr(), Req::get(path)).await;
    assert_eq!(r.status, 401);
    assert!(r.text().contains("401 - Unauthorized"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    // Unknown paths are 401 too: authorisation comes first.
    assert_eq!(
        send(imds.addr(), Req::get("/latest/nope")).await.status,
        401
    );

    let tok = token(imds.addr(), 60).await;
    let r = send(imds.addr(), Req::get(path).token(&tok)).await;
    assert_eq!((r.status, r.text()), (200, "credchain-role"));
    let r = send(
        imds.addr(),
        Req::get(path).token("AQAEAInvalidTokenxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=="),
    )
    .await;
    assert_eq!(r.status, 401);
    // Still valid one second before the TTL ends, expired at the TTL.
    clock.advance(Duration::from_secs(59));
    assert_eq!(
        send(imds.addr(), Req::get(path).token(&tok)).await.status,
        200
    );
    clock.advance(Duration::from_secs(1));
    let r = send(imds.addr(), Req::get(path).token(&tok)).await;
    assert_eq!(r.status, 401);

    let auths: Vec<AuthCheck> = imds.transcript().iter().map(|e| e.auth).collect();
    assert_eq!(
        auths,
        [
            AuthCheck::Absent,
            AuthCheck::Absent,
            AuthCheck::Issued { ttl_seconds: 60 },
            AuthCheck::Valid,
            AuthCheck::Invalid,
            AuthCheck::Valid,
            AuthCheck::Expired,
        ]
    );
}

#[tokio::test]
async fn optional_tokens_serve_v1_but_refuse_bad_tokens() {
    let clock = Clock::frozen(ts("2026-05-01T12:00:00Z"));
    let imds = ImdsServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let path = "/latest/meta-data/iam/security-credentials/credchain-role";
    let r = send(imds.addr(), Req::get(path)).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        creds_of(&r.json()),
        expected(&imds.credentials(CredentialSet::RoleV1).unwrap())
    );
    let r = send(imds.addr(), Req::get(path).token("not-a-token")).await;
    assert_eq!(r.status, 401);
    let r = send(imds.addr(), Req::get(path).token("")).await;
    assert_eq!(r.status, 401, "an empty token header is a bad token");
    let tok = token(imds.addr(), 1).await;
    assert_eq!(
        send(imds.addr(), Req::get(path).token(&tok)).await.status,
        200
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        send(imds.addr(), Req::get(path).token(&tok)).await.status,
        401
    );
    // A token from another server is not valid here.
    let other = ImdsServer::builder().start().await.unwrap();
    let foreign = token(other.addr(), 60).await;
    assert_eq!(
        send(imds.addr(), Req::get(path).token(&foreign))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn disabled_endpoint_answers_403_to_everything() {
    let imds = ImdsServer::builder()
        .http_endpoint(HttpEndpoint::Disabled)
        .start()
        .await
        .unwrap();
    let reqs = [
        Req::put("/latest/api/token").header(TTL, "60"),
        Req::get("/latest/meta-data/"),
        Req::get("/latest/meta-data/iam/security-credentials/credchain-role"),
        Req::get("/no/such/path"),
        Req::new("POST", "/"),
    ];
    for req in reqs {
        let (m, p) = (req.method, req.path);
        let r = send(imds.addr(), req).await;
        assert_eq!(r.status, 403, "{m} {p}");
        assert!(r.text().contains("403 - Forbidden"));
        assert_eq!(r.header("content-type"), Some("text/plain"));
    }
    imds.update(|s| s.endpoint = HttpEndpoint::Enabled).unwrap();
    assert_eq!(
        send(imds.addr(), Req::get("/latest/meta-data/"))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let imds = ImdsServer::builder().start().await.unwrap();
    for path in [
        "/latest/meta-data/nope",
        "/latest/meta-data/iam/security-credentials/other-role",
        "/latest/meta-data/iam/security-credentials/credchain-role/extra",
        "/latest/meta-data//iam/",
        "/latest/user-data",
        "/v9/meta-data/",
        "/latest/api/tokens",
        "/favicon.ico",
    ] {
        let r = send(imds.addr(), Req::get(path)).await;
        assert_eq!(r.status, 404, "{path}");
        assert!(r.text().contains("404 - Not Found"), "{path}");
        assert_eq!(r.header("content-type"), Some("text/plain"), "{path}");
    }
}

#[tokio::test]
async fn listings_are_lf_separated_with_directories_marked() {
    let imds = ImdsServer::builder().start().await.unwrap();
    let addr = imds.addr();
    let get = |p: &'static str| async move { send(addr, Req::get(p)).await };
    let cases = [
        ("/latest/", "dynamic/\nmeta-data/"),
        (
            "/latest/meta-data/",
            "ami-id\nhostname\niam/\nidentity-credentials/\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/",
        ),
        ("/latest/meta-data/iam/", "info\nsecurity-credentials/"),
        ("/latest/meta-data/iam", "info\nsecurity-credentials/"),
        (
            "/latest/meta-data/iam/security-credentials/",
            "credchain-role",
        ),
        ("/latest/meta-data/identity-credentials/", "ec2/"),
        (
            "/latest/meta-data/identity-credentials/ec2/",
            "info\nsecurity-credentials/",
        ),
        (
            "/latest/meta-data/identity-credentials/ec2/security-credentials/",
            "ec2-instance",
        ),
        ("/latest/meta-data/placement/", "availability-zone\nregion"),
        ("/latest/dynamic/", "instance-identity/"),
        ("/latest/dynamic/instance-identity/", "document"),
        (
            "/2021-03-23/meta-data/placement/",
            "availability-zone\nregion",
        ),
    ];
    for (path, body) in cases {
        let r = get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.text(), body, "{path}");
        assert_eq!(r.header("content-type"), Some("text/plain"));
    }
    let root = get("/").await;
    assert!(
        root.text().starts_with("1.0\n2007-01-19\n"),
        "{}",
        root.text()
    );
    assert!(root.text().ends_with("\nlatest"));
    imds.update(|s| s.listing_trailing_newline = true).unwrap();
    assert_eq!(
        get("/latest/meta-data/iam/security-credentials/")
            .await
            .text(),
        "credchain-role\n"
    );
}

#[tokio::test]
async fn scalar_paths_and_identity_document() {
    let imds = ImdsServer::builder().start().await.unwrap();
    let addr = imds.addr();
    let text = |p: &'static str| async move {
        let r = send(addr, Req::get(p)).await;
        assert_eq!(r.status, 200, "{p}");
        assert_eq!(r.header("content-type"), Some("text/plain"), "{p}");
        r.text().to_owned()
    };
    assert_eq!(
        text("/latest/meta-data/instance-id").await,
        "i-0123456789abcdef0"
    );
    assert_eq!(
        text("/latest/meta-data/placement/region").await,
        "us-east-1"
    );
    assert_eq!(
        text("/latest/meta-data/placement/availability-zone").await,
        "us-east-1a"
    );
    assert_eq!(
        text("/latest/meta-data/instance-id/").await,
        "i-0123456789abcdef0"
    );
    let doc = text("/latest/dynamic/instance-identity/document").await;
    assert!(
        doc.starts_with("{\n  \"accountId\" : \"123456789012\",\n"),
        "{doc}"
    );
    let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
    assert_eq!(v["region"], "us-east-1");
    assert_eq!(v["instanceId"], "i-0123456789abcdef0");
    assert_eq!(v["availabilityZone"], "us-east-1a");
    assert_eq!(v["kernelId"], serde_json::Value::Null);

    imds.update(|s| {
        s.region = "eu-west-3".into();
        s.instance_id = "i-0fedcba9876543210".into();
        s.user_data = Some("#!/bin/sh\necho hi\n".into());
    })
    .unwrap();
    assert_eq!(
        text("/latest/meta-data/placement/region").await,
        "eu-west-3"
    );
    assert_eq!(
        text("/latest/meta-data/instance-id").await,
        "i-0fedcba9876543210"
    );
    assert_eq!(text("/latest/user-data").await, "#!/bin/sh\necho hi\n");
    assert_eq!(text("/latest/").await, "dynamic/\nmeta-data/\nuser-data");
}

#[tokio::test]
async fn role_credentials_document_is_pretty_printed_like_imds() {
    let clock = Clock::frozen(ts("2026-05-01T12:00:00Z"));
    let imds = ImdsServer::builder()
        .clock(clock)
        .role("s3access")
        .start()
        .await
        .unwrap();
    let tok = token(imds.addr(), 60).await;
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/").token(&tok),
    )
    .await;
    assert_eq!(r.text(), "s3access");
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/s3access").token(&tok),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    let c = imds.credentials(CredentialSet::RoleV2).unwrap();
    let want = format!(
        "{{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-05-01T12:00:00Z\",\n  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"{}\",\n  \"SecretAccessKey\" : \"{}\",\n  \"Token\" : \"{}\",\n  \"Expiration\" : \"2026-05-01T18:00:00Z\"\n}}",
        c.access_key_id, c.secret_access_key, c.session_token
    );
    assert_eq!(r.text(), want);
    assert!(c.access_key_id.starts_with("ASIA"));

    // With AccountId asked for.
    imds.update(|s| s.include_account_id = true).unwrap();
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/s3access").token(&tok),
    )
    .await;
    assert_eq!(r.json()["AccountId"], "123456789012");

    let info = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/info").token(&tok),
    )
    .await;
    assert_eq!(info.status, 200);
    assert!(
        info.text()
            .starts_with("{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : ")
    );
    let v = info.json();
    assert_eq!(
        v["InstanceProfileArn"],
        "arn:aws:iam::123456789012:instance-profile/s3access"
    );
    assert_eq!(v["InstanceProfileId"], "AIPAEXAMPLEPROFILE123");
    assert_eq!(v["LastUpdated"], "2026-05-01T12:00:00Z");
}

#[tokio::test]
async fn no_role_means_no_iam_tree() {
    let imds = ImdsServer::builder().no_role().start().await.unwrap();
    for path in [
        "/latest/meta-data/iam/",
        "/latest/meta-data/iam/info",
        "/latest/meta-data/iam/security-credentials/",
        "/latest/meta-data/iam/security-credentials/credchain-role",
    ] {
        assert_eq!(
            send(imds.addr(), Req::get(path)).await.status,
            404,
            "{path}"
        );
    }
    let listing = send(imds.addr(), Req::get("/latest/meta-data/")).await;
    assert!(!listing.text().contains("iam/"));
    // Identity credentials are there whatever the role.
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance"),
    )
    .await;
    assert_eq!(r.status, 200);
    // A role attached live appears.
    imds.update(|s| s.role = Some("late-role".into())).unwrap();
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/"),
    )
    .await;
    assert_eq!((r.status, r.text()), (200, "late-role"));
    assert!(imds.update(|s| s.role = Some("bad/role".into())).is_err());
}

#[tokio::test]
async fn identity_credentials_are_their_own() {
    let clock = Clock::frozen(ts("2026-05-01T12:00:00Z"));
    let imds = ImdsServer::builder().clock(clock).start().await.unwrap();
    let tok = token(imds.addr(), 60).await;
    let info = send(
        imds.addr(),
        Req::get("/latest/meta-data/identity-credentials/ec2/info").token(&tok),
    )
    .await;
    assert_eq!(info.status, 200);
    assert!(info.text().contains("\"AccountId\" : \"123456789012\""));
    assert_eq!(info.json()["Code"], "Success");
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance")
            .token(&tok),
    )
    .await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert_eq!(doc["Code"], "Success");
    assert_eq!(doc["Type"], "AWS-HMAC");
    let identity = imds.credentials(CredentialSet::Identity).unwrap();
    assert_eq!(creds_of(&doc), expected(&identity));
    let role = imds.credentials(CredentialSet::RoleV2).unwrap();
    assert_ne!(identity.access_key_id, role.access_key_id);
}

#[tokio::test]
async fn assume_role_unauthorized_access_is_a_200_error_document() {
    let clock = Clock::frozen(ts("2026-05-01T12:00:00Z"));
    let imds = ImdsServer::builder()
        .clock(clock)
        .role("broken-trust")
        .role_mode(RoleMode::AssumeRoleUnauthorizedAccess)
        .start()
        .await
        .unwrap();
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/broken-trust"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    let v = r.json();
    assert_eq!(v["Code"], "AssumeRoleUnauthorizedAccess");
    assert_eq!(
        v["Message"],
        "EC2 cannot assume the role broken-trust.  Please see documentation at http://docs.amazonwebservices.com/IAM/latest/UserGuide/RolesTroubleshooting.html."
    );
    assert_eq!(v["LastUpdated"], "2026-05-01T12:00:00Z");
    assert!(v.get("AccessKeyId").is_none() && v.get("Token").is_none());
    // The role is still listed.
    let r = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/"),
    )
    .await;
    assert_eq!(r.text(), "broken-trust");
}

#[tokio::test]
async fn separate_v1_and_v2_credentials() {
    let imds = ImdsServer::builder()
        .separate_v1_credentials()
        .start()
        .await
        .unwrap();
    let path = "/latest/meta-data/iam/security-credentials/credchain-role";
    let v1 = send(imds.addr(), Req::get(path)).await.json();
    let tok = token(imds.addr(), 60).await;
    let v2 = send(imds.addr(), Req::get(path).token(&tok)).await.json();
    assert_eq!(
        creds_of(&v1),
        expected(&imds.credentials(CredentialSet::RoleV1).unwrap())
    );
    assert_eq!(
        creds_of(&v2),
        expected(&imds.credentials(CredentialSet::RoleV2).unwrap())
    );
    assert_ne!(v1["AccessKeyId"], v2["AccessKeyId"]);
    assert_ne!(v1["Token"], v2["Token"]);
}

#[tokio::test]
async fn credentials_rotate_with_at_least_five_minutes_of_overlap() {
    let start = ts("2026-05-01T00:00:00Z");
    let clock = Clock::frozen(start);
    let imds = ImdsServer::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let path = "/latest/meta-data/iam/security-credentials/credchain-role";
    let mut conn = Conn::open(imds.addr()).await;
    let mut previous: Option<serde_json::Value> = None;
    let mut rotations = 0;
    // Every 5 minutes over 13 hours, through HTTP, as a client polling would see it.
    for step in 0..=(13 * 12) {
        let now = clock.now();
        let doc = conn.send(&Req::get(path)).await.json();
        let expiration = ts(doc["Expiration"].as_str().unwrap());
        let last_updated = ts(doc["LastUpdated"].as_str().unwrap());
        let left = expiration.saturating_sub(now);
        assert!(left >= 5 * 60, "step {step}: only {left} s left at {now}");
        assert!(last_updated <= now);
        if let Some(prev) = &previous {
            if prev["AccessKeyId"] != doc["AccessKeyId"] {
                rotations += 1;
                // The new generation was out while the old one still had ≥ 5 min.
                let old_exp = ts(prev["Expiration"].as_str().unwrap());
                assert!(
                    old_exp.saturating_sub(last_updated) >= 5 * 60,
                    "step {step}"
                );
                assert_ne!(prev["Token"], doc["Token"]);
            } else {
                assert_eq!(prev["Expiration"], doc["Expiration"]);
            }
        }
        previous = Some(doc);
        clock.advance(Duration::from_secs(300));
    }
    assert_eq!(rotations, 13, "hourly rotation over 13 hours");
}

#[tokio::test]
async fn a_tight_schedule_still_keeps_five_minutes_and_rotate_now_works() {
    let clock = Clock::frozen(ts("2026-05-01T00:00:00Z"));
    let rotation = Rotation::new(Duration::from_secs(600), Duration::from_secs(900)).unwrap();
    assert!(Rotation::new(Duration::from_secs(600), Duration::from_secs(899)).is_err());
    let imds = ImdsServer::builder()
        .clock(clock.clone())
        .rotation(rotation)
        .start()
        .await
        .unwrap();
    let path = "/latest/meta-data/iam/security-credentials/credchain-role";
    let first = send(imds.addr(), Req::get(path)).await.json();
    assert_eq!(first["Expiration"], "2026-05-01T00:15:00Z");
    clock.advance(Duration::from_secs(599));
    let same = send(imds.addr(), Req::get(path)).await.json();
    assert_eq!(same["AccessKeyId"], first["AccessKeyId"]);
    clock.advance(Duration::from_secs(1));
    let next = send(imds.addr(), Req::get(path)).await.json();
    assert_ne!(next["AccessKeyId"], first["AccessKeyId"]);
    assert_eq!(next["LastUpdated"], "2026-05-01T00:10:00Z");
    assert_eq!(next["Expiration"], "2026-05-01T00:25:00Z");
    // Exactly five minutes of overlap with the old generation.
    assert_eq!(
        ts(first["Expiration"].as_str().unwrap())
            .saturating_sub(ts(next["LastUpdated"].as_str().unwrap())),
        300
    );
    clock.advance(Duration::from_secs(17));
    imds.rotate_now();
    let forced = send(imds.addr(), Req::get(path)).await.json();
    assert_ne!(forced["AccessKeyId"], next["AccessKeyId"]);
    assert_eq!(forced["LastUpdated"], "2026-05-01T00:10:17Z");
    assert_eq!(forced["Expiration"], "2026-05-01T00:25:17Z");
}

#[tokio::test]
async fn caller_supplied_credentials_are_served_verbatim() {
    let fixed = Credentials {
        access_key_id: "ASIAFIXEDFIXEDFIXED1".into(),
        secret_access_key: "fixed-secret".into(),
        session_token: "fixed-token".into(),
        expiration: ts("2020-01-01T00:00:00Z"),
        last_updated: ts("2019-12-31T18:00:00Z"),
        account_id: Some("210987654321".into()),
    };
    let imds = ImdsServer::builder()
        .credentials(fixed.clone())
        .start()
        .await
        .unwrap();
    let doc = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/credchain-role"),
    )
    .await
    .json();
    assert_eq!(creds_of(&doc), expected(&fixed));
    assert_eq!(
        doc["Expiration"], "2020-01-01T00:00:00Z",
        "expired, as given"
    );
    assert_eq!(doc["LastUpdated"], "2019-12-31T18:00:00Z");

    // A closure sees the server's time.
    let clock = Clock::frozen(ts("2031-02-03T04:05:06Z"));
    let base = fixed.clone();
    let imds = ImdsServer::builder()
        .clock(clock)
        .credentials(move |now: credchain_core::time::Timestamp| Credentials {
            expiration: now.saturating_add_secs(3600),
            last_updated: now,
            ..base.clone()
        })
        .start()
        .await
        .unwrap();
    let doc = send(
        imds.addr(),
        Req::get("/latest/meta-data/iam/security-credentials/credchain-role"),
    )
    .await
    .json();
    assert_eq!(doc["Expiration"], "2031-02-03T05:05:06Z");
    assert_eq!(doc["AccessKeyId"], "ASIAFIXEDFIXEDFIXED1");
}

#[tokio::test]
async fn token_put_answer_carries_the_hop_limit_as_ip_ttl() {
    let imds = ImdsServer::builder().start().await.unwrap();
    // A fresh connection's read shows the system's default TTL.
    send(imds.addr(), Req::get("/latest/meta-data/instance-id")).await;
    let default_ttl = imds.transcript()[0].socket_ttl.unwrap();
    assert!(default_ttl > 1, "default TTL {default_ttl}");

    let mut conn = Conn::open(imds.addr()).await;
    let r = conn
        .send(&Req::put("/latest/api/token").header(TTL, "60"))
        .await;
    assert_eq!(r.status, 200);
    // On the same connection, a read: the TTL is back to the default.
    let r = conn.send(&Req::get("/latest/meta-data/instance-id")).await;
    assert_eq!(r.status, 200);
    imds.update(|s| s.hop_limit = 2).unwrap();
    let r = conn
        .send(&Req::put("/latest/api/token").header(TTL, "60"))
        .await;
    assert_eq!(r.status, 200);
    let r = conn
        .send(&Req::put("/latest/api/token").header(TTL, "0"))
        .await;
    assert_eq!(r.status, 400);

    let t = imds.transcript();
    let ttls: Vec<(u32, Option<u32>)> = t[1..]
        .iter()
        .map(|e| (e.on_connection, e.socket_ttl))
        .collect();
    assert_eq!(
        ttls,
        [
            (0, Some(1)),
            (1, Some(default_ttl)),
            (2, Some(2)),
            (3, Some(default_ttl)),
        ],
        "TTL read back from the server's socket after each answer"
    );
    assert!(t[1..].iter().all(|e| e.connection == t[1].connection));
    assert!(imds.update(|s| s.hop_limit = 0).is_err());
    assert!(imds.update(|s| s.hop_limit = 65).is_err());
    imds.update(|s| s.hop_limit = 64).unwrap();
}

#[tokio::test]
async fn hop_limit_on_ipv6_uses_the_unicast_hop_limit() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here: nothing to test");
        return;
    }
    let imds = ImdsServer::builder()
        .bind("[::1]:0".parse().unwrap())
        .hop_limit(3)
        .start()
        .await
        .unwrap();
    let mut conn = Conn::open(imds.addr()).await;
    assert_eq!(
        conn.send(&Req::put("/latest/api/token").header(TTL, "60"))
            .await
            .status,
        200
    );
    assert_eq!(
        conn.send(&Req::get("/latest/meta-data/instance-id"))
            .await
            .status,
        200
    );
    let t = imds.transcript();
    assert_eq!(t[0].socket_ttl, Some(3));
    let default_hops = t[1].socket_ttl.unwrap();
    assert_ne!(default_hops, 3);
    assert!(default_hops > 3, "{default_hops}");
}

#[tokio::test]
async fn host_header_check() {
    let imds = ImdsServer::builder()
        .host_check(HostCheck::Only(vec!["169.254.169.254".into()]))
        .start()
        .await
        .unwrap();
    let path = "/latest/meta-data/instance-id";
    let r = send(imds.addr(), Req::get(path)).await;
    assert_eq!(r.status, 403, "Host 127.0.0.1:port is not allowed");
    let r = send(
        imds.addr(),
        Req::get(path).header("Host", "169.254.169.254"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(
        imds.addr(),
        Req::get(path).header("Host", "169.254.169.254:80"),
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(imds.addr(), Req::get(path).header("Host", "rebind.example")).await;
    assert_eq!(r.status, 403);
    let mut no_host = Req::new("GET", path);
    no_host.no_host = true;
    let mut c = Conn::open(imds.addr()).await;
    assert_eq!(c.send(&no_host).await.status, 403);
    imds.update(|s| s.host_check = HostCheck::Loopback).unwrap();
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    let r = send(imds.addr(), Req::get(path).header("Host", "localhost")).await;
    assert_eq!(r.status, 200);
    let r = send(imds.addr(), Req::get(path).header("Host", "rebind.example")).await;
    assert_eq!(r.status, 403);
    imds.update(|s| s.host_check = HostCheck::Off).unwrap();
    let r = send(imds.addr(), Req::get(path).header("Host", "rebind.example")).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn transcript_records_every_request_without_secrets() {
    let clock = Clock::frozen(ts("2026-05-01T12:00:00Z"));
    let imds = ImdsServer::builder()
        .clock(clock.clone())
        .http_tokens(HttpTokens::Required)
        .start()
        .await
        .unwrap();
    let mut conn = Conn::open(imds.addr()).await;
    let local = conn.local_addr();
    let tok = conn
        .send(
            &Req::put("/latest/api/token")
                .header(TTL, "21600")
                .header("User-Agent", "test/1"),
        )
        .await
        .text()
        .to_owned();
    clock.advance(Duration::from_secs(1));
    conn.send(&Req::get("/latest/meta-data/iam/security-credentials/?x=1").token(&tok))
        .await;
    let doc = conn
        .send(&Req::get("/latest/meta-data/iam/security-credentials/credchain-role").token(&tok))
        .await
        .json();
    conn.send(&Req::get("/latest/meta-data/missing").token(&tok))
        .await;

    let t = imds.transcript();
    assert_eq!(t.len(), 4);
    assert_eq!(imds.controls().requests_seen(), 4);
    let e = &t[0];
    assert_eq!((e.seq, e.on_connection), (0, 0));
    assert_eq!(e.peer, local);
    assert_eq!(e.method, "PUT");
    assert_eq!(e.path, "/latest/api/token");
    assert_eq!(e.version, "HTTP/1.1");
    assert_eq!(e.at, ts("2026-05-01T12:00:00Z"));
    assert_eq!(
        e.header("x-aws-ec2-metadata-token-ttl-seconds"),
        Some("21600")
    );
    assert_eq!(e.header("user-agent"), Some("test/1"));
    assert_eq!(e.header("host"), Some(imds.addr().to_string().as_str()));
    assert_eq!(e.status(), Some(200));
    assert_eq!(
        e.outcome,
        Outcome::Answered {
            status: 200,
            body_len: 56
        }
    );
    let e = &t[1];
    assert_eq!(e.path, "/latest/meta-data/iam/security-credentials/?x=1");
    assert_eq!(e.at, ts("2026-05-01T12:00:01Z"));
    assert_eq!(e.auth, AuthCheck::Valid);
    let shown = e.header("x-aws-ec2-metadata-token").unwrap();
    assert!(shown.starts_with("<redacted: 56 bytes, fp "), "{shown}");
    assert_eq!(t[2].status(), Some(200));
    assert_eq!(t[3].status(), Some(404));
    assert!(
        t.iter()
            .all(|e| e.connection == t[0].connection && e.peer == local)
    );
    assert_eq!(
        t.iter().map(|e| e.on_connection).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    // The same token shows the same fingerprint every time.
    assert_eq!(
        t[1].header("x-aws-ec2-metadata-token"),
        t[2].header("x-aws-ec2-metadata-token")
    );

    let json = imds.controls().transcript_json();
    for secret in [
        tok.as_str(),
        doc["SecretAccessKey"].as_str().unwrap(),
        doc["Token"].as_str().unwrap(),
    ] {
        assert!(
            !json.contains(secret),
            "a secret leaked into the transcript"
        );
    }
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed[0]["method"], "PUT");
    assert_eq!(parsed[0]["outcome"]["status"], 200);
    assert_eq!(parsed[0]["auth"]["kind"], "issued");
    assert_eq!(parsed[0]["auth"]["ttl_seconds"], 21600);
    assert_eq!(parsed[1]["at"], "2026-05-01T12:00:01Z");

    imds.controls().clear_transcript();
    assert!(imds.transcript().is_empty());
    assert_eq!(imds.controls().requests_seen(), 4);
}

#[tokio::test]
async fn transcript_is_bounded() {
    let imds = ImdsServer::builder()
        .transcript_capacity(3)
        .start()
        .await
        .unwrap();
    let mut c = Conn::open(imds.addr()).await;
    for _ in 0..5 {
        c.send(&Req::get("/latest/meta-data/instance-id")).await;
    }
    let seqs: Vec<u64> = imds.transcript().iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [2, 3, 4]);
    assert_eq!(imds.controls().transcript_dropped(), 2);
}
