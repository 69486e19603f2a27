//! The cross-SDK reading of a file (`Dialect::Sdk`): the tokenizer and normalizer of the AWS
//! SDKs, as `profile-parser-tests.json` defines them (aws-config §1.4, §2.1).
//!
//! The [`Lexer`] is the SDK's two-state line machine; [`classify`] is its normalization of
//! section names; [`validate`] is the one pass `parse` makes. Unlike botocore, the SDK merges
//! repeated sections, so validation also records which sections repeat an earlier one: lookups
//! use that to avoid re-scanning the file when nothing repeats.

use super::dedup::{self, Flow, Hasher, Items, Scratch};
use super::error::{ParseError, ParseErrorKind};
use super::{Category, Dialect, FileKind, Notable, Spans};

/// Trims spaces and tabs (ASCII, so trimming bytes keeps character boundaries).
#[inline]
pub(crate) fn trim_ws(s: &str) -> &str {
    let bytes = s.as_bytes();
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_ws(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_ws(b))
        .map_or(start, |i| i.saturating_add(1));
    s.get(start..end.max(start)).unwrap_or("")
}

/// The next line as Rust's `str::lines` gives it: split at `\n`, and a `\r` right before that
/// `\n` removed. A lone `\r` is text.
#[inline]
pub(crate) fn next_line(src: &str, pos: usize) -> Option<(&str, usize)> {
    let rest = src.get(pos..)?;
    if rest.is_empty() {
        return None;
    }
    match super::botocore::find_byte(rest.as_bytes(), b'\n') {
        None => Some((rest, src.len())),
        Some(i) => {
            let line = rest.get(..i)?;
            let line = line.strip_suffix('\r').unwrap_or(line);
            Some((line, pos.saturating_add(i).saturating_add(1)))
        }
    }
}

/// `str::trim` (Unicode white space), without decoding when both ends are plain ASCII.
fn trim_unicode(s: &str) -> &str {
    let plain =
        |b: Option<&u8>| b.is_some_and(|b| b.is_ascii() && !b.is_ascii_whitespace() && *b != 0x0b);
    if plain(s.as_bytes().first()) && plain(s.as_bytes().last()) {
        return s;
    }
    s.trim()
}

/// Whether the SDK skips the line: blank (spaces and tabs) or starting with `#` or `;`.
#[inline]
fn is_skipped(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(b'#' | b';') => true,
        Some(b' ' | b'\t') => trim_ws(line).is_empty(),
        Some(_) => false,
        None => true,
    }
}

/// The SDK's `prepare_line`: trims, cuts a comment, trims again. In a header any `#` or `;`
/// starts a comment; elsewhere only one that follows white space (Unicode white space, as
/// `char::is_whitespace` — the SDK checks the previous character that way).
#[inline]
fn prepare_line(line: &str, comments_need_whitespace: bool) -> &str {
    let line = trim_ws(line);
    let bytes = line.as_bytes();
    let mut from = 0usize;
    loop {
        let Some(at) = bytes
            .get(from..)
            .and_then(|rest| super::botocore::find_either_in_line(rest, b'#', b';'))
            .map(|i| from.saturating_add(i))
        else {
            return line;
        };
        let before = line.get(..at).unwrap_or("");
        let is_comment = !comments_need_whitespace
            || before.chars().next_back().is_some_and(char::is_whitespace);
        if is_comment {
            return trim_ws(before);
        }
        from = at.saturating_add(1);
    }
}

/// Why a property line is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PropertyError {
    NoEquals,
    NoName,
}

/// The SDK's `parse_property_line`: comment cut, split on the first `=`, both sides trimmed.
/// The key is returned as written (the SDK lowercases it; so does every comparison here).
#[inline]
fn parse_property(line: &str) -> Result<(&str, &str), PropertyError> {
    if let Some(kv) = spaced_property(line) {
        return Ok(kv);
    }
    parse_property_general(line)
}

/// [`parse_property`] for any line: the SDK's steps one by one.
#[inline]
fn parse_property_general(line: &str) -> Result<(&str, &str), PropertyError> {
    let line = prepare_line(line, true);
    let eq = super::botocore::find_byte(line.as_bytes(), b'=').ok_or(PropertyError::NoEquals)?;
    let k = line.get(..eq).unwrap_or("");
    let v = line.get(eq.wrapping_add(1)..).unwrap_or("");
    let (k, v) = (trim_ws(k), trim_ws(v));
    if k.is_empty() {
        return Err(PropertyError::NoName);
    }
    Ok((k, v))
}

