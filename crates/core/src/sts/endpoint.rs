//! Where the STS (and SSO) requests go, and which region signs them (spec §8.4).
//!
//! botocore decides in two steps, and so does this module:
//!
//! 1. **A configured endpoint** ([`configured_endpoint`]): unless
//!    `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` (or the profile's `ignore_configured_endpoint_urls`)
//!    is `true` (any case), the first non-empty one of `AWS_ENDPOINT_URL_<SERVICE>`,
//!    `AWS_ENDPOINT_URL`, the profile's `services` section (`sts =` with an indented
//!    `endpoint_url = …`), the profile's `endpoint_url`. A profile naming a `services` section
//!    that does not exist is an error, as in botocore — but only when the environment did not
//!    already decide.
//! 2. **The endpoint itself** ([`resolve_sts`]): a configured endpoint is used as it is, signed
//!    for the client's region (no region → [`EndpointError::NoRegion`] when signing, botocore's
//!    `NoRegionError`). Otherwise, without a region, the global endpoint
//!    `https://sts.amazonaws.com`, signed for `us-east-1`; with a region, under
//!    `sts_regional_endpoints = legacy` and a region of botocore 1.43.11's legacy list
//!    ([`LEGACY_GLOBAL_REGIONS`]) or `aws-global`, the global endpoint too; else (the default,
//!    `regional`) `https://sts.<region>.<dns suffix>` signed for the region, the DNS suffix
//!    being the region's partition's (`amazonaws.com.cn` for `cn-*`, `c2s.ic.gov` for
//!    `us-iso-*`, …). A region that is not a host label is botocore's `InvalidRegionError`.
//!    `sts_regional_endpoints` (`AWS_STS_REGIONAL_ENDPOINTS` when set, else the profile's) must
//!    be `legacy`, `regional` or empty — even with a configured endpoint: botocore checks it for
//!    every STS client (`InvalidSTSRegionalEndpointsConfigError`).
//!
//! Both steps are proven against botocore's own `create_client('sts', region_name=R)` on
//! generated environments and config files (`tests/sts.rs`).
//!
//! FIPS and dual-stack endpoints (`use_fips_endpoint`, `use_dualstack_endpoint`) are not
//! resolved here; a caller that meets them must say so rather than use the plain endpoint.

use core::fmt;

use crate::buf::{BufferTooSmall, Writer};
use crate::chain::{Env, Str};
use crate::profile::{Merged, MergedProfile};

/// The regions that `sts_regional_endpoints = legacy` sends to the global endpoint
/// (botocore 1.43.11 `LEGACY_GLOBAL_STS_REGIONS`).
pub const LEGACY_GLOBAL_REGIONS: [&str; 16] = [
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "aws-global",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// The global STS endpoint.
pub const GLOBAL_URL: &str = "https://sts.amazonaws.com";

/// The region the global endpoint is signed for.
pub const GLOBAL_SIGNING_REGION: &str = "us-east-1";

/// A service whose endpoint can be configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ServiceId {
    /// The variable `AWS_ENDPOINT_URL_<this>` (`STS`, `SSO`, `SSO_OIDC`).
    pub env_suffix: &'static str,
    /// The key in a `services` section (`sts`, `sso`, `sso_oidc`).
    pub config_key: &'static str,
}

impl ServiceId {
    /// STS.
    pub const STS: ServiceId = ServiceId {
        env_suffix: "STS",
        config_key: "sts",
    };
    /// The SSO portal (`GetRoleCredentials`).
    pub const SSO: ServiceId = ServiceId {
        env_suffix: "SSO",
        config_key: "sso",
    };
    /// SSO OIDC (`CreateToken`).
    pub const SSO_OIDC: ServiceId = ServiceId {
        env_suffix: "SSO_OIDC",
        config_key: "sso_oidc",
    };
}

/// Where a configured endpoint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndpointOrigin {
    /// `AWS_ENDPOINT_URL_<SERVICE>`.
    ServiceEnv,
    /// `AWS_ENDPOINT_URL`.
    GlobalEnv,
    /// The profile's `services` section.
    ServicesSection,
    /// The profile's `endpoint_url`.
    Profile,
}

/// An endpoint URL from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct ConfiguredEndpoint<'a> {
    /// The URL as configured.
    pub url: Str<'a>,
    /// Where it came from.
    pub origin: EndpointOrigin,
}

