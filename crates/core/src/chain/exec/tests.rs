use super::*;
use crate::sigv4::{parse_authorization, verify};

const OK: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>
      <Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>
    <Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>k</SecretAccessKey>
      <SessionToken>t</SessionToken><Expiration>2026-11-29T13:34:41Z</Expiration>
    </Credentials>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c610</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

fn error_doc<'b>(code: &str, buf: &'b mut [u8]) -> &'b [u8] {
    let mut w = crate::buf::Writer::new(buf);
    let _ = fmt::Write::write_fmt(
        &mut w,
        format_args!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>\
             <Message>no</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        ),
    );
    let n = w.len();
    &buf[..n]
}

#[test]
fn success_reads_credentials_expiry_and_account() {
    let mut x = StsExchange::new(StsOperation::AssumeRole);
    let v = x.handle(
        Attempt::Response {
            status: 200,
            body: OK.as_bytes(),
        },
        0,
    );
    let StsVerdict::Credentials(c) = v else {
        panic!("{v:?}")
    };
    assert!(c.access_key_id == "ASIAX");
    assert_eq!(c.expiry.unix_secs(), 1_795_959_281);
    assert!(c.account_id.unwrap() == "123456789012");
}

#[test]
fn throttling_and_5xx_retry_four_times_then_fail() {
    let mut buf = [0u8; 256];
    for (status, code) in [
        (400, "Throttling"),
        (400, "IDPCommunicationError"),
        (400, "RequestThrottledException"),
        (500, "InternalFailure"),
        (503, "ServiceUnavailable"),
        (429, "Whatever"),
    ] {
        let body = error_doc(code, &mut buf);
        let mut x = StsExchange::new(StsOperation::AssumeRole);
        for attempt in 1..STS_MAX_ATTEMPTS {
            let v = x.handle(Attempt::Response { status, body }, u32::MAX);
            let StsVerdict::Retry { after } = v else {
                panic!("{status} {code}: {v:?}")
            };
            // rand × 2^(n−1) seconds, rand just under 1.
            let cap = Duration::from_secs(1 << (attempt - 1));
            assert!(after < cap && after > cap / 2, "{after:?}");
        }
        let v = x.handle(Attempt::Response { status, body }, 0);
        match v {
            StsVerdict::Failed(StsFailure::Service {
                status: s, code: c, ..
            }) => {
                assert_eq!(s, status);
                assert!(c.unwrap() == code);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(x.attempts(), STS_MAX_ATTEMPTS);
    }
}

#[test]
fn access_denied_and_signature_errors_are_not_retried() {
    let mut buf = [0u8; 256];
    for (status, code) in [
        (403, "AccessDenied"),
        (403, "SignatureDoesNotMatch"),
        (400, "ValidationError"),
        (400, "ExpiredToken"),
    ] {
        let body = error_doc(code, &mut buf);
        let mut x = StsExchange::new(StsOperation::AssumeRole);
        let v = x.handle(Attempt::Response { status, body }, 7);
        assert!(
            matches!(v, StsVerdict::Failed(StsFailure::Service { .. })),
            "{code}: {v:?}"
        );
        assert_eq!(x.attempts(), 1);
    }
}

#[test]
fn connection_errors_retry_then_fail_as_transport() {
    let mut x = StsExchange::new(StsOperation::AssumeRoleWithWebIdentity);
    for _ in 1..STS_MAX_ATTEMPTS {
        assert!(matches!(
            x.handle(Attempt::ConnectionError, 1 << 31),
            StsVerdict::Retry { .. }
        ));
    }
    assert_eq!(
        x.handle(Attempt::ConnectionError, 0),
        StsVerdict::Failed(StsFailure::Transport)
    );
    // A later success after a retry is accepted.
    let mut x = StsExchange::new(StsOperation::AssumeRole);
    let _ = x.handle(Attempt::ConnectionError, 0);
    assert!(matches!(
        x.handle(
            Attempt::Response {
                status: 200,
                body: OK.as_bytes()
            },
            0
        ),
        StsVerdict::Credentials(_)
    ));
}

#[test]
fn garbage_is_a_bad_response_not_a_panic() {
    let mut x = StsExchange::new(StsOperation::AssumeRole);
    let v = x.handle(
        Attempt::Response {
            status: 200,
            body: b"<html>",
        },
        0,
    );
    assert!(matches!(v, StsVerdict::Failed(StsFailure::BadResponse(_))));
    let mut x = StsExchange::new(StsOperation::AssumeRole);
    let v = x.handle(
        Attempt::Response {
            status: 403,
            body: b"\xff\xfe",
        },
        0,
    );
    assert!(matches!(
        v,
        StsVerdict::Failed(StsFailure::Service { status: 403, .. })
    ));
}

#[test]
fn backoff_is_rand_times_powers_of_two() {
    assert_eq!(backoff(1, 0), Duration::ZERO);
    assert_eq!(backoff(1, 1 << 31), Duration::from_millis(500));
    assert_eq!(backoff(3, 1 << 31), Duration::from_secs(2));
    assert!(backoff(255, u32::MAX) < Duration::from_secs(1 << 17));
}

#[test]
fn prepared_assume_role_verifies_with_the_keys() {
    let hop = RoleHop {
        profile: Str::Plain("a"),
        role_arn: Str::Plain("arn:aws:iam::123456789012:role/R"),
        external_id: Some(Str::Plain("ext id")),
        role_session_name: None,
        mfa_serial: None,
        duration_seconds: Some(900),
    };
    let req = assume_role_request(&hop, None);
    let keys = SigningKeys {
        access_key_id: "ASIABASE",
        secret_access_key: "secret",
        session_token: Some("tok+/="),
    };
    let mut buf = [0u8; 2048];
    let p = prepare_assume_role(
        &req,
        &keys,
        "127.0.0.1:9",
        "eu-west-1",
        1_700_000_000,
        &mut buf,
    )
    .unwrap();
    assert!(
        p.body
            .starts_with("Action=AssumeRole&Version=2011-06-15&ExternalId=ext+id")
    );
    assert!(
        p.body
            .contains("RoleSessionName=botocore-session-1700000000")
    );
    let signed = p.signed.unwrap();
    assert_eq!(signed.security_token, Some("tok+/="));
    let headers = [
        ("Content-Type", crate::sts::CONTENT_TYPE),
        ("Host", "127.0.0.1:9"),
        ("X-Amz-Date", signed.amz_date),
        ("X-Amz-Security-Token", "tok+/="),
    ];
    let request = sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload: p.body.as_bytes(),
    };
    let auth = parse_authorization(signed.authorization).unwrap();
    assert_eq!(auth.access_key_id, "ASIABASE");
    assert_eq!(auth.region, "eu-west-1");
    assert_eq!(auth.service, "sts");
    verify(&request, &auth, "secret").unwrap();
    assert!(verify(&request, &auth, "other").is_err());
}

#[test]
fn small_buffers_say_the_size_needed() {
    let hop = RoleHop {
        profile: Str::Plain("a"),
        role_arn: Str::Plain("arn:aws:iam::123456789012:role/R"),
        external_id: None,
        role_session_name: Some(Str::Plain("s")),
        mfa_serial: None,
        duration_seconds: None,
    };
    let req = assume_role_request(&hop, None);
    let keys = SigningKeys {
        access_key_id: "AKID",
        secret_access_key: "secret",
        session_token: None,
    };
    let mut big = [0u8; 2048];
    let needed = {
        let p = prepare_assume_role(&req, &keys, "h", "us-east-1", 0, &mut big).unwrap();
        p.body.len() + p.signed.unwrap().authorization.len()
    };
    for n in [0, 10, 40, needed / 2] {
        let mut small = [0u8; 2048];
        match prepare_assume_role(&req, &keys, "h", "us-east-1", 0, &mut small[..n]) {
            Err(PrepareError::BufferTooSmall(e)) => assert!(e.needed > n, "{n}: {e:?}"),
            other => panic!("{n}: {other:?}"),
        }
    }
}

#[test]
fn hops_keep_order_and_copy() {
    let mk = |p| RoleHop {
        profile: Str::Plain(p),
        role_arn: Str::Plain("arn"),
        external_id: None,
        role_session_name: None,
        mfa_serial: None,
        duration_seconds: None,
    };
    let all = [mk("c"), mk("b"), mk("a")];
    let hops = Hops::from_slice(&all);
    let copy = hops;
    assert_eq!(copy.len(), 3);
    assert!(copy.get(0).unwrap().profile.eq_str("c"));
    assert!(copy.get(2).unwrap().profile.eq_str("a"));
    assert!(copy.get(3).is_none());
    assert!(Hops::new().is_empty());
    assert_eq!(RoleStep::hop(1, 3), RoleStep::Hop { index: 2, of: 3 });
}
