//! Reading and writing the small JSON documents of SSO: the members of one object (or of an
//! object nested in it), with the core's own JSON reader, and Python's `json.dumps` for writing.

use core::fmt;

use crate::buf::Writer;
use crate::document::json::{Member, members};
use crate::document::{JsonError, JsonStr, Position, ValueKind};

/// Which SSO document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SsoDocument {
    /// The token cache file (`~/.aws/sso/cache/<sha1>.json`).
    TokenCache,
    /// The `GetRoleCredentials` answer.
    RoleCredentials,
    /// The SSO OIDC `CreateToken` answer.
    CreateToken,
}

impl fmt::Display for SsoDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SsoDocument::TokenCache => "SSO token cache file",
            SsoDocument::RoleCredentials => "SSO GetRoleCredentials response",
            SsoDocument::CreateToken => "SSO OIDC CreateToken response",
        })
    }
}

/// What is wrong with an SSO document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SsoErrorKind {
    /// Not UTF-8.
    InvalidUtf8 {
        /// Where.
        position: Position,
    },
    /// Not JSON, or not an object.
    Json(JsonError),
    /// A required key is absent.
    MissingKey {
        /// The key (`roleCredentials.accessKeyId` for a nested one).
        key: &'static str,
    },
    /// A key holds a value of the wrong type.
    WrongType {
        /// The key.
        key: &'static str,
        /// What it must hold.
        expected: &'static str,
        /// What it holds.
        found: ValueKind,
        /// Where the value starts.
        position: Position,
    },
    /// A key the document reads appears twice.
    DuplicateKey {
        /// The key.
        key: &'static str,
        /// Where it appears again.
        position: Position,
    },
}

/// An SSO document that cannot be used, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SsoDocumentError {
    /// The document.
    pub document: SsoDocument,
    /// The problem.
    pub kind: SsoErrorKind,
}

impl SsoDocumentError {
    /// Where the problem is, when it is at one place.
    #[must_use]
    pub fn position(&self) -> Option<Position> {
        match self.kind {
            SsoErrorKind::InvalidUtf8 { position }
            | SsoErrorKind::WrongType { position, .. }
            | SsoErrorKind::DuplicateKey { position, .. } => Some(position),
            SsoErrorKind::Json(e) => Some(e.position),
            SsoErrorKind::MissingKey { .. } => None,
        }
    }
}

impl fmt::Display for SsoDocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.document)?;
        match self.kind {
            SsoErrorKind::InvalidUtf8 { position } => write!(f, "not valid UTF-8 at {position}"),
            SsoErrorKind::Json(e) => write!(f, "{e}"),
            SsoErrorKind::MissingKey { key } => write!(f, "missing required key '{key}'"),
            SsoErrorKind::WrongType {
                key,
                expected,
                found,
                position,
            } => write!(f, "'{key}' must be {expected}, found {found} at {position}"),
            SsoErrorKind::DuplicateKey { key, position } => {
                write!(
                    f,
                    "key '{key}' appears more than once (again at {position})"
                )
            }
        }
    }
}

impl core::error::Error for SsoDocumentError {}

/// A value found for a key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'a> {
    pub(crate) kind: ValueKind,
    pub(crate) text: &'a str,
    pub(crate) escaped: bool,
    /// Offset of the value in the whole document.
    pub(crate) offset: usize,
}

