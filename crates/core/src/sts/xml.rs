//! A small, strict XML reader for STS answers.
//!
//! STS answers in XML (the query protocol). The documents are small and plain: a root element,
//! nested elements, text in the leaves, a namespace attribute on the root. This reader takes
//! exactly the XML 1.0 that such documents need, borrowed and without allocating, and refuses
//! the rest with a position:
//!
//! - an optional byte order mark and `<?xml …?>` declaration, comments and processing
//!   instructions outside and between elements, one root element;
//! - start tags with attributes (`name="value"` or `name='value'`, each name once), end tags
//!   that must close the element that is open, empty-element tags (`<a/>`);
//! - in text and attribute values, the five predefined entities (`&lt; &gt; &amp; &apos;
//!   &quot;`) and numeric character references (`&#38;`, `&#x26;`) of characters XML allows;
//!   raw characters must be XML characters too (no control characters but tab, LF and CR), and
//!   `]]>` may not appear in text;
//! - line ends read as XML reads them: `\r\n` and a lone `\r` are `\n` in decoded text.
//!
//! Refused: a document type declaration (`<!DOCTYPE`, and with it every other entity — the
//! classic entity-expansion attacks have nowhere to start), CDATA sections (STS does not send
//! them), text outside the root element, a second root, more than [`MAX_DEPTH`] nested
//! elements, more than [`MAX_ATTRIBUTES`] attributes on one element. Names are compared as
//! written: a prefixed name (`<sts:Credentials>`) is not `Credentials`. botocore's parser
//! (Python's expat through `xml.etree`) reads the same documents the same way where both
//! accept them.
//!
//! [`Reader`] yields [`Event`]s: an element's start, and its end with its text when it holds no
//! child element. Text comes as [`XmlStr`]: borrowed as written, with [`XmlStr::as_str`] when it
//! needs no decoding and [`XmlStr::decode_into`] a caller's buffer when it does.

use core::fmt;

use crate::buf::{BufferTooSmall, Writer};
use crate::document::Position;

/// How deep elements may nest, the root included.
pub const MAX_DEPTH: usize = 32;

/// How many attributes one element may carry.
pub const MAX_ATTRIBUTES: usize = 16;

/// What the reader expected where it stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XmlExpected {
    /// The root element.
    Root,
    /// A name (of an element or an attribute).
    Name,
    /// `=` after an attribute name.
    Equals,
    /// A quote opening an attribute value.
    Quote,
    /// `>` or `/>` closing a tag, or whitespace and an attribute.
    TagEnd,
    /// `;` closing a reference.
    Semicolon,
    /// `-->` closing a comment.
    CommentEnd,
    /// `?>` closing a processing instruction or the declaration.
    PiEnd,
    /// The closing quote of an attribute value.
    ClosingQuote,
    /// The end tag of the open element.
    EndTag,
    /// Nothing but comments, processing instructions and whitespace after the root element.
    End,
}

impl fmt::Display for XmlExpected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            XmlExpected::Root => "the root element",
            XmlExpected::Name => "a name",
            XmlExpected::Equals => "'='",
            XmlExpected::Quote => "a quote opening the attribute value",
            XmlExpected::TagEnd => "'>' or '/>'",
            XmlExpected::Semicolon => "';' ending the reference",
            XmlExpected::CommentEnd => "'-->'",
            XmlExpected::PiEnd => "'?>'",
            XmlExpected::ClosingQuote => "the closing quote of the attribute value",
            XmlExpected::EndTag => "the end tag of the open element",
            XmlExpected::End => "the end of the document",
        })
    }
}

/// What is wrong with an XML text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XmlErrorKind {
    /// Something else was expected here.
    Expected(XmlExpected),
    /// A character XML does not allow (a control character other than tab, LF, CR).
    InvalidCharacter,
    /// `&` that does not start one of the five predefined entities or a character reference
    /// of a character XML allows.
    InvalidReference,
    /// `<` inside an attribute value, or `]]>` in text.
    Forbidden,
    /// An end tag naming another element than the open one; the position is the end tag.
    MismatchedEndTag,
    /// `<!DOCTYPE`: document type declarations (and so custom entities) are refused.
    DoctypeNotAllowed,
    /// `<![CDATA[`: not sent by STS, refused.
    CdataNotSupported,
    /// Elements nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// An element has more than [`MAX_ATTRIBUTES`] attributes.
    TooManyAttributes,
    /// An attribute appears twice on one element.
    DuplicateAttribute,
    /// Non-whitespace text outside the root element.
    TextOutsideRoot,
    /// A comment holding `--`.
    DoubleHyphenInComment,
    /// A processing instruction named `xml` anywhere but at the very start.
    MisplacedDeclaration,
}

