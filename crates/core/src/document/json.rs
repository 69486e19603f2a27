//! JSON as the credential documents are written in: one object read member by member, strings
//! borrowed with their escapes, and errors that say where.
//!
//! The documents are read the way Python's `json.loads` (botocore's reader) reads them, with a
//! few deliberate differences, each listed here:
//!
//! - The grammar is RFC 8259: whitespace is space, tab, CR and LF; numbers have no leading zeros,
//!   no leading `+`, no bare `.`; strings may not hold raw control characters (U+0000–U+001F);
//!   the escapes are `\" \\ \/ \b \f \n \r \t \uXXXX`. Python's extra number literals `NaN`,
//!   `Infinity` and `-Infinity` are accepted, as `json.loads` accepts them.
//! - A `\uXXXX` escape of a lone UTF-16 surrogate (`"\ud800"`) is an error. Python accepts it
//!   into a string that it could never send in an HTTP header; credchain's strings are UTF-8, so
//!   it refuses the document when reading it, not later.
//! - Objects and arrays nest at most [`MAX_DEPTH`] deep. The reader does not recurse, so depth
//!   costs nothing; the limit only bounds what no credential document needs. Python stops at its
//!   recursion limit (about 1000).
//! - Keys are compared as written. A key spelled with escapes that would mean a key the document
//!   reads (`"Access\u004beyId"`) is an error rather than a silent miss, because botocore would
//!   read it. A key the document reads that appears twice is an error: Python keeps the last
//!   value, other readers the first, and credentials must not depend on which.
//!
//! ## Reading quickly
//!
//! A credential document is mostly strings — an IMDS document is about 1.4 KB, of which the
//! session token is 1.1 KB — so the time goes into finding where strings end. The reader looks
//! at eight bytes at a time for the three things that can end a run of plain text (`"`, `\`,
//! a control character) with word arithmetic, and at 128 bytes at a time in long strings; a
//! string without escapes is then known to be one, and its [`JsonStr`] carries that, so that
//! [`JsonStr::as_str`] and [`JsonStr::decode_into`] need no second look.
//! The text is a `str`, so it is not checked for UTF-8 again. The layout IMDS writes
//! (`"Key" : "value",` on lines of their own) is recognised first, and the documents tell the
//! reader which key they expect next (IMDS writes its keys always in the same order), so that
//! a key is usually recognised by one comparison. None of this changes what is accepted: any
//! other layout or order is read the general way, with the same checks and the same errors.
//!
//! serde-json-core is not used to read the documents, because it cannot give what they need: it
//! has no `deserialize_any`, so a `Version` that may be `1`, `1.0`, `true` or `"1"` cannot be told
//! apart; its errors carry no position; and it skips the values of unknown keys without checking
//! them (`{"a": tru}` passes). [`JsonStr`] still implements `serde::Deserialize` (through
//! [`serde_json_core::str::EscapedStr`]), so structures derived for serde-json-core can hold
//! one.

use core::fmt;

use serde_json_core::str::EscapedStr;

use crate::buf::{BufferTooSmall, Writer};

/// How deep objects and arrays may nest, the top-level object included.
pub const MAX_DEPTH: usize = 128;

/// A place in a text: byte offset, and the line and column a person would look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Position {
    /// Bytes before the place.
    pub offset: usize,
    /// Line number, from 1.
    pub line: u32,
    /// Column, from 1, counted in characters.
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` of `text` (the end of the text when `offset` is past it).
    pub fn locate(text: &str, offset: usize) -> Position {
        let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
        let mut line = 1u32;
        let mut column = 1u32;
        for &b in before {
            if b == b'\n' {
                line = line.saturating_add(1);
                column = 1;
            } else if b & 0xC0 != 0x80 {
                // Count characters: every byte but UTF-8 continuation bytes starts one.
                column = column.saturating_add(1);
            }
        }
        Position {
            offset: before.len(),
            line,
            column,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )
    }
}

/// The kind of a JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueKind {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A number (including Python's `NaN`, `Infinity`, `-Infinity`).
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueKind::Null => "null",
            ValueKind::Bool => "a boolean",
            ValueKind::Number => "a number",
            ValueKind::String => "a string",
            ValueKind::Array => "an array",
            ValueKind::Object => "an object",
        })
    }
}

/// What the JSON reader expected where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonExpected {
    /// A value: object, array, string, number, `true`, `false` or `null`.
    Value,
    /// A key: a string in double quotes.
    Key,
    /// `:` after a key.
    Colon,
    /// `,` or `}` after a member of an object.
    CommaOrObjectEnd,
    /// `,` or `]` after an element of an array.
    CommaOrArrayEnd,
    /// A digit in a number.
    Digit,
    /// A hexadecimal digit in a `\u` escape.
    HexDigit,
    /// Nothing but whitespace after the document.
    End,
}

impl fmt::Display for JsonExpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JsonExpected::Value => "a JSON value",
            JsonExpected::Key => "a key in double quotes",
            JsonExpected::Colon => "':'",
            JsonExpected::CommaOrObjectEnd => "',' or '}'",
            JsonExpected::CommaOrArrayEnd => "',' or ']'",
            JsonExpected::Digit => "a digit",
            JsonExpected::HexDigit => "a hexadecimal digit",
            JsonExpected::End => "the end of the document",
        })
    }
}

/// What is wrong with a JSON text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JsonErrorKind {
    /// Something else was expected here.
    Expected(JsonExpected),
    /// A string is not closed; the position is its opening quote.
    UnterminatedString,
    /// A raw control character (U+0000–U+001F) inside a string; JSON requires it escaped.
    ControlCharacter,
    /// A backslash followed by something that is not an escape.
    InvalidEscape,
    /// A `"` that is not escaped, in text given to [`JsonStr::new`] as a string's content.
    UnescapedQuote,
    /// A `\uXXXX` escape of a UTF-16 surrogate without its other half.
    LoneSurrogate,
    /// Objects and arrays nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The text is valid JSON, but not an object; the credential documents are objects.
    NotAnObject(ValueKind),
}

/// A JSON text that could not be read, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JsonError {
    /// Where the problem is.
    pub position: Position,
    /// What the problem is.
    pub kind: JsonErrorKind,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            JsonErrorKind::Expected(e) => write!(f, "expected {e}")?,
            JsonErrorKind::UnterminatedString => f.write_str("string not closed")?,
            JsonErrorKind::ControlCharacter => {
                f.write_str("control character in a string (must be escaped)")?
            }
            JsonErrorKind::InvalidEscape => {
                f.write_str(r#"invalid escape (expected one of \" \\ \/ \b \f \n \r \t \uXXXX)"#)?
            }
            JsonErrorKind::UnescapedQuote => f.write_str("'\"' not escaped inside a string")?,
            JsonErrorKind::LoneSurrogate => {
                f.write_str(r"\u escape of a UTF-16 surrogate without its pair")?
            }
            JsonErrorKind::TooDeep => {
                write!(f, "objects and arrays nested deeper than {MAX_DEPTH}")?
            }
            JsonErrorKind::NotAnObject(kind) => write!(f, "expected an object, found {kind}")?,
        }
        write!(f, " at {}", self.position)
    }
}

impl core::error::Error for JsonError {}

/// A problem found at a byte offset, before it is turned into a [`JsonError`] with a line and
/// column (which needs the whole text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawError {
    pub(crate) offset: usize,
    pub(crate) kind: JsonErrorKind,
}

impl RawError {
    fn at(offset: usize, kind: JsonErrorKind) -> RawError {
        RawError { offset, kind }
    }

    pub(crate) fn locate(self, text: &str) -> JsonError {
        JsonError {
            position: Position::locate(text, self.offset),
            kind: self.kind,
        }
    }
}

/// The value of a hexadecimal digit.
fn hex(b: u8) -> Option<u16> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u16::try_from(d).ok())
}

/// The code unit of the four hex digits at the start of `bytes`.
fn hex4(bytes: &[u8]) -> Result<u16, usize> {
    let mut unit = 0u16;
    for i in 0..4 {
        let d = bytes.get(i).copied().and_then(hex).ok_or(i)?;
        unit = unit.wrapping_shl(4) | d;
    }
    Ok(unit)
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..=0xDBFF).contains(&unit)
}

fn is_low_surrogate(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

/// Reads the escape sequence at the start of `bytes` (which begins with the backslash):
/// the character it stands for and how many bytes it spans; or where it goes wrong.
fn escape(bytes: &[u8]) -> Result<(char, usize), RawError> {
    let simple = match bytes.get(1) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode_escape(bytes),
        _ => return Err(RawError::at(0, JsonErrorKind::InvalidEscape)),
    };
    Ok((simple, 2))
}

