//! botocore's reading of a *plain* file, the shape nearly every `~/.aws/config` and
//! `~/.aws/credentials` has, in one cheap pass.
//!
//! configparser's rules (spec §3.2) cost most where a file is unusual: Unicode white space at a
//! line's ends, `\r` line ends, indented headers and options whose indentation decides what
//! continues, `[DEFAULT]` inheritance, shlex-quoted names. A file with none of these can be read
//! with far less bookkeeping, and both passes over it — the validation at parse time and each
//! later walk of a section's options — get cheaper. A file is plain when:
//!
//! - no byte is `\r`, so every line ends in `\n` (or at the end of the text);
//! - every line is empty, a comment (`#` or `;` in column 0), a header `[name]` in column 0
//!   whose last byte is the `]` (not `[DEFAULT]`, and, in the config file, a name botocore
//!   classifies without shlex), an option `key = value` or `key: value` starting in column 0,
//!   or an indented line — blank, a comment, or the continuation of an open option;
//! - the bytes where a line, a key or a value is stripped are ASCII (so Python's Unicode white
//!   space never decides anything);
//! - the file has no syntax error, no section repeats a key (among its first 24 keys, by
//!   fingerprint: a shared fingerprint is left to the general reader), no section name
//!   repeats, and no nested block has a line without `=`.
//!
//! In such a file every option line has indentation 0, so configparser's indentation level
//! stays 0 and an indented line continues the open option exactly when one is open: the line
//! structure alone says what each line is. [`validate`] checks all of this and returns the same
//! [`Summary`] the general validation would; anything else makes it give up (`None`), and the
//! general reader ([`super::botocore::validate`]) reads the file instead, errors and all. So a
//! file that is not plain costs at most one abandoned partial pass more, and behaviour never
//! depends on which reader ran: the plain reader only accepts what the general one accepts, and
//! records the same facts.
//!
//! [`PlainOptions`] then walks a section of a plain file: it looks at each line's first byte to
//! tell options, continuations, comments and the next header apart, with no lexer state.

use super::botocore::{
    FileItems, Opt, Order, SMALL_SECTION, Summary, TAG_KEY, TAG_SECTION, classify_plain, find_byte,
    find_either, has_bad_nested_line, key_hash, key_hash_unicode, section_hash, shared_names,
};
use super::dedup::{self, Flow, Hasher, Scratch};
use super::unicode::is_ascii_py_space;
use super::{Category, FileKind, Notable, Spans};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `v` that is zero, and maybe of some bytes above the lowest
/// zero byte (so only the lowest marked byte is exact).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// The offset of the `\n` ending the line that starts at `pos`, or the text's length.
#[inline(always)]
fn line_end(bytes: &[u8], pos: usize) -> usize {
    let rest = bytes.get(pos..).unwrap_or(&[]);
    // Offsets stay below the input's length, itself below 4 GiB.
    find_byte(rest, b'\n').map_or(bytes.len(), |i| pos.wrapping_add(i))
}

/// [`line_end`] for a file not yet known to be free of `\r`: `None` when a `\r` comes first
/// (the file is not plain).
#[inline(always)]
fn line_end_checked(bytes: &[u8], pos: usize) -> Option<usize> {
    let rest = bytes.get(pos..)?;
    match find_either(rest, b'\n', b'\r') {
        Some(i) if rest.get(i) == Some(&b'\r') => None,
        Some(i) => Some(pos.wrapping_add(i)),
        None => Some(bytes.len()),
    }
}

/// The end of `b[..z]` with ASCII white space stripped, not below `from`.
#[inline(always)]
fn rstrip(b: &[u8], from: usize, mut z: usize) -> usize {
    while z > from
        && b.get(z.wrapping_sub(1))
            .is_some_and(|c| is_ascii_py_space(*c))
    {
        z = z.wrapping_sub(1);
    }
    z
}

/// The start of `b[a..z]` with ASCII white space stripped.
#[inline(always)]
fn lstrip(b: &[u8], mut a: usize, z: usize) -> usize {
    while a < z && b.get(a).is_some_and(|c| is_ascii_py_space(*c)) {
        a = a.wrapping_add(1);
    }
    a
}

/// Whether the byte at `i` exists and is not ASCII.
#[inline(always)]
fn non_ascii_at(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|c| !c.is_ascii())
}

