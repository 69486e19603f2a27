//! A faithful IMDS on loopback, serving one fixed set of role credentials, for programs that
//! cannot start a tokio server themselves — the freestanding image's `check.sh` runs it and
//! points the image at it.
//!
//! ```text
//! cargo run -p credchain-server --example imds
//! endpoint http://127.0.0.1:40123/
//! role credchain-role
//! access_key_id ASIAEXAMPLEFIXED0001
//! expiration 2030-01-01T00:00:00Z
//! ```
//!
//! It binds `127.0.0.1:0`, requires IMDSv2 session tokens (so a client that falls back to
//! IMDSv1 gets nothing), prints where it listens and what it serves — never the secret key or
//! the session token — and runs until its standard input closes (or a signal ends it). Then it
//! prints one line per request it received, from its transcript:
//!
//! ```text
//! request 0 connection 0/0 PUT /latest/api/token 200 issued
//! request 1 connection 0/1 GET /latest/meta-data/iam/security-credentials/ 200 valid
//! ```
//!
//! The credentials can be chosen with `CREDCHAIN_SERVE_ACCESS_KEY_ID`,
//! `CREDCHAIN_SERVE_SECRET_ACCESS_KEY`, `CREDCHAIN_SERVE_SESSION_TOKEN` and
//! `CREDCHAIN_SERVE_EXPIRATION` (RFC 3339); made-up defaults are used otherwise.

use std::io::{Read as _, Write as _};

use credchain_core::time::Timestamp;
use credchain_server::{AuthCheck, Credentials, HttpTokens, ImdsServer};

const DEFAULT_ACCESS_KEY_ID: &str = "ASIAEXAMPLEFIXED0001";
const DEFAULT_SECRET_ACCESS_KEY: &str = "ZXhhbXBsZS1zZWNyZXQta2V5LW5vdC1yZWFsLTAwMQ";
const DEFAULT_SESSION_TOKEN: &str = "IQoJb3JpZ2luX2VjEXAMPLE/session+token/not/real==";
const DEFAULT_EXPIRATION: &str = "2030-01-01T00:00:00Z";

fn setting(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn timestamp(name: &str, text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).map_err(|e| format!("{name}: {text:?} is not an RFC 3339 time: {e}"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let expiration_text = setting("CREDCHAIN_SERVE_EXPIRATION", DEFAULT_EXPIRATION);
    let expiration = timestamp("CREDCHAIN_SERVE_EXPIRATION", &expiration_text)?;
    let credentials = Credentials {
        access_key_id: setting("CREDCHAIN_SERVE_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID),
        secret_access_key: setting(
            "CREDCHAIN_SERVE_SECRET_ACCESS_KEY",
            DEFAULT_SECRET_ACCESS_KEY,
        ),
        session_token: setting("CREDCHAIN_SERVE_SESSION_TOKEN", DEFAULT_SESSION_TOKEN),
        expiration,
        last_updated: timestamp("last updated", "2026-01-01T00:00:00Z")?,
        account_id: None,
    };
    let access_key_id = credentials.access_key_id.clone();

    let imds = ImdsServer::builder()
        .http_tokens(HttpTokens::Required)
        .credentials(credentials)
        .start()
        .await?;
    let role = imds.settings().role.unwrap_or_default();
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "endpoint {}", imds.endpoint())?;
        writeln!(out, "role {role}")?;
        writeln!(out, "access_key_id {access_key_id}")?;
        writeln!(out, "expiration {expiration}")?;
        out.flush()?;
    }

    // Serve until standard input reaches its end.
    tokio::task::spawn_blocking(|| {
        let mut sink = [0u8; 256];
        let mut stdin = std::io::stdin().lock();
        while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    })
    .await?;

    let transcript = imds.transcript();
    imds.stop().await;
    let mut out = std::io::stdout().lock();
    for e in transcript {
        let status = e.status().map_or_else(|| "-".to_owned(), |s| s.to_string());
        let auth = match e.auth {
            AuthCheck::NotChecked => "not-checked",
            AuthCheck::Absent => "absent",
            AuthCheck::Valid => "valid",
            AuthCheck::Invalid => "invalid",
            AuthCheck::Expired => "expired",
            AuthCheck::Issued { .. } => "issued",
            _ => "other",
        };
        writeln!(
            out,
            "request {} connection {}/{} {} {} {status} {auth}",
            e.seq, e.connection, e.on_connection, e.method, e.path
        )?;
    }
    out.flush()?;
    Ok(())
}
