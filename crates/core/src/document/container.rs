//! The container credentials endpoint's documents (spec §6).

use super::{
    Document, DocumentError, Fields, SessionCredentials, TokenKey, keys, require_session_keys,
    session_credentials, utf8,
};
use crate::document::JsonStr;

/// The keys of the container credentials document, in the order the endpoints write them
/// (the reader guesses that each key is the one after the last), then `SessionToken`.
const CONTAINER_KEYS: [&str; 6] = [
    keys::ACCESS_KEY_ID,
    keys::SECRET_ACCESS_KEY,
    keys::TOKEN,
    keys::EXPIRATION,
    keys::ACCOUNT_ID,
    keys::SESSION_TOKEN,
];

key_list!(
    /// [`CONTAINER_KEYS`] as a type (see [`KeyList`](super::KeyList)).
    ContainerKeys = CONTAINER_KEYS[6]
);

/// A 200 answer of the container credentials endpoint (ECS, EKS Pod Identity, aws-vault's
/// `--ecs-server`):
///
/// ```json
/// {"RoleArn":"arn:aws:iam::123456789012:role/task","AccessKeyId":"ASIA…",
///  "SecretAccessKey":"…","Token":"…","AccountId":"123456789012",
///  "Expiration":"2026-11-29T16:27:12Z"}
/// ```
///
/// `AccessKeyId`, `SecretAccessKey`, `Token` (or `SessionToken`) and `Expiration` are required;
/// botocore raises a `KeyError` for a missing one, credchain an error naming it. `AccountId` is
/// kept when present (botocore keeps it too, even when empty). `RoleArn` is ignored, as botocore
/// ignores it. The document has no `Code`.
///
/// ```
/// use credchain_core::document::ContainerCredentials;
///
/// let doc = ContainerCredentials::parse(r#"{"AccessKeyId":"ASIAX","SecretAccessKey":"s",
///     "Token":"t","Expiration":"2026-11-29T16:27:12Z","AccountId":"123456789012"}"#).unwrap();
/// assert_eq!(doc.credentials.account_id.unwrap(), "123456789012");
/// assert_eq!(doc.credentials.expiration().unwrap().unix_secs(), 1_795_969_632);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContainerCredentials<'a> {
    /// The credentials.
    pub credentials: SessionCredentials<'a>,
}

impl<'a> ContainerCredentials<'a> {
    /// Reads a document.
    pub fn parse(text: &'a str) -> Result<ContainerCredentials<'a>, DocumentError> {
        let f = Fields::read(text, Document::ContainerCredentials, ContainerKeys)?;
        require_session_keys(&f)?;
        let credentials = session_credentials(&f)?.ok_or(f.missing(keys::ACCESS_KEY_ID))?;
        Ok(ContainerCredentials { credentials })
    }

    /// Reads a document given as bytes.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<ContainerCredentials<'a>, DocumentError> {
        ContainerCredentials::parse(utf8(bytes, Document::ContainerCredentials)?)
    }

    /// Whether botocore would have read these credentials too: it would not when the token came
    /// from `SessionToken` (a `KeyError` on `Token`).
    pub fn is_botocore_compatible(&self) -> bool {
        self.credentials.token_key == TokenKey::Token
    }
}

/// An error body from the container endpoint, sent with a status other than 200.
///
/// botocore does not read it: it puts the body, as text, in its error message (`Received non 200
/// response 500 from container metadata: <body>`, spec §6). credchain can say more when the body
/// has the usual shape: the ECS agent sends `{"code": "…", "message": "…"}`, aws-vault
/// `{"Message": "…"}`. Either spelling of each key is read (lowercase first); a body with
/// neither a code nor a message is an error, and the caller falls back to the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContainerError<'a> {
    /// `code` or `Code`.
    pub code: Option<JsonStr<'a>>,
    /// `message` or `Message`.
    pub message: Option<JsonStr<'a>>,
}

