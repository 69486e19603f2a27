//! SigV4 (`credchain_core::sigv4`): the AWS Signature Version 4 test suite case by case,
//! botocore as the oracle on generated requests, the verifier's round trip, and zero
//! allocations.
//!
//! - The suite (`shared/testdata/sigv4`, botocore's copy of AWS's): for every case, our canonical
//!   request, string to sign and `Authorization` header equal the `.creq`, `.sts` and `.authz`
//!   files. The request line's query holds raw UTF-8 in one case (`get-vanilla-utf8-query`); no
//!   client sends that, so it is given as it goes on the wire, percent-encoded — botocore's own
//!   runner re-encodes every query the same way before signing. The path is given as written:
//!   encoding it is the signer's job (botocore's `SigV4Auth` encodes the path, not the query).
//! - botocore 1.43.11 signs 360 generated requests — STS-like POSTs with random keys, session
//!   tokens, regions, bodies, header sets and times, and wilder ones with dot segments, queries,
//!   repeated and folded headers — and we must produce the same canonical request, string to
//!   sign, `X-Amz-Date`, `X-Amz-Security-Token` and `Authorization`. Set
//!   `CREDCHAIN_SKIP_BOTOCORE=1` to skip (python3 with botocore 1.43.11 is needed otherwise).
//! - `verify` accepts every signed request and rejects every one-character change of the
//!   method, path, query, a signed header (name or value), the payload and the signature.
//! - Signing, parsing and verifying allocate nothing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use credchain_core::sigv4::{
    self, Authorization, Request, Scope, SignError, Signed, SigningKeys, VerifyError,
};
use credchain_tests::rng::Rng;
use serde_json::{Value as Json, json};

#[global_allocator]
static GLOBAL: credchain_tests::alloc::CountingAllocator =
    credchain_tests::alloc::CountingAllocator;

/// The secret key of the AWS SigV4 test suite (its documentation's example key; the access key
/// id, date, region and service come from each case's own `.authz`).
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

// ---------------------------------------------------------------------------------------------
// The AWS test suite
// ---------------------------------------------------------------------------------------------

struct SuiteCase {
    name: String,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    creq: String,
    sts: String,
    authz: String,
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace('\r', "")
}

/// Percent-encodes what cannot stand in a request line (space, controls, non-ASCII bytes), as
/// an HTTP client does before sending.
fn wire_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b <= b' ' || b >= 0x7f {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

fn suite_case(dir: &Path, root: &Path) -> SuiteCase {
    let name = dir
        .strip_prefix(root)
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let base = dir.file_name().unwrap().to_string_lossy().into_owned();
    let file = |ext: &str| dir.join(format!("{base}.{ext}"));
    let raw = read(&file("req"));
    let (head, body) = raw.split_once("\n\n").unwrap_or((raw.as_str(), ""));
    let mut lines = head.lines();
    let request_line = lines.next().unwrap();
    let (method, rest) = request_line.split_once(' ').unwrap();
    let (target, _version) = rest.rsplit_once(' ').unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            // A folded line continues the previous header's value.
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (n, v) = line.split_once(':').unwrap();
            headers.push((n.to_owned(), v.to_owned()));
        }
    }
    SuiteCase {
        name,
        method: method.to_owned(),
        path: path.to_owned(),
        query: wire_encode(query),
        headers,
        body: body.as_bytes().to_vec(),
        creq: read(&file("creq")),
        sts: read(&file("sts")),
        authz: read(&file("authz")),
    }
}

fn suite_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.extension().is_some_and(|x| x == "req"))
    {
        out.push(dir.to_owned());
    }
    for p in entries {
        if p.is_dir() {
            suite_dirs(&p, out);
        }
    }
}

