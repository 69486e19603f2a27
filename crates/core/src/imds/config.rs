//! IMDS configuration as data, from the values botocore reads (spec §2.1, §4.1, §4.2).
//!
//! botocore reads every IMDS setting once, when it builds the credential resolver, through its
//! config chain: the session's own value, then the environment variable, then the key in the
//! selected profile, then the default. An environment variable set to the empty string counts
//! as set. [`ImdsSettings`] holds the raw strings that chain yields ([`ImdsSettings::resolve`]
//! walks it given two lookups), and [`ImdsConfig::from_settings`] turns them into a
//! configuration exactly as botocore converts them:
//!
//! | setting | env | profile key | conversion | default |
//! |---|---|---|---|---|
//! | disabled | `AWS_EC2_METADATA_DISABLED` | — (env only) | `lower() == "true"` | false |
//! | endpoint | `AWS_EC2_METADATA_SERVICE_ENDPOINT` | `ec2_metadata_service_endpoint` | `""` means unset; `is_valid_uri` | — |
//! | mode | `AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE` | `ec2_metadata_service_endpoint_mode` | `ipv4` / `ipv6`, case-insensitive, else an error | ipv4 |
//! | legacy IPv6 | `AWS_IMDS_USE_IPV6` | `imds_use_ipv6` | `lower() == "true"`; read only when the mode is unset | false |
//! | v1 disabled | `AWS_EC2_METADATA_V1_DISABLED` | `ec2_metadata_v1_disabled` | `lower() == "true"` (`1` is false) | false |
//! | timeout | `AWS_METADATA_SERVICE_TIMEOUT` | `metadata_service_timeout` | Python `int()` (`"1.5"` is an error) | 1 s |
//! | attempts | `AWS_METADATA_SERVICE_NUM_ATTEMPTS` | `metadata_service_num_attempts` | Python `int()`; `0` or less: no request | 1 |
//!
//! Errors come in botocore's order: the timeout, the attempts, the mode, then the endpoint.
//!
//! A timeout of zero or less is accepted here, as botocore accepts it, and fails the first
//! request ([`crate::imds::ImdsError::InvalidTimeout`]); with no request to make, nothing fails.
//!
//! Python's `int()` is matched for what people write: surrounding white space (Python's, which
//! includes `\x1c`–`\x1f` and the Unicode spaces), a sign, ASCII digits with single `_` between
//! them. Python also reads non-ASCII decimal digits (`"١"`); credchain refuses them. Values
//! beyond the range of `i64` saturate.

use core::fmt;

use super::endpoint::{Endpoint, EndpointError};
use crate::refresh::StaticStability;

/// botocore's default timeout, in seconds (connect and read).
pub const DEFAULT_TIMEOUT_SECS: i64 = 1;
/// botocore's default number of attempts per request.
pub const DEFAULT_ATTEMPTS: u32 = 1;

/// One IMDS setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// `AWS_EC2_METADATA_DISABLED`.
    Disabled,
    /// `ec2_metadata_service_endpoint`.
    Endpoint,
    /// `ec2_metadata_service_endpoint_mode`.
    EndpointMode,
    /// `imds_use_ipv6`.
    UseIpv6,
    /// `ec2_metadata_v1_disabled`.
    V1Disabled,
    /// `metadata_service_timeout`.
    Timeout,
    /// `metadata_service_num_attempts`.
    Attempts,
}

/// Where botocore reads a setting: its environment variable and its profile key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Variable {
    /// The setting.
    pub setting: Setting,
    /// The environment variable.
    pub env: &'static str,
    /// The key in the selected profile; `None` for the env-only disabled flag.
    pub profile_key: Option<&'static str>,
}

/// Every IMDS setting and where it is read (spec §2.1).
pub const VARIABLES: [Variable; 7] = [
    Variable {
        setting: Setting::Disabled,
        env: "AWS_EC2_METADATA_DISABLED",
        profile_key: None,
    },
    Variable {
        setting: Setting::Endpoint,
        env: "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        profile_key: Some("ec2_metadata_service_endpoint"),
    },
    Variable {
        setting: Setting::EndpointMode,
        env: "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
        profile_key: Some("ec2_metadata_service_endpoint_mode"),
    },
    Variable {
        setting: Setting::UseIpv6,
        env: "AWS_IMDS_USE_IPV6",
        profile_key: Some("imds_use_ipv6"),
    },
    Variable {
        setting: Setting::V1Disabled,
        env: "AWS_EC2_METADATA_V1_DISABLED",
        profile_key: Some("ec2_metadata_v1_disabled"),
    },
    Variable {
        setting: Setting::Timeout,
        env: "AWS_METADATA_SERVICE_TIMEOUT",
        profile_key: Some("metadata_service_timeout"),
    },
    Variable {
        setting: Setting::Attempts,
        env: "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
        profile_key: Some("metadata_service_num_attempts"),
    },
];