/// An XML text that could not be read, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct XmlError {
    /// Where.
    pub position: Position,
    /// What.
    pub kind: XmlErrorKind,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            XmlErrorKind::Expected(e) => write!(f, "expected {e}")?,
            XmlErrorKind::InvalidCharacter => f.write_str("character not allowed in XML")?,
            XmlErrorKind::InvalidReference => f.write_str(
                "invalid reference (expected &lt; &gt; &amp; &apos; &quot; or a character reference)",
            )?,
            XmlErrorKind::Forbidden => f.write_str("'<' in an attribute value or ']]>' in text")?,
            XmlErrorKind::MismatchedEndTag => {
                f.write_str("end tag does not match the open element")?
            }
            XmlErrorKind::DoctypeNotAllowed => {
                f.write_str("document type declarations are not allowed")?
            }
            XmlErrorKind::CdataNotSupported => f.write_str("CDATA sections are not supported")?,
            XmlErrorKind::TooDeep => write!(f, "elements nest deeper than {MAX_DEPTH}")?,
            XmlErrorKind::TooManyAttributes => {
                write!(f, "more than {MAX_ATTRIBUTES} attributes on one element")?
            }
            XmlErrorKind::DuplicateAttribute => f.write_str("attribute appears twice")?,
            XmlErrorKind::TextOutsideRoot => f.write_str("text outside the root element")?,
            XmlErrorKind::DoubleHyphenInComment => f.write_str("'--' inside a comment")?,
            XmlErrorKind::MisplacedDeclaration => {
                f.write_str("XML declaration not at the start of the document")?
            }
        }
        write!(f, " at {}", self.position)
    }
}

impl core::error::Error for XmlError {}

/// A problem at a byte offset, before it gets a line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawXmlError {
    pub(crate) offset: usize,
    pub(crate) kind: XmlErrorKind,
}

impl RawXmlError {
    const fn at(offset: usize, kind: XmlErrorKind) -> RawXmlError {
        RawXmlError { offset, kind }
    }

    pub(crate) fn locate(self, text: &str) -> XmlError {
        XmlError {
            position: Position::locate(text, self.offset),
            kind: self.kind,
        }
    }
}

/// Whether `c` is an XML 1.0 `Char`.
const fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Whether the byte may start a name (ASCII letters, `_`, `:`, and any non-ASCII character).
const fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

/// Whether the byte may continue a name.
const fn is_name_byte(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Reads the reference starting at the `&` at the start of `bytes`: the character and the
/// length of the reference, or `None` when it is not a valid one.
fn reference(bytes: &[u8]) -> Option<(char, usize)> {
    let semi = bytes.iter().take(12).position(|&b| b == b';')?;
    let body = bytes.get(1..semi)?;
    let c = match body {
        b"lt" => '<',
        b"gt" => '>',
        b"amp" => '&',
        b"apos" => '\'',
        b"quot" => '"',
        [b'#', b'x', hex @ ..] => char::from_u32(number(hex, 16)?)?,
        [b'#', dec @ ..] => char::from_u32(number(dec, 10)?)?,
        _ => return None,
    };
    is_xml_char(c).then_some((c, semi.saturating_add(1)))
}

/// The value of the digits in `digits` (at least one, all of `radix`), below 0x110000.
fn number(digits: &[u8], radix: u32) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    let mut n = 0u32;
    for &d in digits {
        let v = char::from(d).to_digit(radix)?;
        n = n.checked_mul(radix)?.checked_add(v)?;
        if n > 0x10_FFFF {
            return None;
        }
    }
    Some(n)
}

