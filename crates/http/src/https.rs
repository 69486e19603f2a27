//! HTTPS (and plain HTTP) for any request: how credchain talks to STS and to the SSO portal.
//!
//! The role providers of spec §8 send two kinds of request: a form-encoded, SigV4-signed
//! `POST` to STS (`AssumeRole`; unsigned for `AssumeRoleWithWebIdentity`), and a `GET` to the
//! SSO portal with a bearer token. The core builds them and reads their answers; this module
//! moves them. [`HttpsClient::send`] takes an [`HttpsRequest`] — method, URL, headers, body,
//! all borrowed, so the core's request builders and `credchain_core::sigv4::Signed` plug in
//! without copies — and gives an owned [`HttpsResponse`] or an [`HttpsError`].
//!
//! ## TLS
//!
//! rustls 0.23 with **one** crypto provider, `rustls-rustcrypto`: pure Rust (the RustCrypto
//! project's AES-GCM, ChaCha20-Poly1305, X25519, P-256/P-384 ECDSA, RSA verification, SHA-2),
//! so building credchain needs no C compiler, no assembler and no OpenSSL. It was checked
//! against a rustls server and against OpenSSL 3 servers with the suites AWS endpoints offer:
//! TLS 1.3 (`TLS13_AES_128_GCM_SHA256`, `TLS13_AES_256_GCM_SHA384`) and TLS 1.2
//! (`ECDHE-RSA-AES128/256-GCM`, `ECDHE-RSA-CHACHA20-POLY1305`, `ECDHE-ECDSA-AES*-GCM`), with
//! RSA-2048, P-256 and P-384 certificates. Not offered: TLS 1.2 suites without forward secrecy
//! (plain RSA key exchange), which no AWS endpoint requires. The crate is young (0.0.x): the
//! choice is reviewed when it changes; `ring` is the fallback (it compiles a little C and
//! assembly), `aws-lc-rs` needs far more (CMake, a C toolchain).
//!
//! ## Which certificates are trusted
//!
//! botocore verifies against `certifi`'s bundle (or its own vendored copy of it), both the
//! Mozilla CA list, unless `AWS_CA_BUNDLE` (or the profile's `ca_bundle`, the environment
//! variable first) names a PEM file, which then *replaces* it. credchain does the same:
//! [`TrustRoots::Mozilla`] is the Mozilla list compiled in by `webpki-roots` — the same list
//! botocore uses, the same on every machine, and no file to find (the system store, through
//! `rustls-native-certs`, would differ from botocore wherever the system's list differs from
//! Mozilla's) — and [`TrustRoots::from_ca_bundle`] turns the setting into
//! [`TrustRoots::PemFile`]. A bundle that cannot be read, or holds no certificate, is an
//! [`HttpsErrorKind::CaBundle`] error naming the file.
//!
//! ## Timeouts, size, reuse
//!
//! - **Connect timeout** ([`HttpsOptions::connect_timeout`], botocore's default 60 s): name
//!   resolution, the TCP connection and the TLS handshake must all finish within it.
//! - **Read timeout** ([`HttpsOptions::read_timeout`], 60 s): like a socket read timeout in
//!   botocore (urllib3), it bounds each wait — for the response head, then for each piece of
//!   the body — not the whole response.
//! - **Body cap** ([`HttpsOptions::max_body_bytes`], 1 MiB): a longer body is refused as soon
//!   as it is announced or has arrived; nothing is buffered without bound.
//! - **Connection reuse**: after a complete response the connection is kept for the next
//!   request to the same scheme, host and port (as many as ran at once, up to
//!   [`HttpsOptions::max_idle_connections`] in all, the oldest dropped first). TLS sessions are resumed
//!   too. A kept connection that the server closed just as a request was sent on it (the race
//!   every keep-alive client has) is replaced by a new one and the request sent once more,
//!   but only when no response head had arrived: STS and SSO calls only mint
//!   credentials, and botocore retries them on such errors as well.
//!
//! ## Proxies
//!
//! [`HttpsOptions::proxies`] (none by default) sends requests through an HTTP proxy as
//! botocore does for STS and SSO: `https` endpoints through a `CONNECT` tunnel (TLS stays end
//! to end), `http` endpoints with the absolute URL as the request target. The chain fills it
//! from `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` with [`Proxies::from_vars`]; the
//! [`crate::proxy`] module says how those are read. A failure to reach the proxy, or a tunnel
//! it refuses, is an [`HttpsErrorKind::Proxy`] error naming the proxy (its password masked).
//!
//! ```no_run
//! # async fn demo() -> Result<(), credchain_http::HttpsError> {
//! use credchain_http::{HttpsClient, HttpsOptions, HttpsRequest, TrustRoots};
//!
//! let client = HttpsClient::new(HttpsOptions::default(), TrustRoots::Mozilla)?;
//! let body = b"Action=GetCallerIdentity&Version=2011-06-15";
//! let response = client
//!     .send(&HttpsRequest {
//!         method: "POST",
//!         url: "https://sts.us-east-1.amazonaws.com/",
//!         headers: &[("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
//!         body,
//!     })
//!     .await?;
//! println!("{} {} bytes", response.status(), response.body().len());
//! # Ok(()) }
//! ```

