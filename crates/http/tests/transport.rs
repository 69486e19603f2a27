//! `HttpClient` on its own, against small hand-written servers on loopback that misbehave in
//! ways `credchain-server` does not: closing kept connections, `Connection: close`, endless
//! chunked bodies, garbage instead of HTTP, silence, a full accept queue. And the proof that
//! `HTTP_PROXY` is never used.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{assert_same, imds_config, within};
use credchain_core::http::{
    Header, Headers, Instant as MachineInstant, Method, RequestId, Scheme, Transmit,
    TransportError, header,
};
use credchain_http::{HttpClient, ImdsFetcher, ImdsOutcome, Limits, SendErrorKind};
use credchain_server::{CredentialSet, ImdsServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

const LIMIT: Duration = Duration::from_secs(20);

fn transmit<'a>(
    addr: &'a str,
    port: u16,
    method: Method,
    target: &'a str,
    timeout: Duration,
) -> Transmit<'a> {
    let mut headers = Headers::new();
    if method == Method::Put {
        headers
            .push(Header {
                name: header::TOKEN_TTL,
                value: "21600",
            })
            .unwrap();
    }
    Transmit {
        id: RequestId(0),
        method,
        scheme: Scheme::Http,
        host: addr,
        port,
        authority: addr,
        target,
        headers,
        timeout,
        deadline: MachineInstant::from_secs(3600),
    }
}

/// Reads one request head (up to the blank line); `false` at end of stream.
async fn read_head(s: &mut TcpStream) -> bool {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte).await {
            Ok(1) => seen.push(byte[0]),
            _ => return false,
        }
    }
    true
}

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// A server that answers one request per connection with `answer`, then runs `after`.
async fn one_per_connection(
    answer: &'static [u8],
    close_after: bool,
) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                while read_head(&mut s).await {
                    if s.write_all(answer).await.is_err() {
                        return;
                    }
                    if close_after {
                        let _ = s.shutdown().await;
                        return;
                    }
                }
            });
        }
    });
    (addr, accepted)
}

