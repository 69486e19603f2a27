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
//! eight bytes at a time: an option line is scanned once, for its delimiter (`=` or `:`) and
//! then, from the same word on, for its end. A line spelt `key = value` (one space on each
//! side of the delimiter, none at the end, as `aws configure` writes it) is split by testing
//! the few bytes around the delimiter and before the line end; any other spacing by the strip
//! loops. The pass records whether every option line is spelt so ([`Summary::spaced`]), and
//! where the first [`HEADS`] headers are, on which lines they end, their category and where
//! their names start ([`Heads`]), so that walking the sections later jumps from header to
//! header without searching, counting lines or classifying names.
//!
//! [`PlainOptions`] then walks a section of a plain file: it looks at each line's first byte to
//! tell options, continuations, comments and the next header apart, with no lexer state, and
//! numbers lines as it goes; in a file whose option lines are all `key = value` it takes key
//! and value from the delimiter and the line end alone.

use super::botocore::{
    FileItems, Opt, Order, SMALL_SECTION, Summary, classify_plain, find_byte, has_bad_nested_line,
    key_hash_unicode, prefix_of_bytes, section_hash, shared_names,
};
use super::dedup::{self, Flow, Scratch};
use super::unicode::is_ascii_py_space;
use super::{Category, FileKind, HEADS, HeadEntry, Heads, Notable, Spans};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;
/// Setting the three low bits of a byte maps `\n` and `\r` to 0x0f and `:` and `=` to 0x3f
/// (see [`split_checked`]).
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

const NL: u64 = ONES.wrapping_mul(0x0a);

/// The eight bytes at `at` as a little-endian word; near the end of the text, the bytes left
/// padded with zero bytes (which match none of the bytes searched for: `=`, `:`, `\n`, `\r`).
#[inline(always)]
fn load(bytes: &[u8], at: usize) -> u64 {
    match bytes.get(at..).and_then(|r| r.first_chunk::<8>()) {
        Some(chunk) => u64::from_le_bytes(*chunk),
        None => load_tail(bytes, at),
    }
}

#[cold]
#[inline(never)]
fn load_tail(bytes: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    let rest = bytes.get(at..).unwrap_or(&[]);
    w.iter_mut().zip(rest).for_each(|(d, s)| *d = *s);
    u64::from_le_bytes(w)
}

/// The offset of byte `k` of the word at `at`, from a mark (a byte's high bit).
#[inline(always)]
fn at_mark(at: usize, marks: u64) -> usize {
    at.wrapping_add((marks.trailing_zeros() / 8) as usize)
}

/// The option line at `off` of a file known to be plain (its first byte is an option name's):
/// its first `=` or `:`, and its `\n` (or the text's length). One scan of words: the line end
/// is looked for from the delimiter on, in the same word first.
#[inline(always)]
fn split_known(bytes: &[u8], off: usize) -> (usize, usize) {
    let len = bytes.len();
    let mut at = off;
    while at < len {
        let w = load(bytes, at);
        // `=`, `:` and a few other bytes (see `split_checked`); the line has no `\n` before
        // its delimiter.
        let m = zero_bytes((w | SEVENS) ^ DELIM_CLASS);
        if m == 0 {
            at = at.wrapping_add(8);
            continue;
        }
        let d = at_mark(at, m);
        if !matches!(bytes.get(d), Some(b'=' | b':')) {
            at = d.wrapping_add(1);
            continue;
        }
        // Marks above the delimiter's: the lowest is exact (no `\n` lies before it).
        let n = zero_bytes(w ^ NL) & !(m ^ m.wrapping_sub(1));
        if n != 0 {
            return (d, at_mark(at, n));
        }
        return (d, line_end_from(bytes, at.wrapping_add(8)));
    }
    // Not reached in a plain file (every option line has a delimiter).
    (len, len)
}

/// The first `\n` at or after `at` (or the text's length), a word at a time.
#[inline(always)]
fn line_end_from(bytes: &[u8], mut at: usize) -> usize {
    let len = bytes.len();
    while at < len {
        let n = zero_bytes(load(bytes, at) ^ NL);
        if n != 0 {
            return at_mark(at, n);
        }
        at = at.wrapping_add(8);
    }
    len
}

