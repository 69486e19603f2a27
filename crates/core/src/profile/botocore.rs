//! botocore's reading of a file: Python 3.11 `configparser.RawConfigParser` line by line
//! (spec §3.2), the nested blocks of `raw_config_parse` (§3.3), and the whole-file validation
//! that makes every later lookup succeed.
//!
//! The [`Lexer`] is configparser's `_read` loop with its three pieces of state (the open
//! section, the open option, the indentation of the last non-continuation line), turned into an
//! iterator of [`Event`]s that borrow the input. Everything else re-runs it over part of the
//! file: [`Blocks`] finds section headers (or, when no header is indented, jumps from one `[`
//! at the start of a line to the next), [`Options`] walks one section's options with their
//! continuation lines, and [`validate`] is the one pass `parse` makes over the whole file.

use super::dedup::{self, Flow, Hasher, Items, Scratch};
use super::error::{ParseError, ParseErrorKind};
use super::unicode::{
    eq_lower, is_ascii_py_space, is_py_line_break, lower, py_lstrip, py_rstrip, py_strip,
    py_strip_indent,
};
use super::{Category, FileKind, Notable, Spans};

/// Splits the next line at `pos`, with Python's universal newlines: `\n`, `\r\n` and `\r` all
/// end a line. Returns the line without its terminator and the offset of the next line.
#[inline]
pub(crate) fn next_line(src: &str, pos: usize) -> Option<(&str, usize)> {
    let rest = src.get(pos..)?;
    if rest.is_empty() {
        return None;
    }
    let bytes = rest.as_bytes();
    let Some(end) = find_line_end(bytes) else {
        return Some((rest, src.len()));
    };
    let term = if bytes.get(end) == Some(&b'\r') && bytes.get(end.saturating_add(1)) == Some(&b'\n')
    {
        2
    } else {
        1
    };
    Some((
        rest.get(..end)?,
        pos.saturating_add(end).saturating_add(term),
    ))
}

/// The index of the first `\n` or `\r`.
#[inline]
fn find_line_end(bytes: &[u8]) -> Option<usize> {
    find_either(bytes, b'\n', b'\r')
}

/// The index of the first byte equal to `a` or `b`, eight bytes at a time: a zero byte of
/// `word ^ aaaaaaaa` marks a match, and the lowest marked byte is exact. Lines are short, so
/// this beats a `memchr` call per line (or per header, when sections are a few lines apart),
/// and it never looks past the match.
#[inline]
pub(crate) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let (aa, bb) = (
        ONES.wrapping_mul(u64::from(a)),
        ONES.wrapping_mul(u64::from(b)),
    );
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0usize;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let word = u64::from_le_bytes(w);
        let hits = zero_bytes(word ^ aa) | zero_bytes(word ^ bb);
        if hits != 0 {
            return Some(base.wrapping_add((hits.trailing_zeros() / 8) as usize));
        }
        base = base.wrapping_add(8);
    }
    chunks
        .remainder()
        .iter()
        .position(|x| *x == a || *x == b)
        .map(|i| base.wrapping_add(i))
}

/// [`find_either`] for short slices searched to their end (a line, looking for a comment): the
/// last bytes are one more padded word rather than a byte loop. `a` and `b` must not be 0.
#[inline]
pub(crate) fn find_either_in_line(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_bytes = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let (aa, bb) = (
        ONES.wrapping_mul(u64::from(a)),
        ONES.wrapping_mul(u64::from(b)),
    );
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0usize;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let word = u64::from_le_bytes(w);
        let hits = zero_bytes(word ^ aa) | zero_bytes(word ^ bb);
        if hits != 0 {
            return Some(base.wrapping_add((hits.trailing_zeros() / 8) as usize));
        }
        base = base.wrapping_add(8);
    }
    // Padded with zero bytes, which match neither.
    let word = super::dedup::tail_word(bytes, chunks.remainder().len(), 0);
    let hits = zero_bytes(word ^ aa) | zero_bytes(word ^ bb);
    (hits != 0).then(|| base.wrapping_add((hits.trailing_zeros() / 8) as usize))
}

/// The index of the first byte equal to `a`, eight bytes at a time (see [`find_either`]).
#[inline]
pub(crate) fn find_byte(bytes: &[u8], a: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let aa = ONES.wrapping_mul(u64::from(a));
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0usize;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let v = u64::from_le_bytes(w) ^ aa;
        let hits = v.wrapping_sub(ONES) & !v & HIGHS;
        if hits != 0 {
            return Some(base.wrapping_add((hits.trailing_zeros() / 8) as usize));
        }
        base = base.wrapping_add(8);
    }
    // The last few bytes as one more word, padded with a byte that does not match.
    let v = super::dedup::tail_word(bytes, chunks.remainder().len(), !a) ^ aa;
    let hits = v.wrapping_sub(ONES) & !v & HIGHS;
    (hits != 0).then(|| base.wrapping_add((hits.trailing_zeros() / 8) as usize))
}

/// The number of line ends in `bytes` under universal newlines (`\r\n` counts once).
pub(crate) fn count_line_ends(bytes: &[u8]) -> usize {
    if !bytes.contains(&b'\r') {
        // The common case, in a form the compiler vectorizes.
        return bytes.iter().filter(|b| **b == b'\n').count();
    }
    let mut n = 0usize;
    let mut prev_cr = false;
    for b in bytes {
        match b {
            b'\n' => {
                if !prev_cr {
                    n = n.saturating_add(1);
                }
                prev_cr = false;
            }
            b'\r' => {
                n = n.saturating_add(1);
                prev_cr = true;
            }
            _ => prev_cr = false,
        }
    }
    n
}

/// The section name of a stripped line, when configparser's `SECTCRE` (`\[(?P<header>.+)\]`)
/// matches it: from the first `[` to the **last** `]`, at least one character, not trimmed.
#[inline]
pub(crate) fn header_name(stripped: &str) -> Option<&str> {
    let bytes = stripped.as_bytes();
    if bytes.first() != Some(&b'[') {
        return None;
    }
    let close = if bytes.last() == Some(&b']') {
        bytes.len().saturating_sub(1)
    } else {
        stripped.rfind(']')?
    };
    if close < 2 {
        return None;
    }
    stripped.get(1..close)
}