/// [`parse_property`] of a line spelt `key = value` (or `key =`) with nothing to trim and no
/// `#` or `;` anywhere: what the trims, the comment search and the split give there, found by
/// one scan of words for `=`, `#` and `;` and a few byte tests around the `=`. `None` for any
/// other line, which the general path then reads.
///
/// Without `#` and `;` there is no comment to cut; with the first and last bytes not spaces or
/// tabs, `trim_ws` leaves the line whole; one space on each side of the first `=` and no space
/// or tab beyond it is exactly what trimming the two sides removes.
#[inline]
fn spaced_property(line: &str) -> Option<(&str, &str)> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    const EQ: u64 = ONES.wrapping_mul(b'=' as u64);
    const HASH: u64 = ONES.wrapping_mul(b'#' as u64);
    const SEMI: u64 = ONES.wrapping_mul(b';' as u64);
    // The high bit of each zero byte of `v`, and maybe of bytes above the lowest one: the
    // lowest mark is exact, and a word has a mark only if it has a zero byte.
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let b = line.as_bytes();
    let len = b.len();
    let is_ws = |i: usize| matches!(b.get(i), Some(b' ' | b'\t'));
    if len < 3 || is_ws(0) || is_ws(len.wrapping_sub(1)) {
        return None;
    }
    let mut eq = None;
    let mut chunks = b.chunks_exact(8);
    let mut base = 0usize;
    let mut scan = |w: u64, base: usize| -> bool {
        if zero_bytes(w ^ HASH) | zero_bytes(w ^ SEMI) != 0 {
            return false;
        }
        if eq.is_none() {
            let m = zero_bytes(w ^ EQ);
            if m != 0 {
                eq = Some(base.wrapping_add((m.trailing_zeros() / 8) as usize));
            }
        }
        true
    };
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(*chunk.first_chunk::<8>()?);
        if !scan(w, base) {
            return None;
        }
        base = base.wrapping_add(8);
    }
    let rest = chunks.remainder().len();
    // The last bytes, padded with `a` (none of the bytes looked for).
    if rest != 0 && !scan(dedup::tail_word(b, rest, b'a'), base) {
        return None;
    }
    let eq = eq?;
    // `key = ` … : one space before the `=`, a key byte before it.
    if eq < 2 || b.get(eq.wrapping_sub(1)) != Some(&b' ') || is_ws(eq.wrapping_sub(2)) {
        return None;
    }
    let key = line.get(..eq.wrapping_sub(1))?;
    if eq.wrapping_add(1) == len {
        return Some((key, ""));
    }
    // ` value`: one space after the `=`, then a value byte (the last byte is not white space).
    if b.get(eq.wrapping_add(1)) != Some(&b' ') || is_ws(eq.wrapping_add(2)) {
        return None;
    }
    Some((key, line.get(eq.wrapping_add(2)..)?))
}

/// The state of the SDK's line machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Starting,
    /// In a profile; the property being read, if any.
    Profile(Prop),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Prop {
    None,
    Regular,
    /// The property's value was empty: its continuation lines are sub-properties.
    Sub,
}

/// What one significant line means.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// `[…]`: the text between the brackets, comment removed, not yet normalized.
    Header { off: usize, line: u32, raw: &'a str },
    /// `key = value`.
    Property {
        line: u32,
        key: &'a str,
        value: &'a str,
    },
    /// An indented line continuing the property.
    Continuation,
    /// A line the SDK rejects (it stops at the first).
    Error { off: usize, kind: ParseErrorKind },
}

/// The SDK's tokenizer (`env_config/parse.rs`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    number: u32,
    state: State,
}

