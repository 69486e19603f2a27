//! `credchain lint` run as a real process on the cross-SDK profile-parser suite and on real
//! files with each botocore pitfall (spec §3.8, §10).
//!
//! Which of the suite's 65 cases botocore reads differently is asked of botocore 1.43.11 itself
//! (the oracle script of the `credchain-tests` package; `CREDCHAIN_SKIP_BOTOCORE=1` skips that
//! one check); the 19 it finds must each give a difference finding on the right line, and the
//! 46 others none, with exactly the pitfalls listed here where a §10 pitfall applies.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_credchain");

/// The cases botocore reads differently (spec §3.8), and the (file, line) each must be
/// reported on.
const DIFFERING: [(&str, &[(&str, u32)]); 19] = [
    (
        "Profile names support alphanumeric characters and - / . % @ _ : +",
        &[("config", 2)],
    ),
    (
        "Property definitions must contain an equals sign.",
        &[("config", 2)],
    ),
    ("Pound sign comments are ignored.", &[("config", 3)]),
    ("Semicolon sign comments are ignored.", &[("config", 3)]),
    ("All comment types can be used together.", &[("config", 3)]),
    ("Comments can be empty.", &[("config", 3)]),
    (
        "Duplicate profiles in the same file merge properties.",
        &[("config", 3)],
    ),
    (
        "Duplicate properties in a profile use the last one defined.",
        &[("config", 3)],
    ),
    (
        "Duplicate properties in duplicate profiles use the last one defined.",
        &[("config", 3)],
    ),
    (
        "Duplicate properties in duplicate profiles use the last one defined (case insensitive).",
        &[("config", 3)],
    ),
    (
        "Default profile with profile prefix overrides default profile without prefix when profile prefix is first.",
        &[("config", 2), ("config", 3), ("config", 4)],
    ),
    ("Invalid profile names are ignored.", &[("credentials", 1)]),
    ("Invalid property names are ignored.", &[("config", 2)]),
    (
        "Sub-property definitions cannot have an empty name.",
        &[("config", 3)],
    ),
    (
        "Default profiles with mixed prefixes in the config file ignore the one without prefix when merging.",
        &[("config", 5)],
    ),
    (
        "Default profiles with mixed prefixes merge with credentials",
        &[("config", 5)],
    ),
    (
        "Credentials profiles with prefix are ignored.",
        &[("credentials", 1)],
    ),
    ("profile name with extra whitespace", &[("config", 1)]),
    (
        "profile name with extra whitespace in credentials",
        &[("credentials", 1), ("credentials", 3)],
    ),
];

/// The agreeing cases that still get findings: a file both readers reject, or a §10 pitfall
/// that applies to a line. Every other agreeing case must give no finding at all.
/// A finding as (file, line, rule).
type Expected = (&'static str, u32, &'static str);

