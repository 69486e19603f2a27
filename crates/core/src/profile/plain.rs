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
//! - the file has no syntax error, no section has more than 24 options or repeats a key (by
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
//! The pass looks at each line's first byte to know what the line is, then reads the line
//! eight bytes at a time: an option line is searched for its delimiter (`=` or `:`) and then
//! for its end, and nothing else. It also records where the first [`HEADS`] headers are and on
//! which lines ([`Heads`]), so that walking the sections later jumps from header to header
//! without searching or counting lines.
//!
//! [`PlainOptions`] then walks a section of a plain file: it looks at each line's first byte to
//! tell options, continuations, comments and the next header apart, with no lexer state, and
//! numbers lines as it goes.

use super::botocore::{
    FileItems, Opt, Order, SMALL_SECTION, Summary, classify_plain, find_byte, has_bad_nested_line,
    key_hash_unicode, section_hash, shared_names,
};
use super::dedup::{self, Flow, Scratch};
use super::unicode::is_ascii_py_space;
use super::{Category, FileKind, HEADS, Heads, Notable, Spans};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
/// Setting the three low bits of a byte maps `\n` (0x0a) and `\r` (0x0d) to 0x0f, and `:`
/// (0x3a) and `=` (0x3d) to 0x3f: one comparison then finds either of a pair (and a few other
/// bytes — tab, `8`, `9`, `;`, `<`, `>`, `?` — which the search checks and skips).
const SEVENS: u64 = 0x0707_0707_0707_0707;
const EOL_CLASS: u64 = ONES.wrapping_mul(0x0f);
const DELIM_CLASS: u64 = ONES.wrapping_mul(0x3f);

/// The high bit of each byte of `v` that is zero, and maybe of some bytes above the lowest
/// zero byte (so only the lowest marked byte is exact).
#[inline(always)]
fn zero_bytes(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & HIGHS
}

/// The eight bytes at `at` as a little-endian word, when there are eight.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk = bytes.get(at..)?.first_chunk::<8>()?;
    Some(u64::from_le_bytes(*chunk))
}

/// The first byte at or after `at` that is `\n` or `\r`, or `None` at the end of the text.
#[inline(always)]
fn find_eol(bytes: &[u8], mut at: usize) -> Option<usize> {
    while let Some(w) = word_at(bytes, at) {
        let hits = zero_bytes((w | SEVENS) ^ EOL_CLASS);
        if hits == 0 {
            at = at.wrapping_add(8);
            continue;
        }
        let i = at.wrapping_add((hits.trailing_zeros() / 8) as usize);
        if matches!(bytes.get(i), Some(b'\n' | b'\r')) {
            return Some(i);
        }
        at = i.wrapping_add(1);
    }
    let rest = bytes.get(at..)?;
    rest.iter()
        .position(|c| matches!(c, b'\n' | b'\r'))
        .map(|i| at.wrapping_add(i))
}

/// The first byte at or after `at` that is `=`, `:`, `\n` or `\r` (`None` at the end of the
/// text); `lines` false looks for `=` and `:` only (in a file known to be plain, an option
/// line has one).
#[inline(always)]
fn find_delim(bytes: &[u8], mut at: usize, lines: bool) -> Option<usize> {
    let is_delim = |c: u8| matches!(c, b'=' | b':') || (lines && matches!(c, b'\n' | b'\r'));
    while let Some(w) = word_at(bytes, at) {
        let v = w | SEVENS;
        let mut hits = zero_bytes(v ^ DELIM_CLASS);
        if lines {
            hits |= zero_bytes(v ^ EOL_CLASS);
        }
        if hits == 0 {
            at = at.wrapping_add(8);
            continue;
        }
        let i = at.wrapping_add((hits.trailing_zeros() / 8) as usize);
        if bytes.get(i).is_some_and(|c| is_delim(*c)) {
            return Some(i);
        }
        at = i.wrapping_add(1);
    }
    let rest = bytes.get(at..)?;
    rest.iter()
        .position(|c| is_delim(*c))
        .map(|i| at.wrapping_add(i))
}

/// The offset of the `\n` ending the line that starts at `pos` in a file without `\r`, or the
/// text's length.
#[inline(always)]
fn line_end(bytes: &[u8], pos: usize) -> usize {
    let rest = bytes.get(pos..).unwrap_or(&[]);
    // Offsets stay below the input's length, itself below 4 GiB.
    find_byte(rest, b'\n').map_or(bytes.len(), |i| pos.wrapping_add(i))
}

