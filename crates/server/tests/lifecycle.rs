//! Starting, binding and stopping.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{DEADLINE, Req, send, token};
use credchain_server::{ContainerServer, Error, Fault, FaultRule, ImdsServer};
use tokio::net::TcpStream;
use tokio::time::timeout;

async fn refused(addr: SocketAddr) -> bool {
    matches!(
        timeout(DEADLINE, TcpStream::connect(addr)).await,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused
    )
}

#[tokio::test]
async fn binds_loopback_by_default_and_a_given_port_when_asked() {
    let imds = ImdsServer::builder().start().await.unwrap();
    assert!(imds.addr().ip().is_loopback());
    assert_ne!(imds.addr().port(), 0);
    assert_eq!(
        imds.endpoint(),
        format!("http://127.0.0.1:{}/", imds.addr().port())
    );

    // A port chosen by the caller.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let asked: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let imds2 = ImdsServer::builder().bind(asked).start().await.unwrap();
    assert_eq!(imds2.addr(), asked);
    assert_eq!(
        send(asked, Req::get("/latest/meta-data/instance-id"))
            .await
            .status,
        200
    );

    // The same port again is an error that names the address.
    let err = ImdsServer::builder().bind(asked).start().await.unwrap_err();
    assert!(
        matches!(err, Error::Bind { addr, .. } if addr == asked),
        "{err}"
    );
    assert!(err.to_string().contains(&asked.to_string()));

    // IPv6 loopback, where the machine has it.
    if std::net::TcpListener::bind("[::1]:0").is_ok() {
        let v6 = ImdsServer::builder()
            .bind("[::1]:0".parse().unwrap())
            .start()
            .await
            .unwrap();
        assert!(v6.endpoint().starts_with("http://[::1]:"));
        assert_eq!(
            send(v6.addr(), Req::get("/latest/meta-data/instance-id"))
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn stop_closes_the_port_and_drop_does_too() {
    let imds = ImdsServer::builder().start().await.unwrap();
    let addr = imds.addr();
    token(addr, 60).await;
    timeout(DEADLINE, imds.stop()).await.unwrap();
    assert!(refused(addr).await, "port still open after stop()");

    let server = ContainerServer::builder().start().await.unwrap();
    let addr = server.addr();
    drop(server);
    // Dropping aborts the accept task; give the runtime a moment to run the abort.
    let mut closed = false;
    for _ in 0..100 {
        if refused(addr).await {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(closed, "port still open after drop");
}

#[tokio::test]
async fn invalid_configuration_is_refused_at_start() {
    for (builder, what) in [
        (ImdsServer::builder().hop_limit(0), "hop limit"),
        (ImdsServer::builder().hop_limit(65), "hop limit"),
        (ImdsServer::builder().role("has space"), "role name"),
        (
            ImdsServer::builder().forwarded_for_status(Some(42)),
            "X-Forwarded-For status",
        ),
        (
            ImdsServer::builder().fault(FaultRule::everywhere(Fault::Status(700))),
            "fault status",
        ),
    ] {
        let err = builder.start().await.unwrap_err();
        match &err {
            Error::Config { what: w, .. } => assert_eq!(*w, what, "{err}"),
            other => panic!("expected a config error, got {other}"),
        }
        assert!(
            err.to_string().starts_with(&format!("invalid {what}:")),
            "{err}"
        );
    }
}