/// The section configparser is filling (`cursect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sect {
    /// No header seen yet.
    None,
    /// `[DEFAULT]`.
    Default,
    /// Any other section.
    Named,
}

/// One physical line, as the lexer saw it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Line<'a> {
    /// Byte offset of the line's first character.
    pub(crate) off: usize,
    /// 1-based line number.
    pub(crate) number: u32,
    /// The line with Python white space stripped from both ends.
    pub(crate) text: &'a str,
    /// Leading white space, in characters.
    pub(crate) indent: usize,
}

/// What one significant line means.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Event<'a> {
    /// `[name]`.
    Header { line: Line<'a>, name: &'a str },
    /// `key = value` or `key: value` (the key right-trimmed, not lowercased; the value stripped).
    Option {
        line: Line<'a>,
        key: &'a str,
        value: &'a str,
    },
    /// An indented line continuing the open option: `line.text` is the next element.
    Continuation { line: Line<'a> },
    /// A blank line while an option is open: an empty element of its value.
    Blank,
    /// A line configparser rejects.
    Error {
        line: Line<'a>,
        kind: ParseErrorKind,
    },
}

/// configparser's `_read` loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    number: u32,
    sect: Sect,
    opt_open: bool,
    indent_level: usize,
    /// A line ended in `\r` (alone or in `\r\n`).
    saw_cr: bool,
}

impl<'a> Lexer<'a> {
    /// Starts at byte `pos` (the start of a line), whose line number is `number`, outside any
    /// section. Starting at a header line is the same as reaching it from the top of the file.
    pub(crate) fn new(src: &'a str, pos: usize, number: u32) -> Self {
        Lexer {
            src,
            pos,
            number,
            sect: Sect::None,
            opt_open: false,
            indent_level: 0,
            saw_cr: false,
        }
    }

    /// Whether a line so far ended in `\r`.
    pub(crate) fn saw_cr(&self) -> bool {
        self.saw_cr
    }

    /// Offset of the next line.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Lexer<'a> {
    type Item = Event<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Event<'a>> {
        let src = self.src;
        let bytes = src.as_bytes();
        loop {
            let off = self.pos;
            let rest = bytes.get(off..).filter(|r| !r.is_empty())?;
            let len = match find_line_end(rest) {
                Some(i) => {
                    let mut term = 1usize;
                    if rest.get(i) == Some(&b'\r') {
                        self.saw_cr = true;
                        if rest.get(i.wrapping_add(1)) == Some(&b'\n') {
                            term = 2;
                        }
                    }
                    // Offsets stay below the input's length, itself below 4 GiB.
                    self.pos = off.wrapping_add(i).wrapping_add(term);
                    i
                }
                None => {
                    self.pos = bytes.len();
                    rest.len()
                }
            };
            let number = self.number;
            self.number = self.number.saturating_add(1);
            let raw = rest.get(..len).unwrap_or(&[]);
            // Strip the line: bytes at both ends while they are ASCII; Python's rules for the
            // whole line when a non-ASCII character is at either end.
            let mut a = 0usize;
            while raw.get(a).is_some_and(|b| is_ascii_py_space(*b)) {
                a = a.wrapping_add(1);
            }
            let mut z = len;
            while z > a
                && raw
                    .get(z.wrapping_sub(1))
                    .is_some_and(|b| is_ascii_py_space(*b))
            {
                z = z.wrapping_sub(1);
            }
            let (text, indent) = if raw.get(a).is_some_and(|b| !b.is_ascii())
                || raw.get(z.wrapping_sub(1)).is_some_and(|b| !b.is_ascii())
            {
                py_strip_indent(src.get(off..off.wrapping_add(len)).unwrap_or(""))
            } else {
                (
                    src.get(off.wrapping_add(a)..off.wrapping_add(z))
                        .unwrap_or(""),
                    a,
                )
            };
            let Some(&first) = text.as_bytes().first() else {
                // A blank line is an empty element of the open option's value.
                if self.sect != Sect::None && self.opt_open {
                    return Some(Event::Blank);
                }
                continue;
            };
            // Full-line comments are skipped everywhere, even inside a value, and add nothing.
            if first == b'#' || first == b';' {
                continue;
            }
            let line = Line {
                off,
                number,
                text,
                indent,
            };
            if self.sect != Sect::None && self.opt_open && indent > self.indent_level {
                return Some(Event::Continuation { line });
            }
            self.indent_level = indent;
            if first == b'['
                && let Some(name) = header_name(text)
            {
                self.sect = if name == "DEFAULT" {
                    Sect::Default
                } else {
                    Sect::Named
                };
                self.opt_open = false;
                return Some(Event::Header { line, name });
            }
            if self.sect == Sect::None {
                return Some(Event::Error {
                    line,
                    kind: ParseErrorKind::MissingSectionHeader,
                });
            }
            let t = text.as_bytes();
            let Some(delim) = find_either(t, b'=', b':') else {
                let kind = if first != b'[' {
                    ParseErrorKind::MissingDelimiter
                } else if text.starts_with("[]") {
                    ParseErrorKind::EmptySectionName
                } else {
                    ParseErrorKind::UnclosedSectionHeader
                };
                // configparser keeps the open option open after this error.
                return Some(Event::Error { line, kind });
            };
            // The key, right-stripped (a non-ASCII end takes Python's rules).
            let mut k = delim;
            while k > 0
                && t.get(k.wrapping_sub(1))
                    .is_some_and(|b| is_ascii_py_space(*b))
            {
                k = k.wrapping_sub(1);
            }
            let mut key = text.get(..k).unwrap_or("");
            if t.get(k.wrapping_sub(1)).is_some_and(|b| !b.is_ascii()) {
                key = py_rstrip(key);
            }
            // The value, left-stripped (the line's end is stripped already).
            let mut v = delim.wrapping_add(1);
            while t.get(v).is_some_and(|b| is_ascii_py_space(*b)) {
                v = v.wrapping_add(1);
            }
            let mut value = text.get(v..).unwrap_or("");
            if t.get(v).is_some_and(|b| !b.is_ascii()) {
                value = py_lstrip(value);
            }
            self.opt_open = !key.is_empty();
            if key.is_empty() {
                return Some(Event::Error {
                    line,
                    kind: ParseErrorKind::EmptyOptionName,
                });
            }
            return Some(Event::Option { line, key, value });
        }
    }
}

