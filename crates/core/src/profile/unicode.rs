//! Python's notion of text, as far as reading a profile file needs it.
//!
//! botocore hands the file to Python's `configparser`, so three pieces of Python's string model
//! become part of the file format (spec §3.2, §3.3):
//!
//! - **white space** is whatever `str.isspace()` accepts: the ASCII space, tab and line breaks,
//!   the four ASCII information separators `\x1c`–`\x1f`, and the Unicode spaces (`\u{a0}`,
//!   `\u{2000}`–`\u{200a}`, `\u{3000}`, …). It is what `str.strip()` removes and what counts as
//!   indentation. Rust's [`char::is_whitespace`] lacks the four separators, so it is not used.
//! - **line boundaries** inside a nested block are those of `str.splitlines()`, which also splits
//!   on `\x0b`, `\x0c`, `\x1c`–`\x1e`, `\u{85}`, `\u{2028}` and `\u{2029}`.
//! - **option names are lowercased** with `str.lower()`: the full Unicode mapping, where one
//!   character may become several (`İ` → `i̇`) and a capital sigma at the end of a word becomes
//!   `ς`. The core cannot allocate a lowered copy, so names are compared and hashed through the
//!   [`lower`] iterator, and written out through a static table of every character a lowercase
//!   mapping can produce ([`lower_str`]).
//!
//! Python 3.11 implements Unicode 14; the Rust toolchain knows a newer version. The characters
//! that gained a lowercase mapping since then are listed in [`gained_case_after_unicode_14`] and
//! left unchanged, as Python leaves them. The final-sigma rule needs the `Cased` and
//! `Case_Ignorable` properties, which `core` does not expose; [`is_cased`] and
//! [`is_case_ignorable`] approximate them (exact for Latin, Greek, Cyrillic and the combining
//! marks; a difference needs a capital sigma beside an exotic modifier in an option *name*).

/// Python's `str.isspace()` for one character.
pub(crate) fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0b}'
            | '\u{0c}'
            | '\r'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Whether an ASCII byte is Python white space (for byte-level fast paths): `\t`, `\n`,
/// `\x0b`, `\x0c`, `\r`, `\x1c`–`\x1f` and the space, as one bit test.
#[inline]
pub(crate) fn is_ascii_py_space(b: u8) -> bool {
    const MASK: u64 = 0x1_f000_3e00;
    b <= b' ' && (MASK >> b) & 1 == 1
}

/// Python's `str.strip()` of a line, with its indentation (leading white space, in characters,
/// as [`py_indent`] counts it). Lines that begin and end in ASCII are handled byte by byte; only
/// a line with non-ASCII text at an end decodes characters there.
#[inline]
pub(crate) fn py_strip_indent(s: &str) -> (&str, usize) {
    let bytes = s.as_bytes();
    let mut start = 0usize;
    while bytes.get(start).is_some_and(|b| is_ascii_py_space(*b)) {
        start = start.saturating_add(1);
    }
    if bytes.get(start).is_some_and(|b| !b.is_ascii()) {
        // Unicode white space may follow: the general rules for both ends.
        return (py_strip(s), py_indent(s));
    }
    let mut end = bytes.len();
    while end > start
        && bytes
            .get(end.saturating_sub(1))
            .is_some_and(|b| is_ascii_py_space(*b))
    {
        end = end.saturating_sub(1);
    }
    let text = s.get(start..end).unwrap_or("");
    if bytes
        .get(end.saturating_sub(1))
        .is_some_and(|b| !b.is_ascii())
    {
        return (text.trim_end_matches(is_py_space), start);
    }
    (text, start)
}

/// Whether the byte ends `s` for sure without white space: an ASCII byte that is not white
/// space (most lines end so, and then no character needs decoding).
#[inline]
fn ends_plainly(b: Option<&u8>) -> bool {
    b.is_some_and(|b| b.is_ascii() && !is_ascii_py_space(*b))
}

/// Python's `str.strip()`.
#[inline]
pub(crate) fn py_strip(s: &str) -> &str {
    let bytes = s.as_bytes();
    if ends_plainly(bytes.first()) && ends_plainly(bytes.last()) {
        return s;
    }
    py_rstrip(py_lstrip(s))
}

/// Python's `str.rstrip()`.
#[inline]
pub(crate) fn py_rstrip(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut end = bytes.len();
    while bytes
        .get(end.wrapping_sub(1))
        .is_some_and(|b| is_ascii_py_space(*b))
    {
        end = end.saturating_sub(1);
    }
    let rest = s.get(..end).unwrap_or("");
    if bytes
        .get(end.wrapping_sub(1))
        .is_some_and(|b| !b.is_ascii())
    {
        return rest.trim_end_matches(is_py_space);
    }
    rest
}

