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
//! ## FIPS and dual-stack (botocore's endpoint rulesets)
//!
//! `use_fips_endpoint` and `use_dualstack_endpoint` ([`endpoint_variant`]) are read as
//! botocore's config store reads them: `AWS_USE_FIPS_ENDPOINT` / `AWS_USE_DUALSTACK_ENDPOINT`
//! when set (even empty), else the profile's key; `true` in any case is on, anything else
//! (empty, `1`, `yes`, a typo) is off, without an error (`ensure_boolean`). A region written
//! as a FIPS pseudo-region (`fips-us-east-1`, `us-east-1-fips`, any `fips-` or `-fips` inside)
//! is normalized first and turns FIPS on ([`ClientRegion`], botocore's
//! `_normalize_fips_region`). Then the rulesets of STS, SSO and SSO-OIDC
//! ([`resolve_sts_with`], [`resolve_service`]):
//!
//! | configured endpoint | FIPS | dual-stack | host |
//! | --- | --- | --- | --- |
//! | yes | any | any | the configured URL: both settings are ignored (botocore passes them to the ruleset only without one) |
//! | no | on | on | `<service>-fips.<region>.<dual-stack suffix>` (`sts-fips.us-east-1.api.aws`) |
//! | no | on | off | `<service>-fips.<region>.<dns suffix>`; in `aws-us-gov` the plain `<service>.<region>.amazonaws.com` |
//! | no | off | on | `<service>.<region>.<dual-stack suffix>` (`sts.eu-west-1.api.aws`) |
//!
//! The service is `sts`, `portal.sso` or `oidc`. Either setting turns the legacy global STS
//! endpoint off (`sts_regional_endpoints = legacy` no longer applies, `aws-global` becomes a
//! host label: `sts-fips.aws-global.amazonaws.com`); an STS client without a region then
//! resolves for the region `aws-global`, signed for `aws-global`, as botocore does. Every
//! partition of botocore 1.43.11's rulesets supports both, so their "partition does not
//! support FIPS" errors cannot happen ([`PARTITIONS`]); but botocore first asks its legacy
//! endpoint data, which has no dual-stack host in `aws-iso-e` and `aws-iso-f`: dual-stack
//! there is [`EndpointError::DualStackUnsupported`] (`EndpointVariantError`), whether or not
//! an endpoint is configured.

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
    /// The host's first labels (`sts`, `portal.sso`, `oidc`).
    pub prefix: &'static str,
    /// The same with FIPS (`sts-fips`, `portal.sso-fips`, `oidc-fips`).
    pub fips_prefix: &'static str,
}