/// An option line of a plain file, split: offsets into the text.
#[derive(Clone, Copy)]
struct OptionLine {
    /// End of the key (right-stripped).
    key_end: usize,
    /// Start and end of the value (stripped).
    value: (usize, usize),
    /// The line's `\n` (or the text's end).
    eol: usize,
}

/// The index of the first `=`, `:`, `\n` or `\r` in `b`, eight bytes at a time.
#[inline(always)]
fn find_delim_or_newline(b: &[u8]) -> Option<usize> {
    let hits = |w: u64| {
        zero_bytes(w ^ (ONES * u64::from(b'=')))
            | zero_bytes(w ^ (ONES * u64::from(b':')))
            | zero_bytes(w ^ (ONES * 10))
            | zero_bytes(w ^ (ONES * 13))
    };
    let mut chunks = b.chunks_exact(8);
    let mut base = 0usize;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let h = hits(u64::from_le_bytes(w));
        if h != 0 {
            return Some(base.wrapping_add((h.trailing_zeros() / 8) as usize));
        }
        base = base.wrapping_add(8);
    }
    chunks
        .remainder()
        .iter()
        .position(|c| matches!(c, b'=' | b':' | b'\n' | b'\r'))
        .map(|p| base.wrapping_add(p))
}

/// Splits the option line at `off` (its first byte is not white space, `[`, `#` or `;`), or
/// `None` when the line is not a plain option line: no delimiter, an empty key, or a non-ASCII
/// byte where configparser would strip. `known` says the file was validated as plain (the
/// line has a delimiter), which saves looking for the line's end before it.
#[inline(always)]
fn option_line(bytes: &[u8], off: usize, known: bool) -> Option<OptionLine> {
    let rest = bytes.get(off..)?;
    let d = if known {
        find_either(rest, b'=', b':')?
    } else {
        find_delim_or_newline(rest)?
    };
    let (key, after) = rest.split_at_checked(d)?;
    let (&delim, after) = after.split_first()?;
    if delim == b'\n' || delim == b'\r' {
        return None;
    }
    let value_at = off.wrapping_add(d).wrapping_add(1);
    let eol = if known {
        line_end(bytes, value_at)
    } else {
        line_end_checked(bytes, value_at)?
    };
    let value = after.get(..eol.wrapping_sub(value_at))?;
    let k = key.iter().rposition(|c| !is_ascii_py_space(*c))?;
    let v0 = value
        .iter()
        .position(|c| !is_ascii_py_space(*c))
        .unwrap_or(value.len());
    let v1 = value
        .iter()
        .rposition(|c| !is_ascii_py_space(*c))
        .map_or(v0, |i| i.wrapping_add(1));
    if non_ascii_at(key, k)
        || (v0 < v1 && (non_ascii_at(value, v0) || non_ascii_at(value, v1.wrapping_sub(1))))
    {
        return None;
    }
    Some(OptionLine {
        key_end: off.wrapping_add(k).wrapping_add(1),
        value: (value_at.wrapping_add(v0), value_at.wrapping_add(v1)),
        eol,
    })
}