impl<'a> Lexer<'a> {
    /// Starts at the line at `pos`, numbered `number`, before any profile.
    pub(crate) fn new(src: &'a str, pos: usize, number: u32) -> Self {
        Lexer {
            src,
            pos,
            number,
            state: State::Starting,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let (line, next) = next_line(self.src, self.pos)?;
            let off = self.pos;
            let number = self.number;
            self.pos = next;
            self.number = self.number.saturating_add(1);
            if is_skipped(line) {
                continue;
            }
            if line.starts_with('[') {
                let text = prepare_line(line, false);
                let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']'));
                let Some(raw) = inner else {
                    return Some(Event::Error {
                        off,
                        kind: ParseErrorKind::UnclosedProfile,
                    });
                };
                self.state = State::Profile(Prop::None);
                return Some(Event::Header {
                    off,
                    line: number,
                    raw,
                });
            }
            if matches!(line.as_bytes().first(), Some(b' ' | b'\t')) {
                let kind = match self.state {
                    State::Starting => Some(ParseErrorKind::ExpectedProfile),
                    State::Profile(Prop::None) => Some(ParseErrorKind::ContinuationWithoutProperty),
                    State::Profile(Prop::Regular) => None,
                    State::Profile(Prop::Sub) => match parse_property(line) {
                        Ok(_) => None,
                        Err(PropertyError::NoEquals) => {
                            Some(ParseErrorKind::SubPropertyWithoutEquals)
                        }
                        Err(PropertyError::NoName) => Some(ParseErrorKind::SubPropertyWithoutName),
                    },
                };
                if let Some(kind) = kind {
                    return Some(Event::Error { off, kind });
                }
                return Some(Event::Continuation);
            }
            if self.state == State::Starting {
                return Some(Event::Error {
                    off,
                    kind: ParseErrorKind::ExpectedProfile,
                });
            }
            return Some(match parse_property(line) {
                Ok((key, value)) => {
                    self.state = State::Profile(if value.is_empty() {
                        Prop::Sub
                    } else {
                        Prop::Regular
                    });
                    Event::Property {
                        line: number,
                        key,
                        value,
                    }
                }
                Err(PropertyError::NoEquals) => Event::Error {
                    off,
                    kind: ParseErrorKind::PropertyWithoutEquals,
                },
                Err(PropertyError::NoName) => Event::Error {
                    off,
                    kind: ParseErrorKind::PropertyWithoutName,
                },
            });
        }
    }
}

/// Whether `s` is an SDK identifier: `[A-Za-z0-9_\-/.%@:+]*` (the SDK's check accepts the empty
/// string, though its documentation says `+`).
///
/// Keys and names are checked once per listing or lookup, so the test is one table load per
/// byte ([`IDENTIFIER_BYTES`]).
#[inline]
pub(crate) fn is_identifier(s: &str) -> bool {
    s.bytes().all(|b| {
        IDENTIFIER_BYTES
            .get(usize::from(b))
            .copied()
            .unwrap_or(false)
    })
}

/// Which bytes an SDK identifier may hold (see [`is_identifier`]).
#[allow(
    clippy::indexing_slicing,
    reason = "built at compile time: an index out of range fails the build, not a lookup"
)]
const IDENTIFIER_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0u8;
    loop {
        table[b as usize] = b.is_ascii_alphanumeric()
            || matches!(b, b'_' | b'-' | b'/' | b'.' | b'%' | b'@' | b':' | b'+');
        if b == u8::MAX {
            break;
        }
        b = b.wrapping_add(1);
    }
    table
};