fn unicode_escape(bytes: &[u8]) -> Result<(char, usize), RawError> {
    let digits = |at: usize| {
        hex4(bytes.get(at..).unwrap_or(&[])).map_err(|i| {
            RawError::at(
                at.saturating_add(i),
                JsonErrorKind::Expected(JsonExpected::HexDigit),
            )
        })
    };
    let unit = digits(2)?;
    if is_low_surrogate(unit) {
        return Err(RawError::at(0, JsonErrorKind::LoneSurrogate));
    }
    if !is_high_surrogate(unit) {
        let c =
            char::from_u32(u32::from(unit)).ok_or(RawError::at(0, JsonErrorKind::LoneSurrogate))?;
        return Ok((c, 6));
    }
    // A high surrogate must be followed by `\u` and a low one.
    if bytes.get(6..8) != Some(b"\\u") {
        return Err(RawError::at(0, JsonErrorKind::LoneSurrogate));
    }
    let low = digits(8)?;
    if !is_low_surrogate(low) {
        return Err(RawError::at(0, JsonErrorKind::LoneSurrogate));
    }
    let code = 0x10000u32
        .saturating_add(u32::from(unit.wrapping_sub(0xD800)).wrapping_shl(10))
        .saturating_add(u32::from(low.wrapping_sub(0xDC00)));
    let c = char::from_u32(code).ok_or(RawError::at(0, JsonErrorKind::LoneSurrogate))?;
    Ok((c, 12))
}

/// Eight copies of `b`, one per byte of a word.
const fn splat(b: u8) -> u64 {
    u64::from_ne_bytes([b; 8])
}

/// The bytes of `word` (read little-endian, so byte 0 is the lowest) that end a run of plain
/// string text — `"`, `\` and the control characters U+0000–U+001F — each marked by the high
/// bit of its byte; all other bits are clear.
///
/// The usual "has a zero byte" trick, done for three sets at once: `x - 0x01` per byte borrows
/// into the high bit exactly when the byte of `x` is 0, and `x - n` when it is below `n`
/// (for `n` ≤ 0x80). A quote or a control character is a byte whose value xor 0x02 is below
/// 0x21 (0x22 becomes 0x20, 0x00–0x1F stay within 0x00–0x1F, 0x20 and 0x21 become 0x22 and
/// 0x23); a backslash is a byte whose value xor 0x5C is 0. Bytes with their own high bit set
/// (UTF-8 beyond ASCII) are never marked, which `& !word` ensures. A borrow can only mark bytes
/// above a byte that is marked correctly, so the lowest mark is always exact — and the lowest
/// mark is the only one used.
#[inline(always)]
const fn specials(word: u64) -> u64 {
    let quote_or_control = (word ^ splat(0x02)).wrapping_sub(splat(0x21));
    let backslash = (word ^ splat(b'\\')).wrapping_sub(splat(0x01));
    (quote_or_control | backslash) & !word & splat(0x80)
}

/// [`specials`] without `& !word & 0x80…`: the high bit of a byte is set when the byte is special
/// (exactly as in `specials`), and also when it is beyond ASCII. A block whose words give no high
/// bit at all holds no special byte; this is the test of the long-string loop, two operations
/// cheaper per word, with `specials` run only where it finds something.
#[inline(always)]
const fn maybe_specials(word: u64) -> u64 {
    (word ^ splat(0x02)).wrapping_sub(splat(0x21)) | (word ^ splat(b'\\')).wrapping_sub(splat(0x01))
}

/// The index of the marked byte `specials` found (`mark` is not 0).
#[inline(always)]
const fn first_marked(mark: u64) -> usize {
    (mark.trailing_zeros() >> 3) as usize
}

/// The first eight bytes of `block` as a little-endian word.
#[inline(always)]
fn word(block: &[u8; 8]) -> u64 {
    u64::from_le_bytes(*block)
}

/// How many bytes at the start of `bytes` are plain string text: neither `"`, `\` nor a
/// control character. All of `bytes` when there is no such byte.
///
/// Eight bytes are tested at a time (see [`specials`]). The first four words are tested here,
/// inlined where strings are read, since most strings in a credential document are short keys
/// and values; longer ones go on in [`plain_len_blocks`].
#[inline(always)]
fn plain_len(bytes: &[u8]) -> usize {
    if let Some(block) = bytes.first_chunk::<32>() {
        let (words, _) = block.as_chunks::<8>();
        for (i, w) in words.iter().enumerate() {
            let mark = specials(word(w));
            if mark != 0 {
                return i.wrapping_mul(8) | first_marked(mark);
            }
        }
    }
    plain_len_blocks(bytes)
}

/// [`plain_len`] past four words of plain text (from the start when `bytes` is shorter than
/// that): four more words, then the loop for long strings, such as session tokens, which are
/// over a kilobyte of base64. It tests 128 bytes per step with [`maybe_specials`], which the
/// compiler turns into a few vector instructions: well under one instruction per byte.
#[inline(never)]
fn plain_len_blocks(bytes: &[u8]) -> usize {
    // Four more words one by one first: secret keys (40 bytes) end there.
    if let Some(block) = bytes.get(32..).and_then(|b| b.first_chunk::<32>()) {
        let (words, _) = block.as_chunks::<8>();
        for (i, w) in words.iter().enumerate() {
            let mark = specials(word(w));
            if mark != 0 {
                return i.wrapping_add(4).wrapping_mul(8) | first_marked(mark);
            }
        }
    }
    let start = if bytes.len() >= 64 {
        64
    } else if bytes.len() >= 32 {
        32
    } else {
        0
    };
    let rest = bytes.get(start..).unwrap_or(&[]);
    // Sixteen words at a time, with one cheap test for all of them (see `maybe_specials`); the
    // word that holds the end is then found exactly.
    let (blocks, tail) = rest.as_chunks::<128>();
    for (n, block) in blocks.iter().enumerate() {
        let (words, _) = block.as_chunks::<8>();
        let maybe = words.iter().fold(0, |m, w| m | maybe_specials(word(w)));
        if maybe & splat(0x80) == 0 {
            continue;
        }
        let (halves, _) = block.as_chunks::<64>();
        let mut found = None;
        for (h, half) in halves.iter().enumerate() {
            if let Some(at) = first_special(half) {
                found = Some(h.wrapping_mul(64).wrapping_add(at));
                break;
            }
        }
        if let Some(at) = found {
            // `n * 128 + at` is an offset into `rest`, so none of this overflows.
            return start.wrapping_add(n.wrapping_mul(128)).wrapping_add(at);
        }
        // The cheap test was set off by bytes beyond ASCII: carry on.
    }
    let done = rest.len().wrapping_sub(tail.len());
    let (words, last) = tail.as_chunks::<8>();
    for (i, w) in words.iter().enumerate() {
        let mark = specials(word(w));
        if mark != 0 {
            return start
                .wrapping_add(done)
                .wrapping_add(i.wrapping_mul(8) | first_marked(mark));
        }
    }
    // Fewer than eight bytes are left. When the text has eight, the last eight bytes are read
    // as a word and shifted so that only the left ones remain, in the low lanes (the high lanes,
    // now zero, would look like control characters, so they are masked off).
    let before = bytes.len().wrapping_sub(last.len());
    if last.is_empty() {
        return bytes.len();
    }
    let plain = match bytes.last_chunk::<8>() {
        Some(w) => {
            let gone = 8usize.wrapping_sub(last.len()).wrapping_mul(8);
            let lanes = u64::MAX.wrapping_shr(u32::try_from(gone).unwrap_or(0));
            let mark = specials(word(w).wrapping_shr(u32::try_from(gone).unwrap_or(0))) & lanes;
            if mark != 0 {
                first_marked(mark)
            } else {
                last.len()
            }
        }
        None => last
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | 0x00..=0x1F))
            .unwrap_or(last.len()),
    };
    before.wrapping_add(plain)
}

/// Where the first special byte of a block is (see [`specials`]); kept out of the loop of
/// [`plain_len_blocks`] so that the loop stays a few vector instructions.
#[inline(never)]
fn first_special(block: &[u8; 64]) -> Option<usize> {
    let (words, _) = block.as_chunks::<8>();
    words.iter().enumerate().find_map(|(i, w)| {
        let mark = specials(word(w));
        (mark != 0).then(|| i.wrapping_mul(8) | first_marked(mark))
    })
}

/// Reads string content from `pos` up to the first `"` that no backslash escapes, or to the
/// end of `bytes`: returns where it stopped and whether it passed an escape, or the first raw
/// control character or invalid escape (at its offset in `bytes`).
fn scan_content(bytes: &[u8], mut pos: usize) -> Result<(usize, bool), RawError> {
    let mut escaped = false;
    loop {
        pos = pos.saturating_add(plain_len(bytes.get(pos..).unwrap_or(&[])));
        match bytes.get(pos) {
            None | Some(b'"') => return Ok((pos, escaped)),
            Some(b'\\') => {
                escaped = true;
                let (_, len) = escape(bytes.get(pos..).unwrap_or(&[]))
                    .map_err(|e| RawError::at(e.offset.saturating_add(pos), e.kind))?;
                pos = pos.saturating_add(len);
            }
            Some(_) => return Err(RawError::at(pos, JsonErrorKind::ControlCharacter)),
        }
    }
}

