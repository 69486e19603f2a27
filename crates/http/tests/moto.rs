//! moto as a peer: moto's server (`python -m moto.server`, from PyPI's `moto[server]`) serves
//! an instance metadata service on any host; credchain-http fetches role credentials from it
//! on loopback, and gets what moto's `moto/instance_metadata/responses.py` serves:
//!
//! - `PUT /latest/api/token` → `fake-imdsv2-token` (no TTL header echoed);
//! - `…/iam/security-credentials/` → `default-role`;
//! - `…/default-role` → `AccessKeyId` `test-key`, `SecretAccessKey` `test-secret-key`, `Token`
//!   `test-session-token`, `Expiration` one day after the request, as `%Y-%m-%dT%H:%M:%SZ`;
//! - every answer with `Connection: close` (Werkzeug's development server).
//!
//! botocore fetches from the same server and gets the same credentials.
//!
//! Needs `pip install 'moto[server]'`. Without it the test fails, unless `CREDCHAIN_SKIP_MOTO=1`
//! is set, when it says loudly that it skipped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

mod common;

use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{imds_config, skip_botocore, skip_moto, within};
use credchain_core::imds::Event;
use credchain_http::{ImdsFetcher, ImdsOutcome};
use tokio::process::{Child, Command};

const LIMIT: Duration = Duration::from_secs(90);
const INSTALL: &str = "python3 -m pip install 'moto[server]'";

async fn moto_available() -> bool {
    let probe = Command::new("python3")
        .args([
            "-c",
            "import moto, moto.server, flask, flask_cors; print(moto.__version__)",
        ])
        .output()
        .await;
    match probe {
        Ok(out) if out.status.success() => {
            eprintln!("moto {}", String::from_utf8_lossy(&out.stdout).trim());
            true
        }
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            if skip_moto() {
                eprintln!(
                    "SKIPPED: moto is not importable and CREDCHAIN_SKIP_MOTO=1; install it with \
                     `{INSTALL}` ({why})"
                );
                false
            } else {
                panic!(
                    "moto[server] is needed for this test: `{INSTALL}` (or set \
                     CREDCHAIN_SKIP_MOTO=1 to skip): {why}"
                );
            }
        }
    }
}

/// Starts moto's server on a free loopback port and waits until it accepts connections.
async fn start_moto() -> (Child, u16) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("python3 -m moto.server starts");
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return (child, port);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("moto's server did not listen on port {port} within 30 s");
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// botocore's `iam-role` provider against `url`: `[access, secret, token, expiry]`.
async fn botocore_against(url: &str) -> Vec<String> {
    let script = r#"
import json
import botocore.session
from botocore.credentials import create_credential_resolver
p = create_credential_resolver(botocore.session.get_session()).get_provider("iam-role")
c = p.load()
f = c.get_frozen_credentials()
print(json.dumps([f.access_key, f.secret_key, f.token, c._expiry_time.strftime("%Y-%m-%dT%H:%M:%SZ")]))
"#;
    let home = std::env::temp_dir().join(format!("credchain-http-moto-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let out = Command::new("python3")
        .args(["-c", script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", url)
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&home);
    assert!(
        out.status.success(),
        "botocore against moto: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credchain_fetches_role_credentials_from_moto() {
    if !moto_available().await {
        return;
    }
    within(LIMIT, async {
        let (_moto, port) = start_moto().await;
        let url = format!("http://127.0.0.1:{port}/");
        let mut imds = ImdsFetcher::new(imds_config(&url, 1));
        let before = unix_now();
        let out = imds.role_credentials().await.unwrap();
        let after = unix_now();
        let ImdsOutcome::Credentials(found) = &out else {
            panic!("{out:?}")
        };
        let c = &found.credentials;
        assert_eq!(found.role_name.as_deref(), Some("default-role"));
        assert_eq!(c.access_key_id, "test-key");
        assert_eq!(c.secret_access_key.expose(), "test-secret-key");
        assert_eq!(c.session_token.expose(), "test-session-token");
        assert_eq!(c.account_id, None);
        // One day after the request, to the second; far from expiry, so not extended.
        let exp = c.expiration.unix_secs();
        assert!(
            exp >= before + 86_400 - 1 && exp <= after + 86_400 + 1,
            "expiry {} is not a day from now",
            c.expiration
        );
        assert_eq!(found.extension, None);
        // moto echoes no TTL: the token is kept for the lifetime asked for.
        assert!(matches!(
            imds.events(),
            [Event::TokenAcquired {
                ttl_secs: 21_600,
                ttl_from_server: false,
                kept: true
            }]
        ));
        // Werkzeug closes every connection: three requests, three connections.
        let stats = imds.http().stats();
        assert_eq!(
            (stats.requests, stats.connections_opened, stats.reused),
            (3, 3, 0)
        );

        // The kept token serves a second fetch: two requests only.
        let again = imds.role_credentials().await.unwrap();
        assert_eq!(
            again.credentials().unwrap().credentials.access_key_id,
            "test-key"
        );
        assert!(matches!(imds.events(), [Event::TokenReused { .. }]));
        assert_eq!(imds.http().stats().requests, 5);

        // botocore gets the same from the same server.
        if skip_botocore() {
            eprintln!("SKIPPED: botocore against moto (CREDCHAIN_SKIP_BOTOCORE=1)");
            return;
        }
        let theirs = botocore_against(&url).await;
        assert_eq!(
            theirs[..3],
            ["test-key", "test-secret-key", "test-session-token"]
        );
        let their_exp = credchain_core::time::Timestamp::parse(&theirs[3])
            .unwrap()
            .unix_secs();
        assert!(
            (their_exp - exp).abs() <= 60,
            "botocore's expiry {} vs credchain's {}",
            theirs[3],
            c.expiration
        );
    })
    .await;
}
