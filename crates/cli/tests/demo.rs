//! `credchain demo` as a real process: each step's lines, with the values the demo's IMDS must
//! produce (times computed here from the start time it prints: credentials valid 40 minutes,
//! a new set every 10, the clock moved 26 minutes), exit status 0, nothing secret printed, and
//! nothing of the user's read (a HOME with credentials and AWS_* variables change nothing).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use credchain_core::time::Timestamp;

const BIN: &str = env!("CARGO_BIN_EXE_credchain");

/// Runs `credchain demo ARGS` with `env` (bounded: a demo that hangs fails the test).
fn demo(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out");
    let err_path = dir.path().join("err");
    let mut child = Command::new(BIN)
        .arg("demo")
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("credchain demo did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status.code().unwrap(),
        std::fs::read_to_string(out_path).unwrap(),
        std::fs::read_to_string(err_path).unwrap(),
    )
}

/// The text between `prefix` and `suffix` on the line starting with `prefix`.
fn field<'t>(out: &'t str, prefix: &str, suffix: &str) -> &'t str {
    let line = out
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?}:\n{out}"));
    let rest = &line[prefix.len()..];
    if suffix.is_empty() {
        return rest;
    }
    &rest[..rest
        .find(suffix)
        .unwrap_or_else(|| panic!("{line:?} lacks {suffix:?}"))]
}

/// The lines from the one equal to `first` up to the next blank one.
fn block<'t>(out: &'t str, first: &str) -> Vec<&'t str> {
    out.lines()
        .skip_while(|l| *l != first)
        .take_while(|l| !l.is_empty())
        .collect()
}

/// `lines` appear in `out` in this order (each a whole line).
fn assert_in_order(out: &str, lines: &[String]) {
    let all: Vec<&str> = out.lines().collect();
    let mut at = 0;
    for want in lines {
        match all[at..].iter().position(|l| l == want) {
            Some(i) => at += i + 1,
            None => panic!("line {want:?} missing (or out of order) in:\n{out}"),
        }
    }
}

/// No word that could be a secret: the secret keys are 40 random characters of base64 (upper
/// and lower case and digits), the session tokens hundreds, the IMDS token 56; access key ids
/// (20, upper case and digits) are shorter, and paths have no upper case or no digits. (The
/// demo also checks its own output against the exact secrets it handled.)
fn assert_no_secret(text: &str) {
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "+/=_-".contains(c))) {
        let random_like = word.len() >= 40
            && word.bytes().any(|b| b.is_ascii_uppercase())
            && word.bytes().any(|b| b.is_ascii_lowercase())
            && word.bytes().any(|b| b.is_ascii_digit());
        assert!(!random_like, "a secret-like word was printed: {word}");
    }
    assert!(
        !text.contains("IQoJb3JpZ2lu"),
        "a session token was printed"
    );
}