/// Checks the text between a string's quotes: no raw control characters, no quote that is not
/// escaped, only valid escapes. Returns whether it has escapes; offsets in the error are
/// relative to `raw`.
fn validate_string_content(raw: &str) -> Result<bool, RawError> {
    let (end, escaped) = scan_content(raw.as_bytes(), 0)?;
    if end < raw.len() {
        return Err(RawError::at(end, JsonErrorKind::UnescapedQuote));
    }
    Ok(escaped)
}

/// A JSON string as it appears in a document: borrowed, escapes and all, and known to be valid.
///
/// Most strings in credential documents have no escapes, and then [`as_str`](Self::as_str) gives
/// the text with no copy. When a string has escapes (`\/` is common in tokens written by some
/// JSON encoders), [`decode_into`](Self::decode_into) writes the text into a buffer of the
/// caller's; [`decoded_len`](Self::decoded_len) says how big it must be. Equality, hashing and
/// `Display` are on the decoded text, so `"a\/b"` equals `"a/b"`.
///
/// ```
/// use credchain_core::document::JsonStr;
///
/// let s = JsonStr::new(r"AQoDYXdz\/EJr\u002B").unwrap();
/// assert!(s.is_escaped());
/// assert_eq!(s.as_str(), None);
/// assert_eq!(s.decoded_len(), 13);
/// let mut buf = [0u8; 13];
/// assert_eq!(s.decode_into(&mut buf).unwrap(), "AQoDYXdz/EJr+");
/// assert!(s.eq_str("AQoDYXdz/EJr+"));
/// ```
#[derive(Clone, Copy)]
pub struct JsonStr<'a> {
    raw: &'a str,
    /// Whether `raw` holds a backslash, found while the string was checked, so that the common
    /// case — no escapes — is known without looking at the text again.
    escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// Checks `raw` — the text between a JSON string's quotes — and wraps it. Fails when it holds
    /// an invalid escape, a lone surrogate, an unescaped `"` or a raw control character; the error
    /// position is relative to `raw`.
    pub fn new(raw: &'a str) -> Result<JsonStr<'a>, JsonError> {
        let escaped = validate_string_content(raw).map_err(|e| e.locate(raw))?;
        Ok(JsonStr { raw, escaped })
    }

    /// Wraps content already checked, looking for escapes again.
    pub(crate) fn from_checked(raw: &'a str) -> JsonStr<'a> {
        JsonStr {
            raw,
            escaped: raw.as_bytes().contains(&b'\\'),
        }
    }

    /// Wraps content the scanner has checked, with what it found about escapes.
    #[inline]
    pub(crate) const fn from_scanned(raw: &'a str, escaped: bool) -> JsonStr<'a> {
        JsonStr { raw, escaped }
    }

    /// The text as written between the quotes, escapes included.
    pub const fn raw(&self) -> &'a str {
        self.raw
    }

    /// Whether the text has escapes, so that the decoded text differs from [`raw`](Self::raw).
    #[inline]
    pub const fn is_escaped(&self) -> bool {
        self.escaped
    }

    /// The text itself when it has no escapes.
    #[inline]
    pub const fn as_str(&self) -> Option<&'a str> {
        if self.escaped { None } else { Some(self.raw) }
    }

    /// Whether the decoded text is empty.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The length in bytes of the decoded text: the buffer size [`decode_into`](Self::decode_into)
    /// needs.
    pub fn decoded_len(&self) -> usize {
        if !self.escaped {
            return self.raw.len();
        }
        self.fragments().fold(0usize, |n, f| {
            n.saturating_add(match f {
                Fragment::Text(t) => t.len(),
                Fragment::Char(c) => c.len_utf8(),
            })
        })
    }

    /// Writes the decoded text into `buf` and returns it; or says how many bytes it needs.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        if !self.escaped {
            // One copy. The bytes come from a `str`, so the UTF-8 check cannot fail; safe Rust
            // still makes it (on ASCII it runs a word at a time).
            let needed = self.raw.len();
            let available = buf.len();
            let too_small = BufferTooSmall { needed, available };
            let dst = buf.get_mut(..needed).ok_or(too_small)?;
            dst.copy_from_slice(self.raw.as_bytes());
            return core::str::from_utf8(dst).map_err(|_| too_small);
        }
        let mut w = Writer::new(buf);
        for f in self.fragments() {
            match f {
                Fragment::Text(t) => w.push_str(t),
                Fragment::Char(c) => w.push_char(c),
            }
        }
        w.finish()
    }

    /// Whether the decoded text equals `s`, without decoding into a buffer.
    #[inline]
    pub fn eq_str(&self, s: &str) -> bool {
        if !self.escaped {
            return self.raw == s;
        }
        self.eq_str_escaped(s)
    }

    /// [`eq_str`](Self::eq_str) for text with escapes.
    fn eq_str_escaped(&self, s: &str) -> bool {
        let mut rest = s;
        for f in self.fragments() {
            let next = match f {
                Fragment::Text(t) => rest.strip_prefix(t),
                Fragment::Char(c) => rest.strip_prefix(c),
            };
            match next {
                Some(r) => rest = r,
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// The decoded characters.
    pub fn chars(&self) -> Chars<'a> {
        Chars {
            fragments: self.fragments(),
            current: "".chars(),
        }
    }

    /// The decoded text in pieces: runs of text without escapes, borrowed, and the characters
    /// escapes stand for.
    pub fn fragments(&self) -> Fragments<'a> {
        Fragments { rest: self.raw }
    }
}

impl fmt::Debug for JsonStr<'_> {
    /// The raw text, quoted, as it appears in the document.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JsonStr(\"{}\")", self.raw)
    }
}

impl fmt::Display for JsonStr<'_> {
    /// The decoded text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for frag in self.fragments() {
            match frag {
                Fragment::Text(t) => f.write_str(t)?,
                Fragment::Char(c) => fmt::Write::write_char(f, c)?,
            }
        }
        Ok(())
    }
}

impl PartialEq for JsonStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        if !self.is_escaped() {
            return other.eq_str(self.raw);
        }
        self.chars().eq(other.chars())
    }
}

impl Eq for JsonStr<'_> {}

impl PartialEq<str> for JsonStr<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for JsonStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl core::hash::Hash for JsonStr<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        // Hash the decoded text as `str` hashes, so equal strings hash equally however written.
        let mut tmp = [0u8; 4];
        for c in self.chars() {
            state.write(c.encode_utf8(&mut tmp).as_bytes());
        }
        state.write_u8(0xff);
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for JsonStr<'a> {
    /// Borrows the string with its escapes through [`EscapedStr`] and checks them, so that a
    /// structure derived for serde-json-core can hold a `JsonStr`. (With other deserializers,
    /// which hand over decoded text, only strings that had no escapes can be borrowed.)
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let escaped = EscapedStr::deserialize(deserializer)?;
        JsonStr::new(escaped.0)
            .map_err(|_| serde::de::Error::custom("invalid escape in a JSON string"))
    }
}

/// A piece of a decoded [`JsonStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fragment<'a> {
    /// Text written without escapes.
    Text(&'a str),
    /// The character an escape stands for.
    Char(char),
}

/// The [`Fragment`]s of a [`JsonStr`].
#[derive(Debug, Clone)]
pub struct Fragments<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Fragments<'a> {
    type Item = Fragment<'a>;

    fn next(&mut self) -> Option<Fragment<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        match self.rest.find('\\') {
            Some(0) => {
                // The content was checked when the `JsonStr` was made, so the escape is valid;
                // should it not be, the rest is given back as text rather than lost.
                match escape(self.rest.as_bytes()) {
                    Ok((c, len)) => {
                        self.rest = self.rest.get(len..).unwrap_or("");
                        Some(Fragment::Char(c))
                    }
                    Err(_) => {
                        let text = self.rest;
                        self.rest = "";
                        Some(Fragment::Text(text))
                    }
                }
            }
            Some(at) => {
                let (text, rest) = self.rest.split_at_checked(at).unwrap_or((self.rest, ""));
                self.rest = rest;
                Some(Fragment::Text(text))
            }
            None => {
                let text = self.rest;
                self.rest = "";
                Some(Fragment::Text(text))
            }
        }
    }
}

/// The decoded characters of a [`JsonStr`].
#[derive(Debug, Clone)]
pub struct Chars<'a> {
    fragments: Fragments<'a>,
    current: core::str::Chars<'a>,
}

impl Iterator for Chars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        loop {
            if let Some(c) = self.current.next() {
                return Some(c);
            }
            match self.fragments.next()? {
                Fragment::Text(t) => self.current = t.chars(),
                Fragment::Char(c) => return Some(c),
            }
        }
    }
}

/// A value found in a document: its kind, its text and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Value<'a> {
    pub(crate) kind: ValueKind,
    /// For a string, the text between the quotes; for anything else, the whole value as written.
    pub(crate) text: &'a str,
    pub(crate) offset: usize,
}

