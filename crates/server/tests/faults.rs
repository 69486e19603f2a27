//! Every injected fault, observed from the client side over loopback, each within a deadline,
//! and recorded in the transcript.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::{Duration, Instant};

use common::{Conn, DEADLINE, Failure, Req, send};
use credchain_server::{
    Fault, FaultKind, FaultRule, ImdsServer, Outcome, Throttle, ThrottleAction,
};
use tokio::time::timeout;

const TTL: &str = "X-aws-ec2-metadata-token-ttl-seconds";
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/credchain-role";

fn token_put() -> Req<'static> {
    Req::put("/latest/api/token").header(TTL, "60")
}

#[tokio::test]
async fn delay_slows_the_answer_and_adds_up() {
    let imds = ImdsServer::builder()
        .fault(FaultRule::on_prefix(
            "/latest/meta-data/",
            Fault::Delay(Duration::from_millis(200)),
        ))
        .fault(FaultRule::everywhere(Fault::Delay(Duration::from_millis(100))).once())
        .start()
        .await
        .unwrap();
    let t0 = Instant::now();
    let r = send(imds.addr(), Req::get("/latest/meta-data/instance-id")).await;
    let first = t0.elapsed();
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "i-0123456789abcdef0");
    assert!(first >= Duration::from_millis(300), "{first:?}");
    let t1 = Instant::now();
    send(imds.addr(), Req::get("/latest/meta-data/instance-id")).await;
    let second = t1.elapsed();
    assert!(second >= Duration::from_millis(200), "{second:?}");
    // Another path is not delayed by the prefix rule (the transcript says so below).
    assert_eq!(send(imds.addr(), token_put()).await.status, 200);
    // A client with a shorter read timeout times out.
    let mut c = Conn::open(imds.addr()).await;
    let r = c
        .try_send(
            &Req::get("/latest/meta-data/instance-id"),
            Duration::from_millis(50),
        )
        .await;
    assert!(matches!(r, Err(Failure::TimedOut)), "{r:?}");
    let t = imds.transcript();
    assert_eq!(t[0].delay, Duration::from_millis(300));
    assert_eq!(t[1].delay, Duration::from_millis(200));
    assert_eq!(t[2].delay, Duration::ZERO);
}

#[tokio::test]
async fn stall_never_answers_and_stop_still_returns() {
    let imds = ImdsServer::builder()
        .fault(FaultRule::on_path("/latest/api/token", Fault::Stall).method("PUT"))
        .start()
        .await
        .unwrap();
    let mut c = Conn::open(imds.addr()).await;
    let r = c.try_send(&token_put(), Duration::from_millis(500)).await;
    assert!(matches!(r, Err(Failure::TimedOut)), "{r:?}");
    // Other paths answer meanwhile.
    let r = send(imds.addr(), Req::get("/latest/meta-data/instance-id")).await;
    assert_eq!(r.status, 200);
    let t = imds.transcript();
    assert_eq!(
        t[0].outcome,
        Outcome::Fault {
            fault: FaultKind::Stall
        }
    );
    assert_eq!(t[0].status(), None);
    // A second stalled client is held too; stopping the server ends both connections.
    let mut c2 = Conn::open(imds.addr()).await;
    let r = c2.try_send(&token_put(), Duration::from_millis(200)).await;
    assert!(matches!(r, Err(Failure::TimedOut)), "{r:?}");
    timeout(DEADLINE, imds.stop()).await.expect("stop returns");
    let rest = c.read_to_close(DEADLINE).await;
    assert!(
        matches!(rest, Ok(ref b) if b.is_empty()) || matches!(rest, Err(Failure::Reset)),
        "{rest:?}"
    );
}

