//! `RoleListing::parse_bytes`: the IMDS role listing (plain text, one name per line).
//!
//! Invariants: only bytes that are not UTF-8 are refused, at the first bad byte; the body is
//! the input; each listed name borrows from the input, is not empty and holds no `\n`, the
//! first is `first()`; botocore's name is the body without TAB, CR and LF, in borrowed
//! fragments that hold none of them, and every view of it (`len`, `as_str`, `eq_str`,
//! `write_to`, `Display`) agrees.
#![no_main]

use credchain_core::document::{Document, DocumentErrorKind, RoleListing};
use credchain_fuzz::{assert_inside, check_write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let listing = match RoleListing::parse_bytes(data) {
        Ok(l) => l,
        Err(e) => {
            assert_eq!(e.document, Document::RoleListing);
            let bad = std::str::from_utf8(data).expect_err("refused valid UTF-8");
            match e.kind {
                DocumentErrorKind::InvalidUtf8 { position } => {
                    assert_eq!(position.offset, bad.valid_up_to(), "InvalidUtf8 position")
                }
                other => panic!("a role listing fails only on bad UTF-8, not {other:?}"),
            }
            return;
        }
    };
    let body = listing.body();
    assert_eq!(body.as_bytes(), data);
    assert_inside(data, body, "body");
    let names: Vec<&str> = listing.iter().collect();
    for n in &names {
        assert_inside(data, n, "role name");
        assert!(!n.is_empty(), "empty role name listed");
        assert!(!n.contains('\n'), "role name {n:?} spans lines");
    }
    assert_eq!(listing.first(), names.first().copied());
    assert!(names.len() <= body.matches('\n').count() + 1);
    assert_eq!((&listing).into_iter().count(), names.len());

    let boto = listing.botocore_name();
    let expected: String = body
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut joined = String::new();
    for f in boto.fragments() {
        assert_inside(data, f, "botocore role name fragment");
        assert!(!f.is_empty(), "empty fragment");
        assert!(
            !f.contains(['\t', '\r', '\n']),
            "fragment {f:?} keeps a removed byte"
        );
        joined.push_str(f);
    }
    assert_eq!(joined, expected, "botocore name");
    assert_eq!(boto.len(), expected.len());
    assert_eq!(boto.is_empty(), expected.is_empty());
    assert!(boto.eq_str(&expected));
    assert_eq!(boto.to_string(), expected);
    if let Some(s) = boto.as_str() {
        assert_inside(data, s, "botocore name");
        assert_eq!(s, expected);
    } else {
        assert!(
            body.trim_matches(['\t', '\r', '\n'])
                .contains(['\t', '\r', '\n']),
            "as_str refused a contiguous name"
        );
    }
    check_write!(&expected, |buf| boto.write_to(buf));
});
