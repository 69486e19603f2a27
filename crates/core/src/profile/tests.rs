//! Unit tests of the profile reader's tricky pieces: indentation-relative continuation,
//! `[DEFAULT]`, which section wins a name, the duplicate search through a tiny scratch, the
//! SDK's merging, error positions, and the borrowed views. (shlex, the hash search and Python's
//! text rules have their own tests beside their code.)

use super::*;
use crate::buf::BufferTooSmall;
use core::fmt::Write as _;
use heapless::String as HString;

const BOTO: Dialect = Dialect::Botocore;
const SDK: Dialect = Dialect::Sdk;
const CONFIG: FileKind = FileKind::Config;
const CREDS: FileKind = FileKind::Credentials;

fn parse(text: &str, kind: FileKind, dialect: Dialect) -> ProfileFile<'_> {
    match ProfileFile::parse(text, kind, dialect) {
        Ok(f) => f,
        Err(e) => panic!("{e}"),
    }
}

fn err(text: &str, kind: FileKind, dialect: Dialect) -> ParseError {
    match ProfileFile::parse(text, kind, dialect) {
        Ok(_) => panic!("expected an error for {text:?}"),
        Err(e) => e,
    }
}

/// `profile(name).get(key)` as an owned string (a fixed-size one: no allocation here).
fn get(file: &ProfileFile<'_>, profile: &str, key: &str) -> Option<HString<128>> {
    let value = file.profile(profile)?.get(key)?;
    let mut buf = [0u8; 128];
    let text = value.write_to(&mut buf).unwrap();
    Some(HString::try_from(text).unwrap())
}

/// The keys of a section, in `properties()` order, joined with ','.
fn keys(section: Section<'_>) -> HString<256> {
    let mut out = HString::new();
    for (i, p) in section.properties().enumerate() {
        if i > 0 {
            out.push(',').unwrap();
        }
        for f in p.key.fragments() {
            out.push_str(f).unwrap();
        }
    }
    out
}

#[test]
fn continuation_is_relative_to_the_option_line() {
    let f = parse(
        "[default]\nregion = us-west-2\n  aws_access_key_id = foo\n\
         [profile a]\n  x = 1\n   more\n  y = 2\n",
        CONFIG,
        BOTO,
    );
    // An indented `key = value` after an option is part of its value (spec §3.2 step 3).
    assert_eq!(
        get(&f, "default", "region").unwrap(),
        "us-west-2\naws_access_key_id = foo"
    );
    assert_eq!(get(&f, "default", "aws_access_key_id"), None);
    // Indentation counts from the option's own line: 3 > 2 continues, 2 does not.
    assert_eq!(get(&f, "a", "x").unwrap(), "1\nmore");
    assert_eq!(get(&f, "a", "y").unwrap(), "2");
    // An indented header after an option is swallowed.
    let f = parse("[profile p]\nx = 1\n  [profile q]\n", CONFIG, BOTO);
    assert_eq!(get(&f, "p", "x").unwrap(), "1\n[profile q]");
    assert!(f.profile("q").is_none());
    // A tab is one character of indentation, like a space.
    assert_eq!(
        err("[profile p]\n\tx = 1\n y\n", CONFIG, BOTO).kind,
        ParseErrorKind::MissingDelimiter
    );
}

#[test]
fn blank_lines_stay_inside_values_and_trailing_ones_go() {
    let f = parse(
        "[profile p]\nx = 1\n\n\n  y\n\n# c\n  z\n\n\n",
        CONFIG,
        BOTO,
    );
    let v = f.profile("p").unwrap().get("x").unwrap();
    assert_eq!(v.as_str(), None);
    assert!(v.eq_str("1\n\n\ny\n\nz"));
    assert_eq!(v.len(), 8);
    let mut frags: HString<64> = HString::new();
    for frag in v.fragments() {
        assert!(!frag.is_empty());
        frags.push_str(frag).unwrap();
        frags.push('|').unwrap();
    }
    assert_eq!(frags, "1|\n|\n|\n|y|\n|\n|z|");
    let mut small = [0u8; 4];
    assert_eq!(
        v.write_to(&mut small),
        Err(BufferTooSmall {
            needed: 8,
            available: 4
        })
    );
    // The SDK skips blank lines.
    let s = parse("[profile p]\nx = 1\n\n  y\n", CONFIG, SDK);
    assert_eq!(get(&s, "p", "x").unwrap(), "1\ny");
}