/// How the SDK normalizes a section name (`SectionKey::parse` + `valid_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class<'a> {
    /// A profile; `prefixed` for `[profile default]`-style names in the config file.
    Profile { name: &'a str, prefixed: bool },
    /// `[sso-session NAME]`.
    SsoSession(&'a str),
    /// `[services NAME]`.
    Services(&'a str),
    /// Valid but of no kind this crate exposes (`[other NAME]`).
    Other,
    /// Ignored with a warning by the SDK.
    Ignored,
}

impl<'a> Class<'a> {
    /// The category and name, for the kinds that are looked up.
    pub(crate) fn category(self) -> Option<(Category, &'a str)> {
        match self {
            Class::Profile { name, .. } => Some((Category::Profile, name)),
            Class::SsoSession(name) => Some((Category::SsoSession, name)),
            Class::Services(name) => Some((Category::Services, name)),
            Class::Other | Class::Ignored => None,
        }
    }
}

/// Normalizes the raw header text of a section of a `kind` file. When the config file has a
/// `[profile default]`, every `[default]` is dropped (`drop_plain_default`).
pub(crate) fn classify(raw: &str, kind: FileKind, drop_plain_default: bool) -> Class<'_> {
    let input = trim_ws(raw);
    let split = input.bytes().position(|b| b == b' ' || b == b'\t');
    let (prefix, suffix) = match split {
        Some(i) => (
            Some(trim_unicode(input.get(..i).unwrap_or(""))),
            trim_unicode(input.get(i.saturating_add(1)..).unwrap_or("")),
        ),
        None => (None, trim_unicode(input)),
    };
    match (kind, prefix) {
        (FileKind::Config, Some(prefix)) => {
            if !is_identifier(suffix) {
                return Class::Ignored;
            }
            match prefix {
                "profile" => Class::Profile {
                    name: suffix,
                    prefixed: true,
                },
                "sso-session" => Class::SsoSession(suffix),
                "services" => Class::Services(suffix),
                _ => Class::Other,
            }
        }
        (FileKind::Config, None) => {
            if suffix == "default" && !drop_plain_default {
                Class::Profile {
                    name: suffix,
                    prefixed: false,
                }
            } else {
                Class::Ignored
            }
        }
        (FileKind::Credentials, Some(_)) => Class::Ignored,
        (FileKind::Credentials, None) => {
            if is_identifier(suffix) {
                Class::Profile {
                    name: suffix,
                    prefixed: false,
                }
            } else {
                Class::Ignored
            }
        }
    }
}

/// The raw header text of the header line at `off`.
pub(crate) fn header_at(src: &str, off: usize) -> Option<&str> {
    let (line, _) = next_line(src, off)?;
    prepare_line(line, false)
        .strip_prefix('[')?
        .strip_suffix(']')
}

/// One section header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block<'a> {
    pub(crate) off: usize,
    pub(crate) line: u32,
    pub(crate) raw: &'a str,
}

/// The headers of a file that parsed: every line starting with `[` is one, so the scan jumps
/// between `[` characters and counts lines on the way.
#[derive(Debug, Clone)]
pub(crate) struct Blocks<'a> {
    src: &'a str,
    pos: usize,
    /// Where line counting stopped, when lines are counted.
    counted: Option<usize>,
    line: u32,
}

impl<'a> Blocks<'a> {
    /// Headers from the line at `from` (numbered `line`) on.
    pub(crate) fn new(src: &'a str, from: usize, line: u32) -> Self {
        Blocks {
            src,
            pos: from,
            counted: Some(from),
            line,
        }
    }

    /// Like [`Blocks::new`] from the top, without line numbers (they read as 1).
    pub(crate) fn without_lines(src: &'a str) -> Self {
        Blocks {
            src,
            pos: 0,
            counted: None,
            line: 1,
        }
    }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Block<'a>;

    fn next(&mut self) -> Option<Block<'a>> {
        if self.counted.is_some() {
            // Counting lines: walk from line to line and look at each one's first byte.
            let bytes = self.src.as_bytes();
            loop {
                let at = self.pos;
                let rest = bytes.get(at..).filter(|r| !r.is_empty())?;
                self.pos = super::botocore::find_byte(rest, b'\n')
                    .map_or(bytes.len(), |i| at.saturating_add(i).saturating_add(1));
                let number = self.line;
                self.line = self.line.saturating_add(1);
                if rest.first() != Some(&b'[') {
                    continue;
                }
                if let Some(raw) = header_at(self.src, at) {
                    return Some(Block {
                        off: at,
                        line: number,
                        raw,
                    });
                }
            }
        }
        loop {
            let rest = self.src.get(self.pos..)?;
            let at = self
                .pos
                .saturating_add(super::botocore::find_byte(rest.as_bytes(), b'[')?);
            self.pos = at.saturating_add(1);
            if at != 0 && self.src.as_bytes().get(at.saturating_sub(1)) != Some(&b'\n') {
                continue;
            }
            let Some(raw) = header_at(self.src, at) else {
                continue;
            };
            if let Some(counted) = self.counted.as_mut() {
                let skipped = self.src.as_bytes().get(*counted..at).unwrap_or(&[]);
                let ends = skipped.iter().filter(|b| **b == b'\n').count();
                self.line = self
                    .line
                    .saturating_add(u32::try_from(ends).unwrap_or(u32::MAX));
                *counted = at;
            }
            return Some(Block {
                off: at,
                line: self.line,
                raw,
            });
        }
    }
}

