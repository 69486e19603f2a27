//! Helpers shared by the integration tests: deadlines, configurations, transcript summaries,
//! and the Python peers (botocore, moto).

#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

use credchain_core::imds::{Endpoint, ImdsConfig, Improvements};
use credchain_http::Credentials;
use credchain_server::{Exchange, FaultKind, Outcome};

/// Runs `f`, failing the test if it does not finish within `limit`: no test can hang.
pub(crate) async fn within<F: Future>(limit: Duration, f: F) -> F::Output {
    match tokio::time::timeout(limit, f).await {
        Ok(out) => out,
        Err(_) => panic!("the test did not finish within {limit:?}"),
    }
}

/// An IMDS configuration for the server at `url`: botocore's defaults (timeout 1 s) with
/// `attempts`, and credchain's improvements.
pub(crate) fn imds_config(url: &str, attempts: u32) -> ImdsConfig<'_> {
    ImdsConfig {
        endpoint: Endpoint::custom(url).unwrap(),
        attempts,
        ..ImdsConfig::default()
    }
}

/// The same, behaving exactly as botocore 1.43.11 does.
pub(crate) fn botocore_config(url: &str, attempts: u32) -> ImdsConfig<'_> {
    ImdsConfig {
        improvements: Improvements::BOTOCORE,
        ..imds_config(url, attempts)
    }
}

/// One exchange as a line: `METHOD path [token] -> outcome`.
pub(crate) fn line(e: &Exchange) -> String {
    let token = if e.header("x-aws-ec2-metadata-token").is_some() {
        " [token]"
    } else {
        ""
    };
    let outcome = match e.outcome {
        Outcome::Answered { status, .. } => status.to_string(),
        Outcome::Truncated { status, .. } => format!("{status} truncated"),
        Outcome::Oversized { status, body_len } => format!("{status} oversized {body_len}"),
        Outcome::Fault { fault } | Outcome::Throttled { fault } => match fault {
            FaultKind::Stall => "stall".to_owned(),
            FaultKind::Reset => "reset".to_owned(),
            FaultKind::Close => "close".to_owned(),
            other => format!("{other:?}"),
        },
        other => format!("{other:?}"),
    };
    format!("{} {}{token} -> {outcome}", e.method, e.path)
}

pub(crate) fn lines(t: &[Exchange]) -> Vec<String> {
    t.iter().map(line).collect()
}

pub(crate) const TOKEN: &str = "/latest/api/token";
pub(crate) const ROLES: &str = "/latest/meta-data/iam/security-credentials/";
pub(crate) const DOC: &str = "/latest/meta-data/iam/security-credentials/credchain-role";

/// Whether credchain's credentials are the ones the server serves.
pub(crate) fn assert_same(found: &Credentials, served: &credchain_server::Credentials, what: &str) {
    assert_eq!(found.access_key_id, served.access_key_id, "{what}");
    assert_eq!(
        found.secret_access_key.expose(),
        served.secret_access_key,
        "{what}"
    );
    assert_eq!(found.session_token.expose(), served.session_token, "{what}");
    assert_eq!(found.expiration, served.expiration, "{what}");
}

/// `CREDCHAIN_SKIP_BOTOCORE=1`.
pub(crate) fn skip_botocore() -> bool {
    std::env::var("CREDCHAIN_SKIP_BOTOCORE").is_ok_and(|v| v == "1")
}

/// `CREDCHAIN_SKIP_MOTO=1`.
pub(crate) fn skip_moto() -> bool {
    std::env::var("CREDCHAIN_SKIP_MOTO").is_ok_and(|v| v == "1")
}