/// The option defined on the (non-continuation) line at `off`: its raw key.
pub(crate) fn key_at(src: &str, off: usize) -> Option<&str> {
    let (raw, _) = next_line(src, off)?;
    let text = py_strip(raw);
    let delim = text.find(['=', ':'])?;
    Some(py_rstrip(text.get(..delim)?))
}

/// The section name of the header line at `off`.
pub(crate) fn name_at(src: &str, off: usize) -> Option<&str> {
    let (raw, _) = next_line(src, off)?;
    header_name(py_strip(raw))
}

/// One section header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Block<'a> {
    pub(crate) off: usize,
    pub(crate) line: u32,
    pub(crate) name: &'a str,
}

impl Block<'_> {
    pub(crate) fn is_default(&self) -> bool {
        self.name == "DEFAULT"
    }
}

/// The section headers of a file that parsed, in order.
#[derive(Debug, Clone)]
pub(crate) enum Blocks<'a> {
    /// No header is indented and every line ends in `\n`: the scan goes from line to line
    /// (counting them as it goes) and looks at each one's first byte.
    Lines { src: &'a str, pos: usize, line: u32 },
    /// No header is indented: every header is a line starting with `[` (and every such line
    /// that `SECTCRE` matches is a header, since an unindented line never continues a value),
    /// so the scan jumps between `[` characters.
    Fast {
        src: &'a str,
        pos: usize,
        /// Where line counting stopped, when lines are counted.
        counted: Option<usize>,
        line: u32,
    },
    /// The general case: run the lexer.
    Full(Lexer<'a>),
    /// A plain file (see `super::plain`).
    Plain(super::plain::PlainBlocks<'a>),
}

impl<'a> Blocks<'a> {
    /// Headers from the one at or after `from` (a line start with line number `line`) on.
    pub(crate) fn new(src: &'a str, from: usize, line: u32, fast: bool) -> Self {
        if fast {
            Blocks::Fast {
                src,
                pos: from,
                counted: Some(from),
                line,
            }
        } else {
            Blocks::Full(Lexer::new(src, from, line))
        }
    }

    /// Like [`Blocks::new`] with `fast`, for a file whose lines all end in `\n`.
    pub(crate) fn lines(src: &'a str, from: usize, line: u32) -> Self {
        Blocks::Lines {
            src,
            pos: from,
            line,
        }
    }

    /// Like [`Blocks::new`], for callers that do not need line numbers (they read as 0 in the
    /// fast scan), which makes the scan cheaper.
    pub(crate) fn without_lines(src: &'a str, from: usize, fast: bool) -> Self {
        match Self::new(src, from, 1, fast) {
            Blocks::Fast { src, pos, line, .. } => Blocks::Fast {
                src,
                pos,
                counted: None,
                line,
            },
            full => full,
        }
    }
}

impl<'a> Iterator for Blocks<'a> {
    type Item = Block<'a>;

    fn next(&mut self) -> Option<Block<'a>> {
        match self {
            Blocks::Plain(blocks) => blocks.next(),
            Blocks::Lines { src, pos, line } => loop {
                let bytes = src.as_bytes();
                let at = *pos;
                let rest = bytes.get(at..).filter(|r| !r.is_empty())?;
                let len = find_byte(rest, b'\n');
                *pos = len.map_or(bytes.len(), |i| at.saturating_add(i).saturating_add(1));
                let number = *line;
                *line = line.saturating_add(1);
                if rest.first() != Some(&b'[') {
                    continue;
                }
                let raw = src.get(at..len.map_or(bytes.len(), |i| at.saturating_add(i)))?;
                if let Some(name) = header_name(py_strip(raw)) {
                    return Some(Block {
                        off: at,
                        line: number,
                        name,
                    });
                }
            },
            Blocks::Full(lexer) => loop {
                if let Event::Header { line, name } = lexer.next()? {
                    return Some(Block {
                        off: line.off,
                        line: line.number,
                        name,
                    });
                }
            },
            Blocks::Fast {
                src,
                pos,
                counted,
                line,
            } => loop {
                let rest = src.get(*pos..)?;
                let found = find_byte(rest.as_bytes(), b'[')?;
                let at = pos.saturating_add(found);
                *pos = at.saturating_add(1);
                let at_line_start = at == 0
                    || matches!(
                        src.as_bytes().get(at.saturating_sub(1)),
                        Some(b'\n' | b'\r')
                    );
                if !at_line_start {
                    continue;
                }
                let (raw, _) = next_line(src, at)?;
                let Some(name) = header_name(py_strip(raw)) else {
                    continue;
                };
                if let Some(counted) = counted.as_mut() {
                    let ends = count_line_ends(src.as_bytes().get(*counted..at).unwrap_or(&[]));
                    *line = line.saturating_add(u32::try_from(ends).unwrap_or(u32::MAX));
                    *counted = at;
                }
                return Some(Block {
                    off: at,
                    line: *line,
                    name,
                });
            },
        }
    }
}

/// One option with its whole value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Opt<'a> {
    pub(crate) key: &'a str,
    /// The value on the option's own line.
    pub(crate) first: &'a str,
    pub(crate) off: usize,
    pub(crate) line: u32,
    /// Offset of the line after the option's line, where continuation elements start.
    pub(crate) cont: usize,
    /// The number of continuation elements (blank ones included) up to the last non-empty one:
    /// what is left after configparser's final `rstrip()`.
    pub(crate) elems: u32,
}

/// The options of the section whose header is at `off`, each with its continuation lines.
#[derive(Debug, Clone)]
pub(crate) struct Options<'a> {
    lexer: Lexer<'a>,
    started: bool,
    /// The event that ended the previous option's value, not yet acted on.
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
                Event::Option { line, key, value } => {
                    let cont = self.lexer.pos();
                    let mut total = 0u32;
                    let mut elems = 0u32;
                    loop {
                        match self.lexer.next() {
                            Some(Event::Continuation { .. }) => {
                                total = total.saturating_add(1);
                                elems = total;
                            }
                            Some(Event::Blank) => total = total.saturating_add(1),
                            other => {
                                self.pending = other;
                                break;
                            }
                        }
                    }
                    return Some(Opt {
                        key,
                        first: value,
                        off: line.off,
                        line: line.number,
                        cont,
                        elems,
                    });
                }
                // A parsed file has no errors; nothing else starts an option.
                Event::Continuation { .. } | Event::Blank | Event::Error { .. } => {}
            }
        }
    }
}

