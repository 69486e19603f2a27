use core::fmt::Write as _;

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z, the time of the AWS SigV4 test suite.
const SUITE_TIME: i64 = 1_440_938_160;

fn keys(token: Option<&'static str>) -> SigningKeys<'static> {
    SigningKeys {
        access_key_id: "AKIDEXAMPLE",
        secret_access_key: SECRET,
        session_token: token,
    }
}

const SCOPE: Scope<'static> = Scope {
    region: "us-east-1",
    service: "service",
};

fn debug_of<'b>(v: &dyn fmt::Debug, buf: &'b mut [u8]) -> &'b str {
    let mut w = Writer::new(buf);
    write!(w, "{v:?}").unwrap();
    w.finish().unwrap()
}

// The `get-vanilla` case of the AWS SigV4 test suite (also run, with every other case, by the
// integration tests): an external oracle, not our own output.
#[test]
fn get_vanilla_from_the_aws_suite() {
    let headers = [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
    ];
    let req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: b"",
    };
    let mut buf = [0u8; 512];
    let creq = canonical_request(&req, None, SUITE_TIME, &mut buf).unwrap();
    assert_eq!(
        creq,
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    let sts = string_to_sign(&req, None, &SCOPE, SUITE_TIME, &mut buf).unwrap();
    assert_eq!(
        sts,
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
         bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
    );
    let signed = sign(&req, &keys(None), &SCOPE, SUITE_TIME, &mut buf).unwrap();
    assert_eq!(
        signed.authorization,
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
         SignedHeaders=host;x-amz-date, \
         Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    assert_eq!(
        signed.signature,
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    );
    assert_eq!(signed.amz_date, "20150830T123600Z");
    assert_eq!(signed.security_token, None);
}

#[test]
fn session_token_is_signed_and_copied() {
    let headers = [("Host", "example.amazonaws.com")];
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload: b"",
    };
    let mut buf = [0u8; 512];
    let signed = sign(&req, &keys(Some("tok en")), &SCOPE, SUITE_TIME, &mut buf).unwrap();
    assert_eq!(signed.security_token, Some("tok en"));
    assert!(
        signed
            .authorization
            .contains("SignedHeaders=host;x-amz-date;x-amz-security-token,")
    );
    let creq = canonical_request(&req, Some("tok en"), SUITE_TIME, &mut buf).unwrap();
    assert!(creq.contains("\nx-amz-security-token:tok en\n"));
}

#[test]
fn replaced_and_unsigned_headers_are_left_out() {
    let headers = [
        ("Host", "h"),
        ("Authorization", "old"),
        ("X-Amz-Date", "19990101T000000Z"),
        ("X-Amz-Security-Token", "old token"),
        ("User-Agent", "botocore"),
        ("Transfer-Encoding", "chunked"),
        ("x-amzn-trace-id", "t"),
        ("Content-Type", "a"),
    ];
    let req = Request {
        method: "post",
        path: "/",
        query: "",
        headers: &headers,
        payload: b"x",
    };
    let mut buf = [0u8; 512];
    let creq = canonical_request(&req, Some("new"), SUITE_TIME, &mut buf).unwrap();
    assert_eq!(
        creq,
        "POST\n/\n\ncontent-type:a\nhost:h\nx-amz-date:20150830T123600Z\n\
         x-amz-security-token:new\n\ncontent-type;host;x-amz-date;x-amz-security-token\n\
         2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
    );
    // Without keys' token, a token header the caller sends is signed like any other header.
    let creq = canonical_request(&req, None, SUITE_TIME, &mut buf).unwrap();
    assert!(creq.contains("\nx-amz-security-token:old token\n"));
}