/// Python's `str.lstrip()`.
#[inline]
pub(crate) fn py_lstrip(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut start = 0usize;
    while bytes.get(start).is_some_and(|b| is_ascii_py_space(*b)) {
        start = start.saturating_add(1);
    }
    let rest = s.get(start..).unwrap_or("");
    if bytes.get(start).is_some_and(|b| !b.is_ascii()) {
        return rest.trim_start_matches(is_py_space);
    }
    rest
}

/// The number of characters of leading white space: the indentation configparser compares
/// (`re.search(r"\S", line).start()`, counted in code points, a tab counting as one).
pub(crate) fn py_indent(s: &str) -> usize {
    s.chars().take_while(|c| is_py_space(*c)).count()
}

/// Whether `str.splitlines()` ends a line at `c` (`\r\n` counts once; it never reaches here,
/// because universal newlines already turned it into a line end).
pub(crate) fn is_py_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{0b}'
            | '\u{0c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Characters whose lowercase mapping appeared after Unicode 14 (Python 3.11's version):
/// Python leaves them as they are, and so does [`lower`].
pub(crate) fn gained_case_after_unicode_14(c: char) -> bool {
    matches!(
        c as u32,
        0x1c89
            | 0xa7cb
            | 0xa7cc
            | 0xa7ce
            | 0xa7d2
            | 0xa7d4
            | 0xa7da
            | 0xa7dc
            | 0x10d50..=0x10d65
            | 0x16ea0..=0x16eb8
    )
}

/// Approximates Unicode's `Cased` property: lowercase, uppercase or titlecase letters.
pub(crate) fn is_cased(c: char) -> bool {
    c.is_lowercase() || c.is_uppercase() || {
        // Titlecase letters (ǅ, ᾈ, …) change both ways.
        let mut up = c.to_uppercase();
        let mut low = c.to_lowercase();
        up.next() != Some(c) && low.next() != Some(c)
    }
}

/// Approximates Unicode's `Case_Ignorable` property: apostrophes, word-internal punctuation,
/// modifier letters and symbols, combining marks and format controls.
pub(crate) fn is_case_ignorable(c: char) -> bool {
    matches!(
        c,
        '\'' | '.'
            | ':'
            | '^'
            | '`'
            | '\u{a8}'
            | '\u{ad}'
            | '\u{af}'
            | '\u{b4}'
            | '\u{b7}'
            | '\u{b8}'
            | '\u{2b0}'..='\u{36f}'
            | '\u{374}'
            | '\u{375}'
            | '\u{37a}'
            | '\u{384}'
            | '\u{385}'
            | '\u{387}'
            | '\u{483}'..='\u{489}'
            | '\u{591}'..='\u{5bd}'
            | '\u{5f4}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{1fbd}'
            | '\u{1fbf}'..='\u{1fc1}'
            | '\u{1fcd}'..='\u{1fcf}'
            | '\u{1fdd}'..='\u{1fdf}'
            | '\u{1fed}'..='\u{1fef}'
            | '\u{1ffd}'
            | '\u{1ffe}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2018}'
            | '\u{2019}'
            | '\u{2024}'
            | '\u{2027}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{20d0}'..='\u{20f0}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{fe13}'
            | '\u{fe20}'..='\u{fe2f}'
            | '\u{fe52}'
            | '\u{fe55}'
            | '\u{feff}'
            | '\u{ff07}'
            | '\u{ff0e}'
            | '\u{ff1a}'
            | '\u{ff3e}'
            | '\u{ff40}'
    )
}

/// Whether the capital sigma at byte `at` of `s` is word-final (Python's `handle_capital_sigma`:
/// a cased letter before it, and none after it, skipping case-ignorable characters).
fn sigma_is_final(s: &str, at: usize) -> bool {
    let before = s.get(..at).unwrap_or("");
    let after = s.get(at.saturating_add('Σ'.len_utf8())..).unwrap_or("");
    let cased_before = before
        .chars()
        .rev()
        .find(|c| !is_case_ignorable(*c))
        .is_some_and(is_cased);
    let cased_after = after
        .chars()
        .find(|c| !is_case_ignorable(*c))
        .is_some_and(is_cased);
    cased_before && !cased_after
}

/// The lowercase of one character of `s` (at byte `at`), as Python's `str.lower()` maps it.
#[derive(Debug, Clone)]
pub(crate) enum LowerChar {
    /// The standard mapping.
    Std(core::char::ToLowercase),
    /// One character (the character itself, or a final sigma).
    One(Option<char>),
}

impl Iterator for LowerChar {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        match self {
            LowerChar::Std(it) => it.next(),
            LowerChar::One(c) => c.take(),
        }
    }
}

/// Lowercases the character `c` found at byte `at` of `s`.
pub(crate) fn lower_char(s: &str, at: usize, c: char) -> LowerChar {
    if c.is_ascii() || gained_case_after_unicode_14(c) {
        LowerChar::One(Some(c.to_ascii_lowercase()))
    } else if c == 'Σ' {
        LowerChar::One(Some(if sigma_is_final(s, at) { 'ς' } else { 'σ' }))
    } else {
        LowerChar::Std(c.to_lowercase())
    }
}