impl Setting {
    /// Where this setting is read.
    #[must_use]
    pub const fn variable(self) -> Variable {
        match self {
            Setting::Disabled => VARIABLES[0],
            Setting::Endpoint => VARIABLES[1],
            Setting::EndpointMode => VARIABLES[2],
            Setting::UseIpv6 => VARIABLES[3],
            Setting::V1Disabled => VARIABLES[4],
            Setting::Timeout => VARIABLES[5],
            Setting::Attempts => VARIABLES[6],
        }
    }

    /// The name botocore uses for it (the profile key, or the variable for the disabled flag).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self.variable().profile_key {
            Some(k) => k,
            None => self.variable().env,
        }
    }
}

/// The raw IMDS settings, as botocore's config chain yields them: `None` when unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ImdsSettings<'a> {
    /// `AWS_EC2_METADATA_DISABLED` (environment only).
    pub disabled: Option<&'a str>,
    /// `ec2_metadata_service_endpoint`.
    pub endpoint: Option<&'a str>,
    /// `ec2_metadata_service_endpoint_mode`.
    pub endpoint_mode: Option<&'a str>,
    /// `imds_use_ipv6`.
    pub use_ipv6: Option<&'a str>,
    /// `ec2_metadata_v1_disabled`.
    pub v1_disabled: Option<&'a str>,
    /// `metadata_service_timeout`.
    pub timeout: Option<&'a str>,
    /// `metadata_service_num_attempts`.
    pub attempts: Option<&'a str>,
}

impl<'a> ImdsSettings<'a> {
    /// Walks botocore's config chain for every setting: the environment variable, then the
    /// selected profile's key. `env` and `profile` look a name up; overrides (botocore's
    /// session variables) can then be applied with [`set`](Self::set).
    pub fn resolve(
        env: impl Fn(&str) -> Option<&'a str>,
        profile: impl Fn(&str) -> Option<&'a str>,
    ) -> ImdsSettings<'a> {
        let mut s = ImdsSettings::default();
        for v in VARIABLES {
            let value = env(v.env).or_else(|| v.profile_key.and_then(&profile));
            s.set(v.setting, value);
        }
        s
    }

    /// Sets one value.
    pub fn set(&mut self, setting: Setting, value: Option<&'a str>) {
        *self.slot(setting) = value;
    }

    /// One value.
    #[must_use]
    pub fn get(&self, setting: Setting) -> Option<&'a str> {
        match setting {
            Setting::Disabled => self.disabled,
            Setting::Endpoint => self.endpoint,
            Setting::EndpointMode => self.endpoint_mode,
            Setting::UseIpv6 => self.use_ipv6,
            Setting::V1Disabled => self.v1_disabled,
            Setting::Timeout => self.timeout,
            Setting::Attempts => self.attempts,
        }
    }

    fn slot(&mut self, setting: Setting) -> &mut Option<&'a str> {
        match setting {
            Setting::Disabled => &mut self.disabled,
            Setting::Endpoint => &mut self.endpoint,
            Setting::EndpointMode => &mut self.endpoint_mode,
            Setting::UseIpv6 => &mut self.use_ipv6,
            Setting::V1Disabled => &mut self.v1_disabled,
            Setting::Timeout => &mut self.timeout,
            Setting::Attempts => &mut self.attempts,
        }
    }
}

/// The address family of the default endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EndpointMode {
    /// `169.254.169.254`.
    #[default]
    Ipv4,
    /// `fd00:ec2::254`.
    Ipv6,
}

