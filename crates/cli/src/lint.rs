//! # `credchain lint`: where the AWS CLI and the other AWS SDKs read your files differently
//!
//! `~/.aws/config` and `~/.aws/credentials` are read by two families of parsers that agree on
//! plain files and disagree on many others (spec §3.8): botocore (the AWS CLI, boto3) uses
//! Python's `configparser`, while the Java, Rust, Go, … SDKs follow the cross-SDK profile
//! standard. A file that works with `aws s3 ls` may quietly mean something else to a Java
//! service, and the other way round.
//!
//! The command reads every file twice, once in each dialect of
//! [`credchain_core::profile`], and compares the two readings profile by profile and key by
//! key: a value one reader sees and the other does not, a different value, a section one of
//! them ignores, a file only one of them rejects. These are the **differences**
//! (`rule` ids starting with `dialect-`).
//!
//! It then looks at each line for the botocore surprises of spec §10 (**pitfalls**): an inline
//! `# comment` that botocore keeps in the value, the `:` delimiter, a repeated section or key
//! (fatal to botocore), `[DEFAULT]` (inherited by every section), both `[default]` and
//! `[profile default]`, `[profilefoo bar]`, `[profile foo]` in the credentials file, an
//! indented line swallowed into the previous value, nested keys and section names that are
//! case-sensitive, an invalid `credential_source`, a `duration_seconds` that is dropped, …
//!
//! A file both readers reject is an **error**. Each finding is printed as `FILE:LINE: [rule]
//! message`; the exit status is 1 when there is any finding, 0 when there is none, and 2 for
//! bad arguments or a file named on the command line that cannot be read.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use credchain_core::profile::{Dialect, FileKind, ParseError, ProfileFile, Section, Sections};
use serde::Serialize;

/// The long help of `credchain lint`.
pub(crate) const LINT_HELP: &str = "\
Read AWS config and credentials files the way the AWS CLI (botocore) reads them and the way the
other AWS SDKs (Java, Rust, Go, JavaScript, ...) read them, and report every line they read
differently, and every botocore pitfall that applies to a line.

Without FILE arguments, the files botocore would read are checked: AWS_CONFIG_FILE (else
~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE (else ~/.aws/credentials); a missing one is
skipped. A FILE is a credentials file when its name contains `credentials`, else a config
file; --config and --credentials say it explicitly. The two kinds name profiles differently:
`[profile dev]` in the config file, `[dev]` in the credentials file.

Each finding is one line, `FILE:LINE: [rule] message`. Rules starting with `dialect-` are
differences between the two readers:
  dialect-only-botocore  a section or key the AWS CLI reads and the other SDKs ignore
  dialect-only-sdk       a section or key the other SDKs read and the AWS CLI ignores
  dialect-value          a value the two read differently
  dialect-section        the two take a profile from different sections
  dialect-rejected       a file only one of the two can read at all
The other rules are botocore pitfalls (spec section 10), such as inline-comment, colon-delimiter,
duplicate-section, duplicate-key, default-section, default-twice, profile-header,
credentials-prefix, not-a-profile, indented-line, section-case, nested-key-case,
credential-source, role-source, duration-seconds, security-token, partial-keys,
overridden-by-credentials, byte-order-mark, lone-carriage-return; and parse-error, a file
that neither can read.

Exit status: 0 when nothing was found, 1 when something was, 2 for bad arguments or a named
file that cannot be read.";

/// Options of `credchain lint`.
#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Files to check: a credentials file when the name contains `credentials`, else a config
    /// file. Without any file, the config and credentials files botocore would read.
    #[arg(value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// Check FILE as a config file (`[profile NAME]`, `[default]`, `[sso-session NAME]`).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Vec<PathBuf>,
    /// Check FILE as a credentials file (`[NAME]`).
    #[arg(long, value_name = "FILE")]
    pub(crate) credentials: Vec<PathBuf>,
    /// Print the findings as JSON (stable field names, for scripts) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Class {
    /// The AWS CLI and the other SDKs read the line differently.
    Difference,
    /// A botocore surprise of spec §10 applies to the line.
    Pitfall,
    /// Neither reader can read the file.
    Error,
}

/// One finding: a line of a file, a rule and what it means.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Finding {
    /// The file, as it was named (or found).
    pub(crate) file: String,
    /// The 1-based line.
    pub(crate) line: u32,
    /// The short rule id.
    pub(crate) rule: &'static str,
    /// Difference, pitfall or error.
    pub(crate) class: Class,
    /// What the readers do with the line.
    pub(crate) message: String,
}

/// A file checked, for the JSON report.
#[derive(Debug, Clone, Serialize)]
struct FileEntry {
    path: String,
    kind: &'static str,
}

