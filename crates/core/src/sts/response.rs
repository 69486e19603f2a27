//! What STS answers (spec §8.1, §8.2): the credentials of an assumed role, or an error
//! document.

use core::fmt;

use super::xml::{Event, RawXmlError, Reader, XmlError, XmlStr, push_escaped};
use crate::buf::{BufferTooSmall, Writer};
use crate::document::Position;
use crate::time::{TimeError, Timestamp};

/// Which STS operation a response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StsOperation {
    /// `AssumeRole`.
    AssumeRole,
    /// `AssumeRoleWithWebIdentity`.
    AssumeRoleWithWebIdentity,
}

impl StsOperation {
    /// The operation's name (the `Action` parameter).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            StsOperation::AssumeRole => "AssumeRole",
            StsOperation::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentity",
        }
    }

    /// The root element of a success document: `<Action>Response`.
    #[must_use]
    pub const fn response_element(self) -> &'static str {
        match self {
            StsOperation::AssumeRole => "AssumeRoleResponse",
            StsOperation::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentityResponse",
        }
    }

    /// The element holding the result: `<Action>Result`.
    #[must_use]
    pub const fn result_element(self) -> &'static str {
        match self {
            StsOperation::AssumeRole => "AssumeRoleResult",
            StsOperation::AssumeRoleWithWebIdentity => "AssumeRoleWithWebIdentityResult",
        }
    }
}

impl fmt::Display for StsOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `Credentials` of an assumed role. `Debug` hides the secret and the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StsCredentials<'a> {
    /// `AccessKeyId`.
    pub access_key_id: XmlStr<'a>,
    /// `SecretAccessKey`.
    pub secret_access_key: XmlStr<'a>,
    /// `SessionToken`.
    pub session_token: XmlStr<'a>,
    /// `Expiration`, as written; [`expiration()`](Self::expiration) reads it.
    pub expiration: XmlStr<'a>,
}

/// The longest expiration text decoded on the stack.
const MAX_TIMESTAMP: usize = 64;

impl StsCredentials<'_> {
    /// `Expiration` read with [`Timestamp::parse`] (STS writes `2026-11-29T13:34:41Z`; botocore
    /// reads it with `dateutil`, spec §5.4).
    pub fn expiration(&self) -> Result<Timestamp, TimeError> {
        if let Some(s) = self.expiration.as_str() {
            return Timestamp::parse(s);
        }
        let mut buf = [0u8; MAX_TIMESTAMP];
        let text = self
            .expiration
            .decode_into(&mut buf)
            .map_err(|e| TimeError::TooLong { len: e.needed })?;
        Timestamp::parse(text)
    }
}

impl fmt::Debug for StsCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// `AssumedRoleUser`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssumedRoleUser<'a> {
    /// `Arn`: `arn:aws:sts::123456789012:assumed-role/role/session`.
    pub arn: Option<XmlStr<'a>>,
    /// `AssumedRoleId`: `AROA…:session`.
    pub assumed_role_id: Option<XmlStr<'a>>,
}

/// A successful `AssumeRole` or `AssumeRoleWithWebIdentity` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssumedRole<'a> {
    /// The credentials.
    pub credentials: StsCredentials<'a>,
    /// `AssumedRoleUser`, when present.
    pub assumed_role_user: Option<AssumedRoleUser<'a>>,
    /// `SourceIdentity`, when present.
    pub source_identity: Option<XmlStr<'a>>,
    /// `ResponseMetadata/RequestId`, when present.
    pub request_id: Option<XmlStr<'a>>,
}

impl<'a> AssumedRole<'a> {
    /// The account id, as botocore takes it (spec §8.1): field 5 of `AssumedRoleUser/Arn` when
    /// the ARN starts with `arn:` and has at least six `:`-separated fields (the sixth takes
    /// the rest). `None` otherwise.
    #[must_use]
    pub fn account_id(&self) -> Option<XmlStr<'a>> {
        account_id(self.assumed_role_user?.arn?)
    }
}

