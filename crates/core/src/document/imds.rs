//! The IMDS documents: the role name, the role's credentials, and `iam/info` (spec §4.3, §4.7).

use core::fmt;

use super::{
    Document, DocumentError, Fields, SessionCredentials, TokenKey, keys, require_session_keys,
    session_credentials, utf8,
};
use crate::buf::{BufferTooSmall, Writer};
use crate::document::JsonStr;

/// The answer to `GET /latest/meta-data/iam/security-credentials/`: the instance profile's role
/// name, as text (not JSON).
///
/// IMDS lists one name per line, and an instance profile holds one role, so the body is one
/// line, with or without a final newline. Readers disagree on what to take from it:
///
/// - botocore uses the **whole body** as the name, and Python's URL handling then deletes every
///   TAB, CR and LF from the URL it is put in, so `myrole\n` becomes `myrole` and `r1\nr2`
///   becomes `r1r2` (spec §4.3). [`botocore_name`](Self::botocore_name) gives that name.
/// - The AWS SDKs take the first line. [`first`](Self::first) gives it: the first line that is
///   not empty, without its `\r`.
///
/// An empty name means "no role": botocore retries the request and then gives no credentials.
///
/// ```
/// use credchain_core::document::RoleListing;
///
/// let listing = RoleListing::parse("web-role\r\nother\n");
/// assert_eq!(listing.first(), Some("web-role"));
/// assert_eq!(listing.iter().count(), 2);
/// let mut buf = [0u8; 32];
/// assert_eq!(listing.botocore_name().write_to(&mut buf).unwrap(), "web-roleother");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RoleListing<'a> {
    body: &'a str,
}

impl<'a> RoleListing<'a> {
    /// Wraps a response body. Any text is a listing, possibly an empty one.
    pub fn parse(body: &'a str) -> RoleListing<'a> {
        RoleListing { body }
    }

    /// Wraps a response body given as bytes; fails when they are not UTF-8.
    pub fn parse_bytes(body: &'a [u8]) -> Result<RoleListing<'a>, DocumentError> {
        Ok(RoleListing::parse(utf8(body, Document::RoleListing)?))
    }

    /// The body as received.
    pub fn body(&self) -> &'a str {
        self.body
    }

    /// The first name: the first line that is not empty, without a trailing `\r`.
    pub fn first(&self) -> Option<&'a str> {
        self.iter().next()
    }

    /// The names, one per non-empty line, each without a trailing `\r`.
    pub fn iter(&self) -> RoleNames<'a> {
        RoleNames {
            lines: self.body.split('\n'),
        }
    }

    /// The name botocore would use: the body with TAB, CR and LF removed.
    pub fn botocore_name(&self) -> BotocoreRoleName<'a> {
        BotocoreRoleName { body: self.body }
    }
}

impl<'a> IntoIterator for &RoleListing<'a> {
    type Item = &'a str;
    type IntoIter = RoleNames<'a>;

    fn into_iter(self) -> RoleNames<'a> {
        self.iter()
    }
}

/// The names of a [`RoleListing`].
#[derive(Debug, Clone)]
pub struct RoleNames<'a> {
    lines: core::str::Split<'a, char>,
}

impl<'a> Iterator for RoleNames<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.lines
            .by_ref()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .find(|line| !line.is_empty())
    }
}

/// The role name botocore derives from a listing: the body without its TAB, CR and LF bytes.
///
/// The name is not contiguous in the body when those bytes sit inside it, so it is offered as
/// [`fragments`](Self::fragments), written out with [`write_to`](Self::write_to), or compared
/// with [`eq_str`](Self::eq_str); [`as_str`](Self::as_str) borrows it when it is contiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BotocoreRoleName<'a> {
    body: &'a str,
}

fn is_removed(c: char) -> bool {
    matches!(c, '\t' | '\r' | '\n')
}