/// Checks text (between tags, or an attribute value when `in_attribute`): characters, references,
/// `]]>`. Returns whether it needs decoding (references or CR); offsets are relative to `text`.
fn validate_text(text: &str, in_attribute: bool) -> Result<bool, RawXmlError> {
    let bytes = text.as_bytes();
    let mut escaped = false;
    let mut i = 0usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'&' => {
                let (_, len) = reference(bytes.get(i..).unwrap_or(&[]))
                    .ok_or(RawXmlError::at(i, XmlErrorKind::InvalidReference))?;
                escaped = true;
                i = i.saturating_add(len);
                continue;
            }
            b'\r' => escaped = true,
            b'<' if in_attribute => return Err(RawXmlError::at(i, XmlErrorKind::Forbidden)),
            b']' if !in_attribute && bytes.get(i..i.saturating_add(3)) == Some(b"]]>") => {
                return Err(RawXmlError::at(i, XmlErrorKind::Forbidden));
            }
            b'\t' | b'\n' => {}
            0x00..=0x1F => return Err(RawXmlError::at(i, XmlErrorKind::InvalidCharacter)),
            0x80.. => {
                // Check the whole character (U+FFFE, U+FFFF are not XML characters).
                let c = text.get(i..).and_then(|s| s.chars().next()).unwrap_or('\0');
                if !is_xml_char(c) {
                    return Err(RawXmlError::at(i, XmlErrorKind::InvalidCharacter));
                }
                i = i.saturating_add(c.len_utf8());
                continue;
            }
            _ => {}
        }
        i = i.saturating_add(1);
    }
    Ok(escaped)
}

/// Text from an XML document: borrowed as written, known to be valid.
///
/// Equality, hashing and `Display` are on the decoded text, so `"a&amp;b"` equals `"a&b"`.
///
/// ```
/// use credchain_core::sts::xml::XmlStr;
///
/// let s = XmlStr::new("a&amp;b&#x2F;c\r\n").unwrap();
/// assert_eq!(s.as_str(), None);
/// assert_eq!(s.decoded_len(), 6);
/// let mut buf = [0u8; 6];
/// assert_eq!(s.decode_into(&mut buf).unwrap(), "a&b/c\n");
/// assert!(XmlStr::new("a & b").is_err());
/// ```
#[derive(Clone, Copy)]
pub struct XmlStr<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> XmlStr<'a> {
    /// Checks `raw` as the text of an element and wraps it.
    pub fn new(raw: &'a str) -> Result<XmlStr<'a>, XmlError> {
        if raw.contains('<') {
            let at = raw.find('<').unwrap_or(0);
            return Err(RawXmlError::at(at, XmlErrorKind::Forbidden).locate(raw));
        }
        let escaped = validate_text(raw, false).map_err(|e| e.locate(raw))?;
        Ok(XmlStr { raw, escaped })
    }

    pub(crate) const fn from_checked(raw: &'a str, escaped: bool) -> XmlStr<'a> {
        XmlStr { raw, escaped }
    }

    /// The text as written, references included.
    #[must_use]
    pub const fn raw(&self) -> &'a str {
        self.raw
    }

    /// Whether the text needs decoding (holds a reference or a CR).
    #[must_use]
    pub const fn is_escaped(&self) -> bool {
        self.escaped
    }

    /// The text, when it needs no decoding.
    #[must_use]
    pub const fn as_str(&self) -> Option<&'a str> {
        if self.escaped { None } else { Some(self.raw) }
    }

    /// Whether the decoded text is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The decoded text's length in bytes.
    #[must_use]
    pub fn decoded_len(&self) -> usize {
        if !self.escaped {
            return self.raw.len();
        }
        self.chars()
            .fold(0usize, |n, c| n.saturating_add(c.len_utf8()))
    }

    /// Writes the decoded text into `buf`.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, BufferTooSmall> {
        let mut w = Writer::new(buf);
        if let Some(s) = self.as_str() {
            w.push_str(s);
        } else {
            for c in self.chars() {
                w.push_char(c);
            }
        }
        w.finish()
    }

    /// Whether the decoded text is `s`.
    #[must_use]
    pub fn eq_str(&self, s: &str) -> bool {
        match self.as_str() {
            Some(t) => t == s,
            None => self.chars().eq(s.chars()),
        }
    }

    /// The decoded characters.
    #[must_use]
    pub fn chars(&self) -> XmlChars<'a> {
        XmlChars {
            text: self.raw,
            pos: 0,
        }
    }

    /// The raw text between the `n`-th and `n+1`-th decoded occurrences of `sep` (counting from
    /// 0), as text of its own; the last field runs to the end. `None` when there are fewer
    /// separators. Raw slices between decoded characters are whole references, so they are
    /// valid text.
    pub(crate) fn field(&self, sep: char, n: usize) -> Option<XmlStr<'a>> {
        let mut seen = 0usize;
        let mut start = 0usize;
        let mut chars = self.chars();
        loop {
            let before = chars.pos;
            match chars.next() {
                Some(c) if c == sep => {
                    if seen == n {
                        let raw = self.raw.get(start..before)?;
                        return Some(XmlStr::from_checked(raw, self.escaped));
                    }
                    seen = seen.saturating_add(1);
                    start = chars.pos;
                }
                Some(_) => {}
                None => {
                    if seen == n {
                        let raw = self.raw.get(start..)?;
                        return Some(XmlStr::from_checked(raw, self.escaped));
                    }
                    return None;
                }
            }
        }
    }
}

