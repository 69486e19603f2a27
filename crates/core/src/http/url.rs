//! URLs split the way botocore's Python stack splits them.
//!
//! Which host an IMDS endpoint names, whether a container URI points at an allowed host, and
//! which request target reaches the server all depend on Python's `urllib.parse` and on
//! urllib3, quirks included (spec §4.2, §4.3, §6). This module reproduces the parts that
//! matter, on borrowed text:
//!
//! - [`split`] is `urllib.parse.urlsplit` (Python 3.11.7): leading C0 controls and spaces are
//!   skipped; a scheme is letters, digits, `+`, `-`, `.` before the first `:`; the network
//!   location runs from `//` to the first `/`, `?` or `#`; then the fragment, then the query.
//!   Unbalanced brackets in the network location, and a bracketed host that Python's
//!   `ipaddress` does not read as IPv6 (or as a valid `v…` IPvFuture), are errors, as
//!   Python raises `ValueError` for them. Python also *deletes* TAB, CR and LF anywhere in a URL
//!   before splitting it; [`split`] refuses them instead, and callers remove them first
//!   ([`write_without_unsafe`]) where botocore would have.
//! - [`SplitUrl::hostname`] is Python's `.hostname`: after the last `@`, inside the brackets or
//!   before the first `:`, lowercase.
//! - [`SplitUrl::write_request_target`] is what reaches the server: botocore's `_path_url`
//!   (`urlparse`'s path — without `;params` in its last segment — or `/`, then `?query` when
//!   there is one), percent-encoded as urllib3's `_encode_target` does it: bytes outside
//!   RFC 3986's path (or query) characters become `%XX`, existing `%xx` escapes are upper-cased,
//!   and a lone `%` becomes `%25` unless every `%` starts an escape.
//! - [`SplitUrl::connect_target`] is where urllib3 connects: `http` (or no scheme) or `https`,
//!   the host, and a port of at most five digits after any leading zeros, at most 65535.
//!
//! One difference is deliberate: a network location holding a non-ASCII character is refused
//! ([`UrlError::NonAsciiNetloc`]). Python would normalise it (NFKC) and, for hosts, encode it
//! with IDNA; no endpoint that credentials come from is written that way.

use core::fmt;

use super::Scheme;
use super::ip;
use crate::buf::Writer;

/// Why a URL cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UrlError {
    /// A TAB, CR or LF; Python deletes them, so callers must remove them before splitting.
    UnsafeCharacter,
    /// `[` without `]` in the network location, or the reverse (Python: "Invalid IPv6 URL").
    UnbalancedBrackets,
    /// The bracketed host is not an IPv6 address (Python's `ipaddress`), or is an IPv4 address,
    /// or is a malformed `v…` IPvFuture address.
    InvalidBracketedHost,
    /// A non-ASCII character in the network location.
    NonAsciiNetloc,
    /// A scheme other than `http`, `https` or none (urllib3: "Not supported URL scheme").
    UnsupportedScheme,
    /// A port that is not a number of at most 65535, or text after a bracketed host that is not
    /// `:port` (urllib3: `LocationParseError`).
    InvalidPort,
    /// A host urllib3 cannot parse: a backslash, a space, a control character, `%` not followed
    /// by two hex digits, or a bracketed address that is not RFC 3986 IPv6.
    InvalidHost,
    /// No host.
    MissingHost,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlError::UnsafeCharacter => "TAB, CR or LF in the URL",
            UrlError::UnbalancedBrackets => "unbalanced '[' or ']' in the host (Invalid IPv6 URL)",
            UrlError::InvalidBracketedHost => {
                "the host in brackets is not an IPv6 address (or a valid IPvFuture address)"
            }
            UrlError::NonAsciiNetloc => "non-ASCII character in the host part of the URL",
            UrlError::UnsupportedScheme => "unsupported URL scheme (expected http or https)",
            UrlError::InvalidPort => "the port is not a number from 0 to 65535",
            UrlError::InvalidHost => "the host is not a valid host name or address",
            UrlError::MissingHost => "the URL names no host",
        })
    }
}

impl core::error::Error for UrlError {}

/// Whether Python's `urlsplit` deletes `c` from a URL: TAB, CR, LF.
#[must_use]
pub const fn is_unsafe(c: char) -> bool {
    matches!(c, '\t' | '\r' | '\n')
}

/// Writes `text` without its TAB, CR and LF characters, as Python's `urlsplit` reads it.
pub fn write_without_unsafe(text: &str, out: &mut Writer<'_>) {
    for part in text.split(is_unsafe) {
        out.push_str(part);
    }
}

