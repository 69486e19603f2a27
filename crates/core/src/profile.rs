//! # How botocore reads your `~/.aws/config` and `~/.aws/credentials`
//!
//! Both files are INI files, but "INI" is not a standard: what a line means depends on who
//! reads it. This module reads them two ways ([`Dialect`]):
//!
//! - [`Dialect::Botocore`] (the default) reads them exactly as botocore 1.43.11 — the AWS CLI and
//!   boto3 — does (spec §3), which is Python 3.11's `configparser` plus botocore's own profile
//!   rules;
//! - [`Dialect::Sdk`] reads them as the other AWS SDKs do, following the cross-SDK conformance
//!   suite `profile-parser-tests.json` (aws-config §1.4).
//!
//! Parsing never copies: [`ProfileFile::parse`] checks the whole file once and returns a view over
//! the text. Every later lookup walks that text again, so it cannot fail, and every name and
//! value it returns borrows from the input ([`Text`], [`Value`]).
//!
//! ## Lines (spec §3.2)
//!
//! botocore opens the file as UTF-8 text with *universal newlines*: `\n`, `\r\n` and a lone `\r`
//! each end a line. Invalid UTF-8 makes the whole file unreadable, and a byte order mark is kept
//! as a character, so `\u{feff}[default]` is not a header (and the file fails). Each line is then
//! stripped of white space — Python's notion of it, which includes `\x1c`–`\x1f` and the Unicode
//! spaces — and read as:
//!
//! 1. a **comment** when it starts with `#` or `;`. Only whole lines are comments:
//!    `region = us-east-1 # primary` has the value `us-east-1 # primary`.
//! 2. a **blank line**, which adds an empty line to the value being read, if any;
//! 3. a **continuation** when it is indented deeper than the line that started the current
//!    option (a tab counts as one character): its text is appended to the value on a new line.
//!    Indentation is relative, so `  region = x` followed by `    y` continues, and an indented
//!    `[profile x]` after an option is swallowed into the value;
//! 4. a **section header**, `[` up to the *last* `]` (`[a]b]` is section `a]b`; text after the `]`
//!    is ignored; the name is not trimmed, so `[ default ]` is the section `" default "`);
//! 5. an **option**: the name up to the first `=` *or* `:`, right-trimmed and lowercased with
//!    Python's full Unicode `str.lower()`; the value after it, stripped. Names may hold spaces
//!    (`aws access key = …`); values keep quotes, `#`, `;` and `%` as written.
//!
//! At the end each value's lines are joined with `\n` and trailing blank lines dropped.
//!
//! A line that is none of these (no `=` or `:`), an option before any header, an empty option
//! name, a section defined twice or an option set twice in one section (after lowercasing) make
//! the whole file fail. `[DEFAULT]` is special: it may appear several times, is not a section of
//! its own, and every key in it is **inherited by every other section** of the same file —
//! profiles, `sso-session` and `services` sections alike.
//!
//! ## Nested blocks (spec §3.3)
//!
//! A value whose first line is empty and that continues on indented lines is a one-level map:
//!
//! ```ini
//! [default]
//! s3 =
//!     addressing_style = path
//! ```
//!
//! Each of its lines is split on the first `=` ([`Value::sub_properties`]); a line without `=`
//! fails the file (only `=` works here, not `:`); sub-keys are not lowercased.
//!
//! ## Which sections are profiles (spec §3.4, §3.5)
//!
//! In the **config file** a section name that starts with `profile` is split like a shell command
//! line (`shlex.split`) and is a profile when that gives exactly two words; the second is the
//! profile's name. So `[profile "my profile"]` is `my profile`, `[profile  foo]` and
//! `[profile\tfoo]` are `foo`, `[profile a b]` and `[profile]` are ignored, and — a quirk —
//! `[profilefoo bar]` is the profile `bar`. `sso-session` and `services` sections follow the same
//! rule. `[default]` is the profile `default`; when both `[default]` and `[profile default]`
//! exist, whichever comes **last** in the file wins entirely. Any other section (`[foo]`) is not
//! a profile.
//!
//! In the **credentials file** every section is a profile named exactly as written: `[profile
//! foo]` there is the profile `"profile foo"`.
//!
//! ## The two files together (spec §3.6)
//!
//! [`Merged`] is botocore's `session.full_config`: the profiles of both files, and for a profile
//! in both, the credentials file's keys override the config file's, key by key. SSO sessions and
//! services come from the config file only.
//!
//! ## Where the cross-SDK dialect differs (spec §3.8)
//!
//! | | `Botocore` | `Sdk` |
//! |---|---|---|
//! | line ends | `\n`, `\r\n`, `\r` | `\n`, `\r\n` |
//! | white space | Python's (`str.isspace`) | space and tab |
//! | inline comments | never | `value # c` drops `# c` (when white space precedes it); `[profile a] #c` too |
//! | `key: value` | accepted | an error |
//! | continuation | indented deeper than the option's line | any line starting with space or tab |
//! | blank line inside a value | kept (trailing ones dropped) | skipped |
//! | repeated section or key | the file fails | merged, the last value wins |
//! | `[default]` and `[profile default]` | the later one wins | `[profile default]` wins |
//! | names and keys | anything | must match `[A-Za-z0-9_\-/.%@:+]`, else ignored |
//! | `[profile foo]` in the credentials file | profile `"profile foo"` | ignored |
//! | `[   profile foo    ]` in the config file | ignored | profile `foo` |
//! | `[DEFAULT]` | inherited by every section | an ordinary (ignored, or credentials) section |
//! | quoted names `[profile "a b"]` | `a b` | ignored (not an identifier) |
//! | nested block | a map; a line without `=` fails; `= v` is key `""` | kept as the raw text `"\nk = v"`; a line without `=` or without a name fails |
//! | option name case | Python `str.lower()` | ASCII lowercase |
//!
//! ## Cost
//!
//! Parsing is one pass over the file, plus the search for repeated names (botocore rejects
//! them; the SDK merges them, and lookups want to know). In botocore's dialect a *plain* file —
//! `\n` line ends, headers and options in column 0, ASCII where lines are stripped, no
//! `[DEFAULT]`, no quoted names, which is what nearly every real file looks like — is read by a
//! leaner pass that looks at each line's first byte to know what it is, and its sections are
//! walked the same way; any other file is read by configparser's full line machine. Both give
//! the same answers (the leaner pass gives up, and leaves the file to the other, at the first
//! line it does not handle). Most files need no search: names that
//! come in increasing order (as in most generated files) are distinct, a file of at most 64
//! section names (and `[DEFAULT]` keys) is settled by sorting their hashes on the stack, and a
//! section of at most 24 options compares each option's fingerprint with the earlier ones as it
//! is read. Otherwise the search sorts 32-bit fingerprints of the names in a fixed scratch
//! buffer: 1024 entries (8 KiB of stack, 2048 fingerprints) for [`ProfileFile::parse`], set up
//! only then. Otherwise a file with more sections than the buffer holds takes about one
//! more pass per 1,800 sections — for 100,000 profiles, some 56 passes that only look at the
//! lines starting with `[`, a few hundred milliseconds — and
//! [`ProfileFile::parse_with_scratch`] takes a bigger buffer to do it in one pass, or a smaller
//! one for a tight stack. Many sections with one name (the SDK merges them; in botocore's
//! dialect `[profile a]`, `[profile "a"]`, `[profile  a]` … name one profile) fill the buffer
//! with one fingerprint, which is kept twice and the buffer compacted, so they cost no more
//! than distinct names. Only hashes made to collide on purpose make the search quadratic.
//!
//! Listing a section's properties in botocore's dialect walks its own options, then the
//! `[DEFAULT]` options once, keeping those the section does not set: a small filter of the
//! section's own keys rules most of them out, and only a key it cannot rule out (one the section
//! overrides, or rarely a false alarm) costs a walk over the section's options. So a listing
//! costs `O(own options + [DEFAULT] options)` lines, unless the section itself sets hundreds of
//! keys (the filter then rules out less, up to `O(own × [DEFAULT])`).
//!
//! Lookups by name walk the file (`O(file)`), from the first header of the kind looked for to
//! the last (the parse notes where they lie), jumping from line start to line start and looking
//! only at lines that start with `[`; in botocore's dialect the walk stops at the first section
//! with the name unless the parse saw another section mapping to the same name. For a plain
//! file the parse also records where its first 64 headers are, their line numbers, where each
//! header line ends, what kind of section each opens and where its name starts (898 bytes of
//! the `ProfileFile`), so walking its sections jumps straight from one to the next, with no
//! search, no line counting and no classification of names, and only a bigger file's later
//! headers are searched for. Listing a plain file's section splits each option line with one
//! word-at-a-time scan (the delimiter, then the line end), and when the parse saw that every
//! option line is spelt `key = value` it takes the key and value from those two positions
//! alone. Walking every profile ([`ProfileFile::profiles`]) is linear too, unless more than eight
//! sections share their name with another one (botocore keeps the last of them, the SDK merges
//! them), where it may become quadratic.
//!
//! ## Example
//!
//! ```
//! use credchain_core::profile::{Dialect, FileKind, ProfileFile};
//!
//! let text = "[default]\nregion = eu-west-1\n\n[profile \"dev box\"]\nregion: us-east-1 # not a comment\n";
//! let config = ProfileFile::parse(text, FileKind::Config, Dialect::Botocore)?;
//! let dev = config.profile("dev box").expect("quoted names are unquoted");
//! assert_eq!(dev.get("REGION").unwrap().as_str(), Some("us-east-1 # not a comment"));
//!
//! let sdk = ProfileFile::parse("[profile dev]\nregion = us-east-1 # a comment\n", FileKind::Config, Dialect::Sdk)?;
//! assert_eq!(sdk.profile("dev").unwrap().get("region").unwrap().as_str(), Some("us-east-1"));
//! # Ok::<(), credchain_core::profile::ParseError>(())
//! ```