fn check_story(out: &str, home: &str) {
    let t0 = Timestamp::parse(field(out, "The time on the instance is ", ",")).unwrap();
    let at = |mins: i64| t0.checked_add_secs(mins * 60).unwrap().to_string();
    let port = field(
        out,
        "An EC2 instance metadata service (IMDS) listens on http://127.0.0.1:",
        "/",
    );
    assert!(port.parse::<u16>().unwrap() > 0);
    let key1 = field(out, "  <   AccessKeyId  ", "").to_owned();
    let key2 = field(out, "  New credentials ", " ").to_owned();
    for key in [&key1, &key2] {
        assert!(key.starts_with("ASIA") && key.len() == 20, "{key}");
    }
    assert_ne!(key1, key2, "the refresh must bring the rotated credentials");
    let role = "/latest/meta-data/iam/security-credentials/credchain-demo-role";
    let listing = "/latest/meta-data/iam/security-credentials/";

    assert_in_order(
        out,
        &[
            "Step 1  Ask for a session token (IMDSv2)".to_owned(),
            "  > PUT /latest/api/token".to_owned(),
            "  > X-aws-ec2-metadata-token-ttl-seconds: 21600".to_owned(),
            "  < 200 OK, X-aws-ec2-metadata-token-ttl-seconds: 21600".to_owned(),
            // 42 random bytes in base64.
            "  < a token of 56 characters (not shown: it opens the metadata for six hours)"
                .to_owned(),
            "  The answer left with IP TTL 1 (the hop limit): one router further it is dropped,"
                .to_owned(),
            "Step 2  Ask which role the instance has".to_owned(),
            format!("  > GET {listing}"),
            "  > X-aws-ec2-metadata-token: <the token>".to_owned(),
            "  < 200 OK, text/plain".to_owned(),
            "  < credchain-demo-role".to_owned(),
            "Step 3  Ask for the role's credentials".to_owned(),
            format!("  > GET {role}"),
            "  <   Code         Success".to_owned(),
            "  <   Type         AWS-HMAC".to_owned(),
            format!("  <   AccessKeyId  {key1}"),
            format!("  <   Expiration   {} (40m from now)", at(40)),
            "  <   SecretAccessKey (40 characters) and Token (336 characters): not shown"
                .to_owned(),
            "Step 4  The same request without the token (IMDSv1)".to_owned(),
            format!("  > GET {listing}"),
            "  < 401 Unauthorized".to_owned(),
            "Step 5  The same through botocore's chain, as boto3 and the AWS CLI do it".to_owned(),
            "    PUT /latest/api/token -> 200, token issued for 21600 s, sent with IP TTL 1"
                .to_owned(),
            format!("    GET {listing} -> 200, token valid"),
            format!("    GET {role} -> 200, token valid"),
            format!(
                "  Credentials {key1} from iam-role, expiring {} (40m from now)",
                at(40)
            ),
            format!("  Asked again: {key1} (0 requests made)."),
            "Step 6  The refresh".to_owned(),
            "  The clock moves 26 minutes forward (the chain's and the server's clocks together)."
                .to_owned(),
            format!(
                "  Now {}: {key1} has 14m left, inside the advisory window.",
                at(26)
            ),
            format!(
                "  Asked now, the cache hands out {key1} at once and refreshes in the background"
            ),
            "  The server recorded:".to_owned(),
            // The token is reused: no PUT.
            format!("    GET {listing} -> 200, token valid"),
            format!("    GET {role} -> 200, token valid"),
            format!("  New credentials {key2} (the server issued them at minute 20),"),
            format!("  expiring {} (34m from now)", at(60)),
            "Step 7  credchain explain, in this environment".to_owned(),
        ],
    );
    // Exactly two requests after the clock moved: the line after "The server recorded:".
    let recorded: Vec<&str> = block(out, "  The server recorded:")
        .into_iter()
        .skip(1)
        .take_while(|l| l.starts_with("    "))
        .collect();
    assert_eq!(recorded.len(), 2, "{recorded:?}");

    // The explanation: everything but iam-role found nothing; the refreshed set won.
    let sources = block(out, "Sources, in botocore's order");
    assert_eq!(sources.len(), 13, "{sources:?}");
    for line in &sources[1..12] {
        assert!(line.contains("  nothing   "), "{line}");
    }
    assert!(
        sources[12].starts_with("  12  iam-role                       supplied  ")
            && sources[12].ends_with(&format!("expiring {}", at(60))),
        "{}",
        sources[12]
    );
    let result = block(out, "Result    credentials from iam-role");
    assert_eq!(result[1], format!("  access key id  {key2}"));
    assert_eq!(result[4], format!("  expires        {} (in 34m)", at(60)));
    // Only the demo's own temporary home, never the user's, and not /etc/boto.cfg.
    let files = block(out, "Files");
    assert_eq!(files.len(), 4, "{files:?}");
    for line in &files[1..] {
        assert!(line.contains("/credchain-demo-home-"), "{line}");
        assert!(!line.contains(home), "{line}");
        assert!(line.ends_with("  missing"), "{line}");
    }
    assert_in_order(
        out,
        &[
            "The server answered 12 requests. Checked: nothing above shows any of the 5 secrets"
                .to_owned(),
            "Now on your own setup: credchain explain".to_owned(),
        ],
    );
    assert_no_secret(out);
}

