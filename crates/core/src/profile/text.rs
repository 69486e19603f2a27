//! Names and values as views into the file.
//!
//! Most names and values are one contiguous slice of the input, and [`Text::as_str`] /
//! [`Value::as_str`] hand that slice out. The rest are still described without copying:
//!
//! - a multi-line value is its first line's text and its continuation lines, joined by `\n`
//!   (spec §3.2 step 5; the SDK joins the same way);
//! - a quoted profile name (`[profile "my profile"]`) is a shlex token whose quotes and
//!   backslashes are dropped while reading (spec §3.4);
//! - an option name is lowercased on the way out (Python's `str.lower()` for botocore, ASCII for
//!   the SDK).
//!
//! Each of them can be compared ([`Value::eq_str`]), measured ([`Value::len`]), walked as
//! borrowed fragments whose concatenation is the logical text ([`Value::fragments`]), or
//! written into a caller's buffer ([`Value::write_to`]).

use core::fmt;

use super::{botocore, sdk, shlex, unicode};
use crate::buf::{BufferTooSmall, Writer};

/// How a [`Text`] maps its raw slice to its logical text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextRepr<'a> {
    /// The slice itself.
    Plain(&'a str),
    /// A raw shlex token, decoded on the way out.
    Shlex(&'a str),
    /// An option name, lowercased like Python's `str.lower()`.
    LowerPy(&'a str),
    /// A property name, lowercased in ASCII.
    LowerAscii(&'a str),
}

/// A section or option name, borrowed from the file.
///
/// Usually one slice of the input ([`Text::as_str`]). A quoted profile name
/// (`[profile "my profile"]`) is decoded while reading, and an option name is lowercased while
/// reading (Python's `str.lower()` in botocore's dialect, ASCII in the SDK's), so those may not
/// be one slice: compare them with [`Text::eq_str`], walk them with [`Text::fragments`] (every
/// fragment lives as long as the input: lowercased letters come from a static table), or write
/// them into a buffer with [`Text::write_to`].
#[derive(Clone, Copy)]
pub struct Text<'a> {
    pub(crate) repr: TextRepr<'a>,
    pub(crate) line: u32,
}

impl<'a> Text<'a> {
    #[inline]
    pub(crate) fn new(repr: TextRepr<'a>, line: u32) -> Self {
        Text { repr, line }
    }

    /// The name, when it is one contiguous slice of the input (no quotes to drop, nothing to
    /// lowercase): the common case.
    pub fn as_str(&self) -> Option<&'a str> {
        match self.repr {
            TextRepr::Plain(s) => Some(s),
            TextRepr::Shlex(s) => {
                let mut it = shlex::Decoded::new(s);
                match (it.next(), it.next()) {
                    (None, _) => Some(""),
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            }
            TextRepr::LowerPy(s) => unicode::is_lower(s).then_some(s),
            TextRepr::LowerAscii(s) => (!s.bytes().any(|b| b.is_ascii_uppercase())).then_some(s),
        }
    }

    /// The name as borrowed fragments; their concatenation is the name. Lowercased letters
    /// come from a static table, so every fragment lives as long as the input.
    pub fn fragments(&self) -> TextFragments<'a> {
        TextFragments {
            inner: match self.repr {
                TextRepr::Plain(s) => FragInner::Plain(Some(s)),
                TextRepr::Shlex(s) => FragInner::Shlex(shlex::Decoded::new(s)),
                TextRepr::LowerPy(s) => FragInner::Lower {
                    src: s,
                    pos: 0,
                    pending: unicode::LowerChar::One(None),
                    ascii_only: false,
                },
                TextRepr::LowerAscii(s) => FragInner::Lower {
                    src: s,
                    pos: 0,
                    pending: unicode::LowerChar::One(None),
                    ascii_only: true,
                },
            },
        }
    }

    /// The name's characters.
    pub fn chars(&self) -> impl Iterator<Item = char> + 'a {
        self.fragments().flat_map(str::chars)
    }

    /// Writes the name into `buf` and returns it as a `&str` there.
    pub fn write_to<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        write_fragments(self.fragments(), buf)
    }

    /// The length of the name in bytes.
    #[inline]
    pub fn len(&self) -> usize {
        match self.repr {
            // ASCII lowercasing keeps the length, and Python's lowercasing of ASCII text too.
            TextRepr::Plain(s) | TextRepr::LowerAscii(s) => return s.len(),
            TextRepr::LowerPy(s) if s.is_ascii() => return s.len(),
            TextRepr::LowerPy(_) | TextRepr::Shlex(_) => {}
        }
        self.fragments()
            .map(str::len)
            .fold(0, usize::saturating_add)
    }

    /// Whether the name is empty.
    pub fn is_empty(&self) -> bool {
        self.fragments().all(str::is_empty)
    }

    /// Whether the name is exactly `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        if let TextRepr::Plain(p) = self.repr {
            return p == s;
        }
        eq_fragments(self.fragments(), s)
    }

    /// Whether two names are the same text.
    pub fn eq_text(&self, other: &Text<'_>) -> bool {
        match (self.as_str(), other.as_str()) {
            (Some(a), Some(b)) => a == b,
            _ => self.chars().eq(other.chars()),
        }
    }

    /// The 1-based line where the name appears.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Whether the name equals `s` ignoring case (lowercase on both sides, in the dialect's
    /// way): how option names are looked up.
    pub(crate) fn eq_key(&self, s: &str) -> bool {
        match self.repr {
            TextRepr::LowerPy(k) => unicode::eq_lower(k, s),
            TextRepr::LowerAscii(k) => k.eq_ignore_ascii_case(s),
            _ => self.eq_str(s),
        }
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fragments().try_for_each(|s| f.write_str(s))
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for frag in self.fragments() {
            for c in frag.chars().flat_map(char::escape_debug) {
                fmt::Write::write_char(f, c)?;
            }
        }
        f.write_str("\"")
    }
}