/// Why no endpoint could be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EndpointError {
    /// A custom endpoint and no region: botocore's `NoRegionError` ("You must specify a
    /// region.") when the request is signed.
    NoRegion,
    /// The region is not a host label (botocore's `InvalidRegionError`).
    InvalidRegion,
    /// `sts_regional_endpoints` is neither `legacy` nor `regional` (botocore's
    /// `InvalidSTSRegionalEndpointsConfigError`).
    InvalidRegionalEndpoints,
    /// The profile's `services` names a section that does not exist (botocore's
    /// `InvalidConfigError`).
    MissingServicesSection,
    /// The `services` section's entry for the service is a plain value, not an indented
    /// block (botocore fails with an `AttributeError`).
    ServicesEntryNotNested,
}

impl fmt::Display for EndpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EndpointError::NoRegion => "You must specify a region.",
            EndpointError::InvalidRegion => {
                "Provided region_name is not a valid host label (letters, digits and '-')"
            }
            EndpointError::InvalidRegionalEndpoints => {
                "STS regional endpoints option is invalid. Valid options are: \"legacy\", \"regional\""
            }
            EndpointError::MissingServicesSection => {
                "The profile is configured to use the services section but the services \
                 configuration does not exist."
            }
            EndpointError::ServicesEntryNotNested => {
                "the services section's entry for the service must be an indented block \
                 (`sts =` then `  endpoint_url = ...`)"
            }
        })
    }
}

impl core::error::Error for EndpointError {}

/// A value the profile may hold, as text.
fn profile_value<'a>(profile: Option<&MergedProfile<'a>>, key: &str) -> Option<Str<'a>> {
    profile
        .and_then(|p| p.get(key))
        .map(|(v, _)| Str::from_value(v))
}

/// Whether configured endpoints are ignored: `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` when set
/// (even empty), else the profile's `ignore_configured_endpoint_urls`; `true` in any case
/// means yes (botocore's `ensure_boolean`).
#[must_use]
pub fn ignore_configured_endpoints(env: &dyn Env, profile: Option<&MergedProfile<'_>>) -> bool {
    match env.var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => profile_value(profile, "ignore_configured_endpoint_urls")
            .is_some_and(|v| v.len() == 4 && eq_ignore_case(&v, "true")),
    }
}

fn eq_ignore_case(s: &Str<'_>, want: &str) -> bool {
    let mut w = want.chars();
    s.fragments()
        .flat_map(str::chars)
        .all(|c| w.next().is_some_and(|x| x.eq_ignore_ascii_case(&c)))
        && w.next().is_none()
}

/// The configured endpoint for `service` (step 1 of the [module documentation](self)), or
/// `None` when none is configured or configured endpoints are ignored. `profile` is the
/// selected profile of `merged`, if it exists.
pub fn configured_endpoint<'a>(
    service: ServiceId,
    env: &'a dyn Env,
    merged: &Merged<'a>,
    profile: Option<&MergedProfile<'a>>,
) -> Result<Option<ConfiguredEndpoint<'a>>, EndpointError> {
    if ignore_configured_endpoints(env, profile) {
        return Ok(None);
    }
    let mut name = [0u8; 64];
    let mut w = Writer::new(&mut name);
    w.push_str("AWS_ENDPOINT_URL_");
    w.push_str(service.env_suffix);
    let var = w.finish().unwrap_or("AWS_ENDPOINT_URL_");
    if let Some(url) = env.var(var).filter(|v| !v.is_empty()) {
        return Ok(Some(ConfiguredEndpoint {
            url: Str::Plain(url),
            origin: EndpointOrigin::ServiceEnv,
        }));
    }
    if let Some(url) = env.var("AWS_ENDPOINT_URL").filter(|v| !v.is_empty()) {
        return Ok(Some(ConfiguredEndpoint {
            url: Str::Plain(url),
            origin: EndpointOrigin::GlobalEnv,
        }));
    }
    if let Some(services) = profile_value(profile, "services") {
        let section = services
            .as_str()
            .and_then(|n| merged.service(n))
            .ok_or(EndpointError::MissingServicesSection)?;
        if let Some(entry) = section.get(service.config_key) {
            let url = match entry.sub_properties() {
                Some(_) => entry.sub_property("endpoint_url"),
                None => return Err(EndpointError::ServicesEntryNotNested),
            };
            if let Some(url) = url.filter(|u| !u.is_empty()) {
                return Ok(Some(ConfiguredEndpoint {
                    url: Str::Plain(url),
                    origin: EndpointOrigin::ServicesSection,
                }));
            }
        }
    }
    Ok(profile_value(profile, "endpoint_url")
        .filter(|u| !u.is_empty())
        .map(|url| ConfiguredEndpoint {
            url,
            origin: EndpointOrigin::Profile,
        }))
}

