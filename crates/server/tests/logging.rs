//! What the servers log: enough to follow each request, and never a secret.
//!
//! This test has its own binary: `tracing` caches per call site whether anyone listens, and a
//! test running without a subscriber on another thread of the same process could make the
//! call sites look disabled to the subscriber installed here.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::sync::{Arc, Mutex};

use common::{DEADLINE, Req, send, token};
use credchain_server::{ContainerServer, Fault, FaultRule, HttpTokens, ImdsServer};

/// A `tracing` subscriber that keeps every event and span field as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={:?}", field.name(), value));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut line = String::from("span");
        attrs.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push(line);
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        let mut line = String::from("record");
        values.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = format!("{}", event.metadata().level());
        event.record(&mut Fields(&mut line));
        self.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[test]
fn logs_never_contain_secrets() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    // A current-thread runtime: every server task runs on this thread, under the subscriber.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (secrets, lines) = rt.block_on(async {
        let imds = ImdsServer::builder()
            .http_tokens(HttpTokens::Required)
            .fault(FaultRule::on_path("/latest/meta-data/instance-id", Fault::Reset).once())
            .start()
            .await
            .unwrap();
        let tok = token(imds.addr(), 60).await;
        let doc = send(
            imds.addr(),
            Req::get("/latest/meta-data/iam/security-credentials/credchain-role").token(&tok),
        )
        .await
        .json();
        send(
            imds.addr(),
            Req::get("/latest/meta-data/").token("bogus-token-value"),
        )
        .await;
        let mut c = common::Conn::open(imds.addr()).await;
        let _ = c
            .try_send(
                &Req::get("/latest/meta-data/instance-id").token(&tok),
                DEADLINE,
            )
            .await;

        let container = ContainerServer::builder().start().await.unwrap();
        let auth = container.authorization_token().unwrap().to_owned();
        let path = container.settings().path;
        let cdoc = send(
            container.addr(),
            Req::get(&path).header("Authorization", auth.clone()),
        )
        .await
        .json();
        send(
            container.addr(),
            Req::get(&path).header("Authorization", "wrong-auth-value"),
        )
        .await;
        imds.stop().await;
        container.stop().await;
        let secrets = vec![
            tok,
            doc["SecretAccessKey"].as_str().unwrap().to_owned(),
            doc["Token"].as_str().unwrap().to_owned(),
            auth,
            cdoc["SecretAccessKey"].as_str().unwrap().to_owned(),
            cdoc["Token"].as_str().unwrap().to_owned(),
            "bogus-token-value".to_owned(),
            "wrong-auth-value".to_owned(),
        ];
        (secrets, capture.0.lock().unwrap().clone())
    });
    // The servers did log: start, each request, the fault, stop.
    let requests = lines
        .iter()
        .filter(|l| l.contains("message=request"))
        .count();
    assert!(requests >= 6, "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("message=listening")));
    assert!(lines.iter().any(|l| l.contains("message=stopped")));
    for secret in &secrets {
        for line in &lines {
            assert!(
                !line.contains(secret.as_str()),
                "secret in log line: {line}"
            );
        }
    }
}
