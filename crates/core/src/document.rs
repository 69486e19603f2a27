//! What the credential services answer, and what it means.
//!
//! Three sources hand credentials over as a document: the EC2 instance metadata service (IMDS),
//! the container credentials endpoint (ECS, EKS Pod Identity, tools such as aws-vault), and a
//! `credential_process` command. This module reads those documents — borrowed, without
//! allocating — and decides what botocore would decide about them, plus the few improvements
//! credchain makes on purpose. Fetching them is the adapters' business.
//!
//! ## The documents
//!
//! | document | type | botocore (spec) |
//! |---|---|---|
//! | `GET …/iam/security-credentials/` | [`RoleListing`] | the whole body is the role name (§4.3) |
//! | `GET …/iam/security-credentials/<role>` | [`ImdsCredentials`] | four keys required, `Code` ignored (§4.7) |
//! | `GET …/iam/info` | [`IamInfo`] | not read by botocore |
//! | container endpoint, 200 | [`ContainerCredentials`] | four keys required, `AccountId` kept (§6) |
//! | container endpoint, error body | [`ContainerError`] | body shown as text (§6) |
//! | `credential_process` stdout | [`ProcessCredentials`] | `Version` 1, two keys required (§7) |
//!
//! Every document type has `parse(&str)` and `parse_bytes(&[u8])` (bytes that are not UTF-8 are
//! an error, [`DocumentErrorKind::InvalidUtf8`]), and returns fields as [`JsonStr`]: the string
//! as written, escapes included, with [`JsonStr::as_str`] when it has none and
//! [`JsonStr::decode_into`] a caller's buffer when it has some. Expirations stay text until
//! asked for: `expiration()` reads them with [`Timestamp::parse`].
//!
//! ## Reading JSON
//!
//! The JSON reader (see the [`json`] module) accepts what Python's `json.loads` accepts,
//! with byte offsets, lines and columns in every error. Keys are matched exactly as botocore
//! matches them, case included (the AWS SDK for Rust matches them case-insensitively and also
//! reads `ExpiresAt`; credchain does not). Unknown keys are ignored. Two things botocore lets
//! through are refused, because credentials should not depend on them: a key the document
//! reads appearing twice ([`DocumentErrorKind::DuplicateKey`]; Python keeps the last), and a
//! key the document reads written with escapes ([`DocumentErrorKind::EscapedKey`]).
//!
//! Values are checked against what botocore does with them later: a string field that is a
//! number, `null` or an object is [`DocumentErrorKind::WrongType`]. botocore takes such values
//! as they are and fails later, or signs requests with them; credchain says so at once, naming
//! the key and the place. When a document has several problems, the one reported is the one
//! botocore would stop at, if it stops at any: JSON syntax first, then credchain's key checks
//! (duplicates, escaped keys), then botocore's own checks in its order (`Version`, then missing
//! keys), then types.
//!
//! ## `Token` and `SessionToken`
//!
//! botocore reads the IMDS and container token from `Token` only; a document carrying
//! `SessionToken` instead gets no credentials from IMDS (§4.7) and a `KeyError` from the
//! container provider (§6). The AWS SDKs' shared parser (aws-config.md §1.3 item 3) accepts
//! either, so credchain does too, and records which one it read in
//! [`SessionCredentials::token_key`]; [`ImdsCredentials::botocore_credentials`] and
//! [`ContainerCredentials::is_botocore_compatible`] say what botocore would have done. When both
//! are present, `Token` wins. For `credential_process` the key is `SessionToken` only, in botocore
//! and the SDKs alike.
//!
//! ## IMDS `Code`
//!
//! botocore never looks at `Code`: a document with the four keys is used whatever its `Code`
//! says, and one without them gives "no credentials". credchain's documented improvement is that
//! a `Code` other than `Success` is a typed result, [`ImdsCredentials::Failure`], carrying `Code`
//! and `Message` so the caller can say *why* (for example `AssumeRoleUnauthorizedAccess` when
//! the role does not trust EC2) — and the credentials too when all four keys are there, so the
//! botocore behaviour stays available.