mod botocore;
mod dedup;
mod error;
mod merge;
mod plain;
mod sdk;
mod shlex;
mod text;
mod unicode;

use core::fmt;

use dedup::Scratch;
pub use error::{ParseError, ParseErrorKind};
pub use merge::{Merged, MergedProfile, MergedProperties};
pub use text::{SubProperties, Text, TextFragments, Value, ValueFragments};

use text::TextRepr;

/// Which reader's rules apply (see the [module docs](self) for the differences).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Dialect {
    /// botocore 1.43.11 (the AWS CLI, boto3): Python's `configparser` and botocore's profile map.
    #[default]
    Botocore,
    /// The cross-SDK standard of `profile-parser-tests.json` (the Rust, Java, … SDKs).
    Sdk,
}

/// Which of the two files is being read; the rules for section names differ (spec §3.4, §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `~/.aws/config` (`AWS_CONFIG_FILE`): profiles are `[profile NAME]` and `[default]`.
    Config,
    /// `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`): profiles are `[NAME]`.
    Credentials,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Config => "config file",
            FileKind::Credentials => "credentials file",
        })
    }
}

/// The kinds of section that are looked up by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Category {
    Profile = 1,
    SsoSession = 2,
    Services = 3,
}

impl Category {
    pub(crate) fn index(self) -> usize {
        (self as usize).saturating_sub(1)
    }
}

/// A few section offsets a lookup must know about (see [`ProfileFile`]'s fields), or the fact
/// that there were more than it holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Notable {
    offsets: [u32; 8],
    len: u8,
    pub(crate) overflow: bool,
}

impl Notable {
    pub(crate) fn push(&mut self, off: usize) {
        if self.contains(off) {
            return;
        }
        match self.offsets.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = u32::try_from(off).unwrap_or(u32::MAX);
                self.len = self.len.saturating_add(1);
            }
            None => self.overflow = true,
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.offsets
            .get(..usize::from(self.len))
            .unwrap_or(&[])
            .iter()
            .map(|o| *o as usize)
    }

    fn contains(&self, off: usize) -> bool {
        self.iter().any(|o| o == off)
    }
}

/// Where the headers of one category lie: the first one's offset and line, and the last one's
/// offset. Walking a category starts at the first and stops after the last, so a file's
/// `services()` costs nothing when it has no services section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) first: u32,
    pub(crate) first_line: u32,
    pub(crate) last: u32,
}

/// A [`Span`] for each [`Category`] (a superset of the sections a walk yields is fine: it
/// bounds the walk, which still classifies each header).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Spans([Option<Span>; 3]);

impl Spans {
    /// Records a header of `category` at `off`, on line `line` (headers come in file order).
    #[inline]
    pub(crate) fn note(&mut self, category: Category, off: usize, line: u32) {
        let off = u32::try_from(off).unwrap_or(u32::MAX);
        if let Some(slot) = self.0.get_mut(category.index()) {
            match slot {
                Some(span) => span.last = off,
                None => {
                    *slot = Some(Span {
                        first: off,
                        first_line: line,
                        last: off,
                    });
                }
            }
        }
    }