/// Field 5 of an ARN (see [`AssumedRole::account_id`]).
pub(crate) fn account_id(arn: XmlStr<'_>) -> Option<XmlStr<'_>> {
    let mut prefix = arn.chars();
    if !"arn:".chars().all(|c| prefix.next() == Some(c)) {
        return None;
    }
    // Six fields means at least five separators: the sixth field exists.
    arn.field(':', 5)?;
    arn.field(':', 4)
}

/// An STS error document: `ErrorResponse/Error/{Type, Code, Message}` and `RequestId` (also
/// read under `Errors/Error`, as botocore's query error parser reads it). botocore raises it as
/// a `ClientError` on first use of the credentials (spec §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StsServiceError<'a> {
    /// `Type`: `Sender` or `Receiver`.
    pub error_type: Option<XmlStr<'a>>,
    /// `Code`, such as `AccessDenied`, `ExpiredTokenException`, `InvalidIdentityToken`.
    pub code: Option<XmlStr<'a>>,
    /// `Message`.
    pub message: Option<XmlStr<'a>>,
    /// `RequestId`.
    pub request_id: Option<XmlStr<'a>>,
}

/// What an STS answer says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StsResponse<'a> {
    /// Credentials.
    AssumedRole(AssumedRole<'a>),
    /// An error document: a typed answer, not a failure to read one.
    Error(StsServiceError<'a>),
}

/// Why an STS answer could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StsResponseErrorKind {
    /// The bytes are not UTF-8.
    InvalidUtf8 {
        /// Where.
        position: Position,
    },
    /// The text is not well-formed XML (as [`super::xml`] reads it).
    Xml(XmlError),
    /// The root element is neither the operation's response nor `ErrorResponse`.
    UnexpectedRoot {
        /// The operation's response element.
        expected: &'static str,
        /// Where the root starts.
        position: Position,
    },
    /// A required element is missing (`Credentials/SessionToken`, …).
    MissingElement {
        /// Its path below the root.
        path: &'static str,
    },
    /// An element read as a value appears twice.
    DuplicateElement {
        /// Its path below the root.
        path: &'static str,
        /// Where it appears again.
        position: Position,
    },
    /// An element read as a value holds elements (or comments) instead of text.
    NotText {
        /// Its path below the root.
        path: &'static str,
        /// Where it starts.
        position: Position,
    },
}

/// An STS answer that could not be read, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StsResponseError {
    /// The operation whose answer it is.
    pub operation: StsOperation,
    /// The problem.
    pub kind: StsResponseErrorKind,
}

impl StsResponseError {
    /// Where the problem is, when it is at one place.
    #[must_use]
    pub fn position(&self) -> Option<Position> {
        match self.kind {
            StsResponseErrorKind::InvalidUtf8 { position }
            | StsResponseErrorKind::UnexpectedRoot { position, .. }
            | StsResponseErrorKind::DuplicateElement { position, .. }
            | StsResponseErrorKind::NotText { position, .. } => Some(position),
            StsResponseErrorKind::Xml(e) => Some(e.position),
            StsResponseErrorKind::MissingElement { .. } => None,
        }
    }
}

impl fmt::Display for StsResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "STS {} response: ", self.operation)?;
        match self.kind {
            StsResponseErrorKind::InvalidUtf8 { position } => {
                write!(f, "not valid UTF-8 at {position}")
            }
            StsResponseErrorKind::Xml(e) => write!(f, "{e}"),
            StsResponseErrorKind::UnexpectedRoot { expected, position } => write!(
                f,
                "expected <{expected}> or <ErrorResponse> as the root element at {position}"
            ),
            StsResponseErrorKind::MissingElement { path } => {
                write!(f, "missing required element {path}")
            }
            StsResponseErrorKind::DuplicateElement { path, position } => {
                write!(
                    f,
                    "element {path} appears more than once (again at {position})"
                )
            }
            StsResponseErrorKind::NotText { path, position } => {
                write!(f, "element {path} must hold text only, at {position}")
            }
        }
    }
}

