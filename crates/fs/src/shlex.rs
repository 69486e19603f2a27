//! Splitting a `credential_process` command line as botocore does (spec §7).
//!
//! botocore runs the command without a shell: `compat_shell_split` is `shlex.split(line)` on
//! POSIX, which is Python's `shlex` in POSIX mode with `whitespace_split=True` and no comment
//! characters. So:
//!
//! - words are separated by runs of space, tab, `\r` and `\n` — no other white space;
//! - `'…'` is literal; inside `"…"` a backslash escapes only `\` and `"` and is kept before any
//!   other character (a shell would also escape `$`, `` ` `` and a newline);
//! - outside quotes a backslash makes the next character literal, whatever it is (a newline
//!   included: shlex has no line continuation);
//! - quotes may start or stop in the middle of a word (`a"b c"d` is `ab cd`), and `''` is an
//!   empty word that counts;
//! - `|`, `>`, `$VAR`, `~` and `#` are ordinary characters: no pipes, no redirection, no
//!   expansion, no comments;
//! - an open quote at the end is `No closing quotation`, a backslash at the end (inside
//!   double quotes too) is `No escaped character` (Python's `ValueError` messages).
//!
//! The core has its own `shlex` for `[profile NAME]` section names (two tokens, borrowed, no
//! allocation); here the words are owned, since they become a child's arguments.

use std::fmt;

/// A command line shlex cannot split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SplitError {
    /// A quote is still open at the end.
    NoClosingQuotation,
    /// The line ends with a backslash that escapes nothing.
    NoEscapedCharacter,
}

impl fmt::Display for SplitError {
    /// Python's messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SplitError::NoClosingQuotation => "No closing quotation",
            SplitError::NoEscapedCharacter => "No escaped character",
        })
    }
}

impl std::error::Error for SplitError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between words.
    Space,
    /// In a word, outside quotes.
    Word,
    /// Inside quotes.
    Quote(char),
    /// After a backslash outside quotes.
    EscapeInWord,
    /// After a backslash inside double quotes.
    EscapeInDouble,
}

/// `shlex.split(line)` (POSIX mode).
///
/// ```
/// use credchain_fs::shlex::split;
///
/// assert_eq!(split(r#""my script" 'a b' c\ d"#).unwrap(), ["my script", "a b", "c d"]);
/// assert_eq!(split("tool | tee ~/x $HOME").unwrap(), ["tool", "|", "tee", "~/x", "$HOME"]);
/// assert_eq!(split("a '' b").unwrap(), ["a", "", "b"]);
/// assert!(split("'open").is_err());
/// ```
pub fn split(line: &str) -> Result<Vec<String>, SplitError> {
    let mut words = Vec::new();
    let mut word = String::new();
    // A word is pushed when it ends in `Word` state, which it reaches only by taking a
    // character or closing a quote: so `''` counts as a word, as in Python.
    let mut state = State::Space;
    for c in line.chars() {
        state = match state {
            State::Space | State::Word if matches!(c, ' ' | '\t' | '\r' | '\n') => {
                if state == State::Word {
                    words.push(std::mem::take(&mut word));
                }
                State::Space
            }
            State::Space | State::Word => match c {
                '\\' => State::EscapeInWord,
                '\'' | '"' => State::Quote(c),
                _ => {
                    word.push(c);
                    State::Word
                }
            },
            State::Quote(q) if c == q => State::Word,
            State::Quote('"') if c == '\\' => State::EscapeInDouble,
            State::Quote(q) => {
                word.push(c);
                State::Quote(q)
            }
            State::EscapeInWord => {
                word.push(c);
                State::Word
            }
            State::EscapeInDouble => {
                if c != '\\' && c != '"' {
                    word.push('\\');
                }
                word.push(c);
                State::Quote('"')
            }
        };
    }
    match state {
        State::Space => {}
        State::Word => words.push(word),
        State::Quote(_) => return Err(SplitError::NoClosingQuotation),
        State::EscapeInWord | State::EscapeInDouble => return Err(SplitError::NoEscapedCharacter),
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(split("").unwrap(), Vec::<String>::new());
        assert_eq!(split(" \t\r\n ").unwrap(), Vec::<String>::new());
        assert_eq!(split("a  b\tc\nd").unwrap(), ["a", "b", "c", "d"]);
        assert_eq!(split("a\u{a0}b").unwrap(), ["a\u{a0}b"]);
        assert_eq!(split("a\"b c\"d").unwrap(), ["ab cd"]);
        assert_eq!(split("''").unwrap(), [""]);
        assert_eq!(split("a ''").unwrap(), ["a", ""]);
        assert_eq!(split("\"\"x").unwrap(), ["x"]);
        assert_eq!(split("a\\\nb").unwrap(), ["a\nb"]);
        assert_eq!(split("\"a\\$b\\\"c\\\\d\"").unwrap(), ["a\\$b\"c\\d"]);
        assert_eq!(split("'a\\b'").unwrap(), ["a\\b"]);
        assert_eq!(
            split("# not a comment").unwrap(),
            ["#", "not", "a", "comment"]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(split("'a"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("\"a"), Err(SplitError::NoClosingQuotation));
        assert_eq!(split("\"a\\"), Err(SplitError::NoEscapedCharacter));
        assert_eq!(split("a\\"), Err(SplitError::NoEscapedCharacter));
    }
}
