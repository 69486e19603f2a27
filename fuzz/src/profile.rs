//! Checks for `credchain_core::profile`: parsed files, their sections, names and values.

use std::collections::HashSet;

use credchain_core::profile::{
    Dialect, FileKind, Merged, MergedProfile, ParseError, ParseErrorKind, ProfileFile, Section,
    Text, Value,
};

use crate::{assert_inside, check_write, is_inside, max_lines};

/// How many lookups by name (each a walk over the file) one input may cost at most. Listings
/// are always walked in full; lookups stop at the budget, so that a large file with thousands
/// of sections stays well inside libFuzzer's time limit.
pub const LOOKUP_BUDGET: usize = 256;

/// Bytes of file that the lookups of one input may walk in total: large inputs get fewer
/// lookups (at least 8).
pub const LOOKUP_BYTES: usize = 2 << 20;

/// Inputs up to this size are listed in full with every scratch size; larger ones only have
/// their outcome compared (the multi-pass duplicate search is reached with small inputs
/// already, through the 16-entry scratch).
pub const FULL_COMPARE_LEN: usize = 16 << 10;

/// The lookup budget for an input of `len` bytes.
pub fn lookup_budget(len: usize) -> usize {
    (LOOKUP_BYTES / len.max(1)).clamp(8, LOOKUP_BUDGET)
}

/// The file kind a profile target reads its input as: the first byte's parity (even: config,
/// odd: credentials), the rest being the file. Seeds start with `0` or `1`.
pub fn split_kind(data: &[u8]) -> Option<(FileKind, &[u8])> {
    let (&first, rest) = data.split_first()?;
    let kind = if first % 2 == 0 {
        FileKind::Config
    } else {
        FileKind::Credentials
    };
    Some((kind, rest))
}

/// A section as text: its name and its properties, in the order the API lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionDump {
    /// The decoded name.
    pub name: String,
    /// The header's line.
    pub line: u32,
    /// `(key, value)` for each property.
    pub properties: Vec<(String, String)>,
}

/// Everything a parsed file lists: its profiles, SSO sessions and services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDump {
    /// `profiles()`.
    pub profiles: Vec<SectionDump>,
    /// `sso_sessions()`.
    pub sso_sessions: Vec<SectionDump>,
    /// `services()`.
    pub services: Vec<SectionDump>,
}

/// Checks a name: its fragments borrow from `whole` (or are one lowercased character from the
/// core's static table), and every view of it agrees. Returns the name.
#[track_caller]
pub fn check_text(whole: &[u8], t: &Text<'_>, what: &str) -> String {
    let mut text = String::new();
    for f in t.fragments() {
        assert!(
            f.is_empty() || is_inside(whole, f.as_bytes()) || f.chars().count() == 1,
            "{what}: fragment {f:?} is neither borrowed from the input nor one lowercased character"
        );
        text.push_str(f);
    }
    // A fragment from the static table stands for one character that lowercasing changed; it
    // must never be empty (that would drop a character).
    if t.fragments().any(|f| f.is_empty()) {
        assert!(
            text.is_empty() && t.fragments().count() == 1,
            "{what} {text:?}: an empty fragment inside a name"
        );
    }
    if let Some(s) = t.as_str() {
        assert_inside(whole, s, what);
        assert_eq!(s, text, "{what}: as_str differs from the fragments");
    }
    assert_eq!(t.len(), text.len(), "{what} {text:?}: len");
    assert_eq!(t.is_empty(), text.is_empty(), "{what} {text:?}: is_empty");
    assert!(t.chars().eq(text.chars()), "{what} {text:?}: chars");
    assert!(t.eq_str(&text), "{what} {text:?}: eq_str of its own text");
    assert!(t.eq_text(t), "{what} {text:?}: eq_text with itself");
    assert_eq!(t.to_string(), text, "{what}: Display");
    check_write!(&text, |buf| t.write_to(buf));
    text
}