impl ServiceId {
    /// STS.
    pub const STS: ServiceId = ServiceId {
        env_suffix: "STS",
        config_key: "sts",
        prefix: "sts",
        fips_prefix: "sts-fips",
    };
    /// The SSO portal (`GetRoleCredentials`).
    pub const SSO: ServiceId = ServiceId {
        env_suffix: "SSO",
        config_key: "sso",
        prefix: "portal.sso",
        fips_prefix: "portal.sso-fips",
    };
    /// SSO OIDC (`CreateToken`).
    pub const SSO_OIDC: ServiceId = ServiceId {
        env_suffix: "SSO_OIDC",
        config_key: "sso_oidc",
        prefix: "oidc",
        fips_prefix: "oidc-fips",
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
    /// Dual-stack in `aws-iso-e` or `aws-iso-f` (`eu-isoe-*`, `us-isof-*`): botocore's
    /// legacy endpoint data has no dual-stack host there and raises `EndpointVariantError`
    /// before the ruleset runs — even with a configured endpoint.
    DualStackUnsupported,
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
            EndpointError::DualStackUnsupported => {
                "Dual-stack endpoints are not available in this region's partition (botocore's \
                 EndpointVariantError); unset use_dualstack_endpoint / \
                 AWS_USE_DUALSTACK_ENDPOINT"
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

/// A partition of botocore 1.43.11's `partitions.json`: the outputs the endpoint rulesets
/// read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Partition {
    /// `aws`, `aws-cn`, `aws-us-gov`, ….
    pub name: &'static str,
    /// `dnsSuffix`.
    pub dns_suffix: &'static str,
    /// `dualStackDnsSuffix`.
    pub dual_stack_dns_suffix: &'static str,
}

/// Every partition, in botocore's order (the first, `aws`, is the default).
pub const PARTITIONS: [Partition; 8] = [
    Partition {
        name: "aws",
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
    },
    Partition {
        name: "aws-cn",
        dns_suffix: "amazonaws.com.cn",
        dual_stack_dns_suffix: "api.amazonwebservices.com.cn",
    },
    Partition {
        name: "aws-eusc",
        dns_suffix: "amazonaws.eu",
        dual_stack_dns_suffix: "api.amazonwebservices.eu",
    },
    Partition {
        name: "aws-iso",
        dns_suffix: "c2s.ic.gov",
        dual_stack_dns_suffix: "api.aws.ic.gov",
    },
    Partition {
        name: "aws-iso-b",
        dns_suffix: "sc2s.sgov.gov",
        dual_stack_dns_suffix: "api.aws.scloud",
    },
    Partition {
        name: "aws-iso-e",
        dns_suffix: "cloud.adc-e.uk",
        dual_stack_dns_suffix: "api.cloud-aws.adc-e.uk",
    },
    Partition {
        name: "aws-iso-f",
        dns_suffix: "csp.hci.ic.gov",
        dual_stack_dns_suffix: "api.aws.hci.ic.gov",
    },
    Partition {
        name: "aws-us-gov",
        dns_suffix: "amazonaws.com",
        dual_stack_dns_suffix: "api.aws",
    },
];

/// The partition `region` belongs to (botocore's `aws.partition`): the one that lists it
/// (`aws-global`, `aws-cn-global`, …) or whose pattern it matches (`cn-*-N`,
/// `us-gov-*-N`, …); a region of no partition belongs to `aws`.
#[must_use]
pub fn partition(region: &str) -> &'static Partition {
    const GLOBALS: [(&str, usize); 7] = [
        ("aws-global", 0),
        ("aws-cn-global", 1),
        ("aws-iso-global", 3),
        ("aws-iso-b-global", 4),
        ("aws-iso-e-global", 5),
        ("aws-iso-f-global", 6),
        ("aws-us-gov-global", 7),
    ];
    let is_word =
        |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let is_num = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let index = GLOBALS.iter().find(|(r, _)| *r == region).map_or_else(
        || {
            let mut parts = region.split('-');
            let p: [Option<&str>; 5] = core::array::from_fn(|_| parts.next());
            match p {
                [Some("cn"), Some(w), Some(d), None, None] if is_word(w) && is_num(d) => 1,
                [Some(a), Some(b), Some(w), Some(d), None] if is_word(w) && is_num(d) => {
                    match (a, b) {
                        ("eusc", "de") => 2,
                        ("us", "iso") => 3,
                        ("us", "isob") => 4,
                        ("eu", "isoe") => 5,
                        ("us", "isof") => 6,
                        ("us", "gov") => 7,
                        _ => 0,
                    }
                }
                _ => 0,
            }
        },
        |(_, i)| *i,
    );
    PARTITIONS.get(index).unwrap_or(&PARTITIONS[0])
}

/// The DNS suffix of the partition `region` belongs to ([`partition`]).
#[must_use]
pub fn dns_suffix(region: &str) -> &'static str {
    partition(region).dns_suffix
}

/// `use_fips_endpoint` and `use_dualstack_endpoint` of a client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Variant {
    /// Use the FIPS endpoint.
    pub fips: bool,
    /// Use the dual-stack (IPv4 and IPv6) endpoint.
    pub dual_stack: bool,
}

/// One boolean of botocore's config store: the variable when set (even empty), else the
/// profile's key; `true` in any case is on, anything else off (`ensure_boolean`).
fn config_bool(env: &dyn Env, var: &str, profile: Option<&MergedProfile<'_>>, key: &str) -> bool {
    match env.var(var) {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => profile_value(profile, key).is_some_and(|v| eq_ignore_case(&v, "true")),
    }
}

/// The [`Variant`] the configuration asks for: `AWS_USE_FIPS_ENDPOINT` else the profile's
/// `use_fips_endpoint`, `AWS_USE_DUALSTACK_ENDPOINT` else `use_dualstack_endpoint` (the
/// [module documentation](self) says how values read).
#[must_use]
pub fn endpoint_variant(env: &dyn Env, profile: Option<&MergedProfile<'_>>) -> Variant {
    Variant {
        fips: config_bool(env, "AWS_USE_FIPS_ENDPOINT", profile, "use_fips_endpoint"),
        dual_stack: config_bool(
            env,
            "AWS_USE_DUALSTACK_ENDPOINT",
            profile,
            "use_dualstack_endpoint",
        ),
    }
}

