//! Awkward and hostile profile files, in both dialects, each with its exact outcome: a byte
//! order mark, CRLF and lone CR line ends, tabs, a 1 MB line, NUL bytes, invalid UTF-8, and
//! files with 100,000 profiles (with repeats at both ends).

// Test code: a failed expectation is a panic, and the inputs are ours.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::time::{Duration, Instant};

use credchain_core::profile::{Dialect, FileKind, ParseError, ParseErrorKind, ProfileFile};

const BOTO: Dialect = Dialect::Botocore;
const SDK: Dialect = Dialect::Sdk;
const CONFIG: FileKind = FileKind::Config;
const CREDS: FileKind = FileKind::Credentials;

fn parse(text: &str, kind: FileKind, dialect: Dialect) -> ProfileFile<'_> {
    ProfileFile::parse(text, kind, dialect)
        .unwrap_or_else(|e| panic!("{dialect:?} should parse {:?}: {e}", excerpt(text)))
}

fn fails(text: &str, kind: FileKind, dialect: Dialect) -> ParseError {
    match ProfileFile::parse(text, kind, dialect) {
        Ok(_) => panic!("{dialect:?} should reject {:?}", excerpt(text)),
        Err(e) => e,
    }
}

fn excerpt(text: &str) -> String {
    text.chars().take(80).collect()
}

fn value(file: &ProfileFile<'_>, profile: &str, key: &str) -> Option<String> {
    Some(file.profile(profile)?.get(key)?.to_string())
}

/// (kind, line, column, offset)
fn at(e: &ParseError) -> (ParseErrorKind, u32, u32, usize) {
    (e.kind, e.line, e.column, e.offset)
}

#[test]
fn byte_order_mark() {
    // botocore does not strip it: the first line is not a header, so the file fails.
    let text = "\u{feff}[default]\nregion = us-east-1\n";
    let e = fails(text, CONFIG, BOTO);
    assert_eq!(at(&e), (ParseErrorKind::MissingSectionHeader, 1, 1, 0));
    assert!(e.to_string().contains("section header"), "{e}");
    let e = fails(text, CONFIG, SDK);
    assert_eq!(at(&e), (ParseErrorKind::ExpectedProfile, 1, 1, 0));
    assert!(
        e.to_string().contains("Expected a profile definition"),
        "{e}"
    );
    // Further on, it is an ordinary character of a value.
    for d in [BOTO, SDK] {
        let f = parse("[profile a]\nk = \u{feff}v\n", CONFIG, d);
        assert_eq!(value(&f, "a", "k").as_deref(), Some("\u{feff}v"));
    }
}

#[test]
fn crlf_line_ends() {
    let text = "[profile a]\r\nregion = us-east-1\r\n  more\r\noutput = json\r\n";
    for d in [BOTO, SDK] {
        let f = parse(text, CONFIG, d);
        assert_eq!(
            value(&f, "a", "region").as_deref(),
            Some("us-east-1\nmore"),
            "{d:?}"
        );
        assert_eq!(value(&f, "a", "output").as_deref(), Some("json"), "{d:?}");
        assert_eq!(f.profile("a").unwrap().get("output").unwrap().line(), 4);
    }
    let bad = "[profile a]\r\nregion = x\r\nnot a property\r\n";
    assert_eq!(
        at(&fails(bad, CONFIG, BOTO)),
        (ParseErrorKind::MissingDelimiter, 3, 1, 25)
    );
    assert_eq!(
        at(&fails(bad, CONFIG, SDK)),
        (ParseErrorKind::PropertyWithoutEquals, 3, 1, 25)
    );
}

#[test]
fn lone_carriage_returns() {
    // Python's universal newlines end a line at a lone `\r`; Rust's `lines()` (the SDK) does not.
    let text = "[profile a]\rregion = x\r  y\r";
    let f = parse(text, CONFIG, BOTO);
    assert_eq!(value(&f, "a", "region").as_deref(), Some("x\ny"));
    assert_eq!(f.profile("a").unwrap().get("region").unwrap().line(), 2);
    let e = fails(text, CONFIG, SDK);
    assert_eq!(at(&e), (ParseErrorKind::UnclosedProfile, 1, 1, 0));
    assert!(
        e.to_string()
            .contains("Profile definition must end with ']'"),
        "{e}"
    );
}

#[test]
fn tabs() {
    let text = "[profile\ta]\nregion\t=\tus-east-1\t\n";
    for d in [BOTO, SDK] {
        let f = parse(text, CONFIG, d);
        assert_eq!(
            value(&f, "a", "region").as_deref(),
            Some("us-east-1"),
            "{d:?}"
        );
    }
    // An indented first option: botocore reads an option (nothing is open to continue); the SDK
    // reads a continuation with no property before it.
    let text = "[profile a]\n\tregion = us-east-1\n";
    let f = parse(text, CONFIG, BOTO);
    assert_eq!(value(&f, "a", "region").as_deref(), Some("us-east-1"));
    assert_eq!(
        at(&fails(text, CONFIG, SDK)),
        (ParseErrorKind::ContinuationWithoutProperty, 2, 2, 13)
    );
    // A tab continues a value in both.
    let f = parse("[profile a]\nk = 1\n\t2\n", CONFIG, SDK);
    assert_eq!(value(&f, "a", "k").as_deref(), Some("1\n2"));
}