/// Validates a plain file in one pass and returns what the general validation would, or
/// `None` when the file is not plain (see the [module docs](self)).
pub(crate) fn validate(src: &str, file: FileKind, scratch: &mut Scratch<'_>) -> Option<Summary> {
    let bytes = src.as_bytes();
    let len = bytes.len();
    let mut pos = 0usize;
    let mut number = 0u32;
    let mut in_section = false;
    let mut opt_open = false;
    let mut first_empty = false;
    let mut ascii_keys = true;
    let mut keys = 0usize;
    let mut small = [0u32; SMALL_SECTION];
    let mut order = Order::default();
    let mut names = dedup::SmallNames::new();
    let mut spans = Spans::default();
    let mut unusual = Notable::default();
    let mut named_sections = 0usize;
    while pos < len {
        let off = pos;
        number = number.saturating_add(1);
        let first = bytes.get(off).copied().unwrap_or(b'\n');
        match first {
            b'\n' => {
                pos = off.wrapping_add(1);
                continue;
            }
            b'#' | b';' => {}
            b'[' => {
                let eol = line_end_checked(bytes, off)?;
                if eol < off.wrapping_add(3) || bytes.get(eol.wrapping_sub(1)) != Some(&b']') {
                    return None;
                }
                let name = src.get(off.wrapping_add(1)..eol.wrapping_sub(1))?;
                if name == "DEFAULT" {
                    return None;
                }
                in_section = true;
                opt_open = false;
                keys = 0;
                named_sections = named_sections.saturating_add(1);
                order.next(name);
                names.push(TAG_SECTION, name);
                match file {
                    FileKind::Config => {
                        // A name shlex must split is left to the general reader.
                        if let Some((category, _, usual)) = classify_plain(name)? {
                            spans.note(category, off, number);
                            if !usual {
                                unusual.push(off);
                            }
                        }
                    }
                    FileKind::Credentials => spans.note(Category::Profile, off, number),
                }
                pos = eol.wrapping_add(1);
                continue;
            }
            _ if !first.is_ascii() => return None,
            _ if is_ascii_py_space(first) => {
                let eol = line_end_checked(bytes, off)?;
                let a = lstrip(bytes, off, eol);
                if a < eol {
                    let z = rstrip(bytes, a, eol);
                    if non_ascii_at(bytes, a) || non_ascii_at(bytes, z.wrapping_sub(1)) {
                        return None;
                    }
                    let c = bytes.get(a).copied().unwrap_or(b'#');
                    if c != b'#' && c != b';' {
                        // A continuation line: only after an option.
                        if !opt_open {
                            return None;
                        }
                        if first_empty && has_bad_nested_line(src.get(a..z)?) {
                            return None;
                        }
                    }
                }
                pos = eol.wrapping_add(1);
                continue;
            }
            _ => {
                if !in_section {
                    return None;
                }
                let o = option_line(bytes, off, false)?;
                let key = bytes.get(off..o.key_end)?;
                let fp = match Hasher::ascii_lowercase_hash(TAG_KEY, key) {
                    Some(h) => (h >> 32) as u32,
                    None => {
                        ascii_keys = false;
                        (key_hash_unicode(src.get(off..o.key_end)?) >> 32) as u32
                    }
                };
                let earlier = small.get(..keys)?;
                if earlier.contains(&fp) {
                    // Maybe a repeated key: the general reader decides.
                    return None;
                }
                *small.get_mut(keys)? = fp;
                keys = keys.wrapping_add(1);
                opt_open = true;
                first_empty = o.value.0 == o.value.1;
                pos = o.eol.wrapping_add(1);
                continue;
            }
        }
        // A comment line.
        pos = line_end_checked(bytes, off)?.wrapping_add(1);
    }

    // Repeated section names: none when they come in increasing order, or when a small file's
    // hashes differ; otherwise the search (a repeat is an error, for the general reader).
    if named_sections >= 2 && !order.increasing() {
        let settled = names.distinct(|tag, name| match tag {
            TAG_KEY => key_hash(name),
            _ => section_hash(name),
        }) == Some(true);
        if !settled {
            let items = FileItems {
                src,
                fast: true,
                sections: true,
            };
            let mut repeated = false;
            scratch.with(|scratch| {
                dedup::find_repeats(&items, named_sections, scratch, &mut |_, _| {
                    repeated = true;
                    Flow::Stop
                });
            });
            if repeated {
                return None;
            }
        }
    }
    let notable = match file {
        FileKind::Config => shared_names(src, true, &unusual, named_sections, scratch),
        FileKind::Credentials => Notable::default(),
    };
    Some(Summary {
        first_default: None,
        default_end: 0,
        first_default_line: 1,
        fast: true,
        lf_only: true,
        plain_names: true,
        notable,
        spans,
        plain: true,
        ascii_keys,
    })
}

/// The options of a section of a plain file, from the line after its header to the next
/// header: the same [`Opt`]s as [`super::botocore::Options`] gives there.
#[derive(Debug, Clone)]
pub(crate) struct PlainOptions<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
}

impl<'a> PlainOptions<'a> {
    /// The options of the section whose header line is at `header`, numbered `line`.
    pub(crate) fn new(src: &'a str, header: usize, line: u32) -> Self {
        PlainOptions {
            src,
            pos: line_end(src.as_bytes(), header).saturating_add(1),
            line: line.saturating_add(1),
        }
    }
}

impl<'a> Iterator for PlainOptions<'a> {
    type Item = Opt<'a>;