/// The JSON document of `--json`.
#[derive(Debug, Serialize)]
struct Report<'a> {
    files: &'a [FileEntry],
    findings: &'a [Finding],
    differences: usize,
    pitfalls: usize,
    errors: usize,
}

/// A finding before its file is known.
#[derive(Debug, Clone)]
struct Raw {
    line: u32,
    rule: &'static str,
    class: Class,
    message: String,
}

fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Config => "config",
        FileKind::Credentials => "credentials",
    }
}

/// A file's kind from its name: `credentials` anywhere in the file name means a credentials
/// file.
fn kind_of(path: &Path) -> FileKind {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name.contains("credentials") {
        FileKind::Credentials
    } else {
        FileKind::Config
    }
}

/// Runs `credchain lint`.
pub(crate) fn run(args: LintArgs) -> ExitCode {
    let mut targets: Vec<(PathBuf, FileKind, bool)> = Vec::new();
    for f in &args.files {
        targets.push((f.clone(), kind_of(f), true));
    }
    targets.extend(
        args.config
            .iter()
            .map(|f| (f.clone(), FileKind::Config, true)),
    );
    targets.extend(
        args.credentials
            .iter()
            .map(|f| (f.clone(), FileKind::Credentials, true)),
    );
    if targets.is_empty() {
        let env = match credchain_fs::EnvSnapshot::capture() {
            Ok(e) => e,
            Err(e) => return usage_error(&format!("cannot read the environment: {e}")),
        };
        let locations = credchain_fs::Locations::from_env(&env);
        for (loc, kind) in [
            (locations.config, FileKind::Config),
            (locations.credentials, FileKind::Credentials),
        ] {
            if !loc.path.as_os_str().is_empty() {
                targets.push((loc.path, kind, false));
            }
        }
    }

    let mut files: Vec<FileEntry> = Vec::new();
    let mut texts: Vec<(String, FileKind, Vec<u8>)> = Vec::new();
    for (path, kind, named) in targets {
        let shown = path.display().to_string();
        match std::fs::read(&path) {
            Ok(bytes) if path.is_file() => {
                files.push(FileEntry {
                    path: shown.clone(),
                    kind: kind_name(kind),
                });
                texts.push((shown, kind, bytes));
            }
            Ok(_) | Err(_) if !named => {
                eprintln!(
                    "credchain: no {kind} at {shown}: botocore reads none there (skipped)",
                    kind = kind_name(kind)
                );
            }
            Ok(_) => return usage_error(&format!("{shown}: not a regular file")),
            Err(e) => return usage_error(&format!("cannot read {shown}: {e}")),
        }
    }

    let mut findings: Vec<Finding> = Vec::new();
    for (shown, kind, bytes) in &texts {
        let raws = lint_file(bytes, *kind);
        findings.extend(raws.into_iter().map(|r| Finding {
            file: shown.clone(),
            line: r.line,
            rule: r.rule,
            class: r.class,
            message: r.message,
        }));
    }
    // Across files: a credentials-file key overrides the config file's (spec §3.6, §10.5).
    for (cfg_name, cfg_kind, cfg_bytes) in &texts {
        if *cfg_kind != FileKind::Config {
            continue;
        }
        for (cred_name, cred_kind, cred_bytes) in &texts {
            if *cred_kind != FileKind::Credentials {
                continue;
            }
            findings.extend(
                overrides(cfg_bytes, cred_bytes, cred_name)
                    .into_iter()
                    .map(|r| Finding {
                        file: cfg_name.clone(),
                        line: r.line,
                        rule: r.rule,
                        class: r.class,
                        message: r.message,
                    }),
            );
        }
    }

    // File by file (in the order they were named), line by line.
    let order = |f: &Finding| texts.iter().position(|(n, _, _)| *n == f.file);
    findings.sort_by_key(|f| (order(f), f.line));
    let count = |c: Class| findings.iter().filter(|f| f.class == c).count();
    let (differences, pitfalls, errors) = (
        count(Class::Difference),
        count(Class::Pitfall),
        count(Class::Error),
    );
    let text = if args.json {
        let report = Report {
            files: &files,
            findings: &findings,
            differences,
            pitfalls,
            errors,
        };
        match serde_json::to_string_pretty(&report) {
            Ok(mut t) => {
                t.push('\n');
                t
            }
            Err(e) => return crate::fail(&format!("cannot write the findings as JSON: {e}")),
        }
    } else {
        let mut t = String::new();
        for f in &findings {
            let _ = writeln!(t, "{}:{}: [{}] {}", f.file, f.line, f.rule, f.message);
        }
        let n = files.len();
        let files_word = if n == 1 { "file" } else { "files" };
        if findings.is_empty() {
            let _ = writeln!(
                t,
                "{n} {files_word} checked: no findings; the AWS CLI and the other SDKs read them alike"
            );
        } else {
            let _ = writeln!(
                t,
                "{n} {files_word} checked: {differences} {}, {pitfalls} {}, {errors} {}",
                plural(differences, "difference", "differences"),
                plural(pitfalls, "pitfall", "pitfalls"),
                plural(errors, "error", "errors"),
            );
        }
        t
    };
    if let Err(code) = crate::print(&text) {
        return code;
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A problem with the command line itself: exit status 2, like clap's.
fn usage_error(message: &str) -> ExitCode {
    eprintln!("credchain: {message}");
    ExitCode::from(2)
}

/// Every finding of one file, in line order.
fn lint_file(bytes: &[u8], kind: FileKind) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::new();
    let boto = ProfileFile::parse_bytes(bytes, kind, Dialect::Botocore);
    let sdk = ProfileFile::parse_bytes(bytes, kind, Dialect::Sdk);
    let text = String::from_utf8_lossy(bytes);
    let scan = Scan::of(&text);
    match (&boto, &sdk) {
        (Ok(b), Ok(s)) => compare(b, s, &scan, &mut out),
        (Err(e), Ok(_)) => out.push(Raw {
            line: e.line,
            rule: "dialect-rejected",
            class: Class::Difference,
            message: format!(
                "the AWS CLI cannot read this file ({}); the other SDKs read it",
                e.kind
            ),
        }),
        (Ok(_), Err(e)) => out.push(Raw {
            line: e.line,
            rule: "dialect-rejected",
            class: Class::Difference,
            message: format!(
                "the other SDKs cannot read this file ({}); the AWS CLI reads it",
                e.kind
            ),
        }),
        (Err(b), Err(s)) => out.push(both_rejected(b, s)),
    }
    // Text that is not UTF-8 is rejected by both readers; its lines mean nothing.
    if std::str::from_utf8(bytes).is_ok() {
        pitfalls(&scan, kind, &mut out);
    }
    if let Some(at) = text
        .match_indices('\r')
        .map(|(i, _)| i)
        .find(|i| text.as_bytes().get(i.saturating_add(1)) != Some(&b'\n'))
    {
        // Lines are counted as botocore counts them: every `\r` before this one ended one.
        let line = text.get(..at).map_or(0, |t| {
            t.split('\n')
                .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
                .count()
        });
        out.push(Raw {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            rule: "lone-carriage-return",
            class: Class::Pitfall,
            message: "a carriage return without a line feed ends the line for the AWS CLI \
                      (universal newlines), not for the other SDKs, which see one long line; \
                      use `\\n` or `\\r\\n` line ends"
                .to_owned(),
        });
    }
    if text.starts_with('\u{feff}') {
        out.push(Raw {
            line: 1,
            rule: "byte-order-mark",
            class: Class::Pitfall,
            message: "the file starts with a byte order mark (U+FEFF), which botocore keeps as a \
                      character: its first line is not a section header, and the AWS CLI \
                      rejects the file; save it as UTF-8 without a BOM"
                .to_owned(),
        });
    }
    if let Ok(b) = &boto {
        semantic(b, &mut out);
    }
    out.sort_by_key(|r| r.line);
    let mut seen = BTreeSet::new();
    out.retain(|r| seen.insert((r.line, r.rule, r.message.clone())));
    out
}

fn both_rejected(b: &ParseError, s: &ParseError) -> Raw {
    let message = if b.line == s.line {
        format!(
            "neither the AWS CLI nor the other SDKs can read this file (AWS CLI: {}; other SDKs: {})",
            b.kind, s.kind
        )
    } else {
        format!(
            "neither the AWS CLI nor the other SDKs can read this file (AWS CLI: {}; other SDKs, line {}: {})",
            b.kind, s.line, s.kind
        )
    };
    Raw {
        line: b.line,
        rule: "parse-error",
        class: Class::Error,
        message,
    }
}

// ---------------------------------------------------------------------------------------------
// The two readings compared
// ---------------------------------------------------------------------------------------------

/// A property as read by one dialect: its value (nested blocks as their key/value pairs) and
/// the line of its option.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Read {
    Plain(String),
    Nested(Vec<(String, String)>),
}