/// The members of the object at `base` in `doc` (`text` is the object's text) whose keys are in
/// `keys`, each at most once.
pub(crate) fn read_object<'a, const N: usize>(
    doc: &'a str,
    text: &'a str,
    base: usize,
    keys: &[&'static str; N],
    names: &[&'static str; N],
    document: SsoDocument,
) -> Result<[Option<Found<'a>>; N], SsoDocumentError> {
    let err = |kind| SsoDocumentError { document, kind };
    let mut found: [Option<Found<'a>>; N] = [None; N];
    for m in members(text) {
        let m: Member<'a> = m.map_err(|e| {
            let abs = base.saturating_add(e.position.offset);
            err(SsoErrorKind::Json(JsonError {
                position: Position::locate(doc, abs),
                kind: e.kind,
            }))
        })?;
        let Some(i) = keys.iter().position(|k| m.key.eq_str(k)) else {
            continue;
        };
        let Some(slot) = found.get_mut(i) else {
            continue;
        };
        if slot.is_some() {
            return Err(err(SsoErrorKind::DuplicateKey {
                key: names.get(i).copied().unwrap_or(""),
                position: Position::locate(doc, base.saturating_add(m.key_offset)),
            }));
        }
        *slot = Some(Found {
            kind: m.value.kind,
            text: m.value.text,
            escaped: m.value_escaped,
            offset: base.saturating_add(m.value.offset),
        });
    }
    Ok(found)
}

/// A found value that must be a string.
pub(crate) fn string<'a>(
    doc: &str,
    v: Option<Found<'a>>,
    key: &'static str,
    document: SsoDocument,
) -> Result<Option<JsonStr<'a>>, SsoDocumentError> {
    match v {
        None => Ok(None),
        Some(f) if f.kind == ValueKind::String => {
            Ok(Some(JsonStr::from_scanned(f.text, f.escaped)))
        }
        Some(f) => Err(SsoDocumentError {
            document,
            kind: SsoErrorKind::WrongType {
                key,
                expected: "a string",
                found: f.kind,
                position: Position::locate(doc, f.offset),
            },
        }),
    }
}

/// A found value that must be an integer (JSON digits, optionally negative, no fraction or
/// exponent).
pub(crate) fn integer(
    doc: &str,
    v: Option<Found<'_>>,
    key: &'static str,
    document: SsoDocument,
) -> Result<Option<i64>, SsoDocumentError> {
    let Some(f) = v else { return Ok(None) };
    let wrong = || SsoDocumentError {
        document,
        kind: SsoErrorKind::WrongType {
            key,
            expected: "an integer",
            found: f.kind,
            position: Position::locate(doc, f.offset),
        },
    };
    if f.kind != ValueKind::Number {
        return Err(wrong());
    }
    f.text.parse::<i64>().map(Some).map_err(|_| wrong())
}

pub(crate) fn missing(key: &'static str, document: SsoDocument) -> SsoDocumentError {
    SsoDocumentError {
        document,
        kind: SsoErrorKind::MissingKey { key },
    }
}

pub(crate) fn utf8(bytes: &[u8], document: SsoDocument) -> Result<&str, SsoDocumentError> {
    core::str::from_utf8(bytes).map_err(|e| {
        let valid = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
        let prefix = core::str::from_utf8(valid).unwrap_or("");
        SsoDocumentError {
            document,
            kind: SsoErrorKind::InvalidUtf8 {
                position: Position::locate(prefix, prefix.len()),
            },
        }
    })
}

/// Appends `s` as a JSON string the way Python's `json.dumps` writes it (`ensure_ascii`):
/// quotes, `\"` `\\` `\n` `\r` `\t` `\b` `\f`, every other character outside `' '..='~'` as
/// `\uxxxx` in lower-case hex (two of them, a surrogate pair, beyond the BMP).
pub(crate) fn push_py_json_str(w: &mut Writer<'_>, s: &str) {
    w.push_str("\"");
    let mut start = 0usize;
    for (i, c) in s.char_indices() {
        let simple = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            ' '..='~' => continue,
            _ => "",
        };
        w.push_str(s.get(start..i).unwrap_or(""));
        start = i.saturating_add(c.len_utf8());
        if !simple.is_empty() {
            w.push_str(simple);
            continue;
        }
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            let _ = fmt::Write::write_fmt(w, format_args!("\\u{:04x}", *u));
        }
    }
    w.push_str(s.get(start..).unwrap_or(""));
    w.push_str("\"");
}