/// Declares `$name`, a type holding nothing that is the [`KeyList`] of the constant array
/// `$keys` (of `$n` keys, distinct and plain text, which is checked while compiling): its table
/// of keys by length is built while compiling, and it guesses that keys come in the order of
/// `$keys`.
macro_rules! key_list {
    ($(#[$attr:meta])* $name:ident = $keys:ident[$n:literal]) => {
        $(#[$attr])*
        struct $name;

        impl $crate::document::KeyList<$n> for $name {
            #[inline(always)]
            fn keys(&self) -> &[&'static str; $n] {
                &$keys
            }

            #[inline(always)]
            fn find(&self, raw: &str) -> Option<usize> {
                const BY_LENGTH: $crate::document::KeysByLength =
                    $crate::document::KeysByLength::new(&$keys);
                BY_LENGTH.find(&$keys, raw)
            }

            #[inline(always)]
            fn expected(&self, next: usize) -> Option<&'static str> {
                const {
                    assert!(
                        $crate::document::are_plain_distinct_keys(&$keys),
                        "document keys must be distinct and plain text",
                    )
                };
                $keys.get(next).copied()
            }
        }
    };
}

pub mod json;

mod container;
mod imds;
mod process;

use core::fmt;

pub use container::{ContainerCredentials, ContainerError};
pub use imds::{
    BotocoreRoleName, IamInfo, ImdsCredentials, ImdsRoleCredentials, InstanceProfile,
    RoleFragments, RoleListing, RoleNames,
};
pub use json::{JsonError, JsonErrorKind, JsonStr, Position, ValueKind};
pub use process::{ProcessCredentials, VersionText};

use crate::time::{TimeError, Timestamp};
use json::Value;

/// Which document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Document {
    /// IMDS `iam/security-credentials/<role>`.
    ImdsCredentials,
    /// IMDS `iam/info`.
    IamInfo,
    /// IMDS `iam/security-credentials/` (the role name).
    RoleListing,
    /// The container endpoint's credentials.
    ContainerCredentials,
    /// The container endpoint's error body.
    ContainerError,
    /// The output of a `credential_process` command.
    ProcessOutput,
}

impl fmt::Display for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Document::ImdsCredentials => "IMDS role credentials document",
            Document::IamInfo => "IMDS iam/info document",
            Document::RoleListing => "IMDS role listing",
            Document::ContainerCredentials => "container credentials document",
            Document::ContainerError => "container endpoint error document",
            Document::ProcessOutput => "credential_process output",
        })
    }
}

/// What a value should have been.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpectedType {
    /// A string.
    String,
    /// A string or `null`.
    StringOrNull,
    /// A string, or a value Python counts as false (`null`, `false`, `0`, `""`, `[]`, `{}`).
    StringOrFalsy,
}

impl fmt::Display for ExpectedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExpectedType::String => "a string",
            ExpectedType::StringOrNull => "a string or null",
            ExpectedType::StringOrFalsy => "a string (or null)",
        })
    }
}

/// What is wrong with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocumentErrorKind {
    /// The bytes are not UTF-8; the position is the first byte that is not.
    InvalidUtf8 {
        /// Where.
        position: Position,
    },
    /// The text is not JSON, or not a JSON object.
    Json(JsonError),
    /// A required key is absent.
    MissingKey {
        /// The key.
        key: &'static str,
    },
    /// A key holds a value of the wrong type.
    WrongType {
        /// The key.
        key: &'static str,
        /// What it should hold.
        expected: ExpectedType,
        /// What it holds.
        found: ValueKind,
        /// Where the value starts.
        position: Position,
    },
    /// A key the document reads appears more than once.
    DuplicateKey {
        /// The key.
        key: &'static str,
        /// Where it appears again.
        position: Position,
    },
    /// A key the document reads is written with escapes.
    EscapedKey {
        /// The key it stands for.
        key: &'static str,
        /// Where it is.
        position: Position,
    },
    /// `credential_process` output whose `Version` is not 1, or absent.
    UnsupportedVersion {
        /// The version as botocore would show it.
        version: VersionText,
    },
}

/// A document that cannot be used, which one, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DocumentError {
    /// The document.
    pub document: Document,
    /// The problem.
    pub kind: DocumentErrorKind,
}

impl DocumentError {
    fn new(document: Document, kind: DocumentErrorKind) -> DocumentError {
        DocumentError { document, kind }
    }