/// The continuation elements of a value: the stripped text of each continuation line, `""` for
/// each blank line, comments skipped. `elems` is how many to yield.
#[derive(Debug, Clone)]
pub(crate) struct Elements<'a> {
    src: &'a str,
    pos: usize,
    left: u32,
    /// The file is plain (`super::plain`): lines end in `\n` and are stripped where they are
    /// ASCII, so they can be read without the general line and white-space rules.
    plain: bool,
}

impl<'a> Elements<'a> {
    pub(crate) fn new(src: &'a str, cont: usize, elems: u32) -> Self {
        Elements {
            src,
            pos: cont,
            left: elems,
            plain: false,
        }
    }

    /// The elements of a value in a plain file.
    pub(crate) fn plain(src: &'a str, cont: usize, elems: u32) -> Self {
        Elements {
            src,
            pos: cont,
            left: elems,
            plain: true,
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
            let text = if self.plain {
                let (a, z, next) = super::plain::element_at(self.src.as_bytes(), self.pos)?;
                self.pos = next;
                self.src.get(a..z)?
            } else {
                let (raw, next) = next_line(self.src, self.pos)?;
                self.pos = next;
                py_strip(raw)
            };
            if text.starts_with('#') || text.starts_with(';') {
                continue;
            }
            self.left = self.left.saturating_sub(1);
            return Some(text);
        }
    }
}

/// Whether an element holds a nested line without `=` (a parse error when the value is nested).
pub(crate) fn has_bad_nested_line(element: &str) -> bool {
    let one_line = element
        .bytes()
        .all(|b| b.is_ascii() && !matches!(b, 0x0b | 0x0c | 0x1c..=0x1e));
    if one_line {
        // No line break of `str.splitlines()` in it (the non-ASCII ones included).
        let l = py_strip(element);
        return !l.is_empty() && !l.as_bytes().contains(&b'=');
    }
    element
        .split(is_py_line_break)
        .map(py_strip)
        .any(|l| !l.is_empty() && !l.contains('='))
}

/// How botocore maps a config-file section to a profile, SSO session or services section
/// (spec §3.4): the category, the raw text of the second shlex token (or `default`), and
/// whether the header is *usual*: `prefix NAME` with one space and a NAME shlex leaves alone,
/// not the profile `default`. Two usual sections of one category never share a name (their
/// headers would be equal, which is an error), so only unusual ones can collide.
pub(crate) fn classify_config(name: &str) -> Option<(Category, &str, bool)> {
    match classify_plain(name) {
        Some(class) => class,
        None => classify_shlex(name),
    }
}

/// The prefix a config section name starts with, and its category.
#[inline]
fn prefix_of(name: &str) -> Option<(Category, &'static str)> {
    prefix_of_bytes(name.as_bytes())
}

/// [`prefix_of`] on bytes: also used on the bytes after a header's `[` (the text goes on past
/// the name; a prefix found there is the name's when the name is longer than it).
#[inline(always)]
pub(crate) fn prefix_of_bytes(b: &[u8]) -> Option<(Category, &'static str)> {
    // Fixed-size comparisons, which compile to a load and a compare (no `memcmp` call).
    if b.first_chunk::<7>() == Some(b"profile") {
        Some((Category::Profile, "profile"))
    } else if b.first_chunk::<11>() == Some(b"sso-session") {
        Some((Category::SsoSession, "sso-session"))
    } else if b.first_chunk::<8>() == Some(b"services") {
        Some((Category::Services, "services"))
    } else {
        None
    }
}

/// [`classify_config`] for the names it decides without shlex: `default`, names without a
/// category prefix, and the usual spelling `prefix NAME` (one space, a NAME free of shlex's
/// separators, quotes and backslashes, which splits into exactly those two words). `None`
/// when shlex must split the name.
#[inline(always)]
pub(crate) fn classify_plain(name: &str) -> Option<Option<(Category, &str, bool)>> {
    let Some((category, prefix)) = prefix_of(name) else {
        return Some((name == "default").then_some((Category::Profile, name, false)));
    };
    let token = name
        .get(prefix.len()..)
        .and_then(|rest| rest.strip_prefix(' '))
        .filter(|t| !t.is_empty() && !has_shlex_special(t.as_bytes()))?;
    let usual = !(category == Category::Profile && token == "default");
    Some(Some((category, token, usual)))
}

/// [`classify_config`] for a file whose section names [`classify_plain`] all decides: the
/// category and name, found from the prefix alone.
#[inline]
pub(crate) fn classify_known_plain(name: &str) -> Option<(Category, &str)> {
    match prefix_of(name) {
        Some((category, prefix)) => Some((category, name.get(prefix.len().wrapping_add(1)..)?)),
        None => (name == "default").then_some((Category::Profile, name)),
    }
}

/// [`classify_config`] through `shlex.split`.
fn classify_shlex(name: &str) -> Option<(Category, &str, bool)> {
    let (category, prefix) = prefix_of(name)?;
    let (_, token) = super::shlex::split2(name)?;
    let usual = name
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix(' '))
        == Some(token)
        && super::shlex::is_plain(token)
        && !(category == Category::Profile && token == "default");
    Some((category, token, usual))
}

/// Whether `b` may hold a byte shlex treats specially — a separator (space, tab, `\r`, `\n`),
/// a quote or a backslash — eight bytes at a time. Any other control byte also counts (a
/// harmless over-approximation: such names take the shlex path).
#[inline]
fn has_shlex_special(b: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let special = |w: u64| {
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        (w.wrapping_sub(ONES.wrapping_mul(0x21)) & !w & HIGHS)
            | zero(w ^ ONES.wrapping_mul(u64::from(b'\'')))
            | zero(w ^ ONES.wrapping_mul(u64::from(b'"')))
            | zero(w ^ ONES.wrapping_mul(u64::from(b'\\')))
            != 0
    };
    let mut chunks = b.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        if special(u64::from_le_bytes(w)) {
            return true;
        }
    }
    special(super::dedup::tail_word(b, chunks.remainder().len(), b'a'))
}