#[test]
fn lone_carriage_returns_end_lines_for_botocore_only() {
    let f = parse("[profile p]\rx = 1\r  y\r\r", CONFIG, BOTO);
    assert_eq!(get(&f, "p", "x").unwrap(), "1\ny");
    let e = err("[profile p]\rx = 1\r", CONFIG, SDK);
    assert_eq!(e.kind, ParseErrorKind::UnclosedProfile);
}

#[test]
fn default_section_is_inherited_everywhere() {
    let text = "[DEFAULT]\nregion = eu-west-1\noutput = json\n\
                [profile a]\nregion = us-east-1\n[sso-session s]\n[DEFAULT]\nextra = 1\n";
    let f = parse(text, CONFIG, BOTO);
    // Own keys first, then the DEFAULT ones it lacks, in file order (configparser's order).
    assert_eq!(keys(f.profile("a").unwrap()), "region,output,extra");
    assert_eq!(get(&f, "a", "region").unwrap(), "us-east-1");
    assert_eq!(get(&f, "a", "extra").unwrap(), "1");
    let s = f.sso_session("s").unwrap();
    assert_eq!(keys(s), "region,output,extra");
    // DEFAULT alone is not a profile.
    assert!(f.profile("DEFAULT").is_none());
    assert_eq!(f.profiles().count(), 1);
    // Its keys may not repeat, even across DEFAULT sections and in another case.
    let e = err("[DEFAULT]\na = 1\n[x]\n[DEFAULT]\nA = 2\n", CREDS, BOTO);
    assert_eq!(e.kind, ParseErrorKind::DuplicateOption { first_line: 2 });
    assert_eq!((e.line, e.column), (5, 1));
}

#[test]
fn malformed_nested_default_fails_only_where_inherited() {
    // Overridden in every section: botocore never parses it.
    assert!(ProfileFile::parse("[DEFAULT]\ns3 =\n  bad\n[a]\ns3 = 1\n", CREDS, BOTO).is_ok());
    // No section at all: nothing inherits it.
    assert!(ProfileFile::parse("[DEFAULT]\ns3 =\n  bad\n", CREDS, BOTO).is_ok());
    let e = err("[DEFAULT]\ns3 =\n  bad\n[a]\ns3 = 1\n[b]\n", CREDS, BOTO);
    assert_eq!(e.kind, ParseErrorKind::BadNestedLine);
    assert_eq!(e.line, 2);
}

#[test]
fn which_section_is_which_profile() {
    let f = parse(
        "[profile default]\nx = 1\n[default]\ny = 2\n[profilefoo bar]\nz = 3\n[profile a b]\n\
         [profile \"my profile\"]\nq = 4\n[foo]\nw = 5\n[ profile c ]\n",
        CONFIG,
        BOTO,
    );
    // The later of [default] / [profile default] wins entirely.
    assert_eq!(get(&f, "default", "y").unwrap(), "2");
    assert_eq!(get(&f, "default", "x"), None);
    assert_eq!(get(&f, "bar", "z").unwrap(), "3");
    assert_eq!(get(&f, "my profile", "q").unwrap(), "4");
    let names: heapless::Vec<HString<16>, 8> = f
        .profiles()
        .map(|s| {
            let mut n = HString::new();
            for frag in s.name().fragments() {
                n.push_str(frag).unwrap();
            }
            n
        })
        .collect();
    assert_eq!(names, ["default", "bar", "my profile"]);
    // The name of a quoted profile is not one slice; its header line is known.
    let quoted = f.profile("my profile").unwrap();
    assert_eq!(quoted.name().as_str(), Some("my profile"));
    assert_eq!(quoted.line(), 8);
    // The credentials file takes names verbatim.
    let c = parse("[profile foo]\nk = v\n[ spaced ]\n", CREDS, BOTO);
    assert!(c.profile("profile foo").is_some());
    assert!(c.profile(" spaced ").is_some());
    // The SDK: [profile default] wins wherever it is; other rules differ too.
    let s = parse(
        "[profile default]\nx = 1\n[default]\ny = 2\n[   profile c    ]\n",
        CONFIG,
        SDK,
    );
    assert_eq!(get(&s, "default", "x").unwrap(), "1");
    assert_eq!(get(&s, "default", "y"), None);
    assert!(s.profile("c").is_some());
}