/// One property with its continuation lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opt<'a> {
    pub(crate) key: &'a str,
    pub(crate) first: &'a str,
    pub(crate) line: u32,
    pub(crate) cont: usize,
    pub(crate) elems: u32,
}

/// The properties of the section whose header is at `off`.
#[derive(Debug, Clone)]
pub(crate) struct Options<'a> {
    lexer: Lexer<'a>,
    started: bool,
    /// The event that ended the previous property, not yet acted on.
    pending: Option<Event<'a>>,
}

impl<'a> Options<'a> {
    pub(crate) fn new(src: &'a str, header_off: usize, line: u32) -> Self {
        Options {
            lexer: Lexer::new(src, header_off, line),
            started: false,
            pending: None,
        }
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Opt<'a>;

    #[inline]
    fn next(&mut self) -> Option<Opt<'a>> {
        loop {
            let event = match self.pending.take() {
                Some(e) => e,
                None => self.lexer.next()?,
            };
            match event {
                Event::Header { .. } => {
                    if self.started {
                        return None;
                    }
                    self.started = true;
                }
                Event::Property { line, key, value } => {
                    let cont = self.lexer.pos();
                    let mut elems = 0u32;
                    loop {
                        match self.lexer.next() {
                            Some(Event::Continuation) => elems = elems.saturating_add(1),
                            other => {
                                self.pending = other;
                                break;
                            }
                        }
                    }
                    return Some(Opt {
                        key,
                        first: value,
                        line,
                        cont,
                        elems,
                    });
                }
                Event::Continuation | Event::Error { .. } => {}
            }
        }
    }
}

/// The continuation lines of a value, trimmed (blank and comment lines skipped, as the SDK
/// skips them).
#[derive(Debug, Clone)]
pub(crate) struct Elements<'a> {
    src: &'a str,
    pos: usize,
    left: u32,
}

impl<'a> Elements<'a> {
    pub(crate) fn new(src: &'a str, cont: usize, elems: u32) -> Self {
        Elements {
            src,
            pos: cont,
            left: elems,
        }
    }
}

impl<'a> Iterator for Elements<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        loop {
            let (line, next) = next_line(self.src, self.pos)?;
            self.pos = next;
            if is_skipped(line) {
                continue;
            }
            self.left = self.left.saturating_sub(1);
            return Some(trim_ws(line));
        }
    }
}

/// Whether (name, category) pairs arrive in strictly increasing order — byte order, or length
/// then byte order (`p9` < `p10`) — which proves them distinct without a search.
#[derive(Default)]
struct Order<'a> {
    prev: Option<(&'a str, Category)>,
    not_bytewise: bool,
    not_shortlex: bool,
}

impl<'a> Order<'a> {
    fn next(&mut self, category: Category, name: &'a str) {
        if let Some((p, pc)) = self.prev {
            let (pc, c) = (pc as u8, category as u8);
            self.not_bytewise |= (p.as_bytes(), pc) >= (name.as_bytes(), c);
            self.not_shortlex |= (p.len(), p.as_bytes(), pc) >= (name.len(), name.as_bytes(), c);
        }
        self.prev = Some((name, category));
    }

    fn increasing(&self) -> bool {
        !(self.not_bytewise && self.not_shortlex)
    }
}

/// What [`validate`] learns about a file that parses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Summary {
    /// The config file has a `[profile default]`, so its `[default]` sections are ignored.
    pub(crate) prefixed_default: bool,
    /// Sections that repeat an earlier section's category and name (merged into it).
    pub(crate) repeats: Notable,
    /// Where each category's headers lie.
    pub(crate) spans: Spans,
    /// No section sets a key twice (ASCII case aside).
    pub(crate) unique_keys: bool,
}

/// The sections that take part in lookups, as repeat-search items.
struct Sections<'a> {
    src: &'a str,
    kind: FileKind,
    drop_plain_default: bool,
    /// Every header is [`plain`]: its text stands for its category and name one to one, so the
    /// passes can hash it as it is.
    plain: bool,
}