/// One member of the top-level object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member<'a> {
    pub(crate) key: JsonStr<'a>,
    pub(crate) key_offset: usize,
    pub(crate) value: Value<'a>,
    /// For a string value, whether it has escapes.
    pub(crate) value_escaped: bool,
}

/// The first position at or after `pos` that does not hold whitespace (the end of `bytes` when
/// there is none).
#[inline(always)]
fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(pos) {
        // `pos` is below `bytes.len()`, so this cannot overflow.
        pos = pos.wrapping_add(1);
    }
    pos
}

/// The string whose opening quote is at `open` in `text`: its content, and the position after
/// its closing quote.
#[inline(always)]
fn string_at(text: &str, open: usize) -> Result<(JsonStr<'_>, usize), RawError> {
    let bytes = text.as_bytes();
    // `open` holds a quote, so it is below `text.len()` and these cannot overflow.
    let start = open.wrapping_add(1);
    let end = start.wrapping_add(plain_len(bytes.get(start..).unwrap_or(&[])));
    if bytes.get(end) == Some(&b'"') {
        // No escapes: the common case, done. Both ends are next to a quote, so they are on
        // character boundaries and this cannot fail.
        if let Some(content) = slice_between(text, start, end) {
            return Ok((JsonStr::from_scanned(content, false), end.wrapping_add(1)));
        }
    }
    string_with_escapes(text, open)
}

/// `text[start..end]` when both are character boundaries, as `str::get` gives it, in a form
/// that is always inlined (this is on the path of every string read).
#[inline(always)]
fn slice_between(text: &str, start: usize, end: usize) -> Option<&str> {
    let (head, _) = text.split_at_checked(end)?;
    let (_, content) = head.split_at_checked(start)?;
    Some(content)
}

/// [`string_at`] when the first run of plain text does not end at the closing quote: the
/// string has escapes, or it is broken.
#[inline(never)]
fn string_with_escapes(text: &str, open: usize) -> Result<(JsonStr<'_>, usize), RawError> {
    let bytes = text.as_bytes();
    let start = open.saturating_add(1);
    let (end, escaped) = scan_content(bytes, start)?;
    if bytes.get(end) != Some(&b'"') {
        return Err(RawError::at(open, JsonErrorKind::UnterminatedString));
    }
    let content = text.get(start..end).unwrap_or("");
    Ok((
        JsonStr::from_scanned(content, escaped),
        end.saturating_add(1),
    ))
}

/// The reader: a position in the text.
struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn bump(&mut self) {
        self.pos = self.pos.saturating_add(1);
    }

    fn expected(&self, what: JsonExpected) -> RawError {
        RawError::at(self.pos, JsonErrorKind::Expected(what))
    }

    fn slice(&self, start: usize, end: usize) -> &'a str {
        self.text.get(start..end).unwrap_or("")
    }

    fn skip_whitespace(&mut self) {
        self.pos = skip_whitespace(self.text.as_bytes(), self.pos);
    }

    /// A string starting at the opening quote under the cursor; returns the content, with
    /// whether it has escapes.
    fn string(&mut self) -> Result<JsonStr<'a>, RawError> {
        let (content, end) = string_at(self.text, self.pos)?;
        self.pos = end;
        Ok(content)
    }

    fn digits(&mut self) -> Result<(), RawError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.expected(JsonExpected::Digit));
        }
        while let Some(b'0'..=b'9') = self.peek() {
            self.bump();
        }
        Ok(())
    }

    fn literal(&mut self, word: &str) -> Result<(), RawError> {
        let start = self.pos;
        let end = start.saturating_add(word.len());
        if self.text.as_bytes().get(start..end) == Some(word.as_bytes()) {
            self.pos = end;
            Ok(())
        } else {
            Err(RawError::at(
                start,
                JsonErrorKind::Expected(JsonExpected::Value),
            ))
        }
    }

    fn number(&mut self) -> Result<(), RawError> {
        if self.peek() == Some(b'-') {
            self.bump();
            if self.peek() == Some(b'I') {
                return self.literal("Infinity");
            }
        }
        match self.peek() {
            Some(b'0') => self.bump(),
            Some(b'1'..=b'9') => self.digits()?,
            _ => return Err(self.expected(JsonExpected::Digit)),
        }
        if self.peek() == Some(b'.') {
            self.bump();
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.bump();
            if let Some(b'+' | b'-') = self.peek() {
                self.bump();
            }
            self.digits()?;
        }
        Ok(())
    }

    /// A value of any kind at the cursor (after whitespace), nested values included; `depth` is
    /// the nesting depth of the container holding it. For a string, also whether it has escapes.
    #[inline(never)]
    fn value(&mut self, depth: usize) -> Result<(Value<'a>, bool), RawError> {
        self.skip_whitespace();
        let start = self.pos;
        let kind = match self.peek() {
            Some(b'"') => {
                let content = self.string()?;
                let value = Value {
                    kind: ValueKind::String,
                    text: content.raw(),
                    offset: start,
                };
                return Ok((value, content.is_escaped()));
            }
            Some(b'{' | b'[') => {
                let is_object = self.peek() == Some(b'{');
                self.container(depth)?;
                if is_object {
                    ValueKind::Object
                } else {
                    ValueKind::Array
                }
            }
            Some(b't') => {
                self.literal("true")?;
                ValueKind::Bool
            }
            Some(b'f') => {
                self.literal("false")?;
                ValueKind::Bool
            }
            Some(b'n') => {
                self.literal("null")?;
                ValueKind::Null
            }
            Some(b'N') => {
                self.literal("NaN")?;
                ValueKind::Number
            }
            Some(b'I') => {
                self.literal("Infinity")?;
                ValueKind::Number
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number()?;
                ValueKind::Number
            }
            _ => return Err(self.expected(JsonExpected::Value)),
        };
        let value = Value {
            kind,
            text: self.slice(start, self.pos),
            offset: start,
        };
        Ok((value, false))
    }

    /// Skips an object or array starting at the cursor, checking everything inside it, without
    /// recursion: a bit per level records whether that level is an object.
    fn container(&mut self, outer_depth: usize) -> Result<(), RawError> {
        #[derive(Clone, Copy)]
        enum Want {
            FirstKeyOrEnd,
            FirstValueOrEnd,
            Key,
            Value,
            CommaOrEnd,
        }
        const BITS: usize = 128;
        let mut objects: u128 = 0;
        let mut level = 0usize; // levels open inside this call
        let mut want = Want::Value;
        loop {
            self.skip_whitespace();
            match want {
                Want::Value => match self.peek() {
                    Some(open @ (b'{' | b'[')) => {
                        if outer_depth.saturating_add(level) >= MAX_DEPTH || level >= BITS {
                            return Err(RawError::at(self.pos, JsonErrorKind::TooDeep));
                        }
                        let is_object = open == b'{';
                        objects = (objects << 1) | u128::from(is_object);
                        level = level.saturating_add(1);
                        self.bump();
                        want = if is_object {
                            Want::FirstKeyOrEnd
                        } else {
                            Want::FirstValueOrEnd
                        };
                    }
                    _ => {
                        // A scalar (containers are opened above), so the depth is not used.
                        self.value(MAX_DEPTH)?;
                        want = Want::CommaOrEnd;
                    }
                },
                Want::FirstKeyOrEnd | Want::FirstValueOrEnd => {
                    let close = if matches!(want, Want::FirstKeyOrEnd) {
                        b'}'
                    } else {
                        b']'
                    };
                    if self.peek() == Some(close) {
                        self.bump();
                        level = level.saturating_sub(1);
                        objects >>= 1;
                        if level == 0 {
                            return Ok(());
                        }
                        want = Want::CommaOrEnd;
                    } else if close == b'}' {
                        want = Want::Key;
                    } else {
                        want = Want::Value;
                    }
                }
                Want::Key => {
                    if self.peek() != Some(b'"') {
                        return Err(self.expected(JsonExpected::Key));
                    }
                    self.string()?;
                    self.skip_whitespace();
                    if self.peek() != Some(b':') {
                        return Err(self.expected(JsonExpected::Colon));
                    }
                    self.bump();
                    want = Want::Value;
                }
                Want::CommaOrEnd => {
                    let in_object = objects & 1 == 1;
                    let (close, expected) = if in_object {
                        (b'}', JsonExpected::CommaOrObjectEnd)
                    } else {
                        (b']', JsonExpected::CommaOrArrayEnd)
                    };
                    match self.peek() {
                        Some(b',') => {
                            self.bump();
                            want = if in_object { Want::Key } else { Want::Value };
                        }
                        Some(b) if b == close => {
                            self.bump();
                            level = level.saturating_sub(1);
                            objects >>= 1;
                            if level == 0 {
                                return Ok(());
                            }
                        }
                        _ => return Err(self.expected(expected)),
                    }
                }
            }
        }
    }
}

/// Where the member reader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    FirstMember,
    NextMember,
    Done,
}