/// Checks a value like [`check_text`]; its fragments are slices of `whole` or the `"\n"` that
/// joins lines. Also checks its nested `key = value` lines. Returns the value.
#[track_caller]
pub fn check_value(whole: &[u8], v: &Value<'_>, what: &str) -> String {
    let mut text = String::new();
    for f in v.fragments() {
        assert!(
            f == "\n" || is_inside(whole, f.as_bytes()),
            "{what}: fragment {f:?} does not borrow from the input"
        );
        assert!(!f.is_empty(), "{what}: empty fragment");
        text.push_str(f);
    }
    if let Some(s) = v.as_str() {
        assert_inside(whole, s, what);
        assert_eq!(s, text, "{what}: as_str differs from the fragments");
    }
    assert_eq!(v.len(), text.len(), "{what} {text:?}: len");
    assert_eq!(v.is_empty(), text.is_empty(), "{what} {text:?}: is_empty");
    assert!(v.eq_str(&text), "{what} {text:?}: eq_str of its own text");
    assert_eq!(v.to_string(), text, "{what}: Display");
    check_write!(&text, |buf| v.write_to(buf));
    if let Some(subs) = v.sub_properties() {
        let subs: Vec<(&str, &str)> = subs.collect();
        for &(k, sv) in &subs {
            assert_inside(whole, k, "sub-property key");
            assert_inside(whole, sv, "sub-property value");
            let last = subs.iter().rev().find(|(k2, _)| *k2 == k).map(|&(_, v)| v);
            assert_eq!(
                v.sub_property(k),
                last,
                "{what}: sub_property({k:?}) is not the last listed value"
            );
        }
    }
    text
}

fn value_text(v: &Value<'_>) -> String {
    v.fragments().collect()
}

/// Checks one section and returns what it holds. `budget` limits lookups by key.
fn check_section(
    whole: &[u8],
    file: &ProfileFile<'_>,
    lines: usize,
    s: &Section<'_>,
    budget: &mut usize,
) -> SectionDump {
    let name = check_text(whole, &s.name(), "section name");
    let line = s.line();
    assert!(
        line >= 1 && line as usize <= lines,
        "section {name:?}: header line {line} is not a line of the file"
    );
    assert_eq!(s.file_kind(), file.kind(), "section {name:?}: file kind");
    let mut properties: Vec<(String, String)> = Vec::new();
    for p in s.properties() {
        let key = check_text(whole, &p.key, "property key");
        let value = check_value(whole, &p.value, "property value");
        assert!(
            !properties.iter().any(|(k, _)| *k == key),
            "section {name:?}: properties() lists key {key:?} twice"
        );
        properties.push((key, value));
    }
    for (key, value) in &properties {
        if *budget == 0 {
            break;
        }
        *budget -= 1;
        let got = s.get(key).map(|v| value_text(&v));
        assert_eq!(
            got.as_deref(),
            Some(value.as_str()),
            "section {name:?}: get({key:?}) differs from the listed property"
        );
        let upper = key.to_ascii_uppercase();
        if upper != *key && *budget > 0 {
            *budget -= 1;
            let got = s.get(&upper).map(|v| value_text(&v));
            assert_eq!(
                got.as_deref(),
                Some(value.as_str()),
                "section {name:?}: get({upper:?}) is not case-insensitive"
            );
        }
    }
    SectionDump {
        name,
        line,
        properties,
    }
}

/// Which kind of section a listing holds.
#[derive(Debug, Clone, Copy)]
enum Category {
    Profile,
    SsoSession,
    Services,
}

fn list_and_look_up(
    whole: &[u8],
    file: &ProfileFile<'_>,
    category: Category,
    budget: &mut usize,
) -> Vec<SectionDump> {
    let sections: Vec<Section<'_>> = match category {
        Category::Profile => file.profiles().collect(),
        Category::SsoSession => file.sso_sessions().collect(),
        Category::Services => file.services().collect(),
    };
    let lines = max_lines(file.text().as_bytes());
    let mut seen: HashSet<String> = HashSet::new();
    let mut dumps: Vec<SectionDump> = Vec::new();
    for s in &sections {
        let d = check_section(whole, file, lines, s, budget);
        assert!(
            seen.insert(d.name.clone()),
            "{category:?} {:?} listed twice",
            d.name
        );
        if *budget > 0 {
            *budget -= 1;
            let found = match category {
                Category::Profile => file.profile(&d.name),
                Category::SsoSession => file.sso_session(&d.name),
                Category::Services => file.service(&d.name),
            };
            let found = found.unwrap_or_else(|| {
                panic!("{category:?} {:?} is listed but not found by name", d.name)
            });
            assert!(
                found.name().eq_str(&d.name),
                "{category:?} {:?}: lookup found a section named {:?}",
                d.name,
                found.name()
            );
            assert_eq!(
                found.line(),
                d.line,
                "{category:?} {:?}: lookup and listing chose different sections",
                d.name
            );
            let props: Vec<(String, String)> = found
                .properties()
                .map(|p| (p.key.to_string(), value_text(&p.value)))
                .collect();
            assert_eq!(
                props, d.properties,
                "{category:?} {:?}: lookup and listing give different properties",
                d.name
            );
        }
        dumps.push(d);
    }
    if matches!(file.kind(), FileKind::Credentials)
        && matches!(category, Category::SsoSession | Category::Services)
    {
        assert!(
            dumps.is_empty(),
            "a credentials file has {category:?} sections"
        );
    }
    dumps
}