impl<'a> BotocoreRoleName<'a> {
    /// The pieces of the name, in order, none empty.
    pub fn fragments(&self) -> RoleFragments<'a> {
        RoleFragments {
            parts: self.body.split(is_removed as fn(char) -> bool),
        }
    }

    /// The name without copying, when the removed bytes are only at its ends (or absent).
    pub fn as_str(&self) -> Option<&'a str> {
        let trimmed = self.body.trim_matches(is_removed);
        if trimmed.contains(is_removed) {
            None
        } else {
            Some(trimmed)
        }
    }

    /// The length of the name in bytes.
    pub fn len(&self) -> usize {
        self.fragments()
            .fold(0usize, |n, part| n.saturating_add(part.len()))
    }

    /// Whether the name is empty (the body held only TAB, CR and LF, or nothing).
    pub fn is_empty(&self) -> bool {
        self.fragments().next().is_none()
    }

    /// Writes the name into `buf`; or says how many bytes it needs.
    pub fn write_to<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        for part in self.fragments() {
            w.push_str(part);
        }
        w.finish()
    }

    /// Whether the name equals `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        let mut rest = s;
        for part in self.fragments() {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }
}

impl fmt::Display for BotocoreRoleName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fragments().try_for_each(|part| f.write_str(part))
    }
}

/// The pieces of a [`BotocoreRoleName`].
#[derive(Debug, Clone)]
pub struct RoleFragments<'a> {
    parts: core::str::Split<'a, fn(char) -> bool>,
}

impl<'a> Iterator for RoleFragments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.parts.by_ref().find(|p| !p.is_empty())
    }
}

/// The keys of the IMDS credentials document, in the order IMDS writes them (the reader
/// guesses that each key is the one after the last; see `json::Visitor::expected_key`), then
/// the ones it writes only sometimes, or never.
const IMDS_KEYS: [&str; 10] = [
    keys::CODE,
    keys::LAST_UPDATED,
    "Type",
    keys::ACCESS_KEY_ID,
    keys::SECRET_ACCESS_KEY,
    keys::TOKEN,
    keys::EXPIRATION,
    keys::MESSAGE,
    keys::SESSION_TOKEN,
    keys::ACCOUNT_ID,
];

key_list!(
    /// [`IMDS_KEYS`] as a type (see [`KeyList`](super::KeyList)).
    ImdsKeys = IMDS_KEYS[10]
);

/// The answer to `GET /latest/meta-data/iam/security-credentials/<role>` (spec §4.7).
///
/// A real document:
///
/// ```json
/// {
///   "Code" : "Success",
///   "LastUpdated" : "2026-11-29T10:02:41Z",
///   "Type" : "AWS-HMAC",
///   "AccessKeyId" : "ASIA…",
///   "SecretAccessKey" : "…",
///   "Token" : "…",
///   "Expiration" : "2026-11-29T16:27:12Z"
/// }
/// ```
///
/// With `Code` absent or `Success`, the four keys `AccessKeyId`, `SecretAccessKey`, `Token` (or
/// `SessionToken`) and `Expiration` are required, and a missing one is an error naming it
/// (botocore: "no credentials"). With any other `Code` the result is
/// [`Failure`](ImdsCredentials::Failure), as when EC2 cannot assume the role:
///
/// ```
/// use credchain_core::document::ImdsCredentials;
///
/// let doc = r#"{"Code":"AssumeRoleUnauthorizedAccess",
///   "Message":"EC2 cannot assume the role web-role.","LastUpdated":"2026-11-29T10:02:41Z"}"#;
/// match ImdsCredentials::parse(doc).unwrap() {
///     ImdsCredentials::Failure { code, message, credentials, .. } => {
///         assert_eq!(code, "AssumeRoleUnauthorizedAccess");
///         assert!(message.unwrap().eq_str("EC2 cannot assume the role web-role."));
///         assert!(credentials.is_none());
///     }
///     ImdsCredentials::Success(_) => unreachable!(),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImdsCredentials<'a> {
    /// `Code` absent or `Success`, and the credentials.
    Success(ImdsRoleCredentials<'a>),
    /// `Code` is something else.
    Failure {
        /// `Code`.
        code: JsonStr<'a>,
        /// `Message`, when present.
        message: Option<JsonStr<'a>>,
        /// `LastUpdated`, when present.
        last_updated: Option<JsonStr<'a>>,
        /// The credentials, when all four keys are there anyway: botocore, which ignores `Code`,
        /// would use them.
        credentials: Option<SessionCredentials<'a>>,
    },
}