impl Read {
    fn show(&self) -> String {
        match self {
            Read::Plain(v) => format!("`{}`", v.escape_debug()),
            Read::Nested(pairs) => {
                let inner: Vec<String> = pairs
                    .iter()
                    .map(|(k, v)| format!("{} = {}", k.escape_debug(), v.escape_debug()))
                    .collect();
                format!("the nested block {{{}}}", inner.join(", "))
            }
        }
    }
}

fn props(section: &Section<'_>) -> BTreeMap<String, (Read, u32)> {
    let mut map = BTreeMap::new();
    for p in section.properties() {
        let read = match p.value.sub_properties() {
            Some(subs) => {
                // botocore builds a dict: a later key replaces an earlier one.
                let mut pairs: Vec<(String, String)> = Vec::new();
                for (k, v) in subs {
                    pairs.retain(|(pk, _)| pk != k);
                    pairs.push((k.to_owned(), v.to_owned()));
                }
                pairs.sort();
                Read::Nested(pairs)
            }
            None => Read::Plain(p.value.to_string()),
        };
        map.insert(p.key.to_string(), (read, p.key.line()));
    }
    map
}

fn sections<'a>(it: Sections<'a>) -> BTreeMap<String, Section<'a>> {
    it.map(|s| (s.name().to_string(), s)).collect()
}