#[test]
fn content_sha256_header_stands_for_the_payload_hash() {
    let headers = [("Host", "h"), ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")];
    let req = Request {
        method: "PUT",
        path: "/",
        query: "",
        headers: &headers,
        payload: b"ignored",
    };
    let mut buf = [0u8; 512];
    let creq = canonical_request(&req, None, SUITE_TIME, &mut buf).unwrap();
    assert!(creq.ends_with("\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"));
}

#[test]
fn requests_botocore_would_sign_differently_are_refused() {
    let mut buf = [0u8; 512];
    let base = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &[("Host", "h")],
        payload: b"",
    };
    let k = keys(None);
    let cases: [(Request<'_>, SignError); 4] = [
        (
            Request {
                headers: &[("Host", "h"), ("Date", "Sun, 30 Aug 2015 12:36:00 GMT")],
                ..base
            },
            SignError::DateHeader { index: 1 },
        ),
        (
            Request {
                headers: &[("X-Other", "h")],
                ..base
            },
            SignError::MissingHost,
        ),
        (
            Request {
                headers: &[("Host", "h"), ("Bad Name", "v")],
                ..base
            },
            SignError::InvalidHeaderName { index: 1 },
        ),
        (
            Request {
                method: "G\u{e9}T",
                ..base
            },
            SignError::InvalidMethod,
        ),
    ];
    for (req, want) in cases {
        assert_eq!(sign(&req, &k, &SCOPE, SUITE_TIME, &mut buf), Err(want));
    }
    for (keys, scope, part) in [
        (
            SigningKeys {
                access_key_id: "",
                ..k
            },
            SCOPE,
            ScopePart::AccessKeyId,
        ),
        (
            k,
            Scope {
                region: "us/east",
                ..SCOPE
            },
            ScopePart::Region,
        ),
        (
            k,
            Scope {
                service: "s ts",
                ..SCOPE
            },
            ScopePart::Service,
        ),
    ] {
        assert_eq!(
            sign(&base, &keys, &scope, SUITE_TIME, &mut buf),
            Err(SignError::InvalidScope(part))
        );
    }
    assert_eq!(
        sign(&base, &k, &SCOPE, i64::MAX, &mut buf),
        Err(SignError::TimeOutOfRange)
    );
}

#[test]
fn too_small_buffer_says_the_size_needed() {
    let req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &[("Host", "example.amazonaws.com")],
        payload: b"",
    };
    let mut big = [0u8; 512];
    let ok = sign(&req, &keys(Some("token")), &SCOPE, SUITE_TIME, &mut big).unwrap();
    let needed = 16 + 5 + ok.authorization.len();
    let mut small = [0u8; 100];
    assert_eq!(
        sign(&req, &keys(Some("token")), &SCOPE, SUITE_TIME, &mut small),
        Err(SignError::BufferTooSmall(BufferTooSmall {
            needed,
            available: 100
        }))
    );
    let mut exact = [0u8; 512];
    let exact = exact.get_mut(..needed).unwrap();
    assert!(sign(&req, &keys(Some("token")), &SCOPE, SUITE_TIME, exact).is_ok());
}

#[test]
fn long_secrets_are_hashed_into_the_first_key_as_hmac_does() {
    // A secret of 61+ bytes makes "AWS4"+secret longer than SHA-256's block; the signature
    // must still verify against itself and differ from a secret one byte shorter.
    let long = "0123456789012345678901234567890123456789012345678901234567890123456789";
    let headers = [("Host", "h")];
    let req = Request {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        payload: b"",
    };
    for len in [59, 60, 61, 70] {
        let secret = &long[..len];
        let k = SigningKeys {
            secret_access_key: secret,
            ..keys(None)
        };
        let mut buf = [0u8; 256];
        let signed = sign(&req, &k, &SCOPE, SUITE_TIME, &mut buf).unwrap();
        let received = [("Host", "h"), ("X-Amz-Date", signed.amz_date)];
        let auth = parse_authorization(signed.authorization).unwrap();
        let req2 = Request {
            headers: &received,
            ..req
        };
        assert_eq!(verify(&req2, &auth, secret), Ok(()), "{len}");
        assert_eq!(
            verify(&req2, &auth, &long[..len - 1]),
            Err(VerifyError::SignatureMismatch)
        );
    }
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let k = keys(Some("SESSIONTOKEN"));
    let mut buf = [0u8; 512];
    let shown = debug_of(&k, &mut buf);
    assert!(shown.contains("AKIDEXAMPLE"));
    assert!(!shown.contains(SECRET) && !shown.contains("SESSIONTOKEN"));

    let headers = [("Host", "h"), ("X-Amz-Security-Token", "SESSIONTOKEN")];
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload: b"WebIdentityToken=SECRETJWT",
    };
    let mut buf = [0u8; 512];
    let shown = debug_of(&req, &mut buf);
    assert!(!shown.contains("SESSIONTOKEN") && !shown.contains("SECRETJWT"));
    assert!(shown.contains("payload_len: 26"));

    let mut sbuf = [0u8; 512];
    let signed = sign(&req, &k, &SCOPE, SUITE_TIME, &mut sbuf).unwrap();
    let mut buf = [0u8; 512];
    let shown = debug_of(&signed, &mut buf);
    assert!(!shown.contains("SESSIONTOKEN"));
    assert!(shown.contains(signed.signature));
}

#[test]
fn amz_date_formats_and_parses_back() {
    for (secs, text) in [
        (0, "19700101T000000Z"),
        (SUITE_TIME, "20150830T123600Z"),
        (951_782_400, "20000229T000000Z"),
        (253_402_300_799, "99991231T235959Z"),
        (-62_167_219_200, "00000101T000000Z"),
    ] {
        let d = AmzDate::from_unix_secs(secs).unwrap();
        assert_eq!(d.as_str(), text);
        assert_eq!(d.date(), &text[..8]);
        assert_eq!(parse_amz_date(text).unwrap().unix_secs(), secs);
    }
    for bad in [
        "",
        "20150830T123600",
        "20150830 123600Z",
        "20150230T123600Z",
        "20150830T246000Z",
        "2015083aT123600Z",
        "20150830T123600Z ",
    ] {
        assert_eq!(
            parse_amz_date(bad),
            Err(VerifyError::InvalidAmzDate),
            "{bad}"
        );
    }
}

