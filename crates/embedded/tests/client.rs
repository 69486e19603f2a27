//! The blocking client over scripted in-memory connections: keep-alive reuse, every way a
//! connection can end or fail, caps and malformed responses surfacing as the right error, and
//! odd chunkings of the reads.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod support;

use credchain_embedded::{
    Cap, Client, Connection, Error, Header, Limits, Method, ParseErrorKind, Phase, Request,
    RequestError, Version,
};
use embedded_io::ErrorKind;
use support::{ReadStep, Scripted, WriteMode, random_split};

const HOST: &str = "169.254.169.254";
const TOKEN: &str = "AQAEAFtOKEN-0123456789abcdef==";
const TTL: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const DOC: &str = r#"{"Code":"Success","LastUpdated":"2026-05-01T10:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"c2VjcmV0","Token":"dG9rZW4=","Expiration":"2026-05-01T16:00:00Z"}"#;

fn token_response() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n{TTL}: 21600\r\nContent-Length: {}\r\n\r\n{TOKEN}",
        TOKEN.len()
    )
    .into_bytes()
}

fn role_response() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nmy-role".to_vec()
}

fn doc_response_chunked() -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for piece in DOC.as_bytes().chunks(13) {
        out.extend_from_slice(format!("{:x};n=1\r\n", piece.len()).as_bytes());
        out.extend_from_slice(piece);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// The three requests of one IMDSv2 credential fetch, over one connection, with the reads cut
/// into pieces by `split`.
fn imds_fetch(split: impl Fn(&[u8]) -> Vec<Vec<u8>>) -> (Scripted, [Vec<u8>; 3]) {
    let mut steps = Vec::new();
    for response in [token_response(), role_response(), doc_response_chunked()] {
        steps.extend(split(&response).into_iter().map(ReadStep::Data));
    }
    let mut client = Client::new(Scripted::new(steps));
    let mut buf = [0u8; 1024];
    let ttl = [Header::new(TTL, "21600")];
    let keep = [TTL];
    let put = Request::put(HOST, "/latest/api/token")
        .headers(&ttl)
        .keep(&keep);
    let r = client.send(&put, &mut buf).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header_str(TTL), Some("21600"));
    let token = r.body().to_vec();
    assert_eq!(token, TOKEN.as_bytes());
    assert!(client.is_reusable());

    let token = std::str::from_utf8(&token).unwrap().to_string();
    let auth = [Header::new("x-aws-ec2-metadata-token", &token)];
    let mut buf2 = [0u8; 1024];
    let role_req = Request::get(HOST, "/latest/meta-data/iam/security-credentials/").headers(&auth);
    let r = client.send(&role_req, &mut buf2).unwrap();
    let role = std::str::from_utf8(r.body()).unwrap().to_string();
    assert_eq!(role, "my-role");

    let path = format!("/latest/meta-data/iam/security-credentials/{role}");
    let mut buf3 = [0u8; 1024];
    let r = client
        .send(&Request::get(HOST, &path).headers(&auth), &mut buf3)
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.body(), DOC.as_bytes());
    let bodies = [token.into_bytes(), role.into_bytes(), r.body().to_vec()];
    assert!(client.is_reusable());
    assert_eq!(client.exchanges(), 3);
    (client.into_inner(), bodies)
}

#[test]
fn one_connection_carries_the_token_role_and_document_requests() {
    let (conn, _) = imds_fetch(|r| vec![r.to_vec()]);
    let sent = String::from_utf8(conn.written).unwrap();
    let requests: Vec<&str> = sent.split_inclusive("\r\n\r\n").collect();
    assert_eq!(requests.len(), 3, "{sent}");
    assert!(requests[0].starts_with("PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"));
    assert!(requests[0].contains("\r\nx-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"));
    assert!(requests[0].contains("\r\nContent-Length: 0\r\n"));
    assert!(requests[0].contains("\r\nConnection: keep-alive\r\n"));
    assert!(
        requests[1].starts_with("GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\n")
    );
    assert!(
        requests[2]
            .starts_with("GET /latest/meta-data/iam/security-credentials/my-role HTTP/1.1\r\n")
    );
    for r in &requests[1..] {
        assert!(r.contains(&format!("\r\nx-aws-ec2-metadata-token: {TOKEN}\r\n")));
        assert!(!r.contains("Content-Length"));
    }
    // Each request went out in a single write (no tiny segments for Nagle to hold back).
    assert_eq!(conn.write_calls, 3);
    // Nothing was left unread.
    assert!(conn.reads.is_empty());
}