/// Items for the whole-file duplicate search: every section name except `DEFAULT`, and every
/// option name of the `DEFAULT` sections (which may repeat as sections, but not their keys).
pub(crate) struct FileItems<'a> {
    pub(crate) src: &'a str,
    pub(crate) fast: bool,
    /// Whether section names take part (not when they are known to be distinct).
    pub(crate) sections: bool,
}

pub(crate) const TAG_SECTION: u8 = 1;
pub(crate) const TAG_KEY: u8 = 2;

#[inline]
pub(crate) fn key_hash(key: &str) -> u64 {
    if let Some(h) = Hasher::ascii_lowercase_hash(TAG_KEY, key.as_bytes()) {
        return h;
    }
    key_hash_unicode(key)
}

#[inline(never)]
pub(crate) fn key_hash_unicode(key: &str) -> u64 {
    let mut h = Hasher::new(TAG_KEY);
    for c in lower(key) {
        h.char(c);
    }
    h.finish()
}

pub(crate) fn section_hash(name: &str) -> u64 {
    let mut h = Hasher::new(TAG_SECTION);
    h.bytes(name.as_bytes());
    h.finish()
}

fn off32(off: usize) -> u32 {
    u32::try_from(off).unwrap_or(u32::MAX)
}

/// Whether the items at two offsets (each a header or an option line) are the same item.
fn same_item(src: &str, a: u32, b: u32) -> bool {
    let (a, b) = (a as usize, b as usize);
    match (name_at(src, a), name_at(src, b)) {
        (Some(x), Some(y)) => x == y,
        (None, None) => match (key_at(src, a), key_at(src, b)) {
            (Some(x), Some(y)) => eq_lower(x, y),
            _ => false,
        },
        _ => false,
    }
}

impl Items for FileItems<'_> {
    fn each(&self, f: &mut dyn FnMut(u64, u32)) {
        let mut item = |name: &str, off: usize| {
            if name == "DEFAULT" {
                for opt in Options::new(self.src, off, 1) {
                    f(key_hash(opt.key), off32(opt.off));
                }
            } else if self.sections {
                f(section_hash(name), off32(off));
            }
        };
        if !self.fast {
            for block in Blocks::without_lines(self.src, 0, false) {
                item(block.name, block.off);
            }
            return;
        }
        // The fast scan, specialised: every header is a line starting with `[`; most end with
        // `]`, and then the name is all in between.
        let bytes = self.src.as_bytes();
        let mut pos = 0usize;
        while let Some(found) = bytes.get(pos..).and_then(|r| find_byte(r, b'[')) {
            let at = pos.saturating_add(found);
            pos = at.saturating_add(1);
            if at != 0 && !matches!(bytes.get(at.saturating_sub(1)), Some(b'\n' | b'\r')) {
                continue;
            }
            let rest = self.src.get(at..).unwrap_or("");
            let line =
                find_line_end(rest.as_bytes()).map_or(rest, |end| rest.get(..end).unwrap_or(""));
            let name = match line.strip_suffix(']') {
                Some(inner) if inner.len() >= 2 => inner.get(1..),
                _ => header_name(py_strip(line)),
            };
            if let Some(name) = name {
                item(name, at);
            }
        }
    }

    fn same(&self, a: u32, b: u32) -> bool {
        same_item(self.src, a, b)
    }
}

/// Items for the duplicate-option search inside one section that has too many options for one
/// sorted pass.
struct BlockItems<'a> {
    src: &'a str,
    header: usize,
}

impl Items for BlockItems<'_> {
    /// The section's option names as validation meets them: `= value` lines too (configparser
    /// records the option `""` before the syntax error is raised, and may find it repeated).
    fn each(&self, f: &mut dyn FnMut(u64, u32)) {
        let mut started = false;
        for event in Lexer::new(self.src, self.header, 1) {
            match event {
                Event::Header { .. } => {
                    if started {
                        return;
                    }
                    started = true;
                }
                Event::Option { line, key, .. } => f(key_hash(key), off32(line.off)),
                Event::Error {
                    line,
                    kind: ParseErrorKind::EmptyOptionName,
                } => f(key_hash(""), off32(line.off)),
                Event::Continuation { .. } | Event::Blank | Event::Error { .. } => {}
            }
        }
    }

    fn same(&self, a: u32, b: u32) -> bool {
        same_item(self.src, a, b)
    }
}

/// What [`validate`] learns about a file that parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) first_default: Option<usize>,
    pub(crate) default_end: usize,
    pub(crate) first_default_line: u32,
    pub(crate) fast: bool,
    /// No line ends in `\r`.
    pub(crate) lf_only: bool,
    /// Every section name is classified without shlex ([`classify_known_plain`] applies).
    pub(crate) plain_names: bool,
    pub(crate) notable: Notable,
    pub(crate) spans: Spans,
    /// The file is plain (see `super::plain`): its sections can be walked the cheap way.
    pub(crate) plain: bool,
    /// Every option name is ASCII (known for plain files only).
    pub(crate) ascii_keys: bool,
    /// Every option line is spelt `key = value` (known for plain files only): one space on
    /// each side of the delimiter, none at the end, so the listing splits lines without
    /// looking at white space.
    pub(crate) spaced: bool,
}

/// The option being read during validation, for the nested-block check.
#[derive(Clone, Copy)]
struct OpenOpt {
    in_default: bool,
    first_empty: bool,
    any_element: bool,
    bad: Option<usize>,
}

/// The errors found so far, kept in the order botocore raises them: configparser raises a
/// duplicate (or a missing header) at once, collects every other bad line and raises them at
/// the end of the file, and only then does `raw_config_parse` look at nested blocks.
#[derive(Default)]
struct Found {
    /// (offset of the repeat, offset of the first, whether it is a section).
    duplicate: Option<(usize, usize, bool)>,
    syntax: Option<(usize, ParseErrorKind)>,
    nested: Option<usize>,
    bad_defaults: usize,
}

impl Found {
    fn duplicate(&mut self, first: usize, repeat: usize, section: bool) {
        if self.duplicate.is_none_or(|(r, _, _)| repeat < r) {
            self.duplicate = Some((repeat, first, section));
        }
    }

