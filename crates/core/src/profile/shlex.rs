//! The part of Python's `shlex.split` that botocore applies to section names (spec §3.4).
//!
//! `build_profile_map` turns `[profile NAME]` into a profile by `shlex.split(section_name)` and
//! keeps the section only when that yields exactly two tokens; the second is the profile name.
//! `shlex.split` runs in POSIX mode with `whitespace_split=True` and no comment characters, so
//! the rules are:
//!
//! - tokens are separated by runs of space, tab, `\r` or `\n` (no other white space);
//! - inside a token, `'…'` is literal text, the quotes removed;
//! - inside `"…"`, a backslash escapes only `\` and `"` (Python's shlex keeps the backslash before
//!   any other character, unlike a POSIX shell, which also escapes `$`, `` ` `` and newline);
//! - outside quotes a backslash makes the next character literal, whatever it is;
//! - quotes may appear mid-token (`a"b c"d` is the one token `ab cd`), and `''` is an empty
//!   token that still counts;
//! - an unclosed quote or a trailing backslash is an error (`ValueError`), and botocore then
//!   ignores the section.
//!
//! [`split2`] checks a name and finds the raw text of its two tokens without copying;
//! [`Decoded`] walks a raw token and yields its decoded text as borrowed fragments.

/// Whether shlex separates tokens at `c`.
fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between tokens.
    Space,
    /// Inside a token, outside quotes.
    Word,
    /// Inside quotes.
    Quote(char),
    /// After a backslash; the state to go back to.
    Escape(Escaped),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Escaped {
    Word,
    DoubleQuote,
}

/// Splits `s` like `shlex.split(s)`, and returns the raw text (quotes and backslashes still in)
/// of its two tokens when there are exactly two. `None` for any other count or a shlex error.
pub(crate) fn split2(s: &str) -> Option<(&str, &str)> {
    let mut state = State::Space;
    let mut tokens: [(usize, usize); 2] = [(0, 0); 2];
    let mut count = 0usize;
    let mut start = 0usize;
    let mut push = |start: usize, end: usize, count: &mut usize| -> bool {
        if let Some(slot) = tokens.get_mut(*count) {
            *slot = (start, end);
        }
        *count = count.saturating_add(1);
        *count <= 2
    };
    for (i, c) in s.char_indices() {
        state = match state {
            State::Space => {
                if is_sep(c) {
                    State::Space
                } else {
                    start = i;
                    match c {
                        '\\' => State::Escape(Escaped::Word),
                        '\'' | '"' => State::Quote(c),
                        _ => State::Word,
                    }
                }
            }
            State::Word => match c {
                _ if is_sep(c) => {
                    if !push(start, i, &mut count) {
                        return None;
                    }
                    State::Space
                }
                '\\' => State::Escape(Escaped::Word),
                '\'' | '"' => State::Quote(c),
                _ => State::Word,
            },
            State::Quote(q) => {
                if c == q {
                    State::Word
                } else if q == '"' && c == '\\' {
                    State::Escape(Escaped::DoubleQuote)
                } else {
                    State::Quote(q)
                }
            }
            State::Escape(Escaped::Word) => State::Word,
            State::Escape(Escaped::DoubleQuote) => State::Quote('"'),
        };
    }
    match state {
        State::Space => {}
        State::Word => {
            if !push(start, s.len(), &mut count) {
                return None;
            }
        }
        // "No closing quotation" / "No escaped character".
        State::Quote(_) | State::Escape(_) => return None,
    }
    if count != 2 {
        return None;
    }
    let [(a0, a1), (b0, b1)] = tokens;
    Some((s.get(a0..a1)?, s.get(b0..b1)?))
}

/// Whether a raw token decodes to itself (no quote or backslash in it).
#[inline]
pub(crate) fn is_plain(token: &str) -> bool {
    !token.bytes().any(|b| matches!(b, b'\'' | b'"' | b'\\'))
}

/// The decoded text of a raw shlex token, as fragments borrowed from the token.
#[derive(Debug, Clone)]
pub(crate) struct Decoded<'a> {
    rest: &'a str,
    /// Inside `'…'` or `"…"`: the quote character.
    quote: Option<char>,
}

impl<'a> Decoded<'a> {
    /// Decodes `token`, which [`split2`] accepted.
    pub(crate) fn new(token: &'a str) -> Self {
        Decoded {
            rest: token,
            quote: None,
        }
    }
}

