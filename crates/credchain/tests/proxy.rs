//! STS through an HTTP proxy, as botocore does it (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`).
//!
//! - The choice of proxy for an endpoint URL is compared with botocore's own
//!   (`get_environ_proxies` + `ProxyConfiguration.proxy_url_for`) on generated environments:
//!   upper and lower case, empty values, `REQUEST_METHOD`, `NO_PROXY` names, suffixes and
//!   ports, proxy URLs with and without a scheme.
//! - End to end: a role profile resolved by credchain's `DefaultChain` and by botocore against
//!   credchain-server's STS (HTTPS with its generated CA, or plain HTTP) through a recording
//!   proxy on loopback. Both must send the proxy the same requests (`CONNECT host:port` with the
//!   same `Proxy-Authorization`, or the absolute-form `POST`), get credentials, and leave
//!   nothing readable to the proxy inside a TLS tunnel. A proxy that refuses the tunnel (407),
//!   one that is down and an `https://` proxy URL give clear errors that never show the proxy's
//!   password.
//!
//! Needs python3 with botocore 1.43.11 (`CREDCHAIN_SKIP_BOTOCORE=1` skips the comparisons).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use credchain::{ChainFailure, DefaultChain, Error};
use credchain_fs::EnvSnapshot;
use credchain_http::Proxies;
use credchain_server::{Role, StsHandle, StsServer};
use credchain_tests::oracle::{run_json_oracle, skip_botocore};
use credchain_tests::rng::Rng;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const AKID: &str = "AKIDPROXYTESTBASE001";
const SECRET: &str = "proxy/test+secret/0123456789abcdefghijkl";
const ROLE: &str = "arn:aws:iam::123456789012:role/ThroughTheProxy";
/// `user@corp` / `p:ss word`, percent-encoded in the proxy URL.
const PROXY_USERINFO: &str = "user%40corp:p%3Ass%20word";
const PROXY_PASSWORD: &str = "p:ss word";

// ---------------------------------------------------------------------------------------------
// The choice of proxy, against botocore.

fn generated_cases() -> Vec<(Vec<(String, String)>, String)> {
    let names = [
        "HTTPS_PROXY",
        "https_proxy",
        "Https_Proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "NO_PROXY",
        "no_proxy",
        "REQUEST_METHOD",
    ];
    let proxies = [
        "",
        "http://proxy.corp:3128",
        "proxy.corp:8080",
        "//proxy.corp:3129",
        "http://user:pw@10.0.0.1:3128/",
        "HTTP://UPPER.corp:1",
        "https://tls-proxy.corp:443",
    ];
    let no_proxy = [
        "",
        "*",
        "*,x",
        ".amazonaws.com",
        "amazonaws.com",
        "AMAZONAWS.COM",
        "sts.us-east-1.amazonaws.com",
        " a.example , 127.0.0.1:8443 ",
        "127.0.0.1",
        "localhost,::1,[::1]",
        "s.amazonaws.com",
        ",,,",
    ];
    let urls = [
        "https://sts.amazonaws.com/",
        "https://sts.us-east-1.amazonaws.com",
        "https://STS.eu-west-1.amazonaws.com:443/",
        "http://127.0.0.1:8443/",
        "https://127.0.0.1:8443/",
        "http://localhost:9000/path?q=1",
        "https://[::1]:8443/",
        "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials?role_name=r",
        "https://oidc.us-east-1.amazonaws.com/token",
    ];
    let mut rng = Rng(0x5eed_7072_6f78_7931);
    let mut cases = Vec::new();
    for i in 0..600 {
        let mut env = Vec::new();
        for name in names {
            if rng.chance(35) {
                let value = match name {
                    "NO_PROXY" | "no_proxy" => rng.choose(&no_proxy),
                    "REQUEST_METHOD" => "GET",
                    _ => rng.choose(&proxies),
                };
                env.push((name.to_owned(), value.to_owned()));
            }
        }
        cases.push((env, urls[i % urls.len()].to_owned()));
    }
    cases
}