/// The longest valid region name.
pub const MAX_REGION_LEN: usize = 63;

/// A client's region as botocore's `create_client` makes it: checked
/// ([`is_valid_region`]), then with every `fips-` and then every `-fips` removed
/// (`_normalize_fips_region`); a region that changed turns FIPS on. Owned (a normalized
/// region is not a slice of the configured one: `us-fips-east-1` becomes `us-east-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientRegion {
    bytes: [u8; MAX_REGION_LEN],
    len: usize,
    fips: bool,
}

impl ClientRegion {
    /// Checks and normalizes `region`; [`EndpointError::InvalidRegion`] when it is not a host
    /// label (botocore's `InvalidRegionError`, raised before the normalization).
    ///
    /// ```
    /// use credchain_core::sts::endpoint::ClientRegion;
    ///
    /// let r = ClientRegion::new("fips-us-gov-west-1")?;
    /// assert_eq!((r.as_str(), r.is_fips_pseudo_region()), ("us-gov-west-1", true));
    /// let r = ClientRegion::new("eu-west-1")?;
    /// assert_eq!((r.as_str(), r.is_fips_pseudo_region()), ("eu-west-1", false));
    /// assert!(ClientRegion::new("eu_west_1").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(region: &str) -> Result<ClientRegion, EndpointError> {
        if !is_valid_region(region) {
            return Err(EndpointError::InvalidRegion);
        }
        let mut first = [0u8; MAX_REGION_LEN];
        let n = remove_all(region.as_bytes(), b"fips-", &mut first);
        let mut bytes = [0u8; MAX_REGION_LEN];
        let len = remove_all(first.get(..n).unwrap_or(&[]), b"-fips", &mut bytes);
        Ok(ClientRegion {
            bytes,
            len,
            fips: len != region.len(),
        })
    }

    /// The normalized region.
    #[must_use]
    pub fn as_str(&self) -> &str {
        // Only ASCII letters, digits and '-' are ever copied in.
        self.bytes
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }

    /// Whether the configured region was a FIPS pseudo-region (FIPS is then on whatever
    /// `use_fips_endpoint` says).
    #[must_use]
    pub fn is_fips_pseudo_region(&self) -> bool {
        self.fips
    }

    /// `variant` with FIPS turned on by a pseudo-region.
    #[must_use]
    pub fn variant(&self, variant: Variant) -> Variant {
        Variant {
            fips: variant.fips || self.fips,
            ..variant
        }
    }
}

/// Copies `input` into `out` without the non-overlapping occurrences of `pat` (left to right,
/// as Python's `str.replace(pat, "")`); the length written. `input` fits `out`.
fn remove_all(input: &[u8], pat: &[u8], out: &mut [u8]) -> usize {
    let mut written = 0;
    let mut rest = input;
    while let Some(&b) = rest.first() {
        if rest.starts_with(pat) {
            rest = rest.get(pat.len()..).unwrap_or(&[]);
            continue;
        }
        if let Some(slot) = out.get_mut(written) {
            *slot = b;
            written = written.saturating_add(1);
        }
        rest = rest.get(1..).unwrap_or(&[]);
    }
    written
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
    sts_rules(region, regional_endpoints, configured, Variant::default())
}