impl<'a> Iterator for Decoded<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        loop {
            let mut chars = self.rest.char_indices();
            let (_, first) = chars.next()?;
            match (self.quote, first) {
                // A backslash outside quotes: the next character, whatever it is, is literal.
                (None, '\\') => {
                    let after = self.rest.get(1..)?;
                    let len = after.chars().next().map_or(0, char::len_utf8);
                    let (lit, rest) = after.split_at_checked(len)?;
                    self.rest = rest;
                    return Some(lit);
                }
                (None, '\'' | '"') => {
                    self.quote = Some(first);
                    self.rest = self.rest.get(1..)?;
                }
                // Inside double quotes, `\\` and `\"` drop the backslash; `\x` keeps both.
                (Some('"'), '\\') => match self.rest.get(1..2) {
                    Some(esc @ ("\\" | "\"")) => {
                        self.rest = self.rest.get(2..)?;
                        return Some(esc);
                    }
                    _ => {
                        // Literal backslash, then continue the run from the next character.
                        let end = self.run_end(1);
                        let (lit, rest) = self.rest.split_at_checked(end)?;
                        self.rest = rest;
                        return Some(lit);
                    }
                },
                (Some(q), c) if c == q => {
                    self.quote = None;
                    self.rest = self.rest.get(1..)?;
                }
                _ => {
                    let end = self.run_end(0);
                    let (lit, rest) = self.rest.split_at_checked(end)?;
                    self.rest = rest;
                    if !lit.is_empty() {
                        return Some(lit);
                    }
                }
            }
        }
    }
}

impl Decoded<'_> {
    /// The end of the literal run that starts at byte `from` of `rest`.
    fn run_end(&self, from: usize) -> usize {
        let tail = self.rest.get(from..).unwrap_or("");
        let stop = tail.find(|c: char| match self.quote {
            None => matches!(c, '\\' | '\'' | '"'),
            Some('\'') => c == '\'',
            Some(_) => matches!(c, '\\' | '"'),
        });
        from.saturating_add(stop.unwrap_or(tail.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(token: &str) -> heapless::String<64> {
        let mut out = heapless::String::new();
        for f in Decoded::new(token) {
            out.push_str(f).unwrap();
        }
        out
    }

    #[test]
    fn two_tokens_or_nothing() {
        assert_eq!(split2("profile foo"), Some(("profile", "foo")));
        assert_eq!(split2("  profile \t foo  "), Some(("profile", "foo")));
        assert_eq!(split2("profile\tfoo"), Some(("profile", "foo")));
        assert_eq!(split2("profilefoo bar"), Some(("profilefoo", "bar")));
        assert_eq!(
            split2("profile \"my profile\""),
            Some(("profile", "\"my profile\""))
        );
        assert_eq!(split2("profile a b"), None);
        assert_eq!(split2("profile \"a\" \"b\""), None);
        assert_eq!(split2("profile"), None);
        assert_eq!(split2("profile \"unclosed"), None);
        assert_eq!(split2("profile 'unclosed"), None);
        assert_eq!(split2("profile trailing\\"), None);
        assert_eq!(split2("profile ''"), Some(("profile", "''")));
        assert_eq!(split2("profile a\\ b"), Some(("profile", "a\\ b")));
        assert_eq!(split2("pro\"file x\" y"), Some(("pro\"file x\"", "y")));
        // Non-breaking space is not a shlex separator.
        assert_eq!(split2("profile a\u{a0}b"), Some(("profile", "a\u{a0}b")));
    }

    #[test]
    fn decoding_follows_python_posix_rules() {
        assert_eq!(decode("foo"), "foo");
        assert_eq!(decode("\"my profile\""), "my profile");
        assert_eq!(decode("'q x'"), "q x");
        assert_eq!(decode("''"), "");
        assert_eq!(decode("a\"b c\"d"), "ab cd");
        assert_eq!(decode("a\\ b"), "a b");
        assert_eq!(decode("\\'x"), "'x");
        assert_eq!(decode("\"a\\\"b\""), "a\"b");
        assert_eq!(decode("\"a\\\\b\""), "a\\b");
        // Python's shlex keeps the backslash before `$` inside double quotes.
        assert_eq!(decode("\"a\\$b\""), "a\\$b");
        assert_eq!(decode("'a\\b'"), "a\\b");
        assert_eq!(decode("é\\ü"), "éü");
    }
}