const AGREEING_FINDINGS: [(&str, &[Expected]); 16] = [
    // Both reject the file: an unclosed header, an option before any section, `= value`,
    // continuations with nothing to continue, a nested line without `=`.
    (
        "Profile definitions must end with brackets.",
        &[("config", 1, "parse-error")],
    ),
    (
        "Properties must be defined in a profile.",
        &[("config", 1, "parse-error")],
    ),
    (
        "Property key cannot be empty.",
        &[("config", 2, "parse-error")],
    ),
    (
        "Continuations cannot be used outside of a profile.",
        &[("config", 1, "parse-error")],
    ),
    (
        "Continuations cannot be used outside of a property.",
        &[("config", 2, "parse-error")],
    ),
    (
        "Invalid sub-property definitions cause an error.",
        &[("config", 3, "parse-error")],
    ),
    // The repeated `[profile foo]` is fatal to botocore on its own (§10.4), before the
    // continuation both reject.
    (
        "Continuations reset with profile definitions.",
        &[
            ("config", 3, "parse-error"),
            ("config", 3, "duplicate-section"),
        ],
    ),
    (
        "Invalid continuation",
        &[
            ("config", 3, "parse-error"),
            ("config", 3, "duplicate-section"),
        ],
    ),
    // §10.4: no inline comments — in a continuation both readers keep `# Comment`.
    (
        "Continuation values include pound comments.",
        &[("config", 3, "inline-comment")],
    ),
    (
        "Continuation values include semicolon comments.",
        &[("config", 3, "inline-comment")],
    ),
    // §10.4: both `[default]` and `[profile default]`; here the later one is the prefixed one,
    // so both readers agree, by luck.
    (
        "Default profile with profile prefix overrides default profile without prefix when profile prefix is last.",
        &[("config", 3, "default-twice")],
    ),
    // §10.5: the credentials file's `name` overrides the config file's.
    (
        "Duplicate properties between files uses credentials property.",
        &[("config", 2, "overridden-by-credentials")],
    ),
    // §3.4/§10.4: `[foo]` in the config file is no profile; neither is a typo'd sso-session.
    (
        "Config profiles without prefix are ignored.",
        &[("config", 1, "not-a-profile")],
    ),
    (
        "A typo'd sso-session will be ignored",
        &[("config", 1, "not-a-profile")],
    ),
    // §10.4: `[profilefoo]` is ignored (and `[profilefoo bar]` would be `bar`); a name with
    // spaces must be quoted.
    ("sneaky profile name", &[("config", 1, "profile-header")]),
    (
        "properties from an invalid profile name are ignored",
        &[("config", 3, "profile-header")],
    ),
];

