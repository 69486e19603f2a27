//! Checks for `credchain_core::document`: JSON strings, document errors, and every field of
//! every document, against `serde_json` as an independent reader.

use credchain_core::document::{
    Document, DocumentError, DocumentErrorKind, JsonErrorKind, JsonStr, Position,
    SessionCredentials, ValueKind, json::Fragment,
};
use credchain_core::time::{TimeError, Timestamp};
use serde_json::{Map, Value};

use crate::{assert_inside, check_write};

/// What `serde_json` makes of the input.
#[derive(Debug)]
pub enum Oracle {
    /// A JSON object.
    Object(Map<String, Value>),
    /// Valid JSON, but not an object.
    Other(Value),
    /// Not JSON for `serde_json`.
    Invalid(String),
}

impl Oracle {
    /// Reads `data` with `serde_json`.
    pub fn read(data: &[u8]) -> Oracle {
        match serde_json::from_slice::<Value>(data) {
            Ok(Value::Object(m)) => Oracle::Object(m),
            Ok(v) => Oracle::Other(v),
            Err(e) => Oracle::Invalid(e.to_string()),
        }
    }

    /// The object, when the input is one.
    pub fn object(&self) -> Option<&Map<String, Value>> {
        match self {
            Oracle::Object(m) => Some(m),
            _ => None,
        }
    }
}

/// Whether `serde_json` may refuse a text the core reads as JSON: Python's `NaN`, `Infinity`
/// and `-Infinity` (which `json.loads`, and so the core, accepts), numbers beyond `f64` (Python
/// reads them as `inf`), and nesting near the depth limits, which the two count differently.
fn oracle_may_refuse(data: &[u8], message: &str) -> bool {
    let has = |needle: &[u8]| data.windows(needle.len()).any(|w| w == needle);
    has(b"NaN")
        || has(b"Infinity")
        || message.contains("out of range")
        || message.contains("recursion limit")
}

/// The kind of a `serde_json` value, in the core's terms.
fn kind_of(v: &Value) -> ValueKind {
    match v {
        Value::Null => ValueKind::Null,
        Value::Bool(_) => ValueKind::Bool,
        Value::Number(_) => ValueKind::Number,
        Value::String(_) => ValueKind::String,
        Value::Array(_) => ValueKind::Array,
        Value::Object(_) => ValueKind::Object,
    }
}

/// Checks a JSON string: its raw text borrows from `whole`, every view of its decoded text
/// agrees, `decode_into` needs exactly `decoded_len()` bytes, and `serde_json` decodes the same
/// raw text to the same string. Returns the decoded text.
#[track_caller]
pub fn check_json_str(whole: &[u8], s: &JsonStr<'_>, what: &str) -> String {
    let raw = s.raw();
    assert_inside(whole, raw, what);
    let decoded: String = s.chars().collect();
    let mut from_fragments = String::new();
    for f in s.fragments() {
        match f {
            Fragment::Text(t) => {
                assert_inside(whole, t, "unescaped run of a JSON string");
                assert!(!t.is_empty(), "{what}: empty text fragment");
                from_fragments.push_str(t);
            }
            Fragment::Char(c) => from_fragments.push(c),
        }
    }
    assert_eq!(
        from_fragments, decoded,
        "{what}: fragments and chars disagree"
    );
    assert_eq!(
        s.decoded_len(),
        decoded.len(),
        "{what} {raw:?}: decoded_len"
    );
    check_write!(&decoded, |buf| s.decode_into(buf));
    assert_eq!(s.is_escaped(), raw.contains('\\'), "{what}: is_escaped");
    match s.as_str() {
        Some(t) => {
            assert!(!s.is_escaped(), "{what}: as_str of an escaped string");
            assert_eq!(t, raw);
            assert_eq!(t, decoded);
        }
        None => assert!(
            s.is_escaped(),
            "{what}: as_str refused a string without escapes"
        ),
    }
    assert_eq!(s.is_empty(), decoded.is_empty(), "{what} {raw:?}: is_empty");
    assert!(s.eq_str(&decoded), "{what} {raw:?}: eq_str of its own text");
    assert_eq!(s.to_string(), decoded, "{what}: Display");
    let again = JsonStr::new(raw)
        .unwrap_or_else(|e| panic!("{what} {raw:?}: JsonStr::new refuses it: {e}"));
    assert!(again == *s, "{what}: equality");
    let quoted = format!("\"{raw}\"");
    match serde_json::from_str::<String>(&quoted) {
        Ok(theirs) => assert_eq!(
            theirs, decoded,
            "{what} {raw:?}: serde_json decodes it otherwise"
        ),
        Err(e) => panic!("{what} {raw:?}: serde_json refuses it: {e}"),
    }
    decoded
}