/// A URL split as Python's `urlsplit` splits it. Every part borrows from the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SplitUrl<'a> {
    /// The scheme as written (Python lowercases it); empty when there is none.
    pub scheme: &'a str,
    /// The network location (`user@host:port`); empty when there is none.
    pub netloc: &'a str,
    /// The path, `;params` included.
    pub path: &'a str,
    /// The query, without its `?`; empty when there is none.
    pub query: &'a str,
    /// The fragment, without its `#`; empty when there is none.
    pub fragment: &'a str,
}

const fn is_scheme_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')
}

/// Splits `url` as Python 3.11's `urllib.parse.urlsplit` does (see the [module](self) docs).
pub fn split(url: &str) -> Result<SplitUrl<'_>, UrlError> {
    if url.contains(is_unsafe) {
        return Err(UrlError::UnsafeCharacter);
    }
    // `_WHATWG_C0_CONTROL_OR_SPACE`: U+0000 to U+0020.
    let mut rest = url.trim_start_matches(|c: char| c <= ' ');
    let mut scheme = "";
    if let Some(i) = rest.find(':') {
        let candidate = rest.get(..i).unwrap_or("");
        let starts_alpha = candidate
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic);
        if i > 0 && starts_alpha && candidate.bytes().all(is_scheme_char) {
            scheme = candidate;
            rest = rest.get(i.saturating_add(1)..).unwrap_or("");
        }
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = after.get(..end).unwrap_or("");
        rest = after.get(end..).unwrap_or("");
        let open = netloc.contains('[');
        let close = netloc.contains(']');
        if open != close {
            return Err(UrlError::UnbalancedBrackets);
        }
        if open {
            let inner = netloc
                .split_once('[')
                .map(|(_, r)| r.split_once(']').map_or(r, |(h, _)| h))
                .unwrap_or("");
            check_bracketed_host(inner)?;
        }
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if !netloc.is_ascii() {
        return Err(UrlError::NonAsciiNetloc);
    }
    Ok(SplitUrl {
        scheme,
        netloc,
        path,
        query,
        fragment,
    })
}

/// Python's `_check_bracketed_host`.
fn check_bracketed_host(inner: &str) -> Result<(), UrlError> {
    if let Some(future) = inner.strip_prefix('v') {
        // `\Av[a-fA-F0-9]+\..+\Z`
        let ok = future.split_once('.').is_some_and(|(hex, tail)| {
            !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) && !tail.is_empty()
        });
        return if ok {
            Ok(())
        } else {
            Err(UrlError::InvalidBracketedHost)
        };
    }
    match ip::parse_ip(inner) {
        Some(ip::IpAddr::V6(_)) => Ok(()),
        _ => Err(UrlError::InvalidBracketedHost),
    }
}

/// A URL's host as Python's `.hostname` gives it: lowercase (up to a `%zone`), without brackets.
///
/// It borrows the text as written; comparisons and `Display` apply the lowercasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hostname<'a> {
    raw: &'a str,
    bracketed: bool,
}

impl<'a> Hostname<'a> {
    /// The host as written in the URL (not lowercased, no brackets).
    #[must_use]
    pub const fn raw(&self) -> &'a str {
        self.raw
    }

    /// Whether the URL wrote it in brackets.
    #[must_use]
    pub const fn is_bracketed(&self) -> bool {
        self.bracketed
    }

    /// Its length in bytes (Python counts characters; the network location is ASCII).
    #[must_use]
    pub const fn len(&self) -> usize {
        self.raw.len()
    }

    /// Never true: a URL whose host is empty has no [`Hostname`].
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Whether the lowercase host equals `s`.
    #[must_use]
    pub fn eq_str(&self, s: &str) -> bool {
        let (addr, zone) = split_zone(self.raw);
        let (s_addr, s_zone) = split_zone(s);
        addr.len() == s_addr.len()
            && addr
                .bytes()
                .zip(s_addr.bytes())
                .all(|(a, b)| a.to_ascii_lowercase() == b)
            && zone == s_zone
    }
}

fn split_zone(s: &str) -> (&str, Option<&str>) {
    match s.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (s, None),
    }
}

impl fmt::Display for Hostname<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (addr, zone) = split_zone(self.raw);
        for c in addr.chars() {
            fmt::Write::write_char(f, c.to_ascii_lowercase())?;
        }
        if let Some(zone) = zone {
            f.write_str("%")?;
            f.write_str(zone)?;
        }
        Ok(())
    }
}

/// Schemes whose last path segment may carry `;params` (Python's `uses_params`).
const USES_PARAMS: [&str; 16] = [
    "", "ftp", "hdl", "prospero", "http", "imap", "https", "shttp", "rtsp", "rtsps", "rtspu",
    "sip", "sips", "mms", "sftp", "tel",
];