#[tokio::test]
async fn reset_and_close_end_the_connection_without_an_answer() {
    let imds = ImdsServer::builder()
        .fault(FaultRule::on_path("/reset", Fault::Reset))
        .fault(FaultRule::on_path("/close", Fault::Close))
        .start()
        .await
        .unwrap();
    let mut c = Conn::open(imds.addr()).await;
    let r = c.try_send(&Req::get("/reset"), DEADLINE).await;
    assert!(matches!(r, Err(Failure::Reset)), "RST expected, got {r:?}");
    let mut c = Conn::open(imds.addr()).await;
    let r = c.try_send(&Req::get("/close"), DEADLINE).await;
    assert!(
        matches!(r, Err(Failure::ClosedBeforeHead { got: 0 })),
        "FIN expected, got {r:?}"
    );
    let t = imds.transcript();
    assert_eq!(
        t[0].outcome,
        Outcome::Fault {
            fault: FaultKind::Reset
        }
    );
    assert_eq!(
        t[1].outcome,
        Outcome::Fault {
            fault: FaultKind::Close
        }
    );
}

#[tokio::test]
async fn status_faults_once_then_normal_and_counted() {
    let imds = ImdsServer::builder()
        .fault(FaultRule::on_path("/latest/api/token", Fault::Status(503)).once())
        .fault(FaultRule::on_path(ROLE_PATH, Fault::Status(500)).times(2))
        .start()
        .await
        .unwrap();
    let r = send(imds.addr(), token_put()).await;
    assert_eq!(r.status, 503);
    assert!(r.text().contains("503 - Service Unavailable"));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(r.header(TTL), None);
    assert_eq!(send(imds.addr(), token_put()).await.status, 200);
    assert_eq!(send(imds.addr(), Req::get(ROLE_PATH)).await.status, 500);
    assert_eq!(send(imds.addr(), Req::get(ROLE_PATH)).await.status, 500);
    let r = send(imds.addr(), Req::get(ROLE_PATH)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["Code"], "Success");
    assert!(imds.controls().faults_in_force().is_empty());
    let statuses: Vec<Option<u16>> = imds.transcript().iter().map(|e| e.status()).collect();
    assert_eq!(
        statuses,
        [Some(503), Some(200), Some(500), Some(500), Some(200)]
    );
}