use std::error::Error as StdError;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use credchain_core::http::TransportError;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONNECTION, CONTENT_LENGTH, HOST, HeaderName, HeaderValue, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls_pki_types::pem::PemObject;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

use crate::proxy::{ConnectAnswer, MAX_CONNECT_HEAD, Proxies, ProxyUrl, connect_answer};
use crate::transport::DEFAULT_USER_AGENT;

/// The default connect timeout: botocore's 60 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// The default read timeout: botocore's 60 seconds.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);
/// The default cap on a response body: 1 MiB (an STS answer is a few KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// How an [`HttpsClient`] behaves. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HttpsOptions {
    /// Resolving, connecting and the TLS handshake must finish within this.
    pub connect_timeout: Duration,
    /// The longest wait for the response head, and for each piece of the body.
    pub read_timeout: Duration,
    /// The longest response body accepted.
    pub max_body_bytes: usize,
    /// How many idle connections are kept for reuse (0: none).
    pub max_idle_connections: usize,
    /// The proxies to send through (none by default).
    pub proxies: Proxies,
    /// Addresses to connect to instead of resolving a host (none by default): see
    /// [`ConnectTo`].
    pub connect_to: Vec<ConnectTo>,
}

/// Connect to `addr` for requests to `host`:`port`, like curl's `--connect-to`: the request's
/// URL, its `Host` header and the TLS server name stay those of `host`, and the server's
/// certificate must still be valid for `host` (against the client's [`TrustRoots`]); only the
/// name lookup is skipped. For tests that serve a real endpoint's host name on loopback, and
/// for networks where an endpoint is reached at a known address. Not used through a proxy
/// (the proxy resolves the host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    /// The host of the URL, as written there (case-insensitive).
    pub host: String,
    /// The port of the URL (443 for an `https` URL without one).
    pub port: u16,
    /// Where to connect instead.
    pub addr: std::net::SocketAddr,
}

impl Default for HttpsOptions {
    fn default() -> Self {
        HttpsOptions {
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_idle_connections: 8,
            proxies: Proxies::none(),
            connect_to: Vec::new(),
        }
    }
}

impl HttpsOptions {
    /// These options with both timeouts set.
    #[must_use]
    pub fn with_timeouts(mut self, connect: Duration, read: Duration) -> Self {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    /// These options with another body cap.
    #[must_use]
    pub fn with_max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// These options with another number of kept connections.
    #[must_use]
    pub fn with_max_idle_connections(mut self, n: usize) -> Self {
        self.max_idle_connections = n;
        self
    }

    /// These options sending through `proxies`.
    #[must_use]
    pub fn with_proxies(mut self, proxies: Proxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// These options connecting to `addr` for `host`:`port` ([`ConnectTo`]).
    #[must_use]
    pub fn with_connect_to(mut self, host: &str, port: u16, addr: std::net::SocketAddr) -> Self {
        self.connect_to.push(ConnectTo {
            host: host.to_owned(),
            port,
            addr,
        });
        self
    }
}

/// Which certificate authorities an [`HttpsClient`] trusts.
#[derive(Clone, PartialEq, Eq)]
pub enum TrustRoots {
    /// The Mozilla CA list compiled in (`webpki-roots`): what botocore trusts by default.
    Mozilla,
    /// Every certificate of this PEM file, and nothing else: `AWS_CA_BUNDLE` / `ca_bundle`.
    PemFile(PathBuf),
    /// Every certificate of this PEM text, and nothing else (`source` names it in errors).
    Pem {
        /// The PEM text.
        pem: Vec<u8>,
        /// What to call it in error messages.
        source: String,
    },
}

impl fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustRoots::Mozilla => f.write_str("Mozilla"),
            TrustRoots::PemFile(p) => f.debug_tuple("PemFile").field(p).finish(),
            TrustRoots::Pem { pem, source } => f
                .debug_struct("Pem")
                .field("source", source)
                .field("bytes", &pem.len())
                .finish(),
        }
    }
}

impl fmt::Display for TrustRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrustRoots::Mozilla => f.write_str("the Mozilla CA list"),
            TrustRoots::PemFile(p) => write!(f, "the CA bundle {}", p.display()),
            TrustRoots::Pem { source, .. } => write!(f, "the CA bundle {source}"),
        }
    }
}

