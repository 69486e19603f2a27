//! Differential test of the `Botocore` dialect, with botocore 1.43.11 itself as the oracle.
//!
//! Inputs: at least 500 generated file pairs (a seeded generator that mixes the grammar corners
//! of spec §3.2–§3.5), every input of `profile-parser-tests.json`, and every file of
//! `botocore-cfg/` (read as a config file and as a credentials file). `oracle/botocore_profiles.py`
//! runs once over all of them and reports botocore's config view (`load_config`), credentials
//! view (`raw_config_parse`) and merged view (`Session.full_config`); this test computes the
//! same three views through credchain's public API from the same bytes (`parse_bytes`) and
//! requires them to be equal, case by case. Any difference fails the test with the input and
//! both views.
//!
//! python3 with botocore 1.43.11 must be installed; set `CREDCHAIN_SKIP_BOTOCORE=1` to skip.

// Test code: a failed expectation is a panic, and the inputs are ours.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use credchain_core::profile::{Dialect, FileKind, Merged, ParseError, ProfileFile, Section, Value};
use serde_json::{Map, Value as Json, json};

/// One input: the bytes of the config and credentials files (absent when `None`).
#[derive(Debug, Clone)]
struct Case {
    origin: String,
    config: Option<Vec<u8>>,
    credentials: Option<Vec<u8>>,
}

// ---------------------------------------------------------------------------------------------
// The generator.

use credchain_tests::oracle::{run_json_oracle, skip_botocore};
use credchain_tests::rng::Rng;

/// Section headers, from ordinary to strange (spec §3.2 step 4, §3.4).
const HEADERS: &[&str] = &[
    "[default]",
    "[profile NAME]",
    "[profile NAME]",
    "[profile NAME]",
    "[NAME]",
    "[profile \"NAME x\"]",
    "[profile 'NAME q']",
    "[profile  NAME]",
    "[profile\tNAME]",
    "[profile NAME\\ esc]",
    "[profile \"NAME\\\"q\"]",
    "[profile \"NAME\\$d\"]",
    "[profile a\"NAME\"b]",
    "[profile ''] ",
    "[profile \"unclosed NAME]",
    "[profile NAME extra]",
    "[profile]",
    "[profilefoo NAME]",
    "[profileNAME]",
    "[ profile NAME ]",
    "[profile default]",
    "[DEFAULT]",
    "[Default]",
    "[ default ]",
    "[sso-session NAME]",
    "[sso-sessionX NAME]",
    "[sso-session \"NAME s\"]",
    "[services NAME]",
    "[servicesX NAME]",
    "[NAME]b]",
    "[profile NAME] # trailing comment",
    "[profile NAME]; trailing",
    "[profile NAME]junk",
    "[profile ünï NAME]",
    "[profile NAMEé]",
    "[profile NAME\u{a0}nb]",
    "[Credentials]",
];

/// Headers that do not repeat unless the name does.
const COMMON_HEADERS: &[&str] = &[
    "[profile NAME]",
    "[NAME]",
    "[sso-session NAME]",
    "[services NAME]",
    "[profile \"NAME x\"]",
];

/// Option lines (spec §3.2 step 4 and the value rules).
const OPTIONS: &[&str] = &[
    "aws_access_key_id = AKIDEXAMPLE",
    "aws_secret_access_key=secret/with+chars=",
    "region: us-west-2",
    "region : eu-west-1",
    "Region = US-EAST-1",
    "AWS_Session_Token = tok",
    "output=json",
    "key with spaces = v",
    "a=b:c",
    "url: http://example.com/x=y",
    "x : y = z",
    "quoted = \"in quotes\"",
    "hash = value # not a comment",
    "semi = value ; not a comment",
    "percent = 100%",
    "empty =",
    "empty2:",
    "unicode = héllo wörld ✓",
    "ÄÖÜ = umlaut key",
    "\u{130}stanbul = dotted",
    "ΟΔΟΣ = sigma",
    "\u{212a}elvin = kelvin sign",
    "tabbed\t=\tvalue\t",
    "trailing = spaces   ",
    "nbsp = a\u{a0}",
    "lead\u{3000}= ideographic",
    "role_arn = arn:aws:iam::123456789012:role/x",
    "source_profile = default",
    "credential_process = /bin/echo '{\"Version\": 1}'",
    "sso_session = NAME",
    "services = NAME",
    "nul = a\u{0}b",
    "vt = a\u{b}b",
];