#[test]
fn reads_of_one_byte_and_random_sizes_give_the_same_exchange() {
    let (_, want) = imds_fetch(|r| vec![r.to_vec()]);
    let (_, bytewise) = imds_fetch(|r| r.iter().map(|&b| vec![b]).collect());
    assert_eq!(bytewise, want);
    for seed in 0..200 {
        let (_, got) = imds_fetch(|r| random_split(r, seed, 1 + (seed as usize % 40)));
        assert_eq!(got, want, "seed {seed}");
    }
}

#[test]
fn partial_writes_are_completed() {
    let mut conn = Scripted::replying([role_response()]);
    conn.write_mode = WriteMode::AtMost(3);
    let mut client = Client::new(conn);
    let mut buf = [0u8; 256];
    let r = client
        .send(
            &Request::get(HOST, "/latest/meta-data/").user_agent("t/1"),
            &mut buf,
        )
        .unwrap();
    assert_eq!(r.body(), b"my-role");
    assert_eq!(
        client.get_ref().written,
        b"GET /latest/meta-data/ HTTP/1.1\r\nHost: 169.254.169.254\r\nUser-Agent: t/1\r\nConnection: keep-alive\r\n\r\n"
    );
}

#[test]
fn connection_close_from_the_server_ends_reuse() {
    let conn = Scripted::replying([
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok".to_vec(),
        role_response(),
    ]);
    let mut client = Client::new(conn);
    let mut buf = [0u8; 256];
    let r = client.send(&Request::get(HOST, "/"), &mut buf).unwrap();
    assert!(!r.keep_alive());
    assert!(!client.is_reusable());
    let written = client.get_ref().written.len();
    assert_eq!(
        client.send(&Request::get(HOST, "/"), &mut buf),
        Err(Error::ConnectionNotReusable)
    );
    // Nothing more was sent.
    assert_eq!(client.get_ref().written.len(), written);
}

#[test]
fn connection_close_from_the_client_ends_reuse() {
    let mut client = Client::new(Scripted::replying([role_response()]));
    let mut buf = [0u8; 256];
    let req = Request::get(HOST, "/").connection(Connection::Close);
    let r = client.send(&req, &mut buf).unwrap();
    assert!(r.keep_alive());
    assert!(!client.is_reusable());
    assert!(
        String::from_utf8_lossy(&client.get_ref().written).contains("\r\nConnection: close\r\n")
    );
}

#[test]
fn body_until_close_completes_at_end_of_stream() {
    let conn = Scripted::replying([b"HTTP/1.0 200 OK\r\n\r\nmy-".to_vec(), b"role".to_vec()]);
    let mut client = Client::new(conn);
    let mut buf = [0u8; 256];
    let r = client.send(&Request::get(HOST, "/"), &mut buf).unwrap();
    assert_eq!(r.version(), Version::Http10);
    assert_eq!(r.body(), b"my-role");
    assert!(!client.is_reusable());
}

#[test]
fn bytes_after_the_response_end_reuse() {
    let mut bytes = role_response();
    bytes.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
    let mut client = Client::new(Scripted::replying([bytes]));
    let mut buf = [0u8; 256];
    let r = client.send(&Request::get(HOST, "/"), &mut buf).unwrap();
    assert_eq!(r.body(), b"my-role");
    assert!(!client.is_reusable());
}

#[test]
fn head_and_interim_responses() {
    let conn = Scripted::replying([
        b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n".to_vec(),
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n".to_vec(),
        role_response(),
    ]);
    let mut client = Client::new(conn);
    let mut buf = [0u8; 256];
    let r = client
        .send(&Request::new(Method::Head, HOST, "/"), &mut buf)
        .unwrap();
    assert_eq!(
        (r.status(), r.body(), r.content_length()),
        (200, &b""[..], Some(1234))
    );
    assert!(client.is_reusable());
    let r = client.send(&Request::get(HOST, "/"), &mut buf).unwrap();
    assert_eq!((r.status(), r.body()), (200, &b"my-role"[..]));
}

