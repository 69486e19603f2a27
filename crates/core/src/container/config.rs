//! Which container endpoint is asked, and with which token (spec §6).
//!
//! botocore's `container-role` provider applies when `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`
//! or `AWS_CONTAINER_CREDENTIALS_FULL_URI` is *present* (an empty value counts):
//!
//! - the relative URI wins whenever it is present, even empty, and is **concatenated** to
//!   `http://169.254.170.2` without a separator (`foo` gives host `169.254.170.2foo`, which the
//!   host check then refuses; `""` gives `http://169.254.170.2`, sent as `GET /`);
//! - otherwise the full URI is used as it is.
//!
//! Before any request, in botocore's order:
//!
//! 1. **The token.** `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, when present, names a file whose
//!    contents are the token (the adapter reads it, again on every fetch); otherwise
//!    `AWS_CONTAINER_AUTHORIZATION_TOKEN` is the token. botocore refuses a token holding CR or
//!    LF — so a token file ending in a newline fails in botocore. credchain trims the trailing
//!    white space of a token *file* (a documented improvement; a variable is used as it is),
//!    and then refuses CR, LF, other control characters and non-ASCII bytes
//!    ("Auth token value is not a legal header value").
//! 2. **The host.** The URL must be `https` (any host), or name a loopback address
//!    (`127.0.0.0/8`, `::1`, as Python's `ipaddress` reads them: `127.0.0.01` is not one), or
//!    exactly `169.254.170.2` (ECS), `169.254.170.23` or `fd00:ec2::23` (EKS Pod Identity), or
//!    `localhost`. Other schemes are not refused here. The error is botocore's: `Unsupported host
//!    '<host>'.  Can only retrieve metadata from a loopback address or one of these hosts:
//!    169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost` (`'None'` for a URL without a host).
//! 3. **The URL as urllib3 reads it**: the scheme must be `http` or `https` and the port a
//!    number; botocore fails on these when it sends, credchain at once.
//!
//! The URL is read as Python reads it ([`crate::http::url`]): TAB, CR and LF are deleted first,
//! which is why [`ContainerConfig::from_env`] writes the URL into a caller's buffer.

use core::fmt;
use core::time::Duration;

use crate::buf::{BufferTooSmall, Writer};
use crate::http::url::{self, Hostname, UrlError};
use crate::http::{ip, is_legal_header_value};

/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
pub const ENV_RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
pub const ENV_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
pub const ENV_AUTH_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`.
pub const ENV_AUTH_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// What a relative URI is appended to.
pub const ECS_BASE_URL: &str = "http://169.254.170.2";

/// The hosts allowed over plain HTTP besides loopback addresses, in botocore's order.
pub const ALLOWED_HOSTS: [&str; 4] = [
    "169.254.170.2",
    "169.254.170.23",
    "fd00:ec2::23",
    "localhost",
];

/// botocore's timeout, connect and read: 2 s.
pub const TIMEOUT: Duration = Duration::from_secs(2);
/// botocore's attempts: 3.
pub const ATTEMPTS: u32 = 3;
/// botocore's pause after each failed attempt, the last included: 1 s.
pub const PAUSE: Duration = Duration::from_secs(1);

/// Where the token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthToken<'a> {
    /// The contents of the file named by `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (trailing
    /// white space is trimmed).
    File(&'a str),
    /// The value of `AWS_CONTAINER_AUTHORIZATION_TOKEN`, used as it is.
    Env(&'a str),
}

/// The environment the container provider reads; `None` for a variable that is not present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ContainerEnv<'a> {
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`.
    pub relative_uri: Option<&'a str>,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub full_uri: Option<&'a str>,
    /// The token: the file's contents when `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` is present,
    /// else `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub auth_token: Option<AuthToken<'a>>,
}

impl<'a> ContainerEnv<'a> {
    /// Reads the variables with `env`; `read_file` gives the contents of the token file
    /// (`None` when the adapter could not read it — then it should report that error itself
    /// instead of calling this).
    pub fn resolve(
        env: impl Fn(&str) -> Option<&'a str>,
        read_file: impl FnOnce(&'a str) -> Option<&'a str>,
    ) -> ContainerEnv<'a> {
        let auth_token = match env(ENV_AUTH_TOKEN_FILE) {
            Some(path) => read_file(path).map(AuthToken::File),
            None => env(ENV_AUTH_TOKEN).map(AuthToken::Env),
        };
        ContainerEnv {
            relative_uri: env(ENV_RELATIVE_URI),
            full_uri: env(ENV_FULL_URI),
            auth_token,
        }
    }
}

/// Which variable gave the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UriSource {
    /// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`, appended to [`ECS_BASE_URL`].
    Relative,
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    Full,
}