#[test]
fn repeats_are_found_through_a_tiny_scratch() {
    // 300 sections and a scratch of 16 entries: many classes, many passes.
    let mut text: HString<8192> = HString::new();
    for i in 0..300 {
        core::fmt::Write::write_fmt(&mut text, format_args!("[p{i}]\nk = {i}\n")).unwrap();
    }
    let mut scratch = [0u64; 16];
    let f = ProfileFile::parse_with_scratch(&text, CREDS, BOTO, &mut scratch).unwrap();
    assert_eq!(f.profiles().count(), 300);
    let mut dup = text.clone();
    dup.push_str("[p7]\n").unwrap();
    let e = ProfileFile::parse_with_scratch(&dup, CREDS, BOTO, &mut scratch).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::DuplicateSection { first_line: 15 });
    assert_eq!(e.line, 601);
    assert_eq!(e.excerpt(), "[p7]");
    // The same through the SDK: the repeat merges, the later value wins.
    let s = ProfileFile::parse_with_scratch(&dup, CREDS, SDK, &mut scratch).unwrap();
    assert_eq!(s.profiles().count(), 300);
    let mut more = dup.clone();
    more.push_str("k = late\n").unwrap();
    let s = ProfileFile::parse_with_scratch(&more, CREDS, SDK, &mut scratch).unwrap();
    assert_eq!(get(&s, "p7", "k").unwrap(), "late");
    assert_eq!(get(&s, "p8", "k").unwrap(), "8");
    // One section with 300 options and a repeated one (in another case) at the end.
    let mut big: HString<8192> = HString::new();
    big.push_str("[big]\n").unwrap();
    for i in 0..300 {
        core::fmt::Write::write_fmt(&mut big, format_args!("key{i} = {i}\n")).unwrap();
    }
    big.push_str("KEY0 = again\n").unwrap();
    let e = ProfileFile::parse_with_scratch(&big, CREDS, BOTO, &mut scratch).unwrap_err();
    assert_eq!(e.kind, ParseErrorKind::DuplicateOption { first_line: 2 });
    assert_eq!(e.line, 302);
}

#[test]
fn the_first_repeat_in_the_file_is_reported() {
    let e = err("[a]\nx = 1\n[b]\n[b]\n[a]\n", CREDS, BOTO);
    assert_eq!(e.kind, ParseErrorKind::DuplicateSection { first_line: 3 });
    assert_eq!(e.line, 4);
    // A repeat is raised at once by configparser, before earlier bad lines are reported.
    let e = err("[a]\nnot an option\n[a]\n", CREDS, BOTO);
    assert_eq!(e.kind, ParseErrorKind::DuplicateSection { first_line: 1 });
    // Lowercasing is Python's: K (Kelvin sign) and k are the same option.
    let e = err("[a]\n\u{212a} = 1\nk = 2\n", CREDS, BOTO);
    assert_eq!(e.kind, ParseErrorKind::DuplicateOption { first_line: 2 });
}

#[test]
fn option_names_are_lowercased_like_python() {
    let f = parse("[a]\n\u{130}X = 1\nAWS_Access_Key_ID: AKID\n", CREDS, BOTO);
    let a = f.profile("a").unwrap();
    assert_eq!(a.get("aws_access_key_id").unwrap().as_str(), Some("AKID"));
    assert_eq!(a.get("AWS_ACCESS_KEY_ID").unwrap().as_str(), Some("AKID"));
    let first = a.properties().next().unwrap();
    assert_eq!(first.key.as_str(), None);
    let mut frags: heapless::Vec<&str, 4> = heapless::Vec::new();
    for f in first.key.fragments() {
        frags.push(f).unwrap();
    }
    assert_eq!(frags, ["i", "\u{307}", "x"]);
    assert!(first.key.eq_str("i\u{307}x"));
    assert_eq!(first.key.len(), 4);
    assert!(a.get("i\u{307}x").is_some());
}

#[test]
fn nested_blocks() {
    let f = parse(
        "[default]\ns3 =\n  addressing_style = path\n  = empty\n  a = b = c\n  k = 1\n  k = 2\n\
         raw = # x\n  a = 1\n",
        CONFIG,
        BOTO,
    );
    let d = f.profile("default").unwrap();
    let s3 = d.get("s3").unwrap();
    let mut pairs: heapless::Vec<(&str, &str), 8> = heapless::Vec::new();
    for p in s3.sub_properties().unwrap() {
        pairs.push(p).unwrap();
    }
    assert_eq!(
        pairs,
        [
            ("addressing_style", "path"),
            ("", "empty"),
            ("a", "b = c"),
            ("k", "1"),
            ("k", "2")
        ]
    );
    assert_eq!(s3.sub_property("k"), Some("2"));
    assert!(s3.eq_str("\naddressing_style = path\n= empty\na = b = c\nk = 1\nk = 2"));
    // Not nested: the first line is not empty.
    assert!(d.get("raw").unwrap().sub_properties().is_none());
    let e = err("[default]\ns3 =\n  ok = 1\n  no equals\n", CONFIG, BOTO);
    assert_eq!((e.kind, e.line), (ParseErrorKind::BadNestedLine, 4));
    // The SDK keeps the raw text and checks each line.
    let s = parse("[profile p]\ns3 =\n  a = 1\n", CONFIG, SDK);
    assert_eq!(get(&s, "p", "s3").unwrap(), "\na = 1");
    let e = err("[profile p]\ns3 =\n  = 1\n", CONFIG, SDK);
    assert_eq!(e.kind, ParseErrorKind::SubPropertyWithoutName);
}