impl<'a> ContainerError<'a> {
    /// Reads an error body.
    pub fn parse(text: &'a str) -> Result<ContainerError<'a>, DocumentError> {
        let f = Fields::read(
            text,
            Document::ContainerError,
            ["code", "Code", "message", "Message"],
        )?;
        let code = match f.string("code")? {
            Some(c) => Some(c),
            None => f.string("Code")?,
        };
        let message = match f.string("message")? {
            Some(m) => Some(m),
            None => f.string("Message")?,
        };
        if code.is_none() && message.is_none() {
            return Err(f.missing("message"));
        }
        Ok(ContainerError { code, message })
    }

    /// Reads an error body given as bytes.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<ContainerError<'a>, DocumentError> {
        ContainerError::parse(utf8(bytes, Document::ContainerError)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{DocumentErrorKind, ExpectedType, ValueKind};

    const ECS: &str = r#"{"RoleArn":"arn:aws:iam::123456789:role/ecs-task-role","AccessKeyId":"ASIARCORRECT","SecretAccessKey":"secretkeycorrect","Token":"tokencorrect","AccountId":"012345678901","Expiration" : "2009-02-13T23:31:30Z"}"#;

    fn kind(text: &str) -> DocumentErrorKind {
        ContainerCredentials::parse(text).unwrap_err().kind
    }

    #[test]
    fn real_document() {
        let doc = ContainerCredentials::parse(ECS).unwrap();
        let c = doc.credentials;
        assert_eq!(c.access_key_id, "ASIARCORRECT");
        assert_eq!(c.secret_access_key, "secretkeycorrect");
        assert_eq!(c.token, "tokencorrect");
        assert_eq!(c.account_id.unwrap(), "012345678901");
        assert_eq!(c.expiration().unwrap().unix_secs(), 1_234_567_890);
        assert!(doc.is_botocore_compatible());
        assert_eq!(ContainerCredentials::parse_bytes(ECS.as_bytes()), Ok(doc));
    }

    #[test]
    fn required_keys_and_types() {
        assert_eq!(
            kind(r#"{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"E"}"#),
            DocumentErrorKind::MissingKey { key: "Token" }
        );
        assert_eq!(
            kind(r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T"}"#),
            DocumentErrorKind::MissingKey { key: "Expiration" }
        );
        assert_eq!(
            kind(r#"{"SecretAccessKey":"S","Token":"T","Expiration":"E"}"#),
            DocumentErrorKind::MissingKey { key: "AccessKeyId" }
        );
        assert!(matches!(
            kind(r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":5}"#),
            DocumentErrorKind::WrongType {
                key: "Expiration",
                expected: ExpectedType::String,
                found: ValueKind::Number,
                ..
            }
        ));
        assert!(matches!(kind("[1]"), DocumentErrorKind::Json(_)));
        // The error shape on a 200 is missing its keys, as botocore's KeyError says.
        assert_eq!(
            kind(r#"{"code":"NoIdInRequest","message":"no id"}"#),
            DocumentErrorKind::MissingKey { key: "AccessKeyId" }
        );
        // Empty AccountId is kept, as botocore keeps it.
        let doc = ContainerCredentials::parse(
            r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"E","AccountId":""}"#,
        )
        .unwrap();
        assert!(doc.credentials.account_id.unwrap().is_empty());
    }

    #[test]
    fn session_token_alias() {
        let doc = ContainerCredentials::parse(
            r#"{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"E"}"#,
        )
        .unwrap();
        assert_eq!(doc.credentials.token_key, TokenKey::SessionToken);
        assert!(!doc.is_botocore_compatible());
    }

    #[test]
    fn error_bodies() {
        let e = ContainerError::parse(
            r#"{"code":"NoIdInRequest","message":"CredentialsV2Request: No ID in the request"}"#,
        )
        .unwrap();
        assert_eq!(e.code.unwrap(), "NoIdInRequest");
        assert_eq!(
            e.message.unwrap(),
            "CredentialsV2Request: No ID in the request"
        );
        let e = ContainerError::parse(r#"{"Message":"invalid Authorization token"}"#).unwrap();
        assert_eq!(e.code, None);
        assert_eq!(e.message.unwrap(), "invalid Authorization token");
        let e =
            ContainerError::parse(r#"{"Code":"X","message":"lower","Message":"upper"}"#).unwrap();
        assert_eq!(e.code.unwrap(), "X");
        assert_eq!(e.message.unwrap(), "lower");
        assert_eq!(
            ContainerError::parse("{}").unwrap_err().kind,
            DocumentErrorKind::MissingKey { key: "message" }
        );
        assert!(matches!(
            ContainerError::parse("Internal Server Error")
                .unwrap_err()
                .kind,
            DocumentErrorKind::Json(_)
        ));
        assert!(matches!(
            ContainerError::parse(r#"{"message":1}"#).unwrap_err().kind,
            DocumentErrorKind::WrongType { key: "message", .. }
        ));
        assert!(ContainerError::parse_bytes(b"{\"code\":\"x\"}").is_ok());
        assert!(ContainerError::parse_bytes(b"\xff").is_err());
    }
}
