//! Credential documents and timestamps on real inputs, each checked against an oracle that is not
//! credchain: `serde_json` for what a document holds, Python for what botocore decides
//! (`datetime`, `dateutil` and botocore 1.43.11 itself, run once for the whole file).
//!
//! Python is required: without python3 and botocore 1.43.11 the Python-backed tests fail, unless
//! `CREDCHAIN_SKIP_BOTOCORE=1` is set, in which case they say they were skipped.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use credchain_core::buf::BufferTooSmall;
use credchain_core::document::{
    ContainerCredentials, ContainerError, DocumentErrorKind, ImdsCredentials, JsonStr,
    ProcessCredentials, RoleListing, SessionCredentials, TokenKey,
};
use credchain_core::time::{RFC3339_LEN, TimeError, Timestamp};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers

/// A small deterministic generator (xorshift64*), so every run checks the same values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The decoded text of a JSON string, through the caller-buffer API.
fn decoded(s: &JsonStr<'_>) -> String {
    let mut buf = vec![0u8; s.decoded_len()];
    let text = s.decode_into(&mut buf).expect("decoded_len is enough");
    assert!(s.eq_str(text));
    text.to_owned()
}

fn opt(s: &Option<JsonStr<'_>>) -> Option<String> {
    s.as_ref().map(decoded)
}