/// The credentials of a successful IMDS document, with its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImdsRoleCredentials<'a> {
    /// The credentials.
    pub credentials: SessionCredentials<'a>,
    /// `Code`, when present (then it is `Success`).
    pub code: Option<JsonStr<'a>>,
    /// `LastUpdated`, when present.
    pub last_updated: Option<JsonStr<'a>>,
    /// `Type` (`AWS-HMAC`), when present.
    pub credential_type: Option<JsonStr<'a>>,
}

impl<'a> ImdsCredentials<'a> {
    /// Reads a document.
    pub fn parse(text: &'a str) -> Result<ImdsCredentials<'a>, DocumentError> {
        let mut f = Fields::new(text, Document::ImdsCredentials, ImdsKeys);
        f.fill()?;
        let code = f.string(keys::CODE)?;
        let success = code.is_none_or(|c| c.eq_str("Success"));
        if success {
            require_session_keys(&f)?;
        }
        let message = f.string(keys::MESSAGE)?;
        let last_updated = f.string(keys::LAST_UPDATED)?;
        let credential_type = f.string("Type")?;
        let credentials = session_credentials(&f)?;
        match (code, credentials) {
            (Some(code), credentials) if !success => Ok(ImdsCredentials::Failure {
                code,
                message,
                last_updated,
                credentials,
            }),
            (code, Some(credentials)) => Ok(ImdsCredentials::Success(ImdsRoleCredentials {
                credentials,
                code,
                last_updated,
                credential_type,
            })),
            // `require_session_keys` has made sure the credentials are there.
            (_, None) => Err(f.missing(keys::ACCESS_KEY_ID)),
        }
    }

    /// Reads a document given as bytes.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<ImdsCredentials<'a>, DocumentError> {
        ImdsCredentials::parse(utf8(bytes, Document::ImdsCredentials)?)
    }

    /// Whether `Code` is absent or `Success`.
    pub fn is_success(&self) -> bool {
        matches!(self, ImdsCredentials::Success(_))
    }

    /// The credentials of a successful document.
    pub fn credentials(&self) -> Option<&SessionCredentials<'a>> {
        match self {
            ImdsCredentials::Success(ok) => Some(&ok.credentials),
            ImdsCredentials::Failure { .. } => None,
        }
    }

    /// The credentials botocore would use: those of any document with `AccessKeyId`,
    /// `SecretAccessKey`, `Token` and `Expiration`, whatever its `Code` — and none when the token
    /// came from `SessionToken`, a key botocore does not read.
    pub fn botocore_credentials(&self) -> Option<&SessionCredentials<'a>> {
        let credentials = match self {
            ImdsCredentials::Success(ok) => Some(&ok.credentials),
            ImdsCredentials::Failure { credentials, .. } => credentials.as_ref(),
        }?;
        (credentials.token_key == TokenKey::Token).then_some(credentials)
    }
}

/// An instance profile as `iam/info` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceProfile<'a> {
    /// `InstanceProfileArn`: `arn:aws:iam::<account>:instance-profile/<name>`.
    pub arn: JsonStr<'a>,
    /// `InstanceProfileId` (`AIPA…`).
    pub id: JsonStr<'a>,
    /// `LastUpdated`, when present.
    pub last_updated: Option<JsonStr<'a>>,
}

impl<'a> InstanceProfile<'a> {
    /// The account id in the ARN (its fifth `:`-separated field), when the ARN has one and it
    /// is written without escapes.
    pub fn account_id(&self) -> Option<&'a str> {
        let mut fields = self.arn.raw().split(':');
        if fields.next() != Some("arn") {
            return None;
        }
        let account = fields.nth(3)?;
        fields.next()?;
        if account.is_empty() || account.contains('\\') {
            None
        } else {
            Some(account)
        }
    }
}