impl TrustRoots {
    /// The roots botocore would use given the `AWS_CA_BUNDLE` environment variable and the
    /// profile's `ca_bundle` key: the variable when set, else the key, else the Mozilla list.
    /// An empty value counts as not set.
    #[must_use]
    pub fn from_ca_bundle(env: Option<&str>, profile: Option<&str>) -> TrustRoots {
        match env
            .filter(|v| !v.is_empty())
            .or(profile.filter(|v| !v.is_empty()))
        {
            Some(path) => TrustRoots::PemFile(PathBuf::from(path)),
            None => TrustRoots::Mozilla,
        }
    }

    fn store(&self) -> Result<rustls::RootCertStore, HttpsError> {
        let mut store = rustls::RootCertStore::empty();
        let (pem, name) = match self {
            TrustRoots::Mozilla => {
                store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                return Ok(store);
            }
            TrustRoots::PemFile(path) => match std::fs::read(path) {
                Ok(pem) => (pem, path.display().to_string()),
                Err(e) => {
                    return Err(HttpsError::ca_bundle(path.display(), &e));
                }
            },
            TrustRoots::Pem { pem, source } => (pem.clone(), source.clone()),
        };
        let mut added = 0usize;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| HttpsError::ca_bundle(&name, &e))?;
            store
                .add(cert)
                .map_err(|e| HttpsError::ca_bundle(&name, &e))?;
            added = added.saturating_add(1);
        }
        if added == 0 {
            return Err(HttpsError::ca_bundle(
                &name,
                &"no PEM certificate (-----BEGIN CERTIFICATE-----) in it",
            ));
        }
        Ok(store)
    }
}

/// One request: all borrowed, so a request built in a buffer and a signature made by
/// `credchain_core::sigv4::sign` can be sent as they are.
///
/// The client adds `Host` (from the URL, as [`host_header`] gives it) unless `headers` has
/// one, `Content-Length` for a body, and a `User-Agent` unless `headers` has one. A request
/// signed with SigV4 must be signed with the same `Host` value that is sent: sign with
/// [`host_header`]'s value, or put your own `Host` in `headers`.
#[derive(Clone, Copy)]
pub struct HttpsRequest<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// `https://host[:port]/path?query` or `http://…`.
    pub url: &'a str,
    /// Headers as sent, in order.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (empty for a `GET`).
    pub body: &'a [u8],
}

impl fmt::Debug for HttpsRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("HttpsRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

/// A complete response. `Debug` shows the status, the header names and the body's length,
/// never its bytes (they carry credentials).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpsResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Bytes,
    reused: bool,
}

impl HttpsResponse {
    /// The status code.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Every header, names lower-case, in the order received (values that are not visible
    /// ASCII are converted lossily).
    #[must_use]
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header, the name matched case-insensitively.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as text, if it is UTF-8.
    #[must_use]
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// Whether the response came on a kept connection.
    #[must_use]
    pub fn reused_connection(&self) -> bool {
        self.reused
    }
}

impl fmt::Debug for HttpsResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpsResponse")
            .field("status", &self.status)
            .field("header_names", &names)
            .field("body_len", &self.body.len())
            .field("reused", &self.reused)
            .finish()
    }
}

/// What a request failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpsErrorKind {
    /// The URL is not `http(s)://host[:port][/path][?query]`.
    InvalidUrl,
    /// A method, header name or header value that cannot be sent.
    InvalidRequest,
    /// The CA bundle could not be read or holds no usable certificate.
    CaBundle,
    /// The name did not resolve, or the connection was refused or unreachable.
    ConnectFailed,
    /// Connecting (resolution, TCP, TLS handshake) took longer than the connect timeout.
    ConnectTimeout,
    /// The server's certificate was refused: unknown issuer, wrong name, expired, …
    Certificate,
    /// The TLS handshake failed for another reason (no common protocol version or suite, an
    /// alert from the server, not TLS at all).
    Tls,
    /// No response head, or a gap in the body, longer than the read timeout.
    ReadTimeout,
    /// The connection closed or reset before the response was complete (a truncated body
    /// included), or the response was not HTTP/1.1.
    ConnectionClosed,
    /// The proxy could not be reached, refused the tunnel (a status other than 2xx to
    /// `CONNECT`, such as 407 when it wants credentials) or did not answer in HTTP.
    Proxy,
    /// The proxy URL cannot be used (not `http://host[:port]`).
    ProxyUrl,
    /// The body is longer than [`HttpsOptions::max_body_bytes`].
    BodyTooLarge {
        /// The limit.
        limit: usize,
        /// The `Content-Length` announced, if any.
        declared: Option<u64>,
    },
}

/// Why [`HttpsClient::send`] (or [`HttpsClient::new`]) failed. The message says what failed,
/// where (the URL's host, or the CA bundle's file), and the underlying reason; it never holds
/// a header value or a body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsError {
    kind: HttpsErrorKind,
    target: Option<String>,
    detail: Option<String>,
}

impl HttpsError {
    fn new(kind: HttpsErrorKind) -> HttpsError {
        HttpsError {
            kind,
            target: None,
            detail: None,
        }
    }

