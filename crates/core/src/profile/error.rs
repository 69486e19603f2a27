//! Why a profile file was rejected, and where.

use core::fmt;

use super::{Dialect, FileKind};

/// What is wrong with a profile file. Each variant's message says what was expected.
///
/// The botocore variants are the lines Python's `configparser` and botocore's
/// `raw_config_parse` reject (spec §3.2, §3.3); botocore reports every one of them as
/// `ConfigParseError` ("Unable to parse config file"), and so the whole file is unusable. The
/// `Sdk` variants carry the cross-SDK parser's messages word for word (aws-config §1.4), which
/// the conformance suite matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The bytes are not UTF-8 (botocore: `UnicodeDecodeError`; both dialects).
    InvalidUtf8,
    /// The file is 4 GiB or larger; offsets are kept in 32 bits.
    TooLarge,
    /// botocore: an option (or any other line) before the first `[section]` header
    /// (`MissingSectionHeaderError`).
    MissingSectionHeader,
    /// botocore: a line inside a section that is neither a header, nor `name = value`, nor
    /// `name: value`.
    MissingDelimiter,
    /// botocore: `= value` or `: value`, a delimiter with no option name before it.
    EmptyOptionName,
    /// botocore: a line that starts with `[` but has no `]` after a name (and no delimiter).
    UnclosedSectionHeader,
    /// botocore: `[]`.
    EmptySectionName,
    /// botocore: a section header that already appeared (strict mode; `[DEFAULT]` may repeat).
    DuplicateSection {
        /// The line of the first header with this name.
        first_line: u32,
    },
    /// botocore: an option set twice in one section (names compared after lowercasing),
    /// including across repeated `[DEFAULT]` sections.
    DuplicateOption {
        /// The line where the option was first set.
        first_line: u32,
    },
    /// botocore: a line without `=` inside a nested block (a value whose first line is empty,
    /// spec §3.3).
    BadNestedLine,
    /// Sdk: a property or continuation before the first profile.
    ExpectedProfile,
    /// Sdk: an indented line right after a profile header.
    ContinuationWithoutProperty,
    /// Sdk: `[` without a closing `]`.
    UnclosedProfile,
    /// Sdk: a property line without `=`.
    PropertyWithoutEquals,
    /// Sdk: a sub-property line without `=`.
    SubPropertyWithoutEquals,
    /// Sdk: `= value`.
    PropertyWithoutName,
    /// Sdk: ` = value` inside a sub-property block.
    SubPropertyWithoutName,
}

impl ParseErrorKind {
    fn message(&self) -> &'static str {
        match self {
            ParseErrorKind::InvalidUtf8 => "expected UTF-8 text, found an invalid byte sequence",
            ParseErrorKind::TooLarge => "expected a file smaller than 4 GiB",
            ParseErrorKind::MissingSectionHeader => {
                "expected a section header such as `[default]` before the first option"
            }
            ParseErrorKind::MissingDelimiter => {
                "expected '=' or ':' between an option name and its value"
            }
            ParseErrorKind::EmptyOptionName => "expected an option name before '=' or ':'",
            ParseErrorKind::UnclosedSectionHeader => "expected ']' to close the section header",
            ParseErrorKind::EmptySectionName => "expected a section name between '[' and ']'",
            ParseErrorKind::DuplicateSection { .. } => {
                "expected each section once (botocore rejects a repeated section)"
            }
            ParseErrorKind::DuplicateOption { .. } => {
                "expected each option once per section (botocore rejects a repeated option, \
                 whatever its case)"
            }
            ParseErrorKind::BadNestedLine => {
                "expected `key = value` on every line of a nested block (the option's value \
                 starts on the next line)"
            }
            ParseErrorKind::ExpectedProfile => "Expected a profile definition",
            ParseErrorKind::ContinuationWithoutProperty => {
                "Expected a property definition, found continuation"
            }
            ParseErrorKind::UnclosedProfile => "Profile definition must end with ']'",
            ParseErrorKind::PropertyWithoutEquals => "Expected an '=' sign defining a property",
            ParseErrorKind::SubPropertyWithoutEquals => {
                "Expected an '=' sign defining a sub-property"
            }
            ParseErrorKind::PropertyWithoutName => "Property did not have a name",
            ParseErrorKind::SubPropertyWithoutName => "Sub-property did not have a name",
        }
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())?;
        match self {
            ParseErrorKind::DuplicateSection { first_line }
            | ParseErrorKind::DuplicateOption { first_line } => {
                write!(f, "; first defined on line {first_line}")
            }
            _ => Ok(()),
        }
    }
}

const EXCERPT: usize = 48;