/// The members of the object a JSON text holds, in order, each checked as it is read; then a
/// check that nothing but whitespace follows. Yields an error (and then nothing) at the first
/// problem. A text that is valid JSON but not an object yields
/// [`JsonErrorKind::NotAnObject`].
pub(crate) struct Members<'a> {
    scanner: Scanner<'a>,
    state: State,
}

/// Reads the members of the object in `text`.
pub(crate) fn members(text: &str) -> Members<'_> {
    Members {
        scanner: Scanner { text, pos: 0 },
        state: State::Start,
    }
}

/// What [`each_member`] hands the members of an object to.
pub(crate) trait Visitor<'a> {
    /// The key that probably comes next, if there is a guess. A document written in a known
    /// order (IMDS writes its keys always in the same order) then has each key recognised by a
    /// comparison, without scanning it and looking it up. The key must be plain text: no `"`,
    /// `\` or control characters.
    fn expected_key(&self) -> Option<&'static str>;

    /// A member, in order; `expected` when its key is the one
    /// [`expected_key`](Self::expected_key) gave (then `member.key` is that `&'static str`).
    fn member(&mut self, member: Member<'a>, expected: bool);
}

/// Reads the object in `text`, handing each member to `visitor` in order as it is read, then
/// checks that nothing but whitespace follows. Stops at the first problem; the members before it
/// have been visited. This is [`members`] without the iterator's state between calls, for
/// the documents, which read every member anyway.
#[inline(always)]
pub(crate) fn each_member<'a>(
    text: &'a str,
    visitor: &mut impl Visitor<'a>,
) -> Result<(), RawError> {
    let bytes = text.as_bytes();
    let mut m = members(text);
    let open = skip_whitespace(bytes, 0);
    let first = if bytes.get(open) == Some(&b'{') {
        m.state = State::FirstMember;
        skip_whitespace(bytes, open.wrapping_add(1))
    } else {
        m.start(open)?
    };
    if bytes.get(first) == Some(&b'}') {
        return m.finish(first.wrapping_add(1)).map(|_| ());
    }
    let mut pos = first;
    loop {
        // IMDS's own layout with the expected key and a string value without escapes, read in
        // one go; anything else (or any doubt) goes through `member`, which reads the same
        // member the general way.
        let expected = visitor.expected_key();
        let end = match expected.and_then(|k| imds_member_at(text, pos, k)) {
            Some((member, end)) => {
                visitor.member(member, true);
                end
            }
            None => {
                let (member, expected) = m.member(pos, expected)?;
                visitor.member(member, expected);
                m.scanner.pos
            }
        };
        // IMDS's own layout between members (`,`, a line break and two spaces before the next
        // key) first, then anything else. The bytes are ASCII, so `end + 4` is in the text.
        if bytes.get(end..end.wrapping_add(5)) == Some(b",\n  \"") {
            pos = end.wrapping_add(4);
            continue;
        }
        let next = skip_whitespace(bytes, end);
        match bytes.get(next) {
            Some(b',') => pos = next.wrapping_add(1),
            Some(b'}') => return m.finish(next.wrapping_add(1)).map(|_| ()),
            _ => {
                return Err(RawError::at(
                    next,
                    JsonErrorKind::Expected(JsonExpected::CommaOrObjectEnd),
                ));
            }
        }
    }
}

/// The member at `pos` when it is written as IMDS writes its members — `"key" : "value"` —
/// with `key` as its key and a value without escapes; and the position after it. `None` when
/// it is anything else (which may be valid all the same).
#[inline(always)]
fn imds_member_at<'a>(text: &'a str, pos: usize, key: &'static str) -> Option<(Member<'a>, usize)> {
    let bytes = text.as_bytes();
    if bytes.get(pos) != Some(&b'"') || !is_key_at(bytes, pos.wrapping_add(1), key) {
        return None;
    }
    // The key, its closing quote and ` : "` are ASCII, so these positions are in the text.
    let after_key = pos.wrapping_add(key.len()).wrapping_add(2);
    if bytes.get(after_key..after_key.wrapping_add(4)) != Some(b" : \"") {
        return None;
    }
    let offset = after_key.wrapping_add(3);
    let start = offset.wrapping_add(1);
    let end = start.wrapping_add(plain_len(bytes.get(start..).unwrap_or(&[])));
    if bytes.get(end) != Some(&b'"') {
        return None;
    }
    let member = Member {
        key: JsonStr::from_scanned(key, false),
        key_offset: pos,
        value: Value {
            kind: ValueKind::String,
            text: slice_between(text, start, end)?,
            offset,
        },
        value_escaped: false,
    };
    Some((member, end.wrapping_add(1)))
}

/// Whether the string content starting at `start` is exactly `key` (plain text), that is,
/// `key` followed by the closing quote.
#[inline(always)]
fn is_key_at(bytes: &[u8], start: usize, key: &str) -> bool {
    let key = key.as_bytes();
    let Some(found) = bytes.get(start..) else {
        return false;
    };
    found.get(key.len()) == Some(&b'"')
        && found
            .get(..key.len())
            .is_some_and(|found| same_short(found, key))
}

/// `a == b`; short ones (keys) of the same length are compared as two overlapping words
/// rather than through a call to `memcmp`.
#[inline(always)]
pub(crate) fn same_short(a: &[u8], b: &[u8]) -> bool {
    fn head<const K: usize>(s: &[u8]) -> Option<&[u8; K]> {
        s.first_chunk::<K>()
    }
    fn tail<const K: usize>(s: &[u8]) -> Option<&[u8; K]> {
        s.last_chunk::<K>()
    }
    a.len() == b.len()
        && match a.len() {
            8..=16 => head::<8>(a) == head::<8>(b) && tail::<8>(a) == tail::<8>(b),
            4..=7 => head::<4>(a) == head::<4>(b) && tail::<4>(a) == tail::<4>(b),
            _ => a == b,
        }
}

impl<'a> Members<'a> {
    #[inline(always)]
    fn step(&mut self) -> Result<Option<Member<'a>>, RawError> {
        let bytes = self.scanner.text.as_bytes();
        let mut pos = skip_whitespace(bytes, self.scanner.pos);
        if self.state == State::Start {
            pos = self.start(pos)?;
        }
        match self.state {
            State::NextMember => match bytes.get(pos) {
                Some(b',') => self.member(pos.wrapping_add(1), None).map(|(m, _)| Some(m)),
                Some(b'}') => self.finish(pos.wrapping_add(1)),
                _ => Err(RawError::at(
                    pos,
                    JsonErrorKind::Expected(JsonExpected::CommaOrObjectEnd),
                )),
            },
            State::FirstMember => match bytes.get(pos) {
                Some(b'}') => self.finish(pos.wrapping_add(1)),
                _ => self.member(pos, None).map(|(m, _)| Some(m)),
            },
            State::Start | State::Done => Ok(None),
        }
    }

    /// The start of the text, at its first byte that is not whitespace: the opening brace, and
    /// the position of what follows it (after whitespace).
    #[inline(never)]
    fn start(&mut self, pos: usize) -> Result<usize, RawError> {
        let s = &mut self.scanner;
        s.pos = pos;
        if s.peek() == Some(b'{') {
            s.bump();
            s.skip_whitespace();
            self.state = State::FirstMember;
            return Ok(s.pos);
        }
        // Not an object: read it anyway, so a broken text gets a syntax error and a valid one
        // says what it is.
        let (value, _) = s.value(0)?;
        s.skip_whitespace();
        if s.peek().is_some() {
            return Err(s.expected(JsonExpected::End));
        }
        Err(RawError::at(
            value.offset,
            JsonErrorKind::NotAnObject(value.kind),
        ))
    }

    /// A member whose key is the first thing after `pos` but whitespace; and whether its key is
    /// `expected` (see [`Visitor::expected_key`]).
    #[inline(always)]
    fn member(
        &mut self,
        pos: usize,
        expected: Option<&'static str>,
    ) -> Result<(Member<'a>, bool), RawError> {
        let text = self.scanner.text;
        let bytes = text.as_bytes();
        let key_offset = skip_whitespace(bytes, pos);
        if bytes.get(key_offset) != Some(&b'"') {
            return Err(RawError::at(
                key_offset,
                JsonErrorKind::Expected(JsonExpected::Key),
            ));
        }
        let start = key_offset.wrapping_add(1);
        let (key, after_key, is_expected) = match expected {
            Some(k) if is_key_at(bytes, start, k) => (
                JsonStr::from_scanned(k, false),
                // `start + k.len()` holds the closing quote, so this is in the text.
                start.wrapping_add(k.len()).wrapping_add(1),
                true,
            ),
            _ => {
                let (key, after_key) = string_at(text, key_offset)?;
                (key, after_key, false)
            }
        };
        // IMDS's own layout (` : ` and a string) first; anything else is read the long way.
        // The four bytes are ASCII, so `after_key + 4` is a position in the text and the
        // additions cannot overflow.
        let offset = match bytes.get(after_key..after_key.wrapping_add(4)) {
            Some(b" : \"") => after_key.wrapping_add(3),
            _ => {
                let colon = skip_whitespace(bytes, after_key);
                if bytes.get(colon) != Some(&b':') {
                    return Err(RawError::at(
                        colon,
                        JsonErrorKind::Expected(JsonExpected::Colon),
                    ));
                }
                skip_whitespace(bytes, colon.wrapping_add(1))
            }
        };
        let (value, value_escaped) = if bytes.get(offset) == Some(&b'"') {
            let (content, end) = string_at(text, offset)?;
            self.scanner.pos = end;
            let value = Value {
                kind: ValueKind::String,
                text: content.raw(),
                offset,
            };
            (value, content.is_escaped())
        } else {
            self.scanner.pos = offset;
            // Members of the top-level object sit at depth 1.
            self.scanner.value(1)?
        };
        self.state = State::NextMember;
        let member = Member {
            key,
            key_offset,
            value,
            value_escaped,
        };
        Ok((member, is_expected))
    }

    /// After the closing brace at `pos - 1`: only whitespace may follow.
    #[inline(always)]
    fn finish(&mut self, pos: usize) -> Result<Option<Member<'a>>, RawError> {
        self.state = State::Done;
        let bytes = self.scanner.text.as_bytes();
        let end = skip_whitespace(bytes, pos);
        self.scanner.pos = end;
        if end < bytes.len() {
            return Err(RawError::at(
                end,
                JsonErrorKind::Expected(JsonExpected::End),
            ));
        }
        Ok(None)
    }
}