/// Chooses the STS endpoint as botocore does with every setting: [`resolve_sts`] plus FIPS
/// and dual-stack (the [module documentation](self)). `region` is the client's region made
/// by [`ClientRegion::new`]; `variant` is [`endpoint_variant`] (a FIPS pseudo-region adds
/// FIPS here).
///
/// ```
/// use credchain_core::sts::endpoint::{resolve_sts_with, ClientRegion, Variant};
///
/// let mut buf = [0u8; 64];
/// let both = Variant { fips: true, dual_stack: true };
/// let r = ClientRegion::new("us-east-1")?;
/// let e = resolve_sts_with(Some(&r), None, None, both)?;
/// assert_eq!(e.url.write_url(&mut buf)?, "https://sts-fips.us-east-1.api.aws");
/// let r = ClientRegion::new("us-gov-west-1")?;
/// let e = resolve_sts_with(Some(&r), None, None, Variant { fips: true, dual_stack: false })?;
/// assert_eq!(e.url.write_url(&mut buf)?, "https://sts.us-gov-west-1.amazonaws.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_sts_with<'a>(
    region: Option<&'a ClientRegion>,
    regional_endpoints: Option<&Str<'_>>,
    configured: Option<ConfiguredEndpoint<'a>>,
    variant: Variant,
) -> Result<StsEndpoint<'a>, EndpointError> {
    let variant = region.map_or(variant, |r| r.variant(variant));
    if variant.dual_stack && region.is_some_and(|r| lacks_legacy_dual_stack(r.as_str())) {
        return Err(EndpointError::DualStackUnsupported);
    }
    sts_rules(
        region.map(ClientRegion::as_str),
        regional_endpoints,
        configured,
        variant,
    )
}

/// STS's ruleset over a checked region.
fn sts_rules<'a>(
    region: Option<&'a str>,
    regional_endpoints: Option<&Str<'_>>,
    configured: Option<ConfiguredEndpoint<'a>>,
    variant: Variant,
) -> Result<StsEndpoint<'a>, EndpointError> {
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
    let plain = variant == Variant::default();
    let region = match region {
        None if plain => return Ok(global),
        // botocore's STS client without a region resolves for `aws-global`.
        None => "aws-global",
        Some(r) => r,
    };
    if plain && (region == "aws-global" || (legacy && LEGACY_GLOBAL_REGIONS.contains(&region))) {
        return Ok(global);
    }
    Ok(StsEndpoint {
        url: variant_url(ServiceId::STS, region, variant),
        signing_region: Some(region),
    })
}

/// Whether botocore's legacy endpoint data (`endpoints.json`) matches `region` to a partition
/// without dual-stack hosts: `aws-iso-e` or `aws-iso-f` by their patterns (their `*-global`
/// names match no pattern there, and fall back to `aws`).
fn lacks_legacy_dual_stack(region: &str) -> bool {
    matches!(partition(region).name, "aws-iso-e" | "aws-iso-f") && !region.ends_with("-global")
}

/// The URL of `service` in `region` (no configured endpoint), as the rulesets build it.
fn variant_url(service: ServiceId, region: &str, variant: Variant) -> EndpointUrl<'_> {
    let p = partition(region);
    let (prefix, dns_suffix) = match (variant.fips, variant.dual_stack) {
        (true, true) => (service.fips_prefix, p.dual_stack_dns_suffix),
        (true, false) if p.name == "aws-us-gov" => (service.prefix, "amazonaws.com"),
        (true, false) => (service.fips_prefix, p.dns_suffix),
        (false, true) => (service.prefix, p.dual_stack_dns_suffix),
        (false, false) => (service.prefix, p.dns_suffix),
    };
    EndpointUrl::Regional {
        prefix,
        region,
        dns_suffix,
    }
}

/// The endpoint of a regional service that always has a region (the SSO portal, SSO OIDC):
/// the configured one, else `https://<prefix>.<region>.<dns suffix>`. FIPS and dual-stack are
/// not applied: [`resolve_service`] applies them.
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

