//! `credential_process` output (spec §7).

use core::fmt;

use super::json::Value;
use super::{
    Document, DocumentError, DocumentErrorKind, ExpectedType, Fields, JsonStr, ValueKind,
    timestamp, utf8,
};
use crate::time::{TimeError, Timestamp};

const VERSION: &str = "Version";
const ACCESS_KEY_ID: &str = "AccessKeyId";
const SECRET_ACCESS_KEY: &str = "SecretAccessKey";
const SESSION_TOKEN: &str = "SessionToken";
const EXPIRATION: &str = "Expiration";
const ACCOUNT_ID: &str = "AccountId";

/// The keys of `credential_process` output, in the order the AWS documentation shows them (the
/// reader guesses that each key is the one after the last).
const PROCESS_KEYS: [&str; 6] = [
    VERSION,
    ACCESS_KEY_ID,
    SECRET_ACCESS_KEY,
    SESSION_TOKEN,
    EXPIRATION,
    ACCOUNT_ID,
];

key_list!(
    /// [`PROCESS_KEYS`] as a type (see [`KeyList`](super::KeyList)).
    ProcessKeys = PROCESS_KEYS[6]
);

/// What a `credential_process` command prints on standard output, once it has exited with
/// status 0:
///
/// ```json
/// {"Version": 1, "AccessKeyId": "ASIA…", "SecretAccessKey": "…", "SessionToken": "…",
///  "Expiration": "2026-11-29T16:27:12Z", "AccountId": "123456789012"}
/// ```
///
/// The checks are botocore's, in botocore's order (spec §7):
///
/// 1. The output is a JSON object (surrounding whitespace is fine).
/// 2. `Version` compares equal to the integer 1 as Python compares: `1`, `1.0`, `1e0`, `true`
///    pass; `"1"`, `2`, `false`, `null` and an absent key fail with
///    `Unsupported version '<v>' for credential process provider, supported versions: 1`
///    ([`VersionText`] holds `<v>`).
/// 3. `AccessKeyId`, then `SecretAccessKey`, must be present:
///    `Missing required key in response: 'SecretAccessKey'`.
///
/// Then credchain checks types, which botocore does not: the two keys must be strings,
/// `SessionToken` and `Expiration` strings or `null` (`null` means "none": no token, static
/// credentials). `AccountId` that Python counts as false (absent, `null`, `""`, `0`, `false`,
/// `[]`, `{}`) is `None`, and the caller then uses the profile's `aws_account_id`, as botocore
/// does; any other non-string is an error.
///
/// ```
/// use credchain_core::document::ProcessCredentials;
///
/// let out = "{\"Version\": 1.0, \"AccessKeyId\": \"AKIAX\", \"SecretAccessKey\": \"s\",
///             \"SessionToken\": null}\n";
/// let creds = ProcessCredentials::parse(out).unwrap();
/// assert_eq!(creds.access_key_id.as_str(), Some("AKIAX"));
/// assert!(creds.session_token.is_none());
/// assert_eq!(creds.expiration(), Ok(None));
///
/// let err = ProcessCredentials::parse(r#"{"Version": "1"}"#).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "Unsupported version '1' for credential process provider, supported versions: 1"
/// );
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProcessCredentials<'a> {
    /// `AccessKeyId`.
    pub access_key_id: JsonStr<'a>,
    /// `SecretAccessKey`.
    pub secret_access_key: JsonStr<'a>,
    /// `SessionToken`, unless absent or `null`.
    pub session_token: Option<JsonStr<'a>>,
    /// `Expiration`, unless absent or `null`: then the credentials are static and never
    /// refreshed; otherwise botocore refreshes them by running the command again.
    pub expiration: Option<JsonStr<'a>>,
    /// `AccountId`, unless Python counts it as false; the caller falls back to the profile's
    /// `aws_account_id` when this is `None`.
    pub account_id: Option<JsonStr<'a>>,
}