#[test]
fn the_proxy_for_each_endpoint_is_botocores() {
    if skip_botocore() {
        eprintln!("SKIPPED: CREDCHAIN_SKIP_BOTOCORE=1");
        return;
    }
    let cases = generated_cases();
    let input: Vec<Value> = cases
        .iter()
        .map(|(env, url)| {
            let env: serde_json::Map<String, Value> = env
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            json!({"env": env, "url": url})
        })
        .collect();
    let answers = run_json_oracle("proxies.py", &input);
    let mut failures = Vec::new();
    let mut proxied = 0;
    for (i, ((env, url), answer)) in cases.iter().zip(&answers).enumerate() {
        let ours =
            Proxies::from_vars(env.iter().map(|(k, v)| (k.as_str(), v.as_str()))).proxy_for(url);
        let theirs = answer["proxy"].as_str().map(str::to_owned);
        proxied += usize::from(theirs.is_some());
        if ours != theirs {
            failures.push(format!(
                "case {i}: {url} with {env:?}: credchain {ours:?}, botocore {theirs:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // The generator must exercise both answers.
    assert!(proxied > 100 && proxied < cases.len() - 100, "{proxied}");
}

// ---------------------------------------------------------------------------------------------
// A recording proxy.

/// What the proxy saw on one connection.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    /// The request line without its HTTP version: `CONNECT host:port` or `POST http://…/`.
    line: String,
    /// The `Proxy-Authorization` value.
    authorization: Option<String>,
}

struct RecordingProxy {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Every byte that passed through a tunnel, client to server.
    tunneled: Arc<Mutex<Vec<u8>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl RecordingProxy {
    /// A proxy that answers 407 unless `Proxy-Authorization` is `require` (when given).
    async fn start(require: Option<String>) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tunneled = Arc::new(Mutex::new(Vec::new()));
        let (s, t) = (seen.clone(), tunneled.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (s, t, require) = (s.clone(), t.clone(), require.clone());
                tokio::spawn(async move {
                    let _ = relay(client, &s, &t, require.as_deref()).await;
                });
            }
        });
        RecordingProxy {
            addr,
            seen,
            tunneled,
            task,
        }
    }

    fn url(&self, userinfo: Option<&str>) -> String {
        match userinfo {
            Some(u) => format!("http://{u}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

async fn relay(
    mut client: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    tunneled: &Arc<Mutex<Vec<u8>>>,
    require: Option<&str>,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await? == 0 || head.len() > 16 * 1024 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or("").to_owned();
    let authorization = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, v)| v.trim().to_owned());
    // The HTTP version is left out: Python's http.client writes `CONNECT … HTTP/1.0` up to
    // Python 3.11, credchain (like curl) `HTTP/1.1` with the same `Host` header.
    let request = line.rsplit_once(" HTTP/").map_or(line.as_str(), |(r, _)| r);
    seen.lock().unwrap().push(Seen {
        line: request.to_owned(),
        authorization: authorization.clone(),
    });
    if let Some(required) = require
        && authorization.as_deref() != Some(required)
    {
        client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\
                  Connection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    let mut parts = line.split(' ');
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("");
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(target).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        let (mut cr, mut cw) = client.split();
        let (mut ur, mut uw) = upstream.split();
        let to_server = async {
            let mut buf = [0u8; 4096];
            loop {
                let n = cr.read(&mut buf).await?;
                if n == 0 {
                    return uw.shutdown().await;
                }
                tunneled.lock().unwrap().extend_from_slice(&buf[..n]);
                uw.write_all(&buf[..n]).await?;
            }
        };
        let to_client = tokio::io::copy(&mut ur, &mut cw);
        let _ = tokio::join!(to_server, to_client);
        return Ok(());
    }
    // Absolute form: `http://host:port/…` — forward the request as it came.
    let authority = target
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    let mut upstream = TcpStream::connect(authority).await?;
    upstream.write_all(&head).await?;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// End to end.

struct Setup {
    _dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

async fn sts(https: bool) -> StsHandle {
    let mut b = StsServer::builder()
        .user(AKID, SECRET)
        .role(Role::new(ROLE));
    if https {
        b = b.https();
    }
    b.start().await.unwrap()
}

/// A role profile `r` over base keys, every STS call going to `server`.
fn setup(server: &StsHandle, extra: &[(&str, String)]) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &config,
        format!(
            "[profile r]\nrole_arn = {ROLE}\nsource_profile = base\nrole_session_name = proxied\n"
        ),
    )
    .unwrap();
    std::fs::write(
        &credentials,
        format!("[base]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"),
    )
    .unwrap();
    let mut env = vec![
        ("HOME".to_owned(), dir.path().display().to_string()),
        ("AWS_CONFIG_FILE".to_owned(), config.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE".to_owned(),
            credentials.display().to_string(),
        ),
        ("AWS_PROFILE".to_owned(), "r".to_owned()),
        ("AWS_DEFAULT_REGION".to_owned(), "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL_STS".to_owned(), server.url()),
        // Nothing of this machine's: no IMDS, no retries spread over minutes.
        ("AWS_EC2_METADATA_DISABLED".to_owned(), "true".to_owned()),
    ];
    if let Some(pem) = server.ca_pem() {
        let bundle = dir.path().join("ca.pem");
        std::fs::write(&bundle, pem).unwrap();
        env.push(("AWS_CA_BUNDLE".to_owned(), bundle.display().to_string()));
    }
    for (k, v) in extra {
        env.push(((*k).to_owned(), v.clone()));
    }
    Setup { _dir: dir, env }
}

/// What a client got: `ok ASIA…` (the key's prefix) or the failure's class and message.
#[derive(Debug)]
enum Outcome {
    Ok(String),
    Failed { class: String, message: String },
}

fn failure(e: &Error) -> ChainFailure {
    std::error::Error::source(e)
        .and_then(|c| c.downcast_ref::<ChainFailure>())
        .cloned()
        .unwrap_or_else(|| panic!("no ChainFailure under {e}"))
}

async fn credchain(s: &Setup) -> Outcome {
    let env = EnvSnapshot::from_pairs(s.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let chain = DefaultChain::builder().env(env).build().unwrap();
    match tokio::time::timeout(Duration::from_secs(60), chain.credentials()).await {
        Err(_) => panic!("credchain did not finish within 60 s"),
        Ok(Ok(c)) => Outcome::Ok(c.access_key_id()[..4].to_owned()),
        Ok(Err(e)) => {
            let f = failure(&e);
            Outcome::Failed {
                class: f.class.to_owned(),
                message: format!("{e}: {f}"),
            }
        }
    }
}

const BOTOCORE: &str = r#"
import json, sys
import botocore, botocore.session
if botocore.__version__ != "1.43.11":
    sys.exit("botocore 1.43.11 is required, found " + botocore.__version__)
try:
    c = botocore.session.Session().get_credentials()
    f = c.get_frozen_credentials()
    out = {"ok": f.access_key[:4]}
except Exception as e:
    out = {"class": type(e).__name__, "message": str(e)}
print(json.dumps(out))
"#;

async fn botocore(s: &Setup) -> Outcome {
    let env = s.env.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg("-c")
            .arg(BOTOCORE)
            .env_clear()
            .envs(env)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .expect("python3 runs (CREDCHAIN_SKIP_BOTOCORE=1 skips)")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    match v["ok"].as_str() {
        Some(k) => Outcome::Ok(k.to_owned()),
        None => Outcome::Failed {
            class: v["class"].as_str().unwrap_or("").to_owned(),
            message: v["message"].as_str().unwrap_or("").to_owned(),
        },
    }
}

/// Both clients get credentials, each sending the proxy exactly `expected`.
async fn both_get_credentials_through(s: &Setup, proxy: &RecordingProxy, expected: &[Seen]) {
    let ours = credchain(s).await;
    assert!(matches!(&ours, Outcome::Ok(k) if k == "ASIA"), "{ours:?}");
    assert_eq!(proxy.take(), expected, "credchain");
    if skip_botocore() {
        return;
    }
    let theirs = botocore(s).await;
    assert!(
        matches!(&theirs, Outcome::Ok(k) if k == "ASIA"),
        "{theirs:?}"
    );
    assert_eq!(proxy.take(), expected, "botocore");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_tunnel_through_the_proxy_as_botocore_opens_it() {
    let server = sts(true).await;
    let proxy = RecordingProxy::start(None).await;
    let s = setup(&server, &[("HTTPS_PROXY", proxy.url(Some(PROXY_USERINFO)))]);
    let expected = Seen {
        line: format!("CONNECT {}", server.addr()),
        // base64("user@corp:p:ss word")
        authorization: Some("Basic dXNlckBjb3JwOnA6c3Mgd29yZA==".to_owned()),
    };
    both_get_credentials_through(&s, &proxy, &[expected]).await;
    // TLS end to end: the proxy never saw a request.
    let tunneled = proxy.tunneled.lock().unwrap().clone();
    assert!(tunneled.len() > 200, "{} bytes tunneled", tunneled.len());
    let text = String::from_utf8_lossy(&tunneled);
    assert!(!text.contains("AssumeRole") && !text.contains(AKID));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_goes_to_the_proxy_in_absolute_form_as_botocore_sends_it() {
    let server = sts(false).await;
    let proxy = RecordingProxy::start(None).await;
    let s = setup(&server, &[("http_proxy", proxy.url(None))]);
    let expected = Seen {
        line: format!("POST http://{}/", server.addr()),
        authorization: None,
    };
    both_get_credentials_through(&s, &proxy, &[expected]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_proxy_sends_both_directly() {
    let server = sts(true).await;
    let proxy = RecordingProxy::start(None).await;
    let s = setup(
        &server,
        &[
            ("HTTPS_PROXY", proxy.url(None)),
            ("NO_PROXY", "example.com, 127.0.0.1".to_owned()),
        ],
    );
    both_get_credentials_through(&s, &proxy, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_tunnel_is_a_clear_error_without_the_password() {
    let server = sts(true).await;
    let proxy = RecordingProxy::start(Some("Basic bm90OnRoaXM=".to_owned())).await;
    let s = setup(&server, &[("HTTPS_PROXY", proxy.url(Some(PROXY_USERINFO)))]);
    let ours = credchain(&s).await;
    let Outcome::Failed { class, message } = &ours else {
        panic!("{ours:?}")
    };
    assert_eq!(class, "ProxyConnectionError", "botocore's class");
    assert!(message.contains("407"), "{message}");
    assert!(
        message.contains(&format!("http://***:***@{}", proxy.addr)),
        "the proxy is named, masked: {message}"
    );
    assert!(message.contains("profile r"), "{message}");
    assert!(!message.contains(PROXY_PASSWORD) && !message.contains("p%3Ass"));
    let ours_tries = proxy.take().len();
    if skip_botocore() {
        return;
    }
    let theirs = botocore(&s).await;
    assert!(
        matches!(&theirs, Outcome::Failed { class, .. } if class == "ProxyConnectionError"),
        "{theirs:?}"
    );
    assert_eq!(
        proxy.take().len(),
        ours_tries,
        "botocore and credchain tried the tunnel a different number of times"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_that_is_down_or_not_http_is_named_in_the_error() {
    let server = sts(true).await;
    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let down = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    for (proxy, says) in [
        (down.clone(), format!("cannot connect to the proxy {down}")),
        (
            "https://proxy.invalid:443".to_owned(),
            "is an HTTPS proxy".to_owned(),
        ),
    ] {
        let s = setup(&server, &[("HTTPS_PROXY", proxy)]);
        let ours = credchain(&s).await;
        let Outcome::Failed { class, message } = &ours else {
            panic!("{ours:?}")
        };
        assert!(message.contains(&says), "{message}");
        assert!(
            class == "ProxyConnectionError" || class == "credchain:Request",
            "{class}"
        );
    }
}