    pub(crate) fn get(&self, category: Category) -> Option<Span> {
        self.0.get(category.index()).copied().flatten()
    }
}

/// The scratch entries [`ProfileFile::parse`] uses for the duplicate search (8 KiB of stack,
/// room for 2048 fingerprints), when it needs any.
pub(crate) const DEFAULT_SCRATCH: usize = 1024;

/// A parsed profile file: a validated, borrowed view of its text.
///
/// Holding one means the file parsed: every lookup walks the text again and cannot fail.
/// It is `Copy` and holds no more than a few hundred bytes (the offsets of a plain file's
/// first 64 section headers among them); sections and values borrow the input, not the
/// `ProfileFile`.
#[derive(Clone, Copy)]
pub struct ProfileFile<'a> {
    /// What the sections of the file need to walk their options.
    info: FileInfo<'a>,
    /// botocore: config sections that map to the same name as another section (botocore keeps
    /// the last); Sdk: sections that repeat an earlier one (the SDK merges them).
    notable: Notable,
    /// Where each category's headers lie.
    spans: Spans,
    /// Plain files: where the first headers are, so that walking the sections jumps from one
    /// to the next.
    heads: Heads,
}

/// How many section headers a [`ProfileFile`] of a plain file remembers (about 900 bytes):
/// more than nearly every real file has. A walk over the sections of a bigger file looks for
/// the headers after these in the text.
pub(crate) const HEADS: usize = 64;

/// The offsets, line numbers, line ends and names of a plain file's first [`HEADS`] headers,
/// in file order, recorded by the parse: walking the sections then costs no search, no line
/// counting and no classification of names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Heads {
    pub(crate) offs: [u32; HEADS],
    pub(crate) lines: [u32; HEADS],
    /// The `\n` ending each header line (or the text's length).
    pub(crate) ends: [u32; HEADS],
    /// Each header's [`Category`] (as `category as u8`), or 0 for a section that is none.
    pub(crate) kinds: [u8; HEADS],
    /// Where each header's name starts, counted from the byte after its `[` (past `profile `
    /// and the like).
    pub(crate) skips: [u8; HEADS],
    /// How many are recorded.
    pub(crate) len: u8,
    /// Whether they are all of the file's headers.
    pub(crate) complete: bool,
}

impl Default for Heads {
    fn default() -> Self {
        Heads {
            offs: [0; HEADS],
            lines: [0; HEADS],
            ends: [0; HEADS],
            kinds: [0; HEADS],
            skips: [0; HEADS],
            len: 0,
            complete: false,
        }
    }
}

impl fmt::Debug for Heads {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heads")
            .field("len", &self.len)
            .field("complete", &self.complete)
            .finish_non_exhaustive()
    }
}

/// A header as the parse records it in [`Heads`].
#[derive(Clone, Copy)]
pub(crate) struct HeadEntry {
    pub(crate) off: usize,
    pub(crate) line: u32,
    /// The `\n` ending its line (or the text's length).
    pub(crate) end: usize,
    /// Its category, and where its name starts past the `[` (`None`: no category).
    pub(crate) named: Option<(Category, u8)>,
}

impl Heads {
    /// Records a header; `false` once the table is full (or an offset does not fit).
    #[inline]
    pub(crate) fn push(&mut self, e: HeadEntry) -> bool {
        let i = usize::from(self.len);
        let (Ok(off), Ok(end)) = (u32::try_from(e.off), u32::try_from(e.end)) else {
            return false;
        };
        let (Some(o), Some(l), Some(z), Some(k), Some(s)) = (
            self.offs.get_mut(i),
            self.lines.get_mut(i),
            self.ends.get_mut(i),
            self.kinds.get_mut(i),
            self.skips.get_mut(i),
        ) else {
            return false;
        };
        *o = off;
        *l = e.line;
        *z = end;
        (*k, *s) = match e.named {
            Some((c, skip)) => (c as u8, skip),
            None => (0, 0),
        };
        self.len = self.len.saturating_add(1);
        true
    }

    /// The recorded header `i`: its offset and line.
    #[inline]
    fn get(&self, i: usize) -> Option<(usize, u32)> {
        if i >= usize::from(self.len) {
            return None;
        }
        Some((*self.offs.get(i)? as usize, *self.lines.get(i)?))
    }

    /// The recorded header `i`, whole.
    #[inline]
    fn entry(&self, i: usize) -> Option<HeadEntry> {
        if i >= usize::from(self.len) {
            return None;
        }
        let named = match *self.kinds.get(i)? {
            1 => Some(Category::Profile),
            2 => Some(Category::SsoSession),
            3 => Some(Category::Services),
            _ => None,
        };
        Some(HeadEntry {
            off: *self.offs.get(i)? as usize,
            line: *self.lines.get(i)?,
            end: *self.ends.get(i)? as usize,
            named: named.map(|c| (c, self.skips.get(i).copied().unwrap_or(0))),
        })
    }

    /// The index of the first recorded header at or after `off`.
    fn index_of(&self, off: usize) -> usize {
        self.offs
            .get(..usize::from(self.len))
            .unwrap_or(&[])
            .partition_point(|o| (*o as usize) < off)
    }
}

/// The part of a [`ProfileFile`] its sections carry (kept small: every [`Section`] holds a
/// copy).
#[derive(Clone, Copy)]
pub(crate) struct FileInfo<'a> {
    src: &'a str,
    kind: FileKind,
    dialect: Dialect,
    /// botocore: headers can be found by jumping between `[` at line starts.
    fast: bool,
    /// botocore: no line ends in `\r` (so lines can be walked by `\n`).
    lf_only: bool,
    /// botocore: every config section name is classified without shlex.
    plain_names: bool,
    /// botocore: the `[DEFAULT]` sections, from the first header to the end of the last one.
    defaults: Option<(u32, u32, u32)>,
    /// Sdk: the config file has `[profile default]`, so `[default]` is ignored.
    prefixed_default: bool,
    /// Sdk: no section repeats a key (so a property needs no check for a later one).
    unique_keys: bool,
    /// botocore: the file is plain (see `plain`), so sections are walked the cheap way.
    plain: bool,
    /// botocore, plain files: every option name is ASCII (lowercased in ASCII on the way out).
    ascii_keys: bool,
    /// botocore, plain files: every option line is spelt `key = value` (see `plain`).
    spaced: bool,
}