/// What credchain does differently from botocore on purpose (DESIGN.md, "Deliberate
/// improvements"). [`Improvements::CREDCHAIN`] is the default; [`Improvements::BOTOCORE`]
/// behaves exactly as botocore 1.43.11 does, for differential tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Improvements {
    /// Keep the IMDSv2 token and reuse it until shortly before it expires
    /// ([`TOKEN_RENEW_EARLY_SECS`](super::client::TOKEN_RENEW_EARLY_SECS)); botocore asks for a
    /// new one on every fetch.
    pub reuse_token: bool,
    /// On a `401` to a `GET` sent with a token, get a new token and send the `GET` again, once
    /// per fetch; botocore re-sends the stale token until its attempts run out.
    pub renew_token_on_401: bool,
    /// A credentials document whose `Code` is not `Success` is an error carrying `Code` and
    /// `Message`; botocore ignores `Code`.
    pub reject_failure_code: bool,
    /// Read the token from `SessionToken` when `Token` is absent, as the AWS SDKs do; botocore
    /// finds no credentials then.
    pub accept_session_token: bool,
}

impl Improvements {
    /// Every improvement on: credchain's default.
    pub const CREDCHAIN: Improvements = Improvements {
        reuse_token: true,
        renew_token_on_401: true,
        reject_failure_code: true,
        accept_session_token: true,
    };

    /// botocore 1.43.11 exactly.
    pub const BOTOCORE: Improvements = Improvements {
        reuse_token: false,
        renew_token_on_401: false,
        reject_failure_code: false,
        accept_session_token: false,
    };
}

impl Default for Improvements {
    fn default() -> Self {
        Improvements::CREDCHAIN
    }
}

/// The IMDS client's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImdsConfig<'a> {
    /// The base URL.
    pub endpoint: Endpoint<'a>,
    /// The mode as resolved (informative once the endpoint is chosen).
    pub mode: EndpointMode,
    /// `AWS_EC2_METADATA_DISABLED`: no request is made, no credentials are found.
    pub disabled: bool,
    /// IMDSv1 is not allowed: without a token, fetching is an error.
    pub v1_disabled: bool,
    /// Seconds, applied to connecting and to reading (botocore: `timeout`). Zero or less fails
    /// the first request.
    pub timeout_secs: i64,
    /// Attempts per request (botocore: `num_attempts`); 0 sends nothing.
    pub attempts: u32,
    /// The `User-Agent` to send, if any (botocore sends its session's).
    pub user_agent: Option<&'a str>,
    /// credchain's improvements.
    pub improvements: Improvements,
    /// The expiry extension of near-expiry credentials (spec §4.8); `None` disables it.
    pub static_stability: Option<StaticStability>,
}

impl Default for ImdsConfig<'_> {
    /// botocore's defaults: IPv4 endpoint, 1 s, 1 attempt, static stability of the default chain.
    fn default() -> Self {
        ImdsConfig {
            endpoint: Endpoint::Ipv4,
            mode: EndpointMode::Ipv4,
            disabled: false,
            v1_disabled: false,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            attempts: DEFAULT_ATTEMPTS,
            user_agent: None,
            improvements: Improvements::CREDCHAIN,
            static_stability: Some(StaticStability::botocore()),
        }
    }
}

/// A setting botocore refuses when it builds the resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigError<'a> {
    /// The timeout or the attempts are not an integer for Python's `int()`.
    NotAnInteger {
        /// Which setting.
        setting: Setting,
        /// Its value.
        value: &'a str,
    },
    /// The endpoint mode is neither `ipv4` nor `ipv6` (`InvalidIMDSEndpointModeError`).
    InvalidMode {
        /// The value as given.
        mode: &'a str,
    },
    /// The endpoint fails botocore's `is_valid_uri` (`InvalidIMDSEndpointError`).
    InvalidEndpoint {
        /// The endpoint as given.
        endpoint: &'a str,
        /// Why.
        reason: EndpointError,
    },
}

impl fmt::Display for ConfigError<'_> {
    /// The messages are botocore's, with the setting's name added to Python's `int()` error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotAnInteger { setting, value } => write!(
                f,
                "{}: invalid literal for int() with base 10: '{}'",
                setting.name(),
                value
            ),
            ConfigError::InvalidMode { mode } => write!(
                f,
                "Invalid EC2 Instance Metadata endpoint mode: {mode} Valid endpoint modes \
                 (case-insensitive): ('ipv4', 'ipv6')."
            ),
            ConfigError::InvalidEndpoint { endpoint, reason } => write!(
                f,
                "Invalid endpoint EC2 Instance Metadata endpoint: {endpoint} ({reason})"
            ),
        }
    }
}