impl<'a> Iterator for Members<'a> {
    type Item = Result<Member<'a>, JsonError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(member) => member.map(Ok),
            Err(e) => {
                self.state = State::Done;
                Some(Err(e.locate(self.scanner.text)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads every member and returns how many there were, or the error.
    fn count(text: &str) -> Result<usize, JsonError> {
        let mut n = 0;
        for m in members(text) {
            m?;
            n += 1;
        }
        Ok(n)
    }

    fn err(text: &str) -> (usize, JsonErrorKind) {
        let e = count(text).unwrap_err();
        (e.position.offset, e.kind)
    }

    fn expected(e: JsonExpected) -> JsonErrorKind {
        JsonErrorKind::Expected(e)
    }

    #[test]
    fn reads_members_with_kinds_and_offsets() {
        let text = r#" { "a" : "x\/y" , "b":-1.5e+3, "c":[1,{"d":[]}], "e":{}, "f":true,
            "g":false, "h":null, "i":NaN, "j":-Infinity, "k":Infinity, "l":0 } "#;
        let mut it = members(text);
        let m = it.next().unwrap().unwrap();
        assert_eq!(m.key.raw(), "a");
        assert_eq!(m.key_offset, 3);
        assert_eq!(m.value.kind, ValueKind::String);
        assert_eq!(m.value.text, r"x\/y");
        assert_eq!(m.value.offset, 9);
        let kinds: [(&str, ValueKind, &str); 10] = [
            ("b", ValueKind::Number, "-1.5e+3"),
            ("c", ValueKind::Array, r#"[1,{"d":[]}]"#),
            ("e", ValueKind::Object, "{}"),
            ("f", ValueKind::Bool, "true"),
            ("g", ValueKind::Bool, "false"),
            ("h", ValueKind::Null, "null"),
            ("i", ValueKind::Number, "NaN"),
            ("j", ValueKind::Number, "-Infinity"),
            ("k", ValueKind::Number, "Infinity"),
            ("l", ValueKind::Number, "0"),
        ];
        for (key, kind, raw) in kinds {
            let m = it.next().unwrap().unwrap();
            assert_eq!(m.key.raw(), key);
            assert_eq!(m.value.kind, kind);
            assert_eq!(m.value.text, raw);
        }
        assert!(it.next().is_none());
        assert!(it.next().is_none());
        assert_eq!(count("{}"), Ok(0));
        assert_eq!(count(" \t\r\n{ \n } \n"), Ok(0));
    }

    #[test]
    fn syntax_errors_say_where_and_what() {
        let cases: &[(&str, usize, JsonErrorKind)] = &[
            ("", 0, expected(JsonExpected::Value)),
            ("   ", 3, expected(JsonExpected::Value)),
            ("{", 1, expected(JsonExpected::Key)),
            ("{\"a\"", 4, expected(JsonExpected::Colon)),
            ("{\"a\":", 5, expected(JsonExpected::Value)),
            ("{\"a\":1", 6, expected(JsonExpected::CommaOrObjectEnd)),
            ("{\"a\":1,}", 7, expected(JsonExpected::Key)),
            (
                "{\"a\":1 \"b\":2}",
                7,
                expected(JsonExpected::CommaOrObjectEnd),
            ),
            ("{a:1}", 1, expected(JsonExpected::Key)),
            ("{'a':1}", 1, expected(JsonExpected::Key)),
            ("{\"a\":tru}", 5, expected(JsonExpected::Value)),
            ("{\"a\":True}", 5, expected(JsonExpected::Value)),
            ("{\"a\":nan}", 5, expected(JsonExpected::Value)),
            ("{\"a\":-}", 6, expected(JsonExpected::Digit)),
            ("{\"a\":-x}", 6, expected(JsonExpected::Digit)),
            ("{\"a\":01}", 6, expected(JsonExpected::CommaOrObjectEnd)),
            ("{\"a\":1.}", 7, expected(JsonExpected::Digit)),
            ("{\"a\":.5}", 5, expected(JsonExpected::Value)),
            ("{\"a\":+1}", 5, expected(JsonExpected::Value)),
            ("{\"a\":1e}", 7, expected(JsonExpected::Digit)),
            ("{\"a\":1e+}", 8, expected(JsonExpected::Digit)),
            ("{\"a\":1 2}", 7, expected(JsonExpected::CommaOrObjectEnd)),
            ("{\"a\":[1,]}", 8, expected(JsonExpected::Value)),
            ("{\"a\":[1 2]}", 8, expected(JsonExpected::CommaOrArrayEnd)),
            ("{\"a\":[}", 6, expected(JsonExpected::Value)),
            ("{\"a\":{\"b\"}}", 9, expected(JsonExpected::Colon)),
            ("{\"a\":{1:2}}", 6, expected(JsonExpected::Key)),
            ("{\"a\":{\"b\":1,}}", 12, expected(JsonExpected::Key)),
            ("{\"a\":[1}", 7, expected(JsonExpected::CommaOrArrayEnd)),
            (
                "{\"a\":{\"b\":1]}",
                11,
                expected(JsonExpected::CommaOrObjectEnd),
            ),
            ("{} x", 3, expected(JsonExpected::End)),
            ("{}{}", 2, expected(JsonExpected::End)),
            ("{\"a\":\"x", 5, JsonErrorKind::UnterminatedString),
            ("{\"a", 1, JsonErrorKind::UnterminatedString),
            ("{\"a\":\"x\ty\"}", 7, JsonErrorKind::ControlCharacter),
            ("{\"a\":\"x\ny\"}", 7, JsonErrorKind::ControlCharacter),
            ("{\"a\":\"\0\"}", 6, JsonErrorKind::ControlCharacter),
            ("{\"a\":\"\\x\"}", 6, JsonErrorKind::InvalidEscape),
            ("{\"a\":\"\\'\"}", 6, JsonErrorKind::InvalidEscape),
            ("{\"a\":\"\\", 6, JsonErrorKind::InvalidEscape),
            ("{\"a\":\"\\u12\"}", 10, expected(JsonExpected::HexDigit)),
            ("{\"a\":\"\\u12G4\"}", 10, expected(JsonExpected::HexDigit)),
            ("{\"a\":\"\\ud800\"}", 6, JsonErrorKind::LoneSurrogate),
            ("{\"a\":\"\\ud800\\n\"}", 6, JsonErrorKind::LoneSurrogate),
            (
                "{\"a\":\"\\ud800\\u0041\"}",
                6,
                JsonErrorKind::LoneSurrogate,
            ),
            ("{\"a\":\"\\udc00\"}", 6, JsonErrorKind::LoneSurrogate),
            (
                "{\"a\":\"\\ud800\\udc0\"}",
                17,
                expected(JsonExpected::HexDigit),
            ),
            ("{\"\\q\":1}", 2, JsonErrorKind::InvalidEscape),
            ("\u{feff}{}", 0, expected(JsonExpected::Value)),
            ("[1]", 0, JsonErrorKind::NotAnObject(ValueKind::Array)),
            (" \"x\" ", 1, JsonErrorKind::NotAnObject(ValueKind::String)),
            ("null", 0, JsonErrorKind::NotAnObject(ValueKind::Null)),
            ("1", 0, JsonErrorKind::NotAnObject(ValueKind::Number)),
            ("true", 0, JsonErrorKind::NotAnObject(ValueKind::Bool)),
            ("[1] x", 4, expected(JsonExpected::End)),
            ("[1", 2, expected(JsonExpected::CommaOrArrayEnd)),
        ];
        for &(text, offset, kind) in cases {
            assert_eq!(err(text), (offset, kind), "{text:?}");
        }
    }

    #[test]
    fn valid_strings_and_escapes() {
        for text in [
            r#"{"a":"\"\\\/\b\f\n\r\t"}"#,
            r#"{"a":"\u0000\u001f\u00e9\uFFFF\ud83d\ude00\uD83D\uDE00"}"#,
            "{\"a\":\"caf\u{e9} \u{1f600} \u{7f}\"}",
            r#"{"a":"","":""}"#,
        ] {
            assert_eq!(
                count(text),
                Ok(1 + usize::from(text.contains(r#""":"#))),
                "{text}"
            );
        }
    }

    #[test]
    fn nesting_limit() {
        let mut buf = [0u8; 2 * MAX_DEPTH + 8];
        // MAX_DEPTH levels in all, the top-level object included: accepted.
        let inner = MAX_DEPTH - 1;
        let mut n = 0;
        for b in b"{\"a\":" {
            buf[n] = *b;
            n += 1;
        }
        for _ in 0..inner {
            buf[n] = b'[';
            n += 1;
        }
        for _ in 0..inner {
            buf[n] = b']';
            n += 1;
        }
        buf[n] = b'}';
        n += 1;
        assert_eq!(count(core::str::from_utf8(&buf[..n]).unwrap()), Ok(1));

        // One more: refused where the extra level opens.
        let mut n = 0;
        for b in b"{\"a\":" {
            buf[n] = *b;
            n += 1;
        }
        for _ in 0..=inner {
            buf[n] = b'[';
            n += 1;
        }
        let text = core::str::from_utf8(&buf[..n]).unwrap();
        assert_eq!(err(text), (5 + inner, JsonErrorKind::TooDeep));
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        // Far beyond the limit: refused quickly, no stack growth.
        let buf = [b'['; 100_000];
        let text = core::str::from_utf8(&buf).unwrap();
        assert_eq!(err(text).1, JsonErrorKind::TooDeep);
    }

    #[test]
    fn positions_have_lines_and_columns() {
        let text = "{\n  \"a\": 1,\n  \"b\": é x\n}";
        let e = count(text).unwrap_err();
        assert_eq!(e.kind, expected(JsonExpected::Value));
        assert_eq!(
            e.position,
            Position {
                offset: 19,
                line: 3,
                column: 8
            }
        );
        assert_eq!(
            Position::locate("ab", 99),
            Position {
                offset: 2,
                line: 1,
                column: 3
            }
        );
    }

    #[test]
    fn json_str_decoding() {
        let s = JsonStr::new(r#"a\"b\\c\/d\be\ff\ng\rh\ti\u0041\u00e9\u20ac\ud83d\ude00"#).unwrap();
        let expected = "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti\u{41}\u{e9}\u{20ac}\u{1f600}";
        assert_eq!(s.decoded_len(), expected.len());
        let mut buf = [0u8; 64];
        assert_eq!(s.decode_into(&mut buf).unwrap(), expected);
        assert!(s.eq_str(expected));
        assert!(!s.eq_str("a\"b"));
        assert!(!s.eq_str(""));
        assert!(s.chars().eq(expected.chars()));
        assert!(s.is_escaped());
        assert_eq!(s.as_str(), None);

        let mut small = [0u8; 5];
        assert_eq!(
            s.decode_into(&mut small),
            Err(BufferTooSmall {
                needed: expected.len(),
                available: 5
            })
        );

        let plain = JsonStr::new("plain text é").unwrap();
        assert_eq!(plain.as_str(), Some("plain text é"));
        assert!(!plain.is_escaped());
        assert_eq!(plain.decoded_len(), "plain text é".len());
        assert!(plain == "plain text é");
        let empty = JsonStr::new("").unwrap();
        assert!(empty.is_empty());
        assert_eq!(empty.decoded_len(), 0);
        assert_eq!(empty.decode_into(&mut []).unwrap(), "");
        assert!(empty.eq_str(""));
    }

    #[test]
    fn json_str_equality_is_on_decoded_text() {
        use core::hash::{Hash, Hasher};
        struct Fnv(u64);
        impl Hasher for Fnv {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, bytes: &[u8]) {
                for b in bytes {
                    self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
                }
            }
        }
        let hash = |s: &JsonStr<'_>| {
            let mut h = Fnv(0xcbf2_9ce4_8422_2325);
            s.hash(&mut h);
            h.finish()
        };
        let a = JsonStr::new(r"a\/b").unwrap();
        let b = JsonStr::new("a/b").unwrap();
        let c = JsonStr::new(r"\u0061/b").unwrap();
        let d = JsonStr::new("a/c").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, a);
        assert_eq!(a, c);
        assert_ne!(a, d);
        assert_ne!(d, a);
        assert_eq!(hash(&a), hash(&b));
        assert_eq!(hash(&a), hash(&c));
    }

    #[test]
    fn json_str_new_refuses_invalid_content() {
        for (raw, offset, kind) in [
            (r"a\q", 1, JsonErrorKind::InvalidEscape),
            (r"a\", 1, JsonErrorKind::InvalidEscape),
            (r"\u12", 4, expected(JsonExpected::HexDigit)),
            (r"\udfff", 0, JsonErrorKind::LoneSurrogate),
            ("a\u{1}", 1, JsonErrorKind::ControlCharacter),
            ("a\"b", 1, JsonErrorKind::UnescapedQuote),
        ] {
            let e = JsonStr::new(raw).unwrap_err();
            assert_eq!((e.position.offset, e.kind), (offset, kind), "{raw:?}");
        }
    }

    #[test]
    fn json_str_with_serde_json_core() {
        #[derive(serde::Deserialize)]
        struct Doc<'a> {
            #[serde(rename = "Token", borrow)]
            token: JsonStr<'a>,
            #[serde(rename = "Other", borrow, default)]
            other: Option<JsonStr<'a>>,
        }
        let (doc, _) =
            serde_json_core::from_str::<Doc<'_>>(r#"{"Token":"ab\/c\u002B","Other":null}"#)
                .unwrap();
        assert_eq!(doc.token.raw(), r"ab\/c\u002B");
        assert!(doc.token.eq_str("ab/c+"));
        assert!(doc.other.is_none());
        // An escape serde-json-core would let through is refused.
        assert!(serde_json_core::from_str::<Doc<'_>>(r#"{"Token":"a\q"}"#).is_err());
    }

    #[test]
    fn errors_display() {
        use crate::buf::Writer;
        let e = count("{\n \"a\" 1}").unwrap_err();
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        core::fmt::write(&mut w, format_args!("{e}")).unwrap();
        assert_eq!(
            w.finish().unwrap(),
            "expected ':' at line 2, column 6 (byte 7)"
        );
    }

    #[test]
    fn never_panics_on_prefixes_and_corruptions() {
        let text = r#"{"a":[1,{"b":"c\u00e9\ud83d\ude00\/"}],"n":-1.5e3,"t":true,"z":null}"#;
        let bytes = text.as_bytes();
        for end in 0..=bytes.len() {
            if let Ok(t) = core::str::from_utf8(&bytes[..end]) {
                let _ = count(t);
            }
        }
        let mut buf = [0u8; 128];
        for i in 0..bytes.len() {
            for b in [
                b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b' ', b'u', b'0', 0x01,
            ] {
                buf[..bytes.len()].copy_from_slice(bytes);
                buf[i] = b;
                if let Ok(t) = core::str::from_utf8(&buf[..bytes.len()]) {
                    let _ = count(t);
                }
            }
        }
    }

    /// The first byte that ends plain string text, one byte at a time: what the word-at-a-time
    /// scan must agree with.
    fn plain_len_bytewise(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| matches!(b, b'"' | b'\\' | 0x00..=0x1F))
            .unwrap_or(bytes.len())
    }

    #[test]
    fn specials_marks_exactly_the_special_bytes() {
        for b in 0..=255u8 {
            let special = matches!(b, b'"' | b'\\' | 0x00..=0x1F);
            for lane in 0..8 {
                for filler in [b'A', b' ', b'#', b'[', b']', 0x7F, 0x80, 0xA2, 0xDC, 0xFF] {
                    let mut w = [filler; 8];
                    w[lane] = b;
                    let word = u64::from_le_bytes(w);
                    let mark = specials(word);
                    if special {
                        assert_ne!(mark, 0, "{b:#04x} in lane {lane} among {filler:#04x}");
                        assert_eq!(first_marked(mark), lane, "{b:#04x} among {filler:#04x}");
                        // The cheap test never misses what the exact one finds.
                        assert_ne!(maybe_specials(word) & splat(0x80), 0);
                    } else {
                        assert_eq!(mark, 0, "{b:#04x} in lane {lane} among {filler:#04x}");
                    }
                }
            }
        }
    }

    #[test]
    fn plain_len_finds_the_first_special_byte_at_any_length_and_place() {
        let lengths = (0..=80).chain([
            95, 96, 97, 127, 128, 129, 159, 160, 161, 191, 192, 193, 255, 256, 300, 319, 320, 321,
            448, 449,
        ]);
        let mut buf = [0u8; 449];
        let mut checked = 0u32;
        for len in lengths {
            // Plain ASCII, and bytes beyond ASCII (which set off the cheap block test).
            for filler in [b'A', b' ', 0x7F, 0x80, 0xA2, 0xFF] {
                let text = &mut buf[..len];
                text.fill(filler);
                assert_eq!(plain_len(text), len, "{len} × {filler:#04x}");
                for at in 0..len {
                    for special in [b'"', b'\\', 0x00, 0x1F] {
                        text.fill(filler);
                        text[at] = special;
                        // A second special later must not matter.
                        if at + 9 < len {
                            text[at + 9] = b'"';
                        }
                        assert_eq!(
                            plain_len(text),
                            plain_len_bytewise(text),
                            "{special:#04x} at {at} of {len} × {filler:#04x}"
                        );
                        assert_eq!(plain_len(text), at);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000);
    }

    /// Reads `text` with [`each_member`], guessing keys from `expect`, and checks that every
    /// member and the outcome are what the [`members`] iterator reads.
    fn each_member_agrees(text: &str, expect: &'static [&'static str]) {
        struct Lockstep<'a> {
            text: &'a str,
            iter: Members<'a>,
            expect: &'static [&'static str],
            next: usize,
            guessed: usize,
        }
        impl<'a> Visitor<'a> for Lockstep<'a> {
            fn expected_key(&self) -> Option<&'static str> {
                self.expect.get(self.next).copied()
            }
            fn member(&mut self, m: Member<'a>, expected: bool) {
                let text = self.text;
                let other = match self.iter.next() {
                    Some(Ok(other)) => other,
                    found => panic!("{text:?}: visited {:?}, the iterator has {found:?}", m.key),
                };
                assert_eq!(m.key.raw(), other.key.raw(), "{text:?}");
                assert_eq!(m.key.is_escaped(), other.key.is_escaped(), "{text:?}");
                assert_eq!(m.key_offset, other.key_offset, "{text:?}");
                assert_eq!(m.value, other.value, "{text:?}");
                assert_eq!(m.value_escaped, other.value_escaped, "{text:?}");
                if expected {
                    assert_eq!(Some(m.key.raw()), self.expected_key(), "{text:?}");
                    self.guessed += 1;
                }
                let found = self.expect.iter().position(|k| m.key.eq_str(k));
                self.next = found.map_or(self.next, |i| i + 1);
            }
        }
        let mut lockstep = Lockstep {
            text,
            iter: members(text),
            expect,
            next: 0,
            guessed: 0,
        };
        let read = each_member(text, &mut lockstep);
        match (read, lockstep.iter.next()) {
            (Ok(()), None) => {}
            (Err(e), Some(Err(other))) => assert_eq!(e.locate(text), other, "{text:?}"),
            (read, rest) => panic!("{text:?}: each_member gave {read:?}, the iterator {rest:?}"),
        }
        assert!(lockstep.iter.next().is_none(), "{text:?}");
    }

    #[test]
    fn each_member_reads_as_the_iterator_does() {
        const EXPECT: &[&str] = &["Code", "LastUpdated", "Type", "AccessKeyId", "Token"];
        let texts = [
            "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2026-11-29T01:43:09Z\",\n  \
             \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIAEXAMPLE\",\n  \
             \"Token\" : \"IQoJb3JpZ2luX2VjEBWysSyja9gtlTrjE1CgxoAYUeyUNPWCHgxbJ56T9bJ0BnZCeyA3tP\"\n}",
            r#"{"Code":"Success","LastUpdated":"x","Type":"AWS-HMAC","AccessKeyId":"A","Token":"T"}"#,
            r#"{"Token":"T","Code":"C","Type":"y","Code":"again","Codes":1,"Cod":2,"Cod\u0065":3}"#,
            "{ \"Code\" :\"x\" ,\"Type\"\t:\r\n\"y\" ,\n  \"AccessKeyId\"  : [1, {\"a\": \"b\"}],\n \
             \"Token\": null }",
            "{\n  \"Code\" : 1,\n  \"LastUpdated\" : true,\n  \"Type\" : {\"Code\":\"x\"},\n  \"x\" : \"\"}",
            r#"{"Code\"":"a","Code\\":"b","Code":"c\"d","LastUpdated":"\u00e9\ud83d\ude00"}"#,
            "{}",
            " { } ",
            "{\n  \"Code\" : \"x\",\n  \"LastUpdated\" : \"y\"\n}\n",
        ];
        for text in texts {
            each_member_agrees(text, EXPECT);
            each_member_agrees(text, &[]);
            let bytes = text.as_bytes();
            for end in 0..bytes.len() {
                if let Ok(t) = core::str::from_utf8(&bytes[..end]) {
                    each_member_agrees(t, EXPECT);
                }
            }
            let mut buf = [0u8; 256];
            for i in 0..bytes.len() {
                for b in [b'"', b'\\', b'{', b'}', b',', b':', b' ', b'\n', b'C', 0x01] {
                    buf[..bytes.len()].copy_from_slice(bytes);
                    buf[i] = b;
                    if let Ok(t) = core::str::from_utf8(&buf[..bytes.len()]) {
                        each_member_agrees(t, EXPECT);
                    }
                }
            }
        }
    }

    #[test]
    fn same_short_is_equality() {
        let words: [&[u8]; 12] = [
            b"",
            b"a",
            b"abc",
            b"abcd",
            b"abce",
            b"abcdefg",
            b"abcdefgh",
            b"AAAAAAAAB",
            b"AAAAAAAAAB",
            b"AAAAAAAAAAAAAAAB",
            b"AAAAAAAAAAAAAAAAB",
            b"AAAAAAAAAAAAAAAAAB",
        ];
        for a in words {
            for b in words {
                assert_eq!(same_short(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn layouts_around_the_imds_fast_paths() {
        // IMDS's own layout and its near misses read alike; errors point where they should.
        for text in [
            "{\n  \"a\" : \"x\",\n  \"b\" : \"y\"\n}",
            "{\n  \"a\" :  \"x\",\n   \"b\" :\"y\"}",
            "{\n  \"a\" : 1,\n  \"b\" : [\"y\"]}",
            "{\"a\" :\n\"x\" , \"b\"\n:\t\"y\"}",
        ] {
            assert_eq!(count(text), Ok(2), "{text:?}");
        }
        let cases: &[(&str, usize, JsonErrorKind)] = &[
            // Offsets: `{` 0, `"a"` 4–6, `:` 8, `"x"` 10–12, `,` 13, line break 14.
            ("{\n  \"a\" : \"x\",\n  }", 17, expected(JsonExpected::Key)),
            (
                "{\n  \"a\" : \"x\",\n  \"",
                17,
                JsonErrorKind::UnterminatedString,
            ),
            (
                "{\n  \"a\" : \"x\",\n  \"b\" \"y\"}",
                21,
                expected(JsonExpected::Colon),
            ),
            (
                "{\n  \"a\" : \"x\"\n  \"b\" : \"y\"}",
                16,
                expected(JsonExpected::CommaOrObjectEnd),
            ),
            ("{\n  \"a\" : \"x", 10, JsonErrorKind::UnterminatedString),
            ("{\n  \"a\" : ", 10, expected(JsonExpected::Value)),
            ("{\n  \"a\" :", 9, expected(JsonExpected::Value)),
        ];
        for &(text, offset, kind) in cases {
            assert_eq!(err(text), (offset, kind), "{text:?}");
        }
    }

    #[test]
    fn json_str_knows_whether_it_has_escapes() {
        // The scanner's answer and `JsonStr::new`'s agree with a look for a backslash.
        let text = r#"{"a":"plain","b":"x\/y","c":"","d":"\\","e":"long plain text, well over thirty-two bytes"}"#;
        for m in members(text) {
            let m = m.unwrap();
            let raw = m.value.text;
            let from_text = JsonStr::new(raw).unwrap();
            assert_eq!(m.value_escaped, raw.contains('\\'), "{raw}");
            assert_eq!(from_text.is_escaped(), raw.contains('\\'), "{raw}");
            assert_eq!(from_text.as_str().is_some(), !raw.contains('\\'), "{raw}");
        }
        // Unescaped text is copied in one go; the buffer may be exactly its size.
        let plain = JsonStr::new("ASIAQ3EGUCTVEXAMPLE7").unwrap();
        let mut exact = [0u8; 20];
        assert_eq!(
            plain.decode_into(&mut exact).unwrap(),
            "ASIAQ3EGUCTVEXAMPLE7"
        );
        assert_eq!(plain.decoded_len(), 20);
        let mut short = [0u8; 19];
        assert_eq!(
            plain.decode_into(&mut short),
            Err(BufferTooSmall {
                needed: 20,
                available: 19
            })
        );
        assert!(plain.eq_str("ASIAQ3EGUCTVEXAMPLE7"));
        assert!(!plain.eq_str("ASIAQ3EGUCTVEXAMPLE"));
    }
}