/// The fragments of a [`Text`].
#[derive(Debug, Clone)]
pub struct TextFragments<'a> {
    inner: FragInner<'a>,
}

#[derive(Debug, Clone)]
enum FragInner<'a> {
    Plain(Option<&'a str>),
    Shlex(shlex::Decoded<'a>),
    Lower {
        src: &'a str,
        pos: usize,
        pending: unicode::LowerChar,
        ascii_only: bool,
    },
}

/// Whether lowercasing leaves `c` alone (for the dialect's lowercasing).
fn keeps_case(src: &str, at: usize, c: char, ascii_only: bool) -> bool {
    if ascii_only || c.is_ascii() {
        return !c.is_ascii_uppercase();
    }
    let mut l = unicode::lower_char(src, at, c);
    l.next() == Some(c) && l.next().is_none()
}

impl<'a> Iterator for TextFragments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match &mut self.inner {
            FragInner::Plain(s) => s.take(),
            FragInner::Shlex(d) => d.next(),
            FragInner::Lower {
                src,
                pos,
                pending,
                ascii_only,
            } => {
                // First the rest of a character that lowercased to several.
                if let Some(c) = pending.next() {
                    return Some(unicode::lower_str(c).unwrap_or(""));
                }
                let rest = src.get(*pos..)?;
                if rest.is_empty() {
                    return None;
                }
                // A run of characters that stay as they are.
                let run: usize = rest
                    .char_indices()
                    .take_while(|(i, c)| keeps_case(src, pos.saturating_add(*i), *c, *ascii_only))
                    .map(|(_, c)| c.len_utf8())
                    .sum();
                if run > 0 {
                    let start = *pos;
                    *pos = pos.saturating_add(run);
                    return src.get(start..*pos);
                }
                // One character that changes.
                let c = rest.chars().next()?;
                let at = *pos;
                *pos = pos.saturating_add(c.len_utf8());
                *pending = if *ascii_only {
                    unicode::LowerChar::One(Some(c.to_ascii_lowercase()))
                } else {
                    unicode::lower_char(src, at, c)
                };
                let first = pending.next()?;
                Some(unicode::lower_str(first).unwrap_or(""))
            }
        }
    }
}

/// How a [`Value`] is laid out in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ValueRepr<'a> {
    /// One slice.
    Single(&'a str),
    /// botocore: the first line's value, then `elems` continuation elements from `cont`
    /// (`plain`: in a plain file).
    Botocore {
        src: &'a str,
        first: &'a str,
        cont: usize,
        elems: u32,
        plain: bool,
    },
    /// Sdk: the first line's value, then `elems` continuation lines from `cont`.
    Sdk {
        src: &'a str,
        first: &'a str,
        cont: usize,
        elems: u32,
    },
}