/// A profile file was rejected: which file, where (1-based line and column, in characters, and
/// the byte offset of the offending spot), and why.
///
/// `Display` gives e.g. ``config file, line 3, column 1: expected '=' or ':' between an option
/// name and its value, found `region us-east-1` ``.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParseError {
    /// The file that was being read.
    pub file: FileKind,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Byte offset into the input.
    pub offset: usize,
    /// What is wrong.
    pub kind: ParseErrorKind,
    excerpt: [u8; EXCERPT],
    excerpt_len: u8,
    truncated: bool,
}

impl ParseError {
    /// The start of the offending line (white space stripped), as found in the file; at most
    /// 48 bytes, cut at a character boundary. Empty for errors that are not about a line.
    pub fn excerpt(&self) -> &str {
        let bytes = self
            .excerpt
            .get(..usize::from(self.excerpt_len))
            .unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }

    /// An error for the line that starts at byte `line_off` of `src`. The column points at the
    /// line's first non-blank character.
    pub(crate) fn at_line(
        file: FileKind,
        dialect: Dialect,
        src: &str,
        line_off: usize,
        kind: ParseErrorKind,
    ) -> Self {
        let raw = match dialect {
            Dialect::Botocore => super::botocore::next_line(src, line_off),
            Dialect::Sdk => super::sdk::next_line(src, line_off),
        }
        .map_or("", |(l, _)| l);
        let (text, body) = match dialect {
            Dialect::Botocore => (
                super::unicode::py_strip(raw),
                raw.trim_start_matches(super::unicode::is_py_space),
            ),
            Dialect::Sdk => (
                super::sdk::trim_ws(raw),
                raw.trim_start_matches([' ', '\t']),
            ),
        };
        let lead = raw
            .get(..raw.len().saturating_sub(body.len()))
            .unwrap_or("");
        let mut e = ParseError {
            file,
            line: line_number(dialect, src, line_off),
            column: u32::try_from(lead.chars().count())
                .unwrap_or(u32::MAX)
                .saturating_add(1),
            offset: line_off.saturating_add(lead.len()),
            kind,
            excerpt: [0; EXCERPT],
            excerpt_len: 0,
            truncated: false,
        };
        e.set_excerpt(text);
        e
    }

    /// An error at byte `offset` that is not about one line's content (invalid UTF-8, size).
    pub(crate) fn at_byte(
        file: FileKind,
        dialect: Dialect,
        src: &str,
        offset: usize,
        kind: ParseErrorKind,
    ) -> Self {
        let before = src.get(..offset).unwrap_or(src);
        let line_start = match dialect {
            Dialect::Botocore => before
                .rfind(['\n', '\r'])
                .map_or(0, |i| i.saturating_add(1)),
            Dialect::Sdk => before.rfind('\n').map_or(0, |i| i.saturating_add(1)),
        };
        let column = before.get(line_start..).map_or(0, |l| l.chars().count());
        ParseError {
            file,
            line: line_number(dialect, src, offset.min(src.len())),
            column: u32::try_from(column).unwrap_or(u32::MAX).saturating_add(1),
            offset,
            kind,
            excerpt: [0; EXCERPT],
            excerpt_len: 0,
            truncated: false,
        }
    }

    fn set_excerpt(&mut self, text: &str) {
        let mut end = text.len().min(EXCERPT);
        while end > 0 && !text.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        let cut = text.get(..end).unwrap_or("");
        if let Some(dst) = self.excerpt.get_mut(..cut.len()) {
            dst.copy_from_slice(cut.as_bytes());
        }
        self.excerpt_len = u8::try_from(cut.len()).unwrap_or(0);
        self.truncated = cut.len() < text.len();
    }
}

/// The 1-based number of the line containing byte `off`.
pub(crate) fn line_number(dialect: Dialect, src: &str, off: usize) -> u32 {
    let before = src.as_bytes().get(..off).unwrap_or(src.as_bytes());
    let ends = match dialect {
        Dialect::Botocore => super::botocore::count_line_ends(before),
        Dialect::Sdk => before.iter().filter(|b| **b == b'\n').count(),
    };
    u32::try_from(ends).unwrap_or(u32::MAX).saturating_add(1)
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParseError")
            .field("file", &self.file)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("offset", &self.offset)
            .field("kind", &self.kind)
            .field("excerpt", &self.excerpt())
            .finish()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, line {}, column {}: {}",
            self.file, self.line, self.column, self.kind
        )?;
        let excerpt = self.excerpt();
        if !excerpt.is_empty() {
            let more = if self.truncated { "…" } else { "" };
            write!(f, ", found `{excerpt}{more}`")?;
        }
        Ok(())
    }
}

impl core::error::Error for ParseError {}