fn run_suite_case(case: &SuiteCase) -> Result<(), String> {
    let expected = sigv4::parse_authorization(&case.authz)
        .map_err(|e| format!("the suite's .authz does not parse: {e}"))?;
    let amz_date = case
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-date"))
        .map(|(_, v)| v.trim())
        .ok_or("no X-Amz-Date in .req")?;
    let time = sigv4::parse_amz_date(amz_date)
        .map_err(|e| e.to_string())?
        .unix_secs();
    // As botocore's runner does: the case is signed with a session token when its canonical
    // request shows one.
    let token = case
        .creq
        .lines()
        .find_map(|l| l.strip_prefix("x-amz-security-token:"));
    let headers: Vec<(&str, &str)> = case
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = Request {
        method: &case.method,
        path: &case.path,
        query: &case.query,
        headers: &headers,
        payload: &case.body,
    };
    let scope = Scope {
        region: expected.region,
        service: expected.service,
    };
    let keys = SigningKeys {
        access_key_id: expected.access_key_id,
        secret_access_key: SUITE_SECRET,
        session_token: token,
    };
    let mut buf = vec![0u8; 4096];
    let creq = sigv4::canonical_request(&request, token, time, &mut buf)
        .map_err(|e| e.to_string())?
        .to_owned();
    let sts = sigv4::string_to_sign(&request, token, &scope, time, &mut buf)
        .map_err(|e| e.to_string())?
        .to_owned();
    let signed = sigv4::sign(&request, &keys, &scope, time, &mut buf).map_err(|e| e.to_string())?;
    let mut problems = Vec::new();
    if creq != case.creq {
        problems.push(format!(
            "canonical request:\n--- ours\n{creq}\n--- suite\n{}",
            case.creq
        ));
    }
    if sts != case.sts {
        problems.push(format!(
            "string to sign:\n--- ours\n{sts}\n--- suite\n{}",
            case.sts
        ));
    }
    if signed.authorization != case.authz {
        problems.push(format!(
            "authorization:\n  ours  {}\n  suite {}",
            signed.authorization, case.authz
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn every_case_of_the_aws_sigv4_suite() {
    let root = credchain_tests::testdata("sigv4");
    let mut dirs = Vec::new();
    suite_dirs(&root, &mut dirs);
    let mut failures = Vec::new();
    let mut names = Vec::new();
    for dir in &dirs {
        let case = suite_case(dir, &root);
        if let Err(e) = run_suite_case(&case) {
            failures.push(format!("{}: {e}", case.name));
        }
        names.push(case.name);
    }
    // The suite as copied has 34 cases; none is skipped (path normalisation, repeated query
    // keys and the raw space in `normalize-path/get-space` all apply to our signer).
    assert_eq!(dirs.len(), 34, "cases found: {names:?}");
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_suite_requests_verify_with_the_suite_signatures() {
    // The server's side on the same cases: the request as received (the suite's `.sreq`
    // headers) verifies against the suite's own Authorization.
    let root = credchain_tests::testdata("sigv4");
    let mut dirs = Vec::new();
    suite_dirs(&root, &mut dirs);
    let mut failures = Vec::new();
    for dir in &dirs {
        let case = suite_case(dir, &root);
        let auth = sigv4::parse_authorization(&case.authz).unwrap();
        let token = case
            .creq
            .lines()
            .find_map(|l| l.strip_prefix("x-amz-security-token:"));
        let mut headers: Vec<(&str, &str)> = case
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let has_token = headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"));
        if let (Some(t), false) = (token, has_token) {
            headers.push(("X-Amz-Security-Token", t));
        }
        headers.push(("Authorization", &case.authz));
        let request = Request {
            method: &case.method,
            path: &case.path,
            query: &case.query,
            headers: &headers,
            payload: &case.body,
        };
        if let Err(e) = sigv4::verify(&request, &auth, SUITE_SECRET) {
            failures.push(format!("{}: {e}", case.name));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

// ---------------------------------------------------------------------------------------------
// Generated requests, botocore as the oracle
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Generated {
    method: String,
    host: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    payload: Vec<u8>,
    access_key: String,
    secret_key: String,
    token: Option<String>,
    region: String,
    service: String,
    time: i64,
}

impl Generated {
    fn request<'a>(&'a self, headers: &'a [(&'a str, &'a str)]) -> Request<'a> {
        Request {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers,
            payload: &self.payload,
        }
    }

    fn header_refs(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    fn keys(&self) -> SigningKeys<'_> {
        SigningKeys {
            access_key_id: &self.access_key,
            secret_access_key: &self.secret_key,
            session_token: self.token.as_deref(),
        }
    }

    fn scope(&self) -> Scope<'_> {
        Scope {
            region: &self.region,
            service: &self.service,
        }
    }

    fn to_json(&self) -> Json {
        json!({
            "method": self.method,
            "host": self.host,
            "path": self.path,
            "query": self.query,
            "headers": self.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "payload_hex": self.payload.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "access_key": self.access_key,
            "secret_key": self.secret_key,
            "token": self.token,
            "region": self.region,
            "service": self.service,
            "time": self.time,
        })
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `min` to `min + extra - 1` characters of `alphabet` (exactly `min` when `extra` is 0).
fn text_from(rng: &mut Rng, alphabet: &[u8], min: usize, extra: usize) -> String {
    let len = min + if extra > 0 { rng.below(extra) } else { 0 };
    (0..len).map(|_| char::from(rng.choose(alphabet))).collect()
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const REGIONS: &[&str] = &[
    "us-east-1",
    "us-west-2",
    "eu-central-1",
    "ap-southeast-2",
    "cn-north-1",
    "us-gov-west-1",
    "il-central-1",
    "local",
];

/// A random STS `AssumeRole` / `AssumeRoleWithWebIdentity` / `GetCallerIdentity` body.
fn sts_body(rng: &mut Rng) -> Vec<u8> {
    let account = text_from(rng, b"0123456789", 12, 0);
    let role = text_from(
        rng,
        b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,.@_-",
        1,
        40,
    );
    let session = format!(
        "botocore-session-{}",
        1_700_000_000 + rng.below(100_000_000)
    );
    let mut params: Vec<(String, String)> = match rng.below(4) {
        0 => vec![("Action".into(), "GetCallerIdentity".into())],
        1 => vec![
            ("Action".into(), "AssumeRoleWithWebIdentity".into()),
            (
                "RoleArn".into(),
                format!("arn:aws:iam::{account}:role/{role}"),
            ),
            ("RoleSessionName".into(), session),
            ("WebIdentityToken".into(), text_from(rng, B64, 200, 900)),
        ],
        _ => {
            let mut p = vec![
                ("Action".to_owned(), "AssumeRole".to_owned()),
                (
                    "RoleArn".into(),
                    format!("arn:aws:iam::{account}:role/{role}"),
                ),
                ("RoleSessionName".into(), session),
            ];
            if rng.chance(40) {
                p.push(("ExternalId".into(), text_from(rng, B64, 2, 60)));
            }
            if rng.chance(40) {
                p.push((
                    "DurationSeconds".into(),
                    (900 + rng.below(42_300)).to_string(),
                ));
            }
            if rng.chance(20) {
                p.push((
                    "SerialNumber".into(),
                    format!("arn:aws:iam::{account}:mfa/user"),
                ));
                p.push(("TokenCode".into(), text_from(rng, b"0123456789", 6, 0)));
            }
            p
        }
    };
    params.push(("Version".into(), "2011-06-15".into()));
    params
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// A header value with the white space botocore collapses: runs of spaces and tabs, leading
/// and trailing space, folded lines, and the Unicode spaces Python's `str.split` knows.
fn messy_value(rng: &mut Rng) -> String {
    let words = [
        "value",
        "a",
        "B",
        "\"quoted\"",
        "x=1;y=2",
        "ünïcödé",
        "ሴ",
        "1.0",
        "",
        "(x)",
    ];
    let spaces = [
        " ", "  ", "\t", " \t ", "\n  ", "\u{a0}", "\u{3000}", "\u{2009}", "\u{85}", "\u{1c}",
        "\u{b}",
    ];
    let mut out = String::new();
    if rng.chance(30) {
        out.push_str(rng.choose(&spaces));
    }
    for i in 0..1 + rng.below(4) {
        if i > 0 {
            out.push_str(rng.choose(&spaces));
        }
        out.push_str(rng.choose(&words));
    }
    if rng.chance(30) {
        out.push_str(rng.choose(&spaces));
    }
    out
}

fn mixed_case(rng: &mut Rng, name: &str) -> String {
    name.chars()
        .map(|c| {
            if rng.chance(30) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// One generated request. `wild` adds paths with dot segments and escapes, queries, repeated
/// and oddly spaced headers, and other methods.
fn generate(rng: &mut Rng, wild: bool) -> Generated {
    let region = if rng.chance(85) {
        rng.choose(REGIONS).to_owned()
    } else {
        text_from(rng, b"abcdefghijklmnopqrstuvwxyz0123456789-", 1, 20)
    };
    let host = if rng.chance(15) {
        "sts.amazonaws.com".to_owned()
    } else if rng.chance(10) {
        format!("127.0.0.1:{}", 1024 + rng.below(60_000))
    } else {
        format!("sts.{region}.amazonaws.com")
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    let host_name = if rng.chance(20) { "host" } else { "Host" };
    headers.push((host_name.into(), host.clone()));
    headers.push((
        "Content-Type".into(),
        "application/x-www-form-urlencoded; charset=utf-8".into(),
    ));
    let optional: &[(&str, &str)] = &[
        (
            "User-Agent",
            "Boto3/1.40.0 md/Botocore#1.43.11 ua/2.1 os/linux",
        ),
        ("Content-Length", "123"),
        ("Accept-Encoding", "identity"),
        ("X-Amz-Date", "20000101T000000Z"),
        ("Authorization", "AWS4-HMAC-SHA256 stale"),
        ("X-Amz-Security-Token", "stale-token"),
        (
            "amz-sdk-invocation-id",
            "0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff",
        ),
        ("amz-sdk-request", "attempt=1; max=3"),
        ("Expect", "100-continue"),
        ("Connection", "keep-alive"),
        ("Transfer-Encoding", "chunked"),
        (
            "X-Amzn-Trace-Id",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
        ),
        ("Accept", "*/*"),
    ];
    for (n, v) in optional {
        if rng.chance(25) {
            let name = if wild {
                mixed_case(rng, n)
            } else {
                (*n).to_owned()
            };
            headers.push((name, (*v).to_owned()));
        }
    }
    if wild {
        for _ in 0..rng.below(5) {
            let name = rng
                .choose(&[
                    "X-Custom",
                    "x-custom",
                    "My-Header1",
                    "X-Amz-Meta-Z",
                    "x-a",
                    "X_Under",
                ])
                .to_owned();
            headers.push((mixed_case(rng, &name), messy_value(rng)));
        }
        if rng.chance(10) {
            let hash: String = text_from(rng, b"0123456789abcdef", 64, 0);
            headers.push(("X-Amz-Content-SHA256".into(), hash));
        }
    }
    // Shuffle the headers: order must not matter except among repeats.
    for i in (1..headers.len()).rev() {
        let j = rng.below(i + 1);
        headers.swap(i, j);
    }

    let (method, path, query) = if wild {
        let methods = ["POST", "GET", "PUT", "post", "Get", "DELETE", "PATCH"];
        let segments = [
            "a", "b", "..", ".", "", "%2F", "%41", "sp%20ace", "$x", "~tilde", "ሴ", "a+b", "x:y",
            "f(1)", "é",
        ];
        let mut path = String::new();
        for _ in 0..rng.below(6) {
            path.push('/');
            path.push_str(rng.choose(&segments));
        }
        if path.is_empty() || rng.chance(30) {
            path.push('/');
        }
        let keys = [
            "a",
            "B",
            "Action",
            "x-y",
            "%E1%88%B4",
            "k.~_",
            "",
            "role_name",
        ];
        let values = ["1", "", "value", "%20", "A%2Fb", "ZZ", "a=b", "-._~"];
        let mut pairs = Vec::new();
        for _ in 0..rng.below(6) {
            let k = rng.choose(&keys);
            pairs.push(match rng.below(5) {
                0 => k.to_owned(),
                _ => format!("{k}={}", rng.choose(&values)),
            });
        }
        (rng.choose(&methods).to_owned(), path, pairs.join("&"))
    } else {
        ("POST".to_owned(), "/".to_owned(), String::new())
    };

    let payload = if wild && rng.chance(20) {
        (0..rng.below(300)).map(|_| rng.next() as u8).collect()
    } else if rng.chance(5) {
        Vec::new()
    } else {
        sts_body(rng)
    };
    let access_key = format!(
        "{}{}",
        rng.choose(&["AKIA", "ASIA"]),
        text_from(rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16, 0)
    );
    // Mostly 40-character secrets; sometimes long ones, which HMAC hashes before use.
    let secret_len = if rng.chance(15) {
        61 + rng.below(100)
    } else {
        40
    };
    let secret_key = text_from(rng, B64, secret_len, 0);
    let token = match rng.below(10) {
        0..=3 => None,
        4 => Some(String::new()),
        _ => Some(format!(
            "IQoJb3JpZ2luX2Vj{}",
            text_from(rng, B64, 200, 1000)
        )),
    };
    // Any second from 1990 to 2099.
    let time = 631_152_000 + (rng.next() % 3_471_292_800) as i64;
    Generated {
        method,
        host,
        path,
        query,
        headers,
        payload,
        access_key,
        secret_key,
        token,
        region,
        service: if rng.chance(90) { "sts" } else { "sso" }.to_owned(),
        time,
    }
}

fn generated_cases() -> Vec<Generated> {
    let mut rng = Rng(0x5157_0004_2015_0830);
    let mut cases: Vec<Generated> = (0..240).map(|_| generate(&mut rng, false)).collect();
    cases.extend((0..120).map(|_| generate(&mut rng, true)));
    cases
}

fn skip_botocore() -> bool {
    std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1")
}

fn ask_botocore(cases: &[Generated]) -> Vec<Json> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/botocore_sigv4.py");
    let input =
        serde_json::to_vec(&cases.iter().map(Generated::to_json).collect::<Vec<_>>()).unwrap();
    let mut child = Command::new("python3")
        .arg(&script)
        .env("PYTHONUTF8", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run python3 ({e}): install python3 and botocore==1.43.11, or set CREDCHAIN_SKIP_BOTOCORE=1"
            )
        });
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the botocore oracle failed (set CREDCHAIN_SKIP_BOTOCORE=1 to skip):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<Json> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(answers.len(), cases.len());
    answers
}

#[test]
fn generated_requests_sign_exactly_as_botocore_signs_them() {
    if skip_botocore() {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: the botocore differential is skipped");
        return;
    }
    let cases = generated_cases();
    let answers = ask_botocore(&cases);
    let mut failures = Vec::new();
    let mut with_token = 0;
    for (i, (case, theirs)) in cases.iter().zip(&answers).enumerate() {
        let headers = case.header_refs();
        let request = case.request(&headers);
        let mut buf = vec![0u8; 8192];
        let token = case.token.as_deref();
        let creq = sigv4::canonical_request(&request, token, case.time, &mut buf)
            .unwrap()
            .to_owned();
        let sts = sigv4::string_to_sign(&request, token, &case.scope(), case.time, &mut buf)
            .unwrap()
            .to_owned();
        let signed = sigv4::sign(&request, &case.keys(), &case.scope(), case.time, &mut buf)
            .unwrap_or_else(|e| panic!("case {i}: {e}\n{case:#?}"));
        with_token += usize::from(signed.security_token.is_some());
        // The X-Amz-Security-Token the request goes out with: ours when the keys have a
        // token, else whatever the caller put there (botocore reports the request's header).
        let callers_token = case
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-amz-security-token"))
            .map(|(_, v)| v.as_str());
        let ours = json!({
            "authorization": signed.authorization,
            "amz_date": signed.amz_date,
            "security_token": signed.security_token.or(callers_token),
            "canonical_request": creq,
            "string_to_sign": sts,
        });
        if &ours != theirs {
            failures.push(format!(
                "case {i}:\n  ours     {ours:#}\n  botocore {theirs:#}\n  request {case:#?}"
            ));
        }
    }
    assert!(
        with_token > 100 && with_token < cases.len() - 50,
        "the generator should mix keys with and without tokens: {with_token}"
    );
    assert!(
        failures.is_empty(),
        "{} of {} generated requests differ from botocore:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The verifier's round trip
// ---------------------------------------------------------------------------------------------

/// The headers a server receives for a signed request: the caller's, less what the signer
/// replaces, plus what it added.
fn received_headers<'a>(case: &'a Generated, signed: &Signed<'a>) -> Vec<(&'a str, &'a str)> {
    let token = signed.security_token;
    let mut out: Vec<(&str, &str)> = case
        .headers
        .iter()
        .filter(|(n, _)| {
            let replaced = n.eq_ignore_ascii_case("authorization")
                || n.eq_ignore_ascii_case("x-amz-date")
                || (token.is_some() && n.eq_ignore_ascii_case("x-amz-security-token"));
            !replaced
        })
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    out.push(("X-Amz-Date", signed.amz_date));
    if let Some(t) = token {
        out.push(("X-Amz-Security-Token", t));
    }
    out.push(("Authorization", signed.authorization));
    out
}

/// `s` with its `i`-th byte (an ASCII letter or digit) replaced by another letter or digit
/// that differs from it even ignoring case.
fn change_at(s: &str, i: usize) -> Option<String> {
    let b = *s.as_bytes().get(i)?;
    let to = match b {
        b'0'..=b'8' => b + 1,
        b'9' => b'0',
        b'a'..=b'y' | b'A'..=b'Y' => b + 1,
        b'z' | b'Z' => b'a',
        _ => return None,
    };
    let mut bytes = s.as_bytes().to_vec();
    bytes[i] = to;
    String::from_utf8(bytes).ok()
}

/// A case whose `X-Amz-Content-SHA256` is not its payload's hash is rejected for that by the
/// verifier (botocore signs whatever the header says; the server holds it to the payload). The
/// round trip goes on with the header set to the true hash.
fn with_true_content_hash(
    case: &Generated,
    fixed: &mut usize,
    failures: &mut Vec<String>,
    i: usize,
) -> Generated {
    let Some(at) = case
        .headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("x-amz-content-sha256"))
    else {
        return case.clone();
    };
    let headers = case.header_refs();
    let mut buf = vec![0u8; 8192];
    let signed = sigv4::sign(
        &case.request(&headers),
        &case.keys(),
        &case.scope(),
        case.time,
        &mut buf,
    )
    .unwrap();
    let received = received_headers(case, &signed);
    let auth = sigv4::parse_authorization(signed.authorization).unwrap();
    let verdict = sigv4::verify(&case.request(&received), &auth, &case.secret_key);
    if verdict != Err(VerifyError::PayloadHashMismatch) {
        failures.push(format!(
            "case {i}: a false X-Amz-Content-SHA256 gives {verdict:?}"
        ));
    }
    let mut hex = [0u8; 64];
    let mut fixed_case = case.clone();
    fixed_case.headers[at].1 = sigv4::payload_hash(&case.payload, &mut hex).to_owned();
    *fixed += 1;
    fixed_case
}

#[test]
fn verify_accepts_every_signed_request_and_rejects_every_one_character_change() {
    let cases = generated_cases();
    let mut checked = 0usize;
    let mut failures = Vec::new();
    let mut hash_fixed = 0;
    for (i, case) in cases.iter().enumerate() {
        let case = &with_true_content_hash(case, &mut hash_fixed, &mut failures, i);
        // Dot segments can make two paths one (`/a/../b` and `/c/../b`); changes are made to
        // paths without them so that each change must change the canonical request.
        let path_has_dots = case.path.split('/').any(|s| s == "." || s == "..");
        let headers = case.header_refs();
        let request = case.request(&headers);
        let mut buf = vec![0u8; 8192];
        let signed =
            sigv4::sign(&request, &case.keys(), &case.scope(), case.time, &mut buf).unwrap();
        let received = received_headers(case, &signed);
        let auth = sigv4::parse_authorization(signed.authorization).unwrap();
        assert_eq!(auth.signature, signed.signature);
        let as_received = case.request(&received);
        if let Err(e) = sigv4::verify(&as_received, &auth, &case.secret_key) {
            failures.push(format!("case {i}: the signed request is rejected: {e}"));
            continue;
        }
        let mut expect_rejected = |what: &str, request: &Request<'_>, auth: &Authorization<'_>| {
            checked += 1;
            if sigv4::verify(request, auth, &case.secret_key).is_ok() {
                failures.push(format!("case {i}: {what} is accepted"));
            }
        };
        for at in 0..case.method.len() {
            if let Some(m) = change_at(&case.method, at) {
                expect_rejected(
                    &format!("method {m}"),
                    &Request {
                        method: &m,
                        ..as_received
                    },
                    &auth,
                );
            }
        }
        if !path_has_dots {
            for at in 0..case.path.len() {
                if let Some(p) = change_at(&case.path, at) {
                    expect_rejected(
                        &format!("path {p}"),
                        &Request {
                            path: &p,
                            ..as_received
                        },
                        &auth,
                    );
                }
            }
        }
        for at in 0..case.query.len() {
            if let Some(q) = change_at(&case.query, at) {
                expect_rejected(
                    &format!("query {q}"),
                    &Request {
                        query: &q,
                        ..as_received
                    },
                    &auth,
                );
            }
        }
        let signed_names: Vec<&str> = auth.signed_headers.split(';').collect();
        for (h, (name, value)) in received.iter().enumerate() {
            if !signed_names.iter().any(|s| s.eq_ignore_ascii_case(name)) {
                continue;
            }
            for at in 0..value.len() {
                if let Some(v) = change_at(value, at) {
                    let mut changed = received.clone();
                    changed[h].1 = &v;
                    expect_rejected(
                        &format!("header {name}: {v}"),
                        &Request {
                            headers: &changed,
                            ..as_received
                        },
                        &auth,
                    );
                }
            }
            if let Some(n) = change_at(name, 0) {
                let mut changed = received.clone();
                changed[h].0 = &n;
                expect_rejected(
                    &format!("header name {n}"),
                    &Request {
                        headers: &changed,
                        ..as_received
                    },
                    &auth,
                );
            }
        }
        for at in 0..case.payload.len() {
            let mut p = case.payload.clone();
            p[at] ^= 0x01;
            expect_rejected(
                &format!("payload byte {at}"),
                &Request {
                    payload: &p,
                    ..as_received
                },
                &auth,
            );
        }
        for at in 0..64 {
            let s = change_at(auth.signature, at)
                .unwrap_or_else(|| panic!("signatures are hex: {}", auth.signature));
            let s = s.to_ascii_lowercase();
            if s.bytes().all(|b| b.is_ascii_hexdigit()) {
                expect_rejected(
                    &format!("signature {s}"),
                    &as_received,
                    &Authorization {
                        signature: &s,
                        ..auth
                    },
                );
            } else {
                // 'f' + 1 is 'g': not hex, which the parser refuses on its own.
                assert!(
                    sigv4::parse_authorization(&signed.authorization.replace(auth.signature, &s))
                        .is_err()
                );
            }
        }
        let other_secret = format!("{}x", case.secret_key);
        if sigv4::verify(&as_received, &auth, &other_secret) != Err(VerifyError::SignatureMismatch)
        {
            failures.push(format!("case {i}: another secret is accepted"));
        }
    }
    println!(
        "{} signed requests verified; {checked} one-character changes rejected",
        cases.len()
    );
    assert!(checked > 50_000, "only {checked} changes were tried");
    assert!(
        hash_fixed > 3,
        "only {hash_fixed} cases carry X-Amz-Content-SHA256"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Zero allocations
// ---------------------------------------------------------------------------------------------

#[test]
fn signing_parsing_and_verifying_allocate_nothing() {
    credchain_tests::alloc::assert_installed();
    let mut rng = Rng(7);
    let case = generate(&mut rng, false);
    let token = "IQoJb3JpZ2luX2VjEXAMPLETOKEN".repeat(30);
    let case = Generated {
        token: Some(token),
        payload: b"Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=botocore-session-1700000000&Version=2011-06-15".to_vec(),
        ..case
    };
    let headers = case.header_refs();
    let request = case.request(&headers);
    let mut buf = vec![0u8; 4096];
    let mut text = vec![0u8; 4096];
    let mut n = 0;
    n += credchain_tests::alloc::allocations(|| {
        sigv4::sign(&request, &case.keys(), &case.scope(), case.time, &mut buf)
            .map(|s| s.signature.len())
    });
    n += credchain_tests::alloc::allocations(|| {
        sigv4::canonical_request(&request, case.token.as_deref(), case.time, &mut text)
            .map(str::len)
    });
    n += credchain_tests::alloc::allocations(|| {
        sigv4::string_to_sign(
            &request,
            case.token.as_deref(),
            &case.scope(),
            case.time,
            &mut text,
        )
        .map(str::len)
    });
    let mut kept = vec![0u8; 4096];
    let signed = sigv4::sign(&request, &case.keys(), &case.scope(), case.time, &mut kept).unwrap();
    let received = received_headers(&case, &signed);
    let as_received = case.request(&received);
    let auth = sigv4::parse_authorization(signed.authorization).unwrap();
    n += credchain_tests::alloc::allocations(|| sigv4::parse_authorization(signed.authorization));
    n += credchain_tests::alloc::allocations(|| {
        sigv4::verify(&as_received, &auth, &case.secret_key)
    });
    n += credchain_tests::alloc::allocations(|| sigv4::verify(&as_received, &auth, "wrong secret"));
    n += credchain_tests::alloc::allocations(|| {
        sigv4::expected_canonical_request(&as_received, &auth, &mut text).map(|r| r.map(str::len))
    });
    // Error paths: a buffer too small, a malformed header, a request without Host.
    n += credchain_tests::alloc::allocations(|| {
        sigv4::sign(
            &request,
            &case.keys(),
            &case.scope(),
            case.time,
            &mut [0u8; 10],
        )
        .map(|s| s.signature.len())
    });
    n += credchain_tests::alloc::allocations(|| {
        sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=x")
    });
    let no_host = [("X-Other", "1")];
    n += credchain_tests::alloc::allocations(|| {
        sigv4::sign(
            &case.request(&no_host),
            &case.keys(),
            &case.scope(),
            case.time,
            &mut buf,
        )
        .map(|s| s.signature.len())
    });
    assert_eq!(n, 0, "{n} heap allocation(s), expected none");
    assert_eq!(sigv4::verify(&as_received, &auth, &case.secret_key), Ok(()));
    assert_eq!(
        sigv4::sign(
            &case.request(&no_host),
            &case.keys(),
            &case.scope(),
            case.time,
            &mut buf
        ),
        Err(SignError::MissingHost)
    );
}