impl core::error::Error for StsResponseError {}

/// The values of a success document, by path below the root (the result element is
/// `{R}`, replaced by the operation's).
const SUCCESS_PATHS: [&[&str]; 9] = [
    &["{R}", "Credentials", "AccessKeyId"],
    &["{R}", "Credentials", "SecretAccessKey"],
    &["{R}", "Credentials", "SessionToken"],
    &["{R}", "Credentials", "Expiration"],
    &["{R}", "AssumedRoleUser", "Arn"],
    &["{R}", "AssumedRoleUser", "AssumedRoleId"],
    &["{R}", "SourceIdentity"],
    &["ResponseMetadata", "RequestId"],
    &["{R}", "Credentials"],
];

const SUCCESS_NAMES: [&str; 9] = [
    "Credentials/AccessKeyId",
    "Credentials/SecretAccessKey",
    "Credentials/SessionToken",
    "Credentials/Expiration",
    "AssumedRoleUser/Arn",
    "AssumedRoleUser/AssumedRoleId",
    "SourceIdentity",
    "ResponseMetadata/RequestId",
    "Credentials",
];

const ERROR_PATHS: [&[&str]; 7] = [
    &["Error", "Type"],
    &["Error", "Code"],
    &["Error", "Message"],
    &["RequestId"],
    &["Errors", "Error", "Type"],
    &["Errors", "Error", "Code"],
    &["Errors", "Error", "Message"],
];

const ERROR_NAMES: [&str; 7] = [
    "Error/Type",
    "Error/Code",
    "Error/Message",
    "RequestId",
    "Errors/Error/Type",
    "Errors/Error/Code",
    "Errors/Error/Message",
];

/// Whether the element just ended (named `name`, below the open elements of `reader`) is at
/// `path` below the root.
fn at_path(reader: &Reader<'_>, name: &str, path: &[&str], result: &str) -> bool {
    let depth = reader.depth();
    if depth == 0 || path.len() != depth {
        return false;
    }
    let mut want = path.iter().map(|p| if *p == "{R}" { result } else { p });
    reader
        .path()
        .skip(1)
        .chain(core::iter::once(name))
        .all(|n| want.next() == Some(n))
}