    /// Where in the document the problem is, when it is at one place.
    pub fn position(&self) -> Option<Position> {
        match self.kind {
            DocumentErrorKind::InvalidUtf8 { position }
            | DocumentErrorKind::WrongType { position, .. }
            | DocumentErrorKind::DuplicateKey { position, .. }
            | DocumentErrorKind::EscapedKey { position, .. } => Some(position),
            DocumentErrorKind::Json(e) => Some(e.position),
            DocumentErrorKind::MissingKey { .. } | DocumentErrorKind::UnsupportedVersion { .. } => {
                None
            }
        }
    }
}

impl fmt::Display for DocumentError {
    /// For `credential_process` output, the missing-key and version errors read exactly as
    /// botocore's `error_msg` (spec §7); the rest name the document and the place.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.document, self.kind) {
            (Document::ProcessOutput, DocumentErrorKind::MissingKey { key }) => {
                return write!(f, "Missing required key in response: '{key}'");
            }
            (_, DocumentErrorKind::UnsupportedVersion { version }) => {
                return write!(
                    f,
                    "Unsupported version '{version}' for credential process provider, \
                     supported versions: 1"
                );
            }
            _ => {}
        }
        write!(f, "{}: ", self.document)?;
        match self.kind {
            DocumentErrorKind::InvalidUtf8 { position } => {
                write!(f, "not valid UTF-8 at {position}")
            }
            DocumentErrorKind::Json(e) => write!(f, "{e}"),
            DocumentErrorKind::MissingKey { key } => write!(f, "missing required key '{key}'"),
            DocumentErrorKind::WrongType {
                key,
                expected,
                found,
                position,
            } => write!(f, "'{key}' must be {expected}, found {found} at {position}"),
            DocumentErrorKind::DuplicateKey { key, position } => {
                write!(
                    f,
                    "key '{key}' appears more than once (again at {position})"
                )
            }
            DocumentErrorKind::EscapedKey { key, position } => write!(
                f,
                "key '{key}' is written with escapes at {position}; credchain reads keys as written"
            ),
            DocumentErrorKind::UnsupportedVersion { version } => {
                write!(f, "unsupported version '{version}'")
            }
        }
    }
}

impl core::error::Error for DocumentError {}

/// Which key a token was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKey {
    /// `Token`, the key botocore reads.
    Token,
    /// `SessionToken`, accepted as the AWS SDKs accept it.
    SessionToken,
}

/// Temporary credentials as IMDS and the container endpoint return them: all four fields
/// present, and an optional account id.
///
/// `Debug` shows the access key id and the expiration but not the secret or the token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionCredentials<'a> {
    /// `AccessKeyId`.
    pub access_key_id: JsonStr<'a>,
    /// `SecretAccessKey`.
    pub secret_access_key: JsonStr<'a>,
    /// `Token` (or `SessionToken`, see [`token_key`](Self::token_key)).
    pub token: JsonStr<'a>,
    /// Which key the token came from.
    pub token_key: TokenKey,
    /// `Expiration`, as written; [`expiration()`](Self::expiration) reads it.
    pub expiration: JsonStr<'a>,
    /// `AccountId`, when present and not `null`. botocore keeps it from the container endpoint
    /// and ignores it from IMDS (spec §4.7); credchain keeps it from both.
    pub account_id: Option<JsonStr<'a>>,
}

impl SessionCredentials<'_> {
    /// The expiration as a [`Timestamp`], read with [`Timestamp::parse`].
    pub fn expiration(&self) -> Result<Timestamp, TimeError> {
        timestamp(&self.expiration, Timestamp::parse)
    }

    /// The expiration read as botocore's IMDS expiry extension reads it
    /// ([`Timestamp::parse_botocore_strict`], spec §4.8): an error means the extension is skipped.
    pub fn expiration_botocore_strict(&self) -> Result<Timestamp, TimeError> {
        timestamp(&self.expiration, Timestamp::parse_botocore_strict)
    }
}

impl fmt::Debug for SessionCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &Redacted(&self.secret_access_key))
            .field("token", &Redacted(&self.token))
            .field("token_key", &self.token_key)
            .field("expiration", &self.expiration)
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Shows a secret as its length only.
struct Redacted<'s, 'a>(&'s JsonStr<'a>);

