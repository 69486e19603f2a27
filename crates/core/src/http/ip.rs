//! IP addresses read the way botocore's Python reads them.
//!
//! Two readers matter for credentials:
//!
//! - Python's `ipaddress.ip_address`, behind the container host allow-list ("is it a loopback
//!   address?", spec §6) and behind `urllib.parse`'s check of a bracketed host (spec §4.2).
//!   It is strict: four decimal octets without leading zeros (`127.0.0.01` is not an address),
//!   IPv6 hextets of one to four hex digits, at most one `::` standing for at least one hextet,
//!   an IPv4 tail only in last place, and an optional `%scope` that is not empty and holds no
//!   second `%`.
//! - The RFC 3986 grammar botocore uses to accept a bracketed IMDS endpoint
//!   (`IPV6_ADDRZ_RE`, spec §4.2): the same IPv6 shapes, but the IPv4 tail is any
//!   `d{1,3}.d{1,3}.d{1,3}.d{1,3}`, and the zone must be unreserved characters or `%XX` escapes.
//!
//! Both are written here as one parser with a switch, so they cannot drift apart. Nothing here
//! allocates; every loop is bounded by the input.

/// An IPv4 address read by Python's `ipaddress.IPv4Address`: exactly four ASCII decimal octets,
/// each 0–255, without leading zeros.
#[must_use]
pub fn parse_ipv4(s: &str) -> Option<[u8; 4]> {
    parse_ipv4_with(s, Ipv4Rules::Python)
}

/// An IPv6 address read by Python's `ipaddress.IPv6Address`, with its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6<'a> {
    /// The eight hextets.
    pub segments: [u16; 8],
    /// The text after `%`, if any.
    pub scope: Option<&'a str>,
}

impl Ipv6<'_> {
    /// Whether this is `::1`, the loopback address (Python 3.11 ignores the scope and does not
    /// count IPv4-mapped loopback addresses).
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        self.segments == [0, 0, 0, 0, 0, 0, 0, 1]
    }
}

/// An IPv6 address read by Python's `ipaddress.IPv6Address` (scope allowed).
#[must_use]
pub fn parse_ipv6(s: &str) -> Option<Ipv6<'_>> {
    let (addr, scope) = match s.split_once('%') {
        None => (s, None),
        Some((addr, scope)) => {
            if scope.is_empty() || scope.contains('%') {
                return None;
            }
            (addr, Some(scope))
        }
    };
    let segments = ipv6_segments(addr, Ipv4Rules::Python)?;
    Some(Ipv6 { segments, scope })
}

/// What Python's `ipaddress.ip_address` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IpAddr<'a> {
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6(Ipv6<'a>),
}

impl IpAddr<'_> {
    /// Python's `is_loopback`: `127.0.0.0/8`, or `::1`.
    #[must_use]
    pub fn is_loopback(&self) -> bool {
        match self {
            IpAddr::V4([a, ..]) => *a == 127,
            IpAddr::V6(v6) => v6.is_loopback(),
        }
    }
}

/// Python's `ipaddress.ip_address(s)` for a string: IPv4 first, then IPv6.
#[must_use]
pub fn parse_ip(s: &str) -> Option<IpAddr<'_>> {
    if let Some(v4) = parse_ipv4(s) {
        return Some(IpAddr::V4(v4));
    }
    parse_ipv6(s).map(IpAddr::V6)
}

/// Whether `inner` — the text between the brackets of a URL host, lowercase as Python's
/// `hostname` gives it — matches botocore's `IPV6_ADDRZ_RE` (RFC 3986 `IPv6address`, plus an
/// optional zone written `%25zone` or `%zone`).
#[must_use]
pub fn is_rfc3986_ipv6_with_zone(inner: &str) -> bool {
    let (addr, zone) = match inner.split_once('%') {
        None => (inner, None),
        Some((addr, zone)) => (addr, Some(zone)),
    };
    if let Some(zone) = zone {
        // `(?:%25|%)(?:[unreserved]|%[0-9A-Fa-f]{2})+`: `%25` is itself a zone of "25" after `%`,
        // so the zone is one or more unreserved characters or escapes.
        if !is_zone_id(zone) {
            return false;
        }
    }
    ipv6_segments(addr, Ipv4Rules::Rfc3986).is_some()
}