/// Reads the leaves at `paths` of the document in `reader` (its root already read).
/// `slots[i]` gets the text at `paths[i]`; a path in `containers` (indices) only records that
/// the element exists (with empty text).
fn collect<'a, const N: usize>(
    reader: &mut Reader<'a>,
    paths: &[&[&str]; N],
    names: &[&'static str; N],
    result: &str,
    containers: &[usize],
    op: StsOperation,
) -> Result<[Option<XmlStr<'a>>; N], StsResponseError> {
    let text = reader.text();
    let err = |kind| StsResponseError {
        operation: op,
        kind,
    };
    let mut slots: [Option<XmlStr<'a>>; N] = [None; N];
    while let Some(event) = reader.next() {
        let event = event.map_err(|e| err(StsResponseErrorKind::Xml(e)))?;
        let Event::End {
            name,
            text: value,
            offset,
        } = event
        else {
            continue;
        };
        for (i, path) in paths.iter().enumerate() {
            if !at_path(reader, name, path, result) {
                continue;
            }
            let path_name = names.get(i).copied().unwrap_or("");
            let Some(slot) = slots.get_mut(i) else {
                continue;
            };
            if slot.is_some() {
                return Err(err(StsResponseErrorKind::DuplicateElement {
                    path: path_name,
                    position: Position::locate(text, offset),
                }));
            }
            if containers.contains(&i) {
                *slot = Some(XmlStr::from_checked("", false));
                continue;
            }
            match value {
                Some(v) => *slot = Some(v),
                None => {
                    return Err(err(StsResponseErrorKind::NotText {
                        path: path_name,
                        position: Position::locate(text, offset),
                    }));
                }
            }
        }
    }
    Ok(slots)
}

/// `None` for an empty value.
fn non_empty(s: Option<XmlStr<'_>>) -> Option<XmlStr<'_>> {
    s.filter(|s| !s.is_empty())
}

impl<'a> StsResponse<'a> {
    /// Reads the body of an answer to `operation` (whatever the HTTP status: the root element
    /// says which kind of document it is).
    ///
    /// A success document needs the four `Credentials` values; `AssumedRoleUser`,
    /// `SourceIdentity` and `RequestId` are kept when present; everything else is checked as
    /// XML and ignored. Differences from botocore, which does not look at the root's name and
    /// takes a missing value as absent until it fails with a `KeyError`: the root must be the
    /// operation's response or `ErrorResponse`, a value read twice is an error (Python would
    /// build a list and fail later), and so is a value holding elements.
    ///
    /// ```
    /// use credchain_core::sts::{StsOperation, StsResponse};
    ///
    /// let body = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
    ///   <AssumeRoleResult>
    ///     <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>
    ///       <Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>
    ///     <Credentials><AccessKeyId>ASIAX</AccessKeyId><SecretAccessKey>k</SecretAccessKey>
    ///       <SessionToken>t&#43;/=</SessionToken><Expiration>2026-11-29T13:34:41Z</Expiration>
    ///     </Credentials>
    ///   </AssumeRoleResult>
    ///   <ResponseMetadata><RequestId>c610</RequestId></ResponseMetadata>
    /// </AssumeRoleResponse>"#;
    /// let StsResponse::AssumedRole(role) = StsResponse::parse(body, StsOperation::AssumeRole)?
    /// else { panic!() };
    /// assert_eq!(role.account_id().unwrap(), "123456789012");
    /// assert!(role.credentials.session_token.eq_str("t+/="));
    /// assert_eq!(role.credentials.expiration().unwrap().unix_secs(), 1_795_959_281);
    /// # Ok::<(), credchain_core::sts::StsResponseError>(())
    /// ```
    pub fn parse(
        text: &'a str,
        operation: StsOperation,
    ) -> Result<StsResponse<'a>, StsResponseError> {
        let err = |kind| StsResponseError { operation, kind };
        let mut reader = Reader::new(text);
        let (root, offset) = match reader.next() {
            Some(Ok(Event::Start { name, offset })) => (name, offset),
            Some(Err(e)) => return Err(err(StsResponseErrorKind::Xml(e))),
            Some(Ok(Event::End { .. })) | None => {
                let e = RawXmlError {
                    offset: 0,
                    kind: super::xml::XmlErrorKind::Expected(super::xml::XmlExpected::Root),
                };
                return Err(err(StsResponseErrorKind::Xml(e.locate(text))));
            }
        };
        if root == "ErrorResponse" || root == "Response" {
            let s = collect(&mut reader, &ERROR_PATHS, &ERROR_NAMES, "", &[], operation)?;
            // botocore reads these from the tree directly (`node.text`), so an empty element
            // is `None` there, as if absent; credchain does the same.
            let [t, c, m, r, t2, c2, m2] = s.map(non_empty);
            return Ok(StsResponse::Error(StsServiceError {
                error_type: t.or(t2),
                code: c.or(c2),
                message: m.or(m2),
                request_id: r,
            }));
        }
        if root != operation.response_element() {
            return Err(err(StsResponseErrorKind::UnexpectedRoot {
                expected: operation.response_element(),
                position: Position::locate(text, offset),
            }));
        }
        let s = collect(
            &mut reader,
            &SUCCESS_PATHS,
            &SUCCESS_NAMES,
            operation.result_element(),
            &[8],
            operation,
        )?;
        let [
            akid,
            secret,
            token,
            exp,
            arn,
            role_id,
            source,
            request_id,
            _,
        ] = s;
        let missing = |path| err(StsResponseErrorKind::MissingElement { path });
        let credentials = StsCredentials {
            access_key_id: akid.ok_or(missing("Credentials/AccessKeyId"))?,
            secret_access_key: secret.ok_or(missing("Credentials/SecretAccessKey"))?,
            session_token: token.ok_or(missing("Credentials/SessionToken"))?,
            expiration: exp.ok_or(missing("Credentials/Expiration"))?,
        };
        let assumed_role_user = (arn.is_some() || role_id.is_some()).then_some(AssumedRoleUser {
            arn,
            assumed_role_id: role_id,
        });
        Ok(StsResponse::AssumedRole(AssumedRole {
            credentials,
            assumed_role_user,
            source_identity: source,
            // Read by botocore from the tree (`node.text`): empty is `None` (see above).
            request_id: non_empty(request_id),
        }))
    }

    /// Reads an answer given as bytes.
    pub fn parse_bytes(
        bytes: &'a [u8],
        operation: StsOperation,
    ) -> Result<StsResponse<'a>, StsResponseError> {
        let text = core::str::from_utf8(bytes).map_err(|e| {
            let valid = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
            let prefix = core::str::from_utf8(valid).unwrap_or("");
            StsResponseError {
                operation,
                kind: StsResponseErrorKind::InvalidUtf8 {
                    position: Position::locate(prefix, prefix.len()),
                },
            }
        })?;
        StsResponse::parse(text, operation)
    }
}