/// What a section category is called in messages.
const CATEGORIES: [(&str, usize); 3] = [("profile", 0), ("sso-session", 1), ("services", 2)];

fn compare(b: &ProfileFile<'_>, s: &ProfileFile<'_>, scan: &Scan, out: &mut Vec<Raw>) {
    for (what, i) in CATEGORIES {
        let (bs, ss) = match i {
            0 => (sections(b.profiles()), sections(s.profiles())),
            1 => (sections(b.sso_sessions()), sections(s.sso_sessions())),
            _ => (sections(b.services()), sections(s.services())),
        };
        for (name, bsec) in &bs {
            let header = scan.line_text(bsec.line());
            match ss.get(name) {
                None => out.push(Raw {
                    line: bsec.line(),
                    rule: "dialect-only-botocore",
                    class: Class::Difference,
                    message: format!(
                        "the AWS CLI reads `{header}` as the {what} `{}`; the other SDKs ignore it{}",
                        name.escape_debug(),
                        sdk_ignores_section(header, b.kind())
                    ),
                }),
                Some(ssec) => {
                    if ssec.line() != bsec.line() {
                        out.push(Raw {
                            line: bsec.line(),
                            rule: "dialect-section",
                            class: Class::Difference,
                            message: format!(
                                "the AWS CLI takes the {what} `{}` from `{header}` (line {}), the other SDKs from `{}` (line {})",
                                name.escape_debug(),
                                bsec.line(),
                                scan.line_text(ssec.line()),
                                ssec.line()
                            ),
                        });
                    }
                    compare_props(what, name, bsec, ssec, scan, out);
                }
            }
        }
        for (name, ssec) in &ss {
            if bs.contains_key(name) {
                continue;
            }
            let header = scan.line_text(ssec.line());
            out.push(Raw {
                line: ssec.line(),
                rule: "dialect-only-sdk",
                class: Class::Difference,
                message: format!(
                    "the other SDKs read `{header}` as the {what} `{}`; the AWS CLI ignores it{}",
                    name.escape_debug(),
                    boto_ignores_section(header)
                ),
            });
        }
    }
}

/// Why the SDK standard ignores a section botocore reads.
fn sdk_ignores_section(header: &str, kind: FileKind) -> &'static str {
    let inner = header
        .strip_prefix('[')
        .and_then(|h| h.rfind(']').map(|e| h.get(..e).unwrap_or(h)))
        .unwrap_or(header);
    if kind == FileKind::Credentials && inner.trim_start().starts_with("profile ") {
        " (in a credentials file they skip `[profile ...]` sections)"
    } else if kind == FileKind::Config
        && ["profile", "sso-session", "services"].iter().any(|p| {
            inner
                .strip_prefix(p)
                .and_then(|r| r.chars().next())
                .is_some_and(|c| !c.is_whitespace())
        })
    {
        " (they need white space after the `profile`, `sso-session` or `services` prefix)"
    } else if inner.contains('"') || inner.contains('\'') {
        " (quoted names are not valid names for them)"
    } else if inner != inner.trim() {
        " (they trim the name, which gives another one)"
    } else {
        " (the name holds characters other than letters, digits and - / . % @ _ : +)"
    }
}

/// Why botocore ignores a section the SDK standard reads.
fn boto_ignores_section(header: &str) -> &'static str {
    let inner = header
        .strip_prefix('[')
        .and_then(|h| h.rfind(']').map(|e| h.get(..e).unwrap_or(h)))
        .unwrap_or(header);
    if inner != inner.trim() {
        " (botocore does not trim section names)"
    } else {
        ""
    }
}