/// What a run gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(output: Output) -> Run {
        Run {
            code: output.status.code().expect("the command was not killed"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// stdout with `dir/` removed from paths.
    fn lines(&self, dir: &Path) -> Vec<String> {
        let prefix = format!("{}/", dir.display());
        self.stdout
            .lines()
            .map(|l| l.replace(&prefix, ""))
            .collect()
    }
}

/// Runs `credchain lint ARGS` in `dir` with an empty environment but for `PATH`, `HOME=home`
/// and `extra`.
fn lint(dir: &Path, home: &Path, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(BIN);
    cmd.arg("lint")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    Run::of(cmd.output().expect("run credchain"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn suite() -> Vec<Value> {
    let path = credchain_tests::testdata("profile-parser-tests.json");
    let text = std::fs::read_to_string(&path).expect("read profile-parser-tests.json");
    let suite: Value = serde_json::from_str(&text).expect("valid JSON");
    suite["tests"].as_array().expect("a list of tests").clone()
}

/// One finding of `--json`, as (file name, line, rule, class).
fn findings(run: &Run) -> Vec<(String, u32, String, String)> {
    run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let file = Path::new(f["file"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                file,
                u32::try_from(f["line"].as_u64().unwrap()).unwrap(),
                f["rule"].as_str().unwrap().to_owned(),
                f["class"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Runs one suite case through `credchain lint --json`.
fn lint_case(case: &Value) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = vec!["--json".into()];
    if let Some(text) = case["input"]["configFile"].as_str() {
        let p = write(dir.path(), "config", text);
        args.extend(["--config".into(), p.display().to_string()]);
    }
    if let Some(text) = case["input"]["credentialsFile"].as_str() {
        let p = write(dir.path(), "credentials", text);
        args.extend(["--credentials".into(), p.display().to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lint(dir.path(), dir.path(), &args, &[])
}

#[test]
fn the_19_differing_cases_each_name_their_line() {
    let cases = suite();
    assert_eq!(cases.len(), 65);
    let mut failures = Vec::new();
    let mut passed = 0;
    for (name, lines) in DIFFERING {
        let Some(case) = cases.iter().find(|c| c["name"] == name) else {
            failures.push(format!("{name}: no such case in the suite"));
            continue;
        };
        let run = lint_case(case);
        let found = findings(&run);
        let mut ok = run.code == 1;
        for (file, line) in lines {
            ok &= found
                .iter()
                .any(|(f, l, _, class)| f == file && l == line && class == "difference");
        }
        if ok {
            passed += 1;
        } else {
            failures.push(format!(
                "{name}: expected exit 1 and a difference on each of {lines:?}, got exit {} and {found:?}",
                run.code
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 19 cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed, 19);
}

#[test]
fn the_46_agreeing_cases_give_no_difference_and_only_the_pitfalls_that_apply() {
    let cases = suite();
    let differing: BTreeSet<&str> = DIFFERING.iter().map(|(n, _)| *n).collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        if differing.contains(name) {
            continue;
        }
        checked += 1;
        let run = lint_case(case);
        let found: BTreeSet<(String, u32, String)> = findings(&run)
            .into_iter()
            .map(|(f, l, r, class)| {
                if class == "difference" {
                    failures.push(format!("{name}: unexpected difference {f}:{l} [{r}]"));
                }
                (f, l, r)
            })
            .collect();
        let want: BTreeSet<(String, u32, String)> = AGREEING_FINDINGS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| {
                f.iter()
                    .map(|(file, line, rule)| ((*file).to_owned(), *line, (*rule).to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if found != want {
            failures.push(format!("{name}: expected {want:?}, got {found:?}"));
        }
        let want_code = if want.is_empty() { 0 } else { 1 };
        if run.code != want_code {
            failures.push(format!("{name}: exit {} instead of {want_code}", run.code));
        }
    }
    assert_eq!(checked, 46);
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// botocore itself says which cases it reads differently from the suite's expectations: they
/// must be exactly [`DIFFERING`]. A nested block is compared as the map both readers make of
/// it (the suite writes it as raw text, botocore as a dict).
#[test]
fn botocore_differs_on_exactly_those_19_cases() {
    if std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some() {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE is set: botocore not asked");
        return;
    }
    let cases = suite();
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            serde_json::json!({
                "config": c["input"]["configFile"],
                "credentials": c["input"]["credentialsFile"],
            })
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let cases_path = write(
        dir.path(),
        "cases.json",
        &serde_json::to_string(&input).unwrap(),
    );
    let oracle =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracle/botocore_profiles.py");
    let out = Command::new("python3")
        .arg(&oracle)
        .arg(&cases_path)
        .env("PYTHONUTF8", "1")
        .output()
        .expect("python3 with botocore 1.43.11 (CREDCHAIN_SKIP_BOTOCORE=1 skips this test)");
    assert!(
        out.status.success(),
        "the oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();

    fn normalise(profiles: &Value) -> Value {
        let mut out = serde_json::Map::new();
        for (name, props) in profiles.as_object().into_iter().flatten() {
            let mut p = serde_json::Map::new();
            for (k, v) in props.as_object().into_iter().flatten() {
                let v = match v.as_str() {
                    Some(s) if s.starts_with('\n') => {
                        let mut m = serde_json::Map::new();
                        for line in s.lines().map(str::trim).filter(|l| !l.is_empty()) {
                            let (a, b) = line.split_once('=').unwrap_or((line, ""));
                            m.insert(a.trim().to_owned(), Value::from(b.trim()));
                        }
                        Value::Object(m)
                    }
                    _ => v.clone(),
                };
                p.insert(k.clone(), v);
            }
            out.insert(name.clone(), Value::Object(p));
        }
        Value::Object(out)
    }

    let mut differing = BTreeSet::new();
    for (case, got) in cases.iter().zip(&results) {
        let merged = &got["merged"];
        let expected = &case["output"];
        let agree = if expected.get("errorContaining").is_some() {
            merged.get("error").is_some()
        } else {
            let want = &expected["config"];
            merged.get("error").is_none()
                && normalise(&merged["profiles"]) == normalise(&want["profiles"])
                && want
                    .get("sso_sessions")
                    .is_none_or(|s| normalise(&merged["sso_sessions"]) == normalise(s))
        };
        if !agree {
            differing.insert(case["name"].as_str().unwrap().to_owned());
        }
    }
    let ours: BTreeSet<String> = DIFFERING.iter().map(|(n, _)| (*n).to_owned()).collect();
    assert_eq!(differing, ours);
}

/// A config and a credentials file that botocore reads, with one of each non-fatal pitfall.
const CONFIG: &str = "\
[DEFAULT]
region = eu-west-1

[default]
output = json # or text

[profile dev]
role_arn = arn:aws:iam::123456789012:role/dev
credential_source = ec2instancemetadata
duration_seconds = 1h
s3 =
    Addressing_Style = path
region = us-east-1
  aws_access_key_id = AKIDINDENTED

[profilefoo bar]
region = x

[Profile ops]
region = y

[  profile spaced  ]
region = z

[profile default]
output = text
";

const CREDENTIALS: &str = "\
[default]
aws_access_key_id = AKIDEXAMPLE
aws_security_token = tok1
aws_session_token = tok2

[profile dev]
aws_access_key_id = AKIDDEV
aws_secret_access_key = s

[dev]
region = ap-south-1
role_arn = arn:aws:iam::123456789012:role/other
";

#[test]
fn real_files_with_each_pitfall() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "config", CONFIG);
    write(dir.path(), "credentials", CREDENTIALS);
    let run = lint(dir.path(), dir.path(), &["config", "credentials"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    let expected = [
        "config:1: [default-section] the AWS CLI copies every key of `[DEFAULT]` into every other section of this file (profiles, sso-session and services alike); the other SDKs treat it as an ordinary section",
        "config:2: [dialect-only-botocore] the AWS CLI reads `region` = `eu-west-1` in the profile `default`; the other SDKs ignore it (inherited from `[DEFAULT]`, which only botocore shares with every section)",
        "config:5: [inline-comment] `# or text` is part of the value for the AWS CLI, which has no inline comments: `output` is `json # or text`; the other SDKs drop it (put comments on their own line)",
        "config:8: [overridden-by-credentials] `role_arn` of the profile `dev` is overridden by credentials:12: where both files set a key, the AWS CLI takes the credentials file's value",
        "config:9: [credential-source] credential_source `ec2instancemetadata` of the profile `dev` is not valid: assuming its role fails; values are case-sensitive: write `Ec2InstanceMetadata`",
        "config:10: [duration-seconds] duration_seconds `1h` of the profile `dev` is not an integer: the AWS CLI silently drops it and asks for the default hour",
        "config:12: [nested-key-case] nested keys are not lowercased: `Addressing_Style` stays `Addressing_Style` for the AWS CLI, so a lookup of `addressing_style` does not find it",
        "config:13: [overridden-by-credentials] `region` of the profile `dev` is overridden by credentials:11: where both files set a key, the AWS CLI takes the credentials file's value",
        "config:14: [indented-line] this indented line continues `region` of line 13: the AWS CLI reads `region` as `us-east-1\\naws_access_key_id = AKIDINDENTED` and does not see `aws_access_key_id = AKIDINDENTED` on its own (remove the indentation)",
        "config:16: [dialect-only-botocore] the AWS CLI reads `[profilefoo bar]` as the profile `bar`; the other SDKs ignore it (they need white space after the `profile`, `sso-session` or `services` prefix)",
        "config:16: [profile-header] the AWS CLI reads `[profilefoo bar]` as the profile `bar` (it only checks that the name starts with `profile`); write `[profile bar]`",
        "config:19: [section-case] section names are case-sensitive: `[Profile ops]` is not `[profile ops]`, and neither the AWS CLI nor the other SDKs read it as a profile",
        "config:22: [dialect-only-sdk] the other SDKs read `[  profile spaced  ]` as the profile `spaced`; the AWS CLI ignores it (botocore does not trim section names)",
        "config:22: [not-a-profile] the AWS CLI ignores `[  profile spaced  ]`: botocore does not trim section names, so it does not start with `profile`; write `[profile spaced]`",
        "config:25: [default-twice] the default profile is defined again: the AWS CLI uses only the last definition, `[profile default]`, and ignores `[default]` (line 4) entirely; the other SDKs use `[profile default]`",
        "credentials:2: [partial-keys] the profile `default` has aws_access_key_id but no aws_secret_access_key in this file: botocore stops with PartialCredentialsError",
        "credentials:3: [security-token] the profile `default` sets both aws_security_token and aws_session_token (line 4): botocore uses aws_security_token",
        "credentials:6: [dialect-only-botocore] the AWS CLI reads `[profile dev]` as the profile `profile dev`; the other SDKs ignore it (in a credentials file they skip `[profile ...]` sections)",
        "credentials:6: [credentials-prefix] in the credentials file, section names are profile names as written: the AWS CLI reads `[profile dev]` as the profile `profile dev` (the other SDKs ignore it); write `[dev]`",
        "2 files checked: 4 differences, 15 pitfalls, 0 errors",
    ];
    assert_eq!(run.lines(dir.path()), expected);
}

/// What the findings above claim about botocore's reading, asked of botocore.
#[test]
fn botocore_reads_the_real_files_as_the_findings_say() {
    if std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "config", CONFIG);
    let cred = write(dir.path(), "credentials", CREDENTIALS);
    let script = "\
import json, sys
import botocore.configloader as c
cfg = c.load_config(sys.argv[1])['profiles']
cred = c.raw_config_parse(sys.argv[2])
print(json.dumps({'config': cfg, 'credentials': cred}))
";
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(&cfg)
        .arg(&cred)
        .env("PYTHONUTF8", "1")
        .output()
        .expect("python3 with botocore");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let profiles = &v["config"];
    // default-twice: the last, `[profile default]`, wins entirely; [DEFAULT] is inherited.
    assert_eq!(profiles["default"]["output"], "text");
    assert_eq!(profiles["default"]["region"], "eu-west-1");
    // indented-line: swallowed into region; nested-key-case: kept as written.
    assert_eq!(
        profiles["dev"]["region"],
        "us-east-1\naws_access_key_id = AKIDINDENTED"
    );
    assert!(profiles["dev"].get("aws_access_key_id").is_none());
    assert_eq!(profiles["dev"]["s3"]["Addressing_Style"], "path");
    // profile-header, section-case, not-a-profile.
    assert_eq!(profiles["bar"]["region"], "x");
    assert!(profiles.get("ops").is_none() && profiles.get("spaced").is_none());
    // credentials-prefix.
    assert!(v["credentials"].get("profile dev").is_some());
}

#[test]
fn fatal_pitfalls_each_on_their_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &str, &[&str]); 3] = [
        (
            "dup-key.ini",
            "[profile a]\nRegion = us-east-1\nregion = eu-west-1\n",
            &[
                "dup-key.ini:3: [dialect-rejected] the AWS CLI cannot read this file (expected each option once per section (botocore rejects a repeated option, whatever its case); first defined on line 2); the other SDKs read it",
                "dup-key.ini:3: [duplicate-key] `region` is already set on line 2 in `[profile a]`: the AWS CLI rejects the whole file (keys are compared in lowercase); the other SDKs keep the last value",
                "1 file checked: 1 difference, 1 pitfall, 0 errors",
            ],
        ),
        (
            "dup-section.ini",
            "[default]\nregion = us-east-1\n\n[default]\noutput = json\n",
            &[
                "dup-section.ini:4: [dialect-rejected] the AWS CLI cannot read this file (expected each section once (botocore rejects a repeated section); first defined on line 1); the other SDKs read it",
                "dup-section.ini:4: [duplicate-section] `[default]` repeats the section of line 1: the AWS CLI rejects the whole file; the other SDKs merge the two",
                "1 file checked: 1 difference, 1 pitfall, 0 errors",
            ],
        ),
        (
            "my-credentials",
            "[default]\naws_access_key_id: AKIDEXAMPLE\naws_secret_access_key = x\n",
            &[
                "my-credentials:2: [dialect-rejected] the other SDKs cannot read this file (Expected an '=' sign defining a property); the AWS CLI reads it",
                "my-credentials:2: [colon-delimiter] `aws_access_key_id` is set with `:`: the AWS CLI accepts `:` as well as `=`, the other SDKs reject the whole file; write `aws_access_key_id = AKIDEXAMPLE`",
                "1 file checked: 1 difference, 1 pitfall, 0 errors",
            ],
        ),
    ];
    for (name, text, expected) in cases {
        write(dir.path(), name, text);
        let run = lint(dir.path(), dir.path(), &[name], &[]);
        assert_eq!(run.code, 1, "{name}: {run:?}");
        assert_eq!(run.lines(dir.path()), expected, "{name}");
    }
}

#[test]
fn json_report_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c",
        "[profile a]\nregion = us-east-1 ; primary\n",
    );
    let run = lint(dir.path(), dir.path(), &["--json", "--config", "c"], &[]);
    assert_eq!(run.code, 1);
    let v = run.json();
    assert_eq!(
        v["files"],
        serde_json::json!([{"path": "c", "kind": "config"}])
    );
    assert_eq!(v["differences"], 1);
    assert_eq!(v["pitfalls"], 1);
    assert_eq!(v["errors"], 0);
    let f = &v["findings"][0];
    assert_eq!(f["file"], "c");
    assert_eq!(f["line"], 2);
    assert_eq!(f["rule"], "dialect-value");
    assert_eq!(f["class"], "difference");
    assert_eq!(
        f["message"],
        "`region` of the profile `a`: the AWS CLI reads `us-east-1 ; primary`, the other SDKs read `us-east-1`"
    );
    assert_eq!(v["findings"][1]["rule"], "inline-comment");
}

#[test]
fn default_files_are_those_botocore_reads() {
    let home = tempfile::tempdir().unwrap();
    let aws = home.path().join(".aws");
    std::fs::create_dir(&aws).unwrap();
    write(&aws, "config", "[default]\nregion = us-east-1\n");
    write(
        &aws,
        "credentials",
        "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n",
    );
    let run = lint(home.path(), home.path(), &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "2 files checked: no findings; the AWS CLI and the other SDKs read them alike\n"
    );

    // AWS_CONFIG_FILE moves the config file ($VAR and ~ expanded, spec §3.1).
    write(home.path(), "other.ini", "[profile x]\nregion: y\n");
    let run = lint(
        home.path(),
        home.path(),
        &[],
        &[("AWS_CONFIG_FILE", "~/other.ini")],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.lines(home.path())
            .iter()
            .any(|l| l.starts_with("other.ini:2: [colon-delimiter] ")),
        "{run:?}"
    );

    // No files at all: nothing to find, and stderr says where it looked.
    let empty = tempfile::tempdir().unwrap();
    let run = lint(empty.path(), empty.path(), &[], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "0 files checked: no findings; the AWS CLI and the other SDKs read them alike\n"
    );
    let prefix = format!("{}/", empty.path().display());
    assert_eq!(
        run.stderr.replace(&prefix, "~/"),
        "credchain: no config at ~/.aws/config: botocore reads none there (skipped)\n\
         credchain: no credentials at ~/.aws/credentials: botocore reads none there (skipped)\n"
    );
}

#[test]
fn bad_arguments_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let run = lint(dir.path(), dir.path(), &["--bogus"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unexpected argument '--bogus'"),
        "{run:?}"
    );
    let run = lint(dir.path(), dir.path(), &["missing.ini"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("credchain: cannot read missing.ini: "),
        "{run:?}"
    );
    assert_eq!(run.stdout, "");
}

#[test]
fn help_teaches_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let run = lint(dir.path(), dir.path(), &["--help"], &[]);
    assert_eq!(run.code, 0);
    for needle in [
        "AWS_CONFIG_FILE",
        "dialect-only-botocore",
        "inline-comment",
        "FILE:LINE: [rule] message",
        "Exit status: 0 when nothing was found, 1 when something was",
    ] {
        assert!(run.stdout.contains(needle), "--help lacks {needle}");
    }
}

#[test]
fn bytes_that_only_one_reader_understands() {
    let dir = tempfile::tempdir().unwrap();
    // A byte order mark: botocore keeps it as a character (spec §3.1).
    std::fs::write(
        dir.path().join("bom.ini"),
        b"\xef\xbb\xbf[default]\nregion = x\n",
    )
    .unwrap();
    // A lone carriage return ends a line for botocore only (spec §3.1).
    std::fs::write(
        dir.path().join("cr.ini"),
        b"[default]\nregion = a\r\n[profile x]\routput = y\n",
    )
    .unwrap();
    // Not UTF-8: both reject it, and its "lines" are not linted.
    std::fs::write(
        dir.path().join("bytes.ini"),
        b"[default]\nregion = \xff\xfe: # x\n[foo]\n",
    )
    .unwrap();
    let run = lint(
        dir.path(),
        dir.path(),
        &["bom.ini", "cr.ini", "bytes.ini"],
        &[],
    );
    assert_eq!(run.code, 1);
    let lines = run.lines(dir.path());
    let expected = [
        "bom.ini:1: [parse-error] neither the AWS CLI nor the other SDKs can read this file (AWS CLI: expected a section header such as `[default]` before the first option; other SDKs: Expected a profile definition)",
        "bom.ini:1: [byte-order-mark] the file starts with a byte order mark (U+FEFF), which botocore keeps as a character: its first line is not a section header, and the AWS CLI rejects the file; save it as UTF-8 without a BOM",
        "cr.ini:3: [dialect-rejected] the other SDKs cannot read this file (Profile definition must end with ']'); the AWS CLI reads it",
        "cr.ini:3: [lone-carriage-return] a carriage return without a line feed ends the line for the AWS CLI (universal newlines), not for the other SDKs, which see one long line; use `\\n` or `\\r\\n` line ends",
    ];
    assert_eq!(lines[..4], expected);
    assert!(
        lines[4].starts_with("bytes.ini:") && lines[4].contains("[parse-error]"),
        "{lines:?}"
    );
    assert!(lines[4].contains("expected UTF-8 text"), "{lines:?}");
    assert_eq!(
        lines[5],
        "3 files checked: 1 difference, 2 pitfalls, 2 errors"
    );
    assert_eq!(lines.len(), 6);
}

#[test]
fn role_with_both_sources_is_reported_and_botocore_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let text = "[profile base]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n\n\
                [profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\n\
                source_profile = base\ncredential_source = Environment\n";
    write(dir.path(), "config", text);
    let run = lint(dir.path(), dir.path(), &["config"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.lines(dir.path()),
        [
            "config:8: [role-source] the profile `a` sets both credential_source and source_profile (line 7): assuming its role fails with InvalidConfigError; keep one",
            "1 file checked: 0 differences, 1 pitfall, 0 errors",
        ]
    );
    if std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some() {
        return;
    }
    let script = "\
import botocore.session, botocore.exceptions
s = botocore.session.Session(profile='a')
try:
    s.get_credentials()
    print('no error')
except botocore.exceptions.InvalidConfigError as e:
    print(type(e).__name__)
";
    let out = Command::new("python3")
        .args(["-c", script])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("PYTHONUTF8", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", dir.path().join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .output()
        .expect("python3 with botocore");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "InvalidConfigError\n");
}