/// Whether a header line is written the plain way — `[NAME]` in the credentials file,
/// `[profile NAME]`, `[sso-session NAME]`, `[services NAME]` or `[default]` in the config
/// file, one space, an identifier, nothing after the `]` — so that two plain headers name the
/// same section exactly when their texts are equal (`[default]` aside, which `[profile
/// default]` drops).
fn plain(line: &str, kind: FileKind) -> bool {
    let Some(inner) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) else {
        return false;
    };
    match kind {
        FileKind::Credentials => !inner.is_empty() && is_identifier(inner),
        FileKind::Config => {
            if inner == "default" {
                return true;
            }
            let Some((prefix, name)) = inner.split_once(' ') else {
                return false;
            };
            matches!(prefix, "profile" | "sso-session" | "services")
                && !name.is_empty()
                && is_identifier(name)
        }
    }
}

fn item_hash(category: Category, name: &str) -> u64 {
    let mut h = Hasher::new(category as u8);
    h.bytes(name.as_bytes());
    h.finish()
}

impl Items for Sections<'_> {
    fn each(&self, f: &mut dyn FnMut(u64, u32)) {
        if self.plain {
            // Every `[` at a line start begins a plain header: hash its text as it is.
            let bytes = self.src.as_bytes();
            let mut pos = 0usize;
            while let Some(found) = bytes
                .get(pos..)
                .and_then(|r| super::botocore::find_byte(r, b'['))
            {
                let at = pos.saturating_add(found);
                pos = at.saturating_add(1);
                if at != 0 && bytes.get(at.saturating_sub(1)) != Some(&b'\n') {
                    continue;
                }
                let rest = bytes.get(at..).unwrap_or(&[]);
                let end = super::botocore::find_either(rest, b']', b']').unwrap_or(0);
                let inner = rest.get(1..end).unwrap_or(&[]);
                if self.drop_plain_default && inner == b"default" {
                    continue;
                }
                let mut h = Hasher::new(0);
                h.bytes(inner);
                f(h.finish(), u32::try_from(at).unwrap_or(u32::MAX));
            }
            return;
        }
        for b in Blocks::without_lines(self.src) {
            if let Some((category, name)) =
                classify(b.raw, self.kind, self.drop_plain_default).category()
            {
                f(
                    item_hash(category, name),
                    u32::try_from(b.off).unwrap_or(u32::MAX),
                );
            }
        }
    }

    fn same(&self, a: u32, b: u32) -> bool {
        let class = |off: u32| {
            header_at(self.src, off as usize)
                .and_then(|raw| classify(raw, self.kind, self.drop_plain_default).category())
        };
        match (class(a), class(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        }
    }
}