impl fmt::Debug for Redacted<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} bytes>", self.0.decoded_len())
    }
}

/// Longest timestamp text read from an escaped JSON string (decoded on the stack first).
const MAX_ESCAPED_TIMESTAMP: usize = 64;

/// Reads a timestamp from a JSON string, unescaping it first when needed.
fn timestamp(
    s: &JsonStr<'_>,
    parse: fn(&str) -> Result<Timestamp, TimeError>,
) -> Result<Timestamp, TimeError> {
    if let Some(text) = s.as_str() {
        return parse(text);
    }
    let mut buf = [0u8; MAX_ESCAPED_TIMESTAMP];
    let text = s
        .decode_into(&mut buf)
        .map_err(|e| TimeError::TooLong { len: e.needed })?;
    parse(text)
}

/// The text of a document given as bytes.
fn utf8(bytes: &[u8], document: Document) -> Result<&str, DocumentError> {
    core::str::from_utf8(bytes).map_err(|e| {
        let valid = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
        // The prefix is valid UTF-8 by definition; locate the error within it.
        let prefix = core::str::from_utf8(valid).unwrap_or("");
        DocumentError::new(
            document,
            DocumentErrorKind::InvalidUtf8 {
                position: Position::locate(prefix, prefix.len()),
            },
        )
    })
}

/// A JSON error in a document, located (line and column) in its text.
#[cold]
#[inline(never)]
fn json_error(document: Document, text: &str, e: json::RawError) -> DocumentError {
    DocumentError::new(document, DocumentErrorKind::Json(e.locate(text)))
}

/// The keys of a document grouped by length, so that a key read from the document is compared
/// with the few keys of its length (usually one) rather than with all of them.
struct KeysByLength {
    /// For each length below 32, a bit for each key of that length (bit `i` for key `i`).
    slots: [u32; 32],
}

impl KeysByLength {
    /// The table for `keys` (at most 32 keys; keys of 32 bytes or more are found by a search).
    #[allow(
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects,
        reason = "`i < N`, `len < 32` and `i < 32` are checked; documents build their tables \
                  while compiling"
    )]
    const fn new<const N: usize>(keys: &[&'static str; N]) -> KeysByLength {
        const { assert!(N <= 32, "a document reads at most 32 keys") };
        let mut slots = [0u32; 32];
        let mut i = 0;
        while i < N {
            let len = keys[i].len();
            if len < 32 {
                slots[len] |= 1 << i;
            }
            i += 1;
        }
        KeysByLength { slots }
    }

    /// Which of `keys` (the keys the table was made from) `raw` is.
    #[inline(always)]
    fn find<const N: usize>(&self, keys: &[&'static str; N], raw: &str) -> Option<usize> {
        let Some(&slots) = self.slots.get(raw.len()) else {
            return keys.iter().position(|k| *k == raw);
        };
        let mut candidates = slots;
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            if keys
                .get(i)
                .is_some_and(|k| json::same_short(k.as_bytes(), raw.as_bytes()))
            {
                return Some(i);
            }
            candidates &= candidates.wrapping_sub(1);
        }
        None
    }
}

/// The keys a document reads.
///
/// An array of keys is one. The documents use a type of their own for theirs: it holds
/// nothing and hands out a constant array, so that the compiler resolves each
/// `f.string("Token")` to a slot while compiling rather than by comparing keys while reading.
trait KeyList<const N: usize> {
    /// The keys.
    fn keys(&self) -> &[&'static str; N];

    /// Which key `raw` is.
    fn find(&self, raw: &str) -> Option<usize>;

    /// The key to expect in a document after the key in slot `next - 1` (see
    /// [`json::Visitor::expected_key`]), or `None` not to guess.
    fn expected(&self, next: usize) -> Option<&'static str>;
}

impl<const N: usize> KeyList<N> for [&'static str; N] {
    #[inline(always)]
    fn keys(&self) -> &[&'static str; N] {
        self
    }

    fn find(&self, raw: &str) -> Option<usize> {
        self.iter().position(|k| *k == raw)
    }

    fn expected(&self, _next: usize) -> Option<&'static str> {
        // Keys given at run time are not checked to be plain text: no guessing.
        None
    }
}

