//! `application/x-www-form-urlencoded` as botocore's request body carries it.
//!
//! botocore's query serializer builds a dictionary of parameters, and `AWSRequest.prepare`
//! turns it into the body with Python's `urllib.parse.urlencode(params, doseq=True)` (spec §8.1).
//! That is `quote_plus` on the UTF-8 bytes of each key and value: ASCII letters, digits and
//! `_ . - ~` stay as they are, a space becomes `+`, and every other byte becomes `%XX` with
//! upper-case hex digits. So `/` is `%2F`, `+` is `%2B`, `=` is `%3D` and `é` is `%C3%A9`.
//! (botocore's own `percent_encode`, which writes a space as `%20`, is used for query strings,
//! not for this body.)

use crate::buf::Writer;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `quote_plus` leaves byte `b` as it is.
const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~')
}

/// Appends `text` encoded as `quote_plus` encodes it.
pub(crate) fn push_quote_plus(out: &mut Writer<'_>, text: &str) {
    push_encoded(out, text, true);
}

/// Appends `text` encoded as botocore's `percent_encode` (Python's `quote` with the safe
/// characters `-._~`): like [`push_quote_plus`], but a space is `%20`.
pub(crate) fn push_percent_encoded(out: &mut Writer<'_>, text: &str) {
    push_encoded(out, text, false);
}

fn push_encoded(out: &mut Writer<'_>, text: &str, plus_for_space: bool) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if is_unreserved(b) {
            continue;
        }
        // Runs of unreserved bytes are ASCII, so these slices lie on character boundaries.
        out.push_str(text.get(start..i).unwrap_or(""));
        if b == b' ' && plus_for_space {
            out.push_str("+");
        } else {
            let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0');
            out.push_char('%');
            out.push_char(char::from(hi));
            out.push_char(char::from(lo));
        }
        start = i.saturating_add(1);
    }
    out.push_str(text.get(start..).unwrap_or(""));
}

/// Appends one `key=value` pair, preceded by `&` unless it is the first.
pub(crate) fn push_pair(out: &mut Writer<'_>, key: &str, value: &str) {
    if !out.is_empty() {
        out.push_str("&");
    }
    push_quote_plus(out, key);
    out.push_str("=");
    push_quote_plus(out, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str, plus: bool) -> heapless::String<128> {
        let mut buf = [0u8; 128];
        let mut w = Writer::new(&mut buf);
        push_encoded(&mut w, s, plus);
        heapless::String::try_from(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn encodes_like_quote_plus_and_quote() {
        assert_eq!(
            enc("a b+c/d=e&f~g_h.i-j", true),
            "a+b%2Bc%2Fd%3De%26f~g_h.i-j"
        );
        assert_eq!(enc("a b", false), "a%20b");
        assert_eq!(enc("é\u{1F600}", true), "%C3%A9%F0%9F%98%80");
        assert_eq!(enc("", true), "");
        assert_eq!(enc("%\n*", true), "%25%0A%2A");
    }
}
