//! Which IMDS endpoint is asked, and whether botocore would accept it (spec §4.2).
//!
//! botocore picks the base URL once, when the credential resolver is built:
//!
//! 1. a custom endpoint (`AWS_EC2_METADATA_SERVICE_ENDPOINT` / `ec2_metadata_service_endpoint`,
//!    not empty) wins, even over the IPv6 mode;
//! 2. otherwise mode `ipv6` gives `http://[fd00:ec2::254]/`;
//! 3. otherwise `http://169.254.169.254/`.
//!
//! The chosen URL must pass `is_valid_uri` ([`is_valid_uri`] here): no TAB, CR or LF; a host of at
//! most 255 characters (one trailing dot allowed) made of labels `[A-Za-z0-9-]{1,63}` that
//! neither start nor end with `-`, or a bracketed RFC 3986 IPv6 address. The scheme is not
//! checked, so `ftp://host/` and `//host/` pass, as do `http://host:abc/` and
//! `http://fd00:ec2::254/` (its "host" is `fd00`); such URLs fail later, when the first request
//! is made ([`crate::imds::ImdsError::InvalidEndpoint`]), and not at all when no request is made.
//!
//! Paths are joined with a `/` when the base does not end in one, and a base path is kept:
//! `http://h:1/pfx` gives `http://h:1/pfx/latest/api/token`.

use core::fmt;

use crate::buf::{BufferTooSmall, Writer};
use crate::http::url::{self, UrlError};

/// The IPv4 endpoint.
pub const IPV4_BASE_URL: &str = "http://169.254.169.254/";
/// The IPv6 endpoint.
pub const IPV6_BASE_URL: &str = "http://[fd00:ec2::254]/";

/// The path of the IMDSv2 session token.
pub const TOKEN_PATH: &str = "latest/api/token";
/// The path listing the instance profile's role.
pub const ROLE_LISTING_PATH: &str = "latest/meta-data/iam/security-credentials/";
/// The path of the instance profile description.
pub const IAM_INFO_PATH: &str = "latest/meta-data/iam/info";
/// The path of the instance identity role credentials.
pub const IDENTITY_CREDENTIALS_PATH: &str =
    "latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance";

/// The base URL IMDS requests go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint<'a> {
    /// `http://169.254.169.254/`.
    Ipv4,
    /// `http://[fd00:ec2::254]/`.
    Ipv6,
    /// A custom base URL, validated.
    Custom(&'a str),
}

impl<'a> Endpoint<'a> {
    /// A custom endpoint, checked as botocore checks it.
    pub fn custom(url: &'a str) -> Result<Endpoint<'a>, EndpointError> {
        validate(url)?;
        Ok(Endpoint::Custom(url))
    }

    /// The base URL.
    #[must_use]
    pub const fn base_url(&self) -> &'a str {
        match self {
            Endpoint::Ipv4 => IPV4_BASE_URL,
            Endpoint::Ipv6 => IPV6_BASE_URL,
            Endpoint::Custom(url) => url,
        }
    }

    /// Writes `base + path`, with a `/` between them when the base does not end in one
    /// (botocore's `_construct_url`).
    pub fn write_url(&self, path: &str, out: &mut Writer<'_>) {
        let base = self.base_url();
        out.push_str(base);
        if !base.is_empty() && !base.ends_with('/') {
            out.push_str("/");
        }
        out.push_str(path);
    }

    /// `base + path` in `buf`.
    pub fn url<'b>(&self, path: &str, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        self.write_url(path, &mut w);
        w.finish()
    }

    /// The token URL, the first URL botocore requests.
    pub fn token_url<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        self.url(TOKEN_PATH, buf)
    }
}

impl fmt::Display for Endpoint<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base_url())
    }
}