impl<'a> FileInfo<'a> {
    /// botocore: the `[DEFAULT]` sections' options.
    fn default_options(&self) -> botocore::DefaultOptions<'a> {
        match self.defaults {
            Some((from, line, end)) => botocore::Defaults {
                src: self.src,
                from: from as usize,
                line,
                end: end as usize,
                fast: self.fast,
            }
            .options(),
            None => botocore::DefaultOptions::none(self.src),
        }
    }
}

impl fmt::Debug for ProfileFile<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileFile")
            .field("kind", &self.info.kind)
            .field("dialect", &self.info.dialect)
            .field("len", &self.info.src.len())
            .finish_non_exhaustive()
    }
}

impl<'a> ProfileFile<'a> {
    /// Parses a file's text. The whole file is checked here (syntax, repeated sections and
    /// options, nested blocks), so that a file botocore would reject is rejected now and every
    /// later lookup succeeds.
    ///
    /// Uses 8 KiB of stack for the duplicate search when the file needs one (most do not; see
    /// the [module docs](self#cost)); see [`ProfileFile::parse_with_scratch`] to use less, or
    /// more.
    pub fn parse(input: &'a str, kind: FileKind, dialect: Dialect) -> Result<Self, ParseError> {
        // The buffer is only set up if the search needs it: most files need none.
        Self::parse_in(input, kind, dialect, Scratch::Default)
    }

    /// Parses a file's bytes, as botocore reads them: they must be UTF-8 (an error says where
    /// they are not).
    ///
    /// The AWS SDKs treat a file that is not UTF-8 as empty, with a warning; this crate reports
    /// it in both dialects, and the caller decides.
    pub fn parse_bytes(
        input: &'a [u8],
        kind: FileKind,
        dialect: Dialect,
    ) -> Result<Self, ParseError> {
        match core::str::from_utf8(input) {
            Ok(text) => Self::parse(text, kind, dialect),
            Err(e) => Err(Self::utf8_error(input, kind, dialect, e)),
        }
    }

    /// The error for bytes that are not UTF-8.
    fn utf8_error(
        input: &[u8],
        kind: FileKind,
        dialect: Dialect,
        e: core::str::Utf8Error,
    ) -> ParseError {
        let valid = input
            .get(..e.valid_up_to())
            .and_then(|v| core::str::from_utf8(v).ok())
            .unwrap_or("");
        ParseError::at_byte(
            kind,
            dialect,
            valid,
            e.valid_up_to(),
            ParseErrorKind::InvalidUtf8,
        )
    }

    /// [`ProfileFile::parse_bytes`] with a caller's scratch buffer.
    pub fn parse_bytes_with_scratch(
        input: &'a [u8],
        kind: FileKind,
        dialect: Dialect,
        scratch: &mut [u64],
    ) -> Result<Self, ParseError> {
        match core::str::from_utf8(input) {
            Ok(text) => Self::parse_with_scratch(text, kind, dialect, scratch),
            Err(e) => Err(Self::utf8_error(input, kind, dialect, e)),
        }
    }

    /// [`ProfileFile::parse`] with a caller's scratch buffer for the duplicate search. Each pass
    /// over the file checks about 1.75 names per entry (two 32-bit fingerprints fit in one),
    /// so 60,000 entries (480 KiB) take a 100,000-section file in one pass; a small buffer
    /// takes more passes and less memory. A buffer under 16 entries is replaced by a 16-entry
    /// one on the stack.
    pub fn parse_with_scratch(
        input: &'a str,
        kind: FileKind,
        dialect: Dialect,
        scratch: &mut [u64],
    ) -> Result<Self, ParseError> {
        let mut fallback = [0u64; dedup::MIN_SCRATCH];
        let scratch = if scratch.len() < dedup::MIN_SCRATCH {
            &mut fallback[..]
        } else {
            scratch
        };
        Self::parse_in(input, kind, dialect, Scratch::Given(scratch))
    }

    fn parse_in(
        input: &'a str,
        kind: FileKind,
        dialect: Dialect,
        mut scratch: Scratch<'_>,
    ) -> Result<Self, ParseError> {
        if u32::try_from(input.len()).is_err() {
            return Err(ParseError::at_byte(
                kind,
                dialect,
                "",
                0,
                ParseErrorKind::TooLarge,
            ));
        }
        let mut file = ProfileFile {
            info: FileInfo {
                src: input,
                kind,
                dialect,
                fast: true,
                lf_only: false,
                plain_names: false,
                defaults: None,
                prefixed_default: false,
                unique_keys: false,
                plain: false,
                ascii_keys: false,
                spaced: false,
            },
            notable: Notable::default(),
            spans: Spans::default(),
            heads: Heads::default(),
        };
        match dialect {
            Dialect::Botocore => {
                // A plain file is read in one cheap pass; any other by the general reader.
                let s = match plain::validate(input, kind, &mut scratch, &mut file.heads) {
                    Some(s) => s,
                    None => {
                        file.heads = Heads::default();
                        botocore::validate(input, kind, &mut scratch)?
                    }
                };
                let info = &mut file.info;
                info.plain = s.plain;
                info.ascii_keys = s.ascii_keys;
                info.spaced = s.spaced;
                info.fast = s.fast;
                info.lf_only = s.lf_only;
                info.plain_names = s.plain_names;
                info.defaults = s.first_default.map(|from| {
                    let to32 = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
                    (to32(from), s.first_default_line, to32(s.default_end))
                });
                file.notable = s.notable;
                file.spans = s.spans;
            }
            Dialect::Sdk => {
                let s = sdk::validate(input, kind, &mut scratch)?;
                file.notable = s.repeats;
                file.info.prefixed_default = s.prefixed_default;
                file.spans = s.spans;
                file.info.unique_keys = s.unique_keys;
            }
        }
        Ok(file)
    }

    /// Which file this is.
    pub fn kind(&self) -> FileKind {
        self.info.kind
    }

    /// Which rules it was read with.
    pub fn dialect(&self) -> Dialect {
        self.info.dialect
    }