/// The decoded characters of an [`XmlStr`].
#[derive(Debug, Clone)]
pub struct XmlChars<'a> {
    text: &'a str,
    pos: usize,
}

impl Iterator for XmlChars<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        let bytes = self.text.as_bytes();
        let b = *bytes.get(self.pos)?;
        match b {
            b'&' => {
                // Checked when the text was read; a broken one ends the text.
                let (c, len) = reference(bytes.get(self.pos..).unwrap_or(&[]))?;
                self.pos = self.pos.saturating_add(len);
                Some(c)
            }
            b'\r' => {
                self.pos = self.pos.saturating_add(1);
                if bytes.get(self.pos) == Some(&b'\n') {
                    self.pos = self.pos.saturating_add(1);
                }
                Some('\n')
            }
            _ => {
                let c = self.text.get(self.pos..)?.chars().next()?;
                self.pos = self.pos.saturating_add(c.len_utf8());
                Some(c)
            }
        }
    }
}

impl fmt::Debug for XmlStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        for c in self.chars().flat_map(char::escape_debug) {
            fmt::Write::write_char(f, c)?;
        }
        f.write_str("\"")
    }
}

impl fmt::Display for XmlStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => f.write_str(s),
            None => self.chars().try_for_each(|c| fmt::Write::write_char(f, c)),
        }
    }
}

impl PartialEq for XmlStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.chars().eq(other.chars())
    }
}

impl Eq for XmlStr<'_> {}

impl PartialEq<str> for XmlStr<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_str(other)
    }
}

impl PartialEq<&str> for XmlStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_str(other)
    }
}

impl core::hash::Hash for XmlStr<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        for c in self.chars() {
            state.write_u32(u32::from(c));
        }
        state.write_u8(0xff);
    }
}

/// Appends `text` escaped for XML content or a double-quoted attribute: `&`, `<`, `>`, `"`
/// as entities, CR as `&#13;` (so that it survives line-end normalisation).
pub(crate) fn push_escaped(out: &mut Writer<'_>, text: &str) {
    let mut start = 0usize;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\r' => "&#13;",
            _ => continue,
        };
        out.push_str(text.get(start..i).unwrap_or(""));
        out.push_str(rep);
        start = i.saturating_add(1);
    }
    out.push_str(text.get(start..).unwrap_or(""));
}

/// What the reader found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// An element starts (for `<a/>`, followed at once by its [`Event::End`]).
    Start {
        /// Its name.
        name: &'a str,
        /// Where its `<` is.
        offset: usize,
    },
    /// An element ends.
    End {
        /// Its name.
        name: &'a str,
        /// Its text when it holds no child element (an empty element has empty text); `None`
        /// when it has children.
        text: Option<XmlStr<'a>>,
        /// Where its start tag's `<` is.
        offset: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before the root element.
    Prolog,
    /// Inside the root element.
    Content,
    /// The empty element just started must be ended.
    PendingEnd,
    /// After the root element.
    Epilog,
    /// Finished or failed.
    Done,
}

#[derive(Debug, Clone, Copy)]
struct Open<'a> {
    name: &'a str,
    offset: usize,
    /// Where its content starts (after the start tag's `>`).
    content: usize,
    /// Whether a child element was found.
    has_children: bool,
}