/// `sts_regional_endpoints`: `AWS_STS_REGIONAL_ENDPOINTS` when set (even empty), else the
/// profile's value.
#[must_use]
pub fn sts_regional_endpoints<'a>(
    env: &'a dyn Env,
    profile: Option<&MergedProfile<'a>>,
) -> Option<Str<'a>> {
    match env.var("AWS_STS_REGIONAL_ENDPOINTS") {
        Some(v) => Some(Str::Plain(v)),
        None => profile_value(profile, "sts_regional_endpoints"),
    }
}

/// An endpoint's URL.
#[derive(Debug, Clone, Copy)]
pub enum EndpointUrl<'a> {
    /// `https://sts.amazonaws.com`.
    Global,
    /// `https://<prefix>.<region>.<dns_suffix>`.
    Regional {
        /// `sts`, `portal.sso` or `oidc`.
        prefix: &'static str,
        /// The region.
        region: &'a str,
        /// The partition's DNS suffix.
        dns_suffix: &'static str,
    },
    /// As configured.
    Configured(ConfiguredEndpoint<'a>),
}

impl EndpointUrl<'_> {
    /// Writes the URL (no trailing `/` for the built ones; a configured one as configured).
    pub fn write_url<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        match self {
            EndpointUrl::Global => w.push_str(GLOBAL_URL),
            EndpointUrl::Regional {
                prefix,
                region,
                dns_suffix,
            } => {
                w.push_str("https://");
                w.push_str(prefix);
                w.push_str(".");
                w.push_str(region);
                w.push_str(".");
                w.push_str(dns_suffix);
            }
            EndpointUrl::Configured(c) => c.url.fragments().for_each(|f| w.push_str(f)),
        }
        w.finish()
    }
}

/// The STS endpoint and how to sign for it.
#[derive(Debug, Clone, Copy)]
pub struct StsEndpoint<'a> {
    /// Where to send the request.
    pub url: EndpointUrl<'a>,
    /// The SigV4 region; `None` for a configured endpoint without a region.
    pub signing_region: Option<&'a str>,
}

impl<'a> StsEndpoint<'a> {
    /// The region to sign for, or [`EndpointError::NoRegion`] (botocore raises it for signed
    /// requests; the unsigned web identity request needs no region).
    pub fn signing_region(&self) -> Result<&'a str, EndpointError> {
        self.signing_region.ok_or(EndpointError::NoRegion)
    }
}

/// botocore's `validate_region_name`: a host label of at most 63 letters, digits and `-`, not
/// starting or ending with `-`, not all digits.
#[must_use]
pub fn is_valid_region(region: &str) -> bool {
    let b = region.as_bytes();
    b.len() <= 63
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b.first() != Some(&b'-')
        && b.last() != Some(&b'-')
        && (b.is_empty() || !b.iter().all(u8::is_ascii_digit))
}

/// The DNS suffix of the partition `region` belongs to (botocore's `partitions.json`; regions
/// of no partition belong to `aws`).
#[must_use]
pub fn dns_suffix(region: &str) -> &'static str {
    const GLOBALS: [(&str, &str); 7] = [
        ("aws-global", "amazonaws.com"),
        ("aws-cn-global", "amazonaws.com.cn"),
        ("aws-us-gov-global", "amazonaws.com"),
        ("aws-iso-global", "c2s.ic.gov"),
        ("aws-iso-b-global", "sc2s.sgov.gov"),
        ("aws-iso-e-global", "cloud.adc-e.uk"),
        ("aws-iso-f-global", "csp.hci.ic.gov"),
    ];
    if let Some((_, s)) = GLOBALS.iter().find(|(r, _)| *r == region) {
        return s;
    }
    let is_word =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let is_num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut parts = region.split('-');
    let p: [Option<&str>; 5] = core::array::from_fn(|_| parts.next());
    match p {
        [Some("cn"), Some(w), Some(d), None, None] if is_word(w) && is_num(d) => "amazonaws.com.cn",
        [Some(a), Some(b), Some(w), Some(d), None] if is_word(w) && is_num(d) => match (a, b) {
            ("eusc", "de") => "amazonaws.eu",
            ("us", "iso") => "c2s.ic.gov",
            ("us", "isob") => "sc2s.sgov.gov",
            ("eu", "isoe") => "cloud.adc-e.uk",
            ("us", "isof") => "csp.hci.ic.gov",
            _ => "amazonaws.com",
        },
        _ => "amazonaws.com",
    }
}