    fn close_opt(&mut self, opt: &mut Option<OpenOpt>) {
        let Some(o) = opt.take() else {
            return;
        };
        // A value is nested when it starts with "\n": an empty first element and at least one
        // non-empty element after it.
        if let (true, true, Some(bad)) = (o.first_empty, o.any_element, o.bad) {
            if o.in_default {
                self.bad_defaults = self.bad_defaults.saturating_add(1);
            } else if self.nested.is_none() {
                self.nested = Some(bad);
            }
        }
    }
}

/// The section being read during validation; the fingerprints of its first options are kept
/// in a small array beside it ([`SmallKeys`]).
struct OpenBlock {
    header: usize,
    is_default: bool,
    keys: usize,
    /// Two of the first [`SMALL_SECTION`] keys share a fingerprint (maybe a repeat).
    suspect: bool,
}

/// Sections with at most this many options compare each new key's fingerprint with the earlier
/// ones as it comes (a few comparisons for a typical profile); bigger ones are searched when
/// they end, through the scratch.
pub(crate) const SMALL_SECTION: usize = 24;

/// The entries (fingerprint above, offset below) of a section's first options.
type SmallKeys = [u64; SMALL_SECTION];

impl OpenBlock {
    fn new(header: usize, is_default: bool) -> Self {
        OpenBlock {
            header,
            is_default,
            keys: 0,
            suspect: false,
        }
    }

    #[inline]
    fn push_key(&mut self, key: &str, off: usize, small: &mut SmallKeys) {
        if self.keys < SMALL_SECTION {
            let fp = key_hash(key) & 0xffff_ffff_0000_0000;
            if small
                .get(..self.keys)
                .is_some_and(|earlier| earlier.iter().any(|e| e & 0xffff_ffff_0000_0000 == fp))
            {
                self.suspect = true;
            }
            if let Some(slot) = small.get_mut(self.keys) {
                *slot = fp | u64::from(off32(off));
            }
        }
        self.keys = self.keys.saturating_add(1);
    }

    /// Looks for an option set twice in this (non-DEFAULT) section.
    fn close(self, src: &str, small: &mut SmallKeys, scratch: &mut Scratch<'_>, found: &mut Found) {
        if self.is_default || self.keys < 2 || (self.keys <= SMALL_SECTION && !self.suspect) {
            return;
        }
        let items = BlockItems {
            src,
            header: self.header,
        };
        let mut report = |first: u32, repeat: u32| {
            found.duplicate(first as usize, repeat as usize, false);
            Flow::Continue
        };
        match small.get_mut(..self.keys) {
            Some(entries) => {
                entries.sort_unstable();
                dedup::report_sorted(&items, entries, &mut report);
            }
            None => scratch.with(|s| dedup::find_repeats(&items, self.keys, s, &mut report)),
        }
    }
}

/// Whether names arrive in strictly increasing order — byte order, or length then byte order
/// (`p9` < `p10`) — which proves them distinct without a search: generated files often are.
#[derive(Default)]
pub(crate) struct Order<'a> {
    prev: Option<&'a [u8]>,
    /// The previous name's first sixteen bytes, big-endian, when it has sixteen.
    prev_key: Option<u128>,
    not_bytewise: bool,
    not_shortlex: bool,
}

impl<'a> Order<'a> {
    /// Takes the next name.
    #[inline]
    pub(crate) fn next(&mut self, name: &'a str) {
        let name = name.as_bytes();
        let key = name.first_chunk::<16>().map(|c| u128::from_be_bytes(*c));
        if let Some(prev) = self.prev {
            // `prev >= name`, settled by the first sixteen bytes when both names have them
            // and they differ (header names often differ there already): no `memcmp`.
            let not_less = || match (self.prev_key, key) {
                (Some(p), Some(k)) if p != k => p > k,
                _ => prev >= name,
            };
            // Each flag stays set once set, so a settled one costs no more comparisons; the
            // shortlex one compares bytes only between names of one length.
            if !self.not_shortlex {
                self.not_shortlex = match prev.len().cmp(&name.len()) {
                    core::cmp::Ordering::Less => false,
                    core::cmp::Ordering::Greater => true,
                    core::cmp::Ordering::Equal => not_less(),
                };
            }
            if !self.not_bytewise {
                self.not_bytewise = not_less();
            }
        }
        self.prev = Some(name);
        self.prev_key = key;
    }

    pub(crate) fn increasing(&self) -> bool {
        !(self.not_bytewise && self.not_shortlex)
    }
}

/// The 1-based line of byte `off`.
fn line_of(src: &str, off: usize) -> u32 {
    super::error::line_number(super::Dialect::Botocore, src, off)
}