/// Unix seconds of a civil date, computed by an algorithm independent of credchain's (counting
/// days year by year), used to build inputs.
fn civil_secs(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> i64 {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut days = 0i64;
    if y >= 1970 {
        for yy in 1970..y {
            days += if leap(yy) { 366 } else { 365 };
        }
    } else {
        for yy in y..1970 {
            days -= if leap(yy) { 366 } else { 365 };
        }
    }
    let months = [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    days += months[..(m - 1) as usize].iter().sum::<i64>() + d - 1;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

// ---------------------------------------------------------------------------------------------
// The Python oracle

const ORACLE: &str = r#"
import sys, json, datetime
try:
    import botocore, botocore.credentials, botocore.utils, botocore.exceptions
    from dateutil import parser as dparser
except Exception as e:
    print(json.dumps({"error": "cannot import botocore/dateutil: %r" % (e,)}))
    sys.exit(3)
if botocore.__version__ != "1.43.11":
    print(json.dumps({"error": "botocore %s, expected 1.43.11" % botocore.__version__}))
    sys.exit(3)

inp = json.load(sys.stdin)
out = {}
UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)

def since_epoch(dt):
    d = dt - EPOCH
    return d.days * 86400 + d.seconds, d.microseconds

out["format"] = []
for s in inp["format"]:
    dt = EPOCH + datetime.timedelta(seconds=s)
    out["format"].append("%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second))

out["parse"] = []
for text in inp["parse"]:
    try:
        dt = dparser.parse(text)
        if dt.tzinfo is None or dt.utcoffset() is None:
            out["parse"].append({"naive": True})
            continue
        secs, micros = since_epoch(dt)
    except Exception as e:
        # Garbage, out-of-range fields, or an offset of 24 hours or more.
        out["parse"].append({"error": type(e).__name__})
        continue
    out["parse"].append({"secs": secs, "micros": micros})

out["parse_divergences"] = []
for text in inp["parse_divergences"]:
    try:
        dt = dparser.parse(text)
        out["parse_divergences"].append(dt.utcoffset() is not None)
    except Exception:
        out["parse_divergences"].append(False)

out["strict"] = []
for text in inp["strict"]:
    try:
        dt = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        out["strict"].append({"secs": since_epoch(dt)[0]})
    except ValueError as e:
        out["strict"].append({"error": str(e)})

class FakeProcess:
    def __init__(self, stdout):
        self.stdout = stdout
        self.returncode = 0
    def communicate(self):
        return self.stdout, b""

def describe(v):
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate: no UTF-8 text can hold it.
            return {"type": "str", "str": None, "lone_surrogate": True}
        return {"type": "str", "str": v}
    return {"type": type(v).__name__, "str": None}

out["process"] = []
for stdout in inp["process"]:
    provider = botocore.credentials.ProcessProvider(
        profile_name="p",
        load_config=lambda: {"profiles": {"p": {
            "credential_process": "fake-command", "aws_account_id": "PROFILE-ACCOUNT"}}},
        popen=lambda *a, **k: FakeProcess(stdout.encode("utf-8", "surrogatepass")))
    try:
        got = provider._retrieve_credentials_using("fake-command")
        out["process"].append({"ok": {k: describe(v) for k, v in got.items()}})
    except botocore.exceptions.CredentialRetrievalError as e:
        out["process"].append({"error": "CredentialRetrievalError", "message": str(e)})
    except Exception as e:
        out["process"].append({"error": type(e).__name__, "message": str(e)})

out["json"] = []
for text in inp["json"]:
    try:
        value = json.loads(text)
        out["json"].append({"valid": True, "object": isinstance(value, dict)})
    except Exception as e:
        out["json"].append({"valid": False, "error": type(e).__name__})

fetcher = botocore.utils.InstanceMetadataFetcher()
out["imds"] = []
for text in inp["imds"]:
    out["imds"].append(fetcher._contains_all_credential_fields(json.loads(text)))

print(json.dumps(out))
"#;

/// The inputs sent to Python, built deterministically, and Python's answers.
struct Oracle {
    input: Value,
    output: Value,
}

/// Runs Python once for the whole file. `None` when Python is unavailable and
/// `CREDCHAIN_SKIP_BOTOCORE=1` allows skipping; a panic when it is unavailable otherwise.
fn oracle() -> Option<&'static Oracle> {
    static ORACLE_RUN: OnceLock<Option<Oracle>> = OnceLock::new();
    ORACLE_RUN
        .get_or_init(|| {
            let input = oracle_input();
            match run_python(&input) {
                Ok(output) => Some(Oracle { input, output }),
                Err(Unavailable::Broken(why)) => panic!("the Python oracle failed: {why}"),
                Err(Unavailable::Missing(why)) => {
                    if std::env::var("CREDCHAIN_SKIP_BOTOCORE").as_deref() == Ok("1") {
                        eprintln!("skipping the botocore comparisons: {why}");
                        None
                    } else {
                        panic!(
                            "python3 with botocore 1.43.11 is needed for these tests ({why}); \
                             install it (pip install botocore==1.43.11) or set \
                             CREDCHAIN_SKIP_BOTOCORE=1 to skip them"
                        )
                    }
                }
            }
        })
        .as_ref()
}

/// Why the oracle gave no answers.
enum Unavailable {
    /// python3, botocore 1.43.11 or dateutil is not installed: skippable.
    Missing(String),
    /// The oracle ran and failed: a bug to fix, never skipped.
    Broken(String),
}

fn run_python(input: &Value) -> Result<Value, Unavailable> {
    use Unavailable::{Broken, Missing};
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(ORACLE)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Missing(format!("cannot run python3: {e}")))?;
    let stdin = serde_json::to_vec(input).map_err(|e| Broken(e.to_string()))?;
    child
        .stdin
        .take()
        .ok_or(Broken("no stdin".into()))?
        .write_all(&stdin)
        .map_err(|e| Broken(e.to_string()))?;
    let out = child
        .wait_with_output()
        .map_err(|e| Broken(e.to_string()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        return Err(Missing(stdout.trim().to_owned()));
    }
    if !out.status.success() {
        return Err(Broken(format!("{}: {stderr}", out.status)));
    }
    serde_json::from_str(stdout.trim()).map_err(|e| Broken(format!("{e}; stderr: {stderr}")))
}

fn oracle_input() -> Value {
    json!({
        "format": format_inputs(),
        "parse": parse_inputs().iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
        "parse_divergences": PARSE_DIVERGENCES,
        "strict": strict_inputs(),
        "process": process_cases().iter().map(|c| c.stdout.clone()).collect::<Vec<_>>(),
        "json": json_cases().iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
        "imds": imds_cases().iter().map(|c| c.text.clone()).collect::<Vec<_>>(),
    })
}

/// Pairs each input of `section` with Python's answer.
fn answers<'o>(o: &'o Oracle, section: &str) -> Vec<(&'o Value, &'o Value)> {
    let input = o.input[section].as_array().expect("input section");
    let output = o.output[section].as_array().expect("output section");
    assert_eq!(input.len(), output.len(), "{section}: one answer per input");
    input.iter().zip(output).collect()
}

fn report(what: &str, total: usize, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{what}: {} of {total} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{what}: {total} cases agree");
}

// ---------------------------------------------------------------------------------------------
// Time against Python

/// Unix seconds of 0001-01-01 and 9999-12-31T23:59:59 (Python's datetime range).
const PY_MIN: i64 = -62_135_596_800;
const PY_MAX: i64 = 253_402_300_799;

fn format_inputs() -> Vec<i64> {
    let mut rng = Rng(0x5eed_0001);
    let mut v: Vec<i64> = (0..400).map(|_| rng.range(PY_MIN, PY_MAX)).collect();
    v.extend([
        PY_MIN,
        PY_MAX,
        0,
        -1,
        1,
        951_782_400,
        1_234_567_890,
        4_107_542_399,
    ]);
    v
}

#[test]
fn formatting_matches_python() {
    let Some(o) = oracle() else { return };
    let mut failures = Vec::new();
    let pairs = answers(o, "format");
    for (secs, expected) in &pairs {
        let secs = secs.as_i64().unwrap();
        let t = Timestamp::from_unix_secs(secs).unwrap();
        let mut buf = [0u8; RFC3339_LEN];
        let ours = t.format_rfc3339(&mut buf).unwrap();
        if ours != expected.as_str().unwrap() {
            failures.push(format!("{secs}: ours {ours}, python {expected}"));
        }
        if Timestamp::parse(ours) != Ok(t) || Timestamp::parse_botocore_strict(ours) != Ok(t) {
            failures.push(format!("{secs}: {ours} does not parse back"));
        }
    }
    report("format vs python", pairs.len(), &failures);
}

struct ParseInput {
    text: String,
}

/// Timestamps written the ways the documents and `AWS_CREDENTIAL_EXPIRATION` write them:
/// random instants, random separators, fractions of 0 to 12 digits, every offset form, and
/// some without a zone.
fn parse_inputs() -> Vec<ParseInput> {
    let mut rng = Rng(0x5eed_0002);
    let mut v = Vec::new();
    for _ in 0..400 {
        // Keep a day of margin at both ends so that any offset stays in Python's range.
        let utc = rng.range(PY_MIN + 86_400, PY_MAX - 86_400);
        let (zone, offset): (String, i64) = match rng.below(9) {
            0 => ("Z".into(), 0),
            1 => ("z".into(), 0),
            2 => ("-00:00".into(), 0),
            3 => ("".into(), 0),
            k => {
                let sign = if rng.below(2) == 0 { 1 } else { -1 };
                let (h, m) = (rng.range(0, 23), rng.range(0, 59));
                let m = if k == 6 { 0 } else { m };
                let s = if sign > 0 { '+' } else { '-' };
                let text = match k {
                    4 => format!("{s}{h:02}:{m:02}"),
                    5 => format!("{s}{h:02}{m:02}"),
                    6 => format!("{s}{h:02}"),
                    _ => format!("{s}{h:02}:{m:02}"),
                };
                (text, sign * (h * 3600 + m * 60))
            }
        };
        let local = utc + offset;
        let t = Timestamp::from_unix_secs(local).unwrap();
        // Build the local date with credchain's formatter, cross-checked by
        // `formatting_matches_python`, and replace the separator.
        let mut buf = [0u8; RFC3339_LEN];
        let base = t.format_rfc3339(&mut buf).unwrap();
        let sep = *rng.pick(&["T", "t", " "]);
        let digits = rng.below(13) as usize;
        let fraction: String = if digits == 0 {
            String::new()
        } else {
            let d: String = (0..digits)
                .map(|_| char::from(b'0' + rng.below(10) as u8))
                .collect();
            format!(".{d}")
        };
        v.push(ParseInput {
            text: format!("{}{sep}{}{fraction}{zone}", &base[..10], &base[11..19]),
        });
    }
    // Fixed cases: the forms the brief lists, and invalid fields both sides refuse.
    for text in [
        "2026-11-29T12:00:00Z",
        "2026-11-29t12:00:00z",
        "2026-11-29 12:00:00Z",
        "2026-11-29T12:00:00.123456789Z",
        "2026-11-29T12:00:00.9999999999Z",
        "2026-11-29T12:00:00+01:00",
        "2026-11-29T12:00:00+0100",
        "2026-11-29T12:00:00+01",
        "2026-11-29T12:00:00-00:00",
        "2026-11-29T12:00:00+23:59",
        "2026-11-29T12:00:00",
        "2024-02-29T12:00:00Z",
        "2026-02-29T12:00:00Z",
        "1900-02-29T12:00:00Z",
        "2026-12-31T23:59:60Z",
        "2026-11-29T24:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-11-31T00:00:00Z",
        "2026-11-29T12:00:00+24:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "garbage",
    ] {
        v.push(ParseInput { text: text.into() });
    }
    v
}

/// Texts `dateutil` reads and credchain refuses (or the reverse), each on purpose; see the
/// `time` module documentation.
const PARSE_DIVERGENCES: &[&str] = &[
    "2026-11-29T12:00Z",
    "2026-11-29T12:00:00 Z",
    " 2026-11-29T12:00:00Z ",
    "2026-11-29T12:00:00UTC",
    "20261129T120000Z",
    "2026-11-29T12:00:00+1:00",
    "2026-11-29T12:00:00+00:60",
    "0000-01-01T00:00:00Z",
];

#[test]
fn parsing_matches_dateutil() {
    let Some(o) = oracle() else { return };
    let mut failures = Vec::new();
    let pairs = answers(o, "parse");
    for (text, py) in &pairs {
        let text = text.as_str().unwrap();
        let ours = Timestamp::parse(text);
        let agree = match (py.get("secs"), &ours) {
            (Some(secs), Ok(t)) => {
                secs.as_i64() == Some(t.unix_secs())
                    && py["micros"].as_u64() == Some(u64::from(t.subsec_nanos() / 1000))
            }
            (None, Err(TimeError::MissingTimezone { .. })) => py.get("naive").is_some(),
            (None, Err(_)) => py.get("error").is_some(),
            _ => false,
        };
        if !agree {
            failures.push(format!("{text:?}: ours {ours:?}, dateutil {py}"));
        }
    }
    report("parse vs dateutil", pairs.len(), &failures);
}

#[test]
fn parse_divergences_are_the_documented_ones() {
    let Some(o) = oracle() else { return };
    let pairs = answers(o, "parse_divergences");
    let mut failures = Vec::new();
    for (text, dateutil_reads) in &pairs {
        let text = text.as_str().unwrap();
        let ours = Timestamp::parse(text);
        // RFC 3339 has a year 0, Python's datetime does not; everything else in the list is
        // text dateutil reads and credchain refuses.
        let expected = if text == "0000-01-01T00:00:00Z" {
            ours.map(|t| t.unix_secs()) == Ok(-62_167_219_200) && *dateutil_reads == false
        } else {
            ours.is_err() && *dateutil_reads == true
        };
        if !expected {
            failures.push(format!(
                "{text:?}: ours {ours:?}, dateutil reads it: {dateutil_reads}"
            ));
        }
    }
    report("documented parse divergences", pairs.len(), &failures);
}

/// Texts in and around what `strptime("%Y-%m-%dT%H:%M:%SZ")` accepts: fields of one or two
/// digits, in and out of range, a day written as a space and a digit, lowercase letters,
/// fractions, offsets, trailing text, wrong widths.
fn strict_inputs() -> Vec<String> {
    let mut rng = Rng(0x5eed_0003);
    let mut v = Vec::new();
    // Mostly in range and well written, sometimes not, so both outcomes are common.
    let field = |rng: &mut Rng, lo: i64, hi: i64, wild: i64| -> String {
        let n = if rng.below(8) == 0 {
            rng.range(0, wild)
        } else {
            rng.range(lo, hi)
        };
        match rng.below(20) {
            0..=3 => format!("{n}"),
            4 if n < 10 => format!(" {n}"),
            5 => format!("{n:03}"),
            _ => format!("{n:02}"),
        }
    };
    for _ in 0..600 {
        let year = match rng.below(16) {
            0 => format!("{}", rng.range(0, 999)),
            1 => format!("{}", rng.range(10000, 20000)),
            2 => "0000".into(),
            _ => format!("{:04}", rng.range(1, 9999)),
        };
        let month = field(&mut rng, 1, 12, 13);
        let day = field(&mut rng, 1, 28, 32);
        let hour = field(&mut rng, 0, 23, 24);
        let minute = field(&mut rng, 0, 59, 60);
        let second = field(&mut rng, 0, 59, 62);
        let t = *rng.pick(&["T", "T", "T", "T", "T", "t", " "]);
        let z = *rng.pick(&[
            "Z", "Z", "Z", "Z", "Z", "Z", "z", "", ".000Z", "+00:00", "ZZ", "Z ", ".5Z",
        ]);
        v.push(format!(
            "{year}-{month}-{day}{t}{hour}:{minute}:{second}{z}"
        ));
    }
    v.extend(
        [
            "2026-11-29T12:00:00Z",
            "2026-1-2T3:4:5Z",
            "2026-11- 9T12:00:00Z",
            "2026-11-29T12:00:00.000Z",
            "2024-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-12-31T23:59:60Z",
            "2026-12-31T23:59:61Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
        ]
        .map(String::from),
    );
    v
}

#[test]
fn strict_parsing_matches_strptime() {
    let Some(o) = oracle() else { return };
    let mut failures = Vec::new();
    let pairs = answers(o, "strict");
    let mut accepted = 0;
    for (text, py) in &pairs {
        let text = text.as_str().unwrap();
        let ours = Timestamp::parse_botocore_strict(text);
        let agree = match (py.get("secs").and_then(Value::as_i64), &ours) {
            (Some(secs), Ok(t)) => secs == t.unix_secs(),
            (None, Err(_)) => true,
            _ => false,
        };
        accepted += usize::from(ours.is_ok());
        if !agree {
            failures.push(format!("{text:?}: ours {ours:?}, strptime {py}"));
        }
    }
    // The generator must exercise both outcomes, not only one.
    assert!(
        accepted > 50 && accepted < pairs.len() - 50,
        "{accepted} accepted"
    );
    report("strict parse vs strptime", pairs.len(), &failures);
}

#[test]
fn timestamps_of_known_dates_match_an_independent_count() {
    let mut rng = Rng(0x5eed_0004);
    for _ in 0..2000 {
        let (y, m) = (rng.range(0, 9999), rng.range(1, 12));
        let d = rng.range(1, 28);
        let (hh, mm, ss) = (rng.range(0, 23), rng.range(0, 59), rng.range(0, 59));
        let text = format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z");
        let t = Timestamp::parse(&text).unwrap();
        assert_eq!(t.unix_secs(), civil_secs(y, m, d, hh, mm, ss), "{text}");
        assert_eq!(t.to_string(), text);
    }
}

// ---------------------------------------------------------------------------------------------
// credential_process output against botocore's ProcessProvider

struct ProcessCase {
    name: &'static str,
    stdout: String,
    /// Where credchain decides differently from botocore on purpose, what it says instead.
    divergence: Option<fn(&DocumentErrorKind) -> bool>,
}

fn case(name: &'static str, stdout: impl Into<String>) -> ProcessCase {
    ProcessCase {
        name,
        stdout: stdout.into(),
        divergence: None,
    }
}

fn diverges(
    name: &'static str,
    stdout: impl Into<String>,
    ours: fn(&DocumentErrorKind) -> bool,
) -> ProcessCase {
    ProcessCase {
        name,
        stdout: stdout.into(),
        divergence: Some(ours),
    }
}

/// A token the size real STS session tokens have (about 1 KB), base64 with `/` and `+`.
fn long_token(seed: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = Rng(seed);
    let mut t: String = (0..1020)
        .map(|_| char::from(B64[rng.below(64) as usize]))
        .collect();
    t.insert_str(0, "IQoJb3JpZ2luX2VjE");
    t
}

fn with_version(version: &str) -> String {
    format!(
        r#"{{"Version": {version}, "AccessKeyId": "AKIDPROCESS", "SecretAccessKey": "secret"}}"#
    )
}

fn process_cases() -> Vec<ProcessCase> {
    let token = long_token(7);
    let mut v = vec![
        case(
            "full output with a long token",
            format!(
                "{{\n  \"Version\": 1,\n  \"AccessKeyId\": \"ASIAPROCESSEXAMPLE\",\n  \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",\n  \"SessionToken\": \"{token}\",\n  \"Expiration\": \"2026-11-29T16:27:12Z\",\n  \"AccountId\": \"123456789012\"\n}}\n"
            ),
        ),
        case(
            "escaped slashes and unicode escapes",
            format!(
                r#"{{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"a\/b\u002Bc","SessionToken":"{}","Expiration":"2026-11-29T16:27:12\u005A"}}"#,
                token.replace('/', "\\/")
            ),
        ),
        case(
            "surrogate pair",
            r#"{"Version":1,"AccessKeyId":"AKID","SecretAccessKey":"\ud83d\ude00 s\u00e9cret"}"#,
        ),
        case(
            "minimal static",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}"#,
        ),
        case(
            "surrounding whitespace",
            " \r\n\t{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}\n\n",
        ),
        case(
            "unknown keys ignored",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","RoleArn":"arn","Nested":{"a":[1,2,{"b":null}]},"Num":1.5e3}"#,
        ),
        case(
            "session token null, expiration null",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":null,"Expiration":null}"#,
        ),
        case(
            "empty session token",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":""}"#,
        ),
        case(
            "naive expiration is still output",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2026-11-29T16:27:12"}"#,
        ),
        case(
            "fractional expiration",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2026-11-29T16:27:12.123Z"}"#,
        ),
        case(
            "missing AccessKeyId",
            r#"{"Version":1,"SecretAccessKey":"S"}"#,
        ),
        case(
            "missing SecretAccessKey",
            r#"{"Version":1,"AccessKeyId":"A"}"#,
        ),
        case("missing both keys", r#"{"Version":1}"#),
        case("version checked before keys", r#"{"Version":2}"#),
        case(
            "version absent",
            r#"{"AccessKeyId":"A","SecretAccessKey":"S"}"#,
        ),
        case("empty object", "{}"),
        case("not JSON", "not json"),
        case("empty output", ""),
        case("whitespace only", "  \n"),
        case("truncated", r#"{"Version":1,"AccessKeyId":"A""#),
        case(
            "trailing text",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"} trailing"#,
        ),
        case("two objects", "{}{}"),
        case("byte order mark", "\u{feff}{\"Version\":1}"),
        case(
            "trailing comma",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S",}"#,
        ),
        case("single quotes", r#"{'Version':1}"#),
        case("array", "[1]"),
        case("string", "\"credentials\""),
        case("number", "1"),
        case("null", "null"),
        case("true", "true"),
        case(
            "AccountId absent falls back",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}"#,
        ),
        case(
            "AccountId null falls back",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":null}"#,
        ),
        case(
            "AccountId empty falls back",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":""}"#,
        ),
        case(
            "AccountId false falls back",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":false}"#,
        ),
        case(
            "AccountId 0 falls back",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":0}"#,
        ),
        case(
            "AccountId [] falls back",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":[]}"#,
        ),
        case(
            "AccountId {} falls back",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":{ }}"#,
        ),
        case(
            "AccountId kept",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":"999988887777"}"#,
        ),
        // Where credchain refuses what botocore passes through.
        diverges(
            "AccessKeyId null (botocore keeps None)",
            r#"{"Version":1,"AccessKeyId":null,"SecretAccessKey":"S"}"#,
            |k| {
                matches!(
                    k,
                    DocumentErrorKind::WrongType {
                        key: "AccessKeyId",
                        ..
                    }
                )
            },
        ),
        diverges(
            "SecretAccessKey number (botocore keeps 5)",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":5}"#,
            |k| {
                matches!(
                    k,
                    DocumentErrorKind::WrongType {
                        key: "SecretAccessKey",
                        ..
                    }
                )
            },
        ),
        diverges(
            "SessionToken object (botocore keeps it)",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":{}}"#,
            |k| {
                matches!(
                    k,
                    DocumentErrorKind::WrongType {
                        key: "SessionToken",
                        ..
                    }
                )
            },
        ),
        diverges(
            "AccountId truthy number (botocore keeps 7)",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","AccountId":7}"#,
            |k| {
                matches!(
                    k,
                    DocumentErrorKind::WrongType {
                        key: "AccountId",
                        ..
                    }
                )
            },
        ),
        diverges(
            "duplicate Version (Python keeps the last)",
            r#"{"Version":2,"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}"#,
            |k| matches!(k, DocumentErrorKind::DuplicateKey { key: "Version", .. }),
        ),
        diverges(
            "escaped key (Python decodes it)",
            r#"{"Version":1,"Access\u004beyId":"A","SecretAccessKey":"S"}"#,
            |k| {
                matches!(
                    k,
                    DocumentErrorKind::EscapedKey {
                        key: "AccessKeyId",
                        ..
                    }
                )
            },
        ),
        diverges(
            "lone surrogate (Python keeps it)",
            r#"{"Version":1,"AccessKeyId":"A","SecretAccessKey":"\ud800"}"#,
            |k| matches!(k, DocumentErrorKind::Json(_)),
        ),
        diverges(
            "array version shown as written (Python shows [1, 2])",
            with_version("[1,2]"),
            |k| matches!(k, DocumentErrorKind::UnsupportedVersion { version } if version.as_str() == "[1,2]"),
        ),
    ];
    for version in [
        "1",
        "1.0",
        "1e0",
        "1E0",
        "10e-1",
        "0.1e1",
        "1.0000000000000001",
        "0.99999999999999999",
        "true",
        "\"1\"",
        "\"v1\"",
        "2",
        "2.5",
        "0",
        "-1",
        "-0",
        "false",
        "null",
        "NaN",
        "[1]",
        "{}",
        "\"\"",
        "\"\\u0031\"",
        "1.50",
        "2.0",
        "2e0",
        "-0.0",
        "1e16",
        "1.5e16",
        "1e15",
        "0.0001",
        "0.00001",
        "-1.25e-7",
        "1e300",
        "1e400",
        "-Infinity",
        "Infinity",
        "123456789012345678901234567890",
        "[1, 2]",
        "{ }",
    ] {
        v.push(ProcessCase {
            name: "version",
            stdout: with_version(version),
            divergence: None,
        });
    }
    v
}

/// Compares a value botocore returned (`{"type", "str"}`) with ours.
fn same_value(py: &Value, ours: Option<&str>) -> bool {
    match ours {
        None => py["type"] == "NoneType",
        Some(s) => py["str"].as_str() == Some(s),
    }
}

#[test]
fn process_output_matches_botocore() {
    let Some(o) = oracle() else { return };
    let cases = process_cases();
    let pairs = answers(o, "process");
    let mut failures = Vec::new();
    for (case, (_, py)) in cases.iter().zip(&pairs) {
        let ours = ProcessCredentials::parse(&case.stdout);
        let label = format!("{} {:?}", case.name, truncate(&case.stdout));
        match (&ours, py.get("ok"), case.divergence) {
            (_, _, Some(expected)) => {
                // Ours refuses as documented, and botocore decides (or words it) differently.
                let botocore_same = ours.as_ref().err().is_some_and(|e| {
                    py["message"].as_str()
                        == Some(&format!(
                            "Error when retrieving credentials from custom-process: {e}"
                        ))
                });
                let as_documented = ours.as_ref().err().is_some_and(|e| expected(&e.kind));
                if !as_documented || botocore_same {
                    failures.push(format!(
                        "{label}: expected the documented divergence, got ours {ours:?}, botocore {py}"
                    ));
                }
            }
            (Ok(c), Some(got), None) => {
                let fields = [
                    ("access_key", Some(decoded(&c.access_key_id))),
                    ("secret_key", Some(decoded(&c.secret_access_key))),
                    ("token", opt(&c.session_token)),
                    ("expiry_time", opt(&c.expiration)),
                    (
                        "account_id",
                        Some(opt(&c.account_id).unwrap_or_else(|| "PROFILE-ACCOUNT".into())),
                    ),
                ];
                for (key, value) in fields {
                    if !same_value(&got[key], value.as_deref()) {
                        failures.push(format!(
                            "{label}: {key}: ours {value:?}, botocore {}",
                            got[key]
                        ));
                    }
                }
            }
            (Err(e), None, None) => {
                let message = py["message"].as_str().unwrap_or("");
                let agree = match py["error"].as_str() {
                    Some("CredentialRetrievalError") => {
                        message
                            == format!("Error when retrieving credentials from custom-process: {e}")
                    }
                    // Python's JSON errors and AttributeError (not an object).
                    Some("JSONDecodeError" | "AttributeError") => {
                        matches!(e.kind, DocumentErrorKind::Json(_))
                    }
                    _ => false,
                };
                if !agree {
                    failures.push(format!("{label}: ours {e} ({:?}), botocore {py}", e.kind));
                }
            }
            (Ok(_), None, None) => failures.push(format!("{label}: ours accepts, botocore {py}")),
            (Err(e), Some(_), None) => failures.push(format!(
                "{label}: ours refuses ({e}), botocore accepts: {py}"
            )),
        }
    }
    report("credential_process vs botocore", cases.len(), &failures);
}

fn truncate(s: &str) -> String {
    if s.len() > 80 {
        format!(
            "{}…",
            &s[..s
                .char_indices()
                .take_while(|(i, _)| *i < 80)
                .last()
                .map_or(0, |(i, c)| i + c.len_utf8())]
        )
    } else {
        s.to_owned()
    }
}

#[test]
fn process_output_fields_field_by_field() {
    let cases = process_cases();
    let full = &cases[0].stdout;
    let c = ProcessCredentials::parse(full).unwrap();
    let v: Value = serde_json::from_str(full).unwrap();
    assert_eq!(decoded(&c.access_key_id), v["AccessKeyId"]);
    assert_eq!(decoded(&c.secret_access_key), v["SecretAccessKey"]);
    let token = c.session_token.unwrap();
    assert_eq!(decoded(&token), v["SessionToken"]);
    assert_eq!(token.decoded_len(), 1037);
    assert_eq!(token.as_str(), Some(v["SessionToken"].as_str().unwrap()));
    assert_eq!(c.account_id.unwrap(), "123456789012");
    assert_eq!(
        c.expiration().unwrap().unwrap().unix_secs(),
        civil_secs(2026, 11, 29, 16, 27, 12)
    );

    let escaped = &cases[1].stdout;
    let c = ProcessCredentials::parse(escaped).unwrap();
    let v: Value = serde_json::from_str(escaped).unwrap();
    let token = c.session_token.unwrap();
    assert!(token.is_escaped() && token.as_str().is_none());
    assert_eq!(decoded(&token), v["SessionToken"]);
    assert_eq!(decoded(&token), long_token(7));
    assert_eq!(decoded(&c.secret_access_key), "a/b+c");
    let mut small = [0u8; 100];
    assert_eq!(
        token.decode_into(&mut small),
        Err(BufferTooSmall {
            needed: 1037,
            available: 100
        })
    );
    assert_eq!(
        c.expiration().unwrap().unwrap().unix_secs(),
        civil_secs(2026, 11, 29, 16, 27, 12)
    );

    // The same output as bytes, and with a byte that is not UTF-8.
    assert_eq!(
        ProcessCredentials::parse_bytes(full.as_bytes())
            .unwrap()
            .access_key_id,
        "ASIAPROCESSEXAMPLE"
    );
    let mut bad = full.clone().into_bytes();
    let at = full.find("ASIA").unwrap();
    bad[at] = 0xff;
    let e = ProcessCredentials::parse_bytes(&bad).unwrap_err();
    assert!(
        matches!(e.kind, DocumentErrorKind::InvalidUtf8 { position } if position.offset == at && position.line == 3)
    );
}

// ---------------------------------------------------------------------------------------------
// JSON syntax against Python's json module

struct JsonCase {
    text: String,
    /// Valid for Python, refused by credchain on purpose.
    divergence: bool,
}

fn json_cases() -> Vec<JsonCase> {
    let mut v: Vec<JsonCase> = [
        "{}",
        " {} ",
        "{\"a\":1}",
        "{\"a\" : 1 }\n\n",
        "{\"a\":tru}",
        "{\"a\":True}",
        "{\"a\":1 2}",
        "{\"a\":-}",
        "{\"a\":01}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":1e5}",
        "{\"a\":-0.0e-0}",
        "{\"a\":1E+2}",
        "{\"a\":NaN}",
        "{\"a\":Infinity}",
        "{\"a\":-Infinity}",
        "{\"a\":nan}",
        "{\"a\":infinity}",
        "{\"a\":[1,]}",
        "{\"a\":1,}",
        "{,}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u12g4\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"\\t\"}",
        "{\"a\":\"nl\nhere\"}",
        "{'a':1}",
        "{a:1}",
        "[]",
        "\"x\"",
        "1",
        "null",
        "true",
        "{\"a\":{\"b\":{\"c\":[[[]]]}}}",
        "{\"a\":\"\\ud83d\\ude00\"}",
        "{\"a\":\"\\uD83D\\uDE00\"}",
        "{} {}",
        "{}x",
        "\u{feff}{}",
        "{\"a\":true,\"b\":false,\"c\":null}",
        "{\"a\":\"\\/\"}",
        "{\"é\":\"ü\"}",
        "{\"a\":1}\u{0}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\u{7f}\"}",
        "",
        "   ",
        "{",
        "}",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":[}",
        "{\"a\":[1 2]}",
        "{\"a\":{1:2}}",
        "{\"a\":\"unterminated}",
        "{\"a\":[\"x\",{\"y\":[null,true,-1.5e-7]}]}",
        "{\"\":\"\"}",
        "{\"a\":\"\\\"\"}",
        "{\"a\":\"\\\\\"}",
        "{\"a\":1}\t\r\n ",
        "\n{\"a\":\n1\n}",
        "{\"a\":-01}",
        "{\"a\":1.5e}",
        "{\"a\":2e-}",
        "{\"a\":[1,2,3,]}",
        "{\"a\":[,1]}",
        "{\"a\":\"\\ud800\\udc00\"}",
        "{\"a\":\"\\U0041\"}",
        "{\"a\" 1}",
        "{\"a\"::1}",
        "{\"a\":\"\\u00e9\"}",
        "{\"a\":nul}",
        "{\"a\":falsey}",
    ]
    .into_iter()
    .map(|t| JsonCase {
        text: t.to_owned(),
        divergence: false,
    })
    .collect();
    // Nesting within the limit, and beyond it (Python reads up to its recursion limit).
    let nest = |n: usize| format!("{{\"a\":{}{}}}", "[".repeat(n), "]".repeat(n));
    v.push(JsonCase {
        text: nest(100),
        divergence: false,
    });
    v.push(JsonCase {
        text: nest(300),
        divergence: true,
    });
    for lone in [
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udfff x\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
    ] {
        v.push(JsonCase {
            text: lone.to_owned(),
            divergence: true,
        });
    }
    v
}

#[test]
fn json_syntax_matches_python() {
    let Some(o) = oracle() else { return };
    let cases = json_cases();
    let pairs = answers(o, "json");
    let mut failures = Vec::new();
    for (case, (_, py)) in cases.iter().zip(&pairs) {
        // Read through a document parser: a JSON error means "not JSON, or not an object".
        let ours_object = !matches!(
            ContainerError::parse(&case.text),
            Err(e) if matches!(e.kind, DocumentErrorKind::Json(_))
        );
        let python_object = py["valid"] == true && py["object"] == true;
        let agree = if case.divergence {
            python_object && !ours_object
        } else {
            ours_object == python_object
        };
        if !agree {
            failures.push(format!(
                "{:?}: ours {}, python {py}{}",
                truncate(&case.text),
                if ours_object { "an object" } else { "refused" },
                if case.divergence {
                    " (documented divergence expected)"
                } else {
                    ""
                }
            ));
        }
    }
    report("JSON syntax vs python json", cases.len(), &failures);
}

// ---------------------------------------------------------------------------------------------
// IMDS documents

/// A document shaped like a real IMDS answer: pretty-printed with `"Key" : "value"`.
fn imds_document(token: &str, extra: &str) -> String {
    format!(
        "{{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-11-29T10:02:41Z\",\n  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIAIMDSEXAMPLE0001\",\n  \"SecretAccessKey\" : \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",\n  \"Token\" : \"{token}\",\n  \"Expiration\" : \"2026-11-29T16:27:12Z\"{extra}\n}}"
    )
}

struct ImdsCase {
    name: &'static str,
    text: String,
}

fn imds_cases() -> Vec<ImdsCase> {
    let full = r#""AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2026-11-29T12:00:00Z""#;
    vec![
        ImdsCase { name: "real", text: imds_document(&long_token(11), "") },
        ImdsCase { name: "no code", text: format!("{{{full}}}") },
        ImdsCase { name: "code failure with keys", text: format!("{{\"Code\":\"Failure\",{full}}}") },
        ImdsCase {
            name: "assume role error",
            text: r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role r.","LastUpdated":"2026-11-29T10:00:00Z"}"#.into(),
        },
        ImdsCase {
            name: "missing Token",
            text: r#"{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"S","Expiration":"E"}"#.into(),
        },
        ImdsCase {
            name: "missing Expiration",
            text: r#"{"Code":"Success","AccessKeyId":"A","SecretAccessKey":"S","Token":"T"}"#.into(),
        },
        ImdsCase {
            name: "SessionToken instead of Token",
            text: r#"{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"E"}"#.into(),
        },
        ImdsCase {
            name: "both tokens",
            text: r#"{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"X","Token":"T","Expiration":"E"}"#.into(),
        },
        ImdsCase { name: "empty", text: "{}".into() },
    ]
}

#[test]
fn imds_decisions_match_botocore() {
    let Some(o) = oracle() else { return };
    let cases = imds_cases();
    let pairs = answers(o, "imds");
    let mut failures = Vec::new();
    for (case, (_, py)) in cases.iter().zip(&pairs) {
        let botocore_uses = py.as_bool().unwrap();
        let ours = ImdsCredentials::parse(&case.text);
        let ours_botocore = ours
            .as_ref()
            .ok()
            .and_then(|d| d.botocore_credentials())
            .is_some();
        if ours_botocore != botocore_uses {
            failures.push(format!(
                "{}: botocore uses credentials: {botocore_uses}, ours {ours:?}",
                case.name
            ));
        }
        // The improvement: only Success (or no Code) gives credentials without question.
        let v: Value = serde_json::from_str(&case.text).unwrap();
        let code_ok = v.get("Code").is_none_or(|c| c == "Success");
        if let Ok(doc) = &ours
            && doc.is_success() != code_ok
        {
            failures.push(format!(
                "{}: is_success {} but Code {:?}",
                case.name,
                doc.is_success(),
                v.get("Code")
            ));
        }
    }
    report("IMDS decision vs botocore", cases.len(), &failures);
}

/// Checks our reading of an IMDS or container document against serde_json's, key by key.
fn check_session_credentials(c: &SessionCredentials<'_>, v: &Value, what: &str) {
    assert_eq!(decoded(&c.access_key_id), v["AccessKeyId"], "{what}");
    assert_eq!(
        decoded(&c.secret_access_key),
        v["SecretAccessKey"],
        "{what}"
    );
    let token_key = if v.get("Token").is_some() {
        "Token"
    } else {
        "SessionToken"
    };
    assert_eq!(decoded(&c.token), v[token_key], "{what}");
    assert_eq!(
        c.token_key,
        if token_key == "Token" {
            TokenKey::Token
        } else {
            TokenKey::SessionToken
        }
    );
    assert_eq!(decoded(&c.expiration), v["Expiration"], "{what}");
    assert_eq!(
        opt(&c.account_id),
        v.get("AccountId").and_then(Value::as_str).map(String::from),
        "{what}"
    );
    // The expiration reads as the same instant serde_json's text gives Python-free.
    let text = v["Expiration"].as_str().unwrap();
    assert_eq!(c.expiration(), Timestamp::parse(text), "{what}");
}

#[test]
fn realistic_imds_document_with_a_long_token() {
    let token = long_token(11);
    for (label, written) in [
        ("plain", token.clone()),
        ("escaped", token.replace('/', "\\/")),
    ] {
        let text = imds_document(&written, ",\n  \"AccountId\" : \"123456789012\"");
        let doc = ImdsCredentials::parse(&text).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let ImdsCredentials::Success(ok) = doc else {
            panic!("{label}: {doc:?}")
        };
        check_session_credentials(&ok.credentials, &v, label);
        let c = ok.credentials;
        assert_eq!(decoded(&c.token), token, "{label}");
        assert_eq!(c.token.decoded_len(), token.len());
        assert_eq!(c.token.is_escaped(), label == "escaped");
        assert_eq!(c.token.as_str().is_some(), label == "plain");
        assert_eq!(ok.code.unwrap(), "Success");
        assert_eq!(ok.credential_type.unwrap(), "AWS-HMAC");
        assert_eq!(ok.last_updated.unwrap(), "2026-11-29T10:02:41Z");
        assert_eq!(c.account_id.unwrap(), "123456789012");
        assert_eq!(
            c.expiration().unwrap().unix_secs(),
            civil_secs(2026, 11, 29, 16, 27, 12)
        );
        assert_eq!(c.expiration_botocore_strict(), c.expiration());
        let mut buf = [0u8; RFC3339_LEN];
        assert_eq!(
            c.expiration().unwrap().format_rfc3339(&mut buf).unwrap(),
            "2026-11-29T16:27:12Z"
        );
        // Secrets stay out of Debug output.
        let dbg = format!("{doc:?}");
        assert!(
            !dbg.contains("wJalrXUtnFEMI") && !dbg.contains(&token[20..60]),
            "{dbg}"
        );
        assert!(dbg.contains("ASIAIMDSEXAMPLE0001"));
    }
}

/// Every request and response of a recorded `http-traffic.json`: `(uri, status, body)`.
fn traffic(path: &std::path::Path) -> Vec<(String, u64, String)> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut uri = std::collections::BTreeMap::new();
    let mut status = std::collections::BTreeMap::new();
    let mut body: std::collections::BTreeMap<u64, String> = Default::default();
    for ev in v["events"].as_array().unwrap() {
        let id = ev["connection_id"].as_u64().unwrap();
        let a = &ev["action"];
        if let Some(r) = a.get("Request") {
            uri.insert(id, r["request"]["uri"].as_str().unwrap().to_owned());
        } else if let Some(r) = a.get("Response") {
            if let Some(s) = r["response"]["Ok"]["status"].as_u64() {
                status.insert(id, s);
            }
        } else if let Some(d) = a.get("Data")
            && d["direction"] == "Response"
            && let Some(text) = d["data"]["Utf8"].as_str()
        {
            body.entry(id).or_default().push_str(text);
        }
    }
    uri.into_iter()
        .filter_map(|(id, u)| {
            Some((
                u,
                *status.get(&id)?,
                body.get(&id).cloned().unwrap_or_default(),
            ))
        })
        .collect()
}

#[test]
fn recorded_traffic_documents_read_as_serde_json_reads_them() {
    let mut checked = 0;
    let mut listings = 0;
    for suite in ["default-provider-chain", "profile-provider"] {
        let dir = credchain_tests::testdata(suite);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path().join("http-traffic.json");
            if !path.exists() {
                continue;
            }
            let exchanges = traffic(&path);
            for (i, (uri, status, body)) in exchanges.iter().enumerate() {
                let what = format!("{}: {uri}", path.display());
                if *status != 200 {
                    continue;
                }
                if uri.ends_with("/meta-data/iam/security-credentials/") {
                    // The role the recorded client asked for next is the name in the listing.
                    let listing = RoleListing::parse(body);
                    let next = exchanges[i + 1..]
                        .iter()
                        .find_map(|(u, _, _)| {
                            u.split_once("/security-credentials/").map(|(_, r)| r)
                        })
                        .filter(|r| !r.is_empty());
                    if let Some(role) = next {
                        assert_eq!(listing.first(), Some(role), "{what}");
                        assert!(listing.botocore_name().eq_str(role), "{what}");
                        listings += 1;
                    }
                    continue;
                }
                let Ok(v) = serde_json::from_str::<Value>(body) else {
                    continue;
                };
                if v.get("AccessKeyId").is_none() {
                    continue;
                }
                if uri.contains("/meta-data/iam/security-credentials/") {
                    let doc = ImdsCredentials::parse(body).unwrap();
                    check_session_credentials(doc.credentials().unwrap(), &v, &what);
                    assert!(doc.botocore_credentials().is_some());
                } else {
                    let doc = ContainerCredentials::parse(body).unwrap();
                    check_session_credentials(&doc.credentials, &v, &what);
                    assert!(doc.is_botocore_compatible());
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "only {checked} credential documents found");
    assert!(listings >= 4, "only {listings} role listings found");
    eprintln!("{checked} recorded credential documents and {listings} role listings agree");
}

#[test]
fn imds_sep_suite_documents() {
    let path = credchain_tests::testdata("imds-credentials/imds-credentials-sep-tests.json");
    let suite: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut docs = 0;
    let mut names = 0;
    for case in suite.as_array().unwrap() {
        for e in case["expectations"].as_array().unwrap() {
            let response = &e["response"];
            if response["status"] != 200 {
                continue;
            }
            match &response["body"] {
                Value::String(name) => {
                    let listing = RoleListing::parse(name);
                    assert_eq!(listing.first(), Some(name.as_str()));
                    assert_eq!(listing.botocore_name().as_str(), Some(name.as_str()));
                    names += 1;
                }
                body @ Value::Object(_) => {
                    let text = serde_json::to_string_pretty(body).unwrap();
                    let doc = ImdsCredentials::parse(&text).unwrap();
                    let summary = case["summary"].as_str().unwrap_or("");
                    check_session_credentials(doc.credentials().unwrap(), body, summary);
                    // The suite's expiries carry microseconds: the main reader keeps them, the
                    // botocore-strict one refuses them, so botocore would skip its extension.
                    let c = doc.credentials().unwrap();
                    assert_eq!(c.expiration().unwrap().subsec_nanos(), 832_308_000);
                    assert!(c.expiration_botocore_strict().is_err());
                    docs += 1;
                }
                _ => {}
            }
        }
    }
    assert!(docs >= 10 && names >= 9, "{docs} documents, {names} names");
}

#[test]
fn container_document_with_account_id_and_error_bodies() {
    let token = long_token(13);
    let text = format!(
        r#"{{"RoleArn":"arn:aws:iam::123456789012:role\/ecs-task-role","AccessKeyId":"ASIACONTAINER","SecretAccessKey":"c\/secret","Token":"{}","AccountId":"123456789012","Expiration" : "2026-11-29T16:27:12Z"}}"#,
        token.replace('/', "\\/")
    );
    let doc = ContainerCredentials::parse(&text).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    check_session_credentials(&doc.credentials, &v, "container");
    assert_eq!(decoded(&doc.credentials.token), token);
    assert_eq!(decoded(&doc.credentials.secret_access_key), "c/secret");

    let e = ContainerError::parse(
        r#"{"code":"InvalidIdInRequest","message":"CredentialsV2Request: Credentials not found"}"#,
    )
    .unwrap();
    assert_eq!(e.code.unwrap(), "InvalidIdInRequest");
    assert_eq!(
        e.message.unwrap(),
        "CredentialsV2Request: Credentials not found"
    );
    let e = ContainerError::parse(r#"{"Message":"invalid Authorization token"}"#).unwrap();
    assert_eq!(
        (e.code, e.message.map(|m| decoded(&m))),
        (None, Some("invalid Authorization token".into()))
    );
}

#[test]
fn error_messages_read_well() {
    let e = ImdsCredentials::parse("{\n  \"Code\" : \"Success\",\n  \"AccessKeyId\" : 12\n}")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "IMDS role credentials document: missing required key 'SecretAccessKey'"
    );
    let e = ContainerCredentials::parse(
        "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":\"T\",\n\"Expiration\": 1234}",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "container credentials document: 'Expiration' must be a string, found a number at line 2, column 15 (byte 68)"
    );
    let e = ProcessCredentials::parse(
        "{\"Version\": 1,\n \"AccessKeyId\": \"A\" \"SecretAccessKey\": \"S\"}",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "credential_process output: expected ',' or '}' at line 2, column 21 (byte 35)"
    );
    let e = ProcessCredentials::parse(r#"{"Version": null}"#).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Unsupported version 'None' for credential process provider, supported versions: 1"
    );
    let mut s = String::new();
    write!(
        s,
        "{}",
        Timestamp::parse("2026-11-29T12:00:00").unwrap_err()
    )
    .unwrap();
    assert!(s.contains("no time zone"), "{s}");
}

// ---------------------------------------------------------------------------------------------
// Random damage: never a panic, and the JSON verdict agrees with serde_json

/// Applies one random edit to `text`: replace, delete or insert a byte, or repeat a slice.
fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    const BYTES: &[u8] = b"{}[]\",:\\/ \n\tuU0189aefnrtxZ+-.eE\x00\x7f\xc3\xa9\xff";
    let mut v = text.to_vec();
    let at = rng.below(v.len() as u64 + 1) as usize;
    match rng.below(4) {
        0 if at < v.len() => v[at] = *rng.pick(BYTES),
        1 if at < v.len() => {
            v.remove(at);
        }
        2 => v.insert(at, *rng.pick(BYTES)),
        _ => {
            let end = (at + rng.below(8) as usize).min(v.len());
            let chunk = v[at..end].to_vec();
            v.splice(at..at, chunk);
        }
    }
    v
}

#[test]
fn random_damage_never_panics_and_agrees_with_serde_json() {
    let seeds = [
        imds_document(&long_token(3)[..200], ",\n  \"AccountId\" : \"123456789012\""),
        r#"{"Version":1,"AccessKeyId":"A\/B","SecretAccessKey":"\u00e9\ud83d\ude00","SessionToken":null,"Expiration":"2026-11-29T12:00:00Z","X":[1,-2.5e3,true,{"y":"z"}]}"#.to_owned(),
        r#"{"code":"NoIdInRequest","message":"CredentialsV2Request: No ID in the request"}"#.to_owned(),
    ];
    let mut rng = Rng(0x5eed_0005);
    let (mut json_errors, mut accepted) = (0, 0);
    let mut failures = Vec::new();
    for round in 0..6000 {
        let seed = &seeds[round % seeds.len()];
        let mut bytes = mutate(&mut rng, seed.as_bytes());
        if rng.below(3) == 0 {
            bytes = mutate(&mut rng, &bytes);
        }
        // Every parser, on bytes and (when they are UTF-8) on text; none may panic.
        let imds = ImdsCredentials::parse_bytes(&bytes);
        let container = ContainerCredentials::parse_bytes(&bytes);
        let error = ContainerError::parse_bytes(&bytes);
        let process = ProcessCredentials::parse_bytes(&bytes);
        let _ = RoleListing::parse_bytes(&bytes).map(|l| (l.first(), l.botocore_name().len()));
        let Ok(text) = std::str::from_utf8(&bytes) else {
            for r in [imds.err(), container.err(), error.err(), process.err()] {
                assert!(matches!(
                    r.unwrap().kind,
                    DocumentErrorKind::InvalidUtf8 { .. }
                ));
            }
            continue;
        };
        for s in [text.get(..20), text.get(10..40)].into_iter().flatten() {
            let _ = Timestamp::parse(s);
            let _ = Timestamp::parse_botocore_strict(s);
        }
        if let Ok(c) = &imds
            && let Some(c) = c.credentials()
        {
            let _ = (c.expiration(), decoded(&c.token));
        }
        // The JSON verdict: a syntax error for us exactly when serde_json refuses the text (or
        // reads something other than an object), except for what serde_json does not read by
        // design (Python's NaN / Infinity).
        let ours_json_error =
            matches!(&error, Err(e) if matches!(e.kind, DocumentErrorKind::Json(_)));
        let serde = serde_json::from_str::<Value>(text);
        let serde_object = matches!(&serde, Ok(Value::Object(_)));
        let python_literals = text.contains("NaN") || text.contains("Infinity");
        if ours_json_error == serde_object && !python_literals {
            failures.push(format!("{text:?}: ours {error:?}, serde_json {serde:?}"));
        }
        json_errors += usize::from(ours_json_error);
        // Whatever we accept, serde_json reads the same values.
        if let (Ok(c), Ok(v)) = (&process, &serde) {
            accepted += 1;
            if decoded(&c.access_key_id) != v["AccessKeyId"]
                || decoded(&c.secret_access_key) != v["SecretAccessKey"]
                || opt(&c.session_token).as_deref() != v["SessionToken"].as_str()
            {
                failures.push(format!("{text:?}: values differ"));
            }
        }
    }
    assert!(
        json_errors > 1000 && accepted > 100,
        "{json_errors} errors, {accepted} accepted"
    );
    report("random damage vs serde_json", 6000, &failures);
}