/// The endpoint of the SSO portal ([`ServiceId::SSO`]) or SSO OIDC ([`ServiceId::SSO_OIDC`])
/// with every setting (the [module documentation](self)): the configured one (FIPS and
/// dual-stack ignored), else the ruleset's host for `region` ([`ClientRegion::new`] of
/// `sso_region`) and `variant` ([`endpoint_variant`]). An empty region without a configured
/// endpoint is [`EndpointError::InvalidRegion`] (botocore builds `https://portal.sso..…` and
/// rejects it).
///
/// ```
/// use credchain_core::sts::endpoint::{resolve_service, ClientRegion, ServiceId, Variant};
///
/// let mut buf = [0u8; 64];
/// let r = ClientRegion::new("us-east-1")?;
/// let both = Variant { fips: true, dual_stack: true };
/// let url = resolve_service(ServiceId::SSO, &r, None, both)?;
/// assert_eq!(url.write_url(&mut buf)?, "https://portal.sso-fips.us-east-1.api.aws");
/// let url = resolve_service(ServiceId::SSO_OIDC, &r, None, Variant::default())?;
/// assert_eq!(url.write_url(&mut buf)?, "https://oidc.us-east-1.amazonaws.com");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn resolve_service<'a>(
    service: ServiceId,
    region: &'a ClientRegion,
    configured: Option<ConfiguredEndpoint<'a>>,
    variant: Variant,
) -> Result<EndpointUrl<'a>, EndpointError> {
    if variant.dual_stack && lacks_legacy_dual_stack(region.as_str()) {
        return Err(EndpointError::DualStackUnsupported);
    }
    if let Some(c) = configured {
        return Ok(EndpointUrl::Configured(c));
    }
    if region.as_str().is_empty() {
        return Err(EndpointError::InvalidRegion);
    }
    Ok(variant_url(
        service,
        region.as_str(),
        region.variant(variant),
    ))
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
    fn fips_pseudo_regions_are_normalized_like_botocore() {
        // (configured, normalized, FIPS turned on): Python's `replace("fips-", "")` then
        // `replace("-fips", "")`.
        let cases = [
            ("us-east-1", "us-east-1", false),
            ("fips-us-east-1", "us-east-1", true),
            ("us-east-1-fips", "us-east-1", true),
            ("us-fips-east-1", "us-east-1", true),
            ("fips-fips-us-east-1-fips", "us-east-1", true),
            ("fipsfips-a", "fipsa", true),
            ("a-fips-fips", "a", true),
            ("fips", "fips", false),
            ("", "", false),
        ];
        for (raw, want, fips) in cases {
            let r = ClientRegion::new(raw).unwrap();
            assert_eq!(
                (r.as_str(), r.is_fips_pseudo_region()),
                (want, fips),
                "{raw}"
            );
            let v = r.variant(Variant::default());
            assert_eq!(v.fips, fips, "{raw}");
            assert!(!v.dual_stack);
        }
        let long = "a".repeat(MAX_REGION_LEN);
        assert_eq!(ClientRegion::new(&long).unwrap().as_str(), long);
        let too_long = "a".repeat(MAX_REGION_LEN + 1);
        assert_eq!(
            ClientRegion::new(&too_long).unwrap_err(),
            EndpointError::InvalidRegion
        );
        assert!(ClientRegion::new("fips-").is_err());
    }

    #[test]
    fn variant_hosts_per_partition() {
        let mut buf = [0u8; 128];
        let mut check = |service, region: &str, fips, dual_stack, want: Result<&str, _>| {
            let r = ClientRegion::new(region).unwrap();
            let v = Variant { fips, dual_stack };
            let got = resolve_service(service, &r, None, v).map(|u| u.write_url(&mut buf).unwrap());
            assert_eq!(got, want, "{region}");
        };
        check(
            ServiceId::SSO,
            "us-gov-west-1",
            true,
            false,
            Ok("https://portal.sso.us-gov-west-1.amazonaws.com"),
        );
        check(
            ServiceId::SSO_OIDC,
            "cn-north-1",
            false,
            true,
            Ok("https://oidc.cn-north-1.api.amazonwebservices.com.cn"),
        );
        check(
            ServiceId::STS,
            "us-iso-east-1",
            true,
            true,
            Ok("https://sts-fips.us-iso-east-1.api.aws.ic.gov"),
        );
        check(
            ServiceId::SSO,
            "eu-isoe-west-1",
            false,
            true,
            Err(EndpointError::DualStackUnsupported),
        );
        check(
            ServiceId::SSO,
            "eu-isoe-west-1",
            true,
            false,
            Ok("https://portal.sso-fips.eu-isoe-west-1.cloud.adc-e.uk"),
        );
        assert_eq!(partition("aws-iso-f-global").name, "aws-iso-f");
        assert!(!lacks_legacy_dual_stack("aws-iso-f-global"));
        // STS without a region: the global endpoint, unless a variant is asked for.
        let e = resolve_sts_with(None, None, None, Variant::default()).unwrap();
        assert_eq!(e.url.write_url(&mut buf).unwrap(), GLOBAL_URL);
        let both = Variant {
            fips: true,
            dual_stack: true,
        };
        let e = resolve_sts_with(None, None, None, both).unwrap();
        assert_eq!(
            e.url.write_url(&mut buf).unwrap(),
            "https://sts-fips.aws-global.api.aws"
        );
        assert_eq!(e.signing_region, Some("aws-global"));
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