fn is_zone_id(zone: &str) -> bool {
    let b = zone.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        if c == b'%' {
            let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i.saturating_add(1)) && hex(i.saturating_add(2))) {
                return false;
            }
            i = i.saturating_add(3);
        } else if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'!' | b'-' | b'~') {
            i = i.saturating_add(1);
        } else {
            return false;
        }
    }
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ipv4Rules {
    /// `ipaddress`: octets 0–255, no leading zeros.
    Python,
    /// RFC 3986 regex: one to three digits, any value.
    Rfc3986,
}

fn parse_ipv4_with(s: &str, rules: Ipv4Rules) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut parts = s.split('.');
    for slot in &mut out {
        let part = parts.next()?;
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let value = part.bytes().fold(0u16, |n, d| {
            n.saturating_mul(10)
                .saturating_add(u16::from(d.saturating_sub(b'0')))
        });
        if rules == Ipv4Rules::Python && (value > 255 || (part.len() > 1 && part.starts_with('0')))
        {
            return None;
        }
        // Under the RFC 3986 rules only the shape matters; the value is kept modulo 256.
        *slot = (value & 0xff) as u8;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(out)
}

/// Python's `IPv6Address._ip_int_from_string`, step by step, without a scope.
fn ipv6_segments(addr: &str, rules: Ipv4Rules) -> Option<[u16; 8]> {
    const HEXTETS: usize = 8;
    if addr.is_empty() {
        return None;
    }
    // Split into at most 9 parts (8 colons); more is an error.
    let mut parts: [&str; HEXTETS + 2] = [""; HEXTETS + 2];
    let mut n = 0usize;
    for part in addr.split(':') {
        let slot = parts.get_mut(n)?;
        *slot = part;
        n = n.saturating_add(1);
    }
    if n < 3 {
        return None;
    }
    // An IPv4 tail stands for two hextets.
    let mut tail: Option<[u16; 2]> = None;
    let last = *parts.get(n.checked_sub(1)?)?;
    let mut count = n;
    if last.contains('.') {
        let v4 = parse_ipv4_with(last, rules)?;
        let [a, b, c, d] = v4;
        tail = Some([u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])]);
        // The tail's one part becomes two.
        count = count.saturating_add(1);
    }
    if count > HEXTETS.saturating_add(1) {
        return None;
    }
    // The textual parts, with the IPv4 tail counted as two non-empty parts.
    let text = |i: usize| -> &str { parts.get(i).copied().unwrap_or("") };
    let is_tail = |i: usize| tail.is_some() && i.saturating_add(2) >= count;
    let part_empty = |i: usize| !is_tail(i) && text(i).is_empty();

    let mut skip: Option<usize> = None;
    for i in 1..count.saturating_sub(1) {
        if part_empty(i) {
            if skip.is_some() {
                return None;
            }
            skip = Some(i);
        }
    }
    // `hi` parts come before the `::`, `lo` after; the `::` stands for the rest (at least one).
    let (hi, lo) = match skip {
        Some(k) => {
            let mut hi = k;
            let mut lo = count.saturating_sub(k).saturating_sub(1);
            if part_empty(0) {
                hi = hi.saturating_sub(1);
                if hi != 0 {
                    return None;
                }
            }
            if part_empty(count.saturating_sub(1)) {
                lo = lo.saturating_sub(1);
                if lo != 0 {
                    return None;
                }
            }
            let used = hi.saturating_add(lo);
            if used >= HEXTETS {
                return None;
            }
            (hi, lo)
        }
        None => {
            if count != HEXTETS || part_empty(0) || part_empty(count.saturating_sub(1)) {
                return None;
            }
            (count, 0)
        }
    };
    let hextet = |i: usize| -> Option<u16> {
        if is_tail(i) {
            let [a, b] = tail?;
            // The tail occupies the last two of `count` positions.
            return Some(if i.saturating_add(2) == count { a } else { b });
        }
        let t = text(i);
        if t.is_empty() || t.len() > 4 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u16::from_str_radix(t, 16).ok()
    };
    let mut out = [0u16; HEXTETS];
    for i in 0..hi {
        *out.get_mut(i)? = hextet(i)?;
    }
    for j in 0..lo {
        // parts[count - lo + j] goes to out[8 - lo + j].
        let src = count.saturating_sub(lo).saturating_add(j);
        let dst = HEXTETS.saturating_sub(lo).saturating_add(j);
        *out.get_mut(dst)? = hextet(src)?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_python_rules() {
        assert_eq!(parse_ipv4("127.0.0.1"), Some([127, 0, 0, 1]));
        assert_eq!(parse_ipv4("255.255.255.255"), Some([255; 4]));
        for bad in [
            "127.0.0.01",
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "1..2.3",
            "",
            "1.2.3.4 ",
            "+1.2.3.4",
            "1234.1.1.1",
            "١.2.3.4",
        ] {
            assert_eq!(parse_ipv4(bad), None, "{bad}");
        }
        assert!(parse_ipv4_with("01.2.3.999", Ipv4Rules::Rfc3986).is_some());
    }

    #[test]
    fn ipv6_python_rules() {
        let seg = |s| parse_ipv6(s).map(|a| a.segments);
        assert_eq!(seg("::1"), Some([0, 0, 0, 0, 0, 0, 0, 1]));
        assert_eq!(seg("::"), Some([0; 8]));
        assert_eq!(
            seg("fd00:ec2::23"),
            Some([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x23])
        );
        assert_eq!(seg("1:2:3:4:5:6:7::"), Some([1, 2, 3, 4, 5, 6, 7, 0]));
        assert_eq!(seg("::2:3:4:5:6:7:8"), Some([0, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(seg("1:2:3:4:5:6:7:8"), Some([1, 2, 3, 4, 5, 6, 7, 8]));
        assert_eq!(
            seg("::ffff:127.0.0.1"),
            Some([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1])
        );
        assert_eq!(
            seg("1:2:3:4:5:6:1.2.3.4"),
            Some([1, 2, 3, 4, 5, 6, 0x0102, 0x0304])
        );
        for bad in [
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            ":1::",
            "1::2::3",
            ":::",
            "1:2:3:4:5:6:7:8::",
            "::1:2:3:4:5:6:7:8",
            "12345::",
            "g::",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3.04",
            "::1.2.3",
            "1:",
            ":1",
            "",
            "1:2",
        ] {
            assert_eq!(seg(bad), None, "{bad}");
        }
        let a = parse_ipv6("fe80::1%eth0").unwrap();
        assert_eq!(a.scope, Some("eth0"));
        assert_eq!(parse_ipv6("fe80::1%"), None);
        assert_eq!(parse_ipv6("fe80::1%a%b"), None);
        assert!(parse_ipv6("::1%x").unwrap().is_loopback());
        assert!(!parse_ipv6("::ffff:127.0.0.1").unwrap().is_loopback());
    }

    #[test]
    fn loopback() {
        assert!(parse_ip("127.255.0.9").unwrap().is_loopback());
        assert!(parse_ip("0:0:0:0:0:0:0:1").unwrap().is_loopback());
        assert!(!parse_ip("169.254.170.2").unwrap().is_loopback());
        assert_eq!(parse_ip("localhost"), None);
    }

    #[test]
    fn rfc3986_ipv6() {
        assert!(is_rfc3986_ipv6_with_zone("fd00:ec2::254"));
        assert!(is_rfc3986_ipv6_with_zone("fe80::1%25eth0"));
        assert!(is_rfc3986_ipv6_with_zone("fe80::1%eth0"));
        assert!(is_rfc3986_ipv6_with_zone("fe80::1%2"));
        assert!(is_rfc3986_ipv6_with_zone("::01.2.3.999"));
        assert!(!is_rfc3986_ipv6_with_zone("fe80::1%"));
        assert!(!is_rfc3986_ipv6_with_zone("fe80::1%e:t"));
        assert!(is_rfc3986_ipv6_with_zone("fe80::1%%41"));
        assert!(is_rfc3986_ipv6_with_zone("fe80::1%%41x"));
        assert!(!is_rfc3986_ipv6_with_zone("fe80::1%%4"));
        assert!(is_rfc3986_ipv6_with_zone("fe80::1%25"));
        assert!(is_rfc3986_ipv6_with_zone("fe80::1%a%41"));
        assert!(!is_rfc3986_ipv6_with_zone("fe80"));
    }
}