/// An option's value, borrowed from the file.
///
/// A value on one line is one slice of the input ([`Value::as_str`]). A value continued on
/// indented lines is its lines joined by `\n` (spec §3.2 step 5), which the input does not hold
/// in one piece: compare it with [`Value::eq_str`], walk it with [`Value::fragments`] (slices of
/// the input and `"\n"`), or write it into a buffer with [`Value::write_to`], which says how
/// many bytes it needs when the buffer is too small.
///
/// ```
/// use credchain_core::profile::{Dialect, FileKind, ProfileFile};
///
/// let file = ProfileFile::parse("[default]\nca_bundle = a\n  b\ns3 =\n  addressing_style = path\n", FileKind::Config, Dialect::Botocore)?;
/// let default = file.profile("default").unwrap();
/// let bundle = default.get("ca_bundle").unwrap();
/// assert_eq!(bundle.as_str(), None);
/// assert!(bundle.eq_str("a\nb"));
/// let mut buf = [0u8; 8];
/// assert_eq!(bundle.write_to(&mut buf), Ok("a\nb"));
/// assert_eq!(default.get("s3").unwrap().sub_property("addressing_style"), Some("path"));
/// # Ok::<(), credchain_core::profile::ParseError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Value<'a> {
    pub(crate) repr: ValueRepr<'a>,
    pub(crate) line: u32,
}

impl<'a> Value<'a> {
    #[inline]
    pub(crate) fn botocore(src: &'a str, opt: &botocore::Opt<'a>) -> Self {
        Self::botocore_in(src, opt, false)
    }

    /// [`Value::botocore`] in a plain file (its continuation lines are read the cheap way).
    #[inline]
    pub(crate) fn botocore_in(src: &'a str, opt: &botocore::Opt<'a>, plain: bool) -> Self {
        let repr = if opt.elems == 0 {
            ValueRepr::Single(opt.first)
        } else {
            ValueRepr::Botocore {
                src,
                first: opt.first,
                cont: opt.cont,
                elems: opt.elems,
                plain,
            }
        };
        Value {
            repr,
            line: opt.line,
        }
    }

    pub(crate) fn sdk(src: &'a str, opt: &sdk::Opt<'a>) -> Self {
        let repr = if opt.elems == 0 {
            ValueRepr::Single(opt.first)
        } else {
            ValueRepr::Sdk {
                src,
                first: opt.first,
                cont: opt.cont,
                elems: opt.elems,
            }
        };
        Value {
            repr,
            line: opt.line,
        }
    }

    /// The value, when it is one contiguous slice of the input: a value on a single line.
    #[inline]
    pub fn as_str(&self) -> Option<&'a str> {
        match self.repr {
            ValueRepr::Single(s) => Some(s),
            ValueRepr::Botocore { .. } | ValueRepr::Sdk { .. } => None,
        }
    }

    /// The value as borrowed fragments; their concatenation is the value (lines joined with
    /// `\n`).
    pub fn fragments(&self) -> ValueFragments<'a> {
        let (first, lines) = match self.repr {
            ValueRepr::Single(s) => (s, Lines::None),
            ValueRepr::Botocore {
                src,
                first,
                cont,
                elems,
                plain,
            } => (first, Lines::Botocore(elements(src, cont, elems, plain))),
            ValueRepr::Sdk {
                src,
                first,
                cont,
                elems,
            } => (first, Lines::Sdk(sdk::Elements::new(src, cont, elems))),
        };
        ValueFragments {
            first: Some(first),
            lines,
            pending: None,
        }
    }

    /// Writes the value into `buf` and returns it as a `&str` there.
    pub fn write_to<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        write_fragments(self.fragments(), buf)
    }

    /// The length of the value in bytes.
    pub fn len(&self) -> usize {
        self.fragments()
            .map(str::len)
            .fold(0, usize::saturating_add)
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.fragments().all(str::is_empty)
    }

    /// Whether the value is exactly `s`.
    pub fn eq_str(&self, s: &str) -> bool {
        if let Some(v) = self.as_str() {
            return v == s;
        }
        eq_fragments(self.fragments(), s)
    }

    /// The 1-based line of the option that holds the value.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// The nested `key = value` lines of a value whose first line is empty (spec §3.3:
    /// `s3 =` followed by indented `addressing_style = path`), or `None` for an ordinary value.
    ///
    /// botocore turns such a value into a dictionary: each line split on its first `=`, both
    /// sides stripped, keys kept as written, a later key replacing an earlier one. The SDK keeps
    /// the raw text (what [`Value::fragments`] gives) and splits the same way when asked.
    pub fn sub_properties(&self) -> Option<SubProperties<'a>> {
        match self.repr {
            ValueRepr::Single(_) => None,
            ValueRepr::Botocore {
                src,
                first,
                cont,
                elems,
                plain,
            } => first.is_empty().then(|| SubProperties {
                inner: SubInner::Botocore(elements(src, cont, elems, plain), None),
            }),
            ValueRepr::Sdk {
                src,
                first,
                cont,
                elems,
            } => first.is_empty().then(|| SubProperties {
                inner: SubInner::Sdk(sdk::Elements::new(src, cont, elems)),
            }),
        }
    }

    /// The value of one nested key (exact, case-sensitive match; the last one wins, as in the
    /// dictionary botocore builds).
    pub fn sub_property(&self, key: &str) -> Option<&'a str> {
        self.sub_properties()?
            .filter(|(k, _)| *k == key)
            .last()
            .map(|(_, v)| v)
    }
}

