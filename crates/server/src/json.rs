//! The JSON the servers write.
//!
//! IMDS pretty-prints its documents in a style of its own: two spaces of indentation and a
//! space on each side of the colon, `"Code" : "Success"` (imds-and-tools §2.3), with no newline
//! after the closing brace. Clients must not care, but a faithful imitation writes it that way,
//! so a client that only works with compact JSON fails here as it would on EC2. The container
//! endpoint writes compact JSON.

/// A value in a flat document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    Str(&'a str),
    Null,
}

/// Appends `v` as JSON. Serialising a `str` into memory cannot fail; were it to, the value
/// would read `""`.
fn push_value(out: &mut Vec<u8>, v: Val<'_>) {
    match v {
        Val::Str(s) => {
            let mark = out.len();
            if serde_json::to_writer(&mut *out, s).is_err() {
                out.truncate(mark);
                out.extend_from_slice(b"\"\"");
            }
        }
        Val::Null => out.extend_from_slice(b"null"),
    }
}

/// Writes `fields` between `open` and `close`, each as `key sep value`, joined by `join`, into
/// one buffer (a document is written once per request: no string per field).
fn write_object(
    fields: &[(&str, Val<'_>)],
    [open, sep, join, close]: [&str; 4],
    indent: &str,
) -> String {
    let room = fields.iter().fold(64usize, |n, (k, v)| {
        let v = match v {
            Val::Str(s) => s.len(),
            Val::Null => 4,
        };
        n.saturating_add(k.len())
            .saturating_add(v)
            .saturating_add(16)
    });
    let mut out = Vec::with_capacity(room);
    out.extend_from_slice(open.as_bytes());
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(join.as_bytes());
        }
        out.extend_from_slice(indent.as_bytes());
        push_value(&mut out, Val::Str(k));
        out.extend_from_slice(sep.as_bytes());
        push_value(&mut out, *v);
    }
    out.extend_from_slice(close.as_bytes());
    // Only UTF-8 went in: the separators, and serde_json's output for `str`s.
    String::from_utf8(out).unwrap_or_default()
}

/// `{\n  "Key" : "value",\n  …\n}` with no trailing newline.
pub(crate) fn imds_pretty(fields: &[(&str, Val<'_>)]) -> String {
    write_object(fields, ["{\n", " : ", ",\n", "\n}"], "  ")
}

/// `{"Key":"value",…}`.
pub(crate) fn compact(fields: &[(&str, Val<'_>)]) -> String {
    write_object(fields, ["{", ":", ",", "}"], "")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pretty_matches_the_imds_style_and_parses() {
        let s = imds_pretty(&[
            ("Code", Val::Str("Success")),
            ("Odd", Val::Str("a\"b\\c\n")),
            ("None", Val::Null),
        ]);
        assert_eq!(
            s,
            "{\n  \"Code\" : \"Success\",\n  \"Odd\" : \"a\\\"b\\\\c\\n\",\n  \"None\" : null\n}"
        );
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["Odd"], "a\"b\\c\n");
    }

    #[test]
    fn compact_parses() {
        let s = compact(&[("A", Val::Str("1")), ("B", Val::Null)]);
        assert_eq!(s, r#"{"A":"1","B":null}"#);
    }
}