/// Parses the whole file once, as the SDK would (stopping at the first bad line), and finds the
/// repeated sections.
pub(crate) fn validate(
    src: &str,
    kind: FileKind,
    scratch: &mut Scratch<'_>,
) -> Result<Summary, ParseError> {
    let mut prefixed_default = false;
    let mut sections = 0usize;
    // Names only need to be distinct within a category: one order per category.
    let mut order: [Order<'_>; 3] = Default::default();
    let mut names = dedup::SmallNames::new();
    let mut all_plain = true;
    let mut spans = Spans::default();
    let mut unique_keys = true;
    // The current section's key fingerprints, while it has few keys.
    let mut keys = [0u32; KEYS_CHECKED];
    let mut key_count = 0usize;
    for event in Lexer::new(src, 0, 1) {
        match event {
            Event::Error { off, kind: k } => {
                return Err(ParseError::at_line(kind, Dialect::Sdk, src, off, k));
            }
            Event::Property { key, .. } => {
                if unique_keys {
                    let fp = key_fingerprint(key);
                    match keys.get_mut(key_count) {
                        Some(slot) => *slot = fp,
                        None => unique_keys = false,
                    }
                    if keys.get(..key_count).is_some_and(|k| k.contains(&fp)) {
                        // Maybe the same key (or a fingerprint collision): lookups check.
                        unique_keys = false;
                    }
                    key_count = key_count.saturating_add(1);
                }
            }
            Event::Header { off, line, raw } => {
                key_count = 0;
                if all_plain {
                    let line = next_line(src, off).map_or("", |(l, _)| l);
                    all_plain = plain(line, kind);
                }
                let class = classify(raw, kind, false);
                if matches!(
                    class,
                    Class::Profile {
                        name: "default",
                        prefixed: true
                    }
                ) {
                    prefixed_default = true;
                }
                if let Some((category, name)) = class.category() {
                    sections = sections.saturating_add(1);
                    if let Some(o) = order.get_mut(category.index()) {
                        o.next(category, name);
                    }
                    names.push(category as u8, name);
                    spans.note(category, off, line);
                }
            }
            Event::Continuation => {}
        }
    }
    let mut repeats = Notable::default();
    // Names in strictly increasing order cannot repeat: no search needed.
    let settled = || {
        order.iter().all(Order::increasing)
            || names.distinct(|tag, name| {
                let mut h = Hasher::new(tag);
                h.bytes(name.as_bytes());
                h.finish()
            }) == Some(true)
    };
    if sections >= 2 && !settled() {
        let items = Sections {
            src,
            kind,
            drop_plain_default: prefixed_default,
            plain: all_plain,
        };
        scratch.with(|scratch| {
            dedup::find_repeats(&items, sections, scratch, &mut |_, repeat| {
                repeats.push(repeat as usize);
                Flow::Continue
            });
        });
    }
    Ok(Summary {
        prefixed_default,
        repeats,
        spans,
        unique_keys,
    })
}

/// Sections with more keys than this are not checked for repeated keys (lookups then check
/// each property against the later ones).
const KEYS_CHECKED: usize = 32;

/// A 32-bit fingerprint of a key, the same for keys equal without regard to ASCII case.
#[inline]
fn key_fingerprint(key: &str) -> u32 {
    let hash = Hasher::ascii_lowercase_hash(0, key.as_bytes()).unwrap_or_else(|| {
        let mut h = Hasher::new(0);
        for b in key.bytes() {
            h.byte(b.to_ascii_lowercase());
        }
        h.finish()
    });
    (hash >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-scan split agrees with the SDK's steps wherever it answers, and answers for the
    /// usual spellings.
    #[test]
    fn spaced_property_agrees_with_the_general_split() {
        let usual = [
            "region = us-east-1",
            "s3 =",
            "a = b",
            "role_arn = arn:aws:iam::123456789012:role/Deploy",
            "credential_process = /usr/local/bin/creds --profile x --format json",
            "k = v = w",
            "key = caf\u{e9}",
            "k\u{e9}y = value",
        ];
        for line in usual {
            let fast = spaced_property(line);
            assert!(fast.is_some(), "{line:?} takes the one-scan split");
            assert_eq!(fast.map(Ok), Some(parse_property_general(line)), "{line:?}");
        }
        let others = [
            "",
            "=",
            " = v",
            "k=v",
            "k =v",
            "k= v",
            "k  = v",
            "k =  v",
            "k = v ",
            " k = v",
            "k = v\t",
            "\tk = v",
            "k \t= v",
            "k = # c",
            "k = v # c",
            "k = v#c",
            "k = v;c",
            "k = v ; c",
            "#k = v",
            ";k = v",
            "k # = v",
            "k = ",
            "k =\t",
            "k",
            "ab",
            "a b",
            "a =",
            "a = b c d e f g h i j k l m n o p # q",
            "abcdefgh = ijklmnop",
            "abcdefg = hijklmnop;",
            "abcdefghijklmno = p",
            "k = \u{a0}v",
            "k\u{3000} = v",
        ];
        for line in others {
            if let Some(fast) = spaced_property(line) {
                assert_eq!(Ok(fast), parse_property_general(line), "{line:?}");
            }
        }
    }

    /// The identifier table holds exactly the SDK's identifier bytes.
    #[test]
    fn identifier_table_is_the_sdk_class() {
        for b in 0..=u8::MAX {
            let expected = b.is_ascii_alphanumeric()
                || matches!(b, b'_' | b'-' | b'/' | b'.' | b'%' | b'@' | b':' | b'+');
            let mut buf = [0u8; 4];
            let s = char::from(b).encode_utf8(&mut buf);
            assert_eq!(is_identifier(s), expected, "byte {b:#04x}");
        }
        assert!(is_identifier(""));
        assert!(is_identifier("team42-prod_1/x.y%z@w:v+u"));
        assert!(!is_identifier("a b"));
    }
}