impl PartialEq<str> for Value<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for Value<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fragments().try_for_each(|s| f.write_str(s))
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for frag in self.fragments() {
            for c in frag.chars().flat_map(char::escape_debug) {
                fmt::Write::write_char(f, c)?;
            }
        }
        f.write_str("\"")
    }
}

/// The continuation elements of a botocore value.
fn elements(src: &str, cont: usize, elems: u32, plain: bool) -> botocore::Elements<'_> {
    if plain {
        botocore::Elements::plain(src, cont, elems)
    } else {
        botocore::Elements::new(src, cont, elems)
    }
}

#[derive(Debug, Clone)]
enum Lines<'a> {
    None,
    Botocore(botocore::Elements<'a>),
    Sdk(sdk::Elements<'a>),
}

/// The fragments of a [`Value`].
#[derive(Debug, Clone)]
pub struct ValueFragments<'a> {
    first: Option<&'a str>,
    lines: Lines<'a>,
    pending: Option<&'a str>,
}

impl<'a> Iterator for ValueFragments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            if let Some(first) = self.first.take() {
                if !first.is_empty() {
                    return Some(first);
                }
                continue;
            }
            if let Some(p) = self.pending.take() {
                if !p.is_empty() {
                    return Some(p);
                }
                continue;
            }
            let next = match &mut self.lines {
                Lines::None => None,
                Lines::Botocore(e) => e.next(),
                Lines::Sdk(e) => e.next(),
            }?;
            self.pending = Some(next);
            return Some("\n");
        }
    }
}

/// The `(key, value)` lines of a nested block, in file order (see [`Value::sub_properties`]).
#[derive(Debug, Clone)]
pub struct SubProperties<'a> {
    inner: SubInner<'a>,
}

/// The lines of one element, split where Python's `str.splitlines()` splits.
type ElementLines<'a> = core::str::Split<'a, fn(char) -> bool>;

#[derive(Debug, Clone)]
enum SubInner<'a> {
    /// The elements, and the rest of the element being split at Python line breaks.
    Botocore(botocore::Elements<'a>, Option<ElementLines<'a>>),
    Sdk(sdk::Elements<'a>),
}

impl<'a> Iterator for SubProperties<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        match &mut self.inner {
            SubInner::Botocore(elements, current) => loop {
                if let Some(piece) = current.as_mut().and_then(Iterator::next) {
                    let line = unicode::py_strip(piece);
                    if let Some((k, v)) = line.split_once('=') {
                        return Some((unicode::py_strip(k), unicode::py_strip(v)));
                    }
                    continue;
                }
                let element = elements.next()?;
                let breaks: fn(char) -> bool = unicode::is_py_line_break;
                *current = Some(element.split(breaks));
            },
            SubInner::Sdk(elements) => loop {
                let line = elements.next()?;
                if let Some((k, v)) = line.split_once('=') {
                    return Some((sdk::trim_ws(k), sdk::trim_ws(v)));
                }
            },
        }
    }
}

fn write_fragments<'b, 'a>(
    fragments: impl Iterator<Item = &'a str>,
    buf: &'b mut [u8],
) -> Result<&'b str, BufferTooSmall> {
    let mut w = Writer::new(buf);
    for f in fragments {
        w.push_str(f);
    }
    w.finish()
}

fn eq_fragments<'a>(fragments: impl Iterator<Item = &'a str>, s: &str) -> bool {
    let mut rest = s.as_bytes();
    for f in fragments {
        match rest.strip_prefix(f.as_bytes()) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}
