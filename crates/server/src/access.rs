//! Who may talk to a server: the peer-address and `Host`-header checks.
//!
//! A metadata endpoint hands out credentials to anyone who can reach it, so the imitation must
//! not be reachable by more than intended. Two defences, both from aws-vault's local servers
//! (imds-and-tools §1.1):
//!
//! - [`PeerPolicy::LoopbackOnly`] (the default) refuses connections from any address that is not
//!   loopback, even when the server was bound to a wider address.
//! - [`HostCheck`] refuses requests whose `Host` header names something other than the server,
//!   which defeats DNS rebinding: a web page that makes `evil.example` resolve to `127.0.0.1`
//!   still sends `Host: evil.example`.
//!
//! Both answer 403 with the endpoint's error body.

use std::net::{IpAddr, SocketAddr};

/// Which client addresses a server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeerPolicy {
    /// Only loopback addresses (127.0.0.0/8, `::1`, and `::ffff:127.0.0.0/104`).
    #[default]
    LoopbackOnly,
    /// Any address: for a server bound to an address other hosts or network namespaces reach
    /// on purpose (a hop-limit test through a veth pair, for instance).
    Any,
}

impl PeerPolicy {
    pub(crate) fn allows(self, peer: SocketAddr) -> bool {
        match self {
            PeerPolicy::Any => true,
            PeerPolicy::LoopbackOnly => is_loopback(peer.ip()),
        }
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// Which `Host` header values a server accepts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum HostCheck {
    /// Any `Host`, or none.
    #[default]
    Off,
    /// `localhost`, a loopback address, or the link-local address of the service imitated
    /// (`169.254.169.254` / `fd00:ec2::254` for IMDS; `169.254.170.2`, `169.254.170.23`,
    /// `fd00:ec2::23` for the container endpoint), with any port.
    Loopback,
    /// Only these host names or addresses (compared without the port, case-insensitively;
    /// IPv6 addresses without brackets).
    Only(Vec<String>),
}

impl HostCheck {
    /// Whether a request with this `Host` header (None: absent or not text) passes, for a
    /// service whose link-local addresses are `service_hosts`.
    pub(crate) fn allows(&self, host_header: Option<&str>, service_hosts: &[&str]) -> bool {
        if *self == HostCheck::Off {
            return true;
        }
        let Some(host) = host_header.and_then(host_part) else {
            return false;
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        match self {
            HostCheck::Off => true,
            HostCheck::Loopback => {
                host.eq_ignore_ascii_case("localhost")
                    || host.parse::<IpAddr>().is_ok_and(is_loopback)
                    || service_hosts.iter().any(|h| same_host(h, host))
            }
            HostCheck::Only(list) => list.iter().any(|h| same_host(h, host)),
        }
    }
}

fn same_host(allowed: &str, host: &str) -> bool {
    let allowed = allowed
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(allowed);
    match (allowed.parse::<IpAddr>(), host.parse::<IpAddr>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => allowed.eq_ignore_ascii_case(host),
    }
}

/// The host of a `Host` header value: `name`, `name:port`, `[v6]`, `[v6]:port`. Brackets are
/// removed. `None` when the value is malformed.
fn host_part(value: &str) -> Option<&str> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return match after {
            "" => Some(inside),
            port if port.strip_prefix(':').is_some_and(is_port) => Some(inside),
            _ => None,
        };
    }
    match value.split_once(':') {
        None if !value.is_empty() => Some(value),
        Some((host, port)) if !host.is_empty() && is_port(port) => Some(host),
        _ => None,
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn loopback_peers() {
        let p = PeerPolicy::LoopbackOnly;
        assert!(p.allows("127.0.0.1:5".parse().unwrap()));
        assert!(p.allows("127.3.2.1:5".parse().unwrap()));
        assert!(p.allows("[::1]:5".parse().unwrap()));
        assert!(p.allows("[::ffff:127.0.0.1]:5".parse().unwrap()));
        assert!(!p.allows("10.0.0.1:5".parse().unwrap()));
        assert!(!p.allows("[fd00::1]:5".parse().unwrap()));
        assert!(PeerPolicy::Any.allows("10.0.0.1:5".parse().unwrap()));
    }

    #[test]
    fn host_header_forms() {
        assert_eq!(host_part("localhost"), Some("localhost"));
        assert_eq!(host_part("localhost:8080"), Some("localhost"));
        assert_eq!(host_part("[::1]:80"), Some("::1"));
        assert_eq!(host_part("[::1]"), Some("::1"));
        assert_eq!(host_part("[::1]x"), None);
        assert_eq!(host_part("host:"), None);
        assert_eq!(host_part(":80"), None);
        assert_eq!(host_part("a:b:c"), None);
        assert_eq!(host_part(""), None);
    }

    #[test]
    fn host_checks() {
        let svc = ["169.254.169.254", "fd00:ec2::254"];
        let lo = HostCheck::Loopback;
        assert!(lo.allows(Some("127.0.0.1:1338"), &svc));
        assert!(lo.allows(Some("LOCALHOST."), &svc));
        assert!(lo.allows(Some("169.254.169.254"), &svc));
        assert!(lo.allows(Some("[fd00:ec2::254]:80"), &svc));
        assert!(!lo.allows(Some("evil.example"), &svc));
        assert!(!lo.allows(Some("169.254.170.2"), &svc));
        assert!(!lo.allows(None, &svc));
        let only = HostCheck::Only(vec!["169.254.169.254".into(), "[::1]".into()]);
        assert!(only.allows(Some("169.254.169.254:80"), &svc));
        assert!(only.allows(Some("[0:0::1]"), &svc));
        assert!(!only.allows(Some("127.0.0.1"), &svc));
        assert!(HostCheck::Off.allows(None, &svc));
    }
}