/// The option line at `off` (its first byte is not white space, `[`, `#` or `;`) of a file
/// being validated: its first `=` or `:` and its end (`\n` or the text's length), or `None`
/// when the line has no delimiter or a `\r` ends it (the file is then not plain).
///
/// One comparison per word finds both bytes of a pair: setting a byte's three low bits maps
/// `:` (0x3a) and `=` (0x3d) to 0x3f, and `\n` (0x0a) and `\r` (0x0d) to 0x0f. A few other
/// bytes map there too (`8`, `9`, `;`, `<`, `>`, `?`, and tab and the other controls from
/// 0x08 to 0x0f): the lowest mark is checked, and the scan goes on after it when it is one
/// of those.
#[inline(always)]
fn split_checked(bytes: &[u8], off: usize) -> Option<(usize, usize)> {
    let len = bytes.len();
    let mut at = off;
    let d = loop {
        if at >= len {
            return None;
        }
        let v = load(bytes, at) | SEVENS;
        let marks = zero_bytes(v ^ DELIM_CLASS) | zero_bytes(v ^ EOL_CLASS);
        if marks == 0 {
            at = at.wrapping_add(8);
            continue;
        }
        let i = at_mark(at, marks);
        match bytes.get(i) {
            Some(b'=' | b':') => break i,
            Some(b'\n' | b'\r') | None => return None,
            Some(_) => at = i.wrapping_add(1),
        }
    };
    at = d.wrapping_add(1);
    while at < len {
        let marks = zero_bytes((load(bytes, at) | SEVENS) ^ EOL_CLASS);
        if marks == 0 {
            at = at.wrapping_add(8);
            continue;
        }
        let i = at_mark(at, marks);
        match bytes.get(i) {
            Some(b'\n') => return Some((d, i)),
            Some(b'\r') | None => return None,
            Some(_) => at = i.wrapping_add(1),
        }
    }
    Some((d, len))
}