#[test]
fn one_megabyte_line() {
    let long = "x".repeat(1 << 20);
    let text = format!("[profile a]\nk = {long}\nk2 = v\n");
    for d in [BOTO, SDK] {
        let f = parse(&text, CONFIG, d);
        let v = f.profile("a").unwrap().get("k").unwrap();
        assert_eq!(v.as_str(), Some(long.as_str()), "{d:?}");
        assert_eq!(v.len(), 1 << 20);
        assert_eq!(value(&f, "a", "k2").as_deref(), Some("v"));
    }
    // A 1 MB line that is not a file: no header before it.
    assert_eq!(
        at(&fails(&long, CONFIG, BOTO)),
        (ParseErrorKind::MissingSectionHeader, 1, 1, 0)
    );
    assert_eq!(
        at(&fails(&long, CONFIG, SDK)),
        (ParseErrorKind::ExpectedProfile, 1, 1, 0)
    );
    // A 1 MB header that never closes.
    let open = format!("[profile a]\n[{long}\n");
    assert_eq!(
        at(&fails(&open, CONFIG, BOTO)),
        (ParseErrorKind::UnclosedSectionHeader, 2, 1, 12)
    );
    assert_eq!(
        at(&fails(&open, CONFIG, SDK)),
        (ParseErrorKind::UnclosedProfile, 2, 1, 12)
    );
    // Its excerpt is cut short.
    let e = fails(&open, CONFIG, BOTO);
    assert!(
        e.excerpt().len() <= 48 && e.to_string().ends_with("…`"),
        "{e}"
    );
}

#[test]
fn nul_bytes() {
    for d in [BOTO, SDK] {
        let f = parse("[profile a]\nk = a\0b\n", CONFIG, d);
        assert_eq!(value(&f, "a", "k").as_deref(), Some("a\0b"), "{d:?}");
    }
    // In a name: botocore keeps it; the SDK ignores a name that is not an identifier.
    let f = parse("[a\0]\nk = v\n", CREDS, BOTO);
    assert_eq!(value(&f, "a\0", "k").as_deref(), Some("v"));
    let f = parse("[a\0]\nk = v\n", CREDS, SDK);
    assert_eq!(f.profiles().count(), 0);
    // A NUL alone is not white space for either.
    assert_eq!(
        fails("\0\n[a]\n", CREDS, BOTO).kind,
        ParseErrorKind::MissingSectionHeader
    );
    assert_eq!(
        fails("\0\n[a]\n", CREDS, SDK).kind,
        ParseErrorKind::ExpectedProfile
    );
}

#[test]
fn invalid_utf8() {
    let bytes: &[u8] = b"[profile a]\nk = ok\nbad = \xff\n";
    for d in [BOTO, SDK] {
        let e = ProfileFile::parse_bytes(bytes, CONFIG, d).unwrap_err();
        assert_eq!(at(&e), (ParseErrorKind::InvalidUtf8, 3, 7, 25), "{d:?}");
        let text = e.to_string();
        assert!(
            text.contains("UTF-8") && text.contains("line 3, column 7"),
            "{text}"
        );
        assert!(text.starts_with("config file"), "{text}");
    }
    // Column counts characters, not bytes; a truncated sequence at the very end is caught.
    let mut bytes = "[é]\né = é".as_bytes().to_vec();
    bytes.extend_from_slice(b"\xe2\x82");
    let e = ProfileFile::parse_bytes(&bytes, CREDS, BOTO).unwrap_err();
    assert_eq!(at(&e), (ParseErrorKind::InvalidUtf8, 2, 6, 12));
    assert!(
        e.to_string()
            .starts_with("credentials file, line 2, column 6"),
        "{e}"
    );
    // Encoded surrogates are invalid for Python too.
    let e = ProfileFile::parse_bytes(b"[a]\nk = \xed\xa0\x80\n", CREDS, SDK).unwrap_err();
    assert_eq!(at(&e), (ParseErrorKind::InvalidUtf8, 2, 5, 8));
}

/// 100,000 profiles of three lines each, in increasing order of their names (`p0`, `p1`, …).
fn many_profiles(config: bool) -> String {
    profiles_in_order(config, 0..100_000)
}

fn profiles_in_order(config: bool, order: impl Iterator<Item = usize>) -> String {
    let mut text = String::with_capacity(100_000 * 72);
    for i in order {
        if config {
            text.push_str(&format!("[profile p{i}]\n"));
        } else {
            text.push_str(&format!("[p{i}]\n"));
        }
        text.push_str(&format!("aws_access_key_id = AKIA{i:016}\nregion = r{i}\n"));
    }
    text
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    println!("{what}: {took:?}");
    // Quadratic work on this input would take hours; this only catches that.
    assert!(took < Duration::from_secs(60), "{what} took {took:?}");
    out
}