    fn detailed(kind: HttpsErrorKind, detail: &dyn fmt::Display) -> HttpsError {
        HttpsError {
            kind,
            target: None,
            detail: Some(detail.to_string()),
        }
    }

    fn ca_bundle(file: impl fmt::Display, why: &dyn fmt::Display) -> HttpsError {
        HttpsError {
            kind: HttpsErrorKind::CaBundle,
            target: Some(file.to_string()),
            detail: Some(why.to_string()),
        }
    }

    fn at(mut self, target: &str) -> HttpsError {
        if self.target.is_none() {
            self.target = Some(target.to_owned());
        }
        self
    }

    /// What failed.
    #[must_use]
    pub fn kind(&self) -> HttpsErrorKind {
        self.kind
    }

    /// The underlying reason (the operating system's, rustls's or hyper's message), if any.
    #[must_use]
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Whether this is a timeout (connect or read).
    #[must_use]
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.kind,
            HttpsErrorKind::ConnectTimeout | HttpsErrorKind::ReadTimeout
        )
    }

    /// The error as the core's machines classify transport failures.
    #[must_use]
    pub fn transport_error(&self) -> TransportError {
        match self.kind {
            HttpsErrorKind::ConnectFailed => TransportError::ConnectFailed,
            HttpsErrorKind::ConnectTimeout => TransportError::ConnectTimeout,
            HttpsErrorKind::ReadTimeout => TransportError::ReadTimeout,
            HttpsErrorKind::ConnectionClosed => TransportError::ConnectionClosed,
            _ => TransportError::Other,
        }
    }
}

impl fmt::Display for HttpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let target = self.target.as_deref().unwrap_or("the endpoint");
        match self.kind {
            HttpsErrorKind::InvalidUrl => write!(f, "invalid URL {target}")?,
            HttpsErrorKind::InvalidRequest => write!(f, "the request to {target} cannot be sent")?,
            HttpsErrorKind::CaBundle => write!(f, "cannot use the CA bundle {target}")?,
            HttpsErrorKind::ConnectFailed => write!(f, "could not connect to {target}")?,
            HttpsErrorKind::ConnectTimeout => write!(f, "connect timeout to {target}")?,
            HttpsErrorKind::Certificate => {
                write!(f, "the TLS certificate of {target} was refused")?;
            }
            HttpsErrorKind::Tls => write!(f, "TLS handshake with {target} failed")?,
            HttpsErrorKind::ReadTimeout => write!(f, "read timeout from {target}")?,
            HttpsErrorKind::ConnectionClosed => write!(
                f,
                "connection to {target} closed before a complete response"
            )?,
            HttpsErrorKind::Proxy => write!(f, "the proxy to {target} failed")?,
            HttpsErrorKind::ProxyUrl => write!(f, "cannot send to {target} through a proxy")?,
            HttpsErrorKind::BodyTooLarge { limit, declared } => {
                write!(
                    f,
                    "response from {target} larger than the {limit} bytes allowed"
                )?;
                if let Some(n) = declared {
                    write!(f, " (Content-Length: {n})")?;
                }
            }
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl StdError for HttpsError {}

/// The URL's parts that matter for connecting.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    https: bool,
    /// Host for connecting and for TLS (no brackets around an IPv6 address).
    host: String,
    port: u16,
    /// `Host` header value: host (bracketed for IPv6), `:port` when not the default.
    host_header: String,
    /// Path and query as sent.
    path_and_query: String,
    /// The proxy to go through.
    proxy: Option<ProxyUrl>,
}

fn parse_url(url: &str) -> Result<Target, HttpsError> {
    let bad = |why: &str| HttpsError::detailed(HttpsErrorKind::InvalidUrl, &why).at(url);
    let uri: Uri = url.parse().map_err(|_| bad("not a URL"))?;
    let https = match uri.scheme_str() {
        Some(s) if s.eq_ignore_ascii_case("https") => true,
        Some(s) if s.eq_ignore_ascii_case("http") => false,
        _ => return Err(bad("the scheme must be https or http")),
    };
    let authority = uri.authority().ok_or_else(|| bad("no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("user information is not allowed"));
    }
    let raw_host = authority.host();
    if raw_host.is_empty() {
        return Err(bad("no host"));
    }
    let default_port = if https { 443 } else { 80 };
    let port = authority.port_u16().unwrap_or(default_port);
    let bracketed = raw_host.starts_with('[');
    let host = raw_host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let mut host_header = if bracketed {
        format!("[{host}]")
    } else {
        host.clone()
    };
    if port != default_port {
        host_header = format!("{host_header}:{port}");
    }
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let path_and_query = if path_and_query.is_empty() {
        "/".to_owned()
    } else {
        path_and_query
    };
    Ok(Target {
        https,
        host,
        port,
        host_header,
        path_and_query,
        proxy: None,
    })
}

/// The `Host` header [`HttpsClient::send`] sends for `url` when the request has none: the
/// host lower-cased (IPv6 in brackets) and `:port` unless it is the scheme's default — what
/// botocore signs and urllib3 sends.
pub fn host_header(url: &str) -> Result<String, HttpsError> {
    parse_url(url).map(|t| t.host_header)
}

/// Counters of what a client did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HttpsStats {
    /// Requests given to [`HttpsClient::send`].
    pub requests: u64,
    /// Connections opened (TCP, and TLS for `https`).
    pub connections_opened: u64,
    /// Requests sent on a kept connection.
    pub reused: u64,
    /// Requests sent again on a new connection after a kept one failed before any response.
    pub retried_on_fresh: u64,
}