impl<'a> SplitUrl<'a> {
    /// The network location after the last `@` (Python's `_hostinfo` input), which is also the
    /// `Host` header urllib3 sends.
    #[must_use]
    pub fn host_info(&self) -> &'a str {
        self.netloc.rsplit_once('@').map_or(self.netloc, |(_, h)| h)
    }

    /// The host and the port text, as Python's `_hostinfo` splits them.
    fn host_and_port(&self) -> (Hostname<'a>, &'a str) {
        let info = self.host_info();
        if let Some((_, bracketed)) = info.split_once('[') {
            let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            let port = after.split_once(':').map_or("", |(_, p)| p);
            (
                Hostname {
                    raw: host,
                    bracketed: true,
                },
                port,
            )
        } else {
            let (host, port) = info.split_once(':').unwrap_or((info, ""));
            (
                Hostname {
                    raw: host,
                    bracketed: false,
                },
                port,
            )
        }
    }

    /// Python's `.hostname`; `None` when the host is empty.
    #[must_use]
    pub fn hostname(&self) -> Option<Hostname<'a>> {
        let (host, _) = self.host_and_port();
        if host.raw.is_empty() {
            None
        } else {
            Some(host)
        }
    }

    /// Whether the scheme is `s` (ASCII case-insensitive, as Python lowercases it).
    #[must_use]
    pub fn scheme_is(&self, s: &str) -> bool {
        self.scheme.eq_ignore_ascii_case(s)
    }

    /// The path as `urlparse` gives it: without the `;params` of its last segment (for the
    /// schemes Python splits params from).
    #[must_use]
    pub fn path_without_params(&self) -> &'a str {
        let path = self.path;
        let splits = USES_PARAMS.iter().any(|s| self.scheme_is(s));
        if !splits || !path.contains(';') {
            return path;
        }
        let cut = match path.rfind('/') {
            Some(slash) => path
                .get(slash..)
                .and_then(|tail| tail.find(';'))
                .map(|i| slash.saturating_add(i)),
            None => path.find(';'),
        };
        match cut {
            Some(i) => path.get(..i).unwrap_or(path),
            None => path,
        }
    }

    /// Writes the request target botocore sends: `urlparse`'s path (or `/`), `?query` when the
    /// query is not empty, percent-encoded as urllib3 encodes it.
    pub fn write_request_target(&self, out: &mut Writer<'_>) {
        let path = self.path_without_params();
        let path = if path.is_empty() { "/" } else { path };
        encode_invalid_chars(path, is_path_char, out);
        if !self.query.is_empty() {
            out.push_str("?");
            encode_invalid_chars(self.query, is_query_char, out);
        }
    }

    /// Where urllib3 connects for this URL.
    pub fn connect_target(&self) -> Result<ConnectTarget<'a>, UrlError> {
        let scheme = if self.scheme.is_empty() || self.scheme_is("http") {
            Scheme::Http
        } else if self.scheme_is("https") {
            Scheme::Https
        } else {
            return Err(UrlError::UnsupportedScheme);
        };
        let authority = self.host_info();
        let (host, port_text) = self.host_and_port();
        if host.raw.is_empty() {
            return Err(UrlError::MissingHost);
        }
        if host.bracketed {
            // `[addr]` optionally followed by `:port`, nothing else.
            let after = authority.split_once(']').map_or("", |(_, a)| a);
            if !(after.is_empty() || after.starts_with(':')) {
                return Err(UrlError::InvalidPort);
            }
            if !authority.starts_with('[') {
                return Err(UrlError::InvalidHost);
            }
            if !ip::is_rfc3986_ipv6_with_zone(host.raw) {
                return Err(UrlError::InvalidHost);
            }
        } else if !is_reg_name(host.raw) || port_text.contains(':') {
            return Err(UrlError::InvalidHost);
        }
        let port = if port_text.is_empty() {
            scheme.default_port()
        } else {
            parse_port(port_text).ok_or(UrlError::InvalidPort)?
        };
        Ok(ConnectTarget {
            scheme,
            host: host.raw,
            port,
            authority,
        })
    }
}

/// urllib3's `REG_NAME` (and IPv4) host: no brackets, `:`, `/`, `?`, `#`, backslash, space or
/// control character; `%` only as `%XX`.
fn is_reg_name(host: &str) -> bool {
    let b = host.as_bytes();
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        match c {
            b'%' => {
                let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i.saturating_add(1)) && hex(i.saturating_add(2))) {
                    return false;
                }
                i = i.saturating_add(3);
            }
            b'[' | b']' | b':' | b'/' | b'?' | b'#' | b'\\' | b'@' => return false,
            0..=0x20 | 0x7f.. => return false,
            _ => i = i.saturating_add(1),
        }
    }
    true
}