/// A success document to write, as STS writes it (for servers and tests): every value is
/// escaped as XML needs.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AssumedRoleDocument<'a> {
    /// `AccessKeyId`.
    pub access_key_id: &'a str,
    /// `SecretAccessKey`.
    pub secret_access_key: &'a str,
    /// `SessionToken`.
    pub session_token: &'a str,
    /// `Expiration` (`2026-11-29T13:34:41Z`).
    pub expiration: &'a str,
    /// `AssumedRoleUser/Arn`.
    pub arn: &'a str,
    /// `AssumedRoleUser/AssumedRoleId`.
    pub assumed_role_id: &'a str,
    /// `ResponseMetadata/RequestId`.
    pub request_id: &'a str,
}

impl fmt::Debug for AssumedRoleDocument<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AssumedRoleDocument")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .field("arn", &self.arn)
            .finish_non_exhaustive()
    }
}

fn element(w: &mut Writer<'_>, indent: &str, name: &str, value: &str) {
    w.push_str(indent);
    w.push_str("<");
    w.push_str(name);
    w.push_str(">");
    push_escaped(w, value);
    w.push_str("</");
    w.push_str(name);
    w.push_str(">\n");
}

/// The namespace STS writes on its root elements.
pub const XML_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

impl AssumedRoleDocument<'_> {
    /// Writes the answer to `operation` into `buf`, laid out as STS lays it out.
    pub fn write<'b>(
        &self,
        operation: StsOperation,
        buf: &'b mut [u8],
    ) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        let root = operation.response_element();
        let result = operation.result_element();
        w.push_str("<");
        w.push_str(root);
        w.push_str(" xmlns=\"");
        w.push_str(XML_NAMESPACE);
        w.push_str("\">\n  <");
        w.push_str(result);
        w.push_str(">\n    <AssumedRoleUser>\n");
        element(&mut w, "      ", "AssumedRoleId", self.assumed_role_id);
        element(&mut w, "      ", "Arn", self.arn);
        w.push_str("    </AssumedRoleUser>\n    <Credentials>\n");
        element(&mut w, "      ", "AccessKeyId", self.access_key_id);
        element(&mut w, "      ", "SecretAccessKey", self.secret_access_key);
        element(&mut w, "      ", "SessionToken", self.session_token);
        element(&mut w, "      ", "Expiration", self.expiration);
        w.push_str("    </Credentials>\n  </");
        w.push_str(result);
        w.push_str(">\n  <ResponseMetadata>\n");
        element(&mut w, "    ", "RequestId", self.request_id);
        w.push_str("  </ResponseMetadata>\n</");
        w.push_str(root);
        w.push_str(">\n");
        w.finish()
    }
}