#[test]
fn sdk_comments_names_and_merging() {
    let f = parse(
        "[profile a] # c\nk = v # c\nk2 = v#not\n[profile a]\nK3 = 3\nin valid = x\n[profile b!]\nz = 1\n",
        CONFIG,
        SDK,
    );
    assert_eq!(get(&f, "a", "k").unwrap(), "v");
    assert_eq!(get(&f, "a", "k2").unwrap(), "v#not");
    assert_eq!(get(&f, "a", "k3").unwrap(), "3");
    assert_eq!(get(&f, "a", "in valid"), None);
    assert_eq!(keys(f.profile("a").unwrap()), "k,k2,k3");
    assert!(f.profile("b!").is_none());
    assert_eq!(f.profiles().count(), 1);
    assert_eq!(
        err("[profile a]\nk : v\n", CONFIG, SDK).kind,
        ParseErrorKind::PropertyWithoutEquals
    );
}

#[test]
fn errors_say_where_and_what() {
    let e = err("[default]\nregion = x\nregion us-east-1\n", CONFIG, BOTO);
    assert_eq!((e.line, e.column, e.offset), (3, 1, 21));
    let mut buf = [0u8; 256];
    let mut w = crate::buf::Writer::new(&mut buf);
    core::fmt::Write::write_fmt(&mut w, format_args!("{e}")).unwrap();
    assert_eq!(
        w.finish().unwrap(),
        "config file, line 3, column 1: expected '=' or ':' between an option name and its value, \
         found `region us-east-1`"
    );
    let e = err("  key = v\n", CREDS, BOTO);
    assert_eq!(
        (e.kind, e.line, e.column, e.offset),
        (ParseErrorKind::MissingSectionHeader, 1, 3, 2)
    );
    assert_eq!(
        err("\u{feff}[default]\n", CONFIG, BOTO).kind,
        ParseErrorKind::MissingSectionHeader
    );
    // Before any header, configparser only knows that a header is missing.
    assert_eq!(
        err("[default\n", CONFIG, BOTO).kind,
        ParseErrorKind::MissingSectionHeader
    );
    assert_eq!(
        err("[a]\n[default\n", CONFIG, BOTO).kind,
        ParseErrorKind::UnclosedSectionHeader
    );
    assert_eq!(
        err("[a]\n[]\n", CONFIG, BOTO).kind,
        ParseErrorKind::EmptySectionName
    );
    assert_eq!(
        err("[a]\n= v\n", CONFIG, BOTO).kind,
        ParseErrorKind::EmptyOptionName
    );
    let e = ProfileFile::parse_bytes(b"[a]\nk = \xc3\x28\n", CREDS, BOTO).unwrap_err();
    assert_eq!(
        (e.kind, e.line, e.column, e.offset),
        (ParseErrorKind::InvalidUtf8, 2, 5, 8)
    );
}

#[test]
fn merged_view_prefers_the_credentials_file() {
    let config = parse(
        "[profile a]\nregion = x\nout = y\n[sso-session s]\n",
        CONFIG,
        BOTO,
    );
    let creds = parse("[a]\nregion = z\nkey = k\n[b]\n", CREDS, BOTO);
    let merged = Merged::new(Some(&config), Some(&creds));
    let a = merged.profile("a").unwrap();
    let mut seen: heapless::Vec<(HString<8>, FileKind), 4> = heapless::Vec::new();
    for (p, from) in a.properties() {
        let mut k = HString::new();
        for f in p.key.fragments() {
            k.push_str(f).unwrap();
        }
        seen.push((k, from)).unwrap();
    }
    assert_eq!(
        seen,
        [
            (HString::try_from("region").unwrap(), CREDS),
            (HString::try_from("out").unwrap(), CONFIG),
            (HString::try_from("key").unwrap(), CREDS),
        ]
    );
    assert_eq!(a.get("region").unwrap().0.as_str(), Some("z"));
    assert!(merged.profile("b").is_some());
    assert!(merged.profile("c").is_none());
    assert_eq!(merged.profile_names().count(), 2);
    assert!(merged.sso_session("s").is_some());
    assert!(Merged::new(None, Some(&creds)).sso_session("s").is_none());
}