#[tokio::test]
async fn truncated_body_declares_more_than_it_sends() {
    let imds = ImdsServer::builder()
        .fault(FaultRule::on_path(ROLE_PATH, Fault::TruncatedBody))
        .fault(FaultRule::on_path(
            "/latest/meta-data/iam/security-credentials/",
            Fault::TruncatedBody,
        ))
        .start()
        .await
        .unwrap();
    let mut c = Conn::open(imds.addr()).await;
    let r = c.try_send(&Req::get(ROLE_PATH), DEADLINE).await;
    let Err(Failure::Truncated {
        status,
        declared,
        got,
    }) = r
    else {
        panic!("truncated body expected, got {r:?}");
    };
    assert_eq!(status, 200);
    assert!(
        declared > 500,
        "the whole document was declared: {declared}"
    );
    assert_eq!(got, declared / 2);
    let t = imds.transcript();
    assert_eq!(
        t[0].outcome,
        Outcome::Truncated {
            status: 200,
            declared: declared as u64,
            sent: got as u64
        }
    );
    // The listing "credchain-role" (14 bytes) is cut to 7.
    let mut c = Conn::open(imds.addr()).await;
    let r = c
        .try_send(
            &Req::get("/latest/meta-data/iam/security-credentials/"),
            DEADLINE,
        )
        .await;
    assert!(
        matches!(
            r,
            Err(Failure::Truncated {
                status: 200,
                declared: 14,
                got: 7
            })
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn oversized_body_is_sent_whole() {
    let imds = ImdsServer::builder()
        .fault(FaultRule::on_path(ROLE_PATH, Fault::oversized()).once())
        .start()
        .await
        .unwrap();
    let mut c = Conn::open(imds.addr()).await;
    let r = c.send(&Req::get(ROLE_PATH)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some("10485760"));
    assert_eq!(r.body.len(), 10 * 1024 * 1024);
    assert!(r.body.iter().all(|&b| b == b' '));
    // The connection is still usable, and the rule is used up.
    let r = c.send(&Req::get(ROLE_PATH)).await;
    assert_eq!(r.json()["Code"], "Success");
    assert_eq!(
        imds.transcript()[0].outcome,
        Outcome::Oversized {
            status: 200,
            body_len: 10 * 1024 * 1024
        }
    );
}

#[tokio::test]
async fn throttle_stalls_beyond_the_budget_then_recovers() {
    let imds = ImdsServer::builder()
        .throttle(Throttle::new(0.5, 2, ThrottleAction::Stall).unwrap())
        .start()
        .await
        .unwrap();
    let path = "/latest/meta-data/instance-id";
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    let mut c = Conn::open(imds.addr()).await;
    let r = c
        .try_send(&Req::get(path), Duration::from_millis(150))
        .await;
    assert!(matches!(r, Err(Failure::TimedOut)), "{r:?}");
    // One request per two seconds: after that long there is budget again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    let t = imds.transcript();
    assert_eq!(
        t[2].outcome,
        Outcome::Throttled {
            fault: FaultKind::Stall
        }
    );
    assert_eq!(t[3].status(), Some(200));
    // Removing the throttle lifts it.
    imds.controls().set_throttle(None);
    for _ in 0..10 {
        assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    }
}

#[tokio::test]
async fn throttle_can_drop_instead() {
    let imds = ImdsServer::builder().start().await.unwrap();
    imds.controls()
        .set_throttle(Some(Throttle::new(0.1, 1, ThrottleAction::Drop).unwrap()));
    let path = "/latest/meta-data/instance-id";
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    let mut c = Conn::open(imds.addr()).await;
    let r = c.try_send(&Req::get(path), DEADLINE).await;
    assert!(matches!(r, Err(Failure::Reset)), "{r:?}");
    assert_eq!(
        imds.transcript()[1].outcome,
        Outcome::Throttled {
            fault: FaultKind::Reset
        }
    );
}

#[tokio::test]
async fn faults_are_live_controls() {
    let imds = ImdsServer::builder().start().await.unwrap();
    let path = "/latest/meta-data/instance-id";
    let id = imds
        .controls()
        .add_fault(FaultRule::everywhere(Fault::Status(502)))
        .unwrap();
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 502);
    assert_eq!(send(imds.addr(), token_put()).await.status, 502);
    assert!(imds.controls().remove_fault(id));
    assert!(!imds.controls().remove_fault(id));
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    imds.controls()
        .add_fault(FaultRule::on_path(path, Fault::Status(429)).method("HEAD"))
        .unwrap();
    assert_eq!(send(imds.addr(), Req::get(path)).await.status, 200);
    let mut c = Conn::open(imds.addr()).await;
    assert_eq!(c.send(&Req::new("HEAD", path)).await.status, 429);
    imds.controls().clear_faults();
    assert_eq!(c.send(&Req::new("HEAD", path)).await.status, 200);
    assert!(
        imds.controls()
            .add_fault(FaultRule::everywhere(Fault::Status(600)))
            .is_err()
    );
    assert!(
        imds.controls()
            .add_fault(FaultRule::everywhere(Fault::Status(100)))
            .is_err()
    );
}

#[tokio::test]
async fn wait_for_requests_sees_a_stalled_request() {
    let imds = ImdsServer::builder()
        .fault(FaultRule::everywhere(Fault::Stall))
        .start()
        .await
        .unwrap();
    let addr = imds.addr();
    let client = tokio::spawn(async move {
        let mut c = Conn::open(addr).await;
        c.try_send(&Req::get("/x"), Duration::from_secs(5)).await
    });
    timeout(DEADLINE, imds.controls().wait_for_requests(1))
        .await
        .expect("the request is recorded while it stalls");
    assert_eq!(
        imds.transcript()[0].outcome,
        Outcome::Fault {
            fault: FaultKind::Stall
        }
    );
    // Dropping the handle stops the server, which ends the stalled connection.
    drop(imds);
    let r = timeout(DEADLINE, client)
        .await
        .expect("client ends")
        .unwrap();
    assert!(
        matches!(
            r,
            Err(Failure::ClosedBeforeHead { got: 0 }) | Err(Failure::Reset)
        ),
        "{r:?}"
    );
}