/// The offset of the `\n` ending the line that starts at `pos` in a file without `\r`, or the
/// text's length.
#[inline(always)]
fn line_end(bytes: &[u8], pos: usize) -> usize {
    line_end_from(bytes, pos)
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

/// Whether the byte at `i` is ASCII white space (`false` outside the text).
#[inline(always)]
fn space_at(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(|c| is_ascii_py_space(*c))
}

/// The end of `b[..z]` with ASCII white space stripped, not below `from`. Most ends have no
/// white space or one space before a delimiter: one or two byte tests.
#[inline(always)]
fn rstrip(b: &[u8], from: usize, mut z: usize) -> usize {
    if z <= from || !space_at(b, z.wrapping_sub(1)) {
        return z;
    }
    z = z.wrapping_sub(1);
    while z > from && space_at(b, z.wrapping_sub(1)) {
        z = z.wrapping_sub(1);
    }
    z
}

/// The start of `b[a..z]` with ASCII white space stripped (most values follow one space).
#[inline(always)]
fn lstrip(b: &[u8], mut a: usize, z: usize) -> usize {
    if a < z && b.get(a) == Some(&b' ') {
        a = a.wrapping_add(1);
        if a < z && !space_at(b, a) {
            return a;
        }
    }
    while a < z && space_at(b, a) {
        a = a.wrapping_add(1);
    }
    a
}

/// [`lstrip`] for an indented line at validation: a run of spaces (nested lines are indented
/// by a few) is skipped a word at a time first.
#[inline(always)]
fn lstrip_indent(b: &[u8], mut a: usize, z: usize) -> usize {
    const SPACES: u64 = ONES.wrapping_mul(0x20);
    while let Some(w) = word_at(b, a) {
        // The first byte that is not a space: the lowest non-zero byte of the word XOR spaces.
        let x = w ^ SPACES;
        if x != 0 {
            a = a.wrapping_add((x.trailing_zeros() / 8) as usize).min(z);
            break;
        }
        a = a.wrapping_add(8);
    }
    lstrip(b, a.min(z), z)
}

/// The continuation line at `pos` of a plain file, stripped: its text's start and end, and
/// the start of the next line (`None` at the end of the text).
#[inline]
pub(crate) fn element_at(bytes: &[u8], pos: usize) -> Option<(usize, usize, usize)> {
    if pos >= bytes.len() {
        return None;
    }
    let eol = line_end(bytes, pos);
    let a = lstrip(bytes, pos, eol);
    let z = rstrip(bytes, a, eol);
    Some((a, z, eol.wrapping_add(1)))
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
    /// The line is spelt `key = value`: the key ends one byte before the delimiter, the
    /// value starts two bytes after it (or the line ends right after it), and the value ends
    /// the line (see [`spaced_line`]).
    spaced: bool,
}

/// Splits the option line at `off` (its first byte is not white space, `[`, `#` or `;`), or
/// `None` when the line is not a plain option line: no delimiter, an empty name, a `\r`, or a
/// non-ASCII byte where configparser would strip. `known` says the file was validated as
/// plain (the line has a delimiter, and there is no `\r`), which saves looking for them.
#[inline(always)]
fn option_line(bytes: &[u8], off: usize, known: bool) -> Option<OptionLine> {
    let (d, eol) = if known {
        split_known(bytes, off)
    } else {
        let (d, eol) = split_checked(bytes, off)?;
        // An empty key: the line starts with its delimiter.
        if d == off {
            return None;
        }
        (d, eol)
    };
    // `key = value`, `key =` and `key = ` need no strip loops: a few byte tests say so.
    let at = |i: usize| bytes.get(i).copied().unwrap_or(b'\n');
    let space = |c: u8| is_ascii_py_space(c);
    let spaced = at(d.wrapping_sub(1)) == b' '
        && !space(at(d.wrapping_sub(2)))
        && (eol == d.wrapping_add(1)
            || (at(d.wrapping_add(1)) == b' '
                && (eol == d.wrapping_add(2)
                    || (!space(at(d.wrapping_add(2))) && !space(at(eol.wrapping_sub(1)))))));
    let (key_end, v0, v1) = if spaced {
        spaced_line(d, eol)
    } else {
        // The first byte is not white space, so the key stays non-empty.
        let key_end = rstrip(bytes, off, d);
        let v0 = lstrip(bytes, d.wrapping_add(1), eol);
        (key_end, v0, rstrip(bytes, v0, eol))
    };
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
        spaced,
    })
}

/// Where the key ends and the value starts and ends on an option line spelt `key = value`,
/// from the delimiter and the line's end alone: what the strips find on such a line.
#[inline(always)]
fn spaced_line(d: usize, eol: usize) -> (usize, usize, usize) {
    let value_at = d.wrapping_add(2).min(eol);
    (d.wrapping_sub(1), value_at, eol)
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
    // Per word: any byte below 0x20, any byte from 0x7f up, any `=` (the last few bytes are
    // padded with `a`, which is none of these).
    let check = |w: u64| {
        let low = w.wrapping_sub(ONES.wrapping_mul(0x20)) & !w & HIGHS;
        let high = (w | w.wrapping_add(ONES)) & HIGHS;
        (
            low | high == 0,
            zero_bytes(w ^ ONES.wrapping_mul(0x3d)) != 0,
        )
    };
    let mut chunks = element.chunks_exact(8);
    let mut eq = false;
    for chunk in &mut chunks {
        let Some(w) = chunk.first_chunk::<8>() else {
            return false;
        };
        let (printable, has_eq) = check(u64::from_le_bytes(*w));
        if !printable {
            return false;
        }
        eq |= has_eq;
    }
    // The last bytes: the element's last eight (some already checked, which changes
    // nothing), or the short element padded.
    let (printable, has_eq) = match (chunks.remainder().len(), element.last_chunk::<8>()) {
        (0, _) => (true, false),
        (_, Some(last)) => check(u64::from_le_bytes(*last)),
        (n, None) => check(dedup::tail_word(element, n, b'a')),
    };
    printable && (eq || has_eq)
}