/// Whether `key` can be recognised by comparing bytes (see [`json::Visitor::expected_key`]):
/// no `"`, `\` or control characters.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "`i < key.len()`; runs while compiling"
)]
const fn is_plain_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if matches!(bytes[i], b'"' | b'\\' | 0x00..=0x1F) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether every key of `keys` is plain text (see [`is_plain_key`]) and none is there twice.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "`i < j < N`; runs while compiling"
)]
const fn are_plain_distinct_keys<const N: usize>(keys: &[&str; N]) -> bool {
    let mut i = 0;
    while i < N {
        if !is_plain_key(keys[i]) {
            return false;
        }
        let mut j = i + 1;
        while j < N {
            if keys[i].len() == keys[j].len() && same_bytes(keys[i].as_bytes(), keys[j].as_bytes())
            {
                return false;
            }
            j += 1;
        }
        i += 1;
    }
    true
}

/// `a == b` for byte strings of the same length, while compiling.
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    reason = "`i < a.len() == b.len()`; runs while compiling"
)]
const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// The values of the keys a document reads, after the whole text has been checked.
struct Fields<'a, const N: usize, K: KeyList<N> = [&'static str; N]> {
    text: &'a str,
    document: Document,
    keys: K,
    values: [Option<Value<'a>>; N],
    /// For each string value, whether it has escapes (found by the scanner, not looked for
    /// again).
    escaped: [bool; N],
}

impl<'a, const N: usize, K: KeyList<N>> Fields<'a, N, K> {
    /// Reads the object in `text`, keeping the values of `keys`. JSON errors come first; then the
    /// first duplicate or escaped key.
    #[inline(always)]
    fn read(text: &'a str, document: Document, keys: K) -> Result<Fields<'a, N, K>, DocumentError> {
        let mut f = Fields::new(text, document, keys);
        f.fill()?;
        Ok(f)
    }

    /// Nothing read yet: call [`fill`](Self::fill). ([`read`](Self::read) does both; the
    /// documents call the two, so that the fields are filled where they are used rather than
    /// copied there.)
    #[inline(always)]
    fn new(text: &'a str, document: Document, keys: K) -> Fields<'a, N, K> {
        Fields {
            text,
            document,
            keys,
            values: [None; N],
            escaped: [false; N],
        }
    }

    #[inline(always)]
    fn keys(&self) -> &[&'static str; N] {
        self.keys.keys()
    }

    /// Reads the object, keeping the values of the keys.
    #[inline(always)]
    fn fill(&mut self) -> Result<(), DocumentError> {
        let (text, document) = (self.text, self.document);
        let mut filler = Filler {
            fields: self,
            problem: None,
            next: 0,
        };
        if let Err(e) = json::each_member(text, &mut filler) {
            return Err(json_error(document, text, e));
        }
        if let Some(kind) = filler.problem {
            return Err(DocumentError::new(document, kind));
        }
        Ok(())
    }

    /// The slot of `key`. The keys are few and, at the call sites, constant: this is meant to
    /// be folded away by the compiler.
    #[inline(always)]
    fn index(&self, key: &str) -> Option<usize> {
        self.keys()
            .iter()
            .position(|k| json::same_short(k.as_bytes(), key.as_bytes()))
    }

    #[inline(always)]
    fn value(&self, key: &str) -> Option<Value<'a>> {
        self.values.get(self.index(key)?).copied().flatten()
    }

    #[inline(always)]
    fn is_present(&self, key: &str) -> bool {
        self.value(key).is_some()
    }

    fn error(&self, kind: DocumentErrorKind) -> DocumentError {
        DocumentError::new(self.document, kind)
    }

    #[cold]
    fn missing(&self, key: &'static str) -> DocumentError {
        self.error(DocumentErrorKind::MissingKey { key })
    }

    #[cold]
    fn wrong_type(&self, key: &'static str, expected: ExpectedType, v: Value<'a>) -> DocumentError {
        self.error(DocumentErrorKind::WrongType {
            key,
            expected,
            found: v.kind,
            position: Position::locate(self.text, v.offset),
        })
    }

    /// A string, or `None` when the key is absent.
    #[inline(always)]
    fn string(&self, key: &'static str) -> Result<Option<JsonStr<'a>>, DocumentError> {
        let Some(i) = self.index(key) else {
            return Ok(None);
        };
        match self.values.get(i).copied().flatten() {
            None => Ok(None),
            Some(v) if v.kind == ValueKind::String => {
                let escaped = self.escaped.get(i).copied().unwrap_or(true);
                Ok(Some(JsonStr::from_scanned(v.text, escaped)))
            }
            Some(v) => Err(self.wrong_type(key, ExpectedType::String, v)),
        }
    }

    /// A string, or `None` when the key is absent or `null`.
    #[inline(always)]
    fn string_or_null(&self, key: &'static str) -> Result<Option<JsonStr<'a>>, DocumentError> {
        match self.value(key) {
            Some(v) if v.kind == ValueKind::Null => Ok(None),
            Some(v) if v.kind != ValueKind::String => {
                Err(self.wrong_type(key, ExpectedType::StringOrNull, v))
            }
            _ => self.string(key),
        }
    }

    /// A string that must be there.
    #[inline(always)]
    fn required(&self, key: &'static str) -> Result<JsonStr<'a>, DocumentError> {
        self.string(key)?.ok_or_else(|| self.missing(key))
    }
}

/// [`Fields::fill`]'s side of the reading: keeps the values of the keys, notes the first
/// duplicate or escaped key, and guesses that keys come in the order of the key list.
struct Filler<'f, 'a, const N: usize, K: KeyList<N>> {
    fields: &'f mut Fields<'a, N, K>,
    problem: Option<DocumentErrorKind>,
    /// The slot after the last key found: the guess for the next key.
    next: usize,
}

impl<'a, const N: usize, K: KeyList<N>> json::Visitor<'a> for Filler<'_, 'a, N, K> {
    #[inline(always)]
    fn expected_key(&self) -> Option<&'static str> {
        self.fields.keys.expected(self.next)
    }

    #[inline(always)]
    fn member(&mut self, member: json::Member<'a>, expected: bool) {
        if self.problem.is_some() {
            return;
        }
        let f = &mut *self.fields;
        let i = if expected {
            self.next
        } else if member.key.is_escaped() {
            if let Some(key) = f.keys().iter().find(|k| member.key.eq_str(k)) {
                self.problem = Some(DocumentErrorKind::EscapedKey {
                    key,
                    position: Position::locate(f.text, member.key_offset),
                });
            }
            return;
        } else {
            match f.keys.find(member.key.raw()) {
                Some(i) => i,
                None => return,
            }
        };
        self.next = i.wrapping_add(1);
        match f.values.get_mut(i) {
            Some(slot @ None) => {
                *slot = Some(member.value);
                if let Some(e) = f.escaped.get_mut(i) {
                    *e = member.value_escaped;
                }
            }
            Some(Some(_)) => {
                self.problem = Some(DocumentErrorKind::DuplicateKey {
                    key: f.keys().get(i).copied().unwrap_or(""),
                    position: Position::locate(f.text, member.key_offset),
                });
            }
            None => {}
        }
    }
}

/// The keys of the credentials IMDS and the container endpoint return.
mod keys {
    pub(super) const ACCESS_KEY_ID: &str = "AccessKeyId";
    pub(super) const SECRET_ACCESS_KEY: &str = "SecretAccessKey";
    pub(super) const TOKEN: &str = "Token";
    pub(super) const SESSION_TOKEN: &str = "SessionToken";
    pub(super) const EXPIRATION: &str = "Expiration";
    pub(super) const ACCOUNT_ID: &str = "AccountId";
    pub(super) const CODE: &str = "Code";
    pub(super) const MESSAGE: &str = "Message";
    pub(super) const LAST_UPDATED: &str = "LastUpdated";
}

/// The credentials in a document that has the IMDS / container fields, all type-checked.
/// `Ok(None)` when one of the four is absent.
#[inline(always)]
fn session_credentials<'a, const N: usize, K: KeyList<N>>(
    f: &Fields<'a, N, K>,
) -> Result<Option<SessionCredentials<'a>>, DocumentError> {
    let access_key_id = f.string(keys::ACCESS_KEY_ID)?;
    let secret_access_key = f.string(keys::SECRET_ACCESS_KEY)?;
    let token = f.string(keys::TOKEN)?;
    let session_token = f.string(keys::SESSION_TOKEN)?;
    let expiration = f.string(keys::EXPIRATION)?;
    let account_id = f.string_or_null(keys::ACCOUNT_ID)?;
    let token = match (token, session_token) {
        (Some(t), _) => Some((t, TokenKey::Token)),
        (None, Some(t)) => Some((t, TokenKey::SessionToken)),
        (None, None) => None,
    };
    let (Some(access_key_id), Some(secret_access_key), Some((token, token_key)), Some(expiration)) =
        (access_key_id, secret_access_key, token, expiration)
    else {
        return Ok(None);
    };
    Ok(Some(SessionCredentials {
        access_key_id,
        secret_access_key,
        token,
        token_key,
        expiration,
        account_id,
    }))
}

/// Fails with the first of the four credential keys that is absent, in botocore's order.
#[inline(always)]
fn require_session_keys<const N: usize, K: KeyList<N>>(
    f: &Fields<'_, N, K>,
) -> Result<(), DocumentError> {
    for key in [keys::ACCESS_KEY_ID, keys::SECRET_ACCESS_KEY] {
        if !f.is_present(key) {
            return Err(f.missing(key));
        }
    }
    if !f.is_present(keys::TOKEN) && !f.is_present(keys::SESSION_TOKEN) {
        return Err(f.missing(keys::TOKEN));
    }
    if !f.is_present(keys::EXPIRATION) {
        return Err(f.missing(keys::EXPIRATION));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buf::Writer;

    pub(super) fn show<'b>(e: &dyn fmt::Display, buf: &'b mut [u8]) -> &'b str {
        let mut w = Writer::new(buf);
        fmt::write(&mut w, format_args!("{e}")).unwrap();
        w.finish().unwrap()
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = utf8(b"{\n  \"a\": \"\xff\"}", Document::ProcessOutput).unwrap_err();
        assert_eq!(
            e.kind,
            DocumentErrorKind::InvalidUtf8 {
                position: Position {
                    offset: 10,
                    line: 2,
                    column: 9
                }
            }
        );
        assert_eq!(e.position().unwrap().offset, 10);
        let mut buf = [0u8; 128];
        assert_eq!(
            show(&e, &mut buf),
            "credential_process output: not valid UTF-8 at line 2, column 9 (byte 10)"
        );
        assert_eq!(utf8(b"{}", Document::ProcessOutput), Ok("{}"));
    }