    #[inline]
    fn next(&mut self) -> Option<Opt<'a>> {
        let src = self.src;
        let bytes = src.as_bytes();
        let len = bytes.len();
        loop {
            let off = self.pos;
            let first = *bytes.get(off)?;
            match first {
                b'\n' => {
                    self.pos = off.wrapping_add(1);
                    self.line = self.line.wrapping_add(1);
                    continue;
                }
                b'[' => {
                    self.pos = len;
                    return None;
                }
                b'#' | b';' => {}
                _ if is_ascii_py_space(first) => {}
                _ => {
                    let Some(o) = option_line(bytes, off, true) else {
                        // Not reached in a plain file.
                        self.pos = len;
                        return None;
                    };
                    let number = self.line;
                    // Where the lexer would be: past the `\n`, or at the end.
                    let cont = o.eol.wrapping_add(1).min(len);
                    // The lines that follow: blank lines, comments and continuations until a
                    // line in column 0 (an option or a header) or the end.
                    let mut next = cont;
                    let mut line = number.wrapping_add(1);
                    let mut total = 0u32;
                    let mut elems = 0u32;
                    while let Some(&c) = bytes.get(next) {
                        if c == b'\n' {
                            total = total.saturating_add(1);
                            next = next.wrapping_add(1);
                            line = line.wrapping_add(1);
                            continue;
                        }
                        let indented = is_ascii_py_space(c);
                        if !indented && c != b'#' && c != b';' {
                            break;
                        }
                        let eol = line_end(bytes, next);
                        if indented {
                            let a = lstrip(bytes, next, eol);
                            match bytes.get(a) {
                                Some(b'#' | b';') => {}
                                Some(b'\n') | None => total = total.saturating_add(1),
                                Some(_) => {
                                    total = total.saturating_add(1);
                                    elems = total;
                                }
                            }
                        }
                        next = eol.wrapping_add(1);
                        line = line.wrapping_add(1);
                    }
                    self.pos = next;
                    self.line = line;
                    return Some(Opt {
                        key: src.get(off..o.key_end).unwrap_or(""),
                        first: src.get(o.value.0..o.value.1).unwrap_or(""),
                        off,
                        line: number,
                        cont,
                        elems,
                    });
                }
            }
            // A comment, or an indented line outside a value (blank or a comment).
            self.pos = line_end(bytes, off).wrapping_add(1);
            self.line = self.line.wrapping_add(1);
        }
    }
}

/// The headers of a plain file from `from` (a line start numbered `line`) on: every `[` at a
/// line start begins one, and its name ends before the line's last byte.
#[derive(Debug, Clone)]
pub(crate) struct PlainBlocks<'a> {
    src: &'a str,
    pos: usize,
    /// Where line counting stopped.
    counted: usize,
    line: u32,
}

impl<'a> PlainBlocks<'a> {
    pub(crate) fn new(src: &'a str, from: usize, line: u32) -> Self {
        PlainBlocks {
            src,
            pos: from,
            counted: from,
            line,
        }
    }
}

/// The number of `\n` in `b`: per block of 255 bytes a byte-wide sum (cheaper than a
/// `usize` count per byte).
#[inline]
fn count_newlines(b: &[u8]) -> usize {
    b.chunks(255)
        .map(|block| {
            usize::from(
                block
                    .iter()
                    .fold(0u8, |n, c| n.wrapping_add(u8::from(*c == b'\n'))),
            )
        })
        .fold(0usize, usize::wrapping_add)
}

impl<'a> Iterator for PlainBlocks<'a> {
    type Item = super::botocore::Block<'a>;

    fn next(&mut self) -> Option<super::botocore::Block<'a>> {
        let bytes = self.src.as_bytes();
        loop {
            let at = self
                .pos
                .wrapping_add(find_byte(bytes.get(self.pos..)?, b'[')?);
            self.pos = at.wrapping_add(1);
            if at != 0 && bytes.get(at.wrapping_sub(1)) != Some(&b'\n') {
                continue;
            }
            let eol = line_end(bytes, at);
            let name = self
                .src
                .get(at.wrapping_add(1)..eol.saturating_sub(1))
                .unwrap_or("");
            let ends = count_newlines(bytes.get(self.counted..at).unwrap_or(&[]));
            self.line = self
                .line
                .saturating_add(u32::try_from(ends).unwrap_or(u32::MAX));
            self.counted = at;
            self.pos = eol;
            return Some(super::botocore::Block {
                off: at,
                line: self.line,
                name,
            });
        }
    }
}