/// Checks a parsed file whose text lies inside `whole`, and returns what it lists.
pub fn check_file(whole: &[u8], file: &ProfileFile<'_>, budget: &mut usize) -> FileDump {
    assert_inside(whole, file.text(), "file text");
    FileDump {
        profiles: list_and_look_up(whole, file, Category::Profile, budget),
        sso_sessions: list_and_look_up(whole, file, Category::SsoSession, budget),
        services: list_and_look_up(whole, file, Category::Services, budget),
    }
}

/// Checks a parse error against the input it is about.
pub fn check_error(input: &[u8], e: &ParseError, kind: FileKind) {
    assert_eq!(e.file, kind, "error names the wrong file");
    assert!(
        e.offset <= input.len(),
        "error offset {} past the end ({})",
        e.offset,
        input.len()
    );
    assert!(
        std::str::from_utf8(&input[..e.offset]).is_ok(),
        "error offset {} is not at a character boundary",
        e.offset
    );
    assert!(
        e.line >= 1 && e.line as usize <= max_lines(input),
        "error line {} outside the file ({} lines at most)",
        e.line,
        max_lines(input)
    );
    assert!(e.column >= 1, "error column {} is not 1-based", e.column);
    let before = String::from_utf8_lossy(&input[..e.offset]);
    assert!(
        e.column as usize <= before.chars().count() + 1,
        "error column {} beyond the characters before offset {}",
        e.column,
        e.offset
    );
    let excerpt = e.excerpt();
    assert!(excerpt.len() <= 48, "excerpt longer than 48 bytes");
    assert!(
        excerpt.is_empty()
            || input
                .windows(excerpt.len())
                .any(|w| w == excerpt.as_bytes()),
        "excerpt {excerpt:?} is not text of the file"
    );
    match e.kind {
        ParseErrorKind::DuplicateSection { first_line }
        | ParseErrorKind::DuplicateOption { first_line } => {
            assert!(
                first_line >= 1 && first_line <= e.line,
                "duplicate first defined on line {first_line}, after the error line {}",
                e.line
            );
        }
        ParseErrorKind::InvalidUtf8 => {
            let valid = std::str::from_utf8(input).map_or_else(|u| u.valid_up_to(), |_| usize::MAX);
            assert_eq!(
                e.offset, valid,
                "InvalidUtf8 points elsewhere than the first bad byte"
            );
        }
        _ => {}
    }
    let shown = e.to_string();
    assert!(!shown.is_empty());
}

/// Parses `data` with the default scratch, a minimal one and a large one; the three must agree
/// (the duplicate search takes several passes with a small scratch, one with a large one).
/// Returns the dump of a file that parsed.
///
/// Inputs over [`FULL_COMPARE_LEN`] are compared with the large scratch only, and by outcome:
/// listing a large file again for each scratch would cost more than the comparison is worth.
pub fn parse_and_check(data: &[u8], kind: FileKind, dialect: Dialect) -> Option<FileDump> {
    let default = ProfileFile::parse_bytes(data, kind, dialect);
    let mut budget = lookup_budget(data.len());
    let dump = match &default {
        Ok(file) => {
            assert_eq!(file.kind(), kind);
            assert_eq!(file.dialect(), dialect);
            assert_eq!(file.text().as_bytes(), data, "text() is not the input");
            Some(check_file(data, file, &mut budget))
        }
        Err(e) => {
            check_error(data, e, kind);
            None
        }
    };
    let full = data.len() <= FULL_COMPARE_LEN;
    let sizes: &[usize] = if full { &[0, 16, 4096] } else { &[4096] };
    for &size in sizes {
        let mut scratch = vec![0u64; size];
        let other = ProfileFile::parse_bytes_with_scratch(data, kind, dialect, &mut scratch);
        match (&default, &other) {
            (Err(a), Err(b)) => assert_eq!(a, b, "errors differ with a scratch of {size}"),
            (Ok(_), Ok(_)) if !full => {}
            (Ok(_), Ok(file)) => {
                let mut budget = 0;
                let other_dump = check_file(data, file, &mut budget);
                let a = dump.as_ref().map(names);
                assert_eq!(
                    a,
                    Some(names(&other_dump)),
                    "listings differ with a scratch of {size}"
                );
                assert_eq!(
                    dump.as_ref(),
                    Some(&other_dump),
                    "contents differ with a scratch of {size}"
                );
            }
            (a, b) => panic!(
                "scratch of {size} changes the outcome: default {:?}, other {:?}",
                a.as_ref().err(),
                b.as_ref().err()
            ),
        }
    }
    dump
}