#[test]
fn section_names_classify_the_same_with_or_without_shlex() {
    // Every name the shlex-free path decides must get the answer `shlex.split` gives.
    let names = [
        "default",
        "DEFAULT",
        "profile dev",
        "profile default",
        "profile  dev",
        "profile\tdev",
        "profile dev ",
        "profile \"dev box\"",
        "profile 'x'",
        "profile a\\b",
        "profile a\u{1}b",
        "profile ",
        "profile",
        "profiledev",
        "profilefoo bar",
        "sso-session corp",
        "sso-session corp-with-a-long-name.0123456789",
        "services s3-local",
        "services",
        "other name",
    ];
    for name in names {
        let via_shlex = shlex::split2(name).and_then(|(_, token)| {
            let (category, prefix) = if name.starts_with("profile") {
                (Category::Profile, "profile")
            } else if name.starts_with("sso-session") {
                (Category::SsoSession, "sso-session")
            } else if name.starts_with("services") {
                (Category::Services, "services")
            } else {
                return None;
            };
            let usual = name.strip_prefix(prefix).and_then(|r| r.strip_prefix(' ')) == Some(token)
                && shlex::is_plain(token)
                && !(category == Category::Profile && token == "default");
            Some((category, token, usual))
        });
        let expected = if name == "default" {
            Some((Category::Profile, "default", false))
        } else {
            via_shlex
        };
        assert_eq!(botocore::classify_config(name), expected, "{name:?}");
    }
}

#[test]
fn walks_agree_whatever_the_line_ends_and_header_spelling() {
    // The same file with `\n`, `\r\n` and `\r` line ends, and with a quoted header (which
    // turns off the shlex-free classification): every walk sees the same sections and lines.
    let files = [
        "[default]\nregion = a\n\n[profile b]\nregion = b\ns3 =\n  k = v\n[sso-session c]\nx = 1\n",
        "[default]\r\nregion = a\r\n\r\n[profile b]\r\nregion = b\r\ns3 =\r\n  k = v\r\n[sso-session c]\r\nx = 1\r\n",
        "[default]\rregion = a\r\r[profile b]\rregion = b\rs3 =\r  k = v\r[sso-session c]\rx = 1\r",
        "[default]\nregion = a\n\n[profile \"b\"]\nregion = b\ns3 =\n  k = v\n[sso-session c]\nx = 1\n",
    ];
    for text in files {
        let file = parse(text, CONFIG, BOTO);
        let mut lines: HString<64> = HString::new();
        for s in file
            .profiles()
            .chain(file.sso_sessions())
            .chain(file.services())
        {
            for f in s.name().fragments() {
                lines.push_str(f).unwrap();
            }
            write!(lines, "@{},", s.line()).unwrap();
        }
        assert_eq!(lines, "default@1,b@4,c@8,", "{text:?}");
        assert_eq!(get(&file, "b", "region").unwrap(), "b");
        let b = file.profile("b").unwrap();
        assert_eq!(b.get("s3").unwrap().sub_property("k"), Some("v"));
        assert_eq!(file.sso_session("c").unwrap().get("x").unwrap(), "1");
        assert!(file.service("c").is_none());
    }
}

#[test]
fn unordered_small_files_still_find_repeats() {
    // Names out of order take the small-file check; a repeat still fails the file (botocore)
    // or merges (Sdk), and distinct names still parse.
    let ok = "[profile b]\nx = 1\n[profile a]\nx = 2\n[DEFAULT]\nk = 1\nK2 = 2\n";
    let file = parse(ok, CONFIG, BOTO);
    assert_eq!(get(&file, "a", "x").unwrap(), "2");
    let dup = "[profile b]\nx = 1\n[profile a]\nx = 2\n[profile b]\ny = 3\n";
    assert!(matches!(
        err(dup, CONFIG, BOTO).kind,
        ParseErrorKind::DuplicateSection { first_line: 1 }
    ));
    let sdk = parse(dup, CONFIG, SDK);
    assert_eq!(get(&sdk, "b", "y").unwrap(), "3");
    assert_eq!(get(&sdk, "b", "x").unwrap(), "1");
    let dup_default_key = "[profile b]\nx = 1\n[DEFAULT]\nk = 1\n[profile a]\n[DEFAULT]\nK = 2\n";
    assert!(matches!(
        err(dup_default_key, CONFIG, BOTO).kind,
        ParseErrorKind::DuplicateOption { first_line: 4 }
    ));
    // The SDK keeps the last of a key set twice in one section.
    let sdk = parse("[profile a]\nx = 1\nX = 2\n", CONFIG, SDK);
    assert_eq!(keys(sdk.profile("a").unwrap()), "x");
    assert_eq!(get(&sdk, "a", "x").unwrap(), "2");
}