fn compare_props(
    what: &str,
    name: &str,
    bsec: &Section<'_>,
    ssec: &Section<'_>,
    scan: &Scan,
    out: &mut Vec<Raw>,
) {
    let bp = props(bsec);
    let sp = props(ssec);
    let name = name.escape_debug();
    for (key, (bread, bline)) in &bp {
        let inherited = scan.is_default_line(*bline);
        match sp.get(key) {
            None => {
                let why = if inherited {
                    " (inherited from `[DEFAULT]`, which only botocore shares with every section)"
                        .to_owned()
                } else if !is_sdk_identifier(key) {
                    " (the key holds characters other than letters, digits and - / . % @ _ : +)"
                        .to_owned()
                } else {
                    String::new()
                };
                out.push(Raw {
                    line: *bline,
                    rule: "dialect-only-botocore",
                    class: Class::Difference,
                    message: format!(
                        "the AWS CLI reads `{}` = {} in the {what} `{name}`; the other SDKs ignore it{why}",
                        key.escape_debug(),
                        bread.show()
                    ),
                });
            }
            Some((sread, sline)) if sread != bread => {
                let at = if sline == bline {
                    String::new()
                } else {
                    format!(" (from line {sline})")
                };
                out.push(Raw {
                    line: *bline,
                    rule: "dialect-value",
                    class: Class::Difference,
                    message: format!(
                        "`{}` of the {what} `{name}`: the AWS CLI reads {}, the other SDKs read {}{at}",
                        key.escape_debug(),
                        bread.show(),
                        sread.show()
                    ),
                });
            }
            Some(_) => {}
        }
    }
    for (key, (sread, sline)) in &sp {
        if bp.contains_key(key) {
            continue;
        }
        out.push(Raw {
            line: *sline,
            rule: "dialect-only-sdk",
            class: Class::Difference,
            message: format!(
                "the other SDKs read `{}` = {} in the {what} `{name}`; the AWS CLI does not",
                key.escape_debug(),
                sread.show()
            ),
        });
    }
}

/// The SDK standard's name characters.
fn is_sdk_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-/.%@:+".contains(c))
}

// ---------------------------------------------------------------------------------------------
// The lines, as botocore's configparser sees them (for the pitfalls)
// ---------------------------------------------------------------------------------------------

/// An option line and what follows it.
#[derive(Debug, Clone)]
struct Opt {
    line: u32,
    /// The name as written (trimmed).
    name: String,
    /// `=` or `:`.
    delim: char,
    /// The text after the delimiter on the option's own line, stripped.
    value: String,
    /// Continuation lines: (line, stripped text).
    cont: Vec<(u32, String)>,
}

/// A section header and its options.
#[derive(Debug, Clone)]
struct Sec {
    line: u32,
    /// The name between `[` and the last `]`, as written.
    name: String,
    opts: Vec<Opt>,
}

/// The file's lines split the way configparser splits them (spec §3.2), simplified: enough to
/// say which line a pitfall is on. Parse errors are the dialect readers' business.
#[derive(Debug, Default)]
struct Scan {
    lines: Vec<String>,
    secs: Vec<Sec>,
}

impl Scan {
    fn of(text: &str) -> Scan {
        // Universal newlines, as botocore reads the file: `\r\n`, `\n` and a lone `\r`.
        let lines: Vec<String> = text
            .split('\n')
            .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
            .map(str::to_owned)
            .collect();
        let mut secs: Vec<Sec> = Vec::new();
        // The indent of the line that opened the current option, when one is open.
        let mut open: Option<usize> = None;
        for (i, raw) in lines.iter().enumerate() {
            let n = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(1);
            let stripped = raw.trim();
            if stripped.starts_with('#') || stripped.starts_with(';') || stripped.is_empty() {
                continue;
            }
            let indent = raw.chars().take_while(|c| c.is_whitespace()).count();
            if let Some(opt_indent) = open
                && indent > opt_indent
            {
                if let Some(o) = secs.last_mut().and_then(|s| s.opts.last_mut()) {
                    o.cont.push((n, stripped.to_owned()));
                }
                continue;
            }
            if let Some(rest) = stripped.strip_prefix('[')
                && let Some(end) = rest.rfind(']')
                && let Some(name) = rest.get(..end).filter(|n| !n.is_empty())
            {
                secs.push(Sec {
                    line: n,
                    name: name.to_owned(),
                    opts: Vec::new(),
                });
                open = None;
                continue;
            }
            let at = stripped.find(['=', ':']);
            match (at, secs.last_mut()) {
                (Some(at), Some(sec)) => {
                    let name = stripped.get(..at).unwrap_or_default().trim_end();
                    let delim = stripped.get(at..).and_then(|r| r.chars().next());
                    let value = stripped.get(at.saturating_add(1)..).unwrap_or_default();
                    sec.opts.push(Opt {
                        line: n,
                        name: name.to_owned(),
                        delim: delim.unwrap_or('='),
                        value: value.trim().to_owned(),
                        cont: Vec::new(),
                    });
                    open = Some(indent);
                }
                _ => open = None,
            }
        }
        Scan { lines, secs }
    }

    /// Line `n` (1-based), stripped.
    fn line_text(&self, n: u32) -> &str {
        (n as usize)
            .checked_sub(1)
            .and_then(|i| self.lines.get(i))
            .map_or("", |l| l.trim())
    }

    /// Whether option line `n` lies in a `[DEFAULT]` section.
    fn is_default_line(&self, n: u32) -> bool {
        self.secs
            .iter()
            .rev()
            .find(|s| s.line <= n)
            .is_some_and(|s| s.name == "DEFAULT")
    }
}