struct Conn {
    sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

struct Idle {
    https: bool,
    host: String,
    port: u16,
    conn: Conn,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Idle>,
    stats: HttpsStats,
}

/// A client for HTTPS and HTTP requests. Cheap to share: `send` takes `&self`, and the
/// kept connections sit behind a lock that is never held across an `await`.
pub struct HttpsClient {
    tls: tokio_rustls::TlsConnector,
    roots: TrustRoots,
    options: HttpsOptions,
    pool: Mutex<Pool>,
}

impl fmt::Debug for HttpsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpsClient")
            .field("roots", &self.roots)
            .field("options", &self.options)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

enum ReadError {
    Head(hyper::Error, bool),
    Body(hyper::Error),
    Timeout,
    TooLarge(Option<u64>),
}

impl HttpsClient {
    /// A client with these options that trusts `roots`. Fails when a CA bundle cannot be
    /// read or holds no certificate (the error names the file).
    pub fn new(options: HttpsOptions, roots: TrustRoots) -> Result<HttpsClient, HttpsError> {
        let store = roots.store()?;
        let provider = Arc::new(rustls_rustcrypto::provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| HttpsError::detailed(HttpsErrorKind::Tls, &e))?
            .with_root_certificates(store)
            .with_no_client_auth();
        Ok(HttpsClient {
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
            roots,
            options,
            pool: Mutex::new(Pool::default()),
        })
    }

    /// The options in force.
    #[must_use]
    pub fn options(&self) -> &HttpsOptions {
        &self.options
    }

    /// The roots trusted.
    #[must_use]
    pub fn roots(&self) -> &TrustRoots {
        &self.roots
    }

    /// What the client has done so far.
    #[must_use]
    pub fn stats(&self) -> HttpsStats {
        self.lock().stats
    }

    /// How many connections are kept for reuse now.
    #[must_use]
    pub fn idle_connections(&self) -> usize {
        self.lock().idle.len()
    }