/// Why the container endpoint cannot be used: botocore raises, and the chain stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerConfigError<'a> {
    /// The token holds CR or LF (or, for credchain, another control character or a non-ASCII
    /// byte).
    IllegalToken,
    /// The host is not allowed; `None` when the URL has no host.
    UnsupportedHost {
        /// The host, lowercase as Python gives it.
        host: Option<Hostname<'a>>,
    },
    /// The URL cannot be read or requested.
    InvalidUri(UrlError),
    /// The buffer given for the URL is too small.
    BufferTooSmall(BufferTooSmall),
}

impl fmt::Display for ContainerConfigError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerConfigError::IllegalToken => {
                f.write_str("Auth token value is not a legal header value")
            }
            ContainerConfigError::UnsupportedHost { host } => {
                f.write_str("Unsupported host '")?;
                match host {
                    Some(h) => write!(f, "{h}")?,
                    None => f.write_str("None")?,
                }
                f.write_str(
                    "'.  Can only retrieve metadata from a loopback address or one of these \
                     hosts: ",
                )?;
                for (i, h) in ALLOWED_HOSTS.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(h)?;
                }
                Ok(())
            }
            ContainerConfigError::InvalidUri(e) => {
                write!(f, "invalid container credentials URI: {e}")
            }
            ContainerConfigError::BufferTooSmall(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for ContainerConfigError<'_> {}

/// The container endpoint's configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContainerConfig<'a> {
    url: &'a str,
    source: UriSource,
    authorization: Option<&'a str>,
    /// The timeout, connect and read ([`TIMEOUT`]).
    pub timeout: Duration,
    /// Attempts ([`ATTEMPTS`]).
    pub attempts: u32,
    /// The pause after each failed attempt ([`PAUSE`]).
    pub pause: Duration,
}

impl<'a> ContainerConfig<'a> {
    /// The configuration botocore derives from `env`, or `None` when neither URI variable is
    /// present (the provider does not apply). The URL is written into `buf` (TAB, CR and LF
    /// removed), which the configuration then borrows.
    ///
    /// ```
    /// use credchain_core::container::{ContainerConfig, ContainerEnv};
    ///
    /// let env = ContainerEnv { relative_uri: Some("/v2/credentials/abc"), ..Default::default() };
    /// let mut buf = [0u8; 256];
    /// let config = ContainerConfig::from_env(&env, &mut buf).unwrap().unwrap();
    /// assert_eq!(config.url(), "http://169.254.170.2/v2/credentials/abc");
    ///
    /// let env = ContainerEnv { full_uri: Some("http://192.168.1.1/creds"), ..Default::default() };
    /// let mut buf = [0u8; 256];
    /// let err = ContainerConfig::from_env(&env, &mut buf).unwrap_err();
    /// assert!(err.to_string().starts_with("Unsupported host '192.168.1.1'."));
    /// ```
    pub fn from_env(
        env: &ContainerEnv<'a>,
        buf: &'a mut [u8],
    ) -> Result<Option<ContainerConfig<'a>>, ContainerConfigError<'a>> {
        let (source, prefix, uri) = match (env.relative_uri, env.full_uri) {
            (Some(rel), _) => (UriSource::Relative, ECS_BASE_URL, rel),
            (None, Some(full)) => (UriSource::Full, "", full),
            (None, None) => return Ok(None),
        };
        let authorization = match env.auth_token {
            None => None,
            Some(AuthToken::File(text)) => Some(check_token(text.trim_end())?),
            Some(AuthToken::Env(text)) => Some(check_token(text)?),
        };
        let mut w = Writer::new(buf);
        w.push_str(prefix);
        url::write_without_unsafe(uri, &mut w);
        let url = w.finish().map_err(ContainerConfigError::BufferTooSmall)?;
        check_url(url)?;
        Ok(Some(ContainerConfig {
            url,
            source,
            authorization,
            timeout: TIMEOUT,
            attempts: ATTEMPTS,
            pause: PAUSE,
        }))
    }

    /// The URL requested (TAB, CR and LF removed).
    #[must_use]
    pub const fn url(&self) -> &'a str {
        self.url
    }

    /// Which variable gave the URL.
    #[must_use]
    pub const fn source(&self) -> UriSource {
        self.source
    }

    /// The `Authorization` header's value, if any.
    #[must_use]
    pub const fn authorization(&self) -> Option<&'a str> {
        self.authorization
    }
}

fn check_token(token: &str) -> Result<&str, ContainerConfigError<'static>> {
    if is_legal_header_value(token) {
        Ok(token)
    } else {
        Err(ContainerConfigError::IllegalToken)
    }
}