#[test]
fn big_sections_find_repeated_and_empty_keys() {
    // More options than the small per-section check holds: repeats are still found, the empty
    // name `= v` included (configparser records it, so a second one is a repeat).
    let mut text: HString<1024> = HString::new();
    text.push_str("[profile a]\n").unwrap();
    for i in 0..30 {
        writeln!(text, "k{i} = {i}").unwrap();
    }
    let clean = parse(&text, CONFIG, BOTO);
    assert_eq!(clean.profile("a").unwrap().properties().count(), 30);
    let mut dup = text.clone();
    dup.push_str("K7 = again\n").unwrap();
    assert!(matches!(
        err(&dup, CONFIG, BOTO).kind,
        ParseErrorKind::DuplicateOption { first_line: 9 }
    ));
    let mut empty = text.clone();
    empty.push_str("= a\n= b\n").unwrap();
    assert!(matches!(
        err(&empty, CONFIG, BOTO).kind,
        ParseErrorKind::DuplicateOption { first_line: 32 }
    ));
}

/// A config file with `defaults` `[DEFAULT]` keys (`k0` … ) and one profile that sets three
/// keys of its own, one of them (`K7`) overriding a `[DEFAULT]` key.
fn many_defaults(defaults: usize) -> HString<16384> {
    let mut text: HString<16384> = HString::new();
    text.push_str("[DEFAULT]\n").unwrap();
    for i in 0..defaults {
        writeln!(text, "k{i} = d{i}").unwrap();
    }
    text.push_str("[profile p]\nregion = x\nK7 = own\noutput = json\n")
        .unwrap();
    text
}

#[test]
fn inherited_default_keys_are_listed_in_linear_work() {
    // Before, each inherited key was found by walking `[DEFAULT]` again from its start and
    // checked against every option of the section: O(D × (D + O)) lines per listing. Now one
    // walk of `[DEFAULT]`, and a section's options are walked again only for a key its
    // filter cannot rule out (here: the one it overrides).
    for defaults in [200usize, 400, 800] {
        let text = many_defaults(defaults);
        let file = parse(&text, CONFIG, BOTO);
        let section = file.profile("p").unwrap();
        let mut props = section.properties();
        let mut listed = 0usize;
        let mut k7 = HString::<16>::new();
        for p in props.by_ref() {
            listed += 1;
            if p.key.eq_str("k7") {
                k7 = HString::try_from(p.value.as_str().unwrap()).unwrap();
            }
        }
        assert_eq!(listed, 3 + defaults - 1);
        assert_eq!(k7, "own");
        let (confirmations, defaults_read) = props.counters();
        assert_eq!(defaults_read, defaults, "[DEFAULT] walked once");
        assert!(
            confirmations <= 2,
            "{confirmations} walks of the section's options for {defaults} inherited keys"
        );
    }
}