/// Parses the whole file once, as botocore would, and reports the error botocore would raise;
/// on success returns what later lookups need. `scratch` is the duplicate search's working
/// memory.
pub(crate) fn validate(
    src: &str,
    file: FileKind,
    scratch: &mut Scratch<'_>,
) -> Result<Summary, ParseError> {
    let err = |kind, off| ParseError::at_line(file, super::Dialect::Botocore, src, off, kind);
    let mut found = Found::default();
    // Config sections that could share a profile name with another (see `classify_config`).
    let mut unusual = Notable::default();
    let mut first_default: Option<(usize, u32)> = None;
    let mut default_end = 0usize;
    let mut fast = true;
    let mut named_sections = 0usize;
    let mut global_items = 0usize;
    let mut block: Option<OpenBlock> = None;
    let mut opt: Option<OpenOpt> = None;
    let mut order = Order::default();
    let mut spans = Spans::default();
    let mut small: SmallKeys = [0; SMALL_SECTION];
    let mut plain_names = true;
    let mut names = dedup::SmallNames::new();

    let mut lexer = Lexer::new(src, 0, 1);
    for event in &mut lexer {
        match event {
            Event::Header { line, name } => {
                found.close_opt(&mut opt);
                if let Some(b) = block.take() {
                    if b.is_default {
                        default_end = line.off;
                    }
                    b.close(src, &mut small, scratch, &mut found);
                }
                if line.indent > 0 {
                    fast = false;
                }
                let is_default = name == "DEFAULT";
                block = Some(OpenBlock::new(line.off, is_default));
                if is_default {
                    first_default.get_or_insert((line.off, line.number));
                } else {
                    named_sections = named_sections.saturating_add(1);
                    global_items = global_items.saturating_add(1);
                    order.next(name);
                    names.push(TAG_SECTION, name);
                    match file {
                        FileKind::Config => {
                            let class = match classify_plain(name) {
                                Some(class) => class,
                                None => {
                                    plain_names = false;
                                    classify_shlex(name)
                                }
                            };
                            if let Some((category, _, usual)) = class {
                                spans.note(category, line.off, line.number);
                                if !usual {
                                    unusual.push(line.off);
                                }
                            }
                        }
                        FileKind::Credentials => {
                            spans.note(Category::Profile, line.off, line.number);
                        }
                    }
                }
            }
            Event::Option { line, key, value } => {
                found.close_opt(&mut opt);
                let in_default = block.as_ref().is_some_and(|b| b.is_default);
                opt = Some(OpenOpt {
                    in_default,
                    first_empty: value.is_empty(),
                    any_element: false,
                    bad: None,
                });
                match block.as_mut() {
                    Some(b) if !b.is_default => b.push_key(key, line.off, &mut small),
                    _ => {
                        global_items = global_items.saturating_add(1);
                        names.push(TAG_KEY, key);
                    }
                }
            }
            Event::Continuation { line } => {
                if let Some(o) = opt.as_mut() {
                    o.any_element = true;
                    if o.first_empty && o.bad.is_none() && has_bad_nested_line(line.text) {
                        o.bad = Some(line.off);
                    }
                }
            }
            Event::Blank => {}
            Event::Error { line, kind } => {
                if kind == ParseErrorKind::MissingSectionHeader {
                    // configparser raises this one at once.
                    return Err(err(kind, line.off));
                }
                if kind == ParseErrorKind::EmptyOptionName {
                    // configparser still records the option "" (and checks it for repeats).
                    found.close_opt(&mut opt);
                    match block.as_mut() {
                        Some(b) if !b.is_default => b.push_key("", line.off, &mut small),
                        _ => {
                            global_items = global_items.saturating_add(1);
                            names.push(TAG_KEY, "");
                        }
                    }
                }
                if found.syntax.is_none() {
                    found.syntax = Some((line.off, kind));
                }
            }
        }
    }
    found.close_opt(&mut opt);
    if let Some(b) = block.take() {
        if b.is_default {
            default_end = src.len();
        }
        b.close(src, &mut small, scratch, &mut found);
    }

    // Repeated section names and repeated DEFAULT options, anywhere in the file.
    // Names in strictly increasing order are distinct: then only DEFAULT keys need a search.
    let sections = !order.increasing();
    if !sections {
        global_items = global_items.saturating_sub(named_sections);
    }
    // A small file's names, all distinct, need no search either.
    let settled = || {
        names.distinct(|tag, name| match tag {
            TAG_KEY => key_hash(name),
            _ => section_hash(name),
        }) == Some(true)
    };
    if global_items >= 2 && !settled() {
        let items = FileItems {
            src,
            fast,
            sections,
        };
        scratch.with(|scratch| {
            dedup::find_repeats(&items, global_items, scratch, &mut |first, repeat| {
                let section = name_at(src, repeat as usize).is_some();
                found.duplicate(first as usize, repeat as usize, section);
                Flow::Continue
            });
        });
    }

    if let Some((repeat, first, section)) = found.duplicate {
        let first_line = line_of(src, first);
        let kind = if section {
            ParseErrorKind::DuplicateSection { first_line }
        } else {
            ParseErrorKind::DuplicateOption { first_line }
        };
        return Err(err(kind, repeat));
    }
    if let Some((off, kind)) = found.syntax {
        return Err(err(kind, off));
    }
    if let Some(off) = found.nested {
        return Err(err(ParseErrorKind::BadNestedLine, off));
    }
    if found.bad_defaults > 0
        && named_sections > 0
        && let Some((from, line)) = first_default
    {
        let defaults = Defaults {
            src,
            from,
            line,
            end: default_end,
            fast,
        };
        if let Some(off) =
            scratch.with(|scratch| defaults.uninherited_bad_nested(found.bad_defaults, scratch))
        {
            return Err(err(ParseErrorKind::BadNestedLine, off));
        }
    }
    let notable = if file == FileKind::Config {
        shared_names(src, fast, &unusual, named_sections, scratch)
    } else {
        // Credentials sections are named verbatim, and verbatim names are unique by now.
        Notable::default()
    };
    Ok(Summary {
        first_default: first_default.map(|(o, _)| o),
        first_default_line: first_default.map_or(1, |(_, l)| l),
        default_end,
        fast,
        lf_only: !lexer.saw_cr(),
        plain_names,
        notable,
        spans,
        plain: false,
        ascii_keys: false,
        spaced: false,
    })
}

/// A config section's category and profile (or session, or services) name.
fn mapped_at(src: &str, off: usize) -> Option<(Category, super::Text<'_>)> {
    let name = name_at(src, off)?;
    let (category, token, _) = classify_config(name)?;
    Some((category, mapped_text(name, token)))
}

/// The name botocore gives a section whose second shlex token is `token`.
pub(crate) fn mapped_text<'a>(name: &'a str, token: &'a str) -> super::Text<'a> {
    let repr = if token == name || super::shlex::is_plain(token) {
        super::TextRepr::Plain(token)
    } else {
        super::TextRepr::Shlex(token)
    };
    super::Text::new(repr, 0)
}

/// Items for the search for config sections that map to the same name.
struct MappedItems<'a> {
    src: &'a str,
    fast: bool,
}

impl Items for MappedItems<'_> {
    fn each(&self, f: &mut dyn FnMut(u64, u32)) {
        for block in Blocks::without_lines(self.src, 0, self.fast) {
            if let Some((category, token, _)) = classify_config(block.name) {
                let mut h = Hasher::new(category as u8);
                for frag in mapped_text(block.name, token).fragments() {
                    h.bytes(frag.as_bytes());
                }
                f(h.finish(), off32(block.off));
            }
        }
    }

    fn same(&self, a: u32, b: u32) -> bool {
        match (
            mapped_at(self.src, a as usize),
            mapped_at(self.src, b as usize),
        ) {
            (Some((c1, n1)), Some((c2, n2))) => c1 == c2 && n1.eq_text(&n2),
            _ => false,
        }
    }
}