    /// The file's text.
    pub fn text(&self) -> &'a str {
        self.info.src
    }

    /// Every profile, each once: in botocore's dialect the section that wins for each name (the
    /// last one, spec §3.4), in the SDK's the merge of all sections with that name. Ordered by
    /// the position of that (botocore) or the first (Sdk) section.
    pub fn profiles(&self) -> Sections<'a> {
        Sections::new(*self, Category::Profile)
    }

    /// The profile `name` (case-sensitive), if the file defines it.
    pub fn profile(&self, name: &str) -> Option<Section<'a>> {
        self.find(Category::Profile, |t| t.eq_str(name))
    }

    /// Every `[sso-session NAME]` section (config file only).
    pub fn sso_sessions(&self) -> Sections<'a> {
        Sections::new(*self, Category::SsoSession)
    }

    /// The `[sso-session NAME]` section `name`.
    pub fn sso_session(&self, name: &str) -> Option<Section<'a>> {
        self.find(Category::SsoSession, |t| t.eq_str(name))
    }

    /// Every `[services NAME]` section (config file only).
    pub fn services(&self) -> Sections<'a> {
        Sections::new(*self, Category::Services)
    }

    /// The `[services NAME]` section `name`.
    pub fn service(&self, name: &str) -> Option<Section<'a>> {
        self.find(Category::Services, |t| t.eq_str(name))
    }

    /// The header scan from the header at `from` (numbered `line`) on.
    fn blocks_from(&self, from: usize, line: u32) -> BlockIter<'a> {
        match self.info.dialect {
            Dialect::Botocore if self.info.plain => BlockIter::Botocore(botocore::Blocks::Plain(
                plain::PlainBlocks::new(self.info.src, from, line),
            )),
            Dialect::Botocore if self.info.fast && self.info.lf_only => {
                BlockIter::Botocore(botocore::Blocks::lines(self.info.src, from, line))
            }
            Dialect::Botocore => BlockIter::Botocore(botocore::Blocks::new(
                self.info.src,
                from,
                line,
                self.info.fast,
            )),
            Dialect::Sdk => BlockIter::Sdk(sdk::Blocks::new(self.info.src, from, line)),
        }
    }

    /// The headers of `category`'s span (others among them too), in file order.
    fn headers_of(&self, category: Category) -> impl Iterator<Item = Header<'a>> + 'a {
        let file = *self;
        let mut walk = Sections::new(file, category);
        let last = walk.last;
        core::iter::from_fn(move || walk.next_header()).take_while(move |h| h.off <= last)
    }

    /// Header `i` of the parse's table (a plain file's: `[name]` ends its line).
    #[inline]
    fn table_header(&self, i: usize) -> Option<Header<'a>> {
        let e = self.heads.entry(i)?;
        let src = self.info.src;
        let named = e.named.map(|(category, skip)| {
            let from = e.off.wrapping_add(1).wrapping_add(usize::from(skip));
            let name = src.get(from..e.end.wrapping_sub(1)).unwrap_or("");
            (category, Text::new(TextRepr::Plain(name), e.line))
        });
        Some(Header {
            off: e.off,
            line: e.line,
            named,
            body: e.end.wrapping_add(1).min(src.len()),
        })
    }

    /// The header scan after the last header of the parse's table.
    fn blocks_after_table(&self) -> BlockIter<'a> {
        let src = self.info.src;
        let last = usize::from(self.heads.len).checked_sub(1);
        match last.and_then(|i| self.heads.get(i)) {
            Some((off, line)) if !self.heads.complete => {
                let next = plain::next_line_start(src, off);
                self.blocks_from(next, line.saturating_add(1))
            }
            _ => self.blocks_from(src.len(), 1),
        }
    }

    /// Every header of the file (including `[DEFAULT]`), with its category and name when it has
    /// one, in file order.
    fn headers(&self) -> impl Iterator<Item = Header<'a>> + 'a {
        let file = *self;
        let (boto, sdk) = match self.info.dialect {
            Dialect::Botocore => (
                Some(botocore::Blocks::new(self.info.src, 0, 1, self.info.fast)),
                None,
            ),
            Dialect::Sdk => (None, Some(sdk::Blocks::new(self.info.src, 0, 1))),
        };
        let boto = boto
            .into_iter()
            .flatten()
            .map(move |b| file.botocore_header(b));
        let sdk = sdk.into_iter().flatten().map(move |b| file.sdk_header(b));
        boto.chain(sdk)
    }

    fn sdk_header(&self, b: sdk::Block<'a>) -> Header<'a> {
        let class = sdk::classify(b.raw, self.info.kind, self.info.prefixed_default);
        Header {
            off: b.off,
            line: b.line,
            body: 0,
            named: class
                .category()
                .map(|(c, n)| (c, Text::new(TextRepr::Plain(n), b.line))),
        }
    }

    fn botocore_header(&self, b: botocore::Block<'a>) -> Header<'a> {
        let named = if b.is_default() {
            None
        } else {
            match self.info.kind {
                FileKind::Credentials => Some((
                    Category::Profile,
                    Text::new(TextRepr::Plain(b.name), b.line),
                )),
                FileKind::Config if self.info.plain_names => botocore::classify_known_plain(b.name)
                    .map(|(c, token)| (c, Text::new(TextRepr::Plain(token), b.line))),
                FileKind::Config => botocore::classify_config(b.name).map(|(c, token, _)| {
                    let text = botocore::mapped_text(b.name, token);
                    (c, Text::new(text.repr, b.line))
                }),
            }
        };
        Header {
            off: b.off,
            line: b.line,
            named,
            body: 0,
        }
    }

    /// The header at `off` (a header line of this file).
    fn header_at(&self, off: usize) -> Option<Header<'a>> {
        match self.info.dialect {
            Dialect::Botocore => {
                let name = botocore::name_at(self.info.src, off)?;
                Some(self.botocore_header(botocore::Block { off, line: 0, name }))
            }
            Dialect::Sdk => {
                let raw = sdk::header_at(self.info.src, off)?;
                Some(self.sdk_header(sdk::Block { off, line: 0, raw }))
            }
        }
    }

    /// The section of `category` whose name satisfies `is_name`: botocore's last such section,
    /// or the SDK's first (merged with the later ones).
    pub(crate) fn find(
        &self,
        category: Category,
        is_name: impl Fn(&Text<'a>) -> bool,
    ) -> Option<Section<'a>> {
        let mut matching = self
            .headers_of(category)
            .filter(|h| h.named.is_some_and(|(c, t)| c == category && is_name(&t)));
        let header = match self.info.dialect {
            Dialect::Botocore => {
                // botocore keeps the last section with the name; when no other section maps
                // to this one's name (the parse noted those that do), the first is the last.
                let first = matching.next()?;
                if !self.notable.overflow && !self.notable.contains(first.off) {
                    first
                } else {
                    matching.last().unwrap_or(first)
                }
            }
            Dialect::Sdk => matching.next()?,
        };
        let (_, name) = header.named?;
        Some(self.section(&header, category, name))
    }

    #[inline]
    fn section(&self, header: &Header<'a>, category: Category, name: Text<'a>) -> Section<'a> {
        let (off, line) = (header.off, header.line);
        let merged = match self.info.dialect {
            Dialect::Botocore => false,
            Dialect::Sdk => {
                self.notable.overflow
                    || self.notable.iter().any(|o| {
                        o > off
                            && self
                                .header_at(o)
                                .and_then(|h| h.named)
                                .is_some_and(|(c, t)| c == category && t.eq_text(&name))
                    })
            }
        };
        Section {
            file: self.info,
            off,
            line,
            body: u32::try_from(header.body).unwrap_or(0),
            category,
            name,
            merged,
        }
    }

    /// botocore: whether the section at `h` is the last one with its category and name.
    fn is_last_of_its_name(&self, h: &Header<'a>) -> bool {
        let Some((category, name)) = h.named else {
            return false;
        };
        if !self.notable.overflow && !self.notable.contains(h.off) {
            return true;
        }
        !self.headers().any(|other| {
            other.off > h.off
                && other
                    .named
                    .is_some_and(|(c, t)| c == category && t.eq_text(&name))
        })
    }

    /// Sdk: whether the section at `h` is the first one with its category and name.
    fn is_first_of_its_name(&self, h: &Header<'a>) -> bool {
        let Some((category, name)) = h.named else {
            return false;
        };
        if !self.notable.overflow {
            return !self.notable.contains(h.off);
        }
        !self.headers().take_while(|o| o.off < h.off).any(|o| {
            o.named
                .is_some_and(|(c, t)| c == category && t.eq_text(&name))
        })
    }
}