/// Files the plain reader must read exactly as the general one (or leave to it).
const PLAIN_CASES: &[&str] = &[
    "[default]\nregion = us-east-1\n",
    "# c\n; c\n[default]\nregion=us-east-1\noutput :json\n\n[profile a]\nx = 1",
    "[profile a]\ns3 =\n    addressing_style = path\n\n    max = 2\n\n\nregion = x\n",
    "[profile a]\nv = one\n\n  # comment inside\n\n  two\n# col 0 comment\n  three\n\n[b c]\nk = v\n",
    "[profile a]\nk =   \t\nj = v \t \n\t\n  \n[sso-session s]\nsso_region = x\n",
    "[profile a]\nKey With Spaces = v\nUPPER = V\n",
    "[profile a]\nrégion = é\nk = a é b\n",
    "[profile a]\nk = v\r\n",
    "[profile a]\n  k = v\n",
    "[profile a]\nk = v\n  [profile b]\n",
    "[DEFAULT]\nk = v\n[profile a]\n",
    "[profile \"a b\"]\nk = v\n",
    "[profile a]  \nk = v\n",
    "[profile a]\nk = v\nk = w\n",
    "[profile a]\n= v\n",
    "[profile a]\nnovalue\n",
    "k = v\n[profile a]\n",
    "[profile a]\ns3 =\n  bad line\n",
    "[profile b]\n[profile a]\n[profile b]\n",
    "[default]\n[profile default]\nk = v\n",
    "[services s]\nk = v\n[profile z]\n[profile y]\nk: a=b:c\n",
    "[profile a]\nk = v\u{3000}\n",
    "[profile a]\nk = \u{a0}v\n",
    "[profile a]\n\u{a0}k = v\n",
    "[profile a]\nk\x1c = v\x0b\n  \x1f cont \x0c\n",
    // Header spellings at the edges of the one-scan `[prefix NAME]` path.
    "[profile a]",
    "[profile a]x]\nk = v\n[services s]]\n",
    "[profile  a]\nk = v\n",
    "[profile a b]\nk = v\n",
    "[profile 'a']\n[profile \"b\"]\n",
    "[profile ]\nk = v\n",
    "[profile a\tb]\n",
    "[profile a\\b]\n",
    "[profile a\x00]\nk = v\n",
    "[profilex]\nk = v\n",
    "[profile a]\r\n",
    "[profile é]\nk = v\n[sso-session ü]\n",
    "[services s]\n[sso-session x]\n[profile default]\n[default]\nk = v\n",
    // Names of sixteen bytes and more, in and out of order, repeated or not.
    "[profile a-long-name-1]\n[profile a-long-name-0]\n[profile a-long-name-0]\n",
    "[profile zzzzzzzzzzzzzz]\n[profile aaaaaaaaaaaaaa1]\n[profile zzzzzzzzzzzzzz]\n",
    "[profile zzzzzzzzzzzzzz]\n[profile aaaaaaaaaaaaaa1]\n[profile zzzzzzzzzzzzzy]\n",
    "[profile 0123456789abcdef]\n[profile 0123456789abcdeg]\n[profile 0123456789abcdef]\n",
];

#[test]
fn the_plain_reader_agrees_with_the_general_one() {
    let mut plain_files = 0;
    for text in PLAIN_CASES {
        for kind in [CONFIG, CREDS] {
            let mut s1 = dedup::Scratch::Default;
            let mut heads = Heads::default();
            let Some(fast) = plain::validate(text, kind, &mut s1, &mut heads) else {
                continue;
            };
            plain_files += 1;
            let mut s2 = dedup::Scratch::Default;
            let general = botocore::validate(text, kind, &mut s2)
                .unwrap_or_else(|e| panic!("{text:?}: plain accepted, general says {e}"));
            assert_eq!(
                botocore::Summary {
                    plain: false,
                    ascii_keys: false,
                    spaced: false,
                    ..fast
                },
                general,
                "{text:?}"
            );
            for block in botocore::Blocks::new(text, 0, 1, true) {
                let general = botocore::Options::new(text, block.off, block.line);
                let plain =
                    plain::PlainOptions::new(text, block.off, block.line).spaced(fast.spaced);
                assert!(general.eq(plain), "{text:?}, section at {}", block.off);
            }
            // The header table holds the first headers, where the general scan finds them.
            let recorded = usize::from(heads.len);
            let general_headers = botocore::Blocks::new(text, 0, 1, true);
            assert!(
                general_headers
                    .take(recorded)
                    .map(|b| (b.off, b.line))
                    .eq((0..recorded).filter_map(|i| heads.get(i))),
                "{text:?}"
            );
            let all = botocore::Blocks::new(text, 0, 1, true).count();
            assert_eq!(heads.complete, all == recorded, "{text:?}");
            let headers = botocore::Blocks::new(text, 0, 1, true);
            let plain_headers = plain::PlainBlocks::new(text, 0, 1);
            assert!(
                headers
                    .map(|b| (b.off, b.line, b.name))
                    .eq(plain_headers.map(|b| (b.off, b.line, b.name))),
                "{text:?}"
            );
        }
    }
    // Most of the list is plain; the rest must be left to the general reader.
    assert!(plain_files >= 14, "{plain_files}");
}

/// Every section of `file` in walk order, as `name@line:key=value,…;` (values through their
/// fragments), and each one looked up by name again.
fn walk<const N: usize>(file: &ProfileFile<'_>) -> HString<N> {
    let mut out: HString<N> = HString::new();
    for s in file
        .profiles()
        .chain(file.sso_sessions())
        .chain(file.services())
    {
        write!(out, "{}@{}:", s.name(), s.line()).unwrap();
        for p in s.properties() {
            write!(out, "{}@{}={},", p.key, p.key.line(), p.value).unwrap();
        }
        out.push(';').unwrap();
        let again = match s.name().as_str() {
            Some(name) if s.line() > 0 => file.profile(name).or_else(|| file.sso_session(name)),
            _ => None,
        };
        assert_eq!(again.map(|a| a.line()), Some(s.line()), "{}", s.name());
    }
    out
}