impl<'a> ProcessCredentials<'a> {
    /// Reads the output of a command.
    pub fn parse(text: &'a str) -> Result<ProcessCredentials<'a>, DocumentError> {
        let f = Fields::read(text, Document::ProcessOutput, ProcessKeys)?;
        match f.value(VERSION) {
            Some(v) if is_one(v) => {}
            v => {
                return Err(f.error(DocumentErrorKind::UnsupportedVersion {
                    version: VersionText::of(v),
                }));
            }
        }
        for key in [ACCESS_KEY_ID, SECRET_ACCESS_KEY] {
            if !f.is_present(key) {
                return Err(f.missing(key));
            }
        }
        let access_key_id = f.required(ACCESS_KEY_ID)?;
        let secret_access_key = f.required(SECRET_ACCESS_KEY)?;
        let session_token = f.string_or_null(SESSION_TOKEN)?;
        let expiration = f.string_or_null(EXPIRATION)?;
        let account_id = match f.value(ACCOUNT_ID) {
            None => None,
            Some(v) if is_falsy(v) => None,
            Some(v) if v.kind == ValueKind::String => Some(JsonStr::from_checked(v.text)),
            Some(v) => return Err(f.wrong_type(ACCOUNT_ID, ExpectedType::StringOrFalsy, v)),
        };
        Ok(ProcessCredentials {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
            account_id,
        })
    }

    /// Reads the output of a command given as bytes (botocore decodes it as UTF-8 too).
    pub fn parse_bytes(bytes: &'a [u8]) -> Result<ProcessCredentials<'a>, DocumentError> {
        ProcessCredentials::parse(utf8(bytes, Document::ProcessOutput)?)
    }

    /// The expiration as a [`Timestamp`] ([`Timestamp::parse`]); `None` for static credentials.
    pub fn expiration(&self) -> Result<Option<Timestamp>, TimeError> {
        self.expiration
            .as_ref()
            .map(|e| timestamp(e, Timestamp::parse))
            .transpose()
    }
}

impl fmt::Debug for ProcessCredentials<'_> {
    /// Shows the secret and the token as their lengths only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessCredentials")
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &super::Redacted(&self.secret_access_key),
            )
            .field(
                "session_token",
                &self.session_token.as_ref().map(super::Redacted),
            )
            .field("expiration", &self.expiration)
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// Whether a JSON number is written as an integer (no fraction, no exponent), which Python
/// reads as an `int`; anything else it reads as a `float`.
fn is_integer(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

/// Whether a JSON number written as `text` equals 1 as Python compares `json.loads` results:
/// an integer is exact, so only `1`; a float is equal when it rounds to 1.0 (`1.0`, `1e0`,
/// `10e-1`, `1.00000000000000001`).
fn number_is_one(text: &str) -> bool {
    if is_integer(text) {
        return text == "1";
    }
    text.parse::<f64>() == Ok(1.0)
}

impl fmt::Write for VersionText {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// Writes `x` as Python's `repr(float)` does: the shortest digits that read back as `x`, in
/// positional notation when the decimal exponent is from -4 to 15 (always with a fraction,
/// `2.0`), otherwise as `d.ddde+XX` with at least two exponent digits; `nan`, `inf`, `-inf`.
fn python_float(x: f64, out: &mut VersionText) {
    if x.is_nan() {
        return out.push_str("nan");
    }
    if x.is_infinite() {
        return out.push_str(if x < 0.0 { "-inf" } else { "inf" });
    }
    // Rust's `{:e}` gives the same shortest round-trip digits: `-1.5e16`, `2e0`, `0e0`.
    let mut buf = [0u8; 40];
    let mut w = crate::buf::Writer::new(&mut buf);
    let _ = fmt::write(&mut w, format_args!("{x:e}"));
    let Ok(sci) = w.finish() else {
        return out.push_str("?");
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let (lead, rest) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if negative {
        out.push_str("-");
    }
    if (-4..16).contains(&exp) {
        // `point`: how many of the digits stand before the decimal point.
        let point = exp.saturating_add(1);
        let digits = || lead.chars().chain(rest.chars());
        let count = i32::try_from(lead.len().saturating_add(rest.len())).unwrap_or(i32::MAX);
        if point <= 0 {
            out.push_str("0.");
            for _ in point..0 {
                out.push_str("0");
            }
            digits().for_each(|c| {
                out.push_char(c);
            });
        } else if point >= count {
            digits().for_each(|c| {
                out.push_char(c);
            });
            for _ in count..point {
                out.push_str("0");
            }
            out.push_str(".0");
        } else {
            for (i, c) in digits().enumerate() {
                if i32::try_from(i).unwrap_or(i32::MAX) == point {
                    out.push_str(".");
                }
                out.push_char(c);
            }
        }
    } else {
        out.push_str(lead);
        if !rest.is_empty() {
            out.push_str(".");
            out.push_str(rest);
        }
        let _ = fmt::write(
            out,
            format_args!(
                "e{}{:02}",
                if exp < 0 { '-' } else { '+' },
                exp.unsigned_abs()
            ),
        );
    }
}

/// Whether `Version` equals 1: a number equal to 1, or `true` (Python's `True == 1`).
fn is_one(v: Value<'_>) -> bool {
    match v.kind {
        ValueKind::Bool => v.text == "true",
        ValueKind::Number => number_is_one(v.text),
        _ => false,
    }
}

/// Whether an array or object (`text` as written) has nothing between its brackets.
fn is_empty_container(text: &str) -> bool {
    text.get(1..)
        .unwrap_or("")
        .trim_start_matches([' ', '\t', '\r', '\n'])
        .len()
        == 1
}

/// Whether Python counts the value as false.
fn is_falsy(v: Value<'_>) -> bool {
    match v.kind {
        ValueKind::Null => true,
        ValueKind::Bool => v.text == "false",
        ValueKind::String => v.text.is_empty(),
        ValueKind::Number => v.text.parse::<f64>() == Ok(0.0),
        ValueKind::Array | ValueKind::Object => is_empty_container(v.text),
    }
}

/// Room kept for the text of an unsupported version; longer text is cut, with `…` shown.
const VERSION_TEXT_CAPACITY: usize = 40;

/// The `Version` of `credential_process` output as botocore's error message shows it: Python's
/// `str()` of the value. `null`, `true` and `false` read `None`, `True`, `False`; a string is
/// shown without quotes, decoded; numbers as Python prints them (`-0` as `0`, `1.50` as `1.5`,
/// `2e0` as `2.0`, `1e16` as `1e+16`, `NaN` as `nan`); an absent key reads
/// `<Version key not provided>`. Empty arrays and objects read `[]` and `{}`; others are shown
/// as written (Python would print `[1,2]` as `[1, 2]`). At most 40 bytes are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionText {
    kind: Option<ValueKind>,
    len: u8,
    truncated: bool,
    bytes: [u8; VERSION_TEXT_CAPACITY],
}

impl VersionText {
    fn of(value: Option<Value<'_>>) -> VersionText {
        let mut t = VersionText {
            kind: value.map(|v| v.kind),
            len: 0,
            truncated: false,
            bytes: [0; VERSION_TEXT_CAPACITY],
        };
        let Some(v) = value else {
            t.push_str("<Version key not provided>");
            return t;
        };
        match v.kind {
            ValueKind::Null => t.push_str("None"),
            ValueKind::Bool if v.text == "true" => t.push_str("True"),
            ValueKind::Bool => t.push_str("False"),
            ValueKind::String => {
                for c in JsonStr::from_checked(v.text).chars() {
                    if !t.push_char(c) {
                        break;
                    }
                }
            }
            ValueKind::Number if is_integer(v.text) => {
                // Python's int: JSON integers have no leading zeros, so only `-0` changes.
                t.push_str(if v.text == "-0" { "0" } else { v.text });
            }
            ValueKind::Number => match v.text.parse::<f64>() {
                Ok(x) => python_float(x, &mut t),
                Err(_) => t.push_str(v.text),
            },
            // Python prints empty containers as `[]` and `{}`, whatever the spacing.
            ValueKind::Array if is_empty_container(v.text) => t.push_str("[]"),
            ValueKind::Object if is_empty_container(v.text) => t.push_str("{}"),
            ValueKind::Array | ValueKind::Object => t.push_str(v.text),
        }
        t
    }

    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            if !self.push_char(c) {
                return;
            }
        }
    }

    /// Appends a whole character if it fits; otherwise marks the text cut.
    fn push_char(&mut self, c: char) -> bool {
        let mut tmp = [0u8; 4];
        let encoded = c.encode_utf8(&mut tmp).as_bytes();
        let start = usize::from(self.len);
        let end = start.saturating_add(encoded.len());
        match self.bytes.get_mut(start..end) {
            Some(dst) if !self.truncated => {
                dst.copy_from_slice(encoded);
                self.len = u8::try_from(end).unwrap_or(self.len);
                true
            }
            _ => {
                self.truncated = true;
                false
            }
        }
    }

    /// The kind of the value, or `None` when `Version` was absent.
    pub fn kind(&self) -> Option<ValueKind> {
        self.kind
    }

    /// The text kept (without the `…` of a cut text).
    pub fn as_str(&self) -> &str {
        let kept = self.bytes.get(..usize::from(self.len)).unwrap_or(&[]);
        // Only whole characters are ever stored.
        core::str::from_utf8(kept).unwrap_or("")
    }

    /// Whether the text was too long and was cut.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl fmt::Display for VersionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.truncated {
            f.write_str("…")?;
        }
        Ok(())
    }
}

