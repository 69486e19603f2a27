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

fn value(v: Val<'_>) -> String {
    match v {
        // Serialising a `str` cannot fail.
        Val::Str(s) => serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned()),
        Val::Null => "null".to_owned(),
    }
}

/// `{\n  "Key" : "value",\n  …\n}` with no trailing newline.
pub(crate) fn imds_pretty(fields: &[(&str, Val<'_>)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  {} : {}", value(Val::Str(k)), value(*v)))
        .collect();
    format!("{{\n{}\n}}", body.join(",\n"))
}

/// `{"Key":"value",…}`.
pub(crate) fn compact(fields: &[(&str, Val<'_>)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{}", value(Val::Str(k)), value(*v)))
        .collect();
    format!("{{{}}}", body.join(","))
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