    /// Closes every kept connection.
    pub fn close_idle(&self) {
        let idle = std::mem::take(&mut self.lock().idle);
        drop(idle);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends one request and reads the whole response. See the [module docs](self) for the
    /// timeouts, the body cap and connection reuse. Any status is a response; only a failure
    /// to get one is an error.
    pub async fn send(&self, request: &HttpsRequest<'_>) -> Result<HttpsResponse, HttpsError> {
        let mut target = parse_url(request.url)?;
        if let Some(proxy) = self.options.proxies.proxy_for(request.url) {
            let proxy = ProxyUrl::parse(&proxy).map_err(|e| {
                HttpsError::detailed(HttpsErrorKind::ProxyUrl, &e).at(&target.host_header)
            })?;
            target.proxy = Some(proxy);
        }
        self.count(|s| s.requests = s.requests.saturating_add(1));
        // Checked before connecting, so a bad request costs nothing.
        let built = build_request(request, &target).map_err(|e| e.at(&target.host_header))?;
        if let Some(conn) = self.take_idle(&target) {
            self.count(|s| s.reused = s.reused.saturating_add(1));
            match self.exchange(conn, built, &target, true).await {
                Ok(r) => return Ok(r),
                Err((error, true)) => {
                    self.count(|s| s.retried_on_fresh = s.retried_on_fresh.saturating_add(1));
                    tracing::debug!(
                        host = %target.host_header,
                        error = %error,
                        "kept connection closed before a response; sending again on a new one"
                    );
                }
                Err((error, false)) => return Err(error),
            }
            let built = build_request(request, &target)?;
            let conn = self.connect(&target).await?;
            return self
                .exchange(conn, built, &target, false)
                .await
                .map_err(|(e, _)| e);
        }
        let conn = self.connect(&target).await?;
        self.exchange(conn, built, &target, false)
            .await
            .map_err(|(e, _)| e)
    }

    fn count(&self, f: impl FnOnce(&mut HttpsStats)) {
        f(&mut self.lock().stats);
    }

    fn take_idle(&self, target: &Target) -> Option<Conn> {
        let mut pool = self.lock();
        while let Some(pos) = pool
            .idle
            .iter()
            .position(|i| i.https == target.https && i.port == target.port && i.host == target.host)
        {
            let idle = pool.idle.remove(pos);
            if !idle.conn.sender.is_closed() && idle.conn.sender.is_ready() {
                return Some(idle.conn);
            }
        }
        None
    }

    fn keep(&self, target: &Target, conn: Conn) {
        if self.options.max_idle_connections == 0 || conn.sender.is_closed() {
            return;
        }
        let mut pool = self.lock();
        while pool.idle.len() >= self.options.max_idle_connections {
            pool.idle.remove(0);
        }
        pool.idle.push(Idle {
            https: target.https,
            host: target.host.clone(),
            port: target.port,
            conn,
        });
    }

    async fn connect(&self, target: &Target) -> Result<Conn, HttpsError> {
        let limit = self.options.connect_timeout;
        let at = &target.host_header;
        match tokio::time::timeout(limit, self.open(target)).await {
            Err(_) => Err(HttpsError::detailed(
                HttpsErrorKind::ConnectTimeout,
                &format_args!("no connection within {limit:?}"),
            )
            .at(at)),
            Ok(r) => r.map_err(|e| e.at(at)),
        }
    }

    async fn open(&self, target: &Target) -> Result<Conn, HttpsError> {
        let stream = match &target.proxy {
            None => {
                let pinned =
                    self.options.connect_to.iter().find(|c| {
                        c.port == target.port && c.host.eq_ignore_ascii_case(&target.host)
                    });
                match pinned {
                    Some(c) => TcpStream::connect(c.addr).await,
                    None => TcpStream::connect((target.host.as_str(), target.port)).await,
                }
                .map_err(|e| HttpsError::detailed(HttpsErrorKind::ConnectFailed, &e))?
            }
            Some(proxy) => {
                let stream = TcpStream::connect((proxy.host.as_str(), proxy.port))
                    .await
                    .map_err(|e| {
                        HttpsError::detailed(
                            HttpsErrorKind::Proxy,
                            &format_args!("cannot connect to the proxy {}: {e}", proxy.shown),
                        )
                    })?;
                if target.https {
                    tunnel(stream, target, proxy).await?
                } else {
                    stream
                }
            }
        };
        let _ = stream.set_nodelay(true);
        self.count(|s| s.connections_opened = s.connections_opened.saturating_add(1));
        if !target.https {
            return handshake(TokioIo::new(stream)).await;
        }
        let name = ServerName::try_from(target.host.clone())
            .map_err(|e| HttpsError::detailed(HttpsErrorKind::InvalidUrl, &e))?;
        let tls = self
            .tls
            .connect(name, stream)
            .await
            .map_err(|e| self.tls_error(&e))?;
        handshake(TokioIo::new(tls)).await
    }

    fn tls_error(&self, e: &io::Error) -> HttpsError {
        let rustls_error = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>());
        match rustls_error {
            Some(err @ rustls::Error::InvalidCertificate(_)) => HttpsError::detailed(
                HttpsErrorKind::Certificate,
                &format_args!("{err} (trusting {})", self.roots),
            ),
            Some(err) => HttpsError::detailed(HttpsErrorKind::Tls, err),
            None if matches!(
                e.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
            ) =>
            {
                HttpsError::detailed(
                    HttpsErrorKind::Tls,
                    &format_args!("the server closed the connection during the handshake ({e})"),
                )
            }
            None => HttpsError::detailed(HttpsErrorKind::Tls, e),
        }
    }

    /// Sends on `conn`; on failure, says whether the request may go again on a new
    /// connection (a kept one that failed before any response).
    async fn exchange(
        &self,
        mut conn: Conn,
        request: Request<Full<Bytes>>,
        target: &Target,
        reused: bool,
    ) -> Result<HttpsResponse, (HttpsError, bool)> {
        let limit = self.options.max_body_bytes;
        let at = target.host_header.as_str();
        let result =
            read_response(&mut conn.sender, request, limit, self.options.read_timeout).await;
        match result {
            Ok((mut response, keep_alive)) => {
                response.reused = reused;
                if keep_alive {
                    self.keep(target, conn);
                }
                Ok(response)
            }
            Err(ReadError::Head(e, unsent)) => {
                let retry = reused && (unsent || closed_before_response(&e));
                Err((classify(&e).at(at), retry))
            }
            Err(ReadError::Body(e)) => Err((classify(&e).at(at), false)),
            Err(ReadError::Timeout) => Err((
                HttpsError::detailed(
                    HttpsErrorKind::ReadTimeout,
                    &format_args!("nothing received for {:?}", self.options.read_timeout),
                )
                .at(at),
                false,
            )),
            Err(ReadError::TooLarge(declared)) => Err((
                HttpsError::new(HttpsErrorKind::BodyTooLarge { limit, declared }).at(at),
                false,
            )),
        }
    }
}

async fn handshake<T>(io: TokioIo<T>) -> Result<Conn, HttpsError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // The HTTP/1 handshake does no I/O: it only sets the connection up.
    let (sender, connection) = http1::handshake(io)
        .await
        .map_err(|e| HttpsError::detailed(HttpsErrorKind::ConnectionClosed, &e))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
    Ok(Conn { sender, driver })
}