/// urllib3's port: `0*?(|0|[1-9][0-9]{0,4})`, then at most 65535.
fn parse_port(text: &str) -> Option<u16> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = text.trim_start_matches('0');
    if digits.len() > 5 {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    digits.parse::<u16>().ok()
}

/// Where to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectTarget<'a> {
    /// Plain TCP or TLS.
    pub scheme: Scheme,
    /// The host, without brackets, as written.
    pub host: &'a str,
    /// The port (the scheme's default when the URL names none).
    pub port: u16,
    /// The `Host` header value: host (in brackets for IPv6) and port as written.
    pub authority: &'a str,
}

const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~')
}

const fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// urllib3's `_PATH_CHARS`: unreserved, sub-delims, `:`, `@`, `/`.
const fn is_path_char(b: u8) -> bool {
    is_unreserved(b) || is_sub_delim(b) || matches!(b, b':' | b'@' | b'/')
}

/// urllib3's `_QUERY_CHARS`: path characters and `?`.
const fn is_query_char(b: u8) -> bool {
    is_path_char(b) || b == b'?'
}

/// Where `%` starts a `%XX` escape, scanning left to right as Python's `re.subn` does.
fn escape_at(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b'%')
        && b.get(i.saturating_add(1))
            .is_some_and(u8::is_ascii_hexdigit)
        && b.get(i.saturating_add(2))
            .is_some_and(u8::is_ascii_hexdigit)
}