/// Lines that follow an option: continuations at various indents, blank lines, comments.
const AFTER: &[&str] = &[
    "  continued",
    "\tcontinued with tab",
    "    deeper = still a continuation",
    "  [profile swallowed]",
    "",
    "   ",
    "\t",
    "# comment",
    "; comment",
    "   # indented comment",
    "\u{a0}nbsp indented",
    "\u{3000}ideographic indented",
    "\u{c}form feed indented",
    "\u{1c}file separator indented",
    "  ",
];

/// Nested blocks, good and bad (spec §3.3).
const NESTED: &[&[&str]] = &[
    &[
        "s3 =",
        "  addressing_style = path",
        "  signature_version = s3v4",
    ],
    &[
        "s3 =",
        "    max_concurrent_requests = 20",
        "",
        "    max_queue_size = 1000",
    ],
    &["s3 =", "  Key = Value", "  key = other"],
    &["s3 =", "  dup = 1", "  dup = 2"],
    &["s3 =", "  = empty key"],
    &["s3 =", "  a = 1", "  # comment inside", "  b = 2"],
    &["s3 =", "  bad line"],
    &["s3 =", "  colon: value"],
    &["s3 =", "  a=1\u{b}b=2"],
    &["s3 =", "  a=1\u{85}bad"],
    &["s3 = # x", "  a = 1"],
    &["cloudwatch =", "\tsignature_version = v4"],
    &["s3 =", "", "  x = 1", "", ""],
    &["s3 =", "  a = b = c"],
    &["s3 =", " \u{a0}k\u{a0}=\u{a0}v\u{a0}"],
];

/// Lines that botocore rejects, or that are odd outside a section.
const ODD: &[&str] = &[
    "no delimiter here",
    "= no name",
    ": no name",
    "[unclosed",
    "[]",
    "  indented orphan",
    "# just a comment",
    "[x = 1",
];

const NAMES: &[&str] = &[
    "foo", "bar", "dev", "prod", "Test", "a.b", "x-y", "default", "s", "svc",
];

const NEWLINES: &[&str] = &["\n", "\n", "\n", "\r\n", "\r"];