/// Why botocore's `is_valid_uri` refuses an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointError {
    /// TAB, CR or LF in the URL.
    UnsafeCharacter,
    /// The URL has no host.
    NoHost,
    /// The host is longer than 255 characters.
    HostTooLong,
    /// The host is neither a name of valid labels nor a bracketed IPv6 address.
    InvalidHost,
    /// Python's URL parser raised `ValueError` (botocore raises it as it is).
    Url(UrlError),
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointError::UnsafeCharacter => f.write_str("TAB, CR or LF in the URL"),
            EndpointError::NoHost => f.write_str("the URL names no host"),
            EndpointError::HostTooLong => f.write_str("the host is longer than 255 characters"),
            EndpointError::InvalidHost => f.write_str(
                "the host is neither a DNS name (labels of letters, digits and '-', 1 to 63 \
                 long, not starting or ending with '-') nor an IPv6 address in brackets",
            ),
            EndpointError::Url(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for EndpointError {}

/// botocore's `is_valid_uri`.
#[must_use]
pub fn is_valid_uri(url: &str) -> bool {
    validate(url).is_ok()
}

/// botocore's `is_valid_uri`, saying why a URL fails.
pub fn validate(url: &str) -> Result<(), EndpointError> {
    if url.contains(url::is_unsafe) {
        return Err(EndpointError::UnsafeCharacter);
    }
    let split = url::split(url).map_err(EndpointError::Url)?;
    let host = split.hostname().ok_or(EndpointError::NoHost)?;
    // `is_valid_endpoint_url`
    if host.len() > 255 {
        return Err(EndpointError::HostTooLong);
    }
    let raw = host.raw();
    let name = raw.strip_suffix('.').unwrap_or(raw);
    if !name.is_empty() && name.split('.').all(is_label) {
        return Ok(());
    }
    // `is_valid_ipv6_endpoint_url`: the hostname put back in brackets must match
    // `IPV6_ADDRZ_RE`, whether or not the URL had brackets.
    if crate::http::ip::is_rfc3986_ipv6_with_zone(raw) {
        return Ok(());
    }
    Err(EndpointError::InvalidHost)
}

/// `(?!-)[A-Z\d-]{1,63}(?<!-)`, ignoring case.
fn is_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn botocore_validity() {
        for ok in [
            "http://169.254.169.254/",
            "http://[fd00:ec2::254]/",
            "http://fd00:ec2::254/",
            "ftp://host/",
            "//host/",
            "http://host:abc/",
            "http://a.b.c./",
            "http://UPPER-case.Example",
            "http://[fe80::1%25eth0]/",
            "http://[v1.x]/",
            "http://u:p@host/",
            "  http://host/",
        ] {
            assert!(is_valid_uri(ok), "{ok}");
        }
        for bad in [
            "127.0.0.1:9",
            "http://my_host/",
            "not a url",
            "http://h\t/",
            "http://-a/",
            "http://a-/",
            "http://a..b/",
            "http:///x",
            "http://./",
            "http://[::1/",
            "http://[127.0.0.1]/",
            "",
        ] {
            assert!(!is_valid_uri(bad), "{bad}");
        }
        let long = "http://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/";
        assert_eq!(validate(long), Err(EndpointError::InvalidHost));
    }

    #[test]
    fn joins_like_botocore() {
        let mut buf = [0u8; 64];
        assert_eq!(
            Endpoint::Custom("http://h:1/pfx")
                .token_url(&mut buf)
                .unwrap(),
            "http://h:1/pfx/latest/api/token"
        );
        assert_eq!(
            Endpoint::Ipv6.token_url(&mut buf).unwrap(),
            "http://[fd00:ec2::254]/latest/api/token"
        );
        assert_eq!(
            Endpoint::custom("http://override:456")
                .unwrap()
                .token_url(&mut buf)
                .unwrap(),
            "http://override:456/latest/api/token"
        );
        let mut small = [0u8; 4];
        assert_eq!(
            Endpoint::Ipv4.token_url(&mut small),
            Err(BufferTooSmall {
                needed: 39,
                available: 4
            })
        );
    }
}
