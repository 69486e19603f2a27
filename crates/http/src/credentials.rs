//! Credentials as this crate hands them out: owned, with the secret parts wrapped so that they
//! never reach a log by accident.

use std::fmt;

use credchain_core::time::Timestamp;

/// A secret string: the secret access key or the session token.
///
/// `Debug` and `Display` show only `<redacted>` and the length, so a `{:?}` of a whole
/// [`Credentials`] (or of an error that carries one) prints nothing that could be used. Read
/// the value with [`expose`](Self::expose), where it is sent. When dropped, its bytes are
/// overwritten (best effort: copies the allocator made earlier are out of reach).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its length in bytes.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.len())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Temporary AWS credentials from IMDS or the container endpoint.
///
/// `Debug` shows the access key id, the expiry and the account, never the secret key or the
/// token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `SecretAccessKey`.
    pub secret_access_key: Secret,
    /// `Token` (or `SessionToken`, which credchain also reads).
    pub session_token: Secret,
    /// When to stop using them: `Expiration`, or for IMDS the later expiry of the
    /// static-stability extension when it applied (spec §4.8).
    pub expiration: Timestamp,
    /// `AccountId`, when the document has one (credchain keeps it from IMDS too; botocore only
    /// from the container endpoint, spec §4.7, §6).
    pub account_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("very-secret-key"),
            session_token: Secret::new("very-secret-token"),
            expiration: Timestamp::UNIX_EPOCH,
            account_id: Some("123456789012".into()),
        };
        let shown = format!("{c:?} {} {}", c.secret_access_key, c.session_token);
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(shown.contains("ASIAEXAMPLE"));
        assert!(shown.contains("<redacted, 15 bytes>"));
        assert_eq!(c.secret_access_key.expose(), "very-secret-key");
        assert_eq!(c.session_token.len(), 17);
        assert!(!c.session_token.is_empty());
    }
}