    #[test]
    fn fields_refuse_duplicates_and_escaped_keys_after_syntax() {
        let read = |t| Fields::read(t, Document::ContainerCredentials, ["A", "B"]).map(|_| ());
        let kind = |t| read(t).unwrap_err().kind;
        assert_eq!(read(r#"{"A":1,"B":2,"C":3,"C":4,"\u0043":5}"#), Ok(()));
        assert_eq!(
            kind(r#"{"A":1,"B":2,"A":3}"#),
            DocumentErrorKind::DuplicateKey {
                key: "A",
                position: Position {
                    offset: 13,
                    line: 1,
                    column: 14
                }
            }
        );
        assert_eq!(
            kind(r#"{"\u0041":1}"#),
            DocumentErrorKind::EscapedKey {
                key: "A",
                position: Position {
                    offset: 1,
                    line: 1,
                    column: 2
                }
            }
        );
        // A syntax error later in the text wins over a duplicate earlier.
        assert!(matches!(
            kind(r#"{"A":1,"A":2,}"#),
            DocumentErrorKind::Json(_)
        ));
    }

    const TEST_KEYS: [&str; 4] = ["Code", "Type", "Token", "Expiration"];

    key_list!(
        /// `TEST_KEYS`, guessing their order.
        TestKeys = TEST_KEYS[4]
    );

    #[test]
    fn guessing_the_key_order_changes_nothing() {
        let texts = [
            r#"{"Code":"a","Type":"b","Token":"c","Expiration":"d"}"#,
            r#"{"Expiration":"d","Token":"c","Type":"b","Code":"a"}"#,
            r#"{"Code":"a","Code":"b"}"#,
            r#"{"Code":"a","Type":"b","Type":"c"}"#,
            r#"{"Cod":"a","Codes":"b","Tok":1,"Token ":2,"Type":"t"}"#,
            r#"{"Code":"a","Typ\u0065":"b"}"#,
            r#"{"Code":"a","Type\"":"b","Token":"c"}"#,
            r#"{"Code":"a","Type\\":"b","Token":"c"}"#,
            r#"{"Code":"a","x":{"Type":1},"Type":[2],"Token":null,"Expiration":false}"#,
            "{\n  \"Code\" : \"a\",\n  \"Type\" : \"b\\/c\",\n  \"Token\" : \"t\"\n}",
            r#"{"Code":"a","Type":"b","Token":"c","Expiration":"d","Code":"e"}"#,
            r#"{"Code":"a","Type":"b""#,
        ];
        for text in texts {
            let guessed = Fields::read(text, Document::ImdsCredentials, TestKeys);
            let plain = Fields::read(text, Document::ImdsCredentials, TEST_KEYS);
            match (guessed, plain) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a.values, b.values, "{text}");
                    assert_eq!(a.escaped, b.escaped, "{text}");
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{text}"),
                (a, b) => panic!("{text}: {:?} against {:?}", a.err(), b.err()),
            }
        }
    }

    #[test]
    fn keys_by_length_finds_every_key_and_nothing_else() {
        const KEYS: [&str; 8] = [
            "a",
            "bb",
            "cc",
            "dddd",
            "eeee",
            "ffff",
            "gggggggggggggggggggg",
            "",
        ];
        let table = KeysByLength::new(&KEYS);
        for (i, k) in KEYS.iter().enumerate() {
            assert_eq!(table.find(&KEYS, k), Some(i), "{k:?}");
        }
        for other in [
            "b",
            "bc",
            "ddde",
            "gggg",
            "ggggggggggggggggggggg",
            "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
        ] {
            assert_eq!(table.find(&KEYS, other), None, "{other:?}");
        }
        assert!(are_plain_distinct_keys(&KEYS));
        assert!(!are_plain_distinct_keys(&["a", "b", "a"]));
        assert!(!are_plain_distinct_keys(&["a\"", "b"]));
        assert!(!are_plain_distinct_keys(&["a\\b"]));
        assert!(!are_plain_distinct_keys(&["a\nb"]));
    }

    #[test]
    fn timestamps_from_escaped_strings() {
        let plain = JsonStr::new("2026-11-29T12:00:00Z").unwrap();
        let escaped = JsonStr::new(r"2026-11-29T12:00:00\u005A").unwrap();
        let t = timestamp(&plain, Timestamp::parse).unwrap();
        assert_eq!(timestamp(&escaped, Timestamp::parse), Ok(t));
        assert_eq!(timestamp(&escaped, Timestamp::parse_botocore_strict), Ok(t));
        let long = JsonStr::new(
            r"2026-11-29T12:00:00.\u0030000000000000000000000000000000000000000000000000000Z",
        )
        .unwrap();
        assert_eq!(
            timestamp(&long, Timestamp::parse),
            Err(TimeError::TooLong { len: 73 })
        );
    }

    #[test]
    fn error_display() {
        let mut buf = [0u8; 256];
        let e = DocumentError::new(
            Document::ContainerCredentials,
            DocumentErrorKind::MissingKey { key: "Token" },
        );
        assert_eq!(
            show(&e, &mut buf),
            "container credentials document: missing required key 'Token'"
        );
        let e = DocumentError::new(
            Document::ProcessOutput,
            DocumentErrorKind::MissingKey {
                key: "SecretAccessKey",
            },
        );
        assert_eq!(
            show(&e, &mut buf),
            "Missing required key in response: 'SecretAccessKey'"
        );
        assert_eq!(e.position(), None);
        let e = DocumentError::new(
            Document::ImdsCredentials,
            DocumentErrorKind::WrongType {
                key: "Token",
                expected: ExpectedType::String,
                found: ValueKind::Number,
                position: Position {
                    offset: 9,
                    line: 1,
                    column: 10,
                },
            },
        );
        assert_eq!(
            show(&e, &mut buf),
            "IMDS role credentials document: 'Token' must be a string, found a number at line 1, column 10 (byte 9)"
        );
    }
}