#[tokio::test]
async fn a_connection_the_server_closed_while_idle_is_not_reused() {
    within(LIMIT, async {
        // Keep-alive answers, but the server closes each connection once it has answered.
        let (addr, accepted) = one_per_connection(OK, true).await;
        let host = addr.ip().to_string();
        let mut http = HttpClient::new();
        for i in 0..3 {
            let tx = transmit(&host, addr.port(), Method::Get, "/", Duration::from_secs(1));
            let r = http.send(&tx).await.unwrap();
            assert_eq!((r.status(), r.body()), (200, &b"ok"[..]), "request {i}");
            // Let the close reach the client sometimes before, sometimes after the next send.
            if i == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        assert_eq!(http.stats().connections_opened, 3);
    })
    .await;
}

#[tokio::test]
async fn connection_close_is_honoured_and_keep_alive_reused() {
    within(LIMIT, async {
        const CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
        let (addr, accepted) = one_per_connection(CLOSE, false).await;
        let host = addr.ip().to_string();
        let mut http = HttpClient::new();
        for _ in 0..2 {
            let tx = transmit(&host, addr.port(), Method::Get, "/", Duration::from_secs(1));
            assert_eq!(http.send(&tx).await.unwrap().status(), 200);
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
        assert_eq!(http.stats().reused, 0);
        assert_eq!(http.idle_connections(), 0);

        let (addr, accepted) = one_per_connection(OK, false).await;
        let host = addr.ip().to_string();
        let mut http = HttpClient::new();
        for _ in 0..3 {
            let tx = transmit(&host, addr.port(), Method::Get, "/", Duration::from_secs(1));
            assert_eq!(http.send(&tx).await.unwrap().body(), b"ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(http.stats().reused, 2);
        assert_eq!(http.idle_connections(), 1);
        http.close_idle();
        assert_eq!(http.idle_connections(), 0);

        // No pool at all.
        let mut http = HttpClient::with_limits(Limits {
            max_idle_connections: 0,
            ..Limits::default()
        });
        for _ in 0..2 {
            let tx = transmit(&host, addr.port(), Method::Get, "/", Duration::from_secs(1));
            assert_eq!(http.send(&tx).await.unwrap().status(), 200);
        }
        assert_eq!(http.stats().connections_opened, 2);
    })
    .await;
}

/// A chunked body with no end is cut at the limit: the client stops reading and drops the
/// connection, so the server's writes start failing long before its 64 MiB are out.
#[tokio::test]
async fn an_endless_chunked_body_is_cut_at_the_limit() {
    within(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            assert!(read_head(&mut s).await);
            s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                .await
                .unwrap();
            let chunk = {
                let mut c = b"4000\r\n".to_vec();
                c.extend_from_slice(&[b' '; 0x4000]);
                c.extend_from_slice(b"\r\n");
                c
            };
            let mut written = 0u64;
            while written < 64 << 20 {
                if s.write_all(&chunk).await.is_err() {
                    break;
                }
                written += 0x4000;
            }
            written
        });
        let host = addr.ip().to_string();
        let mut http = HttpClient::new();
        let tx = transmit(&host, addr.port(), Method::Get, "/", Duration::from_secs(5));
        let e = http.send(&tx).await.unwrap_err();
        assert_eq!(
            e.kind(),
            SendErrorKind::BodyTooLarge {
                limit: 64 * 1024,
                declared: None
            }
        );
        assert_eq!(e.transport_error(), TransportError::Other);
        assert_eq!(http.idle_connections(), 0);
        let written = server.await.unwrap();
        assert!(written < 64 << 20, "the server wrote {written} bytes");
    })
    .await;
}

#[tokio::test]
async fn a_declared_length_beyond_the_limit_is_refused_unread() {
    within(LIMIT, async {
        let server = ImdsServer::builder().start().await.unwrap();
        let host = "127.0.0.1".to_owned();
        let port = server.addr().port();
        let mut http = HttpClient::with_limits(Limits {
            max_body_bytes: 100,
            ..Limits::default()
        });
        // The token (56 bytes) fits; the identity document does not.
        let tx = transmit(
            &host,
            port,
            Method::Put,
            "/latest/api/token",
            Duration::from_secs(1),
        );
        let token = http.send(&tx).await.unwrap();
        assert_eq!(token.status(), 200);
        assert_eq!(token.body().len(), 56);
        assert_eq!(token.token_ttl(), Some("21600"));
        assert!(!format!("{token:?}").contains(std::str::from_utf8(token.body()).unwrap()));
        let tx = transmit(
            &host,
            port,
            Method::Get,
            "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance",
            Duration::from_secs(1),
        );
        let e = http.send(&tx).await.unwrap_err();
        let SendErrorKind::BodyTooLarge {
            limit: 100,
            declared: Some(n),
        } = e.kind()
        else {
            panic!("{e:?}")
        };
        assert!(n > 100);
        // The limit applies whatever the status: a 404's error page is over 100 bytes too.
        let tx = transmit(&host, port, Method::Get, "/nowhere", Duration::from_secs(1));
        let e = http.send(&tx).await.unwrap_err();
        assert!(
            matches!(e.kind(), SendErrorKind::BodyTooLarge { .. }),
            "{e}"
        );
        // Under the default limit the status passes through as it is.
        let mut http = HttpClient::new();
        let r = http.send(&tx).await.unwrap();
        assert_eq!(r.status(), 404);
        assert_eq!(r.token_ttl(), None);
    })
    .await;
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_closed_connection() {
    within(LIMIT, async {
        let (addr, _) = one_per_connection(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", true).await;
        let host = addr.ip().to_string();
        let mut http = HttpClient::new();
        let tx = transmit(&host, addr.port(), Method::Get, "/", Duration::from_secs(1));
        let e = http.send(&tx).await.unwrap_err();
        assert_eq!(e.kind(), SendErrorKind::ConnectionClosed);
        assert_eq!(e.transport_error(), TransportError::ConnectionClosed);
        assert!(e.detail().is_some());
    })
    .await;
}

#[tokio::test]
async fn a_silent_server_is_a_read_timeout() {
    within(LIMIT, async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            read_head(&mut s).await;
            // Holds the connection until the client goes away.
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest).await;
        });
        let host = addr.ip().to_string();
        let mut http = HttpClient::new();
        let timeout = Duration::from_millis(300);
        let tx = transmit(&host, addr.port(), Method::Get, "/", timeout);
        let started = Instant::now();
        let e = http.send(&tx).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(e.kind(), SendErrorKind::ReadTimeout);
        assert_eq!(e.transport_error(), TransportError::ReadTimeout);
        assert!(took >= timeout && took < timeout * 3, "took {took:?}");
    })
    .await;
}