#[test]
fn hundred_thousand_profiles() {
    let config = many_profiles(true);
    let credentials = many_profiles(false);
    for d in [BOTO, SDK] {
        for (text, kind) in [(&config, CONFIG), (&credentials, CREDS)] {
            let f = timed(&format!("{d:?} {kind}: parse 100,000 profiles"), || {
                parse(text, kind, d)
            });
            assert_eq!(value(&f, "p0", "region").as_deref(), Some("r0"));
            assert_eq!(value(&f, "p99999", "region").as_deref(), Some("r99999"));
            assert_eq!(f.profile("p99999").unwrap().line(), 299_998);
            assert!(f.profile("p100000").is_none());
            let count = timed(&format!("{d:?} {kind}: list them"), || f.profiles().count());
            assert_eq!(count, 100_000);
            // The bytes API reads the same file.
            let g = ProfileFile::parse_bytes(text.as_bytes(), kind, d).unwrap();
            assert_eq!(value(&g, "p54321", "region").as_deref(), Some("r54321"));
            // A caller's big scratch does it in one pass, with the same result.
            let mut scratch = vec![0u64; 1 << 16];
            let h = timed(
                &format!("{d:?} {kind}: parse with a 512 KiB scratch"),
                || ProfileFile::parse_with_scratch(text, kind, d, &mut scratch).unwrap(),
            );
            assert_eq!(value(&h, "p77777", "region").as_deref(), Some("r77777"));
        }
    }
}

#[test]
fn hundred_thousand_profiles_in_decreasing_order() {
    // Names in increasing order are distinct without a search; these take the general path,
    // the repeat search over many classes.
    for (kind, config) in [(CONFIG, true), (CREDS, false)] {
        let text = profiles_in_order(config, (0..100_000).rev());
        for d in [BOTO, SDK] {
            let f = timed(
                &format!("{d:?} {kind}: parse 100,000 profiles, decreasing"),
                || parse(&text, kind, d),
            );
            assert_eq!(value(&f, "p0", "region").as_deref(), Some("r0"));
            assert_eq!(f.profile("p0").unwrap().line(), 299_998);
            assert_eq!(value(&f, "p99999", "region").as_deref(), Some("r99999"));
            let count = timed(&format!("{d:?} {kind}: list them"), || f.profiles().count());
            assert_eq!(count, 100_000);
        }
    }
}

#[test]
fn hundred_thousand_profiles_with_repeats_at_both_ends() {
    let body = many_profiles(true);
    let total_lines = 300_000;

    // A repeat at the end of the file, of the first profile.
    let tail = format!("{body}[profile p0]\nregion = late\n");
    let e = timed("Botocore: repeat at the end", || fails(&tail, CONFIG, BOTO));
    assert_eq!(e.kind, ParseErrorKind::DuplicateSection { first_line: 1 });
    assert_eq!((e.line, e.column), (total_lines + 1, 1));
    assert_eq!(e.excerpt(), "[profile p0]");
    let f = timed("Sdk: repeat at the end", || parse(&tail, CONFIG, SDK));
    assert_eq!(f.profiles().count(), 100_000);
    assert_eq!(value(&f, "p0", "region").as_deref(), Some("late"));
    assert_eq!(
        value(&f, "p0", "aws_access_key_id").as_deref(),
        Some("AKIA0000000000000000")
    );

    // Repeats at both ends: botocore reports the first one in the file.
    let both = format!(
        "[profile dup-a]\n[profile dup-a]\n{body}[profile dup-z]\nk = 1\n[profile dup-z]\nk = 2\n"
    );
    let e = timed("Botocore: repeats at both ends", || {
        fails(&both, CONFIG, BOTO)
    });
    assert_eq!(e.kind, ParseErrorKind::DuplicateSection { first_line: 1 });
    assert_eq!(e.line, 2);
    let f = timed("Sdk: repeats at both ends", || parse(&both, CONFIG, SDK));
    assert_eq!(value(&f, "dup-z", "k").as_deref(), Some("2"));
    assert!(f.profile("dup-a").is_some());
    assert_eq!(timed("Sdk: list them", || f.profiles().count()), 100_002);

    // A repeated option inside the last of 100,000 sections.
    let key = format!("{body}Region = again\n");
    let e = timed("Botocore: repeated option at the end", || {
        fails(&key, CONFIG, BOTO)
    });
    assert_eq!(
        e.kind,
        ParseErrorKind::DuplicateOption {
            first_line: total_lines
        }
    );
    assert_eq!(e.line, total_lines + 1);
    let f = parse(&key, CONFIG, SDK);
    assert_eq!(value(&f, "p99999", "region").as_deref(), Some("again"));

    // The credentials file: the last profile repeated at the very top.
    let creds = many_profiles(false);
    let top = format!("[p99999]\n{creds}");
    let e = timed("Botocore: credentials repeat", || fails(&top, CREDS, BOTO));
    assert_eq!(e.kind, ParseErrorKind::DuplicateSection { first_line: 1 });
    assert_eq!(e.line, 299_999);
}