/// A pull reader over an XML document: yields each element's start and end, checks everything
/// described in the [module documentation](self), and stops at the first error.
///
/// ```
/// use credchain_core::sts::xml::{Event, Reader};
///
/// let mut r = Reader::new("<?xml version=\"1.0\"?><a x='1'><b>t&amp;u</b><c/></a>");
/// assert!(matches!(r.next(), Some(Ok(Event::Start { name: "a", .. }))));
/// assert!(matches!(r.next(), Some(Ok(Event::Start { name: "b", .. }))));
/// let Some(Ok(Event::End { name: "b", text: Some(t), .. })) = r.next() else { panic!() };
/// assert!(t.eq_str("t&u"));
/// assert_eq!(r.path().len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    text: &'a str,
    pos: usize,
    phase: Phase,
    stack: heapless::Vec<Open<'a>, MAX_DEPTH>,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `text`.
    #[must_use]
    pub fn new(text: &'a str) -> Reader<'a> {
        Reader {
            text,
            pos: 0,
            phase: Phase::Prolog,
            stack: heapless::Vec::new(),
        }
    }

    /// The text being read.
    #[must_use]
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The names of the open elements, root first. After an [`Event::End`], the ended element
    /// is no longer in it; after an [`Event::Start`], the started one is the last.
    pub fn path(&self) -> impl ExactSizeIterator<Item = &'a str> + DoubleEndedIterator + '_ {
        self.stack.iter().map(|o| o.name)
    }

    /// How many elements are open.
    #[must_use]
    pub fn depth(&self) -> usize {
        self.stack.len()
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.bytes()
            .get(self.pos..)
            .is_some_and(|b| b.starts_with(s.as_bytes()))
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(is_space) {
            self.pos = self.pos.saturating_add(1);
        }
    }

    fn err(&self, kind: XmlErrorKind) -> RawXmlError {
        RawXmlError::at(self.pos, kind)
    }

    fn expected(&self, what: XmlExpected) -> RawXmlError {
        self.err(XmlErrorKind::Expected(what))
    }

    /// A name at the cursor.
    fn name(&mut self) -> Result<&'a str, RawXmlError> {
        let start = self.pos;
        if !self.peek().is_some_and(is_name_start) {
            return Err(self.expected(XmlExpected::Name));
        }
        while self.peek().is_some_and(is_name_byte) {
            self.pos = self.pos.saturating_add(1);
        }
        // Name bytes stop only at ASCII bytes, so the end is a character boundary; check
        // the non-ASCII characters are XML characters.
        let name = self.text.get(start..self.pos).unwrap_or("");
        if let Some(i) = name
            .char_indices()
            .find(|&(_, c)| !is_xml_char(c))
            .map(|(i, _)| i)
        {
            return Err(RawXmlError::at(
                start.saturating_add(i),
                XmlErrorKind::InvalidCharacter,
            ));
        }
        Ok(name)
    }

    /// A comment at `<!--`; the cursor moves past it.
    fn comment(&mut self) -> Result<(), RawXmlError> {
        let start = self.pos.saturating_add(4);
        let rest = self.bytes().get(start..).unwrap_or(&[]);
        let Some(end) = rest.windows(2).position(|w| w == b"--") else {
            self.pos = self.text.len();
            return Err(self.expected(XmlExpected::CommentEnd));
        };
        let dashes = start.saturating_add(end);
        if self.bytes().get(dashes.saturating_add(2)) != Some(&b'>') {
            return Err(RawXmlError::at(dashes, XmlErrorKind::DoubleHyphenInComment));
        }
        let body = self.text.get(start..dashes).unwrap_or("");
        check_chars(body, start)?;
        self.pos = dashes.saturating_add(3);
        Ok(())
    }

    /// A processing instruction at `<?`; `first` when it is at the very start (the only place
    /// the `xml` declaration may be).
    fn pi(&mut self, first: bool) -> Result<(), RawXmlError> {
        let at = self.pos;
        self.pos = self.pos.saturating_add(2);
        let target = self.name()?;
        if target.eq_ignore_ascii_case("xml") && !(first && target == "xml") {
            return Err(RawXmlError::at(at, XmlErrorKind::MisplacedDeclaration));
        }
        let start = self.pos;
        let rest = self.bytes().get(start..).unwrap_or(&[]);
        let Some(end) = rest.windows(2).position(|w| w == b"?>") else {
            self.pos = self.text.len();
            return Err(self.expected(XmlExpected::PiEnd));
        };
        let body_end = start.saturating_add(end);
        let body = self.text.get(start..body_end).unwrap_or("");
        if !body.is_empty() && !body.as_bytes().first().copied().is_some_and(is_space) {
            return Err(RawXmlError::at(
                start,
                XmlErrorKind::Expected(XmlExpected::PiEnd),
            ));
        }
        check_chars(body, start)?;
        self.pos = body_end.saturating_add(2);
        Ok(())
    }

    /// Comments, processing instructions and whitespace outside the root; refuses text.
    fn misc(&mut self) -> Result<(), RawXmlError> {
        loop {
            self.skip_space();
            if self.starts_with("<!--") {
                self.comment()?;
            } else if self.starts_with("<!DOCTYPE") {
                return Err(self.err(XmlErrorKind::DoctypeNotAllowed));
            } else if self.starts_with("<?") {
                self.pi(false)?;
            } else {
                return Ok(());
            }
        }
    }

    /// A start tag at `<`.
    fn start_tag(&mut self) -> Result<Event<'a>, RawXmlError> {
        let offset = self.pos;
        self.pos = self.pos.saturating_add(1);
        let name = self.name()?;
        let mut attrs: heapless::Vec<&'a str, MAX_ATTRIBUTES> = heapless::Vec::new();
        loop {
            let before = self.pos;
            self.skip_space();
            match self.peek() {
                Some(b'>') => {
                    self.pos = self.pos.saturating_add(1);
                    self.open(name, offset)?;
                    return Ok(Event::Start { name, offset });
                }
                Some(b'/') => {
                    if self.bytes().get(self.pos.saturating_add(1)) != Some(&b'>') {
                        return Err(self.expected(XmlExpected::TagEnd));
                    }
                    self.pos = self.pos.saturating_add(2);
                    self.open(name, offset)?;
                    self.phase = Phase::PendingEnd;
                    return Ok(Event::Start { name, offset });
                }
                Some(_) if self.pos > before => {
                    let at = self.pos;
                    let attr = self.name()?;
                    if attrs.contains(&attr) {
                        return Err(RawXmlError::at(at, XmlErrorKind::DuplicateAttribute));
                    }
                    attrs
                        .push(attr)
                        .map_err(|_| RawXmlError::at(at, XmlErrorKind::TooManyAttributes))?;
                    self.skip_space();
                    if self.peek() != Some(b'=') {
                        return Err(self.expected(XmlExpected::Equals));
                    }
                    self.pos = self.pos.saturating_add(1);
                    self.skip_space();
                    let quote = match self.peek() {
                        Some(q @ (b'"' | b'\'')) => q,
                        _ => return Err(self.expected(XmlExpected::Quote)),
                    };
                    let start = self.pos.saturating_add(1);
                    let rest = self.bytes().get(start..).unwrap_or(&[]);
                    let Some(len) = rest.iter().position(|&b| b == quote) else {
                        self.pos = self.text.len();
                        return Err(self.expected(XmlExpected::ClosingQuote));
                    };
                    let end = start.saturating_add(len);
                    let value = self.text.get(start..end).unwrap_or("");
                    validate_text(value, true)
                        .map_err(|e| RawXmlError::at(e.offset.saturating_add(start), e.kind))?;
                    self.pos = end.saturating_add(1);
                }
                _ => return Err(self.expected(XmlExpected::TagEnd)),
            }
        }
    }

    fn open(&mut self, name: &'a str, offset: usize) -> Result<(), RawXmlError> {
        if let Some(parent) = self.stack.last_mut() {
            parent.has_children = true;
        }
        self.stack
            .push(Open {
                name,
                offset,
                content: self.pos,
                has_children: false,
            })
            .map_err(|_| RawXmlError::at(offset, XmlErrorKind::TooDeep))
    }

    /// Ends the innermost element; `content_end` is where its content ends.
    fn close(&mut self, content_end: usize) -> Event<'a> {
        let Some(open) = self.stack.pop() else {
            self.phase = Phase::Done;
            return Event::End {
                name: "",
                text: None,
                offset: 0,
            };
        };
        let text = if open.has_children {
            None
        } else {
            let raw = self.text.get(open.content..content_end).unwrap_or("");
            // Checked as it was read; recomputing whether it needs decoding is cheap.
            let escaped = raw.bytes().any(|b| b == b'&' || b == b'\r');
            Some(XmlStr::from_checked(raw, escaped))
        };
        self.phase = if self.stack.is_empty() {
            Phase::Epilog
        } else {
            Phase::Content
        };
        Event::End {
            name: open.name,
            text,
            offset: open.offset,
        }
    }

    fn step(&mut self) -> Result<Option<Event<'a>>, RawXmlError> {
        match self.phase {
            Phase::Done => Ok(None),
            Phase::Prolog => {
                if self.starts_with("\u{FEFF}") {
                    self.pos = 3;
                }
                if self.starts_with("<?xml") {
                    self.pi(true)?;
                }
                self.misc()?;
                if self.starts_with("<![CDATA[") {
                    return Err(self.err(XmlErrorKind::CdataNotSupported));
                }
                if self.peek() != Some(b'<')
                    || !self
                        .bytes()
                        .get(self.pos.saturating_add(1))
                        .copied()
                        .is_some_and(is_name_start)
                {
                    return Err(self.expected(XmlExpected::Root));
                }
                self.phase = Phase::Content;
                self.start_tag().map(Some)
            }
            Phase::PendingEnd => {
                let end = self.pos;
                Ok(Some(self.close(end)))
            }
            Phase::Content => loop {
                // Text up to the next markup.
                let start = self.pos;
                let rest = self.bytes().get(start..).unwrap_or(&[]);
                let len = rest.iter().position(|&b| b == b'<').unwrap_or(rest.len());
                let end = start.saturating_add(len);
                let text = self.text.get(start..end).unwrap_or("");
                validate_text(text, false)
                    .map_err(|e| RawXmlError::at(e.offset.saturating_add(start), e.kind))?;
                self.pos = end;
                if self.peek().is_none() {
                    return Err(self.expected(XmlExpected::EndTag));
                }
                if self.starts_with("</") {
                    let at = self.pos;
                    self.pos = self.pos.saturating_add(2);
                    let name = self.name()?;
                    self.skip_space();
                    if self.peek() != Some(b'>') {
                        return Err(self.expected(XmlExpected::TagEnd));
                    }
                    if self.stack.last().map(|o| o.name) != Some(name) {
                        return Err(RawXmlError::at(at, XmlErrorKind::MismatchedEndTag));
                    }
                    self.pos = self.pos.saturating_add(1);
                    return Ok(Some(self.close(at)));
                }
                if self.starts_with("<!--") {
                    // A comment makes the element's text no longer one run: treat it as a
                    // child, so that nobody reads the text as the value.
                    if let Some(open) = self.stack.last_mut() {
                        open.has_children = true;
                    }
                    self.comment()?;
                    continue;
                }
                if self.starts_with("<![CDATA[") {
                    return Err(self.err(XmlErrorKind::CdataNotSupported));
                }
                if self.starts_with("<!DOCTYPE") {
                    return Err(self.err(XmlErrorKind::DoctypeNotAllowed));
                }
                if self.starts_with("<?") {
                    if let Some(open) = self.stack.last_mut() {
                        open.has_children = true;
                    }
                    self.pi(false)?;
                    continue;
                }
                return self.start_tag().map(Some);
            },
            Phase::Epilog => {
                self.misc()?;
                if self.peek().is_some() {
                    let kind = if self.peek() == Some(b'<') {
                        XmlErrorKind::Expected(XmlExpected::End)
                    } else {
                        XmlErrorKind::TextOutsideRoot
                    };
                    return Err(self.err(kind));
                }
                self.phase = Phase::Done;
                Ok(None)
            }
        }
    }
}