/// `s.lower()` as a stream of characters.
pub(crate) fn lower(s: &str) -> impl Iterator<Item = char> + Clone + '_ {
    s.char_indices()
        .flat_map(move |(at, c)| lower_char(s, at, c))
}

/// Whether Python's `s.lower()` is `s` itself.
pub(crate) fn is_lower(s: &str) -> bool {
    if s.is_ascii() {
        return !s.bytes().any(|b| b.is_ascii_uppercase());
    }
    s.char_indices().all(|(at, c)| {
        let mut l = lower_char(s, at, c);
        l.next() == Some(c) && l.next().is_none()
    })
}

/// Whether `a.lower() == b.lower()`.
pub(crate) fn eq_lower(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    lower(a).eq(lower(b))
}

/// Every character a lowercase mapping produces (sorted by code point, so the UTF-8 text is
/// sorted too), generated from the toolchain's tables minus [`gained_case_after_unicode_14`],
/// plus the final sigma. [`lower_str`] finds a character here to hand out a `&'static str`.
static LOWER_OUTPUTS: &str = "\
    \u{61}\u{62}\u{63}\u{64}\u{65}\u{66}\u{67}\u{68}\u{69}\u{6a}\u{6b}\u{6c}\
    \u{6d}\u{6e}\u{6f}\u{70}\u{71}\u{72}\u{73}\u{74}\u{75}\u{76}\u{77}\u{78}\
    \u{79}\u{7a}\u{df}\u{e0}\u{e1}\u{e2}\u{e3}\u{e4}\u{e5}\u{e6}\u{e7}\u{e8}\
    \u{e9}\u{ea}\u{eb}\u{ec}\u{ed}\u{ee}\u{ef}\u{f0}\u{f1}\u{f2}\u{f3}\u{f4}\
    \u{f5}\u{f6}\u{f8}\u{f9}\u{fa}\u{fb}\u{fc}\u{fd}\u{fe}\u{ff}\u{101}\u{103}\
    \u{105}\u{107}\u{109}\u{10b}\u{10d}\u{10f}\u{111}\u{113}\u{115}\u{117}\u{119}\u{11b}\
    \u{11d}\u{11f}\u{121}\u{123}\u{125}\u{127}\u{129}\u{12b}\u{12d}\u{12f}\u{133}\u{135}\
    \u{137}\u{13a}\u{13c}\u{13e}\u{140}\u{142}\u{144}\u{146}\u{148}\u{14b}\u{14d}\u{14f}\
    \u{151}\u{153}\u{155}\u{157}\u{159}\u{15b}\u{15d}\u{15f}\u{161}\u{163}\u{165}\u{167}\
    \u{169}\u{16b}\u{16d}\u{16f}\u{171}\u{173}\u{175}\u{177}\u{17a}\u{17c}\u{17e}\u{180}\
    \u{183}\u{185}\u{188}\u{18c}\u{192}\u{195}\u{199}\u{19a}\u{19e}\u{1a1}\u{1a3}\u{1a5}\
    \u{1a8}\u{1ad}\u{1b0}\u{1b4}\u{1b6}\u{1b9}\u{1bd}\u{1bf}\u{1c6}\u{1c9}\u{1cc}\u{1ce}\
    \u{1d0}\u{1d2}\u{1d4}\u{1d6}\u{1d8}\u{1da}\u{1dc}\u{1dd}\u{1df}\u{1e1}\u{1e3}\u{1e5}\
    \u{1e7}\u{1e9}\u{1eb}\u{1ed}\u{1ef}\u{1f3}\u{1f5}\u{1f9}\u{1fb}\u{1fd}\u{1ff}\u{201}\
    \u{203}\u{205}\u{207}\u{209}\u{20b}\u{20d}\u{20f}\u{211}\u{213}\u{215}\u{217}\u{219}\
    \u{21b}\u{21d}\u{21f}\u{223}\u{225}\u{227}\u{229}\u{22b}\u{22d}\u{22f}\u{231}\u{233}\
    \u{23c}\u{23f}\u{240}\u{242}\u{247}\u{249}\u{24b}\u{24d}\u{24f}\u{250}\u{251}\u{252}\
    \u{253}\u{254}\u{256}\u{257}\u{259}\u{25b}\u{25c}\u{260}\u{261}\u{263}\u{265}\u{266}\
    \u{268}\u{269}\u{26a}\u{26b}\u{26c}\u{26f}\u{271}\u{272}\u{275}\u{27d}\u{280}\u{282}\
    \u{283}\u{287}\u{288}\u{289}\u{28a}\u{28b}\u{28c}\u{292}\u{29d}\u{29e}\u{307}\u{371}\
    \u{373}\u{377}\u{37b}\u{37c}\u{37d}\u{3ac}\u{3ad}\u{3ae}\u{3af}\u{3b1}\u{3b2}\u{3b3}\
    \u{3b4}\u{3b5}\u{3b6}\u{3b7}\u{3b8}\u{3b9}\u{3ba}\u{3bb}\u{3bc}\u{3bd}\u{3be}\u{3bf}\
    \u{3c0}\u{3c1}\u{3c2}\u{3c3}\u{3c4}\u{3c5}\u{3c6}\u{3c7}\u{3c8}\u{3c9}\u{3ca}\u{3cb}\
    \u{3cc}\u{3cd}\u{3ce}\u{3d7}\u{3d9}\u{3db}\u{3dd}\u{3df}\u{3e1}\u{3e3}\u{3e5}\u{3e7}\
    \u{3e9}\u{3eb}\u{3ed}\u{3ef}\u{3f2}\u{3f3}\u{3f8}\u{3fb}\u{430}\u{431}\u{432}\u{433}\
    \u{434}\u{435}\u{436}\u{437}\u{438}\u{439}\u{43a}\u{43b}\u{43c}\u{43d}\u{43e}\u{43f}\
    \u{440}\u{441}\u{442}\u{443}\u{444}\u{445}\u{446}\u{447}\u{448}\u{449}\u{44a}\u{44b}\
    \u{44c}\u{44d}\u{44e}\u{44f}\u{450}\u{451}\u{452}\u{453}\u{454}\u{455}\u{456}\u{457}\
    \u{458}\u{459}\u{45a}\u{45b}\u{45c}\u{45d}\u{45e}\u{45f}\u{461}\u{463}\u{465}\u{467}\
    \u{469}\u{46b}\u{46d}\u{46f}\u{471}\u{473}\u{475}\u{477}\u{479}\u{47b}\u{47d}\u{47f}\
    \u{481}\u{48b}\u{48d}\u{48f}\u{491}\u{493}\u{495}\u{497}\u{499}\u{49b}\u{49d}\u{49f}\
    \u{4a1}\u{4a3}\u{4a5}\u{4a7}\u{4a9}\u{4ab}\u{4ad}\u{4af}\u{4b1}\u{4b3}\u{4b5}\u{4b7}\
    \u{4b9}\u{4bb}\u{4bd}\u{4bf}\u{4c2}\u{4c4}\u{4c6}\u{4c8}\u{4ca}\u{4cc}\u{4ce}\u{4cf}\
    \u{4d1}\u{4d3}\u{4d5}\u{4d7}\u{4d9}\u{4db}\u{4dd}\u{4df}\u{4e1}\u{4e3}\u{4e5}\u{4e7}\
    \u{4e9}\u{4eb}\u{4ed}\u{4ef}\u{4f1}\u{4f3}\u{4f5}\u{4f7}\u{4f9}\u{4fb}\u{4fd}\u{4ff}\
    \u{501}\u{503}\u{505}\u{507}\u{509}\u{50b}\u{50d}\u{50f}\u{511}\u{513}\u{515}\u{517}\
    \u{519}\u{51b}\u{51d}\u{51f}\u{521}\u{523}\u{525}\u{527}\u{529}\u{52b}\u{52d}\u{52f}\
    \u{561}\u{562}\u{563}\u{564}\u{565}\u{566}\u{567}\u{568}\u{569}\u{56a}\u{56b}\u{56c}\
    \u{56d}\u{56e}\u{56f}\u{570}\u{571}\u{572}\u{573}\u{574}\u{575}\u{576}\u{577}\u{578}\
    \u{579}\u{57a}\u{57b}\u{57c}\u{57d}\u{57e}\u{57f}\u{580}\u{581}\u{582}\u{583}\u{584}\
    \u{585}\u{586}\u{10d0}\u{10d1}\u{10d2}\u{10d3}\u{10d4}\u{10d5}\u{10d6}\u{10d7}\u{10d8}\u{10d9}\
    \u{10da}\u{10db}\u{10dc}\u{10dd}\u{10de}\u{10df}\u{10e0}\u{10e1}\u{10e2}\u{10e3}\u{10e4}\u{10e5}\
    \u{10e6}\u{10e7}\u{10e8}\u{10e9}\u{10ea}\u{10eb}\u{10ec}\u{10ed}\u{10ee}\u{10ef}\u{10f0}\u{10f1}\
    \u{10f2}\u{10f3}\u{10f4}\u{10f5}\u{10f6}\u{10f7}\u{10f8}\u{10f9}\u{10fa}\u{10fd}\u{10fe}\u{10ff}\
    \u{13f8}\u{13f9}\u{13fa}\u{13fb}\u{13fc}\u{13fd}\u{1d79}\u{1d7d}\u{1d8e}\u{1e01}\u{1e03}\u{1e05}\
    \u{1e07}\u{1e09}\u{1e0b}\u{1e0d}\u{1e0f}\u{1e11}\u{1e13}\u{1e15}\u{1e17}\u{1e19}\u{1e1b}\u{1e1d}\
    \u{1e1f}\u{1e21}\u{1e23}\u{1e25}\u{1e27}\u{1e29}\u{1e2b}\u{1e2d}\u{1e2f}\u{1e31}\u{1e33}\u{1e35}\
    \u{1e37}\u{1e39}\u{1e3b}\u{1e3d}\u{1e3f}\u{1e41}\u{1e43}\u{1e45}\u{1e47}\u{1e49}\u{1e4b}\u{1e4d}\
    \u{1e4f}\u{1e51}\u{1e53}\u{1e55}\u{1e57}\u{1e59}\u{1e5b}\u{1e5d}\u{1e5f}\u{1e61}\u{1e63}\u{1e65}\
    \u{1e67}\u{1e69}\u{1e6b}\u{1e6d}\u{1e6f}\u{1e71}\u{1e73}\u{1e75}\u{1e77}\u{1e79}\u{1e7b}\u{1e7d}\
    \u{1e7f}\u{1e81}\u{1e83}\u{1e85}\u{1e87}\u{1e89}\u{1e8b}\u{1e8d}\u{1e8f}\u{1e91}\u{1e93}\u{1e95}\
    \u{1ea1}\u{1ea3}\u{1ea5}\u{1ea7}\u{1ea9}\u{1eab}\u{1ead}\u{1eaf}\u{1eb1}\u{1eb3}\u{1eb5}\u{1eb7}\
    \u{1eb9}\u{1ebb}\u{1ebd}\u{1ebf}\u{1ec1}\u{1ec3}\u{1ec5}\u{1ec7}\u{1ec9}\u{1ecb}\u{1ecd}\u{1ecf}\
    \u{1ed1}\u{1ed3}\u{1ed5}\u{1ed7}\u{1ed9}\u{1edb}\u{1edd}\u{1edf}\u{1ee1}\u{1ee3}\u{1ee5}\u{1ee7}\
    \u{1ee9}\u{1eeb}\u{1eed}\u{1eef}\u{1ef1}\u{1ef3}\u{1ef5}\u{1ef7}\u{1ef9}\u{1efb}\u{1efd}\u{1eff}\
    \u{1f00}\u{1f01}\u{1f02}\u{1f03}\u{1f04}\u{1f05}\u{1f06}\u{1f07}\u{1f10}\u{1f11}\u{1f12}\u{1f13}\
    \u{1f14}\u{1f15}\u{1f20}\u{1f21}\u{1f22}\u{1f23}\u{1f24}\u{1f25}\u{1f26}\u{1f27}\u{1f30}\u{1f31}\
    \u{1f32}\u{1f33}\u{1f34}\u{1f35}\u{1f36}\u{1f37}\u{1f40}\u{1f41}\u{1f42}\u{1f43}\u{1f44}\u{1f45}\
    \u{1f51}\u{1f53}\u{1f55}\u{1f57}\u{1f60}\u{1f61}\u{1f62}\u{1f63}\u{1f64}\u{1f65}\u{1f66}\u{1f67}\
    \u{1f70}\u{1f71}\u{1f72}\u{1f73}\u{1f74}\u{1f75}\u{1f76}\u{1f77}\u{1f78}\u{1f79}\u{1f7a}\u{1f7b}\
    \u{1f7c}\u{1f7d}\u{1f80}\u{1f81}\u{1f82}\u{1f83}\u{1f84}\u{1f85}\u{1f86}\u{1f87}\u{1f90}\u{1f91}\
    \u{1f92}\u{1f93}\u{1f94}\u{1f95}\u{1f96}\u{1f97}\u{1fa0}\u{1fa1}\u{1fa2}\u{1fa3}\u{1fa4}\u{1fa5}\
    \u{1fa6}\u{1fa7}\u{1fb0}\u{1fb1}\u{1fb3}\u{1fc3}\u{1fd0}\u{1fd1}\u{1fe0}\u{1fe1}\u{1fe5}\u{1ff3}\
    \u{214e}\u{2170}\u{2171}\u{2172}\u{2173}\u{2174}\u{2175}\u{2176}\u{2177}\u{2178}\u{2179}\u{217a}\
    \u{217b}\u{217c}\u{217d}\u{217e}\u{217f}\u{2184}\u{24d0}\u{24d1}\u{24d2}\u{24d3}\u{24d4}\u{24d5}\
    \u{24d6}\u{24d7}\u{24d8}\u{24d9}\u{24da}\u{24db}\u{24dc}\u{24dd}\u{24de}\u{24df}\u{24e0}\u{24e1}\
    \u{24e2}\u{24e3}\u{24e4}\u{24e5}\u{24e6}\u{24e7}\u{24e8}\u{24e9}\u{2c30}\u{2c31}\u{2c32}\u{2c33}\
    \u{2c34}\u{2c35}\u{2c36}\u{2c37}\u{2c38}\u{2c39}\u{2c3a}\u{2c3b}\u{2c3c}\u{2c3d}\u{2c3e}\u{2c3f}\
    \u{2c40}\u{2c41}\u{2c42}\u{2c43}\u{2c44}\u{2c45}\u{2c46}\u{2c47}\u{2c48}\u{2c49}\u{2c4a}\u{2c4b}\
    \u{2c4c}\u{2c4d}\u{2c4e}\u{2c4f}\u{2c50}\u{2c51}\u{2c52}\u{2c53}\u{2c54}\u{2c55}\u{2c56}\u{2c57}\
    \u{2c58}\u{2c59}\u{2c5a}\u{2c5b}\u{2c5c}\u{2c5d}\u{2c5e}\u{2c5f}\u{2c61}\u{2c65}\u{2c66}\u{2c68}\
    \u{2c6a}\u{2c6c}\u{2c73}\u{2c76}\u{2c81}\u{2c83}\u{2c85}\u{2c87}\u{2c89}\u{2c8b}\u{2c8d}\u{2c8f}\
    \u{2c91}\u{2c93}\u{2c95}\u{2c97}\u{2c99}\u{2c9b}\u{2c9d}\u{2c9f}\u{2ca1}\u{2ca3}\u{2ca5}\u{2ca7}\
    \u{2ca9}\u{2cab}\u{2cad}\u{2caf}\u{2cb1}\u{2cb3}\u{2cb5}\u{2cb7}\u{2cb9}\u{2cbb}\u{2cbd}\u{2cbf}\
    \u{2cc1}\u{2cc3}\u{2cc5}\u{2cc7}\u{2cc9}\u{2ccb}\u{2ccd}\u{2ccf}\u{2cd1}\u{2cd3}\u{2cd5}\u{2cd7}\
    \u{2cd9}\u{2cdb}\u{2cdd}\u{2cdf}\u{2ce1}\u{2ce3}\u{2cec}\u{2cee}\u{2cf3}\u{2d00}\u{2d01}\u{2d02}\
    \u{2d03}\u{2d04}\u{2d05}\u{2d06}\u{2d07}\u{2d08}\u{2d09}\u{2d0a}\u{2d0b}\u{2d0c}\u{2d0d}\u{2d0e}\
    \u{2d0f}\u{2d10}\u{2d11}\u{2d12}\u{2d13}\u{2d14}\u{2d15}\u{2d16}\u{2d17}\u{2d18}\u{2d19}\u{2d1a}\
    \u{2d1b}\u{2d1c}\u{2d1d}\u{2d1e}\u{2d1f}\u{2d20}\u{2d21}\u{2d22}\u{2d23}\u{2d24}\u{2d25}\u{2d27}\
    \u{2d2d}\u{a641}\u{a643}\u{a645}\u{a647}\u{a649}\u{a64b}\u{a64d}\u{a64f}\u{a651}\u{a653}\u{a655}\
    \u{a657}\u{a659}\u{a65b}\u{a65d}\u{a65f}\u{a661}\u{a663}\u{a665}\u{a667}\u{a669}\u{a66b}\u{a66d}\
    \u{a681}\u{a683}\u{a685}\u{a687}\u{a689}\u{a68b}\u{a68d}\u{a68f}\u{a691}\u{a693}\u{a695}\u{a697}\
    \u{a699}\u{a69b}\u{a723}\u{a725}\u{a727}\u{a729}\u{a72b}\u{a72d}\u{a72f}\u{a733}\u{a735}\u{a737}\
    \u{a739}\u{a73b}\u{a73d}\u{a73f}\u{a741}\u{a743}\u{a745}\u{a747}\u{a749}\u{a74b}\u{a74d}\u{a74f}\
    \u{a751}\u{a753}\u{a755}\u{a757}\u{a759}\u{a75b}\u{a75d}\u{a75f}\u{a761}\u{a763}\u{a765}\u{a767}\
    \u{a769}\u{a76b}\u{a76d}\u{a76f}\u{a77a}\u{a77c}\u{a77f}\u{a781}\u{a783}\u{a785}\u{a787}\u{a78c}\
    \u{a791}\u{a793}\u{a794}\u{a797}\u{a799}\u{a79b}\u{a79d}\u{a79f}\u{a7a1}\u{a7a3}\u{a7a5}\u{a7a7}\
    \u{a7a9}\u{a7b5}\u{a7b7}\u{a7b9}\u{a7bb}\u{a7bd}\u{a7bf}\u{a7c1}\u{a7c3}\u{a7c8}\u{a7ca}\u{a7d1}\
    \u{a7d7}\u{a7d9}\u{a7f6}\u{ab53}\u{ab70}\u{ab71}\u{ab72}\u{ab73}\u{ab74}\u{ab75}\u{ab76}\u{ab77}\
    \u{ab78}\u{ab79}\u{ab7a}\u{ab7b}\u{ab7c}\u{ab7d}\u{ab7e}\u{ab7f}\u{ab80}\u{ab81}\u{ab82}\u{ab83}\
    \u{ab84}\u{ab85}\u{ab86}\u{ab87}\u{ab88}\u{ab89}\u{ab8a}\u{ab8b}\u{ab8c}\u{ab8d}\u{ab8e}\u{ab8f}\
    \u{ab90}\u{ab91}\u{ab92}\u{ab93}\u{ab94}\u{ab95}\u{ab96}\u{ab97}\u{ab98}\u{ab99}\u{ab9a}\u{ab9b}\
    \u{ab9c}\u{ab9d}\u{ab9e}\u{ab9f}\u{aba0}\u{aba1}\u{aba2}\u{aba3}\u{aba4}\u{aba5}\u{aba6}\u{aba7}\
    \u{aba8}\u{aba9}\u{abaa}\u{abab}\u{abac}\u{abad}\u{abae}\u{abaf}\u{abb0}\u{abb1}\u{abb2}\u{abb3}\
    \u{abb4}\u{abb5}\u{abb6}\u{abb7}\u{abb8}\u{abb9}\u{abba}\u{abbb}\u{abbc}\u{abbd}\u{abbe}\u{abbf}\
    \u{ff41}\u{ff42}\u{ff43}\u{ff44}\u{ff45}\u{ff46}\u{ff47}\u{ff48}\u{ff49}\u{ff4a}\u{ff4b}\u{ff4c}\
    \u{ff4d}\u{ff4e}\u{ff4f}\u{ff50}\u{ff51}\u{ff52}\u{ff53}\u{ff54}\u{ff55}\u{ff56}\u{ff57}\u{ff58}\
    \u{ff59}\u{ff5a}\u{10428}\u{10429}\u{1042a}\u{1042b}\u{1042c}\u{1042d}\u{1042e}\u{1042f}\u{10430}\u{10431}\
    \u{10432}\u{10433}\u{10434}\u{10435}\u{10436}\u{10437}\u{10438}\u{10439}\u{1043a}\u{1043b}\u{1043c}\u{1043d}\
    \u{1043e}\u{1043f}\u{10440}\u{10441}\u{10442}\u{10443}\u{10444}\u{10445}\u{10446}\u{10447}\u{10448}\u{10449}\
    \u{1044a}\u{1044b}\u{1044c}\u{1044d}\u{1044e}\u{1044f}\u{104d8}\u{104d9}\u{104da}\u{104db}\u{104dc}\u{104dd}\
    \u{104de}\u{104df}\u{104e0}\u{104e1}\u{104e2}\u{104e3}\u{104e4}\u{104e5}\u{104e6}\u{104e7}\u{104e8}\u{104e9}\
    \u{104ea}\u{104eb}\u{104ec}\u{104ed}\u{104ee}\u{104ef}\u{104f0}\u{104f1}\u{104f2}\u{104f3}\u{104f4}\u{104f5}\
    \u{104f6}\u{104f7}\u{104f8}\u{104f9}\u{104fa}\u{104fb}\u{10597}\u{10598}\u{10599}\u{1059a}\u{1059b}\u{1059c}\
    \u{1059d}\u{1059e}\u{1059f}\u{105a0}\u{105a1}\u{105a3}\u{105a4}\u{105a5}\u{105a6}\u{105a7}\u{105a8}\u{105a9}\
    \u{105aa}\u{105ab}\u{105ac}\u{105ad}\u{105ae}\u{105af}\u{105b0}\u{105b1}\u{105b3}\u{105b4}\u{105b5}\u{105b6}\
    \u{105b7}\u{105b8}\u{105b9}\u{105bb}\u{105bc}\u{10cc0}\u{10cc1}\u{10cc2}\u{10cc3}\u{10cc4}\u{10cc5}\u{10cc6}\
    \u{10cc7}\u{10cc8}\u{10cc9}\u{10cca}\u{10ccb}\u{10ccc}\u{10ccd}\u{10cce}\u{10ccf}\u{10cd0}\u{10cd1}\u{10cd2}\
    \u{10cd3}\u{10cd4}\u{10cd5}\u{10cd6}\u{10cd7}\u{10cd8}\u{10cd9}\u{10cda}\u{10cdb}\u{10cdc}\u{10cdd}\u{10cde}\
    \u{10cdf}\u{10ce0}\u{10ce1}\u{10ce2}\u{10ce3}\u{10ce4}\u{10ce5}\u{10ce6}\u{10ce7}\u{10ce8}\u{10ce9}\u{10cea}\
    \u{10ceb}\u{10cec}\u{10ced}\u{10cee}\u{10cef}\u{10cf0}\u{10cf1}\u{10cf2}\u{118c0}\u{118c1}\u{118c2}\u{118c3}\
    \u{118c4}\u{118c5}\u{118c6}\u{118c7}\u{118c8}\u{118c9}\u{118ca}\u{118cb}\u{118cc}\u{118cd}\u{118ce}\u{118cf}\
    \u{118d0}\u{118d1}\u{118d2}\u{118d3}\u{118d4}\u{118d5}\u{118d6}\u{118d7}\u{118d8}\u{118d9}\u{118da}\u{118db}\
    \u{118dc}\u{118dd}\u{118de}\u{118df}\u{16e60}\u{16e61}\u{16e62}\u{16e63}\u{16e64}\u{16e65}\u{16e66}\u{16e67}\
    \u{16e68}\u{16e69}\u{16e6a}\u{16e6b}\u{16e6c}\u{16e6d}\u{16e6e}\u{16e6f}\u{16e70}\u{16e71}\u{16e72}\u{16e73}\
    \u{16e74}\u{16e75}\u{16e76}\u{16e77}\u{16e78}\u{16e79}\u{16e7a}\u{16e7b}\u{16e7c}\u{16e7d}\u{16e7e}\u{16e7f}\
    \u{1e922}\u{1e923}\u{1e924}\u{1e925}\u{1e926}\u{1e927}\u{1e928}\u{1e929}\u{1e92a}\u{1e92b}\u{1e92c}\u{1e92d}\
    \u{1e92e}\u{1e92f}\u{1e930}\u{1e931}\u{1e932}\u{1e933}\u{1e934}\u{1e935}\u{1e936}\u{1e937}\u{1e938}\u{1e939}\
    \u{1e93a}\u{1e93b}\u{1e93c}\u{1e93d}\u{1e93e}\u{1e93f}\u{1e940}\u{1e941}\u{1e942}\u{1e943}";