/// botocore's `_validate_allowed_url`, then urllib3's reading of the URL.
fn check_url(url: &str) -> Result<(), ContainerConfigError<'_>> {
    let split = url::split(url).map_err(ContainerConfigError::InvalidUri)?;
    let host = split.hostname();
    let allowed = split.scheme_is("https")
        || host.is_some_and(|h| {
            ip::parse_ip(h.raw()).is_some_and(|ip| ip.is_loopback())
                || ALLOWED_HOSTS.iter().any(|a| h.eq_str(a))
        });
    if !allowed {
        return Err(ContainerConfigError::UnsupportedHost { host });
    }
    split
        .connect_target()
        .map_err(ContainerConfigError::InvalidUri)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::result_large_err)]
    fn full(uri: &str) -> Result<(), heapless::String<256>> {
        let env = ContainerEnv {
            full_uri: Some(uri),
            ..Default::default()
        };
        let mut buf = [0u8; 256];
        match ContainerConfig::from_env(&env, &mut buf) {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut s = heapless::String::new();
                core::fmt::write(&mut s, format_args!("{e}")).unwrap();
                Err(s)
            }
        }
    }

    #[test]
    fn allow_list() {
        for ok in [
            "http://127.0.0.1/x",
            "http://127.9.9.9:8080/x",
            "http://[::1]/x",
            "http://[0:0:0:0:0:0:0:1]:80/",
            "http://169.254.170.2/v2",
            "http://169.254.170.23/v1/credentials",
            "http://[fd00:ec2::23]/v1/credentials",
            "http://LOCALHOST:1/",
            "https://anything.example/",
            "HTTPS://anything.example/",
            "http://local\thost/",
        ] {
            assert_eq!(full(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://127.0.0.01/",
            "http://169.254.170.3/",
            "http://localhost./",
            "http://[::ffff:127.0.0.1]/",
            "http://169.254.0.1/",
            "",
            "/credentials",
        ] {
            assert!(
                full(bad).unwrap_err().starts_with("Unsupported host"),
                "{bad}"
            );
        }
        assert_eq!(
            full("http://192.168.1.1/").unwrap_err().as_str(),
            "Unsupported host '192.168.1.1'.  Can only retrieve metadata from a loopback \
             address or one of these hosts: 169.254.170.2, 169.254.170.23, fd00:ec2::23, localhost"
        );
        assert!(
            full("")
                .unwrap_err()
                .starts_with("Unsupported host 'None'.")
        );
        assert!(
            full("http://Example.COM/")
                .unwrap_err()
                .starts_with("Unsupported host 'example.com'.")
        );
        // Allowed host, but a port urllib3 cannot read.
        assert!(full("http://localhost:abc/").unwrap_err().contains("port"));
        assert!(full("ftp://localhost/").unwrap_err().contains("scheme"));
    }

    #[test]
    fn relative_wins_even_empty() {
        let env = ContainerEnv {
            relative_uri: Some(""),
            full_uri: Some("http://localhost/"),
            ..Default::default()
        };
        let mut buf = [0u8; 64];
        let c = ContainerConfig::from_env(&env, &mut buf).unwrap().unwrap();
        assert_eq!(c.url(), "http://169.254.170.2");
        assert_eq!(c.source(), UriSource::Relative);
        let env = ContainerEnv {
            relative_uri: Some("foo"),
            ..Default::default()
        };
        let mut buf = [0u8; 64];
        assert!(matches!(
            ContainerConfig::from_env(&env, &mut buf),
            Err(ContainerConfigError::UnsupportedHost { .. })
        ));
        assert_eq!(
            ContainerConfig::from_env(&ContainerEnv::default(), &mut [0u8; 0]),
            Ok(None)
        );
    }

    #[test]
    fn tokens() {
        let mk = |t| ContainerEnv {
            relative_uri: Some("/c"),
            auth_token: Some(t),
            ..Default::default()
        };
        let mut buf = [0u8; 64];
        let c = ContainerConfig::from_env(&mk(AuthToken::File("tok \n\n")), &mut buf)
            .unwrap()
            .unwrap();
        assert_eq!(c.authorization(), Some("tok"));
        let mut buf = [0u8; 64];
        assert_eq!(
            ContainerConfig::from_env(&mk(AuthToken::Env("tok\n")), &mut buf),
            Err(ContainerConfigError::IllegalToken)
        );
        let mut buf = [0u8; 64];
        assert_eq!(
            ContainerConfig::from_env(&mk(AuthToken::File("a\nb")), &mut buf),
            Err(ContainerConfigError::IllegalToken)
        );
        // The token is checked before the host, as botocore builds headers first.
        let env = ContainerEnv {
            full_uri: Some("http://evil/"),
            auth_token: Some(AuthToken::Env("a\rb")),
            ..Default::default()
        };
        let mut buf = [0u8; 64];
        assert_eq!(
            ContainerConfig::from_env(&env, &mut buf),
            Err(ContainerConfigError::IllegalToken)
        );
        let mut small = [0u8; 4];
        assert!(matches!(
            ContainerConfig::from_env(&mk(AuthToken::Env("t")), &mut small),
            Err(ContainerConfigError::BufferTooSmall(BufferTooSmall {
                needed: 22,
                ..
            }))
        ));
    }
}