impl core::error::Error for ConfigError<'_> {}

impl<'a> ImdsConfig<'a> {
    /// Builds the configuration from raw settings, as botocore's `create_credential_resolver`
    /// and `InstanceMetadataFetcher` do.
    ///
    /// ```
    /// use credchain_core::imds::{ImdsConfig, ImdsSettings};
    ///
    /// let settings = ImdsSettings { endpoint_mode: Some("IPv6"), ..Default::default() };
    /// let config = ImdsConfig::from_settings(&settings).unwrap();
    /// let mut buf = [0u8; 64];
    /// assert_eq!(config.endpoint.token_url(&mut buf).unwrap(), "http://[fd00:ec2::254]/latest/api/token");
    ///
    /// let bad = ImdsSettings { timeout: Some("1.5"), ..Default::default() };
    /// assert!(ImdsConfig::from_settings(&bad).is_err());
    /// ```
    pub fn from_settings(s: &ImdsSettings<'a>) -> Result<ImdsConfig<'a>, ConfigError<'a>> {
        let int = |setting: Setting, default: i64| -> Result<i64, ConfigError<'a>> {
            match s.get(setting) {
                None => Ok(default),
                Some(value) => {
                    python_int(value).ok_or(ConfigError::NotAnInteger { setting, value })
                }
            }
        };
        let timeout_secs = int(Setting::Timeout, DEFAULT_TIMEOUT_SECS)?;
        let attempts = int(Setting::Attempts, i64::from(DEFAULT_ATTEMPTS))?;
        let attempts = u32::try_from(attempts.max(0)).unwrap_or(u32::MAX);
        let mode = match s.endpoint_mode {
            Some(mode) if mode.eq_ignore_ascii_case("ipv4") => EndpointMode::Ipv4,
            Some(mode) if mode.eq_ignore_ascii_case("ipv6") => EndpointMode::Ipv6,
            Some(mode) => return Err(ConfigError::InvalidMode { mode }),
            None if s.use_ipv6.is_some_and(python_true) => EndpointMode::Ipv6,
            None => EndpointMode::Ipv4,
        };
        let endpoint = match s.endpoint {
            Some(url) if !url.is_empty() => {
                Endpoint::custom(url).map_err(|reason| ConfigError::InvalidEndpoint {
                    endpoint: url,
                    reason,
                })?
            }
            _ => match mode {
                EndpointMode::Ipv4 => Endpoint::Ipv4,
                EndpointMode::Ipv6 => Endpoint::Ipv6,
            },
        };
        Ok(ImdsConfig {
            endpoint,
            mode,
            disabled: s.disabled.is_some_and(python_true),
            v1_disabled: s.v1_disabled.is_some_and(python_true),
            timeout_secs,
            attempts,
            ..ImdsConfig::default()
        })
    }
}

/// botocore's `ensure_boolean` on a string, and its `AWS_EC2_METADATA_DISABLED` test:
/// `value.lower() == "true"`. No non-ASCII character lowercases to an ASCII letter of `true`,
/// so an ASCII comparison is exact.
#[must_use]
pub fn python_true(value: &str) -> bool {
    value.eq_ignore_ascii_case("true")
}