/// urllib3's `_encode_invalid_chars`.
fn encode_invalid_chars(component: &str, allowed: fn(u8) -> bool, out: &mut Writer<'_>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let b = component.as_bytes();
    // Count the escapes (non-overlapping, left to right) and the `%` signs.
    let (mut escapes, mut percents, mut i) = (0usize, 0usize, 0usize);
    while i < b.len() {
        if escape_at(b, i) {
            escapes = escapes.saturating_add(1);
            i = i.saturating_add(3);
        } else {
            i = i.saturating_add(1);
        }
    }
    for &c in b {
        if c == b'%' {
            percents = percents.saturating_add(1);
        }
    }
    let all_escaped = escapes == percents;
    // Emit; the two hex digits of every escape are upper-cased whatever happens to its `%`.
    let mut upper_left = 0u8;
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        let c = if upper_left > 0 {
            upper_left = upper_left.saturating_sub(1);
            c.to_ascii_uppercase()
        } else {
            if escape_at(b, i) {
                upper_left = 2;
            }
            c
        };
        if (all_escaped && c == b'%') || (c < 128 && allowed(c)) {
            let ch = [c];
            out.push_str(core::str::from_utf8(&ch).unwrap_or(""));
        } else {
            let hi = HEX.get(usize::from(c >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(c & 0xf)).copied().unwrap_or(b'0');
            let esc = [b'%', hi, lo];
            out.push_str(core::str::from_utf8(&esc).unwrap_or(""));
        }
        i = i.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> heapless::String<256> {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        split(url).unwrap().write_request_target(&mut w);
        heapless::String::try_from(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn splits_like_python() {
        let u = split("  HTTP://u:p@Host.Example:8080/a/b;c?q=1?2#frag").unwrap();
        assert_eq!(u.scheme, "HTTP");
        assert!(u.scheme_is("http"));
        assert_eq!(u.netloc, "u:p@Host.Example:8080");
        assert_eq!(u.path, "/a/b;c");
        assert_eq!(u.query, "q=1?2");
        assert_eq!(u.fragment, "frag");
        let h = u.hostname().unwrap();
        assert!(h.eq_str("host.example"));
        assert_eq!(h.raw(), "Host.Example");
        assert_eq!(u.path_without_params(), "/a/b");
        let t = u.connect_target().unwrap();
        assert_eq!(
            (t.scheme, t.host, t.port, t.authority),
            (Scheme::Http, "Host.Example", 8080, "Host.Example:8080")
        );
        // No scheme: `//host` still has a network location.
        let u = split("//h/x").unwrap();
        assert_eq!((u.scheme, u.netloc, u.path), ("", "h", "/x"));
        assert_eq!(u.connect_target().unwrap().scheme, Scheme::Http);
        // `127.0.0.1:9` has a "scheme" of `127.0.0.1`? No: it must start with a letter.
        let u = split("127.0.0.1:9").unwrap();
        assert_eq!((u.scheme, u.netloc, u.path), ("", "", "127.0.0.1:9"));
        assert_eq!(u.hostname(), None);
        let u = split("localhost:9/x").unwrap();
        assert_eq!((u.scheme, u.netloc, u.path), ("localhost", "", "9/x"));
    }

    #[test]
    fn brackets() {
        let u = split("http://[FD00:EC2::254]:81/").unwrap();
        let h = u.hostname().unwrap();
        assert!(h.is_bracketed());
        assert!(h.eq_str("fd00:ec2::254"));
        let t = u.connect_target().unwrap();
        assert_eq!(
            (t.host, t.port, t.authority),
            ("FD00:EC2::254", 81, "[FD00:EC2::254]:81")
        );
        assert_eq!(split("http://[::1/"), Err(UrlError::UnbalancedBrackets));
        assert_eq!(split("http://::1]/"), Err(UrlError::UnbalancedBrackets));
        assert_eq!(
            split("http://[127.0.0.1]/"),
            Err(UrlError::InvalidBracketedHost)
        );
        assert_eq!(split("http://[zz]/"), Err(UrlError::InvalidBracketedHost));
        assert!(split("http://[v1.x]/").is_ok());
        assert_eq!(split("http://[v1]/"), Err(UrlError::InvalidBracketedHost));
        // Junk after the bracket: Python's hostname ignores it, urllib3 refuses it.
        let u = split("http://[::1]junk/").unwrap();
        assert!(u.hostname().unwrap().eq_str("::1"));
        assert_eq!(u.connect_target(), Err(UrlError::InvalidPort));
        // Brackets in the path are fine.
        assert!(split("http://h/[x").is_ok());
    }

    #[test]
    fn connect_targets() {
        let port = |u: &str| split(u).unwrap().connect_target().map(|t| t.port);
        assert_eq!(port("http://h"), Ok(80));
        assert_eq!(port("https://h"), Ok(443));
        assert_eq!(port("http://h:"), Ok(80));
        assert_eq!(port("http://h:0008080"), Ok(8080));
        assert_eq!(port("http://h:000"), Ok(0));
        assert_eq!(port("http://h:65535"), Ok(65535));
        assert_eq!(port("http://h:65536"), Err(UrlError::InvalidPort));
        assert_eq!(port("http://h:123456"), Err(UrlError::InvalidPort));
        assert_eq!(port("http://h:abc"), Err(UrlError::InvalidPort));
        assert_eq!(port("http://h:1:2"), Err(UrlError::InvalidHost));
        assert_eq!(port("ftp://h"), Err(UrlError::UnsupportedScheme));
        assert_eq!(port("http://:80"), Err(UrlError::MissingHost));
        assert_eq!(port("http://a\\b"), Err(UrlError::InvalidHost));
        assert_eq!(port("http://a%zz"), Err(UrlError::InvalidHost));
        assert_eq!(port("http://a%41"), Ok(80));
        assert_eq!(split("http://é/"), Err(UrlError::NonAsciiNetloc));
        assert_eq!(split("http://h/\n"), Err(UrlError::UnsafeCharacter));
    }

    #[test]
    fn request_targets_like_urllib3() {
        assert_eq!(target("http://h"), "/");
        assert_eq!(target("http://h?x=1"), "/?x=1");
        assert_eq!(target("http://h/a b"), "/a%20b");
        assert_eq!(target("http://h/a;b"), "/a");
        assert_eq!(target("http://h/x;y/z"), "/x;y/z");
        assert_eq!(target("http://h/a#b"), "/a");
        assert_eq!(target("http://h/a?b?c"), "/a?b?c");
        assert_eq!(target("http://h/é"), "/%C3%A9");
        assert_eq!(target("http://h/a%20b"), "/a%20b");
        assert_eq!(target("http://h/a%2fb"), "/a%2Fb");
        assert_eq!(target("http://h/a%zz"), "/a%25zz");
        assert_eq!(target("http://h/%2f%"), "/%252F%25");
        assert_eq!(target("http://h/%%41"), "/%25%2541");
        assert_eq!(target("http://h/%41%"), "/%2541%25");
        assert_eq!(target("http://h/a\x00b\x7f"), "/a%00b%7F");
        assert_eq!(target("http://h/?a b#c"), "/?a%20b");
        assert_eq!(target("http://h/p?"), "/p");
        assert_eq!(target("foo://h/a;b"), "/a;b");
    }

    #[test]
    fn without_unsafe() {
        let mut buf = [0u8; 32];
        let mut w = Writer::new(&mut buf);
        write_without_unsafe("a\tb\r\nc", &mut w);
        assert_eq!(w.finish().unwrap(), "abc");
    }
}
