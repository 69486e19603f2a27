//! The files the chain reads, as the adapter found them, and the three file sources that read
//! static keys: `shared-credentials-file`, `config-file` (spec §1.2, §3.6) and the legacy
//! `ec2-credentials-file` and `boto-config` (spec §3.7).

use core::fmt;

use super::error::ErrorKind;
use super::{Credentials, Source, Str};
use crate::profile::Section;

/// One file as the adapter found it. The adapter decides the path (`AWS_CONFIG_FILE`, `~`, …);
/// the chain decides what each state means for its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FileInput<'a> {
    /// There is no such file (or the path names a directory: botocore's `os.path.isfile`
    /// test): "nothing here" for every source but `ec2-credentials-file`, where botocore raises
    /// `ConfigNotFound`.
    #[default]
    Missing,
    /// The file exists but could not be read. botocore silently reads an unreadable config or
    /// credentials file as empty; credchain reports it (a documented improvement).
    Unreadable {
        /// The path, as the adapter opened it.
        path: &'a str,
        /// Why.
        error: IoErrorKind,
    },
    /// The file's bytes (they must be UTF-8, as botocore decodes them).
    Contents {
        /// The path, for messages.
        path: &'a str,
        /// The bytes.
        bytes: &'a [u8],
    },
}

impl<'a> FileInput<'a> {
    /// The path, when the file exists.
    #[must_use]
    pub fn path(&self) -> Option<&'a str> {
        match self {
            FileInput::Missing => None,
            FileInput::Unreadable { path, .. } | FileInput::Contents { path, .. } => Some(path),
        }
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IoErrorKind {
    /// Permission denied.
    PermissionDenied,
    /// Too large for the adapter to read.
    TooLarge,
    /// Any other error.
    Other,
}

impl fmt::Display for IoErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IoErrorKind::PermissionDenied => "permission denied",
            IoErrorKind::TooLarge => "file too large",
            IoErrorKind::Other => "read error",
        })
    }
}

/// Which file, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileRole {
    /// The config file (`AWS_CONFIG_FILE`, `~/.aws/config`).
    Config,
    /// The shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/credentials`).
    Credentials,
    /// The EC2 tools' credentials file (`AWS_CREDENTIAL_FILE`).
    Ec2Credentials,
    /// A boto2 config file (`BOTO_CONFIG`, `/etc/boto.cfg`, `~/.boto`).
    Boto,
}

impl fmt::Display for FileRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileRole::Config => "config file",
            FileRole::Credentials => "credentials file",
            FileRole::Ec2Credentials => "AWS_CREDENTIAL_FILE",
            FileRole::Boto => "boto config file",
        })
    }
}

/// The static keys of a section (botocore's `SharedCredentialProvider`, `ConfigProvider`,
/// `BotoProvider`): `None` without `aws_access_key_id`; `aws_access_key_id` without
/// `aws_secret_access_key` is `PartialCredentialsError`. Keys are tested for presence, so an
/// empty value counts. The token is `aws_security_token`, else `aws_session_token` (none for
/// boto), the account id `aws_account_id` (not for boto).
pub(crate) fn static_keys<'a>(
    section: &Section<'a>,
    source: Source,
    profile: Str<'a>,
) -> Result<Option<Credentials<'a>>, ErrorKind<'a>> {
    let Some(access) = section.get("aws_access_key_id") else {
        return Ok(None);
    };
    let Some(secret) = section.get("aws_secret_access_key") else {
        return Err(ErrorKind::PartialCredentials {
            source,
            missing: "aws_secret_access_key",
            profile: Some(profile),
        });
    };
    let boto = source == Source::BotoConfig;
    let token = if boto {
        None
    } else {
        section
            .get("aws_security_token")
            .or_else(|| section.get("aws_session_token"))
    };
    let account_id = if boto {
        None
    } else {
        section.get("aws_account_id")
    };
    Ok(Some(Credentials {
        access_key_id: Str::from_value(access),
        secret_access_key: Str::from_value(secret),
        session_token: token.map(Str::from_value),
        expiry: None,
        account_id: account_id.map(Str::from_value),
    }))
}

/// Python's `str.isspace()`.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Python's `str.splitlines()` boundaries (after universal newlines).
fn is_line_boundary(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// The two keys of an EC2 tools credentials file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ec2Keys<'a> {
    /// `AWSAccessKeyId`.
    pub access_key_id: Option<&'a str>,
    /// `AWSSecretKey`.
    pub secret_key: Option<&'a str>,
}

/// Reads an EC2 tools credentials file as botocore's `parse_key_val_file_contents` does
/// (spec §3.7): every line holding `=` is split on the first one, both sides stripped of
/// white space; later lines win; keys are case-sensitive; other lines are ignored.
///
/// ```
/// use credchain_core::chain::parse_ec2_credentials;
///
/// let keys = parse_ec2_credentials("AWSAccessKeyId = AKIA\nnoise\nAWSSecretKey=a=b\n");
/// assert_eq!(keys.access_key_id, Some("AKIA"));
/// assert_eq!(keys.secret_key, Some("a=b"));
/// ```
#[must_use]
pub fn parse_ec2_credentials(text: &str) -> Ec2Keys<'_> {
    let mut keys = Ec2Keys::default();
    for line in text.split(is_line_boundary) {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim_matches(is_py_space);
        let v = v.trim_matches(is_py_space);
        match k {
            "AWSAccessKeyId" => keys.access_key_id = Some(v),
            "AWSSecretKey" => keys.secret_key = Some(v),
            _ => {}
        }
    }
    keys
}