/// The start of the line after the one at `pos` (or the text's length), in a plain file.
pub(crate) fn next_line_start(src: &str, pos: usize) -> usize {
    line_end(src.as_bytes(), pos)
        .saturating_add(1)
        .min(src.len())
}

/// The name of the header at `off` in a plain file: between the `[` and the `]` that ends the
/// line.
#[inline]
pub(crate) fn header_name_at(src: &str, off: usize) -> &str {
    let eol = line_end(src.as_bytes(), off);
    src.get(off.wrapping_add(1)..eol.saturating_sub(1))
        .unwrap_or("")
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

/// Splits the option line at `off` (its first byte is not white space, `[`, `#` or `;`), or
/// `None` when the line is not a plain option line: no delimiter, a `\r`, or a non-ASCII byte
/// where configparser would strip. `known` says the file was validated as plain (the line has
/// a delimiter, and there is no `\r`), which saves looking for them.
#[inline(always)]
fn option_line(bytes: &[u8], off: usize, known: bool) -> Option<OptionLine> {
    let d = find_delim(bytes, off, !known)?;
    // An empty key (the line starts with its delimiter), or no delimiter on the line.
    if !known && (d == off || matches!(bytes.get(d), Some(b'\n' | b'\r'))) {
        return None;
    }
    let value_at = d.wrapping_add(1);
    let eol = if known {
        line_end(bytes, value_at)
    } else {
        match find_eol(bytes, value_at) {
            Some(i) if bytes.get(i) == Some(&b'\r') => return None,
            Some(i) => i,
            None => bytes.len(),
        }
    };
    // The first byte is not white space, so the key stays non-empty.
    let key_end = rstrip(bytes, off, d);
    let v0 = lstrip(bytes, value_at, eol);
    let v1 = rstrip(bytes, v0, eol);
    if !known
        && (non_ascii_at(bytes, key_end.wrapping_sub(1))
            || (v0 < v1 && (non_ascii_at(bytes, v0) || non_ascii_at(bytes, v1.wrapping_sub(1)))))
    {
        return None;
    }
    Some(OptionLine {
        key_end,
        value: (v0, v1),
        eol,
    })
}

/// A fingerprint of an option name that equal names (after lowercasing) share: its length and
/// its first and last eight bytes with the case bit set, or `None` when the name is not ASCII.
/// Names that differ may share one (`a@` and ``a` ``, or long names alike at both ends): the
/// general reader then decides.
#[inline(always)]
fn ascii_key_fingerprint(bytes: &[u8], from: usize, to: usize) -> Option<u64> {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    const CASE: u64 = ONES.wrapping_mul(0x20);
    let len = to.wrapping_sub(from);
    let key = bytes.get(from..to)?;
    let (head, tail, seen) = if len >= 8 {
        let head = u64::from_le_bytes(*key.first_chunk::<8>()?);
        let tail = u64::from_le_bytes(*key.last_chunk::<8>()?);
        // Every byte, for the ASCII check: the middle words too.
        let middle = key
            .get(8..len.wrapping_sub(8))
            .unwrap_or(&[])
            .iter()
            .fold(0u64, |acc, b| acc | u64::from(*b));
        (head, tail, head | tail | middle)
    } else {
        // The key is followed by its delimiter, so eight bytes from its start may exist.
        let w = match word_at(bytes, from) {
            Some(w) => w & (u64::MAX >> (64u32.wrapping_sub((len as u32).wrapping_mul(8)))),
            None => dedup::tail_word(key, len, 0),
        };
        (w, 0, w)
    };
    if seen & HIGHS != 0 {
        return None;
    }
    let h = ((len as u64) ^ (head | CASE)).wrapping_mul(K);
    Some((h.rotate_left(23) ^ (tail | CASE)).wrapping_mul(K))
}

/// Whether a stripped continuation line is surely a good nested line: it has an `=`, and no
/// byte that is not printable ASCII (so `str.splitlines()` leaves it whole). `false` means
/// "ask [`has_bad_nested_line`]".
#[inline]
fn surely_good_nested(element: &[u8]) -> bool {
    let printable = element.iter().all(|c| (0x20..0x7f).contains(c));
    printable && find_byte(element, b'=').is_some()
}

/// Validates a plain file in one pass and returns what the general validation would, or
/// `None` when the file is not plain (see the [module docs](self)). Records the first headers
/// in `heads`.
pub(crate) fn validate(
    src: &str,
    file: FileKind,
    scratch: &mut Scratch<'_>,
    heads: &mut Heads,
) -> Option<Summary> {
    let bytes = src.as_bytes();
    let len = bytes.len();
    let mut pos = 0usize;
    let mut number = 0u32;
    let mut in_section = false;
    let mut opt_open = false;
    let mut first_empty = false;
    let mut ascii_keys = true;
    let mut keys = 0usize;
    let mut small = [0u64; SMALL_SECTION];
    let mut order = Order::default();
    let mut spans = Spans::default();
    let mut unusual = Notable::default();
    let mut named_sections = 0usize;
    let mut recording = true;
    while let Some(&first) = bytes.get(pos) {
        let off = pos;
        number = number.wrapping_add(1);
        if first == b'\n' {
            pos = off.wrapping_add(1);
            continue;
        }
        if first == b'[' {
            let eol = find_eol(bytes, off).unwrap_or(len);
            if bytes.get(eol) == Some(&b'\r')
                || eol < off.wrapping_add(3)
                || bytes.get(eol.wrapping_sub(1)) != Some(&b']')
            {
                return None;
            }
            let name = src.get(off.wrapping_add(1)..eol.wrapping_sub(1))?;
            if name == "DEFAULT" {
                return None;
            }
            in_section = true;
            opt_open = false;
            keys = 0;
            named_sections = named_sections.wrapping_add(1);
            order.next(name);
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
            if recording {
                recording = heads.push(off, number);
            }
            pos = eol.wrapping_add(1);
            continue;
        }
        if first == b'#' || first == b';' {
            pos = match find_eol(bytes, off) {
                Some(i) if bytes.get(i) == Some(&b'\r') => return None,
                Some(i) => i.wrapping_add(1),
                None => len,
            };
            continue;
        }
        if !first.is_ascii() {
            return None;
        }
        if is_ascii_py_space(first) {
            let eol = match find_eol(bytes, off) {
                Some(i) if bytes.get(i) == Some(&b'\r') => return None,
                Some(i) => i,
                None => len,
            };
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
                    if first_empty {
                        let element = bytes.get(a..z)?;
                        if !surely_good_nested(element) && has_bad_nested_line(src.get(a..z)?) {
                            return None;
                        }
                    }
                }
            }
            pos = eol.wrapping_add(1);
            continue;
        }
        // An option line.
        if !in_section {
            return None;
        }
        let o = option_line(bytes, off, false)?;
        let fp = match ascii_key_fingerprint(bytes, off, o.key_end) {
            Some(fp) => fp,
            None => {
                ascii_keys = false;
                key_hash_unicode(src.get(off..o.key_end)?)
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
    }
    heads.complete = usize::from(heads.len) == named_sections;

    // Repeated section names: none when they come in increasing order, or when a small file's
    // hashes differ; otherwise the search (a repeat is an error, for the general reader).
    if named_sections >= 2 && !order.increasing() && !(heads.complete && distinct(src, heads)) {
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

/// Whether the names of the headers in `heads` are proved distinct: their hashes differ
/// (`false` when two are equal, which may be a collision: the search decides).
fn distinct(src: &str, heads: &Heads) -> bool {
    let mut hashes = [0u64; HEADS];
    let n = usize::from(heads.len);
    for (h, off) in hashes.iter_mut().zip(heads.offs.iter().take(n)) {
        *h = section_hash(header_name_at(src, *off as usize));
    }
    let hashes = hashes.get_mut(..n).unwrap_or(&mut []);
    hashes.sort_unstable();
    !hashes.windows(2).any(|w| w.first() == w.get(1))
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
    #[inline]
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

/// The number of `\n` in `b`, eight bytes at a time.
#[inline]
fn count_newlines(b: &[u8]) -> usize {
    const NL: u64 = ONES.wrapping_mul(0x0a);
    let mut chunks = b.chunks_exact(8);
    let mut n = 0u32;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        // Exact per byte (no borrow between bytes): the high bit of each byte of `v` that
        // is zero.
        let v = u64::from_le_bytes(w) ^ NL;
        let zero = !(((v & !HIGHS).wrapping_add(!HIGHS)) | v) & HIGHS;
        n = n.wrapping_add(zero.count_ones());
    }
    let tail = chunks.remainder().iter().filter(|c| **c == b'\n').count();
    (n as usize).wrapping_add(tail)
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