/// Opens a `CONNECT` tunnel to `target` through `proxy` on `stream`.
async fn tunnel(
    mut stream: TcpStream,
    target: &Target,
    proxy: &ProxyUrl,
) -> Result<TcpStream, HttpsError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let failed = |why: &dyn fmt::Display| {
        HttpsError::detailed(
            HttpsErrorKind::Proxy,
            &format_args!("the proxy {} {why}", proxy.shown),
        )
    };
    let authority = if target.host.contains(':') {
        format!("[{}]:{}", target.host, target.port)
    } else {
        format!("{}:{}", target.host, target.port)
    };
    let head = crate::proxy::connect_request(&authority, proxy);
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| failed(&format_args!("closed the connection: {e}")))?;
    // Read byte-sized pieces only up to the blank line: whatever follows is the endpoint's.
    let mut received = Vec::with_capacity(256);
    loop {
        let mut byte = [0u8; 1];
        let n = stream
            .read(&mut byte)
            .await
            .map_err(|e| failed(&format_args!("closed the connection: {e}")))?;
        if n == 0 {
            return Err(failed(&"closed the connection before answering CONNECT"));
        }
        received.extend_from_slice(&byte);
        match connect_answer(&received) {
            ConnectAnswer::Incomplete if received.len() < MAX_CONNECT_HEAD => {}
            ConnectAnswer::Incomplete | ConnectAnswer::Malformed => {
                return Err(failed(&"did not answer CONNECT in HTTP"));
            }
            ConnectAnswer::Refused { status, reason } => {
                return Err(failed(&format_args!(
                    "refused the tunnel to {authority}: {status} {reason}"
                )));
            }
            ConnectAnswer::Open { .. } => return Ok(stream),
        }
    }
}

fn build_request(
    request: &HttpsRequest<'_>,
    target: &Target,
) -> Result<Request<Full<Bytes>>, HttpsError> {
    let invalid = |what: &str| HttpsError::detailed(HttpsErrorKind::InvalidRequest, &what);
    let method = Method::from_bytes(request.method.as_bytes())
        .map_err(|_| invalid("the method is not an HTTP token"))?;
    // Through a proxy, a plain `http` request names the whole URL (absolute form).
    let uri = match &target.proxy {
        Some(_) if !target.https => {
            format!("http://{}{}", target.host_header, target.path_and_query)
        }
        _ => target.path_and_query.clone(),
    };
    let mut built = Request::builder()
        .method(method)
        .uri(uri.as_str())
        .body(Full::new(Bytes::copy_from_slice(request.body)))
        .map_err(|_| invalid("the path cannot be sent"))?;
    let headers = built.headers_mut();
    for (name, value) in request.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid("a header name is not an HTTP token"))?;
        // The value is not quoted in the message: it may be a secret.
        let value = HeaderValue::from_str(value)
            .map_err(|_| invalid("a header value holds a control character or a line break"))?;
        headers.append(name, value);
    }
    if !headers.contains_key(HOST) {
        let host = HeaderValue::from_str(&target.host_header)
            .map_err(|_| invalid("the host cannot be sent"))?;
        headers.insert(HOST, host);
    }
    if !headers.contains_key(USER_AGENT) {
        headers.insert(USER_AGENT, HeaderValue::from_static(DEFAULT_USER_AGENT));
    }
    if let (Some(auth), false) = (
        target.proxy.as_ref().and_then(|p| p.authorization.as_ref()),
        target.https,
    ) {
        let value = HeaderValue::from_str(auth)
            .map_err(|_| invalid("the proxy credentials cannot be sent"))?;
        headers.insert(hyper::header::PROXY_AUTHORIZATION, value);
    }
    Ok(built)
}