/// The answer to `GET /latest/meta-data/iam/info`, present when the instance has a role:
///
/// ```json
/// {"Code":"Success","LastUpdated":"2026-11-29T10:02:41Z",
///  "InstanceProfileArn":"arn:aws:iam::123456789012:instance-profile/web",
///  "InstanceProfileId":"AIPAEXAMPLE"}
/// ```
///
/// botocore does not read it; credchain uses it to explain where credentials come from. With
/// `Code` absent or `Success`, `InstanceProfileArn` and `InstanceProfileId` are required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IamInfo<'a> {
    /// `Code` absent or `Success`.
    Success(InstanceProfile<'a>),
    /// `Code` is something else.
    Failure {
        /// `Code`.
        code: JsonStr<'a>,
        /// `Message`, when present.
        message: Option<JsonStr<'a>>,
        /// `LastUpdated`, when present.
        last_updated: Option<JsonStr<'a>>,
    },
}

/// The keys of `iam/info`, in the order IMDS writes them (the reader guesses that each key is
/// the one after the last), then `Message`.
const INFO_KEYS: [&str; 5] = [
    keys::CODE,
    keys::LAST_UPDATED,
    "InstanceProfileArn",
    "InstanceProfileId",
    keys::MESSAGE,
];

key_list!(
    /// [`INFO_KEYS`] as a type (see [`KeyList`](super::KeyList)).
    InfoKeys = INFO_KEYS[5]
);

impl<'a> IamInfo<'a> {
    /// Reads a document.
    pub fn parse(text: &'a str) -> Result<IamInfo<'a>, DocumentError> {
        let f = Fields::read(text, Document::IamInfo, InfoKeys)?;
        let code = f.string(keys::CODE)?;
        let message = f.string(keys::MESSAGE)?;
        let last_updated = f.string(keys::LAST_UPDATED)?;
        match code {
            Some(code) if !code.eq_str("Success") => Ok(IamInfo::Failure {
                code,
                message,
                last_updated,
            }),
            _ => Ok(IamInfo::Success(InstanceProfile {
                arn: f.required("InstanceProfileArn")?,
                id: f.required("InstanceProfileId")?,
                last_updated,
            })),
        }
    }

    /// Reads a document given as bytes.
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<IamInfo<'a>, DocumentError> {
        IamInfo::parse(utf8(bytes, Document::IamInfo)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::tests::show;
    use crate::document::{DocumentErrorKind, ExpectedType, Position, ValueKind};
    use crate::time::Timestamp;

    const REAL: &str = r#"{
  "Code" : "Success",
  "LastUpdated" : "2021-09-20T21:42:26Z",
  "Type" : "AWS-HMAC",
  "AccessKeyId" : "ASIARTEST",
  "SecretAccessKey" : "testsecret",
  "Token" : "testtoken",
  "Expiration" : "2021-09-21T04:16:53Z"
}"#;

    fn kind(text: &str) -> DocumentErrorKind {
        ImdsCredentials::parse(text).unwrap_err().kind
    }

    #[test]
    fn success_document() {
        let doc = ImdsCredentials::parse(REAL).unwrap();
        assert!(doc.is_success());
        let ImdsCredentials::Success(ok) = doc else {
            panic!()
        };
        assert_eq!(ok.code.unwrap(), "Success");
        assert_eq!(ok.last_updated.unwrap(), "2021-09-20T21:42:26Z");
        assert_eq!(ok.credential_type.unwrap(), "AWS-HMAC");
        let c = ok.credentials;
        assert_eq!(c.access_key_id.as_str(), Some("ASIARTEST"));
        assert_eq!(c.secret_access_key.as_str(), Some("testsecret"));
        assert_eq!(c.token.as_str(), Some("testtoken"));
        assert_eq!(c.token_key, TokenKey::Token);
        assert_eq!(c.expiration.as_str(), Some("2021-09-21T04:16:53Z"));
        assert_eq!(c.account_id, None);
        assert_eq!(c.expiration().unwrap().unix_secs(), 1_632_197_813);
        assert_eq!(
            c.expiration_botocore_strict(),
            Timestamp::parse("2021-09-21T04:16:53Z")
        );
        assert_eq!(doc.credentials(), Some(&c));
        assert_eq!(doc.botocore_credentials(), Some(&c));
        assert_eq!(ImdsCredentials::parse_bytes(REAL.as_bytes()), Ok(doc));
    }

    #[test]
    fn code_may_be_absent_and_extras_are_kept_or_ignored() {
        let doc = ImdsCredentials::parse(
            r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2026-11-29T12:00:00.000Z",
                "AccountId":"123456789012","Unknown":{"x":[1,2,{"y":null}]}}"#,
        )
        .unwrap();
        let c = doc.credentials().unwrap();
        assert_eq!(c.account_id.unwrap(), "123456789012");
        // Fractional seconds: fine for the main reader, not for the strict one (§4.8).
        assert!(c.expiration().is_ok());
        assert!(c.expiration_botocore_strict().is_err());
    }