fn gen_file(rng: &mut Rng, serial: &mut u32) -> Vec<u8> {
    if rng.chance(3) {
        return Vec::new();
    }
    let mut lines: Vec<String> = Vec::new();
    if rng.chance(2) {
        lines.push(rng.pick(OPTIONS).to_string()); // an option before any section
    }
    if rng.chance(2) {
        lines.push(rng.pick(ODD).to_string());
    }
    let sections = 1 + rng.below(4);
    let mut used_names: Vec<String> = Vec::new();
    for _ in 0..sections {
        let name = if !used_names.is_empty() && rng.chance(5) {
            rng.pick(&used_names).clone() // a repeat: a duplicate section, or a name clash
        } else {
            *serial += 1;
            let base = rng.pick(NAMES);
            if rng.chance(70) {
                format!("{base}{serial}")
            } else {
                base.to_string()
            }
        };
        used_names.push(name.clone());
        let header = if rng.chance(50) {
            rng.pick(COMMON_HEADERS)
        } else {
            rng.pick(HEADERS)
        };
        let header = header.replace("NAME", &name);
        let indent = if rng.chance(6) { "  " } else { "" };
        lines.push(format!("{indent}{header}"));
        let options = rng.below(5);
        let mut used_options: Vec<String> = Vec::new();
        let mut used_keys: Vec<String> = Vec::new();
        for slot in 0..options {
            if rng.chance(12) {
                let block = rng.pick(NESTED);
                for (i, line) in block.iter().enumerate() {
                    if i == 0 {
                        lines.push(line.replacen("s3", &format!("s3_{slot}"), 1));
                    } else {
                        lines.push(line.to_string());
                    }
                }
                continue;
            }
            let option = if !used_options.is_empty() && rng.chance(4) {
                // The same key again, maybe in another case: a duplicate option.
                let again = rng.pick(&used_options).clone();
                if rng.chance(50) {
                    again.to_uppercase()
                } else {
                    again
                }
            } else {
                let fresh = rng.pick(OPTIONS).replace("NAME", &name);
                let key = fresh
                    .split(['=', ':'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_lowercase();
                if used_keys.contains(&key) {
                    continue;
                }
                used_keys.push(key);
                fresh
            };
            used_options.push(option.clone());
            let indent = if rng.chance(5) {
                rng.pick(&["  ", "\t", " "]).to_string()
            } else {
                String::new()
            };
            lines.push(format!("{indent}{option}"));
            while rng.chance(25) {
                lines.push(rng.pick(AFTER).to_string());
            }
        }
        if rng.chance(3) {
            lines.push(rng.pick(ODD).to_string());
        }
        if rng.chance(20) {
            lines.push(String::new());
        }
    }
    let newline = if rng.chance(85) {
        rng.pick(NEWLINES).to_string()
    } else {
        String::new() // mixed line ends, chosen per line below
    };
    let mut text = String::new();
    if rng.chance(2) {
        text.push('\u{feff}');
    }
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            if newline.is_empty() {
                let nl: &&str = rng.pick(NEWLINES);
                text.push_str(nl);
            } else {
                text.push_str(&newline);
            }
        }
        text.push_str(line);
    }
    if rng.chance(70) {
        text.push_str(if newline.is_empty() { "\n" } else { &newline });
    }
    let mut bytes = text.into_bytes();
    if rng.chance(4) {
        // Invalid UTF-8 somewhere: a stray continuation byte, a truncated sequence, 0xff,
        // an encoded surrogate.
        let bad: &[&[u8]] = &[b"\x80", b"\xe2\x82", b"\xff", b"\xc3\x28", b"\xed\xa0\x80"];
        let at = rng.below(bytes.len() + 1);
        let insert = rng.pick(bad);
        bytes.splice(at..at, insert.iter().copied());
    }
    bytes
}

fn generated_cases(count: usize) -> Vec<Case> {
    let mut rng = Rng(0x5eed_c0de_2024_0001);
    let mut serial = 0;
    (0..count)
        .map(|i| {
            let which = rng.below(10);
            let config = (which < 8).then(|| gen_file(&mut rng, &mut serial));
            let credentials = (which >= 5).then(|| gen_file(&mut rng, &mut serial));
            Case {
                origin: format!("generated #{i}"),
                config,
                credentials,
            }
        })
        .collect()
}