/// The header line at `off` of a config file when it is spelt `[prefix NAME]` — a category
/// prefix, one space, a non-empty NAME with no byte shlex treats specially (white space and
/// other controls, quotes, backslashes), and `]` as the last byte before a `\n` or the end of
/// the text: its category, where NAME starts and the line's end. One scan of words from NAME
/// on finds the line's end and shlex's bytes together (the `\n` is one of them, so the first
/// special byte must be the line's end). `None` for any other line, which the general header
/// path then reads ([`classify_plain`] decides the same for these lines: the prefix, the one
/// space, no special byte in NAME).
#[inline(always)]
fn usual_config_header(bytes: &[u8], off: usize) -> Option<(Category, usize, usize)> {
    const QUOTE: u64 = ONES.wrapping_mul(b'\'' as u64);
    const DQUOTE: u64 = ONES.wrapping_mul(b'"' as u64);
    const BACKSLASH: u64 = ONES.wrapping_mul(b'\\' as u64);
    const BELOW_0X21: u64 = ONES.wrapping_mul(0x21);
    let rest = bytes.get(off.wrapping_add(1)..)?;
    // The prefix's bytes are all in the text, so its comparison sees no `\n` or `]`.
    let (category, prefix) = prefix_of_bytes(rest)?;
    let space = off.wrapping_add(1).wrapping_add(prefix.len());
    if bytes.get(space) != Some(&b' ') {
        return None;
    }
    let token_at = space.wrapping_add(1);
    let len = bytes.len();
    let mut at = token_at;
    let end = loop {
        if at >= len {
            break len;
        }
        let w = load(bytes, at);
        // The lowest mark of each test is exact, so the lowest of all is.
        let marks = (w.wrapping_sub(BELOW_0X21) & !w & HIGHS)
            | zero_bytes(w ^ QUOTE)
            | zero_bytes(w ^ DQUOTE)
            | zero_bytes(w ^ BACKSLASH);
        if marks != 0 {
            // Past the text's end, the padding's zero bytes are marked: the text ends there.
            break at_mark(at, marks).min(len);
        }
        at = at.wrapping_add(8);
    };
    // The line ends here, with `]`, after a non-empty NAME.
    if !(end == len || bytes.get(end) == Some(&b'\n'))
        || end < token_at.wrapping_add(2)
        || bytes.get(end.wrapping_sub(1)) != Some(&b']')
    {
        return None;
    }
    Some((category, token_at, end))
}

/// What [`validate`] keeps about the headers it has read.
struct HeaderLines<'s> {
    order: Order<'s>,
    spans: Spans,
    unusual: Notable,
    named_sections: usize,
    /// Whether headers still go into the table (until it is full).
    recording: bool,
}

impl<'s> HeaderLines<'s> {
    /// Reads the header line at `off` (numbered `number`): its `\n` (or the text's end), or
    /// `None` when the line is not a plain header. Kept out of [`validate`]'s loop, whose
    /// option lines are far more common.
    #[inline(never)]
    fn line(
        &mut self,
        src: &'s str,
        off: usize,
        number: u32,
        file: FileKind,
        heads: &mut Heads,
    ) -> Option<usize> {
        let bytes = src.as_bytes();
        if file == FileKind::Config
            && let Some((category, token_at, eol)) = usual_config_header(bytes, off)
        {
            // `[prefix NAME]`: the name and its token are known from the one scan.
            let name = src.get(off.wrapping_add(1)..eol.wrapping_sub(1))?;
            self.named_sections = self.named_sections.wrapping_add(1);
            self.order.next(name);
            self.spans.note(category, off, number);
            if category == Category::Profile
                && bytes.get(token_at..eol.wrapping_sub(1)) == Some(b"default".as_slice())
            {
                self.unusual.push(off);
            }
            if self.recording {
                let skip = token_at.wrapping_sub(off).wrapping_sub(1);
                self.recording = heads.push(HeadEntry {
                    off,
                    line: number,
                    end: eol,
                    named: Some((category, u8::try_from(skip).unwrap_or(u8::MAX))),
                });
            }
            return Some(eol);
        }
        let eol = find_eol(bytes, off).unwrap_or(bytes.len());
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
        self.named_sections = self.named_sections.wrapping_add(1);
        self.order.next(name);
        let named = match file {
            FileKind::Config => {
                // A name shlex must split is left to the general reader.
                match classify_plain(name)? {
                    Some((category, token, usual)) => {
                        self.spans.note(category, off, number);
                        if !usual {
                            self.unusual.push(off);
                        }
                        // The name is the end of the header's text.
                        let skip = name.len().wrapping_sub(token.len());
                        Some((category, u8::try_from(skip).unwrap_or(u8::MAX)))
                    }
                    None => None,
                }
            }
            FileKind::Credentials => {
                self.spans.note(Category::Profile, off, number);
                Some((Category::Profile, 0))
            }
        };
        if self.recording {
            self.recording = heads.push(HeadEntry {
                off,
                line: number,
                end: eol,
                named,
            });
        }
        Some(eol)
    }
}