/// Checks a document error about `data`: it names `doc`, its position is inside the input and
/// is where the line and column say, and `serde_json` agrees on whether the text is JSON.
pub fn check_error(data: &[u8], e: &DocumentError, doc: Document, oracle: &Oracle) {
    assert_eq!(e.document, doc, "error names another document");
    assert!(!e.to_string().is_empty());
    if let Some(p) = e.position() {
        assert!(p.offset <= data.len(), "{e:?}: position past the end");
        let valid = match std::str::from_utf8(data) {
            Ok(t) => t,
            Err(u) => std::str::from_utf8(&data[..u.valid_up_to()]).expect("valid prefix"),
        };
        assert!(
            p.offset <= valid.len(),
            "{e:?}: position beyond the valid text"
        );
        assert_eq!(
            Position::locate(valid, p.offset),
            p,
            "{e:?}: line and column are not where the offset is"
        );
    }
    match e.kind {
        DocumentErrorKind::InvalidUtf8 { position } => {
            let u = std::str::from_utf8(data).expect_err("InvalidUtf8 on valid UTF-8");
            assert_eq!(
                position.offset,
                u.valid_up_to(),
                "InvalidUtf8 points elsewhere than the first bad byte"
            );
        }
        DocumentErrorKind::Json(j) => match (j.kind, oracle) {
            (JsonErrorKind::TooDeep, _) => {}
            (JsonErrorKind::NotAnObject(kind), Oracle::Other(v)) => {
                assert_eq!(kind, kind_of(v), "NotAnObject names the wrong kind");
            }
            (JsonErrorKind::NotAnObject(_), Oracle::Invalid(_)) => {}
            (_, Oracle::Object(_) | Oracle::Other(_)) => {
                panic!("JSON error {j} on a text serde_json reads ({oracle:?})")
            }
            (_, Oracle::Invalid(_)) => {}
        },
        _ => expect_json(data, oracle),
    }
}

/// The core read `data` as a JSON object: `serde_json` must too, but for the texts it may
/// refuse ([`oracle_may_refuse`]).
pub fn expect_json(data: &[u8], oracle: &Oracle) {
    match oracle {
        Oracle::Object(_) => {}
        Oracle::Other(v) => panic!("the core read an object where serde_json reads {v:?}"),
        Oracle::Invalid(m) => assert!(
            oracle_may_refuse(data, m),
            "the core read a JSON object that serde_json refuses: {m}"
        ),
    }
}

/// The core's field `key` against `serde_json`'s: both the same string, or the core has none
/// and `serde_json`'s value is one of `none_ok` (absent is always fine then).
#[track_caller]
pub fn compare_field(
    obj: Option<&Map<String, Value>>,
    key: &str,
    ours: Option<&str>,
    none_ok: fn(&Value) -> bool,
) {
    let Some(obj) = obj else { return };
    match (ours, obj.get(key)) {
        (Some(s), Some(Value::String(t))) => {
            assert_eq!(s, t, "field {key}: serde_json reads it otherwise")
        }
        (Some(s), other) => panic!("field {key}: the core read {s:?}, serde_json {other:?}"),
        (None, None) => {}
        (None, Some(v)) => assert!(
            none_ok(v),
            "field {key}: the core read nothing, serde_json {v:?}"
        ),
    }
}

/// `none_ok` for fields that must be absent when the core has none.
pub fn never(_: &Value) -> bool {
    false
}

/// `none_ok` for fields where `null` means none.
pub fn is_null(v: &Value) -> bool {
    v.is_null()
}

/// What reading `s` as a timestamp with `parse` must give, by the documented rule: the text
/// itself when it has no escapes; otherwise its decoded text, when that fits 64 bytes.
fn expected_time(
    s: &JsonStr<'_>,
    decoded: &str,
    parse: fn(&str) -> Result<Timestamp, TimeError>,
) -> Result<Timestamp, TimeError> {
    if !s.is_escaped() || decoded.len() <= 64 {
        parse(decoded)
    } else {
        Err(TimeError::TooLong { len: decoded.len() })
    }
}

/// Checks an expiration field's readers against the timestamp readers themselves.
pub fn check_expiration(
    s: &JsonStr<'_>,
    decoded: &str,
    lenient: Result<Timestamp, TimeError>,
    strict: Option<Result<Timestamp, TimeError>>,
) {
    assert_eq!(
        lenient,
        expected_time(s, decoded, Timestamp::parse),
        "expiration() of {decoded:?}"
    );
    if let Ok(t) = lenient {
        crate::time::check_timestamp(t);
    }
    if let Some(strict) = strict {
        assert_eq!(
            strict,
            expected_time(s, decoded, Timestamp::parse_botocore_strict),
            "expiration_botocore_strict() of {decoded:?}"
        );
        if let Ok(t) = strict {
            crate::time::check_timestamp(t);
        }
    }
}

/// Checks session credentials (IMDS, container) found in `data`.
pub fn check_session(data: &[u8], c: &SessionCredentials<'_>, obj: Option<&Map<String, Value>>) {
    let akid = check_json_str(data, &c.access_key_id, "AccessKeyId");
    let secret = check_json_str(data, &c.secret_access_key, "SecretAccessKey");
    let token = check_json_str(data, &c.token, "token");
    let exp = check_json_str(data, &c.expiration, "Expiration");
    let account = c
        .account_id
        .as_ref()
        .map(|a| check_json_str(data, a, "AccountId"));
    compare_field(obj, "AccessKeyId", Some(&akid), never);
    compare_field(obj, "SecretAccessKey", Some(&secret), never);
    compare_field(obj, "Expiration", Some(&exp), never);
    compare_field(obj, "AccountId", account.as_deref(), is_null);
    use credchain_core::document::TokenKey;
    match c.token_key {
        TokenKey::Token => compare_field(obj, "Token", Some(&token), never),
        TokenKey::SessionToken => {
            compare_field(obj, "SessionToken", Some(&token), never);
            if let Some(o) = obj {
                assert!(
                    !o.contains_key("Token"),
                    "SessionToken read although Token is present"
                );
            }
        }
    }
    check_expiration(
        &c.expiration,
        &exp,
        c.expiration(),
        Some(c.expiration_botocore_strict()),
    );
}

/// Checks an optional field.
pub fn check_opt(data: &[u8], s: &Option<JsonStr<'_>>, what: &str) -> Option<String> {
    s.as_ref().map(|s| check_json_str(data, s, what))
}