/// Hand-written corners that a random mix rarely hits: `[DEFAULT]` inheritance and its
/// malformed nested blocks, names that collide after shlex, relative indentation, lone `\r`,
/// Unicode lowercasing of option names.
const CORNERS: &[(Option<&str>, Option<&str>)] = &[
    (Some("[DEFAULT]\ns3 =\n  bad\n[p]\ns3 = x\n"), None),
    (Some("[DEFAULT]\ns3 =\n  bad\n[profile p]\nx = 1\n"), None),
    (
        Some("[DEFAULT]\ns3 =\n  bad\n"),
        Some("[DEFAULT]\ns3 =\n  bad\n"),
    ),
    (None, Some("[DEFAULT]\ns3 =\n  bad\n[a]\ns3=1\n[b]\ns3=2\n")),
    (None, Some("[DEFAULT]\ns3 =\n  bad\n[a]\ns3=1\n[b]\nx=2\n")),
    (
        Some("[DEFAULT]\na = 1\n[profile p]\nb = 2\n[DEFAULT]\nc = 3\n"),
        Some("[DEFAULT]\nd=4\n[p]\na = 9\n"),
    ),
    (Some("[DEFAULT]\na = 1\n[DEFAULT]\nA = 2\n"), None),
    (
        Some("[DEFAULT]\n[DEFAULT]\n"),
        Some("[DEFAULT]\nregion = x\n"),
    ),
    (Some("[profile a]\nx = 1\n=2\n"), None),
    (Some("[profile a]\n=1\n=2\n"), None),
    (
        Some("[profile a]\nx=1\n[profile \"a\"]\ny=2\n[profile  a]\nz=3\n"),
        None,
    ),
    (
        Some("[default]\nx=1\n[profile default]\ny=2\n"),
        Some("[default]\nz=3\n"),
    ),
    (Some("[profile default]\ny=2\n[default]\nx=1\n"), None),
    (
        Some(
            "[sso-session s]\na=1\n[sso-sessionX s]\nb=2\n[services v]\ns3 =\n  endpoint_url = http://x\n",
        ),
        None,
    ),
    (
        Some("\r\r[profile p]\r\rx = 1\r  y\r\r"),
        Some("[p]\r\nx = 1\r\n  y\r\n"),
    ),
    (Some("[profile p]\nx = 1\n\n\n  y\n\n"), None),
    (Some("  [profile p]\n  x = 1\n   y\n  z = 2\n    w\n"), None),
    (Some("[profile p]\n\tx = 1\n y\n"), None),
    (Some("[profile p]\n  x = 1\n y = 2\n"), None),
    (Some("[profile p]\nx =\n\n  a = 1\n\n  b = 2\n\n"), None),
    (Some("[profile p]\nx = # c\n  a = 1\n"), None),
    (
        Some("[profile p]\nx =\n  a = 1\u{1c}b = 2\u{2028}c=3\n"),
        None,
    ),
    (
        Some("[profile p]\n\u{391}\u{3a3} = 1\n\u{391}\u{3a3}' = 2\nX\u{3a3}Y = 3\n"),
        None,
    ),
    (Some("[profile p]\n\u{212a} = 1\nk = 2\n"), None),
    (Some("[profile p]\n\u{130} = 1\ni\u{307} = 2\n"), None),
    (
        Some("[profile p]\n\u{130}\u{130} = 1\n\u{1c9} = 2\n\u{1c8} = 3\n"),
        None,
    ),
    (Some("[profile p]\nx = 1\n  [profile q]\ny = 2\n"), None),
    (Some("[profile p]\n[profile q]\n  y = 2\n"), None),
    (
        Some("[a]b]\nk=v\n[]]\nk=v\n[ default ]\nk=v\n"),
        Some("[a]b]\nk=v\n[]]\nk=v\n"),
    ),
    (
        Some(
            "[profile \"a b\" ]\nk=1\n[profile 'c d']\nk=2\n[profile e\\ f]\nk=3\n[profile \"g\\\"h\"]\nk=4\n",
        ),
        None,
    ),
    (Some("[profile \"a\\$b\"]\nk=1\n[profile ''] \nk=2\n"), None),
    (
        Some("[profile a\u{a0}b]\nk=1\n[profile\u{a0}c]\nk=2\n"),
        None,
    ),
    (
        Some("[profile p]\r\nk = v\r\n\r\n"),
        Some("\u{feff}[p]\nk=v\n"),
    ),
    (Some("[profile p]\nk = a\u{0}b\n"), Some("[p]\u{0}\nk=v\n")),
    (Some("# only a comment\n; and another\n"), Some("\n\n   \n")),
    (Some(""), Some("")),
];

