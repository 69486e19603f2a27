//! `credchain export`: the resolved credentials, secret included, for a shell or for another
//! program's `credential_process`.
//!
//! These are the only texts credchain prints a secret in, and only to standard output, because
//! the user asked for exactly that.
//!
//! - [`env_lines`]: `export NAME=value` for a POSIX shell, each value quoted so that `eval`
//!   gives back the exact bytes whatever they contain. `AWS_SESSION_TOKEN` only when there is a
//!   token, `AWS_CREDENTIAL_EXPIRATION` only when the credentials expire: the names the env
//!   source reads (spec §1.2, §2.1), so a process started from that shell finds the same
//!   credentials through `env`.
//! - [`process_document`]: the JSON a `credential_process` command prints (spec §7): `Version`
//!   1, `AccessKeyId`, `SecretAccessKey`, and `SessionToken`, `Expiration`, `AccountId` when
//!   known. botocore refreshes credentials from a process only when `Expiration` is given, and
//!   runs the command again then; static credentials carry none.

use credchain::Credentials;
use credchain_core::time::Timestamp;

/// The values an export prints, taken from the credentials once.
#[derive(Clone, Copy)]
pub(crate) struct Exported<'a> {
    /// `AccessKeyId` / `AWS_ACCESS_KEY_ID`.
    pub(crate) access_key_id: &'a str,
    /// `SecretAccessKey` / `AWS_SECRET_ACCESS_KEY`.
    pub(crate) secret_access_key: &'a str,
    /// `SessionToken` / `AWS_SESSION_TOKEN`.
    pub(crate) session_token: Option<&'a str>,
    /// `Expiration` / `AWS_CREDENTIAL_EXPIRATION`, RFC 3339 in UTC, whole seconds.
    pub(crate) expiration: Option<Timestamp>,
    /// `AccountId`.
    pub(crate) account_id: Option<&'a str>,
}

impl std::fmt::Debug for Exported<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exported")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl<'a> Exported<'a> {
    /// What `credentials` export. An expiry with a fraction of a second is written rounded down
    /// (never later than the real one); one outside the years 0–9999 is dropped.
    pub(crate) fn of(credentials: &'a Credentials) -> Exported<'a> {
        Exported {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.expose_secret_access_key(),
            session_token: credentials.expose_session_token(),
            expiration: credentials
                .expiry_unix_secs()
                .and_then(Timestamp::from_unix_secs),
            account_id: credentials.account_id(),
        }
    }
}

/// `value` as one word of a POSIX shell: as is when it holds only characters no shell treats
/// specially, otherwise in single quotes, each `'` written as `'\''`.
pub(crate) fn shell_quote(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-+=/.,:@%".contains(&b));
    if plain {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// `export` lines for a POSIX shell: `eval "$(credchain export --format env)"`.
pub(crate) fn env_lines(c: Exported<'_>) -> String {
    let mut vars: Vec<(&str, String)> = vec![
        ("AWS_ACCESS_KEY_ID", c.access_key_id.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", c.secret_access_key.to_owned()),
    ];
    if let Some(token) = c.session_token {
        vars.push(("AWS_SESSION_TOKEN", token.to_owned()));
    }
    if let Some(expiration) = c.expiration {
        vars.push(("AWS_CREDENTIAL_EXPIRATION", expiration.to_string()));
    }
    vars.iter()
        .map(|(name, value)| format!("export {name}={}\n", shell_quote(value)))
        .collect()
}

/// The `credential_process` document in the order the AWS documentation shows its keys;
/// absent values are left out (botocore reads an absent key as `null`).
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessDocument<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

/// The `credential_process` document, pretty-printed, ending with a newline.
pub(crate) fn process_document(c: Exported<'_>) -> String {
    let doc = ProcessDocument {
        version: 1,
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: c.session_token,
        expiration: c.expiration.map(|t| t.to_string()),
        account_id: c.account_id,
    };
    // Serialising strings and an integer cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use credchain_core::document::ProcessCredentials;

    const SECRET: &str = "wJalr'XUtn FEMI/K7MDENG$(bPxRfiCY)\"EXAMPLE`KEY";

    fn sample(token: Option<&'static str>, expiration: Option<Timestamp>) -> Exported<'static> {
        Exported {
            access_key_id: "ASIAEXAMPLE",
            secret_access_key: SECRET,
            session_token: token,
            expiration,
            account_id: None,
        }
    }

    #[test]
    fn quoting_leaves_plain_words_alone() {
        assert_eq!(shell_quote("AKIDEXAMPLE"), "AKIDEXAMPLE");
        assert_eq!(shell_quote("2030-01-01T00:00:00Z"), "2030-01-01T00:00:00Z");
        assert_eq!(shell_quote("a+b/c=="), "a+b/c==");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote("~"), "'~'");
    }

    #[test]
    fn env_lines_name_only_what_exists() {
        let t = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        assert_eq!(
            env_lines(sample(Some("tok"), Some(t))),
            format!(
                "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n\
                 export AWS_SECRET_ACCESS_KEY={}\n\
                 export AWS_SESSION_TOKEN=tok\n\
                 export AWS_CREDENTIAL_EXPIRATION=2030-01-01T00:00:00Z\n",
                shell_quote(SECRET)
            )
        );
        let lines = env_lines(sample(None, None));
        assert_eq!(lines.lines().count(), 2);
        assert!(!lines.contains("AWS_SESSION_TOKEN"));
        assert!(!lines.contains("AWS_CREDENTIAL_EXPIRATION"));
    }

    #[test]
    fn the_process_document_reads_back_through_the_core_parser() {
        let t = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let text = process_document(Exported {
            account_id: Some("123456789012"),
            ..sample(Some("tok"), Some(t))
        });
        let parsed = ProcessCredentials::parse(&text).unwrap();
        let mut buf = [0u8; 128];
        assert_eq!(
            parsed.secret_access_key.decode_into(&mut buf).unwrap(),
            SECRET
        );
        assert_eq!(parsed.access_key_id.as_str(), Some("ASIAEXAMPLE"));
        assert_eq!(parsed.session_token.and_then(|s| s.as_str()), Some("tok"));
        assert_eq!(parsed.expiration(), Ok(Some(t)));
        assert_eq!(
            parsed.account_id.and_then(|s| s.as_str()),
            Some("123456789012")
        );

        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix('"'))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert_eq!(
            keys,
            [
                "Version",
                "AccessKeyId",
                "SecretAccessKey",
                "SessionToken",
                "Expiration",
                "AccountId"
            ]
        );

        let text = process_document(sample(None, None));
        let parsed = ProcessCredentials::parse(&text).unwrap();
        assert!(parsed.session_token.is_none());
        assert_eq!(parsed.expiration(), Ok(None));
        assert!(!text.contains("SessionToken") && !text.contains("Expiration"));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let shown = format!("{:?}", sample(Some("tok"), None));
        assert!(!shown.contains("wJalr") && !shown.contains("tok"));
    }
}