const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";

#[test]
fn authorization_parses_in_any_order_with_optional_spaces() {
    let a = parse_authorization(AUTH).unwrap();
    assert_eq!(
        a,
        Authorization {
            access_key_id: "AKIDEXAMPLE",
            date: "20150830",
            region: "us-east-1",
            service: "service",
            signed_headers: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        }
    );
    let shuffled = "AWS4-HMAC-SHA256  Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31,SignedHeaders=host;x-amz-date,\tCredential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
    assert_eq!(parse_authorization(shuffled), Ok(a));
}

#[test]
fn malformed_authorization_names_the_part_and_offset() {
    use AuthorizationPart::*;
    let sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";
    let mut buf = [0u8; 400];
    type Make<'m> = &'m dyn Fn(&mut Writer<'_>);
    let texts: [(Make<'_>, VerifyError); 12] = [
        (
            &|w| w.push_str("AWS4-HMAC-SHA1 x"),
            VerifyError::Malformed {
                part: Algorithm,
                offset: 0,
            },
        ),
        (
            &|w| w.push_str("AWS4-HMAC-SHA256"),
            VerifyError::Malformed {
                part: Algorithm,
                offset: 0,
            },
        ),
        (
            &|w| w.push_str("AWS4-HMAC-SHA256Credential=x"),
            VerifyError::Malformed {
                part: Algorithm,
                offset: 0,
            },
        ),
        (
            &|w| {
                let _ = write!(
                    w,
                    "AWS4-HMAC-SHA256 {cred}, SignedHeaders=host, Signature={sig}, Extra=1"
                );
            },
            VerifyError::Malformed {
                part: Component,
                offset: 177,
            },
        ),
        (
            &|w| {
                let _ = write!(
                    w,
                    "AWS4-HMAC-SHA256 Credential=AKID/2015083/r/s/aws4_request, SignedHeaders=host, Signature={sig}"
                );
            },
            VerifyError::Malformed {
                part: Credential,
                offset: 28,
            },
        ),
        (
            &|w| {
                let _ = write!(
                    w,
                    "AWS4-HMAC-SHA256 Credential=AKID/20150830/r/s/aws5_request, SignedHeaders=host, Signature={sig}"
                );
            },
            VerifyError::Malformed {
                part: Credential,
                offset: 28,
            },
        ),
        (
            &|w| {
                let _ = write!(
                    w,
                    "AWS4-HMAC-SHA256 {cred}, SignedHeaders=x-amz-date;host, Signature={sig}"
                );
            },
            VerifyError::Malformed {
                part: SignedHeaders,
                offset: 95,
            },
        ),
        (
            &|w| {
                let _ = write!(
                    w,
                    "AWS4-HMAC-SHA256 {cred}, SignedHeaders=Host, Signature={sig}"
                );
            },
            VerifyError::Malformed {
                part: SignedHeaders,
                offset: 95,
            },
        ),
        (
            &|w| {
                let _ = write!(
                    w,
                    "AWS4-HMAC-SHA256 {cred}, SignedHeaders=host, Signature=5FA0"
                );
            },
            VerifyError::Malformed {
                part: Signature,
                offset: 111,
            },
        ),
        (
            &|w| {
                let _ = write!(w, "AWS4-HMAC-SHA256 {cred}, SignedHeaders=host");
            },
            VerifyError::Missing(Signature),
        ),
        (
            &|w| {
                let _ = write!(w, "AWS4-HMAC-SHA256 SignedHeaders=host, Signature={sig}");
            },
            VerifyError::Missing(Credential),
        ),
        (
            &|w| {
                let _ = write!(
                    w,
                    "AWS4-HMAC-SHA256 {cred}, {cred}, SignedHeaders=host, Signature={sig}"
                );
            },
            VerifyError::Repeated(Credential),
        ),
    ];
    for (make, want) in texts {
        let mut w = Writer::new(&mut buf);
        make(&mut w);
        let text = w.finish().unwrap();
        assert_eq!(parse_authorization(text), Err(want), "{text}");
    }
}

/// A signed STS-like request, as the server receives it, for the verifier tests.
struct Fixture {
    buf: [u8; 512],
}

const BODY: &[u8] = b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s&Version=2011-06-15";

impl Fixture {
    fn new() -> Self {
        Fixture { buf: [0; 512] }
    }

    fn signed(&mut self) -> Signed<'_> {
        let headers = [
            ("Host", "sts.us-east-1.amazonaws.com"),
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
        ];
        let req = Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            payload: BODY,
        };
        let scope = Scope {
            region: "us-east-1",
            service: "sts",
        };
        sign(
            &req,
            &keys(Some("TOKEN")),
            &scope,
            SUITE_TIME,
            &mut self.buf,
        )
        .unwrap()
    }
}