/// Chooses the STS endpoint (step 2 of the [module documentation](self)). `region` is the
/// region of the STS client (spec §8.4: the session's region; `None` when there is none);
/// `regional_endpoints` is [`sts_regional_endpoints`]; `configured` is [`configured_endpoint`].
///
/// ```
/// use credchain_core::sts::endpoint::{resolve_sts, EndpointError};
/// use credchain_core::chain::Str;
///
/// let mut buf = [0u8; 64];
/// let e = resolve_sts(None, None, None)?;
/// assert_eq!((e.url.write_url(&mut buf)?, e.signing_region), ("https://sts.amazonaws.com", Some("us-east-1")));
/// let e = resolve_sts(Some("eu-west-1"), None, None)?;
/// assert_eq!(e.url.write_url(&mut buf)?, "https://sts.eu-west-1.amazonaws.com");
/// let e = resolve_sts(Some("eu-west-1"), Some(&Str::Plain("legacy")), None)?;
/// assert_eq!((e.url.write_url(&mut buf)?, e.signing_region), ("https://sts.amazonaws.com", Some("us-east-1")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_sts<'a>(
    region: Option<&'a str>,
    regional_endpoints: Option<&Str<'_>>,
    configured: Option<ConfiguredEndpoint<'a>>,
) -> Result<StsEndpoint<'a>, EndpointError> {
    if region.is_some_and(|r| !is_valid_region(r)) {
        return Err(EndpointError::InvalidRegion);
    }
    // Checked whatever else is configured: botocore computes its `UseGlobalEndpoint` input
    // for every STS client.
    let legacy = match regional_endpoints {
        None => false,
        Some(v) if v.is_empty() || *v == "regional" => false,
        Some(v) if *v == "legacy" => true,
        Some(_) => return Err(EndpointError::InvalidRegionalEndpoints),
    };
    if let Some(c) = configured {
        return Ok(StsEndpoint {
            url: EndpointUrl::Configured(c),
            signing_region: region,
        });
    }
    let global = StsEndpoint {
        url: EndpointUrl::Global,
        signing_region: Some(GLOBAL_SIGNING_REGION),
    };
    let Some(region) = region else {
        return Ok(global);
    };
    if region == "aws-global" || (legacy && LEGACY_GLOBAL_REGIONS.contains(&region)) {
        return Ok(global);
    }
    Ok(StsEndpoint {
        url: EndpointUrl::Regional {
            prefix: "sts",
            region,
            dns_suffix: dns_suffix(region),
        },
        signing_region: Some(region),
    })
}

/// The endpoint of a regional service that always has a region (the SSO portal, SSO OIDC):
/// the configured one, else `https://<prefix>.<region>.<dns suffix>`.
pub fn resolve_regional<'a>(
    prefix: &'static str,
    region: &'a str,
    configured: Option<ConfiguredEndpoint<'a>>,
) -> Result<EndpointUrl<'a>, EndpointError> {
    if !is_valid_region(region) || region.is_empty() {
        return Err(EndpointError::InvalidRegion);
    }
    Ok(match configured {
        Some(c) => EndpointUrl::Configured(c),
        None => EndpointUrl::Regional {
            prefix,
            region,
            dns_suffix: dns_suffix(region),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions() {
        assert_eq!(dns_suffix("cn-north-1"), "amazonaws.com.cn");
        assert_eq!(dns_suffix("us-gov-west-1"), "amazonaws.com");
        assert_eq!(dns_suffix("us-iso-east-1"), "c2s.ic.gov");
        assert_eq!(dns_suffix("us-isob-east-1"), "sc2s.sgov.gov");
        assert_eq!(dns_suffix("eusc-de-east-1"), "amazonaws.eu");
        assert_eq!(dns_suffix("mars-1"), "amazonaws.com");
        assert!(is_valid_region("eu-west-1"));
        assert!(!is_valid_region("123"));
        assert!(!is_valid_region("-a"));
        assert!(!is_valid_region("a.b"));
    }

    #[test]
    fn custom_endpoint_needs_region_to_sign() {
        let c = ConfiguredEndpoint {
            url: Str::Plain("http://127.0.0.1:9"),
            origin: EndpointOrigin::ServiceEnv,
        };
        let e = resolve_sts(None, None, Some(c)).unwrap();
        assert_eq!(e.signing_region(), Err(EndpointError::NoRegion));
        assert_eq!(
            resolve_sts(Some("eu-west-1"), Some(&Str::Plain("bogus")), None).unwrap_err(),
            EndpointError::InvalidRegionalEndpoints
        );
    }
}