/// An error document to write (for servers and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorDocument<'a> {
    /// `Type`: `Sender` or `Receiver`.
    pub error_type: &'a str,
    /// `Code`.
    pub code: &'a str,
    /// `Message`.
    pub message: &'a str,
    /// `RequestId`.
    pub request_id: &'a str,
}

impl ErrorDocument<'_> {
    /// Writes the document into `buf`, laid out as STS lays it out.
    pub fn write<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        w.push_str("<ErrorResponse xmlns=\"");
        w.push_str(XML_NAMESPACE);
        w.push_str("\">\n  <Error>\n");
        element(&mut w, "    ", "Type", self.error_type);
        element(&mut w, "    ", "Code", self.code);
        element(&mut w, "    ", "Message", self.message);
        w.push_str("  </Error>\n");
        element(&mut w, "  ", "RequestId", self.request_id);
        w.push_str("</ErrorResponse>\n");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let doc = AssumedRoleDocument {
            access_key_id: "ASIA",
            secret_access_key: "s<&>\"'\r\n",
            session_token: "t",
            expiration: "2026-11-29T13:34:41Z",
            arn: "arn:aws:sts::123456789012:assumed-role/r/s",
            assumed_role_id: "AROA:s",
            request_id: "r",
        };
        let mut buf = [0u8; 1024];
        let text = doc
            .write(StsOperation::AssumeRoleWithWebIdentity, &mut buf)
            .unwrap();
        let StsResponse::AssumedRole(r) =
            StsResponse::parse(text, StsOperation::AssumeRoleWithWebIdentity).unwrap()
        else {
            panic!()
        };
        assert!(r.credentials.secret_access_key.eq_str("s<&>\"'\r\n"));
        assert_eq!(r.account_id().unwrap(), "123456789012");
        assert_eq!(r.request_id.unwrap(), "r");
        // The other operation's root is refused.
        let e = StsResponse::parse(text, StsOperation::AssumeRole).unwrap_err();
        assert!(matches!(
            e.kind,
            StsResponseErrorKind::UnexpectedRoot { .. }
        ));

        let err = ErrorDocument {
            error_type: "Sender",
            code: "AccessDenied",
            message: "not <allowed>",
            request_id: "q",
        };
        let text = err.write(&mut buf).unwrap();
        let StsResponse::Error(e) = StsResponse::parse(text, StsOperation::AssumeRole).unwrap()
        else {
            panic!()
        };
        assert_eq!(e.code.unwrap(), "AccessDenied");
        assert!(e.message.unwrap().eq_str("not <allowed>"));
    }

    #[test]
    fn account_id_rules() {
        let id = |s: &'static str| account_id(XmlStr::new(s).unwrap()).map(|x| x.raw());
        assert_eq!(id("arn:aws:sts::123:assumed-role/r/s"), Some("123"));
        assert_eq!(id("arn:aws:sts::123:"), Some("123"));
        assert_eq!(id("arn:aws:sts::123"), None);
        assert_eq!(id("ARN:aws:sts::123:x"), None);
        assert_eq!(id("arn:a:b:c::x:y"), Some(""));
    }

    #[test]
    fn missing_duplicate_and_nested_values() {
        let doc = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>a</AccessKeyId>\
                   <SecretAccessKey>b</SecretAccessKey><SessionToken>c</SessionToken>\
                   </Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let e = StsResponse::parse(doc, StsOperation::AssumeRole).unwrap_err();
        assert_eq!(
            e.kind,
            StsResponseErrorKind::MissingElement {
                path: "Credentials/Expiration"
            }
        );
        let dup = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>a</AccessKeyId>\
                   <AccessKeyId>b</AccessKeyId></Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let e = StsResponse::parse(dup, StsOperation::AssumeRole).unwrap_err();
        assert!(matches!(
            e.kind,
            StsResponseErrorKind::DuplicateElement { .. }
        ));
        let nested = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId><x/></AccessKeyId>\
                      </Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let e = StsResponse::parse(nested, StsOperation::AssumeRole).unwrap_err();
        assert!(matches!(e.kind, StsResponseErrorKind::NotText { .. }));
    }
}