/// Reads the indented line at `off` (blank, a comment, or the continuation of the open
/// option): its `\n` (or the text's end), or `None` when the file is not plain there.
#[inline(never)]
fn indented_line(src: &str, off: usize, opt_open: bool, first_empty: bool) -> Option<usize> {
    let bytes = src.as_bytes();
    let eol = match find_eol(bytes, off) {
        Some(i) if bytes.get(i) == Some(&b'\r') => return None,
        Some(i) => i,
        None => bytes.len(),
    };
    let a = lstrip_indent(bytes, off, eol);
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
    Some(eol)
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
    let mut spaced = true;
    let mut keys = 0usize;
    let mut small = [0u64; SMALL_SECTION];
    let mut headers = HeaderLines {
        order: Order::default(),
        spans: Spans::default(),
        unusual: Notable::default(),
        named_sections: 0,
        recording: true,
    };
    while let Some(&first) = bytes.get(pos) {
        let off = pos;
        number = number.wrapping_add(1);
        if first == b'\n' {
            pos = off.wrapping_add(1);
            continue;
        }
        if first == b'[' {
            let eol = headers.line(src, off, number, file, heads)?;
            in_section = true;
            opt_open = false;
            keys = 0;
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
            pos = indented_line(src, off, opt_open, first_empty)?.wrapping_add(1);
            continue;
        }
        // An option line.
        if !in_section {
            return None;
        }
        let o = option_line(bytes, off, false)?;
        spaced &= o.spaced;
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
    let HeaderLines {
        order,
        spans,
        unusual,
        named_sections,
        ..
    } = headers;
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
        spaced,
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
    /// Every option line is spelt `key = value` (see [`spaced_line`]).
    spaced: bool,
}

impl<'a> PlainOptions<'a> {
    /// The options of the section whose header line is at `header`, numbered `line`.
    #[inline]
    pub(crate) fn new(src: &'a str, header: usize, line: u32) -> Self {
        PlainOptions {
            src,
            pos: line_end(src.as_bytes(), header).saturating_add(1),
            line: line.saturating_add(1),
            spaced: false,
        }
    }

    /// The text.
    #[inline]
    pub(crate) fn src(&self) -> &'a str {
        self.src
    }

    /// The options of a section whose body (the line after its header, numbered `line`)
    /// starts at `body`.
    #[inline]
    pub(crate) fn at(src: &'a str, body: usize, line: u32) -> Self {
        PlainOptions {
            src,
            pos: body,
            line,
            spaced: false,
        }
    }

    /// Whether the file's option lines are all spelt `key = value` (the parse knows).
    #[inline]
    pub(crate) fn spaced(self, spaced: bool) -> Self {
        PlainOptions { spaced, ..self }
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
                    let o = if self.spaced {
                        let (d, eol) = split_known(bytes, off);
                        let (key_end, v0, v1) = spaced_line(d, eol);
                        OptionLine {
                            key_end,
                            value: (v0, v1),
                            eol,
                            spaced: true,
                        }
                    } else {
                        let Some(o) = option_line(bytes, off, true) else {
                            // Not reached in a plain file.
                            self.pos = len;
                            return None;
                        };
                        o
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