/// Checks that `body` (at `offset` in the document) holds only XML characters.
fn check_chars(body: &str, offset: usize) -> Result<(), RawXmlError> {
    match body.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        Some((i, _)) => Err(RawXmlError::at(
            offset.saturating_add(i),
            XmlErrorKind::InvalidCharacter,
        )),
        None => Ok(()),
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Event<'a>, XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.step() {
            Ok(e) => e.map(Ok),
            Err(e) => {
                self.phase = Phase::Done;
                Some(Err(e.locate(self.text)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<usize, XmlError> {
        let mut n = 0;
        for e in Reader::new(text) {
            e?;
            n += 1;
        }
        Ok(n)
    }

    fn kind(text: &str) -> (usize, XmlErrorKind) {
        let e = check(text).unwrap_err();
        (e.position.offset, e.kind)
    }

    #[test]
    fn reads_documents() {
        assert_eq!(check("<a/>"), Ok(2));
        assert_eq!(
            check(
                "\u{FEFF}<?xml version='1.0' encoding='UTF-8'?>\n<!-- c --><a\n x = \"1\" y='&lt;'><b>x</b> <c></c><?pi x?></a>\n<!--e-->\n"
            ),
            Ok(6)
        );
        let mut r = Reader::new("<a><b>1<!--x-->2</b></a>");
        r.next();
        r.next();
        assert!(matches!(
            r.next(),
            Some(Ok(Event::End {
                name: "b",
                text: None,
                ..
            }))
        ));
    }

    #[test]
    fn refuses_with_positions() {
        use XmlErrorKind as K;
        let cases: &[(&str, usize, XmlErrorKind)] = &[
            ("", 0, K::Expected(XmlExpected::Root)),
            ("text", 0, K::Expected(XmlExpected::Root)),
            ("<a>", 3, K::Expected(XmlExpected::EndTag)),
            ("<a></b>", 3, K::MismatchedEndTag),
            ("<a><b></a>", 6, K::MismatchedEndTag),
            ("<a>&foo;</a>", 3, K::InvalidReference),
            ("<a>&#0;</a>", 3, K::InvalidReference),
            ("<a>&#x110000;</a>", 3, K::InvalidReference),
            ("<a>& </a>", 3, K::InvalidReference),
            ("<a>\u{1}</a>", 3, K::InvalidCharacter),
            ("<a>]]></a>", 3, K::Forbidden),
            (
                "<!DOCTYPE a [<!ENTITY x 'y'>]><a/>",
                0,
                K::DoctypeNotAllowed,
            ),
            ("<a><![CDATA[x]]></a>", 3, K::CdataNotSupported),
            ("<a/><b/>", 4, K::Expected(XmlExpected::End)),
            ("<a/>x", 4, K::TextOutsideRoot),
            ("<a></a x>", 7, K::Expected(XmlExpected::TagEnd)),
            ("<a x='1' x='2'/>", 9, K::DuplicateAttribute),
            ("<a x='<'/>", 6, K::Forbidden),
            ("<a x=1/>", 5, K::Expected(XmlExpected::Quote)),
            ("<a x='1'y='2'/>", 8, K::Expected(XmlExpected::TagEnd)),
            ("<!-- a -- b --><a/>", 7, K::DoubleHyphenInComment),
            ("<a/><?xml version='1.0'?>", 4, K::MisplacedDeclaration),
        ];
        for &(text, offset, k) in cases {
            assert_eq!(kind(text), (offset, k), "{text:?}");
        }
        assert_eq!(check("<a></a >"), Ok(2));
        let mut deep = heapless::String::<256>::new();
        for _ in 0..=MAX_DEPTH {
            deep.push_str("<a>").unwrap();
        }
        assert_eq!(kind(&deep).1, K::TooDeep);
    }

    #[test]
    fn decodes_text() {
        let s = XmlStr::new("&lt;&gt;&amp;&apos;&quot;&#65;&#x42;\r\r\nx").unwrap();
        let mut buf = [0u8; 32];
        assert_eq!(s.decode_into(&mut buf).unwrap(), "<>&'\"AB\n\nx");
        assert_eq!(s.decoded_len(), 10);
        assert_eq!(s.field(':', 0).unwrap(), s);
        let arn = XmlStr::new("arn&#58;aws:sts::1:x").unwrap();
        assert!(arn.field(':', 4).unwrap().eq_str("1"));
        assert!(arn.field(':', 5).unwrap().eq_str("x"));
        assert!(arn.field(':', 6).is_none());
    }
}