/// A section header as the lookups see it.
#[derive(Debug, Clone, Copy)]
struct Header<'a> {
    off: usize,
    line: u32,
    /// The category and decoded name, for sections that are profiles, SSO sessions or services.
    named: Option<(Category, Text<'a>)>,
    /// Plain files: where the line after the header starts (0: not known).
    body: usize,
}

/// The profiles (or SSO sessions, or services) of a file; see [`ProfileFile::profiles`].
#[derive(Clone)]
pub struct Sections<'a> {
    file: ProfileFile<'a>,
    category: Category,
    walk: Walk<'a>,
    /// The offset of the category's last header (the walk ends after it).
    last: usize,
}

impl fmt::Debug for Sections<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sections")
            .field("file", &self.file)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}

/// How [`Sections`] finds the next header.
#[derive(Debug, Clone)]
enum Walk<'a> {
    /// Plain files: header `i` of the parse's table next; past its end, the scan resumes after
    /// the last recorded header.
    Table(usize),
    /// Either dialect's header scan.
    Blocks(BlockIter<'a>),
    /// Past the last header of the category.
    Done,
}

/// Either dialect's header scan.
#[derive(Debug, Clone)]
enum BlockIter<'a> {
    Botocore(botocore::Blocks<'a>),
    Sdk(sdk::Blocks<'a>),
}

impl<'a> Sections<'a> {
    fn new(file: ProfileFile<'a>, category: Category) -> Self {
        let (from, line, last) = match file.spans.get(category) {
            Some(span) => (span.first as usize, span.first_line, span.last as usize),
            // Nothing to walk: start at the end of the text.
            None => (file.info.src.len(), 1, 0),
        };
        let walk = if file.heads.len > 0 {
            Walk::Table(file.heads.index_of(from))
        } else {
            Walk::Blocks(file.blocks_from(from, line))
        };
        Sections {
            file,
            category,
            walk,
            last,
        }
    }
}

impl<'a> Sections<'a> {
    /// The next header of the walk, whatever its category.
    #[inline]
    fn next_header(&mut self) -> Option<Header<'a>> {
        let file = &self.file;
        loop {
            return match &mut self.walk {
                Walk::Table(i) => match file.table_header(*i) {
                    Some(h) => {
                        *i = i.wrapping_add(1);
                        Some(h)
                    }
                    None => {
                        self.walk = Walk::Blocks(file.blocks_after_table());
                        continue;
                    }
                },
                Walk::Blocks(BlockIter::Botocore(blocks)) => {
                    Some(file.botocore_header(blocks.next()?))
                }
                Walk::Blocks(BlockIter::Sdk(blocks)) => Some(file.sdk_header(blocks.next()?)),
                Walk::Done => None,
            };
        }
    }
}

impl<'a> Iterator for Sections<'a> {
    type Item = Section<'a>;

    fn next(&mut self) -> Option<Section<'a>> {
        if let Walk::Table(i) = &mut self.walk {
            // A plain file's recorded headers: category, name and body are in the table.
            let file = &self.file;
            let heads = &file.heads;
            let code = self.category as u8;
            while *i < usize::from(heads.len) {
                let k = *i;
                *i = k.wrapping_add(1);
                let (Some(&off), Some(&kind)) = (heads.offs.get(k), heads.kinds.get(k)) else {
                    break;
                };
                let off = off as usize;
                if off > self.last {
                    self.walk = Walk::Done;
                    return None;
                }
                if kind != code {
                    continue;
                }
                if file.info.dialect == Dialect::Botocore
                    && !file.notable.overflow
                    && !file.notable.contains(off)
                {
                    // Unique (the usual case): the section straight from the table's columns.
                    let (Some(&line), Some(&end), Some(&skip)) =
                        (heads.lines.get(k), heads.ends.get(k), heads.skips.get(k))
                    else {
                        break;
                    };
                    let src = file.info.src;
                    let end = end as usize;
                    let from = off.wrapping_add(1).wrapping_add(usize::from(skip));
                    let name = src.get(from..end.wrapping_sub(1)).unwrap_or("");
                    return Some(Section {
                        file: file.info,
                        off,
                        line,
                        body: u32::try_from(end.wrapping_add(1).min(src.len())).unwrap_or(0),
                        category: self.category,
                        name: Text::new(TextRepr::Plain(name), line),
                        merged: false,
                    });
                }
                let header = file.table_header(k)?;
                let Some((category, name)) = header.named else {
                    continue;
                };
                let unique = !file.notable.overflow && !file.notable.contains(off);
                if unique || file.is_last_of_its_name(&header) {
                    return Some(file.section(&header, category, name));
                }
            }
        }
        loop {
            let header = self.next_header()?;
            if header.off > self.last {
                self.walk = Walk::Done;
                return None;
            }
            let Some((category, name)) = header.named else {
                continue;
            };
            if category != self.category {
                continue;
            }
            let file = &self.file;
            let keep = match file.info.dialect {
                Dialect::Botocore => file.is_last_of_its_name(&header),
                Dialect::Sdk => file.is_first_of_its_name(&header),
            };
            if keep {
                return Some(file.section(&header, category, name));
            }
        }
    }
}