fn names(d: &FileDump) -> Vec<Vec<String>> {
    [&d.profiles, &d.sso_sessions, &d.services]
        .iter()
        .map(|l| l.iter().map(|s| s.name.clone()).collect())
        .collect()
}

/// Checks the merged view of two parsed files (either may be absent), all borrowed from
/// `whole`: every listed name resolves, each once, and lookups agree with listings.
pub fn check_merged(
    whole: &[u8],
    config: Option<&ProfileFile<'_>>,
    credentials: Option<&ProfileFile<'_>>,
) {
    let merged = Merged::new(config, credentials);
    assert_eq!(merged.config().is_some(), config.is_some());
    assert_eq!(merged.credentials().is_some(), credentials.is_some());
    let mut budget = lookup_budget(whole.len());
    let names: Vec<String> = merged
        .profile_names()
        .map(|t| check_text(whole, &t, "merged profile name"))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    for n in &names {
        assert!(seen.insert(n), "profile_names lists {n:?} twice");
    }
    // Every profile of either file is listed.
    for f in [config, credentials].into_iter().flatten() {
        for s in f.profiles() {
            let n = s.name().to_string();
            assert!(
                seen.contains(n.as_str()),
                "profile {n:?} of the {} is not listed",
                f.kind()
            );
        }
    }
    let profiles: Vec<MergedProfile<'_>> = merged.profiles().collect();
    let listed: Vec<String> = profiles.iter().map(|p| p.name().to_string()).collect();
    assert_eq!(listed, names, "profiles() and profile_names() disagree");
    for p in profiles {
        if budget == 0 {
            break;
        }
        budget -= 1;
        let name = p.name().to_string();
        let found = merged
            .profile(&name)
            .unwrap_or_else(|| panic!("merged profile {name:?} listed but not found"));
        assert!(
            found.name().eq_str(&name),
            "merged lookup of {name:?} found {:?}",
            found.name()
        );
        assert_eq!(
            p.config().map(|s| s.line()),
            found.config().map(|s| s.line())
        );
        assert_eq!(
            p.credentials().map(|s| s.line()),
            found.credentials().map(|s| s.line())
        );
        assert!(
            p.config().is_some() || p.credentials().is_some(),
            "{name:?} is in neither file"
        );
        let mut keys: Vec<String> = Vec::new();
        for (prop, from) in p.properties() {
            let key = check_text(whole, &prop.key, "merged property key");
            let value = check_value(whole, &prop.value, "merged property value");
            assert!(
                !keys.contains(&key),
                "merged profile {name:?} lists key {key:?} twice"
            );
            if budget > 0 {
                budget -= 1;
                let got = found.get(&key).map(|(v, f)| (value_text(&v), f));
                assert_eq!(
                    got,
                    Some((value, from)),
                    "merged profile {name:?}: get({key:?}) differs from the listed property"
                );
                // The credentials file wins.
                if p.credentials().is_some_and(|c| c.get(&key).is_some()) {
                    assert_eq!(
                        from,
                        FileKind::Credentials,
                        "{name:?}.{key}: credentials must win"
                    );
                }
            }
            keys.push(key);
        }
    }
    // SSO sessions and services come from the config file only.
    let sso: Vec<String> = merged
        .sso_sessions()
        .map(|s| s.name().to_string())
        .collect();
    let own: Vec<String> = config.map_or_else(Vec::new, |c| {
        c.sso_sessions().map(|s| s.name().to_string()).collect()
    });
    assert_eq!(sso, own, "merged SSO sessions are not the config file's");
    let svc = merged.services().count();
    assert_eq!(
        svc,
        config.map_or(0, |c| c.services().count()),
        "merged services are not the config file's"
    );
    for n in sso.iter().take(8) {
        assert!(
            merged.sso_session(n).is_some(),
            "SSO session {n:?} listed but not found"
        );
    }
}