/// The config sections whose profile (or session, or services) name another section also maps
/// to — `[default]` and `[profile default]`, `[profile a]` and `[profile "a"]` — of which
/// botocore keeps the last. Only `unusual` sections (see `classify_config`) can be involved:
/// with a few of them each is compared with every section; with more than [`Notable`] holds, a
/// repeat search over all sections' names finds them.
pub(crate) fn shared_names(
    src: &str,
    fast: bool,
    unusual: &Notable,
    sections: usize,
    scratch: &mut Scratch<'_>,
) -> Notable {
    let mut shared = Notable::default();
    if unusual.overflow {
        let items = MappedItems { src, fast };
        scratch.with(|scratch| {
            dedup::find_repeats(&items, sections, scratch, &mut |first, repeat| {
                shared.push(first as usize);
                shared.push(repeat as usize);
                Flow::Continue
            });
        });
        return shared;
    }
    for off in unusual.iter() {
        let Some((category, name)) = mapped_at(src, off) else {
            continue;
        };
        if name_at(src, off) == Some("default") {
            // `[default]` is the profile `default`; every other section that maps to it is
            // unusual itself (see `classify_config`), so only those need comparing, and the
            // walk over every header is not needed.
            for other in unusual.iter().filter(|o| *o != off) {
                if mapped_at(src, other).is_some_and(|(c, n)| c == category && n.eq_text(&name)) {
                    shared.push(off);
                    shared.push(other);
                }
            }
            continue;
        }
        for block in Blocks::without_lines(src, 0, fast) {
            if block.off == off {
                continue;
            }
            let Some((c2, token, _)) = classify_config(block.name) else {
                continue;
            };
            if c2 == category && mapped_text(block.name, token).eq_text(&name) {
                shared.push(off);
                shared.push(block.off);
            }
        }
    }
    shared
}

/// Whether an option's value is a nested block with a line lacking `=`.
fn is_bad_nested(src: &str, opt: &Opt<'_>) -> bool {
    opt.first.is_empty()
        && opt.elems > 0
        && Elements::new(src, opt.cont, opt.elems).any(has_bad_nested_line)
}

/// Whether the section at `header` sets `key` itself.
fn defines(src: &str, header: usize, key: &str) -> bool {
    Options::new(src, header, 1).any(|o| eq_lower(o.key, key))
}

/// The `[DEFAULT]` sections of a file: from the first one's header to the end of the last.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Defaults<'a> {
    pub(crate) src: &'a str,
    pub(crate) from: usize,
    pub(crate) line: u32,
    pub(crate) end: usize,
    pub(crate) fast: bool,
}

impl<'a> Defaults<'a> {
    /// Every option of every `[DEFAULT]` section, in file order.
    pub(crate) fn options(self) -> DefaultOptions<'a> {
        DefaultOptions {
            src: self.src,
            blocks: Blocks::new(self.src, self.from, self.line, self.fast),
            end: self.end,
            current: None,
        }
    }

    /// A `[DEFAULT]` option with a malformed nested block that some section does not override
    /// (botocore parses it as that section's value and fails), by offset.
    ///
    /// With the malformed keys in the scratch (sorted by hash), one pass over the sections
    /// counts the ones each overrides. More malformed keys than the scratch holds is left to a
    /// slower walk, once per key.
    fn uninherited_bad_nested(self, count: usize, scratch: &mut [u64]) -> Option<usize> {
        let src = self.src;
        let sections = || Blocks::without_lines(src, 0, self.fast).filter(|b| !b.is_default());
        let bad = || self.options().filter(move |o| is_bad_nested(src, o));
        // The answer, whichever way it is found: the first section that lacks a malformed key,
        // and the first such key.
        let lacking = |section: &Block<'_>| {
            bad()
                .find(|k| !defines(src, section.off, k.key))
                .map(|k| k.off)
        };
        let Some(entries) = scratch.get_mut(..count) else {
            return sections().find_map(|s| lacking(&s));
        };
        for (slot, k) in entries.iter_mut().zip(bad()) {
            *slot = (key_hash(k.key) & 0xffff_ffff_0000_0000) | u64::from(off32(k.off));
        }
        entries.sort_unstable();
        let entries = &*entries;
        for section in sections() {
            let mut overridden = 0usize;
            for o in Options::new(src, section.off, section.line) {
                let h = key_hash(o.key) >> 32;
                let from = entries.partition_point(|e| (e >> 32) < h);
                let hit = entries
                    .get(from..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|e| (**e >> 32) == h)
                    .any(|e| {
                        key_at(src, (e & 0xffff_ffff) as usize).is_some_and(|k| eq_lower(k, o.key))
                    });
                if hit {
                    overridden = overridden.saturating_add(1);
                }
            }
            if overridden < count {
                return lacking(&section);
            }
        }
        None
    }
}

/// The options of the `[DEFAULT]` sections, in file order (see [`Defaults::options`]): one
/// walk from the first `[DEFAULT]` header to the end of the last, which an iterator that is
/// kept (rather than restarted) makes linear.
#[derive(Debug, Clone)]
pub(crate) struct DefaultOptions<'a> {
    src: &'a str,
    blocks: Blocks<'a>,
    /// Where the last `[DEFAULT]` section ends.
    end: usize,
    /// The options of the `[DEFAULT]` section being walked.
    current: Option<Options<'a>>,
}

impl<'a> DefaultOptions<'a> {
    /// No options at all (a file without `[DEFAULT]`).
    pub(crate) fn none(src: &'a str) -> Self {
        DefaultOptions {
            src,
            blocks: Blocks::new(src, src.len(), 1, true),
            end: 0,
            current: None,
        }
    }
}

impl<'a> Iterator for DefaultOptions<'a> {
    type Item = Opt<'a>;

    fn next(&mut self) -> Option<Opt<'a>> {
        loop {
            if let Some(o) = self.current.as_mut().and_then(Iterator::next) {
                return Some(o);
            }
            self.current = None;
            let block = self.blocks.next()?;
            if block.off >= self.end {
                self.blocks = Blocks::new(self.src, self.src.len(), 1, true);
                return None;
            }
            if block.is_default() {
                self.current = Some(Options::new(self.src, block.off, block.line));
            }
        }
    }
}