/// One option of a section: its (lowercased) name and its value.
#[derive(Debug, Clone, Copy)]
pub struct Property<'a> {
    /// The option name, lowercased.
    pub key: Text<'a>,
    /// Its value.
    pub value: Value<'a>,
}

/// A profile, SSO session or services section.
#[derive(Clone, Copy)]
pub struct Section<'a> {
    file: FileInfo<'a>,
    off: usize,
    line: u32,
    /// Plain files: where the line after the header starts (0: not known).
    body: u32,
    category: Category,
    name: Text<'a>,
    /// Sdk: later sections with the same name merge into this one.
    merged: bool,
}

impl fmt::Debug for Section<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Section")
            .field("name", &self.name)
            .field("line", &self.line)
            .field("kind", &self.file.kind)
            .finish_non_exhaustive()
    }
}

impl<'a> Section<'a> {
    /// The name: for a botocore config profile, the second shlex word of the header, unquoted
    /// (spec §3.4); otherwise the header as written (Sdk: trimmed).
    pub fn name(&self) -> Text<'a> {
        self.name
    }

    /// The 1-based line of its header.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The file it comes from.
    pub fn file_kind(&self) -> FileKind {
        self.file.kind
    }

    /// The value of option `key`, compared without regard to case. In botocore's dialect an
    /// option the section lacks is taken from `[DEFAULT]`; in the SDK's, the last value among
    /// the merged sections wins, and keys that are not identifiers are ignored.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.find(|k| k.eq_key(key)).map(|p| p.value)
    }

    /// The option whose (lowercased) name satisfies `is_key`.
    pub(crate) fn find(&self, is_key: impl Fn(&Text<'a>) -> bool) -> Option<Property<'a>> {
        match self.file.dialect {
            Dialect::Botocore => {
                let src = self.file.src;
                // The general reader even in a plain file: listing walks the plain reader, so
                // the fuzz targets' check that `get` finds each listed value compares the two.
                let own =
                    botocore::Options::new(src, self.off, self.line).find(|o| is_key(&boto_key(o)));
                let opt = match own {
                    Some(o) => o,
                    None => self.file.default_options().find(|o| is_key(&boto_key(o)))?,
                };
                Some(boto_property(src, &opt))
            }
            Dialect::Sdk => self.sdk_options().filter(|p| is_key(&p.key)).last(),
        }
    }

    /// Every option, each once: in botocore's dialect the section's own options in file order,
    /// then the `[DEFAULT]` options it does not set (configparser's order); in the SDK's, the
    /// last definition of each key among the merged sections.
    #[inline]
    pub fn properties(&self) -> Properties<'a> {
        let file = &self.file;
        if file.plain {
            // A plain file has no `[DEFAULT]`: the section's own options are all there is.
            return Properties {
                inner: PropInner::Plain {
                    options: if self.body != 0 {
                        plain::PlainOptions::at(
                            file.src,
                            self.body as usize,
                            self.line.saturating_add(1),
                        )
                    } else {
                        plain::PlainOptions::new(file.src, self.off, self.line)
                    }
                    .spaced(file.spaced),
                    ascii_keys: file.ascii_keys,
                },
            };
        }
        self.general_properties()
    }

    /// [`Section::properties`] of a section that is not in a plain file (kept out of line: the
    /// plain variant is built in place by the caller).
    #[inline(never)]
    fn general_properties(&self) -> Properties<'a> {
        let file = &self.file;
        Properties {
            inner: PropInner::General(GeneralProps {
                section: *self,
                own_keys: KeyFilter::default(),
                #[cfg(test)]
                confirmations: 0,
                #[cfg(test)]
                defaults_read: 0,
                state: match file.dialect {
                    Dialect::Botocore => {
                        PropState::Own(botocore::Options::new(file.src, self.off, self.line))
                    }
                    Dialect::Sdk => PropState::Sdk(SdkProps::new(*self)),
                },
            }),
        }
    }

    /// Sdk: the properties with identifier keys of this section and the later ones merged into
    /// it, in file order (repeats included).
    fn sdk_options(&self) -> SdkProps<'a> {
        SdkProps::new(*self)
    }

    /// Sdk: whether the header at `off` belongs to this (merged) section.
    fn sdk_includes(&self, raw: &str) -> bool {
        sdk::classify(raw, self.file.kind, self.file.prefixed_default)
            .category()
            .is_some_and(|(c, n)| c == self.category && self.name.eq_str(n))
    }
}

fn boto_key<'a>(o: &botocore::Opt<'a>) -> Text<'a> {
    Text::new(TextRepr::LowerPy(o.key), o.line)
}

fn boto_property<'a>(src: &'a str, o: &botocore::Opt<'a>) -> Property<'a> {
    Property {
        key: boto_key(o),
        value: Value::botocore(src, o),
    }
}

/// Sdk: the properties of a merged section, in file order.
#[derive(Debug, Clone)]
struct SdkProps<'a> {
    section: Section<'a>,
    blocks: Option<sdk::Blocks<'a>>,
    options: Option<sdk::Options<'a>>,
}

impl<'a> SdkProps<'a> {
    fn new(section: Section<'a>) -> Self {
        let src = section.file.src;
        SdkProps {
            section,
            blocks: section
                .merged
                .then(|| sdk::Blocks::new(src, section.off, section.line)),
            options: (!section.merged).then(|| sdk::Options::new(src, section.off, section.line)),
        }
    }
}

impl<'a> Iterator for SdkProps<'a> {
    type Item = Property<'a>;