#[test]
fn the_demo_tells_each_step_and_exits_0() {
    let home = tempfile::tempdir().unwrap();
    let home_path = home.path().display().to_string();
    let (code, out, err) = demo(&[], &[("HOME", &home_path)]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(err, "");
    check_story(&out, &home_path);
}

#[test]
fn the_demo_reads_nothing_of_the_user_s() {
    // A home with credentials, and variables that would win in botocore's chain: the demo's
    // environment is its own, so the story is the same and none of these show.
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIDUSERFILE\naws_secret_access_key = userFileSecret\n",
    )
    .unwrap();
    let home_path = home.path().display().to_string();
    let (code, out, err) = demo(
        &["--color", "always"],
        &[
            ("HOME", &home_path),
            ("AWS_ACCESS_KEY_ID", "AKIDUSERENV"),
            ("AWS_SECRET_ACCESS_KEY", "userEnvSecret"),
            ("AWS_PROFILE", "nonexistent"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("NO_COLOR", "1"),
        ],
    );
    assert_eq!(code, 0, "{out}\n{err}");
    for word in ["AKIDUSER", "userFileSecret", "userEnvSecret", "nonexistent"] {
        assert!(!out.contains(word), "{word} leaked into the demo:\n{out}");
    }
    // --color always colours the explain part (NO_COLOR only affects `auto`).
    assert!(out.contains('\u{1b}'));
    let plain: String = strip_sgr(&out);
    check_story(&plain, &home_path);
}

fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn bad_arguments_exit_2() {
    let (code, out, err) = demo(&["--color", "purple"], &[]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert!(
        err.starts_with("error: invalid value 'purple' for '--color <COLOR>'"),
        "{err}"
    );
    let (code, _, err) = demo(&["--jsonn"], &[]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("error: unexpected argument '--jsonn' found"),
        "{err}"
    );
}

#[test]
fn the_secret_check_catches_the_server_s_secrets() {
    // The check above would see a secret key, a session token or an IMDS token, had one been
    // printed: try it on credentials made by the same generator the demo's server uses.
    let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
    for _ in 0..20 {
        let c = credchain_server::Credentials::generate(now, now).unwrap();
        for secret in [c.secret_access_key, c.session_token] {
            let printed = format!("  <   SecretAccessKey {secret}\n");
            let caught = std::panic::catch_unwind(|| assert_no_secret(&printed)).is_err();
            assert!(caught, "not caught: {secret}");
        }
    }
}

/// `--json`: one JSON document on standard output, the same story as the text: each step by
/// name, the requests it made and what they got, the times exact on the demo's clock, and no
/// secret (lengths only).
#[test]
fn the_demo_tells_the_same_story_as_json() {
    let (code, out, err) = demo(&["--json"], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    assert_no_secret(&out);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["demo"], "credchain");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["imds"]["http_tokens"], "required");
    assert_eq!(doc["imds"]["hop_limit"], 1);
    assert_eq!(doc["imds"]["role"], "credchain-demo-role");
    assert_eq!(doc["imds"]["lifetime_seconds"], 2400);
    assert_eq!(doc["imds"]["rotation_seconds"], 600);
    let endpoint = doc["imds"]["endpoint"].as_str().unwrap();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let t0 = Timestamp::parse(doc["start"].as_str().unwrap()).unwrap();
    let at = |mins: i64| t0.checked_add_secs(mins * 60).unwrap().to_string();

    let steps = doc["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "token",
            "role",
            "credentials",
            "imdsv1",
            "chain",
            "refresh",
            "explain"
        ]
    );
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s["step"], i + 1, "{s}");
        assert!(!s["title"].as_str().unwrap().is_empty(), "{s}");
    }
    let role = "credchain-demo-role";
    let listing = "/latest/meta-data/iam/security-credentials/";
    let document = format!("{listing}{role}");

    let put = &steps[0]["requests"][0];
    assert_eq!(put["method"], "PUT");
    assert_eq!(put["path"], "/latest/api/token");
    assert_eq!(
        put["headers"],
        serde_json::json!({"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
    );
    assert_eq!(
        (&put["status"], &put["reason"]),
        (&200.into(), &"OK".into())
    );
    assert_eq!(put["response"]["ttl_seconds_header"], "21600");
    assert_eq!(put["response"]["token_length"], 56);
    assert_eq!(put["response"]["ip_ttl"], 1);

    let get = &steps[1]["requests"][0];
    assert_eq!(
        (&get["method"], &get["path"]),
        (&"GET".into(), &listing.into())
    );
    assert_eq!(get["headers"]["X-aws-ec2-metadata-token"], "<the token>");
    assert_eq!(get["status"], 200);
    assert_eq!(get["response"]["role"], role);

    let doc3 = &steps[2]["requests"][0];
    assert_eq!(doc3["path"], document.as_str());
    assert_eq!(doc3["status"], 200);
    let r = &doc3["response"];
    assert_eq!(
        (&r["Code"], &r["Type"]),
        (&"Success".into(), &"AWS-HMAC".into())
    );
    assert_eq!(r["Expiration"], at(40).as_str());
    assert_eq!(r["seconds_left"], 2400);
    assert_eq!(r["secret_access_key_length"], 40);
    assert!(r["token_length"].as_u64().unwrap() > 100, "{r}");
    let key1 = r["AccessKeyId"].as_str().unwrap();

    let v1 = &steps[3];
    assert_eq!(v1["requests"][0]["headers"], serde_json::json!({}));
    assert_eq!(v1["requests"][0]["status"], 401);
    assert_eq!(v1["refused"], true);

    let chain = &steps[4];
    let seen: Vec<(String, String, u64, String)> = chain["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["status"].as_u64().unwrap(),
                r["token"]["kind"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let row = |m: &str, p: &str, k: &str| (m.to_owned(), p.to_owned(), 200, k.to_owned());
    assert_eq!(
        seen,
        [
            row("PUT", "/latest/api/token", "issued"),
            row("GET", listing, "valid"),
            row("GET", &document, "valid"),
        ]
    );
    assert_eq!(chain["requests"][0]["token"]["ttl_seconds"], 21600);
    let c = &chain["credentials"];
    assert_eq!(c["access_key_id"], key1);
    assert_eq!(c["provider"], "iam-role");
    assert_eq!(c["session_token"], true);
    assert_eq!(c["expiration"], at(40).as_str());
    assert_eq!(c["seconds_left"], 2400);
    assert_eq!(chain["asked_again"]["access_key_id"], key1);
    assert_eq!(chain["asked_again"]["requests_made"], 0);

    let refresh = &steps[5];
    assert_eq!(refresh["clock_moved_seconds"], 26 * 60);
    assert_eq!(refresh["now"], at(26).as_str());
    assert_eq!(refresh["before"]["access_key_id"], key1);
    assert_eq!(refresh["before"]["seconds_left"], 14 * 60);
    assert_eq!(refresh["served_while_refreshing"], key1);
    // No token request: the token is reused.
    let paths: Vec<&str> = refresh["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, [listing, document.as_str()]);
    let after = &refresh["after"];
    assert_ne!(after["access_key_id"], key1);
    // Issued at minute 20, valid 40: expires at minute 60, 34 minutes after minute 26.
    assert_eq!(after["expiration"], at(60).as_str());
    assert_eq!(after["seconds_left"], 34 * 60);

    let explained = &steps[6]["explanation"];
    let text = explained.to_string();
    assert!(text.contains("iam-role"), "{text}");
    assert!(
        text.contains(after["access_key_id"].as_str().unwrap()),
        "{text}"
    );

    assert_eq!(doc["requests_seen"], 12);
    assert_eq!(doc["secrets_checked"], 5);
}