#[test]
fn closed_before_any_byte_says_whether_the_connection_was_reused() {
    let mut client = Client::new(Scripted::new([ReadStep::Eof]));
    let mut buf = [0u8; 256];
    assert_eq!(
        client.send(&Request::get(HOST, "/"), &mut buf),
        Err(Error::ClosedBeforeResponse { reused: false })
    );
    assert!(!client.is_reusable());

    // A server that closed an idle keep-alive connection.
    let mut client = Client::new(Scripted::new([
        ReadStep::Data(role_response()),
        ReadStep::Eof,
    ]));
    client.send(&Request::get(HOST, "/"), &mut buf).unwrap();
    let e = client.send(&Request::get(HOST, "/"), &mut buf).unwrap_err();
    assert_eq!(e, Error::ClosedBeforeResponse { reused: true });
    assert!(e.to_string().contains("reused"), "{e}");
}

#[test]
fn closed_mid_response() {
    let mut buf = [0u8; 256];
    let cases: [(&[u8], ParseErrorKind); 3] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Le",
            ParseErrorKind::TruncatedHead,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nmy-r",
            ParseErrorKind::TruncatedBody {
                received: 4,
                expected: Some(7),
            },
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nmy-role\r\n",
            ParseErrorKind::TruncatedBody {
                received: 7,
                expected: None,
            },
        ),
    ];
    for (bytes, kind) in cases {
        let mut client = Client::new(Scripted::replying([bytes.to_vec()]));
        match client.send(&Request::get(HOST, "/"), &mut buf) {
            Err(Error::ClosedMidResponse(e)) => assert_eq!(e.kind(), kind),
            other => panic!("{other:?}"),
        }
        assert!(!client.is_reusable());
    }
}

#[test]
fn transport_errors_are_sorted() {
    let mut buf = [0u8; 256];
    let send = |conn: Scripted, buf: &mut [u8]| {
        let mut client = Client::new(conn);
        let e = client
            .send(&Request::get(HOST, "/"), buf)
            .map(|_| ())
            .unwrap_err();
        assert!(!client.is_reusable());
        assert!(!e.to_string().is_empty());
        e
    };
    assert_eq!(
        send(
            Scripted::new([ReadStep::Fail(ErrorKind::ConnectionReset)]),
            &mut buf
        ),
        Error::Io {
            kind: ErrorKind::ConnectionReset,
            phase: Phase::Read
        }
    );
    // A timeout after part of the response is still a timeout.
    assert_eq!(
        send(
            Scripted::new([
                ReadStep::Data(b"HTTP/1.1 200 OK\r\n".to_vec()),
                ReadStep::Fail(ErrorKind::TimedOut)
            ]),
            &mut buf
        ),
        Error::TimedOut { phase: Phase::Read }
    );
    let mut timed_out_writer = Scripted::replying([role_response()]);
    timed_out_writer.write_mode = WriteMode::Fail(ErrorKind::TimedOut);
    assert_eq!(
        send(timed_out_writer, &mut buf),
        Error::TimedOut {
            phase: Phase::Write
        }
    );
    let mut broken = Scripted::replying([role_response()]);
    broken.write_mode = WriteMode::Fail(ErrorKind::BrokenPipe);
    assert_eq!(
        send(broken, &mut buf),
        Error::Io {
            kind: ErrorKind::BrokenPipe,
            phase: Phase::Write
        }
    );
    // `Ok(0)` from write is an error, not a panic or a loop.
    let mut zero = Scripted::replying([role_response()]);
    zero.write_mode = WriteMode::Zero;
    assert_eq!(
        send(zero, &mut buf),
        Error::Io {
            kind: ErrorKind::WriteZero,
            phase: Phase::Write
        }
    );
}

