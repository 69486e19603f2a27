//! `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY`, read as botocore reads them.
//!
//! botocore sends a client's requests — STS and SSO included — through the proxy that Python's
//! `urllib.request.getproxies()` finds in the environment, unless `proxy_bypass()` says the
//! endpoint's host is listed in `NO_PROXY` (`botocore.utils.get_environ_proxies`). On Linux
//! both read only environment variables, with these rules, which [`Proxies`] reproduces:
//!
//! - every variable whose name ends in `_proxy`, in any case, counts: `HTTPS_PROXY` gives the
//!   proxy of `https` URLs, `HTTP_PROXY` of `http` URLs, `NO_PROXY` the bypass list;
//! - a lower-case variable wins over the upper-case one, and a *set but empty* lower-case
//!   variable removes the entry (an empty upper-case one is ignored);
//! - when `REQUEST_METHOD` is set (a CGI script), an upper-case `HTTP_PROXY` is dropped
//!   (CVE-2016-1000110); a lower-case `http_proxy` still counts;
//! - `NO_PROXY` is `*` (bypass everything) or a comma-separated list of host names or DNS
//!   suffixes, compared case-insensitively with the URL's host, and with its host and port;
//!   leading dots are ignored (`.example.com` and `example.com` both match `a.example.com`).
//!   IP ranges (CIDR) are not understood, by Python either;
//! - a proxy URL without a scheme is taken as `http://`; user and password in it
//!   (percent-decoded) become a `Proxy-Authorization: Basic` header;
//! - `ALL_PROXY` is read by Python but botocore looks only at the URL's own scheme, so it is
//!   ignored.
//!
//! An `https` endpoint is reached through a `CONNECT host:port` tunnel to the proxy; TLS then
//! runs inside the tunnel, end to end with the endpoint, so the proxy sees neither the request
//! nor the credentials. An `http` endpoint is sent to the proxy with the absolute URL as the
//! request target. Only `http://` proxies are supported: an `https://` proxy URL is an error
//! that says so (botocore can speak TLS to the proxy itself).

use std::fmt;

/// The proxy settings of an environment. [`Proxies::none`] (the default) never proxies.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    http: Option<String>,
    https: Option<String>,
    no_proxy: Option<String>,
}

impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Proxy URLs may carry a password: only their masked form is shown.
        f.debug_struct("Proxies")
            .field("http", &self.http.as_deref().map(mask_proxy_url))
            .field("https", &self.https.as_deref().map(mask_proxy_url))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl Proxies {
    /// No proxy for any URL.
    pub fn none() -> Proxies {
        Proxies::default()
    }

    /// The settings of these environment variables (name, value), as Python's
    /// `getproxies_environment()` reads them.
    pub fn from_vars<I, K, V>(vars: I) -> Proxies
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: Vec<(K, V)> = vars.into_iter().collect();
        let mut found: Vec<(String, String)> = Vec::new();
        let set = |found: &mut Vec<(String, String)>, scheme: String, value: Option<&str>| {
            found.retain(|(s, _)| *s != scheme);
            if let Some(v) = value {
                found.push((scheme, v.to_owned()));
            }
        };
        // First pass: any case, empty values skipped.
        for (name, value) in &vars {
            let lower = name.as_ref().to_ascii_lowercase();
            if let Some(scheme) = lower.strip_suffix("_proxy")
                && !value.as_ref().is_empty()
            {
                set(&mut found, scheme.to_owned(), Some(value.as_ref()));
            }
        }
        if vars.iter().any(|(n, _)| n.as_ref() == "REQUEST_METHOD") {
            set(&mut found, "http".to_owned(), None);
        }
        // Second pass: names that end in a lower-case `_proxy` win, and an empty one removes.
        for (name, value) in &vars {
            if let Some(scheme) = name.as_ref().strip_suffix("_proxy") {
                let value = Some(value.as_ref()).filter(|v| !v.is_empty());
                set(&mut found, scheme.to_ascii_lowercase(), value);
            }
        }
        let take = |scheme: &str| {
            found
                .iter()
                .find(|(s, _)| s == scheme)
                .map(|(_, v)| v.clone())
        };
        Proxies {
            http: take("http"),
            https: take("https"),
            no_proxy: take("no"),
        }
    }

    /// The settings of this process's environment (variables that are not Unicode are
    /// skipped, as Python cannot hold them as `str` either).
    pub fn from_process_env() -> Proxies {
        Proxies::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Whether any proxy is set.
    pub fn is_empty(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The proxy URL for `url` (botocore's `ProxyConfiguration.proxy_url_for` after
    /// `get_environ_proxies`): `None` when the URL's scheme has no proxy or its host is in
    /// `NO_PROXY`. A URL without a scheme gets `http://` in front.
    pub fn proxy_for(&self, url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        let netloc = rest.split(['/', '?', '#']).next().unwrap_or("");
        if self.bypass(netloc) {
            return None;
        }
        let proxy = if scheme.eq_ignore_ascii_case("https") {
            self.https.as_deref()?
        } else if scheme.eq_ignore_ascii_case("http") {
            self.http.as_deref()?
        } else {
            return None;
        };
        Some(
            if proxy.starts_with("http:") || proxy.starts_with("https:") {
                proxy.to_owned()
            } else if proxy.starts_with("//") {
                format!("http:{proxy}")
            } else {
                format!("http://{proxy}")
            },
        )
    }

    /// Whether `NO_PROXY` lists `netloc` (`host` or `host:port`, as in a URL): Python's
    /// `proxy_bypass_environment`.
    pub fn bypass(&self, netloc: &str) -> bool {
        let Some(no_proxy) = self.no_proxy.as_deref() else {
            return false;
        };
        if no_proxy == "*" {
            return true;
        }
        let host = netloc.to_lowercase();
        let host_only = split_port(&host);
        no_proxy
            .split(',')
            .map(|name| name.trim().trim_start_matches('.').to_lowercase())
            .filter(|name| !name.is_empty())
            .any(|name| {
                if host_only == name || host == name {
                    return true;
                }
                let suffix = format!(".{name}");
                host_only.ends_with(&suffix) || host.ends_with(&suffix)
            })
    }
}

/// The host of `host:port` where the port is all digits and not empty (Python's
/// `_splitport`); otherwise the whole text.
fn split_port(netloc: &str) -> &str {
    match netloc.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => netloc,
    }
}

/// A proxy URL with any user and password replaced by `***` (botocore's `mask_proxy_url`), for
/// messages and logs.
pub fn mask_proxy_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let masked = if userinfo.contains(':') {
                "***:***"
            } else {
                "***"
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// A proxy to connect to: its address and the `Proxy-Authorization` value, if any.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct ProxyUrl {
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic base64(user:password)` when the URL had both.
    pub(crate) authorization: Option<String>,
    /// The URL with the user and password masked.
    pub(crate) shown: String,
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Why a proxy URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadProxyUrl {
    pub(crate) shown: String,
    pub(crate) why: &'static str,
}

impl fmt::Display for BadProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the proxy URL {} {}", self.shown, self.why)
    }
}

impl ProxyUrl {
    /// Reads a proxy URL as [`Proxies::proxy_for`] gives it.
    pub(crate) fn parse(url: &str) -> Result<ProxyUrl, BadProxyUrl> {
        let shown = mask_proxy_url(url);
        let bad = |why| BadProxyUrl {
            shown: shown.clone(),
            why,
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("has no scheme"))?;
        if scheme.eq_ignore_ascii_case("https") {
            return Err(bad(
                "is an HTTPS proxy, which credchain does not support (use an http:// proxy: \
                 the tunnel to the endpoint is TLS end to end either way)",
            ));
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(bad("has a scheme other than http"));
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = rest.get(..authority_end).unwrap_or(rest);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
            let (host, after) = v6
                .split_once(']')
                .ok_or_else(|| bad("has an unclosed IPv6 address"))?;
            let port = match after.strip_prefix(':') {
                Some(p) => Some(p),
                None if after.is_empty() => None,
                None => return Err(bad("has text after its IPv6 address")),
            };
            (host, port)
        } else {
            match hostport.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (hostport, None),
            }
        };
        if host.is_empty() {
            return Err(bad("has no host"));
        }
        let port = match port {
            None | Some("") => 80,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| bad("has a port that is not a number from 1 to 65535"))?,
        };
        let authorization = match userinfo {
            Some(u) => {
                let (user, password) = u.split_once(':').unwrap_or((u, ""));
                let user = percent_decode(user);
                let password = percent_decode(password);
                // botocore adds the header only when both are non-empty.
                if user.is_empty() || password.is_empty() {
                    None
                } else {
                    let pair = format!("{user}:{password}");
                    if !pair.is_ascii() {
                        return Err(bad(
                            "has a user or password that is not ASCII (Basic authentication \
                             sends ASCII only)",
                        ));
                    }
                    Some(format!("Basic {}", base64(pair.as_bytes())))
                }
            }
            None => None,
        };
        Ok(ProxyUrl {
            host: host.to_ascii_lowercase(),
            port,
            authorization,
            shown,
        })
    }
}

/// `%XX` sequences decoded (invalid ones kept as written), then read as UTF-8 with invalid
/// bytes replaced, as Python's `unquote` does.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|&c| (c as char).to_digit(16));
        match (b, hex(i.saturating_add(1)), hex(i.saturating_add(2))) {
            (b'%', Some(h), Some(l)) => {
                out.push(u8::try_from(h.saturating_mul(16).saturating_add(l)).unwrap_or(b'?'));
                i = i.saturating_add(3);
            }
            _ => {
                out.push(b);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard base64 with padding.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |v: u32| char::from(ALPHABET.get((v & 63) as usize).copied().unwrap_or(b'='));
    let mut out = String::with_capacity(input.len().div_ceil(3).saturating_mul(4));
    for chunk in input.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

/// The `CONNECT` request that opens a tunnel to `host:port` (`host` bracketed if IPv6), as
/// urllib3 sends it: the target, a `Host` header with the same value, and the proxy's
/// authorization.
pub(crate) fn connect_request(authority: &str, proxy: &ProxyUrl) -> String {
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = &proxy.authorization {
        head.push_str("Proxy-Authorization: ");
        head.push_str(auth);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    head
}

/// The longest answer head to a `CONNECT` that is read.
pub(crate) const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// What the proxy answered to `CONNECT`, once its head (up to the blank line) is complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConnectAnswer {
    /// More bytes are needed.
    Incomplete,
    /// A 2xx status: the tunnel is open. `head_len` bytes were the answer's head; anything
    /// after them already belongs to the tunnel.
    Open { head_len: usize },
    /// Another status: the proxy refused, with its status line's code and reason.
    Refused { status: u16, reason: String },
    /// Not an HTTP answer.
    Malformed,
}

/// Reads the proxy's answer to `CONNECT` from the bytes received so far.
pub(crate) fn connect_answer(received: &[u8]) -> ConnectAnswer {
    let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return ConnectAnswer::Incomplete;
    };
    let head = received.get(..end).unwrap_or_default();
    let line_end = head
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or(head.len());
    let line = String::from_utf8_lossy(head.get(..line_end).unwrap_or_default());
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    let status = parts.next().and_then(|s| {
        (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    });
    let reason = parts.next().unwrap_or("").trim().to_owned();
    match status {
        Some(s) if version.starts_with("HTTP/1.") && (200..300).contains(&s) => {
            ConnectAnswer::Open {
                head_len: end.saturating_add(4),
            }
        }
        Some(status) if version.starts_with("HTTP/") => ConnectAnswer::Refused { status, reason },
        _ => ConnectAnswer::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> Proxies {
        Proxies::from_vars(vars.iter().copied())
    }

    #[test]
    fn lower_case_wins_and_an_empty_lower_case_removes() {
        let p = env(&[("HTTPS_PROXY", "upper:1"), ("https_proxy", "lower:2")]);
        assert_eq!(
            p.proxy_for("https://sts.amazonaws.com/").as_deref(),
            Some("http://lower:2")
        );
        let p = env(&[("HTTPS_PROXY", "upper:1"), ("https_proxy", "")]);
        assert_eq!(p.proxy_for("https://sts.amazonaws.com/"), None);
        let p = env(&[("HTTPS_PROXY", ""), ("Https_Proxy", "mixed:3")]);
        assert_eq!(
            p.proxy_for("https://sts.amazonaws.com/").as_deref(),
            Some("http://mixed:3")
        );
    }

    #[test]
    fn cgi_drops_the_upper_case_http_proxy_only() {
        let p = env(&[("HTTP_PROXY", "evil:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(p.proxy_for("http://127.0.0.1:8080/"), None);
        let p = env(&[("http_proxy", "good:1"), ("REQUEST_METHOD", "GET")]);
        assert_eq!(
            p.proxy_for("http://127.0.0.1:8080/").as_deref(),
            Some("http://good:1")
        );
    }

    #[test]
    fn no_proxy_matches_names_suffixes_and_ports() {
        let p = env(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", " .Amazonaws.com , localhost:8443"),
        ]);
        assert!(p.bypass("sts.us-east-1.amazonaws.com"));
        assert!(p.bypass("amazonaws.com:443"));
        assert!(!p.bypass("notamazonaws.com"));
        assert!(p.bypass("localhost:8443"));
        assert!(!p.bypass("localhost:9000"));
        assert!(env(&[("no_proxy", "*")]).bypass("anything"));
        assert!(!env(&[("no_proxy", "*,x")]).bypass("anything"));
    }

    #[test]
    fn proxy_urls_are_parsed_with_their_credentials() {
        let p = ProxyUrl::parse("http://us%40er:p%3Ass@Proxy.example:3128/ignored").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 3128));
        assert_eq!(
            p.authorization.as_deref(),
            Some(format!("Basic {}", base64(b"us@er:p:ss")).as_str())
        );
        assert_eq!(p.shown, "http://***:***@Proxy.example:3128/ignored");
        assert_eq!(base64(b"us@er:p:ss"), "dXNAZXI6cDpzcw==");
        assert_eq!(base64(b"ab"), "YWI=");
        let p = ProxyUrl::parse("http://[::1]").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.authorization),
            ("::1", 80, None)
        );
        assert!(ProxyUrl::parse("https://proxy:443").is_err());
        assert!(ProxyUrl::parse("http://proxy:99999").is_err());
        assert!(ProxyUrl::parse("socks5://proxy:1080").is_err());
    }

    #[test]
    fn connect_requests_name_the_target_twice_and_carry_the_credentials() {
        let with = ProxyUrl::parse("http://u:p@proxy:3128").unwrap();
        assert_eq!(
            connect_request("sts.amazonaws.com:443", &with),
            "CONNECT sts.amazonaws.com:443 HTTP/1.1\r\nHost: sts.amazonaws.com:443\r\n\
             Proxy-Authorization: Basic dTpw\r\n\r\n"
        );
        let without = ProxyUrl::parse("http://u@proxy").unwrap();
        assert_eq!(
            connect_request("[::1]:8443", &without),
            "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\n\r\n"
        );
    }

    #[test]
    fn connect_answers() {
        assert_eq!(
            connect_answer(b"HTTP/1.1 200 OK\r\n"),
            ConnectAnswer::Incomplete
        );
        assert_eq!(
            connect_answer(b"HTTP/1.0 200 Connection established\r\nX: y\r\n\r\nTLS"),
            ConnectAnswer::Open { head_len: 45 }
        );
        assert_eq!(
            connect_answer(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"),
            ConnectAnswer::Refused {
                status: 407,
                reason: "Proxy Authentication Required".to_owned()
            }
        );
        assert_eq!(connect_answer(b"SSH-2.0\r\n\r\n"), ConnectAnswer::Malformed);
    }
}