#[test]
fn files_with_more_headers_than_the_table_walk_past_it() {
    // A plain file of 100 profiles (more than `HEADS`): the walk takes the first from the
    // parse's table and finds the rest in the text; the same file with one `\r\n` line end
    // (so not plain) is read by the general reader. Both must see the same sections, lines,
    // keys and values.
    let mut text: HString<8192> = HString::new();
    text.push_str("# many profiles\n[default]\nregion = r\n\n")
        .unwrap();
    for i in 0..100 {
        writeln!(text, "[profile p{i:03}]\nk = v{i}\ns3 =\n  a = {i}\n").unwrap();
    }
    text.push_str("[sso-session s]\nsso_region = x").unwrap();
    let plain_file = parse(&text, CONFIG, BOTO);
    assert!(plain_file.info.plain);
    assert_eq!(usize::from(plain_file.heads.len), HEADS);
    assert!(!plain_file.heads.complete);
    let mut general_text = text.clone();
    general_text.push_str("\r\n").unwrap();
    let general = parse(&general_text, CONFIG, BOTO);
    assert!(!general.info.plain);
    let a: HString<8192> = walk(&plain_file);
    let b: HString<8192> = walk(&general);
    assert_eq!(a, b);
    assert!(
        a.starts_with("default@2:region@3=r,;p000@5:k@6=v0,s3@7=\na = 0,;"),
        "{a}"
    );
    assert!(
        a.ends_with("p099@500:k@501=v99,s3@502=\na = 99,;s@505:sso_region@506=x,;"),
        "{a}"
    );
    assert_eq!(get(&plain_file, "p080", "k").unwrap(), "v80");
    assert_eq!(plain_file.profile("p099").unwrap().line(), 500);
}

/// Every section of `file` in walk order, as `name@line:key@line=value,…;` (values through
/// their fragments, nested ones through their sub-properties too).
fn listing<const N: usize>(file: &ProfileFile<'_>) -> HString<N> {
    let mut out: HString<N> = HString::new();
    for s in file
        .profiles()
        .chain(file.sso_sessions())
        .chain(file.services())
    {
        write!(out, "{}@{}:", s.name(), s.line()).unwrap();
        for p in s.properties() {
            write!(out, "{}@{}={}", p.key, p.key.line(), p.value).unwrap();
            if let Some(subs) = p.value.sub_properties() {
                for (k, v) in subs {
                    write!(out, "[{k}={v}]").unwrap();
                }
            }
            out.push(',').unwrap();
        }
        out.push(';').unwrap();
    }
    out
}

#[test]
fn plain_files_list_what_the_general_reader_lists() {
    // The plain reader's sections come from the parse's header table (category, name, body)
    // and its options are split without strip loops when every line is `key = value`. The
    // same text with a `\r\n` at the end is not plain, so the general reader lists it; a line
    // end there adds no option and changes no value.
    let mut spaced_files = 0;
    let mut checked = 0;
    for text in PLAIN_CASES.iter().copied().chain([
        "[default]\nregion = r\noutput = json\n[profile a]\nk = v\nempty =\ns3 =\n  x = 1\n",
        "[profile a]\nk = \n[sso-session s]\nsso_region = x\n[services s]\ns3 =\n  endpoint_url = u\n",
        "[profile a]\nk =  two spaces\nj=none\nl =v\nm= v\n",
    ]) {
        for kind in [CONFIG, CREDS] {
            let mut s1 = dedup::Scratch::Default;
            let mut heads = Heads::default();
            let Some(summary) = plain::validate(text, kind, &mut s1, &mut heads) else {
                continue;
            };
            spaced_files += usize::from(summary.spaced);
            let plain_file = parse(text, kind, BOTO);
            assert!(plain_file.info.plain, "{text:?}");
            let mut general_text: HString<512> = HString::try_from(text).unwrap();
            general_text.push_str("\r\n").unwrap();
            let general = parse(&general_text, kind, BOTO);
            assert!(!general.info.plain, "{text:?}");
            let a: HString<2048> = listing(&plain_file);
            let b: HString<2048> = listing(&general);
            assert_eq!(a, b, "{text:?} as {kind}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked}");
    assert!(spaced_files >= 4, "{spaced_files}");
}