#[test]
fn interrupted_calls_are_retried_a_bounded_number_of_times() {
    let mut buf = [0u8; 256];
    let mut steps = vec![ReadStep::Fail(ErrorKind::Interrupted); 3];
    steps.push(ReadStep::Data(role_response()));
    let mut client = Client::new(Scripted::new(steps));
    assert_eq!(
        client
            .send(&Request::get(HOST, "/"), &mut buf)
            .unwrap()
            .body(),
        b"my-role"
    );

    let steps = vec![ReadStep::Fail(ErrorKind::Interrupted); 100];
    let mut client = Client::new(Scripted::new(steps));
    assert_eq!(
        client.send(&Request::get(HOST, "/"), &mut buf),
        Err(Error::Io {
            kind: ErrorKind::Interrupted,
            phase: Phase::Read
        })
    );
    assert!(client.get_ref().read_calls < 100);
}

#[test]
fn an_invalid_request_sends_nothing_and_keeps_the_connection() {
    let mut client = Client::new(Scripted::replying([role_response()]));
    let mut buf = [0u8; 256];
    let evil = [Header::new(
        "x-aws-ec2-metadata-token",
        "abc\r\nX-Forwarded-For: 1.2.3.4",
    )];
    let e = client
        .send(&Request::get(HOST, "/").headers(&evil), &mut buf)
        .unwrap_err();
    assert_eq!(
        e,
        Error::InvalidRequest(RequestError::InvalidHeaderValue { header: 0, at: 3 })
    );
    assert!(client.get_ref().written.is_empty());
    assert_eq!(client.get_ref().read_calls, 0);
    assert!(client.is_reusable());
    // The connection still works.
    let r = client.send(&Request::get(HOST, "/"), &mut buf).unwrap();
    assert_eq!(r.body(), b"my-role");
}

#[test]
fn caps_and_malformed_responses_surface_as_their_own_errors() {
    let mut buf = [0u8; 256];
    let limits = Limits {
        max_head: 128,
        max_headers: 4,
        max_body: 16,
    };
    let run = |bytes: &[u8], buf: &mut [u8]| {
        let mut client = Client::with_limits(Scripted::replying([bytes.to_vec()]), limits);
        let e = client
            .send(&Request::get(HOST, "/"), buf)
            .map(|_| ())
            .unwrap_err();
        assert!(!client.is_reusable());
        e
    };
    assert_eq!(
        run(b"HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n", &mut buf),
        Error::CapExceeded {
            cap: Cap::Body,
            limit: 16
        }
    );
    assert_eq!(
        run(
            format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\n", "x".repeat(200)).as_bytes(),
            &mut buf
        ),
        Error::CapExceeded {
            cap: Cap::Head,
            limit: 128
        }
    );
    assert_eq!(
        run(
            b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n",
            &mut buf
        ),
        Error::CapExceeded {
            cap: Cap::HeaderCount,
            limit: 4
        }
    );
    let mut tiny = [0u8; 40];
    assert_eq!(
        run(
            b"HTTP/1.1 200 OK\r\nContent-Length: 16\r\nConnection: keep-alive\r\n\r\n",
            &mut tiny
        ),
        Error::CapExceeded {
            cap: Cap::Buffer,
            limit: 40
        }
    );
    match run(b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n", &mut buf) {
        Error::Malformed(e) => {
            assert_eq!(e.kind(), ParseErrorKind::ObsoleteLineFolding);
            assert_eq!(e.line(), Some(3));
        }
        other => panic!("{other:?}"),
    }
    match run(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
        &mut buf,
    ) {
        Error::Malformed(e) => assert_eq!(e.kind(), ParseErrorKind::ChunkSizeOverflow),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_explain_themselves() {
    let cases = [
        (
            Error::CapExceeded {
                cap: Cap::Body,
                limit: 16,
            },
            "exceeds the body size cap of 16",
        ),
        (
            Error::TimedOut { phase: Phase::Read },
            "timed out while reading the response",
        ),
        (
            Error::Io {
                kind: ErrorKind::ConnectionReset,
                phase: Phase::Write,
            },
            "I/O error while sending the request: ConnectionReset",
        ),
        (
            Error::ClosedBeforeResponse { reused: false },
            "closed before any byte",
        ),
        (Error::ConnectionNotReusable, "open a new one"),
        (
            Error::InvalidRequest(RequestError::EmptyHost),
            "the host is empty",
        ),
    ];
    for (e, want) in cases {
        assert!(e.to_string().contains(want), "{e} lacks {want:?}");
    }
}