#[test]
fn verify_accepts_the_signed_request_and_rejects_changes() {
    let mut f = Fixture::new();
    let s = f.signed();
    let received = [
        ("Host", "sts.us-east-1.amazonaws.com"),
        (
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("X-Amz-Date", s.amz_date),
        ("X-Amz-Security-Token", s.security_token.unwrap()),
        ("Authorization", s.authorization),
        ("User-Agent", "anything: not signed"),
    ];
    let req = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &received,
        payload: BODY,
    };
    let auth = parse_authorization(s.authorization).unwrap();
    assert_eq!(verify(&req, &auth, SECRET), Ok(()));
    assert_eq!(
        verify(
            &Request {
                method: "PUT",
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(
        verify(&Request { path: "/x", ..req }, &auth, SECRET),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(
        verify(
            &Request {
                query: "a=b",
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::SignatureMismatch)
    );
    assert_eq!(
        verify(
            &Request {
                payload: &BODY[1..],
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::SignatureMismatch)
    );
    let mut other = received;
    other[3].1 = "TOKEM";
    assert_eq!(
        verify(
            &Request {
                headers: &other,
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::SignatureMismatch)
    );
    // Wrong date in the scope, a missing or repeated X-Amz-Date, a missing signed header.
    let mut other = received;
    other[2].1 = "20150831T123600Z";
    assert_eq!(
        verify(
            &Request {
                headers: &other,
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::DateMismatch)
    );
    assert_eq!(
        verify(
            &Request {
                headers: &received[..2],
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::MissingAmzDate)
    );
    let repeated = [received[0], received[2], received[2]];
    assert_eq!(
        verify(
            &Request {
                headers: &repeated,
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::RepeatedAmzDate)
    );
    let no_token = [received[0], received[1], received[2]];
    assert_eq!(
        verify(
            &Request {
                headers: &no_token,
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::SignedHeaderMissing { index: 3 })
    );
    let no_host = Authorization {
        signed_headers: "content-type;x-amz-date;x-amz-security-token",
        ..auth
    };
    assert_eq!(
        verify(&req, &no_host, SECRET),
        Err(VerifyError::HostNotSigned)
    );
    // A content hash that is not the payload's.
    let mut with_hash = [("", ""); 7];
    with_hash[..6].copy_from_slice(&received);
    with_hash[6] = ("X-Amz-Content-SHA256", EMPTY_PAYLOAD_SHA256);
    assert_eq!(
        verify(
            &Request {
                headers: &with_hash,
                ..req
            },
            &auth,
            SECRET
        ),
        Err(VerifyError::PayloadHashMismatch)
    );
    // Every one-character change of the signature.
    let mut sig = [0u8; 64];
    sig.copy_from_slice(auth.signature.as_bytes());
    for i in 0..64 {
        let mut changed = sig;
        changed[i] = if changed[i] == b'0' { b'1' } else { b'0' };
        let changed = core::str::from_utf8(&changed).unwrap();
        let a = Authorization {
            signature: changed,
            ..auth
        };
        assert_eq!(
            verify(&req, &a, SECRET),
            Err(VerifyError::SignatureMismatch)
        );
    }
    // And the canonical request the server computed reads like the signer's.
    let mut buf = [0u8; 512];
    let creq = expected_canonical_request(&req, &auth, &mut buf)
        .unwrap()
        .unwrap();
    let mut buf2 = [0u8; 512];
    let signer_side = Request {
        headers: &received[..2],
        ..req
    };
    assert_eq!(
        creq,
        canonical_request(&signer_side, Some("TOKEN"), SUITE_TIME, &mut buf2).unwrap()
    );
}

#[test]
fn errors_display_what_was_expected() {
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf);
    write!(
        w,
        "{}",
        VerifyError::Malformed {
            part: AuthorizationPart::Signature,
            offset: 7
        }
    )
    .unwrap();
    assert_eq!(
        w.finish().unwrap(),
        "malformed Authorization header: bad Signature at byte 7, expected Signature=<64 \
         lower-case hex digits>"
    );
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf);
    write!(
        w,
        "{}",
        SignError::BufferTooSmall(BufferTooSmall {
            needed: 300,
            available: 10
        })
    )
    .unwrap();
    assert_eq!(
        w.finish().unwrap(),
        "cannot sign the request: buffer too small: 300 bytes needed, 10 available"
    );
}