    fn next(&mut self) -> Option<Property<'a>> {
        let src = self.section.file.src;
        loop {
            if let Some(opts) = self.options.as_mut() {
                if let Some(o) = opts.next() {
                    if sdk::is_identifier(o.key) {
                        return Some(Property {
                            key: Text::new(TextRepr::LowerAscii(o.key), o.line),
                            value: Value::sdk(src, &o),
                        });
                    }
                    continue;
                }
                self.options = None;
            }
            let block = self
                .blocks
                .as_mut()?
                .find(|b| self.section.sdk_includes(b.raw))?;
            self.options = Some(sdk::Options::new(src, block.off, block.line));
        }
    }
}

/// The options of a section; see [`Section::properties`].
#[derive(Debug, Clone)]
pub struct Properties<'a> {
    inner: PropInner<'a>,
}

#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "no allocator to box the general iterator in; a plain file's sections build the small variant in place"
)]
enum PropInner<'a> {
    /// botocore, a section of a plain file (which has no `[DEFAULT]`): its own options, read
    /// the cheap way, with nothing else to carry.
    Plain {
        options: plain::PlainOptions<'a>,
        /// Every option name of the file is ASCII (lowercased in ASCII on the way out).
        ascii_keys: bool,
    },
    /// Any other section.
    General(GeneralProps<'a>),
}

/// The options of a section of a file that is not plain, or of the SDK's dialect.
#[derive(Debug, Clone)]
struct GeneralProps<'a> {
    section: Section<'a>,
    /// botocore, in a file with `[DEFAULT]`: the section's own keys, to tell which `[DEFAULT]`
    /// keys it overrides.
    own_keys: KeyFilter,
    /// How many times a `[DEFAULT]` key was looked for among the section's own options (the
    /// work the filter does not save; counted for the tests).
    #[cfg(test)]
    confirmations: usize,
    /// How many `[DEFAULT]` options were read (counted for the tests).
    #[cfg(test)]
    defaults_read: usize,
    state: PropState<'a>,
}

#[cfg(test)]
impl Properties<'_> {
    /// The general iterator's counters (confirmations, `[DEFAULT]` options read), for tests.
    fn counters(&self) -> (usize, usize) {
        match &self.inner {
            PropInner::General(g) => (g.confirmations, g.defaults_read),
            PropInner::Plain { .. } => (0, 0),
        }
    }
}

/// A set of option-name hashes that may answer "maybe" for a name not in it, never "no" for
/// one in it (a 512-bit Bloom filter, two bits per name). A section's own keys go in while they
/// are listed; then each inherited `[DEFAULT]` key is tested, and only a "maybe" costs a walk
/// over the section's options. With a few dozen own keys, most "maybe"s are real overrides
/// (each own key overrides at most one `[DEFAULT]` key), so listing a section costs
/// `O(O + D)` walks of lines rather than the `O(D × O)` of checking every inherited key.
#[derive(Debug, Clone, Copy, Default)]
struct KeyFilter([u64; 8]);

impl KeyFilter {
    /// The two bits of a hash.
    fn bits(hash: u64) -> [(usize, u64); 2] {
        let bit = |h: u64| ((h >> 6) as usize & 7, 1u64 << (h & 63));
        [bit(hash), bit(hash >> 32)]
    }

    fn insert(&mut self, hash: u64) {
        for (word, mask) in Self::bits(hash) {
            if let Some(w) = self.0.get_mut(word) {
                *w |= mask;
            }
        }
    }

    fn may_contain(&self, hash: u64) -> bool {
        Self::bits(hash)
            .iter()
            .all(|(word, mask)| self.0.get(*word).is_some_and(|w| w & mask != 0))
    }
}

#[derive(Debug, Clone)]
enum PropState<'a> {
    /// botocore: the section's own options.
    Own(botocore::Options<'a>),
    /// botocore: the `[DEFAULT]` options, each kept when the section does not set it.
    Defaults(botocore::DefaultOptions<'a>),
    /// Sdk: the merged properties; each is kept when no later one has its key.
    Sdk(SdkProps<'a>),
    Done,
}

impl GeneralProps<'_> {
    /// botocore: whether the section sets `key` itself (a `[DEFAULT]` key it overrides).
    fn overrides(&mut self, key: &str) -> bool {
        if !self.own_keys.may_contain(botocore::key_hash(key)) {
            return false;
        }
        #[cfg(test)]
        {
            self.confirmations = self.confirmations.saturating_add(1);
        }
        let s = self.section;
        botocore::Options::new(s.file.src, s.off, s.line).any(|own| unicode::eq_lower(own.key, key))
    }
}

impl<'a> Iterator for Properties<'a> {
    type Item = Property<'a>;

    #[inline]
    fn next(&mut self) -> Option<Property<'a>> {
        match &mut self.inner {
            PropInner::Plain {
                options,
                ascii_keys,
            } => {
                let o = options.next()?;
                let key = if *ascii_keys {
                    // Python's lowercasing of ASCII is ASCII lowercasing.
                    TextRepr::LowerAscii(o.key)
                } else {
                    TextRepr::LowerPy(o.key)
                };
                Some(Property {
                    key: Text::new(key, o.line),
                    value: Value::botocore_in(options.src(), &o, true),
                })
            }
            PropInner::General(g) => g.next(),
        }
    }
}

impl<'a> Iterator for GeneralProps<'a> {
    type Item = Property<'a>;

    #[inline]
    fn next(&mut self) -> Option<Property<'a>> {
        let src = self.section.file.src;
        loop {
            match &mut self.state {
                PropState::Own(opts) => match opts.next() {
                    Some(o) => {
                        if self.section.file.defaults.is_some() {
                            self.own_keys.insert(botocore::key_hash(o.key));
                        }
                        return Some(boto_property(src, &o));
                    }
                    None => self.state = PropState::Defaults(self.section.file.default_options()),
                },
                PropState::Defaults(defaults) => match defaults.next() {
                    Some(o) => {
                        #[cfg(test)]
                        {
                            self.defaults_read = self.defaults_read.saturating_add(1);
                        }
                        if !self.overrides(o.key) {
                            return Some(boto_property(src, &o));
                        }
                    }
                    None => self.state = PropState::Done,
                },
                PropState::Sdk(props) => {
                    let p = props.next()?;
                    // Without repeated keys (known from the parse) and merged sections, no
                    // later property can have this one's key.
                    if (self.section.file.unique_keys && !self.section.merged)
                        || !props.clone().any(|q| q.key.eq_text(&p.key))
                    {
                        return Some(p);
                    }
                }
                PropState::Done => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests;