    #[test]
    fn session_token_is_an_alias_botocore_does_not_read() {
        let doc = ImdsCredentials::parse(
            r#"{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"ST","Expiration":"2026-11-29T12:00:00Z"}"#,
        )
        .unwrap();
        let c = doc.credentials().unwrap();
        assert_eq!(c.token, "ST");
        assert_eq!(c.token_key, TokenKey::SessionToken);
        assert_eq!(doc.botocore_credentials(), None);
        // Both present: `Token` wins.
        let doc = ImdsCredentials::parse(
            r#"{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"ST","Token":"T","Expiration":"2026-11-29T12:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(doc.credentials().unwrap().token, "T");
        assert_eq!(doc.credentials().unwrap().token_key, TokenKey::Token);
    }

    #[test]
    fn failure_document() {
        let doc = ImdsCredentials::parse(
            r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role r.  Please see documentation at http:\/\/docs.aws.amazon.com\/IAM.","LastUpdated":"2026-11-29T10:00:00Z"}"#,
        )
        .unwrap();
        let ImdsCredentials::Failure {
            code,
            message,
            last_updated,
            credentials,
        } = doc
        else {
            panic!()
        };
        assert_eq!(code, "AssumeRoleUnauthorizedAccess");
        assert!(message.unwrap().eq_str(
            "EC2 cannot assume the role r.  Please see documentation at http://docs.aws.amazon.com/IAM."
        ));
        assert_eq!(last_updated.unwrap(), "2026-11-29T10:00:00Z");
        assert_eq!(credentials, None);
        assert!(!doc.is_success());
        assert_eq!(doc.credentials(), None);
        assert_eq!(doc.botocore_credentials(), None);
    }

    #[test]
    fn failure_with_credentials_is_what_botocore_uses() {
        let doc = ImdsCredentials::parse(
            r#"{"Code":"Failure","AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"E"}"#,
        )
        .unwrap();
        assert!(!doc.is_success());
        assert_eq!(doc.credentials(), None);
        let c = doc.botocore_credentials().unwrap();
        assert_eq!(c.access_key_id, "A");
        // Expiration is not checked when reading (botocore does not either).
        assert!(c.expiration().is_err());
    }

    #[test]
    fn missing_keys_are_named_in_botocore_order() {
        let full = [
            ("AccessKeyId", r#""AccessKeyId":"A""#),
            ("SecretAccessKey", r#""SecretAccessKey":"S""#),
            ("Token", r#""Token":"T""#),
            ("Expiration", r#""Expiration":"E""#),
        ];
        for skip in 0..full.len() {
            let mut buf = [0u8; 256];
            let mut w = Writer::new(&mut buf);
            w.push_str("{\"Code\":\"Success\"");
            for (i, (_, member)) in full.iter().enumerate() {
                if i != skip {
                    w.push_str(",");
                    w.push_str(member);
                }
            }
            w.push_str("}");
            let text = w.finish().unwrap();
            assert_eq!(
                kind(text),
                DocumentErrorKind::MissingKey { key: full[skip].0 },
                "{text}"
            );
        }
        assert_eq!(
            kind("{}"),
            DocumentErrorKind::MissingKey { key: "AccessKeyId" }
        );
        // A missing key is reported before a wrong type elsewhere.
        assert_eq!(
            kind(r#"{"AccessKeyId":1}"#),
            DocumentErrorKind::MissingKey {
                key: "SecretAccessKey"
            }
        );
    }

    #[test]
    fn wrong_types_are_errors() {
        assert_eq!(
            kind(r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":null,"Expiration":"E"}"#),
            DocumentErrorKind::WrongType {
                key: "Token",
                expected: ExpectedType::String,
                found: ValueKind::Null,
                position: Position {
                    offset: 49,
                    line: 1,
                    column: 50
                }
            }
        );
        assert!(matches!(
            kind(r#"{"Code":7}"#),
            DocumentErrorKind::WrongType {
                key: "Code",
                found: ValueKind::Number,
                ..
            }
        ));
        assert!(matches!(
            kind(
                r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"E","AccountId":5}"#
            ),
            DocumentErrorKind::WrongType {
                key: "AccountId",
                expected: ExpectedType::StringOrNull,
                ..
            }
        ));
        // `AccountId: null` is as good as absent.
        let doc = ImdsCredentials::parse(
            r#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"E","AccountId":null}"#,
        )
        .unwrap();
        assert_eq!(doc.credentials().unwrap().account_id, None);
        assert!(matches!(
            kind(r#"{"Code":"Failure","Message":["x"]}"#),
            DocumentErrorKind::WrongType {
                key: "Message",
                found: ValueKind::Array,
                ..
            }
        ));
    }

    #[test]
    fn syntax_and_shape_errors() {
        assert!(matches!(kind(""), DocumentErrorKind::Json(_)));
        assert!(matches!(kind("[]"), DocumentErrorKind::Json(_)));
        assert!(matches!(
            kind(&REAL[..REAL.len() - 1]),
            DocumentErrorKind::Json(_)
        ));
        assert!(matches!(
            ImdsCredentials::parse_bytes(b"{\"Code\":\"\xc3\"}")
                .unwrap_err()
                .kind,
            DocumentErrorKind::InvalidUtf8 { .. }
        ));
        let mut buf = [0u8; 256];
        let e = ImdsCredentials::parse(r#"{"Code":"Success","Code":"Success"}"#).unwrap_err();
        assert_eq!(
            show(&e, &mut buf),
            "IMDS role credentials document: key 'Code' appears more than once (again at line 1, column 19 (byte 18))"
        );
    }

    #[test]
    fn iam_info() {
        let info = IamInfo::parse(
            r#"{
  "Code" : "Success",
  "LastUpdated" : "2026-11-29T10:02:41Z",
  "InstanceProfileArn" : "arn:aws:iam::123456789012:instance-profile\/web",
  "InstanceProfileId" : "AIPAEXAMPLE"
}"#,
        )
        .unwrap();
        let IamInfo::Success(p) = info else { panic!() };
        assert!(
            p.arn
                .eq_str("arn:aws:iam::123456789012:instance-profile/web")
        );
        assert_eq!(p.id, "AIPAEXAMPLE");
        assert_eq!(p.last_updated.unwrap(), "2026-11-29T10:02:41Z");
        assert_eq!(p.account_id(), Some("123456789012"));
        assert_eq!(
            IamInfo::parse_bytes(b"{\"InstanceProfileArn\":\"x\",\"InstanceProfileId\":\"y\"}")
                .map(|i| matches!(i, IamInfo::Success(_))),
            Ok(true)
        );

        let info = IamInfo::parse(r#"{"Code":"Failed","Message":"no"}"#).unwrap();
        assert!(
            matches!(info, IamInfo::Failure { code, message: Some(_), last_updated: None } if code == "Failed")
        );
        assert_eq!(
            IamInfo::parse(r#"{"Code":"Success","InstanceProfileArn":"a"}"#)
                .unwrap_err()
                .kind,
            DocumentErrorKind::MissingKey {
                key: "InstanceProfileId"
            }
        );
        assert_eq!(
            IamInfo::parse(r#"{"Code":"Success"}"#).unwrap_err().kind,
            DocumentErrorKind::MissingKey {
                key: "InstanceProfileArn"
            }
        );
        let account = |arn: &'static str| {
            InstanceProfile {
                arn: JsonStr::new(arn).unwrap(),
                id: JsonStr::new("").unwrap(),
                last_updated: None,
            }
            .account_id()
        };
        assert_eq!(
            account("arn:aws-cn:iam::000000000001:instance-profile/a/b"),
            Some("000000000001")
        );
        assert_eq!(account("arn:aws:iam:::instance-profile/a"), None);
        assert_eq!(account("arn:aws:iam::1\\u0032:instance-profile/a"), None);
        assert_eq!(account("arn:aws:iam::123"), None);
        assert_eq!(account("nope:aws:iam::123:x"), None);
    }

    #[test]
    fn role_listing() {
        let l = RoleListing::parse("myrole\n");
        assert_eq!(l.first(), Some("myrole"));
        assert_eq!(l.botocore_name().as_str(), Some("myrole"));
        assert!(l.botocore_name().eq_str("myrole"));

        let l = RoleListing::parse("\r\n\nr1\r\nr2\n\n");
        assert_eq!(l.first(), Some("r1"));
        let mut names = l.iter();
        assert_eq!(names.next(), Some("r1"));
        assert_eq!(names.next(), Some("r2"));
        assert_eq!(names.next(), None);
        let b = l.botocore_name();
        assert_eq!(b.as_str(), None);
        assert_eq!(b.len(), 4);
        assert!(!b.is_empty());
        assert!(b.eq_str("r1r2"));
        assert!(!b.eq_str("r1r"));
        assert!(!b.eq_str("r1r2x"));
        let mut buf = [0u8; 8];
        assert_eq!(b.write_to(&mut buf).unwrap(), "r1r2");
        assert_eq!(
            b.write_to(&mut buf[..3]),
            Err(BufferTooSmall {
                needed: 4,
                available: 3
            })
        );
        let mut out = [0u8; 16];
        assert_eq!(show(&b, &mut out), "r1r2");
        let mut parts = b.fragments();
        assert_eq!(
            (parts.next(), parts.next(), parts.next()),
            (Some("r1"), Some("r2"), None)
        );

        // Tabs go too (Python deletes them from URLs); spaces stay.
        let l = RoleListing::parse("\tmy role\t");
        assert_eq!(l.botocore_name().as_str(), Some("my role"));
        assert_eq!(l.first(), Some("\tmy role\t"));

        for empty in ["", "\n", "\r\n\t"] {
            let l = RoleListing::parse(empty);
            assert!(l.botocore_name().is_empty());
            assert_eq!(l.botocore_name().len(), 0);
            assert!(l.botocore_name().eq_str(""));
            assert_eq!(l.botocore_name().as_str(), Some(""));
        }
        assert_eq!(RoleListing::parse("").first(), None);
        assert_eq!(RoleListing::parse("\r\n\r\n").first(), None);
        assert_eq!(RoleListing::parse_bytes(b"role").unwrap().body(), "role");
        assert!(matches!(
            RoleListing::parse_bytes(b"ro\xffle").unwrap_err().kind,
            DocumentErrorKind::InvalidUtf8 {
                position: Position { offset: 2, .. }
            }
        ));
        let l = RoleListing::parse("a\nb");
        let all: [&str; 2] = {
            let mut it = (&l).into_iter();
            [it.next().unwrap(), it.next().unwrap()]
        };
        assert_eq!(all, ["a", "b"]);
    }
}