/// A listener whose accept queue is full drops new SYNs: connecting hangs, and the connect
/// timeout ends it.
#[tokio::test]
async fn a_full_accept_queue_is_a_connect_timeout() {
    within(LIMIT, async {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let listener = socket.listen(0).unwrap();
        let addr = listener.local_addr().unwrap();
        // Fill the queue (never accepted) until a connect hangs.
        let mut held = Vec::new();
        let mut full = false;
        for _ in 0..16 {
            match tokio::time::timeout(Duration::from_millis(300), TcpStream::connect(addr)).await {
                Ok(Ok(s)) => held.push(s),
                Ok(Err(e)) => panic!("connect failed: {e}"),
                Err(_) => {
                    full = true;
                    break;
                }
            }
        }
        assert!(full, "the accept queue never filled up");
        let host = addr.ip().to_string();
        let mut http = HttpClient::new();
        let timeout = Duration::from_millis(400);
        let tx = transmit(
            &host,
            addr.port(),
            Method::Put,
            "/latest/api/token",
            timeout,
        );
        let started = Instant::now();
        let e = http.send(&tx).await.unwrap_err();
        let took = started.elapsed();
        assert_eq!(e.kind(), SendErrorKind::ConnectTimeout);
        assert_eq!(e.transport_error(), TransportError::ConnectTimeout);
        assert!(took >= timeout && took < timeout * 3, "took {took:?}");
        assert_eq!(http.stats().connections_opened, 0);
        drop(listener);
    })
    .await;
}

#[tokio::test]
async fn a_refused_connection_is_connect_failed() {
    within(LIMIT, async {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut http = HttpClient::new();
        let tx = transmit("127.0.0.1", port, Method::Get, "/", Duration::from_secs(1));
        let e = http.send(&tx).await.unwrap_err();
        assert_eq!(e.kind(), SendErrorKind::ConnectFailed);
        assert_eq!(e.transport_error(), TransportError::ConnectFailed);
        assert!(e.to_string().starts_with("could not connect: "), "{e}");
    })
    .await;
}

/// `HTTP_PROXY` and friends point at a listener that would see any proxied request; a child
/// process with them set fetches from IMDS all the same, and the listener sees no connection.
/// (A child process, because changing the environment of this multi-threaded test process is
/// not sound.)
#[test]
fn proxy_variables_are_never_used() {
    const CHILD: &str = "CREDCHAIN_HTTP_PROXY_CHILD";
    if std::env::var_os(CHILD).is_some() {
        // In the child: the variables are set.
        assert!(
            std::env::var("HTTP_PROXY")
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(within(LIMIT, async {
            let server = ImdsServer::builder().start().await.unwrap();
            let url = server.endpoint();
            let mut imds = ImdsFetcher::new(imds_config(&url, 1));
            let out = imds.role_credentials().await.unwrap();
            let ImdsOutcome::Credentials(found) = out else {
                panic!("{out:?}")
            };
            assert_same(
                &found.credentials,
                &server.credentials(CredentialSet::RoleV2).unwrap(),
                "through no proxy",
            );
            assert_eq!(server.transcript().len(), 3);
        }));
        return;
    }
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["proxy_variables_are_never_used", "--exact", "--nocapture"])
        .env(CHILD, "1")
        .env("HTTP_PROXY", &proxy_url)
        .env("http_proxy", &proxy_url)
        .env("HTTPS_PROXY", &proxy_url)
        .env("https_proxy", &proxy_url)
        .env("ALL_PROXY", &proxy_url)
        .env("all_proxy", &proxy_url)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The child really ran the test (not zero tests by a filter mistake).
    assert!(stdout.contains("1 passed"), "{stdout}");
    proxy.set_nonblocking(true).unwrap();
    match proxy.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the proxy was contacted: {other:?}"),
    }
}