fn corner_cases() -> Vec<Case> {
    CORNERS
        .iter()
        .enumerate()
        .map(|(i, (config, credentials))| Case {
            origin: format!("corner #{i}"),
            config: config.map(|s| s.as_bytes().to_vec()),
            credentials: credentials.map(|s| s.as_bytes().to_vec()),
        })
        .collect()
}

fn suite_cases() -> Vec<Case> {
    let text = std::fs::read_to_string(credchain_tests::testdata("profile-parser-tests.json"))
        .expect("read profile-parser-tests.json");
    let suite: Json = serde_json::from_str(&text).expect("valid JSON");
    suite["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| Case {
            origin: format!(
                "profile-parser-tests.json: {}",
                t["name"].as_str().unwrap_or("?")
            ),
            config: t["input"]["configFile"]
                .as_str()
                .map(|s| s.as_bytes().to_vec()),
            credentials: t["input"]["credentialsFile"]
                .as_str()
                .map(|s| s.as_bytes().to_vec()),
        })
        .collect()
}

fn fixture_cases() -> Vec<Case> {
    let dir = credchain_tests::testdata("botocore-cfg");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read botocore-cfg")
        .map(|e| e.expect("dir entry").path())
        .collect();
    paths.sort();
    assert!(paths.len() >= 15, "botocore-cfg has {} files", paths.len());
    let mut cases = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).expect("read fixture");
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        cases.push(Case {
            origin: format!("botocore-cfg/{name} as the config file"),
            config: Some(bytes.clone()),
            credentials: None,
        });
        cases.push(Case {
            origin: format!("botocore-cfg/{name} as the credentials file"),
            config: None,
            credentials: Some(bytes),
        });
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// credchain's side: the same three views, through the public API.

const PARSE_ERROR: &str = "ConfigParseError";

fn value_json(value: &Value<'_>) -> Json {
    match value.sub_properties() {
        Some(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                map.insert(k.to_owned(), Json::String(v.to_owned()));
            }
            Json::Object(map)
        }
        None => {
            // Exercise every way of reading a value: they must agree.
            let text = value.to_string();
            let mut buf = vec![0u8; value.len()];
            assert_eq!(
                value.write_to(&mut buf).map(str::to_owned),
                Ok(text.clone())
            );
            assert!(value.eq_str(&text));
            assert_eq!(value.fragments().collect::<String>(), text);
            if let Some(s) = value.as_str() {
                assert_eq!(s, text);
            }
            Json::String(text)
        }
    }
}

fn section_json(section: &Section<'_>) -> Json {
    let mut map = Map::new();
    for p in section.properties() {
        let key = p.key.to_string();
        // Every listed key can be looked up again, in any case.
        let again = section.get(&key).expect("listed key can be looked up");
        assert_eq!(again.to_string(), p.value.to_string());
        assert!(
            map.insert(key.clone(), value_json(&p.value)).is_none(),
            "key {key:?} listed twice"
        );
    }
    Json::Object(map)
}

fn sections_json<'a>(sections: impl Iterator<Item = Section<'a>>) -> Json {
    let mut map = Map::new();
    for s in sections {
        let name = s.name().to_string();
        assert!(
            map.insert(name.clone(), section_json(&s)).is_none(),
            "section {name:?} listed twice"
        );
    }
    Json::Object(map)
}

fn config_view(file: &ProfileFile<'_>) -> Json {
    // Lookup by name finds what iteration lists.
    for p in file.profiles() {
        let name = p.name().to_string();
        let found = file
            .profile(&name)
            .expect("listed profile can be looked up");
        assert_eq!(found.line(), p.line(), "profile {name:?}");
    }
    json!({
        "profiles": sections_json(file.profiles()),
        "sso_sessions": sections_json(file.sso_sessions()),
        "services": sections_json(file.services()),
    })
}