impl fmt::Debug for VersionText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VersionText({:?}", self.as_str())?;
        if self.truncated {
            f.write_str(", truncated")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buf::Writer;
    use crate::document::tests::show;

    fn with_version(version: &str, buf: &mut [u8]) -> usize {
        let mut w = Writer::new(buf);
        w.push_str("{\"Version\": ");
        w.push_str(version);
        w.push_str(", \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"S\"}");
        let n = w.len();
        w.finish().unwrap();
        n
    }

    fn version_result(version: &str) -> Result<(), VersionText> {
        let mut buf = [0u8; 256];
        let n = with_version(version, &mut buf);
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        match ProcessCredentials::parse(text) {
            Ok(_) => Ok(()),
            Err(DocumentError {
                kind: DocumentErrorKind::UnsupportedVersion { version },
                ..
            }) => Err(version),
            Err(e) => panic!("{version}: {e:?}"),
        }
    }

    #[test]
    fn version_compares_like_python() {
        for ok in [
            "1",
            "1.0",
            "1.00",
            "1e0",
            "1E0",
            "10e-1",
            "0.1e1",
            "100E-2",
            "1.0000000000000001",
            "true",
        ] {
            assert_eq!(version_result(ok), Ok(()), "{ok}");
        }
        for (bad, shown) in [
            ("\"1\"", "1"),
            ("2", "2"),
            ("0", "0"),
            ("-1", "-1"),
            ("1.5", "1.5"),
            ("1.50", "1.5"),
            ("2e0", "2.0"),
            ("-0", "0"),
            ("-0.0", "-0.0"),
            ("1e16", "1e+16"),
            ("1.5e16", "1.5e+16"),
            ("1e15", "1000000000000000.0"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("-1.25e-7", "-1.25e-07"),
            ("123.456", "123.456"),
            ("1e300", "1e+300"),
            ("1.000000000000001", "1.000000000000001"),
            ("false", "False"),
            ("null", "None"),
            ("NaN", "nan"),
            ("Infinity", "inf"),
            ("-Infinity", "-inf"),
            ("1e400", "inf"),
            ("[1]", "[1]"),
            ("{}", "{}"),
            ("[ ]", "[]"),
            ("{\n}", "{}"),
            ("\"\\u0031\"", "1"),
            ("\"v\\\"1\"", "v\"1"),
        ] {
            let v = version_result(bad).unwrap_err();
            assert_eq!(v.as_str(), shown, "{bad}");
            assert!(!v.is_truncated());
        }
        assert_eq!(
            version_result("2").unwrap_err().kind(),
            Some(ValueKind::Number)
        );
    }

    #[test]
    fn absent_version() {
        let e =
            ProcessCredentials::parse(r#"{"AccessKeyId":"A","SecretAccessKey":"S"}"#).unwrap_err();
        let DocumentErrorKind::UnsupportedVersion { version } = e.kind else {
            panic!()
        };
        assert_eq!(version.kind(), None);
        let mut buf = [0u8; 128];
        assert_eq!(
            show(&e, &mut buf),
            "Unsupported version '<Version key not provided>' for credential process provider, supported versions: 1"
        );
    }

    #[test]
    fn long_versions_are_cut_on_a_character() {
        let v = version_result("\"ééééééééééééééééééééééééééééééé\"").unwrap_err();
        assert!(v.is_truncated());
        assert_eq!(v.as_str().len(), 40);
        let mut buf = [0u8; 128];
        let shown = show(&v, &mut buf);
        assert!(shown.ends_with("é…"));
        let v = version_result("12345678901234567890123456789012345678901234567890").unwrap_err();
        assert_eq!(v.as_str(), "1234567890123456789012345678901234567890");
        assert!(v.is_truncated());
    }

    #[test]
    fn full_output() {
        let out =
            "\n  {\"Version\": 1, \"AccessKeyId\": \"ASIAX\", \"SecretAccessKey\": \"sec\\/ret\",
           \"SessionToken\": \"tok\", \"Expiration\": \"2026-11-29T12:00:00Z\",
           \"AccountId\": \"123456789012\", \"Extra\": [1, {\"x\": null}]}\n\n";
        let c = ProcessCredentials::parse(out).unwrap();
        assert_eq!(c.access_key_id, "ASIAX");
        assert!(c.secret_access_key.eq_str("sec/ret"));
        assert_eq!(c.session_token.unwrap(), "tok");
        assert_eq!(c.expiration.unwrap(), "2026-11-29T12:00:00Z");
        assert_eq!(c.expiration().unwrap().unwrap().unix_secs(), 1_795_953_600);
        assert_eq!(c.account_id.unwrap(), "123456789012");
        assert_eq!(ProcessCredentials::parse_bytes(out.as_bytes()), Ok(c));
        // Debug does not show secrets.
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        core::fmt::write(&mut w, format_args!("{c:?}")).unwrap();
        let dbg = w.finish().unwrap();
        assert!(!dbg.contains("sec") || !dbg.contains("ret\""));
        assert!(!dbg.contains("tok\""));
        assert!(dbg.contains("ASIAX"));
    }

    #[test]
    fn missing_keys_in_botocore_order_and_wording() {
        let mut buf = [0u8; 128];
        let e = ProcessCredentials::parse(r#"{"Version":1}"#).unwrap_err();
        assert_eq!(
            show(&e, &mut buf),
            "Missing required key in response: 'AccessKeyId'"
        );
        let e = ProcessCredentials::parse(r#"{"Version":1,"AccessKeyId":"A"}"#).unwrap_err();
        assert_eq!(
            show(&e, &mut buf),
            "Missing required key in response: 'SecretAccessKey'"
        );
        // The version is checked first, wherever it is written.
        let e = ProcessCredentials::parse(r#"{"AccessKeyId":"A","Version":2}"#).unwrap_err();
        assert!(matches!(
            e.kind,
            DocumentErrorKind::UnsupportedVersion { .. }
        ));
        // Presence before types.
        let e = ProcessCredentials::parse(r#"{"Version":1,"AccessKeyId":5}"#).unwrap_err();
        assert_eq!(
            e.kind,
            DocumentErrorKind::MissingKey {
                key: "SecretAccessKey"
            }
        );
    }

    #[test]
    fn optional_fields_and_types() {
        let parse = |t: &'static str| ProcessCredentials::parse(t);
        let c = parse(r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":null,"Expiration":null,"AccountId":null}"#).unwrap();
        assert_eq!(
            (c.session_token, c.expiration, c.account_id),
            (None, None, None)
        );
        for falsy in [
            "\"\"", "0", "-0", "0.0", "0e5", "false", "[]", "[ \n]", "{}", "{ }", "null",
        ] {
            let mut buf = [0u8; 128];
            let mut w = Writer::new(&mut buf);
            w.push_str(r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":"#);
            w.push_str(falsy);
            w.push_str("}");
            let text = w.finish().unwrap();
            assert_eq!(
                ProcessCredentials::parse(text).unwrap().account_id,
                None,
                "{falsy}"
            );
        }
        for truthy in ["1", "true", "[0]", "{\"a\":1}", "NaN"] {
            let mut buf = [0u8; 128];
            let mut w = Writer::new(&mut buf);
            w.push_str(r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":"#);
            w.push_str(truthy);
            w.push_str("}");
            let text = w.finish().unwrap();
            assert!(
                matches!(
                    ProcessCredentials::parse(text).unwrap_err().kind,
                    DocumentErrorKind::WrongType {
                        key: "AccountId",
                        expected: ExpectedType::StringOrFalsy,
                        ..
                    }
                ),
                "{truthy}"
            );
        }
        assert!(matches!(
            parse(r#"{"Version":1,"AccessKeyId":null,"SecretAccessKey":"S"}"#)
                .unwrap_err()
                .kind,
            DocumentErrorKind::WrongType {
                key: "AccessKeyId",
                found: ValueKind::Null,
                ..
            }
        ));
        assert!(matches!(
            parse(r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":1}"#)
                .unwrap_err()
                .kind,
            DocumentErrorKind::WrongType {
                key: "SessionToken",
                expected: ExpectedType::StringOrNull,
                ..
            }
        ));
        assert!(matches!(
            parse(r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":true}"#)
                .unwrap_err()
                .kind,
            DocumentErrorKind::WrongType {
                key: "Expiration",
                found: ValueKind::Bool,
                ..
            }
        ));
        // A naive or broken expiration parses as a document; reading it is the error.
        let c = parse(r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2026-11-29T12:00:00"}"#).unwrap();
        assert_eq!(
            c.expiration(),
            Err(TimeError::MissingTimezone { offset: 19 })
        );
    }

    #[test]
    fn not_json_or_not_an_object() {
        for bad in [
            "",
            "  ",
            "[1]",
            "\"x\"",
            "null",
            "1",
            "{",
            "{\"Version\":1",
            "{} {}",
            "\u{feff}{}",
        ] {
            assert!(
                matches!(
                    ProcessCredentials::parse(bad).unwrap_err().kind,
                    DocumentErrorKind::Json(_)
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            ProcessCredentials::parse_bytes(b"{\"Version\":1,\"AccessKeyId\":\"\xe9\"}")
                .unwrap_err()
                .kind,
            DocumentErrorKind::InvalidUtf8 { .. }
        ));
    }

    #[test]
    fn falsy_and_one_helpers() {
        let v = |kind, text| Value {
            kind,
            text,
            offset: 0,
        };
        assert!(is_falsy(v(ValueKind::Number, "1e-400")));
        assert!(!is_falsy(v(ValueKind::Number, "NaN")));
        assert!(!is_falsy(v(ValueKind::String, "0")));
        assert!(!is_falsy(v(ValueKind::Array, "[[]]")));
        assert!(!is_one(v(ValueKind::String, "1")));
        assert!(!is_one(v(ValueKind::Null, "null")));
        assert!(number_is_one("1"));
        assert!(!number_is_one("-1"));
        assert!(!number_is_one("01"));
    }
}