/// A static one-character string holding `c`, when `c` is the output of a lowercase mapping.
pub(crate) fn lower_str(c: char) -> Option<&'static str> {
    let table = LOWER_OUTPUTS;
    // A binary search over the bytes of a UTF-8 string: each probe backs up to the start of
    // the character it lands in. `lo` and `hi` are always character boundaries.
    let (mut lo, mut hi) = (0usize, table.len());
    while lo < hi {
        let mut mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
        while mid > lo && !table.is_char_boundary(mid) {
            mid = mid.saturating_sub(1);
        }
        let here = table.get(mid..)?.chars().next()?;
        let end = mid.saturating_add(here.len_utf8());
        match here.cmp(&c) {
            core::cmp::Ordering::Equal => return table.get(mid..end),
            core::cmp::Ordering::Less => lo = end,
            core::cmp::Ordering::Greater => hi = mid,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_set() {
        // The 29 characters of Python 3.11's `str.isspace()`.
        let expected = [
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
            0x2029, 0x202f, 0x205f, 0x3000,
        ];
        let mut n = 0;
        for c in (0u32..0x110000).filter_map(char::from_u32) {
            if is_py_space(c) {
                assert_eq!(expected.get(n), Some(&(c as u32)));
                n += 1;
            }
        }
        assert_eq!(n, expected.len());
        assert_eq!(py_strip("\u{1c}\u{a0} a b\u{3000}\t"), "a b");
        assert_eq!(py_indent("\t \u{2003}x "), 3);
    }

    #[test]
    fn lowercase_matches_python_counts_and_table_is_complete() {
        // Python 3.11 (Unicode 14) changes exactly 1433 characters with `str.lower()`.
        let mut changed = 0;
        for c in (0u32..0x110000).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let s: &str = c.encode_utf8(&mut buf);
            if !is_lower(s) {
                changed += 1;
            }
            for out in lower(s) {
                if out != c {
                    assert!(
                        lower_str(out).is_some(),
                        "{:x} lowers to {:x}, not in the table",
                        c as u32,
                        out as u32
                    );
                }
            }
        }
        assert_eq!(changed, 1433);
        assert_eq!(lower_str('a'), Some("a"));
        assert_eq!(lower_str('ς'), Some("ς"));
        assert_eq!(lower_str('A'), None);
    }

    #[test]
    fn special_lowercase() {
        let mut out = [0u8; 64];
        let mut w = crate::buf::Writer::new(&mut out);
        for c in lower("İSTANBUL ΟΔΟΣ ΣΑ ΑΣ' K\u{a7cb}") {
            w.push_char(c);
        }
        assert_eq!(
            w.finish().unwrap(),
            "i\u{307}stanbul \u{3bf}\u{3b4}\u{3bf}\u{3c2} \u{3c3}\u{3b1} \u{3b1}\u{3c2}' k\u{a7cb}"
        );
        assert!(eq_lower("AWS_Access_Key_ID", "aws_access_key_id"));
        assert!(eq_lower("\u{212a}ey", "key"));
        assert!(!eq_lower("key", "keys"));
        assert!(is_lower("region"));
        assert!(!is_lower("Region"));
        assert!(!is_lower("ÄB"));
    }
}