fn ours(case: &Case) -> Json {
    fn parse(
        bytes: &Option<Vec<u8>>,
        kind: FileKind,
    ) -> Option<Result<ProfileFile<'_>, ParseError>> {
        bytes
            .as_ref()
            .map(|b| ProfileFile::parse_bytes(b, kind, Dialect::Botocore))
    }
    let config = parse(&case.config, FileKind::Config);
    let credentials = parse(&case.credentials, FileKind::Credentials);
    let error = json!({ "error": PARSE_ERROR });
    let config_json = match &config {
        None => Json::Null,
        Some(Err(_)) => error.clone(),
        Some(Ok(f)) => config_view(f),
    };
    let credentials_json = match &credentials {
        None => Json::Null,
        Some(Err(_)) => error.clone(),
        Some(Ok(f)) => json!({ "profiles": sections_json(f.profiles()) }),
    };
    let merged_json = match (&config, &credentials) {
        (Some(Err(_)), _) | (_, Some(Err(_))) => error,
        _ => {
            let config = config.as_ref().and_then(|r| r.as_ref().ok());
            let credentials = credentials.as_ref().and_then(|r| r.as_ref().ok());
            let merged = Merged::new(config, credentials);
            let mut profiles = Map::new();
            for profile in merged.profiles() {
                let mut props = Map::new();
                for (p, from) in profile.properties() {
                    let key = p.key.to_string();
                    let (v, src) = profile.get(&key).expect("merged key can be looked up");
                    assert_eq!((v.to_string(), src), (p.value.to_string(), from));
                    props.insert(key, value_json(&p.value));
                }
                let name = profile.name().to_string();
                assert!(merged.profile(&name).is_some());
                assert!(profiles.insert(name, Json::Object(props)).is_none());
            }
            json!({
                "profiles": profiles,
                "sso_sessions": sections_json(merged.sso_sessions()),
                "services": sections_json(merged.services()),
            })
        }
    };
    json!({ "config": config_json, "credentials": credentials_json, "merged": merged_json })
}

// ---------------------------------------------------------------------------------------------
// The oracle.

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn run_oracle(cases: &[Case]) -> Vec<Json> {
    let input: Vec<Json> = cases
        .iter()
        .map(|c| {
            let mut o = Map::new();
            if let Some(b) = &c.config {
                o.insert("config".into(), json!({ "hex": hex(b) }));
            }
            if let Some(b) = &c.credentials {
                o.insert("credentials".into(), json!({ "hex": hex(b) }));
            }
            Json::Object(o)
        })
        .collect();
    run_json_oracle("botocore_profiles.py", &input)
}

fn show(bytes: &Option<Vec<u8>>) -> String {
    match bytes {
        None => "(no file)".into(),
        Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
    }
}

#[test]
fn botocore_reads_files_as_credchain_does() {
    if skip_botocore() {
        println!("skipped: CREDCHAIN_SKIP_BOTOCORE=1");
        return;
    }
    let generated = generated_cases(600);
    let suite = suite_cases();
    let fixtures = fixture_cases();
    assert_eq!(suite.len(), 65);
    let corners = corner_cases();
    let cases: Vec<Case> = generated
        .into_iter()
        .chain(corners)
        .chain(suite)
        .chain(fixtures)
        .collect();
    let expected = run_oracle(&cases);

    let mut failures = Vec::new();
    let mut tally: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (case, want) in cases.iter().zip(&expected) {
        let got = ours(case);
        for view in ["config", "credentials", "merged"] {
            let kind = match &want[view] {
                Json::Null => "absent",
                v if v.get("error").is_some() => "error",
                _ => "parsed",
            };
            *tally.entry((view, kind)).or_default() += 1;
        }
        if &got != want {
            failures.push(format!(
                "{}\n  config:      {}\n  credentials: {}\n  botocore:  {}\n  credchain: {}",
                case.origin,
                show(&case.config),
                show(&case.credentials),
                want,
                got
            ));
        }
    }
    println!(
        "{} cases compared with botocore; views: {tally:?}",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from botocore:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