/// Python's `str.isspace()`.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `int(value)` for base 10, ASCII digits only; saturates at the range of `i64`.
#[must_use]
pub fn python_int(value: &str) -> Option<i64> {
    let t = value.trim_matches(is_python_space);
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, t.get(1..)?),
        Some(b'+') => (false, t.get(1..)?),
        _ => (false, t),
    };
    let b = digits.as_bytes();
    if b.is_empty() || b.first() == Some(&b'_') || b.last() == Some(&b'_') {
        return None;
    }
    let mut n: i64 = 0;
    let mut previous_underscore = false;
    for &c in b {
        match c {
            b'_' if !previous_underscore => previous_underscore = true,
            b'0'..=b'9' => {
                previous_underscore = false;
                let d = i64::from(c.saturating_sub(b'0'));
                n = if negative {
                    n.saturating_mul(10).saturating_sub(d)
                } else {
                    n.saturating_mul(10).saturating_add(d)
                };
            }
            _ => return None,
        }
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_rules() {
        assert_eq!(python_int("1"), Some(1));
        assert_eq!(python_int(" 7\n"), Some(7));
        assert_eq!(python_int("\u{3000}+3\x1c"), Some(3));
        assert_eq!(python_int("-2"), Some(-2));
        assert_eq!(python_int("007"), Some(7));
        assert_eq!(python_int("1_000"), Some(1000));
        assert_eq!(python_int("99999999999999999999999"), Some(i64::MAX));
        assert_eq!(python_int("-99999999999999999999999"), Some(i64::MIN));
        for bad in [
            "", " ", "1.5", "1e3", "_1", "1_", "1__0", "+", "- 1", "0x10", "١", "1 2",
        ] {
            assert_eq!(python_int(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn booleans() {
        assert!(python_true("TRUE"));
        assert!(python_true("tRuE"));
        assert!(!python_true("1"));
        assert!(!python_true(" true"));
        assert!(!python_true(""));
    }

    #[test]
    fn from_settings_like_botocore() {
        let c = ImdsConfig::from_settings(&ImdsSettings::default()).unwrap();
        assert_eq!(c, ImdsConfig::default());
        let s = ImdsSettings {
            endpoint: Some(""),
            use_ipv6: Some("True"),
            v1_disabled: Some("true"),
            disabled: Some("TRUE"),
            attempts: Some("-3"),
            timeout: Some("0"),
            ..Default::default()
        };
        let c = ImdsConfig::from_settings(&s).unwrap();
        assert_eq!(c.endpoint, Endpoint::Ipv6);
        assert!(c.v1_disabled && c.disabled);
        assert_eq!((c.attempts, c.timeout_secs), (0, 0));
        // The mode wins over the legacy flag, and an empty mode is an error.
        let s = ImdsSettings {
            endpoint_mode: Some("ipv4"),
            use_ipv6: Some("true"),
            ..Default::default()
        };
        assert_eq!(
            ImdsConfig::from_settings(&s).unwrap().endpoint,
            Endpoint::Ipv4
        );
        let s = ImdsSettings {
            endpoint_mode: Some(""),
            ..Default::default()
        };
        assert_eq!(
            ImdsConfig::from_settings(&s),
            Err(ConfigError::InvalidMode { mode: "" })
        );
        // Errors in botocore's order: timeout before the mode.
        let s = ImdsSettings {
            endpoint_mode: Some("x"),
            timeout: Some("x"),
            ..Default::default()
        };
        assert_eq!(
            ImdsConfig::from_settings(&s),
            Err(ConfigError::NotAnInteger {
                setting: Setting::Timeout,
                value: "x"
            })
        );
        // A custom endpoint wins over the IPv6 mode.
        let s = ImdsSettings {
            endpoint_mode: Some("IPV6"),
            endpoint: Some("http://127.0.0.1:9"),
            ..Default::default()
        };
        let c = ImdsConfig::from_settings(&s).unwrap();
        assert_eq!(c.endpoint, Endpoint::Custom("http://127.0.0.1:9"));
        assert_eq!(c.mode, EndpointMode::Ipv6);
    }

    #[test]
    fn resolve_walks_env_then_profile() {
        let env = |k: &str| match k {
            "AWS_METADATA_SERVICE_TIMEOUT" => Some("5"),
            "AWS_EC2_METADATA_SERVICE_ENDPOINT" => Some(""),
            _ => None,
        };
        let profile = |k: &str| match k {
            "metadata_service_timeout" => Some("9"),
            "metadata_service_num_attempts" => Some("3"),
            "ec2_metadata_service_endpoint" => Some("http://wrong/"),
            _ => None,
        };
        let s = ImdsSettings::resolve(env, profile);
        assert_eq!(s.timeout, Some("5"));
        assert_eq!(s.attempts, Some("3"));
        // An empty env value is set: it hides the profile's, and then means "default".
        assert_eq!(s.endpoint, Some(""));
        assert_eq!(
            ImdsConfig::from_settings(&s).unwrap().endpoint,
            Endpoint::Ipv4
        );
        assert_eq!(Setting::Disabled.name(), "AWS_EC2_METADATA_DISABLED");
        assert_eq!(Setting::Attempts.name(), "metadata_service_num_attempts");
        for v in VARIABLES {
            assert_eq!(v.setting.variable(), v);
        }
    }
}