async fn read_response(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
    limit: usize,
    read_timeout: Duration,
) -> Result<(HttpsResponse, bool), ReadError> {
    let head = tokio::time::timeout(read_timeout, sender.try_send_request(request)).await;
    let response = match head {
        Err(_) => return Err(ReadError::Timeout),
        Ok(Err(mut e)) => {
            let unsent = e.take_message().is_some();
            return Err(ReadError::Head(e.into_error(), unsent));
        }
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    let keep_alive = !response
        .headers()
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("close"));
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(ReadError::TooLarge(declared));
    }
    let mut body = response.into_body();
    let expected = declared
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(limit);
    let mut buf = BytesMut::with_capacity(expected);
    loop {
        let frame = match tokio::time::timeout(read_timeout, body.frame()).await {
            Err(_) => return Err(ReadError::Timeout),
            Ok(None) => break,
            Ok(Some(f)) => f.map_err(ReadError::Body)?,
        };
        if let Ok(data) = frame.into_data() {
            if buf.len().saturating_add(data.len()) > limit {
                return Err(ReadError::TooLarge(declared));
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok((
        HttpsResponse {
            status,
            headers,
            body: buf.freeze(),
            reused: false,
        },
        keep_alive,
    ))
}

/// Whether hyper saw the connection end before a response head.
fn closed_before_response(e: &hyper::Error) -> bool {
    e.is_incomplete_message() || e.is_canceled() || e.is_closed() || is_reset(e)
}

fn is_reset(e: &hyper::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<io::Error>() {
            return matches!(
                io.kind(),
                io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof
            );
        }
        source = s.source();
    }
    false
}

fn classify(e: &hyper::Error) -> HttpsError {
    // The deepest message says the most (a rustls "peer closed connection without sending
    // TLS close_notify" is a truncated body).
    let mut detail = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        detail = format!("{detail}: {s}");
        source = s.source();
    }
    HttpsError::detailed(HttpsErrorKind::ConnectionClosed, &detail)
}

/// The CA bundle path botocore would use, for error messages and `explain`: `AWS_CA_BUNDLE`,
/// else the profile's `ca_bundle` (see [`TrustRoots::from_ca_bundle`]).
#[must_use]
pub fn ca_bundle_path<'a>(env: Option<&'a str>, profile: Option<&'a str>) -> Option<&'a Path> {
    env.filter(|v| !v.is_empty())
        .or(profile.filter(|v| !v.is_empty()))
        .map(Path::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_host_headers() {
        let t = parse_url("https://STS.us-east-1.amazonaws.com").unwrap();
        assert!(t.https);
        assert_eq!(t.host, "sts.us-east-1.amazonaws.com");
        assert_eq!(t.port, 443);
        assert_eq!(t.host_header, "sts.us-east-1.amazonaws.com");
        assert_eq!(t.path_and_query, "/");
        let t = parse_url("http://127.0.0.1:8080/federation/credentials?a=b&c=d").unwrap();
        assert!(!t.https);
        assert_eq!(t.host_header, "127.0.0.1:8080");
        assert_eq!(t.path_and_query, "/federation/credentials?a=b&c=d");
        let t = parse_url("https://[::1]:4443/").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.host_header, "[::1]:4443");
        assert_eq!(parse_url("https://h:443/").unwrap().host_header, "h");
        assert_eq!(parse_url("http://h:80/").unwrap().host_header, "h");
        assert_eq!(parse_url("http://h:443/").unwrap().host_header, "h:443");
        for bad in ["ftp://h/", "h/path", "https://", "https://u:p@h/", ""] {
            let e = parse_url(bad).unwrap_err();
            assert_eq!(e.kind(), HttpsErrorKind::InvalidUrl, "{bad}");
        }
    }

    #[test]
    fn ca_bundle_setting_order() {
        assert_eq!(TrustRoots::from_ca_bundle(None, None), TrustRoots::Mozilla);
        assert_eq!(
            TrustRoots::from_ca_bundle(Some("/e.pem"), Some("/p.pem")),
            TrustRoots::PemFile("/e.pem".into())
        );
        assert_eq!(
            TrustRoots::from_ca_bundle(Some(""), Some("/p.pem")),
            TrustRoots::PemFile("/p.pem".into())
        );
        assert_eq!(
            ca_bundle_path(None, Some("/p.pem")),
            Some(Path::new("/p.pem"))
        );
    }

    #[test]
    fn mozilla_roots_load() {
        let store = TrustRoots::Mozilla.store().unwrap();
        assert!(store.len() > 100);
    }

    #[test]
    fn a_bad_bundle_names_its_file() {
        let e = TrustRoots::PemFile("/nonexistent/ca.pem".into())
            .store()
            .unwrap_err();
        assert_eq!(e.kind(), HttpsErrorKind::CaBundle);
        assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
        let e = TrustRoots::Pem {
            pem: b"not a certificate".to_vec(),
            source: "inline".into(),
        }
        .store()
        .unwrap_err();
        assert!(e.to_string().contains("inline"), "{e}");
        assert!(e.to_string().contains("no PEM certificate"), "{e}");
    }

    #[test]
    fn requests_never_show_secrets() {
        let r = HttpsRequest {
            method: "GET",
            url: "https://h/",
            headers: &[("x-amz-sso_bearer_token", "s3cr3t")],
            body: b"",
        };
        assert!(!format!("{r:?}").contains("s3cr3t"));
        let t = parse_url(r.url).unwrap();
        let e = build_request(
            &HttpsRequest {
                headers: &[("x", "bad\nvalue-s3cr3t")],
                ..r
            },
            &t,
        )
        .unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
    }
}