/// Where an inline comment starts in `value`: a `#` or `;` at its start or after white space.
fn inline_comment(value: &str) -> Option<usize> {
    let mut prev_space = true;
    for (i, c) in value.char_indices() {
        if (c == '#' || c == ';') && prev_space {
            return Some(i);
        }
        prev_space = c.is_whitespace();
    }
    None
}

/// The botocore classification of a config-file section name (spec §3.4).
enum ConfigSection {
    Default,
    Named(&'static str, String),
    /// Starts with a prefix but does not split into exactly two words.
    BadPrefixed(&'static str, usize),
    Other,
}

fn classify_config(name: &str) -> ConfigSection {
    if name == "default" {
        return ConfigSection::Default;
    }
    for prefix in ["profile", "sso-session", "services"] {
        if name.starts_with(prefix) {
            return match credchain_fs::split_command_line(name) {
                Ok(words) if words.len() == 2 => {
                    ConfigSection::Named(prefix, words.into_iter().nth(1).unwrap_or_default())
                }
                Ok(words) => ConfigSection::BadPrefixed(prefix, words.len()),
                Err(_) => ConfigSection::BadPrefixed(prefix, 0),
            };
        }
    }
    ConfigSection::Other
}

fn pitfalls(scan: &Scan, kind: FileKind, out: &mut Vec<Raw>) {
    let mut push = |line: u32, rule: &'static str, message: String| {
        out.push(Raw {
            line,
            rule,
            class: Class::Pitfall,
            message,
        });
    };
    // Section names seen (DEFAULT aside), and keys per section name (DEFAULT included, since
    // repeated [DEFAULT] sections share their keys).
    let mut seen_sections: BTreeMap<&str, u32> = BTreeMap::new();
    let mut seen_keys: BTreeMap<(&str, String), u32> = BTreeMap::new();
    let mut default_forms: Vec<(u32, &str, bool)> = Vec::new();
    for sec in &scan.secs {
        let header = scan.line_text(sec.line);
        if sec.name == "DEFAULT" {
            push(
                sec.line,
                "default-section",
                "the AWS CLI copies every key of `[DEFAULT]` into every other section of this file \
                 (profiles, sso-session and services alike); the other SDKs treat it as an ordinary \
                 section"
                    .to_owned(),
            );
        } else if let Some(first) = seen_sections.get(sec.name.as_str()) {
            push(
                sec.line,
                "duplicate-section",
                format!(
                    "`{header}` repeats the section of line {first}: the AWS CLI rejects the whole \
                     file; the other SDKs merge the two"
                ),
            );
        } else {
            seen_sections.insert(&sec.name, sec.line);
        }
        let lower = sec.name.to_lowercase();
        match kind {
            FileKind::Config => match classify_config(&sec.name) {
                ConfigSection::Default => default_forms.push((sec.line, header, true)),
                ConfigSection::Named("profile", n) if n == "default" => {
                    default_forms.push((sec.line, header, false));
                }
                ConfigSection::Named(prefix, n) => {
                    let next = sec.name.get(prefix.len()..).and_then(|r| r.chars().next());
                    if next.is_some_and(|c| !c.is_whitespace()) {
                        push(
                            sec.line,
                            "profile-header",
                            format!(
                                "the AWS CLI reads `{header}` as the {prefix} `{}` (it only checks \
                                 that the name starts with `{prefix}`); write `[{prefix} {}]`",
                                n.escape_debug(),
                                n.escape_debug()
                            ),
                        );
                    }
                }
                ConfigSection::BadPrefixed(prefix, words) => {
                    let why = if words > 2 {
                        format!(
                            "the name is not one word (quote a name with spaces, as in \
                             `[{prefix} \"a b\"]`)"
                        )
                    } else if sec.name.len() == prefix.len() {
                        "the name is missing".to_owned()
                    } else if words == 0 {
                        "a quote is not closed".to_owned()
                    } else {
                        format!("there must be white space after `{prefix}`")
                    };
                    push(
                        sec.line,
                        "profile-header",
                        format!("the AWS CLI ignores `{header}`: {why}"),
                    );
                }
                ConfigSection::Other => {
                    if sec.name != "DEFAULT"
                        && matches!(
                            classify_config(&lower),
                            ConfigSection::Default | ConfigSection::Named(..)
                        )
                    {
                        push(
                            sec.line,
                            "section-case",
                            format!(
                                "section names are case-sensitive: `{header}` is not `[{lower}]`, \
                                 and neither the AWS CLI nor the other SDKs read it as a profile"
                            ),
                        );
                    } else if sec.name != "DEFAULT"
                        && !["plugins", "preview", "cli"].contains(&sec.name.as_str())
                    {
                        let trimmed = sec.name.trim();
                        let message = if trimmed != sec.name
                            && !matches!(classify_config(trimmed), ConfigSection::Other)
                        {
                            format!(
                                "the AWS CLI ignores `{header}`: botocore does not trim section \
                                 names, so it does not start with `{}`; write `[{trimmed}]`",
                                trimmed.split_whitespace().next().unwrap_or(trimmed)
                            )
                        } else {
                            format!(
                                "`{header}` is not a profile: in the config file a section is \
                                 `[default]`, `[profile NAME]`, `[sso-session NAME]` or \
                                 `[services NAME]`, and the AWS CLI and the other SDKs ignore any \
                                 other (`[NAME]` names a profile only in the credentials file)"
                            )
                        };
                        push(sec.line, "not-a-profile", message);
                    }
                }
            },
            FileKind::Credentials => {
                if sec.name.starts_with("profile ") || sec.name.starts_with("profile\t") {
                    let rest = sec.name.get("profile".len()..).unwrap_or_default().trim();
                    push(
                        sec.line,
                        "credentials-prefix",
                        format!(
                            "in the credentials file, section names are profile names as written: \
                             the AWS CLI reads `{header}` as the profile `{}` (the other SDKs ignore \
                             it); write `[{rest}]`",
                            sec.name.escape_debug()
                        ),
                    );
                }
            }
        }

        for o in &sec.opts {
            let key = o.name.to_lowercase();
            let keyed = (sec.name.as_str(), key.clone());
            if let Some(first) = seen_keys.get(&keyed) {
                push(
                    o.line,
                    "duplicate-key",
                    format!(
                        "`{}` is already set on line {first} in `[{}]`: the AWS CLI rejects the \
                         whole file (keys are compared in lowercase); the other SDKs keep the last \
                         value",
                        o.name.escape_debug(),
                        sec.name.escape_debug()
                    ),
                );
            } else {
                seen_keys.insert(keyed, o.line);
            }
            if o.delim == ':' {
                push(
                    o.line,
                    "colon-delimiter",
                    format!(
                        "`{}` is set with `:`: the AWS CLI accepts `:` as well as `=`, the other \
                         SDKs reject the whole file; write `{}`",
                        o.name.escape_debug(),
                        format!("{} = {}", o.name, o.value)
                            .trim_end()
                            .escape_debug()
                    ),
                );
            }
            let nested = o.value.is_empty() && !o.cont.is_empty();
            if let Some(at) = inline_comment(&o.value) {
                let kept = o.value.get(at..).unwrap_or_default();
                push(
                    o.line,
                    "inline-comment",
                    format!(
                        "`{}` is part of the value for the AWS CLI, which has no inline comments: \
                         `{}` is `{}`; the other SDKs drop it (put comments on their own line)",
                        kept.escape_debug(),
                        key.escape_debug(),
                        o.value.escape_debug()
                    ),
                );
            }
            for (line, text) in &o.cont {
                if let Some(at) = inline_comment(text) {
                    push(
                        *line,
                        "inline-comment",
                        format!(
                            "`{}` is part of the value of `{}` for the AWS CLI and the other \
                             SDKs alike: comments must be on their own, unindented line",
                            text.get(at..).unwrap_or_default().escape_debug(),
                            key.escape_debug()
                        ),
                    );
                }
                if nested {
                    if let Some(eq) = text.find('=') {
                        let sub = text.get(..eq).unwrap_or_default().trim();
                        if sub.chars().any(char::is_uppercase) {
                            push(
                                *line,
                                "nested-key-case",
                                format!(
                                    "nested keys are not lowercased: `{}` stays `{}` for the AWS \
                                     CLI, so a lookup of `{}` does not find it",
                                    sub.escape_debug(),
                                    sub.escape_debug(),
                                    sub.to_lowercase().escape_debug()
                                ),
                            );
                        }
                    }
                } else if looks_like_option_or_header(text) {
                    push(
                        *line,
                        "indented-line",
                        format!(
                            "this indented line continues `{}` of line {}: the AWS CLI reads `{}` as \
                             `{}\\n{}` and does not see `{}` on its own (remove the indentation)",
                            key.escape_debug(),
                            o.line,
                            key.escape_debug(),
                            o.value.escape_debug(),
                            text.escape_debug(),
                            text.escape_debug()
                        ),
                    );
                }
            }
        }
    }
    // Both forms, `[default]` and a `[profile default]` spelling (two `[default]` are a
    // duplicate section).
    let plain_default = default_forms.iter().filter(|(_, _, plain)| *plain).count();
    if plain_default > 0
        && plain_default < default_forms.len()
        && let Some((last_line, last, _)) = default_forms.last()
    {
        let others: Vec<String> = default_forms
            .iter()
            .take(default_forms.len().saturating_sub(1))
            .map(|(l, h, _)| format!("`{h}` (line {l})"))
            .collect();
        push(
            *last_line,
            "default-twice",
            format!(
                "the default profile is defined again: the AWS CLI uses only the last \
                 definition, `{last}`, and ignores {} entirely; the other SDKs use \
                 `[profile default]`",
                others.join(", ")
            ),
        );
    }
}

/// Whether a continuation line looks as if it was meant as an option or a header.
fn looks_like_option_or_header(text: &str) -> bool {
    if text.starts_with('[') && text.ends_with(']') {
        return true;
    }
    match text.find('=') {
        Some(eq) => {
            let name = text.get(..eq).unwrap_or_default().trim();
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        }
        None => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Settings that do not do what they seem to (botocore's reading)
// ---------------------------------------------------------------------------------------------

fn semantic(file: &ProfileFile<'_>, out: &mut Vec<Raw>) {
    let mut push = |line: u32, rule: &'static str, message: String| {
        out.push(Raw {
            line,
            rule,
            class: Class::Pitfall,
            message,
        });
    };
    for profile in file.profiles() {
        let name = profile.name().to_string();
        let get = |k: &str| profile.get(k).map(|v| (v.to_string(), v.line()));
        if let Some((v, line)) = get("credential_source") {
            const VALID: [&str; 3] = ["Environment", "Ec2InstanceMetadata", "EcsContainer"];
            if !VALID.contains(&v.as_str()) {
                let hint = match VALID.iter().find(|x| x.eq_ignore_ascii_case(&v)) {
                    Some(x) => format!("values are case-sensitive: write `{x}`"),
                    None => "the only values are Environment, Ec2InstanceMetadata and \
                             EcsContainer"
                        .to_owned(),
                };
                push(
                    line,
                    "credential-source",
                    format!(
                        "credential_source `{}` of the profile `{name}` is not valid: assuming its \
                         role fails; {hint}",
                        v.escape_debug()
                    ),
                );
            }
        }
        if let (Some((_, line)), Some((_, sp_line))) =
            (get("credential_source"), get("source_profile"))
        {
            push(
                line,
                "role-source",
                format!(
                    "the profile `{name}` sets both credential_source and source_profile (line \
                     {sp_line}): assuming its role fails with InvalidConfigError; keep one"
                ),
            );
        }
        if let Some((v, line)) = get("duration_seconds") {
            match v.parse::<u64>() {
                Err(_) => push(
                    line,
                    "duration-seconds",
                    format!(
                        "duration_seconds `{}` of the profile `{name}` is not an integer: the AWS \
                         CLI silently drops it and asks for the default hour",
                        v.escape_debug()
                    ),
                ),
                Ok(n) if n <= 900 => push(
                    line,
                    "duration-seconds",
                    format!(
                        "duration_seconds {n} of the profile `{name}` is 15 minutes or less: \
                         botocore calls STS again on every credential access"
                    ),
                ),
                Ok(_) => {}
            }
        }
        if let (Some((_, sec_line)), Some((_, ses_line))) =
            (get("aws_security_token"), get("aws_session_token"))
        {
            push(
                sec_line,
                "security-token",
                format!(
                    "the profile `{name}` sets both aws_security_token and aws_session_token (line \
                     {ses_line}): botocore uses aws_security_token"
                ),
            );
        }
        if let Some((_, line)) = get("aws_access_key_id")
            && profile.get("aws_secret_access_key").is_none()
        {
            push(
                line,
                "partial-keys",
                format!(
                    "the profile `{name}` has aws_access_key_id but no aws_secret_access_key in \
                     this file: botocore stops with PartialCredentialsError"
                ),
            );
        }
    }
}

/// Config-file keys that the credentials file overrides (spec §3.6, §10.5).
fn overrides(config: &[u8], credentials: &[u8], cred_name: &str) -> Vec<Raw> {
    let mut out = Vec::new();
    let (Ok(cfg), Ok(cred)) = (
        ProfileFile::parse_bytes(config, FileKind::Config, Dialect::Botocore),
        ProfileFile::parse_bytes(credentials, FileKind::Credentials, Dialect::Botocore),
    ) else {
        return out;
    };
    for profile in cfg.profiles() {
        let name = profile.name().to_string();
        let Some(cp) = cred.profile(&name) else {
            continue;
        };
        for p in profile.properties() {
            let key = p.key.to_string();
            if let Some(v) = cp.get(&key) {
                out.push(Raw {
                    line: p.key.line(),
                    rule: "overridden-by-credentials",
                    class: Class::Pitfall,
                    message: format!(
                        "`{}` of the profile `{}` is overridden by {cred_name}:{}: where both files \
                         set a key, the AWS CLI takes the credentials file's value",
                        key.escape_debug(),
                        name.escape_debug(),
                        v.line()
                    ),
                });
            }
        }
    }
    out
}
